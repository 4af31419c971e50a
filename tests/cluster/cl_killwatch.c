/* cl_killwatch: kill -9 of a task, and how long its watchers take to hear
 * of it (man pvm_notify, PvmTaskExit). The driver (started by hand) spawns
 * one watcher on the victims' host and one on a third host, then runs
 * TRIALS trials: it spawns a victim (/bin/sleep) on VICTIM_HOST, asks for
 * PvmTaskExit itself and has both watchers ask, then sends SIGKILL to the
 * victim's process (its pid from pvm_tasks) and takes the time. Each
 * watcher stamps the notification's arrival (CLOCK_MONOTONIC, which every
 * namespace-host of the test shares) and reports it.
 *
 * Every watcher must get exactly one notification per victim, naming it;
 * after the last trial each waits half a second more for strays, and asks
 * once more for the last victim, long gone, which must be answered within
 * 2 s (through the master from the third host). Prints
 * the median, 99th percentile and maximum delay per watcher.
 * Usage: cl_killwatch TRIALS VICTIM_HOST OTHER_HOST; exits 0 when every
 * notification arrived once (within 5 s). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvm3.h"

#define TAG_ARM 61    /* driver -> watcher: victim tid */
#define TAG_ARMED 62  /* watcher -> driver: notify registered */
#define TAG_REPORT 63 /* watcher -> driver: victim, arrival (ns) */
#define TAG_DONE 64   /* driver -> watcher: no more trials */
#define TAG_EXTRA 65  /* watcher -> driver: stray notifications seen */
#define TAG_W 66      /* PvmTaskExit at a watcher */
#define TAG_D 67      /* PvmTaskExit at the driver */
#define TAG_G 68      /* PvmTaskExit asked for a task already gone */
#define MAXTRIALS 1000

static const struct timeval wait5 = {5, 0};

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int fail(const char *what) {
  fprintf(stderr, "cl_killwatch: FAIL: %s\n", what);
  pvm_exit();
  return 1;
}

/* Waits up to 5 s for tag from src; 1 when it came. */
static int recv5(int src, int tag) {
  struct timeval tv = wait5;
  return pvm_trecv(src, tag, &tv) > 0;
}

/* A watcher: one PvmTaskExit request per victim the driver names. */
static int watcher(int parent) {
  for (;;) {
    int v = 0, got = 0, bufid = pvm_recv(parent, -1), tag = 0, len, src;
    double t;
    if (bufid < 0 || pvm_bufinfo(bufid, &len, &tag, &src) < 0)
      return fail("watcher: lost the driver");
    if (tag == TAG_DONE) {
      struct timeval half = {0, 500000}, two = {2, 0};
      int extra = 0;
      while (pvm_trecv(-1, TAG_W, &half) > 0)
        extra++;
      if (pvm_upkint(&v, 1, 1) != 0 ||
          pvm_notify(PvmTaskExit, TAG_G, 1, &v) != 0)
        return fail("watcher: pvm_notify for a task already gone");
      if (pvm_trecv(-1, TAG_G, &two) <= 0 || pvm_upkint(&got, 1, 1) != 0 ||
          got != v)
        return fail(
            "watcher: no PvmTaskExit within 2 s for a task already gone");
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&extra, 1, 1);
      pvm_send(parent, TAG_EXTRA);
      pvm_exit();
      return 0;
    }
    if (tag != TAG_ARM || pvm_upkint(&v, 1, 1) != 0)
      return fail("watcher: unexpected message");
    if (pvm_notify(PvmTaskExit, TAG_W, 1, &v) != 0)
      return fail("watcher: pvm_notify");
    pvm_initsend(PvmDataDefault);
    pvm_send(parent, TAG_ARMED);
    if (!recv5(-1, TAG_W) || pvm_upkint(&got, 1, 1) != 0)
      return fail("watcher: no PvmTaskExit within 5 s");
    t = now_ns();
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&got, 1, 1);
    pvm_pkdouble(&t, 1, 1);
    pvm_send(parent, TAG_REPORT);
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void summary(const char *who, double *ms, int n) {
  qsort(ms, (size_t)n, sizeof *ms, cmp);
  printf("%s: %d trials, median %.2f ms, p99 %.2f ms, max %.2f ms\n", who, n,
         ms[n / 2], ms[(99 * n + 99) / 100 - 1], ms[n - 1]);
}

/* The pid of task tid, from pvm_tasks; 0 if not found. */
static int pid_of(int tid) {
  struct pvmtaskinfo *ti;
  int n = 0;
  if (pvm_tasks(tid, &n, &ti) < 0)
    return 0;
  for (int i = 0; i < n; i++)
    if (ti[i].ti_tid == tid)
      return ti[i].ti_pid;
  return 0;
}

int main(int argc, char **argv) {
  static double dl[MAXTRIALS], dr[MAXTRIALS], dd[MAXTRIALS];
  char *sleep_argv[] = {"60", NULL};
  int w[2] = {0, 0}, trials, last = 0;

  if (pvm_mytid() < 0)
    return 2;
  if (pvm_parent() > 0)
    return watcher(pvm_parent());
  if (argc != 4 || (trials = atoi(argv[1])) < 1 || trials > MAXTRIALS)
    return fail("usage: cl_killwatch TRIALS VICTIM_HOST OTHER_HOST");
  if (pvm_spawn(argv[0], NULL, PvmTaskHost, argv[2], 1, &w[0]) != 1 ||
      pvm_spawn(argv[0], NULL, PvmTaskHost, argv[3], 1, &w[1]) != 1)
    return fail("spawning the watchers");

  for (int i = 0; i < trials; i++) {
    int v = 0, pid, got = 0;
    double t0, t;
    if (pvm_spawn("/bin/sleep", sleep_argv, PvmTaskHost, argv[2], 1, &v) != 1)
      return fail("spawning a victim");
    if (pvm_notify(PvmTaskExit, TAG_D, 1, &v) != 0)
      return fail("pvm_notify at the driver");
    for (int k = 0; k < 2; k++) {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&v, 1, 1);
      pvm_send(w[k], TAG_ARM);
    }
    for (int k = 0; k < 2; k++)
      if (!recv5(w[k], TAG_ARMED))
        return fail("a watcher did not arm");
    if ((pid = pid_of(v)) <= 0)
      return fail("pvm_tasks does not list the victim's pid");
    t0 = now_ns();
    if (kill(pid, SIGKILL) != 0)
      return fail("kill -9 of the victim");
    if (!recv5(-1, TAG_D) || pvm_upkint(&got, 1, 1) != 0 || got != v)
      return fail("no PvmTaskExit naming the victim at the driver");
    dd[i] = (now_ns() - t0) / 1e6;
    last = v;
    for (int k = 0; k < 2; k++) {
      if (!recv5(w[k], TAG_REPORT) || pvm_upkint(&got, 1, 1) != 0 ||
          pvm_upkdouble(&t, 1, 1) != 0)
        return fail("no report from a watcher");
      if (got != v)
        return fail("a watcher's notification names another task");
      (k == 0 ? dl : dr)[i] = (t - t0) / 1e6;
    }
  }
  {
    struct timeval half = {0, 500000};
    int extra = 0, e = 0;
    while (pvm_trecv(-1, TAG_D, &half) > 0)
      extra++;
    for (int k = 0; k < 2; k++) {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&last, 1, 1);
      pvm_send(w[k], TAG_DONE);
    }
    for (int k = 0; k < 2; k++) {
      if (!recv5(w[k], TAG_EXTRA) || pvm_upkint(&e, 1, 1) != 0)
        return fail("no final count from a watcher");
      extra += e;
    }
    if (extra != 0)
      return fail("a notification came more than once");
  }
  summary("watcher on the victims' host", dl, trials);
  summary("watcher on the master (another host)", dd, trials);
  summary("watcher on a third host (through the master)", dr, trials);
  pvm_exit();
  printf("cl_killwatch: PASS\n");
  return 0;
}
