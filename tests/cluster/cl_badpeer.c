/* cl_badpeer: a peer that completes the TLS handshake with a valid
 * certificate of the VM's CA and then breaks the wire: frame limits and
 * decoding hold on daemon links as on the local socket.
 *   cl_badpeer ADDR:PORT CERTDIR NAME MASTER garbage|oversize|control
 * CERTDIR holds ca.pem and NAME.pem/NAME.key; MASTER is the master's
 * certificate name. garbage: bytes that are no frame header; oversize: a
 * header that claims a frame over the limit; control: a well-formed frame
 * whose control payload does not decode. Prints "closed: <why>" and exits
 * 0 when the master ends the connection; 1 if it answers or stays open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "tls.h"

#include "cl_tls.h"

int main(int argc, char **argv) {
  char err[512], ca[512], cert[512], key[512];
  uint8_t bad[PVMW_HDR_LEN + 16];
  pvmw_tls_ctx *c;
  pvmw_tls *t;
  size_t blen;
  int fd;

  if (argc != 6) {
    fprintf(stderr, "usage: cl_badpeer ADDR:PORT CERTDIR NAME MASTER "
                    "garbage|oversize|control\n");
    return 2;
  }
  snprintf(ca, sizeof ca, "%s/ca.pem", argv[2]);
  snprintf(cert, sizeof cert, "%s/%s.pem", argv[2], argv[3]);
  snprintf(key, sizeof key, "%s/%s.key", argv[2], argv[3]);
  if (!(c = pvmw_tls_ctx_new(0, ca, cert, key, err, sizeof err))) {
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
  if (!(t = pvmw_tls_new(c, argv[4])) ||
      (fd = cl_tls_open("cl_badpeer", argv[1], t)) < 0)
    return 2;
  if (pvmw_tls_write(t, bad, blen) != 0)
    return 2;
  return cl_tls_finish(fd, t, c);
}
