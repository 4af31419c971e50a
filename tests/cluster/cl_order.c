/* cl_order: 10,000 checksummed messages between tasks on different hosts.
 * The parent spawns one sender on the named host (PvmTaskHost); each message
 * carries its sequence number, length and a checksum of its body, and sizes
 * run from 0 to 64 KiB with a few of 5 MiB (several fragments). The parent
 * checks strict order, lengths and checksums, and pvm_tasks(0) lists the
 * remote sender. Usage: cl_order HOST; exits 0 when all arrived intact. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "pvmtest.h"

#define NMSG 10000
#define TAG_DATA 31
#define BIG (5 << 20)

static int size_of(int i) {
  if (i % 2500 == 1249)
    return BIG;
  return (int)(((uint32_t)i * 2654435761u) % 65537u);
}

static void fill(unsigned char *p, int n, int seq) {
  uint32_t x = (uint32_t)seq * 747796405u + 1u;
  for (int i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (unsigned char)(x >> 16);
  }
}

static int sender(int parent, unsigned char *buf) {
  for (int i = 0; i < NMSG; i++) {
    int len = size_of(i);
    uint32_t sum;
    fill(buf, len, i);
    sum = pvmt_fnv1a(buf, len, 0);
    pvm_initsend(PvmDataRaw);
    pvm_pkint(&i, 1, 1);
    pvm_pkint(&len, 1, 1);
    pvm_pkuint(&sum, 1, 1);
    pvm_pkbyte((char *)buf, len, 1);
    if (pvm_send(parent, TAG_DATA) < 0)
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  unsigned char *buf = malloc(BIG);
  int me = pvm_mytid(), parent, child, ntask, found = 0;
  long long total = 0;
  struct pvmtaskinfo *ti;

  if (me < 0 || !buf)
    return 1;
  parent = pvm_parent();
  if (parent > 0) {
    int rc = sender(parent, buf);
    free(buf);
    pvm_exit();
    return rc;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: cl_order HOST\n");
    return 2;
  }
  if (pvm_spawn(argv[0], NULL, PvmTaskHost, argv[1], 1, &child) != 1) {
    fprintf(stderr, "cl_order: cannot spawn on %s (%d)\n", argv[1], child);
    return 1;
  }
  if (pvm_tidtohost(child) == pvm_tidtohost(me)) {
    fprintf(stderr, "cl_order: child t%x is on this host\n", child);
    return 1;
  }
  if (pvm_tasks(0, &ntask, &ti) == 0)
    for (int i = 0; i < ntask; i++)
      found += ti[i].ti_tid == child;
  if (!found) {
    fprintf(stderr, "cl_order: pvm_tasks(0) does not list t%x\n", child);
    return 1;
  }
  for (int i = 0; i < NMSG; i++) {
    int seq, len;
    uint32_t sum;
    if (pvm_recv(child, TAG_DATA) < 0)
      return 1;
    pvm_upkint(&seq, 1, 1);
    pvm_upkint(&len, 1, 1);
    pvm_upkuint(&sum, 1, 1);
    if (seq != i || len != size_of(i)) {
      fprintf(stderr, "cl_order: message %d: seq %d len %d\n", i, seq, len);
      return 1;
    }
    pvm_upkbyte((char *)buf, len, 1);
    if (pvmt_fnv1a(buf, len, 0) != sum) {
      fprintf(stderr, "cl_order: message %d: bad checksum\n", i);
      return 1;
    }
    total += len;
  }
  printf("cl_order: %d messages, %lld bytes from t%x on %s in order, "
         "intact\n",
         NMSG, total, child, argv[1]);
  free(buf);
  pvm_exit();
  return 0;
}
