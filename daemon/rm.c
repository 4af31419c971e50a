/* Resource managers (rm.h). A request passed to the RM (from a task of
 * this host, or of another one through its daemon) waits here, with the
 * request itself, until the RM answers it or leaves; the RM's answer is
 * read item by item with every length checked, and one that does not hold
 * what its tag promises fails that one request with PvmBadMsg and a reason
 * (logged once): a wrong RM never hurts the daemon or the other tasks. */
#include "rm.h"

#include <pvm3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "pvmd.h"
#include "reply.h"
#include "request.h"
#include "rm_int.h"
#include "taskconn.h"
#include "tid.h"

/* Bound on what an RM's answer may claim, checked before allocating (the
 * host bound is rm_int.h's). */
#define RM_MAX_TASKS (1 << 20)

struct rm_pending {
  struct pvmd_list node;   /* pvmd.rm_pending, in arrival order */
  int tid;                 /* the requesting task, on any host */
  struct pvmd_reply_to rt; /* where the answer goes (rt.req_id) */
  int tag;                 /* the SM_* tag of the request and of its answer */
  int count;               /* pvm_spawn's ntask, the hosts added or deleted */
  Pvmng__Control *m;       /* the request, owned: the daemon's again if the RM
                              leaves before answering */
};

int pvmd_rm_tid(struct pvmd *d) {
  /* d->rm_tid itself stays until pvmd_rm_task_gone, which tells every
   * daemon and serves what the RM left unanswered. */
  if (d->rm_tid != 0 && pvmd_task_live(&d->tasks, d->rm_tid) == NULL)
    return 0;
  return d->rm_tid;
}

static void serve_pending(struct pvmd *d);

/* This host's RM is now tid (0: none); every daemon is told. */
static void set_rm(struct pvmd *d, int tid) {
  d->rm_tid = tid;
  pvmd_peer_rm_announce(d, tid);
}

/* Answers the request of rt with a Status (code, reason). */
static void reply_status(struct pvmd *d, const struct pvmd_reply_to *rt,
                         int code, const char *reason) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__Status st = PVMNG__STATUS__INIT;
  st.code = code;
  st.value = code;
  st.reason = (char *)reason;
  m.body_case = PVMNG__CONTROL__BODY_STATUS;
  m.status = &st;
  pvmd_peer_answer(d, rt, &m);
}

/* The master host (the first in host-number order) as PVM 3.4 describes
 * it to a new RM. */
static void master_info(struct pvmd *d, Pvmng__HostInfo *hi) {
  const struct pvmd_host *h = d->hosts.n > 0 ? &d->hosts.v[0] : NULL;
  if (h == NULL)
    return;
  hi->tid = (uint32_t)h->tid;
  hi->name = (char *)h->name;
  hi->arch = (char *)h->arch;
  hi->speed = h->speed;
  hi->dsig = h->dsig;
}

void pvmd_rm_request(struct pvmd_conn *c, uint32_t req_id) {
  struct pvmd *d = c->d;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__RmReply r = PVMNG__RM_REPLY__INIT;
  Pvmng__HostInfo hi = PVMNG__HOST_INFO__INIT;
  int old = pvmd_rm_tid(d);
  char tb[16];

  /* An RM that is gone but whose exit is not handled yet: what it left
   * unanswered is the daemon's, not the new RM's. */
  if (old == 0 && d->rm_tid != 0)
    serve_pending(d);
  set_rm(d, c->task->tid);
  pvmd_log("%s is the virtual machine's resource manager (pvm_reg_rm)",
           pvmw_tid_str(d->rm_tid, tb, sizeof tb));
  master_info(d, &hi);
  r.code = old == c->task->tid ? 0 : old;
  r.master = &hi;
  m.req_id = req_id;
  m.body_case = PVMNG__CONTROL__BODY_RM_REPLY;
  m.rm_reply = &r;
  pvmd_conn_send_control(c, &m);
}

/* ---- composing the SM_* requests --------------------------------------- */

/* The SM_* request for m in o, in the layout PVM 3.4's library gives it
 * (pvmng.h); its tag, or 0 for a request the RM does not decide. */
static int compose(const Pvmng__Control *m, struct obuf *o, int *count) {
  const Pvmng__SpawnRequest *s;
  const Pvmng__HostsRequest *h;
  const Pvmng__NotifyRequest *n;

  *count = 0;
  switch (m->body_case) {
  case PVMNG__CONTROL__BODY_SPAWN:
    s = m->spawn;
    put_str(o, s->file);
    put_int(o, s->flags);
    put_str(o, s->where);
    put_int(o, s->ntask);
    put_int(o, (int)s->n_argv);
    for (size_t i = 0; i < s->n_argv; i++)
      put_str(o, s->argv[i]);
    put_int(o, (int)s->out_tid);
    put_int(o, s->out_ctx);
    put_int(o, s->out_code);
    put_int(o, 0); /* the tracer's tid, context and tag: no tracing */
    put_int(o, 0);
    put_int(o, 0);
    put_int(o, (int)s->n_env);
    for (size_t i = 0; i < s->n_env; i++)
      put_str(o, s->env[i]);
    *count = s->ntask;
    return PVMD_SM_SPAWN;
  case PVMNG__CONTROL__BODY_TASKS:
    if (m->tasks->no_rm)
      return 0;
    put_int(o, (int)m->tasks->where);
    return PVMD_SM_TASK;
  case PVMNG__CONTROL__BODY_CONFIG:
    return PVMD_SM_CONFIG;
  case PVMNG__CONTROL__BODY_ADD_HOSTS:
  case PVMNG__CONTROL__BODY_DEL_HOSTS:
    h = m->body_case == PVMNG__CONTROL__BODY_ADD_HOSTS ? m->add_hosts
                                                       : m->del_hosts;
    put_int(o, (int)h->n_hosts);
    for (size_t i = 0; i < h->n_hosts; i++)
      put_str(o, h->hosts[i]);
    *count = (int)h->n_hosts;
    return m->body_case == PVMNG__CONTROL__BODY_ADD_HOSTS ? PVMD_SM_ADDHOST
                                                          : PVMD_SM_DELHOST;
  case PVMNG__CONTROL__BODY_NOTIFY:
    n = m->notify;
    put_int(o, n->kind);
    put_int(o, n->ctx);
    put_int(o, n->tag);
    put_int(o, n->count);
    put_ints(o, n->tids, n->n_tids);
    return PVMD_SM_NOTIFY;
  case PVMNG__CONTROL__BODY_TASKER:
    return m->tasker->rm ? PVMD_SM_SCHED : 0;
  default:
    return 0;
  }
}

static const char *tag_name(int tag) {
  switch (tag) {
  case PVMD_SM_SPAWN:
    return "SM_SPAWN";
  case PVMD_SM_TASK:
    return "SM_TASK";
  case PVMD_SM_CONFIG:
    return "SM_CONFIG";
  case PVMD_SM_ADDHOST:
    return "SM_ADDHOST";
  case PVMD_SM_DELHOST:
    return "SM_DELHOST";
  case PVMD_SM_NOTIFY:
    return "SM_NOTIFY";
  case PVMD_SM_SCHED:
    return "SM_SCHED";
  default:
    return "?";
  }
}

/* Passes request m (of task rt.origin_tid, on any host) to the RM rm of
 * this host. 1: taken (answered now or once the RM answers); 0: the RM is
 * leaving, m is the caller's. */
static int divert(struct pvmd *d, int rm, const struct pvmd_reply_to *rt,
                  const char *who, Pvmng__Control *m) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  struct obuf o = {NULL, 0, 0, 0};
  struct rm_pending *p;
  int tag, count;
  pvmw_frame *f;
  uint8_t *body;
  char tb[16];

  if ((tag = compose(m, &o, &count)) == 0) {
    free(o.p);
    return 0;
  }
  if (o.err || (p = calloc(1, sizeof *p)) == NULL) {
    free(o.p);
    reply_status(d, rt, PvmNoMem,
                 "the daemon is out of memory passing the request to "
                 "the resource manager");
    pvmng__control__free_unpacked(m, NULL);
    return 1;
  }
  h.src = (uint32_t)rt->origin_tid;
  h.dst = (uint32_t)rm;
  h.tag = tag;
  h.ctx = 0; /* PvmBaseContext, as PVM 3.4's library sends them */
  h.encoding = PvmDataDefault;
  if ((f = pvmw_message_frame(&h, o.len, &body)) == NULL) {
    free(o.p);
    free(p);
    reply_status(d, rt, PvmNoMem,
                 "the daemon is out of memory passing the request to "
                 "the resource manager");
    pvmng__control__free_unpacked(m, NULL);
    return 1;
  }
  if (o.len)
    memcpy(body, o.p, o.len);
  free(o.p);
  pvmd_debug("%s: %s to the resource manager %s", who, tag_name(tag),
             pvmw_tid_str(rm, tb, sizeof tb));
  switch (pvmd_route_deliver(d, rm, f, NULL)) {
  case PVMD_ROUTE_NONE:
    /* It is leaving: the daemon answers. */
    free(p);
    return 0;
  case PVMD_ROUTE_NOMEM:
    free(p);
    reply_status(d, rt, PvmNoMem,
                 "the daemon is out of memory passing the request to "
                 "the resource manager");
    pvmng__control__free_unpacked(m, NULL);
    return 1;
  default:
    break;
  }
  if (tag == PVMD_SM_NOTIFY) {
    /* pvm_notify is asynchronous in PVM 3.4: the RM does not answer. */
    free(p);
    reply_status(d, rt, 0, NULL);
    pvmng__control__free_unpacked(m, NULL);
    return 1;
  }
  p->tid = rt->origin_tid;
  p->rt = *rt;
  p->tag = tag;
  p->count = count;
  p->m = m;
  pvmd_list_add_tail(&d->rm_pending, &p->node);
  return 1;
}

int pvmd_rm_divert(struct pvmd_conn *c, uint32_t req_id, Pvmng__Control *m) {
  struct pvmd *d = c->d;
  struct pvmd_reply_to rt = {0, req_id, 0, 0};
  int rm = pvmd_rm_tid(d), vm = d->vm_rm_tid;

  if (c->task == NULL)
    return 0;
  rt.origin_tid = c->task->tid;
  if (rm != 0)
    return c->task->tid != rm && divert(d, rm, &rt, c->who, m);
  /* The VM's RM is on another host: the request goes to its daemon, which
   * hands it to the RM (or serves it, should the RM have gone). */
  if (vm == 0 || vm == c->task->tid || pvmw_tid_host(vm) == d->host_no ||
      pvmd_host_by_tid(&d->hosts, pvmw_tid_daemon(vm)) == NULL)
    return 0;
  {
    struct obuf o = {NULL, 0, 0, 0};
    int count, tag = compose(m, &o, &count);
    free(o.p);
    if (tag == 0)
      return 0;
    if (tag == PVMD_SM_SCHED) {
      /* The RM's hand-over (SM_SCHED) is between tasks of one host. */
      char tb[16], reason[160];
      snprintf(reason, sizeof reason,
               "the virtual machine's resource manager %s is on another host; "
               "only a task of its host may take over from it",
               pvmw_tid_str(vm, tb, sizeof tb));
      pvmd_reply_status(c, req_id, PvmExists, PvmExists, reason);
      pvmng__control__free_unpacked(m, NULL);
      return 1;
    }
  }
  pvmd_peer_forward_rm(d, &rt, pvmw_tid_host(vm), m);
  pvmng__control__free_unpacked(m, NULL);
  return 1;
}

int pvmd_rm_divert_remote(struct pvmd *d, const struct pvmd_reply_to *rt,
                          Pvmng__Control *m) {
  int rm = pvmd_rm_tid(d);
  char who[40], tb[16];
  if (rm == 0 || rm == rt->origin_tid)
    return 0;
  snprintf(who, sizeof who, "%s (remote)",
           pvmw_tid_str(rt->origin_tid, tb, sizeof tb));
  return divert(d, rm, rt, who, m);
}

/* ---- messages from the daemon to the RM --------------------------------- */

int pvmd_rm_send(struct pvmd *d, int rm, int tag, int ctx, uint32_t wid,
                 struct obuf *o) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  pvmw_frame *f;
  uint8_t *body;

  if (o->err) {
    free(o->p);
    return -1;
  }
  h.src = (uint32_t)d->tid;
  h.dst = (uint32_t)rm;
  h.tag = tag;
  h.ctx = ctx;
  h.wid = wid;
  h.encoding = PvmDataDefault;
  f = pvmw_message_frame(&h, o->len, &body);
  if (f != NULL && o->len)
    memcpy(body, o->p, o->len);
  free(o->p);
  if (f == NULL)
    return -1;
  return pvmd_route_deliver(d, rm, f, NULL) == PVMD_ROUTE_NONE ? -1 : 0;
}

/* ---- reading the RM's answers ------------------------------------------ */

/* Fails request p with code and a reason the task is told and the log
 * keeps. */
static void fail(struct pvmd *d, struct rm_pending *p, const char *rm, int code,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void fail(struct pvmd *d, struct rm_pending *p, const char *rm, int code,
                 const char *fmt, ...) {
  char why[200], reason[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  snprintf(reason, sizeof reason, "the resource manager %s answered %s %s", rm,
           tag_name(p->tag), why);
  pvmd_log("%s", reason);
  reply_status(d, &p->rt, code, reason);
}

/* One host of an SM_CONFIG or SM_ADDHOST answer. */
static int rd_host(struct rd *r, Pvmng__HostInfo *hi) {
  const char *name, *arch;
  int tid, speed, dsig;
  if (rd_int(r, &tid) < 0 || rd_str(r, &name) < 0 || rd_str(r, &arch) < 0 ||
      rd_int(r, &speed) < 0 || rd_int(r, &dsig) < 0)
    return -1;
  hi->tid = (uint32_t)tid;
  hi->name = (char *)name;
  hi->arch = (char *)arch;
  hi->speed = speed;
  hi->dsig = dsig;
  return 0;
}

/* The RM's answer to p in r, made the task's reply (sent to conn to).
 * Strings point into the body, which outlives the reply's sending. */
static void answer(struct pvmd *d, struct rm_pending *p, struct rd *r,
                   const char *rm) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__SpawnReply sr = PVMNG__SPAWN_REPLY__INIT;
  Pvmng__ConfigReply cr = PVMNG__CONFIG_REPLY__INIT;
  Pvmng__TasksReply tr = PVMNG__TASKS_REPLY__INIT;
  Pvmng__HostsReply hr = PVMNG__HOSTS_REPLY__INIT;
  Pvmng__RmReply rr = PVMNG__RM_REPLY__INIT;
  Pvmng__HostInfo hi = PVMNG__HOST_INFO__INIT, *his = NULL, **hps = NULL;
  Pvmng__TaskInfo *tis = NULL, **tps = NULL;
  int32_t *ints = NULL;
  int cc = 0, n = 0;
  char tb[16];

  m.req_id = p->rt.req_id;
  if (p->tag != PVMD_SM_CONFIG && rd_int(r, &cc) < 0) {
    fail(d, p, rm, PvmBadMsg, "without a result code");
    return;
  }
  if (cc < 0 && p->tag != PVMD_SM_CONFIG) {
    /* An error for the whole request: the task gets it. */
    reply_status(d, &p->rt, cc, NULL);
    return;
  }
  switch (p->tag) {
  case PVMD_SM_SPAWN:
    if (cc > p->count) {
      fail(d, p, rm, PvmBadMsg, "with %d tids for a spawn of %d tasks", cc,
           p->count);
      return;
    }
    if ((ints = calloc((size_t)cc + 1, sizeof *ints)) == NULL)
      goto nomem;
    for (n = 0; n < cc; n++)
      if (rd_int(r, &ints[n]) < 0) {
        fail(d, p, rm, PvmBadMsg, "with %d of the %d tids it announced", n, cc);
        free(ints);
        return;
      }
    sr.n_tids = (size_t)cc;
    sr.tids = ints;
    m.body_case = PVMNG__CONTROL__BODY_SPAWN_REPLY;
    m.spawn_reply = &sr;
    break;
  case PVMD_SM_CONFIG:
    if (rd_int(r, &n) < 0 || rd_int(r, &cc) < 0 || n < 0 || n > RM_MAX_HOSTS) {
      fail(d, p, rm, PvmBadMsg,
           "without a host count (0..%d) and an architecture count",
           RM_MAX_HOSTS);
      return;
    }
    if ((his = calloc((size_t)n + 1, sizeof *his)) == NULL ||
        (hps = calloc((size_t)n + 1, sizeof *hps)) == NULL)
      goto nomem;
    for (int i = 0; i < n; i++) {
      Pvmng__HostInfo init = PVMNG__HOST_INFO__INIT;
      his[i] = init;
      hps[i] = &his[i];
      if (rd_host(r, &his[i]) < 0) {
        fail(d, p, rm, PvmBadMsg,
             "with host %d of %d not a tid, name, architecture, speed and "
             "data signature",
             i + 1, n);
        goto out;
      }
    }
    cr.n_hosts = (size_t)n;
    cr.hosts = hps;
    cr.narch = cc;
    m.body_case = PVMNG__CONTROL__BODY_CONFIG_REPLY;
    m.config_reply = &cr;
    break;
  case PVMD_SM_TASK: {
    size_t cap = 16;
    if ((tis = calloc(cap, sizeof *tis)) == NULL)
      goto nomem;
    while (!rd_end(r)) {
      Pvmng__TaskInfo init = PVMNG__TASK_INFO__INIT;
      int tid, ptid, host, flag, pid;
      const char *name;
      if ((size_t)n == cap) {
        Pvmng__TaskInfo *nt;
        if (cap >= RM_MAX_TASKS) {
          fail(d, p, rm, PvmBadMsg, "with more than %d tasks", RM_MAX_TASKS);
          goto out;
        }
        if ((nt = realloc(tis, 2 * cap * sizeof *tis)) == NULL)
          goto nomem;
        tis = nt;
        cap *= 2;
      }
      if (rd_int(r, &tid) < 0 || rd_int(r, &ptid) < 0 || rd_int(r, &host) < 0 ||
          rd_int(r, &flag) < 0 || rd_str(r, &name) < 0 || rd_int(r, &pid) < 0) {
        fail(d, p, rm, PvmBadMsg,
             "with task %d not a tid, parent, host, flags, name and pid",
             n + 1);
        goto out;
      }
      tis[n] = init;
      tis[n].tid = (uint32_t)tid;
      tis[n].ptid = (uint32_t)ptid;
      tis[n].host = (uint32_t)host;
      tis[n].flag = flag;
      tis[n].name = (char *)name;
      tis[n].pid = pid;
      n++;
    }
    if ((tps = calloc((size_t)n + 1, sizeof *tps)) == NULL)
      goto nomem;
    for (int i = 0; i < n; i++)
      tps[i] = &tis[i];
    tr.n_tasks = (size_t)n;
    tr.tasks = tps;
    m.body_case = PVMNG__CONTROL__BODY_TASKS_REPLY;
    m.tasks_reply = &tr;
    break;
  }
  case PVMD_SM_ADDHOST:
  case PVMD_SM_DELHOST:
    if (cc != p->count) {
      /* As PVM 3.4's library takes a count that is not the request's. */
      fail(d, p, rm, PvmOutOfRes, "with %d results for %d hosts", cc, p->count);
      return;
    }
    if ((ints = calloc((size_t)cc + 1, sizeof *ints)) == NULL)
      goto nomem;
    if (p->tag == PVMD_SM_ADDHOST && rd_int(r, &n) < 0) {
      fail(d, p, rm, PvmBadMsg, "without an architecture count");
      goto out;
    }
    for (int i = 0; i < cc; i++) {
      Pvmng__HostInfo h1 = PVMNG__HOST_INFO__INIT;
      int bad = p->tag == PVMD_SM_ADDHOST ? rd_host(r, &h1) < 0
                                          : rd_int(r, &ints[i]) < 0;
      if (bad) {
        fail(d, p, rm, PvmBadMsg, "with %d of the %d host results", i, cc);
        goto out;
      }
      if (p->tag == PVMD_SM_ADDHOST)
        ints[i] = (int32_t)h1.tid;
    }
    hr.n_results = (size_t)cc;
    hr.results = ints;
    m.body_case = PVMNG__CONTROL__BODY_HOSTS_REPLY;
    m.hosts_reply = &hr;
    break;
  case PVMD_SM_SCHED:
    if (rd_int(r, &n) < 0 || rd_str(r, (const char **)&hi.name) < 0 ||
        rd_str(r, (const char **)&hi.arch) < 0 || rd_int(r, &hi.speed) < 0) {
      fail(d, p, rm, PvmBadMsg,
           "without the master's tid, name, architecture and speed");
      return;
    }
    hi.tid = (uint32_t)n;
    if (!rd_end(r) && rd_int(r, &hi.dsig) < 0)
      hi.dsig = 0; /* PVM 3.4's pvmd adds it; its library does not read it */
    /* The RM agreed to hand over (PVM 3.4: SM_HANDOFF): the task is the
     * host's RM from now on. */
    set_rm(d, p->tid);
    pvmd_log("the resource manager %s handed over to %s", rm,
             pvmw_tid_str(p->tid, tb, sizeof tb));
    /* What the old RM had not answered, the new one never saw. */
    serve_pending(d);
    rr.code = cc;
    rr.master = &hi;
    m.body_case = PVMNG__CONTROL__BODY_RM_REPLY;
    m.rm_reply = &rr;
    break;
  default:
    return;
  }
  pvmd_peer_answer(d, &p->rt, &m);
  goto out;
nomem:
  reply_status(d, &p->rt, PvmNoMem,
               "the daemon is out of memory reading the resource "
               "manager's answer");
out:
  free(ints);
  free(his);
  free(hps);
  free(tis);
  free(tps);
}

static void pending_free(struct rm_pending *p) {
  pvmd_list_remove(&p->node);
  if (p->m)
    pvmng__control__free_unpacked(p->m, NULL);
  free(p);
}

int pvmd_rm_message(struct pvmd_conn *c, int dst, int tag, int ctx,
                    uint32_t wid, uint32_t encoding, const uint8_t *body,
                    size_t len, int whole) {
  struct pvmd *d = c->d;
  struct pvmd_list *it, *tmp;
  struct rm_pending *p = NULL;
  struct rd r = {body, len, 0, 0};

  if (c->task == NULL || c->task->tid != pvmd_rm_tid(d))
    return 0;
  if (pvmw_tid_is_daemon(dst)) {
    if (tag != PVMD_SM_EXEC && tag != PVMD_SM_ADD && tag != PVMD_SM_HANDOFF)
      return 0;
    if (tag == PVMD_SM_EXEC && whole && encoding == PvmDataDefault)
      return pvmd_rm_exec_elsewhere(c, dst, ctx, wid, body, len);
    pvmd_rm_refuse(c, dst, tag, ctx, wid, body, whole ? len : 0);
    return 1;
  }
  pvmd_list_each_safe(it, tmp, &d->rm_pending) {
    struct rm_pending *q = pvmd_container_of(it, struct rm_pending, node);
    if (q->tid == dst && q->tag == tag) {
      p = q;
      break;
    }
  }
  if (p == NULL)
    return 0; /* not an answer: an ordinary message */
  if (p->rt.from_host == 0 && pvmd_route_conn(d, dst) == NULL) {
    pending_free(p);
    return 1;
  }
  pvmd_list_remove(&p->node); /* answered now, whatever happens */
  if (!whole)
    fail(d, p, c->who, PvmBadMsg,
         "in more than one fragment (%zu bytes in the first)", len);
  else if (encoding != PvmDataDefault)
    fail(d, p, c->who, PvmBadMsg,
         "not packed with PvmDataDefault (encoding %u)", (unsigned)encoding);
  else
    answer(d, p, &r, c->who);
  pending_free(p);
  return 1;
}

void pvmd_rm_task_gone(struct pvmd *d, int tid) {
  struct pvmd_list *it, *tmp;
  char tb[16];

  if (d->rm_pending.next == NULL)
    return; /* unit tests: no daemon state */
  pvmd_rm_task_exit(d, tid);
  if (d->rm_tid == 0 || d->rm_tid != tid) {
    pvmd_list_each_safe(it, tmp, &d->rm_pending) {
      struct rm_pending *p = pvmd_container_of(it, struct rm_pending, node);
      if (p->tid == tid)
        pending_free(p);
    }
    return;
  }
  set_rm(d, 0);
  pvmd_log("resource manager %s left: the daemons answer requests again",
           pvmw_tid_str(tid, tb, sizeof tb));
  serve_pending(d);
}

/* The requests waiting on an RM that is no longer it are served by the
 * daemon now, in the order they came. */
static void serve_pending(struct pvmd *d) {
  while (!pvmd_list_empty(&d->rm_pending)) {
    struct rm_pending *p =
        pvmd_container_of(d->rm_pending.next, struct rm_pending, node);
    struct pvmd_reply_to rt = p->rt;
    struct pvmd_conn *to =
        rt.from_host == 0 ? pvmd_route_conn(d, rt.origin_tid) : NULL;
    Pvmng__Control *m = p->m;
    p->m = NULL;
    pending_free(p);
    if (rt.from_host != 0)
      pvmd_peer_run_for(d, &rt, m); /* a task of another host */
    else if (to != NULL)
      pvmd_request_run(to, rt.req_id, m);
    else
      pvmng__control__free_unpacked(m, NULL);
  }
}
