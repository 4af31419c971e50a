/* The many-host measurements of bench/cluster_scale.sh, in one program: a
 * parent spawns N workers with PvmTaskDefault (the daemons place them over
 * the hosts), then the workers pass a token around a ring by the default
 * route, meet at a group barrier, reduce 1024 doubles then barrier, run an
 * all-to-all of 4 KiB per pair, and pass the token again over direct links.
 * PVM 3 API only: builds against PVM-NG and PVM 3.4.6.
 *
 *   scale [-n ntask] [-i iters] [-R reps] [-l laps] [-b bytes] [-c count]
 *     defaults: 8 workers, 100 collective operations and 20 laps per
 *     repetition, 5 repetitions, 4096 bytes per all-to-all pair, 1024
 *     doubles per reduce
 *
 * Prints, from the parent:
 *   hosts <h> ntask <n>                      (distinct hosts of the workers)
 *   spawn ntask <n> ms <t>            (pvm_spawn until every worker joined)
 *   ring route default ntask <n> hop_us <t>
 *   barrier ntask <n> us <t>
 *   reduce ntask <n> count <c> us <t>
 *   alltoall ntask <n> bytes <b> us <t>
 *   ring route direct ntask <n> hop_us <t>
 * Every figure but spawn is the median over the repetitions, as worker 0
 * measured it. A worker that fails reports why to the parent, which prints
 * it and exits with status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "pvm3.h"

#define GROUP "pvmscale"
#define TAG_CFG 41
#define TAG_RING 42
#define TAG_RED 43
#define TAG_A2A 44 /* and 45: consecutive rounds alternate */
#define TAG_DONE 46

enum { F_RING, F_BAR, F_RED, F_A2A, F_DIRECT, F_N };

struct cfg {
  int ntask, iters, reps, laps, bytes, count, rank;
  int root; /* 1 for the group's instance 0, which pvm_reduce fills */
  int *tids;
};

/* One lap set of the ring: worker 0 starts and times it. */
static int ring(const struct cfg *c, int laps, double *hop) {
  int next = c->tids[(c->rank + 1) % c->ntask];
  int prev = c->tids[(c->rank + c->ntask - 1) % c->ntask];
  int token = 0;
  double t0 = bench_now();
  for (int l = 0; l < laps; l++) {
    if (c->rank != 0) {
      if (pvm_recv(prev, TAG_RING) < 0 || pvm_upkint(&token, 1, 1) < 0)
        return -1;
    }
    token++;
    if (pvm_initsend(PvmDataDefault) < 0 || pvm_pkint(&token, 1, 1) < 0 ||
        pvm_send(next, TAG_RING) < 0)
      return -1;
    if (c->rank == 0 &&
        (pvm_recv(prev, TAG_RING) < 0 || pvm_upkint(&token, 1, 1) < 0))
      return -1;
  }
  if (hop)
    *hop = (bench_now() - t0) / ((double)laps * c->ntask);
  return 0;
}

/* One all-to-all: BYTES to every other worker, then one from each. */
static int alltoall(const struct cfg *c, char *buf, int round) {
  int tag = TAG_A2A + (round & 1);
  for (int k = 1; k < c->ntask; k++) {
    int to = c->tids[(c->rank + k) % c->ntask];
    if (pvm_initsend(PvmDataRaw) < 0 || pvm_pkbyte(buf, c->bytes, 1) < 0 ||
        pvm_send(to, tag) < 0)
      return -1;
  }
  for (int k = 1; k < c->ntask; k++)
    if (pvm_recv(-1, tag) < 0 || pvm_upkbyte(buf, c->bytes, 1) < 0)
      return -1;
  return 0;
}

/* Every measurement, reps times; worker 0 fills fig[F_*][rep]. */
static const char *measure(const struct cfg *c, double **fig) {
  int n = c->ntask;
  double *data = malloc((size_t)c->count * sizeof(double));
  char *buf = calloc((size_t)c->bytes + 1, 1);
  const char *why = NULL;
  if (!data || !buf) {
    why = "out of memory";
    goto out;
  }
  if (ring(c, 2, NULL) < 0) { /* warm-up */
    why = "ring (default route, warm-up)";
    goto out;
  }
  for (int r = 0; r < c->reps && !why; r++) {
    double t0;
    if (pvm_barrier(GROUP, n) < 0) {
      why = "barrier";
      break;
    }
    if (ring(c, c->laps, &fig[F_RING][r]) < 0) {
      why = "ring (default route)";
      break;
    }
    t0 = bench_now();
    for (int i = 0; i < c->iters && !why; i++)
      if (pvm_barrier(GROUP, n) < 0)
        why = "barrier";
    fig[F_BAR][r] = (bench_now() - t0) / c->iters;
    t0 = bench_now();
    for (int i = 0; i < c->iters && !why; i++) {
      for (int k = 0; k < c->count; k++)
        data[k] = 1.0;
      if (pvm_reduce(PvmSum, data, c->count, PVM_DOUBLE, TAG_RED, GROUP, 0) <
              0 ||
          pvm_barrier(GROUP, n) < 0)
        why = "reduce";
      else if (c->root && data[0] != (double)n)
        why = "reduce (wrong sum)";
    }
    fig[F_RED][r] = (bench_now() - t0) / c->iters;
    if (why || pvm_barrier(GROUP, n) < 0) {
      why = why ? why : "barrier";
      break;
    }
    t0 = bench_now();
    for (int i = 0; i < c->iters && !why; i++)
      if (alltoall(c, buf, i) < 0)
        why = "all-to-all";
    if (!why && pvm_barrier(GROUP, n) < 0)
      why = "barrier";
    fig[F_A2A][r] = (bench_now() - t0) / c->iters;
  }
  /* Direct links: opened by the warm-up laps, then timed. */
  if (!why && (pvm_setopt(PvmRoute, PvmRouteDirect) < 0 || ring(c, 2, NULL)))
    why = "ring (direct route, warm-up)";
  for (int r = 0; r < c->reps && !why; r++)
    if (pvm_barrier(GROUP, n) < 0 || ring(c, c->laps, &fig[F_DIRECT][r]) < 0)
      why = "ring (direct route)";
out:
  free(data);
  free(buf);
  return why;
}

static int worker(void) {
  struct cfg c;
  int hdr[7];
  double *fig[F_N] = {0};
  const char *why = NULL;
  c.tids = NULL;
  if (pvm_joingroup(GROUP) < 0)
    return 1;
  if (pvm_recv(pvm_parent(), TAG_CFG) < 0 || pvm_upkint(hdr, 7, 1) < 0 ||
      hdr[0] < 2 || hdr[0] > 100000)
    return 1;
  c.ntask = hdr[0];
  c.iters = hdr[1];
  c.reps = hdr[2];
  c.laps = hdr[3];
  c.bytes = hdr[4];
  c.count = hdr[5];
  c.rank = hdr[6];
  c.root = pvm_getinst(GROUP, pvm_mytid()) == 0;
  c.tids = calloc((size_t)c.ntask, sizeof(int));
  for (int f = 0; f < F_N; f++)
    fig[f] = calloc((size_t)c.reps, sizeof(double));
  if (!c.tids || pvm_upkint(c.tids, c.ntask, 1) < 0)
    why = "configuration";
  for (int f = 0; f < F_N && !why; f++)
    if (!fig[f])
      why = "out of memory";
  if (!why)
    why = measure(&c, fig);
  if (c.rank == 0 || why) {
    int failed = why != NULL;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&failed, 1, 1);
    if (why)
      pvm_pkstr((char *)why);
    else
      for (int f = 0; f < F_N; f++) {
        double m = bench_median(fig[f], c.reps);
        pvm_pkdouble(&m, 1, 1);
      }
    pvm_send(pvm_parent(), TAG_DONE);
  }
  free(c.tids);
  for (int f = 0; f < F_N; f++)
    free(fig[f]);
  pvm_lvgroup(GROUP);
  return why != NULL;
}

/* The number of distinct hosts the workers run on. */
static int nhosts(const int *tids, int n) {
  int count = 0;
  for (int i = 0; i < n; i++) {
    int h = pvm_tidtohost(tids[i]), seen = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = pvm_tidtohost(tids[j]) == h;
    count += !seen;
  }
  return count;
}

int main(int argc, char **argv) {
  int ntask = 8, iters = 100, reps = 5, laps = 20, bytes = 4096, count = 1024;
  int opt, st = 1, got = 0;
  char self[4096];
  char *cargv[] = {"worker", NULL};

  while ((opt = getopt(argc, argv, "n:i:R:l:b:c:")) != -1) {
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
    case 'l':
      laps = atoi(optarg);
      break;
    case 'b':
      bytes = atoi(optarg);
      break;
    case 'c':
      count = atoi(optarg);
      break;
    default:
      fprintf(stderr,
              "usage: %s [-n ntask] [-i iters] [-R reps] [-l laps] "
              "[-b bytes] [-c count]\n",
              argv[0]);
      return 2;
    }
  }
  if (pvm_mytid() < 0)
    return 1;
  if (pvm_parent() > 0) {
    st = worker();
    pvm_exit();
    return st;
  }
  if (ntask < 2 || ntask > 100000 || iters < 1 || reps < 1 || laps < 1 ||
      bytes < 0 || count < 1 || bench_self(self, sizeof(self))) {
    fprintf(stderr, "scale: bad arguments\n");
    pvm_exit();
    return 2;
  }
  int *tids = calloc((size_t)ntask, sizeof(int));
  if (!tids)
    goto out;
  double t0 = bench_now();
  got = pvm_spawn(self, cargv, PvmTaskDefault, "", ntask, tids);
  if (got != ntask) {
    fprintf(stderr, "scale: %d of %d tasks started\n", got, ntask);
    goto out;
  }
  for (int round = 0; pvm_gsize(GROUP) < ntask; round++) {
    if (round == 200000) {
      fprintf(stderr, "scale: the group did not fill up\n");
      goto out;
    }
    usleep(100);
  }
  double spawned = bench_now() - t0;
  printf("hosts %d ntask %d\n", nhosts(tids, ntask), ntask);
  printf("spawn ntask %d ms %.1f\n", ntask, spawned * 1e3);
  fflush(stdout);
  for (int r = 0; r < ntask; r++) {
    int hdr[7] = {ntask, iters, reps, laps, bytes, count, r};
    pvm_initsend(PvmDataDefault);
    pvm_pkint(hdr, 7, 1);
    pvm_pkint(tids, ntask, 1);
    pvm_send(tids[r], TAG_CFG);
  }
  int failed = 1;
  if (pvm_recv(-1, TAG_DONE) < 0 || pvm_upkint(&failed, 1, 1) < 0)
    goto out;
  if (failed) {
    char why[256] = "";
    pvm_upkstr(why);
    fprintf(stderr, "scale: a worker failed in: %s\n", why);
    goto out;
  }
  double fig[F_N];
  if (pvm_upkdouble(fig, F_N, 1) < 0)
    goto out;
  printf("ring route default ntask %d hop_us %.2f\n", ntask, fig[F_RING] * 1e6);
  printf("barrier ntask %d us %.2f\n", ntask, fig[F_BAR] * 1e6);
  printf("reduce ntask %d count %d us %.2f\n", ntask, count, fig[F_RED] * 1e6);
  printf("alltoall ntask %d bytes %d us %.2f\n", ntask, bytes,
         fig[F_A2A] * 1e6);
  printf("ring route direct ntask %d hop_us %.2f\n", ntask,
         fig[F_DIRECT] * 1e6);
  st = 0;
  got = 0; /* the workers leave by themselves */
out:
  for (int i = 0; i < got; i++)
    pvm_kill(tids[i]);
  free(tids);
  pvm_exit();
  return st;
}
