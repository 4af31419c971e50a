/* Helpers shared by the SPMD examples (election, sort, matmul, jacobi,
 * clocks, tokens): how n copies of one program find each other through a
 * PVM group, and a small random-number generator that gives every task the
 * same numbers for the same seed, so runs repeat exactly. */
#ifndef EXAMPLES_SPMD_H
#define EXAMPLES_SPMD_H

#include <stdio.h>
#include <stdlib.h>

#include "pvm3.h"
#include "sibling.h"

/* Starts (or joins) an SPMD run of n tasks in group `group`. The copy
 * started by hand (it has no PVM parent) joins first, so it is instance 0,
 * then spawns n-1 copies of its own program with its own arguments: every
 * copy parses the same command line and needs no setup message. All wait
 * at a barrier until the n have joined, then read the group's tids in
 * instance order into tids[0..n-1]; instance 0 prints them. Returns this task's
 * instance, or -1 (with a message) when PVM or the spawn fails. */
static inline int spmd_start(char *group, int n, char **argv, int *tids) {
  int parent = pvm_parent(), inst;

  if (pvm_mytid() < 0) {
    pvm_perror("pvm_mytid (is pvmd running?)");
    return -1;
  }
  if ((inst = pvm_joingroup(group)) < 0) {
    pvm_perror("pvm_joingroup");
    return -1;
  }
  if (parent < 0 &&
      n > 1) { /* PvmNoParent or PvmParentNotSet: started by hand */
    char path[PATH_MAX];
    const char *base =
        strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    example_sibling(base, argv[0], path, sizeof path);
    int got = pvm_spawn(path, argv + 1, PvmTaskDefault, "", n - 1, tids);
    if (got < n - 1) {
      fprintf(stderr, "%s: started %d of %d copies of %s\n", group,
              got < 0 ? 0 : got, n - 1, path);
      for (int i = 0; i < got; i++)
        pvm_kill(tids[i]);
      return -1;
    }
  }
  if (pvm_barrier(group, n) < 0) {
    pvm_perror("pvm_barrier");
    return -1;
  }
  for (int i = 0; i < n; i++)
    if ((tids[i] = pvm_gettid(group, i)) < 0) {
      fprintf(stderr, "%s: no tid for instance %d\n", group, i);
      return -1;
    }
  if (inst == 0) { /* where the tasks run: a tid names its host */
    printf("%s: %d tasks:", group, n);
    for (int i = 0; i < n; i++)
      printf(" t%x", tids[i]);
    printf("\n");
  }
  return inst;
}

/* Ends the run: wait for everyone, leave the group, leave PVM. */
static inline void spmd_end(char *group, int n) {
  pvm_barrier(group, n);
  pvm_lvgroup(group);
  pvm_exit();
}

/* malloc that ends the task with a message when memory runs out (the
 * sizes are bounded by each program's argument checks, so this is rare). */
static inline void *spmd_alloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p) {
    fprintf(stderr, "out of memory (%zu bytes)\n", size);
    pvm_exit();
    exit(1);
  }
  return p;
}

/* The same, zero-filled. */
static inline void *spmd_zalloc(size_t size) {
  void *p = spmd_alloc(size);
  memset(p, 0, size ? size : 1);
  return p;
}

/* A 64-bit linear congruential generator (Knuth's MMIX constants): small,
 * the same on every host, and good enough for example data. */
static inline unsigned spmd_rand(unsigned long long *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned)(*state >> 33);
}

#endif
