/* pvm_notify. Task exits and host changes are watched by the daemon, which
 * sends the notification messages (notify.c in daemon/). Direct routes are
 * the library's own business, so PvmRouteAdd and PvmRouteDelete are kept
 * and raised here: PvmRouteAdd, like PvmHostAdd, for cnt route openings
 * (-1 without limit, 0 stops); PvmRouteDelete, like PvmTaskExit, once for
 * each listed task whose direct route closes. Either message's body is the
 * peer's tid, packed as an integer, from the local daemon's tid. */
#include <stdlib.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "tid.h"
#include "trace.h"

struct rnotify {
  struct rnotify *next;
  int kind; /* PvmRouteAdd or PvmRouteDelete */
  int tag, ctx;
  int count; /* PvmRouteAdd: reports left (-1 without limit) */
  int peer;  /* PvmRouteDelete: the watched task */
};

static struct rnotify *rlist;

static void raise_one(int tag, int ctx, int peer) {
  int nb = pvm_mkbuf(PvmDataDefault);
  int old;
  if (nb < 0)
    return;
  old = pvm_setsbuf(nb);
  pvm_pkint(&peer, 1, 1);
  pvm_setsbuf(old > 0 ? old : 0);
  if (lpvm_deliver_local(nb, lpvm_conn.dtid, tag, ctx) < 0)
    pvm_freebuf(nb);
}

void lpvm_notify_route(int kind, int peer) {
  struct rnotify **pp = &rlist;
  while (*pp != NULL) {
    struct rnotify *n = *pp;
    if (n->kind == kind && kind == PvmRouteAdd) {
      raise_one(n->tag, n->ctx, peer);
      if (n->count > 0 && --n->count == 0) {
        *pp = n->next;
        free(n);
        continue;
      }
    } else if (n->kind == kind && n->peer == peer) {
      raise_one(n->tag, n->ctx, peer);
      *pp = n->next;
      free(n);
      continue;
    }
    pp = &n->next;
  }
}

void lpvm_notify_reset(void) {
  while (rlist != NULL) {
    struct rnotify *n = rlist;
    rlist = n->next;
    free(n);
  }
}

static int route_notify(int kind, int cancel, int tag, int cnt, int *tids) {
  struct rnotify **pp = &rlist;
  if (kind == PvmRouteAdd) {
    /* One standing request: a new call replaces it; 0 or cancel stops. */
    while (*pp != NULL) {
      struct rnotify *n = *pp;
      if (n->kind == PvmRouteAdd) {
        *pp = n->next;
        free(n);
      } else {
        pp = &n->next;
      }
    }
    if (cancel || cnt == 0)
      return 0;
    struct rnotify *n = calloc(1, sizeof(*n));
    if (n == NULL)
      return lpvm_err("pvm_notify", PvmNoMem);
    n->kind = kind;
    n->tag = tag;
    n->ctx = lpvm_conn.ctx;
    n->count = cnt < 0 ? -1 : cnt;
    n->next = rlist;
    rlist = n;
    return 0;
  }
  for (int i = 0; i < cnt; i++) {
    if (cancel) {
      for (pp = &rlist; *pp != NULL;) {
        struct rnotify *n = *pp;
        if (n->kind == kind && n->peer == tids[i] && n->tag == tag) {
          *pp = n->next;
          free(n);
        } else {
          pp = &n->next;
        }
      }
      continue;
    }
    struct rnotify *n = calloc(1, sizeof(*n));
    if (n == NULL)
      return lpvm_err("pvm_notify", PvmNoMem);
    n->kind = kind;
    n->tag = tag;
    n->ctx = lpvm_conn.ctx;
    n->peer = tids[i];
    n->next = rlist;
    rlist = n;
  }
  return 0;
}

static int notify_call(int what, int msgtag, int cnt, int *tids);

int pvm_notify(int what, int msgtag, int cnt, int *tids) {
  if (LPVM_TRACING()) {
    int x = lpvm_tev_in(
        TEV_NOTIFY, "iiia", TEV_DID_NE, what, TEV_DID_NMC, msgtag, TEV_DID_NCT,
        cnt, TEV_DID_NTL, tids,
        tids != NULL && (what & ~PvmNotifyCancel) != PvmHostAdd ? cnt : 0);
    int rc = notify_call(what, msgtag, cnt, tids);
    lpvm_tev_out(x, TEV_NOTIFY, "i", TEV_DID_CC, rc);
    return rc;
  }
  return notify_call(what, msgtag, cnt, tids);
}

static int notify_call(int what, int msgtag, int cnt, int *tids) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__NotifyRequest nr = PVMNG__NOTIFY_REQUEST__INIT;
  int kind = what & ~PvmNotifyCancel;
  int cancel = (what & PvmNotifyCancel) != 0;
  int rc;

  if ((rc = lpvm_connect("pvm_notify")) < 0)
    return rc;
  if (kind != PvmTaskExit && kind != PvmHostDelete && kind != PvmHostAdd &&
      kind != PvmRouteAdd && kind != PvmRouteDelete)
    return lpvm_err("pvm_notify", PvmBadParam);
  if (msgtag < 0)
    return lpvm_err("pvm_notify", PvmBadParam);
  if (kind != PvmHostAdd && kind != PvmRouteAdd) {
    if (cnt < 0 || (cnt > 0 && tids == NULL))
      return lpvm_err("pvm_notify", PvmBadParam);
    for (int i = 0; i < cnt; i++) {
      int ok = kind == PvmHostDelete ? pvmw_tid_is_daemon(tids[i])
                                     : pvmw_tid_is_task(tids[i]);
      if (!ok)
        return lpvm_err("pvm_notify", PvmBadParam);
    }
  }
  if (kind == PvmRouteAdd || kind == PvmRouteDelete)
    return route_notify(kind, cancel, msgtag, cnt, tids);

  nr.kind = what;
  nr.tag = msgtag;
  nr.ctx = lpvm_conn.ctx;
  nr.count = cnt;
  if (kind != PvmHostAdd) {
    nr.n_tids = (size_t)cnt;
    nr.tids = (uint32_t *)tids; /* same size and bits as the tids */
  }
  req.body_case = PVMNG__CONTROL__BODY_NOTIFY;
  req.notify = &nr;
  rc = lpvm_request(&req, &rep);
  if (rc < 0)
    return lpvm_err_hint("pvm_notify", rc, "the connection to pvmd was lost");
  rc = rep->body_case == PVMNG__CONTROL__BODY_STATUS ? rep->status->code
                                                     : PvmSysErr;
  pvmng__control__free_unpacked(rep, NULL);
  return rc < 0 ? lpvm_err("pvm_notify", rc) : 0;
}
