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
 *  - PvmDataRaw / PvmDataInPlace: the items' native bytes, nothing else.
 *    A received InPlace message is a Raw message. */
#ifndef LPVM_BUFFER_H
#define LPVM_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/* One segment of a send body. */
struct lpvm_seg {
  struct lpvm_seg *next;
  char *data;
  size_t len;
  size_t cap;   /* bytes allocated at data, when owned */
  int owned;    /* 1: data is malloc'd by the buffer; 0: caller's memory
                   (PvmDataInPlace), read at send time */
};

struct lpvm_buf {
  int id;
  int enc;            /* PvmDataDefault, PvmDataRaw or PvmDataInPlace */
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
  uint32_t item_left; /* items left in the current item */
  /* Header: set on receive, or with pvm_setminfo on a send buffer. */
  int tag, src, dst, ctx, wid, crc;
};

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

#endif
