/* Requests about another host. A task's request for a tid, or a host, that
 * another daemon owns travels there as a PeerForward (through the master:
 * the links form a star) and is executed by pvmd_request on a stand-in
 * connection whose replies travel back the same way; spawns spread over the
 * hosts and pvm_tasks(0) are split into parts and gathered. */

#include "log.h"
#include "msgroute.h"
#include "peer_int.h"
#include "pvmd.h"
#include "reply.h"
#include "request.h"
#include "rm.h"
#include "taskconn.h"
#include "tid.h"
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pvm3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- replies and forwarding ------------------------------------------ */

static int self_no(struct pvmd_peers *ps) { return ps->d->host_no; }

static void send_forward(struct pvmd_peers *ps, int to_host, uint32_t fwd_id,
                         int origin, int is_reply, const uint8_t *ctl,
                         size_t len, int for_rm) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerForward pf = PVMNG__PEER_FORWARD__INIT;
  struct pvmd_link *l = pvmd_link_to_host(ps, to_host);
  if (!l) {
    pvmd_log("no link to host %d for a forwarded request", to_host);
    return;
  }
  pf.to_host = (uint32_t)to_host;
  pf.from_host = (uint32_t)self_no(ps);
  pf.fwd_id = fwd_id;
  pf.origin_tid = (uint32_t)origin;
  pf.reply = is_reply;
  pf.for_rm = for_rm != 0;
  pf.control.data = (uint8_t *)ctl;
  pf.control.len = len;
  m.body_case = PVMNG__CONTROL__BODY_PEER_FORWARD;
  m.peer_forward = &pf;
  pvmd_link_send_control(l, &m);
}

/* Sends answer m (its req_id is set here) to rt. */
void pvmd_peer_reply_send(struct pvmd_peers *ps, const struct pvmd_reply_to *rt,
                          Pvmng__Control *m) {
  m->req_id = rt->req_id;
  if (rt->from_host == 0 || rt->from_host == self_no(ps)) {
    struct pvmd_conn *c = pvmd_route_conn(ps->d, rt->origin_tid);
    if (c)
      pvmd_conn_send_control(c, m);
    return;
  }
  size_t len = pvmng__control__get_packed_size(m);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf)
    return;
  pvmng__control__pack(m, buf);
  send_forward(ps, rt->from_host, rt->fwd_id, rt->origin_tid, 1, buf, len, 0);
  free(buf);
}

void pvmd_peer_answer(struct pvmd *d, const struct pvmd_reply_to *rt,
                      Pvmng__Control *m) {
  if (d->peers != NULL) {
    pvmd_peer_reply_send(d->peers, rt, m);
  } else if (rt->from_host == 0 || rt->from_host == d->host_no) {
    struct pvmd_conn *c = pvmd_route_conn(d, rt->origin_tid);
    m->req_id = rt->req_id;
    if (c)
      pvmd_conn_send_control(c, m);
  }
}

void pvmd_peer_reply_status(struct pvmd_peers *ps,
                            const struct pvmd_reply_to *rt, int code) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__Status s = PVMNG__STATUS__INIT;
  s.code = code;
  s.value = code;
  m.body_case = PVMNG__CONTROL__BODY_STATUS;
  m.status = &s;
  pvmd_peer_reply_send(ps, rt, &m);
}

struct pvmd_reply_to pvmd_peer_reply_to_of(struct pvmd_conn *c,
                                           uint32_t req_id) {
  struct pvmd_reply_to rt = {c->task ? c->task->tid : 0, req_id, 0, 0};
  if (c->sink) {
    struct pvmd_sinkctx *sc = c->sink_arg;
    rt = sc->rt;
    rt.req_id = req_id;
  }
  return rt;
}

/* Sends request m to host to_host (for_rm: for the resource manager
 * there). Takes nothing. */
static void forward(struct pvmd_peers *ps, const struct pvmd_reply_to *rt,
                    int to_host, const Pvmng__Control *m, struct pvmd_gather *g,
                    int slot, int count, int for_rm) {
  struct pvmd_fwd *fw = calloc(1, sizeof *fw);
  size_t len = pvmng__control__get_packed_size(m);
  uint8_t *buf = malloc(len ? len : 1);
  if (!fw || !buf || !pvmd_link_to_host(ps, to_host)) {
    free(fw);
    free(buf);
    if (g)
      pvmd_peer_gather_part(ps, g, slot, count, NULL);
    else
      pvmd_peer_reply_status(ps, rt, PvmNoHost);
    return;
  }
  fw->id = ps->next_fwd++;
  fw->rt = *rt;
  fw->g = g;
  fw->slot = slot;
  fw->count = count;
  fw->to_host = to_host;
  pvmd_list_add_tail(&ps->fwds, &fw->node);
  pvmng__control__pack(m, buf);
  send_forward(ps, to_host, fw->id, rt->origin_tid, 0, buf, len, for_rm);
  free(buf);
}

void pvmd_peer_forward(struct pvmd_peers *ps, const struct pvmd_reply_to *rt,
                       int to_host, const Pvmng__Control *m,
                       struct pvmd_gather *g, int slot, int count) {
  forward(ps, rt, to_host, m, g, slot, count, 0);
}

void pvmd_peer_forward_rm(struct pvmd *d, const struct pvmd_reply_to *rt,
                          int to_host, const Pvmng__Control *m) {
  if (d->peers == NULL) {
    Pvmng__Control a = PVMNG__CONTROL__INIT;
    Pvmng__Status st = PVMNG__STATUS__INIT;
    st.code = st.value = PvmNoHost;
    st.reason = "the resource manager's host cannot be reached";
    a.body_case = PVMNG__CONTROL__BODY_STATUS;
    a.status = &st;
    pvmd_peer_answer(d, rt, &a);
    return;
  }
  forward(d->peers, rt, to_host, m, NULL, 0, 0, 1);
}

/* A stand-in connection's replies. */
static int sink_frame(struct pvmd_conn *c, pvmw_frame *f) {
  struct pvmd_sinkctx *sc = c->sink_arg;
  if (sc->g) {
    Pvmng__Control *m = pvmw_control_parse(f);
    pvmd_peer_gather_part(sc->ps, sc->g, sc->slot, sc->count, m);
  } else {
    send_forward(sc->ps, sc->rt.from_host, sc->rt.fwd_id, sc->rt.origin_tid, 1,
                 f->payload, f->len, 0);
  }
  pvmw_frame_free(f);
  return 0;
}

/* Runs request m here on behalf of a task elsewhere (or a gather's local
 * part), through a stand-in connection that lives for this call only. */
static void exec_here(struct pvmd_peers *ps, struct pvmd_sinkctx *sc,
                      int origin, const Pvmng__Control *m) {
  struct pvmd_task ft;
  struct pvmd_conn fc;
  char tb[16];
  pvmw_frame *f;
  size_t len = pvmng__control__get_packed_size(m);

  memset(&ft, 0, sizeof ft);
  memset(&fc, 0, sizeof fc);
  ft.tid = origin;
  ft.pid = -1;
  fc.d = ps->d;
  fc.state = PVMD_CONN_TASK;
  fc.task = &ft;
  fc.sink = sink_frame;
  fc.sink_arg = sc;
  snprintf(fc.who, sizeof fc.who, "%s (remote)",
           pvmw_tid_str(origin, tb, sizeof tb));
  f = pvmw_frame_alloc(PVMW_FT_CONTROL, (uint32_t)len);
  if (!f)
    return;
  pvmng__control__pack(m, f->payload);
  pvmd_request(&fc, f);
}

void pvmd_peer_run_for(struct pvmd *d, const struct pvmd_reply_to *rt,
                       Pvmng__Control *m) {
  struct pvmd_sinkctx sc;
  memset(&sc, 0, sizeof sc);
  sc.ps = d->peers;
  sc.rt = *rt;
  sc.vm = 1;
  m->req_id = rt->req_id;
  if (d->peers != NULL)
    exec_here(d->peers, &sc, rt->origin_tid, m);
  pvmng__control__free_unpacked(m, NULL);
}

/* ---- the virtual machine's resource manager ------------------------------ */

static void rm_send(struct pvmd_link *l, int rm_tid) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerRm r = PVMNG__PEER_RM__INIT;
  r.rm_tid = (uint32_t)rm_tid;
  m.body_case = PVMNG__CONTROL__BODY_PEER_RM;
  m.peer_rm = &r;
  pvmd_link_send_control(l, &m);
}

/* The master tells every daemon (but `except`). */
static void rm_broadcast(struct pvmd_peers *ps, struct pvmd_link *except) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    if (l != except && l->state == L_UP)
      rm_send(l, ps->d->vm_rm_tid);
  }
}

void pvmd_peer_rm_announce(struct pvmd *d, int rm_tid) {
  struct pvmd_peers *ps = d->peers;
  if (rm_tid == 0 && d->vm_rm_tid != 0 &&
      pvmw_tid_host(d->vm_rm_tid) != d->host_no)
    return; /* this host's RM left, but another host's is the VM's */
  d->vm_rm_tid = rm_tid;
  if (ps == NULL)
    return;
  if (ps->master != NULL) {
    if (ps->master->state == L_UP)
      rm_send(ps->master, rm_tid);
  } else {
    rm_broadcast(ps, NULL);
  }
}

void pvmd_peer_rm_welcome(struct pvmd_link *l) {
  if (l->ps->master == NULL && l->ps->d->vm_rm_tid != 0)
    rm_send(l, l->ps->d->vm_rm_tid);
}

void pvmd_peer_on_rm(struct pvmd_link *from, const Pvmng__PeerRm *r) {
  struct pvmd_peers *ps = from->ps;
  struct pvmd *d = ps->d;
  int tid = (int)r->rm_tid;
  char tb[16];

  if (ps->master != NULL) {
    /* A slave takes the master's word. */
    if (from != ps->master || tid == d->vm_rm_tid)
      return;
    d->vm_rm_tid = tid;
    if (tid == 0)
      pvmd_log("the virtual machine's resource manager left: the daemons "
               "answer requests again");
    else
      pvmd_log("%s is the virtual machine's resource manager",
               pvmw_tid_str(tid, tb, sizeof tb));
    return;
  }
  if (tid != 0 &&
      (!pvmw_tid_is_task(tid) || pvmw_tid_host(tid) != from->host_no)) {
    pvmd_log("host %s names %s as the resource manager, not a task of its "
             "own: ignored",
             from->who, pvmw_tid_str(tid, tb, sizeof tb));
    return;
  }
  if (tid == 0 &&
      (d->vm_rm_tid == 0 || pvmw_tid_host(d->vm_rm_tid) != from->host_no))
    return; /* an RM that was not the VM's left */
  d->vm_rm_tid = tid;
  if (tid == 0)
    pvmd_log("the virtual machine's resource manager left: the daemons "
             "answer requests again");
  else
    pvmd_log("%s (host %s) is the virtual machine's resource manager",
             pvmw_tid_str(tid, tb, sizeof tb), from->who);
  rm_broadcast(ps, NULL);
}

static void gather_finish(struct pvmd_peers *ps, struct pvmd_gather *g) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  if (g->is_spawn) {
    Pvmng__SpawnReply sr = PVMNG__SPAWN_REPLY__INIT;
    sr.n_tids = g->ntids;
    sr.tids = g->tids;
    if (g->reason != NULL)
      sr.reason = g->reason;
    m.body_case = PVMNG__CONTROL__BODY_SPAWN_REPLY;
    m.spawn_reply = &sr;
    pvmd_peer_reply_send(ps, &g->rt, &m);
  } else {
    Pvmng__TasksReply tr = PVMNG__TASKS_REPLY__INIT;
    size_t n = 0, k = 0;
    for (size_t i = 0; i < g->nparts; i++)
      if (g->parts[i] &&
          g->parts[i]->body_case == PVMNG__CONTROL__BODY_TASKS_REPLY)
        n += g->parts[i]->tasks_reply->n_tasks;
    Pvmng__TaskInfo **all = calloc(n ? n : 1, sizeof *all);
    if (all) {
      for (size_t i = 0; i < g->nparts; i++)
        if (g->parts[i] &&
            g->parts[i]->body_case == PVMNG__CONTROL__BODY_TASKS_REPLY)
          for (size_t j = 0; j < g->parts[i]->tasks_reply->n_tasks; j++)
            all[k++] = g->parts[i]->tasks_reply->tasks[j];
      tr.n_tasks = k;
      tr.tasks = all;
      m.body_case = PVMNG__CONTROL__BODY_TASKS_REPLY;
      m.tasks_reply = &tr;
      pvmd_peer_reply_send(ps, &g->rt, &m);
      free(all);
    } else {
      pvmd_peer_reply_status(ps, &g->rt, PvmNoMem);
    }
    for (size_t i = 0; i < g->nparts; i++)
      if (g->parts[i])
        pvmng__control__free_unpacked(g->parts[i], NULL);
  }
  free(g->reason);
  free(g->tids);
  free(g->parts);
  free(g);
}

/* One part's answer (NULL: the host could not be reached). Takes m. */
void pvmd_peer_gather_part(struct pvmd_peers *ps, struct pvmd_gather *g,
                           int slot, int count, Pvmng__Control *m) {
  if (g->is_spawn) {
    for (int i = 0; i < count; i++) {
      int32_t v = PvmNoHost;
      if (m && m->body_case == PVMNG__CONTROL__BODY_SPAWN_REPLY &&
          (size_t)i < m->spawn_reply->n_tids)
        v = m->spawn_reply->tids[i];
      else if (m && m->body_case == PVMNG__CONTROL__BODY_STATUS)
        v = m->status->code;
      g->tids[slot + i] = v;
    }
    if (m && m->body_case == PVMNG__CONTROL__BODY_SPAWN_REPLY &&
        m->spawn_reply->reason && m->spawn_reply->reason[0] && !g->reason)
      g->reason = strdup(m->spawn_reply->reason);
    if (m)
      pvmng__control__free_unpacked(m, NULL);
  } else {
    g->parts[slot] = m;
  }
  if (--g->left == 0)
    gather_finish(ps, g);
}

/* A forwarded request or answer arriving at this daemon. */
void pvmd_peer_on_forward(struct pvmd_link *from,
                          const Pvmng__PeerForward *pf) {
  struct pvmd_peers *ps = from->ps;
  struct pvmd_list *pos, *tmp_;
  Pvmng__Control *m;

  if (!ps->master && (int)pf->from_host != from->host_no) {
    pvmd_link_fail(from, "forwarded request claims to come from host %u",
                   pf->from_host);
    return;
  }
  if ((int)pf->to_host != self_no(ps)) {
    /* The master relays between slaves. */
    struct pvmd_link *l =
        ps->master ? NULL : pvmd_link_to_host(ps, (int)pf->to_host);
    Pvmng__Control out = PVMNG__CONTROL__INIT;
    if (!l)
      return;
    out.body_case = PVMNG__CONTROL__BODY_PEER_FORWARD;
    out.peer_forward = (Pvmng__PeerForward *)pf;
    pvmd_link_send_control(l, &out);
    return;
  }
  m = pvmng__control__unpack(NULL, pf->control.len, pf->control.data);
  if (!m) {
    pvmd_log("undecodable forwarded request from host %u", pf->from_host);
    return;
  }
  if (!pf->reply && pf->for_rm) {
    struct pvmd_reply_to rt = {(int)pf->origin_tid, m->req_id,
                               (int)pf->from_host, pf->fwd_id};
    /* For the RM here; if it has gone, for the whole virtual machine. */
    if (!pvmd_rm_divert_remote(ps->d, &rt, m))
      pvmd_peer_run_for(ps->d, &rt, m);
    return;
  }
  if (!pf->reply) {
    struct pvmd_sinkctx sc;
    memset(&sc, 0, sizeof sc);
    sc.ps = ps;
    sc.rt.origin_tid = (int)pf->origin_tid;
    sc.rt.req_id = m->req_id;
    sc.rt.from_host = (int)pf->from_host;
    sc.rt.fwd_id = pf->fwd_id;
    exec_here(ps, &sc, (int)pf->origin_tid, m);
    pvmng__control__free_unpacked(m, NULL);
    return;
  }
  pvmd_list_each_safe(pos, tmp_, &ps->fwds) {
    struct pvmd_fwd *fw = pvmd_container_of(pos, struct pvmd_fwd, node);
    if (fw->id != pf->fwd_id)
      continue;
    pvmd_list_remove(&fw->node);
    if (fw->g) {
      pvmd_peer_gather_part(ps, fw->g, fw->slot, fw->count, m);
    } else {
      pvmd_peer_reply_send(ps, &fw->rt, m);
      pvmng__control__free_unpacked(m, NULL);
    }
    free(fw);
    return;
  }
  pvmng__control__free_unpacked(m, NULL);
}

/* ---- messages and requests ----------------------------------------- */

int pvmd_peer_route(struct pvmd *d, int dst, pvmw_frame *f,
                    struct pvmd_waiter *producer) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_link *l = ps ? pvmd_link_to_host(ps, pvmw_tid_host(dst)) : NULL;
  if (!l) {
    pvmw_frame_free(f);
    return PVMD_ROUTE_NONE;
  }
  return pvmd_link_send_flow(l, f, producer);
}

/* Answers a spawn with code in every slot. */
static void spawn_reply_all(struct pvmd_peers *ps,
                            const struct pvmd_reply_to *rt, int ntask,
                            int code) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__SpawnReply sr = PVMNG__SPAWN_REPLY__INIT;
  int32_t *tids = calloc((size_t)ntask, sizeof *tids);
  if (!tids) {
    pvmd_peer_reply_status(ps, rt, PvmNoMem);
    return;
  }
  for (int i = 0; i < ntask; i++)
    tids[i] = code;
  sr.n_tids = (size_t)ntask;
  sr.tids = tids;
  m.body_case = PVMNG__CONTROL__BODY_SPAWN_REPLY;
  m.spawn_reply = &sr;
  pvmd_peer_reply_send(ps, rt, &m);
  free(tids);
}

/* Whether host h is one a spawn with r's flags may use: every host
 * (PvmTaskDefault), the host named (PvmTaskHost) or those of the
 * architecture named (PvmTaskArch); PvmHostCompl takes the others. */
static int spawn_eligible(const struct pvmd_host *h,
                          const struct pvmd_host *named,
                          const Pvmng__SpawnRequest *r) {
  int in;
  if (r->flags & PvmTaskHost)
    in = h == named;
  else if (r->flags & PvmTaskArch)
    in = strcmp(h->arch, r->where) == 0;
  else
    return 1;
  return (r->flags & PvmHostCompl) ? !in : in;
}

/* A spawn over several hosts: the eligible hosts take the instances in
 * turn (round robin, as PVM does; sp= is not used for placement, but for
 * pvmd -S the CPUs the Slurm job has on each node weigh it), each
 * host's share going to it as one PvmTaskHost request. */
static int spawn_spread(struct pvmd_conn *c, uint32_t req_id,
                        const Pvmng__Control *m) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = d->peers;
  const Pvmng__SpawnRequest *r = m->spawn;
  const struct pvmd_hosts *hs = &d->hosts;
  const struct pvmd_host *named = NULL;
  struct pvmd_gather *g;
  int *count, *elig, n = hs->n, ne = 0;

  if (r->ntask < 1 || r->ntask > d->lim.spawn_max_ntask)
    return 0;
  if ((r->flags & (PvmTaskHost | PvmTaskArch)) && (!r->where || !r->where[0]))
    return 0; /* refused by the local checks */
  if (r->flags & PvmTaskHost) {
    named = pvmd_host_by_name(hs, r->where);
    if (!named)
      return 0; /* PvmNoHost from the local checks */
    if (!(r->flags & PvmHostCompl)) {
      struct pvmd_reply_to rt;
      if (named->self)
        return 0;
      rt = pvmd_peer_reply_to_of(c, req_id);
      pvmd_peer_forward(ps, &rt, pvmw_tid_host(named->tid), m, NULL, 0, 0);
      return 1;
    }
  }
  count = calloc((size_t)n, sizeof *count);
  elig = calloc((size_t)n, sizeof *elig);
  if (!count || !elig) {
    free(count);
    free(elig);
    return 0;
  }
  for (int i = 0; i < n; i++)
    if (spawn_eligible(&hs->v[i], named, r))
      elig[ne++] = i;
  if (ne == 0) {
    struct pvmd_reply_to rt = pvmd_peer_reply_to_of(c, req_id);
    pvmd_debug("spawn from %s: no host matches \"%s\" (flags %d)", c->who,
               r->where ? r->where : "", r->flags);
    spawn_reply_all(ps, &rt, r->ntask, PvmNoHost);
    free(count);
    free(elig);
    return 1;
  }
  g = calloc(1, sizeof *g);
  if (g)
    g->tids = calloc((size_t)r->ntask, sizeof *g->tids);
  if (!g || !g->tids) {
    if (g)
      free(g->tids);
    free(g);
    free(count);
    free(elig);
    return 0;
  }
  if (d->slurm) {
    /* pvmd -S: in proportion to the CPUs the job has on each node (their
     * speeds), the rest in turn. */
    long total = 0, given = 0;
    for (int k = 0; k < ne; k++)
      total += hs->v[elig[k]].speed > 0 ? hs->v[elig[k]].speed : 1;
    for (int k = 0; k < ne; k++) {
      long w = hs->v[elig[k]].speed > 0 ? hs->v[elig[k]].speed : 1;
      count[elig[k]] = (int)((long long)r->ntask * w / total);
      given += count[elig[k]];
    }
    for (long i = given; i < r->ntask; i++)
      count[elig[(ps->rr++) % (unsigned)ne]]++;
  } else {
    for (int i = 0; i < r->ntask; i++)
      count[elig[(ps->rr++) % (unsigned)ne]]++;
  }
  g->rt = pvmd_peer_reply_to_of(c, req_id);
  g->is_spawn = 1;
  g->ntids = (size_t)r->ntask;
  for (int i = 0; i < n; i++)
    if (count[i] > 0)
      g->left++;
  for (int i = 0, slot = 0; i < n; i++) {
    Pvmng__Control sub = *m;
    Pvmng__SpawnRequest sr = *r;
    if (count[i] == 0)
      continue;
    sr.ntask = count[i];
    sr.flags = (r->flags & ~(PvmTaskArch | PvmHostCompl)) | PvmTaskHost;
    sr.where = hs->v[i].name;
    sub.spawn = &sr;
    if (hs->v[i].self) {
      struct pvmd_sinkctx sc;
      memset(&sc, 0, sizeof sc);
      sc.ps = ps;
      sc.g = g;
      sc.slot = slot;
      sc.count = count[i];
      exec_here(ps, &sc, c->task->tid, &sub);
    } else {
      pvmd_peer_forward(ps, &g->rt, pvmw_tid_host(hs->v[i].tid), &sub, g, slot,
                        count[i]);
    }
    slot += count[i];
  }
  free(count);
  free(elig);
  return 1;
}

static int tasks_all(struct pvmd_conn *c, uint32_t req_id,
                     const Pvmng__Control *m) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = d->peers;
  const struct pvmd_hosts *hs = &d->hosts;
  struct pvmd_gather *g = calloc(1, sizeof *g);
  int n = hs->n;
  if (!g || !(g->parts = calloc((size_t)n, sizeof *g->parts))) {
    free(g);
    return 0;
  }
  g->rt = pvmd_peer_reply_to_of(c, req_id);
  g->nparts = (size_t)n;
  g->left = n;
  for (int i = 0; i < n; i++) {
    if (hs->v[i].self) {
      struct pvmd_sinkctx sc;
      memset(&sc, 0, sizeof sc);
      sc.ps = ps;
      sc.g = g;
      sc.slot = i;
      exec_here(ps, &sc, c->task->tid, m);
    } else {
      pvmd_peer_forward(ps, &g->rt, pvmw_tid_host(hs->v[i].tid), m, g, i, 0);
    }
  }
  return 1;
}

int pvmd_peer_request(struct pvmd_conn *c, uint32_t req_id,
                      const Pvmng__Control *m) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = d->peers;
  struct pvmd_reply_to rt;
  int tid = 0;

  /* Requests run here on another daemon's behalf stay here, but for
   * those a resource manager that left did not answer (pvmd_peer_run_for). */
  if ((c->sink &&
       !(c->sink == sink_frame && ((struct pvmd_sinkctx *)c->sink_arg)->vm)) ||
      !ps || d->hosts.n < 2)
    return 0;
  switch (m->body_case) {
  case PVMNG__CONTROL__BODY_SPAWN:
    return spawn_spread(c, req_id, m);
  case PVMNG__CONTROL__BODY_TASKS:
    tid = (int)m->tasks->where;
    if (tid == 0)
      return tasks_all(c, req_id, m);
    break;
  case PVMNG__CONTROL__BODY_KILL:
    tid = (int)m->kill->tid;
    break;
  case PVMNG__CONTROL__BODY_SIGNAL:
    tid = (int)m->signal->tid;
    break;
  case PVMNG__CONTROL__BODY_PSTAT:
    tid = (int)m->pstat->tid;
    break;
  case PVMNG__CONTROL__BODY_HOSTSYNC:
    /* A daemon tid: its host part names the daemon that answers. */
    tid = (int)m->hostsync->host;
    break;
  case PVMNG__CONTROL__BODY_GROUP:
  case PVMNG__CONTROL__BODY_MBOX:
    /* The group registry and the mailbox are the master's: a
     * slave passes its tasks' requests on, and the answers (some much later:
     * freezes, registry barriers, gets that wait for an entry) come back the
     * same way. */
    if (!ps->master)
      return 0;
    rt = pvmd_peer_reply_to_of(c, req_id);
    pvmd_peer_forward(ps, &rt, 1, m, NULL, 0, 0);
    return 1;
  case PVMNG__CONTROL__BODY_HALT:
    if (ps->master) {
      Pvmng__Control hm = PVMNG__CONTROL__INIT;
      Pvmng__PeerHalt ph = PVMNG__PEER_HALT__INIT;
      char why[80];
      snprintf(why, sizeof why, "pvm_halt from %s", c->who);
      ph.why = why;
      hm.body_case = PVMNG__CONTROL__BODY_PEER_HALT;
      hm.peer_halt = &ph;
      pvmd_reply_status(c, req_id, 0, 0, NULL);
      if (pvmd_link_usable(ps->master))
        pvmd_link_send_control(ps->master, &hm);
      return 1;
    }
    return 0;
  default:
    return 0;
  }
  if (tid <= 0 || pvmw_tid_host(tid) == d->host_no ||
      !pvmd_host_by_tid(&d->hosts, pvmw_tid_daemon(tid)))
    return 0;
  rt = pvmd_peer_reply_to_of(c, req_id);
  pvmd_peer_forward(ps, &rt, pvmw_tid_host(tid), m, NULL, 0, 0);
  return 1;
}
