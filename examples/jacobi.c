/* jacobi: heat on a square plate by Jacobi relaxation. The plate is an
 * N x N grid of interior points; its top edge is held at 100 degrees and
 * the other three at 0. Each iteration replaces every interior point by the
 * mean of its four neighbours, from the previous iteration's values.
 *
 * The rows are split in blocks over n tasks. A task needs, besides its own
 * rows, the last row of the task above and the first row of the task below
 * (its halo, or ghost rows): before each iteration neighbours swap their
 * edge rows. Every `every` iterations pvm_reduce (PvmMax) brings the
 * largest change of any point (the residual) to instance 0, which prints
 * it. At the end instance 0 gathers the plate and compares it with a
 * serial Jacobi of the same size and number of iterations.
 *
 *   jacobi [ntasks [N [iterations [every]]]]   default: 4 64 500 100 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "spmd.h"

#define GROUP "jacobi"
#define MAXTASKS 64
#define TAG_UP 1    /* my first row, to the task above */
#define TAG_DOWN 2  /* my last row, to the task below */
#define TAG_RESID 3 /* pvm_reduce of the residual */
#define TAG_ROWS 4  /* my rows, to instance 0 at the end */
#define TOP_TEMP 100.0

/* One Jacobi sweep over rows 1..rows of u (each N+2 wide, rows 0 and
 * rows+1 are the halo or the plate's edge) into v; returns the largest
 * change. */
static double sweep(const double *u, double *v, int rows, int N) {
  int w = N + 2;
  double res = 0;
  for (int i = 1; i <= rows; i++)
    for (int j = 1; j <= N; j++) {
      long k = (long)i * w + j;
      v[k] = 0.25 * (u[k - w] + u[k + w] + u[k - 1] + u[k + 1]);
      res = fmax(res, fabs(v[k] - u[k]));
    }
  return res;
}

/* A block of rows+2 rows with the plate's edges: the left and right
 * columns 0, and row 0 at 100 when the block is at the top. */
static double *new_block(int rows, int N, int at_top) {
  double *u =
      spmd_zalloc(sizeof(double) * (size_t)(rows + 2) * (size_t)(N + 2));
  if (at_top)
    for (int j = 1; j <= N; j++)
      u[j] = TOP_TEMP;
  return u;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4, N = argc > 2 ? atoi(argv[2]) : 64;
  int iters = argc > 3 ? atoi(argv[3]) : 500,
      every = argc > 4 ? atoi(argv[4]) : 100;
  int tids[MAXTASKS];

  if (n < 1 || n > MAXTASKS || N < n || N > 2000 || iters < 1 || every < 1) {
    fprintf(stderr,
            "usage: jacobi [ntasks 1..%d [N >= ntasks [iterations "
            "[print every]]]]\n",
            MAXTASKS);
    return 2;
  }
  int me = spmd_start(GROUP, n, argv, tids);
  if (me < 0) {
    pvm_exit();
    return 1;
  }
  /* My rows are lo+1 .. hi of the plate (1-based interior rows). */
  int lo = (int)((long)me * N / n), hi = (int)((long)(me + 1) * N / n);
  int rows = hi - lo, w = N + 2;
  double *u = new_block(rows, N, me == 0), *v = new_block(rows, N, me == 0);
  int up = me > 0 ? tids[me - 1] : 0, down = me < n - 1 ? tids[me + 1] : 0;

  for (int it = 1; it <= iters; it++) {
    /* Halo exchange: sends first (they do not block), then receives. */
    if (up) {
      pvm_initsend(PvmDataDefault);
      pvm_pkdouble(u + w + 1, N, 1);
      pvm_send(up, TAG_UP);
    }
    if (down) {
      pvm_initsend(PvmDataDefault);
      pvm_pkdouble(u + (long)rows * w + 1, N, 1);
      pvm_send(down, TAG_DOWN);
    }
    if (up) {
      pvm_recv(up, TAG_DOWN);
      pvm_upkdouble(u + 1, N, 1);
    }
    if (down) {
      pvm_recv(down, TAG_UP);
      pvm_upkdouble(u + (long)(rows + 1) * w + 1, N, 1);
    }
    double res = sweep(u, v, rows, N);
    double *t = u; /* v holds the new values; the halo rows are refilled */
    u = v;         /* next time round, the edges are the same in both */
    v = t;
    if (it % every == 0 || it == iters) {
      pvm_reduce(PvmMax, &res, 1, PVM_DOUBLE, TAG_RESID, GROUP, 0);
      if (me == 0)
        printf("jacobi: iteration %4d, residual %.6e\n", it, res);
    }
  }

  int ok = 1;
  if (me != 0) {
    pvm_initsend(PvmDataDefault);
    pvm_pkdouble(u + w, rows * w, 1);
    pvm_send(tids[0], TAG_ROWS);
  } else {
    /* Gather the plate, then relax it serially from the start. */
    double *plate = new_block(N, N, 1), *s = new_block(N, N, 1),
           *s2 = new_block(N, N, 1);
    memcpy(plate + w, u + w, sizeof(double) * (size_t)rows * (size_t)w);
    for (int r = 1; r < n; r++) {
      int rlo = (int)((long)r * N / n), rhi = (int)((long)(r + 1) * N / n);
      pvm_recv(tids[r], TAG_ROWS);
      pvm_upkdouble(plate + (long)(rlo + 1) * w, (rhi - rlo) * w, 1);
    }
    for (int it = 0; it < iters; it++) {
      sweep(s, s2, N, N);
      double *t = s;
      s = s2;
      s2 = t;
    }
    double maxdiff = 0;
    for (long k = w; k < (long)(N + 1) * w; k++)
      maxdiff = fmax(maxdiff, fabs(plate[k] - s[k]));
    long mid = (long)(N / 2) * w + N / 2 + 1;
    ok = maxdiff < 1e-9;
    printf("jacobi: %d tasks, %dx%d plate, %d iterations; centre %.6f; max "
           "difference from the serial Jacobi %.3g\n",
           n, N, N, iters, plate[mid], maxdiff);
    printf("jacobi: %d tasks, %d iterations, same as serial within 1e-9: %s\n",
           n, iters, ok ? "OK" : "WRONG");
    free(plate);
    free(s);
    free(s2);
  }
  free(u);
  free(v);
  spmd_end(GROUP, n);
  return ok ? 0 : 1;
}
