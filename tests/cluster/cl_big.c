/* cl_big: one large message between hosts on the default route. The
 * parent spawns a child on host HOST (PvmTaskHost), sends it MIB MiB of a
 * known pattern (PvmDataRaw), and the child checks every byte and answers
 * with what it found. Usage: cl_big HOST MIB */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvm3.h"
#include "pvmtest.h"

#define TAG_BIG 21
#define TAG_ACK 22

static unsigned char pattern(size_t i) {
  return (unsigned char)(i * 2654435761u >> 13);
}

static int child(void) {
  int n, bad = 0, parent = pvm_parent();
  unsigned char *b;
  if (pvm_recv(parent, TAG_BIG) < 0 || pvm_upkint(&n, 1, 1) < 0)
    return 1;
  if ((b = malloc((size_t)n)) == NULL || pvm_upkbyte((char *)b, n, 1) < 0)
    bad = -1;
  for (size_t i = 0; bad == 0 && i < (size_t)n; i++)
    if (b[i] != pattern(i))
      bad = 1;
  free(b);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&bad, 1, 1);
  pvm_send(parent, TAG_ACK);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  char self[4096];
  int tid, n, bad = -1;
  unsigned char *b;
  if (pvm_parent() > 0)
    return child();
  if (argc < 3 || (n = atoi(argv[2])) < 1 || n > 1000) {
    fprintf(stderr, "usage: cl_big HOST MIB\n");
    return 2;
  }
  n *= 1 << 20;
  if (pvmt_self_path(self, sizeof self) != 0)
    return 2;
  if (pvm_spawn(self, NULL, PvmTaskHost, argv[1], 1, &tid) != 1) {
    fprintf(stderr, "cl_big: spawn on %s failed (%d)\n", argv[1], tid);
    pvm_exit();
    return 1;
  }
  if ((b = malloc((size_t)n)) == NULL)
    return 1;
  for (size_t i = 0; i < (size_t)n; i++)
    b[i] = pattern(i);
  pvm_initsend(PvmDataRaw);
  pvm_pkint(&n, 1, 1);
  pvm_pkbyte((char *)b, n, 1);
  free(b);
  if (pvm_send(tid, TAG_BIG) < 0 || pvm_recv(tid, TAG_ACK) < 0)
    return 1;
  pvm_upkint(&bad, 1, 1);
  printf("cl_big: %d MiB from t%x to t%x on %s: %s\n", n >> 20, pvm_mytid(),
         tid, argv[1], bad == 0 ? "intact" : "CORRUPT");
  pvm_exit();
  return bad == 0 ? 0 : 1;
}
