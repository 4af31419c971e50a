/* The floor under the figures between hosts: a ping-pong over one plain
 * TCP connection (no TLS, no PVM), as bench/cluster_pingpong.sh runs it
 * between two namespace-hosts.
 *
 *   tcpfloor -l port [-s bytes] [-n clients]      echo server (default 1;
 *                                                 port 0: any free port)
 *   tcpfloor -c addr:port [-s bytes] [-n iters]   (defaults 1 MiB, 200)
 *
 * The client prints "tcpfloor size <bytes> iters <n> rtt_us <mean>
 * bw_MBps <b>", bw being 2 * size / rtt as in pingpong. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* Moves exactly len bytes; 0 on success, -1 on error or end of file. */
static int xfer(int fd, char *buf, size_t len, int out) {
  size_t done = 0;
  while (done < len) {
    ssize_t r = out ? write(fd, buf + done, len - done)
                    : read(fd, buf + done, len - done);
    if (r <= 0)
      return -1;
    done += (size_t)r;
  }
  return 0;
}

/* Server: echoes clients one after another, each until it goes, so that a
 * script can alternate the floor with other runs. Returns the exit status. */
static int serve(int s, const char *port, char *buf, size_t size, int clients) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  socklen_t salen = sizeof sa;
  int one = 1;
  sa.sin_port = htons((uint16_t)atoi(port));
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 1) < 0 ||
      getsockname(s, (struct sockaddr *)&sa, &salen) < 0) {
    perror("tcpfloor: listen");
    return 1;
  }
  /* Port 0 takes a free one: say which. */
  printf("tcpfloor listening on port %u\n", (unsigned)ntohs(sa.sin_port));
  fflush(stdout);
  for (int c = 0; c < clients; c++) {
    int fd = accept(s, NULL, NULL);
    if (fd < 0) {
      perror("tcpfloor: accept");
      return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (xfer(fd, buf, size, 0) == 0 && xfer(fd, buf, size, 1) == 0)
      ;
    close(fd);
  }
  return 0;
}

/* Client: the timed ping-pong against target (addr:port). Returns the exit
 * status (2 for a bad target). */
static int ping(int s, const char *target, char *buf, size_t size, int iters) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  char host[64];
  int port, one = 1;
  if (sscanf(target, "%63[^:]:%d", host, &port) != 2 ||
      inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    return 2;
  sa.sin_port = htons((uint16_t)port);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("tcpfloor: connect");
    return 1;
  }
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (int i = 0; i < iters / 10 + 2; i++) /* warm-up */
    if (xfer(s, buf, size, 1) < 0 || xfer(s, buf, size, 0) < 0)
      goto lost;
  double t0 = bench_now();
  for (int i = 0; i < iters; i++)
    if (xfer(s, buf, size, 1) < 0 || xfer(s, buf, size, 0) < 0)
      goto lost;
  double rtt = (bench_now() - t0) / iters;
  printf("tcpfloor size %zu iters %d rtt_us %.2f bw_MBps %.1f\n", size, iters,
         rtt * 1e6, 2.0 * (double)size / rtt / 1e6);
  return 0;
lost:
  fprintf(stderr, "tcpfloor: the connection broke\n");
  return 1;
}

int main(int argc, char **argv) {
  long size = 1 << 20;
  int iters = 200, clients = 1, opt, s, rc;
  const char *listen_port = NULL, *target = NULL;
  char *buf;

  while ((opt = getopt(argc, argv, "l:c:s:n:")) != -1) {
    switch (opt) {
    case 'l':
      listen_port = optarg;
      break;
    case 'c':
      target = optarg;
      break;
    case 's':
      size = atol(optarg);
      break;
    case 'n':
      iters = clients = atoi(optarg);
      break;
    default:
      goto usage;
    }
  }
  if ((listen_port == NULL) == (target == NULL) || size < 1 ||
      size > (1L << 30) || iters < 1)
    goto usage;
  if ((buf = calloc(1, (size_t)size)) == NULL) {
    perror("tcpfloor");
    return 1;
  }
  if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
    perror("tcpfloor");
    free(buf);
    return 1;
  }
  rc = listen_port != NULL ? serve(s, listen_port, buf, (size_t)size, clients)
                           : ping(s, target, buf, (size_t)size, iters);
  close(s);
  free(buf);
  if (rc != 2)
    return rc;
usage:
  fprintf(stderr, "usage: tcpfloor -l port [-s bytes] [-n clients] | "
                  "tcpfloor -c addr:port [-s bytes] [-n iters]\n");
  return 2;
}
