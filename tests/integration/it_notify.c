/* it_notify: pvm_notify on one host (man pvm_notify).
 *  - PvmTaskExit for a child killed with SIGKILL, 100 trials: exactly one
 *    notification each, carrying the child's tid; the delay from the kill
 *    to the notification is measured and its 99th percentile printed.
 *  - PvmTaskExit for a task that is already gone fires at once; for a
 *    task that calls pvm_exit it fires when it leaves.
 *  - PvmNotifyCancel: the notification comes at the cancel (as the man
 *    page says and PVM 3.4.6 does), none when the task leaves later.
 *  - PvmHostDelete of a host that is not in the machine fires at once.
 *  - PvmHostAdd count semantics are accepted (no host joins a one-host VM).
 *  - PvmRouteAdd / PvmRouteDelete when a direct link opens and closes.
 *  - bad arguments give PvmBadParam. */
#include <signal.h>

#include "it_common.h"

#define TAG_EXIT 31
#define TAG_READY 32
#define TAG_HOST 33
#define TAG_ROUTE_ADD 34
#define TAG_ROUTE_DEL 35
#define TAG_PING 36
#define TRIALS 100

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Child roles: "sleeper" reports its pid and waits to be killed; "leaver"
 * waits for a ping and calls pvm_exit; "direct" opens a direct link to its
 * parent, then exits. */
static int child(const char *role) {
  int parent = pvm_parent();
  if (strcmp(role, "sleeper") == 0) {
    int pid = (int)getpid();
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&pid, 1, 1);
    pvm_send(parent, TAG_READY);
    for (;;)
      pause();
  }
  if (strcmp(role, "leaver") == 0) {
    pvm_recv(parent, TAG_PING);
    pvm_exit();
    return 0;
  }
  if (strcmp(role, "direct") == 0) {
    pvm_setopt(PvmRoute, PvmRouteDirect);
    pvm_recv(parent, TAG_PING);
    pvm_initsend(PvmDataDefault);
    pvm_send(parent, TAG_PING); /* opens the link */
    pvm_recv(parent, TAG_PING);
    pvm_exit();
    return 0;
  }
  IT_FAIL("unknown role %s", role);
}

/* Expects exactly one message with tag from src within ms and returns its
 * first int; fails otherwise. */
static int expect_one(int tag, double seconds, const char *what) {
  struct timeval tv = {(time_t)seconds, 0};
  int bufid = pvm_trecv(-1, tag, &tv), v;
  IT_CHECK(bufid > 0, "%s: no notification within %.0f s", what, seconds);
  IT_CHECK(pvm_upkint(&v, 1, 1) == 0, "%s: cannot unpack the body", what);
  return v;
}

static void expect_none(int tag, int ms, const char *what) {
  struct timeval tv = {0, ms * 1000};
  IT_CHECK(pvm_trecv(-1, tag, &tv) == 0, "%s: unexpected notification", what);
}

int main(int argc, char **argv) {
  double delays[TRIALS];
  int kid, v;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    IT_CHECK(pvm_mytid() > 0, "pvm_mytid failed");
    return child(argv[2]);
  }
  it_set_name(argv[0], NULL);
  it_guard(100);
  int me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid failed");

  /* Bad arguments. */
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(pvm_notify(99, TAG_EXIT, 0, NULL) == PvmBadParam, "bad kind");
  IT_CHECK(pvm_notify(PvmTaskExit, -1, 0, NULL) == PvmBadParam, "bad tag");
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, NULL) == PvmBadParam,
           "NULL tids");
  v = 0x40000; /* a daemon tid is not a task */
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &v) == PvmBadParam,
           "daemon tid for PvmTaskExit");
  pvm_setopt(PvmAutoErr, 1);

  /* kill -9, 100 trials: one notification each, delay measured. */
  for (int i = 0; i < TRIALS; i++) {
    int pid;
    kid = it_spawn_self("sleeper", (char *)NULL);
    IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &kid) == 0, "pvm_notify");
    IT_CHECK(pvm_recv(kid, TAG_READY) > 0, "sleeper not ready");
    pvm_upkint(&pid, 1, 1);
    double t0 = it_now();
    IT_CHECK(kill(pid, SIGKILL) == 0, "kill(%d) failed", pid);
    v = expect_one(TAG_EXIT, 10, "kill -9");
    delays[i] = it_now() - t0;
    IT_CHECK(v == kid, "notification names t%x, expected t%x", v, kid);
    IT_CHECK(pvm_bufinfo(pvm_getrbuf(), NULL, NULL, &v) == 0 &&
                 v == pvm_tidtohost(me),
             "notification does not come from the daemon (t%x)", v);
  }
  expect_none(TAG_EXIT, 300, "after 100 kills"); /* never twice */
  qsort(delays, TRIALS, sizeof delays[0], cmp_double);
  it_note("kill -9 -> PvmTaskExit, %d trials: median %.1f ms, p99 %.1f ms, "
          "max %.1f ms",
          TRIALS, delays[TRIALS / 2] * 1e3, delays[TRIALS * 99 / 100] * 1e3,
          delays[TRIALS - 1] * 1e3);

  /* Already gone: fires at once, with the gone tid. */
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &kid) == 0, "notify dead");
  IT_CHECK(expect_one(TAG_EXIT, 5, "dead task") == kid, "wrong tid");

  /* pvm_exit counts as leaving. */
  kid = it_spawn_self("leaver", (char *)NULL);
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &kid) == 0, "notify leaver");
  expect_none(TAG_EXIT, 200, "leaver still running");
  pvm_initsend(PvmDataDefault);
  pvm_send(kid, TAG_PING);
  IT_CHECK(expect_one(TAG_EXIT, 10, "pvm_exit") == kid, "wrong tid");

  /* Cancel. */
  kid = it_spawn_self("leaver", (char *)NULL);
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &kid) == 0, "notify");
  IT_CHECK(pvm_notify(PvmTaskExit | PvmNotifyCancel, TAG_EXIT, 1, &kid) == 0,
           "cancel");
  IT_CHECK(expect_one(TAG_EXIT, 5, "cancel") == kid, "wrong tid");
  pvm_initsend(PvmDataDefault);
  pvm_send(kid, TAG_PING);
  while (pvm_pstat(kid) == PvmOk)
    it_sleep_ms(10);
  expect_none(TAG_EXIT, 300, "cancelled notify");

  /* Hosts: a host not in the machine is reported deleted at once. */
  v = 0x3ff00000;
  IT_CHECK(pvm_notify(PvmHostDelete, TAG_HOST, 1, &v) == 0, "HostDelete");
  IT_CHECK(expect_one(TAG_HOST, 5, "HostDelete") == v, "wrong host tid");
  v = pvm_tidtohost(me);
  IT_CHECK(pvm_notify(PvmHostDelete, TAG_HOST, 1, &v) == 0, "HostDelete me");
  IT_CHECK(pvm_notify(PvmHostAdd, TAG_HOST, -1, NULL) == 0, "HostAdd -1");
  IT_CHECK(pvm_notify(PvmHostAdd, TAG_HOST, 0, NULL) == 0, "HostAdd 0");
  expect_none(TAG_HOST, 200, "own host / HostAdd");

  /* Routes: one PvmRouteAdd when the child's link opens, one
   * PvmRouteDelete when it closes (the child leaves). */
  kid = it_spawn_self("direct", (char *)NULL);
  IT_CHECK(pvm_notify(PvmRouteAdd, TAG_ROUTE_ADD, 1, NULL) == 0, "RouteAdd");
  IT_CHECK(pvm_notify(PvmRouteDelete, TAG_ROUTE_DEL, 1, &kid) == 0,
           "RouteDelete");
  pvm_initsend(PvmDataDefault);
  pvm_send(kid, TAG_PING);
  IT_CHECK(pvm_recv(kid, TAG_PING) > 0, "no ping back");
  IT_CHECK(expect_one(TAG_ROUTE_ADD, 5, "RouteAdd") == kid, "wrong peer");
  pvm_initsend(PvmDataDefault);
  pvm_send(kid, TAG_PING);
  IT_CHECK(expect_one(TAG_ROUTE_DEL, 10, "RouteDelete") == kid, "wrong peer");
  expect_none(TAG_ROUTE_ADD, 100, "RouteAdd count 1");

  pvm_exit();
  printf("it_notify: PASS\n");
  return 0;
}
