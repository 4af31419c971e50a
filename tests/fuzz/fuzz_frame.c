/* Fuzz target for the frame reader (wire/frame.c): a stream fed in chunk
 * sizes the input chooses; every frame is held to the cap and decoded, and
 * under a sanitizer so is every allocation the reader makes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

#define BadMsg (-12)
#define NoMem (-10)
#define BadVersion (-26)

/* Sanitizer runtimes (ASan, and libFuzzer's) call these hooks on every
 * allocation; without a runtime the symbol is absent and only the
 * structural checks below apply. */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *)) __attribute__((weak));

static int measuring;  /* count allocations now (the reader is running) */
static size_t largest; /* largest allocation counted */

static void on_malloc(const volatile void *p, size_t n) {
  (void)p;
  if (measuring && n > largest)
    largest = n;
}
static void on_free(const volatile void *p) { (void)p; }

struct sink {
  uint32_t cap;    /* the reader's max_payload */
  unsigned frames; /* frames delivered */
  unsigned stop_after;
  uint64_t raw_bytes; /* sum of the delivered frames' raw lengths */
};

static uint32_t type_cap(uint32_t cap, int type) {
  if (type == PVMW_FT_CONTROL && cap > PVMW_MAX_CONTROL)
    return PVMW_MAX_CONTROL;
  return cap;
}

static void check_message(const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body = NULL;
  uint32_t body_len = 0;
  int rc = pvmw_msghdr_decode(f->payload, f->len, &h, &body, &body_len);

  FZ_CHECK(rc == 0 || rc == BadMsg);
  if (rc == 0) {
    FZ_CHECK(body >= f->payload + 2 && body <= f->payload + f->len);
    FZ_CHECK(body + body_len == f->payload + f->len);
  }
  /* A message frame is never taken for a Control. */
  FZ_CHECK(pvmw_control_parse(f) == NULL);
}

static void check_control(const pvmw_frame *f) {
  Pvmng__Control *c = pvmw_control_parse(f);
  if (c != NULL)
    pvmng__control__free_unpacked(c, NULL);
}

static int on_frame(void *ctx, pvmw_frame *f) {
  struct sink *s = ctx;
  uint8_t type;
  uint32_t len;
  char err[160];
  int was = measuring;

  measuring = 0; /* decoding allocates by content, not by the cap */
  FZ_CHECK(f->type == PVMW_FT_CONTROL || f->type == PVMW_FT_MESSAGE);
  FZ_CHECK(f->len > 0 && f->len <= type_cap(s->cap, f->type));
  FZ_CHECK(f->raw_len == PVMW_HDR_LEN + (size_t)f->len);
  FZ_CHECK(f->payload == f->raw + PVMW_HDR_LEN);
  FZ_CHECK(pvmw_hdr_check(f->raw, s->cap, &type, &len, err, sizeof err) == 0);
  FZ_CHECK(type == f->type && len == f->len);
  if (f->type == PVMW_FT_MESSAGE)
    check_message(f);
  else
    check_control(f);
  s->frames++;
  s->raw_bytes += f->raw_len;
  pvmw_frame_free(f);
  measuring = was;
  return s->stop_after != 0 && s->frames >= s->stop_after;
}

/* The reader's own state never holds more than the cap. */
static void check_reader(const pvmw_reader *r, uint32_t cap) {
  FZ_CHECK(r->stage_len <= r->stage_cap);
  if (r->cur != NULL) {
    FZ_CHECK(r->cur->len <= type_cap(cap, r->cur->type));
    FZ_CHECK(r->cur_have < r->cur->len);
  }
  if (__sanitizer_install_malloc_and_free_hooks != NULL)
    FZ_CHECK(largest <= sizeof(pvmw_frame) + PVMW_HDR_LEN + (size_t)cap);
}

/* Feeds n bytes of p in one chunk; returns the reader's result. */
static int feed(pvmw_reader *r, const uint8_t *p, size_t n, int flags,
                struct sink *s) {
  int rc = 0;

  measuring = 1;
  if (flags & FZ_FRAME_FEED) {
    rc = pvmw_reader_feed(r, p, n, on_frame, s);
  } else {
    /* As a libuv read would: ask for space, then fill part of it. */
    while (n > 0 && rc == 0) {
      char *base;
      size_t space;
      pvmw_reader_space(r, &base, &space);
      FZ_CHECK(space > 0 && base != NULL);
      if (space > n)
        space = n;
      if ((flags & FZ_FRAME_SHORT) && space > 1)
        space = space / 2 + 1;
      memcpy(base, p, space);
      p += space;
      n -= space;
      rc = pvmw_reader_commit(r, space, on_frame, s);
    }
  }
  measuring = 0;
  FZ_CHECK(rc == 0 || rc == 1 || rc == BadMsg || rc == BadVersion ||
           rc == NoMem);
  FZ_CHECK(rc != NoMem); /* every frame here is far below available memory */
  if (rc < 0)
    FZ_CHECK(r->err[0] != '\0');
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int hooked;
  static const uint8_t filler[4096];
  struct sink s = {0};
  pvmw_reader r;
  size_t chunk[4], off, fed, filled = 0;
  int flags, rc = 0;

  if (size < FZ_FRAME_PREFIX)
    return 0;
  if (!hooked && __sanitizer_install_malloc_and_free_hooks != NULL)
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  hooked = 1;
  s.cap = fz_frame_caps[data[0] % FZ_FRAME_NCAPS];
  flags = data[1];
  s.stop_after = data[2];
  for (int i = 0; i < 4; i++)
    chunk[i] = data[3 + i];
  data += FZ_FRAME_PREFIX;
  size -= FZ_FRAME_PREFIX;

  if (pvmw_reader_init(&r, s.cap) != 0)
    return 0;
  largest = 0;
  for (off = 0, fed = 0; off < size && rc == 0; fed++) {
    size_t n = chunk[fed % 4];
    if (n == 0 || n > size - off)
      n = size - off;
    rc = feed(&r, data + off, n, flags, &s);
    off += n;
    check_reader(&r, s.cap);
    /* Complete a large frame that is still being filled, so that its
     * delivery is reached with a small input. */
    while (rc == 0 && (flags & FZ_FRAME_FILL) && r.cur != NULL) {
      size_t need = r.cur->len - r.cur_have;
      if (need > sizeof filler)
        need = sizeof filler;
      rc = feed(&r, filler, need, flags, &s);
      filled += need;
      check_reader(&r, s.cap);
    }
  }
  /* Every delivered byte came from the stream, once. */
  FZ_CHECK(s.raw_bytes <= (uint64_t)off + filled);
  pvmw_reader_free(&r);
  return 0;
}
