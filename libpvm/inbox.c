/* The receive side of the library: whole messages, in arrival order. Frames
 * of a message come from the daemon connection (conn.c) or a direct link
 * (link.c), already put in order per pair by the router; fragments are
 * reassembled per source and route, and each whole message becomes a
 * receive buffer queued in arrival order. Matching the queue against
 * receives is msg.c's; message handlers look at it in mhf.c. */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"

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

/* Messages being reassembled, one per source and route. */
static struct partial *partials;

/* Where the library's own system messages go (lpvm_inbox_set_sys). */
static void sys_none(int bufid, int tag) {
  (void)tag;
  pvm_freebuf(bufid);
}
static void (*sys_handler)(int bufid, int tag) = sys_none;

void lpvm_inbox_set_sys(void (*fn)(int bufid, int tag)) { sys_handler = fn; }

static void release_frame(void *owner) { pvmw_frame_free(owner); }

/* ---- queue ------------------------------------------------------------- */

void lpvm_queue_init(void) {
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
  if (ctx == LPVM_SYSCTX &&
      (tag == LPVM_TAG_OUTPUT || tag == LPVM_TAG_SIBLINGS)) {
    free(m);
    sys_handler(bufid, tag);
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
  struct partial **pp = &partials;
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
int lpvm_inbox_try(pvmw_frame *f, int via) {
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
  /* Route markers and frames held back to keep per-pair order are the
   * router's: the daemon connection offers it every frame first. */
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
  int rc = lpvm_inbox_try(f, via);
  if (rc == PvmNoMem) {
    fprintf(stderr, "libpvm [t%x]: out of memory, dropped a message\n",
            (unsigned)lpvm_conn.mytid);
    pvmw_frame_free(f);
  }
  return rc;
}

void lpvm_inbox_reset(void) {
  while (partials != NULL) {
    struct partial *p = partials;
    partials = p->next;
    free_partial(p);
  }
}
