/* The test-support library (libpvmtest, tests/support/): small helpers that
 * several test programs need, written once: the clock, the program's own
 * path (tests spawn themselves in a child role), a checksum for message
 * bodies, and the files of a private virtual machine (its daemon's pid,
 * log and socket under $PVM_TMP). Nothing here links libpvm3 or the wire
 * code, so unit, integration, cluster and raw-daemon tests can all use it.
 * Functions report failure by their return value; the caller decides how
 * the test fails. */
#ifndef PVMTEST_H
#define PVMTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Seconds on the monotonic clock. */
double pvmt_now(void);

/* Milliseconds on the monotonic clock. */
int64_t pvmt_now_ms(void);

/* Sleeps ms milliseconds, resuming after signals. */
void pvmt_sleep_ms(int ms);

/* The absolute path of the running executable, into buf (NUL-terminated).
 * 0, or -1 when /proc/self/exe cannot be read or buf is too small. */
int pvmt_self_path(char *buf, size_t len);

/* FNV-1a over n bytes, its offset basis XORed with seed (0: plain FNV-1a).
 * What the message-order tests put beside a body to prove it intact. */
uint32_t pvmt_fnv1a(const void *p, size_t n, uint32_t seed);

/* The path of one of the daemon's files in the private virtual machine
 * named by $PVM_TMP and $PVM_VMID: $PVM_TMP/pvm-<uid>/pvmd.<vmid>.<what>
 * (what: "sock", "lock", "log"). 0, or -1 when either variable is unset or
 * the path does not fit. */
int pvmt_runtime_path(char *buf, size_t len, const char *what);

/* The pid of this virtual machine's daemon, read from its lock file,
 * waiting up to timeout_ms for the daemon to write it. The pid, or -1. */
pid_t pvmt_daemon_pid(int timeout_ms);

/* How many lines of this virtual machine's daemon log contain s; -1 when
 * the log cannot be read. */
int pvmt_log_count(const char *s);

/* Removes path and everything below it, not following symbolic links (a
 * test's scratch directory). 0, or -1 if something stayed. */
int pvmt_rm_rf(const char *path);

/* Waits up to timeout_ms for path to exist. 0 once it does, -1 if not. */
int pvmt_wait_file(const char *path, int timeout_ms);

#endif
