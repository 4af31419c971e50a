/* tokens: two classic algorithms that watch a running distributed
 * computation from the inside.
 *
 *   ds        Dijkstra-Scholten termination detection. Instance 0 starts a
 *             diffusing computation: WORK messages, each of which may make
 *             its receiver send more WORK (up to a depth). When are they
 *             all done? Every WORK message is acknowledged, but a task
 *             that was idle when WORK arrived makes the sender its parent
 *             and keeps that acknowledgement back until all the WORK it
 *             sent has been acknowledged itself. The tasks with a parent
 *             form a tree rooted at instance 0; it shrinks from the leaves,
 *             and when instance 0's last acknowledgement is in, nothing is
 *             running and nothing is in flight.
 *   snapshot  Chandy-Lamport snapshot of a token system. Every task holds
 *             `tokens` tokens and passes random amounts to random tasks;
 *             the total never changes. Meanwhile instance 0 records its
 *             state and sends a MARKER on every channel; a task that sees
 *             its first MARKER records its own state and sends markers
 *             too, then records what arrives on each other channel until
 *             that channel's MARKER. The recorded states plus the recorded
 *             channels must add up to the total, although no one stopped.
 *
 * Instance 0 prints the message counts and checks: for ds, that when it
 * detected termination every WORK sent had been received and every task
 * was idle; for snapshot, that the snapshot holds exactly n * tokens.
 *
 *   tokens [ds|snapshot] [ntasks [depth|transfers [seed]]]
 *                     default: ds 8 4 1; snapshot: 20 transfers per task */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvm3.h"
#include "spmd.h"

#define GROUP "tokens"
#define MAXTASKS 64
#define TOKENS 100
#define TAG_WORK 1   /* ds: int depth left, int seed */
#define TAG_ACK 2    /* ds: acknowledges one WORK */
#define TAG_STOP 3   /* from instance 0 once it detected termination */
#define TAG_TOKENS 4 /* snapshot: int amount */
#define TAG_MARKER 5 /* snapshot */
#define TAG_DONE 6   /* snapshot: the sender has made all its transfers */
#define TAG_REPORT 7 /* to instance 0 at the end */

static int index_of(int tid, const int *tids, int n) {
  for (int i = 0; i < n; i++)
    if (tids[i] == tid)
      return i;
  return -1;
}

/* ---- Dijkstra-Scholten ------------------------------------------------ */

struct ds {
  int me, n, *tids;
  int parent;  /* tid of the task whose WORK engaged me; 0 when idle */
  int deficit; /* my WORK messages not yet acknowledged */
  int work_sent, work_rcvd, acks_sent;
};

static void send_work(struct ds *d, unsigned long long *rng, int depth) {
  int to = (d->me + 1 + (int)(spmd_rand(rng) % (unsigned)(d->n - 1))) % d->n;
  int v[2] = {depth, (int)(spmd_rand(rng) & 0x7fffffff)};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 2, 1);
  pvm_send(d->tids[to], TAG_WORK);
  d->deficit++;
  d->work_sent++;
}

static void send_ack(struct ds *d, int to) {
  pvm_initsend(PvmDataDefault);
  pvm_send(to, TAG_ACK);
  d->acks_sent++;
}

/* The work a WORK message stands for: with depth left, send one or two
 * WORK messages on, each to a task the message's seed picks. */
static void do_work(struct ds *d, int depth, int seed) {
  unsigned long long rng = (unsigned long long)seed;
  usleep(2000); /* the work takes a moment: a premature detection shows */
  if (depth > 0) {
    int children = 1 + (int)(spmd_rand(&rng) % 2);
    for (int c = 0; c < children; c++)
      send_work(d, &rng, depth - 1);
  }
}

/* Runs until termination (instance 0) or STOP (the others). */
static void dijkstra_scholten(struct ds *d, int depth,
                              unsigned long long seed) {
  if (d->me == 0) { /* the root: start one WORK on its way to every task */
    unsigned long long rng = seed;
    for (int i = 1; i < d->n; i++) {
      int v[2] = {depth, (int)(spmd_rand(&rng) & 0x7fffffff)};
      pvm_initsend(PvmDataDefault);
      pvm_pkint(v, 2, 1);
      pvm_send(d->tids[i], TAG_WORK);
      d->deficit++;
      d->work_sent++;
    }
  }
  for (;;) {
    if (d->me == 0 && d->deficit == 0)
      return; /* every WORK acknowledged: the computation has terminated */
    int bufid = pvm_recv(-1, -1), tag, src, v[2];
    pvm_bufinfo(bufid, NULL, &tag, &src);
    if (tag == TAG_STOP)
      return;
    if (tag == TAG_WORK) {
      pvm_upkint(v, 2, 1);
      d->work_rcvd++;
      if (d->me != 0 && d->parent == 0)
        d->parent = src; /* engaged: the sender is my parent */
      else
        send_ack(d, src); /* already engaged: acknowledge at once */
      do_work(d, v[0], v[1]);
    } else if (tag == TAG_ACK) {
      d->deficit--;
    }
    /* Idle again with nothing outstanding: release the parent. */
    if (d->me != 0 && d->parent != 0 && d->deficit == 0) {
      send_ack(d, d->parent);
      d->parent = 0;
    }
  }
}

static int run_ds(int me, int n, int *tids, int depth,
                  unsigned long long seed) {
  struct ds d = {me, n, tids, 0, 0, 0, 0, 0};
  dijkstra_scholten(&d, depth, seed);
  int rep[5] = {d.work_sent, d.work_rcvd, d.acks_sent, d.parent != 0,
                d.deficit};
  if (me != 0) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(rep, 5, 1);
    pvm_send(tids[0], TAG_REPORT);
    return 1;
  }
  /* Termination detected. Stop the others; each reports its counts. */
  printf("tokens: ds, %d tasks: instance 0 detected termination\n", n);
  pvm_initsend(PvmDataDefault);
  pvm_mcast(tids + 1, n - 1, TAG_STOP);
  int sent = rep[0], rcvd = rep[1], acks = rep[2], busy = 0;
  for (int i = 1; i < n; i++) {
    pvm_recv(tids[i], TAG_REPORT);
    pvm_upkint(rep, 5, 1);
    printf("  task %2d: WORK sent %d, received %d; acks sent %d%s\n", i, rep[0],
           rep[1], rep[2], rep[3] || rep[4] ? " STILL BUSY" : "");
    sent += rep[0];
    rcvd += rep[1];
    acks += rep[2];
    busy += rep[3] || rep[4];
  }
  printf("tokens: ds n=%d messages: %d WORK + %d acknowledgements = %d (+ %d "
         "STOP)\n",
         n, sent, acks, sent + acks, n - 1);
  int ok = sent == rcvd && acks == sent && busy == 0;
  printf("tokens: ds, %d tasks: at detection all %d WORK were received and "
         "acknowledged, no task busy: %s\n",
         n, sent, ok ? "OK" : "WRONG");
  return ok;
}

/* ---- Chandy-Lamport --------------------------------------------------- */

struct cl {
  int me, n, *tids;
  int tokens;
  int recorded;          /* my state has been recorded */
  int state;             /* ... as this many tokens */
  int marker[MAXTASKS];  /* MARKER seen on the channel from task i */
  int markers_in;        /* how many */
  int channel[MAXTASKS]; /* tokens recorded in flight from task i */
  int done_in;           /* DONE seen from this many tasks */
  int transfers, markers_sent;
};

/* Records my state and sends a MARKER on every outgoing channel. */
static void record_state(struct cl *c) {
  c->recorded = 1;
  c->state = c->tokens;
  pvm_initsend(PvmDataDefault);
  for (int i = 0; i < c->n; i++)
    if (i != c->me) {
      pvm_send(c->tids[i], TAG_MARKER);
      c->markers_sent++;
    }
}

static void cl_receive(struct cl *c, int bufid) {
  int tag, src, amount;
  pvm_bufinfo(bufid, NULL, &tag, &src);
  int from = index_of(src, c->tids, c->n);
  if (from < 0)
    return;
  if (tag == TAG_TOKENS) {
    pvm_upkint(&amount, 1, 1);
    c->tokens += amount;
    /* Between my recording and this channel's marker: it was in flight. */
    if (c->recorded && !c->marker[from])
      c->channel[from] += amount;
  } else if (tag == TAG_MARKER) {
    if (!c->recorded)
      record_state(c); /* the channel from `from` is recorded empty */
    c->marker[from] = 1;
    c->markers_in++;
  } else if (tag == TAG_DONE) {
    c->done_in++;
  }
}

static int run_snapshot(int me, int n, int *tids, int transfers,
                        unsigned long long seed) {
  struct cl c;
  memset(&c, 0, sizeof c);
  c.me = me;
  c.n = n;
  c.tids = tids;
  c.tokens = TOKENS;
  unsigned long long rng = seed + 7919ULL * (unsigned long long)me;

  for (int t = 0; t < transfers; t++) {
    if (me == 0 && t == transfers / 2)
      record_state(&c); /* start the snapshot half way through */
    if (c.tokens > 0) {
      int amount = 1 + (int)(spmd_rand(&rng) %
                             (unsigned)(c.tokens < 10 ? c.tokens : 10));
      int to = (me + 1 + (int)(spmd_rand(&rng) % (unsigned)(n - 1))) % n;
      c.tokens -= amount;
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&amount, 1, 1);
      pvm_send(tids[to], TAG_TOKENS);
      c.transfers++;
    }
    int bufid;
    while ((bufid = pvm_nrecv(-1, -1)) > 0)
      cl_receive(&c, bufid);
    usleep(1000); /* let transfers overlap the snapshot */
  }
  /* All my transfers are out; DONE follows them on every channel. */
  pvm_initsend(PvmDataDefault);
  for (int i = 0; i < n; i++)
    if (i != me)
      pvm_send(tids[i], TAG_DONE);
  while (c.done_in < n - 1 || c.markers_in < n - 1)
    cl_receive(&c, pvm_recv(-1, -1));

  int inflight = 0;
  for (int i = 0; i < n; i++)
    inflight += c.channel[i];
  int rep[5] = {c.state, inflight, c.tokens, c.transfers, c.markers_sent};
  if (me != 0) {
    pvm_barrier(GROUP, n); /* reports only after everyone's last receive */
    pvm_initsend(PvmDataDefault);
    pvm_pkint(rep, 5, 1);
    pvm_send(tids[0], TAG_REPORT);
    return 1;
  }
  pvm_barrier(GROUP, n);
  int snap = rep[0] + rep[1], final = rep[2], moves = rep[3], markers = rep[4];
  printf("tokens: snapshot, %d tasks of %d tokens each\n", n, TOKENS);
  printf(
      "  task %2d: recorded %d tokens held, %d in flight to it; now holds %d\n",
      0, rep[0], rep[1], rep[2]);
  for (int i = 1; i < n; i++) {
    pvm_recv(tids[i], TAG_REPORT);
    pvm_upkint(rep, 5, 1);
    printf("  task %2d: recorded %d tokens held, %d in flight to it; now holds "
           "%d\n",
           i, rep[0], rep[1], rep[2]);
    snap += rep[0] + rep[1];
    final += rep[2];
    moves += rep[3];
    markers += rep[4];
  }
  printf("tokens: snapshot n=%d messages: %d transfers + %d markers\n", n,
         moves, markers);
  int ok = snap == n * TOKENS && final == n * TOKENS;
  printf(
      "tokens: snapshot, %d tasks: snapshot holds %d tokens, the invariant %d: "
      "%s\n",
      n, snap, n * TOKENS, ok ? "OK" : "WRONG");
  return ok;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "ds";
  int is_ds = strcmp(mode, "ds") == 0;
  int n = argc > 2 ? atoi(argv[2]) : 8;
  int param = argc > 3 ? atoi(argv[3]) : (is_ds ? 4 : 20);
  unsigned long long seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  int tids[MAXTASKS];

  if ((!is_ds && strcmp(mode, "snapshot") != 0) || n < 2 || n > MAXTASKS ||
      param < 0 || param > (is_ds ? 12 : 10000)) {
    fprintf(stderr,
            "usage: tokens [ds|snapshot] [ntasks 2..%d [depth 0..12 | "
            "transfers [seed]]]\n",
            MAXTASKS);
    return 2;
  }
  int me = spmd_start(GROUP, n, argv, tids);
  if (me < 0) {
    pvm_exit();
    return 1;
  }
  int ok = is_ds ? run_ds(me, n, tids, param, seed)
                 : run_snapshot(me, n, tids, param, seed);
  spmd_end(GROUP, n);
  return ok ? 0 : 1;
}
