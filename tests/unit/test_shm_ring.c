/* Unit tests for the shared-memory ring (libpvm/shm_ring.c) in one
 * process: records that wrap around the end, a full ring, pull records,
 * and the sleep flags that decide when an end must be woken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm_ring.h"

#define CAP 4096u

static struct lpvm_ring *ring_new(void) {
  struct lpvm_ring *r = calloc(1, lpvm_ring_size(CAP));
  assert_non_null(r);
  lpvm_ring_init(r, CAP);
  assert_true(lpvm_ring_valid(r, CAP));
  assert_false(lpvm_ring_valid(r, CAP * 2));
  return r;
}

/* Reads everything there is as bytes into out; returns the count. */
static size_t take_all(struct lpvm_ring *r, unsigned char *out, size_t max) {
  size_t got = 0;
  for (;;) {
    const unsigned char *p1, *p2;
    size_t n1, n2;
    struct iovec iov[LPVM_PULL_MAX_IOV];
    int kind = lpvm_ring_peek(r, &p1, &n1, &p2, &n2, iov);
    if (kind == 0)
      return got;
    assert_int_equal(kind, LPVM_REC_BYTES);
    /* Take the first piece in two steps, to cover partial takes. */
    size_t half = n1 / 2;
    assert_true(got + n1 + n2 <= max);
    memcpy(out + got, p1, half);
    lpvm_ring_take(r, half);
    got += half;
    kind = lpvm_ring_peek(r, &p1, &n1, &p2, &n2, iov);
    assert_int_equal(kind, LPVM_REC_BYTES);
    memcpy(out + got, p1, n1);
    memcpy(out + got + n1, p2, n2);
    lpvm_ring_take(r, n1 + n2);
    got += n1 + n2;
  }
}

/* Many writes of odd sizes go round the ring many times, in order. */
static void test_wrap_around(void **state) {
  struct lpvm_ring *r = ring_new();
  unsigned char src[3000], dst[CAP];
  unsigned seq = 0, check = 0;
  (void)state;
  for (int round = 0; round < 500; round++) {
    size_t len = 1 + (size_t)(round * 389) % sizeof(src), put = 0, got;
    for (size_t i = 0; i < len; i++)
      src[i] = (unsigned char)(seq + i);
    while (put < len) {
      size_t k = lpvm_ring_put(r, src + put, len - put);
      assert_true(k > 0);
      put += k;
      got = take_all(r, dst, sizeof(dst));
      for (size_t i = 0; i < got; i++, check++)
        assert_int_equal(dst[i], (unsigned char)(seq + check));
    }
    assert_int_equal(check, len);
    seq += (unsigned)len;
    check = 0;
  }
  free(r);
}

/* A full ring takes nothing more until the reader makes room; the writer
 * then asks to be woken, and the reader's next take says so, once. */
static void test_full(void **state) {
  struct lpvm_ring *r = ring_new();
  unsigned char buf[CAP], out[CAP];
  size_t total = 0, k;
  (void)state;
  memset(buf, 7, sizeof(buf));
  while ((k = lpvm_ring_put(r, buf, sizeof(buf))) > 0)
    total += k;
  assert_true(total >= CAP / 2);
  assert_int_equal(lpvm_ring_put(r, buf, 1), 0);
  assert_false(lpvm_ring_has_room(r, 100));
  assert_int_equal(lpvm_ring_writer_arm(r, 100, UINT64_MAX), 1);
  assert_int_equal(take_all(r, out, sizeof(out)), total);
  assert_true(lpvm_ring_writer_needs_wake(r));
  assert_false(lpvm_ring_writer_needs_wake(r)); /* one wake-up per sleep */
  assert_true(lpvm_ring_has_room(r, 100));
  /* Room already there: no sleep. */
  assert_int_equal(lpvm_ring_writer_arm(r, 100, UINT64_MAX), 0);
  assert_false(lpvm_ring_writer_needs_wake(r));
  free(r);
}

/* The reader asks to be woken only while the ring is empty. */
static void test_reader_sleep(void **state) {
  struct lpvm_ring *r = ring_new();
  unsigned char out[64];
  (void)state;
  assert_false(lpvm_ring_reader_needs_wake(r));
  assert_int_equal(lpvm_ring_reader_arm(r), 1);
  assert_int_equal(lpvm_ring_put(r, "abc", 3), 3);
  assert_true(lpvm_ring_reader_needs_wake(r));
  assert_false(lpvm_ring_reader_needs_wake(r));
  assert_int_equal(lpvm_ring_reader_arm(r), 0); /* something is there */
  assert_int_equal(take_all(r, out, sizeof(out)), 3);
  assert_memory_equal(out, "abc", 3);
  assert_int_equal(lpvm_ring_reader_arm(r), 1);
  lpvm_ring_reader_disarm(r);
  assert_int_equal(lpvm_ring_put(r, "d", 1), 1);
  assert_false(lpvm_ring_reader_needs_wake(r));
  free(r);
}

/* A pull record carries the writer's pieces; its completion is counted. */
static void test_pull_record(void **state) {
  struct lpvm_ring *r = ring_new();
  char a[10], b[20];
  struct iovec in[2] = {{a, sizeof(a)}, {b, sizeof(b)}}, out[LPVM_PULL_MAX_IOV];
  const unsigned char *p1, *p2;
  size_t n1, n2;
  (void)state;
  assert_int_equal(lpvm_ring_put_pull(r, in, 0), -1);
  assert_int_equal(lpvm_ring_put_pull(r, in, LPVM_PULL_MAX_IOV + 1), -1);
  assert_int_equal(lpvm_ring_put_pull(r, in, 2), 0);
  assert_int_equal(lpvm_ring_peek(r, &p1, &n1, &p2, &n2, out), LPVM_REC_PULL);
  assert_int_equal(n1, 2);
  assert_ptr_equal(out[0].iov_base, a);
  assert_int_equal(out[1].iov_len, sizeof(b));
  assert_int_equal(lpvm_ring_pulls_done(r), 0);
  assert_int_equal(lpvm_ring_writer_arm(r, (size_t)-1, 0), 1);
  lpvm_ring_pull_done(r, 30, 0);
  assert_int_equal(lpvm_ring_pulls_done(r), 1);
  assert_true(lpvm_ring_writer_needs_wake(r));
  assert_int_equal(lpvm_ring_peek(r, &p1, &n1, &p2, &n2, out), 0);
  free(r);
}

/* A record that is not one (a peer writing garbage) is reported. */
static void test_malformed(void **state) {
  struct lpvm_ring *r = ring_new();
  const unsigned char *p1, *p2;
  size_t n1, n2;
  struct iovec iov[LPVM_PULL_MAX_IOV];
  uint32_t bad[2] = {99, 8};
  (void)state;
  memcpy(r->data, bad, sizeof(bad));
  atomic_store(&r->head, 16);
  assert_int_equal(lpvm_ring_peek(r, &p1, &n1, &p2, &n2, iov), -1);
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrap_around),  cmocka_unit_test(test_full),
      cmocka_unit_test(test_reader_sleep), cmocka_unit_test(test_pull_record),
      cmocka_unit_test(test_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
