/* Message routing. The daemon never reassembles or rewrites a message: each
 * fragment is forwarded as the bytes it arrived as, after checking that its
 * header names the sending connection's tid as source. Order per (source,
 * destination) follows from each connection having one ordered write queue
 * and a starting task's held frames being flushed before anything else.
 * What queued frames cost counts against the daemon's memory budget: a
 * sender is paused when it is over (as when its destination is congested),
 * and told (PVMW_REQ_SEND_ERROR) when a frame of its is dropped for lack of
 * memory. */
#include "msgroute.h"

#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>

#include "hoster.h"
#include "log.h"
#include "pvmd.h"
#include "rm.h"
#include "taskconn.h"
#include "tasker.h"
#include "tid.h"

struct held_frame {
  struct pvmd_list node;
  pvmw_frame *f;
};

struct pvmd_conn *pvmd_route_conn(struct pvmd *d, int tid) {
  struct pvmd_task *t = pvmd_task_live(&d->tasks, tid);
  if (!t || !t->conn || t->conn->state != PVMD_CONN_TASK)
    return NULL;
  return t->conn;
}

/* What a held frame costs (as taskconn.c counts a queued write). */
static size_t held_cost(const pvmw_frame *f) {
  return f->raw_len + sizeof(pvmw_frame) + sizeof(struct held_frame) +
         2 * PVMD_MALLOC_CHUNK;
}

static int hold(struct pvmd *d, struct pvmd_task *t, pvmw_frame *f,
                struct pvmd_waiter *producer) {
  struct held_frame *hf = malloc(sizeof *hf);
  char tb[16];
  if (!hf) {
    pvmd_log("dropping a message for %s: out of memory holding it until "
             "it connects",
             pvmw_tid_str(t->tid, tb, sizeof tb));
    pvmw_frame_free(f);
    return PVMD_ROUTE_NOMEM;
  }
  hf->f = f;
  pvmd_list_add_tail(&t->held, &hf->node);
  t->held_bytes += held_cost(f);
  pvmd_mem_charge(d, held_cost(f));
  if (producer && t->held_bytes > d->lim.high_water) {
    pvmd_waiter_park(&t->held_waiters, producer);
    d->st.senders_paused++;
    return PVMD_ROUTE_FULL;
  }
  if (producer && pvmd_mem_over(d)) {
    pvmd_mem_park(d, producer);
    return PVMD_ROUTE_FULL;
  }
  return PVMD_ROUTE_OK;
}

int pvmd_route_deliver(struct pvmd *d, int dst, pvmw_frame *f,
                       struct pvmd_waiter *producer) {
  struct pvmd_task *t;
  struct pvmd_conn *c;

  if (pvmw_tid_is_task(dst) && pvmw_tid_host(dst) != d->host_no)
    return pvmd_peer_route(d, dst, f, producer);
  if (dst == d->tid) /* from another host: the VM's RM's SM_EXEC (rm.c) */
    return pvmd_rm_daemon_frame(d, f);
  t = pvmd_task_live(&d->tasks, dst);
  if (!t) {
    pvmw_frame_free(f);
    return PVMD_ROUTE_NONE;
  }
  c = t->conn;
  if (c && c->state == PVMD_CONN_TASK) {
    int rc = pvmd_conn_send(c, f);
    if (rc != 0)
      return rc == PvmNoMem ? PVMD_ROUTE_NOMEM : PVMD_ROUTE_NONE;
    if (producer && pvmd_conn_congested(c)) {
      pvmd_waiter_park(&c->drain_waiters, producer);
      d->st.senders_paused++;
      return PVMD_ROUTE_FULL;
    }
    if (producer && pvmd_mem_over(d)) {
      pvmd_mem_park(d, producer);
      return PVMD_ROUTE_FULL;
    }
    return PVMD_ROUTE_OK;
  }
  if (t->spawned && !t->connected)
    return hold(d, t, f, producer);
  pvmw_frame_free(f);
  return PVMD_ROUTE_NONE;
}

/* A message of c's (tag) to dst was dropped for lack of memory: c's task
 * gets PvmNoMem from its next send. Without memory for that either, the
 * connection goes (the task then gets PvmSysErr): never a silent loss. */
static void tell_sender(struct pvmd_conn *c, int dst, int tag) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__Status st = PVMNG__STATUS__INIT;
  char reason[160], db[16];

  snprintf(reason, sizeof reason,
           "the daemon is out of memory: a message (tag %d) to %s was "
           "dropped (%llu bytes queued, budget %zu)",
           tag, pvmw_tid_str(dst, db, sizeof db),
           (unsigned long long)c->d->st.mem_queued, c->d->lim.mem_budget);
  st.code = PvmNoMem;
  st.value = dst;
  st.reason = reason;
  m.req_id = PVMW_REQ_SEND_ERROR;
  m.body_case = PVMNG__CONTROL__BODY_STATUS;
  m.status = &st;
  if (pvmd_conn_send_control(c, &m) < 0)
    pvmd_conn_reject(c,
                     "out of memory telling it that its message to %s "
                     "was dropped",
                     db);
}

void pvmd_route_message(struct pvmd_conn *c, pvmw_frame *f) {
  struct pvmd *d = c->d;
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  const uint8_t *body;
  uint32_t body_len;
  char sb[16], db[16];
  int dst, rc;

  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &body_len) != 0) {
    pvmw_frame_free(f);
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "message frame with an undecodable header");
    return;
  }
  if ((int)h.src != c->task->tid) {
    pvmw_frame_free(f);
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "message source %s is not the connection's tid",
                     pvmw_tid_str((int)h.src, sb, sizeof sb));
    return;
  }
  if ((h.flags & PVMW_MF_FIRST) && h.total_len > d->lim.max_message) {
    pvmw_frame_free(f);
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "message of %llu bytes is over the limit of %llu bytes",
                     (unsigned long long)h.total_len,
                     (unsigned long long)d->lim.max_message);
    return;
  }
  dst = (int)h.dst;
  if (dst == d->tid &&
      (h.flags & (PVMW_MF_FIRST | PVMW_MF_LAST)) ==
          (PVMW_MF_FIRST | PVMW_MF_LAST) &&
      (pvmd_tasker_message(c, h.tag, body, body_len) ||
       pvmd_hoster_message(c, h.tag, body, body_len) ||
       pvmd_rm_daemon_message(c, h.tag, h.ctx, h.wid, body, body_len))) {
    pvmw_frame_free(f);
    return;
  }
  /* A resource manager's answer to a task's request (rm.c). */
  if (dst != d->tid && h.tag < 0 && (h.flags & PVMW_MF_FIRST) &&
      pvmd_rm_message(c, dst, h.tag, h.ctx, h.wid, h.encoding, body, body_len,
                      (h.flags & PVMW_MF_LAST) != 0)) {
    pvmw_frame_free(f);
    if (!(h.flags & PVMW_MF_LAST))
      c->skip_msg = 1; /* the rest of it goes too */
    return;
  }
  if (dst == d->tid) {
    pvmw_frame_free(f);
    d->st.msgs_dropped++;
    pvmd_log("dropping a message (tag %d) from %s to the daemon: reserved",
             h.tag, c->who);
    return;
  }
  if (!pvmw_tid_is_task(dst)) {
    pvmw_frame_free(f);
    d->st.msgs_dropped++;
    pvmd_debug("dropping a message (tag %d) from %s to %s: no route", h.tag,
               c->who, pvmw_tid_str(dst, db, sizeof db));
    return;
  }
  if (c->skip_msg) {
    /* The rest of a message one of whose fragments found no memory. */
    pvmw_frame_free(f);
    d->st.msgs_dropped++;
    if (h.flags & PVMW_MF_LAST)
      c->skip_msg = 0;
    return;
  }
  rc = pvmd_route_deliver(d, dst, f, &c->wait);
  if (rc == PVMD_ROUTE_NOMEM) {
    d->st.msgs_dropped++;
    d->st.mem_refused++;
    if (!(h.flags & PVMW_MF_LAST)) {
      c->skip_msg = 1;
      c->partial_dst = dst;
    }
    if (!(h.flags & PVMW_MF_FIRST))
      pvmd_route_abort_partial(c);
    c->partial_dst = 0;
    tell_sender(c, dst, h.tag);
    if (c->state == PVMD_CONN_TASK)
      pvmd_conn_pause_nomem(c); /* and blocked until memory is freed */
    return;
  }
  c->partial_dst = (h.flags & PVMW_MF_LAST) ? 0 : dst;
  if (rc == PVMD_ROUTE_NONE) {
    d->st.msgs_dropped++;
    pvmd_debug("dropping a message (tag %d) from %s to %s: no such task", h.tag,
               c->who, pvmw_tid_str(dst, db, sizeof db));
    return;
  }
  d->st.msgs_forwarded++;
  if (rc == PVMD_ROUTE_FULL) {
    pvmd_debug("pausing %s: %s is not keeping up", c->who,
               pvmw_tid_str(dst, db, sizeof db));
    pvmd_conn_set_reading(c, 0);
  }
}

void pvmd_route_abort_partial(struct pvmd_conn *c) {
  struct pvmd *d = c->d;
  int dst = c->partial_dst;
  char sb[16], db[16];
  pvmw_frame *f;

  c->partial_dst = 0;
  if (dst == 0 || !c->task || d->halting)
    return;
  f = pvmw_abort_frame(c->task->tid, dst);
  pvmd_log("a message from %s to %s is cut short (%s): %s",
           pvmw_tid_str(c->task->tid, sb, sizeof sb),
           pvmw_tid_str(dst, db, sizeof db),
           c->state == PVMD_CONN_TASK ? "no memory for the rest"
                                      : "the sender is gone",
           f ? "its receiver drops the part it has"
             : "out of memory telling its receiver");
  if (f)
    pvmd_route_deliver(d, dst, f, NULL);
}

void pvmd_route_flush_held(struct pvmd_task *t) {
  while (!pvmd_list_empty(&t->held)) {
    struct held_frame *hf =
        pvmd_container_of(t->held.next, struct held_frame, node);
    pvmd_list_remove(&hf->node);
    t->held_bytes -= held_cost(hf->f);
    pvmd_mem_release(t->d, held_cost(hf->f));
    if (t->conn)
      pvmd_conn_send(t->conn, hf->f);
    else
      pvmw_frame_free(hf->f);
    free(hf);
  }
  pvmd_waiters_wake(&t->held_waiters);
}

void pvmd_route_drop_held(struct pvmd_task *t) {
  while (!pvmd_list_empty(&t->held)) {
    struct held_frame *hf =
        pvmd_container_of(t->held.next, struct held_frame, node);
    pvmd_list_remove(&hf->node);
    t->held_bytes -= held_cost(hf->f);
    if (t->d)
      pvmd_mem_release(t->d, held_cost(hf->f));
    pvmw_frame_free(hf->f);
    free(hf);
    if (t->d)
      t->d->st.msgs_dropped++;
  }
  pvmd_waiters_wake(&t->held_waiters);
}
