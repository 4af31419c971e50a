/* Notification requests (man pvm_notify). Each request is one entry: who
 * watches (tid, tag, context), what kind, and the task or daemon watched
 * (or, for PvmHostAdd, how many host additions remain to report). A
 * notification is an ordinary message from the daemon to the watcher whose
 * body is PvmDataDefault-packed integers, as PVM defines: the exited task's
 * tid (PvmTaskExit), the deleted daemon's tid (PvmHostDelete), or a count
 * followed by the new daemons' tids (PvmHostAdd). A request for something
 * that is already gone fires at once, and so does a cancelled one. */
#include "notifytab.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "pvm3.h"
#include "pvmd.h"
#include "reply.h"
#include "rm.h"
#include "taskconn.h"
#include "tid.h"
#include "xdr.h"

/* Bounds one task's standing requests, so a task cannot grow the daemon
 * without limit by asking again and again. */
#define NOTIFY_MAX_PER_TASK 65536

struct notify {
  struct pvmd_list node; /* pvmd.notifies */
  int kind;              /* PvmTaskExit, PvmHostDelete or PvmHostAdd */
  int watcher;
  int tag, ctx;
  int target; /* watched tid (TaskExit, HostDelete) */
  int count;  /* remaining PvmHostAdd reports, -1 without limit */
};

static struct pvmd_list *list_of(struct pvmd *d) {
  if (d->notifies.next == NULL)
    pvmd_list_init(&d->notifies);
  return &d->notifies;
}

/* A notification message: ints packed as one PvmDataDefault INT item. */
static void send_ints(struct pvmd *d, int dst, int tag, int ctx, const int *v,
                      int n) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  pvmw_frame *f;
  uint8_t *p;

  h.src = (uint32_t)d->tid;
  h.dst = (uint32_t)dst;
  h.tag = tag;
  h.ctx = ctx;
  h.encoding = PvmDataDefault;
  f = pvmw_message_frame(&h, PVMW_XDR_ITEM_HDR + 4u * (size_t)n, &p);
  if (f == NULL)
    return;
  pvmw_xdr_item(p, PVMW_XT_INT, (uint32_t)n);
  for (int i = 0; i < n; i++)
    pvmw_put_be32(p + PVMW_XDR_ITEM_HDR + 4 * i, (uint32_t)v[i]);
  pvmd_route_deliver(d, dst, f, NULL);
}

static int count_of(struct pvmd *d, int watcher) {
  struct pvmd_list *pos, *tmp;
  int n = 0;
  pvmd_list_each_safe(pos, tmp, list_of(d)) {
    if (pvmd_container_of(pos, struct notify, node)->watcher == watcher)
      n++;
  }
  return n;
}

static void drop(struct notify *n) {
  pvmd_list_remove(&n->node);
  free(n);
}

/* Whether the watched thing exists now, as far as this daemon knows. A
 * task on another host counts as alive while its host is in the table;
 * its daemon is asked (pvmd_peer_task_query) and announces the exit, at
 * once if the task has already gone. */
static int alive(struct pvmd *d, int kind, int target) {
  if (kind == PvmTaskExit && pvmw_tid_host(target) == d->host_no)
    return pvmd_task_live(&d->tasks, target) != NULL;
  return pvmd_host_by_tid(&d->hosts, pvmw_tid_daemon(target)) != NULL;
}

void pvmd_notify_request(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__NotifyRequest *r) {
  struct pvmd *d = c->d;
  int me = c->task->tid;
  int kind = r->kind & ~PvmNotifyCancel;
  int cancel = (r->kind & PvmNotifyCancel) != 0;
  struct pvmd_list *pos, *tmp;

  if ((kind != PvmTaskExit && kind != PvmHostDelete && kind != PvmHostAdd) ||
      r->tag < 0 || (kind != PvmHostAdd && r->n_tids > NOTIFY_MAX_PER_TASK)) {
    pvmd_reply_status(c, req_id, PvmBadParam, 0, "bad notify request");
    return;
  }
  for (size_t i = 0; kind != PvmHostAdd && i < r->n_tids; i++) {
    int t = (int)r->tids[i];
    if (kind == PvmTaskExit ? !pvmw_tid_is_task(t) : !pvmw_tid_is_daemon(t)) {
      pvmd_reply_status(c, req_id, PvmBadParam, 0,
                        "notify: not a task or daemon tid");
      return;
    }
  }

  if (kind == PvmHostAdd) {
    /* One standing PvmHostAdd request per watcher: a new call replaces the
     * count; 0 (or a cancel) turns it off. */
    pvmd_list_each_safe(pos, tmp, list_of(d)) {
      struct notify *n = pvmd_container_of(pos, struct notify, node);
      if (n->watcher == me && n->kind == PvmHostAdd)
        drop(n);
    }
    if (!cancel && r->count != 0) {
      struct notify *n = calloc(1, sizeof(*n));
      if (n == NULL) {
        pvmd_reply_status(c, req_id, PvmNoMem, 0, NULL);
        return;
      }
      n->kind = PvmHostAdd;
      n->watcher = me;
      n->tag = r->tag;
      n->ctx = r->ctx;
      n->count = r->count < 0 ? -1 : r->count;
      pvmd_list_add_tail(list_of(d), &n->node);
    }
    pvmd_reply_status(c, req_id, 0, 0, NULL);
    return;
  }

  if (cancel) {
    /* man pvm_notify: "when a notify is cancelled, the notify message is
     * delivered, as if the given event had occurred" (so does PVM 3.4.6).
     * The reply goes first, as for a request that fires at once. */
    pvmd_reply_status(c, req_id, 0, 0, NULL);
    for (size_t i = 0; i < r->n_tids; i++)
      pvmd_list_each_safe(pos, tmp, list_of(d)) {
        struct notify *n = pvmd_container_of(pos, struct notify, node);
        if (n->watcher == me && n->kind == kind &&
            n->target == (int)r->tids[i] && n->tag == r->tag) {
          send_ints(d, me, n->tag, n->ctx, &n->target, 1);
          drop(n);
        }
      }
    return;
  }

  if (count_of(d, me) + (int)r->n_tids > NOTIFY_MAX_PER_TASK) {
    pvmd_reply_status(c, req_id, PvmOutOfRes, 0,
                      "too many notify requests for one task");
    return;
  }
  /* Reply first: a notification for something already gone must come
   * after the answer to the request that asked for it. */
  pvmd_reply_status(c, req_id, 0, 0, NULL);
  for (size_t i = 0; i < r->n_tids; i++) {
    int t = (int)r->tids[i];
    if (!alive(d, kind, t)) {
      send_ints(d, me, r->tag, r->ctx, &t, 1);
      continue;
    }
    struct notify *n = calloc(1, sizeof(*n));
    if (n == NULL) {
      pvmd_log("notify from %s: out of memory", c->who);
      return;
    }
    n->kind = kind;
    n->watcher = me;
    n->tag = r->tag;
    n->ctx = r->ctx;
    n->target = t;
    pvmd_list_add_tail(list_of(d), &n->node);
    if (kind == PvmTaskExit && pvmw_tid_host(t) != d->host_no)
      pvmd_peer_task_query(d, t);
  }
}

void pvmd_notify_remote_task_gone(struct pvmd *d, int tid) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, list_of(d)) {
    struct notify *n = pvmd_container_of(pos, struct notify, node);
    if (n->kind == PvmTaskExit && n->target == tid) {
      send_ints(d, n->watcher, n->tag, n->ctx, &tid, 1);
      drop(n);
    }
  }
}

void pvmd_notify_task_gone(struct pvmd *d, int tid) {
  struct pvmd_list *pos, *tmp;
  pvmd_peer_task_gone(d, tid);
  pvmd_list_each_safe(pos, tmp, list_of(d)) {
    struct notify *n = pvmd_container_of(pos, struct notify, node);
    if (n->watcher == tid) {
      drop(n);
    } else if (n->kind == PvmTaskExit && n->target == tid) {
      send_ints(d, n->watcher, n->tag, n->ctx, &tid, 1);
      drop(n);
    }
  }
}

static void forget_hosts(void);

void pvmd_notify_free_all(struct pvmd *d) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, list_of(d)) {
    drop(pvmd_container_of(pos, struct notify, node));
  }
  forget_hosts();
}

/* The host table as last reported, to tell additions and deletions apart.
 * Owned by this file; only pvmd_notify_hosts_changed reads or writes it. */
static int *known_hosts;
static int nknown;

static int in_table(const struct pvmd_hosts *hs, int tid) {
  return pvmd_host_by_tid(hs, tid) != NULL;
}

void pvmd_notify_hosts_changed(struct pvmd *d) {
  const struct pvmd_hosts *hs = &d->hosts;
  struct pvmd_list *pos, *tmp;
  int *added = calloc((size_t)hs->n + 1, sizeof *added), nadded = 0;
  int *now = calloc((size_t)hs->n + 1, sizeof *now);

  if (added == NULL || now == NULL) {
    free(added);
    free(now);
    return;
  }
  if (known_hosts == NULL && nknown == 0) {
    /* First call: the table as it stands is the starting point. */
    for (int i = 0; i < hs->n; i++)
      now[i] = hs->v[i].tid;
    known_hosts = now;
    nknown = hs->n;
    free(added);
    return;
  }
  for (int i = 0; i < hs->n; i++) {
    int known = 0;
    now[i] = hs->v[i].tid;
    for (int k = 0; k < nknown && !known; k++)
      known = known_hosts[k] == now[i];
    if (!known)
      added[nadded++] = now[i];
  }
  /* Deleted hosts: their watchers, and the watchers of their tasks. */
  for (int k = 0; k < nknown; k++) {
    int gone = known_hosts[k];
    if (in_table(hs, gone))
      continue;
    pvmd_rm_host_gone(d, gone); /* the resource manager hears it too */
    pvmd_list_each_safe(pos, tmp, list_of(d)) {
      struct notify *n = pvmd_container_of(pos, struct notify, node);
      if ((n->kind == PvmHostDelete && n->target == gone) ||
          (n->kind == PvmTaskExit && pvmw_tid_daemon(n->target) == gone)) {
        send_ints(d, n->watcher, n->tag, n->ctx, &n->target, 1);
        drop(n);
      }
    }
  }
  /* Added hosts: one message per standing PvmHostAdd request, the count
   * followed by the new daemons' tids. */
  if (nadded > 0) {
    int *body = calloc((size_t)nadded + 1, sizeof *body);
    if (body != NULL) {
      body[0] = nadded;
      memcpy(body + 1, added, sizeof *body * (size_t)nadded);
      pvmd_list_each_safe(pos, tmp, list_of(d)) {
        struct notify *n = pvmd_container_of(pos, struct notify, node);
        if (n->kind != PvmHostAdd)
          continue;
        send_ints(d, n->watcher, n->tag, n->ctx, body, nadded + 1);
        if (n->count > 0 && --n->count == 0)
          drop(n);
      }
      free(body);
    }
  }
  free(added);
  free(known_hosts);
  known_hosts = now;
  nknown = hs->n;
}

static void forget_hosts(void) {
  free(known_hosts);
  known_hosts = NULL;
  nknown = 0;
}
