/* Fuzz target for Control decoding (pvmw_control_parse): what is accepted
 * re-encodes, decodes and re-encodes to the same bytes; spawn requests pass
 * the daemon's validation; a PeerForward's inner Control is checked too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "pvm3.h"
#include "pvmd.h"
#include "spawn.h"

static void check_payload(const uint8_t *data, size_t size, int depth);

/* What the daemon checks before acting on a decoded request. */
static void validate(const Pvmng__Control *c, int depth) {
  static struct pvmd_limits lim;
  static int lim_set;
  char err[256];

  if (!lim_set) {
    pvmd_limits_default(&lim);
    lim_set = 1;
  }
  switch (c->body_case) {
  case PVMNG__CONTROL__BODY_SPAWN: {
    int rc;
    err[0] = '\0';
    rc = pvmd_spawn_check(&lim, c->spawn, err, sizeof err);
    FZ_CHECK(rc == 0 || rc == PvmBadParam);
    FZ_CHECK(rc == 0 || err[0] != '\0');
    break;
  }
  case PVMNG__CONTROL__BODY_PEER_FORWARD:
    if (depth < 2)
      check_payload(c->peer_forward->control.data, c->peer_forward->control.len,
                    depth + 1);
    break;
  default:
    break;
  }
}

/* Encodes c; returns the malloc'd bytes and their count in *n. */
static uint8_t *encode(const Pvmng__Control *c, size_t *n) {
  uint8_t *out;

  *n = pvmng__control__get_packed_size(c);
  out = malloc(*n ? *n : 1);
  FZ_CHECK(out != NULL);
  FZ_CHECK(pvmng__control__pack(c, out) == *n);
  return out;
}

static void check_payload(const uint8_t *data, size_t size, int depth) {
  Pvmng__Control *c1, *c2;
  uint8_t *b1, *b2;
  size_t n1, n2;

  if (size > 0 && size <= PVMW_MAX_CONTROL) {
    /* Through a frame, as the daemon and the library receive it. */
    pvmw_frame *f = pvmw_frame_alloc(PVMW_FT_CONTROL, (uint32_t)size);
    FZ_CHECK(f != NULL);
    memcpy(f->payload, data, size);
    c1 = pvmw_control_parse(f);
    pvmw_frame_free(f);
  } else {
    c1 = pvmng__control__unpack(NULL, size, data);
  }
  if (c1 == NULL)
    return;

  validate(c1, depth);
  b1 = encode(c1, &n1);
  c2 = pvmng__control__unpack(NULL, n1, b1);
  FZ_CHECK(c2 != NULL); /* what we encode, we decode */
  FZ_CHECK(c2->body_case == c1->body_case && c2->req_id == c1->req_id);
  b2 = encode(c2, &n2);
  FZ_CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);

  /* The frame glue encodes the same bytes whenever they are within the
   * control cap. */
  if (n1 > 0 && n1 <= PVMW_MAX_CONTROL) {
    pvmw_frame *f = pvmw_control_frame(c1);
    FZ_CHECK(f != NULL && f->len == n1 && memcmp(f->payload, b1, n1) == 0);
    pvmw_frame_free(f);
  }
  free(b1);
  free(b2);
  pvmng__control__free_unpacked(c2, NULL);
  pvmng__control__free_unpacked(c1, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_payload(data, size, 0);
  return 0;
}
