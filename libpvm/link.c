/* The link core: what every direct link does whatever its transport. A link
 * is made (lpvm_link_new), reads frames that its transport hands over
 * (lpvm_link_frame), opens with a hello and its answer, and is closed once
 * (lpvm_link_close) and freed when its transport has released it and no
 * caller holds it any more. What a closed link means for its peer (the
 * resume through the daemon, the cool-down) is the router's (route.c,
 * lpvm_peer_link_gone); what it means for the bytes on the wire is the
 * transport's (link.h, the ops). Also here: the helpers that the stream
 * transports (Unix socket, TCP) share. */
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route_peer.h"

/* Frames a link may hold before its marker before we stop reading it. */
#define HOLD_MAX (64u << 20)
/* At most this much is read at once from a link whose peer has ended. */
#define LINK_DRAIN_MAX (64u << 20)

uint64_t lpvm_now_ms(void) {
  uv_update_time(lpvm_loop());
  return uv_now(lpvm_loop());
}

int lpvm_pump_before(uint64_t deadline) {
  uint64_t now = lpvm_now_ms();
  if (now >= deadline || lpvm_conn.state != LPVM_UP)
    return -1;
  lpvm_pump((int)(deadline - now));
  return lpvm_conn.state == LPVM_UP ? 0 : -1;
}

/* ---- lifetime ------------------------------------------------------------ */

struct lpvm_link *lpvm_link_new(const struct lpvm_link_ops *ops, int incoming) {
  struct lpvm_link *l = calloc(1, ops->size);
  if (l == NULL)
    return NULL;
  if (pvmw_reader_init(&l->rd, PVMW_MAX_FRAME) < 0) {
    free(l);
    return NULL;
  }
  l->ops = ops;
  l->rd_ready = 1;
  l->incoming = incoming;
  if (ops->init != NULL)
    ops->init(l);
  l->next = lpvm_router.links;
  lpvm_router.links = l;
  lpvm_router.nlinks++;
  return l;
}

static void link_free(struct lpvm_link *l) {
  if (l->rd_ready)
    pvmw_reader_free(&l->rd);
  if (l->ops->free != NULL)
    l->ops->free(l);
  free(l);
}

void lpvm_link_closed(struct lpvm_link *l) {
  l->closed = 1;
  if (l->holds == 0)
    link_free(l);
}

void lpvm_link_unhold(struct lpvm_link *l) {
  if (--l->holds == 0 && l->closed)
    link_free(l);
}

int lpvm_link_is_current(const struct lpvm_link *l) {
  return l->peer != NULL && l->peer->link == l && !l->closing;
}

int lpvm_link_peer_tid(const struct lpvm_link *l) {
  return l->peer != NULL ? l->peer->tid : 0;
}

int lpvm_link_pending(const struct lpvm_link_ops *ops) {
  int n = 0;
  for (struct lpvm_link *l = lpvm_router.links; l != NULL; l = l->next)
    n += l->ops == ops && l->incoming && l->peer == NULL && !l->closing;
  return n;
}

void lpvm_link_each(const struct lpvm_link_ops *ops,
                    void (*fn)(struct lpvm_link *l, uint64_t now),
                    uint64_t now) {
  struct lpvm_link *l, *next;
  for (l = lpvm_router.links; l != NULL; l = next) {
    next = l->next;
    if (l->ops == ops)
      fn(l, now);
  }
}

void lpvm_link_close(struct lpvm_link *l, const char *why) {
  struct lpvm_peer *p = l->peer;
  if (l->closing)
    return;
  l->closing = 1;
  if (lpvm_opts.debugmask && why != NULL)
    fprintf(stderr, "libpvm [t%x]: direct link to t%x closed: %s\n",
            (unsigned)lpvm_conn.mytid, p ? (unsigned)p->tid : 0u, why);
  for (struct lpvm_link **lp = &lpvm_router.links; *lp != NULL;
       lp = &(*lp)->next)
    if (*lp == l) {
      *lp = l->next;
      break;
    }
  lpvm_router.nlinks--;
  if (l->ops->goodbye != NULL)
    l->ops->goodbye(l, p != NULL && p->link == l);
  if (p != NULL) {
    if (p->trying == l) {
      p->trying = NULL;
      if (l->async)
        lpvm_peer_start_failed(p, l);
    }
    if (p->link == l)
      lpvm_peer_link_gone(p, l);
    if (!lpvm_peer_holding_daemon(p))
      lpvm_peer_release_daemon_held(p);
  }
  l->ops->close(l);
}

void lpvm_link_close_broken(struct lpvm_link *l, const char *why) {
  if (l->ops->drain != NULL)
    l->ops->drain(l);
  lpvm_link_close(l, why);
}

/* Nothing is lost when a stream ends: the peer sends again through the
 * daemon what we had not acknowledged. */
void lpvm_link_ended(struct lpvm_link *l, ssize_t n) {
  if (l->ops->ended != NULL)
    l->ops->ended(l, n);
  lpvm_link_close(l,
                  n == UV_EOF ? "peer closed the link" : uv_strerror((int)n));
}

/* ---- the opening --------------------------------------------------------- */

void lpvm_link_answer(struct lpvm_link *l, int req_id, int code,
                      const char *why) {
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__HelloReply r = PVMNG__HELLO_REPLY__INIT;
  pvmw_frame *f;
  c.req_id = (uint32_t)req_id;
  c.body_case = PVMNG__CONTROL__BODY_HELLO_REPLY;
  c.hello_reply = &r;
  r.code = code;
  r.reason = (char *)(why ? why : "");
  r.tid = (uint32_t)lpvm_conn.mytid;
  if (l->ops->fill_reply != NULL)
    l->ops->fill_reply(l, &r);
  if ((f = pvmw_control_frame(&c)) != NULL)
    l->ops->send_async(l, f);
}

int lpvm_link_accept(struct lpvm_link *l, int req_id, int tid, uint64_t nonce) {
  struct lpvm_peer *p;
  if (lpvm_opts.route == PvmDontRoute) {
    lpvm_link_answer(l, req_id, PvmDenied, "direct routes refused");
    return -1;
  }
  if ((p = lpvm_peer_get(tid)) == NULL)
    return -1;
  if (p->link != NULL || p->failed ||
      (p->link_held.head != NULL && p->held_nonce != nonce) ||
      (p->trying != NULL && lpvm_conn.mytid < tid)) {
    /* One link per pair: ours wins when our tid is lower. */
    lpvm_link_answer(l, req_id, PvmExists, "a link exists");
    return -1;
  }
  l->peer = p;
  l->nonce = nonce;
  p->link = l;
  lpvm_link_answer(l, req_id, 0, NULL);
  lpvm_router.on_route(PvmRouteAdd, tid);
  /* We send on the link only once the opener's marker for it has come
   * through the daemon: then the opener is committed to the link (it gives
   * up only while waiting for this answer), and nothing we write can be
   * left unread in a link it abandoned. */
  return 0;
}

/* A control frame on a link: only the hello and its answer exist. */
static int link_control(struct lpvm_link *l, Pvmng__Control *c) {
  if (l->incoming && l->peer == NULL)
    return l->ops->hello(l, c);
  if (!l->incoming && l->answer == 0 &&
      c->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY) {
    const Pvmng__HelloReply *r = c->hello_reply;
    l->answer = r->code == 0 && (int)r->tid == l->peer->tid
                    ? 1
                    : (r->code < 0 ? r->code : PvmSysErr);
    if (l->ops->answered != NULL)
      l->ops->answered(l, r);
    if (l->async)
      lpvm_peer_link_started(l);
    return 0;
  }
  return -1;
}

int lpvm_link_frame(void *link, pvmw_frame *f) {
  struct lpvm_link *l = link;
  int rc;
  if (l->closing) {
    pvmw_frame_free(f);
    return 1;
  }
  if (f->type == PVMW_FT_CONTROL) {
    Pvmng__Control *c = pvmw_control_parse(f);
    int bad;
    pvmw_frame_free(f);
    if (c == NULL) {
      lpvm_link_close(l, "malformed control frame");
      return 1;
    }
    bad = link_control(l, c) < 0;
    pvmng__control__free_unpacked(c, NULL);
    if (bad) {
      /* Let the answer (if any) leave before closing. */
      lpvm_link_close(l, "link refused or out of order");
      return 1;
    }
    return 0;
  }
  if (l->peer == NULL || l->peer->link != l) {
    pvmw_frame_free(f);
    lpvm_link_close(l, "message before the hello");
    return 1;
  }
  if (f->type == PVMW_FT_ACK) {
    int bad = lpvm_ack_received(l, f) < 0;
    pvmw_frame_free(f);
    if (bad) {
      lpvm_link_close(l, "acknowledgement of messages never sent");
      return 1;
    }
    return 0;
  }
  lpvm_ack_count(l, f);
  rc = lpvm_peer_link_message(l, f);
  if (rc < 0) {
    lpvm_link_close(l, "malformed message");
    return 1;
  }
  if (rc > 0) {
    /* Held until the peer's marker: stop reading when too much waits. */
    if (l->peer->link_held.bytes > HOLD_MAX && l->reading)
      l->ops->read_stop(l);
    return 0;
  }
  if (l->fin_inject) {
    lpvm_link_ended(l, UV_EOF); /* test: as if the stream ended here */
    return 1;
  }
  return 0;
}

void lpvm_link_space(struct lpvm_link *l, char **base, size_t *len) {
  pvmw_reader_space(&l->rd, base, len);
}

int lpvm_link_input(struct lpvm_link *l, size_t n) {
  int rc = pvmw_reader_commit(&l->rd, n, lpvm_link_frame, l);
  if (rc < 0) {
    lpvm_link_close(l, l->rd.err);
    return -1;
  }
  return rc > 0 || l->closing || !l->reading;
}

int lpvm_link_send_control(struct lpvm_link *l, Pvmng__Control *c) {
  pvmw_frame *f = pvmw_control_frame(c);
  uv_buf_t b;
  int rc;
  if (f == NULL)
    return PvmNoMem;
  b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  rc = l->ops->write(l, &b, 1);
  pvmw_frame_free(f);
  return rc;
}

/* ---- helpers for stream transports --------------------------------------- */

static void on_async_written(uv_write_t *req, int status) {
  (void)status;
  pvmw_frame_free(req->data);
  free(req);
}

/* The stream's own write queue keeps f ahead of later writes. */
void lpvm_stream_send_async(uv_stream_t *s, pvmw_frame *f) {
  uv_buf_t b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  int r = uv_try_write(s, &b, 1);
  if (r == (int)f->raw_len || (r < 0 && r != UV_EAGAIN)) {
    pvmw_frame_free(f);
    return;
  }
  if (r > 0) {
    b.base += r;
    b.len -= (size_t)r;
  }
  uv_write_t *req = malloc(sizeof(*req));
  if (req == NULL || uv_write(req, s, &b, 1, on_async_written) < 0) {
    free(req);
    pvmw_frame_free(f);
    return;
  }
  req->data = f;
}

/* Reads, without waiting, what the peer has written to l and not yet been
 * read, as the loop would (at most LINK_DRAIN_MAX bytes; the end of the
 * stream closes the link). Used when the peer has most likely ended: a
 * failed write, or the daemon announcing its exit. Everything a peer on
 * this host wrote before it ended is in the socket by then. */
void lpvm_stream_drain(struct lpvm_link *l, uv_alloc_cb alloc, uv_read_cb rd) {
  uv_os_fd_t fd;
  size_t total = 0;
  if (l->closing || !l->reading || uv_fileno(&l->io.handle, &fd) < 0)
    return;
  while (!l->closing && l->reading && total < LINK_DRAIN_MAX) {
    uv_buf_t b;
    ssize_t n;
    alloc(&l->io.handle, 65536, &b);
    if (b.len == 0)
      return;
    do
      n = recv(fd, b.base, b.len, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    rd(&l->io.stream, n > 0 ? n : n == 0 ? UV_EOF : -errno, &b);
    if (n <= 0)
      return;
    total += (size_t)n;
  }
}

struct connect_req {
  uv_connect_t req;
  int *done;
};

static void on_connected(uv_connect_t *req, int status) {
  struct connect_req *q = (struct connect_req *)req;
  if (q->done != NULL)
    *q->done = status == 0 ? 1 : (status < 0 ? status : -1);
  free(q);
}

int lpvm_stream_connect(struct lpvm_link *l, const char *path,
                        const struct sockaddr *sa, uint64_t deadline) {
  int done = 0;
  struct connect_req *q = malloc(sizeof(*q));
  if (q == NULL)
    return -1;
  q->done = &done;
  if (path != NULL) {
    uv_pipe_connect(&q->req, &l->io.pipe, path, on_connected);
  } else if (uv_tcp_connect(&q->req, &l->io.tcp, sa, on_connected) < 0) {
    free(q);
    return -1;
  }
  /* The request frees itself in its callback, which runs even on close
   * (a connection that does not come in time is cancelled by the close;
   * done then no longer exists). */
  while (done == 0 && !l->closing) {
    if (deadline == UINT64_MAX) {
      if (lpvm_pump(-1) < 0)
        break;
    } else if (lpvm_pump_before(deadline) < 0) {
      break;
    }
  }
  if (done == 0) {
    q->done = NULL;
    return -1;
  }
  return done < 0 || l->closing ? -1 : 0;
}
