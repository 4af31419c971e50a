/* Task starters (tasker.h). The messages are composed and read in the
 * PvmDataDefault format (wire/xdr.h): one item per value, as a PVM tasker
 * unpacks them one at a time. */
#include "tasker.h"

#include <pvm3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "pvmd.h"
#include "reply.h"
#include "taskconn.h"
#include "taskgone.h"
#include "tid.h"
#include "xdr.h"

int pvmd_tasker_tid(struct pvmd *d) {
  if (d->tasker_tid != 0 && pvmd_task_live(&d->tasks, d->tasker_tid) == NULL)
    d->tasker_tid = 0;
  return d->tasker_tid;
}

void pvmd_tasker_request(struct pvmd_conn *c, uint32_t req_id) {
  struct pvmd *d = c->d;
  int cur = pvmd_tasker_tid(d);
  char tb[16];
  if (cur != 0 && cur != c->task->tid) {
    pvmd_reply_status(c, req_id, PvmAlready, 0, NULL);
    return;
  }
  d->tasker_tid = c->task->tid;
  pvmd_log("%s starts the tasks spawned on this host (pvm_reg_tasker)",
           pvmw_tid_str(d->tasker_tid, tb, sizeof tb));
  pvmd_reply_status(c, req_id, 0, 0, NULL);
}

void pvmd_tasker_task_gone(struct pvmd *d, int tid) {
  char tb[16];
  if (d->tasker_tid == tid) {
    d->tasker_tid = 0;
    pvmd_log("tasker %s left: the daemon starts tasks itself again",
             pvmw_tid_str(tid, tb, sizeof tb));
  }
}

int pvmd_tasker_start(struct pvmd *d, struct pvmd_task *t, int spawn_flags,
                      const char *path, char *const *argv, size_t nargv,
                      char *const *env) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  /* tid, flags, path, argc, argv (the path first), nenv, env */
  size_t len = 4 * PVMW_XDR_INT_ITEM + 2 * pvmw_xdr_str_size(path), nenv = 0;
  int tasker = pvmd_tasker_tid(d);
  pvmw_frame *f;
  uint8_t *p;

  if (tasker == 0)
    return PvmNoTask;
  for (size_t i = 0; i < nargv; i++)
    len += pvmw_xdr_str_size(argv[i]);
  for (; env[nenv] != NULL; nenv++)
    len += pvmw_xdr_str_size(env[nenv]);
  h.src = (uint32_t)d->tid;
  h.dst = (uint32_t)tasker;
  h.tag = PVMD_SM_STTASK;
  h.encoding = PvmDataDefault;
  if ((f = pvmw_message_frame(&h, len, &p)) == NULL)
    return PvmNoMem;
  p = pvmw_xdr_put_int(p, t->tid);
  p = pvmw_xdr_put_int(p, spawn_flags);
  p = pvmw_xdr_put_str(p, path);
  p = pvmw_xdr_put_int(p, (int)nargv + 1);
  p = pvmw_xdr_put_str(p, path);
  for (size_t i = 0; i < nargv; i++)
    p = pvmw_xdr_put_str(p, argv[i]);
  p = pvmw_xdr_put_int(p, (int)nenv);
  for (size_t i = 0; i < nenv; i++)
    p = pvmw_xdr_put_str(p, env[i]);
  if (pvmd_route_deliver(d, tasker, f, NULL) == PVMD_ROUTE_NONE)
    return PvmNoTask;
  return 0;
}

int pvmd_tasker_message(struct pvmd_conn *c, int tag, const uint8_t *body,
                        size_t len) {
  struct pvmd *d = c->d;
  struct pvmd_task *t;
  size_t pos = 0;
  int tid = 0, status = 0;
  char tb[16];

  if (tag != PVMD_SM_TASKX || c->task->tid != pvmd_tasker_tid(d))
    return 0;
  /* tid and status: one item each, or the six ints in one item. */
  if (len >= PVMW_XDR_ITEM_HDR + 8u && pvmw_get_be32(body) == PVMW_XT_INT &&
      pvmw_get_be32(body + 4) >= 2) {
    tid = (int)pvmw_get_be32(body + PVMW_XDR_ITEM_HDR);
    status = (int)pvmw_get_be32(body + PVMW_XDR_ITEM_HDR + 4);
  } else if (pvmw_xdr_get_int(body, len, &pos, &tid) < 0 ||
             pvmw_xdr_get_int(body, len, &pos, &status) < 0) {
    pvmd_log("tasker %s sent an SM_TASKX that does not hold a tid and a "
             "status: ignored",
             c->who);
    return 1;
  }
  t = pvmd_task_find(&d->tasks, tid);
  if (t == NULL || !t->by_tasker || t->gone) {
    pvmd_debug("tasker %s: SM_TASKX for %s, which it does not run", c->who,
               pvmw_tid_str(tid, tb, sizeof tb));
    return 1;
  }
  pvmd_debug("tasker %s: %s ended (status 0x%x)", c->who,
             pvmw_tid_str(tid, tb, sizeof tb), (unsigned)status);
  t->running = 0;
  t->exit_status = status;
  pvmd_task_exited(t);
  if (t->conn == NULL)
    pvmd_task_release(t);
  return 1;
}
