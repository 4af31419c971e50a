/* cl_badpeer: a peer that completes the TLS handshake with a valid
 * certificate of the VM's CA and then breaks the wire: frame limits and
 * decoding hold on daemon links as on the local socket.
 *   cl_badpeer ADDR:PORT CERTDIR NAME MASTER garbage|oversize|control
 * CERTDIR holds ca.pem and NAME.pem/NAME.key; MASTER is the master's
 * certificate name. garbage: bytes that are no frame header; oversize: a
 * header that claims a frame over the limit; control: a well-formed frame
 * whose control payload does not decode. Prints "closed: <why>" and exits
 * 0 when the master ends the connection; 1 if it answers or stays open. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "frame.h"
#include "tls.h"

#include "cl_tls.h"

int main(int argc, char **argv) {
  char err[512], host[64], ca[512], cert[512], key[512];
  uint8_t bad[PVMW_HDR_LEN + 16];
  struct sockaddr_in sa;
  struct timeval tv = {5, 0};
  const char *colon;
  pvmw_tls_ctx *c;
  pvmw_tls *t;
  size_t blen;
  int fd, rc;

  if (argc != 6 || !(colon = strrchr(argv[1], ':')) ||
      (size_t)(colon - argv[1]) >= sizeof host) {
    fprintf(stderr, "usage: cl_badpeer ADDR:PORT CERTDIR NAME MASTER "
                    "garbage|oversize|control\n");
    return 2;
  }
  memcpy(host, argv[1], (size_t)(colon - argv[1]));
  host[colon - argv[1]] = '\0';
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)atoi(colon + 1));
  snprintf(ca, sizeof ca, "%s/ca.pem", argv[2]);
  snprintf(cert, sizeof cert, "%s/%s.pem", argv[2], argv[3]);
  snprintf(key, sizeof key, "%s/%s.key", argv[2], argv[3]);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
      !(c = pvmw_tls_ctx_new(0, ca, cert, key, err, sizeof err))) {
    fprintf(stderr, "cl_badpeer: %s\n", err);
    return 2;
  }
  if (strcmp(argv[5], "garbage") == 0) {
    memcpy(bad, "GARBAGE, NOT A FRAME HEADER!", 28);
    blen = 28;
  } else if (strcmp(argv[5], "oversize") == 0) {
    pvmw_hdr_put(bad, PVMW_FT_CONTROL, 0xfffffff0u);
    blen = PVMW_HDR_LEN;
  } else if (strcmp(argv[5], "control") == 0) {
    pvmw_hdr_put(bad, PVMW_FT_CONTROL, 16);
    memset(bad + PVMW_HDR_LEN, 0xff, 16);
    blen = PVMW_HDR_LEN + 16;
  } else {
    fprintf(stderr, "cl_badpeer: unknown mode %s\n", argv[5]);
    return 2;
  }
  t = pvmw_tls_new(c, argv[4]);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!t || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("cl_badpeer: connect");
    return 2;
  }
  while ((rc = pvmw_tls_handshake(t)) == 0)
    if (cl_tls_flush(fd, t) != 0 || cl_tls_pull(fd, t) <= 0)
      break;
  cl_tls_flush(fd, t);
  if (rc != 1) {
    fprintf(stderr, "cl_badpeer: no TLS link: %s\n", pvmw_tls_reason(t));
    return 2;
  }
  if (pvmw_tls_write(t, bad, blen) != 0)
    return 2;
  cl_tls_flush(fd, t);
  rc = cl_tls_await_close(fd, t);
  pvmw_tls_free(t);
  pvmw_tls_ctx_free(c);
  close(fd);
  return rc;
}
