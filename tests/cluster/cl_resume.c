/* cl_resume: numbered messages through the daemons while their link is
 * broken. The parent spawns one sender on the named host (PvmTaskHost, the
 * default route); the sender sends NMSG messages of SIZE bytes, each with
 * its number and a body made from it, then an end message with the count.
 * The parent runs CMD (a shell command: a reset of the daemons' connection,
 * a partition) TIMES times, evenly spread over the transfer, and checks
 * that every message arrives exactly once, in order and intact, and that
 * the end message follows the last. Usage: cl_resume HOST NMSG SIZE CMD
 * TIMES; exits 0 when all arrived. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"

#define TAG_DATA 41
#define TAG_END 42

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

static int sender(int parent, int nmsg, int size, uint64_t *buf) {
  for (int i = 0; i < nmsg; i++) {
    fill(buf, (size_t)size / 8, i);
    pvm_initsend(PvmDataRaw);
    pvm_pkint(&i, 1, 1);
    pvm_pkbyte((char *)buf, size, 1);
    if (pvm_send(parent, TAG_DATA) < 0)
      return 1;
  }
  pvm_initsend(PvmDataRaw);
  pvm_pkint(&nmsg, 1, 1);
  return pvm_send(parent, TAG_END) < 0;
}

int main(int argc, char **argv) {
  int me = pvm_mytid(), parent, child, nmsg, size, times, next = 1;
  uint64_t *buf, *want;

  if (me < 0)
    return 1;
  parent = pvm_parent();
  if (parent > 0) {
    int rc;
    if (argc < 3)
      return 2;
    nmsg = atoi(argv[1]);
    size = atoi(argv[2]) & ~7;
    buf = malloc((size_t)size + 8);
    rc = !buf || sender(parent, nmsg, size, buf);
    free(buf);
    pvm_exit();
    return rc;
  }
  if (argc < 6) {
    fprintf(stderr, "usage: cl_resume HOST NMSG SIZE CMD TIMES\n");
    return 2;
  }
  nmsg = atoi(argv[2]);
  size = atoi(argv[3]) & ~7;
  times = atoi(argv[5]);
  buf = malloc((size_t)size + 8);
  want = malloc((size_t)size + 8);
  if (nmsg < 1 || size < 8 || !buf || !want) {
    fprintf(stderr, "cl_resume: bad NMSG or SIZE\n");
    return 2;
  }
  {
    char *args[] = {argv[2], argv[3], NULL};
    if (pvm_spawn(argv[0], args, PvmTaskHost, argv[1], 1, &child) != 1) {
      fprintf(stderr, "cl_resume: cannot spawn on %s (%d)\n", argv[1], child);
      return 1;
    }
  }
  if (pvm_tidtohost(child) == pvm_tidtohost(me)) {
    fprintf(stderr, "cl_resume: child t%x is on this host\n", child);
    return 1;
  }
  for (int i = 0; i < nmsg; i++) {
    int seq, len, tag;
    if (next <= times && i == (long long)nmsg * next / (times + 1)) {
      int rc = system(argv[4]);
      fprintf(stderr, "cl_resume: at message %d ran \"%s\" (status %d)\n", i,
              argv[4], rc);
      next++;
    }
    if (pvm_recv(child, -1) < 0) {
      fprintf(stderr, "cl_resume: receive failed at message %d\n", i);
      return 1;
    }
    pvm_bufinfo(pvm_getrbuf(), &len, &tag, NULL);
    if (tag != TAG_DATA) {
      fprintf(stderr, "cl_resume: message %d missing: tag %d came\n", i, tag);
      return 1;
    }
    pvm_upkint(&seq, 1, 1);
    if (seq != i || len != size + 4) {
      fprintf(stderr, "cl_resume: message %d: got number %d, %d bytes\n", i,
              seq, len);
      return 1;
    }
    pvm_upkbyte((char *)buf, size, 1);
    fill(want, (size_t)size / 8, i);
    if (memcmp(buf, want, (size_t)size) != 0) {
      fprintf(stderr, "cl_resume: message %d: body differs\n", i);
      return 1;
    }
  }
  {
    int n = -1, tag = -1;
    if (pvm_recv(child, -1) >= 0) {
      pvm_bufinfo(pvm_getrbuf(), NULL, &tag, NULL);
      pvm_upkint(&n, 1, 1);
    }
    if (tag != TAG_END || n != nmsg) {
      fprintf(stderr,
              "cl_resume: after %d messages: tag %d (%d), not the "
              "end\n",
              nmsg, tag, n);
      return 1;
    }
  }
  printf("cl_resume: %d messages of %d bytes from t%x on %s: each once, in "
         "order, intact\n",
         nmsg, size, child, argv[1]);
  free(buf);
  free(want);
  pvm_exit();
  return 0;
}
