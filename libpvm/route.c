/* Direct routes between tasks on one host. Every task that allows direct
 * routes listens on a Unix socket beside its daemon's (the directory is the
 * user's private runtime directory; the peer's uid is checked as well).
 * A task that asks for direct routes (PvmRouteDirect) connects to the
 * destination the first time it sends to it, says hello, and on acceptance
 * sends a route marker through the daemon before its first message on the
 * link; the acceptor does the same in the other direction.
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
 * the link opened by the lower tid wins. A link that fails is not tried
 * again with that peer. */
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "rundir.h"
#include "tid.h"

/* Frames a link may hold before its marker before we stop reading it. */
#define HOLD_MAX (64u << 20)
/* How long a task waits for a peer to answer its link hello. */
#define HELLO_WAIT_MS 2000
/* Attempts to open a link to a peer that is not listening (yet), and the
 * pause between them (growing linearly). */
#define MAX_ATTEMPTS 5
#define RETRY_MS 100

struct held {
  struct held *next;
  pvmw_frame *f;
};

struct heldq {
  struct held *head, *tail;
  size_t bytes;
};

struct peer;

struct link {
  uv_pipe_t pipe; /* pipe.data = this link */
  struct link *next;
  struct peer *peer; /* NULL until an incoming link's hello */
  pvmw_reader rd;
  int rd_ready;
  int incoming;
  int connected;     /* outgoing: connect finished (1) or failed (<0) */
  int answer;        /* outgoing: 1 accepted, <0 refused, 0 waiting */
  uint64_t nonce; /* names the link in route markers (never 0) */
  int closing;
  int closed;  /* its close callback has run */
  int holds;   /* link_open is waiting on it: free after the close then */
  int reading;
};

struct peer {
  struct peer *next;
  int tid;
  struct link *link;   /* the established link, or NULL */
  struct link *trying; /* our own attempt in progress */
  int failed;          /* a link with this peer broke: never again */
  int attempts;        /* our failed attempts to open a link */
  uint64_t next_try;   /* loop time (ms) before which we do not retry */
  int sending;         /* we have sent our marker: we send on the link */
  uint64_t marker;     /* nonce named by the peer's last route marker */
  uint64_t held_nonce; /* the link that link_held's frames came from */
  struct heldq link_held;   /* link frames waiting for the marker */
  struct heldq daemon_held; /* daemon frames waiting for the link's end */
};

static struct {
  uv_pipe_t *listener; /* allocated: a closing one may outlive a new one */
  int listening;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  struct link *links;
  struct peer *peers;
  int nlinks;
} R;

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

/* The socket a task listens on: beside its daemon's, named for the tid. */
static int link_path(int tid, char *out, size_t len) {
  const char *d = lpvm_daemon_socket();
  size_t n = strlen(d);
  if (n > 5 && strcmp(d + n - 5, ".sock") == 0)
    n -= 5;
  return snprintf(out, len, "%.*s.t%x", (int)n, d, (unsigned)tid) <
                 (int)len
             ? 0
             : -1;
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

static void link_resume(struct link *l);
static void send_async(uv_stream_t *s, pvmw_frame *f);

/* ---- closing -------------------------------------------------------------- */

static void link_free(struct link *l) {
  if (l->rd_ready)
    pvmw_reader_free(&l->rd);
  free(l);
}

static void on_link_closed(uv_handle_t *h) {
  struct link *l = h->data;
  l->closed = 1;
  if (l->holds == 0)
    link_free(l);
}

static void release_daemon_held(struct peer *p);

/* Whether daemon frames from p must wait: the link its last marker named
 * is open here (or is our own attempt still waiting for its answer). */
static int holding_daemon(const struct peer *p) {
  if (p->marker == 0)
    return 0;
  return (p->link != NULL && !p->link->closing && p->link->nonce == p->marker) ||
         (p->trying != NULL && !p->trying->closing &&
          p->trying->nonce == p->marker);
}

/* Closes a link; what it delivered stays delivered. */
static void link_close(struct link *l, const char *why) {
  struct peer *p = l->peer;
  if (l->closing)
    return;
  l->closing = 1;
  if (lpvm_opts.debugmask && why != NULL)
    fprintf(stderr, "libpvm [t%x]: direct link to t%x closed: %s\n",
            (unsigned)lpvm_conn.mytid, p ? (unsigned)p->tid : 0u, why);
  for (struct link **lp = &R.links; *lp != NULL; lp = &(*lp)->next)
    if (*lp == l) {
      *lp = l->next;
      break;
    }
  R.nlinks--;
  if (p != NULL) {
    if (p->trying == l)
      p->trying = NULL;
    if (p->link == l) {
      p->link = NULL;
      p->sending = 0;
      p->failed = 1;
      lpvm_drop_partial(p->tid, p->tid);
      if (lpvm_conn.state == LPVM_UP)
        lpvm_notify_route(PvmRouteDelete, p->tid);
    }
    if (!holding_daemon(p))
      release_daemon_held(p);
  }
  uv_close((uv_handle_t *)&l->pipe, on_link_closed);
}

/* ---- receiving ------------------------------------------------------------- */

static void replay_link_held(struct peer *p) {
  pvmw_frame *f;
  while ((f = heldq_pop(&p->link_held)) != NULL) {
    if (lpvm_message_frame(f, p->tid) < 0 && p->link != NULL) {
      link_close(p->link, "malformed message");
      heldq_clear(&p->link_held);
      return;
    }
  }
  if (p->link != NULL && !p->link->reading && !p->link->closing)
    link_resume(p->link);
}

static void release_daemon_held(struct peer *p) {
  pvmw_frame *f;
  while ((f = heldq_pop(&p->daemon_held)) != NULL)
    lpvm_message_frame(f, LPVM_VIA_REPLAY);
}

static void answer_hello(struct link *l, int req_id, int code,
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
  if ((f = pvmw_control_frame(&c)) != NULL)
    send_async((uv_stream_t *)&l->pipe, f);
}

/* An incoming link says who it is. */
static int on_link_hello(struct link *l, Pvmng__Control *c) {
  Pvmng__Hello *h = c->hello;
  char err[160];
  const char *vmid = pvmw_vmid(err, sizeof(err));
  int tid = (int)h->spawned_tid;
  struct peer *p;

  if (h->proto_version != PVMW_VERSION || vmid == NULL ||
      strcmp(h->vmid, vmid) != 0 || !pvmw_tid_is_task(tid) ||
      tid == lpvm_conn.mytid || h->link_nonce == 0) {
    answer_hello(l, (int)c->req_id, PvmBadVersion, "bad link hello");
    return -1;
  }
  if (lpvm_opts.route == PvmDontRoute) {
    answer_hello(l, (int)c->req_id, PvmDenied, "direct routes refused");
    return -1;
  }
  if ((p = get_peer(tid)) == NULL)
    return -1;
  if (p->link != NULL || p->failed ||
      (p->trying != NULL && lpvm_conn.mytid < tid)) {
    /* One link per pair: ours wins when our tid is lower. */
    answer_hello(l, (int)c->req_id, PvmExists, "a link exists");
    return -1;
  }
  l->peer = p;
  l->nonce = h->link_nonce;
  p->link = l;
  answer_hello(l, (int)c->req_id, 0, NULL);
  lpvm_notify_route(PvmRouteAdd, tid);
  /* We send on the link only once the opener's marker for it has come
   * through the daemon: then the opener is committed to the link (it gives
   * up only while waiting for this answer), and nothing we write can be
   * left unread in a link it abandoned. */
  return 0;
}

static int on_link_frame(void *ctx, pvmw_frame *f) {
  struct link *l = ctx;
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
    if (l->incoming && l->peer == NULL &&
        c->body_case == PVMNG__CONTROL__BODY_HELLO) {
      bad = on_link_hello(l, c) < 0;
    } else if (!l->incoming && l->answer == 0 &&
               c->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY) {
      l->answer = c->hello_reply->code == 0 &&
                          (int)c->hello_reply->tid == l->peer->tid
                      ? 1
                      : (c->hello_reply->code < 0 ? c->hello_reply->code
                                                  : PvmSysErr);
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
  struct peer *p = l->peer;
  if (p->marker != l->nonce) {
    p->held_nonce = l->nonce;
    heldq_push(&p->link_held, f);
    if (p->link_held.bytes > HOLD_MAX && l->reading) {
      uv_read_stop((uv_stream_t *)&l->pipe);
      l->reading = 0;
    }
    return 0;
  }
  if (lpvm_message_frame(f, p->tid) < 0) {
    link_close(l, "malformed message");
    return 1;
  }
  return 0;
}

static void on_link_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
  struct link *l = h->data;
  char *base;
  size_t len;
  (void)sz;
  pvmw_reader_space(&l->rd, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

static void on_link_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct link *l = s->data;
  (void)buf;
  if (n < 0) {
    link_close(l, n == UV_EOF ? "peer closed the link" : uv_strerror((int)n));
    return;
  }
  if (n > 0 && pvmw_reader_commit(&l->rd, (size_t)n, on_link_frame, l) < 0)
    link_close(l, l->rd.err);
}

static void link_resume(struct link *l) {
  if (uv_read_start((uv_stream_t *)&l->pipe, on_link_alloc, on_link_read) ==
      0)
    l->reading = 1;
}

/* ---- writing from callbacks ------------------------------------------------ */

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

/* ---- links ----------------------------------------------------------------- */

/* A link nonce: random, never 0. */
static uint64_t new_nonce(void) {
  static uint64_t seq;
  uint64_t n = 0;
  if (getrandom(&n, sizeof(n), 0) != (ssize_t)sizeof(n))
    n = ((uint64_t)getpid() << 32) ^ (uint64_t)uv_hrtime();
  n ^= ++seq;
  return n ? n : 1;
}

static struct link *link_new(int incoming) {
  struct link *l = calloc(1, sizeof(*l));
  if (l == NULL)
    return NULL;
  if (pvmw_reader_init(&l->rd, PVMW_MAX_FRAME) < 0) {
    free(l);
    return NULL;
  }
  l->rd_ready = 1;
  l->incoming = incoming;
  uv_pipe_init(lpvm_loop(), &l->pipe, 0);
  l->pipe.data = l;
  l->next = R.links;
  R.links = l;
  R.nlinks++;
  return l;
}

static void on_incoming(uv_stream_t *server, int status) {
  struct link *l;
  if (status < 0 || (l = link_new(1)) == NULL)
    return;
  if (uv_accept(server, (uv_stream_t *)&l->pipe) < 0 ||
      !peer_uid_ok((uv_stream_t *)&l->pipe)) {
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
    return; /* path too long: this task simply takes no links */
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

static void listen_stop(void) {
  if (!R.listening)
    return;
  uv_close((uv_handle_t *)R.listener, on_listener_closed);
  R.listener = NULL;
  unlink(R.path);
  R.listening = 0;
}

void lpvm_route_start(void) {
  const char *fp = getenv("PVMNG_FAILPOINT_LINK_BREAK");
  failpoint_break = (fp != NULL && atol(fp) > 0) ? atol(fp) : -1;
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
  while (R.links != NULL) {
    struct link *l = R.links;
    if (l->peer != NULL)
      l->peer->failed = 1;
    link_close(l, NULL);
  }
  while (R.peers != NULL) {
    struct peer *p = R.peers;
    R.peers = p->next;
    heldq_clear(&p->link_held);
    heldq_clear(&p->daemon_held);
    free(p);
  }
}

int lpvm_route_count(void) { return R.nlinks; }

static void on_link_connected(uv_connect_t *req, int status) {
  struct link *l = req->data;
  l->connected = status == 0 ? 1 : (status < 0 ? status : -1);
  free(req);
}

/* Opens a link to p (blocking, bounded). Returns the link or NULL. */
static struct link *link_open(struct peer *p) {
  char path[sizeof(R.path)];
  struct link *l;
  uv_connect_t *req;
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__Hello h = PVMNG__HELLO__INIT;
  char err[160];
  pvmw_frame *f;
  uv_buf_t b;
  int rc;

  if (link_path(p->tid, path, sizeof(path)) < 0 ||
      (l = link_new(0)) == NULL)
    return NULL;
  if ((req = malloc(sizeof(*req))) == NULL) {
    link_close(l, NULL);
    return NULL;
  }
  l->peer = p;
  l->nonce = new_nonce();
  l->holds = 1; /* the pumps below may close it under us */
  p->trying = l;
  req->data = l;
  uv_pipe_connect(req, &l->pipe, path, on_link_connected);
  while (l->connected == 0 && lpvm_conn.state == LPVM_UP)
    lpvm_pump(-1);
  if (l->connected < 0 || !peer_uid_ok((uv_stream_t *)&l->pipe))
    goto fail;

  h.proto_version = PVMW_VERSION;
  h.vmid = (char *)pvmw_vmid(err, sizeof(err));
  h.spawned_tid = (uint32_t)lpvm_conn.mytid;
  h.link_nonce = l->nonce;
  h.pid = (int32_t)getpid();
  h.name = "";
  c.req_id = 1;
  c.body_case = PVMNG__CONTROL__BODY_HELLO;
  c.hello = &h;
  if (h.vmid == NULL || (f = pvmw_control_frame(&c)) == NULL)
    goto fail;
  b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  link_resume(l);
  rc = lpvm_write_all((uv_stream_t *)&l->pipe, &b, 1);
  pvmw_frame_free(f);
  if (rc < 0)
    goto fail;
  /* The peer answers when it next enters the library; wait, bounded in
   * time (not in loop turns: other traffic keeps the loop busy). */
  uv_update_time(lpvm_loop());
  uint64_t deadline = uv_now(lpvm_loop()) + HELLO_WAIT_MS;
  while (l->answer == 0 && !l->closing && lpvm_conn.state == LPVM_UP) {
    uv_update_time(lpvm_loop());
    uint64_t now = uv_now(lpvm_loop());
    if (now >= deadline)
      break;
    lpvm_pump((int)(deadline - now));
  }
  if (l->answer != 1 || l->closing)
    goto fail;
  p->trying = NULL;
  p->link = l;
  l->holds = 0;
  lpvm_notify_route(PvmRouteAdd, p->tid);
  return l;
fail:
  if (p->trying == l)
    p->trying = NULL;
  if (l->answer == PvmDenied) /* the peer chose PvmDontRoute: final */
    p->attempts = MAX_ATTEMPTS;
  link_close(l, NULL);
  l->holds = 0;
  if (l->closed)
    link_free(l);
  /* A marker the peer sent for this link (it accepted after we gave up)
   * must not hold its daemon traffic: the link is gone here. */
  if (!holding_daemon(p))
    release_daemon_held(p);
  return NULL;
}


static int failpoint_hit(void) {
  if (failpoint_break < 0)
    return 0;
  return --failpoint_break == 0;
}

uv_stream_t *lpvm_route_for(int dst) {
  struct peer *p = find_peer(dst);

  if (p != NULL && p->link != NULL && p->sending && !p->link->closing) {
    if (failpoint_hit()) {
      link_close(p->link, "failpoint");
      return NULL;
    }
    return (uv_stream_t *)&p->link->pipe;
  }
  if (lpvm_opts.route != PvmRouteDirect || lpvm_conn.state != LPVM_UP ||
      dst == lpvm_conn.mytid || !pvmw_tid_is_task(dst) ||
      pvmw_tid_daemon(dst) != lpvm_conn.dtid)
    return NULL;
  /* A link we accepted is used once its opener's marker has come; until
   * then, and while our own attempt is out, the daemon route serves. */
  if (p != NULL && (p->link != NULL || p->failed || p->trying != NULL ||
                    p->attempts >= MAX_ATTEMPTS ||
                    uv_now(lpvm_loop()) < p->next_try))
    return NULL;
  if (p == NULL && (p = get_peer(dst)) == NULL)
    return NULL;
  if (link_open(p) == NULL) {
    /* Refused because the peer's own link won the race: use that one. */
    if (p->link != NULL && p->sending && !p->link->closing)
      return (uv_stream_t *)&p->link->pipe;
    /* The peer may not be listening yet (just spawned) or may refuse;
     * try again a little later, a few times, then stay on the daemon. */
    p->attempts++;
    uv_update_time(lpvm_loop());
    p->next_try = uv_now(lpvm_loop()) + RETRY_MS * (uint64_t)p->attempts;
    return NULL;
  }
  /* Everything we sent through the daemon is ahead of this marker. */
  if (lpvm_send_via_daemon(dst, LPVM_TAG_ROUTE, LPVM_SYSCTX, &p->link->nonce,
                           sizeof(p->link->nonce)) < 0) {
    link_close(p->link, "cannot send the route marker");
    return NULL;
  }
  p->sending = 1;
  return (uv_stream_t *)&p->link->pipe;
}

void lpvm_route_broken(int dst) {
  struct peer *p = find_peer(dst);
  if (p != NULL && p->link != NULL)
    link_close(p->link, "write failed");
}

/* Queues our route marker for link l through the daemon, from inside a
 * callback (no loop pumping). Returns 0 or -1. */
static int send_marker_async(struct link *l) {
  Pvmng__MsgHeader mh = PVMNG__MSG_HEADER__INIT;
  uint8_t hb[2 + PVMW_MAX_MSGHDR];
  size_t hl;
  pvmw_frame *f;
  mh.src = (uint32_t)lpvm_conn.mytid;
  mh.dst = (uint32_t)l->peer->tid;
  mh.tag = LPVM_TAG_ROUTE;
  mh.ctx = LPVM_SYSCTX;
  mh.encoding = PvmDataRaw;
  mh.flags = PVMW_MF_FIRST | PVMW_MF_LAST;
  mh.total_len = sizeof(l->nonce);
  hl = pvmw_msghdr_encode(&mh, hb);
  if (hl == 0 || (f = pvmw_frame_alloc(PVMW_FT_MESSAGE,
                                       (uint32_t)(hl + sizeof(l->nonce)))) ==
                     NULL)
    return -1;
  memcpy(f->payload, hb, hl);
  memcpy(f->payload + hl, &l->nonce, sizeof(l->nonce));
  send_async(lpvm_daemon_stream(), f);
  return 0;
}

int lpvm_route_daemon_frame(int src, int ctx, int tag, pvmw_frame *f) {
  struct peer *p;
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
        !p->link->closing && !p->sending && send_marker_async(p->link) == 0)
      p->sending = 1;
    if (p->held_nonce == nonce)
      replay_link_held(p);
    if (!holding_daemon(p))
      release_daemon_held(p);
    return 1;
  }
  p = find_peer(src);
  if (p != NULL && holding_daemon(p)) {
    heldq_push(&p->daemon_held, f);
    return 1;
  }
  return 0;
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
