/* One link between daemons: its TLS stream over TCP (sec/stream.h) and the
 * callbacks that feed its frame reader, sending with the memory budget and
 * producers parked on a full link, sequenced frames and their
 * acknowledgements, breaking (a link that was up goes down and may be
 * resumed) and closing, and the sweep that times out handshakes and adds
 * and carries heartbeats. */

#include "log.h"
#include "msgroute.h"
#include "peer_int.h"
#include "pvmd.h"
#include "spin.h"
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pvm3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- links: bytes ----------------------------------------------------- */

/* Frees l once its connection is closed (l is unlinked from its list). */
static void link_free(struct pvmd_link *l) {
  struct pvmd_peers *ps = l->ps;
  pvmd_list_remove(&l->node);
  pvmd_rel_free(ps->d, &l->rel);
  free(l);
  pvmd_peer_maybe_free(ps);
}

/* The link's unsent ciphertext (what TLS holds until the socket takes
 * it) is counted in the daemon's memory budget, as queued frames are:
 * brought in line after every write, send and close. */
static void link_mem_sync(struct pvmd_link *l) {
  struct pvmd *d = l->ps->d;
  size_t now = l->state >= L_DOWN ? 0 : pvmw_stream_pending(&l->st);
  if (now > l->mem_charged)
    pvmd_mem_charge(d, now - l->mem_charged);
  else if (now < l->mem_charged)
    pvmd_mem_release(d, l->mem_charged - now);
  l->mem_charged = now;
}

void pvmd_link_on_closed(uv_handle_t *h) {
  struct pvmd_link *l = h->data;
  l->tcp_closing = 0;
  link_mem_sync(l); /* down or closing: gives back what its TLS held */
  if (l->rd_ready)
    pvmw_reader_free(&l->rd);
  l->rd_ready = 0;
  pvmw_stream_release(&l->st);
  if (l->state == L_DOWN) {
    /* The link lives on without a connection; a fresh handle, never
     * connected, so that closing it later is like closing any link. */
    uv_tcp_init(&l->ps->d->loop, &l->tcp);
    return;
  }
  link_free(l);
}

/* Whether l has no connection to use (closing, or down). */
int pvmd_link_gone(const struct pvmd_link *l) { return l->state >= L_DOWN; }

/* Whether producers parked on l may go on: up, its unsent bytes are
 * below the low-water mark. Only unsent bytes count while the link is up:
 * acknowledgements arrive on the link's reading side, which this daemon
 * may have paused (a destination of the other side's frames is full), so
 * waiting for them could close a cycle between two links; the frames kept
 * meanwhile count against the memory budget. Down, producers wait for the
 * link to resume (or go). */
int pvmd_link_drained(const struct pvmd_link *l) {
  return l->state == L_UP &&
         pvmw_stream_pending(&l->st) <= l->ps->d->lim.low_water;
}

/* After each flush of l's stream: counters, the memory budget, and the
 * producers parked on l once it has drained. */
static void link_flushed(pvmw_stream *st, size_t sent) {
  struct pvmd_link *l = st->data;
  l->ps->d->st.bytes_out += sent;
  link_mem_sync(l);
  if (!pvmd_link_gone(l) && pvmd_link_drained(l))
    pvmd_waiters_wake(&l->drain_waiters);
}

void pvmd_link_flush(struct pvmd_link *l) {
  if (!pvmd_link_gone(l))
    pvmw_stream_flush(&l->st);
}

/* Sends what TLS still holds (an alert, a last frame) without waiting, then
 * closes. */
void pvmd_link_close(struct pvmd_link *l) {
  if (l->state == L_CLOSING)
    return;
  if (l->state != L_DOWN)
    pvmw_stream_close(&l->st, 0);
  pvmw_stream_stop(&l->st);
  l->state = L_CLOSING;
  if (l->resume_of) {
    l->resume_of->attempt = NULL;
    l->resume_of = NULL;
  }
  if (l->attempt) {
    struct pvmd_link *a = l->attempt;
    l->attempt = NULL;
    a->resume_of = NULL;
    pvmd_link_close(a);
  }
  pvmd_waiter_cancel(&l->wait);
  pvmd_waiters_wake(&l->drain_waiters);
  /* Else pvmd_link_on_closed, pending, frees it. */
  if (!l->tcp_closing && !uv_is_closing((uv_handle_t *)&l->tcp))
    uv_close((uv_handle_t *)&l->tcp, pvmd_link_on_closed);
}

/* The connection of l, which is up, broke (a reset, an end of stream, an
 * error, silence): l goes down, keeping its host and the frames not yet
 * acknowledged. A slave reconnects to the master at once and then with
 * backoff; the master waits for it. The host is deleted only when nothing
 * has come from it for the dead-host timeout (pvmd_peer_on_sweep). A link not
 * up, or a daemon halting, fails as before. */
void pvmd_link_break(struct pvmd_link *l, const char *fmt, ...) {
  struct pvmd_peers *ps = l->ps;
  char why[512];
  va_list ap;
  if (pvmd_link_gone(l))
    return;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (l->state != L_UP || l->host_no <= 0 || ps->closing || ps->d->halting) {
    pvmd_link_fail(l, "%s", why);
    return;
  }
  pvmd_log("link %s broke: %s; %s (host kept for %u ms)", l->who, why,
           ps->master == l ? "reconnecting"
                           : "waiting for it to pvmd_peer_reconnect",
           ps->d->lim.dead_ms);
  l->state = L_DOWN;
  pvmw_stream_stop(&l->st);
  l->pause_wanted = 0;
  pvmd_waiter_cancel(&l->wait);
  l->tcp_closing = 1;
  uv_close((uv_handle_t *)&l->tcp, pvmd_link_on_closed);
  l->backoff = 0;
  if (ps->master == l)
    pvmd_peer_reconnect(l);
}

void pvmd_link_fail(struct pvmd_link *l, const char *fmt, ...) {
  char why[512];
  va_list ap;
  if (l->state == L_CLOSING)
    return;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  pvmd_log("%s link %s: %s", pvmd_link_usable(l) ? "closing" : "refusing",
           l->who, why);
  if (pvmd_link_usable(l) || l == l->ps->master)
    pvmd_peer_lost_host(l);
  pvmd_link_close(l);
}

/* Sends f (taken) on l. A sequenced frame (seq) on a link that is up or
 * down is kept until acknowledged, and only kept while the link is down;
 * the others are sent now or, down, dropped (heartbeats, acks). */
static int link_send(struct pvmd_link *l, pvmw_frame *f, int seq) {
  int rc;
  if (l->state == L_CLOSING) {
    pvmw_frame_free(f);
    return -1;
  }
  if (seq && pvmd_link_usable(l)) {
    if (pvmd_rel_keep(l->ps->d, &l->rel, f) != 0) {
      pvmw_frame_free(f);
      pvmd_link_fail(l, "out of memory for the frames kept until "
                        "acknowledged");
      return -1;
    }
    if (l->state == L_DOWN)
      return 0;
    rc = pvmw_stream_write(&l->st, f->raw, f->raw_len);
  } else if (l->state == L_DOWN) {
    pvmw_frame_free(f);
    return 0;
  } else {
    rc = pvmw_stream_write(&l->st, f->raw, f->raw_len);
    pvmw_frame_free(f);
  }
  if (rc != 0) {
    pvmd_link_break(l, "TLS write: %s", pvmw_stream_reason(&l->st));
    return l->state == L_DOWN ? 0 : -1;
  }
  pvmd_link_flush(l);
  return 0;
}

/* link_send for a message frame from producer (or NULL): parks it when the
 * link holds more than the high-water mark of unsent bytes. */
int pvmd_link_send_flow(struct pvmd_link *l, pvmw_frame *f,
                        struct pvmd_waiter *producer) {
  struct pvmd *d = l->ps->d;
  if (link_send(l, f, 1) != 0)
    return PVMD_ROUTE_NONE;
  pvmd_spin_kick_peer(d);
  /* Parked on what is unsent (up), or on what is kept (down): while the
   * link is down, what waits for it is bounded like any destination's
   * queue (pvmd_link_drained). */
  if (producer && pvmd_link_usable(l) &&
      (l->state == L_UP ? pvmw_stream_pending(&l->st) : l->rel.bytes) >
          d->lim.high_water) {
    pvmd_waiter_park(&l->drain_waiters, producer);
    d->st.senders_paused++;
    return PVMD_ROUTE_FULL;
  }
  if (producer && l->state != L_CLOSING && pvmd_mem_over(d)) {
    pvmd_mem_park(d, producer);
    return PVMD_ROUTE_FULL;
  }
  return PVMD_ROUTE_OK;
}

int pvmd_link_send_control(struct pvmd_link *l, const Pvmng__Control *m) {
  pvmw_frame *f = pvmw_control_frame(m);
  int seq = m->body_case != PVMNG__CONTROL__BODY_PEER_PING &&
            m->body_case != PVMNG__CONTROL__BODY_PEER_ACK &&
            m->body_case != PVMNG__CONTROL__BODY_PEER_HELLO &&
            m->body_case != PVMNG__CONTROL__BODY_PEER_WELCOME;
  if (!f) {
    pvmd_log("cannot send to %s: out of memory", l->who);
    return -1;
  }
  return link_send(l, f, seq);
}

/* Tells the other side how many sequenced frames arrived. */
void pvmd_link_send_ack(struct pvmd_link *l) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerAck a = PVMNG__PEER_ACK__INIT;
  a.received = l->rel.rx_seq;
  l->rel.rx_acked = l->rel.rx_seq;
  l->rel.rx_bytes = 0;
  m.body_case = PVMNG__CONTROL__BODY_PEER_ACK;
  m.peer_ack = &a;
  pvmd_link_send_control(l, &m);
}

/* The other side says it has received `received` frames of l. */
void pvmd_link_on_ack(struct pvmd_link *l, uint64_t received) {
  if (pvmd_rel_ack(l->ps->d, &l->rel, received) != 0) {
    pvmd_link_fail(l, "acknowledges %llu frames, %llu were sent",
                   (unsigned long long)received,
                   (unsigned long long)l->rel.tx_seq);
    return;
  }
}

/* The handshake of l's stream is done: a join connection, or a daemon
 * whose hello comes next (the connecting side sends its own now). */
static int link_established(pvmw_stream *st) {
  struct pvmd_link *l = st->data;
  l->state = L_HELLO;
  if (l->accepted && pvmw_tls_is_join(l->st.tls)) {
    /* A new daemon without a certificate: one small JoinRequest is all
     * it may send. */
    l->join = 1;
    pvmw_reader_free(&l->rd);
    l->rd_ready = 0;
    if (pvmw_reader_init(&l->rd, JOIN_MAX_FRAME) != 0) {
      pvmd_link_fail(l, "out of memory");
      return -1;
    }
    l->rd_ready = 1;
    snprintf(l->who + strlen(l->who), sizeof l->who - strlen(l->who),
             " (join)");
  } else {
    snprintf(l->who + strlen(l->who), sizeof l->who - strlen(l->who), " (%s)",
             pvmw_tls_peer_name(l->st.tls));
  }
  if (!l->accepted && l->join) {
    if (!pvmw_tls_is_join(l->st.tls)) {
      pvmd_link_fail(l, "the master does not take join requests (an older "
                        "pvmd?)");
      return -1;
    }
    pvmd_join_send_request(l);
  } else if (!l->accepted) {
    pvmd_peer_send_hello(l);
  }
  return pvmd_link_gone(l) ? -1 : 0;
}

static void link_space(pvmw_stream *st, char **base, size_t *len) {
  struct pvmd_link *l = st->data;
  pvmw_reader_space(&l->rd, base, len);
}

/* Decrypted bytes of l's stream: into the frame reader, which acts on
 * each whole frame (pvmd_link_on_frame). */
static int link_deliver(pvmw_stream *st, size_t n) {
  struct pvmd_link *l = st->data;
  if (pvmw_reader_commit(&l->rd, n, pvmd_link_on_frame, l) < 0 &&
      !pvmd_link_gone(l)) {
    l->ps->d->st.frames_rejected++;
    pvmd_link_fail(l, "bad frame: %s", l->rd.err);
  }
  return pvmd_link_gone(l);
}

/* A handshake that fails refuses the link; a link whose records fail or
 * whose socket refuses a write breaks (and may resume). */
static void link_stream_fail(pvmw_stream *st, int what, const char *why) {
  struct pvmd_link *l = st->data;
  switch (what) {
  case PVMW_STREAM_HANDSHAKE:
    pvmd_link_fail(l, "%s", why);
    break;
  case PVMW_STREAM_CLOSED:
    pvmd_link_fail(l, "closed by the other side");
    break;
  case PVMW_STREAM_WRITE:
    pvmd_link_break(l, "write failed: %s", why);
    break;
  default:
    pvmd_link_break(l, "%s", why);
    break;
  }
}

static const struct pvmw_stream_cb link_stream_cb = {
    .on_established = link_established,
    .space = link_space,
    .deliver = link_deliver,
    .on_fail = link_stream_fail,
    .on_flushed = link_flushed,
};

static void link_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct pvmd_link *l = h->data;
  (void)suggested;
  pvmw_stream_alloc(&l->st, 0, buf);
}

static void link_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct pvmd_link *l = s->data;
  (void)buf;
  if (pvmd_link_gone(l) || n == 0)
    return;
  if (n < 0) {
    if (n == UV_EOF && l->join_done) {
      pvmd_link_close(l); /* the joiner took its certificate and left */
      return;
    }
    if (l->state == L_UP)
      pvmd_link_break(l, "%s",
                      n == UV_EOF ? "the other daemon's end closed"
                                  : uv_strerror((int)n));
    else
      pvmd_link_fail(l, "%s",
                     n == UV_EOF ? "closed before the link was up"
                                 : uv_strerror((int)n));
    return;
  }
  l->ps->d->st.bytes_in += (uint64_t)n;
  l->last_rx = pvmd_now(l->ps->d);
  pvmd_spin_kick(l->ps->d);
  pvmw_stream_input(&l->st, (size_t)n);
  if (l->pause_wanted && !pvmd_link_gone(l)) {
    /* A destination is congested: the frames of this chunk are queued;
     * read nothing more until it drains (TCP then slows the sender). */
    uv_read_stop((uv_stream_t *)&l->tcp);
  }
}

static void link_resume(struct pvmd_waiter *w) {
  struct pvmd_link *l = pvmd_container_of(w, struct pvmd_link, wait);
  if (!l->pause_wanted || pvmd_link_gone(l))
    return;
  l->pause_wanted = 0;
  if (uv_read_start((uv_stream_t *)&l->tcp, link_alloc, link_read) != 0)
    pvmd_link_fail(l, "cannot resume reading");
}

struct pvmd_link *pvmd_link_new(struct pvmd_peers *ps, int accepted,
                                pvmw_tls_ctx *ctx, const char *expect) {
  struct pvmd_link *l = calloc(1, sizeof *l);
  if (!l)
    return NULL;
  l->ps = ps;
  l->accepted = accepted;
  pvmd_waiter_init(&l->wait, link_resume);
  pvmd_list_init(&l->drain_waiters);
  l->since = pvmd_now(ps->d);
  /* Through the engine's table, like libpvm3's links (stream.h). */
  if (pvmw_stream_init(&l->st, &pvm3tls_api_v3, ctx, expect,
                       (uv_stream_t *)&l->tcp, &link_stream_cb, l) != 0) {
    free(l);
    return NULL;
  }
  if (pvmw_reader_init(&l->rd, ps->d->lim.max_frame) != 0) {
    pvmw_stream_release(&l->st);
    free(l);
    return NULL;
  }
  l->rd_ready = 1;
  uv_tcp_init(&ps->d->loop, &l->tcp);
  l->tcp.data = l;
  pvmd_list_add_tail(&ps->links, &l->node);
  return l;
}

void pvmd_link_start(struct pvmd_link *l) {
  int rc;
  uv_tcp_nodelay(&l->tcp, 1);
  rc = uv_read_start((uv_stream_t *)&l->tcp, link_alloc, link_read);
  if (rc != 0) {
    pvmd_link_fail(l, "cannot read: %s", uv_strerror(rc));
    return;
  }
  if (!l->accepted) {
    pvmw_stream_pump(&l->st); /* the client speaks first */
  }
}

struct pvmd_link *pvmd_link_to_host(struct pvmd_peers *ps, int host_no) {
  struct pvmd_list *pos, *tmp_;
  if (ps->master)
    return pvmd_link_usable(ps->master) ? ps->master : NULL;
  pvmd_list_each_safe(pos, tmp_, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    if (pvmd_link_usable(l) && l->host_no == host_no)
      return l;
  }
  return NULL;
}

/* ---- sweeping: handshake and add timeouts, heartbeats ----------------- */

/* Every link that is up carries a heartbeat each lim.heartbeat_ms, with
 * the count of frames received (an acknowledgement); one on which nothing
 * has arrived for lim.dead_ms is declared dead, which deletes its host (or,
 * for the link to the master, stops this daemon). A slave whose link to the
 * master has been silent for two thirds of that reconnects (a fresh
 * connection is not held back by TCP's retransmission backoff). A link we
 * stopped reading ourselves (backpressure) is not judged. */
static void heartbeat(struct pvmd_link *l, uint64_t now) {
  const struct pvmd_limits *lim = &l->ps->d->lim;
  if (l->last_rx == 0)
    l->last_rx = now;
  if (!l->pause_wanted && now - l->last_rx >= lim->dead_ms) {
    pvmd_link_fail(l, "no sign of life for %u ms (heartbeat timeout)",
                   lim->dead_ms);
    return;
  }
  if (!l->pause_wanted && l == l->ps->master &&
      now - l->last_rx >= (uint64_t)lim->dead_ms * 2 / 3) {
    pvmd_link_break(l, "nothing received for %llu ms",
                    (unsigned long long)(now - l->last_rx));
    return;
  }
  if (now - l->last_ping >= lim->heartbeat_ms) {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__PeerPing p = PVMNG__PEER_PING__INIT;
    p.sent = now;
    p.received = l->rel.rx_seq;
    l->rel.rx_acked = l->rel.rx_seq;
    l->rel.rx_bytes = 0;
    m.body_case = PVMNG__CONTROL__BODY_PEER_PING;
    m.peer_ping = &p;
    l->last_ping = now;
    pvmd_link_send_control(l, &m);
  } else if (l->rel.rx_acked != l->rel.rx_seq) {
    pvmd_link_send_ack(l); /* idle: what came since the last ack */
  }
}

/* A link that is down: deleted once nothing has come from its host for
 * the dead-host timeout; meanwhile a slave tries to pvmd_peer_reconnect. */
static void down_sweep(struct pvmd_link *l, uint64_t now) {
  const struct pvmd_limits *lim = &l->ps->d->lim;
  if (now - l->last_rx >= lim->dead_ms) {
    pvmd_link_fail(l,
                   "unreachable, no sign of life for %u ms (heartbeat "
                   "timeout)",
                   lim->dead_ms);
    return;
  }
  if (l == l->ps->master && !l->attempt && now >= l->next_try)
    pvmd_peer_reconnect(l);
}

void pvmd_peer_on_sweep(uv_timer_t *tm) {
  struct pvmd_peers *ps = tm->data;
  struct pvmd_list *pos, *tmp;
  uint64_t now = pvmd_now(ps->d);
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    unsigned limit = ps->d->lim.hello_timeout_ms;
    if (l->resume_of && limit > REL_ATTEMPT_MS)
      limit = REL_ATTEMPT_MS;
    if ((l->state == L_TLS || l->state == L_HELLO) && now - l->since >= limit)
      pvmd_link_fail(l, "no TLS handshake and hello within %u ms", limit);
    else if (l->state == L_UP)
      heartbeat(l, now);
    else if (l->state == L_DOWN)
      down_sweep(l, now);
  }
  pvmd_join_sweep(ps);
  pvmd_list_each_safe(pos, tmp, &ps->adds) {
    struct pvmd_add *a = pvmd_container_of(pos, struct pvmd_add, node);
    if (now >= a->deadline) {
      pvmd_log("adding host %s: it did not join within %d s", a->name,
               ADD_TIMEOUT_MS / 1000);
      pvmd_peer_add_done(a, PvmCantStart);
    }
  }
}
