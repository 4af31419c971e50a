/* The shared-memory transport of direct links on one host. A link opens
 * as a Unix-socket link (link_unix.c); its opener offers a segment in the
 * hello and, when the acceptor has mapped it, both ends switch the link to
 * this ops table: frames go through the segment's rings (link_shm.c), and
 * the socket carries only wake-up bytes and, by its end, the peer's end.
 * The rings are read from the library's pump (lpvm_link_shm_pump), not by
 * the event loop; before the loop sleeps, each link asks its peer for a
 * wake-up. */
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "link_shm_ops.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"

/* How many times a writer waiting for room (or for the reader to pull a
 * large write) polls before it sleeps, and after how many it starts
 * yielding the processor (the reader may need this core to make room). */
#define SHM_SPINS 2000u
#define SHM_YIELD_AFTER 50u

struct lpvm_shm_outq {
  struct lpvm_shm_outq *next;
  pvmw_frame *f;
};

static struct lpvm_local_link *local(struct lpvm_link *l) {
  return (struct lpvm_local_link *)l;
}

/* $PVMNG_SHM=0 in a task's environment: its links on one host stay on
 * their Unix sockets (it neither offers nor accepts a segment). */
int lpvm_link_shm_enabled(void) {
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

/* ---- the wake-up bytes on the socket --------------------------------------
 */

static void on_wake_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
  static char wakes[64]; /* wake-up bytes are read and dropped */
  (void)h;
  (void)sz;
  *buf = uv_buf_init(wakes, sizeof(wakes));
}

static long shm_read(struct lpvm_link *l);

static void on_wake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  struct lpvm_link *l = s->data;
  (void)buf;
  /* A wake-up, or the peer's end: what it wrote before is in the rings,
   * and is taken first. */
  shm_read(l);
  if (n < 0 && !l->closing)
    lpvm_link_ended(l, n);
}

static void on_wake_written(uv_write_t *req, int status) {
  (void)status;
  free(req);
}

/* Wakes the peer: one byte on the link's socket (it sleeps in its event
 * loop, which watches the socket). A full socket holds wake-ups enough. */
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

/* ---- reading ------------------------------------------------------------- */

static void shm_space(void *ctx, char **base, size_t *len) {
  lpvm_link_space(ctx, base, len);
}

static int shm_commit(void *ctx, size_t n) {
  struct lpvm_link *l = ctx;
  int rc = lpvm_link_input(l, n);
  if (rc < 0)
    return -1;
  return l->closing || !l->reading ? 1 : rc;
}

static int shm_wait(void *ctx, struct lpvm_shm *s);

static struct lpvm_shm_io shm_io(struct lpvm_link *l) {
  struct lpvm_shm_io io = {shm_wait, shm_wake, l};
  return io;
}

/* Takes what the peer wrote on l's rings. Returns the bytes taken. */
static long shm_read(struct lpvm_link *l) {
  struct lpvm_local_link *ll = local(l);
  struct lpvm_shm_sink k = {shm_space, shm_commit, l};
  struct lpvm_shm_io io = shm_io(l);
  long n;
  if (ll->in || l->closing || !l->reading || l->ops != &lpvm_link_shm_ops)
    return 0;
  ll->in = 1;
  l->holds++;
  n = lpvm_shm_drain(ll->shm, &k, &io);
  ll->in = 0;
  if (n < 0 && !l->closing)
    lpvm_link_close(l, "malformed shared-memory ring");
  lpvm_link_unhold(l);
  return n < 0 ? 0 : n;
}

static void shm_read_start(struct lpvm_link *l) {
  if (uv_read_start(&l->io.stream, on_wake_alloc, on_wake_read) == 0)
    l->reading = 1;
}

static void shm_read_stop(struct lpvm_link *l) {
  uv_read_stop(&l->io.stream);
  l->reading = 0;
}

static void shm_drain(struct lpvm_link *l) { shm_read(l); }

/* ---- writing ------------------------------------------------------------- */

static pvmw_frame *outq_pop(struct lpvm_local_link *ll) {
  struct lpvm_shm_outq *q = ll->out;
  pvmw_frame *f;
  if (q == NULL)
    return NULL;
  if ((ll->out = q->next) == NULL)
    ll->tail = &ll->out;
  f = q->f;
  free(q);
  return f;
}

/* Frames written from callbacks, queued while the ring had no room. */
static int shm_flush_out(struct lpvm_link *l, int block) {
  struct lpvm_local_link *ll = local(l);
  struct lpvm_shm_io io = shm_io(l);
  pvmw_frame *f;
  while (ll->out != NULL && !l->closing) {
    f = ll->out->f;
    if (lpvm_shm_try_put(ll->shm, f->raw, f->raw_len, &io) < 0) {
      struct iovec v = {f->raw, f->raw_len};
      if (!block)
        return 0;
      if (lpvm_shm_write(ll->shm, &v, 1, &io) < 0)
        return PvmSysErr;
    }
    pvmw_frame_free(outq_pop(ll));
  }
  return l->closing ? PvmSysErr : 0;
}

static void shm_send_async(struct lpvm_link *l, pvmw_frame *f) {
  struct lpvm_local_link *ll = local(l);
  struct lpvm_shm_io io = shm_io(l);
  struct lpvm_shm_outq *q;
  if (ll->out == NULL &&
      lpvm_shm_try_put(ll->shm, f->raw, f->raw_len, &io) == 0) {
    pvmw_frame_free(f);
    return;
  }
  if ((q = malloc(sizeof(*q))) == NULL) {
    pvmw_frame_free(f);
    lpvm_link_close(l, "out of memory");
    return;
  }
  q->next = NULL;
  q->f = f;
  if (ll->tail == NULL)
    ll->tail = &ll->out;
  *ll->tail = q;
  ll->tail = &q->next;
}

/* A writer waits for room or for its pull: polls a while (the reader is
 * most likely at work on the other core), then sleeps until woken. A
 * reader that dies ends the socket, which closes the link: the writer is
 * released with an error. */
static int shm_wait(void *ctx, struct lpvm_shm *s) {
  struct lpvm_link *l = ctx;
  struct lpvm_local_link *ll = local(l);
  if (l->closing || lpvm_conn.state != LPVM_UP)
    return -1;
  if (ll->spins < SHM_SPINS) {
    if (++ll->spins > SHM_YIELD_AFTER)
      sched_yield();
    lpvm_pump(0);
  } else if (lpvm_shm_writer_arm(s)) {
    lpvm_pump(-1);
  }
  return l->closing || lpvm_conn.state != LPVM_UP ? -1 : 0;
}

static int shm_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n) {
  struct lpvm_local_link *ll = local(l);
  struct lpvm_shm_io io = shm_io(l);
  int rc;
  if (l->closing)
    return PvmSysErr;
  ll->spins = 0;
  l->holds++;
  if ((rc = shm_flush_out(l, 1)) == 0)
    /* uv_buf_t is laid out as struct iovec on Unix (libuv says so). */
    rc = lpvm_shm_write(ll->shm, (const struct iovec *)(void *)bufs, n, &io);
  if (l->closing)
    rc = PvmSysErr;
  lpvm_link_unhold(l);
  return rc;
}

/* ---- the library's pump ---------------------------------------------------
 */

static struct { int any, ready, block; } shm_pump;

static void pump_link(struct lpvm_link *l, uint64_t now) {
  struct lpvm_local_link *ll = local(l);
  (void)now;
  if (l->closing)
    return;
  shm_pump.any = 1;
  if (ll->armed) {
    lpvm_shm_reader_disarm(ll->shm);
    ll->armed = 0;
  }
  if (!l->tx_busy && ll->out != NULL)
    shm_flush_out(l, 0);
  if (shm_read(l) > 0)
    shm_pump.ready = 1;
}

static void arm_link(struct lpvm_link *l, uint64_t now) {
  struct lpvm_local_link *ll = local(l);
  (void)now;
  if (l->closing || !l->reading || ll->in || shm_pump.ready)
    return;
  if (!lpvm_shm_reader_arm(ll->shm)) {
    shm_pump.ready = 1; /* came meanwhile */
    return;
  }
  ll->armed = 1;
}

int lpvm_link_shm_pump(int block) {
  shm_pump.any = 0;
  shm_pump.ready = 0;
  lpvm_link_each(&lpvm_link_shm_ops, pump_link, 0);
  if (!shm_pump.any)
    return -1;
  if (!block || shm_pump.ready)
    return shm_pump.ready;
  lpvm_link_each(&lpvm_link_shm_ops, arm_link, 0);
  return shm_pump.ready;
}

/* ---- the switch from the socket ------------------------------------------ */

uint32_t lpvm_link_shm_offer(struct lpvm_link *l) {
  struct lpvm_local_link *ll = local(l);
  const char *why = NULL;
  if (!lpvm_link_shm_enabled())
    return 0;
  if ((ll->shm = lpvm_shm_create(&why)) == NULL) {
    if (lpvm_opts.debugmask)
      fprintf(stderr, "libpvm [t%x]: no shared memory for a link: %s\n",
              (unsigned)lpvm_conn.mytid, why);
    return 0;
  }
  return (uint32_t)lpvm_shm_fd(ll->shm) + 1u;
}

void lpvm_link_shm_attach(struct lpvm_link *l, uint32_t fd1) {
  struct lpvm_local_link *ll = local(l);
  const char *why = NULL;
  pid_t pid;
  if (fd1 == 0 || fd1 > INT_MAX || !lpvm_link_shm_enabled())
    return;
  pid = peer_pid(l);
  if ((ll->shm = lpvm_shm_attach(pid, (int)(fd1 - 1u), &why)) == NULL &&
      lpvm_opts.debugmask)
    fprintf(stderr, "libpvm [t%x]: link from pid %ld stays on its socket: %s\n",
            (unsigned)lpvm_conn.mytid, (long)pid, why);
}

void lpvm_link_shm_answered(struct lpvm_link *l, int taken) {
  struct lpvm_local_link *ll = local(l);
  if (ll->shm == NULL)
    return;
  lpvm_shm_close_fd(ll->shm);
  if (!taken) {
    lpvm_shm_free(ll->shm);
    ll->shm = NULL;
    return;
  }
  lpvm_shm_set_peer(ll->shm, peer_pid(l));
  l->ops = &lpvm_link_shm_ops;
  /* From now on the socket brings wake-up bytes only. */
  if (l->reading) {
    uv_read_stop(&l->io.stream);
    shm_read_start(l);
  }
}

void lpvm_link_local_free(struct lpvm_link *l) {
  struct lpvm_local_link *ll = local(l);
  pvmw_frame *f;
  while ((f = outq_pop(ll)) != NULL)
    pvmw_frame_free(f);
  lpvm_shm_free(ll->shm);
  ll->shm = NULL;
}

static void on_shm_closed(uv_handle_t *h) { lpvm_link_closed(h->data); }

static void shm_close(struct lpvm_link *l) {
  uv_close(&l->io.handle, on_shm_closed);
}

const struct lpvm_link_ops lpvm_link_shm_ops = {
    .name = "shm",
    .kind = LPVM_LINK_LOCAL,
    .via = PVMNG_VIA_SHM,
    .size = sizeof(struct lpvm_local_link),
    .read_start = shm_read_start,
    .read_stop = shm_read_stop,
    .drain = shm_drain,
    .write = shm_write,
    .send_async = shm_send_async,
    .close = shm_close,
    .free = lpvm_link_local_free,
};
