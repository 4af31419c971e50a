/* cl_collreset: group collectives over several hosts while links break.
 * The parent spawns NTASK members (PvmTaskDefault, so the daemons spread
 * them over the hosts); each joins the group and runs ROUNDS rounds of
 *   pvm_bcast of the round's seed from instance 0,
 *   pvm_reduce (PvmSum) of 256 doubles made from the seed and the
 *     instance, to instance 0, which checks every element,
 *   pvmng_allreduce (PvmMax) of 64 ints, checked by every member,
 *   pvm_gather of one int per member to instance 0, checked,
 *   pvm_barrier;
 * The parent runs CMD (a shell command: a reset of the daemons' connection
 * or of the direct links) TIMES times, evenly spread over the rounds as
 * instance 0 reports its progress. Every member reports its result; the
 * parent exits 0 only when all did every round correctly: nothing lost,
 * duplicated or mixed between rounds.
 * Usage: cl_collreset NTASK ROUNDS CMD TIMES [direct] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "pvmng.h"

#define GROUP "collreset"
#define TAG_CFG 51
#define TAG_PROG 52
#define TAG_DONE 53
#define TAG_BC 54
#define TAG_RED 55
#define TAG_GAT 57
#define NRED 256
#define NALL 64

static double red_val(int seed, int inst, int k) {
  return (double)((seed * 31 + inst * 7 + k) % 1000);
}

/* One member's rounds; 0 when every check held, else the failed round + 1
 * and a reason in why. */
static int member(int ntask, int rounds, int parent, char *why, size_t len) {
  int inst = pvm_joingroup(GROUP);
  double red[NRED];
  int all[NALL], gat[4096];
  if (inst < 0) {
    snprintf(why, len, "pvm_joingroup returned %d", inst);
    return -1;
  }
  if (ntask > 4096)
    return -1;
  if (pvm_barrier(GROUP, ntask) < 0) {
    snprintf(why, len, "first barrier failed");
    return -1;
  }
  for (int r = 0; r < rounds; r++) {
    int seed = r * 1000003 % 65521;
    if (inst == 0) {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&seed, 1, 1);
      if (pvm_bcast(GROUP, TAG_BC) < 0) {
        snprintf(why, len, "pvm_bcast failed");
        return r + 1;
      }
    } else {
      int got = -1;
      if (pvm_recv(-1, TAG_BC) < 0 || pvm_upkint(&got, 1, 1) < 0 ||
          got != seed) {
        snprintf(why, len, "round %d: broadcast seed %d, wanted %d", r, got,
                 seed);
        return r + 1;
      }
    }
    for (int k = 0; k < NRED; k++)
      red[k] = red_val(seed, inst, k);
    if (pvm_reduce(PvmSum, red, NRED, PVM_DOUBLE, TAG_RED, GROUP, 0) < 0) {
      snprintf(why, len, "round %d: pvm_reduce failed", r);
      return r + 1;
    }
    if (inst == 0)
      for (int k = 0; k < NRED; k++) {
        double want = 0;
        for (int i = 0; i < ntask; i++)
          want += red_val(seed, i, k);
        if (red[k] != want) {
          snprintf(why, len, "round %d: reduce[%d] = %g, wanted %g", r, k,
                   red[k], want);
          return r + 1;
        }
      }
    for (int k = 0; k < NALL; k++)
      all[k] = (seed + inst * 13 + k) % 5000;
    if (pvmng_allreduce(PvmMax, all, NALL, PVM_INT, GROUP) < 0) {
      snprintf(why, len, "round %d: pvmng_allreduce failed", r);
      return r + 1;
    }
    for (int k = 0; k < NALL; k++) {
      int want = 0;
      for (int i = 0; i < ntask; i++) {
        int v = (seed + i * 13 + k) % 5000;
        want = v > want ? v : want;
      }
      if (all[k] != want) {
        snprintf(why, len, "round %d: allreduce[%d] = %d, wanted %d", r, k,
                 all[k], want);
        return r + 1;
      }
    }
    int mine = seed ^ inst;
    if (pvm_gather(gat, &mine, 1, PVM_INT, TAG_GAT, GROUP, 0) < 0) {
      snprintf(why, len, "round %d: pvm_gather failed", r);
      return r + 1;
    }
    if (inst == 0)
      for (int i = 0; i < ntask; i++)
        if (gat[i] != (seed ^ i)) {
          snprintf(why, len, "round %d: gather[%d] = %d, wanted %d", r, i,
                   gat[i], seed ^ i);
          return r + 1;
        }
    if (pvm_barrier(GROUP, ntask) < 0) {
      snprintf(why, len, "round %d: pvm_barrier failed", r);
      return r + 1;
    }
    if (inst == 0) {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&r, 1, 1);
      pvm_send(parent, TAG_PROG);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  int me = pvm_mytid(), parent;
  if (me < 0)
    return 1;
  parent = pvm_parent();
  if (parent > 0) {
    int cfg[3], rc;
    char why[200] = "";
    if (pvm_recv(parent, TAG_CFG) < 0 || pvm_upkint(cfg, 3, 1) < 0)
      return 1;
    if (cfg[2])
      pvm_setopt(PvmRoute, PvmRouteDirect);
    rc = member(cfg[0], cfg[1], parent, why, sizeof why);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&rc, 1, 1);
    pvm_pkstr(why);
    pvm_send(parent, TAG_DONE);
    pvm_lvgroup(GROUP);
    pvm_exit();
    return rc != 0;
  }
  if (argc < 5) {
    fprintf(stderr, "usage: %s NTASK ROUNDS CMD TIMES [direct]\n", argv[0]);
    pvm_exit();
    return 2;
  }
  int ntask = atoi(argv[1]), rounds = atoi(argv[2]), times = atoi(argv[4]);
  int direct = argc > 5 && strcmp(argv[5], "direct") == 0;
  if (ntask < 2 || ntask > 4096 || rounds < 1 || times < 0) {
    fprintf(stderr, "cl_collreset: bad arguments\n");
    pvm_exit();
    return 2;
  }
  int *tids = calloc((size_t)ntask, sizeof(int));
  char *args[] = {"member", NULL};
  int got =
      tids ? pvm_spawn(argv[0], args, PvmTaskDefault, "", ntask, tids) : -1;
  if (got != ntask) {
    fprintf(stderr, "cl_collreset: %d of %d members started\n", got, ntask);
    pvm_exit();
    return 1;
  }
  int cfg[3] = {ntask, rounds, direct};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(cfg, 3, 1);
  pvm_mcast(tids, ntask, TAG_CFG);
  int done = 0, failed = 0, fired = 0, last = -1;
  while (done < ntask) {
    int bufid = pvm_recv(-1, -1), bytes, tag, src;
    if (bufid < 0) {
      fprintf(stderr, "cl_collreset: pvm_recv returned %d\n", bufid);
      failed = 1;
      break;
    }
    pvm_bufinfo(bufid, &bytes, &tag, &src);
    if (tag == TAG_PROG) {
      int r;
      pvm_upkint(&r, 1, 1);
      if (r != last + 1) {
        fprintf(stderr, "cl_collreset: progress %d after %d\n", r, last);
        failed = 1;
      }
      last = r;
      /* The k-th command once k/(times+1) of the rounds are done. */
      while (fired < times &&
             (long)(r + 1) * (times + 1) >= (long)(fired + 1) * rounds) {
        if (system(argv[3]) != 0)
          fprintf(stderr, "cl_collreset: '%s' failed\n", argv[3]);
        fired++;
      }
    } else if (tag == TAG_DONE) {
      int rc;
      char why[200] = "";
      pvm_upkint(&rc, 1, 1);
      pvm_upkstr(why);
      if (rc != 0) {
        /* The others may now wait for it for ever: end them. */
        fprintf(stderr, "cl_collreset: t%x failed: %s\n", src, why);
        for (int i = 0; i < ntask; i++)
          if (tids[i] != src)
            pvm_kill(tids[i]);
        failed = 1;
        break;
      }
      done++;
    }
  }
  if (!failed && last != rounds - 1) {
    fprintf(stderr, "cl_collreset: %d of %d rounds reported\n", last + 1,
            rounds);
    failed = 1;
  }
  if (!failed)
    printf("cl_collreset: %d members, %d rounds of bcast, reduce, allreduce, "
           "gather and barrier, %d breaks: all correct\n",
           ntask, rounds, fired);
  free(tids);
  pvm_exit();
  return failed;
}
