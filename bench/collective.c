/* Group barrier and reduce among N tasks (pvm_joingroup, pvm_barrier,
 * pvm_reduce from libgpvm3). PVM 3 API only: builds against PVM-NG and
 * PVM 3.4.6 (whose group server, pvmgs, the library starts on demand).
 *
 *   collective [-n ntask] [-i iters] [-R reps] [-c count]
 *     defaults: 4 tasks, 200 operations per repetition, 5 repetitions,
 *     1024 doubles per reduce
 *
 * Prints "barrier ntask <n> us <median>" and "reduce ntask <n> count <c>
 * us <median>" (a reduce of count doubles to instance 0, then a barrier).
 * When the library has no groups yet (pvm_joingroup returns PvmNotImpl) it
 * prints "groups notimpl" and exits with status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "pvm3.h"

#define GROUP "pvmbench"
#define TAG_CFG 31
#define TAG_RED 32

/* The timed loops every member runs; instance 0 (the parent) records. */
static int run_loops(int ntask, int iters, int reps, int count, double *bar,
                     double *red) {
  double *data = malloc((size_t)count * sizeof(double));
  int rc = -1;
  if (!data)
    return -1;
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now();
    for (int i = 0; i < iters; i++)
      if (pvm_barrier(GROUP, ntask) < 0)
        goto out;
    if (bar)
      bar[r] = (bench_now() - t0) / iters;
    t0 = bench_now();
    for (int i = 0; i < iters; i++) {
      for (int k = 0; k < count; k++)
        data[k] = 1.0;
      if (pvm_reduce(PvmSum, data, count, PVM_DOUBLE, TAG_RED, GROUP, 0) < 0 ||
          pvm_barrier(GROUP, ntask) < 0)
        goto out;
    }
    if (red)
      red[r] = (bench_now() - t0) / iters;
  }
  rc = 0;
out:
  free(data);
  return rc;
}

static int child_role(void) {
  int cfg[4];
  if (pvm_joingroup(GROUP) < 0)
    return 1;
  if (pvm_recv(pvm_parent(), TAG_CFG) < 0 || pvm_upkint(cfg, 4, 1) < 0)
    return 1;
  int st = run_loops(cfg[0], cfg[1], cfg[2], cfg[3], NULL, NULL) < 0;
  pvm_lvgroup(GROUP);
  return st;
}

int main(int argc, char **argv) {
  int ntask = 4, iters = 200, reps = 5, count = 1024, opt;
  char self[4096];
  char *cargv[] = {"member", NULL};

  while ((opt = getopt(argc, argv, "n:i:R:c:")) != -1) {
    switch (opt) {
    case 'n':
      ntask = atoi(optarg);
      break;
    case 'i':
      iters = atoi(optarg);
      break;
    case 'R':
      reps = atoi(optarg);
      break;
    case 'c':
      count = atoi(optarg);
      break;
    default:
      fprintf(stderr, "usage: %s [-n ntask] [-i iters] [-R reps] [-c count]\n",
              argv[0]);
      return 2;
    }
  }
  if (pvm_mytid() < 0)
    return 1;
  if (pvm_parent() > 0) {
    int st = child_role();
    pvm_exit();
    return st;
  }
  if (ntask < 2 || iters < 1 || reps < 1 || count < 1 ||
      bench_self(self, sizeof(self))) {
    fprintf(stderr, "collective: bad arguments\n");
    pvm_exit();
    return 2;
  }
  int inst = pvm_joingroup(GROUP);
  if (inst == PvmNotImpl) {
    printf("groups notimpl\n");
    pvm_exit();
    return 0;
  }
  if (inst != 0) {
    fprintf(stderr, "collective: pvm_joingroup returned %d\n", inst);
    pvm_exit();
    return 1;
  }
  int *tids = calloc((size_t)ntask, sizeof(int));
  double *bar = calloc((size_t)reps, sizeof(double));
  double *red = calloc((size_t)reps, sizeof(double));
  int st = 1, got = 0;
  if (!tids || !bar || !red)
    goto out;
  got = pvm_spawn(self, cargv, PvmTaskDefault, "", ntask - 1, tids);
  if (got != ntask - 1) {
    fprintf(stderr, "collective: %d of %d tasks started\n", got, ntask - 1);
    goto out;
  }
  /* Everyone in the group before the first barrier. */
  for (int round = 0; pvm_gsize(GROUP) < ntask; round++) {
    if (round == 20000) {
      fprintf(stderr, "collective: the group did not fill up\n");
      goto out;
    }
    usleep(500);
  }
  int cfg[4] = {ntask, iters, reps, count};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(cfg, 4, 1);
  pvm_mcast(tids, ntask - 1, TAG_CFG);
  if (run_loops(ntask, iters, reps, count, bar, red) < 0) {
    fprintf(stderr, "collective: a group operation failed\n");
    goto out;
  }
  printf("barrier ntask %d us %.2f\n", ntask, bench_median(bar, reps) * 1e6);
  printf("reduce ntask %d count %d us %.2f\n", ntask, count,
         bench_median(red, reps) * 1e6);
  st = 0;
  got = 0;
out:
  for (int i = 0; i < got; i++)
    pvm_kill(tids[i]);
  pvm_lvgroup(GROUP);
  free(tids);
  free(bar);
  free(red);
  pvm_exit();
  return st;
}
