/* cl_exitdirect: a sender that ends right after its last send over a
 * direct link loses nothing. The parent spawns one sender on the named
 * host; both choose PvmRouteDirect and open the link with one exchange;
 * the sender sends NMSG numbered messages of SIZE bytes on it, then ends
 * by MODE: 0 returns from main, 1 calls pvm_exit and returns, 2 calls
 * exit(). The parent waits 2 s (the link's buffers fill, nothing is
 * acknowledged), then checks that every message arrives exactly once, in
 * order and intact, and that nothing follows the last. Usage:
 * cl_exitdirect HOST NMSG SIZE MODE; exits 0 when all arrived. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "pvm3.h"

#define TAG_OPEN 51
#define TAG_GO 52
#define TAG_DATA 53

/* The body of message seq: 64-bit words from a cheap generator. */
static void fill(uint64_t *w, size_t nw, int seq) {
  uint64_t x = (uint64_t)seq * 0x9e3779b97f4a7c15u + 1u;
  for (size_t i = 0; i < nw; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    w[i] = x;
  }
}

static int sender(int parent, int nmsg, int size, int mode, uint64_t *buf) {
  pvm_initsend(PvmDataRaw);
  pvm_send(parent, TAG_OPEN);
  pvm_recv(parent, TAG_GO);
  for (int i = 0; i < nmsg; i++) {
    fill(buf, (size_t)size / 8, i);
    pvm_initsend(PvmDataRaw);
    pvm_pkint(&i, 1, 1);
    pvm_pkbyte((char *)buf, size, 1);
    if (pvm_send(parent, TAG_DATA) < 0)
      return 1;
  }
  if (mode == 2)
    exit(0);
  if (mode == 1)
    pvm_exit();
  return 0;
}

static int receiver(int child, int nmsg, int size, uint64_t *buf,
                    uint64_t *want) {
  struct timeval tv = {10, 0}, extra = {2, 0};
  int bad = 0, got = 0;
  pvm_recv(child, TAG_OPEN);
  pvm_initsend(PvmDataRaw);
  pvm_send(child, TAG_GO);
  sleep(2);
  for (int i = 0; i < nmsg; i++) {
    int seq = -1, bytes = 0;
    if (pvm_trecv(child, TAG_DATA, &tv) <= 0) {
      printf("FAIL: message %d of %d did not come\n", i, nmsg);
      return 1;
    }
    got++;
    pvm_bufinfo(pvm_getrbuf(), &bytes, NULL, NULL);
    pvm_upkint(&seq, 1, 1);
    if (seq != i) {
      printf("FAIL: message %d came where %d was due\n", seq, i);
      return 1;
    }
    pvm_upkbyte((char *)buf, size, 1);
    fill(want, (size_t)size / 8, i);
    for (int w = 0; w < size / 8; w++)
      bad += buf[w] != want[w];
    if (bad) {
      printf("FAIL: message %d came damaged\n", i);
      return 1;
    }
  }
  if (pvm_trecv(child, TAG_DATA, &extra) > 0) {
    int seq = -1;
    pvm_upkint(&seq, 1, 1);
    printf("FAIL: message %d came again after all %d\n", seq, nmsg);
    return 1;
  }
  printf("ok: %d of %d once, in order, intact\n", got, nmsg);
  return 0;
}

int main(int argc, char **argv) {
  int me = pvm_mytid(), parent = pvm_parent(), rc;
  int nmsg, size, mode, child;
  uint64_t *buf, *want;
  if (me < 0 || argc < 4)
    return 2;
  nmsg = atoi(argv[parent > 0 ? 1 : 2]);
  size = atoi(argv[parent > 0 ? 2 : 3]) & ~7;
  mode = atoi(argv[parent > 0 ? 3 : 4]);
  if (nmsg <= 0 || size <= 0 || (buf = malloc((size_t)size)) == NULL ||
      (want = malloc((size_t)size)) == NULL)
    return 2;
  pvm_setopt(PvmRoute, PvmRouteDirect);
  if (parent > 0)
    return sender(parent, nmsg, size, mode, buf);
  if (argc < 5)
    return 2;
  char *args[] = {argv[2], argv[3], argv[4], NULL};
  if (pvm_spawn(argv[0], args, PvmTaskHost, argv[1], 1, &child) != 1) {
    printf("FAIL: spawn on %s\n", argv[1]);
    pvm_exit();
    return 1;
  }
  rc = receiver(child, nmsg, size, buf, want);
  if (rc == 0 && pvm_getopt(PvmRoute) != PvmRouteDirect)
    rc = 1;
  free(buf);
  free(want);
  pvm_exit();
  return rc;
}
