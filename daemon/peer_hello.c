/* The hello between daemons, after the TLS handshake and before anything
 * else is acted on: the connecting side sends a PeerHello (version, VM id,
 * host name = certificate, channel binding); the master checks it and
 * admits a host being added, or resumes the link of a host whose
 * connection broke (peer_rel.c keeps what it had not acknowledged); the
 * slave checks the master's PeerWelcome. Master's side first, then the
 * slave's. */

#include "listen.h"
#include "log.h"
#include "peer_int.h"
#include "pvmd.h"
#include "tid.h"
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

void pvmd_peer_send_hello(struct pvmd_link *l) {
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
    uv_close((uv_handle_t *)&o->tcp, pvmd_link_on_closed);
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
      pvmd_link_break(n, "TLS write: %s", pvmw_stream_reason(&n->st));
      return;
    }
    /* Out as it is sealed: many frames may be kept. */
    pvmd_link_flush(n);
  }
  if (n->state == L_UP && pvmd_link_drained(n))
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

void pvmd_peer_on_hello(struct pvmd_link *l, Pvmng__Control *m) {
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

void pvmd_peer_on_welcome(struct pvmd_link *l, Pvmng__Control *m) {
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
