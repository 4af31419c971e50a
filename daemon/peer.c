/* Links between daemons. Each link is a uv_tcp_t whose bytes all pass
 * through a pvmw_tls engine, then a pvmw_reader with the task limits. A link
 * is useless until TLS is up and the connecting side's PeerHello has been
 * checked (version, VM id, name = certificate, channel binding); only then
 * are frames acted on. Topology is a star: the master (host 1) holds a link
 * to every slave and relays between them; a slave holds one link. Requests
 * about another host travel as PeerForward and are executed there by
 * pvmd_request on a stand-in connection whose replies go back the same way. */
#include "peer.h"

#include "conn.h"
#include "group.h"
#include "host.h"
#include "listen.h"
#include "log.h"
#include "mbox.h"
#include "notify.h"
#include "peer_int.h"
#include "pki.h"
#include "pvmd.h"
#include "request.h"
#include "route.h"
#include "spin.h"
#include "task.h"
#include "tid.h"
#include "tls.h"
#include "tls_api.h"
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

/* ---- set-up ---------------------------------------------------------- */

void pvmd_peer_certdir(char *out, size_t len) {
  const char *e = getenv("PVM_CERTDIR"), *home = getenv("HOME");
  if (e && *e)
    snprintf(out, len, "%s", e);
  else
    snprintf(out, len, "%s/.pvm", home && *home ? home : ".");
}

static void on_sweep(uv_timer_t *tm);
static void task_gone_to_links(struct pvmd_peers *ps, int tid,
                               struct pvmd_link *except);
static void task_query_in(struct pvmd_link *l, int tid);

struct pvmd_peers *pvmd_peer_state(struct pvmd *d) {
  struct pvmd_peers *ps = d->peers;
  if (ps)
    return ps;
  ps = calloc(1, sizeof *ps);
  if (!ps)
    return NULL;
  ps->d = d;
  ps->next_fwd = 1;
  pvmd_list_init(&ps->links);
  pvmd_list_init(&ps->adds);
  pvmd_list_init(&ps->fwds);
  pvmd_list_init(&ps->creds);
  pvmd_peer_certdir(ps->certdir, sizeof ps->certdir);
  uv_timer_init(&d->loop, &ps->timer);
  ps->timer.data = ps;
  ps->timer_open = 1;
  uv_timer_start(&ps->timer, on_sweep, SWEEP_MS, SWEEP_MS);
  d->peers = ps;
  return ps;
}

int pvmd_peer_is_master(const struct pvmd *d) {
  return d->peers == NULL || d->peers->master == NULL;
}

int pvmd_peer_active(const struct pvmd *d) {
  return d->peers && !pvmd_list_empty(&d->peers->links);
}

int pvmd_peer_self_addr(const struct pvmd *d, char *out, size_t len) {
  struct pvmd_peers *ps = d->peers;
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  if (ps == NULL || len < INET_ADDRSTRLEN)
    return -1;
  if (ps->master != NULL) {
    /* The master reaches this host at its end of the link, whatever this
     * host's own name resolves to here (127.0.1.1 in many a /etc/hosts);
     * while the link is down, where it reached it last. */
    if (ps->master->state == L_DOWN && ps->self_addr[0] != '\0' &&
        strlen(ps->self_addr) < len) {
      strcpy(out, ps->self_addr);
      return 0;
    }
    if (ps->master->state != L_UP ||
        uv_tcp_getsockname(&ps->master->tcp, (struct sockaddr *)&sa, &salen) !=
            0 ||
        sa.ss_family != AF_INET ||
        uv_ip4_name((struct sockaddr_in *)&sa, out, len) != 0)
      return -1;
    snprintf(ps->self_addr, sizeof ps->self_addr, "%s", out);
    return 0;
  }
  if (!ps->listening || ps->addr[0] == '\0' ||
      strcmp(ps->addr, "0.0.0.0") == 0 || strlen(ps->addr) >= len)
    return -1;
  strcpy(out, ps->addr);
  return 0;
}

/* Loads the TLS context from the certificate directory for this host. */
static int load_ctx(struct pvmd_peers *ps, int server) {
  char ca[PATH_MAX + 16], cert[PATH_MAX + 300], key[PATH_MAX + 300], err[512];
  const char *self = pvmd_host_self(&ps->d->hosts)->name;
  if (ps->ctx)
    return 0;
  if (server && pvmw_pki_ensure(ps->certdir, self, err, sizeof err) != 0) {
    pvmd_log("cannot set up certificates in %s: %s", ps->certdir, err);
    return -1;
  }
  snprintf(ca, sizeof ca, "%s/" PVMW_PKI_CA ".pem", ps->certdir);
  snprintf(cert, sizeof cert, "%s/%s.pem", ps->certdir, self);
  snprintf(key, sizeof key, "%s/%s.key", ps->certdir, self);
  ps->ctx = pvmw_tls_ctx_new(server, ca, cert, key, err, sizeof err);
  if (!ps->ctx) {
    pvmd_log("cannot load the TLS certificate %s: %s", cert, err);
    return -1;
  }
  if (pvmw_tls_ctx_check(ps->ctx, err, sizeof err) != 0)
    pvmd_log("warning: this daemon's certificate %s: %s", cert, err);
  return 0;
}

/* ---- links: bytes ----------------------------------------------------- */

static void ps_maybe_free(struct pvmd_peers *ps);
static void link_break(struct pvmd_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees l once its connection is closed (l is unlinked from its list). */
static void link_free(struct pvmd_link *l) {
  struct pvmd_peers *ps = l->ps;
  pvmd_list_remove(&l->node);
  pvmd_rel_free(ps->d, &l->rel);
  free(l);
  ps_maybe_free(ps);
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

static void on_link_closed(uv_handle_t *h) {
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
static int link_gone(const struct pvmd_link *l) { return l->state >= L_DOWN; }

/* Whether producers parked on l may go on: up, its unsent bytes are
 * below the low-water mark. Only unsent bytes count while the link is up:
 * acknowledgements arrive on the link's reading side, which this daemon
 * may have paused (a destination of the other side's frames is full), so
 * waiting for them could close a cycle between two links; the frames kept
 * meanwhile count against the memory budget. Down, producers wait for the
 * link to resume (or go). */
static int link_drained(const struct pvmd_link *l) {
  return l->state == L_UP &&
         pvmw_stream_pending(&l->st) <= l->ps->d->lim.low_water;
}

/* After each flush of l's stream: counters, the memory budget, and the
 * producers parked on l once it has drained. */
static void link_flushed(pvmw_stream *st, size_t sent) {
  struct pvmd_link *l = st->data;
  l->ps->d->st.bytes_out += sent;
  link_mem_sync(l);
  if (!link_gone(l) && link_drained(l))
    pvmd_waiters_wake(&l->drain_waiters);
}

static void link_flush(struct pvmd_link *l) {
  if (!link_gone(l))
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
  /* Else on_link_closed, pending, frees it. */
  if (!l->tcp_closing && !uv_is_closing((uv_handle_t *)&l->tcp))
    uv_close((uv_handle_t *)&l->tcp, on_link_closed);
}

/* The connection of l, which is up, broke (a reset, an end of stream, an
 * error, silence): l goes down, keeping its host and the frames not yet
 * acknowledged. A slave reconnects to the master at once and then with
 * backoff; the master waits for it. The host is deleted only when nothing
 * has come from it for the dead-host timeout (on_sweep). A link not up, or
 * a daemon halting, fails as before. */
static void reconnect(struct pvmd_link *o);
static void link_break(struct pvmd_link *l, const char *fmt, ...) {
  struct pvmd_peers *ps = l->ps;
  char why[512];
  va_list ap;
  if (link_gone(l))
    return;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (l->state != L_UP || l->host_no <= 0 || ps->closing || ps->d->halting) {
    pvmd_link_fail(l, "%s", why);
    return;
  }
  pvmd_log("link %s broke: %s; %s (host kept for %u ms)", l->who, why,
           ps->master == l ? "reconnecting" : "waiting for it to reconnect",
           ps->d->lim.dead_ms);
  l->state = L_DOWN;
  pvmw_stream_stop(&l->st);
  l->pause_wanted = 0;
  pvmd_waiter_cancel(&l->wait);
  l->tcp_closing = 1;
  uv_close((uv_handle_t *)&l->tcp, on_link_closed);
  l->backoff = 0;
  if (ps->master == l)
    reconnect(l);
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
    link_break(l, "TLS write: %s", pvmw_stream_reason(&l->st));
    return l->state == L_DOWN ? 0 : -1;
  }
  link_flush(l);
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
   * queue (link_drained). */
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
static void send_ack(struct pvmd_link *l) {
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
static void on_ack(struct pvmd_link *l, uint64_t received) {
  if (pvmd_rel_ack(l->ps->d, &l->rel, received) != 0) {
    pvmd_link_fail(l, "acknowledges %llu frames, %llu were sent",
                   (unsigned long long)received,
                   (unsigned long long)l->rel.tx_seq);
    return;
  }
}

static int on_frame(void *ctx, pvmw_frame *f);

static void send_hello(struct pvmd_link *l) {
  struct pvmd *d = l->ps->d;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerHello h = PVMNG__PEER_HELLO__INIT;
  uint8_t b[32];
  if (pvmw_tls_binding(l->st.tls, b) != 0) {
    pvmd_link_fail(l, "no channel binding after the handshake");
    return;
  }
  h.proto_version = PVMW_VERSION;
  h.vmid = d->vmid;
  h.host = (char *)pvmd_host_self(&d->hosts)->name;
  h.binding.data = b;
  h.binding.len = sizeof b;
  h.arch = (char *)pvmd_host_self(&d->hosts)->arch;
  h.dsig = pvmd_host_self(&d->hosts)->dsig;
  if (l->resume_of) {
    h.resume = 1;
    h.received = l->resume_of->rel.rx_seq;
    h.host_tid = (uint32_t)d->tid;
  }
  m.body_case = PVMNG__CONTROL__BODY_PEER_HELLO;
  m.peer_hello = &h;
  pvmd_link_send_control(l, &m);
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
    send_hello(l);
  }
  return link_gone(l) ? -1 : 0;
}

static void link_space(pvmw_stream *st, char **base, size_t *len) {
  struct pvmd_link *l = st->data;
  pvmw_reader_space(&l->rd, base, len);
}

/* Decrypted bytes of l's stream: into the frame reader, which acts on
 * each whole frame (on_frame). */
static int link_deliver(pvmw_stream *st, size_t n) {
  struct pvmd_link *l = st->data;
  if (pvmw_reader_commit(&l->rd, n, on_frame, l) < 0 && !link_gone(l)) {
    l->ps->d->st.frames_rejected++;
    pvmd_link_fail(l, "bad frame: %s", l->rd.err);
  }
  return link_gone(l);
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
    link_break(l, "write failed: %s", why);
    break;
  default:
    link_break(l, "%s", why);
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
  if (link_gone(l) || n == 0)
    return;
  if (n < 0) {
    if (n == UV_EOF && l->join_done) {
      pvmd_link_close(l); /* the joiner took its certificate and left */
      return;
    }
    if (l->state == L_UP)
      link_break(l, "%s",
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
  if (l->pause_wanted && !link_gone(l)) {
    /* A destination is congested: the frames of this chunk are queued;
     * read nothing more until it drains (TCP then slows the sender). */
    uv_read_stop((uv_stream_t *)&l->tcp);
  }
}

static void link_resume(struct pvmd_waiter *w) {
  struct pvmd_link *l = pvmd_container_of(w, struct pvmd_link, wait);
  if (!l->pause_wanted || link_gone(l))
    return;
  l->pause_wanted = 0;
  if (uv_read_start((uv_stream_t *)&l->tcp, link_alloc, link_read) != 0)
    pvmd_link_fail(l, "cannot resume reading");
}

static struct pvmd_link *link_new(struct pvmd_peers *ps, int accepted,
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

static void link_start(struct pvmd_link *l) {
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
    link_break(l, "nothing received for %llu ms",
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
    send_ack(l); /* idle: what came since the last ack */
  }
}

/* A link that is down: deleted once nothing has come from its host for
 * the dead-host timeout; meanwhile a slave tries to reconnect. */
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
    reconnect(l);
}

static void on_sweep(uv_timer_t *tm) {
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

/* ---- the master: accepting ------------------------------------------ */

static void refuse_hello(struct pvmd_link *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse_hello(struct pvmd_link *l, int code, const char *fmt, ...) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerWelcome w = PVMNG__PEER_WELCOME__INIT;
  char why[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  w.code = code;
  w.reason = why;
  m.body_case = PVMNG__CONTROL__BODY_PEER_WELCOME;
  m.peer_welcome = &w;
  pvmd_link_send_control(l, &m);
  pvmd_link_fail(l, "%s", why);
}

/* The lowest host number neither in the table nor reserved by an add. */
/* Host numbers are handed out in turn, not lowest first: a host deleted
 * and added again gets a new number, so the tids of its old tasks (and of
 * its old daemon) name nothing in the virtual machine instead of reaching
 * new tasks. Numbers come round again only after all the others. */
int pvmd_peer_free_host_no(struct pvmd_peers *ps) {
  struct pvmd_list *pos, *tmp_;
  int span = PVMW_TID_MAX_HOST - 1; /* numbers 2 .. PVMW_TID_MAX_HOST */
  if (ps->next_host_no < 2 || ps->next_host_no > PVMW_TID_MAX_HOST)
    ps->next_host_no = 2;
  for (int i = 0; i < span; i++) {
    int no = 2 + (ps->next_host_no - 2 + i) % span;
    int used = pvmd_host_by_tid(&ps->d->hosts, pvmw_tid_make(no, 0)) != NULL;
    pvmd_list_each_safe(pos, tmp_, &ps->adds) {
      used |= pvmd_container_of(pos, struct pvmd_add, node)->host_no == no;
    }
    if (!used) {
      ps->next_host_no = no + 1;
      return no;
    }
  }
  return -1;
}

/* n, a new connection whose hello (or welcome) resumed o, takes o's
 * place: its host, sequence state, kept frames and parked producers; o
 * goes. Then re-sends, in order, the kept frames after the first
 * `received` (those the other side has not got). */
static void link_resume_on(struct pvmd_link *n, struct pvmd_link *o,
                           uint64_t received) {
  struct pvmd_peers *ps = n->ps;
  uint64_t now = pvmd_now(ps->d), seq;

  if (o->state == L_UP) { /* this side had not noticed the break yet */
    o->state = L_DOWN;
    pvmw_stream_stop(&o->st);
    o->pause_wanted = 0;
    pvmd_waiter_cancel(&o->wait);
    o->tcp_closing = 1;
    uv_close((uv_handle_t *)&o->tcp, on_link_closed);
  }
  n->host_no = o->host_no;
  o->host_no = 0;
  n->rel = o->rel;
  memset(&o->rel, 0, sizeof o->rel);
  memcpy(n->vmid, o->vmid, sizeof n->vmid);
  snprintf(n->who, sizeof n->who, "%s", o->who);
  while (!pvmd_list_empty(&o->drain_waiters)) {
    struct pvmd_list *w = o->drain_waiters.next;
    pvmd_list_remove(w);
    pvmd_list_add_tail(&n->drain_waiters, w);
  }
  if (ps->master == o)
    ps->master = n;
  n->resume_of = NULL;
  o->attempt = NULL;
  n->state = L_UP;
  n->last_rx = now;
  n->last_ping = 0;
  pvmd_link_close(o);
  /* Drop what the other side has, then re-send the rest. */
  pvmd_rel_ack(ps->d, &n->rel, received);
  pvmd_log("link %s resumed (cipher %s): %llu frames re-sent", n->who,
           pvmw_tls_cipher(n->st.tls),
           (unsigned long long)(n->rel.tx_seq - n->rel.tx_acked));
  for (seq = n->rel.tx_acked + 1; seq <= n->rel.tx_seq && n->state == L_UP;
       seq++) {
    const pvmw_frame *f = pvmd_rel_at(&n->rel, seq);
    if (pvmw_stream_write(&n->st, f->raw, f->raw_len) != 0) {
      link_break(n, "TLS write: %s", pvmw_stream_reason(&n->st));
      return;
    }
    /* Out as it is sealed: many frames may be kept. */
    link_flush(n);
  }
  if (n->state == L_UP && link_drained(n))
    pvmd_waiters_wake(&n->drain_waiters);
}

/* Master: a hello that resumes the link of a host in the table. The usual
 * checks (version, name = certificate, channel binding) are made before;
 * here: a host of this VM, under its VM id and host number, with a count
 * of frames received that this side can have sent. */
static void on_resume_hello(struct pvmd_link *l, const Pvmng__PeerHello *h) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd_list *pos, *tmp_;
  struct pvmd_link *o = NULL;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerWelcome w = PVMNG__PEER_WELCOME__INIT;
  uint64_t received;

  pvmd_list_each_safe(pos, tmp_, &ps->links) {
    struct pvmd_link *x = pvmd_container_of(pos, struct pvmd_link, node);
    const struct pvmd_host *hh;
    if (x == l || !pvmd_link_usable(x) || x->host_no <= 0)
      continue;
    hh = pvmd_host_by_tid(&ps->d->hosts, pvmw_tid_make(x->host_no, 0));
    if (hh && strcasecmp(hh->name, h->host) == 0) {
      o = x;
      break;
    }
  }
  if (!o) {
    refuse_hello(l, PvmDenied,
                 "host %s is not in this VM: its link cannot resume", h->host);
    return;
  }
  if (strcmp(h->vmid, o->vmid) != 0) {
    refuse_hello(l, PvmBadVersion,
                 "VM id \"%s\", host %s is in this VM under \"%s\"", h->vmid,
                 h->host, o->vmid);
    return;
  }
  if (h->host_tid != (uint32_t)pvmw_tid_make(o->host_no, 0)) {
    refuse_hello(l, PvmDenied, "host %s resumes as host %d, it is host %d",
                 h->host, pvmw_tid_host((int)h->host_tid), o->host_no);
    return;
  }
  received = h->received;
  if (received < o->rel.tx_acked || received > o->rel.tx_seq) {
    refuse_hello(l, PvmDenied,
                 "host %s resumes having received %llu frames, %llu to %llu "
                 "are possible",
                 h->host, (unsigned long long)received,
                 (unsigned long long)o->rel.tx_acked,
                 (unsigned long long)o->rel.tx_seq);
    return;
  }
  /* The answer, then the frames it has not got (link_resume_on). */
  w.resumed = 1;
  w.received = o->rel.rx_seq;
  w.host_tid = (uint32_t)pvmw_tid_make(o->host_no, 0);
  m.body_case = PVMNG__CONTROL__BODY_PEER_WELCOME;
  m.peer_welcome = &w;
  if (pvmd_link_send_control(l, &m) != 0 || l->state != L_HELLO)
    return;
  link_resume_on(l, o, received);
}

static void on_hello(struct pvmd_link *l, Pvmng__Control *m) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  const Pvmng__PeerHello *h;
  const char *cert_name = pvmw_tls_peer_name(l->st.tls);
  struct pvmd_list *pos, *tmp_;
  struct pvmd_add *a = NULL;
  uint8_t b[32];
  int no;

  if (m->body_case != PVMNG__CONTROL__BODY_PEER_HELLO) {
    pvmd_link_fail(l, "first frame is not a PeerHello (body %d)",
                   (int)m->body_case);
    return;
  }
  h = m->peer_hello;
  if (h->proto_version != PVMW_VERSION) {
    refuse_hello(l, PvmBadVersion, "protocol version %u, this daemon speaks %u",
                 h->proto_version, PVMW_VERSION);
    return;
  }
  pvmd_list_each_safe(pos, tmp_, &ps->adds) {
    struct pvmd_add *x = pvmd_container_of(pos, struct pvmd_add, node);
    if (strcasecmp(x->name, h->host) == 0) {
      a = x;
      break;
    }
  }
  /* A host's daemon may run under another VM id (id= in the host file);
   * a resumed link's is checked against its host's (on_resume_hello). */
  if (!h->resume && strcmp(h->vmid, a ? a->vmid : d->vmid) != 0) {
    refuse_hello(l, PvmBadVersion, "VM id \"%s\", this VM expects \"%s\"",
                 h->vmid, a ? a->vmid : d->vmid);
    return;
  }
  if (strcasecmp(h->host, cert_name) != 0) {
    refuse_hello(l, PvmDenied,
                 "host name %s does not match its certificate (%s)", h->host,
                 cert_name);
    return;
  }
  if (pvmw_tls_binding(l->st.tls, b) != 0 || h->binding.len != sizeof b ||
      memcmp(h->binding.data, b, sizeof b) != 0) {
    refuse_hello(l, PvmDenied,
                 "channel binding does not match this TLS session "
                 "(a replayed hello?)");
    return;
  }
  if (h->resume) {
    on_resume_hello(l, h);
    return;
  }
  if (!a) {
    refuse_hello(l, PvmDenied, "host %s is not being added to this VM",
                 h->host);
    return;
  }
  no = a->host_no;
  if (no < 0 || pvmd_hosts_add(&d->hosts, pvmw_tid_make(no, 0), a->name) != 0) {
    refuse_hello(l, PvmOutOfRes, "host table full");
    pvmd_peer_add_done(a, PvmOutOfRes);
    return;
  }
  pvmd_hosts_set_speed(&d->hosts, pvmw_tid_make(no, 0), a->speed);
  pvmd_hosts_set_format(&d->hosts, pvmw_tid_make(no, 0), h->arch, h->dsig);
  l->host_no = no;
  memcpy(l->vmid, a->vmid, sizeof l->vmid);
  l->state = L_UP;
  snprintf(l->who, sizeof l->who, "%s", a->name);
  pvmd_log("host %s joined as host %d (cipher %s)", a->name, no,
           pvmw_tls_cipher(l->st.tls));
  pvmd_peer_send_hosts(l, (uint32_t)pvmw_tid_make(no, 0), 1);
  pvmd_peer_broadcast_hosts(ps);
  pvmd_peer_add_done(a, pvmw_tid_make(no, 0));
}

/* ---- a slave: joining ------------------------------------------------ */

/* Slave: the master's answer to a resuming hello on l. A refusal (the
 * host was deleted meanwhile, or is not known) stops this daemon, as the
 * loss of the master does. */
static void on_resumed(struct pvmd_link *l, const Pvmng__PeerWelcome *w) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  struct pvmd_link *o = l->resume_of;
  const struct pvmd_host *master =
      pvmd_host_by_tid(&d->hosts, pvmw_tid_make(1, 0));

  if (w->code != 0) {
    pvmd_link_close(l);
    pvmd_link_fail(o, "the master refused to resume the link: %s", w->reason);
    return;
  }
  if (!w->resumed || !master ||
      strcasecmp(master->name, pvmw_tls_peer_name(l->st.tls)) != 0 ||
      w->host_tid != (uint32_t)d->tid) {
    pvmd_link_fail(l,
                   "the answer to resuming the link does not come from the "
                   "master %s (certificate %s)",
                   master ? master->name : "?", pvmw_tls_peer_name(l->st.tls));
    return;
  }
  if (w->received < o->rel.tx_acked || w->received > o->rel.tx_seq) {
    pvmd_link_close(l);
    pvmd_link_fail(o,
                   "the master resumes having received %llu frames, %llu to "
                   "%llu are possible",
                   (unsigned long long)w->received,
                   (unsigned long long)o->rel.tx_acked,
                   (unsigned long long)o->rel.tx_seq);
    return;
  }
  link_resume_on(l, o, w->received);
}

static void on_welcome(struct pvmd_link *l, Pvmng__Control *m) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  const Pvmng__PeerWelcome *w;
  int rc;

  if (m->body_case != PVMNG__CONTROL__BODY_PEER_WELCOME) {
    pvmd_link_fail(l, "first frame is not a PeerWelcome (body %d)",
                   (int)m->body_case);
    return;
  }
  w = m->peer_welcome;
  if (l->resume_of) {
    on_resumed(l, w);
    return;
  }
  if (w->code != 0) {
    pvmd_log("the master refused this daemon: %s", w->reason);
    pvmd_link_close(l);
    ps->master = NULL;
    pvmd_halt(d, 0, "refused by the master");
    return;
  }
  if (w->n_hosts < 1 || !pvmw_tid_is_daemon((int)w->host_tid) ||
      strcasecmp(w->hosts[0]->name, pvmw_tls_peer_name(l->st.tls)) != 0) {
    pvmd_link_fail(l,
                   "welcome does not come from the master named in its "
                   "certificate (%s)",
                   pvmw_tls_peer_name(l->st.tls));
    return;
  }
  d->host_no = pvmw_tid_host((int)w->host_tid);
  d->tid = (int)w->host_tid;
  d->tasks.host_no = d->host_no;
  pvmd_peer_take_hosts(ps, w->hosts, w->n_hosts);
  l->host_no = 1;
  l->state = L_UP;
  rc = pvmd_listen_start(d);
  if (rc != 0) {
    pvmd_log("cannot listen on %s: %s", d->sock_path, uv_strerror(rc));
    pvmd_halt(d, 0, "start-up failed");
    return;
  }
  pvmd_log("started: host %s (host %d of the VM, master %s), VM id \"%s\", "
           "socket %s",
           pvmd_host_self(&d->hosts)->name, d->host_no, w->hosts[0]->name,
           d->vmid, d->sock_path);
}

/* ---- frames from a link ---------------------------------------------- */

static void route_in(struct pvmd_link *l, pvmw_frame *f) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  const uint8_t *body;
  uint32_t blen;
  struct pvmd_link *to;
  int dst, rc;

  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0) {
    pvmw_frame_free(f);
    pvmd_link_fail(l, "message frame with an undecodable header");
    return;
  }
  dst = (int)h.dst;
  if (!ps->master && pvmw_tid_host((int)h.src) != l->host_no) {
    char sb[16];
    pvmw_frame_free(f);
    pvmd_link_fail(l, "message source %s is not on that host",
                   pvmw_tid_str((int)h.src, sb, sizeof sb));
    return;
  }
  if (pvmw_tid_host(dst) == d->host_no) {
    rc = pvmd_route_deliver(d, dst, f, &l->wait);
  } else if (!ps->master && (to = pvmd_link_to_host(ps, pvmw_tid_host(dst)))) {
    rc = pvmd_link_send_flow(to, f, &l->wait);
  } else {
    pvmw_frame_free(f);
    rc = PVMD_ROUTE_NONE;
  }
  if (rc < 0) { /* no such task, or no memory (logged once by conn.c) */
    d->st.msgs_dropped++;
    return;
  }
  d->st.msgs_forwarded++;
  if (rc == PVMD_ROUTE_FULL)
    l->pause_wanted = 1;
}

static int on_frame(void *ctx, pvmw_frame *f) {
  struct pvmd_link *l = ctx;
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  Pvmng__Control *m;
  size_t raw_len = f->raw_len;
  int ack_due = 0;

  if (link_gone(l)) {
    pvmw_frame_free(f);
    return 1;
  }
  d->st.frames_in++;
  if (l->state == L_UP && f->type == PVMW_FT_MESSAGE) {
    ack_due = pvmd_rel_received(&l->rel, raw_len);
    route_in(l, f);
    if (ack_due && l->state == L_UP)
      send_ack(l);
    return link_gone(l);
  }
  if (f->type != PVMW_FT_CONTROL) {
    pvmw_frame_free(f);
    d->st.frames_rejected++;
    pvmd_link_fail(l, "message frame before the hello");
    return 1;
  }
  m = pvmw_control_parse(f);
  pvmw_frame_free(f);
  if (!m) {
    d->st.frames_rejected++;
    pvmd_link_fail(l, "undecodable control frame");
    return 1;
  }
  if (l->state == L_HELLO && l->join_done) {
    ps->d->st.frames_rejected++;
    pvmd_link_fail(l, "join connection: frame after the join exchange");
  } else if (l->state == L_HELLO && l->join) {
    if (l->accepted)
      pvmd_join_on_request(l, m);
    else
      pvmd_join_on_reply(l, m);
  } else if (l->state == L_HELLO) {
    if (l->accepted)
      on_hello(l, m);
    else
      on_welcome(l, m);
  } else {
    if (m->body_case != PVMNG__CONTROL__BODY_PEER_PING &&
        m->body_case != PVMNG__CONTROL__BODY_PEER_ACK)
      ack_due = pvmd_rel_received(&l->rel, raw_len);
    switch (m->body_case) {
    case PVMNG__CONTROL__BODY_PEER_HOSTS:
      if (ps->master == l)
        pvmd_peer_take_hosts(ps, m->peer_hosts->hosts, m->peer_hosts->n_hosts);
      break;
    case PVMNG__CONTROL__BODY_PEER_FORWARD:
      pvmd_peer_on_forward(l, m->peer_forward);
      break;
    case PVMNG__CONTROL__BODY_PEER_PING: /* its arrival is the point too */
      on_ack(l, m->peer_ping->received);
      break;
    case PVMNG__CONTROL__BODY_PEER_ACK:
      on_ack(l, m->peer_ack->received);
      break;
    case PVMNG__CONTROL__BODY_PEER_RM:
      pvmd_peer_on_rm(l, m->peer_rm);
      break;
    case PVMNG__CONTROL__BODY_PEER_TASK_GONE:
      if (m->peer_task_gone->query) {
        task_query_in(l, (int)m->peer_task_gone->tid);
        break;
      }
      pvmd_notify_remote_task_gone(d, (int)m->peer_task_gone->tid);
      if (ps->master == NULL) { /* the master passes it on */
        task_gone_to_links(ps, (int)m->peer_task_gone->tid, l);
        /* ... and, owning the group registry, drops it from its groups
         * (only a task of the host that reports it). */
        if (pvmw_tid_host((int)m->peer_task_gone->tid) == l->host_no) {
          pvmd_group_task_gone(d, (int)m->peer_task_gone->tid);
          pvmd_mbox_task_gone(d, (int)m->peer_task_gone->tid);
        }
      }
      break;
    case PVMNG__CONTROL__BODY_PEER_HALT: {
      char why[640];
      snprintf(why, sizeof why, "%s (from %s)", m->peer_halt->why, l->who);
      pvmd_halt(d, 0, why);
      break;
    }
    default:
      pvmd_link_fail(l, "unexpected control message (body %d)",
                     (int)m->body_case);
      break;
    }
    if (ack_due && l->state == L_UP)
      send_ack(l);
  }
  pvmng__control__free_unpacked(m, NULL);
  return link_gone(l);
}

/* ---- task exits for watchers on other hosts ---------------------------- */

/* Sends PeerTaskGone for tid (a query when asked) on link l. */
static void task_gone_send(struct pvmd_link *l, int tid, int query) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerTaskGone g = PVMNG__PEER_TASK_GONE__INIT;
  g.tid = (uint32_t)tid;
  g.query = query != 0;
  m.body_case = PVMNG__CONTROL__BODY_PEER_TASK_GONE;
  m.peer_task_gone = &g;
  pvmd_link_send_control(l, &m);
}

/* Sends PeerTaskGone for tid on every link that is up but `except`. */
static void task_gone_to_links(struct pvmd_peers *ps, int tid,
                               struct pvmd_link *except) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    if (l != except && pvmd_link_usable(l))
      task_gone_send(l, tid, 0);
  }
}

/* A query from link l: is tid gone? Answered on l by tid's own daemon (an
 * answer that reaches the master is passed on to every daemon, as any
 * exit is); the master passes a query for another host on to it. A task
 * that still lives gets no answer: its exit is announced when it comes. */
static void task_query_in(struct pvmd_link *l, int tid) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  struct pvmd_link *to;

  if (pvmw_tid_host(tid) == d->host_no) {
    if (pvmd_task_live(&d->tasks, tid) == NULL)
      task_gone_send(l, tid, 0);
  } else if (ps->master == NULL &&
             (to = pvmd_link_to_host(ps, pvmw_tid_host(tid))) != NULL &&
             to != l) {
    task_gone_send(to, tid, 1);
  }
}

void pvmd_peer_task_query(struct pvmd *d, int tid) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_link *to;
  if (ps == NULL || d->halting)
    return;
  /* A slave asks the master, which passes the query on; the master asks
   * the host itself. */
  to = ps->master ? ps->master : pvmd_link_to_host(ps, pvmw_tid_host(tid));
  if (to != NULL && pvmd_link_usable(to))
    task_gone_send(to, tid, 1);
}

void pvmd_peer_task_gone(struct pvmd *d, int tid) {
  struct pvmd_peers *ps = d->peers;
  if (ps == NULL || d->hosts.n < 2 || d->halting)
    return;
  /* A slave's only link is to the master, which passes it on. */
  task_gone_to_links(ps, tid, NULL);
}

/* ---- the master: listener and adding hosts -------------------------- */

static void on_peer_connection(uv_stream_t *server, int status) {
  struct pvmd_peers *ps = server->data;
  struct pvmd_link *l;
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  char ip[64] = "?";

  if (status < 0) {
    pvmd_log("cannot accept a daemon connection: %s", uv_strerror(status));
    return;
  }
  l = link_new(ps, 1, ps->ctx, NULL);
  if (!l) {
    uv_tcp_t tmp;
    uv_tcp_init(&ps->d->loop, &tmp);
    uv_accept(server, (uv_stream_t *)&tmp);
    uv_close((uv_handle_t *)&tmp, NULL);
    pvmd_log("refusing a daemon connection: out of memory");
    return;
  }
  if (uv_accept(server, (uv_stream_t *)&l->tcp) != 0) {
    pvmd_link_close(l);
    return;
  }
  if (uv_tcp_getpeername(&l->tcp, (struct sockaddr *)&sa, &salen) == 0) {
    if (sa.ss_family == AF_INET)
      uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof ip);
    else
      uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof ip);
  }
  snprintf(l->who, sizeof l->who, "from %s", ip);
  pvmd_debug("daemon connection %s", l->who);
  link_start(l);
}

/* The local IPv4 address this host would send from to reach host (the
 * kernel's route; a UDP socket's connect sends nothing), if it is not a
 * loopback address. 0 or -1. */
static int addr_toward(const char *host, struct in_addr *out) {
  struct addrinfo hints, *res = NULL;
  struct sockaddr_in local;
  socklen_t sl = sizeof local;
  int fd, rc = -1;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host, "9", &hints, &res) != 0 || res == NULL)
    return -1;
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
      getsockname(fd, (struct sockaddr *)&local, &sl) == 0 &&
      ntohl(local.sin_addr.s_addr) >> 24 != 127) {
    *out = local.sin_addr;
    rc = 0;
  }
  if (fd >= 0)
    close(fd);
  freeaddrinfo(res);
  return rc;
}

/* Opens the daemons' port on this host's address (first use only). toward
 * is the first host to be added: when this host's name resolves to a
 * loopback address here (127.0.1.1 in many a /etc/hosts) and no ip= names
 * the address, the port opens on the address that reaches that host. */
int pvmd_peer_listen(struct pvmd_peers *ps, const char *toward) {
  struct addrinfo hints, *res = NULL;
  struct sockaddr_storage sa;
  int salen = sizeof sa, rc;
  /* ip= on the master's own host file line: the address to be reached at. */
  const char *self =
      ps->d->listen_ip ? ps->d->listen_ip : pvmd_host_self(&ps->d->hosts)->name;
  const char *port = getenv("PVMNG_PEER_PORT");
  struct sockaddr_in *sin;
  struct in_addr other;

  if (ps->listening)
    return 0;
  if (load_ctx(ps, 1) != 0)
    return -1;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(self, port && *port ? port : "0", &hints, &res);
  if (rc != 0 || !res) {
    pvmd_log("cannot find this host's address (%s): %s", self,
             gai_strerror(rc));
    return -1;
  }
  sin = (struct sockaddr_in *)res->ai_addr;
  if (ntohl(sin->sin_addr.s_addr) >> 24 == 127 && !ps->d->listen_ip) {
    char lo[INET_ADDRSTRLEN] = "?", there[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &sin->sin_addr, lo, sizeof lo);
    if (toward && addr_toward(toward, &other) == 0) {
      inet_ntop(AF_INET, &other, there, sizeof there);
      pvmd_log("this host's name %s resolves to %s here, a loopback address "
               "that other hosts cannot reach: the daemons' port opens on %s, "
               "this host's address toward %s (ip= on this host's line of the "
               "host file names another)",
               self, lo, there, toward);
      sin->sin_addr = other;
    } else {
      pvmd_log("this host's name %s resolves to %s here, a loopback address "
               "that other hosts cannot reach: give this host's address with "
               "ip= on its line of the host file, or in /etc/hosts",
               self, lo);
    }
  }
  uv_tcp_init(&ps->d->loop, &ps->listener);
  ps->listener.data = ps;
  rc = uv_tcp_bind(&ps->listener, res->ai_addr, 0);
  freeaddrinfo(res);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&ps->listener, 64, on_peer_connection);
  if (rc == 0)
    rc = uv_tcp_getsockname(&ps->listener, (struct sockaddr *)&sa, &salen);
  if (rc != 0) {
    pvmd_log("cannot listen for daemons on %s: %s", self, uv_strerror(rc));
    uv_close((uv_handle_t *)&ps->listener, NULL);
    return -1;
  }
  uv_ip4_name((struct sockaddr_in *)&sa, ps->addr, sizeof ps->addr);
  ps->port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
  ps->listening = 1;
  pvmd_log("listening for daemons on %s:%d (TLS 1.3, certificates in %s)",
           ps->addr, ps->port, ps->certdir);
  return 0;
}

/* ---- a slave: connecting -------------------------------------------- */

static void on_connect(uv_connect_t *req, int status) {
  struct pvmd_link *l = req->data;
  if (l->state == L_CLOSING)
    return;
  if (status < 0) {
    pvmd_link_fail(l, "cannot connect: %s", uv_strerror(status));
    return;
  }
  link_start(l);
}

int pvmd_peer_connect_master(struct pvmd_peers *ps, int join) {
  pvmw_tls_ctx *ctx;
  struct pvmd_link *l;
  char master[64];
  int rc;

  if (join) {
    char err[512];
    if (!ps->join_ctx)
      ps->join_ctx =
          pvmw_tls_ctx_new_join(ps->cred->ca_sha256, err, sizeof err);
    if (!ps->join_ctx) {
      pvmd_log("cannot set up the join connection: %s", err);
      return -1;
    }
    ctx = ps->join_ctx;
  } else {
    if (load_ctx(ps, 0) != 0)
      return -1;
    ctx = ps->ctx;
  }
  /* A joiner expects the master named in its credential. */
  l = link_new(ps, 0, ctx, join ? ps->cred->master : NULL);
  if (!l)
    return -1;
  l->join = join;
  uv_ip4_name(&ps->master_sa, master, sizeof master);
  snprintf(l->who, sizeof l->who, "to master %s:%d%s", master,
           ntohs(ps->master_sa.sin_port), join ? " (join)" : "");
  ps->master = l;
  l->creq.data = l;
  rc = uv_tcp_connect(&l->creq, &l->tcp, (struct sockaddr *)&ps->master_sa,
                      on_connect);
  if (rc != 0) {
    pvmd_link_fail(l, "cannot connect: %s", uv_strerror(rc));
    return -1;
  }
  return 0;
}

/* Slave: one attempt to resume down link o (the master's) on a new
 * connection to the master's address, with the same mutual TLS; its hello
 * says it resumes (send_hello). The next attempt waits o->backoff. */
static void reconnect(struct pvmd_link *o) {
  struct pvmd_peers *ps = o->ps;
  struct pvmd_link *l;
  char master[64];
  int rc;

  o->backoff = o->backoff == 0                     ? REL_RETRY_MIN_MS
               : o->backoff * 2 > REL_RETRY_MAX_MS ? REL_RETRY_MAX_MS
                                                   : o->backoff * 2;
  o->next_try = pvmd_now(ps->d) + o->backoff;
  if (load_ctx(ps, 0) != 0)
    return;
  l = link_new(ps, 0, ps->ctx, NULL);
  if (!l) {
    pvmd_log("cannot reconnect to the master: out of memory");
    return;
  }
  l->resume_of = o;
  o->attempt = l;
  uv_ip4_name(&ps->master_sa, master, sizeof master);
  snprintf(l->who, sizeof l->who, "to master %s:%d (resuming)", master,
           ntohs(ps->master_sa.sin_port));
  l->creq.data = l;
  rc = uv_tcp_connect(&l->creq, &l->tcp, (struct sockaddr *)&ps->master_sa,
                      on_connect);
  if (rc != 0)
    pvmd_link_fail(l, "cannot connect: %s", uv_strerror(rc));
}

int pvmd_peer_set_credential(struct pvmd *d, const pvmw_join_cred *c) {
  struct pvmd_peers *ps = pvmd_peer_state(d);
  if (!ps)
    return -1;
  if (!ps->cred && !(ps->cred = malloc(sizeof *ps->cred)))
    return -1;
  *ps->cred = *c;
  return 0;
}

int pvmd_peer_join(struct pvmd *d, const char *master) {
  struct pvmd_peers *ps = pvmd_peer_state(d);
  char host[64], why[512];
  const char *colon = master ? strrchr(master, ':') : NULL;
  const char *self = pvmd_host_self(&d->hosts)->name;

  if (!ps)
    return -1;
  if (!colon || (size_t)(colon - master) >= sizeof host) {
    pvmd_log("bad master address \"%s\" (want addr:port)", master);
    return -1;
  }
  memcpy(host, master, (size_t)(colon - master));
  host[colon - master] = '\0';
  if (uv_ip4_addr(host, atoi(colon + 1), &ps->master_sa) != 0) {
    pvmd_log("bad master address \"%s\"", master);
    return -1;
  }
  if (ps->cred) {
    if (strcasecmp(ps->cred->host, self) != 0) {
      pvmd_log("the join credential is for host %s, this daemon is %s",
               ps->cred->host, self);
      return -1;
    }
    if (!pvmw_pki_usable(ps->certdir, self, ps->cred->ca_sha256, why,
                         sizeof why)) {
      pvmd_log("no usable certificate for %s in %s (%s): asking the master "
               "for one with the join credential",
               self, ps->certdir, why);
      return pvmd_peer_connect_master(ps, 1);
    }
    pvmd_debug("using the certificate in %s", ps->certdir);
  }
  return pvmd_peer_connect_master(ps, 0);
}

int pvmd_peer_reload(struct pvmd *d) {
  struct pvmd_peers *ps = d->peers;
  char cert[PATH_MAX + 300], key[PATH_MAX + 300], err[512];
  const char *self = pvmd_host_self(&d->hosts)->name;
  if (!ps || !ps->ctx) {
    pvmd_log("reload: no certificate in use (one host only); nothing to do");
    return 0;
  }
  snprintf(cert, sizeof cert, "%s/%s.pem", ps->certdir, self);
  snprintf(key, sizeof key, "%s/%s.key", ps->certdir, self);
  if (pvmw_tls_ctx_reload(ps->ctx, cert, key, err, sizeof err) != 0) {
    pvmd_log("reload: keeping the current certificate: %s", err);
    return -1;
  }
  pvmd_log("reload: new links use certificate %s", cert);
  return 0;
}

/* ---- halt ----------------------------------------------------------- */

void pvmd_peer_halt(struct pvmd *d, const char *why) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_list *pos, *tmp;
  if (!ps || ps->master)
    return;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__PeerHalt ph = PVMNG__PEER_HALT__INIT;
    if (l->state != L_UP)
      continue;
    ph.why = (char *)why;
    m.body_case = PVMNG__CONTROL__BODY_PEER_HALT;
    m.peer_halt = &ph;
    pvmd_link_send_control(l, &m);
  }
}

/* The state goes once every handle of it has closed. */
static void ps_maybe_free(struct pvmd_peers *ps) {
  struct pvmd *d = ps->d;
  if (!ps->closing || ps->handles_open > 0 || !pvmd_list_empty(&ps->links))
    return;
  if (ps->ctx)
    pvmw_tls_ctx_free(ps->ctx);
  pvmd_join_free(ps);
  d->peers = NULL;
  free(ps);
}

static void on_ps_handle_closed(uv_handle_t *h) {
  struct pvmd_peers *ps = h->data;
  ps->handles_open--;
  ps_maybe_free(ps);
}

void pvmd_peer_close_all(struct pvmd *d) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_list *pos, *tmp;
  if (!ps || ps->closing)
    return;
  ps->closing = 1;
  pvmd_list_each_safe(pos, tmp, &ps->adds) {
    pvmd_peer_add_done(pvmd_container_of(pos, struct pvmd_add, node),
                       PvmSysErr);
  }
  pvmd_list_each_safe(pos, tmp, &ps->fwds) {
    struct pvmd_fwd *fw = pvmd_container_of(pos, struct pvmd_fwd, node);
    pvmd_list_remove(&fw->node);
    free(fw);
  }
  ps->master = NULL;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    l->host_no = 0;
    pvmd_link_close(l);
  }
  if (ps->listening) {
    ps->listening = 0;
    ps->handles_open++;
    uv_close((uv_handle_t *)&ps->listener, on_ps_handle_closed);
  }
  if (ps->timer_open) {
    ps->timer_open = 0;
    ps->handles_open++;
    uv_close((uv_handle_t *)&ps->timer, on_ps_handle_closed);
  }
  ps_maybe_free(ps);
}
