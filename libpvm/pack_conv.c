/* Element types and their encodings: how each PVM type is laid out
 * natively and in XDR, which conversions an unpack of another type than
 * the packed one may make, and the byte-order loops that turn native
 * elements into XDR words and back (pack_conv.h). */
#include "pack_conv.h"

#include <limits.h>
#include <string.h>

#include "lpvm.h"
#include "pvm3.h"
#include "xdr.h"

_Static_assert(sizeof(short) == 2 && sizeof(int) == 4, "16/32-bit ints");
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats");
_Static_assert(sizeof(long) == 8 || sizeof(long) == 4, "long width");

const struct lpvm_elem lpvm_elems[] = {
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
const uint8_t lpvm_xt_size[] = {
    [PVMW_XT_BYTE] = 1, [PVMW_XT_SHORT] = 2,  [PVMW_XT_INT] = 4,
    [PVMW_XT_LONG] = 8, [PVMW_XT_FLOAT] = 4,  [PVMW_XT_DOUBLE] = 8,
    [PVMW_XT_CPLX] = 8, [PVMW_XT_DCPLX] = 16, [PVMW_XT_STR] = 1,
    [PVMW_XT_MSG] = 1,
};

/* Words per element, by type code: a complex number is two. */
uint32_t lpvm_xt_words(uint32_t code) {
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

static int is_int_code(uint32_t code) {
  return code == PVMW_XT_SHORT || code == PVMW_XT_INT || code == PVMW_XT_LONG;
}

enum lpvm_conv lpvm_conversion(uint32_t have, uint32_t want) {
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
int lpvm_int_convert(const struct lpvm_elem *t, uint8_t *d, size_t dstep,
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

size_t lpvm_esize_of(const struct lpvm_elem *t) {
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
 * (the lpvm_conversion is its own inverse). */
void lpvm_swap_n(uint8_t *restrict d, const uint8_t *restrict s, size_t n,
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
    lpvm_swap_n(d + i * dstep, s + i * sstep, words, wsize);
}

/* Copies k elements of `size` bytes between strided locations. */
void lpvm_copy_strided(uint8_t *restrict d, size_t dstep,
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
void lpvm_xdr_encode(const struct lpvm_elem *t, uint8_t *restrict d,
                     const uint8_t *restrict s, size_t sstep, size_t k) {
  size_t es = lpvm_esize_of(t);

#if LONG_MAX != INT64_MAX
  if (t->nsize != es) {
    long_encode(d, s, sstep, k, t->is_signed);
    return;
  }
#endif
  if (sstep == es)
    lpvm_swap_n(d, s, k * t->words, t->wsize);
  else
    swap_strided(d, es, s, sstep, k, t->words, t->wsize);
}

/* XDR -> native: k elements from contiguous s to d (dstep bytes apart).
 * Fails only when a 64-bit long does not fit a 32-bit long. */
int lpvm_xdr_decode(const struct lpvm_elem *t, uint8_t *restrict d,
                    size_t dstep, const uint8_t *restrict s, size_t k) {
  size_t es = lpvm_esize_of(t);

#if LONG_MAX != INT64_MAX
  if (t->nsize != es)
    return long_decode(d, dstep, s, k, t->is_signed);
#endif
  if (dstep == es)
    lpvm_swap_n(d, s, k * t->words, t->wsize);
  else
    swap_strided(d, dstep, s, es, k, t->words, t->wsize);
  return 0;
}
