/* Network probe of the multi-host harness test: a TCP and UDP listener that
 * names its host, and clients that report whether a connection works, times
 * out, gets closed, or how many UDP datagrams come back. Names are resolved
 * with getaddrinfo, so the namespace's hosts file is exercised too.
 *
 *   cluster_probe listen PORT          TCP: send "<hostname>\n" on accept and
 *                                      keep the connection until the peer
 *                                      closes; UDP: echo every datagram
 *   cluster_probe connect HOST PORT MS print the server's line; exit 0, or 3
 *                                      on timeout, 4 on any other failure
 *   cluster_probe hold HOST PORT MS    connect, print "connected <line>", then
 *                                      wait MS for the end of the stream:
 *                                      print "eof", "reset" or "silent"
 *   cluster_probe udp HOST PORT COUNT  send COUNT datagrams, print how many
 *                                      distinct ones were echoed
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CONN = 64, EXIT_TIMEOUT = 3, EXIT_FAIL = 4 };

static int resolve(const char *host, const char *port, int type,
                   struct sockaddr_in *out) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = type;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0 || res == NULL) {
    printf("unresolved: %s: %s\n", host, gai_strerror(rc));
    return -1;
  }
  memcpy(out, res->ai_addr, sizeof *out);
  freeaddrinfo(res);
  return 0;
}

static int run_listen(const char *port) {
  char name[256] = "?";
  gethostname(name, sizeof name - 1);
  size_t namelen = strlen(name);
  name[namelen++] = '\n';

  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(port));
  int one = 1;
  int t = socket(AF_INET, SOCK_STREAM, 0);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  if (t < 0 || u < 0 ||
      setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(t, (struct sockaddr *)&a, sizeof a) < 0 || listen(t, 16) < 0 ||
      bind(u, (struct sockaddr *)&a, sizeof a) < 0) {
    printf("listen: %s\n", strerror(errno));
    return EXIT_FAIL;
  }
  printf("listening\n");
  fflush(stdout);

  struct pollfd p[2 + MAX_CONN];
  int n = 2;
  p[0] = (struct pollfd){.fd = t, .events = POLLIN};
  p[1] = (struct pollfd){.fd = u, .events = POLLIN};
  for (;;) {
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR)
        continue;
      return EXIT_FAIL;
    }
    if (p[0].revents & POLLIN) {
      int c = accept(t, NULL, NULL);
      if (c >= 0) {
        if (write(c, name, namelen) < 0 || n == 2 + MAX_CONN)
          close(c);
        else
          p[n++] = (struct pollfd){.fd = c, .events = POLLIN};
      }
    }
    if (p[1].revents & POLLIN) {
      char buf[512];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t r =
          recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
      if (r > 0)
        sendto(u, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
    }
    for (int i = 2; i < n; i++) {
      char buf[512];
      if (p[i].revents == 0 || read(p[i].fd, buf, sizeof buf) > 0)
        continue;
      close(p[i].fd);
      p[i--] = p[--n];
    }
  }
}

/* Connects within ms; returns the socket, or -exit status on failure. */
static int dial(const char *host, const char *port, int ms) {
  struct sockaddr_in a;
  if (resolve(host, port, SOCK_STREAM, &a) < 0)
    return -EXIT_FAIL;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (s < 0 || (connect(s, (struct sockaddr *)&a, sizeof a) < 0 &&
                errno != EINPROGRESS)) {
    printf("error: %s\n", strerror(errno));
    return -EXIT_FAIL;
  }
  struct pollfd p = {.fd = s, .events = POLLOUT};
  int rc = poll(&p, 1, ms);
  if (rc == 0) {
    printf("timeout\n");
    return -EXIT_TIMEOUT;
  }
  int err = 0;
  socklen_t el = sizeof err;
  if (rc < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
    printf("error: %s\n", strerror(err ? err : errno));
    return -EXIT_FAIL;
  }
  return s;
}

/* Reads the server's line within ms into buf (without the newline). */
static int read_line(int s, char *buf, size_t size, int ms) {
  size_t len = 0;
  while (len < size - 1) {
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
      return -1;
    ssize_t r = read(s, buf + len, 1);
    if (r <= 0)
      return -1;
    if (buf[len] == '\n')
      break;
    len++;
  }
  buf[len] = '\0';
  return 0;
}

static int run_connect(const char *host, const char *port, int ms, int hold) {
  int s = dial(host, port, ms);
  if (s < 0)
    return -s;
  char line[256];
  if (read_line(s, line, sizeof line, hold ? 2000 : ms) < 0) {
    printf("error: no greeting\n");
    return EXIT_FAIL;
  }
  if (!hold) {
    printf("%s\n", line);
    close(s);
    return 0;
  }
  printf("connected %s\n", line);
  fflush(stdout);
  struct pollfd p = {.fd = s, .events = POLLIN};
  int rc = poll(&p, 1, ms);
  char c;
  ssize_t r = rc > 0 ? read(s, &c, 1) : -1;
  printf("%s\n", rc == 0 ? "silent" : r == 0 ? "eof" : "reset");
  close(s);
  return 0;
}

static int run_udp(const char *host, const char *port, int count) {
  struct sockaddr_in a;
  if (count < 1 || count > 100000 || resolve(host, port, SOCK_DGRAM, &a) < 0)
    return EXIT_FAIL;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0)
    return EXIT_FAIL;
  unsigned char *seen = calloc((size_t)count, 1);
  if (seen == NULL)
    return EXIT_FAIL;
  int got = 0;
  for (int i = 0; i <= count; i++) {
    if (i < count) {
      uint32_t seq = htonl((uint32_t)i);
      send(s, &seq, sizeof seq, 0);
    }
    /* Between sends, collect echoes for 1 ms; after the last, for 500 ms. */
    struct pollfd p = {.fd = s, .events = POLLIN};
    while (poll(&p, 1, i < count ? 1 : 500) > 0) {
      uint32_t seq;
      if (recv(s, &seq, sizeof seq, 0) != (ssize_t)sizeof seq)
        continue;
      seq = ntohl(seq);
      if (seq < (uint32_t)count && !seen[seq]) {
        seen[seq] = 1;
        got++;
      }
    }
  }
  printf("%d\n", got);
  free(seen);
  close(s);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp(argv[1], "listen") == 0)
    return run_listen(argv[2]);
  if (argc == 5 && strcmp(argv[1], "connect") == 0)
    return run_connect(argv[2], argv[3], atoi(argv[4]), 0);
  if (argc == 5 && strcmp(argv[1], "hold") == 0)
    return run_connect(argv[2], argv[3], atoi(argv[4]), 1);
  if (argc == 5 && strcmp(argv[1], "udp") == 0)
    return run_udp(argv[2], argv[3], atoi(argv[4]));
  fprintf(stderr, "usage: cluster_probe listen PORT | connect|hold HOST PORT MS"
                  " | udp HOST PORT COUNT\n");
  return 2;
}
