/* Shared by the cluster tests' TLS clients (cl_join, cl_badpeer): moving
 * bytes between a blocking socket and the memory-BIO TLS engine, and
 * waiting for the master to end the connection. */
#ifndef CL_TLS_H
#define CL_TLS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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

#endif
