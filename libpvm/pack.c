/* Packing and unpacking: the pvm_pk* / pvm_upk* calls in the three
 * encodings (PvmDataDefault's tagged XDR items, PvmDataRaw's native bytes,
 * PvmDataInPlace's references to the caller's memory) and the packing of
 * whole messages (pvm_pkmesg, pvm_pkmesgbody, pvm_upkmesg). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "frame.h"
#include "lpvm.h"
#include "pvm3.h"
#include "xdr.h"

_Static_assert(sizeof(short) == 2 && sizeof(int) == 4, "16/32-bit ints");
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats");
_Static_assert(sizeof(long) == 8 || sizeof(long) == 4, "long width");

/* How one element type is laid out: in XDR an element is `words` words of
 * `wsize` bytes, each big-endian (a complex number is two words); natively
 * it is nsize bytes. The two sizes differ only for long where long has 32
 * bits; XDR always carries 64. */
struct ptype {
  uint32_t code;
  uint8_t wsize, words, nsize, is_signed;
};

static const struct ptype ptypes[] = {
    [LPVM_T_BYTE] = {PVMW_XT_BYTE, 1, 1, 1, 0},
    [LPVM_T_SHORT] = {PVMW_XT_SHORT, 2, 1, sizeof(short), 1},
    [LPVM_T_INT] = {PVMW_XT_INT, 4, 1, sizeof(int), 1},
    [LPVM_T_LONG] = {PVMW_XT_LONG, 8, 1, sizeof(long), 1},
    [LPVM_T_ULONG] = {PVMW_XT_LONG, 8, 1, sizeof(long), 0},
    [LPVM_T_FLOAT] = {PVMW_XT_FLOAT, 4, 1, sizeof(float), 0},
    [LPVM_T_DOUBLE] = {PVMW_XT_DOUBLE, 8, 1, sizeof(double), 0},
    [LPVM_T_CPLX] = {PVMW_XT_CPLX, 4, 2, 2 * sizeof(float), 0},
    [LPVM_T_DCPLX] = {PVMW_XT_DCPLX, 8, 2, 2 * sizeof(double), 0},
    [LPVM_T_USHORT] = {PVMW_XT_SHORT, 2, 1, sizeof(short), 0},
    [LPVM_T_UINT] = {PVMW_XT_INT, 4, 1, sizeof(int), 0},
};

/* XDR bytes per element, by type code (for checking received items). */
static const uint8_t xt_size[] = {
    [PVMW_XT_BYTE] = 1, [PVMW_XT_SHORT] = 2,  [PVMW_XT_INT] = 4,
    [PVMW_XT_LONG] = 8, [PVMW_XT_FLOAT] = 4,  [PVMW_XT_DOUBLE] = 8,
    [PVMW_XT_CPLX] = 8, [PVMW_XT_DCPLX] = 16, [PVMW_XT_STR] = 1,
    [PVMW_XT_MSG] = 1,
};

/* Words per element, by type code: a complex number is two. */
static uint32_t xt_words(uint32_t code) {
  return code == PVMW_XT_CPLX || code == PVMW_XT_DCPLX ? 2 : 1;
}

/* ---- Unpacking with another type ----------------------------------------
 * PVM 3.4.6's PvmDataDefault carries no types, and some items unpacked with
 * another type than they were packed with read as the same numbers. PVM-NG
 * carries the packed type and converts where the numbers keep their
 * meaning; everything else is PvmBadMsg, as a misread would be:
 * - an integer item (short, int, long, signed or not) unpacks as any
 *   integer type: the packed value, read as signed when the unpacking type
 *   is signed and as unsigned otherwise, is stored if the destination type
 *   holds it, else the call fails with PvmOverflow and writes nothing;
 * - a float item unpacks as complex numbers (pairs of floats) and a
 *   complex item as floats (re, im, re, ...), and the same for double and
 *   dcplx: the unit is the word, so an element may take words from two
 *   items.
 * Bytes, strings, float against double or integer, are not converted. */
enum conv { CONV_NONE, CONV_SAME, CONV_WORDS, CONV_INT };

static int is_int_code(uint32_t code) {
  return code == PVMW_XT_SHORT || code == PVMW_XT_INT || code == PVMW_XT_LONG;
}

static enum conv conversion(uint32_t have, uint32_t want) {
  if (have == want)
    return CONV_SAME;
  if (is_int_code(have) && is_int_code(want))
    return CONV_INT;
  if ((have == PVMW_XT_FLOAT || have == PVMW_XT_CPLX) &&
      (want == PVMW_XT_FLOAT || want == PVMW_XT_CPLX))
    return CONV_WORDS;
  if ((have == PVMW_XT_DOUBLE || have == PVMW_XT_DCPLX) &&
      (want == PVMW_XT_DOUBLE || want == PVMW_XT_DCPLX))
    return CONV_WORDS;
  return CONV_NONE;
}

/* Converts k integers of ws bytes each (XDR) at s to type t, stored dstep
 * bytes apart at d; with d NULL only checks that every value fits. */
static int int_convert(const struct ptype *t, uint8_t *d, size_t dstep,
                       const uint8_t *s, size_t ws, size_t k) {
  unsigned bits = 8u * t->nsize;
  for (size_t i = 0; i < k; i++, s += ws) {
    uint64_t raw = 0;
    for (size_t j = 0; j < ws; j++)
      raw = raw << 8 | s[j];
    if (t->is_signed) {
      int64_t v;
      if (ws < 8 && (raw >> (8 * ws - 1)) != 0)
        raw |= ~UINT64_C(0) << (8 * ws); /* sign-extend */
      v = (int64_t)raw;
      if (bits < 64 && (v < -(INT64_C(1) << (bits - 1)) ||
                        v > (INT64_C(1) << (bits - 1)) - 1))
        return PvmOverflow;
      if (d == NULL)
        continue;
      if (t->nsize == 2) {
        int16_t x = (int16_t)v;
        memcpy(d + i * dstep, &x, 2);
      } else if (t->nsize == 4) {
        int32_t x = (int32_t)v;
        memcpy(d + i * dstep, &x, 4);
      } else {
        memcpy(d + i * dstep, &v, 8);
      }
    } else {
      if (bits < 64 && raw >> bits != 0)
        return PvmOverflow;
      if (d == NULL)
        continue;
      if (t->nsize == 2) {
        uint16_t x = (uint16_t)raw;
        memcpy(d + i * dstep, &x, 2);
      } else if (t->nsize == 4) {
        uint32_t x = (uint32_t)raw;
        memcpy(d + i * dstep, &x, 4);
      } else {
        memcpy(d + i * dstep, &raw, 8);
      }
    }
  }
  return 0;
}

/* The fixed part of a packed message after its item header (Default) or
 * its native u32 length (Raw): encoding, ctx, tag, wid, crc, src, dst. */
#define MSG_FIELDS 7
#define MSG_FIXED (MSG_FIELDS * 4u)

static size_t esize_of(const struct ptype *t) {
  return (size_t)t->wsize * t->words;
}

/* ---- Byte order ---------------------------------------------------------- */

/* XDR is big-endian. The contiguous (stride 1) case is one tight loop of
 * unaligned load, bswap and store per word: about 20 GB/s on the 2-core
 * reference machine, against 47 GB/s for a plain copy (Raw). */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BE16(v) __builtin_bswap16(v)
#define BE32(v) __builtin_bswap32(v)
#define BE64(v) __builtin_bswap64(v)
#else
#define BE16(v) (v)
#define BE32(v) (v)
#define BE64(v) (v)
#endif

static void swap16_n(uint8_t *restrict d, const uint8_t *restrict s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint16_t v;
    memcpy(&v, s + 2 * i, 2);
    v = BE16(v);
    memcpy(d + 2 * i, &v, 2);
  }
}

static void swap32_n(uint8_t *restrict d, const uint8_t *restrict s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t v;
    memcpy(&v, s + 4 * i, 4);
    v = BE32(v);
    memcpy(d + 4 * i, &v, 4);
  }
}

static void swap64_n(uint8_t *restrict d, const uint8_t *restrict s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    memcpy(&v, s + 8 * i, 8);
    v = BE64(v);
    memcpy(d + 8 * i, &v, 8);
  }
}

/* Converts n contiguous words of wsize bytes between native and XDR order
 * (the conversion is its own inverse). */
static void swap_n(uint8_t *restrict d, const uint8_t *restrict s, size_t n,
                   size_t wsize) {
  switch (wsize) {
  case 1:
    lpvm_copy(d, s, n);
    break;
  case 2:
    swap16_n(d, s, n);
    break;
  case 4:
    swap32_n(d, s, n);
    break;
  default:
    swap64_n(d, s, n);
    break;
  }
}

/* Converts k elements of `words` words each, element i being read at
 * s + i*sstep and written at d + i*dstep. */
static void swap_strided(uint8_t *restrict d, size_t dstep,
                         const uint8_t *restrict s, size_t sstep, size_t k,
                         size_t words, size_t wsize) {
  for (size_t i = 0; i < k; i++)
    swap_n(d + i * dstep, s + i * sstep, words, wsize);
}

/* Copies k elements of `size` bytes between strided locations. */
static void copy_strided(uint8_t *restrict d, size_t dstep,
                         const uint8_t *restrict s, size_t sstep, size_t k,
                         size_t size) {
  switch (size) {
  case 1:
    for (size_t i = 0; i < k; i++)
      d[i * dstep] = s[i * sstep];
    break;
  case 2:
    for (size_t i = 0; i < k; i++)
      memcpy(d + i * dstep, s + i * sstep, 2);
    break;
  case 4:
    for (size_t i = 0; i < k; i++)
      memcpy(d + i * dstep, s + i * sstep, 4);
    break;
  case 8:
    for (size_t i = 0; i < k; i++)
      memcpy(d + i * dstep, s + i * sstep, 8);
    break;
  default:
    for (size_t i = 0; i < k; i++)
      memcpy(d + i * dstep, s + i * sstep, size);
    break;
  }
}

#if LONG_MAX != INT64_MAX
/* 32-bit long: XDR carries 64 bits; widen when packing, and refuse values
 * that do not fit when unpacking. */
static void long_encode(uint8_t *d, const uint8_t *s, size_t sstep, size_t k,
                        int is_signed) {
  for (size_t i = 0; i < k; i++, s += sstep, d += 8) {
    uint64_t w;
    if (is_signed) {
      long v;
      memcpy(&v, s, sizeof v);
      w = (uint64_t)(int64_t)v;
    } else {
      unsigned long v;
      memcpy(&v, s, sizeof v);
      w = v;
    }
    pvmw_put_be32(d, (uint32_t)(w >> 32));
    pvmw_put_be32(d + 4, (uint32_t)w);
  }
}

static int long_decode(uint8_t *d, size_t dstep, const uint8_t *s, size_t k,
                       int is_signed) {
  for (size_t i = 0; i < k; i++, s += 8, d += dstep) {
    uint64_t w = (uint64_t)pvmw_get_be32(s) << 32 | pvmw_get_be32(s + 4);
    if (is_signed) {
      int64_t x = (int64_t)w;
      long v;
      if (x < LONG_MIN || x > LONG_MAX)
        return PvmOverflow;
      v = (long)x;
      memcpy(d, &v, sizeof v);
    } else {
      unsigned long v;
      if (w > ULONG_MAX)
        return PvmOverflow;
      v = (unsigned long)w;
      memcpy(d, &v, sizeof v);
    }
  }
  return 0;
}
#endif

/* Native -> XDR: k elements from s (sstep bytes apart) to contiguous d. */
static void xdr_encode(const struct ptype *t, uint8_t *restrict d,
                       const uint8_t *restrict s, size_t sstep, size_t k) {
  size_t es = esize_of(t);

#if LONG_MAX != INT64_MAX
  if (t->nsize != es) {
    long_encode(d, s, sstep, k, t->is_signed);
    return;
  }
#endif
  if (sstep == es)
    swap_n(d, s, k * t->words, t->wsize);
  else
    swap_strided(d, es, s, sstep, k, t->words, t->wsize);
}

/* XDR -> native: k elements from contiguous s to d (dstep bytes apart).
 * Fails only when a 64-bit long does not fit a 32-bit long. */
static int xdr_decode(const struct ptype *t, uint8_t *restrict d, size_t dstep,
                      const uint8_t *restrict s, size_t k) {
  size_t es = esize_of(t);

#if LONG_MAX != INT64_MAX
  if (t->nsize != es)
    return long_decode(d, dstep, s, k, t->is_signed);
#endif
  if (dstep == es)
    swap_n(d, s, k * t->words, t->wsize);
  else
    swap_strided(d, dstep, s, es, k, t->words, t->wsize);
  return 0;
}

/* ---- Packing ------------------------------------------------------------- */

/* Whether `more` bytes still fit in a message body (PVMW_MAX_MESSAGE).
 * A pack that would pass the cap fails with PvmNoMem, as PVM reports a
 * message too big to hold. */
static int fits(const struct lpvm_buf *b, uint64_t more) {
  if (b->len <= PVMW_MAX_MESSAGE && more <= PVMW_MAX_MESSAGE - b->len)
    return 1;
  /* The reason, for the report of the pvm_* call. */
  lpvm_msg_too_big((uint64_t)b->len + more, PVMW_MAX_MESSAGE);
  return 0;
}

/* Appends n bytes copied from p, across segments as needed. */
static int put_bytes(struct lpvm_buf *b, const void *p, size_t n) {
  const uint8_t *s = p;

  while (n > 0) {
    size_t avail;
    char *d = lpvm_buf_reserve(b, 1, n, &avail);
    if (!d)
      return PvmNoMem;
    if (avail > n)
      avail = n;
    lpvm_copy(d, s, avail);
    lpvm_buf_commit(b, avail);
    s += avail;
    n -= avail;
  }
  return 0;
}

/* Appends a Default item header; `want` is the whole item's size, so that
 * a new segment is made big enough for the data that follows. */
static int put_item(struct lpvm_buf *b, uint32_t code, uint32_t count,
                    size_t want) {
  size_t avail;
  char *d = lpvm_buf_reserve(b, PVMW_XDR_ITEM_HDR, want, &avail);

  if (!d)
    return PvmNoMem;
  pvmw_xdr_item((uint8_t *)d, code, count);
  lpvm_buf_commit(b, PVMW_XDR_ITEM_HDR);
  return 0;
}

static int pack_xdr(struct lpvm_buf *b, const struct ptype *t, const uint8_t *s,
                    size_t n, size_t sstep) {
  size_t es = esize_of(t);
  struct lpvm_buf_mark m;
  int rc;

  if (!fits(b, PVMW_XDR_ITEM_HDR + (uint64_t)n * es))
    return PvmNoMem;
  lpvm_buf_mark(b, &m);
  if ((rc = put_item(b, t->code, (uint32_t)n, PVMW_XDR_ITEM_HDR + n * es)) < 0)
    goto fail;
  while (n > 0) {
    size_t avail, k;
    char *d = lpvm_buf_reserve(b, es, n * es, &avail);
    if (!d) {
      rc = PvmNoMem;
      goto fail;
    }
    k = avail / es;
    if (k > n)
      k = n;
    xdr_encode(t, (uint8_t *)d, s, sstep, k);
    lpvm_buf_commit(b, k * es);
    s += k * sstep;
    n -= k;
  }
  return 0;
fail:
  lpvm_buf_rollback(b, &m);
  return rc;
}

static int pack_raw(struct lpvm_buf *b, const struct ptype *t, const uint8_t *s,
                    size_t n, size_t sstep) {
  size_t ns = t->nsize;
  struct lpvm_buf_mark m;

  if (!fits(b, (uint64_t)n * ns))
    return PvmNoMem;
  lpvm_buf_mark(b, &m);
  if (sstep == ns) {
    if (put_bytes(b, s, n * ns) < 0)
      goto fail;
    return 0;
  }
  while (n > 0) {
    size_t avail, k;
    char *d = lpvm_buf_reserve(b, ns, n * ns, &avail);
    if (!d)
      goto fail;
    k = avail / ns;
    if (k > n)
      k = n;
    copy_strided((uint8_t *)d, ns, s, sstep, k, ns);
    lpvm_buf_commit(b, k * ns);
    s += k * sstep;
    n -= k;
  }
  return 0;
fail:
  lpvm_buf_rollback(b, &m);
  return PvmNoMem;
}

/* copy: copy the data even under InPlace (values living on a stack). */
static int pack_any(enum lpvm_ptype ty, const void *src, int nitem, int stride,
                    int copy) {
  struct lpvm_buf *b = lpvm_buf_sbuf();
  const struct ptype *t = &ptypes[ty];
  size_t n, sstep;

  if (!b)
    return PvmNoBuf;
  if (nitem < 0 || stride <= 0 || (!src && nitem > 0))
    return PvmBadParam;
  n = (size_t)nitem;
  sstep = (size_t)stride * t->nsize;
  switch (b->enc) {
  case PvmDataDefault:
    return pack_xdr(b, t, src, n, sstep);
  case PvmDataInPlace:
    /* Dense data stays where it is until the message leaves; strided data
     * has no single region to point at and is copied. */
    if (stride == 1 && n > 0 && !copy) {
      if (!fits(b, (uint64_t)n * t->nsize))
        return PvmNoMem;
      return lpvm_buf_append_ref(b, src, n * t->nsize);
    }
    return pack_raw(b, t, src, n, sstep);
  default:
    return pack_raw(b, t, src, n, sstep);
  }
}

int lpvm_pack(enum lpvm_ptype ty, const void *src, int nitem, int stride) {
  return pack_any(ty, src, nitem, stride, 0);
}

int lpvm_pack_copy(enum lpvm_ptype ty, const void *src, int nitem, int stride) {
  return pack_any(ty, src, nitem, stride, 1);
}

/* A string is copied in every encoding, InPlace included: its length is
 * only known now, and callers routinely pack strings from temporaries. */
int lpvm_pack_str(const char *str) {
  struct lpvm_buf *b = lpvm_buf_sbuf();
  struct lpvm_buf_mark m;
  size_t n;
  int rc;

  if (!b)
    return PvmNoBuf;
  if (!str)
    return PvmBadParam;
  n = strlen(str) + 1;
  if (!fits(b, (uint64_t)n + PVMW_XDR_ITEM_HDR))
    return PvmNoMem;
  lpvm_buf_mark(b, &m);
  if (b->enc == PvmDataDefault &&
      (rc = put_item(b, PVMW_XT_STR, (uint32_t)n, PVMW_XDR_ITEM_HDR + n)) < 0)
    goto fail;
  if ((rc = put_bytes(b, str, n)) < 0)
    goto fail;
  return 0;
fail:
  lpvm_buf_rollback(b, &m);
  return rc;
}

/* ---- Unpacking ----------------------------------------------------------- */

/* Where unpacking stands in a Default body: at byte pos, inside an item of
 * type `type` with `left` elements not yet unpacked. Unpacking works on a
 * copy and stores it back only on success, so a failed call leaves the
 * buffer as it was. */
struct cursor {
  size_t pos;
  uint32_t type, left;
};

static void cursor_load(const struct lpvm_buf *b, struct cursor *c) {
  c->pos = b->rpos;
  c->type = b->item_type;
  c->left = b->item_left;
}

static void cursor_store(struct lpvm_buf *b, const struct cursor *c) {
  b->rpos = c->pos;
  b->item_type = c->type;
  b->item_left = c->left;
}

/* Moves onto the next item, which must lie wholly inside the body: a header
 * whose count reaches past the end is malformed. Empty numeric items are
 * passed over. On return c->left is the item's count (bytes for strings and
 * messages). */
static int next_item(const struct lpvm_buf *b, struct cursor *c) {
  for (;;) {
    size_t rem = b->blen - c->pos;
    const uint8_t *h = (const uint8_t *)b->body + c->pos;
    uint32_t type, count;
    uint64_t bytes;

    if (rem == 0)
      return PvmNoData;
    if (rem < PVMW_XDR_ITEM_HDR)
      return PvmBadMsg;
    type = pvmw_get_be32(h);
    count = pvmw_get_be32(h + 4);
    if (type < PVMW_XT_BYTE || type > PVMW_XT_MSG)
      return PvmBadMsg;
    bytes = (uint64_t)count * xt_size[type];
    if (type == PVMW_XT_MSG)
      bytes += MSG_FIXED;
    if (bytes > rem - PVMW_XDR_ITEM_HDR)
      return PvmBadMsg;
    c->pos += PVMW_XDR_ITEM_HDR;
    if (count == 0 && type != PVMW_XT_STR && type != PVMW_XT_MSG)
      continue;
    c->type = type;
    c->left = count * xt_words(type); /* fits: bytes <= rem */
    return 0;
  }
}

/* Takes n elements of type t at the cursor, possibly from several items
 * and converted as described above, writing them dstep bytes apart at d;
 * with d NULL only checks that they are there (and, converted, fit). */
static int xdr_take(const struct lpvm_buf *b, struct cursor *c,
                    const struct ptype *t, uint8_t *d, size_t dstep, size_t n) {
  size_t need = n * t->words, w = 0; /* words wanted, words taken */
  int rc;

  while (need > 0) {
    const uint8_t *s;
    enum conv cv;
    size_t k, ws;
    if (c->left == 0 && (rc = next_item(b, c)) < 0)
      return rc;
    if ((cv = conversion(c->type, t->code)) == CONV_NONE)
      return PvmBadMsg;
    k = c->left < need ? c->left : need;
    ws = xt_size[c->type] / xt_words(c->type);
    s = (const uint8_t *)b->body + c->pos;
    if (cv == CONV_INT) {
      rc = int_convert(t, d ? d + w * dstep : NULL, dstep, s, ws, k);
      if (rc < 0)
        return rc;
    } else if (d != NULL && w % t->words == 0 && k % t->words == 0) {
      rc = xdr_decode(t, d + w / t->words * dstep, dstep, s, k / t->words);
      if (rc < 0)
        return rc;
    } else if (d != NULL) {
      /* An element split between two items: word by word. */
      for (size_t i = 0; i < k; i++) {
        size_t j = w + i;
        swap_n(d + j / t->words * dstep + j % t->words * ws, s + i * ws, 1, ws);
      }
    }
    c->pos += k * ws;
    c->left -= (uint32_t)k;
    need -= k;
    w += k;
  }
  return 0;
}

/* The active receive buffer, ready to read. */
static int rbuf_ready(struct lpvm_buf **out) {
  struct lpvm_buf *b = lpvm_buf_rbuf();

  if (!b)
    return PvmNoBuf;
  *out = b;
  return lpvm_buf_readable(b);
}

int lpvm_unpack(enum lpvm_ptype ty, void *dst, int nitem, int stride) {
  const struct ptype *t = &ptypes[ty];
  struct lpvm_buf *b;
  struct cursor c;
  size_t n, dstep;
  int rc;

  if ((rc = rbuf_ready(&b)) < 0)
    return rc;
  if (nitem < 0 || stride <= 0 || (!dst && nitem > 0))
    return PvmBadParam;
  n = (size_t)nitem;
  dstep = (size_t)stride * t->nsize;
  if (b->enc != PvmDataDefault) {
    size_t need = n * t->nsize;
    if (n > SIZE_MAX / t->nsize || need > b->blen - b->rpos)
      return PvmNoData;
    if (n == 0)
      return 0;
    if (stride == 1)
      lpvm_copy(dst, b->body + b->rpos, need);
    else
      copy_strided(dst, dstep, (const uint8_t *)b->body + b->rpos, t->nsize, n,
                   t->nsize);
    b->rpos += need;
    return 0;
  }
  /* Check first, then copy: the destination is written only on success. */
  cursor_load(b, &c);
  if ((rc = xdr_take(b, &c, t, NULL, 0, n)) < 0)
    return rc;
  cursor_load(b, &c);
  if ((rc = xdr_take(b, &c, t, dst, dstep, n)) < 0)
    return rc;
  cursor_store(b, &c);
  return 0;
}

int lpvm_unpack_str(char *str) {
  struct lpvm_buf *b;
  const char *s, *nul;
  struct cursor c;
  int rc;

  if ((rc = rbuf_ready(&b)) < 0)
    return rc;
  if (!str)
    return PvmBadParam;
  if (b->enc != PvmDataDefault) {
    if (b->rpos == b->blen)
      return PvmNoData;
    s = b->body + b->rpos;
    nul = memchr(s, 0, b->blen - b->rpos);
    if (!nul)
      return PvmNoData;
    memcpy(str, s, (size_t)(nul - s) + 1);
    b->rpos += (size_t)(nul - s) + 1;
    return 0;
  }
  cursor_load(b, &c);
  if (c.left != 0) /* inside an item of another type */
    return PvmBadMsg;
  if ((rc = next_item(b, &c)) < 0)
    return rc;
  if (c.type != PVMW_XT_STR || c.left == 0)
    return PvmBadMsg;
  s = b->body + c.pos;
  nul = memchr(s, 0, c.left);
  if (!nul)
    return PvmBadMsg;
  memcpy(str, s, (size_t)(nul - s) + 1);
  c.pos += c.left;
  c.left = 0;
  cursor_store(b, &c);
  return 0;
}

/* ---- Messages inside messages -------------------------------------------- */

/* The encoding recorded for a packed message: an InPlace body is Raw. */
static int body_enc(const struct lpvm_buf *b) {
  return b->enc == PvmDataInPlace ? PvmDataRaw : b->enc;
}

/* Finds the buffer bufid to pack into the active send buffer. */
static int pkmesg_args(int bufid, struct lpvm_buf **sb, struct lpvm_buf **in) {
  if (bufid < 0)
    return PvmBadParam;
  if (!(*in = lpvm_buf_get(bufid)))
    return PvmNoSuchBuf;
  if (!(*sb = lpvm_buf_sbuf()))
    return PvmNoBuf;
  if (*sb == *in)
    return PvmBadParam;
  return 0;
}

static int put_segments(struct lpvm_buf *b, const struct lpvm_buf *in) {
  for (const struct lpvm_seg *s = in->head; s; s = s->next)
    if (put_bytes(b, s->data, s->len) < 0)
      return PvmNoMem;
  return 0;
}

int pvm_pkmesg(int bufid) {
  struct lpvm_buf *sb, *in;
  struct lpvm_buf_mark m;
  int32_t f[MSG_FIELDS];
  uint8_t hdr[PVMW_XDR_ITEM_HDR + MSG_FIXED];
  size_t hlen;
  int rc;

  if ((rc = pkmesg_args(bufid, &sb, &in)) < 0)
    return lpvm_err("pvm_pkmesg", rc);
  if (in->len > UINT32_MAX || !fits(sb, sizeof hdr + (uint64_t)in->len))
    return lpvm_err("pvm_pkmesg", PvmNoMem);
  f[0] = body_enc(in);
  f[1] = in->ctx;
  f[2] = in->tag;
  f[3] = in->wid;
  f[4] = in->crc;
  f[5] = in->src;
  f[6] = in->dst;
  if (sb->enc == PvmDataDefault) {
    pvmw_xdr_item(hdr, PVMW_XT_MSG, (uint32_t)in->len);
    for (int i = 0; i < MSG_FIELDS; i++)
      pvmw_put_be32(hdr + PVMW_XDR_ITEM_HDR + 4 * i, (uint32_t)f[i]);
    hlen = PVMW_XDR_ITEM_HDR + MSG_FIXED;
  } else {
    uint32_t len = (uint32_t)in->len;
    memcpy(hdr, &len, 4);
    memcpy(hdr + 4, f, MSG_FIXED);
    hlen = 4 + MSG_FIXED;
  }
  lpvm_buf_mark(sb, &m);
  if (put_bytes(sb, hdr, hlen) < 0 || put_segments(sb, in) < 0) {
    lpvm_buf_rollback(sb, &m);
    return lpvm_err("pvm_pkmesg", PvmNoMem);
  }
  return PvmOk;
}

int pvm_pkmesgbody(int bufid) {
  struct lpvm_buf *sb, *in;
  struct lpvm_buf_mark m;
  int rc;

  if ((rc = pkmesg_args(bufid, &sb, &in)) < 0)
    return lpvm_err("pvm_pkmesgbody", rc);
  /* Raw and InPlace bodies have the same form; Default's differs. */
  if ((sb->enc == PvmDataDefault) != (in->enc == PvmDataDefault))
    return lpvm_err("pvm_pkmesgbody", PvmMismatch);
  if (!fits(sb, in->len))
    return lpvm_err("pvm_pkmesgbody", PvmNoMem);
  lpvm_buf_mark(sb, &m);
  if (put_segments(sb, in) < 0) {
    lpvm_buf_rollback(sb, &m);
    return lpvm_err("pvm_pkmesgbody", PvmNoMem);
  }
  return PvmOk;
}

int pvm_upkmesg(void) {
  struct lpvm_buf *b, *nb;
  struct cursor c;
  int32_t f[MSG_FIELDS];
  const char *body;
  size_t len;
  char *copy;
  int rc, id;

  if ((rc = rbuf_ready(&b)) < 0)
    return lpvm_err("pvm_upkmesg", rc);
  cursor_load(b, &c);
  if (b->enc == PvmDataDefault) {
    if (c.left != 0)
      return lpvm_err("pvm_upkmesg", PvmBadMsg);
    if ((rc = next_item(b, &c)) < 0)
      return lpvm_err("pvm_upkmesg", rc);
    if (c.type != PVMW_XT_MSG)
      return lpvm_err("pvm_upkmesg", PvmBadMsg);
    len = c.left;
    for (int i = 0; i < MSG_FIELDS; i++)
      f[i] = (int32_t)pvmw_get_be32((const uint8_t *)b->body + c.pos + 4 * i);
    c.pos += MSG_FIXED;
    c.left = 0;
  } else {
    uint32_t l;
    if (b->blen - c.pos < 4 + MSG_FIXED)
      return lpvm_err("pvm_upkmesg", PvmNoData);
    memcpy(&l, b->body + c.pos, 4);
    memcpy(f, b->body + c.pos + 4, MSG_FIXED);
    c.pos += 4 + MSG_FIXED;
    if (l > b->blen - c.pos)
      return lpvm_err("pvm_upkmesg", PvmNoData);
    len = l;
  }
  if (f[0] != PvmDataDefault && f[0] != PvmDataRaw)
    return lpvm_err("pvm_upkmesg", PvmBadMsg);
  body = b->body + c.pos;
  c.pos += len;
  copy = malloc(len ? len : 1);
  if (!copy)
    return lpvm_err("pvm_upkmesg", PvmNoMem);
  if (len)
    memcpy(copy, body, len);
  id = lpvm_buf_adopt(f[0], copy, len, copy, free);
  if (id < 0) {
    free(copy);
    return lpvm_err("pvm_upkmesg", id);
  }
  nb = lpvm_buf_get(id);
  nb->ctx = f[1];
  nb->tag = f[2];
  nb->wid = f[3];
  nb->crc = f[4];
  nb->src = f[5];
  nb->dst = f[6];
  cursor_store(b, &c);
  return id;
}

/* ---- The PVM calls ------------------------------------------------------- */

static int report(const char *fn, int rc) {
  return rc < 0 ? lpvm_err(fn, rc) : rc;
}

int pvm_pkbyte(char *xp, int nitem, int stride) {
  return report("pvm_pkbyte", lpvm_pack(LPVM_T_BYTE, xp, nitem, stride));
}
int pvm_pkcplx(float *cp, int nitem, int stride) {
  return report("pvm_pkcplx", lpvm_pack(LPVM_T_CPLX, cp, nitem, stride));
}
int pvm_pkdcplx(double *zp, int nitem, int stride) {
  return report("pvm_pkdcplx", lpvm_pack(LPVM_T_DCPLX, zp, nitem, stride));
}
int pvm_pkdouble(double *dp, int nitem, int stride) {
  return report("pvm_pkdouble", lpvm_pack(LPVM_T_DOUBLE, dp, nitem, stride));
}
int pvm_pkfloat(float *fp, int nitem, int stride) {
  return report("pvm_pkfloat", lpvm_pack(LPVM_T_FLOAT, fp, nitem, stride));
}
int pvm_pkint(int *ip, int nitem, int stride) {
  return report("pvm_pkint", lpvm_pack(LPVM_T_INT, ip, nitem, stride));
}
int pvm_pkuint(unsigned int *ip, int nitem, int stride) {
  return report("pvm_pkuint", lpvm_pack(LPVM_T_UINT, ip, nitem, stride));
}
int pvm_pklong(long *ip, int nitem, int stride) {
  return report("pvm_pklong", lpvm_pack(LPVM_T_LONG, ip, nitem, stride));
}
int pvm_pkulong(unsigned long *ip, int nitem, int stride) {
  return report("pvm_pkulong", lpvm_pack(LPVM_T_ULONG, ip, nitem, stride));
}
int pvm_pkshort(short *ip, int nitem, int stride) {
  return report("pvm_pkshort", lpvm_pack(LPVM_T_SHORT, ip, nitem, stride));
}
int pvm_pkushort(unsigned short *ip, int nitem, int stride) {
  return report("pvm_pkushort", lpvm_pack(LPVM_T_USHORT, ip, nitem, stride));
}
int pvm_pkstr(char *sp) { return report("pvm_pkstr", lpvm_pack_str(sp)); }

int pvm_upkbyte(char *xp, int nitem, int stride) {
  return report("pvm_upkbyte", lpvm_unpack(LPVM_T_BYTE, xp, nitem, stride));
}
int pvm_upkcplx(float *cp, int nitem, int stride) {
  return report("pvm_upkcplx", lpvm_unpack(LPVM_T_CPLX, cp, nitem, stride));
}
int pvm_upkdcplx(double *zp, int nitem, int stride) {
  return report("pvm_upkdcplx", lpvm_unpack(LPVM_T_DCPLX, zp, nitem, stride));
}
int pvm_upkdouble(double *dp, int nitem, int stride) {
  return report("pvm_upkdouble", lpvm_unpack(LPVM_T_DOUBLE, dp, nitem, stride));
}
int pvm_upkfloat(float *fp, int nitem, int stride) {
  return report("pvm_upkfloat", lpvm_unpack(LPVM_T_FLOAT, fp, nitem, stride));
}
int pvm_upkint(int *ip, int nitem, int stride) {
  return report("pvm_upkint", lpvm_unpack(LPVM_T_INT, ip, nitem, stride));
}
int pvm_upkuint(unsigned int *ip, int nitem, int stride) {
  return report("pvm_upkuint", lpvm_unpack(LPVM_T_UINT, ip, nitem, stride));
}
int pvm_upklong(long *ip, int nitem, int stride) {
  return report("pvm_upklong", lpvm_unpack(LPVM_T_LONG, ip, nitem, stride));
}
int pvm_upkulong(unsigned long *ip, int nitem, int stride) {
  return report("pvm_upkulong", lpvm_unpack(LPVM_T_ULONG, ip, nitem, stride));
}
int pvm_upkshort(short *ip, int nitem, int stride) {
  return report("pvm_upkshort", lpvm_unpack(LPVM_T_SHORT, ip, nitem, stride));
}
int pvm_upkushort(unsigned short *ip, int nitem, int stride) {
  return report("pvm_upkushort", lpvm_unpack(LPVM_T_USHORT, ip, nitem, stride));
}
int pvm_upkstr(char *sp) { return report("pvm_upkstr", lpvm_unpack_str(sp)); }
