/* Fault injection for the tests of direct links (internal). Compiled in only
 * when PVMNG_TESTING is defined (the CMake option of the same name: on in
 * the repository's own builds, off in a packaged or installed build); then
 * each switch is read from the environment when the task connects. In a
 * build without it every query below is a constant "no", so a released
 * library has no switch a user's environment could turn on. */
#ifndef LPVM_FAILPOINT_H
#define LPVM_FAILPOINT_H

#include <stdint.h>

#ifdef PVMNG_TESTING
/* Reads the PVMNG_FAILPOINT_* variables (at connect). */
void lpvm_failpoints_read(void);
/* PVMNG_FAILPOINT_LINK_BREAK=N: whether this is the Nth message a task
 * would send on a direct link (which it then closes abruptly). */
int lpvm_failpoint_break(void);
/* PVMNG_FAILPOINT_ROUTE_HELLO=what: whether the opener of a TLS link
 * misbehaves as `what` says (plain, binding, nonce, silent; aead at the
 * acceptor). */
int lpvm_failpoint_hello(const char *what);
/* PVMNG_FAILPOINT_LINK_SHUT=N[:K]: whether to shut a link down now that
 * its Nth whole message was taken (on K links, default 1). */
int lpvm_failpoint_shut(uint64_t taken);
/* PVMNG_FAILPOINT_LINK_FIN=N: whether the stream of a TLS link should end
 * now, after the Nth message taken from such links. */
int lpvm_failpoint_fin(void);
#else
static inline void lpvm_failpoints_read(void) {}
static inline int lpvm_failpoint_break(void) { return 0; }
static inline int lpvm_failpoint_hello(const char *what) {
  (void)what;
  return 0;
}
static inline int lpvm_failpoint_shut(uint64_t taken) {
  (void)taken;
  return 0;
}
static inline int lpvm_failpoint_fin(void) { return 0; }
#endif

#endif
