/* Fuzz target for unpacking (libpvm/pack.c): a received PvmDataDefault or
 * PvmDataRaw body read with the pvm_upk* calls the input chooses; a failure
 * is PvmNoData or PvmBadMsg and leaves destination and cursor untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "fuzz.h"
#include "pvm3.h"

#define SLOTS (FZ_UNPACK_SLOTS + 1)

/* Destinations, one per element type, large enough for count x stride. */
static union {
  char c[SLOTS];
  short s[SLOTS];
  int i[SLOTS];
  long l[SLOTS];
  float f[2 * SLOTS];
  double d[2 * SLOTS];
} dst, before;

struct cursor_state {
  size_t rpos;
  uint32_t type, left;
};

static struct cursor_state cursor_of(int bufid) {
  const struct lpvm_buf *b = lpvm_buf_get(bufid);
  struct cursor_state c = {b->rpos, b->item_type, b->item_left};
  return c;
}

/* One pvm_upk* call; returns its result. str has room for any string of
 * the body (strlen < body length). */
static int call(int op, int n, int stride, char *str) {
  switch (op) {
  case FZ_OP_BYTE:
    return pvm_upkbyte(dst.c, n, stride);
  case FZ_OP_SHORT:
    return pvm_upkshort(dst.s, n, stride);
  case FZ_OP_USHORT:
    return pvm_upkushort((unsigned short *)dst.s, n, stride);
  case FZ_OP_INT:
    return pvm_upkint(dst.i, n, stride);
  case FZ_OP_UINT:
    return pvm_upkuint((unsigned *)dst.i, n, stride);
  case FZ_OP_LONG:
    return pvm_upklong(dst.l, n, stride);
  case FZ_OP_ULONG:
    return pvm_upkulong((unsigned long *)dst.l, n, stride);
  case FZ_OP_FLOAT:
    return pvm_upkfloat(dst.f, n, stride);
  case FZ_OP_DOUBLE:
    return pvm_upkdouble(dst.d, n, stride);
  case FZ_OP_CPLX:
    return pvm_upkcplx(dst.f, n, stride);
  case FZ_OP_DCPLX:
    return pvm_upkdcplx(dst.d, n, stride);
  case FZ_OP_STR:
    return pvm_upkstr(str);
  default:
    return PvmBadParam;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int quiet;
  const uint8_t *ops;
  size_t nops, len;
  int enc, outer, cur, nested = 0;
  char *body, *str;

  if (!quiet) {
    pvm_setopt(PvmAutoErr, 0); /* failures are expected: keep stderr quiet */
    quiet = 1;
  }
  if (size < 1)
    return 0;
  enc = (data[0] & 1) ? PvmDataRaw : PvmDataDefault;
  nops = data[0] >> 1;
  if (size - 1 < 2 * nops)
    nops = (size - 1) / 2;
  ops = data + 1;
  data += 1 + 2 * nops;
  size -= 1 + 2 * nops;

  /* An exact-size copy, so that a sanitizer sees any read past its end. */
  len = size;
  body = malloc(len ? len : 1);
  str = malloc(len + 1);
  FZ_CHECK(body != NULL && str != NULL);
  memcpy(body, data, len);
  outer = lpvm_buf_adopt(enc, body, len, body, free);
  FZ_CHECK(outer > 0);
  FZ_CHECK(pvm_setrbuf(outer) >= 0);
  cur = outer;

  for (size_t k = 0; k < nops; k++) {
    int op = ops[2 * k] % FZ_OP_COUNT;
    int n = ops[2 * k + 1] & FZ_UNPACK_MAXCOUNT;
    int stride = (ops[2 * k + 1] >> 5) + 1;
    struct cursor_state c0, c1;
    int rc;

    if (op == FZ_OP_BACK) {
      FZ_CHECK(pvm_setrbuf(outer) >= 0);
      cur = outer;
      continue;
    }
    if (op == FZ_OP_MESG) {
      c0 = cursor_of(cur);
      rc = pvm_upkmesg();
      if (rc > 0) {
        if (nested)
          pvm_freebuf(nested); /* the message it came from stays */
        nested = rc;
        FZ_CHECK(pvm_setrbuf(nested) >= 0);
        cur = nested;
        continue;
      }
      FZ_CHECK(rc == PvmNoData || rc == PvmBadMsg);
      c1 = cursor_of(cur);
      FZ_CHECK(memcmp(&c0, &c1, sizeof c0) == 0);
      continue;
    }
    c0 = cursor_of(cur);
    memcpy(&before, &dst, sizeof dst);
    rc = call(op, n, stride, str);
    if (rc == PvmOk) {
      if (op == FZ_OP_STR)
        FZ_CHECK(strlen(str) < len);
      continue;
    }
    FZ_CHECK(rc == PvmNoData || rc == PvmBadMsg);
    FZ_CHECK(pvm_errno == rc);
    c1 = cursor_of(cur);
    FZ_CHECK(memcmp(&c0, &c1, sizeof c0) == 0);
    FZ_CHECK(memcmp(&before, &dst, sizeof dst) == 0);
  }
  free(str);
  lpvm_buf_free_all();
  return 0;
}
