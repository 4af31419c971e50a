/* matmul: the product C = A*B of two N x N matrices by n tasks, two ways,
 * checked against a serial product.
 *
 *   rows    row blocks: task r gets rows r*N/n .. (r+1)*N/n-1 of A and all
 *           of B, and computes the same rows of C. Simple; every task holds
 *           the whole of B.
 *   cannon  Cannon's algorithm on a q x q grid of tasks (n = q*q): task
 *           (i,j) holds one b x b block of A, B and C (b = N/q). The blocks
 *           start skewed (row i of A shifted i to the left, column j of B
 *           shifted j up); then q times: multiply the two blocks held,
 *           pass the A block to the left and the B block up. Each task
 *           only ever holds three blocks.
 *
 * The entries are small integers, so every product is exact in double
 * and the parallel result must equal the serial one exactly.
 *
 *   matmul [rows|cannon] [ntasks [N]]   default: rows 4 120 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "spmd.h"

#define GROUP "matmul"
#define MAXTASKS 64
#define TAG_A 1 /* a block of A (or rows of A) */
#define TAG_B 2 /* a block of B (or all of B) */
#define TAG_C 3 /* a block of C back to instance 0 */

/* c[r x p] += a[r x k] * b[k x p], all row-major. */
static void mult_add(double *c, const double *a, const double *b, int r, int k,
                     int p) {
  for (int i = 0; i < r; i++)
    for (int l = 0; l < k; l++) {
      double x = a[(long)i * k + l];
      for (int j = 0; j < p; j++)
        c[(long)i * p + j] += x * b[(long)l * p + j];
    }
}

/* Copies block (bi,bj) of size b out of (to=0) or into (to=1) the N x N m. */
static void block_copy(double *m, int N, int b, int bi, int bj, double *blk,
                       int to) {
  for (int i = 0; i < b; i++) {
    double *row = m + (long)(bi * b + i) * N + bj * b;
    if (to)
      memcpy(row, blk + (long)i * b, sizeof(double) * (size_t)b);
    else
      memcpy(blk + (long)i * b, row, sizeof(double) * (size_t)b);
  }
}

static void send_doubles(int tid, int tag, double *v, long cnt) {
  pvm_initsend(PvmDataDefault);
  pvm_pkdouble(v, (int)cnt, 1);
  pvm_send(tid, tag);
}

static void recv_doubles(int tid, int tag, double *v, long cnt) {
  pvm_recv(tid, tag);
  pvm_upkdouble(v, (int)cnt, 1);
}

/* Row blocks. Instance 0 passes A, B and the C to fill; others NULL. */
static void by_rows(int me, int n, const int *tids, int N, double *A, double *B,
                    double *C) {
  int lo = (int)((long)me * N / n), hi = (int)((long)(me + 1) * N / n);
  if (me == 0) {
    for (int r = 1; r < n; r++) {
      int rlo = (int)((long)r * N / n), rhi = (int)((long)(r + 1) * N / n);
      send_doubles(tids[r], TAG_A, A + (long)rlo * N, (long)(rhi - rlo) * N);
      send_doubles(tids[r], TAG_B, B, (long)N * N);
    }
    memset(C, 0, sizeof(double) * (size_t)N * (size_t)N);
    mult_add(C, A, B, hi - lo, N, N); /* my own rows, 0..hi-1 */
    for (int r = 1; r < n; r++) {
      int rlo = (int)((long)r * N / n), rhi = (int)((long)(r + 1) * N / n);
      recv_doubles(tids[r], TAG_C, C + (long)rlo * N, (long)(rhi - rlo) * N);
    }
  } else {
    double *a = spmd_alloc(sizeof(double) * (size_t)(hi - lo) * (size_t)N);
    double *b = spmd_alloc(sizeof(double) * (size_t)N * (size_t)N);
    double *c = spmd_zalloc(sizeof(double) * (size_t)(hi - lo) * (size_t)N);
    recv_doubles(tids[0], TAG_A, a, (long)(hi - lo) * N);
    recv_doubles(tids[0], TAG_B, b, (long)N * N);
    mult_add(c, a, b, hi - lo, N, N);
    send_doubles(tids[0], TAG_C, c, (long)(hi - lo) * N);
    free(a);
    free(b);
    free(c);
  }
}

/* Cannon's algorithm on a q x q grid; task me is (me / q, me % q). */
static void cannon(int me, int q, const int *tids, int N, double *A, double *B,
                   double *C) {
  int b = N / q, i = me / q, j = me % q;
  long bb = (long)b * b;
  double *a = spmd_alloc(sizeof(double) * (size_t)bb),
         *bl = spmd_alloc(sizeof(double) * (size_t)bb);
  double *c = spmd_zalloc(sizeof(double) * (size_t)bb);

  if (me == 0) {
    /* Deal the skewed blocks: task (r,s) starts with A(r, r+s) and
     * B(r+s, s), indices mod q. Its own pair it keeps. */
    for (int t = q * q - 1; t >= 0; t--) {
      int r = t / q, s = t % q, k = (r + s) % q;
      block_copy(A, N, b, r, k, a, 0);
      block_copy(B, N, b, k, s, bl, 0);
      if (t != 0) {
        send_doubles(tids[t], TAG_A, a, bb);
        send_doubles(tids[t], TAG_B, bl, bb);
      }
    }
  } else {
    recv_doubles(tids[0], TAG_A, a, bb);
    recv_doubles(tids[0], TAG_B, bl, bb);
  }
  int left = tids[i * q + (j + q - 1) % q], right = tids[i * q + (j + 1) % q];
  int up = tids[((i + q - 1) % q) * q + j], down = tids[((i + 1) % q) * q + j];
  for (int step = 0; step < q; step++) {
    mult_add(c, a, bl, b, b, b);
    if (step == q - 1)
      break;
    /* Sends do not block in PVM, so everyone sends first, then receives. */
    send_doubles(left, TAG_A, a, bb);
    send_doubles(up, TAG_B, bl, bb);
    recv_doubles(right, TAG_A, a, bb);
    recv_doubles(down, TAG_B, bl, bb);
  }
  if (me == 0) {
    block_copy(C, N, b, 0, 0, c, 1);
    for (int t = 1; t < q * q; t++) {
      recv_doubles(tids[t], TAG_C, c, bb);
      block_copy(C, N, b, t / q, t % q, c, 1);
    }
  } else {
    send_doubles(tids[0], TAG_C, c, bb);
  }
  free(a);
  free(bl);
  free(c);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "rows";
  int n = argc > 2 ? atoi(argv[2]) : 4, N = argc > 3 ? atoi(argv[3]) : 120;
  int is_cannon = strcmp(mode, "cannon") == 0, q = 1, tids[MAXTASKS];

  while (q * q < n)
    q++;
  if ((!is_cannon && strcmp(mode, "rows") != 0) || n < 1 || n > MAXTASKS ||
      N < n || N > 2000 || (is_cannon && (q * q != n || N % q != 0))) {
    fprintf(stderr,
            "usage: matmul [rows|cannon] [ntasks 1..%d [N <= 2000]]\n"
            "  (cannon: ntasks a square q*q, N a multiple of q)\n",
            MAXTASKS);
    return 2;
  }
  int me = spmd_start(GROUP, n, argv, tids);
  if (me < 0) {
    pvm_exit();
    return 1;
  }
  int ok = 1;
  if (me == 0) {
    size_t nn = (size_t)N * (size_t)N;
    double *A = spmd_alloc(sizeof(double) * nn),
           *B = spmd_alloc(sizeof(double) * nn);
    double *C = spmd_alloc(sizeof(double) * nn),
           *S = spmd_zalloc(sizeof(double) * nn);
    unsigned long long seed = 42;
    for (size_t k = 0; k < nn; k++) {
      A[k] = (double)(int)(spmd_rand(&seed) % 19) - 9;
      B[k] = (double)(int)(spmd_rand(&seed) % 19) - 9;
    }
    if (is_cannon)
      cannon(0, q, tids, N, A, B, C);
    else
      by_rows(0, n, tids, N, A, B, C);
    mult_add(S, A, B, N, N, N); /* the serial product */
    double maxdiff = 0;
    for (size_t k = 0; k < nn; k++)
      maxdiff = fmax(maxdiff, fabs(C[k] - S[k]));
    printf("matmul: %s, %d tasks, %dx%d; C[0][0] = %g, C[N-1][N-1] = %g; max "
           "difference from the serial product %g\n",
           mode, n, N, N, C[0], C[nn - 1], maxdiff);
    ok = maxdiff == 0;
    printf("matmul: %s, %d tasks, N=%d, same as the serial product: %s\n", mode,
           n, N, ok ? "OK" : "WRONG");
    free(A);
    free(B);
    free(C);
    free(S);
  } else if (is_cannon) {
    cannon(me, q, tids, N, NULL, NULL, NULL);
  } else {
    by_rows(me, n, tids, N, NULL, NULL, NULL);
  }
  spmd_end(GROUP, n);
  return ok ? 0 : 1;
}
