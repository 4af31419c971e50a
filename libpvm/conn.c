/* The link between a task and its local daemon. The library owns a private
 * libuv loop with one pipe handle on the daemon's Unix socket; nothing runs
 * in the background: every blocking call pumps this loop itself. Frames come
 * in through a pvmw_reader; control replies are handed to the waiting
 * request, message fragments are reassembled per source and queued in
 * arrival order as receive buffers. Messages leave as fragments of at most
 * the fragment size, each with its own header, in one vectored write. */
#include "conn.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h"
#include "rundir.h"
#include "tid.h"

struct lpvm_conn lpvm_conn = {.state = LPVM_DOWN};

/* A message being reassembled from fragments (one per source at a time:
 * a sender writes all fragments of a message before the next one, and the
 * route keeps per-link order). */
struct partial {
  struct partial *next;
  int via; /* 0: came through the daemon; else the direct peer's tid */
  int src, tag, ctx, enc, wid;
  uint64_t total;
  char *data;
  size_t len, cap;
};

static struct {
  uv_loop_t loop;
  int loop_ready;
  uv_pipe_t pipe;
  int pipe_open;
  uv_timer_t timer;
  int timer_open;
  pvmw_reader rd;
  int rd_ready;
  int rd_nomem;     /* a frame found no memory: reading stopped, retried */
  pvmw_frame *held; /* a message that found no memory, to deliver first */
  uint32_t next_req;
  uint32_t wait_req;     /* request whose reply we wait for */
  Pvmng__Control *reply; /* its reply, once arrived */
  struct partial *partials;
  int writes_pending; /* uv_write requests not yet completed */
  int write_status;
  int send_err; /* the daemon dropped a message of ours (PVMW_REQ_SEND_ERROR):
                   the next send returns this code, with send_why */
  char send_why[160];
  unsigned sends;  /* sends since the daemon's socket was last read */
  int daemon_busy; /* send_spans is writing a message to the daemon */
  /* While on, send_spans builds its frames here instead of writing them
   * (a message to a direct link, kept until acknowledged). */
  struct {
    int on;
    uint8_t *buf;
    size_t len, cap;
  } capture;
  char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
} C;

static void release_frame(void *owner) { pvmw_frame_free(owner); }

int lpvm_tid_or_zero(void) {
  return lpvm_conn.state == LPVM_UP ? lpvm_conn.mytid : 0;
}

/* ---- queue ------------------------------------------------------------- */

static void queue_init(void) {
  if (lpvm_conn.queue.next == NULL) {
    lpvm_conn.queue.next = &lpvm_conn.queue;
    lpvm_conn.queue.prev = &lpvm_conn.queue;
  }
}

/* Links m (allocated by the caller) at the end of the queue. */
static void queue_link(struct lpvm_qmsg *m, int bufid, int src, int tag,
                       int ctx) {
  m->bufid = bufid;
  m->src = src;
  m->tag = tag;
  m->ctx = ctx;
  m->seq = ++lpvm_conn.arrived;
  m->prev = lpvm_conn.queue.prev;
  m->next = &lpvm_conn.queue;
  lpvm_conn.queue.prev->next = m;
  lpvm_conn.queue.prev = m;
  lpvm_conn.queued++;
}

int lpvm_queue_add(int bufid, int src, int tag, int ctx) {
  struct lpvm_qmsg *m = malloc(sizeof(*m));
  if (m == NULL)
    return PvmNoMem;
  queue_link(m, bufid, src, tag, ctx);
  return 0;
}

void lpvm_queue_remove(struct lpvm_qmsg *m) {
  m->prev->next = m->next;
  m->next->prev = m->prev;
  lpvm_conn.queued--;
  free(m);
}

/* ---- incoming frames --------------------------------------------------- */

/* A whole message has arrived: make it a receive buffer and queue it, or
 * hand it to the output catcher when it is a system message. Message
 * handlers (mhf.c) see it when a library call reaches it in the queue.
 * Returns 0 (owner taken), or PvmNoMem with nothing done and owner still
 * the caller's, so that the message can be delivered later instead of
 * lost. */
static int deliver(int enc, int src, int tag, int ctx, int wid,
                   const char *body, size_t len, void *owner,
                   void (*release)(void *)) {
  /* The queue entry first: once the buffer exists it owns the body. */
  struct lpvm_qmsg *m = malloc(sizeof(*m));
  if (m == NULL)
    return PvmNoMem;
  int bufid = lpvm_buf_adopt(enc, body, len, owner, release);
  struct lpvm_buf *b;
  if (bufid < 0) {
    free(m);
    if (bufid == PvmNoMem)
      return PvmNoMem;
    fprintf(stderr, "libpvm [t%x]: dropped a message from t%x: %s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)src, lpvm_errstr(bufid));
    if (release != NULL)
      release(owner);
    return 0;
  }
  b = lpvm_buf_get(bufid);
  b->src = src;
  b->dst = lpvm_conn.mytid;
  b->tag = tag;
  b->ctx = ctx;
  b->wid = wid;
  if (ctx == LPVM_SYSCTX && tag == LPVM_TAG_OUTPUT) {
    free(m);
    lpvm_output_message(bufid);
    return 0;
  }
  if (ctx == LPVM_SYSCTX && tag == LPVM_TAG_SIBLINGS) {
    free(m);
    lpvm_siblings_message(bufid);
    return 0;
  }
  queue_link(m, bufid, src, tag, ctx);
  return 0;
}

static void free_partial(struct partial *p) {
  free(p->data);
  free(p);
}

int lpvm_deliver_local(int bufid, int src, int tag, int ctx) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return PvmNoSuchBuf;
  b->src = src;
  b->dst = lpvm_conn.mytid;
  b->tag = tag;
  b->ctx = ctx;
  return lpvm_queue_add(bufid, src, tag, ctx);
}

static struct partial **find_partial(int src, int via) {
  struct partial **pp = &C.partials;
  while (*pp != NULL && ((*pp)->src != src || (*pp)->via != via))
    pp = &(*pp)->next;
  return pp;
}

void lpvm_drop_partial(int src, int via) {
  struct partial **pp = find_partial(src, via), *p = *pp;
  if (p != NULL) {
    *pp = p->next;
    free_partial(p);
  }
}

/* lpvm_message_frame, except that when memory runs out it returns
 * PvmNoMem with f not taken and nothing changed, for a later try. */
static int message_frame_try(pvmw_frame *f, int via) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  struct partial **pp, *p;

  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) < 0 ||
      (h.encoding != PvmDataDefault && h.encoding != PvmDataRaw) ||
      (via > 0 && (int)h.src != via)) {
    pvmw_frame_free(f);
    return PvmBadMsg;
  }
  /* Route switches and messages held back to keep per-pair order when a
   * direct link comes or goes are the routing layer's business; it hands
   * held frames back with via = LPVM_VIA_REPLAY. */
  if (via == 0 && lpvm_route_daemon_frame((int)h.src, h.ctx, h.tag, f))
    return 0;
  if (via == LPVM_VIA_REPLAY)
    via = 0;
  if (h.flags & PVMW_MF_ABORT) {
    /* The sender's connection ended in the middle of this message. */
    lpvm_drop_partial((int)h.src, via);
    pvmw_frame_free(f);
    return 0;
  }
  pp = find_partial((int)h.src, via);
  if ((h.flags & PVMW_MF_FIRST) && (h.flags & PVMW_MF_LAST) && *pp == NULL) {
    /* The common case: the whole message in one frame, kept in place. */
    return deliver((int)h.encoding, (int)h.src, h.tag, h.ctx, (int)h.wid,
                   (const char *)body, blen, f, release_frame);
  }
  if (h.flags & PVMW_MF_FIRST) {
    if (*pp != NULL || h.total_len > lpvm_conn.max_msg) {
      pvmw_frame_free(f);
      return PvmBadMsg;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL)
      return PvmNoMem;
    p->via = via;
    p->src = (int)h.src;
    p->tag = h.tag;
    p->ctx = h.ctx;
    p->enc = (int)h.encoding;
    p->wid = (int)h.wid;
    p->total = h.total_len;
    *pp = p;
  } else if ((p = *pp) == NULL) {
    pvmw_frame_free(f);
    return PvmBadMsg;
  }
  /* A partial linked by this try is undone when it finds no memory. */
  int fresh = (h.flags & PVMW_MF_FIRST) != 0;
  if (p->len + blen > p->total) {
    pvmw_frame_free(f);
    return PvmBadMsg;
  }
  if (p->len + blen > p->cap) {
    /* Grow with what arrives, never straight to the claimed total. */
    size_t cap = p->cap ? p->cap : 65536;
    while (cap < p->len + blen)
      cap *= 2;
    if (cap > p->total)
      cap = (size_t)p->total;
    char *d = realloc(p->data, cap ? cap : 1);
    if (d == NULL)
      goto nomem;
    p->data = d;
    p->cap = cap;
  }
  if ((h.flags & PVMW_MF_LAST) && p->len + blen != p->total) {
    pvmw_frame_free(f);
    return PvmBadMsg;
  }
  if (p->data == NULL && (p->data = malloc(1)) == NULL)
    goto nomem;
  if (blen > 0)
    lpvm_copy(p->data + p->len, body, blen);
  if (h.flags & PVMW_MF_LAST) {
    /* Without memory the partial stays as it was (its length unchanged),
     * its data still ours, for the next try. */
    if (deliver(p->enc, p->src, p->tag, p->ctx, p->wid, p->data, p->len + blen,
                p->data, free) < 0)
      goto nomem;
    *pp = p->next;
    free(p);
  } else {
    p->len += blen;
  }
  pvmw_frame_free(f);
  return 0;
nomem:
  if (fresh) {
    *pp = p->next;
    free(p->data);
    free(p);
  }
  return PvmNoMem;
}

int lpvm_message_frame(pvmw_frame *f, int via) {
  int rc = message_frame_try(f, via);
  if (rc == PvmNoMem) {
    fprintf(stderr, "libpvm [t%x]: out of memory, dropped a message\n",
            (unsigned)lpvm_conn.mytid);
    pvmw_frame_free(f);
  }
  return rc;
}

static void lose_link(const char *why);

static int on_frame(void *ctx, pvmw_frame *f) {
  (void)ctx;
  if (f->type == PVMW_FT_MESSAGE) {
    int rc = message_frame_try(f, 0);
    if (rc == PvmNoMem) {
      /* Kept, and tried again (retry_nomem) as a frame the routing layer
       * has already seen; reading stops until then. */
      C.held = f;
      return 1;
    }
    if (rc < 0) {
      lose_link("malformed message from the daemon");
      return 1;
    }
    return 0;
  }
  Pvmng__Control *c = pvmw_control_parse(f);
  pvmw_frame_free(f);
  if (c == NULL) {
    lose_link("malformed control frame from the daemon");
    return 1;
  }
  if (c->req_id == LPVM_REQ_ROUTE_INFO) {
    lpvm_route_info_reply(c); /* takes c */
    return 0;
  }
  if (c->req_id == PVMW_REQ_SEND_ERROR &&
      c->body_case == PVMNG__CONTROL__BODY_STATUS) {
    if (C.send_err == 0 && c->status->code < 0) {
      C.send_err = c->status->code;
      snprintf(C.send_why, sizeof C.send_why, "%s", c->status->reason);
    }
    pvmng__control__free_unpacked(c, NULL);
    return 0;
  }
  if (C.wait_req != 0 && c->req_id == C.wait_req && C.reply == NULL) {
    C.reply = c;
    return 0;
  }
  /* Unsolicited control messages are not defined yet: ignore them. */
  pvmng__control__free_unpacked(c, NULL);
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  char *base;
  size_t len;
  pvmw_reader_space(&C.rd, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)s;
  (void)buf;
  if (n < 0) {
    lose_link(n == UV_EOF ? "the daemon closed the connection"
                          : uv_strerror((int)n));
    return;
  }
  if (n == 0)
    return;
  int rc = pvmw_reader_commit(&C.rd, (size_t)n, on_frame, NULL);
  if (rc == PvmNoMem || (rc > 0 && C.held != NULL)) {
    C.rd_nomem = 1;
    uv_read_stop((uv_stream_t *)&C.pipe);
  } else if (rc < 0) {
    lose_link(C.rd.err);
  }
}

/* A frame from the daemon found no memory: its bytes stay in the reader and
 * reading stops; each pump tries again (every NOMEM_RETRY_MS while it
 * waits), so a passing shortage delays the task instead of cutting it off
 * from its daemon. */
#define NOMEM_RETRY_MS 10
static int retry_nomem(void) {
  if (!C.rd_nomem || lpvm_conn.state != LPVM_UP)
    return 0;
  if (C.held != NULL) {
    int held = message_frame_try(C.held, LPVM_VIA_REPLAY);
    if (held == PvmNoMem)
      return 0;
    C.held = NULL; /* taken (or refused as malformed, and freed) */
    if (held < 0) {
      C.rd_nomem = 0;
      lose_link("malformed message from the daemon");
      return 1;
    }
  }
  int rc = pvmw_reader_commit(&C.rd, 0, on_frame, NULL);
  if (rc == PvmNoMem || (rc > 0 && C.held != NULL))
    return 1; /* progress, but more to retry */
  C.rd_nomem = 0;
  if (rc < 0)
    lose_link(C.rd.err);
  else if (lpvm_conn.state == LPVM_UP)
    uv_read_start((uv_stream_t *)&C.pipe, on_alloc, on_read);
  return 1;
}

static void on_close(uv_handle_t *h) { (void)h; }

static void lose_link(const char *why) {
  if (lpvm_conn.state == LPVM_UP && lpvm_opts.debugmask)
    fprintf(stderr, "libpvm [t%x]: lost the daemon: %s\n",
            (unsigned)lpvm_conn.mytid, why);
  if (lpvm_conn.state == LPVM_UP)
    lpvm_conn.state = LPVM_LOST;
  if (C.pipe_open && !uv_is_closing((uv_handle_t *)&C.pipe)) {
    uv_read_stop((uv_stream_t *)&C.pipe);
    uv_close((uv_handle_t *)&C.pipe, on_close);
  }
}

/* ---- pumping the loop -------------------------------------------------- */

static void on_timer(uv_timer_t *t) { (void)t; }

int lpvm_pump(int timeout_ms) {
  /* Frames the retry delivered may be what the caller waits for: it looks
   * before the loop blocks. */
  if (retry_nomem())
    timeout_ms = 0;
  if (lpvm_conn.state != LPVM_UP)
    return PvmSysErr;
  if (C.rd_nomem && (timeout_ms < 0 || timeout_ms > NOMEM_RETRY_MS))
    timeout_ms = NOMEM_RETRY_MS;
  /* Shared-memory links are read here, not by the loop; before sleeping,
   * each asks its peer for a wake-up (a byte on its socket). Something
   * there means no sleep. The loop still turns on every poll: a poll
   * (pvm_nrecv, pvm_probe) must see what the daemon has sent too. */
  int shm = lpvm_route_shm_pump(timeout_ms != 0);
  if (shm > 0)
    timeout_ms = 0;
  if (timeout_ms == 0) {
    uv_run(&C.loop, UV_RUN_NOWAIT);
  } else if (timeout_ms > 0) {
    lpvm_route_idle(); /* acknowledge before waiting */
    uv_timer_start(&C.timer, on_timer, (uint64_t)timeout_ms, 0);
    uv_run(&C.loop, UV_RUN_ONCE);
    uv_timer_stop(&C.timer);
  } else {
    lpvm_route_idle(); /* acknowledge before waiting */
    uv_run(&C.loop, UV_RUN_ONCE);
  }
  return lpvm_conn.state == LPVM_UP ? 0 : PvmSysErr;
}

/* ---- writing ----------------------------------------------------------- */

/* The write request of last resort: a write blocks until done, so one
 * spare serves when malloc fails (a message must not stop half-written
 * for want of a few bytes); nested writes find it busy. */
static uv_write_t spare_req;
static int spare_busy;

static void on_write(uv_write_t *req, int status) {
  C.writes_pending--;
  if (status < 0)
    C.write_status = status;
  if (req == &spare_req)
    spare_busy = 0;
  else
    free(req);
}

/* Writes all of bufs[0..n), blocking (pumping the loop, so that incoming
 * data keeps flowing) until the kernel has taken every byte. The caller's
 * memory must stay valid until then, which it does: we return only after. */
int lpvm_write_all(uv_stream_t *s, uv_buf_t *bufs, unsigned n) {
  int r;
  int daemon = s == (uv_stream_t *)&C.pipe;
  if (lpvm_conn.state != LPVM_UP || uv_is_closing((uv_handle_t *)s))
    return PvmSysErr;
  r = uv_try_write(s, bufs, n);
  if (r == UV_EAGAIN)
    r = 0;
  if (r < 0) {
    if (daemon)
      lose_link(uv_strerror(r));
    return PvmSysErr;
  }
  size_t done = (size_t)r;
  while (n > 0 && done >= bufs[0].len) {
    done -= bufs[0].len;
    bufs++;
    n--;
  }
  if (n == 0)
    return 0;
  bufs[0].base += done;
  bufs[0].len -= done;
  uv_write_t *req = malloc(sizeof(*req));
  if (req == NULL && !spare_busy) {
    req = &spare_req;
    spare_busy = 1;
  }
  if (req == NULL)
    return PvmNoMem;
  C.write_status = 0;
  C.writes_pending++;
  r = uv_write(req, s, bufs, n, on_write);
  if (r < 0) {
    C.writes_pending--;
    if (req == &spare_req)
      spare_busy = 0;
    else
      free(req);
    if (daemon)
      lose_link(uv_strerror(r));
    return PvmSysErr;
  }
  while (C.writes_pending > 0 && lpvm_conn.state == LPVM_UP &&
         C.write_status == 0)
    uv_run(&C.loop, UV_RUN_ONCE);
  if (C.writes_pending > 0) {
    /* The link died under us; let libuv cancel the request. */
    while (C.writes_pending > 0)
      uv_run(&C.loop, UV_RUN_ONCE);
    return PvmSysErr;
  }
  return C.write_status < 0 ? PvmSysErr : 0;
}

static int send_control(Pvmng__Control *c) {
  pvmw_frame *f = pvmw_control_frame(c);
  int rc;
  if (f == NULL)
    return PvmNoMem;
  uv_buf_t b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  rc = lpvm_write_all((uv_stream_t *)&C.pipe, &b, 1);
  pvmw_frame_free(f);
  return rc;
}

/* A run of body bytes to send, from a buffer's segments or one block. */
struct span {
  const char *data;
  size_t len;
};

#define HDR_ROOM (PVMW_HDR_LEN + 2 + PVMW_MAX_MSGHDR)
#define IOV_BATCH 64

int lpvm_daemon_busy(void) { return C.daemon_busy; }

/* Appends bufs to the capture (growing it as needed). */
static int capture_put(const uv_buf_t *bufs, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (C.capture.len + bufs[i].len > C.capture.cap) {
      size_t cap = C.capture.cap * 2;
      uint8_t *b;
      if (cap < C.capture.len + bufs[i].len)
        cap = C.capture.len + bufs[i].len;
      if ((b = realloc(C.capture.buf, cap)) == NULL)
        return PvmNoMem;
      C.capture.buf = b;
      C.capture.cap = cap;
    }
    memcpy(C.capture.buf + C.capture.len, bufs[i].base, bufs[i].len);
    C.capture.len += bufs[i].len;
  }
  return 0;
}

/* Writes to a direct link, or to the daemon when via is NULL (or into the
 * capture while it is on). */
static int out_write(struct lpvm_link *via, uv_buf_t *bufs, unsigned n) {
  if (C.capture.on)
    return capture_put(bufs, n);
  return via != NULL ? lpvm_route_write(via, bufs, n)
                     : lpvm_write_all((uv_stream_t *)&C.pipe, bufs, n);
}

/* Sends one message whose body is the concatenation of spans, to the link
 * out or (NULL) the daemon. Fragments and their headers are written in
 * batches of vectored writes. wid is the message's wait id (pvm_setminfo),
 * 0 if unused. */

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
  if (out == NULL && !C.capture.on)
    C.daemon_busy++;

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
  if (out == NULL && !C.capture.on && --C.daemon_busy == 0)
    lpvm_route_daemon_idle();
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
    C.capture.on = 1;
    C.capture.len = 0;
    C.capture.cap = total + HDR_ROOM;
    C.capture.buf = malloc(C.capture.cap);
    rc = C.capture.buf == NULL
             ? PvmNoMem
             : send_spans(link, dst, tag, ctx, enc, wid, sp, nsp, total);
    C.capture.on = 0;
    blob = C.capture.buf;
    C.capture.buf = NULL;
    if (rc < 0) {
      free(blob);
      return rc;
    }
    /* Taken: on the link, or through the daemon if the link broke. */
    rc = lpvm_route_send_kept(link, blob, C.capture.len);
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
  int e = C.send_err;
  if (rc < 0 || e == 0)
    return rc;
  C.send_err = 0;
  return lpvm_err_reason(e, C.send_why);
}

static int send_routed(int dst, int tag, int ctx, int enc, int wid,
                       const struct span *sp, int nsp, size_t total) {
  struct lpvm_link *link;
  /* The poll comes before the route is chosen: what it reads may change
   * the route (a link opened or broken), and a message must not go on a
   * choice made before it. */
  if (++C.sends >= SEND_POLL) {
    C.sends = 0;
    uv_run(&C.loop, UV_RUN_NOWAIT);
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
  return send_error(send_spans(NULL, dst, tag, ctx, enc, wid, sp, nsp, total));
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
  return send_spans(NULL, dst, tag, ctx, PvmDataRaw, 0, &sp, len ? 1 : 0, len);
}

uv_loop_t *lpvm_loop(void) { return &C.loop; }

uv_stream_t *lpvm_daemon_stream(void) { return (uv_stream_t *)&C.pipe; }

const char *lpvm_daemon_socket(void) { return C.sock; }

int lpvm_send_raw(int dst, int tag, int ctx, const void *data, size_t len) {
  struct span sp = {data, len};
  return send_routed(dst, tag, ctx, PvmDataRaw, 0, &sp, len ? 1 : 0, len);
}

int lpvm_send_bytes(int dst, int tag, int ctx, int enc, const void *data,
                    size_t len) {
  struct span sp = {data, len};
  return send_routed(dst, tag, ctx, enc, 0, &sp, len ? 1 : 0, len);
}

/* ---- requests ---------------------------------------------------------- */

int lpvm_request(Pvmng__Control *req, Pvmng__Control **reply) {
  int rc;
  if (lpvm_conn.state != LPVM_UP)
    return PvmSysErr;
  if (++C.next_req == 0 || C.next_req >= LPVM_REQ_RESERVED)
    C.next_req = 1;
  req->req_id = C.next_req;
  C.wait_req = req->req_id;
  C.reply = NULL;
  rc = send_control(req);
  while (rc == 0 && C.reply == NULL) {
    if (lpvm_pump(-1) < 0)
      rc = PvmSysErr;
  }
  C.wait_req = 0;
  if (rc < 0) {
    if (C.reply != NULL)
      pvmng__control__free_unpacked(C.reply, NULL);
    C.reply = NULL;
    return rc;
  }
  *reply = C.reply;
  C.reply = NULL;
  return 0;
}

/* ---- connecting -------------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status) {
  *(int *)req->data = status == 0 ? 1 : status;
}

static void close_all(void) {
  if (C.pipe_open) {
    if (!uv_is_closing((uv_handle_t *)&C.pipe))
      uv_close((uv_handle_t *)&C.pipe, on_close);
    C.pipe_open = 0;
  }
  if (C.timer_open) {
    uv_close((uv_handle_t *)&C.timer, on_close);
    C.timer_open = 0;
  }
  if (C.loop_ready) {
    uv_run(&C.loop, UV_RUN_DEFAULT);
    uv_loop_close(&C.loop);
    C.loop_ready = 0;
  }
  if (C.rd_ready) {
    pvmw_reader_free(&C.rd);
    C.rd_ready = 0;
  }
  C.rd_nomem = 0;
  if (C.held != NULL) {
    pvmw_frame_free(C.held);
    C.held = NULL;
  }
  while (C.partials != NULL) {
    struct partial *p = C.partials;
    C.partials = p->next;
    free_partial(p);
  }
}

static const char *self_name(char *buf, size_t len) {
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  if (n <= 0)
    return "";
  buf[n] = '\0';
  const char *slash = strrchr(buf, '/');
  return slash ? slash + 1 : buf;
}

int lpvm_connect(const char *fn) {
  char err[256];
  const char *vmid;
  const char *env_sock = getenv("PVMNG_SOCKET");
  int rc, done = 0;
  uv_connect_t creq;
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__Hello hello = PVMNG__HELLO__INIT;
  char namebuf[PATH_MAX];
  struct sigaction sa;

  if (lpvm_conn.state == LPVM_UP)
    return 0;
  if (lpvm_conn.state == LPVM_LOST) {
    /* A link lost stays lost until pvm_exit: tids must not change under a
     * running program. */
    return lpvm_err_hint(fn, PvmSysErr, "the connection to pvmd was lost");
  }
  queue_init();
  vmid = pvmw_vmid(err, sizeof(err));
  if (vmid == NULL)
    return lpvm_err_hint(fn, PvmBadParam, err);
  if (env_sock != NULL && *env_sock != '\0') {
    if (strlen(env_sock) >= sizeof(C.sock))
      return lpvm_err_hint(fn, PvmBadParam, "PVMNG_SOCKET is too long");
    strcpy(C.sock, env_sock);
  } else if (pvmw_runpath(C.sock, sizeof(C.sock), vmid, "sock", 0, err,
                          sizeof(err)) < 0) {
    char hint[400];
    snprintf(hint, sizeof(hint),
             "no pvmd is running for VM id \"%s\" (%s); start one with "
             "`pvm` (the console) or `pvmd`",
             *vmid ? vmid : "default", err);
    return lpvm_err_hint(fn, PvmSysErr, hint);
  }

  /* A task must not die of SIGPIPE because its daemon went away; the error
   * comes back from the call instead. Only the default action is changed. */
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
  }

  if (uv_loop_init(&C.loop) < 0)
    return lpvm_err(fn, PvmSysErr);
  C.loop_ready = 1;
  uv_timer_init(&C.loop, &C.timer);
  C.timer_open = 1;
  if (pvmw_reader_init(&C.rd, PVMW_MAX_FRAME) < 0) {
    close_all();
    return lpvm_err(fn, PvmNoMem);
  }
  C.rd_ready = 1;
  uv_pipe_init(&C.loop, &C.pipe, 0);
  C.pipe_open = 1;
  creq.data = &done;
  uv_pipe_connect(&creq, &C.pipe, C.sock, on_connect);
  while (done == 0)
    uv_run(&C.loop, UV_RUN_ONCE);
  if (done < 0) {
    char hint[400];
    snprintf(hint, sizeof(hint),
             "cannot reach pvmd at %s (%s); start one with `pvm` (the "
             "console) or `pvmd`",
             C.sock, uv_strerror(done));
    close_all();
    return lpvm_err_hint(fn, PvmSysErr, hint);
  }
  lpvm_conn.state = LPVM_UP;
  pvm_useruid = (int)getuid();
  lpvm_conn.max_frame = PVMW_MAX_FRAME;
  lpvm_conn.max_msg = PVMW_MAX_MESSAGE;
  uv_read_start((uv_stream_t *)&C.pipe, on_alloc, on_read);

  hello.proto_version = PVMW_VERSION;
  hello.vmid = (char *)vmid;
  hello.pid = (int32_t)getpid();
  const char *st = getenv("PVMNG_TID");
  int stid = 0;
  if (st != NULL && pvmw_tid_parse(st, &stid) == 0 && pvmw_tid_is_task(stid))
    hello.spawned_tid = (uint32_t)stid;
  hello.name = (char *)self_name(namebuf, sizeof(namebuf));
  req.body_case = PVMNG__CONTROL__BODY_HELLO;
  req.hello = &hello;
  rc = lpvm_request(&req, &rep);
  if (rc == 0 && (rep->body_case != PVMNG__CONTROL__BODY_HELLO_REPLY ||
                  rep->hello_reply->code != 0)) {
    char hint[300];
    rc = rep->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY
             ? rep->hello_reply->code
             : PvmSysErr;
    snprintf(hint, sizeof(hint), "pvmd refused the connection: %s",
             rep->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY &&
                     rep->hello_reply->reason[0]
                 ? rep->hello_reply->reason
                 : "unexpected answer");
    pvmng__control__free_unpacked(rep, NULL);
    lpvm_conn.state = LPVM_DOWN;
    close_all();
    return lpvm_err_hint(fn, rc < 0 ? rc : PvmSysErr, hint);
  }
  if (rc < 0) {
    lpvm_conn.state = LPVM_DOWN;
    close_all();
    return lpvm_err_hint(fn, PvmSysErr, "pvmd closed the connection");
  }
  Pvmng__HelloReply *hr = rep->hello_reply;
  lpvm_conn.mytid = (int)hr->tid;
  lpvm_conn.parent = (int)hr->parent_tid;
  lpvm_conn.spawned = stid != 0 && (int)hr->tid == stid;
  lpvm_conn.dtid = (int)hr->daemon_tid;
  if (hr->max_frame >= 65536 && hr->max_frame <= PVMW_MAX_FRAME)
    lpvm_conn.max_frame = hr->max_frame;
  if (hr->max_message > 0 && hr->max_message <= PVMW_MAX_MESSAGE)
    lpvm_conn.max_msg = hr->max_message;
  /* Output redirection is inherited from the parent (man pvm_setopt). */
  lpvm_opts.out_tid = lpvm_opts.self_out_tid = (int)hr->out_tid;
  lpvm_opts.out_code = lpvm_opts.self_out_code = hr->out_code;
  lpvm_opts.out_ctx = lpvm_opts.self_out_ctx = hr->out_ctx;
  pvmng__control__free_unpacked(rep, NULL);
  /* A spawned task starts in its parent's context at the spawn (task.c
   * passes it); the variable is not handed on to the task's own children. */
  const char *sctx = getenv("PVMNG_CTX");
  if (sctx != NULL) {
    char *end;
    long c = strtol(sctx, &end, 10);
    if (hello.spawned_tid != 0 && *end == '\0' && end != sctx && c > 0 &&
        c <= INT_MAX)
      lpvm_conn.ctx = (int)c;
    unsetenv("PVMNG_CTX");
  }
  lpvm_route_start();
  const char *poll = getenv("PVMNG_POLL");
  if (poll != NULL && *poll != '\0' && atoi(poll) >= 0)
    lpvm_opts.poll_time = atoi(poll);
  const char *spin = getenv("PVMNG_REMOTE_SPIN_US");
  if (spin != NULL && *spin != '\0') {
    char *end;
    long v = strtol(spin, &end, 10);
    if (*end == '\0' && v >= 0)
      lpvm_opts.remote_spin_us = v > 1000000 ? 1000000 : (int)v;
  }
  if (lpvm_opts.no_reset)
    lpvm_send_task_options();
  return 0;
}

int lpvm_conn_fd(void) {
  uv_os_fd_t fd;
  if (lpvm_conn.state != LPVM_UP || uv_fileno((uv_handle_t *)&C.pipe, &fd) < 0)
    return -1;
  return fd;
}

void lpvm_disconnect(void) {
  lpvm_route_stop();
  while (lpvm_conn.queue.next != NULL &&
         lpvm_conn.queue.next != &lpvm_conn.queue) {
    struct lpvm_qmsg *m = lpvm_conn.queue.next;
    pvm_freebuf(m->bufid);
    lpvm_queue_remove(m);
  }
  lpvm_mhf_drop();
  close_all();
  lpvm_conn.state = LPVM_DOWN;
  lpvm_conn.mytid = 0;
  lpvm_conn.parent = 0;
  lpvm_conn.spawned = 0;
  lpvm_conn.dtid = 0;
}
