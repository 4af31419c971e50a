/* Output of spawned tasks. Each pipe keeps one partial line; a line goes out
 * when its newline arrives, when it reaches lim.out_line_max bytes, or at
 * EOF. A task's output destination is looked up per line, so output falls
 * back to the log as soon as the destination task goes away. A destination
 * that does not keep up pauses the pipe (and so, eventually, the child). */
#include "childout.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "pvmd.h"
#include "taskgone.h"
#include "tid.h"
#include "xdr.h"

/* libuv calls the allocation callback and then the read callback for one
 * handle at a time, and each read is consumed before returning: one buffer
 * serves every pipe. */
static char read_buf[64 * 1024];

pvmw_frame *pvmd_output_frame(int src, int dst, int code, int ctx, int tid,
                              const char *bytes, int n) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  size_t body = 2 * (PVMW_XDR_ITEM_HDR + 4) +
                (n >= 0 ? PVMW_XDR_ITEM_HDR + (size_t)n : 0);
  pvmw_frame *f;
  uint8_t *p;

  h.src = (uint32_t)src;
  h.dst = (uint32_t)dst;
  h.tag = code;
  h.ctx = ctx;
  h.encoding = 0; /* PvmDataDefault */
  if ((f = pvmw_message_frame(&h, body, &p)) == NULL)
    return NULL;
  pvmw_xdr_item(p, PVMW_XT_INT, 1);
  pvmw_put_be32(p + PVMW_XDR_ITEM_HDR, (uint32_t)tid);
  p += PVMW_XDR_ITEM_HDR + 4;
  pvmw_xdr_item(p, PVMW_XT_INT, 1);
  pvmw_put_be32(p + PVMW_XDR_ITEM_HDR, (uint32_t)n);
  p += PVMW_XDR_ITEM_HDR + 4;
  if (n >= 0) {
    pvmw_xdr_item(p, PVMW_XT_BYTE, (uint32_t)n);
    if (n > 0)
      memcpy(p + PVMW_XDR_ITEM_HDR, bytes, (size_t)n);
  }
  return f;
}

/* Sends one output message for t to its destination. Returns the route
 * result, PVMD_ROUTE_NONE when there is no live destination. */
static int send_output(struct pvmd_task *t, const char *bytes, int n,
                       struct pvmd_waiter *producer) {
  struct pvmd *d = t->d;
  pvmw_frame *f;

  if (t->out_tid == 0)
    return PVMD_ROUTE_NONE;
  /* A destination on another host is checked there (peer.c routes it). */
  if (pvmw_tid_host(t->out_tid) == d->host_no &&
      !pvmd_task_live(&d->tasks, t->out_tid))
    return PVMD_ROUTE_NONE;
  f = pvmd_output_frame(d->tid, t->out_tid, t->out_code, t->out_ctx, t->tid,
                        bytes, n);
  if (!f)
    return PVMD_ROUTE_NONE;
  return pvmd_route_deliver(d, t->out_tid, f, producer);
}

static void emit(struct pvmd_outpipe *p, const char *bytes, size_t n) {
  struct pvmd_task *t = p->task;
  char tb[16];
  size_t shown = n;

  t->d->st.output_lines++;
  if (send_output(t, bytes, (int)n, &p->wait) != PVMD_ROUTE_NONE)
    return;
  if (shown > 0 && bytes[shown - 1] == '\n')
    shown--;
  pvmd_log("[%s] %.*s", pvmw_tid_str(t->tid, tb, sizeof tb), (int)shown, bytes);
}

/* Cuts buf into lines. */
static void feed(struct pvmd_outpipe *p, const char *buf, size_t n) {
  size_t max = p->task->d->lim.out_line_max;

  while (n > 0) {
    const char *nl = memchr(buf, '\n', n);
    size_t take = nl ? (size_t)(nl - buf) + 1 : n;
    size_t room, c;

    if (p->len == 0 && nl && take <= max) { /* whole line in the buffer */
      emit(p, buf, take);
      buf += take;
      n -= take;
      continue;
    }
    if (!p->line && !(p->line = malloc(max))) {
      c = take < max ? take : max; /* no line buffer: pass pieces on */
      emit(p, buf, c);
      buf += c;
      n -= c;
      continue;
    }
    room = max - p->len;
    c = take < room ? take : room;
    memcpy(p->line + p->len, buf, c);
    p->len += c;
    buf += c;
    n -= c;
    if (p->len == max || (nl && c == take)) {
      emit(p, p->line, p->len);
      p->len = 0;
    }
  }
}

static void on_pipe_closed(uv_handle_t *h) {
  struct pvmd_outpipe *p = h->data;
  struct pvmd_task *t = p->task;
  p->open = 0;
  t->handles_open--;
  pvmd_task_release(t);
}

static void close_pipe(struct pvmd_outpipe *p) {
  pvmd_waiter_cancel(&p->wait);
  if (p->open && !uv_is_closing((uv_handle_t *)&p->pipe))
    uv_close((uv_handle_t *)&p->pipe, on_pipe_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct pvmd_outpipe *p = s->data;
  struct pvmd_task *t = p->task;

  if (nread > 0) {
    feed(p, buf->base, (size_t)nread);
    if (pvmd_waiter_parked(&p->wait))
      uv_read_stop(s); /* resumed when the destination drains */
    return;
  }
  if (nread == 0)
    return;
  if (nread != UV_EOF)
    pvmd_debug("output pipe of t%x: %s", (unsigned)t->tid,
               uv_strerror((int)nread));
  if (p->len > 0) {
    emit(p, p->line, p->len);
    p->len = 0;
  }
  p->eof = 1;
  close_pipe(p);
  if (t->out[0].eof && t->out[1].eof) {
    int rc = send_output(t, NULL, 0, NULL); /* END */
    pvmd_debug("output of t%x ended%s", (unsigned)t->tid,
               rc == PVMD_ROUTE_NONE ? "" : " (END sent)");
  }
}

static void pipe_resume(struct pvmd_waiter *w) {
  struct pvmd_outpipe *p = pvmd_container_of(w, struct pvmd_outpipe, wait);
  if (p->open && !p->eof && !uv_is_closing((uv_handle_t *)&p->pipe))
    uv_read_start((uv_stream_t *)&p->pipe, on_alloc, on_read);
}

void pvmd_output_prepare(struct pvmd_task *t, uv_loop_t *loop,
                         uv_stdio_container_t stdio[3]) {
  stdio[0].flags = UV_IGNORE; /* libuv opens /dev/null for it */
  for (int i = 0; i < 2; i++) {
    struct pvmd_outpipe *p = &t->out[i];
    p->task = t;
    uv_pipe_init(loop, &p->pipe, 0);
    p->pipe.data = p;
    p->open = 1;
    pvmd_waiter_init(&p->wait, pipe_resume);
    t->handles_open++;
    stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[i + 1].data.stream = (uv_stream_t *)&p->pipe;
  }
}

void pvmd_output_start(struct pvmd_task *t) {
  if (send_output(t, NULL, -1, NULL) != PVMD_ROUTE_NONE) /* BEGIN */
    pvmd_debug("output of t%x goes to t%x", (unsigned)t->tid,
               (unsigned)t->out_tid);
  for (int i = 0; i < 2; i++) {
    struct pvmd_outpipe *p = &t->out[i];
    int rc = uv_read_start((uv_stream_t *)&p->pipe, on_alloc, on_read);
    if (rc != 0) {
      pvmd_log("cannot read the output of t%x: %s", (unsigned)t->tid,
               uv_strerror(rc));
      p->eof = 1;
      close_pipe(p);
    }
  }
}

void pvmd_output_close(struct pvmd_task *t) {
  for (int i = 0; i < 2; i++)
    close_pipe(&t->out[i]);
}

void pvmd_output_redirect(struct pvmd_task *t, int tid, int code, int ctx) {
  int reading = t->out[0].task == t && !(t->out[0].eof && t->out[1].eof);

  if (tid == t->out_tid && code == t->out_code && ctx == t->out_ctx)
    return;
  if (reading)
    send_output(t, NULL, 0, NULL); /* END to the old destination */
  t->out_tid = tid;
  t->out_code = code;
  t->out_ctx = ctx;
  if (reading && send_output(t, NULL, -1, NULL) != PVMD_ROUTE_NONE)
    pvmd_debug("output of t%x goes to t%x from now on", (unsigned)t->tid,
               (unsigned)tid);
}
