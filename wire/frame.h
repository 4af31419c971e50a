/* Framing shared by the daemon and the library: the fixed frame header, the
 * incremental frame reader that enforces length limits before allocating, and
 * the glue that turns Control / MsgHeader protobufs into frames and back. */
#ifndef PVMW_FRAME_H
#define PVMW_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "pvm.pb-c.h"

#define PVMW_MAGIC 0x50564e47u /* "PVNG" */
#define PVMW_VERSION 1u
#define PVMW_HDR_LEN 12u

/* Frame types. ACK exists only on direct links between tasks: its payload
 * is PVMW_ACK_LEN bytes, the big-endian count of whole messages the sender
 * of the ACK has taken from that link so far (a cumulative
 * acknowledgement). */
enum { PVMW_FT_CONTROL = 1, PVMW_FT_MESSAGE = 2, PVMW_FT_ACK = 3 };
#define PVMW_ACK_LEN 8u

/* MsgHeader.flags. ABORT (with LAST, no body) is written by a daemon in
 * the name of a sender whose connection ended in the middle of a message:
 * the receiver drops what it holds of that message. */
enum { PVMW_MF_FIRST = 1u, PVMW_MF_LAST = 2u, PVMW_MF_ABORT = 4u };

/* Control.req_id of an unsolicited Status from the daemon to a task: a
 * message it sent was dropped (code PvmNoMem or PvmOutOfRes, value the
 * destination tid, reason). Request ids from 0xfffffff0 up are reserved. */
#define PVMW_REQ_SEND_ERROR 0xfffffff2u

/* Defaults; daemons may be configured lower or higher within sane bounds. */
#define PVMW_MAX_CONTROL (1u << 20)  /* control payload cap */
#define PVMW_MAX_FRAGMENT (4u << 20) /* message fragment body cap */
#define PVMW_MAX_FRAME (PVMW_MAX_FRAGMENT + 4096u)
#define PVMW_MAX_MSGHDR 256u                 /* encoded MsgHeader cap */
#define PVMW_MAX_MESSAGE ((uint64_t)1 << 30) /* whole message body cap */
/* One argument or environment string of a spawned task, its NUL included:
 * Linux's MAX_ARG_STRLEN (32 pages), past which exec fails with E2BIG. */
#define PVMW_MAX_ARG_STRLEN (32u * 4096u)
/* What one spawn request may ask for (the daemon's defaults; the library
 * refuses more before asking, with the reason). */
#define PVMW_SPAWN_MAX_NTASK 4096
#define PVMW_SPAWN_MAX_ARGV 4096

/* One complete frame, in one allocation: this struct, then the 12 header
 * bytes, then the payload. `raw` points at the header so that a frame can be
 * forwarded unchanged with one write of raw_len bytes. Owned by whoever holds
 * the pointer; release with pvmw_frame_free. */
typedef struct pvmw_frame {
  uint8_t type;
  uint32_t len;     /* payload length */
  uint8_t *payload; /* len bytes */
  uint8_t *raw;     /* PVMW_HDR_LEN + len bytes */
  size_t raw_len;
} pvmw_frame;

/* Writes a header for a frame of `type` with `len` payload bytes. */
void pvmw_hdr_put(uint8_t out[PVMW_HDR_LEN], int type, uint32_t len);

/* Checks a received header. Returns 0, or a negative PVM error code
 * (PvmBadVersion for another protocol version, PvmBadMsg otherwise) with a
 * reason in err. `max_payload` bounds the length of message frames; control
 * frames are bounded by min(max_payload, PVMW_MAX_CONTROL). */
int pvmw_hdr_check(const uint8_t in[PVMW_HDR_LEN], uint32_t max_payload,
                   uint8_t *type, uint32_t *len, char *err, size_t errlen);

/* Allocates a frame with its header written and payload uninitialised.
 * Returns NULL when out of memory. */
pvmw_frame *pvmw_frame_alloc(int type, uint32_t len);
void pvmw_frame_free(pvmw_frame *f);

/* Incremental reader: takes bytes as they come off a stream in any chunking
 * and yields whole frames. A frame's length is checked before its payload is
 * allocated. Small frames are gathered in a staging buffer; the payload of a
 * large frame is read straight into its own allocation. */
typedef struct pvmw_reader {
  uint32_t max_payload;
  uint8_t *stage; /* staging buffer */
  size_t stage_cap;
  size_t stage_len; /* bytes held in stage */
  pvmw_frame *cur;  /* frame whose payload is being filled directly */
  size_t cur_have;
  int direct;    /* last space handed out was inside cur */
  char err[160]; /* reason of the last failure */
} pvmw_reader;

/* Called once per complete frame; takes ownership of f. Return 0 to go on,
 * nonzero to stop reading (the reader keeps the remaining bytes). */
typedef int (*pvmw_frame_cb)(void *ctx, pvmw_frame *f);

int pvmw_reader_init(pvmw_reader *r, uint32_t max_payload);
void pvmw_reader_free(pvmw_reader *r);
/* Where the next read should put its bytes (for a libuv alloc callback). */
void pvmw_reader_space(pvmw_reader *r, char **base, size_t *len);
/* Accounts n bytes read into the space last returned and delivers every
 * complete frame. Returns 0, 1 if a callback asked to stop, or a negative PVM
 * error code on a malformed frame (reason in r->err); after an error the
 * reader must not be fed again, except after PvmNoMem (no memory for a
 * frame): that frame stays staged, and a commit of 0 bytes tries again. */
int pvmw_reader_commit(pvmw_reader *r, size_t n, pvmw_frame_cb cb, void *ctx);
/* Convenience for tests and fuzzers: copies data in through space/commit. */
int pvmw_reader_feed(pvmw_reader *r, const void *data, size_t n,
                     pvmw_frame_cb cb, void *ctx);

/* Control frames. pvmw_control_frame returns NULL when out of memory or when
 * the encoding exceeds PVMW_MAX_CONTROL. pvmw_control_parse returns NULL for
 * a payload that is not a valid Control; free the result with
 * pvmng__control__free_unpacked(c, NULL). */
pvmw_frame *pvmw_control_frame(const Pvmng__Control *c);
Pvmng__Control *pvmw_control_parse(const pvmw_frame *f);

/* Message frames: payload = u16 big-endian header length, MsgHeader, body.
 * pvmw_msghdr_encode writes the length prefix and header into out (at least
 * PVMW_MAX_MSGHDR + 2 bytes) and returns the bytes written, or 0 if the
 * header would not fit. */
size_t pvmw_msghdr_encode(const Pvmng__MsgHeader *h, uint8_t *out);
/* A whole message in one frame: h, marked first and last fragment with
 * total_len = body_len (set here), then room for body_len bytes, at which
 * *body points. NULL when the header does not fit or memory runs out. */
pvmw_frame *pvmw_message_frame(Pvmng__MsgHeader *h, size_t body_len,
                               uint8_t **body);
/* The ABORT fragment of a message from src to dst (see PVMW_MF_ABORT).
 * NULL when out of memory. */
pvmw_frame *pvmw_abort_frame(int src, int dst);
/* Decodes the header of a message frame into h (plain fields, no
 * allocation) and points body at the bytes after it. Returns 0 or PvmBadMsg. */
int pvmw_msghdr_decode(const uint8_t *payload, uint32_t len,
                       Pvmng__MsgHeader *h, const uint8_t **body,
                       uint32_t *body_len);

#endif
