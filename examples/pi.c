/* pi: computes pi as the integral of 4/(1+x^2) over [0, 1] with the
 * midpoint rule, shared among workers that are copies of this program. Shows
 * pvm_mcast to hand everyone the same problem and pvm_bufinfo to tell which
 * worker an answer came from.
 * Run with a daemon up:  ./build/bin/pi [nworkers [intervals]]
 * (defaults: 4 workers, 10000000 intervals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "sibling.h"

#define TAG_PROBLEM 20 /* master -> workers: int nw, int n, int tids[nw] */
#define TAG_PART 21    /* worker -> master: double partial sum */
#define MAXWORKERS 64
#define WORKER_FLAG "--worker" /* argv[1] of the spawned copies */
#define PI_REF 3.14159265358979323846

/* Sum of the midpoint rule over intervals [first, last) of n, times 1/n. */
static double partial_pi(int first, int last, int n) {
  double h = 1.0 / n, sum = 0.0;
  for (int i = first; i < last; i++) {
    double x = h * (i + 0.5);
    sum += 4.0 / (1.0 + x * x);
  }
  return sum * h;
}

/* A spawned copy: find its share from its place in the tid list. */
static int worker(void) {
  int nw, n, tids[MAXWORKERS], me;
  double part;

  pvm_recv(pvm_parent(), TAG_PROBLEM);
  pvm_upkint(&nw, 1, 1);
  pvm_upkint(&n, 1, 1);
  if (nw < 1 || nw > MAXWORKERS)
    return 1;
  pvm_upkint(tids, nw, 1);
  for (me = 0; me < nw && tids[me] != pvm_mytid(); me++)
    ;
  if (me == nw)
    return 1;

  part =
      partial_pi((int)((long)n * me / nw), (int)((long)n * (me + 1) / nw), n);
  pvm_initsend(PvmDataDefault);
  pvm_pkdouble(&part, 1, 1);
  pvm_send(pvm_parent(), TAG_PART);
  return 0;
}

static int master(int nw, int n, const char *argv0) {
  char path[PATH_MAX];
  char *args[] = {WORKER_FLAG, (char *)0};
  int tids[MAXWORKERS];
  double pi = 0.0, err;

  if (pvm_mytid() < 0) {
    pvm_perror("pi: is pvmd running?");
    return 1;
  }
  example_sibling("pi", argv0, path, sizeof path);
  int numt = pvm_spawn(path, args, PvmTaskDefault, "", nw, tids);
  if (numt < nw) {
    fprintf(stderr, "pi: started %d of %d workers from %s\n",
            numt < 0 ? 0 : numt, nw, path);
    for (int i = 0; i < numt; i++)
      pvm_kill(tids[i]);
    return 1;
  }

  /* One message, the same for everyone. */
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&nw, 1, 1);
  pvm_pkint(&n, 1, 1);
  pvm_pkint(tids, nw, 1);
  pvm_mcast(tids, nw, TAG_PROBLEM);

  for (int got = 0; got < nw; got++) {
    double part;
    int src, bufid = pvm_recv(-1, TAG_PART);
    if (bufid < 0) {
      pvm_perror("pi: pvm_recv");
      return 1;
    }
    pvm_bufinfo(bufid, (int *)0, (int *)0, &src);
    pvm_upkdouble(&part, 1, 1);
    printf("  t%x: %.15f\n", src, part);
    pi += part;
  }

  err = pi > PI_REF ? pi - PI_REF : PI_REF - pi;
  printf("pi is about %.15f, error %.2e (%d workers, %d intervals): %s\n", pi,
         err, nw, n, err < 1e-9 ? "OK" : "TOO FAR");
  return err < 1e-9 ? 0 : 1;
}

int main(int argc, char **argv) {
  int status;

  if (argc > 1 && strcmp(argv[1], WORKER_FLAG) == 0) {
    status = worker();
  } else {
    int nw = argc > 1 ? atoi(argv[1]) : 4;
    int n = argc > 2 ? atoi(argv[2]) : 10000000;
    if (nw < 1 || nw > MAXWORKERS || n < 1) {
      fprintf(stderr, "usage: %s [nworkers 1..%d [intervals >= 1]]\n", argv[0],
              MAXWORKERS);
      return 2;
    }
    status = master(nw, n, argv[0]);
  }
  pvm_exit();
  return status;
}
