/* Direct routes between tasks. On one host every task that allows direct
 * routes listens on a Unix socket beside its daemon's (the directory is the
 * user's private runtime directory; the peer's uid is checked as well).
 * A task that asks for direct routes (PvmRouteDirect) connects to the
 * destination the first time it sends to it, says hello, and on acceptance
 * sends a route marker through the daemon before its first message on the
 * link; the acceptor does the same in the other direction.
 *
 * Between hosts the link is TLS 1.3 over TCP, with the hosts' certificates
 * and mutual authentication against the VM's CA, as between daemons. Nothing
 * listens until it is needed: the opener sends an ask through the daemons
 * (a system message with a nonce and its host's certificate name); the
 * acceptor then asks its daemon, once, for the certificate directory, its
 * host's certificate name and address (RouteInfoRequest), loads its TLS
 * context, listens on TCP on that address (any port) and answers with an
 * offer (address, port, certificate name) through the daemons. The opener
 * connects, both run the handshake (the opener wants the certificate the
 * offer named; the acceptor wants the one the ask named), and the opener's
 * RouteHello carries both tids, the nonce of the ask and the TLS channel
 * binding: the acceptor takes a link only for an ask it has seen, on this
 * very TLS session. $PVM_CERTDIR in a task's environment overrides the
 * daemon's directory, as it would for a daemon. The listener closes again
 * once no ask is pending; a connection that has not authenticated and said
 * hello within PVMNG_LINK_HELLO_MS (10 s) is dropped, and at most 16 may
 * wait. From the hello on, a TLS link is a link like any other: markers,
 * holding, fallback, tie-break. Its hello and answer are the only records
 * OpenSSL's record layer carries; then both ends switch to the engine's
 * bulk mode (pvmw_tls_bulk: the same TLS 1.3 records under keys exported
 * from the session, sealed from the sender's memory and opened straight
 * into the frame reader's space; each direction takes a new exported key
 * every PVMW_TLS_BULK_KEY_RECORDS records, so a link lives as long as its
 * connection). Writes leave in batches of 64 KiB of ciphertext, so that
 * the peer decrypts while we encrypt (larger batches measured slower: the
 * peer waits longer for the first; 16 KiB costs a system call a record).
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
 * Nothing is lost when a link breaks, however it breaks. Messages are
 * numbered per link and direction by their order on the stream (nothing
 * on the wire); the receiver acknowledges the count of whole messages it
 * has taken (an ACK frame: piggy-backed on its own next message, or after
 * ACK_EVERY messages or ACK_BYTES bytes, at once for a large message, and
 * when it is about to wait). A message under LPVM_ROUTE_RDV_MIN is sent as
 * frames built whole in memory and kept until acknowledged; a larger one
 * goes from the caller's memory and pvm_send waits for its
 * acknowledgement (the memory may change once pvm_send returns:
 * PvmDataInPlace points at the user's). When a link we send on closes for
 * any reason, we send through the daemon a resume marker (the link's
 * nonce, the number of the first unacknowledged message), then the kept
 * messages; the peer ends the link on its side if it has not yet (what
 * it holds unread there is in the resume), and drops as many of the
 * re-sent messages as it had taken beyond that number. Markers and the
 * resume are system messages through the daemon; our own frames for the
 * daemon wait while a message to it is being written in pieces
 * (daemon_put). Between hosts, a link ends with a sealed close record;
 * an end without it is reported as truncation. A broken link is tried
 * again after a cool-down that grows with each break (a fresh hello and
 * handshake, the same markers); a peer whose TLS handshake failed is not.
 *
 * On one host the link's stream goes through shared memory when both ends
 * can (link_shm.c; the shm_* functions below are the only places that know
 * it): the opener offers a segment in its hello, the acceptor maps it and
 * says so in its answer, and from then on frames are written to and read
 * from the rings instead of the socket, which carries wake-up bytes and,
 * by its end, the peer's end. Everything above (markers, holding,
 * acknowledgements, fallback) is the same. With PVMNG_SHM_DEFAULT=1 a task
 * with the default route opens such links too, without waiting for the
 * answer (link_start). */
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "link_shm.h"
#include "lpvm.h"
#include "pki.h"
#include "pvm3.h"
#include "pvmng.h"
#include "rundir.h"
#include "tid.h"
#include "tlsload.h"
#include "xdr.h"

/* Frames a link may hold before its marker before we stop reading it. */
#define HOLD_MAX (64u << 20)
/* How long a task waits for a peer to answer its link hello. */
#define HELLO_WAIT_MS 2000
/* Attempts to open a link to a peer that is not listening (yet), and the
 * pause between them (growing linearly). */
#define MAX_ATTEMPTS 5
#define RETRY_MS 100
/* Between hosts: how long an opener waits for the offer, the connection and
 * the handshake together; how long an ask stays valid at the acceptor. */
#define REMOTE_WAIT_MS 3000
#define ASK_TTL_MS 30000
/* An incoming TCP connection must finish its handshake and hello within
 * GUARD_HELLO_MS ($PVMNG_LINK_HELLO_MS, between GUARD_HELLO_MIN and
 * GUARD_HELLO_MAX); at most GUARD_PENDING wait at once, and any more are
 * closed as they come. */
#define GUARD_HELLO_MS 10000
#define GUARD_HELLO_MIN 100
#define GUARD_HELLO_MAX 600000
#define GUARD_PENDING 16
#define GUARD_TICK_MS 1000
/* TLS writes: pieces smaller than STAGE_SMALL are gathered into one record
 * of up to STAGE_CAP bytes; ciphertext leaves once FLUSH_AT bytes are
 * pending (and at the end of every write). */
#define STAGE_SMALL 4096
#define STAGE_CAP 16384
#define FLUSH_AT (64u << 10)
/* TLS reads: room offered to each read of ciphertext. */
#define READ_ROOM (256u << 10)
/* At most this much is read at once from a link whose peer has ended. */
#define LINK_DRAIN_MAX (64u << 20)
/* Acknowledgements: a receiver acknowledges at once a message of
 * LPVM_ROUTE_RDV_MIN bytes or more (its sender waits), else once ACK_EVERY
 * messages or ACK_BYTES bytes are unacknowledged, with its own next message
 * on the link, or when it is about to wait. A sender that keeps KEEP_BYTES
 * or KEEP_COUNT unacknowledged messages waits for acknowledgements before
 * it sends more on the link. */
#define ACK_EVERY 64u
#define ACK_BYTES (256u << 10)
#define KEEP_BYTES (8u << 20)
#define KEEP_COUNT 1024u
/* Closed links per peer whose counts of taken messages are remembered (for
 * the peer's resume marker, which may come after the link's end). */
#define RX_HIST 8
/* After a link with a peer broke: a new one is tried after COOL_MS
 * ($PVMNG_LINK_COOL_MS), doubled for each further break up to COOL_MAX_MS;
 * after MAX_BREAKS breaks the pair stays on the daemon route. */
#define COOL_MS 1000
#define COOL_MAX_MS 30000
#define MAX_BREAKS 8
/* An acknowledgement frame: header and count. */
#define ACK_FRAME (PVMW_HDR_LEN + PVMW_ACK_LEN)

struct held {
  struct held *next;
  pvmw_frame *f;
};

struct heldq {
  struct held *head, *tail;
  size_t bytes;
};

struct peer;

/* A message sent on a link and not yet acknowledged: its frames as they
 * went out (the same bytes go to the daemon if the link breaks). */
struct kept {
  struct kept *next;
  uint64_t seq; /* its number on the link, from 0 */
  size_t len;
  uint8_t *data; /* malloc'd, owned */
};

/* Bytes queued for the daemon's stream while a message to the daemon was
 * being written in pieces (see lpvm_route_daemon_idle). */
struct outbox {
  struct outbox *next;
  size_t len;
  uint8_t *data; /* inside own */
  void *own;     /* malloc'd, freed once written */
};

struct lpvm_link {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_tcp_t tcp;
  } io; /* io.handle.data = this link */
  struct lpvm_link *next;
  struct peer *peer; /* NULL until an incoming link's hello */
  pvmw_reader rd;
  int rd_ready;
  int incoming;
  int connected;  /* outgoing: connect finished (1) or failed (<0) */
  int answer;     /* outgoing: 1 accepted, <0 refused, 0 waiting */
  int bulk_aead;  /* TLS: the records' AEAD agreed in the hello */
  uint64_t nonce; /* names the link in route markers (never 0) */
  int closing;
  int closed; /* its close callback has run */
  int holds;  /* users that free it after the close (link_open, a send) */
  int reading;
  /* TLS links (between hosts) only. */
  pvmw_tls *tls;
  int auth_failed;   /* the handshake failed: do not try this peer again */
  uint64_t hello_by; /* incoming: loop time by which the hello must come */
  int wr_busy;       /* an asynchronous write or a blocking flush is out */
  size_t wr_len;     /* bytes of that asynchronous write */
  uv_write_t wr_req;
  /* Acknowledged delivery: messages are numbered per link and direction,
   * implicitly, in the order of the stream. */
  uint64_t tx_seq;         /* messages begun on the link */
  uint64_t tx_acked;       /* the peer's acknowledgement: taken so far */
  uint64_t rx_seq;         /* whole messages taken from the link */
  uint64_t rx_acked;       /* what we acknowledged last */
  uint64_t rx_total;       /* total_len of the message being taken */
  size_t rx_unacked_bytes; /* frame bytes taken since our last ack */
  int tx_busy;      /* a message is being written: no frame may go between */
  int ack_due;      /* an acknowledgement waits for that write to end */
  int fin_inject;   /* test: the stream ends after this frame */
  int async;        /* outgoing, opened for the default route (link_start) */
  size_t stage_len; /* small plaintext pieces gathered for one record */
  char stage[STAGE_CAP];
  /* Shared memory (links on one host, link_shm.c): once shm_on, the
   * stream travels through the segment's rings and the socket carries
   * wake-up bytes only. */
  struct lpvm_shm *shm;
  int shm_on;
  int shm_in;           /* the rings are being read (no nesting) */
  int shm_armed;        /* we asked the peer to wake us */
  unsigned shm_spins;   /* polls of the current wait for room */
  struct heldq shm_out; /* frames from callbacks waiting for room */
};

struct peer {
  struct peer *next;
  int tid;
  struct lpvm_link *link;   /* the established link, or NULL */
  struct lpvm_link *trying; /* our own attempt in progress */
  int failed;               /* no more links with this peer */
  int breaks;               /* links with this peer that broke */
  int attempts;             /* our failed attempts to open a link */
  uint64_t next_try;        /* loop time (ms) before which we do not retry */
  int sending;              /* we have sent our marker: we send on the link */
  uint64_t marker;          /* nonce named by the peer's last route marker */
  uint64_t held_nonce;      /* the link that link_held's frames came from */
  struct heldq link_held;   /* link frames waiting for the marker */
  struct heldq daemon_held; /* daemon frames waiting for the link's end */
  /* Between hosts: the peer's offer for our ask of nonce ask_nonce. */
  uint64_t ask_nonce;
  int offered, offer_code;
  unsigned offer_port;
  char offer_addr[64];
  char offer_name[PVMW_PKI_NAME_MAX + 1];
  /* Sending: the messages of our link not acknowledged yet, in order. */
  struct kept *kept, *kept_tail;
  size_t kept_bytes;
  unsigned kept_n;
  /* Our link broke: the resume (marker, then the kept messages) is due
   * through the daemon, for link fb_nonce from message fb_from on. */
  int fb_pending;
  uint64_t fb_nonce, fb_from;
  /* Receiving: messages taken from our recent links, by nonce, and how
   * many of the peer's next daemon messages were taken from a link already
   * (its resume re-sends them). */
  struct {
    uint64_t nonce, count;
  } rx_hist[RX_HIST];
  unsigned rx_hist_next;
  uint64_t skip;
};

/* An ask from a task on another host, waiting for its TLS hello. */
struct ask {
  struct ask *next;
  int tid;
  uint64_t nonce;
  uint64_t expires; /* loop time (ms) */
  int answered;
  char cert_name[PVMW_PKI_NAME_MAX + 1];
};

/* The TLS engine, loaded with the first TLS context (tls_ctx): a link
 * with TLS exists only once it is. */
static const struct pvmw_tls_api *T;
/* $PVMNG_BULK_AEAD as lpvm_route_start found it: "ocb", "gcm" or NULL. */
static const char *bulk_env;
/* $PVMNG_BULK_AEAD named neither: no direct links to other hosts (a site
 * that asked for AES-GCM only must not fall back to AES-OCB). */
static int bulk_env_bad;

static struct {
  uv_pipe_t *listener; /* allocated: a closing one may outlive a new one */
  int listening;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  struct lpvm_link *links;
  struct peer *peers;
  int nlinks;
  /* Between hosts, all made on first use. */
  int info; /* 0 not asked, 1 asked, 2 known, <0 failed */
  char certdir[PATH_MAX];
  char cert_name[PVMW_PKI_NAME_MAX + 1];
  char addr[64];
  pvmw_tls_ctx *tls_srv, *tls_cli;
  int tls_bad;   /* loading the certificates failed (said once) */
  uv_tcp_t *tcp; /* the TCP listener (allocated, like listener) */
  int tcp_state; /* 0 none, 1 listening, <0 failed */
  unsigned tcp_port;
  struct ask *asks;
  uv_timer_t *guard; /* while the TCP listener is open (allocated) */
  struct outbox *outbox, *outbox_tail;
} R;

/* The first cool-down after a break (ms). */
static uint64_t cool_ms = COOL_MS;
/* lpvm_route_stop is closing every link (an orderly end, said quietly). */
static int stopping;

/* ---- small helpers ------------------------------------------------------- */

static void heldq_push(struct heldq *q, pvmw_frame *f) {
  struct held *h = malloc(sizeof(*h));
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

static pvmw_frame *heldq_pop(struct heldq *q) {
  struct held *h = q->head;
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

static void heldq_clear(struct heldq *q) {
  pvmw_frame *f;
  while ((f = heldq_pop(q)) != NULL)
    pvmw_frame_free(f);
}

static struct peer *find_peer(int tid) {
  for (struct peer *p = R.peers; p != NULL; p = p->next)
    if (p->tid == tid)
      return p;
  return NULL;
}

static struct peer *get_peer(int tid) {
  struct peer *p = find_peer(tid);
  if (p != NULL)
    return p;
  if ((p = calloc(1, sizeof(*p))) == NULL)
    return NULL;
  p->tid = tid;
  p->next = R.peers;
  R.peers = p;
  return p;
}

static void put_be64(uint8_t *p, uint64_t v) {
  pvmw_put_be32(p, (uint32_t)(v >> 32));
  pvmw_put_be32(p + 4, (uint32_t)v);
}

static uint64_t get_be64(const uint8_t *p) {
  return (uint64_t)pvmw_get_be32(p) << 32 | pvmw_get_be32(p + 4);
}

/* Frees the kept messages numbered below acked (the peer has them). */
static void kept_drop(struct peer *p, uint64_t acked) {
  while (p->kept != NULL && p->kept->seq < acked) {
    struct kept *k = p->kept;
    p->kept = k->next;
    if (p->kept == NULL)
      p->kept_tail = NULL;
    p->kept_bytes -= k->len;
    p->kept_n--;
    free(k->data);
    free(k);
  }
}

/* The count of messages taken from link nonce of p (0 if unknown). */
static uint64_t rx_hist_get(const struct peer *p, uint64_t nonce) {
  for (int i = 0; i < RX_HIST; i++)
    if (p->rx_hist[i].nonce == nonce)
      return p->rx_hist[i].count;
  return 0;
}

static void rx_hist_put(struct peer *p, uint64_t nonce, uint64_t count) {
  for (int i = 0; i < RX_HIST; i++)
    if (p->rx_hist[i].nonce == nonce) {
      p->rx_hist[i].count = count;
      return;
    }
  p->rx_hist[p->rx_hist_next].nonce = nonce;
  p->rx_hist[p->rx_hist_next].count = count;
  p->rx_hist_next = (p->rx_hist_next + 1) % RX_HIST;
}

/* The socket a task listens on: beside its daemon's, named for the tid. */
static int link_path(int tid, char *out, size_t len) {
  return pvmw_task_sock_path(lpvm_daemon_socket(), tid, out, len);
}

static int peer_uid_ok(uv_stream_t *s) {
  uv_os_fd_t fd;
  struct ucred cr;
  socklen_t cl = sizeof(cr);
  if (uv_fileno((uv_handle_t *)s, &fd) < 0 ||
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
    return 0;
  return cr.uid == geteuid();
}

/* Fault injection for tests: with PVMNG_FAILPOINT_LINK_BREAK=N in its
 * environment when it connects, a task closes its direct link abruptly
 * before the Nth message it would send on a link, which must then go
 * through the daemon, once and in order. */
static long failpoint_break = -1;

/* More fault injection, for the acceptor's checks: with
 * PVMNG_FAILPOINT_ROUTE_HELLO=plain a task opening a TLS link first sends
 * plaintext, with =binding its hello carries a wrong channel binding, with
 * =nonce the nonce of no ask, with =silent it connects and sends nothing.
 * The peer must refuse or drop each. */
static char failpoint_hello[16];

/* More, for acknowledged delivery: with PVMNG_FAILPOINT_LINK_SHUT=N[:K] a
 * task shuts its end of a link down (both ways) right after taking the
 * Nth whole message from it, leaving what the peer wrote after it unread
 * (on K links, default 1); with PVMNG_FAILPOINT_LINK_FIN=N a task meets
 * the end of the stream (as a FIN that the network injected at a record
 * boundary would make it) right after taking the Nth whole message from a
 * TLS link. Neither may lose a message. */
static long failpoint_shut = -1, failpoint_shut_times;
static long failpoint_fin = -1;

/* How long an incoming TLS connection may take to say hello (ms). */
static uint64_t hello_ms = GUARD_HELLO_MS;

static void link_resume(struct lpvm_link *l);
static void link_close_broken(struct lpvm_link *l, const char *why);
static void link_drain(struct lpvm_link *l);
static int bulk_accepts(int out[2]);
static int bulk_offered(int aead);
static void link_send_async(struct lpvm_link *l, pvmw_frame *f);
static void send_async(uv_stream_t *s, pvmw_frame *f);
static void answer_asks(void);
static int pending_incoming(void);
static int send_sys_async(int dst, int tag, const void *body, size_t len);
static void fallback_flush(struct peer *p, int quiet);
static void ack_now(struct lpvm_link *l);
static void link_ended(struct lpvm_link *l, ssize_t n);
static void count_taken(struct lpvm_link *l, const pvmw_frame *f);
static int on_ack(struct lpvm_link *l, const pvmw_frame *f);
static uint32_t shm_offer(struct lpvm_link *l);
static void shm_attach(struct lpvm_link *l, uint32_t fd1);
static void shm_answered(struct lpvm_link *l, int taken);
static long shm_read(struct lpvm_link *l);
static void shm_send_async(struct lpvm_link *l, pvmw_frame *f);
static int shm_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n);
static void link_start(struct peer *p, int dst);
static void link_started(struct lpvm_link *l);

static uint64_t now_ms(void) {
  uv_update_time(lpvm_loop());
  return uv_now(lpvm_loop());
}

/* Pumps the loop once, at most until deadline. Returns -1 once the
 * deadline has passed or the daemon is lost. */
static int pump_before(uint64_t deadline) {
  uint64_t now = now_ms();
  if (now >= deadline || lpvm_conn.state != LPVM_UP)
    return -1;
  lpvm_pump((int)(deadline - now));
  return lpvm_conn.state == LPVM_UP ? 0 : -1;
}

/* ---- closing ------------------------------------------------------------- */

static void link_free(struct lpvm_link *l) {
  if (l->rd_ready)
    pvmw_reader_free(&l->rd);
  heldq_clear(&l->shm_out);
  lpvm_shm_free(l->shm);
  if (l->tls != NULL)
    T->tls_free(l->tls);
  free(l);
}

static void on_link_closed(uv_handle_t *h) {
  struct lpvm_link *l = h->data;
  l->closed = 1;
  if (l->holds == 0)
    link_free(l);
}

/* Drops one hold on l; frees it when it is closed and nobody holds it. */
static void link_unhold(struct lpvm_link *l) {
  if (--l->holds == 0 && l->closed)
    link_free(l);
}

static void release_daemon_held(struct peer *p);

/* Whether daemon frames from p must wait: the link its last marker named
 * is open here (or is our own attempt still waiting for its answer). */
static int holding_daemon(const struct peer *p) {
  if (p->marker == 0)
    return 0;
  return (p->link != NULL && !p->link->closing &&
          p->link->nonce == p->marker) ||
         (p->trying != NULL && !p->trying->closing &&
          p->trying->nonce == p->marker);
}

/* Closes a link; what it delivered stays delivered. */
static void link_close(struct lpvm_link *l, const char *why) {
  struct peer *p = l->peer;
  if (l->closing)
    return;
  l->closing = 1;
  if (lpvm_opts.debugmask && why != NULL)
    fprintf(stderr, "libpvm [t%x]: direct link to t%x closed: %s\n",
            (unsigned)lpvm_conn.mytid, p ? (unsigned)p->tid : 0u, why);
  for (struct lpvm_link **lp = &R.links; *lp != NULL; lp = &(*lp)->next)
    if (*lp == l) {
      *lp = l->next;
      break;
    }
  R.nlinks--;
  if (l->tls != NULL && !l->wr_busy) {
    /* Best effort: the sealed close record (or an alert that says why)
     * goes out before the close. */
    const uint8_t *d;
    size_t n;
    if (l->peer != NULL && l->peer->link == l)
      T->shutdown(l->tls);
    n = T->outgoing(l->tls, &d);
    if (n > 0) {
      uv_buf_t b = uv_buf_init((char *)d, (unsigned)n);
      uv_try_write(&l->io.stream, &b, 1);
    }
  }
  if (p != NULL) {
    if (p->trying == l)
      p->trying = NULL;
    if (p->link == l) {
      p->link = NULL;
      rx_hist_put(p, l->nonce, l->rx_seq);
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
        p->next_try = now_ms() + (cool < COOL_MAX_MS ? cool : COOL_MAX_MS);
        p->attempts = 0;
      }
      lpvm_drop_partial(p->tid, p->tid);
      if (lpvm_conn.state == LPVM_UP)
        lpvm_notify_route(PvmRouteDelete, p->tid);
      fallback_flush(p, stopping);
    }
    if (!holding_daemon(p))
      release_daemon_held(p);
  }
  uv_close(&l->io.handle, on_link_closed);
}

/* ---- receiving ----------------------------------------------------------- */

static void replay_link_held(struct peer *p) {
  pvmw_frame *f;
  while ((f = heldq_pop(&p->link_held)) != NULL) {
    if (lpvm_message_frame(f, p->tid) < 0 && p->link != NULL) {
      link_close(p->link, "malformed message");
      heldq_clear(&p->link_held);
      return;
    }
  }
  /* The link ended with a message half taken: its rest comes again
   * through the daemon, whole. */
  if (p->link == NULL || p->link->nonce != p->held_nonce)
    lpvm_drop_partial(p->tid, p->tid);
  if (p->link != NULL && !p->link->reading && !p->link->closing)
    link_resume(p->link);
}

static void release_daemon_held(struct peer *p) {
  pvmw_frame *f;
  while ((f = heldq_pop(&p->daemon_held)) != NULL)
    lpvm_message_frame(f, LPVM_VIA_REPLAY);
}

static void answer_hello(struct lpvm_link *l, int req_id, int code,
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
  r.bulk_aead = (uint32_t)l->bulk_aead;
  r.shm = code == 0 && l->shm != NULL;
  if ((f = pvmw_control_frame(&c)) != NULL)
    link_send_async(l, f);
}

/* A hello that passed its checks: take the link unless routing is off or
 * a link with tid exists (or wins the race). */
static int link_accept(struct lpvm_link *l, int req_id, int tid,
                       uint64_t nonce) {
  struct peer *p;
  if (lpvm_opts.route == PvmDontRoute) {
    answer_hello(l, req_id, PvmDenied, "direct routes refused");
    return -1;
  }
  /* A resource manager's answers go through the daemon (conn.c): a link
   * would hold them behind its marker at the asking task. */
  if (lpvm_conn.is_rm) {
    answer_hello(l, req_id, PvmDenied, "a resource manager takes no links");
    return -1;
  }
  if ((p = get_peer(tid)) == NULL)
    return -1;
  if (p->link != NULL || p->failed ||
      (p->link_held.head != NULL && p->held_nonce != nonce) ||
      (p->trying != NULL && lpvm_conn.mytid < tid)) {
    /* One link per pair: ours wins when our tid is lower. */
    answer_hello(l, req_id, PvmExists, "a link exists");
    return -1;
  }
  l->peer = p;
  l->nonce = nonce;
  p->link = l;
  answer_hello(l, req_id, 0, NULL);
  lpvm_notify_route(PvmRouteAdd, tid);
  /* We send on the link only once the opener's marker for it has come
   * through the daemon: then the opener is committed to the link (it gives
   * up only while waiting for this answer), and nothing we write can be
   * left unread in a link it abandoned. */
  return 0;
}

/* An incoming link on one host says who it is. */
static int on_link_hello(struct lpvm_link *l, Pvmng__Control *c) {
  Pvmng__Hello *h = c->hello;
  char err[160];
  const char *vmid = pvmw_vmid(err, sizeof(err));
  int tid = (int)h->spawned_tid;

  if (h->proto_version != PVMW_VERSION || vmid == NULL ||
      strcmp(h->vmid, vmid) != 0 || !pvmw_tid_is_task(tid) ||
      tid == lpvm_conn.mytid || h->link_nonce == 0) {
    answer_hello(l, (int)c->req_id, PvmBadVersion, "bad link hello");
    return -1;
  }
  shm_attach(l, h->shm_fd);
  if (link_accept(l, (int)c->req_id, tid, h->link_nonce) < 0)
    return -1;
  /* Our answer went on the socket; everything after it on the rings. */
  l->shm_on = l->shm != NULL;
  return 0;
}

/* The opener's hello on a TLS link: its tids and nonce must match an ask
 * that came through the daemons, it must hold the certificate that ask
 * named, and the hello must belong to this TLS session. */
static int on_route_hello(struct lpvm_link *l, Pvmng__Control *c) {
  Pvmng__RouteHello *h = c->route_hello;
  char err[160];
  const char *vmid = pvmw_vmid(err, sizeof(err));
  const char *why = NULL;
  uint8_t bind[32];
  struct ask **ap = &R.asks, *a;
  int tid = (int)h->tid, acc[2], n;

  if (h->proto_version != PVMW_VERSION || vmid == NULL ||
      strcmp(h->vmid, vmid) != 0 || !pvmw_tid_is_task(tid) ||
      tid == lpvm_conn.mytid || (int)h->peer_tid != lpvm_conn.mytid ||
      h->nonce == 0)
    why = "bad link hello";
  else if (h->binding.len != sizeof(bind) || T->binding(l->tls, bind) < 0 ||
           memcmp(h->binding.data, bind, sizeof(bind)) != 0)
    why = "link hello not bound to this TLS session";
  if (why == NULL) {
    while (*ap != NULL && ((*ap)->tid != tid || (*ap)->nonce != h->nonce))
      ap = &(*ap)->next;
    if (*ap == NULL)
      why = "link hello without an ask through the daemons";
    else if (strcasecmp(T->peer_name(l->tls), (*ap)->cert_name) != 0)
      why = "link hello from a host other than the asker's";
  }
  if (why != NULL) {
    fprintf(stderr,
            "libpvm [t%x]: refused a direct link from t%x (certificate %s): "
            "%s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)tid, T->peer_name(l->tls),
            why);
    answer_hello(l, (int)c->req_id, PvmDenied, why);
    return -1;
  }
  a = *ap;
  *ap = a->next;
  free(a);
  n = bulk_accepts(acc);
  l->bulk_aead = lpvm_bulk_choose(h->bulk_aeads, h->n_bulk_aeads, acc, n);
  if (strcmp(failpoint_hello, "aead") == 0)
    l->bulk_aead = PVMW_BULK_OCB; /* whatever the opener offered */
  if (link_accept(l, (int)c->req_id, tid, h->nonce) < 0)
    return -1;
  /* Our answer was the last record of the opening; from here on both ends
   * protect the data themselves (see pvmw_tls_bulk). */
  if (T->bulk(l->tls, l->bulk_aead) < 0) {
    fprintf(stderr, "libpvm [t%x]: direct link from t%x: %s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)tid, T->reason(l->tls));
    return -1;
  }
  return 0;
}

static int on_link_frame(void *ctx, pvmw_frame *f) {
  struct lpvm_link *l = ctx;
  if (l->closing) {
    pvmw_frame_free(f);
    return 1;
  }
  if (f->type == PVMW_FT_CONTROL) {
    Pvmng__Control *c = pvmw_control_parse(f);
    int bad = 0;
    pvmw_frame_free(f);
    if (c == NULL) {
      link_close(l, "malformed control frame");
      return 1;
    }
    if (l->incoming && l->peer == NULL && l->tls == NULL &&
        c->body_case == PVMNG__CONTROL__BODY_HELLO) {
      bad = on_link_hello(l, c) < 0;
    } else if (l->incoming && l->peer == NULL && l->tls != NULL &&
               c->body_case == PVMNG__CONTROL__BODY_ROUTE_HELLO) {
      bad = on_route_hello(l, c) < 0;
    } else if (!l->incoming && l->answer == 0 &&
               c->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY) {
      l->answer =
          c->hello_reply->code == 0 && (int)c->hello_reply->tid == l->peer->tid
              ? 1
              : (c->hello_reply->code < 0 ? c->hello_reply->code : PvmSysErr);
      l->bulk_aead = (int)c->hello_reply->bulk_aead;
      shm_answered(l, l->answer == 1 && c->hello_reply->shm);
      if (l->async) {
        pvmng__control__free_unpacked(c, NULL);
        link_started(l);
        return l->closing;
      }
      if (l->answer < 0 && l->tls != NULL && c->hello_reply->reason[0])
        fprintf(stderr, "libpvm [t%x]: t%x refused a direct link: %s\n",
                (unsigned)lpvm_conn.mytid, (unsigned)l->peer->tid,
                c->hello_reply->reason);
    } else {
      bad = 1;
    }
    pvmng__control__free_unpacked(c, NULL);
    if (bad) {
      /* Let the answer (if any) leave before closing. */
      link_close(l, "link refused or out of order");
      return 1;
    }
    return 0;
  }
  if (l->peer == NULL || l->peer->link != l) {
    pvmw_frame_free(f);
    link_close(l, "message before the hello");
    return 1;
  }
  if (f->type == PVMW_FT_ACK) {
    int bad = on_ack(l, f) < 0;
    pvmw_frame_free(f);
    if (bad) {
      link_close(l, "acknowledgement of messages never sent");
      return 1;
    }
    return 0;
  }
  count_taken(l, f);
  struct peer *p = l->peer;
  if (p->marker != l->nonce) {
    p->held_nonce = l->nonce;
    heldq_push(&p->link_held, f);
    if (p->link_held.bytes > HOLD_MAX && l->reading) {
      uv_read_stop(&l->io.stream);
      l->reading = 0;
    }
    return 0;
  }
  if (lpvm_message_frame(f, p->tid) < 0) {
    link_close(l, "malformed message");
    return 1;
  }
  if (l->fin_inject) {
    link_ended(l, UV_EOF); /* test: as if the stream ended here */
    return 1;
  }
  return 0;
}

/* ---- TLS links ----------------------------------------------------------- */

static void tls_flush_async(struct lpvm_link *l);

static void on_tls_written(uv_write_t *req, int status) {
  struct lpvm_link *l = req->data;
  l->wr_busy = 0;
  if (status < 0) {
    link_close_broken(l, uv_strerror(status));
    return;
  }
  T->consumed(l->tls, l->wr_len);
  tls_flush_async(l);
}

/* Sends pending ciphertext without blocking (usable inside callbacks). */
static void tls_flush_async(struct lpvm_link *l) {
  const uint8_t *d;
  size_t n;
  while (!l->wr_busy && !l->closing && (n = T->outgoing(l->tls, &d)) > 0) {
    uv_buf_t b = uv_buf_init((char *)d, (unsigned)n);
    int r = uv_try_write(&l->io.stream, &b, 1);
    if (r == UV_EAGAIN)
      r = 0;
    if (r < 0) {
      link_close_broken(l, uv_strerror(r));
      return;
    }
    T->consumed(l->tls, (size_t)r);
    if ((size_t)r == n)
      continue;
    b = uv_buf_init((char *)d + r, (unsigned)(n - (size_t)r));
    l->wr_req.data = l;
    l->wr_len = n - (size_t)r;
    if (uv_write(&l->wr_req, &l->io.stream, &b, 1, on_tls_written) < 0) {
      link_close_broken(l, "write failed");
      return;
    }
    l->wr_busy = 1;
  }
}

/* Sends all pending ciphertext, blocking (pumping the loop). */
static int tls_flush_sync(struct lpvm_link *l) {
  const uint8_t *d;
  size_t n;
  int rc = 0;
  while (l->wr_busy && !l->closing && lpvm_conn.state == LPVM_UP)
    lpvm_pump(-1);
  if (l->closing || lpvm_conn.state != LPVM_UP)
    return PvmSysErr;
  l->wr_busy = 1; /* keeps asynchronous flushes out meanwhile */
  while ((n = T->outgoing(l->tls, &d)) > 0) {
    uv_buf_t b = uv_buf_init((char *)d, (unsigned)n);
    if ((rc = lpvm_write_all(&l->io.stream, &b, 1)) < 0)
      break;
    T->consumed(l->tls, n);
  }
  l->wr_busy = 0;
  return rc;
}

static int tls_stage_out(struct lpvm_link *l) {
  size_t n = l->stage_len;
  l->stage_len = 0;
  return n > 0 && T->write(l->tls, l->stage, n) < 0 ? PvmSysErr : 0;
}

/* Encrypts len bytes: small pieces gather into one record; large ones are
 * encrypted as they are, and the ciphertext leaves every FLUSH_AT bytes. */
static int tls_put(struct lpvm_link *l, const char *p, size_t len) {
  if (l->stage_len + len <= STAGE_CAP && len < STAGE_SMALL) {
    memcpy(l->stage + l->stage_len, p, len);
    l->stage_len += len;
    return 0;
  }
  if (l->stage_len > 0) {
    /* Top the gathered pieces up to a full record. */
    size_t take = STAGE_CAP - l->stage_len;
    if (take > len)
      take = len;
    memcpy(l->stage + l->stage_len, p, take);
    l->stage_len += take;
    p += take;
    len -= take;
    if (tls_stage_out(l) < 0)
      return PvmSysErr;
  }
  while (len > 0) {
    size_t take = len < FLUSH_AT ? len : FLUSH_AT;
    if (take < STAGE_SMALL) {
      memcpy(l->stage, p, take);
      l->stage_len = take;
      return 0;
    }
    if (T->write(l->tls, p, take) < 0)
      return PvmSysErr;
    p += take;
    len -= take;
    if (T->pending(l->tls) >= FLUSH_AT && tls_flush_sync(l) < 0)
      return PvmSysErr;
  }
  return 0;
}

int lpvm_route_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n) {
  int rc = 0;
  if (l->closing)
    return PvmSysErr;
  if (l->shm_on)
    return shm_write(l, bufs, n);
  if (l->tls == NULL)
    return lpvm_write_all(&l->io.stream, bufs, n);
  for (unsigned i = 0; i < n && rc == 0; i++)
    rc = tls_put(l, bufs[i].base, bufs[i].len);
  if (rc == 0)
    rc = tls_stage_out(l);
  if (rc == 0)
    rc = tls_flush_sync(l);
  return rc;
}

/* The handshake failed, the peer refused us or a record did not
 * authenticate: say why (a security event, always reported) and close. */
static void tls_fail(struct lpvm_link *l, int r) {
  const char *why = T->reason(l->tls);
  if (r == PVMW_TLS_CLOSED || !why[0]) {
    link_close(l, "peer closed the link");
    return;
  }
  /* Before the hello: the handshake or the peer's check of us failed. */
  l->auth_failed = !T->established(l->tls) || l->peer == NULL ||
                   (l->peer->link != l && !l->incoming);
  if (l->peer != NULL)
    fprintf(stderr, "libpvm [t%x]: direct link %s t%x failed: %s\n",
            (unsigned)lpvm_conn.mytid, l->incoming ? "from" : "to",
            (unsigned)l->peer->tid, why);
  else
    fprintf(stderr,
            "libpvm [t%x]: refused a direct link from another host: %s\n",
            (unsigned)lpvm_conn.mytid, why);
  link_close(l, why);
}

/* Runs the handshake and decrypts what has come, straight into the frame
 * reader's space. */
static void tls_pump(struct lpvm_link *l) {
  if (!T->established(l->tls)) {
    int r = T->handshake(l->tls);
    tls_flush_async(l);
    if (r < 0) {
      tls_fail(l, r);
      return;
    }
    if (r == 0)
      return;
  }
  while (!l->closing && l->reading) {
    char *base;
    size_t len;
    int k, rc;
    pvmw_reader_space(&l->rd, &base, &len);
    k = T->read(l->tls, base, len);
    if (k == 0)
      break;
    if (k < 0) {
      tls_flush_async(l);
      tls_fail(l, k);
      return;
    }
    rc = pvmw_reader_commit(&l->rd, (size_t)k, on_link_frame, l);
    if (rc < 0) {
      link_close(l, l->rd.err);
      return;
    }
    if (rc > 0)
      break;
  }
  if (!l->closing)
    tls_flush_async(l);
}

/* ---- reading ------------------------------------------------------------- */

static void on_link_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
  struct lpvm_link *l = h->data;
  char *base;
  size_t len;
  (void)sz;
  if (l->shm_on) {
    static char wakes[64]; /* wake-up bytes are read and dropped */
    base = wakes;
    len = sizeof(wakes);
  } else if (l->tls != NULL)
    T->in_space_n(l->tls, READ_ROOM, &base, &len);
  else
    pvmw_reader_space(&l->rd, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

/* The transport of l ended (n: UV_EOF or an error). A TLS link ends with
 * the peer's sealed close record, read before (tls_fail closes the link
 * then): without it the stream was cut short, by a reset or by someone
 * on the way. Nothing is lost either way: the peer sends again through the
 * daemon what we had not acknowledged. */
static void link_ended(struct lpvm_link *l, ssize_t n) {
  if (l->tls != NULL && l->peer != NULL && l->peer->link == l)
    fprintf(stderr,
            "libpvm [t%x]: direct link with t%x ended without its close "
            "record (%s): truncated; what it did not deliver comes again "
            "through the daemon\n",
            (unsigned)lpvm_conn.mytid, (unsigned)l->peer->tid,
            n == UV_EOF ? "end of stream" : uv_strerror((int)n));
  link_close(l, n == UV_EOF ? "peer closed the link" : uv_strerror((int)n));
}

static void on_link_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct lpvm_link *l = s->data;
  (void)buf;
  if (l->shm_on) {
    /* A wake-up, or the peer's end: what it wrote before is in the
     * rings, and is taken first. */
    shm_read(l);
    if (n < 0 && !l->closing)
      link_ended(l, n);
    return;
  }
  if (n < 0) {
    link_ended(l, n);
    return;
  }
  if (n == 0)
    return;
  if (l->tls != NULL) {
    if (T->in_commit(l->tls, (size_t)n) < 0)
      tls_fail(l, PVMW_TLS_ERR);
    else
      tls_pump(l);
    return;
  }
  if (pvmw_reader_commit(&l->rd, (size_t)n, on_link_frame, l) < 0)
    link_close(l, l->rd.err);
}

/* Reads, without waiting, what the peer has written to l and not yet been
 * read, as the loop would (at most LINK_DRAIN_MAX bytes; the end of the
 * stream closes the link). Used when the peer has most likely ended: a
 * failed write, or the daemon announcing its exit. Everything a peer on
 * this host wrote before it ended is in the socket by then. */
static void link_drain(struct lpvm_link *l) {
  uv_os_fd_t fd;
  size_t total = 0;
  /* Over shared memory, what the peer wrote is in the rings (the socket
   * holds wake-ups and, when it has ended, its end). */
  if (l->shm_on)
    shm_read(l);
  if (l->closing || !l->reading || uv_fileno(&l->io.handle, &fd) < 0)
    return;
  while (!l->closing && l->reading && total < LINK_DRAIN_MAX) {
    uv_buf_t b;
    ssize_t n;
    on_link_alloc(&l->io.handle, 65536, &b);
    if (b.len == 0)
      return;
    do
      n = recv(fd, b.base, b.len, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    on_link_read(&l->io.stream, n > 0 ? n : n == 0 ? UV_EOF : -errno, &b);
    if (n <= 0)
      return;
    total += (size_t)n;
  }
}

/* Closes a link on which a write failed, after reading what the peer sent
 * before (it has most likely ended; its last messages must not be lost). */
static void link_close_broken(struct lpvm_link *l, const char *why) {
  link_drain(l);
  link_close(l, why);
}

static void link_resume(struct lpvm_link *l) {
  if (uv_read_start(&l->io.stream, on_link_alloc, on_link_read) == 0)
    l->reading = 1;
  /* Records decrypted no further while reading was stopped. */
  if (l->reading && l->tls != NULL && T->established(l->tls))
    tls_pump(l);
}

/* ---- writing from callbacks ---------------------------------------------- */

static void on_async_written(uv_write_t *req, int status) {
  (void)status;
  pvmw_frame_free(req->data);
  free(req);
}

/* Queues a frame without pumping the loop (usable inside callbacks); the
 * stream's own write queue keeps it ahead of later writes. */
static void send_async(uv_stream_t *s, pvmw_frame *f) {
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

/* The same for a link, whatever its transport. Takes f. */
static void link_send_async(struct lpvm_link *l, pvmw_frame *f) {
  if (l->shm_on) {
    shm_send_async(l, f);
    return;
  }
  if (l->tls == NULL) {
    send_async(&l->io.stream, f);
    return;
  }
  if (tls_stage_out(l) < 0 || T->write(l->tls, f->raw, f->raw_len) < 0)
    link_close(l, "cannot encrypt");
  else
    tls_flush_async(l);
  pvmw_frame_free(f);
}

/* ---- shared memory (links on one host) ----------------------------------- */

/* How many times a writer waiting for room (or for the reader to pull a
 * large write) polls before it sleeps, and after how many it starts
 * yielding the processor (the reader may need this core to make room). */
#define SHM_SPINS 2000u
#define SHM_YIELD_AFTER 50u

/* $PVMNG_SHM=0 in a task's environment: its links on one host stay on
 * their Unix sockets (it neither offers nor accepts a segment). */
static int shm_enabled(void) {
  static int on = -1;
  if (on < 0) {
    const char *e = getenv("PVMNG_SHM");
    on = e == NULL || strcmp(e, "0") != 0;
  }
  return on;
}

static pid_t peer_pid(struct lpvm_link *l) {
  uv_os_fd_t fd;
  struct ucred cr;
  socklen_t cl = sizeof(cr);
  if (uv_fileno(&l->io.handle, &fd) < 0 ||
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0)
    return 0;
  return cr.pid;
}

/* The opener: a segment for the link, named in the hello (descriptor + 1;
 * 0 when there is none: the link stays on its socket). */
static uint32_t shm_offer(struct lpvm_link *l) {
  const char *why = NULL;
  if (!shm_enabled())
    return 0;
  if ((l->shm = lpvm_shm_create(&why)) == NULL) {
    if (lpvm_opts.debugmask)
      fprintf(stderr, "libpvm [t%x]: no shared memory for a link: %s\n",
              (unsigned)lpvm_conn.mytid, why);
    return 0;
  }
  return (uint32_t)lpvm_shm_fd(l->shm) + 1u;
}

/* The acceptor: maps the opener's segment if it offered one (the process
 * is the socket's peer, as the kernel says). Without it the link stays on
 * the socket. */
static void shm_attach(struct lpvm_link *l, uint32_t fd1) {
  const char *why = NULL;
  pid_t pid;
  if (fd1 == 0 || fd1 > INT_MAX || !shm_enabled())
    return;
  pid = peer_pid(l);
  if ((l->shm = lpvm_shm_attach(pid, (int)(fd1 - 1u), &why)) == NULL &&
      lpvm_opts.debugmask)
    fprintf(stderr, "libpvm [t%x]: link from pid %ld stays on its socket: %s\n",
            (unsigned)lpvm_conn.mytid, (long)pid, why);
}

/* The opener reads the answer: the rings from now on, or the socket. */
static void shm_answered(struct lpvm_link *l, int taken) {
  if (l->shm == NULL)
    return;
  lpvm_shm_close_fd(l->shm);
  if (taken) {
    lpvm_shm_set_peer(l->shm, peer_pid(l));
    l->shm_on = 1;
    return;
  }
  lpvm_shm_free(l->shm);
  l->shm = NULL;
}

/* Wakes the peer: one byte on the link's socket (it sleeps in its event
 * loop, which watches the socket). A full socket holds wake-ups enough. */
static void on_wake_written(uv_write_t *req, int status) {
  (void)status;
  free(req);
}

static void shm_wake(void *ctx) {
  struct lpvm_link *l = ctx;
  uv_buf_t b = uv_buf_init((char *)"w", 1);
  uv_write_t *req;
  if (l->closing)
    return;
  /* libuv refuses a direct write while earlier ones wait in the stream's
   * queue: then the wake-up queues behind them (it must not be lost). */
  if (uv_try_write(&l->io.stream, &b, 1) == 1 ||
      uv_stream_get_write_queue_size(&l->io.stream) == 0)
    return;
  if ((req = malloc(sizeof(*req))) != NULL &&
      uv_write(req, &l->io.stream, &b, 1, on_wake_written) < 0)
    free(req);
}

static void shm_space(void *ctx, char **base, size_t *len) {
  struct lpvm_link *l = ctx;
  pvmw_reader_space(&l->rd, base, len);
}

static int shm_commit(void *ctx, size_t n) {
  struct lpvm_link *l = ctx;
  int rc = pvmw_reader_commit(&l->rd, n, on_link_frame, l);
  if (rc < 0) {
    link_close(l, l->rd.err);
    return -1;
  }
  return l->closing || !l->reading ? 1 : rc;
}

static int shm_wait(void *ctx, struct lpvm_shm *s);

static struct lpvm_shm_io shm_io(struct lpvm_link *l) {
  struct lpvm_shm_io io = {shm_wait, shm_wake, l};
  return io;
}

/* Takes what the peer wrote on l's rings. Returns the bytes taken. */
static long shm_read(struct lpvm_link *l) {
  struct lpvm_shm_sink k = {shm_space, shm_commit, l};
  struct lpvm_shm_io io = shm_io(l);
  long n;
  if (l->shm_in || l->closing || !l->reading || !l->shm_on)
    return 0;
  l->shm_in = 1;
  l->holds++;
  n = lpvm_shm_drain(l->shm, &k, &io);
  l->shm_in = 0;
  if (n < 0 && !l->closing)
    link_close(l, "malformed shared-memory ring");
  link_unhold(l);
  return n < 0 ? 0 : n;
}

/* Frames written from callbacks, queued while the ring had no room. */
static int shm_flush_out(struct lpvm_link *l, int block) {
  struct lpvm_shm_io io = shm_io(l);
  pvmw_frame *f;
  while (l->shm_out.head != NULL && !l->closing) {
    f = l->shm_out.head->f;
    if (lpvm_shm_try_put(l->shm, f->raw, f->raw_len, &io) < 0) {
      struct iovec v = {f->raw, f->raw_len};
      if (!block)
        return 0;
      if (lpvm_shm_write(l->shm, &v, 1, &io) < 0)
        return PvmSysErr;
    }
    pvmw_frame_free(heldq_pop(&l->shm_out));
  }
  return l->closing ? PvmSysErr : 0;
}

static void shm_send_async(struct lpvm_link *l, pvmw_frame *f) {
  struct lpvm_shm_io io = shm_io(l);
  if (l->shm_out.head == NULL &&
      lpvm_shm_try_put(l->shm, f->raw, f->raw_len, &io) == 0) {
    pvmw_frame_free(f);
    return;
  }
  heldq_push(&l->shm_out, f);
}

/* A writer waits for room or for its pull: polls a while (the reader is
 * most likely at work on the other core), then sleeps until woken. */
static int shm_wait(void *ctx, struct lpvm_shm *s) {
  struct lpvm_link *l = ctx;
  if (l->closing || lpvm_conn.state != LPVM_UP)
    return -1;
  if (l->shm_spins < SHM_SPINS) {
    if (++l->shm_spins > SHM_YIELD_AFTER)
      sched_yield();
    lpvm_pump(0);
  } else if (lpvm_shm_writer_arm(s)) {
    lpvm_pump(-1);
  }
  return l->closing || lpvm_conn.state != LPVM_UP ? -1 : 0;
}

static int shm_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n) {
  struct lpvm_shm_io io = shm_io(l);
  int rc;
  l->shm_spins = 0;
  l->holds++;
  if ((rc = shm_flush_out(l, 1)) == 0)
    /* uv_buf_t is laid out as struct iovec on Unix (libuv says so). */
    rc = lpvm_shm_write(l->shm, (const struct iovec *)(void *)bufs, n, &io);
  if (l->closing)
    rc = PvmSysErr;
  link_unhold(l);
  return rc;
}

int lpvm_route_shm_pump(int block) {
  int ready = 0, any = 0;
  for (struct lpvm_link *l = R.links, *next; l != NULL; l = next) {
    next = l->next;
    if (!l->shm_on || l->closing)
      continue;
    any = 1;
    if (l->shm_armed) {
      lpvm_shm_reader_disarm(l->shm);
      l->shm_armed = 0;
    }
    if (!l->tx_busy && l->shm_out.head != NULL)
      shm_flush_out(l, 0);
    if (shm_read(l) > 0)
      ready = 1;
  }
  if (!any)
    return -1;
  if (!block || ready)
    return ready;
  for (struct lpvm_link *l = R.links; l != NULL; l = l->next) {
    if (!l->shm_on || l->closing || !l->reading || l->shm_in)
      continue;
    if (!lpvm_shm_reader_arm(l->shm))
      return 1; /* came meanwhile */
    l->shm_armed = 1;
  }
  return 0;
}

/* ---- acknowledgements and resumes ---------------------------------------- */

struct bytes_req {
  uv_write_t req;
  void *own;
};

static void on_bytes_written(uv_write_t *req, int status) {
  struct bytes_req *q = (struct bytes_req *)req;
  (void)status;
  free(q->own);
  free(q);
}

/* Queues len bytes at data on s without pumping the loop; own (the block
 * holding them, malloc'd) is freed once they are written. */
static void send_bytes_async(uv_stream_t *s, const uint8_t *data, size_t len,
                             void *own) {
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  struct bytes_req *q;
  int r = uv_try_write(s, &b, 1);
  if (r == (int)len || (r < 0 && r != UV_EAGAIN)) {
    free(own);
    return;
  }
  if (r > 0) {
    b.base += r;
    b.len -= (size_t)r;
  }
  q = malloc(sizeof(*q));
  if (q == NULL || uv_write(&q->req, s, &b, 1, on_bytes_written) < 0) {
    free(q);
    free(own);
    return;
  }
  q->own = own;
}

/* Frames for the daemon from inside callbacks: written at once unless a
 * message to the daemon is being written in pieces (a frame of ours must
 * not land inside it), else queued until it ends. Takes own. */
static void daemon_put(const uint8_t *data, size_t len, void *own) {
  struct outbox *o;
  if (lpvm_conn.state != LPVM_UP) {
    free(own);
    return;
  }
  if (R.outbox == NULL && !lpvm_daemon_busy()) {
    send_bytes_async(lpvm_daemon_stream(), data, len, own);
    return;
  }
  if ((o = malloc(sizeof(*o))) == NULL) {
    fprintf(stderr,
            "libpvm [t%x]: out of memory queueing a frame for the daemon\n",
            (unsigned)lpvm_conn.mytid);
    free(own);
    return;
  }
  o->next = NULL;
  o->data = (uint8_t *)data;
  o->len = len;
  o->own = own;
  if (R.outbox_tail != NULL)
    R.outbox_tail->next = o;
  else
    R.outbox = o;
  R.outbox_tail = o;
}

void lpvm_route_daemon_idle(void) {
  while (R.outbox != NULL && !lpvm_daemon_busy()) {
    struct outbox *o = R.outbox;
    R.outbox = o->next;
    if (R.outbox == NULL)
      R.outbox_tail = NULL;
    if (lpvm_conn.state == LPVM_UP)
      send_bytes_async(lpvm_daemon_stream(), o->data, o->len, o->own);
    else
      free(o->own);
    free(o);
  }
}

/* Our link to p broke: tells p, through the daemon, from which message of
 * that link on we send again (its nonce and the number of the first
 * message it did not acknowledge), then sends the kept messages after it,
 * as they went on the link. The peer drops those it had taken from the
 * link already. Everything we send p later goes behind them. */
static void fallback_flush(struct peer *p, int quiet) {
  uint8_t body[16];
  unsigned n = 0;
  if (!p->fb_pending)
    return;
  p->fb_pending = 0;
  kept_drop(p, p->fb_from); /* acknowledged (none should be left) */
  if (lpvm_conn.state != LPVM_UP) {
    if (p->kept_n > 0)
      fprintf(stderr,
              "libpvm [t%x]: %u message(s) to t%x were lost with the direct "
              "link: the daemon is gone too\n",
              (unsigned)lpvm_conn.mytid, p->kept_n, (unsigned)p->tid);
    kept_drop(p, UINT64_MAX);
    return;
  }
  put_be64(body, p->fb_nonce);
  put_be64(body + 8, p->fb_from);
  send_sys_async(p->tid, LPVM_TAG_ROUTE_RESUME, body, sizeof(body));
  while (p->kept != NULL) {
    struct kept *k = p->kept;
    p->kept = k->next;
    daemon_put(k->data, k->len, k->data);
    free(k);
    n++;
  }
  p->kept_tail = NULL;
  p->kept_bytes = 0;
  p->kept_n = 0;
  if (n > 0 && (!quiet || lpvm_opts.debugmask))
    fprintf(stderr,
            "libpvm [t%x]: %u message(s) to t%x that the direct link had not "
            "acknowledged go again through the daemon\n",
            (unsigned)lpvm_conn.mytid, n, (unsigned)p->tid);
}

static void ack_fill(uint8_t out[ACK_FRAME], uint64_t v) {
  pvmw_hdr_put(out, PVMW_FT_ACK, PVMW_ACK_LEN);
  put_be64(out + PVMW_HDR_LEN, v);
}

/* Acknowledges on l what we have taken from it, without waiting (usable in
 * callbacks); after the message being written, if one is. */
static void ack_now(struct lpvm_link *l) {
  pvmw_frame *f;
  if (l->closing || l->rx_seq == l->rx_acked)
    return;
  if (l->tx_busy) {
    l->ack_due = 1;
    return;
  }
  if ((f = pvmw_frame_alloc(PVMW_FT_ACK, PVMW_ACK_LEN)) == NULL)
    return; /* the next occasion tries again */
  put_be64(f->payload, l->rx_seq);
  l->rx_acked = l->rx_seq;
  l->rx_unacked_bytes = 0;
  l->ack_due = 0;
  link_send_async(l, f);
}

/* Puts our pending acknowledgement in front of a message we write on l
 * (out: ACK_FRAME bytes). Returns whether there was one. */
static int ack_piggyback(struct lpvm_link *l, uint8_t *out) {
  if (l->rx_seq == l->rx_acked)
    return 0;
  ack_fill(out, l->rx_seq);
  l->rx_acked = l->rx_seq;
  l->rx_unacked_bytes = 0;
  l->ack_due = 0;
  return 1;
}

/* The peer's acknowledgement came. */
static int on_ack(struct lpvm_link *l, const pvmw_frame *f) {
  uint64_t v = get_be64(f->payload);
  struct peer *p = l->peer;
  if (p == NULL || p->link != l || v < l->tx_acked || v > l->tx_seq)
    return -1;
  l->tx_acked = v;
  kept_drop(p, v);
  return 0;
}

/* A message frame taken from l: counts whole messages, and acknowledges
 * when it is time. */
static void count_taken(struct lpvm_link *l, const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) < 0)
    return; /* the delivery reports it */
  if (h.flags & PVMW_MF_FIRST)
    l->rx_total = h.total_len;
  l->rx_unacked_bytes += f->raw_len;
  if (!(h.flags & PVMW_MF_LAST))
    return;
  l->rx_seq++;
  if (failpoint_shut_times > 0 && l->rx_seq == (uint64_t)failpoint_shut) {
    failpoint_shut_times--;
    fprintf(stderr,
            "libpvm [t%x]: failpoint: direct link with t%x shut down after "
            "%llu messages\n",
            (unsigned)lpvm_conn.mytid, l->peer ? (unsigned)l->peer->tid : 0u,
            (unsigned long long)l->rx_seq);
    /* Test: this end stops reading and writing, with whatever the peer
     * wrote after this message unread (lost to the link). */
    uv_os_fd_t fd;
    if (uv_fileno(&l->io.handle, &fd) == 0)
      shutdown(fd, SHUT_RDWR);
  }
  if (l->tls != NULL && failpoint_fin > 0 && --failpoint_fin == 0)
    l->fin_inject = 1;
  if (l->rx_total >= LPVM_ROUTE_RDV_MIN ||
      l->rx_seq - l->rx_acked >= ACK_EVERY || l->rx_unacked_bytes >= ACK_BYTES)
    ack_now(l);
}

void lpvm_route_idle(void) {
  for (struct lpvm_link *l = R.links; l != NULL; l = l->next)
    if (l->rx_seq != l->rx_acked && l->peer != NULL && !l->closing)
      ack_now(l);
}

/* Waits (pumping) while p keeps too much unacknowledged on l. */
static void keep_wait(struct lpvm_link *l, struct peer *p) {
  while ((p->kept_bytes > KEEP_BYTES || p->kept_n > KEEP_COUNT) &&
         !l->closing && p->link == l && lpvm_conn.state == LPVM_UP)
    lpvm_pump(-1);
}

int lpvm_route_send_kept(struct lpvm_link *l, uint8_t *data, size_t len) {
  struct peer *p = l->peer;
  struct kept *k;
  uint8_t ack[ACK_FRAME];
  uv_buf_t b[2];
  unsigned n = 0;
  int rc;
  if (l->closing || p == NULL || p->link != l) {
    free(data);
    return PvmSysErr;
  }
  if ((k = malloc(sizeof(*k))) == NULL) {
    free(data);
    return PvmNoMem;
  }
  k->next = NULL;
  k->seq = l->tx_seq++;
  k->len = len;
  k->data = data;
  if (p->kept_tail != NULL)
    p->kept_tail->next = k;
  else
    p->kept = k;
  p->kept_tail = k;
  p->kept_bytes += len;
  p->kept_n++;
  if (ack_piggyback(l, ack))
    b[n++] = uv_buf_init((char *)ack, ACK_FRAME);
  b[n++] = uv_buf_init((char *)data, (unsigned)len);
  l->tx_busy = 1;
  rc = lpvm_route_write(l, b, n);
  l->tx_busy = 0;
  if (rc == 0 && l->ack_due)
    ack_now(l);
  if (rc == 0)
    keep_wait(l, p);
  if (rc < 0 || l->closing) {
    /* The message is kept: the resume through the daemon carries it. */
    lpvm_route_broken(p->tid);
  }
  return 0;
}

void lpvm_route_rdv_begin(struct lpvm_link *l) {
  uint8_t ack[ACK_FRAME];
  l->tx_seq++;
  l->tx_busy = 1;
  if (ack_piggyback(l, ack)) {
    uv_buf_t b = uv_buf_init((char *)ack, ACK_FRAME);
    if (l->tls != NULL)
      tls_put(l, (const char *)ack, ACK_FRAME); /* joins the first record */
    else
      lpvm_route_write(l, &b, 1);
  }
}

int lpvm_route_rdv_end(struct lpvm_link *l, int rc) {
  uint64_t seq = l->tx_seq - 1;
  l->tx_busy = 0;
  if (rc == 0 && l->ack_due)
    ack_now(l);
  /* The acknowledgement follows the message's last bytes closely: poll a
   * little first, as a receive does (PvmPollTime), then sleep. */
  int polls = lpvm_opts.poll_time > 0 ? lpvm_opts.poll_time : 0;
  while (rc == 0 && !l->closing && l->tx_acked <= seq) {
    if (lpvm_conn.state != LPVM_UP)
      rc = PvmSysErr;
    else
      lpvm_pump(polls-- > 0 ? 0 : -1);
  }
  /* Acknowledged: delivered, whatever became of the link since. */
  if (l->tx_acked > seq)
    return 0;
  return rc < 0 ? rc : PvmSysErr;
}

/* ---- links --------------------------------------------------------------- */

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

static struct lpvm_link *link_new(int incoming, int tcp) {
  struct lpvm_link *l = calloc(1, sizeof(*l));
  if (l == NULL)
    return NULL;
  if (pvmw_reader_init(&l->rd, PVMW_MAX_FRAME) < 0) {
    free(l);
    return NULL;
  }
  l->rd_ready = 1;
  l->incoming = incoming;
  if (tcp)
    uv_tcp_init(lpvm_loop(), &l->io.tcp);
  else
    uv_pipe_init(lpvm_loop(), &l->io.pipe, 0);
  l->io.handle.data = l;
  l->next = R.links;
  R.links = l;
  R.nlinks++;
  return l;
}

static void on_incoming(uv_stream_t *server, int status) {
  struct lpvm_link *l;
  if (status < 0 || (l = link_new(1, 0)) == NULL)
    return;
  if (uv_accept(server, &l->io.stream) < 0 || !peer_uid_ok(&l->io.stream)) {
    link_close(l, "refused a link from another user");
    return;
  }
  link_resume(l);
}

static void on_listener_closed(uv_handle_t *h) { free(h); }

static void listen_start(void) {
  if (R.listening || lpvm_conn.state != LPVM_UP)
    return;
  if (link_path(lpvm_conn.mytid, R.path, sizeof(R.path)) < 0)
    return;       /* path too long: this task simply takes no links */
  unlink(R.path); /* a stale socket of an earlier task with our tid */
  if ((R.listener = malloc(sizeof(*R.listener))) == NULL)
    return;
  uv_pipe_init(lpvm_loop(), R.listener, 0);
  if (uv_pipe_bind(R.listener, R.path) < 0 ||
      uv_listen((uv_stream_t *)R.listener, 16, on_incoming) < 0) {
    uv_close((uv_handle_t *)R.listener, on_listener_closed);
    R.listener = NULL;
    return;
  }
  chmod(R.path, 0600);
  R.listening = 1;
}

static void tcp_stop(void) {
  if (R.tcp != NULL)
    uv_close((uv_handle_t *)R.tcp, on_listener_closed);
  if (R.guard != NULL)
    uv_close((uv_handle_t *)R.guard, on_listener_closed);
  R.tcp = NULL;
  R.guard = NULL;
  R.tcp_state = 0;
}

static void listen_stop(void) {
  tcp_stop();
  if (!R.listening)
    return;
  uv_close((uv_handle_t *)R.listener, on_listener_closed);
  R.listener = NULL;
  unlink(R.path);
  R.listening = 0;
}

/* ---- between hosts: certificates, listener, asks ------------------------- */

/* Asks the daemon for the certificate directory, name and address, without
 * waiting (the answer comes to lpvm_route_info_reply). */
static void info_request(void) {
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__RouteInfoRequest q = PVMNG__ROUTE_INFO_REQUEST__INIT;
  pvmw_frame *f;
  if (R.info != 0)
    return;
  c.req_id = LPVM_REQ_ROUTE_INFO;
  c.body_case = PVMNG__CONTROL__BODY_ROUTE_INFO;
  c.route_info = &q;
  if ((f = pvmw_control_frame(&c)) == NULL) {
    R.info = PvmNoMem;
    return;
  }
  R.info = 1;
  daemon_put(f->raw, f->raw_len, f);
}

void lpvm_route_info_reply(Pvmng__Control *c) {
  Pvmng__RouteInfoReply *r = c->route_info_reply;
  const char *dir = getenv("PVM_CERTDIR");
  if (R.info != 1) {
    pvmng__control__free_unpacked(c, NULL);
    return;
  }
  if (c->body_case != PVMNG__CONTROL__BODY_ROUTE_INFO_REPLY) {
    fprintf(stderr,
            "libpvm [t%x]: no direct links between hosts: the daemon does "
            "not answer route information requests\n",
            (unsigned)lpvm_conn.mytid);
    pvmng__control__free_unpacked(c, NULL);
    R.info = PvmSysErr;
    answer_asks();
    return;
  }
  if (dir == NULL || *dir == '\0')
    dir = r->certdir;
  if (r->code != 0 || !pvmw_pki_name_ok(r->cert_name) ||
      strlen(r->addr) >= sizeof(R.addr) || r->addr[0] == '\0' ||
      strlen(dir) >= sizeof(R.certdir) - PVMW_PKI_NAME_MAX - 8) {
    fprintf(stderr,
            "libpvm [t%x]: no direct links between hosts: the daemon gave no "
            "usable address or certificate name (%s)\n",
            (unsigned)lpvm_conn.mytid,
            r->reason[0] ? r->reason : "no reason given");
    R.info = r->code < 0 ? r->code : PvmSysErr;
  } else {
    strcpy(R.certdir, dir);
    strcpy(R.cert_name, r->cert_name);
    strcpy(R.addr, r->addr);
    R.info = 2;
  }
  pvmng__control__free_unpacked(c, NULL);
  answer_asks();
}

/* The TLS context of one side, loaded on first use from the certificate
 * directory. NULL (said once) when the certificates cannot be loaded. */
static pvmw_tls_ctx *tls_ctx(int server) {
  pvmw_tls_ctx **cp = server ? &R.tls_srv : &R.tls_cli;
  char ca[PATH_MAX + 16], cert[PATH_MAX + 80], key[PATH_MAX + 80], err[512];
  if (*cp != NULL || R.tls_bad || R.info != 2)
    return *cp;
  if (T == NULL) {
    const char *why;
    if ((T = lpvm_tls_api(&why)) == NULL) {
      R.tls_bad = 1;
      fprintf(stderr, "libpvm [t%x]: no direct links between hosts: %s\n",
              (unsigned)lpvm_conn.mytid, why);
      return NULL;
    }
  }
  snprintf(ca, sizeof(ca), "%s/" PVMW_PKI_CA ".pem", R.certdir);
  snprintf(cert, sizeof(cert), "%s/%s.pem", R.certdir, R.cert_name);
  snprintf(key, sizeof(key), "%s/%s.key", R.certdir, R.cert_name);
  *cp = T->ctx_new(server ? PVMW_TLS_SERVER_NOJOIN : 0, ca, cert, key, err,
                   sizeof(err));
  if (*cp == NULL) {
    R.tls_bad = 1;
    fprintf(stderr,
            "libpvm [t%x]: no direct links between hosts: cannot load the "
            "TLS certificate %s: %s\n",
            (unsigned)lpvm_conn.mytid, cert, err);
  }
  return *cp;
}

static void on_tcp_incoming(uv_stream_t *server, int status) {
  struct lpvm_link *l;
  if (status < 0 || (l = link_new(1, 1)) == NULL)
    return;
  if (uv_accept(server, &l->io.stream) < 0 || R.tls_srv == NULL ||
      pending_incoming() >= GUARD_PENDING ||
      (l->tls = T->tls_new(R.tls_srv, NULL)) == NULL) {
    link_close(l, "cannot accept a TLS link now");
    return;
  }
  l->hello_by = now_ms() + hello_ms;
  uv_tcp_nodelay(&l->io.tcp, 1);
  link_resume(l);
}

/* Forgets asks whose hello never came. */
static void asks_expire(uint64_t now) {
  struct ask *a, **ap = &R.asks;
  while (*ap != NULL) {
    if ((*ap)->expires <= now) {
      a = *ap;
      *ap = a->next;
      free(a);
    } else {
      ap = &(*ap)->next;
    }
  }
}

/* Incoming TLS links still without their hello. */
static int pending_incoming(void) {
  int n = 0;
  for (struct lpvm_link *l = R.links; l != NULL; l = l->next)
    n += l->tls != NULL && l->incoming && l->peer == NULL && !l->closing;
  return n;
}

/* Every GUARD_TICK_MS while the listener is open: drops connections that
 * did not authenticate and say hello in time, forgets stale asks, and
 * closes the listener once no ask is left (the next ask opens a new one). */
static void on_guard(uv_timer_t *t) {
  uint64_t now = now_ms();
  struct lpvm_link *l, *next;
  (void)t;
  for (l = R.links; l != NULL; l = next) {
    next = l->next;
    if (l->tls != NULL && l->incoming && l->peer == NULL && !l->closing &&
        l->hello_by <= now) {
      fprintf(stderr,
              "libpvm [t%x]: dropped a direct link connection: no TLS "
              "handshake and hello within %.1f s\n",
              (unsigned)lpvm_conn.mytid, (double)hello_ms / 1000.0);
      link_close(l, "no hello in time");
    }
  }
  asks_expire(now);
  if (R.asks == NULL && pending_incoming() == 0)
    tcp_stop();
}

/* Listens on TCP on the host's address, any port. 0 or a PVM code. */
static int tcp_listen(void) {
  struct sockaddr_in sa;
  struct sockaddr_storage got;
  int len = sizeof(got), r;
  if (R.tcp_state != 0)
    return R.tcp_state > 0 ? 0 : R.tcp_state;
  if (tls_ctx(1) == NULL) {
    R.tcp_state = PvmSysErr;
    return R.tcp_state;
  }
  R.tcp_state = PvmSysErr;
  if (uv_ip4_addr(R.addr, 0, &sa) < 0 ||
      (R.tcp = malloc(sizeof(*R.tcp))) == NULL)
    return R.tcp_state;
  uv_tcp_init(lpvm_loop(), R.tcp);
  if ((r = uv_tcp_bind(R.tcp, (struct sockaddr *)&sa, 0)) < 0 ||
      (r = uv_listen((uv_stream_t *)R.tcp, 16, on_tcp_incoming)) < 0 ||
      (r = uv_tcp_getsockname(R.tcp, (struct sockaddr *)&got, &len)) < 0) {
    fprintf(stderr, "libpvm [t%x]: cannot listen for direct links on %s: %s\n",
            (unsigned)lpvm_conn.mytid, R.addr, uv_strerror(r));
    uv_close((uv_handle_t *)R.tcp, on_listener_closed);
    R.tcp = NULL;
    return R.tcp_state;
  }
  R.tcp_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
  R.tcp_state = 1;
  if ((R.guard = malloc(sizeof(*R.guard))) != NULL) {
    uv_timer_init(lpvm_loop(), R.guard);
    /* Ticks often enough that a connection goes within half the hello
     * time after its own (at most GUARD_TICK_MS late). */
    uint64_t tick = hello_ms / 2 < GUARD_TICK_MS ? hello_ms / 2 : GUARD_TICK_MS;
    uv_timer_start(R.guard, on_guard, tick, tick);
  }
  return 0;
}

/* Packs a RouteOffer as the body of a system message. Returns its length
 * (at most cap) or 0. */
static size_t pack_offer(const Pvmng__RouteOffer *o, uint8_t *out, size_t cap) {
  size_t n = pvmng__route_offer__get_packed_size(o);
  return n <= cap ? pvmng__route_offer__pack(o, out) : 0;
}

/* Queues a system message through the daemon, from inside a callback (no
 * loop pumping). Returns 0 or -1. */
static int send_sys_async(int dst, int tag, const void *body, size_t len) {
  Pvmng__MsgHeader mh = PVMNG__MSG_HEADER__INIT;
  pvmw_frame *f;
  uint8_t *p;
  mh.src = (uint32_t)lpvm_conn.mytid;
  mh.dst = (uint32_t)dst;
  mh.tag = tag;
  mh.ctx = LPVM_SYSCTX;
  mh.encoding = PvmDataRaw;
  if ((f = pvmw_message_frame(&mh, len, &p)) == NULL)
    return -1;
  memcpy(p, body, len);
  daemon_put(f->raw, f->raw_len, f);
  return 0;
}

/* Answers the asks that can be answered now: with an offer once the
 * listener is up, with a refusal when we take no links or cannot. */
static void answer_asks(void) {
  struct ask **ap = &R.asks;
  while (*ap != NULL) {
    struct ask *a = *ap;
    Pvmng__RouteOffer o = PVMNG__ROUTE_OFFER__INIT;
    uint8_t body[256];
    size_t n;
    if (a->answered) {
      ap = &a->next;
      continue;
    }
    if (lpvm_opts.route == PvmDontRoute || bulk_env_bad)
      o.code = PvmDenied;
    else if (R.info == 1)
      return; /* the daemon has not answered yet */
    else if (R.info < 0)
      o.code = R.info;
    else
      o.code = tcp_listen();
    o.nonce = a->nonce;
    o.cert_name = R.info == 2 ? R.cert_name : "";
    o.addr = o.code == 0 ? R.addr : "";
    o.port = o.code == 0 ? R.tcp_port : 0;
    if ((n = pack_offer(&o, body, sizeof(body))) > 0)
      send_sys_async(a->tid, LPVM_TAG_ROUTE_OFFER, body, n);
    if (o.code != 0) {
      *ap = a->next;
      free(a);
      continue;
    }
    a->answered = 1;
    ap = &a->next;
  }
}

/* A task on another host asks for a link. */
static void on_ask(int src, const Pvmng__RouteOffer *o) {
  uint64_t now = now_ms();
  struct ask *a;
  asks_expire(now);
  if (o->nonce == 0 || !pvmw_pki_name_ok(o->cert_name) ||
      (a = calloc(1, sizeof(*a))) == NULL)
    return;
  a->tid = src;
  a->nonce = o->nonce;
  a->expires = now + ASK_TTL_MS;
  strcpy(a->cert_name, o->cert_name);
  a->next = R.asks;
  R.asks = a;
  if (lpvm_opts.route != PvmDontRoute)
    info_request();
  answer_asks();
}

/* The offer that answers our ask. */
static void on_offer(int src, const Pvmng__RouteOffer *o) {
  struct peer *p = find_peer(src);
  if (p == NULL || p->ask_nonce == 0 || o->nonce != p->ask_nonce || p->offered)
    return;
  p->offered = 1;
  p->offer_code = o->code < 0 ? o->code : 0;
  if (p->offer_code == 0 && (o->port == 0 || o->port > 65535 ||
                             strlen(o->addr) >= sizeof(p->offer_addr) ||
                             !pvmw_pki_name_ok(o->cert_name)))
    p->offer_code = PvmBadMsg;
  if (p->offer_code == 0) {
    strcpy(p->offer_addr, o->addr);
    strcpy(p->offer_name, o->cert_name);
    p->offer_port = o->port;
  }
}

/* ---- record protection between hosts ------------------------------------ */

int lpvm_bulk_accepts(const char *env, int ocb_ok, int out[2]) {
  int n = 0;
  if (env == NULL || *env == '\0' || strcasecmp(env, "ocb") == 0) {
    if (ocb_ok)
      out[n++] = PVMW_BULK_OCB;
  } else if (strcasecmp(env, "gcm") != 0) {
    return -1;
  }
  out[n++] = PVMW_BULK_GCM;
  return n;
}

int lpvm_bulk_choose(const uint32_t *offer, size_t n, const int *accept,
                     int naccept) {
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < naccept; j++)
      if (offer[i] == (uint32_t)accept[j])
        return accept[j];
  return PVMW_BULK_GCM;
}

/* This task's accepted AEADs (lpvm_bulk_accepts); T is loaded. */
static int bulk_accepts(int out[2]) {
  static int ocb_ok = -1;
  if (ocb_ok < 0)
    ocb_ok = T->bulk_has(PVMW_BULK_OCB);
  return lpvm_bulk_accepts(bulk_env, ocb_ok, out);
}

static int bulk_offered(int aead) {
  int acc[2], n = bulk_accepts(acc);
  for (int i = 0; i < n; i++)
    if (acc[i] == aead)
      return 1;
  return 0;
}

/* ---- starting and stopping ----------------------------------------------- */

void lpvm_route_start(void) {
  const char *fp = getenv("PVMNG_FAILPOINT_LINK_BREAK");
  failpoint_break = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
  fp = getenv("PVMNG_FAILPOINT_ROUTE_HELLO");
  snprintf(failpoint_hello, sizeof(failpoint_hello), "%s", fp ? fp : "");
  fp = getenv("PVMNG_FAILPOINT_LINK_SHUT");
  failpoint_shut = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
  failpoint_shut_times = failpoint_shut < 0        ? 0
                         : strchr(fp, ':') != NULL ? atol(strchr(fp, ':') + 1)
                                                   : 1;
  fp = getenv("PVMNG_FAILPOINT_LINK_FIN");
  failpoint_fin = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
  fp = getenv("PVMNG_LINK_COOL_MS");
  cool_ms = (fp != NULL && atol(fp) > 0) ? (uint64_t)atol(fp) : COOL_MS;
  fp = getenv("PVMNG_LINK_HELLO_MS");
  hello_ms = GUARD_HELLO_MS;
  if (fp != NULL && *fp != '\0') {
    char *end;
    long v = strtol(fp, &end, 10);
    if (*end != '\0')
      fprintf(stderr,
              "libpvm: PVMNG_LINK_HELLO_MS=\"%s\" is not a number of "
              "milliseconds: using %d\n",
              fp, GUARD_HELLO_MS);
    else
      hello_ms = v < GUARD_HELLO_MIN   ? GUARD_HELLO_MIN
                 : v > GUARD_HELLO_MAX ? GUARD_HELLO_MAX
                                       : (uint64_t)v;
  }
  fp = getenv("PVMNG_BULK_AEAD");
  bulk_env = NULL;
  bulk_env_bad = 0;
  if (fp != NULL && *fp != '\0') {
    int acc[2];
    if (lpvm_bulk_accepts(fp, 1, acc) < 0) {
      fprintf(stderr,
              "libpvm: PVMNG_BULK_AEAD=\"%s\" is neither ocb nor gcm: no "
              "direct links to tasks of other hosts (their messages go "
              "through the daemons); set it to gcm or ocb, or unset it\n",
              fp);
      bulk_env_bad = 1;
    } else {
      bulk_env = strcasecmp(fp, "gcm") == 0 ? "gcm" : "ocb";
    }
  }
  if (lpvm_opts.route != PvmDontRoute)
    listen_start();
}

void lpvm_route_policy(int route) {
  if (lpvm_conn.state != LPVM_UP)
    return;
  if (route == PvmDontRoute)
    listen_stop();
  else
    listen_start();
}

void lpvm_route_stop(void) {
  listen_stop();
  stopping = 1;
  while (R.links != NULL) {
    struct lpvm_link *l = R.links;
    if (l->peer != NULL)
      l->peer->failed = 1;
    link_close(l, NULL);
  }
  for (struct peer *p = R.peers; p != NULL; p = p->next)
    fallback_flush(p, 1);
  /* What the links had not acknowledged is on its way through the daemon:
   * it must leave before the daemon's socket closes. */
  lpvm_route_daemon_idle();
  while (lpvm_conn.state == LPVM_UP &&
         uv_stream_get_write_queue_size(lpvm_daemon_stream()) > 0)
    lpvm_pump(-1);
  stopping = 0;
  while (R.outbox != NULL) {
    struct outbox *o = R.outbox;
    R.outbox = o->next;
    free(o->own);
    free(o);
  }
  R.outbox_tail = NULL;
  while (R.peers != NULL) {
    struct peer *p = R.peers;
    R.peers = p->next;
    heldq_clear(&p->link_held);
    heldq_clear(&p->daemon_held);
    kept_drop(p, UINT64_MAX);
    free(p);
  }
  while (R.asks != NULL) {
    struct ask *a = R.asks;
    R.asks = a->next;
    free(a);
  }
  /* Links still closing hold their own references to the contexts. */
  if (T != NULL) {
    T->ctx_free(R.tls_srv);
    T->ctx_free(R.tls_cli);
  }
  R.tls_srv = R.tls_cli = NULL;
  R.tls_bad = 0;
  R.info = 0;
}

int lpvm_route_count(void) { return R.nlinks; }

int lpvm_route_link(int tid) {
  struct peer *p = find_peer(tid);
  if (p == NULL || p->link == NULL || p->link->closing)
    return LPVM_LINK_NONE;
  return p->link->tls != NULL ? LPVM_LINK_REMOTE : LPVM_LINK_LOCAL;
}

int lpvm_route_receiving(void) {
  for (struct lpvm_link *l = R.links; l != NULL; l = l->next)
    if (!l->closing && l->reading && l->peer != NULL &&
        (l->rd.cur != NULL || l->rd.stage_len > 0))
      return 1;
  return 0;
}

/* ---- opening ------------------------------------------------------------- */

static void on_link_connected(uv_connect_t *req, int status) {
  struct lpvm_link *l = req->data;
  l->connected = status == 0 ? 1 : (status < 0 ? status : -1);
  free(req);
}

/* Sends a control frame on a link, blocking. */
static int link_send_control(struct lpvm_link *l, Pvmng__Control *c) {
  pvmw_frame *f = pvmw_control_frame(c);
  uv_buf_t b;
  int rc;
  if (f == NULL)
    return PvmNoMem;
  b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  rc = lpvm_route_write(l, &b, 1);
  pvmw_frame_free(f);
  return rc;
}

/* One host: connects to the peer's socket and says hello. */
static int open_pipe(struct lpvm_link *l) {
  struct peer *p = l->peer;
  char path[sizeof(R.path)], err[160];
  uv_connect_t *req;
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__Hello h = PVMNG__HELLO__INIT;

  if (link_path(p->tid, path, sizeof(path)) < 0 ||
      (req = malloc(sizeof(*req))) == NULL)
    return -1;
  req->data = l;
  uv_pipe_connect(req, &l->io.pipe, path, on_link_connected);
  while (l->connected == 0 && lpvm_conn.state == LPVM_UP)
    lpvm_pump(-1);
  if (l->connected < 0 || !peer_uid_ok(&l->io.stream))
    return -1;
  h.proto_version = PVMW_VERSION;
  h.vmid = (char *)pvmw_vmid(err, sizeof(err));
  h.spawned_tid = (uint32_t)lpvm_conn.mytid;
  h.link_nonce = l->nonce;
  h.pid = (int32_t)getpid();
  h.name = "";
  h.shm_fd = shm_offer(l);
  c.req_id = 1;
  c.body_case = PVMNG__CONTROL__BODY_HELLO;
  c.hello = &h;
  if (h.vmid == NULL)
    return -1;
  link_resume(l);
  return link_send_control(l, &c) < 0 ? -1 : 0;
}

/* Between hosts: asks the peer through the daemons for an offer, connects
 * to it, runs the TLS handshake and says hello, bound to the session. */
static int open_tls(struct lpvm_link *l) {
  struct peer *p = l->peer;
  Pvmng__RouteOffer ask = PVMNG__ROUTE_OFFER__INIT;
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__RouteHello h = PVMNG__ROUTE_HELLO__INIT;
  uint8_t body[256], bind[32];
  struct sockaddr_in sa;
  uv_connect_t *req;
  char err[160];
  size_t n;
  uint64_t deadline = now_ms() + REMOTE_WAIT_MS;
  uint32_t offer[2];
  int acc[2];

  if (bulk_env_bad)
    return -1; /* said at the start */

  info_request();
  while (R.info == 1 && pump_before(deadline) == 0)
    ;
  if (R.info != 2 || tls_ctx(0) == NULL) {
    p->attempts = MAX_ATTEMPTS; /* nothing to retry with */
    return -1;
  }
  ask.nonce = l->nonce;
  ask.cert_name = R.cert_name;
  p->ask_nonce = l->nonce;
  p->offered = 0;
  if ((n = pack_offer(&ask, body, sizeof(body))) == 0 ||
      lpvm_send_via_daemon(p->tid, LPVM_TAG_ROUTE_ASK, LPVM_SYSCTX, body, n) <
          0)
    return -1;
  while (!p->offered && !l->closing && pump_before(deadline) == 0)
    ;
  p->ask_nonce = 0;
  if (!p->offered || l->closing)
    return -1;
  if (p->offer_code != 0) {
    l->answer = p->offer_code;
    return -1;
  }
  if (uv_ip4_addr(p->offer_addr, (int)p->offer_port, &sa) < 0 ||
      (req = malloc(sizeof(*req))) == NULL)
    return -1;
  req->data = l;
  if (uv_tcp_connect(req, &l->io.tcp, (struct sockaddr *)&sa,
                     on_link_connected) < 0) {
    free(req);
    return -1;
  }
  /* The request frees itself in its callback, which runs even on close
   * (a connection that does not come in time is cancelled by the close). */
  while (l->connected == 0 && pump_before(deadline) == 0)
    ;
  if (l->connected < 0 || l->closing)
    return -1;
  uv_tcp_nodelay(&l->io.tcp, 1);
  if (strcmp(failpoint_hello, "silent") == 0) {
    /* Connected and says nothing: the acceptor must drop it in time. */
    link_resume(l);
    while (!l->closing && pump_before(deadline) == 0)
      ;
    return -1;
  }
  if (strcmp(failpoint_hello, "plain") == 0) {
    uv_buf_t junk = uv_buf_init("PVNG hello in the clear\r\n", 25);
    lpvm_write_all(&l->io.stream, &junk, 1);
  }
  if ((l->tls = T->tls_new(R.tls_cli, p->offer_name)) == NULL)
    return -1;
  link_resume(l);
  tls_pump(l); /* sends the ClientHello */
  while (!l->closing && !T->established(l->tls) && pump_before(deadline) == 0)
    ;
  if (l->closing || !T->established(l->tls) || T->binding(l->tls, bind) < 0)
    return -1;
  h.proto_version = PVMW_VERSION;
  h.vmid = (char *)pvmw_vmid(err, sizeof(err));
  h.tid = (uint32_t)lpvm_conn.mytid;
  h.peer_tid = (uint32_t)p->tid;
  h.nonce = l->nonce;
  if (strcmp(failpoint_hello, "nonce") == 0)
    h.nonce ^= 1;
  if (strcmp(failpoint_hello, "binding") == 0)
    bind[0] ^= 1;
  h.binding.data = bind;
  h.binding.len = sizeof(bind);
  h.n_bulk_aeads = (size_t)bulk_accepts(acc);
  for (size_t i = 0; i < h.n_bulk_aeads; i++)
    offer[i] = (uint32_t)acc[i];
  h.bulk_aeads = offer;
  c.req_id = 1;
  c.body_case = PVMNG__CONTROL__BODY_ROUTE_HELLO;
  c.route_hello = &h;
  if (h.vmid == NULL)
    return -1;
  return link_send_control(l, &c) < 0 ? -1 : 0;
}

/* Opens a link to p (blocking, bounded). Returns the link or NULL. */
static struct lpvm_link *link_open(struct peer *p) {
  int remote = pvmw_tid_daemon(p->tid) != lpvm_conn.dtid;
  struct lpvm_link *l;
  uint64_t deadline;

  if ((l = link_new(0, remote)) == NULL)
    return NULL;
  l->peer = p;
  l->holds++; /* the pumps below may close it under us */
  p->trying = l;
  if ((l->nonce = new_nonce()) == 0)
    goto fail;
  if ((remote ? open_tls(l) : open_pipe(l)) < 0)
    goto fail;
  /* The peer answers when it next enters the library; wait, bounded in
   * time (not in loop turns: other traffic keeps the loop busy). */
  deadline = now_ms() + HELLO_WAIT_MS;
  while (l->answer == 0 && !l->closing && pump_before(deadline) == 0)
    ;
  if (l->answer != 1 || l->closing)
    goto fail;
  if (l->tls != NULL && !bulk_offered(l->bulk_aead)) {
    fprintf(stderr,
            "libpvm [t%x]: direct link to t%x: the peer chose %s for its "
            "records, which this task did not offer (PVMNG_BULK_AEAD)\n",
            (unsigned)lpvm_conn.mytid, (unsigned)p->tid,
            l->bulk_aead == PVMW_BULK_OCB   ? "AES-OCB"
            : l->bulk_aead == PVMW_BULK_GCM ? "AES-GCM"
                                            : "an unknown AEAD");
    p->attempts = MAX_ATTEMPTS; /* it would answer the same again */
    goto fail;
  }
  if (l->tls != NULL && T->bulk(l->tls, l->bulk_aead) < 0) {
    fprintf(stderr, "libpvm [t%x]: direct link to t%x: %s\n",
            (unsigned)lpvm_conn.mytid, (unsigned)p->tid, T->reason(l->tls));
    goto fail;
  }
  p->trying = NULL;
  p->link = l;
  link_unhold(l);
  lpvm_notify_route(PvmRouteAdd, p->tid);
  return l;
fail:
  if (p->trying == l)
    p->trying = NULL;
  /* The peer chose PvmDontRoute, or TLS authentication failed: final. */
  if (l->answer == PvmDenied || l->auth_failed)
    p->attempts = MAX_ATTEMPTS;
  link_close(l, NULL);
  link_unhold(l);
  /* A marker the peer sent for this link (it accepted after we gave up)
   * must not hold its daemon traffic: the link is gone here. */
  if (!holding_daemon(p))
    release_daemon_held(p);
  return NULL;
}

/* ---- links of the default route ---------------------------------------- */

/* $PVMNG_SHM_DEFAULT=1: with the default route (PvmAllowDirect) a task
 * opens a link to each task of its host it sends to, through shared memory
 * (PVMNG_SHM=0 turns it off). Not yet the default: the suite's cases that
 * count which route messages took (integration.direct's failpoint,
 * integration.exit_loss_direct_flood's share of messages on the children's
 * own links) assume that the default route stays on the daemons. */
static int default_links(void) {
  static int on = -1;
  if (on < 0) {
    const char *e = getenv("PVMNG_SHM_DEFAULT");
    on = shm_enabled() && e != NULL && strcmp(e, "1") == 0;
  }
  return on;
}

/* The opening of a default-route link did not succeed: try again later, a
 * few times, unless the peer refuses links (final). */
static void link_start_failed(struct lpvm_link *l, const char *why) {
  struct peer *p = l->peer;
  if (p->trying == l)
    p->trying = NULL;
  if (l->answer == PvmDenied)
    p->attempts = MAX_ATTEMPTS;
  else
    p->attempts++;
  p->next_try = now_ms() + RETRY_MS * (uint64_t)p->attempts;
  link_close(l, why);
  if (!holding_daemon(p))
    release_daemon_held(p);
}

static void on_start_connected(uv_connect_t *req, int status) {
  struct lpvm_link *l = req->data;
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__Hello h = PVMNG__HELLO__INIT;
  char err[160];
  pvmw_frame *f;
  free(req);
  if (l->closing)
    return;
  if (status < 0 || !peer_uid_ok(&l->io.stream)) {
    link_start_failed(l, NULL); /* not listening (yet), or not ours */
    return;
  }
  h.proto_version = PVMW_VERSION;
  h.vmid = (char *)pvmw_vmid(err, sizeof(err));
  h.spawned_tid = (uint32_t)lpvm_conn.mytid;
  h.link_nonce = l->nonce;
  h.pid = (int32_t)getpid();
  h.name = "";
  h.shm_fd = shm_offer(l);
  c.req_id = 1;
  c.body_case = PVMNG__CONTROL__BODY_HELLO;
  c.hello = &h;
  if (h.vmid == NULL || (f = pvmw_control_frame(&c)) == NULL) {
    link_start_failed(l, "cannot say hello");
    return;
  }
  link_resume(l);
  send_async(&l->io.stream, f);
}

/* The answer to a default-route link's hello came (on_link_frame): on
 * acceptance the link is ours, announced by a marker through the daemon
 * behind everything sent there before, as link_open does. */
static void link_started(struct lpvm_link *l) {
  struct peer *p = l->peer;
  l->async = 0;
  if (l->answer != 1 || p->link != NULL || p->failed) {
    link_start_failed(l, NULL);
    return;
  }
  p->trying = NULL;
  p->link = l;
  if (send_sys_async(p->tid, LPVM_TAG_ROUTE, &l->nonce, sizeof(l->nonce)) < 0) {
    link_close(l, "cannot send the route marker");
    return;
  }
  p->sending = 1;
  lpvm_notify_route(PvmRouteAdd, p->tid);
}

/* The default route to dst, a task of this host: starts opening a link
 * without waiting (messages go through the daemon meanwhile; the peer
 * answers when it next enters the library). */
static void link_start(struct peer *p, int dst) {
  struct lpvm_link *l;
  char path[sizeof(R.path)];
  uv_connect_t *req;
  if (!default_links() || lpvm_conn.is_rm ||
      pvmw_tid_daemon(dst) != lpvm_conn.dtid)
    return;
  if (p != NULL && (p->link != NULL || p->failed || p->trying != NULL ||
                    p->attempts >= MAX_ATTEMPTS || now_ms() < p->next_try))
    return;
  if (p == NULL && (p = get_peer(dst)) == NULL)
    return;
  if (link_path(dst, path, sizeof(path)) < 0 || (l = link_new(0, 0)) == NULL)
    return;
  l->peer = p;
  l->async = 1;
  p->trying = l;
  if ((l->nonce = new_nonce()) == 0 || (req = malloc(sizeof(*req))) == NULL) {
    link_start_failed(l, NULL);
    return;
  }
  req->data = l;
  uv_pipe_connect(req, &l->io.pipe, path, on_start_connected);
}

static int failpoint_hit(void) {
  if (failpoint_break < 0)
    return 0;
  return --failpoint_break == 0;
}

struct lpvm_link *lpvm_route_for(int dst) {
  struct peer *p = find_peer(dst);

  /* The resume of a broken link goes ahead of anything sent now. */
  if (p != NULL && p->fb_pending)
    fallback_flush(p, 0);

  /* Our marker for a link we accepted is written from a callback and may
   * still wait in the daemon stream's queue: it must be in the kernel
   * before anything goes on the link, or a task that ends right after
   * sending would leave its peer holding the link's messages forever. */
  while (p != NULL && p->link != NULL && p->sending && !p->link->closing &&
         lpvm_conn.state == LPVM_UP &&
         uv_stream_get_write_queue_size(lpvm_daemon_stream()) > 0)
    lpvm_pump(-1);
  if (p != NULL && p->link != NULL && p->sending && !p->link->closing) {
    if (failpoint_hit()) {
      link_close(p->link, "failpoint");
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
                    p->attempts >= MAX_ATTEMPTS || now_ms() < p->next_try))
    return NULL;
  if (p == NULL && (p = get_peer(dst)) == NULL)
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
    p->next_try = now_ms() + RETRY_MS * (uint64_t)p->attempts;
    return NULL;
  }
  /* Everything we sent through the daemon is ahead of this marker. */
  if (lpvm_send_via_daemon(dst, LPVM_TAG_ROUTE, LPVM_SYSCTX, &p->link->nonce,
                           sizeof(p->link->nonce)) < 0) {
    link_close(p->link, "cannot send the route marker");
    return NULL;
  }
  p->sending = 1;
  p->link->holds++;
  return p->link;
}

void lpvm_route_release(struct lpvm_link *l) { link_unhold(l); }

void lpvm_route_broken(int dst) {
  struct peer *p = find_peer(dst);
  if (p != NULL && p->link != NULL)
    link_close_broken(p->link, "write failed");
  if (p != NULL && p->fb_pending)
    fallback_flush(p, 0);
}

/* A message from a daemon whose body starts with the tid of a task we have
 * a direct link with (pvm_notify's PvmTaskExit, or its output) may tell of
 * that task's end: the daemon sends it only after the task's process has
 * exited. On this host everything the task wrote to the link is then in
 * the socket, so read it first: its messages come before the notice. */
static void drain_before_notice(const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  struct peer *p;
  if (R.links == NULL ||
      pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0 ||
      h.encoding != PvmDataDefault || !(h.flags & PVMW_MF_FIRST) ||
      blen < PVMW_XDR_ITEM_HDR + 4 || pvmw_get_be32(body) != PVMW_XT_INT ||
      pvmw_get_be32(body + 4) < 1)
    return;
  p = find_peer((int)pvmw_get_be32(body + PVMW_XDR_ITEM_HDR));
  if (p != NULL && p->link != NULL && p->link->tls == NULL)
    link_drain(p->link);
}

/* A peer's link broke on its side: it sends again, through the daemon,
 * every message of that link from number `from` on. We end the link here
 * too (what it still holds unread comes in the resume) and drop as many of
 * the re-sent messages as we had taken from the link beyond `from`. */
static void on_resume(int src, const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  uint64_t nonce, from, taken;
  struct peer *p;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0 ||
      blen != 16 || !pvmw_tid_is_task(src) || (p = get_peer(src)) == NULL)
    return;
  nonce = get_be64(body);
  from = get_be64(body + 8);
  if (p->link != NULL && p->link->nonce == nonce)
    link_close(p->link, "the peer resumed through the daemon");
  taken = rx_hist_get(p, nonce);
  p->skip = taken > from ? taken - from : 0;
  if (!holding_daemon(p))
    release_daemon_held(p);
}

int lpvm_route_daemon_frame(int src, int ctx, int tag, pvmw_frame *f) {
  struct peer *p;
  if (ctx == LPVM_SYSCTX &&
      (tag == LPVM_TAG_ROUTE_ASK || tag == LPVM_TAG_ROUTE_OFFER)) {
    Pvmng__MsgHeader h;
    const uint8_t *body;
    uint32_t blen;
    Pvmng__RouteOffer *o = NULL;
    if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) == 0 &&
        pvmw_tid_is_task(src))
      o = pvmng__route_offer__unpack(NULL, blen, body);
    pvmw_frame_free(f);
    if (o != NULL) {
      if (tag == LPVM_TAG_ROUTE_ASK)
        on_ask(src, o);
      else
        on_offer(src, o);
      pvmng__route_offer__free_unpacked(o, NULL);
    }
    return 1;
  }
  if (ctx == LPVM_SYSCTX && tag == LPVM_TAG_ROUTE) {
    Pvmng__MsgHeader h;
    const uint8_t *body;
    uint32_t blen;
    uint64_t nonce = 0;
    if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) == 0 &&
        blen == sizeof(nonce))
      memcpy(&nonce, body, sizeof(nonce));
    pvmw_frame_free(f);
    if (nonce == 0 || (p = get_peer(src)) == NULL)
      return 1;
    p->marker = nonce;
    /* The opener of a link we accepted is committed to it: answer with our
     * own marker and send on the link from now on. */
    if (p->link != NULL && p->link->incoming && p->link->nonce == nonce &&
        !p->link->closing && !p->sending &&
        send_sys_async(p->tid, LPVM_TAG_ROUTE, &nonce, sizeof(nonce)) == 0)
      p->sending = 1;
    if (p->held_nonce == nonce)
      replay_link_held(p);
    if (!holding_daemon(p))
      release_daemon_held(p);
    return 1;
  }
  if (ctx == LPVM_SYSCTX && tag == LPVM_TAG_ROUTE_RESUME) {
    on_resume(src, f);
    pvmw_frame_free(f);
    return 1;
  }
  if (pvmw_tid_is_daemon(src))
    drain_before_notice(f);
  p = find_peer(src);
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
  if (p != NULL && holding_daemon(p)) {
    heldq_push(&p->daemon_held, f);
    return 1;
  }
  return 0;
}

int pvmng_route_cipher(int tid, char *name, int len) {
  struct peer *p;
  int rc = pvmng_route(tid);
  if (rc < 0)
    return rc;
  if (name == NULL || len <= 0)
    return lpvm_err("pvmng_route_cipher", PvmBadParam);
  p = find_peer(tid);
  snprintf(name, (size_t)len, "%s",
           rc == PvmRouteDirect && p->link->tls != NULL
               ? T->bulk_cipher(p->link->tls)
               : "");
  return 0;
}

int pvmng_route_transport(int tid) {
  struct peer *p;
  int rc = pvmng_route(tid);
  if (rc < 0)
    return rc;
  if (rc != PvmRouteDirect)
    return PVMNG_VIA_DAEMON;
  p = find_peer(tid);
  return p->link->tls != NULL ? PVMNG_VIA_TLS
         : p->link->shm_on    ? PVMNG_VIA_SHM
                              : PVMNG_VIA_SOCKET;
}

int pvmng_route(int tid) {
  struct peer *p;
  int rc = lpvm_connect("pvmng_route");
  if (rc < 0)
    return rc;
  if (!pvmw_tid_is_task(tid))
    return lpvm_err("pvmng_route", PvmBadParam);
  p = find_peer(tid);
  return (p != NULL && p->link != NULL && p->sending && !p->link->closing)
             ? PvmRouteDirect
             : PvmDontRoute;
}
