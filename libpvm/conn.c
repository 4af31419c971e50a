/* The task's connection to its local daemon: a Unix stream socket driven by
 * the library's private libuv loop. Nothing runs in the background: every
 * blocking call pumps this loop itself (lpvm_pump). Frames come in through
 * a pvmw_reader: control replies go to the waiting request, message frames
 * to the router first (markers, held frames) and then to the inbox, both
 * through hooks that the session (session.c) sets, so that this bottom
 * layer calls nothing above it. Writes block until the kernel has taken them
 * (lpvm_write_all); frames that the router must send from inside callbacks wait
 * in an outbox while a message to the daemon is being written in pieces. The
 * daemon connection is also a link (link.h) for the send path, which writes a
 * message the same way whether it goes to the daemon or to a peer. */
#include "conn.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "link.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h" /* LPVM_REQ_ROUTE_INFO, LPVM_REQ_RESERVED */
#include "rundir.h"
#include "tid.h"

/* Bytes queued for the daemon's stream while a message to the daemon was
 * being written in pieces (see lpvm_daemon_put). */
struct outbox {
  struct outbox *next;
  size_t len;
  uint8_t *data; /* inside own */
  void *own;     /* malloc'd, freed once written */
};

static struct {
  uv_loop_t loop;
  int loop_ready;
  uv_pipe_t pipe;
  int pipe_open;
  uv_timer_t timer;
  int timer_open;
  pvmw_reader rd;
  int rd_ready;
  int rd_nomem;     /* a frame found no memory: reading stopped, retried */
  pvmw_frame *held; /* a message that found no memory, to deliver first */
  uint32_t next_req;
  uint32_t wait_req;     /* request whose reply we wait for */
  Pvmng__Control *reply; /* its reply, once arrived */
  int writes_pending;    /* uv_write requests not yet completed */
  int write_status;
  int send_err; /* the daemon dropped a message of ours (PVMW_REQ_SEND_ERROR):
                   the next send returns this code, with send_why */
  char send_why[160];
  int busy; /* a message to the daemon is being written in pieces */
  struct outbox *outbox, *outbox_tail;
  char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
} daemon_conn;

/* ---- incoming frames --------------------------------------------------- */

static void lose_link(const char *why);

/* Where the connection hands what it reads (lpvm_daemon_set_hooks). */
static struct lpvm_daemon_hooks daemon_hooks;

/* A message frame from the daemon: the router's (a marker, an ask, a frame
 * held back to keep order), or the inbox's. Returns the inbox's code. */
static int daemon_message(pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) == 0 &&
      (h.encoding == PvmDataDefault || h.encoding == PvmDataRaw) &&
      daemon_hooks.route((int)h.src, h.ctx, h.tag, f))
    return 0;
  return daemon_hooks.deliver(f, 0);
}

static int on_frame(void *ctx, pvmw_frame *f) {
  (void)ctx;
  if (f->type == PVMW_FT_MESSAGE) {
    int rc = daemon_message(f);
    if (rc == PvmNoMem) {
      /* Kept, and tried again (retry_nomem) as a frame the routing layer
       * has already seen; reading stops until then. */
      daemon_conn.held = f;
      return 1;
    }
    if (rc < 0) {
      lose_link("malformed message from the daemon");
      return 1;
    }
    return 0;
  }
  Pvmng__Control *c = pvmw_control_parse(f);
  pvmw_frame_free(f);
  if (c == NULL) {
    lose_link("malformed control frame from the daemon");
    return 1;
  }
  if (c->req_id == LPVM_REQ_ROUTE_INFO) {
    daemon_hooks.reply(c); /* takes c */
    return 0;
  }
  if (c->req_id == PVMW_REQ_SEND_ERROR &&
      c->body_case == PVMNG__CONTROL__BODY_STATUS) {
    if (daemon_conn.send_err == 0 && c->status->code < 0) {
      daemon_conn.send_err = c->status->code;
      snprintf(daemon_conn.send_why, sizeof daemon_conn.send_why, "%s",
               c->status->reason);
    }
    pvmng__control__free_unpacked(c, NULL);
    return 0;
  }
  if (daemon_conn.wait_req != 0 && c->req_id == daemon_conn.wait_req &&
      daemon_conn.reply == NULL) {
    daemon_conn.reply = c;
    return 0;
  }
  /* Unsolicited control messages are not defined yet: ignore them. */
  pvmng__control__free_unpacked(c, NULL);
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  char *base;
  size_t len;
  pvmw_reader_space(&daemon_conn.rd, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)s;
  (void)buf;
  if (n < 0) {
    lose_link(n == UV_EOF ? "the daemon closed the connection"
                          : uv_strerror((int)n));
    return;
  }
  if (n == 0)
    return;
  int rc = pvmw_reader_commit(&daemon_conn.rd, (size_t)n, on_frame, NULL);
  if (rc == PvmNoMem || (rc > 0 && daemon_conn.held != NULL)) {
    daemon_conn.rd_nomem = 1;
    uv_read_stop((uv_stream_t *)&daemon_conn.pipe);
  } else if (rc < 0) {
    lose_link(daemon_conn.rd.err);
  }
}

/* A frame from the daemon found no memory: its bytes stay in the reader and
 * reading stops; each pump tries again (every NOMEM_RETRY_MS while it
 * waits), so a passing shortage delays the task instead of cutting it off
 * from its daemon. */
#define NOMEM_RETRY_MS 10
static int retry_nomem(void) {
  if (!daemon_conn.rd_nomem || lpvm_conn.state != LPVM_UP)
    return 0;
  if (daemon_conn.held != NULL) {
    int held = daemon_hooks.deliver(daemon_conn.held, LPVM_VIA_REPLAY);
    if (held == PvmNoMem)
      return 0;
    daemon_conn.held = NULL; /* taken (or refused as malformed, and freed) */
    if (held < 0) {
      daemon_conn.rd_nomem = 0;
      lose_link("malformed message from the daemon");
      return 1;
    }
  }
  int rc = pvmw_reader_commit(&daemon_conn.rd, 0, on_frame, NULL);
  if (rc == PvmNoMem || (rc > 0 && daemon_conn.held != NULL))
    return 1; /* progress, but more to retry */
  daemon_conn.rd_nomem = 0;
  if (rc < 0)
    lose_link(daemon_conn.rd.err);
  else if (lpvm_conn.state == LPVM_UP)
    uv_read_start((uv_stream_t *)&daemon_conn.pipe, on_alloc, on_read);
  return 1;
}

static void on_close(uv_handle_t *h) { (void)h; }

static void lose_link(const char *why) {
  if (lpvm_conn.state == LPVM_UP && lpvm_opts.debugmask)
    fprintf(stderr, "libpvm [t%x]: lost the daemon: %s\n",
            (unsigned)lpvm_conn.mytid, why);
  if (lpvm_conn.state == LPVM_UP)
    lpvm_conn.state = LPVM_LOST;
  if (daemon_conn.pipe_open &&
      !uv_is_closing((uv_handle_t *)&daemon_conn.pipe)) {
    uv_read_stop((uv_stream_t *)&daemon_conn.pipe);
    uv_close((uv_handle_t *)&daemon_conn.pipe, on_close);
  }
}

/* ---- pumping the loop -------------------------------------------------- */

static void on_timer(uv_timer_t *t) { (void)t; }

int lpvm_pump(int timeout_ms) {
  /* Frames the retry delivered may be what the caller waits for: it looks
   * before the loop blocks. */
  if (retry_nomem())
    timeout_ms = 0;
  if (lpvm_conn.state != LPVM_UP)
    return PvmSysErr;
  if (daemon_conn.rd_nomem && (timeout_ms < 0 || timeout_ms > NOMEM_RETRY_MS))
    timeout_ms = NOMEM_RETRY_MS;
  /* Transports the loop does not read (shared-memory links) are read
   * here, through the pump hook; before sleeping, each link asks its peer for a
   * wake-up (a byte on its socket). Something there means no sleep. The loop
   * still turns on every poll: a poll (pvm_nrecv, pvm_probe) must see what the
   * daemon has sent too. */
  if (daemon_hooks.pump != NULL && daemon_hooks.pump(timeout_ms != 0) > 0)
    timeout_ms = 0;
  if (timeout_ms == 0) {
    uv_run(&daemon_conn.loop, UV_RUN_NOWAIT);
  } else if (timeout_ms > 0) {
    daemon_hooks.idle(); /* acknowledge before waiting */
    uv_timer_start(&daemon_conn.timer, on_timer, (uint64_t)timeout_ms, 0);
    uv_run(&daemon_conn.loop, UV_RUN_ONCE);
    uv_timer_stop(&daemon_conn.timer);
  } else {
    daemon_hooks.idle(); /* acknowledge before waiting */
    uv_run(&daemon_conn.loop, UV_RUN_ONCE);
  }
  return lpvm_conn.state == LPVM_UP ? 0 : PvmSysErr;
}

/* ---- writing ----------------------------------------------------------- */

/* The write request of last resort: a write blocks until done, so one
 * spare serves when malloc fails (a message must not stop half-written
 * for want of a few bytes); nested writes find it busy. */
static uv_write_t spare_req;
static int spare_busy;

static void on_write(uv_write_t *req, int status) {
  daemon_conn.writes_pending--;
  if (status < 0)
    daemon_conn.write_status = status;
  if (req == &spare_req)
    spare_busy = 0;
  else
    free(req);
}

/* Writes all of bufs[0..n), blocking (pumping the loop, so that incoming
 * data keeps flowing) until the kernel has taken every byte. The caller's
 * memory must stay valid until then, which it does: we return only after. */
int lpvm_write_all(uv_stream_t *s, uv_buf_t *bufs, unsigned n) {
  int r;
  int daemon = s == (uv_stream_t *)&daemon_conn.pipe;
  if (lpvm_conn.state != LPVM_UP || uv_is_closing((uv_handle_t *)s))
    return PvmSysErr;
  r = uv_try_write(s, bufs, n);
  if (r == UV_EAGAIN)
    r = 0;
  if (r < 0) {
    if (daemon)
      lose_link(uv_strerror(r));
    return PvmSysErr;
  }
  size_t done = (size_t)r;
  while (n > 0 && done >= bufs[0].len) {
    done -= bufs[0].len;
    bufs++;
    n--;
  }
  if (n == 0)
    return 0;
  bufs[0].base += done;
  bufs[0].len -= done;
  uv_write_t *req = malloc(sizeof(*req));
  if (req == NULL && !spare_busy) {
    req = &spare_req;
    spare_busy = 1;
  }
  if (req == NULL)
    return PvmNoMem;
  daemon_conn.write_status = 0;
  daemon_conn.writes_pending++;
  r = uv_write(req, s, bufs, n, on_write);
  if (r < 0) {
    daemon_conn.writes_pending--;
    if (req == &spare_req)
      spare_busy = 0;
    else
      free(req);
    if (daemon)
      lose_link(uv_strerror(r));
    return PvmSysErr;
  }
  while (daemon_conn.writes_pending > 0 && lpvm_conn.state == LPVM_UP &&
         daemon_conn.write_status == 0)
    uv_run(&daemon_conn.loop, UV_RUN_ONCE);
  if (daemon_conn.writes_pending > 0) {
    /* The link died under us; let libuv cancel the request. */
    while (daemon_conn.writes_pending > 0)
      uv_run(&daemon_conn.loop, UV_RUN_ONCE);
    return PvmSysErr;
  }
  return daemon_conn.write_status < 0 ? PvmSysErr : 0;
}

static int send_control(Pvmng__Control *c) {
  pvmw_frame *f = pvmw_control_frame(c);
  int rc;
  if (f == NULL)
    return PvmNoMem;
  uv_buf_t b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  rc = lpvm_write_all((uv_stream_t *)&daemon_conn.pipe, &b, 1);
  pvmw_frame_free(f);
  return rc;
}

/* ---- the daemon as a link ---------------------------------------------- */

static int daemon_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n) {
  (void)l;
  return lpvm_write_all((uv_stream_t *)&daemon_conn.pipe, bufs, n);
}

static const struct lpvm_link_ops daemon_ops = {
    .name = "daemon",
    .kind = LPVM_LINK_NONE,
    .size = sizeof(struct lpvm_link),
    .write = daemon_write,
};

static struct lpvm_link daemon_link = {.ops = &daemon_ops};

struct lpvm_link *lpvm_daemon_link(void) {
  return &daemon_link;
}

int lpvm_daemon_send_error(const char **why) {
  int e = daemon_conn.send_err;
  daemon_conn.send_err = 0;
  *why = daemon_conn.send_why;
  return e;
}

uv_loop_t *lpvm_loop(void) { return &daemon_conn.loop; }

uv_stream_t *lpvm_daemon_stream(void) {
  return (uv_stream_t *)&daemon_conn.pipe;
}

const char *lpvm_daemon_socket(void) { return daemon_conn.sock; }

/* ---- frames for the daemon from callbacks ------------------------------ */

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

void lpvm_daemon_put(const uint8_t *data, size_t len, void *own) {
  struct outbox *o;
  if (lpvm_conn.state != LPVM_UP) {
    free(own);
    return;
  }
  if (daemon_conn.outbox == NULL && !daemon_conn.busy) {
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
  if (daemon_conn.outbox_tail != NULL)
    daemon_conn.outbox_tail->next = o;
  else
    daemon_conn.outbox = o;
  daemon_conn.outbox_tail = o;
}

/* Sends what waited in the outbox, now that no message is being written. */
static void outbox_flush(void) {
  while (daemon_conn.outbox != NULL && !daemon_conn.busy) {
    struct outbox *o = daemon_conn.outbox;
    daemon_conn.outbox = o->next;
    if (daemon_conn.outbox == NULL)
      daemon_conn.outbox_tail = NULL;
    if (lpvm_conn.state == LPVM_UP)
      send_bytes_async(lpvm_daemon_stream(), o->data, o->len, o->own);
    else
      free(o->own);
    free(o);
  }
}

void lpvm_daemon_hold(int on) {
  if (on)
    daemon_conn.busy++;
  else if (--daemon_conn.busy == 0)
    outbox_flush();
}

void lpvm_daemon_flush(void) {
  outbox_flush();
  while (lpvm_conn.state == LPVM_UP &&
         uv_stream_get_write_queue_size(lpvm_daemon_stream()) > 0)
    lpvm_pump(-1);
  while (daemon_conn.outbox != NULL) {
    struct outbox *o = daemon_conn.outbox;
    daemon_conn.outbox = o->next;
    free(o->own);
    free(o);
  }
  daemon_conn.outbox_tail = NULL;
}

int lpvm_send_sys_async(int dst, int tag, const void *body, size_t len) {
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
  lpvm_daemon_put(f->raw, f->raw_len, f);
  return 0;
}

/* ---- requests ---------------------------------------------------------- */

int lpvm_request(Pvmng__Control *req, Pvmng__Control **reply) {
  int rc;
  if (lpvm_conn.state != LPVM_UP)
    return PvmSysErr;
  if (++daemon_conn.next_req == 0 || daemon_conn.next_req >= LPVM_REQ_RESERVED)
    daemon_conn.next_req = 1;
  req->req_id = daemon_conn.next_req;
  daemon_conn.wait_req = req->req_id;
  daemon_conn.reply = NULL;
  rc = send_control(req);
  while (rc == 0 && daemon_conn.reply == NULL) {
    if (lpvm_pump(-1) < 0)
      rc = PvmSysErr;
  }
  daemon_conn.wait_req = 0;
  if (rc < 0) {
    if (daemon_conn.reply != NULL)
      pvmng__control__free_unpacked(daemon_conn.reply, NULL);
    daemon_conn.reply = NULL;
    return rc;
  }
  *reply = daemon_conn.reply;
  daemon_conn.reply = NULL;
  return 0;
}

/* ---- connecting -------------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status) {
  *(int *)req->data = status == 0 ? 1 : status;
}

static void close_all(void) {
  if (daemon_conn.pipe_open) {
    if (!uv_is_closing((uv_handle_t *)&daemon_conn.pipe))
      uv_close((uv_handle_t *)&daemon_conn.pipe, on_close);
    daemon_conn.pipe_open = 0;
  }
  if (daemon_conn.timer_open) {
    uv_close((uv_handle_t *)&daemon_conn.timer, on_close);
    daemon_conn.timer_open = 0;
  }
  if (daemon_conn.loop_ready) {
    uv_run(&daemon_conn.loop, UV_RUN_DEFAULT);
    uv_loop_close(&daemon_conn.loop);
    daemon_conn.loop_ready = 0;
  }
  if (daemon_conn.rd_ready) {
    pvmw_reader_free(&daemon_conn.rd);
    daemon_conn.rd_ready = 0;
  }
  daemon_conn.rd_nomem = 0;
  if (daemon_conn.held != NULL) {
    pvmw_frame_free(daemon_conn.held);
    daemon_conn.held = NULL;
  }
}

/* Opens the connection to the daemon's socket at sock (already in
 * lpvm_daemon_socket's buffer): the loop, the reader, the pipe. 0, or
 * PvmNoMem, or the libuv error of the connect (negative). */
int lpvm_daemon_open(void) {
  int done = 0;
  uv_connect_t creq;
  if (uv_loop_init(&daemon_conn.loop) < 0)
    return PvmSysErr;
  daemon_conn.loop_ready = 1;
  uv_timer_init(&daemon_conn.loop, &daemon_conn.timer);
  daemon_conn.timer_open = 1;
  if (pvmw_reader_init(&daemon_conn.rd, PVMW_MAX_FRAME) < 0) {
    close_all();
    return PvmNoMem;
  }
  daemon_conn.rd_ready = 1;
  uv_pipe_init(&daemon_conn.loop, &daemon_conn.pipe, 0);
  daemon_conn.pipe_open = 1;
  creq.data = &done;
  uv_pipe_connect(&creq, &daemon_conn.pipe, daemon_conn.sock, on_connect);
  while (done == 0)
    uv_run(&daemon_conn.loop, UV_RUN_ONCE);
  if (done < 0) {
    close_all();
    return done;
  }
  lpvm_conn.state = LPVM_UP;
  lpvm_conn.max_frame = PVMW_MAX_FRAME;
  lpvm_conn.max_msg = PVMW_MAX_MESSAGE;
  uv_read_start((uv_stream_t *)&daemon_conn.pipe, on_alloc, on_read);
  return 0;
}

void lpvm_daemon_close(void) { close_all(); }

char *lpvm_daemon_sockbuf(size_t *len) {
  *len = sizeof(daemon_conn.sock);
  return daemon_conn.sock;
}

void lpvm_daemon_set_hooks(const struct lpvm_daemon_hooks *h) {
  daemon_hooks = *h;
}

int lpvm_conn_fd(void) {
  uv_os_fd_t fd;
  if (lpvm_conn.state != LPVM_UP ||
      uv_fileno((uv_handle_t *)&daemon_conn.pipe, &fd) < 0)
    return -1;
  return fd;
}
