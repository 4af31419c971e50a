/* Fault injection switches (failpoint.h), for the tests of direct links:
 * each makes a task break a link the way a network or a failing peer
 * would, so that tests can check that no message is lost or reordered.
 * Empty unless the build defines PVMNG_TESTING. */
#include "failpoint.h"

#ifdef PVMNG_TESTING
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fail_break = -1;
static char fail_hello[16];
static long fail_shut = -1, fail_shut_times;
static long fail_fin = -1;

void lpvm_failpoints_read(void) {
  const char *fp = getenv("PVMNG_FAILPOINT_LINK_BREAK");
  fail_break = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
  fp = getenv("PVMNG_FAILPOINT_ROUTE_HELLO");
  snprintf(fail_hello, sizeof(fail_hello), "%s", fp ? fp : "");
  fp = getenv("PVMNG_FAILPOINT_LINK_SHUT");
  fail_shut = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
  fail_shut_times = fail_shut < 0             ? 0
                    : strchr(fp, ':') != NULL ? atol(strchr(fp, ':') + 1)
                                              : 1;
  fp = getenv("PVMNG_FAILPOINT_LINK_FIN");
  fail_fin = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
}

int lpvm_failpoint_break(void) {
  if (fail_break < 0)
    return 0;
  return --fail_break == 0;
}

int lpvm_failpoint_hello(const char *what) {
  return strcmp(fail_hello, what) == 0;
}

int lpvm_failpoint_shut(uint64_t taken) {
  if (fail_shut_times <= 0 || taken != (uint64_t)fail_shut)
    return 0;
  fail_shut_times--;
  return 1;
}

int lpvm_failpoint_fin(void) { return fail_fin > 0 && --fail_fin == 0; }
#endif
