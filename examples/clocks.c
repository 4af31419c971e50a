/* clocks: Lamport clocks and vector clocks, stamped on every event of a
 * small random exchange of messages, and a check of what they promise.
 *
 * Each of n tasks does some local events and sends k messages to tasks
 * picked at random, receiving whatever arrives in between. Every event
 * gets a Lamport clock L (an integer: +1 per event; on a receive, first
 * max(mine, the message's)) and a vector clock V (one entry per task: own
 * entry +1 per event; on a receive, first the element-wise max).
 *
 * At the end instance 0 collects every task's log and prints it, one line
 * per event, then works out happened-before itself from the logs (program
 * order plus send -> receive, closed transitively) and checks, for every
 * pair of events e, f:
 *   e -> f  implies  L(e) < L(f)       (the clock condition)
 *   e -> f  if and only if  V(e) < V(f)  (vector clocks capture causality)
 * and counts the concurrent pairs that Lamport clocks order anyway.
 *
 *   clocks [ntasks [messages per task [seed]]]     default: 4 4 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "spmd.h"

#define GROUP "clocks"
#define MAXTASKS 16
#define MAXMSG 32
#define MAXEV (3 * MAXMSG * MAXTASKS) /* a task's events, at most */
#define TAG_MSG 1                     /* int msg id, L, V[n] */
#define TAG_LOG 2 /* to instance 0: int count, then the events */

enum { LOCAL, SEND, RECV };

struct event {
  int kind, peer, msg; /* msg: sender * MAXMSG + its sequence number */
  int L, V[MAXTASKS];
};
#define EVINTS (4 + MAXTASKS) /* ints per event when packed */

struct clocks {
  int me, n, L, V[MAXTASKS];
  int nev;
  struct event ev[MAXEV];
};

/* Records an event with the clocks as they are after it. */
static void record(struct clocks *c, int kind, int peer, int msg) {
  struct event *e = &c->ev[c->nev++];
  e->kind = kind;
  e->peer = peer;
  e->msg = msg;
  e->L = c->L;
  memcpy(e->V, c->V, sizeof c->V);
}

static void tick(struct clocks *c) {
  c->L++;
  c->V[c->me]++;
}

static void receive_one(struct clocks *c, int bufid) {
  int msg, L, V[MAXTASKS], src;
  pvm_bufinfo(bufid, NULL, NULL, &src);
  pvm_upkint(&msg, 1, 1);
  pvm_upkint(&L, 1, 1);
  pvm_upkint(V, c->n, 1);
  if (L > c->L)
    c->L = L;
  for (int i = 0; i < c->n; i++)
    if (V[i] > c->V[i])
      c->V[i] = V[i];
  tick(c);
  record(c, RECV, msg / MAXMSG, msg);
}

/* V(a) < V(b): no entry larger, and the two differ. */
static int vless(const int *a, const int *b, int n) {
  int differ = 0;
  for (int i = 0; i < n; i++) {
    if (a[i] > b[i])
      return 0;
    differ |= a[i] != b[i];
  }
  return differ;
}

/* Instance 0: print every event, then check the clocks against the
 * happened-before relation rebuilt from the logs. Returns 1 when it holds. */
static int check(struct event *all, int total, const int *first, int n) {
  static const char *kinds[] = {"local", "send ", "recv "};
  char *hb = spmd_zalloc((size_t)total * (size_t)total);
  int ok = 1, causal = 0, concurrent = 0, lamport_ordered = 0;

  for (int t = 0; t < n; t++)
    for (int e = first[t]; e < first[t + 1]; e++) {
      struct event *x = &all[e];
      printf("  task %d: %s", t, kinds[x->kind]);
      if (x->kind == SEND)
        printf(" m%d.%d to %d  ", x->msg / MAXMSG, x->msg % MAXMSG, x->peer);
      else if (x->kind == RECV)
        printf(" m%d.%d from %d", x->msg / MAXMSG, x->msg % MAXMSG, x->peer);
      else
        printf("            ");
      printf("  L=%-3d V=[", x->L);
      for (int i = 0; i < n; i++)
        printf(i ? " %d" : "%d", x->V[i]);
      printf("]\n");
      if (e + 1 < first[t + 1]) /* program order */
        hb[(long)e * total + e + 1] = 1;
      if (x->kind == RECV) /* the send of the same message comes before */
        for (int s = 0; s < total; s++)
          if (all[s].kind == SEND && all[s].msg == x->msg)
            hb[(long)s * total + e] = 1;
    }
  /* Transitive closure (Warshall). */
  for (int k = 0; k < total; k++)
    for (int i = 0; i < total; i++)
      if (hb[(long)i * total + k])
        for (int j = 0; j < total; j++)
          if (hb[(long)k * total + j])
            hb[(long)i * total + j] = 1;
  for (int i = 0; i < total; i++)
    for (int j = 0; j < total; j++) {
      if (i == j)
        continue;
      int before = hb[(long)i * total + j];
      if (before) {
        causal++;
        if (all[i].L >= all[j].L) {
          printf("clocks: event %d -> %d but L %d >= %d\n", i, j, all[i].L,
                 all[j].L);
          ok = 0;
        }
      } else if (i < j && !hb[(long)j * total + i]) {
        concurrent++; /* each unordered pair once */
        lamport_ordered += all[i].L != all[j].L;
      }
      if (before != vless(all[i].V, all[j].V, n)) {
        printf("clocks: event %d, %d: happened-before %d but V-less %d\n", i, j,
               before, !before);
        ok = 0;
      }
    }
  printf("clocks: %d events, %d pairs with e -> f, %d concurrent pairs, of "
         "which Lamport clocks still order %d (L alone cannot tell)\n",
         total, causal, concurrent, lamport_ordered);
  free(hb);
  return ok;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4, k = argc > 2 ? atoi(argv[2]) : 4;
  unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
  int tids[MAXTASKS], dest[MAXTASKS][MAXMSG];

  if (n < 2 || n > MAXTASKS || k < 1 || k > MAXMSG) {
    fprintf(stderr,
            "usage: clocks [ntasks 2..%d [messages per task 1..%d [seed]]]\n",
            MAXTASKS, MAXMSG);
    return 2;
  }
  /* Who sends to whom, the same in every task: so each knows how many
   * messages it will receive. */
  for (int i = 0; i < n; i++)
    for (int s = 0; s < k; s++)
      dest[i][s] = (i + 1 + (int)(spmd_rand(&seed) % (unsigned)(n - 1))) % n;
  int me = spmd_start(GROUP, n, argv, tids);
  if (me < 0) {
    pvm_exit();
    return 1;
  }
  static struct clocks c;
  c.me = me;
  c.n = n;
  int expect = 0, got = 0;
  for (int i = 0; i < n; i++)
    for (int s = 0; s < k; s++)
      expect += dest[i][s] == me;
  unsigned long long local = seed + (unsigned long long)me * 7919;

  for (int s = 0; s < k; s++) {
    if (spmd_rand(&local) % 2) { /* now and then a local event */
      tick(&c);
      record(&c, LOCAL, -1, -1);
    }
    int msg = me * MAXMSG + s;
    tick(&c);
    record(&c, SEND, dest[me][s], msg);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&msg, 1, 1);
    pvm_pkint(&c.L, 1, 1);
    pvm_pkint(c.V, n, 1);
    pvm_send(tids[dest[me][s]], TAG_MSG);
    int bufid; /* take whatever has arrived, without waiting */
    while (got < expect && (bufid = pvm_nrecv(-1, TAG_MSG)) > 0) {
      receive_one(&c, bufid);
      got++;
    }
  }
  while (got < expect) {
    receive_one(&c, pvm_recv(-1, TAG_MSG));
    got++;
  }

  int ok = 1;
  if (me != 0) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&c.nev, 1, 1);
    pvm_pkint((int *)c.ev, c.nev * EVINTS, 1);
    pvm_send(tids[0], TAG_LOG);
  } else {
    static struct event all[MAXEV * MAXTASKS];
    int first[MAXTASKS + 1], total = c.nev;
    memcpy(all, c.ev, sizeof(struct event) * (size_t)c.nev);
    first[0] = 0;
    first[1] = c.nev;
    for (int t = 1; t < n; t++) {
      int cnt;
      pvm_recv(tids[t], TAG_LOG);
      pvm_upkint(&cnt, 1, 1);
      if (cnt < 0 || cnt > MAXEV) {
        ok = 0;
        cnt = 0;
      }
      pvm_upkint((int *)(all + total), cnt * EVINTS, 1);
      total += cnt;
      first[t + 1] = total;
    }
    printf("clocks: %d tasks, %d messages each; every event with its Lamport "
           "clock L and vector clock V:\n",
           n, k);
    ok = check(all, total, first, n) && ok;
    printf("clocks: %d tasks, %d messages: e->f implies L(e)<L(f), e->f iff "
           "V(e)<V(f): %s\n",
           n, n * k, ok ? "OK" : "WRONG");
  }
  spmd_end(GROUP, n);
  return ok ? 0 : 1;
}
