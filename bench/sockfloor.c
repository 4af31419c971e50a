/* The floor under every figure of the suite: round trip of a small message
 * between two processes over a raw AF_UNIX socketpair, with no PVM or MPI
 * in between. Two wakeups per round trip, like a ping-pong through any
 * socket-based transport.
 *
 *   sockfloor [-s bytes] [-n iters] [-R reps]   (defaults 4, 20000, 5)
 *
 * Prints "floor size <bytes> iters <n> reps <r> rtt_us <median>". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* Moves exactly len bytes; 0 on success, -1 on error or end of file. */
static int xfer(int fd, char *buf, size_t len, int out) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = out ? write(fd, buf + done, len - done)
                    : read(fd, buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    done += (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  int size = 4, iters = 20000, reps = 5, opt, sv[2];

  while ((opt = getopt(argc, argv, "s:n:R:")) != -1) {
    switch (opt) {
    case 's':
      size = atoi(optarg);
      break;
    case 'n':
      iters = atoi(optarg);
      break;
    case 'R':
      reps = atoi(optarg);
      break;
    default:
      fprintf(stderr, "usage: %s [-s bytes] [-n iters] [-R reps]\n", argv[0]);
      return 2;
    }
  }
  if (size < 1 || iters < 1 || reps < 1) {
    fprintf(stderr, "sockfloor: bad arguments\n");
    return 2;
  }
  char *buf = calloc((size_t)size, 1);
  double *t = calloc((size_t)reps, sizeof(double));
  if (!buf || !t || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
    perror("sockfloor");
    return 1;
  }
  int warm = iters / 10 + 2;
  pid_t pid = fork();
  if (pid < 0) {
    perror("sockfloor: fork");
    return 1;
  }
  if (pid == 0) {
    close(sv[0]);
    while (xfer(sv[1], buf, (size_t)size, 0) == 0)
      if (xfer(sv[1], buf, (size_t)size, 1) < 0)
        break;
    _exit(0);
  }
  close(sv[1]);
  int st = 0;
  for (int r = -1; r < reps && st == 0; r++) {
    int n = r < 0 ? warm : iters;
    double t0 = bench_now();
    for (int i = 0; i < n; i++)
      if (xfer(sv[0], buf, (size_t)size, 1) < 0 ||
          xfer(sv[0], buf, (size_t)size, 0) < 0) {
        st = 1;
        break;
      }
    if (r >= 0)
      t[r] = (bench_now() - t0) / n;
  }
  close(sv[0]);
  waitpid(pid, NULL, 0);
  if (st == 0)
    printf("floor size %d iters %d reps %d rtt_us %.2f\n", size, iters, reps,
           bench_median(t, reps) * 1e6);
  else
    fprintf(stderr, "sockfloor: exchange failed\n");
  free(buf);
  free(t);
  return st;
}
