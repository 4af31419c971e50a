/* Control requests. Answers come from this daemon's own tables; with peer
 * links, requests about other hosts will be forwarded from here. A request
 * that names a tid checks its shape first (PvmBadParam for something that
 * is not a task tid), then whether it exists (PvmNoTask). */
#include "request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pvm3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "childout.h"
#include "groupreg.h"
#include "hoster.h"
#include "log.h"
#include "mbox.h"
#include "notifytab.h"
#include "pvmd.h"
#include "reply.h"
#include "rm.h"
#include "spawn.h"
#include "taskconn.h"
#include "tasker.h"
#include "taskgone.h"
#include "tickle.h"
#include "tid.h"

/* A local task that a signal may be sent to, or an error code. */
static int signal_target(struct pvmd_conn *c, int tid, struct pvmd_task **out) {
  struct pvmd *d = c->d;
  struct pvmd_task *t;

  if (tid == d->tid || !pvmw_tid_is_task(tid))
    return PvmBadParam;
  if (pvmw_tid_host(tid) != d->host_no)
    return PvmNoTask; /* other hosts: forwarded once peers exist */
  t = pvmd_task_live(&d->tasks, tid);
  /* A spawned process already reaped must not be signalled: its pid may
   * belong to someone else by now. */
  if (!t || t->pid <= 0 || (t->spawned && !t->running))
    return PvmNoTask;
  *out = t;
  return 0;
}

static void do_signal(struct pvmd_conn *c, uint32_t req_id, int tid, int signum,
                      const char *what) {
  struct pvmd_task *t = NULL;
  char tb[16];
  int rc = signal_target(c, tid, &t);

  if (rc == 0 && (signum < 0 || signum >= NSIG))
    rc = PvmBadParam;
  if (rc == 0 && kill(t->pid, signum) != 0) {
    pvmd_log("%s of %s (pid %ld) for %s failed: %s", what,
             pvmw_tid_str(tid, tb, sizeof tb), (long)t->pid, c->who,
             strerror(errno));
    rc = errno == ESRCH ? PvmNoTask : PvmSysErr;
  }
  if (rc == 0)
    pvmd_debug("%s: signal %d to %s (pid %ld)", c->who, signum,
               pvmw_tid_str(tid, tb, sizeof tb), (long)t->pid);
  pvmd_reply_status(c, req_id, rc, rc, NULL);
}

static void do_pstat(struct pvmd_conn *c, uint32_t req_id, int tid) {
  struct pvmd *d = c->d;
  int rc;
  if (tid == d->tid)
    rc = PvmOk;
  else if (!pvmw_tid_is_task(tid))
    rc = PvmBadParam;
  else
    rc = pvmd_task_live(&d->tasks, tid) ? PvmOk : PvmNoTask;
  pvmd_reply_status(c, req_id, rc, rc, NULL);
}

static void do_mstat(struct pvmd_conn *c, uint32_t req_id, const char *host) {
  int rc = pvmd_host_by_name(&c->d->hosts, host) ? PvmOk : PvmNoHost;
  pvmd_reply_status(c, req_id, rc, rc, NULL);
}

static void do_tickle(struct pvmd_conn *c, uint32_t req_id,
                      const Pvmng__TickleRequest *t) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__TickleReply r = PVMNG__TICKLE_REPLY__INIT;
  int32_t res[PVMD_TICKLE_MAXRES];
  size_t nres = 0;
  if (t->n_args > 16)
    r.code = PvmBadParam;
  else
    r.code = pvmd_tickle(c->d, t->args, t->n_args, res, &nres);
  r.res = res;
  r.n_res = nres;
  m.body_case = PVMNG__CONTROL__BODY_TICKLE_REPLY;
  m.tickle_reply = &r;
  pvmd_reply_send(c, &m, req_id);
}

/* pvm_hostsync for this host (peer_fwd.c passes one for another on). */
static void do_hostsync(struct pvmd_conn *c, uint32_t req_id, int host) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HostSyncReply r = PVMNG__HOST_SYNC_REPLY__INIT;
  struct timeval tv;
  if (host <= 0 || pvmw_tid_daemon(host) != c->d->tid) {
    r.code = PvmNoHost;
  } else {
    gettimeofday(&tv, NULL);
    r.sec = tv.tv_sec;
    r.usec = (int32_t)tv.tv_usec;
  }
  m.body_case = PVMNG__CONTROL__BODY_HOSTSYNC_REPLY;
  m.hostsync_reply = &r;
  pvmd_reply_send(c, &m, req_id);
}

static void do_config(struct pvmd_conn *c, uint32_t req_id) {
  const struct pvmd_hosts *hs = &c->d->hosts;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__ConfigReply r = PVMNG__CONFIG_REPLY__INIT;
  Pvmng__HostInfo *infos = calloc((size_t)hs->n, sizeof *infos);
  Pvmng__HostInfo **ptrs = calloc((size_t)hs->n, sizeof *ptrs);

  if (!infos || !ptrs) {
    free(infos);
    free(ptrs);
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, "out of memory");
    return;
  }
  pvmd_hosts_fill_infos(hs, infos, ptrs);
  r.n_hosts = (size_t)hs->n;
  r.hosts = ptrs;
  r.narch = pvmd_hosts_narch(hs);
  m.body_case = PVMNG__CONTROL__BODY_CONFIG_REPLY;
  m.config_reply = &r;
  pvmd_reply_send(c, &m, req_id);
  free(ptrs);
  free(infos);
}

static void do_tasks(struct pvmd_conn *c, uint32_t req_id, int where) {
  struct pvmd *d = c->d;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__TasksReply r = PVMNG__TASKS_REPLY__INIT;
  Pvmng__TaskInfo *infos;
  Pvmng__TaskInfo **ptrs;
  struct pvmd_task *one = NULL;
  struct pvmd_list *pos, *tmp;
  size_t n = 0;

  if (where != 0 && where != d->tid) {
    if (pvmw_tid_is_daemon(where)) {
      pvmd_reply_status(c, req_id, PvmNoHost, PvmNoHost, NULL);
      return;
    }
    if (!pvmw_tid_is_task(where)) {
      pvmd_reply_status(c, req_id, PvmBadParam, PvmBadParam, NULL);
      return;
    }
    one = pvmd_task_live(&d->tasks, where);
    if (!one) {
      pvmd_reply_status(c, req_id, PvmNoTask, PvmNoTask, NULL);
      return;
    }
  }
  infos = calloc((size_t)d->tasks.count + 1, sizeof *infos);
  ptrs = calloc((size_t)d->tasks.count + 1, sizeof *ptrs);
  if (!infos || !ptrs) {
    free(infos);
    free(ptrs);
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, "out of memory");
    return;
  }
  pvmd_list_each_safe(pos, tmp, &d->tasks.all) {
    struct pvmd_task *t = pvmd_container_of(pos, struct pvmd_task, node);
    Pvmng__TaskInfo init = PVMNG__TASK_INFO__INIT;
    if (t->gone || (one && t != one))
      continue;
    infos[n] = init;
    infos[n].tid = (uint32_t)t->tid;
    infos[n].ptid = (uint32_t)t->ptid;
    infos[n].host = (uint32_t)d->tid;
    /* PVM 3.4's flags for the host's registered tasks (ps: R, H, T). */
    infos[n].flag = t->flags | (t->tid == pvmd_rm_tid(d) ? PVMD_TF_RM : 0) |
                    (t->tid == pvmd_hoster_tid(d) ? PVMD_TF_HOSTER : 0) |
                    (t->tid == pvmd_tasker_tid(d) ? PVMD_TF_TASKER : 0);
    infos[n].name = t->name ? t->name : (char *)"";
    infos[n].pid = (int32_t)t->pid;
    infos[n].no_reset = t->no_reset;
    ptrs[n] = &infos[n];
    n++;
  }
  r.n_tasks = n;
  r.tasks = ptrs;
  m.body_case = PVMNG__CONTROL__BODY_TASKS_REPLY;
  m.tasks_reply = &r;
  m.req_id = req_id;
  if (pvmd_conn_send_control(c, &m) < 0)
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem,
                      "task list too large for one reply");
  free(ptrs);
  free(infos);
}

/* This host's name resolved as pvmd_peer_listen resolves it for the
 * daemons' port, into addr; 0, or -1 with the reason. */
static int resolve_self(const char *self, char *addr, size_t len, char *reason,
                        size_t rlen) {
  struct addrinfo hints, *res = NULL;
  int rc;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(self, NULL, &hints, &res);
  if (rc != 0 || res == NULL ||
      inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr,
                (socklen_t)len) == NULL) {
    snprintf(reason, rlen, "cannot find the address of %.64s: %s", self,
             rc != 0 ? gai_strerror(rc) : "no IPv4 address");
    if (res != NULL)
      freeaddrinfo(res);
    return -1;
  }
  freeaddrinfo(res);
  return 0;
}

/* What a task needs to take TLS links with tasks on other hosts (libpvm's
 * route.c asks once, lazily): the certificate directory and name this
 * daemon uses, and the host's address. In a VM of several hosts that is
 * the address the other hosts reach this one at (pvmd_peer_self_addr), not
 * what its name resolves to here, which may be a loopback address; alone,
 * its name resolved. */
static void do_route_info(struct pvmd_conn *c, uint32_t req_id) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__RouteInfoReply r = PVMNG__ROUTE_INFO_REPLY__INIT;
  char certdir[4096], addr[INET_ADDRSTRLEN] = "", reason[256] = "";
  const char *self = pvmd_host_self(&c->d->hosts)->name;

  pvmd_peer_certdir(certdir, sizeof certdir);
  /* A slave answers tasks only once its link to the master is up, and a
   * master listens before it adds a host: in a VM of several hosts the
   * first branch serves, and the name is resolved only for a host alone. */
  if (pvmd_peer_self_addr(c->d, addr, sizeof addr) != 0 &&
      resolve_self(self, addr, sizeof addr, reason, sizeof reason) != 0) {
    pvmd_log("route info for %s: %s", c->who, reason);
    r.code = PvmSysErr;
    addr[0] = '\0';
  }
  r.reason = reason;
  r.certdir = certdir;
  r.cert_name = (char *)self;
  r.addr = addr;
  m.body_case = PVMNG__CONTROL__BODY_ROUTE_INFO_REPLY;
  m.route_info_reply = &r;
  pvmd_reply_send(c, &m, req_id);
}

void pvmd_request(struct pvmd_conn *c, pvmw_frame *f) {
  struct pvmd *d = c->d;
  Pvmng__Control *m = pvmw_control_parse(f);
  uint32_t id;

  pvmw_frame_free(f);
  if (!m) {
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "undecodable control message");
    return;
  }
  id = m->req_id;
  if (id == 0) {
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "control message without a request id (body %d)",
                     (int)m->body_case);
    pvmng__control__free_unpacked(m, NULL);
    return;
  }
  /* A resource manager decides some requests of the other tasks. */
  if (!c->sink && pvmd_rm_divert(c, id, m))
    return;
  pvmd_request_run(c, id, m);
}

void pvmd_request_run(struct pvmd_conn *c, uint32_t id, Pvmng__Control *m) {
  struct pvmd *d = c->d;

  if (pvmd_peer_request(c, id, m)) {
    pvmng__control__free_unpacked(m, NULL);
    return;
  }
  switch (m->body_case) {
  case PVMNG__CONTROL__BODY_ADD_HOSTS:
    pvmd_peer_add_hosts(c, id, m->add_hosts);
    break;
  case PVMNG__CONTROL__BODY_DEL_HOSTS:
    pvmd_peer_del_hosts(c, id, m->del_hosts);
    break;
  case PVMNG__CONTROL__BODY_SPAWN:
    pvmd_spawn(c, id, m->spawn);
    break;
  case PVMNG__CONTROL__BODY_KILL:
    do_signal(c, id, (int)m->kill->tid, SIGTERM, "kill");
    break;
  case PVMNG__CONTROL__BODY_SIGNAL:
    do_signal(c, id, (int)m->signal->tid, m->signal->signum, "signal");
    break;
  case PVMNG__CONTROL__BODY_PSTAT:
    do_pstat(c, id, (int)m->pstat->tid);
    break;
  case PVMNG__CONTROL__BODY_MSTAT:
    do_mstat(c, id, m->mstat->host);
    break;
  case PVMNG__CONTROL__BODY_CONFIG:
    do_config(c, id);
    break;
  case PVMNG__CONTROL__BODY_TASKS:
    do_tasks(c, id, (int)m->tasks->where);
    break;
  case PVMNG__CONTROL__BODY_HALT: {
    char why[80];
    pvmd_reply_status(c, id, 0, 0, NULL);
    snprintf(why, sizeof why, "pvm_halt from %s", c->who);
    pvmd_halt(d, c->task->tid, why);
    break;
  }
  case PVMNG__CONTROL__BODY_TASK_OPTIONS: {
    const Pvmng__TaskOptions *o = m->task_options;
    if (o->set_output && o->out_tid != 0 &&
        !pvmw_tid_is_task((int)o->out_tid)) {
      pvmd_reply_status(c, id, PvmBadParam, 0, "output tid is not a task");
      break;
    }
    c->task->no_reset = o->no_reset ? 1 : 0;
    if (o->set_output)
      pvmd_output_redirect(c->task, (int)o->out_tid, o->out_code, o->out_ctx);
    pvmd_reply_status(c, id, 0, 0, NULL);
    break;
  }
  case PVMNG__CONTROL__BODY_NOTIFY:
    pvmd_notify_request(c, id, m->notify);
    break;
  case PVMNG__CONTROL__BODY_GROUP:
    pvmd_group_request(c, id, m->group);
    break;
  case PVMNG__CONTROL__BODY_MBOX:
    pvmd_mbox_request(c, id, m->mbox);
    break;
  case PVMNG__CONTROL__BODY_TASKER:
    if (m->tasker->rm)
      pvmd_rm_request(c, id);
    else if (m->tasker->hoster)
      pvmd_hoster_request(c, id);
    else
      pvmd_tasker_request(c, id);
    break;
  case PVMNG__CONTROL__BODY_TICKLE:
    do_tickle(c, id, m->tickle);
    break;
  case PVMNG__CONTROL__BODY_HOSTSYNC:
    do_hostsync(c, id, (int)m->hostsync->host);
    break;
  case PVMNG__CONTROL__BODY_CONTEXT:
    pvmd_context_request(c, id, m->context);
    break;
  case PVMNG__CONTROL__BODY_ROUTE_INFO:
    do_route_info(c, id);
    break;
  case PVMNG__CONTROL__BODY_EXIT:
    pvmd_reply_status(c, id, 0, 0, NULL);
    pvmd_debug("%s left the virtual machine (pvm_exit)", c->who);
    pvmd_task_set_gone(c->task);
    break;
  default:
    d->st.frames_rejected++;
    pvmd_conn_reject(c, "unexpected control message (body %d)",
                     (int)m->body_case);
    break;
  }
  pvmng__control__free_unpacked(m, NULL);
}
