/* master: the master half of the master/worker example. It spawns N workers
 * (default 4), gives each a slice of [2, limit) in which to count primes,
 * collects the counts in whatever order they arrive, and checks the total
 * against a count of its own. Exits 1 if they differ.
 * Run with a daemon up:  ./build/bin/master [nworkers [limit [worker]]] */
#include <stdio.h>
#include <stdlib.h>

#include "pvm3.h"
#include "sibling.h"

#define TAG_WORK 1   /* master -> worker: int lo, int hi */
#define TAG_RESULT 2 /* worker -> master: int lo, int hi, int count, host */
#define MAXWORKERS 64

static int is_prime(int n) {
  if (n < 2)
    return 0;
  if (n % 2 == 0)
    return n == 2;
  for (int d = 3; d <= n / d; d += 2)
    if (n % d == 0)
      return 0;
  return 1;
}

/* Worker i of n gets [r[0], r[1]): equal slices of [2, limit). */
static void slice(int i, int n, int limit, int r[2]) {
  r[0] = 2 + (int)((long)(limit - 2) * i / n);
  r[1] = 2 + (int)((long)(limit - 2) * (i + 1) / n);
}

int main(int argc, char **argv) {
  int nworkers = argc > 1 ? atoi(argv[1]) : 4;
  int limit = argc > 2 ? atoi(argv[2]) : 1000000;
  char path[PATH_MAX];
  int tids[MAXWORKERS];
  int counts[MAXWORKERS];
  char hosts[MAXWORKERS][256];
  int numt, total = 0, serial = 0;

  if (nworkers < 1 || nworkers > MAXWORKERS || limit < 2) {
    fprintf(stderr, "usage: %s [nworkers 1..%d [limit >= 2 [worker]]]\n",
            argv[0], MAXWORKERS);
    return 2;
  }
  if (pvm_mytid() < 0) {
    pvm_perror("master: is pvmd running?");
    return 1;
  }

  /* Start the workers: by default the `worker` program beside this one. */
  example_sibling(argc > 3 ? argv[3] : "worker", argv[0], path, sizeof path);
  numt = pvm_spawn(path, (char **)0, PvmTaskDefault, "", nworkers, tids);
  if (numt < nworkers) {
    fprintf(stderr, "master: started %d of %d workers from %s\n",
            numt < 0 ? 0 : numt, nworkers, path);
    for (int i = 0; i < numt; i++)
      pvm_kill(tids[i]);
    pvm_exit();
    return 1;
  }
  printf("master t%x: %d workers count the primes below %d\n", pvm_mytid(),
         nworkers, limit);

  for (int i = 0; i < nworkers; i++) {
    int range[2];
    slice(i, nworkers, limit, range);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(range, 2, 1);
    pvm_send(tids[i], TAG_WORK);
  }

  /* Results arrive in any order; the sender's tid says whose it is. */
  for (int got = 0; got < nworkers; got++) {
    int range[3], src, bufid, w;
    char host[256];
    bufid = pvm_recv(-1, TAG_RESULT);
    if (bufid < 0) {
      pvm_perror("master: pvm_recv");
      pvm_exit();
      return 1;
    }
    pvm_bufinfo(bufid, (int *)0, (int *)0, &src);
    pvm_upkint(range, 3, 1);
    pvm_upkstr(host);
    for (w = 0; w < nworkers && tids[w] != src; w++)
      ;
    if (w == nworkers) {
      fprintf(stderr, "master: result from unknown task t%x\n", src);
      pvm_exit();
      return 1;
    }
    counts[w] = range[2];
    snprintf(hosts[w], sizeof hosts[w], "%s", host);
  }

  for (int i = 0; i < nworkers; i++) {
    int r[2];
    slice(i, nworkers, limit, r);
    printf("  worker %2d  t%x on %s: [%d, %d) has %d primes\n", i, tids[i],
           hosts[i], r[0], r[1], counts[i]);
    total += counts[i];
  }

  for (int n = 2; n < limit; n++)
    serial += is_prime(n);

  pvm_exit();
  if (total != serial) {
    printf("master: total %d primes, but the serial count is %d: MISMATCH\n",
           total, serial);
    return 1;
  }
  printf("master: total %d primes below %d, serial count %d: OK\n", total,
         limit, serial);
  return 0;
}
