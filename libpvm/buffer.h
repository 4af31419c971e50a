/* Message buffers (internal). A buffer is a body plus, for received
 * messages, the header it arrived with. The send side builds the body as a
 * list of segments so that large messages leave with vectored writes and
 * PvmDataInPlace data is read only at send time; a received body is one
 * contiguous region owned by the buffer.
 *
 * Body formats:
 *  - PvmDataDefault: every pvm_pk* call appends one item: an 8-byte header
 *    (u32 type code, u32 item count, big-endian) followed by the items in XDR
 *    byte order (big-endian, no padding). Unpacking checks the type code, so
 *    a wrong-type unpack fails with PvmBadMsg instead of reinterpreting bytes;
 *    one packed item run may be unpacked in several calls and vice versa.
 *    A string is one PVMW_XT_STR item holding its bytes and the NUL. Items
 *    of count 0 (from pvm_pk*(p, 0, 1)) carry nothing and unpacking passes
 *    over them, as PVM 3.4's untagged XDR did.
 *  - PvmDataRaw / PvmDataInPlace: the items' native bytes, nothing else
 *    (a string is its bytes and the NUL). A received InPlace message is a
 *    Raw message.
 *  - pvm_pkmesg: under Default one PVMW_XT_MSG item whose count is the
 *    packed body's length, then seven big-endian i32 (encoding, ctx, tag,
 *    wid, crc, src, dst), then the body; under Raw/InPlace the same with a
 *    native u32 length first and the seven fields in native order. */
#ifndef LPVM_BUFFER_H
#define LPVM_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One segment of a send body. */
struct lpvm_seg {
  struct lpvm_seg *next;
  char *data;
  size_t len;
  size_t cap; /* bytes allocated at data, when owned */
  int owned;  /* 1: data is malloc'd by the buffer; 0: caller's memory
                 (PvmDataInPlace), read at send time */
};

struct lpvm_buf {
  int id;
  int enc; /* PvmDataDefault, PvmDataRaw or PvmDataInPlace */
  /* Send side: segments in order; len is the total body length. */
  struct lpvm_seg *head, *tail;
  size_t len;
  /* Received side: a contiguous body. `body` points inside memory owned by
   * `owner` and released with release(owner) when the buffer is freed. */
  const char *body;
  void *owner;
  void (*release)(void *owner);
  size_t rpos;        /* unpack cursor in body */
  uint32_t item_type; /* PvmDataDefault: type of the current item */
  uint32_t item_left; /* words (bytes for strings) left in the item */
  /* Header: set on receive, or with pvm_setminfo on a send buffer. */
  int tag, src, dst, ctx, wid, crc;
  /* Readable view: body[0..blen) is what unpacking reads. A received
   * buffer's body is the adopted region; unpacking a buffer built by packing
   * first gathers its segments into `flat` (owned, freed with the buffer). */
  size_t blen;
  char *flat;
};

/* Both sides of a buffer share one model: the segment list is always the
 * whole body. lpvm_buf_adopt records the received region as one non-owned
 * segment, so a received buffer can be sent on (pvm_setsbuf(pvm_getrbuf())
 * then pvm_send) or extended by packing, and a packed buffer can be made the
 * receive buffer and unpacked (its segments are gathered once, on the first
 * unpack). */

/* Returns the buffer with this id, or NULL. */
struct lpvm_buf *lpvm_buf_get(int bufid);

/* Creates a received buffer around body[0..len), which lives in memory
 * owned by `owner` and is released by release(owner) when the buffer is
 * freed (release may be NULL). enc is PvmDataDefault or PvmDataRaw. Returns
 * the new buffer id or a negative PVM error (then release is NOT called and
 * the caller still owns `owner`). */
int lpvm_buf_adopt(int enc, const char *body, size_t len, void *owner,
                   void (*release)(void *owner));

/* Total body length of a send buffer (sum of segment lengths). */
size_t lpvm_buf_length(const struct lpvm_buf *b);

/* Frees every buffer (at pvm_exit). */
void lpvm_buf_free_all(void);

/* ---- Used by the packing code (pack.c, packf.c) ------------------------ */

/* The active send / receive buffer, or NULL when there is none. */
struct lpvm_buf *lpvm_buf_sbuf(void);
struct lpvm_buf *lpvm_buf_rbuf(void);

/* Returns a pointer to at least `min` contiguous writable bytes at the end of
 * the body, and in *avail how many bytes are writable there (>= min; the
 * caller may use fewer). `want` is a hint of how much the caller will write
 * in total, used to size a new segment. Owned segments grow geometrically up
 * to LPVM_SEG_MAX, then a new segment starts. Nothing counts as written
 * until lpvm_buf_commit. Returns NULL when out of memory. */
char *lpvm_buf_reserve(struct lpvm_buf *b, size_t min, size_t want,
                       size_t *avail);
/* Marks n bytes of the last reservation as written. */
void lpvm_buf_commit(struct lpvm_buf *b, size_t n);

/* Appends a non-owned segment pointing at the caller's memory p[0..n), which
 * is read when the message leaves (PvmDataInPlace). Returns 0 or PvmNoMem. */
int lpvm_buf_append_ref(struct lpvm_buf *b, const void *p, size_t n);

/* A point to roll a body back to, so that a failed pack leaves nothing. */
struct lpvm_buf_mark {
  struct lpvm_seg *tail;
  size_t tail_len, len;
};
void lpvm_buf_mark(const struct lpvm_buf *b, struct lpvm_buf_mark *m);
void lpvm_buf_rollback(struct lpvm_buf *b, const struct lpvm_buf_mark *m);

/* Makes body[0..blen) cover the whole body (gathering the segments into
 * `flat` if needed) without moving the unpack cursor. 0 or PvmNoMem. */
int lpvm_buf_readable(struct lpvm_buf *b);

/* Copies the whole body (every segment, in order) to out, which has room
 * for lpvm_buf_length(b) bytes. */
void lpvm_buf_gather(const struct lpvm_buf *b, void *out);

/* memcpy for message data. glibc's large-copy path (rep movsb) runs about
 * 14 times slower on some AMD EPYC CPUs (measured: 3.4 vs 47 GB/s) when the
 * destination lies 1..15 bytes past the source modulo 4 KiB -- exactly
 * where an 8-byte item header puts packed data relative to a malloc'd
 * array. Such copies go in 1 KiB pieces, which take the vector path. */
static inline void lpvm_copy(void *dst, const void *src, size_t n) {
  uintptr_t rel = ((uintptr_t)dst - (uintptr_t)src) & 4095u;
  char *d = dst;
  const char *s = src;

  if (n < 2048 || rel == 0 || rel >= 32) {
    memcpy(d, s, n);
    return;
  }
  while (n > 0) {
    size_t k = n < 1024 ? n : 1024;
    /* Hide the piece size from the optimiser, which would otherwise inline
     * a constant-size memcpy as the very `rep movs` this avoids. */
    __asm__("" : "+r"(k));
    memcpy(d, s, k);
    d += k;
    s += k;
    n -= k;
  }
}

/* Largest owned segment; a pack call bigger than this spans segments. */
#define LPVM_SEG_MAX ((size_t)1 << 20)

/* Element types of the pack/unpack primitives. Signed and unsigned share a
 * type except long, whose width may differ from its 8-byte XDR form. */
enum lpvm_ptype {
  LPVM_T_BYTE,
  LPVM_T_SHORT,
  LPVM_T_INT,
  LPVM_T_LONG,
  LPVM_T_ULONG,
  LPVM_T_FLOAT,
  LPVM_T_DOUBLE,
  LPVM_T_CPLX,
  LPVM_T_DCPLX,
  LPVM_T_USHORT, /* packed as SHORT; unsigned when converted (pack.c) */
  LPVM_T_UINT,   /* packed as INT; unsigned when converted */
};

/* Pack into the active send buffer / unpack from the active receive buffer,
 * as pvm_pk* / pvm_upk* do, but without reporting the error (the caller
 * reports it under its own name). Return 0 or a negative PVM error. A failed
 * call changes neither the buffer nor, when unpacking, the destination. */
int lpvm_pack(enum lpvm_ptype t, const void *src, int nitem, int stride);
/* Same, but always copies, PvmDataInPlace included: for data that will not
 * outlive the call (a value pvm_packf was given). */
int lpvm_pack_copy(enum lpvm_ptype t, const void *src, int nitem, int stride);
int lpvm_unpack(enum lpvm_ptype t, void *dst, int nitem, int stride);
int lpvm_pack_str(const char *s);
int lpvm_unpack_str(char *s);

#endif
