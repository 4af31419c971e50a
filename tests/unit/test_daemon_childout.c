/* Unit tests for daemon/childout.c's message format: the system message that
 * carries one line of a task's output (or its BEGIN / END) to the task that
 * collects it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "childout.h"
#include "frame.h"
#include "xdr.h"

static const uint8_t *decode(pvmw_frame *f, Pvmng__MsgHeader *h, uint32_t *n) {
  const uint8_t *body;
  assert_int_equal(f->type, PVMW_FT_MESSAGE);
  assert_int_equal(pvmw_msghdr_decode(f->payload, f->len, h, &body, n), 0);
  assert_int_equal(h->src, 0x40000);
  assert_int_equal(h->dst, 0x40001);
  assert_int_equal(h->tag, -7);
  assert_int_equal(h->ctx, 12);
  assert_int_equal(h->encoding, 0);
  assert_int_equal(h->flags, PVMW_MF_FIRST | PVMW_MF_LAST);
  assert_int_equal(h->total_len, *n);
  assert_int_equal(pvmw_get_be32(body), PVMW_XT_INT);
  assert_int_equal(pvmw_get_be32(body + 4), 1);
  assert_int_equal(pvmw_get_be32(body + 8), 0x40002);
  assert_int_equal(pvmw_get_be32(body + 12), PVMW_XT_INT);
  assert_int_equal(pvmw_get_be32(body + 16), 1);
  return body;
}

static void test_line(void **state) {
  Pvmng__MsgHeader h;
  uint32_t n;
  pvmw_frame *f =
      pvmd_output_frame(0x40000, 0x40001, -7, 12, 0x40002, "hello\n", 6);
  const uint8_t *b;
  (void)state;
  assert_non_null(f);
  b = decode(f, &h, &n);
  assert_int_equal(n, 24 + 8 + 6);
  assert_int_equal((int32_t)pvmw_get_be32(b + 20), 6);
  assert_int_equal(pvmw_get_be32(b + 24), PVMW_XT_BYTE);
  assert_int_equal(pvmw_get_be32(b + 28), 6);
  assert_memory_equal(b + 32, "hello\n", 6);
  pvmw_frame_free(f);
}

static void test_begin_end(void **state) {
  Pvmng__MsgHeader h;
  uint32_t n;
  pvmw_frame *f =
      pvmd_output_frame(0x40000, 0x40001, -7, 12, 0x40002, NULL, -1);
  const uint8_t *b;
  (void)state;
  b = decode(f, &h, &n);
  assert_int_equal(n, 24); /* BEGIN: no BYTE item */
  assert_int_equal((int32_t)pvmw_get_be32(b + 20), -1);
  pvmw_frame_free(f);
  f = pvmd_output_frame(0x40000, 0x40001, -7, 12, 0x40002, NULL, 0);
  b = decode(f, &h, &n);
  assert_int_equal(n, 32); /* END: an empty BYTE item */
  assert_int_equal((int32_t)pvmw_get_be32(b + 20), 0);
  assert_int_equal(pvmw_get_be32(b + 24), PVMW_XT_BYTE);
  assert_int_equal(pvmw_get_be32(b + 28), 0);
  pvmw_frame_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line),
      cmocka_unit_test(test_begin_end),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
