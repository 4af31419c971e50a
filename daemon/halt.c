/* Stopping the virtual machine (pvm_halt, or a signal to the daemon). The
 * listener goes first, so nothing new arrives; every task gets SIGTERM, and
 * SIGKILL after a grace period if it is still there; then every handle is
 * closed so the loop ends and main can close it and remove its files.
 * Connections keep being read (frames are dropped) so that their EOF is
 * seen and the halt can finish as soon as every task is gone. The task
 * that asked (every connection of its process) is not signalled: it is
 * waiting for the answer and leaves by itself. */
#include <signal.h>
#include <unistd.h>

#include "childout.h"
#include "listen.h"
#include "log.h"
#include "msgroute.h"
#include "peer.h"
#include "pvmd.h"
#include "spawn.h"
#include "taskconn.h"

static void halt_finish(struct pvmd *d);

/* Whether t is one the halt still waits for: not the requester's process,
 * which keeps its connection until the daemon is gone. */
static int awaited(const struct pvmd_task *t, pid_t req_pid) {
  if (t->pid > 0 && t->pid == req_pid && !t->halt_signaled)
    return 0;
  return !t->gone || (t->halt_signaled && t->handles_open > 0);
}

/* The requester's pid, or -1. */
static pid_t requester_pid(struct pvmd *d) {
  struct pvmd_task *req = pvmd_task_find(&d->tasks, d->halt_requester);
  return req && d->halt_requester ? req->pid : -1;
}

static void signal_tasks(struct pvmd *d, int sig) {
  struct pvmd_list *pos, *tmp;
  pid_t req_pid = d->halt_req_pid;

  pvmd_list_each_safe(pos, tmp, &d->tasks.all) {
    struct pvmd_task *t = pvmd_container_of(pos, struct pvmd_task, node);
    if (t->pid <= 0 || t->pid == req_pid || t->pid == getpid())
      continue;
    if (t->spawned ? !t->running : (t->gone || !t->conn))
      continue; /* reaped, or nothing left of it to signal */
    if (t->gone && !t->halt_signaled)
      continue; /* disconnected before the halt: not ours any more */
    t->halt_signaled = 1;
    kill(t->pid, sig);
  }
}

static void on_reaped(uv_timer_t *tm) {
  struct pvmd *d = tm->data;
  halt_finish(d);
}

static void on_grace_over(uv_timer_t *tm) {
  struct pvmd *d = tm->data;
  d->halt_phase = 2;
  signal_tasks(d, SIGKILL);
  uv_timer_start(tm, on_reaped, d->lim.halt_reap_ms, 0);
}

void pvmd_halt(struct pvmd *d, int requester, const char *why) {
  struct pvmd_list *pos, *tmp;

  if (d->halting)
    return;
  d->halting = 1;
  d->halt_phase = 1;
  d->halt_requester = requester;
  d->halt_req_pid = requester_pid(d);
  pvmd_log("halting: %s", why);
  pvmd_peer_halt(d, why);
  pvmd_listen_stop(d);
  unlink(d->sock_path);
  /* Resume every paused connection so each one's EOF is seen. */
  pvmd_list_each_safe(pos, tmp, &d->conns) {
    struct pvmd_conn *c = pvmd_container_of(pos, struct pvmd_conn, node);
    pvmd_waiter_cancel(&c->wait);
    pvmd_conn_set_reading(c, 1);
  }
  signal_tasks(d, SIGTERM);
  uv_timer_init(&d->loop, &d->halt_timer);
  d->halt_timer.data = d;
  d->halt_timer_open = 1;
  uv_timer_start(&d->halt_timer, on_grace_over, d->lim.halt_grace_ms, 0);
  pvmd_halt_check(d);
}

/* Phase 3: once every connection is closed, the last handles go. */
static void halt_try_end(struct pvmd *d) {
  if (!pvmd_list_empty(&d->conns))
    return;
  if (d->halt_timer_open) {
    d->halt_timer_open = 0;
    uv_close((uv_handle_t *)&d->halt_timer, NULL);
  }
  if (d->sig_open) {
    d->sig_open = 0;
    for (int i = 0; i < 3; i++)
      uv_close((uv_handle_t *)&d->sig[i], NULL);
  }
}

void pvmd_halt_check(struct pvmd *d) {
  struct pvmd_list *pos, *tmp;
  if (!d->halting)
    return;
  if (d->halt_phase >= 3) {
    halt_try_end(d);
    return;
  }
  pvmd_list_each_safe(pos, tmp, &d->tasks.all) {
    if (awaited(pvmd_container_of(pos, struct pvmd_task, node),
                d->halt_req_pid))
      return;
  }
  halt_finish(d);
}

/* Connections that would not flush their last bytes in time. */
static void on_force_close(uv_timer_t *tm) {
  struct pvmd *d = tm->data;
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &d->conns) {
    pvmd_conn_close(pvmd_container_of(pos, struct pvmd_conn, node));
  }
  halt_try_end(d);
}

/* Closes every handle; the loop ends when the last close completes. A
 * connection with bytes still queued (the requester's answer) is closed
 * once they are written, or after halt_reap_ms at the latest. */
static void halt_finish(struct pvmd *d) {
  struct pvmd_list *pos, *tmp;

  if (d->halt_phase >= 3)
    return;
  d->halt_phase = 3;
  pvmd_debug("closing every handle");
  pvmd_peer_close_all(d);
  pvmd_list_each_safe(pos, tmp, &d->conns) {
    struct pvmd_conn *c = pvmd_container_of(pos, struct pvmd_conn, node);
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > 0)
      pvmd_conn_close_after_flush(c);
    else
      pvmd_conn_close(c);
  }
  pvmd_list_each_safe(pos, tmp, &d->tasks.all) {
    struct pvmd_task *t = pvmd_container_of(pos, struct pvmd_task, node);
    pvmd_route_drop_held(t);
    pvmd_output_close(t);
    pvmd_spawn_close(t);
  }
  uv_timer_stop(&d->halt_timer);
  uv_timer_start(&d->halt_timer, on_force_close, d->lim.halt_reap_ms, 0);
  halt_try_end(d);
}
