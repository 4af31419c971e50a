/* cl_linkbudget: a sender whose messages pile up on the link between two
 * hosts. The parent spawns a child on host HOST (PvmTaskHost) that sleeps
 * SLEEP_MS before it receives, and sends it MSGS messages of 1 MiB (a
 * sequence number and a pattern, PvmDataInPlace) through the daemons. The
 * child checks that all arrive, in order, and answers how many. The
 * parent prints how long its sends took (they block while the receiver
 * sleeps). Usage: cl_linkbudget HOST MSGS SLEEP_MS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvm3.h"
#include "pvmtest.h"

#define TAG_DATA 31
#define TAG_ACK 32
#define MIB (1 << 20)

static int child(int msgs, int sleep_ms) {
  int parent = pvm_parent(), got = 0, ordered = 1;
  char *b = malloc(MIB);
  if (!b)
    return 1;
  usleep((useconds_t)sleep_ms * 1000);
  for (int i = 0; i < msgs; i++) {
    int seq;
    if (pvm_recv(parent, TAG_DATA) < 0 || pvm_upkint(&seq, 1, 1) < 0 ||
        pvm_upkbyte(b, MIB, 1) < 0)
      break;
    if (seq != i || b[0] != (char)seq || b[MIB - 1] != (char)(seq + 1))
      ordered = 0;
    got++;
  }
  free(b);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&got, 1, 1);
  pvm_pkint(&ordered, 1, 1);
  pvm_send(parent, TAG_ACK);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  char self[4096], nb[16], sb[16];
  int tid, msgs, sleep_ms, got = 0, ordered = 0;
  if (pvm_parent() > 0 && argc >= 3)
    return child(atoi(argv[1]), atoi(argv[2]));
  if (argc < 4 || (msgs = atoi(argv[2])) < 1 || msgs > 100000 ||
      (sleep_ms = atoi(argv[3])) < 0) {
    fprintf(stderr, "usage: cl_linkbudget HOST MSGS SLEEP_MS\n");
    return 2;
  }
  if (pvmt_self_path(self, sizeof self) != 0)
    return 2;
  snprintf(nb, sizeof nb, "%d", msgs);
  snprintf(sb, sizeof sb, "%d", sleep_ms);
  char *args[] = {nb, sb, NULL};
  if (pvm_spawn(self, args, PvmTaskHost, argv[1], 1, &tid) != 1) {
    fprintf(stderr, "cl_linkbudget: spawn on %s failed (%d)\n", argv[1], tid);
    pvm_exit();
    return 1;
  }
  char *b = malloc(MIB);
  if (!b)
    return 1;
  double t0 = pvmt_now();
  for (int i = 0; i < msgs; i++) {
    memset(b, (char)i, MIB - 1);
    b[MIB - 1] = (char)(i + 1);
    pvm_initsend(PvmDataInPlace);
    pvm_pkint(&i, 1, 1);
    pvm_pkbyte(b, MIB, 1);
    int rc = pvm_send(tid, TAG_DATA);
    if (rc < 0) {
      fprintf(stderr, "cl_linkbudget: pvm_send returned %d at message %d\n", rc,
              i);
      pvm_exit();
      return 1;
    }
  }
  double t1 = pvmt_now();
  free(b);
  if (pvm_recv(tid, TAG_ACK) < 0)
    return 1;
  pvm_upkint(&got, 1, 1);
  pvm_upkint(&ordered, 1, 1);
  printf("cl_linkbudget: %d MiB from t%x to t%x on %s: sends took %.2f s "
         "(receiver asleep %d ms), %d received%s\n",
         msgs, pvm_mytid(), tid, argv[1], t1 - t0, sleep_ms, got,
         ordered ? ", in order" : ", OUT OF ORDER");
  pvm_exit();
  return got == msgs && ordered ? 0 : 1;
}
