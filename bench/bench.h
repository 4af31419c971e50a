/* Helpers shared by the benchmark programs: a monotonic clock, the median of
 * repeated measurements, and the path of the running executable (the PVM
 * programs spawn themselves in a child role). Header-only, no PVM or MPI. */
#ifndef BENCH_H
#define BENCH_H

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Seconds on the monotonic clock. */
static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n-1]; sorts v in place. n must be at least 1. */
static inline double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Absolute path of this executable into buf; 0 on success, -1 otherwise. */
static inline int bench_self(char *buf, size_t len) {
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* Iterations for one repetition at a message size: about 64 MiB moved each
 * way, between 4 and max_iters round trips. */
static inline int bench_iters_for(int size, int max_iters) {
  long n = size > 0 ? (64L << 20) / size : max_iters;
  if (n > max_iters)
    n = max_iters;
  return n < 4 ? 4 : (int)n;
}

#endif
