/* Unit tests for wire/frame.c: header checks, the incremental reader fed in
 * every chunk size, limits enforced before allocation, and the protobuf
 * round trips of Control and MsgHeader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define BadMsg (-12)
#define BadVersion (-26)

struct sink {
  int n;
  size_t total;
  uint32_t lens[64];
  uint8_t types[64];
  uint8_t first_byte[64];
  int stop_after;
};

static int collect(void *ctx, pvmw_frame *f) {
  struct sink *s = ctx;
  if (s->n < 64) {
    s->lens[s->n] = f->len;
    s->types[s->n] = f->type;
    s->first_byte[s->n] = f->payload[0];
  }
  s->n++;
  s->total += f->len;
  /* raw must hold an unchanged header for forwarding */
  assert_int_equal(f->raw_len, PVMW_HDR_LEN + f->len);
  assert_memory_equal(f->raw + PVMW_HDR_LEN, f->payload, 1);
  pvmw_frame_free(f);
  return s->stop_after && s->n >= s->stop_after;
}

/* Builds a stream of frames with the given payload lengths. */
static uint8_t *make_stream(const uint32_t *lens, int n, size_t *out_len) {
  size_t total = 0;
  for (int i = 0; i < n; i++)
    total += PVMW_HDR_LEN + lens[i];
  uint8_t *s = malloc(total), *p = s;
  for (int i = 0; i < n; i++) {
    pvmw_hdr_put(p, i % 2 ? PVMW_FT_CONTROL : PVMW_FT_MESSAGE, lens[i]);
    memset(p + PVMW_HDR_LEN, (int)(i + 1), lens[i]);
    p += PVMW_HDR_LEN + lens[i];
  }
  *out_len = total;
  return s;
}

static void test_header(void **state) {
  (void)state;
  uint8_t h[PVMW_HDR_LEN];
  uint8_t type;
  uint32_t len;
  char err[160];

  pvmw_hdr_put(h, PVMW_FT_MESSAGE, 100);
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err), 0);
  assert_int_equal(type, PVMW_FT_MESSAGE);
  assert_int_equal(len, 100);

  assert_int_equal(pvmw_hdr_check(h, 99, &type, &len, err, sizeof err), BadMsg);
  assert_non_null(strstr(err, "over the limit"));

  h[0] ^= 0xff;
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err),
                   BadMsg);
  assert_non_null(strstr(err, "magic"));
  h[0] ^= 0xff;

  h[4] = 9;
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err),
                   BadVersion);
  h[4] = PVMW_VERSION;

  h[5] = 77;
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err),
                   BadMsg);
  h[5] = PVMW_FT_MESSAGE;

  h[7] = 1;
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err),
                   BadMsg);
  h[7] = 0;

  pvmw_hdr_put(h, PVMW_FT_MESSAGE, 0);
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err),
                   BadMsg);

  /* An acknowledgement (direct links) is exactly its 8-byte count. */
  pvmw_hdr_put(h, PVMW_FT_ACK, PVMW_ACK_LEN);
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err), 0);
  assert_int_equal(type, PVMW_FT_ACK);
  assert_int_equal(len, PVMW_ACK_LEN);
  pvmw_hdr_put(h, PVMW_FT_ACK, PVMW_ACK_LEN + 1);
  assert_int_equal(pvmw_hdr_check(h, 1000, &type, &len, err, sizeof err),
                   BadMsg);
  assert_non_null(strstr(err, "acknowledgement"));

  /* control frames are capped at PVMW_MAX_CONTROL whatever max_payload */
  pvmw_hdr_put(h, PVMW_FT_CONTROL, PVMW_MAX_CONTROL + 1);
  assert_int_equal(
      pvmw_hdr_check(h, PVMW_MAX_FRAME, &type, &len, err, sizeof err), BadMsg);
}

/* Every chunk size from 1 byte up, over small frames and frames larger than
 * the staging buffer, yields the same frames. */
static void test_reader_chunks(void **state) {
  (void)state;
  const uint32_t lens[] = {1, 5, 70000, 12, 200000, 3, 65524, 65536, 9};
  const int n = (int)(sizeof lens / sizeof lens[0]);
  size_t slen;
  uint8_t *s = make_stream(lens, n, &slen);
  const size_t chunks[] = {1, 2, 3, 7, 11, 100, 4096, 65536, 70001, slen};

  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    pvmw_reader r;
    struct sink k = {0};
    assert_int_equal(pvmw_reader_init(&r, PVMW_MAX_FRAME), 0);
    for (size_t off = 0; off < slen; off += chunks[c]) {
      size_t take = slen - off < chunks[c] ? slen - off : chunks[c];
      assert_int_equal(pvmw_reader_feed(&r, s + off, take, collect, &k), 0);
    }
    assert_int_equal(k.n, n);
    for (int i = 0; i < n; i++) {
      assert_int_equal(k.lens[i], lens[i]);
      assert_int_equal(k.first_byte[i], i + 1);
      assert_int_equal(k.types[i], i % 2 ? PVMW_FT_CONTROL : PVMW_FT_MESSAGE);
    }
    pvmw_reader_free(&r);
  }
  free(s);
}

/* An oversized length is refused from the header alone: nothing is
 * allocated at the claimed size and the reason names the limit. */
static void test_reader_limits(void **state) {
  (void)state;
  pvmw_reader r;
  struct sink k = {0};
  uint8_t h[PVMW_HDR_LEN];

  assert_int_equal(pvmw_reader_init(&r, 1024), 0);
  pvmw_hdr_put(h, PVMW_FT_MESSAGE, 0xffffffffu);
  assert_int_equal(pvmw_reader_feed(&r, h, sizeof h, collect, &k), BadMsg);
  assert_non_null(strstr(r.err, "over the limit"));
  assert_null(r.cur);
  assert_int_equal(k.n, 0);
  pvmw_reader_free(&r);

  /* garbage */
  assert_int_equal(pvmw_reader_init(&r, 1024), 0);
  assert_int_equal(pvmw_reader_feed(&r, "GET / HTTP/1.1\r\n", 16, collect, &k),
                   BadMsg);
  pvmw_reader_free(&r);

  /* a truncated frame yields nothing and holds no more than it got */
  assert_int_equal(pvmw_reader_init(&r, PVMW_MAX_FRAME), 0);
  pvmw_hdr_put(h, PVMW_FT_MESSAGE, 100);
  assert_int_equal(pvmw_reader_feed(&r, h, sizeof h, collect, &k), 0);
  assert_int_equal(pvmw_reader_feed(&r, "abc", 3, collect, &k), 0);
  assert_int_equal(k.n, 0);
  pvmw_reader_free(&r);
}

static void test_reader_stop(void **state) {
  (void)state;
  const uint32_t lens[] = {4, 4, 4};
  size_t slen;
  uint8_t *s = make_stream(lens, 3, &slen);
  pvmw_reader r;
  struct sink k = {0};
  k.stop_after = 1;
  assert_int_equal(pvmw_reader_init(&r, 1024), 0);
  assert_int_equal(pvmw_reader_feed(&r, s, slen, collect, &k), 1);
  assert_int_equal(k.n, 1);
  pvmw_reader_free(&r);
  free(s);
}

static void test_control_roundtrip(void **state) {
  (void)state;
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__SpawnRequest sp = PVMNG__SPAWN_REQUEST__INIT;
  char *argv[] = {"a", "", "c d"};
  c.req_id = 42;
  c.body_case = PVMNG__CONTROL__BODY_SPAWN;
  c.spawn = &sp;
  sp.file = "/bin/echo";
  sp.n_argv = 3;
  sp.argv = argv;
  sp.ntask = 3;
  sp.flags = -1;

  pvmw_frame *f = pvmw_control_frame(&c);
  assert_non_null(f);
  assert_int_equal(f->type, PVMW_FT_CONTROL);
  Pvmng__Control *d = pvmw_control_parse(f);
  assert_non_null(d);
  assert_int_equal(d->req_id, 42);
  assert_int_equal(d->body_case, PVMNG__CONTROL__BODY_SPAWN);
  assert_string_equal(d->spawn->file, "/bin/echo");
  assert_int_equal(d->spawn->n_argv, 3);
  assert_string_equal(d->spawn->argv[1], "");
  assert_string_equal(d->spawn->argv[2], "c d");
  assert_int_equal(d->spawn->flags, -1);
  pvmng__control__free_unpacked(d, NULL);

  /* a key for field number 0, written in two bytes, at the top and nested:
   * refused, since it could not be encoded again */
  {
    static const uint8_t zero_top[] = {0x82, 0x00, 0x00};
    static const uint8_t zero_nested[] = {0x62, 0x03, 0x82, 0x00, 0x00};
    pvmw_frame *z = pvmw_frame_alloc(PVMW_FT_CONTROL, sizeof zero_top);
    memcpy(z->payload, zero_top, sizeof zero_top);
    assert_null(pvmw_control_parse(z));
    pvmw_frame_free(z);
    z = pvmw_frame_alloc(PVMW_FT_CONTROL, sizeof zero_nested);
    memcpy(z->payload, zero_nested, sizeof zero_nested);
    assert_null(pvmw_control_parse(z));
    pvmw_frame_free(z);
  }

  /* a corrupted payload is refused, not half-parsed */
  f->payload[0] = 0xff;
  f->payload[1] = 0xff;
  assert_null(pvmw_control_parse(f));
  pvmw_frame_free(f);
}

static void test_msghdr_roundtrip(void **state) {
  (void)state;
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT, d;
  uint8_t buf[PVMW_MAX_MSGHDR + 2 + 16];
  const uint8_t *body;
  uint32_t blen;

  h.src = 0x40001;
  h.dst = 0x3ffc0abc;
  h.tag = -7;
  h.ctx = 0x7ffffff0;
  h.encoding = 1;
  h.flags = PVMW_MF_FIRST | PVMW_MF_LAST;
  h.total_len = (uint64_t)5 << 32;
  h.wid = 9;
  size_t n = pvmw_msghdr_encode(&h, buf);
  assert_true(n > 2);
  memcpy(buf + n, "body", 4);
  assert_int_equal(pvmw_msghdr_decode(buf, (uint32_t)n + 4, &d, &body, &blen),
                   0);
  assert_int_equal(d.src, h.src);
  assert_int_equal(d.dst, h.dst);
  assert_int_equal(d.tag, -7);
  assert_int_equal(d.ctx, h.ctx);
  assert_int_equal(d.encoding, 1);
  assert_int_equal(d.flags, 3);
  assert_true(d.total_len == h.total_len);
  assert_int_equal(d.wid, 9);
  assert_int_equal(blen, 4);
  assert_memory_equal(body, "body", 4);

  /* header length beyond the payload, truncated varints, bad wire types */
  assert_int_equal(pvmw_msghdr_decode(buf, 1, &d, &body, &blen), BadMsg);
  assert_int_equal(pvmw_msghdr_decode(buf, (uint32_t)n - 1, &d, &body, &blen),
                   BadMsg);
  uint8_t bad[] = {0, 2, 0x08, 0x80};
  assert_int_equal(pvmw_msghdr_decode(bad, sizeof bad, &d, &body, &blen),
                   BadMsg);
  uint8_t badwt[] = {0, 1, 0x0b};
  assert_int_equal(pvmw_msghdr_decode(badwt, sizeof badwt, &d, &body, &blen),
                   BadMsg);
  uint8_t toolong[] = {0x01, 0x01, 0};
  assert_int_equal(
      pvmw_msghdr_decode(toolong, sizeof toolong, &d, &body, &blen), BadMsg);
  /* random bytes never crash and never point past the payload */
  srand(1);
  for (int i = 0; i < 100000; i++) {
    uint8_t rnd[40];
    uint32_t len = (uint32_t)(rand() % 40);
    for (uint32_t j = 0; j < len; j++)
      rnd[j] = (uint8_t)rand();
    if (len >= 2)
      rnd[0] = 0;
    if (pvmw_msghdr_decode(rnd, len, &d, &body, &blen) == 0)
      assert_true(body + blen == rnd + len);
  }
}

/* A whole message in one frame: header marked first and last with the
 * body's length, the body's room right after it. */
static void test_message_frame(void **state) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT, d = PVMNG__MSG_HEADER__INIT;
  const uint8_t *body;
  uint32_t blen;
  uint8_t *room;
  pvmw_frame *f;
  (void)state;
  h.src = 0x40001;
  h.dst = 0x80002;
  h.tag = 7;
  f = pvmw_message_frame(&h, 5, &room);
  assert_non_null(f);
  assert_int_equal(f->type, PVMW_FT_MESSAGE);
  memcpy(room, "hello", 5);
  assert_int_equal(pvmw_msghdr_decode(f->payload, f->len, &d, &body, &blen), 0);
  assert_int_equal(d.src, 0x40001);
  assert_int_equal(d.dst, 0x80002);
  assert_int_equal(d.tag, 7);
  assert_int_equal(d.flags, PVMW_MF_FIRST | PVMW_MF_LAST);
  assert_int_equal(d.total_len, 5);
  assert_int_equal(blen, 5);
  assert_ptr_equal(body, room);
  assert_memory_equal(body, "hello", 5);
  pvmw_frame_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header),
      cmocka_unit_test(test_reader_chunks),
      cmocka_unit_test(test_reader_limits),
      cmocka_unit_test(test_reader_stop),
      cmocka_unit_test(test_control_roundtrip),
      cmocka_unit_test(test_msghdr_roundtrip),
      cmocka_unit_test(test_message_frame),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
