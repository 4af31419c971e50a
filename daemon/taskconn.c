/* Task connections: reading frames, queued writes and their backpressure.
 * A connection is freed only in its close callback, after libuv has
 * cancelled its pending writes, so every pointer to it stays valid until
 * then; code that must not use a closing connection checks its state.
 * A connection is never given up while the peer's bytes may still be in
 * the socket: after a failed write, or when the task's process has exited,
 * it is read to its end first (a dead process wrote everything it ever
 * will before the daemon learns of its exit, so "nothing left to read"
 * means every frame it sent has been routed). */
#include "taskconn.h"
#include "spin.h"

#include <errno.h>
#include <pvm3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "listen.h"
#include "log.h"
#include "msgroute.h"
#include "pvmd.h"
#include "request.h"
#include "taskgone.h"
#include "tid.h"

/* Frames up to this size are first tried with uv_try_write, which saves a
 * write request when the socket has room (the common case). */
#define TRY_WRITE_MAX (64u * 1024u)

struct conn_write {
  uv_write_t req;
  pvmw_frame *f;
  size_t n;    /* bytes handed to uv_write */
  size_t cost; /* what it costs the daemon until written (budget) */
};

/* What a queued frame of raw_len bytes costs: the bytes, the frame struct,
 * the write request, and a malloc header for each of the two blocks. */
static size_t write_cost(size_t raw_len) {
  return raw_len + sizeof(pvmw_frame) + sizeof(struct conn_write) +
         2 * PVMD_MALLOC_CHUNK;
}

/* Whether the end of c is expected: the check of pvmd_conn_check_end. */
static int end_expected(const struct pvmd_conn *c) {
  return c->wr_failed || (c->task && c->task->exited);
}

static void after_commit(struct pvmd_conn *c, int rc);
static int on_frame(void *ctx, pvmw_frame *f);

static void conn_resume(struct pvmd_waiter *w) {
  struct pvmd_conn *c = pvmd_container_of(w, struct pvmd_conn, wait);
  if (c->rd_nomem) {
    /* The frame that found no memory is still staged: parse it again. */
    c->rd_nomem = 0;
    after_commit(c, pvmw_reader_commit(&c->rd, 0, on_frame, c));
    if (c->rd_nomem || c->state == PVMD_CONN_CLOSING)
      return;
    if (pvmd_waiter_parked(&c->wait))
      return; /* paused again by a destination */
  }
  pvmd_conn_set_reading(c, 1);
  if (end_expected(c))
    pvmd_conn_check_end(c);
}

/* Bytes the peer wrote that are still in the socket (0 when unknown). */
static size_t unread_bytes(struct pvmd_conn *c) {
  uv_os_fd_t fd;
  int n = 0;
  if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
      ioctl(fd, FIONREAD, &n) != 0)
    return 0;
  return n > 0 ? (size_t)n : 0;
}

void pvmd_conn_check_end(struct pvmd_conn *c) {
  struct pvmd_task *t = c->task;
  if (c->state == PVMD_CONN_CLOSING || c->sink || !c->reading ||
      unread_bytes(c) > 0)
    return;
  if (c->wr_failed) {
    pvmd_debug("closing %s: its last bytes are read", c->who);
    pvmd_conn_close(c);
  } else if (t && t->exited && !t->gone) {
    pvmd_task_set_gone(t);
  }
}

/* A write to c failed (the peer has closed its end, or worse): nothing more
 * is written, but what the peer sent before is still read and routed. */
static void write_failed(struct pvmd_conn *c, int err) {
  if (c->state == PVMD_CONN_CLOSING || c->wr_failed)
    return;
  if (c->state != PVMD_CONN_TASK || c->flush_close) {
    pvmd_debug("closing %s: write failed: %s", c->who, uv_strerror(err));
    pvmd_conn_close(c);
    return;
  }
  pvmd_debug("%s: write failed: %s; reading what it sent before closing",
             c->who, uv_strerror(err));
  c->wr_failed = 1;
  pvmd_waiters_wake(&c->drain_waiters); /* they find it refusing frames */
  pvmd_conn_check_end(c);
}

struct pvmd_conn *pvmd_conn_new(struct pvmd *d) {
  struct pvmd_conn *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->d = d;
  c->state = PVMD_CONN_HELLO;
  c->since = pvmd_now(d);
  pvmd_waiter_init(&c->wait, conn_resume);
  pvmd_list_init(&c->drain_waiters);
  uv_pipe_init(&d->loop, &c->pipe, 0);
  c->pipe.data = c;
  pvmd_list_add_tail(&d->conns, &c->node);
  d->st.conns_cur++;
  snprintf(c->who, sizeof c->who, "connection");
  return c;
}

void pvmd_conn_set_who(struct pvmd_conn *c) {
  char tb[16];
  if (c->task)
    snprintf(c->who, sizeof c->who, "%s (pid %ld)",
             pvmw_tid_str(c->task->tid, tb, sizeof tb), (long)c->pid);
  else
    snprintf(c->who, sizeof c->who, "pid %ld", (long)c->pid);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct pvmd_conn *c = h->data;
  char *base = NULL;
  size_t len = 0;
  (void)suggested;
  pvmw_reader_space(&c->rd, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

/* One whole frame from the reader. Returns nonzero to stop delivering. */
static int on_frame(void *ctx, pvmw_frame *f) {
  struct pvmd_conn *c = ctx;
  struct pvmd *d = c->d;

  if (c->state == PVMD_CONN_CLOSING || c->flush_close) {
    pvmw_frame_free(f); /* refused: nothing after the refusal counts */
    return 1;
  }
  d->st.frames_in++;
  if (d->halting) {
    pvmw_frame_free(f); /* draining connections until they close */
    return 0;
  }
  if (c->state == PVMD_CONN_HELLO)
    pvmd_hello(c, f);
  else if (c->task && c->task->gone) {
    pvmd_conn_reject(c, "%s frame after pvm_exit",
                     f->type == PVMW_FT_CONTROL ? "control" : "message");
    pvmw_frame_free(f);
  } else if (f->type == PVMW_FT_CONTROL)
    pvmd_request(c, f);
  else
    pvmd_route_message(c, f);
  return c->state == PVMD_CONN_CLOSING || c->flush_close || c->rd_nomem;
}

void pvmd_conn_pause_nomem(struct pvmd_conn *c) {
  pvmd_conn_set_reading(c, 0);
  c->rd_nomem = 1;
  pvmd_mem_park(c->d, &c->wait);
  pvmd_listen_retry_soon(c->d);
}

/* After a commit of bytes read from c returned rc. */
static void after_commit(struct pvmd_conn *c, int rc) {
  struct pvmd *d = c->d;
  if (rc >= 0 && end_expected(c))
    pvmd_conn_check_end(c);
  if (rc >= 0 || c->state == PVMD_CONN_CLOSING || c->flush_close)
    return;
  if (rc == PvmNoMem) {
    /* The frame stays in the reader: read nothing more from this sender
     * until queued frames free memory, then try again (conn_resume). */
    if (!d->nomem_warned)
      pvmd_log("pausing %s: %s (%llu bytes queued)", c->who, c->rd.err,
               (unsigned long long)d->st.mem_queued);
    d->nomem_warned = 1;
    pvmd_mem_exhausted(d, 0);
    pvmd_conn_pause_nomem(c);
    return;
  }
  if (rc == PvmBadVersion && c->state == PVMD_CONN_HELLO) {
    d->st.frames_rejected++;
    pvmd_hello_refuse(c, 0, PvmBadVersion, c->rd.err);
    return;
  }
  d->st.frames_rejected++;
  pvmd_conn_reject(c, "bad frame: %s", c->rd.err);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct pvmd_conn *c = s->data;
  struct pvmd *d = c->d;
  (void)buf;

  if (c->state == PVMD_CONN_CLOSING || c->flush_close)
    return;
  if (nread == 0)
    return; /* EAGAIN: the space handed out stays unused */
  if (nread > 0)
    pvmd_spin_kick(d);
  if (nread < 0) {
    if (nread == UV_EOF)
      pvmd_debug("%s disconnected", c->who);
    else
      pvmd_log("closing %s: read error: %s", c->who, uv_strerror((int)nread));
    pvmd_conn_close(c);
    return;
  }
  d->st.bytes_in += (uint64_t)nread;
  after_commit(c, pvmw_reader_commit(&c->rd, (size_t)nread, on_frame, c));
}

int pvmd_conn_start(struct pvmd_conn *c) {
  if (pvmw_reader_init(&c->rd, c->d->lim.max_frame) != 0) {
    pvmd_log("closing %s: out of memory for its reader", c->who);
    pvmd_conn_close(c);
    return -1;
  }
  c->rd_ready = 1;
  pvmd_conn_set_reading(c, 1);
  return c->state == PVMD_CONN_CLOSING ? -1 : 0;
}

void pvmd_conn_set_reading(struct pvmd_conn *c, int on) {
  int rc;
  if (c->state == PVMD_CONN_CLOSING || c->flush_close || !c->rd_ready ||
      on == c->reading)
    return;
  if (!on) {
    uv_read_stop((uv_stream_t *)&c->pipe);
    c->reading = 0;
    return;
  }
  rc = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
  if (rc != 0) {
    pvmd_log("closing %s: cannot read: %s", c->who, uv_strerror(rc));
    pvmd_conn_close(c);
    return;
  }
  c->reading = 1;
}

static void on_close(uv_handle_t *h) {
  struct pvmd_conn *c = h->data;
  struct pvmd *d = c->d;
  struct pvmd_task *t = c->task;

  if (t) {
    t->conn = NULL;
    c->task = NULL;
    pvmd_task_release(t);
  }
  if (c->rd_ready)
    pvmw_reader_free(&c->rd);
  pvmd_list_remove(&c->node);
  d->st.conns_cur--;
  free(c);
  if (d->halting)
    pvmd_halt_check(d);
}

void pvmd_conn_close(struct pvmd_conn *c) {
  struct pvmd_task *t = c->task;
  if (c->state == PVMD_CONN_CLOSING)
    return;
  if (c->sink) { /* a stand-in: nothing to close */
    c->state = PVMD_CONN_CLOSING;
    return;
  }
  c->state = PVMD_CONN_CLOSING;
  if (c->partial_dst)
    pvmd_route_abort_partial(c);
  c->reading = 0;
  c->rd_nomem = 0;
  pvmd_waiter_cancel(&c->wait);
  if (t) {
    /* The task is gone from now on: nothing more is routed to it, and a
     * spawned process that is still running is left alone, only
     * disconnected (as PVM does). */
    t->flags &= ~PVMD_TF_CONN;
    if (!t->gone)
      pvmd_task_set_gone(t);
  }
  pvmd_waiters_wake(&c->drain_waiters);
  uv_close((uv_handle_t *)&c->pipe, on_close);
}

void pvmd_conn_reject(struct pvmd_conn *c, const char *fmt, ...) {
  char why[512];
  va_list ap;
  if (c->state == PVMD_CONN_CLOSING)
    return;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  pvmd_log("closing %s: %s", c->who, why);
  c->d->st.conns_closed_bad++;
  pvmd_conn_close(c);
}

void pvmd_conn_close_after_flush(struct pvmd_conn *c) {
  if (c->state == PVMD_CONN_CLOSING)
    return;
  if (c->wr_failed) { /* nothing queued will ever be written */
    pvmd_conn_close(c);
    return;
  }
  pvmd_conn_set_reading(c, 0);
  c->flush_close = 1;
  if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) == 0)
    pvmd_conn_close(c);
}

int pvmd_conn_congested(const struct pvmd_conn *c) {
  return c->queued > c->d->lim.high_water;
}

static void on_write(uv_write_t *req, int status) {
  struct conn_write *w = (struct conn_write *)req;
  struct pvmd_conn *c = req->handle->data;
  struct pvmd *d = c->d;

  size_t cost = w->cost;

  d->st.bytes_queued_cur -= w->n;
  c->queued -= cost;
  if (status == 0)
    d->st.bytes_out += w->n;
  pvmw_frame_free(w->f);
  free(w);
  pvmd_mem_release(d, cost);
  if (c->state == PVMD_CONN_CLOSING || c->wr_failed)
    return;
  if (status < 0) {
    write_failed(c, status);
    return;
  }
  if (c->queued <= d->lim.low_water) {
    if (c->flush_close) {
      if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) == 0)
        pvmd_conn_close(c);
      return;
    }
    pvmd_waiters_wake(&c->drain_waiters);
  }
}

int pvmd_conn_send(struct pvmd_conn *c, pvmw_frame *f) {
  struct pvmd *d = c->d;
  uv_stream_t *s = (uv_stream_t *)&c->pipe;
  struct conn_write *w;
  size_t off = 0;
  uv_buf_t b;
  int rc;

  if (c->sink)
    return c->sink(c, f);
  if (c->state == PVMD_CONN_CLOSING || c->wr_failed) {
    pvmw_frame_free(f);
    return -1;
  }
  if (f->raw_len <= TRY_WRITE_MAX && uv_stream_get_write_queue_size(s) == 0) {
    b = uv_buf_init((char *)f->raw, (unsigned)f->raw_len);
    rc = uv_try_write(s, &b, 1);
    if (rc >= 0 && (size_t)rc == f->raw_len) {
      d->st.bytes_out += f->raw_len;
      pvmw_frame_free(f);
      return 0;
    }
    if (rc >= 0) {
      off = (size_t)rc;
      d->st.bytes_out += off;
    } else if (rc != UV_EAGAIN) {
      pvmw_frame_free(f);
      write_failed(c, rc);
      return -1;
    }
  }
  w = malloc(sizeof *w);
  if (!w) {
    /* The frame is lost, not the connection: the caller tells the sender
     * (msgroute.c); a reply that cannot be queued is the requester's loss. */
    if (!d->nomem_warned)
      pvmd_log("out of memory queueing a write to %s (%llu bytes queued): "
               "its senders are told and paused until queues drain",
               c->who, (unsigned long long)d->st.mem_queued);
    d->nomem_warned = 1;
    pvmd_mem_exhausted(d, 1);
    pvmw_frame_free(f);
    return PvmNoMem;
  }
  w->f = f;
  w->n = f->raw_len - off;
  w->cost = write_cost(f->raw_len);
  b = uv_buf_init((char *)f->raw + off, (unsigned)w->n);
  rc = uv_write(&w->req, s, &b, 1, on_write);
  if (rc != 0) {
    pvmw_frame_free(f);
    free(w);
    write_failed(c, rc);
    return -1;
  }
  d->st.bytes_queued_cur += w->n;
  if (d->st.bytes_queued_cur > d->st.bytes_queued_peak)
    d->st.bytes_queued_peak = d->st.bytes_queued_cur;
  c->queued += w->cost;
  pvmd_mem_charge(d, w->cost);
  return 0;
}

static void on_spare_write(uv_write_t *req, int status) {
  struct pvmd_conn *c = req->handle->data;
  c->spare_busy = 0;
  if (status < 0 && c->state != PVMD_CONN_CLOSING)
    write_failed(c, status);
}

/* A control message that cannot be built or queued would leave its task
 * waiting for it forever: the task gets a Status PvmNoMem for the request
 * instead, written from the connection's own spare buffer (no allocation).
 * Should the spare be in use, the connection is closed after what is
 * queued: the task's call then fails with "pvmd closed the connection".
 * Either way the daemon goes on serving the others. Returns 1 when the
 * spare went, -1 when the connection is being closed. */
static int send_spare(struct pvmd_conn *c, uint32_t req_id, const char *why) {
  Pvmng__Control r = PVMNG__CONTROL__INIT;
  Pvmng__Status st = PVMNG__STATUS__INIT;
  st.code = PvmNoMem;
  st.value = PvmNoMem;
  st.reason = "pvmd is out of memory";
  r.req_id = req_id;
  r.body_case = PVMNG__CONTROL__BODY_STATUS;
  r.status = &st;
  size_t n = pvmng__control__get_packed_size(&r);
  if (c->spare_busy || c->wr_failed || n > sizeof c->spare_raw - PVMW_HDR_LEN) {
    pvmd_log("closing %s: %s", c->who, why);
    pvmd_conn_close_after_flush(c);
    return -1;
  }
  pvmd_log("%s: %s; the request fails with PvmNoMem", c->who, why);
  pvmw_hdr_put(c->spare_raw, PVMW_FT_CONTROL, (uint32_t)n);
  pvmng__control__pack(&r, c->spare_raw + PVMW_HDR_LEN);
  uv_buf_t b = uv_buf_init((char *)c->spare_raw, (unsigned)(PVMW_HDR_LEN + n));
  int rc =
      uv_write(&c->spare_req, (uv_stream_t *)&c->pipe, &b, 1, on_spare_write);
  if (rc != 0) {
    write_failed(c, rc);
    return -1;
  }
  c->spare_busy = 1;
  return 1;
}

int pvmd_conn_send_control(struct pvmd_conn *c, const Pvmng__Control *m) {
  if (c->state == PVMD_CONN_CLOSING || c->wr_failed)
    return -1;
  size_t n = pvmng__control__get_packed_size(m);
  if (n == 0 || n > PVMW_MAX_CONTROL) { /* the caller says what to do */
    pvmd_log("%s: a reply of %zu bytes is over the limit of %u bytes", c->who,
             n, PVMW_MAX_CONTROL);
    return -1;
  }
  pvmw_frame *f = pvmw_control_frame(m);
  if (!f) {
    if (c->sink) {
      pvmd_log("%s: out of memory for a reply", c->who);
      return -1;
    }
    return send_spare(c, m->req_id, "out of memory for its reply");
  }
  int rc = pvmd_conn_send(c, f);
  if (rc == PvmNoMem && !c->sink)
    return send_spare(c, m->req_id, "out of memory queueing its reply");
  return rc == 0 ? 0 : -1;
}
