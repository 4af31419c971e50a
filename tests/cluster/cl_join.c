/* cl_join: opens a join connection to a master the way a new daemon does
 * (TLS 1.3, the join ALPN, no client certificate, the master checked
 * against the CA in CA.pem and its name), then sends something that is not
 * a join request, to show the master takes nothing else there.
 *   cl_join ADDR:PORT CA.pem MASTER hello|message
 * hello: a PeerHello; message: a message frame. Prints "closed: <why>"
 * when the master ends the connection (status 0), else says what came. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "pki.h"
#include "tls.h"

#include "cl_tls.h"

int main(int argc, char **argv) {
  char err[512];
  uint8_t pin[32];
  pvmw_tls_ctx *c;
  pvmw_tls *t;
  pvmw_frame *f = NULL;
  int fd;
  if (argc != 5) {
    fprintf(stderr, "usage: cl_join ADDR:PORT CA.pem MASTER hello|message\n");
    return 2;
  }
  if (pvmw_pki_fingerprint(argv[2], pin, err, sizeof err) != 0 ||
      !(c = pvmw_tls_ctx_new_join(pin, err, sizeof err))) {
    fprintf(stderr, "cl_join: %s\n", err);
    return 2;
  }
  if (!(t = pvmw_tls_new(c, argv[3])) ||
      (fd = cl_tls_open("cl_join", argv[1], t)) < 0)
    return 2;
  if (!pvmw_tls_is_join(t)) {
    fprintf(stderr, "cl_join: no join connection: %s\n", pvmw_tls_reason(t));
    return 2;
  }
  if (strcmp(argv[4], "hello") == 0) {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__PeerHello h = PVMNG__PEER_HELLO__INIT;
    h.proto_version = PVMW_VERSION;
    h.vmid = (char *)"x";
    h.host = argv[3];
    m.body_case = PVMNG__CONTROL__BODY_PEER_HELLO;
    m.peer_hello = &h;
    f = pvmw_control_frame(&m);
    if (!f || pvmw_tls_write(t, f->raw, f->raw_len) != 0)
      return 2;
  } else {
    uint8_t fr[PVMW_HDR_LEN + 8] = {0};
    pvmw_hdr_put(fr, PVMW_FT_MESSAGE, 8);
    if (pvmw_tls_write(t, fr, sizeof fr) != 0)
      return 2;
  }
  pvmw_frame_free(f);
  return cl_tls_finish(fd, t, c);
}
