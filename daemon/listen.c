/* The task socket. A connection is accepted only from a process of the
 * daemon's own uid (SO_PEERCRED); it must then say hello with the right
 * protocol version and VM id before anything else. The hello either adopts
 * the entry this daemon made when it spawned the process (matched by the tid
 * it passed in the environment) or makes a new task entry. */
#include "listen.h"
#include "spin.h"

#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "msgroute.h"
#include "pvmd.h"
#include "taskconn.h"
#include "tid.h"

#define HELLO_SWEEP_MS 250

static void sweep_hellos(uv_timer_t *tm) {
  struct pvmd *d = tm->data;
  struct pvmd_list *pos, *tmp;
  uint64_t now = pvmd_now(d);
  int waiting = 0;

  pvmd_list_each_safe(pos, tmp, &d->conns) {
    struct pvmd_conn *c = pvmd_container_of(pos, struct pvmd_conn, node);
    if (c->state != PVMD_CONN_HELLO || c->flush_close)
      continue;
    if (now - c->since >= d->lim.hello_timeout_ms)
      pvmd_conn_reject(c, "no hello within %u ms", d->lim.hello_timeout_ms);
    else
      waiting = 1;
  }
  if (!pvmd_list_empty(&d->mem_waiters)) {
    waiting = 1;
    if (pvmd_mem_may_resume(d) && !pvmd_mem_over(d)) {
      d->mem_wake_at = d->lim.mem_budget / 4 * 3;
      pvmd_waiters_wake(&d->mem_waiters);
    }
  }
  if (!waiting)
    uv_timer_stop(tm);
}

void pvmd_listen_retry_soon(struct pvmd *d) {
  if (d->hello_timer_open && !uv_is_active((uv_handle_t *)&d->hello_timer))
    uv_timer_start(&d->hello_timer, sweep_hellos, HELLO_SWEEP_MS,
                   HELLO_SWEEP_MS);
}

static void on_connection(uv_stream_t *server, int status);

static void on_reject_closed(uv_handle_t *h) {
  struct pvmd *d = h->data;
  d->reject_busy = 0;
  /* libuv stops accepting while a connection waits for uv_accept. */
  if (d->listener_open && d->listener.accepted_fd >= 0)
    on_connection((uv_stream_t *)&d->listener, 0);
}

/* Takes a connection off the listener without a connection object, so a
 * failed allocation costs only that connection. One at a time: libuv holds
 * further connections until this one is closed. */
static void refuse_pending(struct pvmd *d, int code, const char *reason) {
  if (d->reject_busy)
    return;
  uv_pipe_init(&d->loop, &d->reject, 0);
  d->reject.data = d;
  d->reject_busy = 1;
  if (uv_accept((uv_stream_t *)&d->listener, (uv_stream_t *)&d->reject) == 0 &&
      reason != NULL) {
    /* The refusal, in place of the hello's answer: a socket just accepted
     * takes these few bytes at once, or not at all. */
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__HelloReply r = PVMNG__HELLO_REPLY__INIT;
    pvmw_frame *f;
    r.code = code;
    r.reason = (char *)reason;
    r.daemon_tid = (uint32_t)d->tid;
    m.body_case = PVMNG__CONTROL__BODY_HELLO_REPLY;
    m.hello_reply = &r;
    if ((f = pvmw_control_frame(&m)) != NULL) {
      uv_buf_t b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
      (void)uv_try_write((uv_stream_t *)&d->reject, &b, 1);
      pvmw_frame_free(f);
    }
  }
  uv_close((uv_handle_t *)&d->reject, on_reject_closed);
}

static void on_connection(uv_stream_t *server, int status) {
  struct pvmd *d = server->data;
  struct pvmd_conn *c;
  struct ucred cred;
  socklen_t len = sizeof cred;
  uv_os_fd_t fd;
  int rc;

  if (status < 0) {
    d->st.conns_refused++;
    /* Out of descriptors: libuv has already dropped the connection. Say so
     * once until an accept succeeds again. */
    if (!d->emfile_warned)
      pvmd_log("cannot accept a connection: %s (further failures not logged "
               "until one succeeds)",
               uv_strerror(status));
    d->emfile_warned = 1;
    return;
  }
  if (d->listener.accepted_fd >= pvmd_fd_limit(d) - PVMD_FD_RESERVE / 2) {
    /* Half the reserve is left: refuse, one connection at a time (libuv
     * holds the next until this one is closed), so that accepting never
     * fails for want of a descriptor (libuv would then drop connections
     * without a word). */
    char why[160];
    d->st.conns_refused++;
    snprintf(why, sizeof why,
             "the daemon is out of descriptors (limit %d, %d kept in "
             "reserve)",
             d->fd_limit, PVMD_FD_RESERVE);
    if (!d->fd_warned)
      pvmd_log("refusing connections: %s (further refusals not logged "
               "until one is accepted)",
               why);
    d->fd_warned = 1;
    refuse_pending(d, PvmOutOfRes, why);
    return;
  }
  d->fd_warned = 0;
  c = pvmd_conn_new(d);
  if (!c) {
    d->st.conns_refused++;
    pvmd_log("refusing a connection: out of memory");
    refuse_pending(d, PvmNoMem, "the daemon is out of memory");
    return;
  }
  rc = uv_accept(server, (uv_stream_t *)&c->pipe);
  if (rc != 0) {
    d->st.conns_refused++;
    pvmd_log("accept failed: %s", uv_strerror(rc));
    pvmd_conn_close(c);
    return;
  }
  d->emfile_warned = 0;
  d->st.conns_accepted++;
  if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    d->st.conns_refused++;
    pvmd_log("refused connection: cannot read its credentials");
    pvmd_conn_close(c);
    return;
  }
  c->uid = cred.uid;
  c->pid = cred.pid;
  pvmd_conn_set_who(c);
  if (cred.uid != d->uid) {
    d->st.conns_refused++;
    pvmd_log("refused connection from uid %ld (pid %ld)", (long)cred.uid,
             (long)cred.pid);
    pvmd_conn_close(c);
    return;
  }
  if (pvmd_conn_start(c) != 0)
    return;
  if (!uv_is_active((uv_handle_t *)&d->hello_timer))
    uv_timer_start(&d->hello_timer, sweep_hellos, HELLO_SWEEP_MS,
                   HELLO_SWEEP_MS);
}

int pvmd_listen_start(struct pvmd *d) {
  int rc;
  uv_timer_init(&d->loop, &d->hello_timer);
  d->hello_timer.data = d;
  d->hello_timer_open = 1;
  pvmd_spin_init(d);
  uv_pipe_init(&d->loop, &d->listener, 0);
  d->listener.data = d;
  d->listener_open = 1;
  rc = uv_pipe_open(&d->listener, d->listen_fd);
  if (rc != 0) {
    close(d->listen_fd); /* not adopted by the handle */
    return rc;
  }
  rc = uv_listen((uv_stream_t *)&d->listener, SOMAXCONN, on_connection);
  return rc;
}

void pvmd_listen_stop(struct pvmd *d) {
  if (d->listener_open) {
    d->listener_open = 0;
    uv_close((uv_handle_t *)&d->listener, NULL);
  }
  if (d->hello_timer_open) {
    d->hello_timer_open = 0;
    uv_close((uv_handle_t *)&d->hello_timer, NULL);
  }
  pvmd_spin_close(d);
}

void pvmd_hello_refuse(struct pvmd_conn *c, uint32_t req_id, int code,
                       const char *reason) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HelloReply r = PVMNG__HELLO_REPLY__INIT;

  pvmd_log("refusing hello from %s: %s", c->who, reason);
  c->d->st.conns_closed_bad++;
  r.code = code;
  r.reason = (char *)reason;
  r.daemon_tid = (uint32_t)c->d->tid;
  m.req_id = req_id;
  m.body_case = PVMNG__CONTROL__BODY_HELLO_REPLY;
  m.hello_reply = &r;
  pvmd_conn_send_control(c, &m);
  pvmd_conn_close_after_flush(c);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s && s[1] ? s + 1 : path;
}

/* The task entry for a hello: the spawned entry it names, else a new one.
 * Returns NULL with *err set when the table is full. */
static struct pvmd_task *hello_task(struct pvmd_conn *c, const Pvmng__Hello *h,
                                    int *err) {
  struct pvmd *d = c->d;
  struct pvmd_task *t = NULL;

  if (h->spawned_tid != 0) {
    t = pvmd_task_find(&d->tasks, (int)h->spawned_tid);
    if (t && (!t->spawned || t->connected || t->gone)) {
      char tb[16];
      pvmd_debug("%s claims spawned tid %s, which is not waiting for its "
                 "connection: giving it a new tid",
                 c->who, pvmw_tid_str(t->tid, tb, sizeof tb));
      t = NULL;
    }
    if (t && t->by_tasker && t->pid <= 0)
      t->pid = c->pid; /* the tasker started it: its pid is known now */
    else if (t && t->pid != c->pid)
      pvmd_debug("%s connects for spawned pid %ld", c->who, (long)t->pid);
  }
  if (t)
    return t;
  t = pvmd_task_new(&d->tasks, err);
  if (!t)
    return NULL;
  t->pid = c->pid;
  if (h->name[0])
    pvmd_task_set_name(t, base_name(h->name));
  return t;
}

static void hello_accept(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__Hello *h) {
  struct pvmd *d = c->d;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HelloReply r = PVMNG__HELLO_REPLY__INIT;
  struct pvmd_task *t;
  char tb[16];
  int err = 0;

  t = hello_task(c, h, &err);
  if (!t) {
    pvmd_hello_refuse(c, req_id, err,
                      err == PvmOutOfRes ? "task table full" : "out of memory");
    return;
  }
  t->conn = c;
  t->connected = 1;
  t->flags |= PVMD_TF_CONN;
  pvmd_debug("%s connected as %s%s", c->who,
             pvmw_tid_str(t->tid, tb, sizeof tb),
             t->spawned ? " (spawned)" : "");
  c->task = t;
  c->state = PVMD_CONN_TASK;
  pvmd_conn_set_who(c);

  r.code = 0;
  r.tid = (uint32_t)t->tid;
  r.parent_tid = (uint32_t)t->ptid;
  r.daemon_tid = (uint32_t)d->tid;
  r.max_frame = d->lim.max_frame;
  r.max_message = d->lim.max_message;
  r.out_tid = (uint32_t)t->out_tid;
  r.out_code = t->out_code;
  r.out_ctx = t->out_ctx;
  m.req_id = req_id;
  m.body_case = PVMNG__CONTROL__BODY_HELLO_REPLY;
  m.hello_reply = &r;
  if (pvmd_conn_send_control(c, &m) != 0) {
    pvmd_conn_close(c);
    return;
  }
  /* Messages sent to it while it was starting go out now, in order. */
  pvmd_route_flush_held(t);
}

void pvmd_hello(struct pvmd_conn *c, pvmw_frame *f) {
  struct pvmd *d = c->d;
  Pvmng__Control *m;
  const Pvmng__Hello *h;
  char why[256];

  if (f->type != PVMW_FT_CONTROL) {
    pvmw_frame_free(f);
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "message frame before hello");
    return;
  }
  m = pvmw_control_parse(f);
  pvmw_frame_free(f);
  if (!m) {
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "first frame is not a valid control message");
    return;
  }
  if (m->body_case != PVMNG__CONTROL__BODY_HELLO) {
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "first control message is not a hello (body %d)",
                     (int)m->body_case);
    pvmng__control__free_unpacked(m, NULL);
    return;
  }
  h = m->hello;
  if (h->proto_version != PVMW_VERSION) {
    snprintf(why, sizeof why,
             "protocol version %u is not supported (this daemon speaks "
             "version %u)",
             h->proto_version, PVMW_VERSION);
    pvmd_hello_refuse(c, m->req_id, PvmBadVersion, why);
  } else if (strcmp(h->vmid, d->vmid) != 0) {
    snprintf(why, sizeof why,
             "VM id \"%.64s\" does not match this daemon's \"%s\"", h->vmid,
             d->vmid);
    pvmd_hello_refuse(c, m->req_id, PvmDenied, why);
  } else {
    hello_accept(c, m->req_id, h);
  }
  pvmng__control__free_unpacked(m, NULL);
}
