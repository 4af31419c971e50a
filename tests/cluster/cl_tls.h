/* Shared by the cluster tests' TLS clients (cl_join, cl_badpeer): moving
 * bytes between a blocking socket and the memory-BIO TLS engine, opening
 * a TLS connection, and waiting for the master to end it. */
#ifndef CL_TLS_H
#define CL_TLS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tls.h"

/* Sends everything the engine has to send; 0 or -1. */
static inline int cl_tls_flush(int fd, pvmw_tls *t) {
  const uint8_t *d;
  size_t n;
  while ((n = pvmw_tls_outgoing(t, &d)) > 0) {
    ssize_t w = send(fd, d, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    pvmw_tls_consumed(t, (size_t)w);
  }
  return 0;
}

/* Feeds what one recv brings: 1, 0 at the end of the stream, -1. */
static inline int cl_tls_pull(int fd, pvmw_tls *t) {
  uint8_t buf[16384];
  ssize_t n = recv(fd, buf, sizeof buf, 0);
  if (n <= 0)
    return n == 0 ? 0 : -1;
  return pvmw_tls_feed(t, buf, (size_t)n) == 0 ? 1 : -1;
}

/* Connects to ADDR:PORT (IPv4; receives time out after 5 s) and runs the
 * TLS handshake of t there. Returns the socket, or -1 after saying why on
 * stderr under the name who. */
static inline int cl_tls_open(const char *who, const char *addr_port,
                              pvmw_tls *t) {
  char host[64];
  const char *colon = strrchr(addr_port, ':');
  struct sockaddr_in sa;
  struct timeval tv = {5, 0};
  int fd, rc;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  if (colon == NULL || (size_t)(colon - addr_port) >= sizeof host) {
    fprintf(stderr, "%s: %s is not ADDR:PORT\n", who, addr_port);
    return -1;
  }
  memcpy(host, addr_port, (size_t)(colon - addr_port));
  host[colon - addr_port] = '\0';
  sa.sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "%s: %s is not an IPv4 address\n", who, host);
    return -1;
  }
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    fprintf(stderr, "%s: connect %s: %s\n", who, addr_port, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  while ((rc = pvmw_tls_handshake(t)) == 0)
    if (cl_tls_flush(fd, t) != 0 || cl_tls_pull(fd, t) <= 0)
      break;
  cl_tls_flush(fd, t);
  if (rc != 1) {
    fprintf(stderr, "%s: no TLS link: %s\n", who, pvmw_tls_reason(t));
    close(fd);
    return -1;
  }
  return fd;
}

/* After a client sent something the master must not take: waits until the
 * master ends the connection. Prints "closed: <why>" and returns 0 then;
 * 1 (said) when it answers instead or stays open past the receive
 * timeout. */
static inline int cl_tls_await_close(int fd, pvmw_tls *t) {
  uint8_t plain[4096];
  for (;;) {
    int r = pvmw_tls_read(t, plain, sizeof plain);
    cl_tls_flush(fd, t);
    if (r > 0) {
      printf("the master answered %d bytes\n", r);
      return 1;
    }
    if (r < 0) {
      printf("closed: %s\n", pvmw_tls_reason(t));
      return 0;
    }
    r = cl_tls_pull(fd, t);
    if (r == 0) {
      printf("closed: end of stream\n");
      return 0;
    }
    if (r < 0) {
      printf("no answer and still open: %s\n", strerror(errno));
      return 1;
    }
  }
}

/* Sends what t holds, waits for the master to close (cl_tls_await_close),
 * then frees t and c and closes fd. Returns the wait's result. */
static inline int cl_tls_finish(int fd, pvmw_tls *t, pvmw_tls_ctx *c) {
  int rc;
  cl_tls_flush(fd, t);
  rc = cl_tls_await_close(fd, t);
  pvmw_tls_free(t);
  pvmw_tls_ctx_free(c);
  close(fd);
  return rc;
}

#endif
