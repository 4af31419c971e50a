/* ring: an SPMD token ring. One program plays every part: the copy started
 * by hand spawns the others, tells everyone the ring's order, then a token
 * goes round the ring `laps` times, each task adding one as it passes.
 * Run with a daemon up:  ./build/bin/ring [ntasks [laps]]   (default 4 3) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "sibling.h"

#define TAG_SETUP 10 /* leader -> all: int n, int laps, int tids[n] */
#define TAG_TOKEN 11 /* neighbour -> neighbour: int token */
#define MAXTASKS 64
#define MEMBER_FLAG "--member" /* argv[1] of the spawned copies */

/* Passes the token round the ring. Task 0 starts each lap and sees the token
 * come back; everyone else receives, adds one and hands it on. Returns the
 * token's final value as task 0 sees it (0 for the others), -1 on error. */
static int pass_token(int me, int n, int laps, const int *tids) {
  int next = tids[(me + 1) % n];
  int prev = tids[(me + n - 1) % n];
  int token = 0;

  for (int lap = 1; lap <= laps; lap++) {
    if (me == 0) {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&token, 1, 1);
      pvm_send(next, TAG_TOKEN);
    }
    if (pvm_recv(prev, TAG_TOKEN) < 0)
      return -1;
    pvm_upkint(&token, 1, 1);
    token++;
    if (me == 0) {
      printf("lap %d: the token is back at t%x with value %d\n", lap, tids[0],
             token);
    } else {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&token, 1, 1);
      pvm_send(next, TAG_TOKEN);
    }
  }
  return me == 0 ? token : 0;
}

/* A spawned copy: learn the ring from the leader, then take part. */
static int member(void) {
  int n, laps, tids[MAXTASKS], me;

  pvm_recv(pvm_parent(), TAG_SETUP);
  pvm_upkint(&n, 1, 1);
  pvm_upkint(&laps, 1, 1);
  if (n < 1 || n > MAXTASKS)
    return 1;
  pvm_upkint(tids, n, 1);
  for (me = 0; me < n && tids[me] != pvm_mytid(); me++)
    ;
  if (me == n)
    return 1;
  return pass_token(me, n, laps, tids) < 0;
}

/* The copy started by hand: spawn the others, then lead the ring. */
static int leader(int n, int laps, const char *argv0) {
  char path[PATH_MAX];
  char *args[] = {MEMBER_FLAG, (char *)0};
  int tids[MAXTASKS] = {0}, token;

  tids[0] = pvm_mytid();
  if (tids[0] < 0) {
    pvm_perror("ring: is pvmd running?");
    return 1;
  }
  example_sibling("ring", argv0, path, sizeof path);
  if (n > 1 &&
      pvm_spawn(path, args, PvmTaskDefault, "", n - 1, tids + 1) < n - 1) {
    fprintf(stderr, "ring: could not start %d copies of %s\n", n - 1, path);
    for (int i = 1; i < n; i++)
      if (tids[i] > 0)
        pvm_kill(tids[i]);
    return 1;
  }
  printf("ring of %d tasks:", n);
  for (int i = 0; i < n; i++)
    printf(" t%x", tids[i]);
  printf("\n");

  if (n > 1) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&n, 1, 1);
    pvm_pkint(&laps, 1, 1);
    pvm_pkint(tids, n, 1);
    pvm_mcast(tids + 1, n - 1, TAG_SETUP);
  }

  token = pass_token(0, n, laps, tids);
  if (token != n * laps) {
    printf("ring: token value %d after %d laps, expected %d: MISMATCH\n", token,
           laps, n * laps);
    return 1;
  }
  printf("ring: %d laps of %d tasks, token value %d: OK\n", laps, n, token);
  return 0;
}

int main(int argc, char **argv) {
  int status;

  if (argc > 1 && strcmp(argv[1], MEMBER_FLAG) == 0) {
    status = member();
  } else {
    int n = argc > 1 ? atoi(argv[1]) : 4;
    int laps = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1 || n > MAXTASKS || laps < 1) {
      fprintf(stderr, "usage: %s [ntasks 1..%d [laps >= 1]]\n", argv[0],
              MAXTASKS);
      return 2;
    }
    status = leader(n, laps, argv[0]);
  }
  pvm_exit();
  return status;
}
