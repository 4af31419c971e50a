/* Before a TLS link between hosts exists: the ask, the offer and the
 * listener. Nothing listens until it is needed: the opener sends an ask
 * through the daemons (a system message with a nonce and its host's
 * certificate name); the acceptor then asks its daemon, once, for the
 * certificate directory, its host's certificate name and address
 * (RouteInfoRequest), loads its TLS context, listens on TCP on that
 * address (any port) and answers with an offer (address, port, certificate
 * name) through the daemons. $PVM_CERTDIR in a task's environment
 * overrides the daemon's directory, as it would for a daemon. The listener
 * closes again once no ask is pending; a connection that has not
 * authenticated and said hello within PVMNG_LINK_HELLO_MS (10 s) is
 * dropped, and at most 16 may wait. Also here: the choice of the AEAD that
 * protects the records ($PVMNG_BULK_AEAD). */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "link.h"
#include "link_tls.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h"
#include "tid.h"
#include "tlsload.h"

/* How long an ask stays valid at the acceptor. */
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

/* An ask from a task on another host, waiting for its TLS hello. */
struct ask {
  struct ask *next;
  int tid;
  uint64_t nonce;
  uint64_t expires; /* loop time (ms) */
  int answered;
  char cert_name[PVMW_PKI_NAME_MAX + 1];
};

const struct pvmw_tls_api *lpvm_tls;

static struct {
  int info; /* 0 not asked, 1 asked, 2 known, <0 failed */
  char certdir[PATH_MAX];
  char cert_name[PVMW_PKI_NAME_MAX + 1];
  char addr[64];
  pvmw_tls_ctx *tls_srv, *tls_cli;
  int tls_bad;   /* loading the certificates failed (said once) */
  uv_tcp_t *tcp; /* the TCP listener (allocated: a closing one may outlive
                    a new one) */
  int tcp_state; /* 0 none, 1 listening, <0 failed */
  unsigned tcp_port;
  struct ask *asks;
  struct lpvm_offer *offers; /* our asks waiting for their offer (on the
                                asker's stack, while lpvm_ask_offer runs) */
  uv_timer_t *guard;         /* while the TCP listener is open (allocated) */
  /* $PVMNG_BULK_AEAD as lpvm_ask_start found it: "ocb", "gcm" or NULL;
   * env_bad: it named neither, so no direct links to other hosts (a site
   * that asked for AES-GCM only must not fall back to AES-OCB). */
  const char *bulk_env;
  int env_bad;
  uint64_t hello_ms; /* how long a connection may take to say hello */
} ask_state = {.hello_ms = GUARD_HELLO_MS};

static void answer_asks(void);

/* ---- the daemon's route information -------------------------------------- */

/* Asks the daemon for the certificate directory, name and address, without
 * waiting (the answer comes to lpvm_route_info_reply). */
static void info_request(void) {
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__RouteInfoRequest q = PVMNG__ROUTE_INFO_REQUEST__INIT;
  pvmw_frame *f;
  if (ask_state.info != 0)
    return;
  c.req_id = LPVM_REQ_ROUTE_INFO;
  c.body_case = PVMNG__CONTROL__BODY_ROUTE_INFO;
  c.route_info = &q;
  if ((f = pvmw_control_frame(&c)) == NULL) {
    ask_state.info = PvmNoMem;
    return;
  }
  ask_state.info = 1;
  lpvm_daemon_put(f->raw, f->raw_len, f);
}

void lpvm_route_info_reply(Pvmng__Control *c) {
  Pvmng__RouteInfoReply *r = c->route_info_reply;
  const char *dir = getenv("PVM_CERTDIR");
  if (ask_state.info != 1) {
    pvmng__control__free_unpacked(c, NULL);
    return;
  }
  if (c->body_case != PVMNG__CONTROL__BODY_ROUTE_INFO_REPLY) {
    fprintf(stderr,
            "libpvm [t%x]: no direct links between hosts: the daemon does "
            "not answer route information requests\n",
            (unsigned)lpvm_conn.mytid);
    pvmng__control__free_unpacked(c, NULL);
    ask_state.info = PvmSysErr;
    answer_asks();
    return;
  }
  if (dir == NULL || *dir == '\0')
    dir = r->certdir;
  if (r->code != 0 || !pvmw_pki_name_ok(r->cert_name) ||
      strlen(r->addr) >= sizeof(ask_state.addr) || r->addr[0] == '\0' ||
      strlen(dir) >= sizeof(ask_state.certdir) - PVMW_PKI_NAME_MAX - 8) {
    fprintf(stderr,
            "libpvm [t%x]: no direct links between hosts: the daemon gave no "
            "usable address or certificate name (%s)\n",
            (unsigned)lpvm_conn.mytid,
            r->reason[0] ? r->reason : "no reason given");
    ask_state.info = r->code < 0 ? r->code : PvmSysErr;
  } else {
    strcpy(ask_state.certdir, dir);
    strcpy(ask_state.cert_name, r->cert_name);
    strcpy(ask_state.addr, r->addr);
    ask_state.info = 2;
  }
  pvmng__control__free_unpacked(c, NULL);
  answer_asks();
}

/* ---- TLS contexts -------------------------------------------------------- */

pvmw_tls_ctx *lpvm_ask_tls_ctx(int server) {
  pvmw_tls_ctx **cp = server ? &ask_state.tls_srv : &ask_state.tls_cli;
  char ca[PATH_MAX + 16], cert[PATH_MAX + 80], key[PATH_MAX + 80], err[512];
  if (*cp != NULL || ask_state.tls_bad || ask_state.info != 2)
    return *cp;
  if (lpvm_tls == NULL) {
    const char *why;
    if ((lpvm_tls = lpvm_tls_api(&why)) == NULL) {
      ask_state.tls_bad = 1;
      fprintf(stderr, "libpvm [t%x]: no direct links between hosts: %s\n",
              (unsigned)lpvm_conn.mytid, why);
      return NULL;
    }
  }
  snprintf(ca, sizeof(ca), "%s/" PVMW_PKI_CA ".pem", ask_state.certdir);
  snprintf(cert, sizeof(cert), "%s/%s.pem", ask_state.certdir,
           ask_state.cert_name);
  snprintf(key, sizeof(key), "%s/%s.key", ask_state.certdir,
           ask_state.cert_name);
  *cp = lpvm_tls->ctx_new(server ? PVMW_TLS_SERVER_NOJOIN : 0, ca, cert, key,
                          err, sizeof(err));
  if (*cp == NULL) {
    ask_state.tls_bad = 1;
    fprintf(stderr,
            "libpvm [t%x]: no direct links between hosts: cannot load the "
            "TLS certificate %s: %s\n",
            (unsigned)lpvm_conn.mytid, cert, err);
  }
  return *cp;
}

/* ---- the listener -------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h) { free(h); }

static void on_tcp_incoming(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  lpvm_link_tls_accept(server, ask_state.tls_srv, GUARD_PENDING);
}

/* Forgets asks whose hello never came. */
static void asks_expire(uint64_t now) {
  struct ask *a, **ap = &ask_state.asks;
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

static void tcp_stop(void) {
  if (ask_state.tcp != NULL)
    uv_close((uv_handle_t *)ask_state.tcp, on_handle_closed);
  if (ask_state.guard != NULL)
    uv_close((uv_handle_t *)ask_state.guard, on_handle_closed);
  ask_state.tcp = NULL;
  ask_state.guard = NULL;
  ask_state.tcp_state = 0;
}

/* Every GUARD_TICK_MS while the listener is open: drops connections that
 * did not authenticate and say hello in time, forgets stale asks, and
 * closes the listener once no ask is left (the next ask opens a new one). */
static void on_guard(uv_timer_t *t) {
  uint64_t now = lpvm_now_ms();
  (void)t;
  lpvm_link_each(&lpvm_link_tls_ops, lpvm_link_tls_guard, now);
  asks_expire(now);
  if (ask_state.asks == NULL && lpvm_link_pending(&lpvm_link_tls_ops) == 0)
    tcp_stop();
}

/* Listens on TCP on the host's address, any port. 0 or a PVM code. */
static int tcp_listen(void) {
  struct sockaddr_in sa;
  struct sockaddr_storage got;
  int len = sizeof(got), r;
  if (ask_state.tcp_state != 0)
    return ask_state.tcp_state > 0 ? 0 : ask_state.tcp_state;
  if (lpvm_ask_tls_ctx(1) == NULL) {
    ask_state.tcp_state = PvmSysErr;
    return ask_state.tcp_state;
  }
  ask_state.tcp_state = PvmSysErr;
  if (uv_ip4_addr(ask_state.addr, 0, &sa) < 0 ||
      (ask_state.tcp = malloc(sizeof(*ask_state.tcp))) == NULL)
    return ask_state.tcp_state;
  uv_tcp_init(lpvm_loop(), ask_state.tcp);
  if ((r = uv_tcp_bind(ask_state.tcp, (struct sockaddr *)&sa, 0)) < 0 ||
      (r = uv_listen((uv_stream_t *)ask_state.tcp, 16, on_tcp_incoming)) < 0 ||
      (r = uv_tcp_getsockname(ask_state.tcp, (struct sockaddr *)&got, &len)) <
          0) {
    fprintf(stderr, "libpvm [t%x]: cannot listen for direct links on %s: %s\n",
            (unsigned)lpvm_conn.mytid, ask_state.addr, uv_strerror(r));
    uv_close((uv_handle_t *)ask_state.tcp, on_handle_closed);
    ask_state.tcp = NULL;
    return ask_state.tcp_state;
  }
  ask_state.tcp_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
  ask_state.tcp_state = 1;
  if ((ask_state.guard = malloc(sizeof(*ask_state.guard))) != NULL) {
    uv_timer_init(lpvm_loop(), ask_state.guard);
    /* Ticks often enough that a connection goes within half the hello
     * time after its own (at most GUARD_TICK_MS late). */
    uint64_t tick = ask_state.hello_ms / 2 < GUARD_TICK_MS
                        ? ask_state.hello_ms / 2
                        : GUARD_TICK_MS;
    uv_timer_start(ask_state.guard, on_guard, tick, tick);
  }
  return 0;
}

/* ---- asks and offers ----------------------------------------------------- */

/* Packs a RouteOffer as the body of a system message. Returns its length
 * (at most cap) or 0. */
static size_t pack_offer(const Pvmng__RouteOffer *o, uint8_t *out, size_t cap) {
  size_t n = pvmng__route_offer__get_packed_size(o);
  return n <= cap ? pvmng__route_offer__pack(o, out) : 0;
}

/* Answers the asks that can be answered now: with an offer once the
 * listener is up, with a refusal when we take no links or cannot. */
static void answer_asks(void) {
  struct ask **ap = &ask_state.asks;
  while (*ap != NULL) {
    struct ask *a = *ap;
    Pvmng__RouteOffer o = PVMNG__ROUTE_OFFER__INIT;
    uint8_t body[256];
    size_t n;
    if (a->answered) {
      ap = &a->next;
      continue;
    }
    if (lpvm_opts.route == PvmDontRoute || ask_state.env_bad)
      o.code = PvmDenied;
    else if (ask_state.info == 1)
      return; /* the daemon has not answered yet */
    else if (ask_state.info < 0)
      o.code = ask_state.info;
    else
      o.code = tcp_listen();
    o.nonce = a->nonce;
    o.cert_name = ask_state.info == 2 ? ask_state.cert_name : "";
    o.addr = o.code == 0 ? ask_state.addr : "";
    o.port = o.code == 0 ? ask_state.tcp_port : 0;
    if ((n = pack_offer(&o, body, sizeof(body))) > 0)
      lpvm_send_sys_async(a->tid, LPVM_TAG_ROUTE_OFFER, body, n);
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
  uint64_t now = lpvm_now_ms();
  struct ask *a;
  asks_expire(now);
  if (o->nonce == 0 || !pvmw_pki_name_ok(o->cert_name) ||
      (a = calloc(1, sizeof(*a))) == NULL)
    return;
  a->tid = src;
  a->nonce = o->nonce;
  a->expires = now + ASK_TTL_MS;
  strcpy(a->cert_name, o->cert_name);
  a->next = ask_state.asks;
  ask_state.asks = a;
  if (lpvm_opts.route != PvmDontRoute)
    info_request();
  answer_asks();
}

/* The offer that answers our ask. */
static void on_offer(int src, const Pvmng__RouteOffer *r) {
  struct lpvm_offer *o = ask_state.offers;
  while (o != NULL && (o->tid != src || o->nonce != r->nonce))
    o = o->next;
  if (o == NULL || o->done)
    return;
  o->done = 1;
  o->code = r->code < 0 ? r->code : 0;
  if (o->code == 0 &&
      (r->port == 0 || r->port > 65535 || strlen(r->addr) >= sizeof(o->addr) ||
       !pvmw_pki_name_ok(r->cert_name)))
    o->code = PvmBadMsg;
  if (o->code == 0) {
    strcpy(o->addr, r->addr);
    strcpy(o->name, r->cert_name);
    o->port = r->port;
  }
}

void lpvm_ask_message(int src, int tag, pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  Pvmng__RouteOffer *o = NULL;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) == 0 &&
      pvmw_tid_is_task(src))
    o = pvmng__route_offer__unpack(NULL, blen, body);
  pvmw_frame_free(f);
  if (o == NULL)
    return;
  if (tag == LPVM_TAG_ROUTE_ASK)
    on_ask(src, o);
  else
    on_offer(src, o);
  pvmng__route_offer__free_unpacked(o, NULL);
}

/* Takes o out of the list of offers awaited. */
static void offer_forget(struct lpvm_offer *o) {
  for (struct lpvm_offer **op = &ask_state.offers; *op != NULL;
       op = &(*op)->next)
    if (*op == o) {
      *op = o->next;
      return;
    }
}

int lpvm_ask_offer(struct lpvm_offer *o, int tid, uint64_t nonce,
                   uint64_t deadline, int *final) {
  Pvmng__RouteOffer ask = PVMNG__ROUTE_OFFER__INIT;
  uint8_t body[256];
  size_t n;
  if (ask_state.env_bad)
    return -1; /* said at the start */
  info_request();
  while (ask_state.info == 1 && lpvm_pump_before(deadline) == 0)
    ;
  if (ask_state.info != 2 || lpvm_ask_tls_ctx(0) == NULL) {
    *final = 1; /* nothing to retry with */
    return -1;
  }
  memset(o, 0, sizeof(*o));
  o->tid = tid;
  o->nonce = nonce;
  ask.nonce = nonce;
  ask.cert_name = ask_state.cert_name;
  if ((n = pack_offer(&ask, body, sizeof(body))) == 0)
    return -1;
  /* Awaited before the ask leaves: the send pumps the loop. */
  o->next = ask_state.offers;
  ask_state.offers = o;
  if (lpvm_send_via_daemon(tid, LPVM_TAG_ROUTE_ASK, LPVM_SYSCTX, body, n) < 0) {
    offer_forget(o);
    return -1;
  }
  while (!o->done && lpvm_pump_before(deadline) == 0)
    ;
  offer_forget(o);
  return o->done ? 0 : -1;
}

/* ---- the acceptor's checks ----------------------------------------------- */

const char *lpvm_ask_take(int tid, uint64_t nonce, const char *cert) {
  struct ask **ap = &ask_state.asks, *a;
  while (*ap != NULL && ((*ap)->tid != tid || (*ap)->nonce != nonce))
    ap = &(*ap)->next;
  if (*ap == NULL)
    return "link hello without an ask through the daemons";
  if (strcasecmp(cert, (*ap)->cert_name) != 0)
    return "link hello from a host other than the asker's";
  a = *ap;
  *ap = a->next;
  free(a);
  return NULL;
}

void lpvm_ask_listen_stop(void) { tcp_stop(); }

uint64_t lpvm_ask_hello_ms(void) { return ask_state.hello_ms; }

int lpvm_ask_env_bad(void) { return ask_state.env_bad; }

/* ---- record protection --------------------------------------------------- */

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

int lpvm_ask_bulk_accepts(int out[2]) {
  static int ocb_ok = -1;
  if (ocb_ok < 0)
    ocb_ok = lpvm_tls->bulk_has(PVMW_BULK_OCB);
  return lpvm_bulk_accepts(ask_state.bulk_env, ocb_ok, out);
}

int lpvm_ask_bulk_offered(int aead) {
  int acc[2], n = lpvm_ask_bulk_accepts(acc);
  for (int i = 0; i < n; i++)
    if (acc[i] == aead)
      return 1;
  return 0;
}

/* ---- starting and stopping ----------------------------------------------- */

void lpvm_ask_start(void) {
  const char *fp = getenv("PVMNG_LINK_HELLO_MS");
  ask_state.hello_ms = GUARD_HELLO_MS;
  if (fp != NULL && *fp != '\0') {
    char *end;
    long v = strtol(fp, &end, 10);
    if (*end != '\0')
      fprintf(stderr,
              "libpvm: PVMNG_LINK_HELLO_MS=\"%s\" is not a number of "
              "milliseconds: using %d\n",
              fp, GUARD_HELLO_MS);
    else
      ask_state.hello_ms = v < GUARD_HELLO_MIN   ? GUARD_HELLO_MIN
                           : v > GUARD_HELLO_MAX ? GUARD_HELLO_MAX
                                                 : (uint64_t)v;
  }
  fp = getenv("PVMNG_BULK_AEAD");
  ask_state.bulk_env = NULL;
  ask_state.env_bad = 0;
  if (fp != NULL && *fp != '\0') {
    int acc[2];
    if (lpvm_bulk_accepts(fp, 1, acc) < 0) {
      fprintf(stderr,
              "libpvm: PVMNG_BULK_AEAD=\"%s\" is neither ocb nor gcm: no "
              "direct links to tasks of other hosts (their messages go "
              "through the daemons); set it to gcm or ocb, or unset it\n",
              fp);
      ask_state.env_bad = 1;
    } else {
      ask_state.bulk_env = strcasecmp(fp, "gcm") == 0 ? "gcm" : "ocb";
    }
  }
}

void lpvm_ask_stop(void) {
  tcp_stop();
  while (ask_state.asks != NULL) {
    struct ask *a = ask_state.asks;
    ask_state.asks = a->next;
    free(a);
  }
  /* Links still closing hold their own references to the contexts. */
  if (lpvm_tls != NULL) {
    lpvm_tls->ctx_free(ask_state.tls_srv);
    lpvm_tls->ctx_free(ask_state.tls_cli);
  }
  ask_state.tls_srv = ask_state.tls_cli = NULL;
  ask_state.tls_bad = 0;
  ask_state.info = 0;
}
