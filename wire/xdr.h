/* The PvmDataDefault body format, shared by libpvm (which packs and unpacks
 * it) and the daemon (which composes a few system messages, such as task
 * output, in it). A body is a sequence of items; each item is an 8-byte
 * header (u32 type code, u32 count, big-endian) followed by `count` values
 * in big-endian (XDR) byte order with no padding. Signed and unsigned
 * variants of a type share a code: their encodings are identical. */
#ifndef PVMW_XDR_H
#define PVMW_XDR_H

#include <stdint.h>
#include <string.h>

enum pvmw_xdr_type {
  PVMW_XT_BYTE = 1,   /* 1 byte each */
  PVMW_XT_SHORT = 2,  /* 2 bytes each */
  PVMW_XT_INT = 3,    /* 4 bytes each */
  PVMW_XT_LONG = 4,   /* 8 bytes each */
  PVMW_XT_FLOAT = 5,  /* IEEE 754 binary32 */
  PVMW_XT_DOUBLE = 6, /* IEEE 754 binary64 */
  PVMW_XT_CPLX = 7,   /* two binary32: re, im */
  PVMW_XT_DCPLX = 8,  /* two binary64: re, im */
  PVMW_XT_STR = 9,    /* count = bytes including the terminating NUL */
  PVMW_XT_MSG = 10,   /* a packed message (pvm_pkmesg): count = body bytes */
};

#define PVMW_XDR_ITEM_HDR 8u

static inline void pvmw_put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline uint32_t pvmw_get_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void pvmw_xdr_item(uint8_t out[PVMW_XDR_ITEM_HDR], uint32_t type,
                                 uint32_t count) {
  pvmw_put_be32(out, type);
  pvmw_put_be32(out + 4, count);
}

#endif
