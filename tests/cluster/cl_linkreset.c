/* cl_linkreset: numbered messages over a direct link that breaks under
 * them. The parent spawns one sender on the named host (PvmTaskHost); the
 * sender asks for direct routes and sends NMSG messages: three of four of
 * 64 KiB (sent from its own memory, PvmDataInPlace, and overwritten as soon
 * as pvm_send returns), every fourth a small one. Each carries its number,
 * length and a checksum of its body. Meanwhile the test breaks the link
 * (a reset from outside, or fault injection through the environment). The
 * parent checks that every message arrives once, in order and intact;
 * then the sender says whether its route to the parent is direct again
 * (after the cool-down) and with which cipher, and the parent prints it.
 * Usage: cl_linkreset HOST [NMSG]; exits 0 when everything arrived. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvm3.h"
#include "pvmng.h"
#include "pvmtest.h"

#define TAG_DATA 41
#define TAG_DONE 42
#define BIG (64 << 10)

static int size_of(int i) { return i % 4 == 3 ? (i * 7) % 1000 : BIG; }

static void fill(unsigned char *p, int n, int seq) {
  uint32_t x = (uint32_t)seq * 747796405u + 1u;
  for (int i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (unsigned char)(x >> 16);
  }
}

static int sender(int parent, int nmsg, unsigned char *buf) {
  int hdr[2];
  uint32_t sum;
  char cipher[64] = "";
  int direct = 0;
  pvm_setopt(PvmRoute, PvmRouteDirect);
  for (int i = 0; i < nmsg; i++) {
    int len = size_of(i);
    fill(buf, len, i);
    sum = pvmt_fnv1a(buf, len, 0);
    hdr[0] = i;
    hdr[1] = len;
    /* In place: the library reads these when it sends, and they change
     * right after pvm_send returns. */
    pvm_initsend(PvmDataInPlace);
    pvm_pkint(hdr, 2, 1);
    pvm_pkuint(&sum, 1, 1);
    pvm_pkbyte((char *)buf, len, 1);
    if (pvm_send(parent, TAG_DATA) < 0)
      return 1;
    memset(buf, 0xee, (size_t)len);
    hdr[0] = hdr[1] = -1;
    sum = 0;
  }
  /* A link that broke near the end comes back after its cool-down: probe
   * (small messages the parent ignores) for up to 10 s. */
  for (int i = 0; i < 100 && !direct; i++) {
    direct = pvmng_route(parent) == PvmRouteDirect;
    if (!direct) {
      pvm_initsend(PvmDataRaw);
      pvm_pkint(&i, 1, 1);
      pvm_send(parent, TAG_DONE + 1);
      usleep(100000);
    }
  }
  pvmng_route_cipher(parent, cipher, (int)sizeof(cipher));
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&direct, 1, 1);
  pvm_pkstr(cipher);
  pvm_send(parent, TAG_DONE);
  /* The parent's answer: it has everything (the link may still carry
   * unacknowledged messages until then). */
  pvm_recv(parent, TAG_DONE);
  return 0;
}

int main(int argc, char **argv) {
  unsigned char *buf = malloc(BIG), *got = malloc(BIG);
  int me = pvm_mytid(), parent, child, nmsg, direct;
  char cipher[64];
  long long total = 0;

  if (me < 0 || buf == NULL || got == NULL)
    return 1;
  parent = pvm_parent();
  if (parent > 0) {
    /* The sender: its one argument is the number of messages. */
    int rc = sender(parent, argc > 1 ? atoi(argv[1]) : 20000, buf);
    free(buf);
    free(got);
    pvm_exit();
    return rc;
  }
  nmsg = argc > 2 ? atoi(argv[2]) : 20000;
  if (argc < 2 || nmsg <= 0) {
    fprintf(stderr, "usage: cl_linkreset HOST [NMSG]\n");
    return 2;
  }
  char count[16], *args[] = {count, NULL};
  snprintf(count, sizeof(count), "%d", nmsg);
  if (pvm_spawn(argv[0], args, PvmTaskHost, argv[1], 1, &child) != 1) {
    fprintf(stderr, "cl_linkreset: cannot spawn on %s (%d)\n", argv[1], child);
    return 1;
  }
  for (int i = 0; i < nmsg; i++) {
    int hdr[2];
    uint32_t sum;
    if (pvm_recv(child, TAG_DATA) < 0)
      return 1;
    pvm_upkint(hdr, 2, 1);
    pvm_upkuint(&sum, 1, 1);
    if (hdr[0] != i || hdr[1] != size_of(i)) {
      fprintf(stderr, "cl_linkreset: message %d: got number %d, length %d\n", i,
              hdr[0], hdr[1]);
      return 1;
    }
    pvm_upkbyte((char *)got, hdr[1], 1);
    if (pvmt_fnv1a(got, hdr[1], 0) != sum) {
      fprintf(stderr, "cl_linkreset: message %d: bad checksum\n", i);
      return 1;
    }
    total += hdr[1];
  }
  if (pvm_recv(child, TAG_DONE) < 0)
    return 1;
  pvm_upkint(&direct, 1, 1);
  pvm_upkstr(cipher);
  /* Nothing more may come: a duplicate would be a message too many. */
  if (pvm_nrecv(child, TAG_DATA) > 0) {
    fprintf(stderr, "cl_linkreset: a message more than %d\n", nmsg);
    return 1;
  }
  pvm_initsend(PvmDataDefault);
  pvm_send(child, TAG_DONE);
  printf("cl_linkreset: %d messages, %lld bytes from t%x on %s: once each, "
         "in order, intact; route at the end: %s%s%s\n",
         nmsg, total, child, argv[1], direct ? "direct" : "through the daemons",
         cipher[0] ? ", " : "", cipher);
  free(buf);
  free(got);
  pvm_exit();
  return 0;
}
