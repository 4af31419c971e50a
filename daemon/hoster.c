/* Slave daemon starters (hoster.h): registration on the master, the
 * SM_STHOST request for an add, and the SM_STHOSTACK answer. */
#include "hoster.h"

#include <pvm3.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "peer_int.h"
#include "pvmd.h"
#include "reply.h"
#include "taskconn.h"
#include "tid.h"
#include "xdr.h"

int pvmd_hoster_tid(struct pvmd *d) {
  if (d->hoster_tid != 0 && pvmd_task_live(&d->tasks, d->hoster_tid) == NULL)
    d->hoster_tid = 0;
  return d->hoster_tid;
}

void pvmd_hoster_request(struct pvmd_conn *c, uint32_t req_id) {
  struct pvmd *d = c->d;
  int cur = pvmd_hoster_tid(d);
  char tb[16];
  if (!pvmd_peer_is_master(d)) {
    pvmd_reply_status(c, req_id, PvmHostrNMstr, 0, NULL);
    return;
  }
  if (cur != 0 && cur != c->task->tid) {
    pvmd_reply_status(c, req_id, PvmAlready, 0, NULL);
    return;
  }
  d->hoster_tid = c->task->tid;
  pvmd_log("%s starts the daemons of hosts added from now on "
           "(pvm_reg_hoster)",
           pvmw_tid_str(d->hoster_tid, tb, sizeof tb));
  pvmd_reply_status(c, req_id, 0, 0, NULL);
}

void pvmd_hoster_task_gone(struct pvmd *d, int tid) {
  char tb[16];
  if (d->hoster_tid == tid) {
    d->hoster_tid = 0;
    pvmd_log("hoster %s left: hosts are started with the remote shell again",
             pvmw_tid_str(tid, tb, sizeof tb));
  }
}

int pvmd_hoster_start(struct pvmd *d, struct pvmd_add *a, const char *so,
                      const char *login, const char *cmd) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  int hoster = pvmd_hoster_tid(d);
  size_t len = 2 * PVMW_XDR_INT_ITEM + pvmw_xdr_str_size(so) +
               pvmw_xdr_str_size(login) + pvmw_xdr_str_size(cmd);
  pvmw_frame *f;
  uint8_t *p;

  if (hoster == 0)
    return PvmNoTask;
  h.src = (uint32_t)d->tid;
  h.dst = (uint32_t)hoster;
  h.tag = PVMD_SM_STHOST;
  h.encoding = PvmDataDefault;
  if ((f = pvmw_message_frame(&h, len, &p)) == NULL)
    return PvmNoMem;
  p = pvmw_xdr_put_int(p, 1);
  p = pvmw_xdr_put_int(p, pvmw_tid_make(a->host_no, 0));
  p = pvmw_xdr_put_str(p, so);
  p = pvmw_xdr_put_str(p, login);
  pvmw_xdr_put_str(p, cmd);
  if (pvmd_route_deliver(d, hoster, f, NULL) == PVMD_ROUTE_NONE)
    return PvmNoTask;
  return 0;
}

/* The PVM error a result line names ("PvmCantStart"), 0 for a line from
 * the new daemon, or PvmCantStart for another error name. */
static int result_code(const char *s) {
  static const struct {
    const char *name;
    int code;
  } names[] = {{"PvmCantStart", PvmCantStart}, {"PvmDSysErr", PvmDSysErr},
               {"PvmDupHost", PvmDupHost},     {"PvmBadParam", PvmBadParam},
               {"PvmNoHost", PvmNoHost},       {"PvmSysErr", PvmSysErr}};
  if (strncmp(s, "Pvm", 3) != 0)
    return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i].name) == 0)
      return names[i].code;
  return PvmCantStart;
}

int pvmd_hoster_message(struct pvmd_conn *c, int tag, const uint8_t *body,
                        size_t len) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = d->peers;
  size_t pos = 0;
  char tb[16];

  if (tag != PVMD_SM_STHOSTACK || c->task->tid != pvmd_hoster_tid(d))
    return 0;
  /* Pairs of tid and result, as many as the body holds. */
  while (pos < len) {
    struct pvmd_list *it, *tmp;
    const char *res;
    int tid, rc;
    if (pvmw_xdr_get_int(body, len, &pos, &tid) < 0 ||
        pvmw_xdr_get_str(body, len, &pos, &res) < 0) {
      pvmd_log("hoster %s sent an SM_STHOSTACK that is not pairs of a tid "
               "and a result: the rest is ignored",
               c->who);
      break;
    }
    rc = result_code(res);
    if (ps == NULL)
      continue;
    pvmd_list_each_safe(it, tmp, &ps->adds) {
      struct pvmd_add *a = pvmd_container_of(it, struct pvmd_add, node);
      if (pvmw_tid_make(a->host_no, 0) != tid)
        continue;
      pvmd_log("adding host %s: the hoster says \"%.200s\"", a->name, res);
      if (rc < 0)
        pvmd_peer_add_done(a, rc);
      break;
    }
    pvmd_debug("hoster %s: %s: %s", c->who, pvmw_tid_str(tid, tb, sizeof tb),
               res);
  }
  return 1;
}
