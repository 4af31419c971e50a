/* Test-support helper for the unit tests of libpvm3's buffers and packing
 * (tests/unit: test_pack.c, test_packf.c, test_fortran_strings.c): makes a
 * send buffer look received, without a daemon. Include after cmocka.h and
 * libpvm3's internal buffer.h; link libpvm3's static twin. */
#ifndef PVMT_UNIT_RECV_H
#define PVMT_UNIT_RECV_H

#include <stdlib.h>

#include "buffer.h"
#include "pvm3.h"

/* Makes a "received" copy of buffer sb: its segments gathered into one
 * malloc'd block of exactly the body's size (so that ASan sees any
 * overrun) and adopted. Returns the new buffer's id. */
static inline int pvmt_received_copy(int sb) {
  struct lpvm_buf *b = lpvm_buf_get(sb);
  size_t len;
  char *block;
  int id;

  assert_non_null(b);
  len = lpvm_buf_length(b);
  block = malloc(len ? len : 1);
  assert_non_null(block);
  lpvm_buf_gather(b, block);
  id = lpvm_buf_adopt(b->enc, block, len, block, free);
  assert_true(id > 0);
  return id;
}

/* Receives the active send buffer: its copy becomes the receive buffer,
 * whose id is returned. */
static inline int pvmt_receive_sbuf(void) {
  int id = pvmt_received_copy(pvm_getsbuf());
  pvm_setrbuf(id);
  return id;
}

#endif
