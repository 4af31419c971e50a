/* Direct routes between tasks: which way a message to a peer goes, and
 * order per pair across every switch. A task that asks for direct routes
 * (PvmRouteDirect) opens a link to the destination the first time it sends
 * to it (link.h: a Unix socket on one host, link_unix.c; TLS between
 * hosts, link_tls.c), and on acceptance sends a route marker through the
 * daemon before its first message on the link; the acceptor does the same
 * in the other direction. This file never asks which transport a link
 * uses.
 *
 * Order per pair is kept by holding. Each link has a nonce, chosen by its
 * opener, and a marker names the link it announces. Frames that arrive on
 * a link before the peer's marker for that link has come through the
 * daemon wait (so everything the peer sent through the daemon earlier is
 * delivered first). Daemon frames from a peer wait while the link its last
 * marker named is still open here (they exist only when that link broke on
 * the peer's side and it fell back; its end, read here, releases them). A
 * marker for a link this task does not have (a race lost, an attempt given
 * up) holds nothing. One link per pair of tasks: when both open at once,
 * the link opened by the lower tid wins.
 *
 * When a link breaks, nothing is lost (route_ack.c: acknowledged delivery
 * and the resume through the daemon). A broken link is tried again after a
 * cool-down that grows with each break (a fresh hello, the same markers);
 * a peer whose authentication failed is not.
 *
 * With PVMNG_SHM_DEFAULT=1 a task with the default route (PvmAllowDirect)
 * opens links too, to tasks of its host, without waiting for the answer
 * (link_start): the daemon route serves until the link is accepted. */
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "conn.h"
#include "failpoint.h"
#include "link.h"
#include "link_tls.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "route_peer.h"
#include "tid.h"
#include "xdr.h"

/* How long a task waits for a peer to answer its link hello. */
#define HELLO_WAIT_MS 2000
/* Attempts to open a link to a peer that is not listening (yet), and the
 * pause between them (growing linearly). */
#define MAX_ATTEMPTS 5
#define RETRY_MS 100
/* After a link with a peer broke: a new one is tried after COOL_MS
 * ($PVMNG_LINK_COOL_MS), doubled for each further break up to COOL_MAX_MS;
 * after MAX_BREAKS breaks the pair stays on the daemon route. */
#define COOL_MS 1000
#define COOL_MAX_MS 30000
#define MAX_BREAKS 8
/* Leaving: how long we wait for what the links have queued to leave, so
 * that each ends with its close record right after its last message (what
 * does not leave in time goes again through the daemon). */
#define STOP_FLUSH_MS 500

/* Until lpvm_route_start: nobody to tell of links. */
static void on_route_none(int kind, int tid) {
  (void)kind;
  (void)tid;
}

struct lpvm_router lpvm_router = {.on_route = on_route_none};

/* The first cool-down after a break (ms). */
static uint64_t cool_ms = COOL_MS;

/* ---- peers and held frames ----------------------------------------------- */

static void heldq_push(struct lpvm_heldq *q, pvmw_frame *f) {
  struct lpvm_held *h = malloc(sizeof(*h));
  if (h == NULL) {
    /* Losing order is worse than losing the frame silently: say so. */
    fprintf(stderr, "libpvm [t%x]: out of memory holding a message frame\n",
            (unsigned)lpvm_conn.mytid);
    pvmw_frame_free(f);
    return;
  }
  h->f = f;
  h->next = NULL;
  if (q->tail)
    q->tail->next = h;
  else
    q->head = h;
  q->tail = h;
  q->bytes += f->raw_len;
}

static pvmw_frame *heldq_pop(struct lpvm_heldq *q) {
  struct lpvm_held *h = q->head;
  pvmw_frame *f;
  if (h == NULL)
    return NULL;
  q->head = h->next;
  if (q->head == NULL)
    q->tail = NULL;
  f = h->f;
  q->bytes -= f->raw_len;
  free(h);
  return f;
}

static void heldq_clear(struct lpvm_heldq *q) {
  pvmw_frame *f;
  while ((f = heldq_pop(q)) != NULL)
    pvmw_frame_free(f);
}

struct lpvm_peer *lpvm_peer_find(int tid) {
  for (struct lpvm_peer *p = lpvm_router.peers; p != NULL; p = p->next)
    if (p->tid == tid)
      return p;
  return NULL;
}

struct lpvm_peer *lpvm_peer_get(int tid) {
  struct lpvm_peer *p = lpvm_peer_find(tid);
  if (p != NULL)
    return p;
  if ((p = calloc(1, sizeof(*p))) == NULL)
    return NULL;
  p->tid = tid;
  p->next = lpvm_router.peers;
  lpvm_router.peers = p;
  return p;
}

/* Whether daemon frames from p must wait: the link its last marker named
 * is open here (or is our own attempt still waiting for its answer). */
int lpvm_peer_holding_daemon(const struct lpvm_peer *p) {
  if (p->marker == 0)
    return 0;
  return (p->link != NULL && !p->link->closing &&
          p->link->nonce == p->marker) ||
         (p->trying != NULL && !p->trying->closing &&
          p->trying->nonce == p->marker);
}

void lpvm_peer_release_daemon_held(struct lpvm_peer *p) {
  pvmw_frame *f;
  while ((f = heldq_pop(&p->daemon_held)) != NULL)
    lpvm_message_frame(f, LPVM_VIA_REPLAY);
}

static void replay_link_held(struct lpvm_peer *p) {
  pvmw_frame *f;
  while ((f = heldq_pop(&p->link_held)) != NULL) {
    if (lpvm_message_frame(f, p->tid) < 0 && p->link != NULL) {
      lpvm_link_close(p->link, "malformed message");
      heldq_clear(&p->link_held);
      return;
    }
  }
  /* The link ended with a message half taken: its rest comes again
   * through the daemon, whole. */
  if (p->link == NULL || p->link->nonce != p->held_nonce)
    lpvm_drop_partial(p->tid, p->tid);
  if (p->link != NULL && !p->link->reading && !p->link->closing)
    p->link->ops->read_start(p->link);
}

int lpvm_peer_link_message(struct lpvm_link *l, pvmw_frame *f) {
  struct lpvm_peer *p = l->peer;
  if (p->marker != l->nonce) {
    p->held_nonce = l->nonce;
    heldq_push(&p->link_held, f);
    return 1;
  }
  return lpvm_message_frame(f, p->tid) < 0 ? -1 : 0;
}

void lpvm_peer_link_gone(struct lpvm_peer *p, struct lpvm_link *l) {
  p->link = NULL;
  lpvm_rx_hist_put(p, l->nonce, l->rx_seq);
  if (p->sending) {
    p->fb_pending = 1;
    p->fb_nonce = l->nonce;
    p->fb_from = l->tx_acked;
  }
  p->sending = 0;
  /* Another link after a cool-down, growing with each break. */
  if (++p->breaks >= MAX_BREAKS) {
    p->failed = 1;
  } else {
    uint64_t cool = cool_ms << (p->breaks - 1 < 5 ? p->breaks - 1 : 5);
    p->next_try = lpvm_now_ms() + (cool < COOL_MAX_MS ? cool : COOL_MAX_MS);
    p->attempts = 0;
  }
  lpvm_drop_partial(p->tid, p->tid);
  if (lpvm_conn.state == LPVM_UP)
    lpvm_router.on_route(PvmRouteDelete, p->tid);
  lpvm_fallback_flush(p, lpvm_router.stopping);
}

/* ---- opening ------------------------------------------------------------- */

/* A link nonce: random, never 0; 0 when the kernel gives no randomness
 * (then no link opens: nothing weaker is made up in its place). */
static uint64_t new_nonce(void) {
  static uint64_t seq;
  uint64_t n = 0;
  ssize_t got;
  do
    got = getrandom(&n, sizeof(n), 0);
  while (got < 0 && errno == EINTR);
  if (got != (ssize_t)sizeof(n)) {
    fprintf(stderr, "libpvm [t%x]: no random link nonce (getrandom: %s)\n",
            (unsigned)lpvm_conn.mytid, got < 0 ? strerror(errno) : "short");
    return 0;
  }
  n ^= ++seq;
  return n ? n : 1;
}

/* The transport for a peer: a socket on this host, TLS to another. */
static const struct lpvm_link_ops *transport_for(const struct lpvm_peer *p) {
  return pvmw_tid_daemon(p->tid) == lpvm_conn.dtid ? &lpvm_link_unix_ops
                                                   : &lpvm_link_tls_ops;
}

/* Opens a link to p (blocking, bounded). Returns the link or NULL. */
static struct lpvm_link *link_open(struct lpvm_peer *p) {
  struct lpvm_link *l;
  uint64_t deadline;

  if ((l = lpvm_link_new(transport_for(p), 0)) == NULL)
    return NULL;
  l->peer = p;
  l->holds++; /* the pumps below may close it under us */
  p->trying = l;
  if ((l->nonce = new_nonce()) == 0)
    goto fail;
  if (l->ops->open(l) < 0)
    goto fail;
  /* The peer answers when it next enters the library; wait, bounded in
   * time (not in loop turns: other traffic keeps the loop busy). */
  deadline = lpvm_now_ms() + HELLO_WAIT_MS;
  while (l->answer == 0 && !l->closing && lpvm_pump_before(deadline) == 0)
    ;
  if (l->answer != 1 || l->closing)
    goto fail;
  if (l->ops->established != NULL && l->ops->established(l) < 0)
    goto fail;
  p->trying = NULL;
  p->link = l;
  lpvm_link_unhold(l);
  lpvm_router.on_route(PvmRouteAdd, p->tid);
  return l;
fail:
  if (p->trying == l)
    p->trying = NULL;
  /* The peer chose PvmDontRoute, or authentication failed: final. */
  if (l->answer == PvmDenied || l->final)
    p->attempts = MAX_ATTEMPTS;
  lpvm_link_close(l, NULL);
  lpvm_link_unhold(l);
  /* A marker the peer sent for this link (it accepted after we gave up)
   * must not hold its daemon traffic: the link is gone here. */
  if (!lpvm_peer_holding_daemon(p))
    lpvm_peer_release_daemon_held(p);
  return NULL;
}

/* ---- links of the default route ---------------------------------------- */

/* $PVMNG_SHM_DEFAULT=1: with the default route (PvmAllowDirect) a task
 * opens a link to each task of its host it sends to, through shared memory
 * (PVMNG_SHM=0 turns it off). Not yet the default: the suite's cases that
 * count which route messages took (integration.direct's failpoint,
 * integration.exit_loss.direct_flood's share of messages on the children's
 * own links) assume that the default route stays on the daemons. */
static int default_links(void) {
  static int on = -1;
  if (on < 0) {
    const char *e = getenv("PVMNG_SHM_DEFAULT");
    on = lpvm_link_shm_enabled() && e != NULL && strcmp(e, "1") == 0;
  }
  return on;
}

void lpvm_peer_start_failed(struct lpvm_peer *p, const struct lpvm_link *l) {
  /* The peer refuses links: final; else try again later, a few times. */
  if (l->answer == PvmDenied || l->final)
    p->attempts = MAX_ATTEMPTS;
  else
    p->attempts++;
  p->next_try = lpvm_now_ms() + RETRY_MS * (uint64_t)p->attempts;
}

/* The answer to a default-route link's hello came: on acceptance the link
 * is ours, announced by a marker through the daemon behind everything sent
 * there before, as lpvm_route_for does for a link it waited for. */
void lpvm_peer_link_started(struct lpvm_link *l) {
  struct lpvm_peer *p = l->peer;
  uint8_t marker[8];
  if (l->answer != 1 || p->link != NULL || p->failed ||
      (l->ops->established != NULL && l->ops->established(l) < 0)) {
    lpvm_link_close(l, NULL); /* lpvm_peer_start_failed counts it */
    return;
  }
  l->async = 0;
  p->trying = NULL;
  p->link = l;
  lpvm_put_be64(marker, l->nonce);
  if (lpvm_send_sys_async(p->tid, LPVM_TAG_ROUTE, marker, sizeof(marker)) < 0) {
    lpvm_link_close(l, "cannot send the route marker");
    return;
  }
  p->sending = 1;
  lpvm_router.on_route(PvmRouteAdd, p->tid);
}

/* The default route to dst, a task of this host: starts opening a link
 * without waiting (messages go through the daemon meanwhile; the peer
 * answers when it next enters the library). */
static void link_start(struct lpvm_peer *p, int dst) {
  struct lpvm_link *l;
  if (!default_links() || lpvm_conn.is_rm ||
      pvmw_tid_daemon(dst) != lpvm_conn.dtid)
    return;
  if (p != NULL && (p->link != NULL || p->failed || p->trying != NULL ||
                    p->attempts >= MAX_ATTEMPTS || lpvm_now_ms() < p->next_try))
    return;
  if (p == NULL && (p = lpvm_peer_get(dst)) == NULL)
    return;
  if (transport_for(p)->open_async == NULL ||
      (l = lpvm_link_new(transport_for(p), 0)) == NULL)
    return;
  l->peer = p;
  l->async = 1;
  p->trying = l;
  if ((l->nonce = new_nonce()) == 0 || l->ops->open_async(l) < 0)
    lpvm_link_close(l, NULL);
}

struct lpvm_link *lpvm_route_for(int dst) {
  struct lpvm_peer *p = lpvm_peer_find(dst);

  /* The resume of a broken link goes ahead of anything sent now. */
  if (p != NULL && p->fb_pending)
    lpvm_fallback_flush(p, 0);

  /* Our marker for a link we accepted is written from a callback and may
   * still wait in the daemon stream's queue: it must be in the kernel
   * before anything goes on the link, or a task that ends right after
   * sending would leave its peer holding the link's messages forever. */
  while (p != NULL && p->link != NULL && p->sending && !p->link->closing &&
         lpvm_conn.state == LPVM_UP &&
         uv_stream_get_write_queue_size(lpvm_daemon_stream()) > 0)
    lpvm_pump(-1);
  if (p != NULL && p->link != NULL && p->sending && !p->link->closing) {
    if (lpvm_failpoint_break()) {
      lpvm_link_close(p->link, "failpoint");
      return NULL;
    }
    p->link->holds++;
    return p->link;
  }
  if (lpvm_opts.route == PvmAllowDirect && lpvm_conn.state == LPVM_UP &&
      dst != lpvm_conn.mytid && pvmw_tid_is_task(dst)) {
    link_start(p, dst);
    return NULL;
  }
  if (lpvm_opts.route != PvmRouteDirect || lpvm_conn.state != LPVM_UP ||
      dst == lpvm_conn.mytid || !pvmw_tid_is_task(dst))
    return NULL;
  /* A link we accepted is used once its opener's marker has come; until
   * then, and while our own attempt is out, the daemon route serves. */
  if (p != NULL && (p->link != NULL || p->failed || p->trying != NULL ||
                    p->attempts >= MAX_ATTEMPTS || lpvm_now_ms() < p->next_try))
    return NULL;
  if (p == NULL && (p = lpvm_peer_get(dst)) == NULL)
    return NULL;
  if (link_open(p) == NULL) {
    /* Refused because the peer's own link won the race: use that one. */
    if (p->link != NULL && p->sending && !p->link->closing) {
      p->link->holds++;
      return p->link;
    }
    /* The peer may not be listening yet (just spawned) or may refuse;
     * try again a little later, a few times, then stay on the daemon. */
    p->attempts++;
    p->next_try = lpvm_now_ms() + RETRY_MS * (uint64_t)p->attempts;
    return NULL;
  }
  /* Everything we sent through the daemon is ahead of this marker. Its
   * nonce goes big-endian: the peer's host may have the other byte order. */
  uint8_t marker[8];
  lpvm_put_be64(marker, p->link->nonce);
  if (lpvm_send_via_daemon(dst, LPVM_TAG_ROUTE, LPVM_SYSCTX, marker,
                           sizeof(marker)) < 0) {
    lpvm_link_close(p->link, "cannot send the route marker");
    return NULL;
  }
  p->sending = 1;
  p->link->holds++;
  return p->link;
}

void lpvm_route_release(struct lpvm_link *l) { lpvm_link_unhold(l); }

void lpvm_route_broken(int dst) {
  struct lpvm_peer *p = lpvm_peer_find(dst);
  if (p != NULL && p->link != NULL)
    lpvm_link_close_broken(p->link, "write failed");
  if (p != NULL && p->fb_pending)
    lpvm_fallback_flush(p, 0);
}

/* ---- frames through the daemon ------------------------------------------- */

/* A message from a daemon whose body starts with the tid of a task we have
 * a direct link with (pvm_notify's PvmTaskExit, or its output) may tell of
 * that task's end: the daemon sends it only after the task's process has
 * exited. On this host everything the task wrote to the link is then in
 * the socket, so read it first: its messages come before the notice. */
static void drain_before_notice(const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  struct lpvm_peer *p;
  if (lpvm_router.links == NULL ||
      pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0 ||
      h.encoding != PvmDataDefault || !(h.flags & PVMW_MF_FIRST) ||
      blen < PVMW_XDR_ITEM_HDR + 4 || pvmw_get_be32(body) != PVMW_XT_INT ||
      pvmw_get_be32(body + 4) < 1)
    return;
  p = lpvm_peer_find((int)pvmw_get_be32(body + PVMW_XDR_ITEM_HDR));
  if (p != NULL && p->link != NULL && p->link->ops->kind == LPVM_LINK_LOCAL &&
      p->link->ops->drain != NULL)
    p->link->ops->drain(p->link);
}

/* A peer's route marker: the link it names is the one to take frames from
 * (and, for a link we accepted, the sign to send on it too). */
static void on_marker(int src, pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  uint64_t nonce = 0;
  uint8_t marker[8];
  struct lpvm_peer *p;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) == 0 &&
      blen == sizeof(marker)) {
    memcpy(marker, body, sizeof(marker));
    nonce = lpvm_get_be64(marker);
  }
  pvmw_frame_free(f);
  if (nonce == 0 || (p = lpvm_peer_get(src)) == NULL)
    return;
  p->marker = nonce;
  /* The opener of a link we accepted is committed to it: answer with our
   * own marker and send on the link from now on. */
  if (p->link != NULL && p->link->incoming && p->link->nonce == nonce &&
      !p->link->closing && !p->sending &&
      lpvm_send_sys_async(p->tid, LPVM_TAG_ROUTE, marker, sizeof(marker)) == 0)
    p->sending = 1;
  if (p->held_nonce == nonce)
    replay_link_held(p);
  if (!lpvm_peer_holding_daemon(p))
    lpvm_peer_release_daemon_held(p);
}

int lpvm_route_daemon_frame(int src, int ctx, int tag, pvmw_frame *f) {
  struct lpvm_peer *p;
  if (ctx == LPVM_SYSCTX &&
      (tag == LPVM_TAG_ROUTE_ASK || tag == LPVM_TAG_ROUTE_OFFER)) {
    lpvm_ask_message(src, tag, f);
    return 1;
  }
  if (ctx == LPVM_SYSCTX && tag == LPVM_TAG_ROUTE) {
    on_marker(src, f);
    return 1;
  }
  if (ctx == LPVM_SYSCTX && tag == LPVM_TAG_ROUTE_RESUME) {
    lpvm_resume_received(src, f);
    pvmw_frame_free(f);
    return 1;
  }
  if (pvmw_tid_is_daemon(src))
    drain_before_notice(f);
  p = lpvm_peer_find(src);
  if (p != NULL && p->skip > 0) {
    /* Taken from the link before it broke: the resume sends it again. */
    Pvmng__MsgHeader h;
    const uint8_t *body;
    uint32_t blen;
    if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) == 0 &&
        (h.flags & PVMW_MF_LAST))
      p->skip--;
    pvmw_frame_free(f);
    return 1;
  }
  if (p != NULL && lpvm_peer_holding_daemon(p)) {
    heldq_push(&p->daemon_held, f);
    return 1;
  }
  return 0;
}

/* ---- starting and stopping ----------------------------------------------- */

void lpvm_route_start(void (*on_route)(int kind, int tid)) {
  const char *fp = getenv("PVMNG_LINK_COOL_MS");
  lpvm_router.on_route = on_route != NULL ? on_route : on_route_none;
  lpvm_failpoints_read();
  cool_ms = (fp != NULL && atol(fp) > 0) ? (uint64_t)atol(fp) : COOL_MS;
  lpvm_ask_start();
  if (lpvm_opts.route != PvmDontRoute)
    lpvm_link_unix_listen(1);
}

void lpvm_route_policy(int route) {
  if (lpvm_conn.state != LPVM_UP)
    return;
  lpvm_link_unix_listen(route != PvmDontRoute);
  if (route == PvmDontRoute)
    lpvm_ask_listen_stop();
}

/* Whether a link we send on still has bytes queued for its peer. */
static int links_writing(void) {
  for (struct lpvm_link *l = lpvm_router.links; l != NULL; l = l->next)
    if (!l->closing && l->peer != NULL && l->peer->link == l &&
        uv_stream_get_write_queue_size(&l->io.stream) > 0)
      return 1;
  return 0;
}

void lpvm_route_stop(void) {
  uint64_t deadline = lpvm_now_ms() + STOP_FLUSH_MS;
  lpvm_link_unix_listen(0);
  lpvm_ask_listen_stop();
  /* A close record sealed behind unsent bytes would be cancelled with
   * them: let them leave first, for a while (the peer may not read). */
  while (lpvm_conn.state == LPVM_UP && links_writing() &&
         lpvm_pump_before(deadline) == 0)
    ;
  lpvm_router.stopping = 1;
  while (lpvm_router.links != NULL) {
    struct lpvm_link *l = lpvm_router.links;
    if (l->peer != NULL)
      l->peer->failed = 1;
    lpvm_link_close(l, NULL);
  }
  for (struct lpvm_peer *p = lpvm_router.peers; p != NULL; p = p->next)
    lpvm_fallback_flush(p, 1);
  /* What the links had not acknowledged is on its way through the daemon:
   * it must leave before the daemon's socket closes. */
  lpvm_daemon_flush();
  lpvm_router.stopping = 0;
  while (lpvm_router.peers != NULL) {
    struct lpvm_peer *p = lpvm_router.peers;
    lpvm_router.peers = p->next;
    heldq_clear(&p->link_held);
    heldq_clear(&p->daemon_held);
    lpvm_kept_drop(p, UINT64_MAX);
    free(p);
  }
  lpvm_ask_stop();
}

int lpvm_route_count(void) { return lpvm_router.nlinks; }

int lpvm_route_link(int tid) {
  struct lpvm_peer *p = lpvm_peer_find(tid);
  if (p == NULL || p->link == NULL || p->link->closing)
    return LPVM_LINK_NONE;
  return p->link->ops->kind;
}

int lpvm_route_receiving(void) {
  for (struct lpvm_link *l = lpvm_router.links; l != NULL; l = l->next)
    if (!l->closing && l->reading && l->peer != NULL &&
        (l->rd.cur != NULL || l->rd.stage_len > 0))
      return 1;
  return 0;
}

const char *lpvm_route_cipher(int tid) {
  struct lpvm_peer *p = lpvm_peer_find(tid);
  if (p == NULL || p->link == NULL || p->link->closing ||
      p->link->ops->cipher == NULL)
    return "";
  return p->link->ops->cipher(p->link);
}

int lpvm_route_via(int tid) {
  struct lpvm_peer *p = lpvm_peer_find(tid);
  if (p == NULL || p->link == NULL || p->link->closing)
    return PVMNG_VIA_DAEMON;
  return p->link->ops->via;
}

int lpvm_route_direct(int tid) {
  struct lpvm_peer *p = lpvm_peer_find(tid);
  return p != NULL && p->link != NULL && p->sending && !p->link->closing;
}
