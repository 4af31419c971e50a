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

/* Composing and reading bodies one value per item, as PVM's system
 * messages to and from taskers and hosters are (daemon/tasker.c,
 * hoster.c): the sizes, writers returning the position after the item,
 * and readers that take the next item at *pos of body[0..len) (0, or -1
 * when it is not there or not of that type). */
#define PVMW_XDR_INT_ITEM (PVMW_XDR_ITEM_HDR + 4u)
static inline size_t pvmw_xdr_str_size(const char *s) {
  return PVMW_XDR_ITEM_HDR + strlen(s) + 1;
}
static inline uint8_t *pvmw_xdr_put_int(uint8_t *p, int v) {
  pvmw_xdr_item(p, PVMW_XT_INT, 1);
  pvmw_put_be32(p + PVMW_XDR_ITEM_HDR, (uint32_t)v);
  return p + PVMW_XDR_INT_ITEM;
}
static inline uint8_t *pvmw_xdr_put_str(uint8_t *p, const char *s) {
  size_t n = strlen(s) + 1;
  pvmw_xdr_item(p, PVMW_XT_STR, (uint32_t)n);
  memcpy(p + PVMW_XDR_ITEM_HDR, s, n);
  return p + PVMW_XDR_ITEM_HDR + n;
}
/* The first value of the next INT item (the item is passed whole). */
static inline int pvmw_xdr_get_int(const uint8_t *body, size_t len, size_t *pos,
                                   int *v) {
  uint32_t count;
  if (len - *pos < PVMW_XDR_INT_ITEM ||
      pvmw_get_be32(body + *pos) != PVMW_XT_INT ||
      (count = pvmw_get_be32(body + *pos + 4)) < 1 ||
      (len - *pos - PVMW_XDR_ITEM_HDR) / 4 < count)
    return -1;
  *v = (int)pvmw_get_be32(body + *pos + PVMW_XDR_ITEM_HDR);
  *pos += PVMW_XDR_ITEM_HDR + 4u * (size_t)count;
  return 0;
}
/* The next STR item, NUL-terminated within the body: *s points into it. */
static inline int pvmw_xdr_get_str(const uint8_t *body, size_t len, size_t *pos,
                                   const char **s) {
  uint32_t n;
  if (len - *pos < PVMW_XDR_ITEM_HDR ||
      pvmw_get_be32(body + *pos) != PVMW_XT_STR ||
      (n = pvmw_get_be32(body + *pos + 4)) < 1 ||
      len - *pos - PVMW_XDR_ITEM_HDR < n ||
      body[*pos + PVMW_XDR_ITEM_HDR + n - 1] != '\0')
    return -1;
  *s = (const char *)body + *pos + PVMW_XDR_ITEM_HDR;
  *pos += PVMW_XDR_ITEM_HDR + n;
  return 0;
}

#endif
