/* Unit tests for daemon/peer_rel.c, acknowledged delivery on links between
 * daemons: frames are kept in order until acknowledged (across the growth
 * of the ring, with the ring wrapped), an acknowledgement frees exactly the
 * frames it covers and refuses a count beyond those sent, the frames after
 * a resumed count are the ones to re-send, every byte kept is charged to
 * the daemon's memory budget and given back, and the receiver asks for an
 * acknowledgement after REL_ACK_FRAMES frames or REL_ACK_BYTES bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "peer_int.h"
#include "pvmd.h"

static struct pvmd d;

/* A frame whose first payload byte is n (a stand-in for its number). */
static pvmw_frame *frame_n(unsigned n, uint32_t len) {
  pvmw_frame *f = pvmw_frame_alloc(PVMW_FT_MESSAGE, len);
  assert_non_null(f);
  f->payload[0] = (uint8_t)n;
  return f;
}

static void keep_ack_in_order(void **state) {
  struct pvmd_rel r;
  pvmw_frame *t = frame_n(0, 100);
  size_t one = t->raw_len;
  (void)state;
  pvmw_frame_free(t);
  memset(&d, 0, sizeof d);
  pvmd_limits_default(&d.lim);
  memset(&r, 0, sizeof r);
  /* 50 kept, 30 acknowledged: the ring's head moves on. */
  for (unsigned i = 1; i <= 50; i++)
    assert_int_equal(pvmd_rel_keep(&d, &r, frame_n(i, 100)), 0);
  assert_int_equal(r.tx_seq, 50);
  assert_int_equal(r.bytes, 50 * one);
  assert_int_equal(d.st.mem_queued, 50 * one);
  assert_int_equal(pvmd_rel_ack(&d, &r, 30), 0);
  assert_int_equal(r.tx_acked, 30);
  assert_int_equal(r.bytes, 20 * one);
  /* 100 more: the ring grows while it is wrapped, order kept. */
  for (unsigned i = 51; i <= 150; i++)
    assert_int_equal(pvmd_rel_keep(&d, &r, frame_n(i, 100)), 0);
  for (uint64_t s = 31; s <= 150; s++)
    assert_int_equal(pvmd_rel_at(&r, s)->payload[0], (uint8_t)s);
  assert_null(pvmd_rel_at(&r, 30));
  assert_null(pvmd_rel_at(&r, 151));
  /* A stale count changes nothing; one beyond what was sent is refused. */
  assert_int_equal(pvmd_rel_ack(&d, &r, 10), 0);
  assert_int_equal(r.tx_acked, 30);
  assert_int_equal(pvmd_rel_ack(&d, &r, 151), -1);
  assert_int_equal(r.tx_acked, 30);
  /* Resumed with 140 received: 141..150 are the ones to re-send. */
  assert_int_equal(pvmd_rel_ack(&d, &r, 140), 0);
  assert_int_equal(pvmd_rel_at(&r, 141)->payload[0], 141);
  assert_int_equal(r.tx_seq - r.tx_acked, 10);
  pvmd_rel_free(&d, &r);
  assert_int_equal(d.st.mem_queued, 0);
  assert_int_equal(r.tx_seq, 0);
}

static void ack_due(void **state) {
  struct pvmd_rel r;
  unsigned n = 0;
  (void)state;
  memset(&r, 0, sizeof r);
  while (!pvmd_rel_received(&r, 10))
    n++;
  assert_int_equal(n + 1, REL_ACK_FRAMES);
  r.rx_acked = r.rx_seq;
  r.rx_bytes = 0;
  assert_int_equal(pvmd_rel_received(&r, REL_ACK_BYTES), 1);
  assert_int_equal(r.rx_seq, REL_ACK_FRAMES + 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keep_ack_in_order),
      cmocka_unit_test(ack_due),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
