/* election: leader election in a ring of n tasks, two classic ways.
 *
 *   cr  Chang-Roberts (unidirectional): every task sends its id to the
 *       right; a task forwards ids larger than its own and swallows smaller
 *       ones; the task that gets its own id back is the leader. O(n^2)
 *       messages in the worst case, O(n log n) on average.
 *   hs  Hirschberg-Sinclair (bidirectional): in phase k a candidate probes
 *       2^k hops both ways; a probe meeting a larger id is swallowed, one
 *       that reaches its distance turns back; a candidate whose two probes
 *       both come back goes on to phase k+1. O(n log n) in the worst case.
 *
 * Either way the leader then sends an announcement round the ring. Every
 * task counts what it sent and reports to instance 0, which prints the
 * counts and checks that the leader is the largest id and that all agree.
 *
 *   election [cr|hs] [ntasks [seed]]     default: cr 8 1
 *
 * The ids are a permutation of 100..100+n-1 drawn from the seed; each task
 * computes the whole permutation but uses only its own id in the algorithm
 * (instance 0 also uses the maximum, to check the result). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "spmd.h"

#define GROUP "election"
#define MAXTASKS 64
#define TAG_ELECT 1  /* cr: int id */
#define TAG_OUT 2    /* hs: int id, phase, hops, direction (+1 right) */
#define TAG_IN 3     /* hs: int id, phase, direction */
#define TAG_LEADER 4 /* int leader id, always sent to the right */
#define TAG_REPORT                                                             \
  5 /* to instance 0: leader, am-leader, sent election, sent announce */

struct ring {
  int me, n, id;
  int left, right; /* neighbours' tids */
  int sent_elect, sent_announce;
};

static void send_ints(int tid, int tag, int *v, int cnt) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, cnt, 1);
  pvm_send(tid, tag);
}

/* Chang-Roberts. Returns the leader's id. Links are FIFO, so every
 * election message on a link comes before the announcement: when a task
 * has passed the announcement on, nothing of the election is left for it. */
static int chang_roberts(struct ring *r, int *am_leader) {
  int v[1] = {r->id};

  send_ints(r->right, TAG_ELECT, v, 1);
  r->sent_elect++;
  for (;;) {
    int bufid = pvm_recv(r->left, -1), tag, x;
    pvm_bufinfo(bufid, NULL, &tag, NULL);
    pvm_upkint(&x, 1, 1);
    if (tag == TAG_ELECT) {
      if (x > r->id) { /* a larger id: pass it on */
        send_ints(r->right, TAG_ELECT, &x, 1);
        r->sent_elect++;
      } else if (x == r->id) { /* mine came round: I am the leader */
        *am_leader = 1;
        send_ints(r->right, TAG_LEADER, &x, 1);
        r->sent_announce++;
      } /* a smaller id: swallow it */
    } else if (tag == TAG_LEADER) {
      if (x != r->id) {
        send_ints(r->right, TAG_LEADER, &x, 1);
        r->sent_announce++;
      }
      return x;
    }
  }
}

/* Sends a probe (hs) of id in phase k, at hop d, travelling in dir. */
static void hs_out(struct ring *r, int id, int k, int d, int dir) {
  int v[4] = {id, k, d, dir};
  send_ints(dir > 0 ? r->right : r->left, TAG_OUT, v, 4);
  r->sent_elect++;
}

static void hs_in(struct ring *r, int id, int k, int dir) {
  int v[3] = {id, k, dir};
  send_ints(dir > 0 ? r->right : r->left, TAG_IN, v, 3);
  r->sent_elect++;
}

/* Hirschberg-Sinclair. Returns the leader's id. Unlike Chang-Roberts, a
 * task stops at the announcement while probes of beaten candidates may
 * still be on their way, so the count can differ by a few from run to run. */
static int hirschberg_sinclair(struct ring *r, int *am_leader) {
  int phase = 0, back = 0, round_trips = 0;

  hs_out(r, r->id, 0, 1, +1);
  hs_out(r, r->id, 0, 1, -1);
  for (;;) {
    int bufid = pvm_recv(-1, -1), tag, v[4];
    pvm_bufinfo(bufid, NULL, &tag, NULL);
    if (tag == TAG_OUT) {
      pvm_upkint(v, 4, 1);
      int id = v[0], k = v[1], d = v[2], dir = v[3];
      if (id == r->id) {
        /* My probe went all the way round; wait for both directions so
         * that the counts do not depend on which arrives first. */
        if (++round_trips == 2) {
          *am_leader = 1;
          send_ints(r->right, TAG_LEADER, &r->id, 1);
          r->sent_announce++;
        }
      } else if (id > r->id) {
        if (d < (1 << k))
          hs_out(r, id, k, d + 1, dir); /* onward */
        else
          hs_in(r, id, k, -dir); /* far enough: turn back */
      }                          /* smaller: swallow */
    } else if (tag == TAG_IN) {
      pvm_upkint(v, 3, 1);
      if (v[0] != r->id) {
        hs_in(r, v[0], v[1], v[2]);
      } else if (++back == 2) { /* both probes of this phase came back */
        back = 0;
        phase++;
        hs_out(r, r->id, phase, 1, +1);
        hs_out(r, r->id, phase, 1, -1);
      }
    } else if (tag == TAG_LEADER) {
      pvm_upkint(v, 1, 1);
      if (v[0] != r->id) {
        send_ints(r->right, TAG_LEADER, v, 1);
        r->sent_announce++;
      }
      return v[0];
    }
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "cr";
  int n = argc > 2 ? atoi(argv[2]) : 8;
  unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
  int tids[MAXTASKS], ids[MAXTASKS], hs = strcmp(mode, "hs") == 0;

  if ((!hs && strcmp(mode, "cr") != 0) || n < 2 || n > MAXTASKS) {
    fprintf(stderr, "usage: election [cr|hs] [ntasks 2..%d [seed]]\n",
            MAXTASKS);
    return 2;
  }
  /* The same permutation of 100..100+n-1 in every task. */
  for (int i = 0; i < n; i++)
    ids[i] = 100 + i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(spmd_rand(&seed) % (unsigned)(i + 1)), t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }

  int me = spmd_start(GROUP, n, argv, tids);
  if (me < 0) {
    pvm_exit();
    return 1;
  }
  struct ring r = {me, n, ids[me], tids[(me + n - 1) % n], tids[(me + 1) % n],
                   0,  0};
  int am_leader = 0;
  int leader =
      hs ? hirschberg_sinclair(&r, &am_leader) : chang_roberts(&r, &am_leader);

  /* Everyone has decided; only now may reports travel (they would
   * otherwise mix with the election's messages). */
  pvm_barrier(GROUP, n);
  int rep[4] = {leader, am_leader, r.sent_elect, r.sent_announce};
  int ok = 1;
  if (me != 0) {
    send_ints(tids[0], TAG_REPORT, rep, 4);
  } else {
    int max = 0, total_elect = 0, total_announce = 0, leaders = 0;
    for (int i = 0; i < n; i++)
      if (ids[i] > max)
        max = ids[i];
    printf("election: %s on a ring of %d tasks; ids in ring order:", mode, n);
    for (int i = 0; i < n; i++)
      printf(" %d", ids[i]);
    printf("\n");
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        pvm_recv(tids[i], TAG_REPORT);
        pvm_upkint(rep, 4, 1);
      }
      printf("  task %2d (t%x) id %d: leader %d%s, sent %d election + %d "
             "announcement\n",
             i, tids[i], ids[i], rep[0], rep[1] ? " (me)" : "", rep[2], rep[3]);
      if (rep[0] != max || (rep[1] != 0) != (ids[i] == max))
        ok = 0;
      leaders += rep[1];
      total_elect += rep[2];
      total_announce += rep[3];
    }
    if (leaders != 1)
      ok = 0;
    printf("election: %s n=%d messages: %d election + %d announcement = %d\n",
           mode, n, total_elect, total_announce, total_elect + total_announce);
    if (ok)
      printf("election: %s, %d tasks agree on leader %d, the largest id: OK\n",
             mode, n, max);
    else
      printf("election: %s, %d tasks: leader is not the largest id (%d) "
             "everywhere: WRONG\n",
             mode, n, max);
  }
  spmd_end(GROUP, n);
  return ok ? 0 : 1;
}
