/* The suite's measurements written for MPI, to run the same ping-pong and
 * collectives on Open MPI (TCP or shared memory, chosen on the mpirun
 * command line). Output lines match the PVM programs' so one parser reads
 * both.
 *
 *   mpi_bench pingpong [-s min] [-S max] [-n iters] [-R reps]   (2 ranks)
 *   mpi_bench collective [-i iters] [-R reps] [-c count]        (N ranks)
 *   mpi_bench scale [-i iters] [-R reps] [-c count] [-l laps] [-b bytes]
 *
 * pingpong prints "size <b> iters <n> reps <r> rtt_us <t> bw_MBps <b>" per
 * size; collective prints "barrier ntask <n> us <t>" and "reduce ntask <n>
 * count <c> us <t>" (MPI_Reduce of count doubles to rank 0, then
 * MPI_Barrier); scale prints the lines of bench/scale.c that MPI has a
 * counterpart for: "ring route default ntask <n> hop_us <t>" (a token
 * passed around the ranks), barrier, reduce, and "alltoall ntask <n> bytes
 * <b> us <t>" (MPI_Alltoall of b bytes per pair). Every figure is the
 * median of the repetitions. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int pingpong(int rank, int smin, int smax, int max_iters, int reps) {
  char *buf = calloc((size_t)smax + 1, 1);
  double *t = calloc((size_t)reps, sizeof(double));
  int peer = 1 - rank;
  if (!buf || !t)
    MPI_Abort(MPI_COMM_WORLD, 1);
  if (rank == 0)
    printf("# pingpong mpi\n");
  for (long size = smin; size <= smax;) {
    int iters = bench_iters_for((int)size, max_iters);
    int warm = iters / 10 + 2;
    for (int r = -1; r < reps; r++) {
      int n = r < 0 ? warm : iters;
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      for (int i = 0; i < n; i++) {
        if (rank == 0) {
          MPI_Send(buf, (int)size, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
          MPI_Recv(buf, (int)size, MPI_BYTE, peer, 2, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
        } else {
          MPI_Recv(buf, (int)size, MPI_BYTE, peer, 1, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
          MPI_Send(buf, (int)size, MPI_BYTE, peer, 2, MPI_COMM_WORLD);
        }
      }
      if (r >= 0)
        t[r] = (MPI_Wtime() - t0) / n;
    }
    if (rank == 0) {
      double rtt = bench_median(t, reps);
      printf("size %ld iters %d reps %d rtt_us %.2f bw_MBps %.1f\n", size,
             iters, reps, rtt * 1e6, 2.0 * (double)size / rtt / 1e6);
      fflush(stdout);
    }
    if (size == smax)
      break;
    size = size * 4 > smax ? smax : size * 4;
  }
  free(buf);
  free(t);
  return 0;
}

static int collective(int rank, int ntask, int iters, int reps, int count) {
  double *data = malloc((size_t)count * sizeof(double));
  double *sum = malloc((size_t)count * sizeof(double));
  double *bar = calloc((size_t)reps, sizeof(double));
  double *red = calloc((size_t)reps, sizeof(double));
  if (!data || !sum || !bar || !red)
    MPI_Abort(MPI_COMM_WORLD, 1);
  for (int i = 0; i < iters / 10 + 2; i++)
    MPI_Barrier(MPI_COMM_WORLD);
  for (int r = 0; r < reps; r++) {
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++)
      MPI_Barrier(MPI_COMM_WORLD);
    bar[r] = (MPI_Wtime() - t0) / iters;
    t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) {
      for (int k = 0; k < count; k++)
        data[k] = 1.0;
      MPI_Reduce(data, sum, count, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
      MPI_Barrier(MPI_COMM_WORLD);
    }
    red[r] = (MPI_Wtime() - t0) / iters;
  }
  if (rank == 0) {
    printf("barrier ntask %d us %.2f\n", ntask, bench_median(bar, reps) * 1e6);
    printf("reduce ntask %d count %d us %.2f\n", ntask, count,
           bench_median(red, reps) * 1e6);
  }
  free(data);
  free(sum);
  free(bar);
  free(red);
  return 0;
}

/* One lap set of the token ring; the time per hop. */
static double ring(int rank, int ntask, int laps) {
  int next = (rank + 1) % ntask, prev = (rank + ntask - 1) % ntask, token = 0;
  double t0 = MPI_Wtime();
  for (int l = 0; l < laps; l++) {
    if (rank != 0)
      MPI_Recv(&token, 1, MPI_INT, prev, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    token++;
    MPI_Send(&token, 1, MPI_INT, next, 1, MPI_COMM_WORLD);
    if (rank == 0)
      MPI_Recv(&token, 1, MPI_INT, prev, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  return (MPI_Wtime() - t0) / ((double)laps * ntask);
}

static int scale(int rank, int ntask, int iters, int reps, int count, int laps,
                 int bytes) {
  double *hop = calloc((size_t)reps, sizeof(double));
  double *a2a = calloc((size_t)reps, sizeof(double));
  char *out = malloc((size_t)ntask * (size_t)bytes + 1);
  char *in = malloc((size_t)ntask * (size_t)bytes + 1);
  if (!hop || !a2a || !out || !in)
    MPI_Abort(MPI_COMM_WORLD, 1);
  memset(out, 1, (size_t)ntask * (size_t)bytes + 1);
  ring(rank, ntask, 2);
  for (int r = 0; r < reps; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    hop[r] = ring(rank, ntask, laps);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++)
      MPI_Alltoall(out, bytes, MPI_BYTE, in, bytes, MPI_BYTE, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    a2a[r] = (MPI_Wtime() - t0) / iters;
  }
  if (rank == 0) {
    printf("ring route default ntask %d hop_us %.2f\n", ntask,
           bench_median(hop, reps) * 1e6);
    printf("alltoall ntask %d bytes %d us %.2f\n", ntask, bytes,
           bench_median(a2a, reps) * 1e6);
    fflush(stdout);
  }
  free(hop);
  free(a2a);
  free(out);
  free(in);
  return collective(rank, ntask, iters, reps, count);
}

int main(int argc, char **argv) {
  int smin = 4, smax = 4, iters = 2000, reps = 5, count = 1024, opt;
  int rank, ntask, coll_iters = 200, laps = 20, bytes = 4096;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ntask);
  if (argc < 2 || (strcmp(argv[1], "pingpong") &&
                   strcmp(argv[1], "collective") && strcmp(argv[1], "scale"))) {
    if (rank == 0)
      fprintf(stderr, "usage: %s pingpong|collective|scale [options]\n",
              argv[0]);
    MPI_Finalize();
    return 2;
  }
  int is_pp = strcmp(argv[1], "pingpong") == 0;
  int is_scale = strcmp(argv[1], "scale") == 0;
  optind = 2;
  while ((opt = getopt(argc, argv, "s:S:n:i:R:c:l:b:")) != -1) {
    switch (opt) {
    case 's':
      smin = atoi(optarg);
      break;
    case 'S':
      smax = atoi(optarg);
      break;
    case 'n':
      iters = atoi(optarg);
      break;
    case 'i':
      coll_iters = atoi(optarg);
      break;
    case 'R':
      reps = atoi(optarg);
      break;
    case 'c':
      count = atoi(optarg);
      break;
    case 'l':
      laps = atoi(optarg);
      break;
    case 'b':
      bytes = atoi(optarg);
      break;
    default:
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  }
  if (smin < 1 || smax < smin || iters < 1 || coll_iters < 1 || reps < 1 ||
      count < 1 || laps < 1 || bytes < 0 || (is_pp && ntask != 2) ||
      (is_scale && ntask < 2)) {
    if (rank == 0)
      fprintf(stderr, "mpi_bench: bad arguments (pingpong needs 2 ranks)\n");
    MPI_Finalize();
    return 2;
  }
  if (is_pp)
    pingpong(rank, smin, smax, iters, reps);
  else if (is_scale)
    scale(rank, ntask, coll_iters, reps, count, laps, bytes);
  else
    collective(rank, ntask, coll_iters, reps, count);
  MPI_Finalize();
  return 0;
}
