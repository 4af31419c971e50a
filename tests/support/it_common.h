/* Helpers of the test programs that are PVM tasks (tests/integration/it_*.c
 * and others; part of the test-support library, tests/support/): failing
 * with a clear message, the program's own absolute path (each test spawns
 * itself in a child role), a monotonic clock and a guard alarm. Link
 * pvmtest (pvmtest.h) with it. */
#ifndef IT_COMMON_H
#define IT_COMMON_H

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvm3.h"
#include "pvmtest.h"

/* Name printed in front of every message ("it_hello", "it_hello[child]"). */
static char it_name[64] = "it";

static inline void it_set_name(const char *argv0, const char *role) {
  const char *base = strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  if (role != NULL)
    snprintf(it_name, sizeof it_name, "%s[%s]", base, role);
  else
    snprintf(it_name, sizeof it_name, "%s", base);
}

/* Prints "<name>: FAIL: <message>" on stderr and exits with status 1. The
 * task leaves the virtual machine first so the daemon sees a clean exit. */
static inline void it_fail_at(int line, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static inline void it_fail_at(int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: FAIL (line %d): ", it_name, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(NULL);
  pvm_setopt(PvmAutoErr, 0);
  pvm_exit();
  exit(1);
}

#define IT_FAIL(...) it_fail_at(__LINE__, __VA_ARGS__)
/* Fails the test with the message when cond is false. */
#define IT_CHECK(cond, ...)                                                    \
  do {                                                                         \
    if (!(cond))                                                               \
      it_fail_at(__LINE__, __VA_ARGS__);                                       \
  } while (0)

static inline void it_note(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void it_note(const char *fmt, ...) {
  va_list ap;
  printf("%s: ", it_name);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* Absolute path of the running executable (children are spawned by it). */
static inline const char *it_self_path(void) {
  static char self[PATH_MAX];
  if (self[0] == '\0' && pvmt_self_path(self, sizeof self) != 0)
    IT_FAIL("cannot read /proc/self/exe");
  return self;
}

/* Seconds on the monotonic clock. */
static inline double it_now(void) { return pvmt_now(); }

static inline void it_sleep_ms(int ms) { pvmt_sleep_ms(ms); }

/* A test that hangs dies of SIGALRM with a message instead of waiting for
 * ctest's timeout; children get the same guard so none outlives its test. */
static void it_on_alarm(int sig) {
  static const char msg[] = ": FAIL: guard timer expired (test hung)\n";
  ssize_t r;
  (void)sig;
  r = write(2, it_name, strlen(it_name));
  r = write(2, msg, sizeof msg - 1);
  (void)r;
  _exit(3);
}

static inline void it_guard(unsigned seconds) {
  signal(SIGALRM, it_on_alarm);
  alarm(seconds);
}

/* Spawns one copy of this program in child role `role` with extra arguments
 * (NULL-terminated list after role) and returns its tid; fails the test if
 * it does not start. */
static inline int it_spawn_self(const char *role, ...) {
  char *argv[32];
  int n = 0, tid = 0, cc;
  va_list ap;
  argv[n++] = "--child";
  argv[n++] = (char *)role;
  va_start(ap, role);
  for (char *a; n < 31 && (a = va_arg(ap, char *)) != NULL;)
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  cc = pvm_spawn((char *)it_self_path(), argv, PvmTaskDefault, "", 1, &tid);
  IT_CHECK(cc == 1, "pvm_spawn(%s --child %s) returned %d, tids[0]=%d",
           it_self_path(), role, cc, tid);
  IT_CHECK(tid > 0, "pvm_spawn returned 1 but tids[0]=%d", tid);
  return tid;
}

/* The pid of this virtual machine's daemon (from its lock file under
 * $PVM_TMP, as vm.sh sets it up); fails the test when there is none. */
static inline pid_t it_daemon_pid(void) {
  pid_t pid = pvmt_daemon_pid(5000);
  if (pid <= 0)
    IT_FAIL("no daemon pid in its lock file (PVM_TMP and PVM_VMID must be "
            "set: run under vm.sh)");
  return pid;
}

/* Lines of this virtual machine's daemon log that contain s; fails the
 * test when the log cannot be read. */
static inline int it_log_count(const char *s) {
  int n = pvmt_log_count(s);
  if (n < 0)
    IT_FAIL("cannot read the daemon's log (PVM_TMP and PVM_VMID must be set)");
  return n;
}

/* True when argv says this process runs as a spawned child. */
static inline int it_is_child(int argc, char **argv) {
  return argc >= 3 && strcmp(argv[1], "--child") == 0;
}

#endif
