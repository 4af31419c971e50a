/* Shared by the cluster tests' TLS clients (cl_join, cl_badpeer): moving
 * bytes between a blocking socket and the memory-BIO TLS engine. */
#ifndef CL_TLS_H
#define CL_TLS_H

#include <stdint.h>
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

#endif
