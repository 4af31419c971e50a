/* The send path: one message, as frames, to the link the router chose or to
 * the daemon. A message leaves as fragments of at most the fragment size,
 * each with its own header, in vectored writes straight from the buffer's
 * segments. On a direct link a small message is built whole in memory and
 * kept until the peer acknowledges it, a large one is written from the
 * caller's memory and waits for its acknowledgement (route_ack.c). */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "link.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h"

/* While on, send_spans builds its frames here instead of writing them
 * (a message to a direct link, kept until acknowledged). */
static struct {
  int on;
  uint8_t *buf;
  size_t len, cap;
} capture;
/* Sends since the daemon's socket was last read (SEND_POLL). */
static unsigned sends;

/* A run of body bytes to send, from a buffer's segments or one block. */
struct span {
  const char *data;
  size_t len;
};

#define HDR_ROOM (PVMW_HDR_LEN + 2 + PVMW_MAX_MSGHDR)
#define IOV_BATCH 64

/* Appends bufs to the capture (growing it as needed). */
static int capture_put(const uv_buf_t *bufs, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (capture.len + bufs[i].len > capture.cap) {
      size_t cap = capture.cap * 2;
      uint8_t *b;
      if (cap < capture.len + bufs[i].len)
        cap = capture.len + bufs[i].len;
      if ((b = realloc(capture.buf, cap)) == NULL)
        return PvmNoMem;
      capture.buf = b;
      capture.cap = cap;
    }
    memcpy(capture.buf + capture.len, bufs[i].base, bufs[i].len);
    capture.len += bufs[i].len;
  }
  return 0;
}

/* Writes to a link (the daemon's or a direct one), or into the capture
 * while it is on. */
static int out_write(struct lpvm_link *out, uv_buf_t *bufs, unsigned n) {
  if (capture.on)
    return capture_put(bufs, n);
  return out->ops->write(out, bufs, n);
}

/* Sends one message whose body is the concatenation of spans, to the link
 * out (lpvm_daemon_link() for the daemon). Fragments and their headers are
 * written in batches of vectored writes. wid is the message's wait id
 * (pvm_setminfo), 0 if unused. */

static int send_spans(struct lpvm_link *out, int dst, int tag, int ctx, int enc,
                      int wid, const struct span *sp, int nsp, size_t total) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  size_t frag = (size_t)lpvm_opts.frag_size;
  size_t maxfrag = lpvm_conn.max_frame - 2 - PVMW_MAX_MSGHDR;
  uint8_t(*hdrs)[HDR_ROOM];
  uv_buf_t bufs[IOV_BATCH];
  unsigned nb = 0;
  int nh = 0, rc = 0, si = 0;
  size_t soff = 0, sent = 0;
  int first = 1;
  int daemon = out == lpvm_daemon_link() && !capture.on;

  if (total > lpvm_conn.max_msg)
    return lpvm_msg_too_big(total, lpvm_conn.max_msg);
  if (frag < 4096)
    frag = 4096;
  if (frag > maxfrag)
    frag = maxfrag;
  hdrs = malloc(sizeof(*hdrs) * IOV_BATCH);
  if (hdrs == NULL)
    return PvmNoMem;
  h.src = (uint32_t)lpvm_conn.mytid;
  h.dst = (uint32_t)dst;
  h.tag = tag;
  h.ctx = ctx;
  h.encoding = (uint32_t)enc;
  h.wid = (uint32_t)wid;
  /* Nothing else may go on the daemon's stream until the message ends. */
  if (daemon)
    lpvm_daemon_hold(1);

  do {
    size_t flen = total - sent < frag ? total - sent : frag;
    h.flags =
        (first ? PVMW_MF_FIRST : 0) | (sent + flen == total ? PVMW_MF_LAST : 0);
    h.total_len = first ? total : 0;
    size_t hl = pvmw_msghdr_encode(&h, hdrs[nh] + PVMW_HDR_LEN);
    pvmw_hdr_put(hdrs[nh], PVMW_FT_MESSAGE, (uint32_t)(hl + flen));
    bufs[nb++] = uv_buf_init((char *)hdrs[nh], (unsigned)(PVMW_HDR_LEN + hl));
    nh++;
    size_t left = flen;
    while (left > 0) {
      while (si < nsp && soff == sp[si].len) {
        si++;
        soff = 0;
      }
      size_t take = sp[si].len - soff < left ? sp[si].len - soff : left;
      bufs[nb++] = uv_buf_init((char *)sp[si].data + soff, (unsigned)take);
      soff += take;
      left -= take;
      if (nb == IOV_BATCH) {
        rc = out_write(out, bufs, nb);
        nb = 0;
        nh = 0;
        if (rc < 0)
          goto out;
      }
    }
    sent += flen;
    first = 0;
    if (nb + 2 >= IOV_BATCH || nh == IOV_BATCH) {
      rc = out_write(out, bufs, nb);
      nb = 0;
      nh = 0;
      if (rc < 0)
        goto out;
    }
  } while (sent < total);
  if (nb > 0)
    rc = out_write(out, bufs, nb);
out:
  free(hdrs);
  if (daemon)
    lpvm_daemon_hold(0);
  return rc;
}

/* Sends one message on a direct link: a small one built whole in memory
 * and kept until acknowledged (the buffer's memory may change as soon as
 * pvm_send returns, for PvmDataInPlace the caller's own), a large one
 * from the caller's memory, returning once the peer acknowledges it.
 * Returns 0 when the message is taken care of; a negative code with
 * *unsent set when nothing went out (the send fails with it); any other
 * negative code when the link broke and the message still has to go
 * through the daemon. */
static int send_link(struct lpvm_link *link, int dst, int tag, int ctx, int enc,
                     int wid, const struct span *sp, int nsp, size_t total,
                     int *unsent) {
  int rc;
  *unsent = 1;
  if (total > lpvm_conn.max_msg)
    return lpvm_msg_too_big(total, lpvm_conn.max_msg);
  if (total < LPVM_ROUTE_RDV_MIN) {
    uint8_t *blob;
    capture.on = 1;
    capture.len = 0;
    capture.cap = total + HDR_ROOM;
    capture.buf = malloc(capture.cap);
    rc = capture.buf == NULL
             ? PvmNoMem
             : send_spans(link, dst, tag, ctx, enc, wid, sp, nsp, total);
    capture.on = 0;
    blob = capture.buf;
    capture.buf = NULL;
    if (rc < 0) {
      free(blob);
      return rc;
    }
    /* Taken: on the link, or through the daemon if the link broke. */
    rc = lpvm_route_send_kept(link, blob, capture.len);
    if (rc == PvmSysErr)
      *unsent = 0; /* the link had closed: through the daemon */
    return rc;
  }
  *unsent = 0;
  lpvm_route_rdv_begin(link);
  rc = send_spans(link, dst, tag, ctx, enc, wid, sp, nsp, total);
  return lpvm_route_rdv_end(link, rc);
}

/* Sends over the direct link to dst when there is one, else through the
 * daemon. When the link breaks, what it had not acknowledged goes again
 * through the daemon behind a resume marker (route.c), this message last;
 * the receiver drops a partial copy and the messages it had taken from
 * the link already, so each arrives once and in order. */
/* An error the daemon reported for an earlier message (PvmNoMem: it had no
 * memory to queue it), returned once by the next send. The daemon's socket
 * is read every SEND_POLL sends even when no write had to wait, so that a
 * sender that only sends still learns of it. */
#define SEND_POLL 256u

static int send_error(int rc) {
  const char *why;
  int e;
  if (rc < 0 || (e = lpvm_daemon_send_error(&why)) == 0)
    return rc;
  return lpvm_err_reason(e, why);
}

static int send_routed(int dst, int tag, int ctx, int enc, int wid,
                       const struct span *sp, int nsp, size_t total) {
  struct lpvm_link *link;
  /* The poll comes before the route is chosen: what it reads may change
   * the route (a link opened or broken), and a message must not go on a
   * choice made before it. */
  if (++sends >= SEND_POLL) {
    sends = 0;
    uv_run(lpvm_loop(), UV_RUN_NOWAIT);
  }
  /* A resource manager's answers (PVM's SM_* tags) are for the daemon,
   * which turns them into the asking task's reply: never a direct link. */
  link = lpvm_conn.is_rm && tag >= LPVM_SM_FIRST && tag <= LPVM_SM_LAST
             ? NULL
             : lpvm_route_for(dst);
  if (link != NULL) {
    int unsent;
    int rc = send_link(link, dst, tag, ctx, enc, wid, sp, nsp, total, &unsent);
    lpvm_route_release(link);
    if (rc >= 0 || unsent)
      return send_error(rc);
    lpvm_route_broken(dst);
  }
  return send_error(
      send_spans(lpvm_daemon_link(), dst, tag, ctx, enc, wid, sp, nsp, total));
}

int lpvm_send_buf(int dst, int tag, int ctx, int bufid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  struct span stack[16], *sp = stack;
  int n = 0, rc;
  size_t total = 0;

  if (b == NULL)
    return PvmNoSuchBuf;
  for (struct lpvm_seg *s = b->head; s != NULL; s = s->next)
    n++;
  if (n > 16 && (sp = malloc(sizeof(*sp) * (size_t)n)) == NULL)
    return PvmNoMem;
  n = 0;
  for (struct lpvm_seg *s = b->head; s != NULL; s = s->next) {
    if (s->len == 0)
      continue;
    sp[n].data = s->data;
    sp[n].len = s->len;
    total += s->len;
    n++;
  }
  /* A received buffer being forwarded has its body in one piece. */
  if (b->head == NULL && b->body != NULL) {
    sp[0].data = b->body;
    sp[0].len = b->len;
    total = b->len;
    n = 1;
  }
  rc = send_routed(dst, tag, ctx,
                   b->enc == PvmDataDefault ? PvmDataDefault : PvmDataRaw,
                   b->wid, sp, n, total);
  if (sp != stack)
    free(sp);
  return rc;
}

int lpvm_send_via_daemon(int dst, int tag, int ctx, const void *data,
                         size_t len) {
  struct span sp = {data, len};
  return send_spans(lpvm_daemon_link(), dst, tag, ctx, PvmDataRaw, 0, &sp,
                    len ? 1 : 0, len);
}

int lpvm_send_raw(int dst, int tag, int ctx, const void *data, size_t len) {
  struct span sp = {data, len};
  return send_routed(dst, tag, ctx, PvmDataRaw, 0, &sp, len ? 1 : 0, len);
}

int lpvm_send_bytes(int dst, int tag, int ctx, int enc, const void *data,
                    size_t len) {
  struct span sp = {data, len};
  return send_routed(dst, tag, ctx, enc, 0, &sp, len ? 1 : 0, len);
}
