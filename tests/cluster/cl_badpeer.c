/* cl_badpeer: a peer that completes the TLS handshake with a valid
 * certificate of the VM's CA and then breaks the wire: frame limits and
 * decoding hold on daemon links as on the local socket.
 *   cl_badpeer ADDR:PORT CERTDIR NAME MASTER garbage|oversize|control
 *   cl_badpeer ADDR:PORT CERTDIR NAME MASTER resume VMID HOST_TID
 * CERTDIR holds ca.pem and NAME.pem/NAME.key; MASTER is the master's
 * certificate name. garbage: bytes that are no frame header; oversize: a
 * header that claims a frame over the limit; control: a well-formed frame
 * whose control payload does not decode. Prints "closed: <why>" and exits
 * 0 when the master ends the connection; 1 if it answers or stays open.
 * resume: a well-formed hello (channel binding included) that resumes the
 * link of host NAME under VMID as host HOST_TID (hex); prints "refused:
 * <reason>" and exits 0 when the master refuses it, 1 when it takes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "pvm.pb-c.h"
#include "tls.h"

#include "cl_tls.h"

/* The master's answer to a resuming hello, expected to be a refusal. */
static int on_answer(void *ctx, pvmw_frame *f) {
  int *rc = ctx;
  Pvmng__Control *m = pvmw_control_parse(f);
  pvmw_frame_free(f);
  if (m && m->body_case == PVMNG__CONTROL__BODY_PEER_WELCOME &&
      m->peer_welcome->code != 0) {
    printf("refused: %s\n", m->peer_welcome->reason);
    *rc = 0;
  } else {
    printf("the master took the resuming hello\n");
    *rc = 1;
  }
  if (m)
    pvmng__control__free_unpacked(m, NULL);
  return 1;
}

static int resume(char **argv, pvmw_tls_ctx *c) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerHello h = PVMNG__PEER_HELLO__INIT;
  uint8_t b[32];
  pvmw_tls *t;
  pvmw_frame *f;
  pvmw_reader rd;
  int fd, rc = -1;

  if (!(t = pvmw_tls_new(c, argv[4])) ||
      (fd = cl_tls_open("cl_badpeer", argv[1], t)) < 0 ||
      pvmw_tls_binding(t, b) != 0)
    return 2;
  h.proto_version = PVMW_VERSION;
  h.vmid = argv[6];
  h.host = argv[3];
  h.binding.data = b;
  h.binding.len = sizeof b;
  h.resume = 1;
  h.host_tid = (uint32_t)strtoul(argv[7], NULL, 16);
  m.body_case = PVMNG__CONTROL__BODY_PEER_HELLO;
  m.peer_hello = &h;
  if (!(f = pvmw_control_frame(&m)) || pvmw_tls_write(t, f->raw, f->raw_len))
    return 2;
  pvmw_frame_free(f);
  cl_tls_flush(fd, t);
  if (pvmw_reader_init(&rd, 1u << 20) != 0)
    return 2;
  while (rc < 0) {
    char *base;
    size_t space;
    int n;
    pvmw_reader_space(&rd, &base, &space);
    n = pvmw_tls_read(t, base, space);
    if (n > 0) {
      if (pvmw_reader_commit(&rd, (size_t)n, on_answer, &rc) < 0 && rc < 0)
        break;
      continue;
    }
    if (n < 0 || cl_tls_pull(fd, t) <= 0)
      break;
  }
  if (rc < 0)
    printf("no answer: the connection ended\n");
  pvmw_reader_free(&rd);
  pvmw_tls_free(t);
  pvmw_tls_ctx_free(c);
  close(fd);
  return rc < 0 ? 1 : rc;
}

int main(int argc, char **argv) {
  char err[512], ca[512], cert[512], key[512];
  uint8_t bad[PVMW_HDR_LEN + 16];
  pvmw_tls_ctx *c;
  pvmw_tls *t;
  size_t blen;
  int fd;

  if (argc != 6 && !(argc == 8 && strcmp(argv[5], "resume") == 0)) {
    fprintf(stderr, "usage: cl_badpeer ADDR:PORT CERTDIR NAME MASTER "
                    "garbage|oversize|control\n"
                    "       cl_badpeer ADDR:PORT CERTDIR NAME MASTER resume "
                    "VMID HOST_TID\n");
    return 2;
  }
  snprintf(ca, sizeof ca, "%s/ca.pem", argv[2]);
  snprintf(cert, sizeof cert, "%s/%s.pem", argv[2], argv[3]);
  snprintf(key, sizeof key, "%s/%s.key", argv[2], argv[3]);
  if (!(c = pvmw_tls_ctx_new(0, ca, cert, key, err, sizeof err))) {
    fprintf(stderr, "cl_badpeer: %s\n", err);
    return 2;
  }
  if (strcmp(argv[5], "resume") == 0)
    return resume(argv, c);
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
