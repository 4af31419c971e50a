/* What a resource manager asks of the daemons (rm.h): SM_EXEC to any
 * host's daemon starts tasks there through that daemon's spawn path, on
 * behalf of the task the request names, and is answered SM_EXECACK (an
 * SM_EXEC for another host travels there as an ordinary message from the
 * RM, and its SM_EXECACK comes back the same way); the RM hears of those
 * tasks' exits (SM_TASKX) and of hosts leaving (SM_HOSTX). What the daemons
 * do not carry out (SM_ADD, SM_HANDOFF) is refused at once, so that an RM
 * never waits for an answer that cannot come. */
#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "pvmd.h"
#include "request.h"
#include "rm.h"
#include "rm_int.h"
#include "taskconn.h"
#include "tasker.h"
#include "tid.h"

/* What PVM-NG's daemons do not carry out for an RM: SM_ADD, SM_HANDOFF
 * (docs/compatibility.md); an SM_EXEC for a host that cannot be reached.
 * The RM is told at once rather than left waiting: SM_EXECACK or SM_ADDACK
 * with PvmNotImpl (PvmNoHost for SM_EXEC) for each task or host, and the
 * log says why. */
void pvmd_rm_refuse(struct pvmd_conn *c, int dst, int tag, int ctx,
                    uint32_t wid, const uint8_t *body, size_t len) {
  struct obuf o = {NULL, 0, 0, 0};
  struct rd r = {body, len, 0, 0};
  const char *s;
  int v, count = 0;
  char tb[16];

  pvmd_log("the resource manager %s sent %s to the daemon %s: %s", c->who,
           tag == PVMD_SM_EXEC  ? "SM_EXEC"
           : tag == PVMD_SM_ADD ? "SM_ADD"
                                : "SM_HANDOFF",
           pvmw_tid_str(dst, tb, sizeof tb),
           tag == PVMD_SM_EXEC ? "no such host"
                               : "not supported (PVM-NG's resource managers "
                                 "add hosts with pvm_addhosts)");
  if (tag == PVMD_SM_EXEC) {
    if (rd_int(&r, &v) < 0 || rd_str(&r, &s) < 0 || rd_int(&r, &v) < 0 ||
        rd_int(&r, &count) < 0 || count < 0 || count > RM_MAX_HOSTS)
      count = 0;
    put_int(&o, count);
    for (int i = 0; i < count; i++)
      put_int(&o, PvmNoHost);
    pvmd_rm_send(c->d, c->task->tid, PVMD_SM_EXECACK, ctx, wid, &o);
  } else if (tag == PVMD_SM_ADD) {
    if (rd_int(&r, &count) < 0 || count < 0 || count > RM_MAX_HOSTS)
      count = 0;
    put_int(&o, count);
    put_int(&o, 0); /* architectures */
    for (int i = 0; i < count; i++) {
      put_int(&o, PvmNotImpl);
      put_str(&o, rd_str(&r, &s) == 0 ? s : "");
      put_str(&o, "");
      put_int(&o, 0);
      put_int(&o, 0);
    }
    pvmd_rm_send(c->d, c->task->tid, PVMD_SM_ADDACK, ctx, wid, &o);
  }
}

/* What SM_EXEC asks for, started through a stand-in connection whose
 * reply (a SpawnReply or a Status) becomes SM_EXECACK. */
struct exec_call {
  struct pvmd *d;
  int rm, ctx, count;
  uint32_t wid;
};

static int exec_sink(struct pvmd_conn *c, pvmw_frame *f) {
  struct exec_call *x = c->sink_arg;
  Pvmng__Control *m = pvmw_control_parse(f);
  struct obuf o = {NULL, 0, 0, 0};
  int err = PvmSysErr;

  pvmw_frame_free(f);
  if (m != NULL && m->body_case == PVMNG__CONTROL__BODY_STATUS &&
      m->status->code < 0)
    err = m->status->code;
  put_int(&o, x->count);
  for (int i = 0; i < x->count; i++) {
    int v = err;
    if (m != NULL && m->body_case == PVMNG__CONTROL__BODY_SPAWN_REPLY &&
        (size_t)i < m->spawn_reply->n_tids)
      v = m->spawn_reply->tids[i];
    if (v > 0) {
      struct pvmd_task *t = pvmd_task_find(&x->d->tasks, v);
      if (t != NULL)
        t->by_rm = 1;
    }
    put_int(&o, v);
  }
  if (m != NULL)
    pvmng__control__free_unpacked(m, NULL);
  pvmd_rm_send(x->d, x->rm, PVMD_SM_EXECACK, x->ctx, x->wid, &o);
  return 0;
}

/* Answers a malformed SM_EXEC: count errors (none if unknown). */
static void exec_refuse(const char *who, struct exec_call *x, const char *why) {
  struct obuf o = {NULL, 0, 0, 0};
  pvmd_log("the resource manager %s sent an SM_EXEC %s: refused", who, why);
  put_int(&o, x->count);
  for (int i = 0; i < x->count; i++)
    put_int(&o, PvmBadMsg);
  pvmd_rm_send(x->d, x->rm, PVMD_SM_EXECACK, x->ctx, x->wid, &o);
}

/* SM_EXEC (body, len) from the RM rm (who: for the log), on this host or
 * another: the tasks start here and SM_EXECACK answers. */
static void exec_here(struct pvmd *d, int rm, const char *who, int ctx,
                      uint32_t wid, const uint8_t *body, size_t len) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__SpawnRequest s = PVMNG__SPAWN_REQUEST__INIT;
  struct exec_call x = {d, 0, ctx, 0, wid};
  struct pvmd_task ft;
  struct pvmd_conn fc;
  struct rd r = {body, len, 0, 0};
  const char *file, *where;
  char **argv = NULL, **env = NULL, tb[16];
  int ptid, flags, nargs, out[3], trc[3], nenv;
  pvmw_frame *f;

  x.rm = rm;
  if (rd_int(&r, &ptid) < 0 || rd_str(&r, &file) < 0 ||
      rd_int(&r, &flags) < 0 || rd_int(&r, &x.count) < 0) {
    x.count = 0;
    exec_refuse(who, &x, "without a parent, file, flags and count");
    return;
  }
  if (x.count < 1 || x.count > RM_MAX_HOSTS) {
    x.count = 0;
    exec_refuse(who, &x, "with a count out of 1..4096");
    return;
  }
  /* PVM 3.4's DM_EXEC has no "where"; PVM-NG's own RMs may send one. */
  where = "";
  if (rd_int(&r, &nargs) < 0 || nargs < 0 || (size_t)nargs > len / 8 ||
      (argv = calloc((size_t)nargs + 1, sizeof *argv)) == NULL) {
    exec_refuse(who, &x, "without its arguments");
    return;
  }
  for (int i = 0; i < nargs; i++)
    if (rd_str(&r, (const char **)&argv[i]) < 0) {
      free(argv);
      exec_refuse(who, &x, "with an argument that is not a string");
      return;
    }
  for (int i = 0; i < 3; i++)
    if (rd_int(&r, &out[i]) < 0) {
      free(argv);
      exec_refuse(who, &x, "without the output tid, context and tag");
      return;
    }
  /* The tracer's tid, context and tag, then the environment; both may be
   * left out. */
  nenv = 0;
  if (!rd_end(&r) && (rd_int(&r, &trc[0]) < 0 || rd_int(&r, &trc[1]) < 0 ||
                      rd_int(&r, &trc[2]) < 0 || rd_int(&r, &nenv) < 0 ||
                      nenv < 0 || (size_t)nenv > len / 8)) {
    free(argv);
    exec_refuse(who, &x, "with a malformed tracer or environment");
    return;
  }
  if ((env = calloc((size_t)nenv + 1, sizeof *env)) == NULL) {
    free(argv);
    exec_refuse(who, &x, "the daemon has no memory for");
    return;
  }
  for (int i = 0; i < nenv; i++)
    if (rd_str(&r, (const char **)&env[i]) < 0) {
      free(argv);
      free(env);
      exec_refuse(who, &x, "with an environment string that is not one");
      return;
    }
  s.file = (char *)file;
  s.argv = argv;
  s.n_argv = (size_t)nargs;
  /* Here, whatever host or architecture the request named. */
  s.flags = flags & ~(PvmTaskHost | PvmTaskArch);
  s.where = (char *)where;
  s.ntask = x.count;
  s.env = env;
  s.n_env = (size_t)nenv;
  s.wd = "";
  s.out_tid = (uint32_t)out[0];
  s.out_ctx = out[1];
  s.out_code = out[2];
  m.req_id = 1;
  m.body_case = PVMNG__CONTROL__BODY_SPAWN;
  m.spawn = &s;
  /* The tasks' parent is the task that asked the RM. */
  memset(&ft, 0, sizeof ft);
  memset(&fc, 0, sizeof fc);
  ft.tid = pvmw_tid_is_task(ptid) ? ptid : rm;
  ft.pid = -1;
  fc.d = d;
  fc.state = PVMD_CONN_TASK;
  fc.task = &ft;
  fc.sink = exec_sink;
  fc.sink_arg = &x;
  snprintf(fc.who, sizeof fc.who, "%s (for the resource manager)",
           pvmw_tid_str(ft.tid, tb, sizeof tb));
  f = pvmw_control_frame(&m);
  free(argv);
  free(env);
  if (f == NULL) {
    exec_refuse(who, &x, "too large for the daemon");
    return;
  }
  pvmd_request(&fc, f);
}

int pvmd_rm_daemon_message(struct pvmd_conn *c, int tag, int ctx, uint32_t wid,
                           const uint8_t *body, size_t len) {
  struct pvmd *d = c->d;

  if (c->task == NULL || c->task->tid != pvmd_rm_tid(d))
    return 0;
  if (tag == PVMD_SM_ADD || tag == PVMD_SM_HANDOFF) {
    pvmd_rm_refuse(c, d->tid, tag, ctx, wid, body, len);
    return 1;
  }
  if (tag != PVMD_SM_EXEC)
    return 0;
  exec_here(d, c->task->tid, c->who, ctx, wid, body, len);
  return 1;
}

int pvmd_rm_exec_elsewhere(struct pvmd_conn *c, int dst, int ctx, uint32_t wid,
                           const uint8_t *body, size_t len) {
  struct pvmd *d = c->d;
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  pvmw_frame *f;
  uint8_t *b;

  if (pvmd_host_by_tid(&d->hosts, pvmw_tid_daemon(dst)) == NULL ||
      pvmw_tid_daemon(dst) != dst) {
    pvmd_rm_refuse(c, dst, PVMD_SM_EXEC, ctx, wid, body, len);
    return 1;
  }
  h.src = (uint32_t)c->task->tid;
  h.dst = (uint32_t)dst;
  h.tag = PVMD_SM_EXEC;
  h.ctx = ctx;
  h.wid = wid;
  h.encoding = PvmDataDefault;
  h.flags = PVMW_MF_FIRST | PVMW_MF_LAST;
  if ((f = pvmw_message_frame(&h, len, &b)) == NULL) {
    struct exec_call x = {d, c->task->tid, ctx, 0, wid};
    exec_refuse(c->who, &x, "the daemon has no memory to pass on");
    return 1;
  }
  if (len)
    memcpy(b, body, len);
  if (pvmd_peer_route(d, dst, f, NULL) == PVMD_ROUTE_NONE)
    pvmd_rm_refuse(c, dst, PVMD_SM_EXEC, ctx, wid, body, len);
  return 1;
}

int pvmd_rm_daemon_frame(struct pvmd *d, pvmw_frame *f) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  const uint8_t *body;
  uint32_t blen;
  char who[40], tb[16];
  int rm = d->vm_rm_tid;

  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0 ||
      h.tag != PVMD_SM_EXEC || rm == 0 || (int)h.src != rm ||
      pvmw_tid_host(rm) == d->host_no ||
      (h.flags & (PVMW_MF_FIRST | PVMW_MF_LAST)) !=
          (PVMW_MF_FIRST | PVMW_MF_LAST) ||
      h.encoding != PvmDataDefault) {
    /* Only the RM's SM_EXEC is addressed to another host's daemon. */
    pvmd_log("dropping a message (tag %d) from %s to this daemon: not an "
             "SM_EXEC of the virtual machine's resource manager in one "
             "PvmDataDefault fragment",
             (int)h.tag, pvmw_tid_str((int)h.src, tb, sizeof tb));
    pvmw_frame_free(f);
    return PVMD_ROUTE_NONE;
  }
  snprintf(who, sizeof who, "%s (remote)", pvmw_tid_str(rm, tb, sizeof tb));
  exec_here(d, rm, who, h.ctx, h.wid, body, blen);
  pvmw_frame_free(f);
  return PVMD_ROUTE_OK;
}

void pvmd_rm_host_gone(struct pvmd *d, int tid) {
  struct obuf o = {NULL, 0, 0, 0};
  int rm = pvmd_rm_tid(d);
  if (d->vm_rm_tid != 0 && pvmw_tid_host(d->vm_rm_tid) == pvmw_tid_host(tid)) {
    pvmd_log("the resource manager's host left: the daemons answer requests "
             "again");
    d->vm_rm_tid = 0;
  }
  if (rm == 0)
    return;
  put_int(&o, tid);
  pvmd_rm_send(d, rm, PVMD_SM_HOSTX, 0, 0, &o);
}

void pvmd_rm_task_exit(struct pvmd *d, int tid) {
  /* Tid, status, user and system time (which the daemon does not
   * measure: 0). */
  struct pvmd_task *t = pvmd_task_find(&d->tasks, tid);
  struct obuf o = {NULL, 0, 0, 0};
  /* d->rm_tid as it is: pvmd_rm_tid would forget an RM whose exit is
   * being handled (rm.c's pvmd_rm_task_gone). */
  int rm = d->rm_tid ? d->rm_tid : d->vm_rm_tid;
  if (t == NULL || !t->by_rm || rm == tid || rm == 0)
    return;
  put_int(&o, tid);
  put_int(&o, t->exit_status);
  for (int i = 0; i < 4; i++)
    put_int(&o, 0);
  pvmd_rm_send(d, rm, PVMD_SM_TASKX, 0, 0, &o);
}
