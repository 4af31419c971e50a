/* Ping-pong between two PVM tasks: round-trip time and bandwidth over a
 * sweep of message sizes, each figure the median of several repetitions.
 * Written against the PVM 3 API only: the same source builds against
 * PVM-NG and PVM 3.4.6.
 *
 *   pingpong [-s min] [-S max] [-n iters] [-R reps] [-r] [-p] [-w] [-H host]
 *     -s/-S  smallest and largest size in bytes (default 4 and 4); sizes
 *            go up by factors of 4 from min, and max is always measured
 *     -n     most round trips per repetition (default 2000; fewer for large
 *            sizes, about 64 MiB each way per repetition)
 *     -R     repetitions per size (default 5); the median is printed
 *     -r     direct routes (pvm_setopt(PvmRoute, PvmRouteDirect)) on both
 *            tasks; without it the messages take the default route
 *     -p     pvm_psend/pvm_precv instead of pack, pvm_send and pvm_recv
 *     -w     PvmDataRaw with pvm_pkbyte/pvm_upkbyte (how most programs
 *            send) instead of PvmDataInPlace
 *     -H     spawn the echo task on that host (PvmTaskHost)
 *
 * Prints one line per size:
 *   "size <bytes> iters <n> reps <r> rtt_us <median> bw_MBps <b>"
 * where bw is 2 * size / rtt (bytes carried per second each way). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "pvm3.h"

#define TAG_PING 11
#define TAG_PONG 12
#define TAG_SETUP 13

#define FLAG_DIRECT 1
#define FLAG_PSEND 2
#define FLAG_RAW 4 /* PvmDataRaw (the bytes copied at pack) */

static int send_bytes(int peer, int tag, char *buf, int size, int psend) {
  if (psend & FLAG_RAW) {
    if (pvm_initsend(PvmDataRaw) < 0 || pvm_pkbyte(buf, size, 1) < 0)
      return -1;
    return pvm_send(peer, tag);
  }
  if (psend)
    return pvm_psend(peer, tag, buf, size, PVM_BYTE);
  if (pvm_initsend(PvmDataInPlace) < 0)
    return -1;
  if (pvm_pkbyte(buf, size, 1) < 0)
    return -1;
  return pvm_send(peer, tag);
}

static int recv_bytes(int peer, int tag, char *buf, int size, int psend) {
  if (psend & FLAG_PSEND) {
    int rt, rg, rc;
    return pvm_precv(peer, tag, buf, size, PVM_BYTE, &rt, &rg, &rc);
  }
  if (pvm_recv(peer, tag) < 0)
    return -1;
  return pvm_upkbyte(buf, size, 1);
}

/* Child role: per setup message {size, count, flags} echo count messages
 * of size bytes back to the parent; a count of 0 ends the loop. */
static int echo_loop(void) {
  int parent = pvm_parent();
  int cfg[3], direct_set = 0;
  char *buf = NULL;
  for (;;) {
    if (pvm_recv(parent, TAG_SETUP) < 0 || pvm_upkint(cfg, 3, 1) < 0)
      break;
    if (cfg[1] <= 0) {
      free(buf);
      return 0;
    }
    if ((cfg[2] & FLAG_DIRECT) && !direct_set) {
      pvm_setopt(PvmRoute, PvmRouteDirect);
      direct_set = 1;
    }
    free(buf);
    buf = malloc((size_t)cfg[0] + 1);
    if (!buf)
      break;
    for (int i = 0; i < cfg[1]; i++) {
      int how = cfg[2] & (FLAG_PSEND | FLAG_RAW);
      if (recv_bytes(parent, TAG_PING, buf, cfg[0], how) < 0 ||
          send_bytes(parent, TAG_PONG, buf, cfg[0], how) < 0) {
        free(buf);
        return 1;
      }
    }
  }
  free(buf);
  return 1;
}

static int send_setup(int child, int size, int count, int flags) {
  int cfg[3] = {size, count, flags};
  if (pvm_initsend(PvmDataDefault) < 0 || pvm_pkint(cfg, 3, 1) < 0)
    return -1;
  return pvm_send(child, TAG_SETUP);
}

/* Measures one size: returns 0 and the median round trip in *rtt. */
static int measure(int child, int size, int iters, int reps, int flags,
                   double *rtt) {
  int warm = iters / 10 + 2, psend = flags & (FLAG_PSEND | FLAG_RAW);
  double *t = calloc((size_t)reps, sizeof(*t));
  char *buf = calloc((size_t)size + 1, 1);
  int rc = -1;
  if (!t || !buf)
    goto out;
  if (send_setup(child, size, warm + iters * reps, flags) < 0)
    goto out;
  for (int i = 0; i < warm; i++)
    if (send_bytes(child, TAG_PING, buf, size, psend) < 0 ||
        recv_bytes(child, TAG_PONG, buf, size, psend) < 0)
      goto out;
  for (int r = 0; r < reps; r++) {
    double t0 = bench_now();
    for (int i = 0; i < iters; i++)
      if (send_bytes(child, TAG_PING, buf, size, psend) < 0 ||
          recv_bytes(child, TAG_PONG, buf, size, psend) < 0)
        goto out;
    t[r] = (bench_now() - t0) / iters;
  }
  *rtt = bench_median(t, reps);
  rc = 0;
out:
  free(t);
  free(buf);
  return rc;
}

int main(int argc, char **argv) {
  int smin = 4, smax = 4, max_iters = 2000, reps = 5, flags = 0, opt, child;
  char self[4096];
  char *cargv[] = {"echo", NULL};
  char *where = "";

  while ((opt = getopt(argc, argv, "s:S:n:R:rpwH:")) != -1) {
    switch (opt) {
    case 'H': /* the echo task's host */
      where = optarg;
      break;
    case 's':
      smin = atoi(optarg);
      break;
    case 'S':
      smax = atoi(optarg);
      break;
    case 'n':
      max_iters = atoi(optarg);
      break;
    case 'R':
      reps = atoi(optarg);
      break;
    case 'r':
      flags |= FLAG_DIRECT;
      break;
    case 'p':
      flags |= FLAG_PSEND;
      break;
    case 'w':
      flags |= FLAG_RAW;
      break;
    default:
      fprintf(stderr,
              "usage: %s [-s min] [-S max] [-n iters] [-R reps] [-r] [-p] [-w] "
              "[-H host]\n",
              argv[0]);
      return 2;
    }
  }
  if (pvm_mytid() < 0)
    return 1;
  if (pvm_parent() > 0) {
    int st = echo_loop();
    pvm_exit();
    return st;
  }
  if (smin < 1 || smax < smin || max_iters < 1 || reps < 1) {
    fprintf(stderr, "pingpong: bad arguments\n");
    pvm_exit();
    return 2;
  }
  if (bench_self(self, sizeof(self)) < 0 ||
      pvm_spawn(self, cargv, *where ? PvmTaskHost : PvmTaskDefault, where, 1,
                &child) != 1) {
    fprintf(stderr, "pingpong: cannot spawn the echo task\n");
    pvm_exit();
    return 1;
  }
  if (flags & FLAG_DIRECT)
    pvm_setopt(PvmRoute, PvmRouteDirect);
  printf("# pingpong route %s api %s\n",
         flags & FLAG_DIRECT ? "direct" : "default",
         flags & FLAG_PSEND ? "psend"
         : flags & FLAG_RAW ? "raw"
                            : "send");
  int st = 0;
  for (long size = smin; size <= smax;) {
    int iters = bench_iters_for((int)size, max_iters);
    double rtt;
    if (measure(child, (int)size, iters, reps, flags, &rtt) < 0) {
      fprintf(stderr, "pingpong: exchange of %ld bytes failed\n", size);
      st = 1;
      break;
    }
    printf("size %ld iters %d reps %d rtt_us %.2f bw_MBps %.1f\n", size, iters,
           reps, rtt * 1e6, 2.0 * (double)size / rtt / 1e6);
    fflush(stdout);
    if (size == smax)
      break;
    size = size * 4 > smax ? smax : size * 4;
  }
  if (st == 0)
    send_setup(child, 0, 0, 0);
  else
    pvm_kill(child);
  pvm_exit();
  return st;
}
