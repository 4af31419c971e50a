/* cl_alltoall: the load row of the test plan. N tasks (spawned with
 * PvmTaskDefault, so over several hosts they spread) each send M messages
 * to every other task, of mixed sizes (mostly a few bytes, some of 1 KiB,
 * 16 KiB and 64 KiB), and receive as many, on the default route. Every
 * message carries (source, destination, sequence number, length) and a
 * body computed from them; each receiver checks, per source, that the
 * sequence numbers come exactly once and in order, and that every body is
 * intact. The parent gathers the counts and says whether anything was lost,
 * duplicated, reordered or corrupted, and how long it took.
 * Usage: cl_alltoall NTASKS MSGS_PER_PAIR */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvm3.h"
#include "pvmtest.h"

#define TAG_START 11
#define TAG_DATA 12
#define TAG_DONE 13
#define MAXT 64
#define BATCH 64 /* messages sent between two drains of the receive queue */

/* The size of message seq from src to dst: a fixed mix, the same on both
 * ends. */
static int msg_len(int src, int dst, int seq) {
  uint32_t h = (uint32_t)src * 2654435761u ^ (uint32_t)dst * 40503u ^
               (uint32_t)seq * 2246822519u;
  h ^= h >> 15;
  h %= 1000;
  if (h < 5)
    return 65536;
  if (h < 40)
    return 16384;
  if (h < 240)
    return 1024;
  return (int)(h % 61);
}

static unsigned char body_byte(int src, int seq, int i) {
  return (unsigned char)(src * 31 + seq * 7 + i * 13);
}

static unsigned char buf[65536];

static void fill(int src, int seq, int len) {
  for (int i = 0; i < len; i++)
    buf[i] = body_byte(src, seq, i);
}

struct state {
  int me, n, m;
  int tids[MAXT];
  int next_seq[MAXT]; /* per source rank: the next sequence number due */
  long got, bad_order, bad_body, bad_len;
};

static int rank_of(const struct state *s, int tid) {
  for (int i = 0; i < s->n; i++)
    if (s->tids[i] == tid)
      return i;
  return -1;
}

/* Checks one received message (the active receive buffer). */
static void check_one(struct state *s) {
  int hdr[4], src;
  pvm_upkint(hdr, 4, 1);
  src = hdr[0];
  if (src < 0 || src >= s->n || hdr[1] != s->me) {
    s->bad_body++;
    return;
  }
  if (hdr[2] != s->next_seq[src])
    s->bad_order++;
  s->next_seq[src] = hdr[2] + 1;
  if (hdr[3] != msg_len(src, s->me, hdr[2])) {
    s->bad_len++;
    return;
  }
  if (hdr[3] > 0) {
    pvm_upkbyte((char *)buf, hdr[3], 1);
    for (int i = 0; i < hdr[3]; i++)
      if (buf[i] != body_byte(src, hdr[2], i)) {
        s->bad_body++;
        break;
      }
  }
  s->got++;
}

/* Takes what has come (block: waits up to 60 s for one message). Returns
 * 0, or -1 when a blocking wait timed out (something is lost). */
static int drain(struct state *s, int block) {
  struct timeval tmo = {60, 0};
  int b;
  while ((b = block ? pvm_trecv(-1, TAG_DATA, &tmo) : pvm_nrecv(-1, TAG_DATA)) >
         0) {
    check_one(s);
    pvm_freebuf(b);
    if (block)
      return 0;
  }
  return block ? -1 : 0;
}

static int child(void) {
  struct state s;
  int parent = pvm_parent();
  long expect, sent = 0;
  memset(&s, 0, sizeof s);
  pvm_recv(parent, TAG_START);
  pvm_upkint(&s.n, 1, 1);
  pvm_upkint(&s.m, 1, 1);
  pvm_upkint(s.tids, s.n, 1);
  s.me = rank_of(&s, pvm_mytid());
  expect = (long)(s.n - 1) * s.m;
  double t0 = pvmt_now();
  for (int seq = 0; seq < s.m; seq++) {
    for (int k = 1; k < s.n; k++) {
      int dst = (s.me + k) % s.n, len = msg_len(s.me, dst, seq);
      int hdr[4] = {s.me, dst, seq, len};
      pvm_initsend(PvmDataRaw);
      pvm_pkint(hdr, 4, 1);
      if (len > 0) {
        fill(s.me, seq, len);
        pvm_pkbyte((char *)buf, len, 1);
      }
      if (pvm_send(s.tids[dst], TAG_DATA) < 0) {
        fprintf(stderr, "cl_alltoall: send failed\n");
        return 1;
      }
      if (++sent % BATCH == 0)
        drain(&s, 0);
    }
  }
  while (s.got + s.bad_len < expect)
    if (drain(&s, 1) < 0) {
      fprintf(stderr, "cl_alltoall: t%x waited 60 s with %ld of %ld\n",
              pvm_mytid(), s.got, expect);
      break;
    }
  long r[6] = {s.got,     s.bad_order, s.bad_body,
               s.bad_len, sent,        (long)((pvmt_now() - t0) * 1000)};
  pvm_initsend(PvmDataDefault);
  pvm_pklong(r, 6, 1);
  pvm_send(parent, TAG_DONE);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  struct pvmhostinfo *hi;
  int n, m, nhost, narch, hosts[MAXT], nh = 0;
  int tids[MAXT];
  char self[4096];

  if (pvm_parent() > 0)
    return child();
  if (argc < 3 || (n = atoi(argv[1])) < 2 || n > MAXT ||
      (m = atoi(argv[2])) < 1) {
    fprintf(stderr, "usage: cl_alltoall NTASKS MSGS_PER_PAIR\n");
    return 2;
  }
  if (pvmt_self_path(self, sizeof self) != 0)
    return 2;
  if (pvm_mytid() < 0 || pvm_config(&nhost, &narch, &hi) < 0)
    return 1;
  if (pvm_spawn(self, NULL, PvmTaskDefault, "", n, tids) != n) {
    fprintf(stderr, "cl_alltoall: spawn of %d tasks failed\n", n);
    pvm_exit();
    return 1;
  }
  for (int i = 0; i < n; i++) {
    int h = pvm_tidtohost(tids[i]), seen = 0;
    for (int j = 0; j < nh; j++)
      seen |= hosts[j] == h;
    if (!seen)
      hosts[nh++] = h;
  }
  double t0 = pvmt_now();
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&n, 1, 1);
  pvm_pkint(&m, 1, 1);
  pvm_pkint(tids, n, 1);
  pvm_mcast(tids, n, TAG_START);
  long got = 0, order = 0, body = 0, len = 0, sent = 0, slowest = 0;
  for (int i = 0; i < n; i++) {
    long r[6];
    if (pvm_recv(-1, TAG_DONE) < 0)
      return 1;
    pvm_upklong(r, 6, 1);
    got += r[0];
    order += r[1];
    body += r[2];
    len += r[3];
    sent += r[4];
    if (r[5] > slowest)
      slowest = r[5];
  }
  double secs = pvmt_now() - t0;
  long want = (long)n * (n - 1) * m;
  printf("cl_alltoall: %d tasks on %d host(s), %ld messages sent, %ld "
         "received intact in order of %ld; out of order %ld, bad body %ld, "
         "bad length %ld; %.1f s (%.0f messages/s)\n",
         n, nh, sent, got, want, order, body, len, secs, (double)got / secs);
  pvm_exit();
  if (sent != want || got != want || order || body || len) {
    printf("cl_alltoall: FAIL\n");
    return 1;
  }
  printf("cl_alltoall: OK\n");
  return 0;
}
