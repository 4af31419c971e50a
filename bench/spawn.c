/* Spawn time of N tasks on the local host: from the pvm_spawn call until
 * every spawned task has sent its first message back, the median of
 * several repetitions. PVM 3 API only (builds against PVM-NG and 3.4.6).
 *
 *   spawn [-n ntask] [-R reps]      (defaults 7 and 5)
 *
 * Prints "spawn ntask <n> reps <r> ms <median> min_ms <min>". Between
 * repetitions the tasks are told to exit and waited for (pvm_pstat), so
 * each repetition starts from the same empty machine. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "pvm3.h"

#define TAG_READY 21
#define TAG_QUIT 22

static int child_role(void) {
  int parent = pvm_parent();
  if (pvm_initsend(PvmDataDefault) < 0 || pvm_send(parent, TAG_READY) < 0)
    return 1;
  return pvm_recv(parent, TAG_QUIT) < 0;
}

/* Waits up to 10 s until none of the tasks exists any more. */
static int wait_gone(const int *tids, int n) {
  for (int round = 0; round < 10000; round++) {
    int alive = 0;
    for (int i = 0; i < n; i++)
      if (pvm_pstat(tids[i]) == PvmOk)
        alive++;
    if (!alive)
      return 0;
    usleep(1000);
  }
  return -1;
}

int main(int argc, char **argv) {
  int ntask = 7, reps = 5, opt;
  char self[4096];
  char *cargv[] = {"child", NULL};

  while ((opt = getopt(argc, argv, "n:R:")) != -1) {
    switch (opt) {
    case 'n':
      ntask = atoi(optarg);
      break;
    case 'R':
      reps = atoi(optarg);
      break;
    default:
      fprintf(stderr, "usage: %s [-n ntask] [-R reps]\n", argv[0]);
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
  int *tids = calloc((size_t)(ntask > 0 ? ntask : 1), sizeof(int));
  double *t = calloc((size_t)(reps > 0 ? reps : 1), sizeof(double));
  if (ntask < 1 || reps < 1 || !tids || !t || bench_self(self, sizeof(self))) {
    fprintf(stderr, "spawn: bad arguments\n");
    pvm_exit();
    return 2;
  }
  int st = 0;
  for (int r = 0; r < reps && st == 0; r++) {
    double t0 = bench_now();
    int got = pvm_spawn(self, cargv, PvmTaskDefault, "", ntask, tids);
    if (got != ntask) {
      fprintf(stderr, "spawn: %d of %d tasks started\n", got, ntask);
      for (int i = 0; i < got; i++)
        pvm_kill(tids[i]);
      st = 1;
      break;
    }
    for (int i = 0; i < ntask; i++)
      if (pvm_recv(-1, TAG_READY) < 0) {
        fprintf(stderr, "spawn: receive failed\n");
        st = 1;
        break;
      }
    t[r] = bench_now() - t0;
    pvm_initsend(PvmDataDefault);
    pvm_mcast(tids, ntask, TAG_QUIT);
    if (wait_gone(tids, ntask) < 0) {
      fprintf(stderr, "spawn: tasks did not exit\n");
      st = 1;
    }
  }
  if (st == 0) {
    double med = bench_median(t, reps);
    printf("spawn ntask %d reps %d ms %.2f min_ms %.2f\n", ntask, reps,
           med * 1e3, t[0] * 1e3);
  }
  free(tids);
  free(t);
  pvm_exit();
  return st;
}
