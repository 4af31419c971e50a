/* Ping-pong between two PVM tasks: round-trip time and bandwidth for one
 * message size. Written against the PVM 3 API only, so the same source
 * builds against PVM-NG and PVM 3.4.6.
 *
 *   pingpong [-n iterations] [-s bytes] [-w warmup] [-r] [-p]
 *     -r  ask for direct routes (pvm_setopt(PvmRoute, PvmRouteDirect))
 *     -p  use pvm_psend/pvm_precv instead of pvm_send/pvm_recv
 *
 * Prints one line: "size <bytes> iters <n> rtt_us <t> bw_MBps <b>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvm3.h"

#define TAG_PING 11
#define TAG_PONG 12
#define TAG_SETUP 13

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One exchange: send size bytes to peer with tag, then receive them back. */
static int send_bytes(int peer, int tag, char *buf, int size, int psend) {
  if (psend)
    return pvm_psend(peer, tag, buf, size, PVM_BYTE);
  pvm_initsend(PvmDataInPlace);
  pvm_pkbyte(buf, size, 1);
  return pvm_send(peer, tag);
}

static int recv_bytes(int peer, int tag, char *buf, int size, int psend) {
  if (psend) {
    int rt, rg, rc;
    return pvm_precv(peer, tag, buf, size, PVM_BYTE, &rt, &rg, &rc);
  }
  if (pvm_recv(peer, tag) < 0)
    return -1;
  return pvm_upkbyte(buf, size, 1);
}

static void echo_loop(void) {
  int parent = pvm_parent();
  int cfg[3];
  char *buf;
  pvm_recv(parent, TAG_SETUP);
  pvm_upkint(cfg, 3, 1);
  if (cfg[2])
    pvm_setopt(PvmRoute, PvmRouteDirect);
  buf = malloc((size_t)cfg[0] + 1);
  for (int i = 0; i < cfg[1]; i++) {
    if (recv_bytes(parent, TAG_PING, buf, cfg[0], cfg[2] & 2) < 0)
      break;
    if (send_bytes(parent, TAG_PONG, buf, cfg[0], cfg[2] & 2) < 0)
      break;
  }
  free(buf);
}

int main(int argc, char **argv) {
  int iters = 10000, size = 4, warm = 100, route = 0, psend = 0, opt;
  int child;
  char self[4096];
  char *cargv[] = {"echo", NULL};
  char *buf;

  if (pvm_mytid() < 0)
    return 1;
  if (pvm_parent() > 0) {
    echo_loop();
    pvm_exit();
    return 0;
  }
  while ((opt = getopt(argc, argv, "n:s:w:rp")) != -1) {
    switch (opt) {
    case 'n': iters = atoi(optarg); break;
    case 's': size = atoi(optarg); break;
    case 'w': warm = atoi(optarg); break;
    case 'r': route = 1; break;
    case 'p': psend = 2; break;
    default:
      fprintf(stderr, "usage: %s [-n iters] [-s bytes] [-w warmup] [-r] [-p]\n",
              argv[0]);
      pvm_exit();
      return 2;
    }
  }
  if (iters < 1 || size < 0 || warm < 0) {
    fprintf(stderr, "pingpong: bad arguments\n");
    pvm_exit();
    return 2;
  }
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    pvm_exit();
    return 1;
  }
  self[n] = '\0';
  if (pvm_spawn(self, cargv, PvmTaskDefault, "", 1, &child) != 1) {
    fprintf(stderr, "pingpong: cannot spawn the echo task (%d)\n", child);
    pvm_exit();
    return 1;
  }
  if (route)
    pvm_setopt(PvmRoute, PvmRouteDirect);
  int cfg[3] = {size, iters + warm, route | psend};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(cfg, 3, 1);
  pvm_send(child, TAG_SETUP);
  buf = calloc((size_t)size + 1, 1);
  double t0 = 0;
  for (int i = 0; i < iters + warm; i++) {
    if (i == warm)
      t0 = now();
    if (send_bytes(child, TAG_PING, buf, size, psend) < 0 ||
        recv_bytes(child, TAG_PONG, buf, size, psend) < 0) {
      fprintf(stderr, "pingpong: exchange %d failed\n", i);
      pvm_exit();
      return 1;
    }
  }
  double dt = now() - t0;
  double rtt = dt / iters;
  printf("size %d iters %d rtt_us %.2f bw_MBps %.1f\n", size, iters,
         rtt * 1e6, size > 0 ? 2.0 * size / rtt / 1e6 : 0.0);
  free(buf);
  pvm_exit();
  return 0;
}
