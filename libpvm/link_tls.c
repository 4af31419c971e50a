/* The TLS transport of direct links, between tasks of two hosts: TLS 1.3
 * over TCP with the hosts' certificates and mutual authentication against
 * the VM's CA, as between daemons. The opener gets an offer through the
 * daemons (link_ask.c), connects, runs the handshake (it wants the
 * certificate the offer named; the acceptor wants the one the ask named)
 * and says hello: a RouteHello with both tids, the ask's nonce and the
 * TLS channel binding, so the acceptor takes a link only for an ask it has
 * seen, on this very TLS session. The hello and its answer are the only
 * records OpenSSL's record layer carries; then both ends switch to the
 * engine's bulk mode (pvmw_tls_bulk: the same TLS 1.3 records under keys
 * exported from the session, sealed from the sender's memory and opened
 * straight into the frame reader's space; each direction takes a new
 * exported key every PVMW_TLS_BULK_KEY_RECORDS records, so a link lives as
 * long as its connection). The bytes go through the TLS stream over libuv
 * that the daemon's peer links use too (sec/stream.h, through the engine
 * table the library loads). Writes leave in batches of 64 KiB of
 * ciphertext, so that the peer decrypts while we encrypt (larger batches
 * measured slower: the peer waits longer for the first; 16 KiB costs a
 * system call a record). A link ends with a sealed close record; an end
 * without it is reported as truncation. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conn.h"
#include "failpoint.h"
#include "link.h"
#include "link_tls.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "rundir.h"
#include "stream.h"
#include "tid.h"

/* How long an opener waits for the offer, the connection and the
 * handshake together. */
#define REMOTE_WAIT_MS 3000
/* Writes: pieces smaller than STAGE_SMALL are gathered into one record of
 * up to STAGE_CAP bytes; ciphertext leaves once FLUSH_AT bytes are pending
 * (and at the end of every write). */
#define STAGE_SMALL 4096
#define STAGE_CAP 16384
#define FLUSH_AT (64u << 10)
/* Reads: room offered to each read of ciphertext. */
#define READ_ROOM (256u << 10)

struct tls_link {
  struct lpvm_link base;
  pvmw_stream st;    /* the TLS stream over io (sec/stream.h) */
  int has_st;        /* st is initialised (released in tls_free) */
  int bulk_aead;     /* the records' AEAD agreed in the hello */
  uint64_t hello_by; /* incoming: loop time by which the hello must come */
  size_t stage_len;  /* small plaintext pieces gathered for one record */
  char stage[STAGE_CAP];
};

static struct tls_link *tl(struct lpvm_link *l) { return (struct tls_link *)l; }

static const struct pvmw_stream_cb tls_stream_cb;

/* Starts the TLS connection over the link's TCP stream. 0 or -1. */
static int tls_start(struct tls_link *t, pvmw_tls_ctx *ctx, const char *name) {
  if (ctx == NULL ||
      pvmw_stream_init(&t->st, lpvm_tls, ctx, name, &t->base.io.stream,
                       &tls_stream_cb, t) < 0)
    return -1;
  t->has_st = 1;
  return 0;
}

/* ---- writing ------------------------------------------------------------- */

/* Sends all pending ciphertext, blocking (pumping the loop). */
static int tls_flush_sync(struct tls_link *t) {
  pvmw_stream_flush(&t->st);
  while (pvmw_stream_pending(&t->st) > 0 && !t->st.stopped &&
         !t->base.closing && lpvm_conn.state == LPVM_UP)
    lpvm_pump(-1);
  return t->st.stopped || t->base.closing || lpvm_conn.state != LPVM_UP
             ? PvmSysErr
             : 0;
}

static int tls_stage_out(struct tls_link *t) {
  size_t n = t->stage_len;
  t->stage_len = 0;
  return n > 0 && pvmw_stream_write(&t->st, t->stage, n) < 0 ? PvmSysErr : 0;
}

/* Encrypts len bytes: small pieces gather into one record; large ones are
 * encrypted as they are, and the ciphertext leaves every FLUSH_AT bytes. */
static int tls_put_bytes(struct tls_link *t, const char *p, size_t len) {
  if (t->stage_len + len <= STAGE_CAP && len < STAGE_SMALL) {
    memcpy(t->stage + t->stage_len, p, len);
    t->stage_len += len;
    return 0;
  }
  if (t->stage_len > 0) {
    /* Top the gathered pieces up to a full record. */
    size_t take = STAGE_CAP - t->stage_len;
    if (take > len)
      take = len;
    memcpy(t->stage + t->stage_len, p, take);
    t->stage_len += take;
    p += take;
    len -= take;
    if (tls_stage_out(t) < 0)
      return PvmSysErr;
  }
  while (len > 0) {
    size_t take = len < FLUSH_AT ? len : FLUSH_AT;
    if (take < STAGE_SMALL) {
      memcpy(t->stage, p, take);
      t->stage_len = take;
      return 0;
    }
    if (pvmw_stream_write(&t->st, p, take) < 0)
      return PvmSysErr;
    p += take;
    len -= take;
    if (pvmw_stream_pending(&t->st) >= FLUSH_AT && tls_flush_sync(t) < 0)
      return PvmSysErr;
  }
  return 0;
}

static int tls_put(struct lpvm_link *l, const void *data, size_t len) {
  return tls_put_bytes(tl(l), data, len);
}

static int tls_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n) {
  struct tls_link *t = tl(l);
  int rc = 0;
  if (l->closing)
    return PvmSysErr;
  for (unsigned i = 0; i < n && rc == 0; i++)
    rc = tls_put_bytes(t, bufs[i].base, bufs[i].len);
  if (rc == 0)
    rc = tls_stage_out(t);
  if (rc == 0)
    rc = tls_flush_sync(t);
  return rc;
}

static void tls_send_async(struct lpvm_link *l, pvmw_frame *f) {
  struct tls_link *t = tl(l);
  if (tls_stage_out(t) < 0 || pvmw_stream_write(&t->st, f->raw, f->raw_len) < 0)
    lpvm_link_close(l, "cannot encrypt");
  else
    pvmw_stream_flush(&t->st);
  pvmw_frame_free(f);
}

/* ---- reading ------------------------------------------------------------- */

/* The stream failed: the handshake failed, the peer refused us, a record
 * did not authenticate (a security event, always reported), the peer
 * closed, or a write failed. Closes the link. */
static void on_stream_fail(pvmw_stream *s, int what, const char *why) {
  struct tls_link *t = s->data;
  struct lpvm_link *l = &t->base;
  int tid = lpvm_link_peer_tid(l);
  if (l->closing)
    return;
  if (what == PVMW_STREAM_WRITE) {
    lpvm_link_close_broken(l, why);
    return;
  }
  if (what == PVMW_STREAM_CLOSED || !why[0]) {
    lpvm_link_close(l, "peer closed the link");
    return;
  }
  /* Before the hello: the handshake or the peer's check of us failed. */
  if (!s->established || l->peer == NULL ||
      (!lpvm_link_is_current(l) && !l->incoming))
    l->final = 1;
  if (tid != 0)
    fprintf(stderr, "libpvm [t%x]: direct link %s t%x failed: %s\n",
            (unsigned)lpvm_conn.mytid, l->incoming ? "from" : "to",
            (unsigned)tid, why);
  else
    fprintf(stderr,
            "libpvm [t%x]: refused a direct link from another host: %s\n",
            (unsigned)lpvm_conn.mytid, why);
  lpvm_link_close(l, why);
}

/* Plaintext is decrypted straight into the frame reader's space. */
static void on_stream_space(pvmw_stream *s, char **base, size_t *len) {
  lpvm_link_space(&((struct tls_link *)s->data)->base, base, len);
}

static int on_stream_deliver(pvmw_stream *s, size_t n) {
  return lpvm_link_input(&((struct tls_link *)s->data)->base, n) != 0;
}

static const struct pvmw_stream_cb tls_stream_cb = {
    .space = on_stream_space,
    .deliver = on_stream_deliver,
    .on_fail = on_stream_fail,
};

static void on_tls_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
  struct tls_link *t = h->data;
  char *base;
  size_t len;
  (void)sz;
  if (t->has_st) {
    pvmw_stream_alloc(&t->st, READ_ROOM, buf);
    return;
  }
  lpvm_link_space(&t->base, &base, &len); /* test: before the handshake */
  *buf = uv_buf_init(base, (unsigned)len);
}

static void on_tls_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct tls_link *t = s->data;
  (void)buf;
  if (n < 0) {
    lpvm_link_ended(&t->base, n);
    return;
  }
  if (n == 0)
    return;
  if (t->has_st)
    pvmw_stream_input(&t->st, (size_t)n);
  else
    lpvm_link_input(&t->base, (size_t)n);
}

static void tls_read_start(struct lpvm_link *l) {
  struct tls_link *t = tl(l);
  if (uv_read_start(&l->io.stream, on_tls_alloc, on_tls_read) == 0)
    l->reading = 1;
  /* Records decrypted no further while reading was stopped. */
  if (l->reading && t->has_st && t->st.established)
    pvmw_stream_pump(&t->st);
}

static void tls_read_stop(struct lpvm_link *l) {
  uv_read_stop(&l->io.stream);
  l->reading = 0;
}

static void tls_drain(struct lpvm_link *l) {
  lpvm_stream_drain(l, on_tls_alloc, on_tls_read);
}

/* A TLS link ends with the peer's sealed close record, read before
 * (on_stream_fail closes the link then): without it the stream was cut
 * short, by a reset or by someone on the way. */
static void tls_ended(struct lpvm_link *l, ssize_t n) {
  if (lpvm_link_is_current(l))
    fprintf(stderr,
            "libpvm [t%x]: direct link with t%x ended without its close "
            "record (%s): truncated; what it did not deliver comes again "
            "through the daemon\n",
            (unsigned)lpvm_conn.mytid, (unsigned)lpvm_link_peer_tid(l),
            n == UV_EOF ? "end of stream" : uv_strerror((int)n));
}

/* ---- closing ------------------------------------------------------------- */

/* Best effort: the sealed close record (or an alert that says why) goes
 * out before the close. */
static void tls_goodbye(struct lpvm_link *l, int established) {
  struct tls_link *t = tl(l);
  if (t->has_st)
    pvmw_stream_close(&t->st, established);
}

static void on_tls_closed(uv_handle_t *h) { lpvm_link_closed(h->data); }

static void tls_close(struct lpvm_link *l) {
  uv_close(&l->io.handle, on_tls_closed);
}

static void tls_free(struct lpvm_link *l) {
  if (tl(l)->has_st)
    pvmw_stream_release(&tl(l)->st);
}

static void tls_init(struct lpvm_link *l) {
  uv_tcp_init(lpvm_loop(), &l->io.tcp);
  l->io.handle.data = l;
}

/* ---- accepting ----------------------------------------------------------- */

void lpvm_link_tls_accept(uv_stream_t *server, pvmw_tls_ctx *ctx,
                          int max_pending) {
  struct lpvm_link *l = lpvm_link_new(&lpvm_link_tls_ops, 1);
  struct tls_link *t = (struct tls_link *)l;
  if (l == NULL)
    return;
  /* This one is among the pending links counted. */
  if (uv_accept(server, &l->io.stream) < 0 || ctx == NULL ||
      lpvm_link_pending(&lpvm_link_tls_ops) > max_pending ||
      tls_start(t, ctx, NULL) < 0) {
    lpvm_link_close(l, "cannot accept a TLS link now");
    return;
  }
  t->hello_by = lpvm_now_ms() + lpvm_ask_hello_ms();
  uv_tcp_nodelay(&l->io.tcp, 1);
  tls_read_start(l);
}

void lpvm_link_tls_guard(struct lpvm_link *l, uint64_t now) {
  if (l->incoming && l->peer == NULL && !l->closing && tl(l)->hello_by <= now) {
    fprintf(stderr,
            "libpvm [t%x]: dropped a direct link connection: no TLS "
            "handshake and hello within %.1f s\n",
            (unsigned)lpvm_conn.mytid, (double)lpvm_ask_hello_ms() / 1000.0);
    lpvm_link_close(l, "no hello in time");
  }
}

/* The opener's hello: its tids and nonce must match an ask that came
 * through the daemons, it must hold the certificate that ask named, and
 * the hello must belong to this TLS session. */
static int tls_hello(struct lpvm_link *l, Pvmng__Control *c) {
  struct tls_link *t = tl(l);
  Pvmng__RouteHello *h = c->route_hello;
  char err[160];
  const char *vmid, *why = NULL;
  uint8_t bind[32];
  int tid, acc[2], n;

  if (c->body_case != PVMNG__CONTROL__BODY_ROUTE_HELLO)
    return -1;
  vmid = pvmw_vmid(err, sizeof(err));
  tid = (int)h->tid;
  if (h->proto_version != PVMW_VERSION || vmid == NULL ||
      strcmp(h->vmid, vmid) != 0 || !pvmw_tid_is_task(tid) ||
      tid == lpvm_conn.mytid || (int)h->peer_tid != lpvm_conn.mytid ||
      h->nonce == 0)
    why = "bad link hello";
  else if (h->binding.len != sizeof(bind) ||
           lpvm_tls->binding(t->st.tls, bind) < 0 ||
           memcmp(h->binding.data, bind, sizeof(bind)) != 0)
    why = "link hello not bound to this TLS session";
  if (why == NULL)
    why = lpvm_ask_take(tid, h->nonce, lpvm_tls->peer_name(t->st.tls));
  if (why != NULL) {
    fprintf(stderr,
            "libpvm [t%x]: refused a direct link from t%x (certificate %s): "
            "%s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)tid,
            lpvm_tls->peer_name(t->st.tls), why);
    lpvm_link_answer(l, (int)c->req_id, PvmDenied, why);
    return -1;
  }
  n = lpvm_ask_bulk_accepts(acc);
  t->bulk_aead = lpvm_bulk_choose(h->bulk_aeads, h->n_bulk_aeads, acc, n);
  if (lpvm_failpoint_hello("aead"))
    t->bulk_aead = PVMW_BULK_OCB; /* whatever the opener offered */
  if (lpvm_link_accept(l, (int)c->req_id, tid, h->nonce) < 0)
    return -1;
  /* Our answer was the last record of the opening; from here on both ends
   * protect the data themselves (see pvmw_tls_bulk). */
  if (lpvm_tls->bulk(t->st.tls, t->bulk_aead) < 0) {
    fprintf(stderr, "libpvm [t%x]: direct link from t%x: %s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)tid,
            pvmw_stream_reason(&t->st));
    return -1;
  }
  return 0;
}

static void tls_fill_reply(struct lpvm_link *l, Pvmng__HelloReply *r) {
  r->bulk_aead = (uint32_t)tl(l)->bulk_aead;
}

/* ---- opening ------------------------------------------------------------- */

/* Asks the peer through the daemons for an offer, connects to it, runs the
 * TLS handshake and says hello, bound to the session. */
static int tls_open(struct lpvm_link *l) {
  struct tls_link *t = tl(l);
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__RouteHello h = PVMNG__ROUTE_HELLO__INIT;
  struct lpvm_offer o;
  uint8_t bind[32];
  struct sockaddr_in sa;
  char err[160];
  uint64_t deadline = lpvm_now_ms() + REMOTE_WAIT_MS;
  uint32_t offer[2];
  int acc[2];

  if (lpvm_ask_offer(&o, lpvm_link_peer_tid(l), l->nonce, deadline, &l->final) <
          0 ||
      l->closing)
    return -1;
  if (o.code != 0) {
    l->answer = o.code;
    return -1;
  }
  if (uv_ip4_addr(o.addr, (int)o.port, &sa) < 0 ||
      lpvm_stream_connect(l, NULL, (struct sockaddr *)&sa, deadline) < 0)
    return -1;
  uv_tcp_nodelay(&l->io.tcp, 1);
  if (lpvm_failpoint_hello("silent")) {
    /* Connected and says nothing: the acceptor must drop it in time. */
    tls_read_start(l);
    while (!l->closing && lpvm_pump_before(deadline) == 0)
      ;
    return -1;
  }
  if (lpvm_failpoint_hello("plain")) {
    uv_buf_t junk = uv_buf_init("PVNG hello in the clear\r\n", 25);
    lpvm_write_all(&l->io.stream, &junk, 1);
  }
  if (tls_start(t, lpvm_ask_tls_ctx(0), o.name) < 0)
    return -1;
  tls_read_start(l);
  pvmw_stream_pump(&t->st); /* sends the ClientHello */
  while (!l->closing && !t->st.established && lpvm_pump_before(deadline) == 0)
    ;
  if (l->closing || !t->st.established ||
      lpvm_tls->binding(t->st.tls, bind) < 0)
    return -1;
  h.proto_version = PVMW_VERSION;
  h.vmid = (char *)pvmw_vmid(err, sizeof(err));
  h.tid = (uint32_t)lpvm_conn.mytid;
  h.peer_tid = (uint32_t)lpvm_link_peer_tid(l);
  h.nonce = l->nonce;
  if (lpvm_failpoint_hello("nonce"))
    h.nonce ^= 1;
  if (lpvm_failpoint_hello("binding"))
    bind[0] ^= 1;
  h.binding.data = bind;
  h.binding.len = sizeof(bind);
  h.n_bulk_aeads = (size_t)lpvm_ask_bulk_accepts(acc);
  for (size_t i = 0; i < h.n_bulk_aeads; i++)
    offer[i] = (uint32_t)acc[i];
  h.bulk_aeads = offer;
  c.req_id = 1;
  c.body_case = PVMNG__CONTROL__BODY_ROUTE_HELLO;
  c.route_hello = &h;
  if (h.vmid == NULL)
    return -1;
  return lpvm_link_send_control(l, &c) < 0 ? -1 : 0;
}

static void tls_answered(struct lpvm_link *l, const Pvmng__HelloReply *r) {
  tl(l)->bulk_aead = (int)r->bulk_aead;
  if (l->answer < 0 && r->reason[0])
    fprintf(stderr, "libpvm [t%x]: t%x refused a direct link: %s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)lpvm_link_peer_tid(l),
            r->reason);
}

/* The acceptor chose the records' AEAD: it must be one we offered. */
static int tls_established(struct lpvm_link *l) {
  struct tls_link *t = tl(l);
  int tid = lpvm_link_peer_tid(l);
  if (!lpvm_ask_bulk_offered(t->bulk_aead)) {
    fprintf(stderr,
            "libpvm [t%x]: direct link to t%x: the peer chose %s for its "
            "records, which this task did not offer (PVMNG_BULK_AEAD)\n",
            (unsigned)lpvm_conn.mytid, (unsigned)tid,
            t->bulk_aead == PVMW_BULK_OCB   ? "AES-OCB"
            : t->bulk_aead == PVMW_BULK_GCM ? "AES-GCM"
                                            : "an unknown AEAD");
    l->final = 1; /* it would answer the same again */
    return -1;
  }
  if (lpvm_tls->bulk(t->st.tls, t->bulk_aead) < 0) {
    fprintf(stderr, "libpvm [t%x]: direct link to t%x: %s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)tid,
            pvmw_stream_reason(&t->st));
    return -1;
  }
  return 0;
}

static const char *tls_cipher(const struct lpvm_link *l) {
  const struct tls_link *t = (const struct tls_link *)l;
  return t->has_st && t->st.tls != NULL ? lpvm_tls->bulk_cipher(t->st.tls) : "";
}

const struct lpvm_link_ops lpvm_link_tls_ops = {
    .name = "tls",
    .kind = LPVM_LINK_REMOTE,
    .via = PVMNG_VIA_TLS,
    .size = sizeof(struct tls_link),
    .init = tls_init,
    .open = tls_open,
    .hello = tls_hello,
    .answered = tls_answered,
    .established = tls_established,
    .fill_reply = tls_fill_reply,
    .read_start = tls_read_start,
    .read_stop = tls_read_stop,
    .drain = tls_drain,
    .write = tls_write,
    .put = tls_put,
    .send_async = tls_send_async,
    .ended = tls_ended,
    .goodbye = tls_goodbye,
    .close = tls_close,
    .free = tls_free,
    .cipher = tls_cipher,
};
