/* sort: parallel sorting of n*m integer keys by n tasks, two classic ways,
 * checked against qsort of the same keys.
 *
 *   oddeven  odd-even transposition: each task sorts its m keys, then in n
 *            phases neighbours (pairs 0-1, 2-3, ... in even phases, 1-2,
 *            3-4, ... in odd ones) swap blocks, merge, and the left one
 *            keeps the m smallest, the right one the m largest.
 *   sample   sample sort: each task sorts its keys and picks n-1 regular
 *            samples; instance 0 chooses n-1 splitters from all samples and
 *            multicasts them; every task sends each other task the keys
 *            between its splitters (all to all) and sorts what it got.
 *
 * Instance 0 makes the keys, deals m to each task, gathers the result in
 * rank order and compares it with qsort.
 *
 *   sort [oddeven|sample] [ntasks [keys per task [seed]]]
 *                                       default: oddeven 4 10000 1 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "spmd.h"

#define GROUP "sort"
#define MAXTASKS 64
#define TAG_DEAL 1   /* 0 -> i: m keys */
#define TAG_BLOCK 2  /* oddeven: a whole block to the partner */
#define TAG_SAMPLE 3 /* sample: n-1 samples to 0 */
#define TAG_SPLIT 4  /* sample: n-1 splitters from 0 */
#define TAG_BUCKET 5 /* sample: int count, then the keys */
#define TAG_RESULT 6 /* i -> 0: int count, then the sorted keys */

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Merges the sorted a[0..m) and b[0..m); keeps the m smallest (low) or the
 * m largest in a. tmp holds m ints. */
static void merge_keep(int *a, const int *b, int m, int low, int *tmp) {
  if (low) {
    for (int i = 0, j = 0, k = 0; k < m; k++)
      tmp[k] = (j >= m || (i < m && a[i] <= b[j])) ? a[i++] : b[j++];
  } else {
    for (int i = m - 1, j = m - 1, k = m - 1; k >= 0; k--)
      tmp[k] = (j < 0 || (i >= 0 && a[i] > b[j])) ? a[i--] : b[j--];
  }
  memcpy(a, tmp, sizeof(int) * (size_t)m);
}

/* Odd-even transposition on keys[0..m); returns m (the count is kept). */
static int odd_even(int me, int n, const int *tids, int *keys, int m) {
  int *other = spmd_alloc(sizeof(int) * (size_t)m),
      *tmp = spmd_alloc(sizeof(int) * (size_t)m);
  qsort(keys, (size_t)m, sizeof(int), cmp_int);
  for (int phase = 0; phase < n; phase++) {
    /* Even phase: 0-1, 2-3, ...; odd phase: 1-2, 3-4, ... */
    int partner = (me % 2 == phase % 2) ? me + 1 : me - 1;
    if (partner < 0 || partner >= n)
      continue; /* at an end of the line: idle this phase */
    pvm_initsend(PvmDataDefault);
    pvm_pkint(keys, m, 1);
    pvm_send(tids[partner], TAG_BLOCK);
    pvm_recv(tids[partner], TAG_BLOCK);
    pvm_upkint(other, m, 1);
    merge_keep(keys, other, m, me < partner, tmp);
  }
  free(other);
  free(tmp);
  return m;
}

/* Sample sort. keys holds m keys on entry; returns a new array of *count
 * sorted keys, all between this task's splitters (caller frees). */
static int *sample_sort(int me, int n, const int *tids, int *keys, int m,
                        int *count) {
  int splitters[MAXTASKS], samples[MAXTASKS * MAXTASKS];

  qsort(keys, (size_t)m, sizeof(int), cmp_int);
  /* n-1 regular samples of the sorted block. */
  for (int i = 1; i < n; i++)
    samples[i - 1] = keys[(long)i * m / n];
  if (me != 0) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(samples, n - 1, 1);
    pvm_send(tids[0], TAG_SAMPLE);
    pvm_recv(tids[0], TAG_SPLIT);
    pvm_upkint(splitters, n - 1, 1);
  } else {
    for (int i = 1; i < n; i++) {
      pvm_recv(tids[i], TAG_SAMPLE);
      pvm_upkint(samples + i * (n - 1), n - 1, 1);
    }
    qsort(samples, (size_t)(n * (n - 1)), sizeof(int), cmp_int);
    for (int i = 1; i < n;
         i++) /* every (n-1)th sample, as evenly as possible */
      splitters[i - 1] = samples[i * (n - 1)];
    pvm_initsend(PvmDataDefault);
    pvm_pkint(splitters, n - 1, 1);
    pvm_mcast((int *)tids + 1, n - 1, TAG_SPLIT);
  }
  /* Bucket j gets the keys k with splitters[j-1] < k <= splitters[j]. The
   * block is sorted, so each bucket is a contiguous run. */
  int start[MAXTASKS + 1];
  start[0] = 0;
  for (int j = 0, i = 0; j < n; j++) {
    while (i < m && (j == n - 1 || keys[i] <= splitters[j]))
      i++;
    start[j + 1] = i;
  }
  for (int j = 0; j < n; j++) {
    if (j == me)
      continue;
    int c = start[j + 1] - start[j];
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&c, 1, 1);
    pvm_pkint(keys + start[j], c, 1);
    pvm_send(tids[j], TAG_BUCKET);
  }
  /* Keep my own bucket, then append what the others send. */
  int have = start[me + 1] - start[me], cap = have + m;
  int *out = spmd_alloc(sizeof(int) * (size_t)cap);
  memcpy(out, keys + start[me], sizeof(int) * (size_t)have);
  for (int j = 0; j < n - 1; j++) {
    int c;
    pvm_recv(-1, TAG_BUCKET);
    pvm_upkint(&c, 1, 1);
    if (c < 0 || c > 10000000) /* more keys than there are: not ours */
      continue;
    if (have + c > cap) {
      cap = 2 * (have + c);
      int *bigger = spmd_alloc(sizeof(int) * (size_t)cap);
      memcpy(bigger, out, sizeof(int) * (size_t)have);
      free(out);
      out = bigger;
    }
    pvm_upkint(out + have, c, 1);
    have += c;
  }
  qsort(out, (size_t)have, sizeof(int), cmp_int);
  *count = have;
  return out;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "oddeven";
  int n = argc > 2 ? atoi(argv[2]) : 4, m = argc > 3 ? atoi(argv[3]) : 10000;
  unsigned long long seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  int sample = strcmp(mode, "sample") == 0, tids[MAXTASKS];

  if ((!sample && strcmp(mode, "oddeven") != 0) || n < 1 || n > MAXTASKS ||
      m < n || (long)n * m > 10000000) {
    fprintf(stderr,
            "usage: sort [oddeven|sample] [ntasks 1..%d [keys per task "
            "ntasks.. (n * keys <= 10^7) [seed]]]\n",
            MAXTASKS);
    return 2;
  }
  int me = spmd_start(GROUP, n, argv, tids);
  if (me < 0) {
    pvm_exit();
    return 1;
  }
  int *keys = spmd_alloc(sizeof(int) * (size_t)m), *all = NULL;
  if (me == 0) { /* make the keys, keep the first m, deal the rest */
    all = spmd_alloc(sizeof(int) * (size_t)n * (size_t)m);
    for (long i = 0; i < (long)n * m; i++)
      all[i] = (int)(spmd_rand(&seed) % 1000000);
    memcpy(keys, all, sizeof(int) * (size_t)m);
    for (int i = 1; i < n; i++) {
      pvm_initsend(PvmDataDefault);
      pvm_pkint(all + (long)i * m, m, 1);
      pvm_send(tids[i], TAG_DEAL);
    }
  } else {
    pvm_recv(tids[0], TAG_DEAL);
    pvm_upkint(keys, m, 1);
  }

  int count = m, *mine = keys;
  if (sample)
    mine = sample_sort(me, n, tids, keys, m, &count);
  else
    odd_even(me, n, tids, keys, m);

  int ok = 1;
  if (me != 0) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&count, 1, 1);
    pvm_pkint(mine, count, 1);
    pvm_send(tids[0], TAG_RESULT);
  } else {
    /* Gather in rank order, then compare with a serial sort. */
    int *got = spmd_alloc(sizeof(int) * (size_t)n * (size_t)m);
    long have = count;
    memcpy(got, mine, sizeof(int) * (size_t)count);
    printf("sort: %s, %d tasks, %d keys; keys per task:", mode, n, n * m);
    printf(" %d", count);
    for (int i = 1; i < n; i++) {
      int c;
      pvm_recv(tids[i], TAG_RESULT);
      pvm_upkint(&c, 1, 1);
      if (c < 0 || have + c > (long)n * m) {
        ok = 0;
        break;
      }
      pvm_upkint(got + have, c, 1);
      have += c;
      printf(" %d", c);
    }
    printf("\n");
    qsort(all, (size_t)n * (size_t)m, sizeof(int), cmp_int);
    if (!ok || have != (long)n * m ||
        memcmp(got, all, sizeof(int) * (size_t)have) != 0) {
      ok = 0;
      printf("sort: %s, %d tasks: the result differs from qsort: WRONG\n", mode,
             n);
    } else {
      printf("sort: %s, %d tasks, %d keys, same as qsort: OK\n", mode, n,
             n * m);
    }
    free(got);
    free(all);
  }
  if (mine != keys)
    free(mine);
  free(keys);
  spmd_end(GROUP, n);
  return ok ? 0 : 1;
}
