/* The Unix-socket transport of direct links, between two tasks of one host.
 * Every task that allows direct routes listens on a socket beside its
 * daemon's, named for its tid (the directory is the user's private runtime
 * directory; the peer's uid is checked as well). The opener connects, says
 * hello (a Hello with both tids' VM and the link's nonce), and the frames
 * flow as they are, with nothing around them: the kernel keeps them
 * private and in order. The opener offers a shared-memory segment in its
 * hello; when the acceptor maps it, both ends switch the link to the
 * shared-memory transport (link_shm_ops.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "link_shm_ops.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "rundir.h"
#include "tid.h"

static struct {
  uv_pipe_t *listener; /* allocated: a closing one may outlive a new one */
  int listening;
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} unix_listen;

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

/* ---- reading and writing ------------------------------------------------- */

static void on_unix_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
  char *base;
  size_t len;
  (void)sz;
  lpvm_link_space(h->data, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

static void on_unix_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct lpvm_link *l = s->data;
  (void)buf;
  if (n < 0)
    lpvm_link_ended(l, n);
  else if (n > 0)
    lpvm_link_input(l, (size_t)n);
}

static void unix_read_start(struct lpvm_link *l) {
  if (uv_read_start(&l->io.stream, on_unix_alloc, on_unix_read) == 0)
    l->reading = 1;
}

static void unix_read_stop(struct lpvm_link *l) {
  uv_read_stop(&l->io.stream);
  l->reading = 0;
}

static void unix_drain(struct lpvm_link *l) {
  lpvm_stream_drain(l, on_unix_alloc, on_unix_read);
}

static int unix_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n) {
  return l->closing ? PvmSysErr : lpvm_write_all(&l->io.stream, bufs, n);
}

static void unix_send_async(struct lpvm_link *l, pvmw_frame *f) {
  lpvm_stream_send_async(&l->io.stream, f);
}

static void on_unix_closed(uv_handle_t *h) { lpvm_link_closed(h->data); }

static void unix_close(struct lpvm_link *l) {
  uv_close(&l->io.handle, on_unix_closed);
}

/* ---- opening ------------------------------------------------------------- */

static void unix_init(struct lpvm_link *l) {
  uv_pipe_init(lpvm_loop(), &l->io.pipe, 0);
  l->io.handle.data = l;
}

/* The opening hello (a Control frame), with a segment offered; NULL when
 * it cannot be made. Owned by the caller (pvmw_frame_free). */
static pvmw_frame *hello_frame(struct lpvm_link *l) {
  char err[160];
  Pvmng__Control c = PVMNG__CONTROL__INIT;
  Pvmng__Hello h = PVMNG__HELLO__INIT;

  h.proto_version = PVMW_VERSION;
  h.vmid = (char *)pvmw_vmid(err, sizeof(err));
  h.spawned_tid = (uint32_t)lpvm_conn.mytid;
  h.link_nonce = l->nonce;
  h.pid = (int32_t)getpid();
  h.name = "";
  h.shm_fd = lpvm_link_shm_offer(l);
  c.req_id = 1;
  c.body_case = PVMNG__CONTROL__BODY_HELLO;
  c.hello = &h;
  if (h.vmid == NULL)
    return NULL;
  return pvmw_control_frame(&c);
}

/* Connects to the peer's socket and says hello. */
static int unix_open(struct lpvm_link *l) {
  char path[sizeof(unix_listen.path)];
  pvmw_frame *f;
  uv_buf_t b;
  int rc;

  if (link_path(lpvm_link_peer_tid(l), path, sizeof(path)) < 0 ||
      lpvm_stream_connect(l, path, NULL, UINT64_MAX) < 0 ||
      !peer_uid_ok(&l->io.stream) || (f = hello_frame(l)) == NULL)
    return -1;
  unix_read_start(l);
  b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
  rc = l->ops->write(l, &b, 1);
  pvmw_frame_free(f);
  return rc < 0 ? -1 : 0;
}

static void on_started(uv_connect_t *req, int status) {
  struct lpvm_link *l = req->data;
  pvmw_frame *f;
  free(req);
  if (l->closing)
    return;
  if (status < 0 || !peer_uid_ok(&l->io.stream)) {
    lpvm_link_close(l, NULL); /* not listening (yet), or not ours */
    return;
  }
  if ((f = hello_frame(l)) == NULL) {
    lpvm_link_close(l, "cannot say hello");
    return;
  }
  unix_read_start(l);
  lpvm_stream_send_async(&l->io.stream, f);
}

/* Connects without waiting; the hello goes once connected. */
static int unix_open_async(struct lpvm_link *l) {
  char path[sizeof(unix_listen.path)];
  uv_connect_t *req;
  if (link_path(lpvm_link_peer_tid(l), path, sizeof(path)) < 0 ||
      (req = malloc(sizeof(*req))) == NULL)
    return -1;
  req->data = l;
  uv_pipe_connect(req, &l->io.pipe, path, on_started);
  return 0;
}

/* An incoming link says who it is. */
static int unix_hello(struct lpvm_link *l, Pvmng__Control *c) {
  Pvmng__Hello *h = c->hello;
  char err[160];
  const char *vmid;
  int tid;

  if (c->body_case != PVMNG__CONTROL__BODY_HELLO)
    return -1;
  vmid = pvmw_vmid(err, sizeof(err));
  tid = (int)h->spawned_tid;
  if (h->proto_version != PVMW_VERSION || vmid == NULL ||
      strcmp(h->vmid, vmid) != 0 || !pvmw_tid_is_task(tid) ||
      tid == lpvm_conn.mytid || h->link_nonce == 0) {
    lpvm_link_answer(l, (int)c->req_id, PvmBadVersion, "bad link hello");
    return -1;
  }
  /* A resource manager's answers go through the daemon (conn.c): a link
   * would hold them behind its marker at the asking task. */
  if (lpvm_conn.is_rm) {
    lpvm_link_answer(l, (int)c->req_id, PvmDenied,
                     "a resource manager takes no links");
    return -1;
  }
  lpvm_link_shm_attach(l, h->shm_fd);
  if (lpvm_link_accept(l, (int)c->req_id, tid, h->link_nonce) < 0)
    return -1;
  /* Our answer went on the socket; everything after it on the rings. */
  lpvm_link_shm_answered(l, 1);
  return 0;
}

/* The opener reads the answer: the rings from now on, or the socket. */
static void unix_answered(struct lpvm_link *l, const Pvmng__HelloReply *r) {
  lpvm_link_shm_answered(l, l->answer == 1 && r->shm);
}

static void unix_fill_reply(struct lpvm_link *l, Pvmng__HelloReply *r) {
  r->shm = r->code == 0 && ((struct lpvm_local_link *)l)->shm != NULL;
}

static void on_incoming(uv_stream_t *server, int status) {
  struct lpvm_link *l;
  if (status < 0 || (l = lpvm_link_new(&lpvm_link_unix_ops, 1)) == NULL)
    return;
  if (uv_accept(server, &l->io.stream) < 0 || !peer_uid_ok(&l->io.stream)) {
    lpvm_link_close(l, "refused a link from another user");
    return;
  }
  unix_read_start(l);
}

static void on_listener_closed(uv_handle_t *h) { free(h); }

static void listen_start(void) {
  if (unix_listen.listening || lpvm_conn.state != LPVM_UP)
    return;
  if (link_path(lpvm_conn.mytid, unix_listen.path, sizeof(unix_listen.path)) <
      0)
    return;                 /* path too long: this task simply takes no links */
  unlink(unix_listen.path); /* a stale socket of an earlier task with our tid */
  if ((unix_listen.listener = malloc(sizeof(*unix_listen.listener))) == NULL)
    return;
  uv_pipe_init(lpvm_loop(), unix_listen.listener, 0);
  if (uv_pipe_bind(unix_listen.listener, unix_listen.path) < 0 ||
      uv_listen((uv_stream_t *)unix_listen.listener, 16, on_incoming) < 0) {
    uv_close((uv_handle_t *)unix_listen.listener, on_listener_closed);
    unix_listen.listener = NULL;
    return;
  }
  chmod(unix_listen.path, 0600);
  unix_listen.listening = 1;
}

static void listen_stop(void) {
  if (!unix_listen.listening)
    return;
  uv_close((uv_handle_t *)unix_listen.listener, on_listener_closed);
  unix_listen.listener = NULL;
  unlink(unix_listen.path);
  unix_listen.listening = 0;
}

void lpvm_link_unix_listen(int on) {
  if (on)
    listen_start();
  else
    listen_stop();
}

const struct lpvm_link_ops lpvm_link_unix_ops = {
    .name = "unix",
    .kind = LPVM_LINK_LOCAL,
    .via = PVMNG_VIA_SOCKET,
    .size = sizeof(struct lpvm_local_link),
    .init = unix_init,
    .open = unix_open,
    .open_async = unix_open_async,
    .hello = unix_hello,
    .answered = unix_answered,
    .fill_reply = unix_fill_reply,
    .read_start = unix_read_start,
    .read_stop = unix_read_stop,
    .drain = unix_drain,
    .write = unix_write,
    .send_async = unix_send_async,
    .close = unix_close,
    .free = lpvm_link_local_free,
};
