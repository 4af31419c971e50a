/* Point-to-point messaging: pvm_send, pvm_mcast, pvm_psend and the receive
 * family (pvm_recv, pvm_nrecv, pvm_trecv, pvm_probe, pvm_precv), plus
 * message contexts. Arrived messages wait in conn.c's queue in arrival
 * order; a receive takes the first one that matches (source, tag, context),
 * which keeps PVM's per-pair order for wildcard receives. These calls are
 * where message handlers (mhf.c) run. */
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pollwin.h"
#include "pvm3.h"
#include "route.h"
#include "tid.h"
#include "xdr.h"

/* Tags the user may not send without PvmResvTids (the library's own, and
 * PVM's negative system tags such as a tasker's SM_TASKX). */
static int tag_ok(int tag) {
  return lpvm_opts.resv_tids || (tag >= 0 && tag < LPVM_SYSCTX);
}

static int dst_ok(int tid) {
  return pvmw_tid_is_task(tid) ||
         (lpvm_opts.resv_tids && pvmw_tid_is_daemon(tid));
}

/* PVM 3.4 names a daemon with its host part and TIDPVMD (the top bit) set,
 * and the local daemon with TIDPVMD alone: system tasks (a resource
 * manager's SM_EXEC) address them so. PVM-NG's daemon tid is the host part
 * alone. */
static int daemon_alias(int tid) {
  int t;
  if (!lpvm_opts.resv_tids || tid >= 0)
    return tid;
  t = (int)((unsigned)tid & 0x7fffffffu);
  if (t == 0)
    return lpvm_conn.dtid;
  return pvmw_tid_is_daemon(t) ? t : tid;
}

int pvm_send(int tid, int msgtag) {
  int rc, sbuf;
  if ((rc = lpvm_connect("pvm_send")) < 0)
    return rc;
  tid = daemon_alias(tid);
  if (!dst_ok(tid) || !tag_ok(msgtag))
    return lpvm_err("pvm_send", PvmBadParam);
  if ((sbuf = pvm_getsbuf()) <= 0)
    return lpvm_err("pvm_send", PvmNoBuf);
  rc = lpvm_send_buf(tid, msgtag, lpvm_conn.ctx, sbuf);
  lpvm_mhf_examine_all();
  return rc < 0 ? lpvm_err("pvm_send", rc) : 0;
}

int pvm_mcast(int *tids, int ntask, int msgtag) {
  int rc, sbuf;
  if ((rc = lpvm_connect("pvm_mcast")) < 0)
    return rc;
  if (ntask < 0 || (ntask > 0 && tids == NULL) || !tag_ok(msgtag))
    return lpvm_err("pvm_mcast", PvmBadParam);
  for (int i = 0; i < ntask; i++)
    if (!dst_ok(tids[i]))
      return lpvm_err("pvm_mcast", PvmBadParam);
  if ((sbuf = pvm_getsbuf()) <= 0)
    return lpvm_err("pvm_mcast", PvmNoBuf);
  for (int i = 0; i < ntask; i++) {
    /* Never to the caller, and once per task even if listed twice. */
    int dup = tids[i] == lpvm_conn.mytid;
    for (int j = 0; j < i && !dup; j++)
      dup = tids[j] == tids[i];
    if (dup)
      continue;
    rc = lpvm_send_buf(tids[i], msgtag, lpvm_conn.ctx, sbuf);
    if (rc < 0)
      break;
  }
  lpvm_mhf_examine_all();
  return rc < 0 ? lpvm_err("pvm_mcast", rc) : 0;
}

size_t lpvm_type_size(int type) {
  switch (type) {
  case PVM_STR:
  case PVM_BYTE:
    return 1;
  case PVM_SHORT:
  case PVM_USHORT:
    return sizeof(short);
  case PVM_INT:
  case PVM_UINT:
    return sizeof(int);
  case PVM_FLOAT:
    return sizeof(float);
  case PVM_CPLX:
    return 2 * sizeof(float);
  case PVM_DOUBLE:
    return sizeof(double);
  case PVM_DCPLX:
    return 2 * sizeof(double);
  case PVM_LONG:
  case PVM_ULONG:
    return sizeof(long);
  default:
    return 0;
  }
}

int pvm_psend(int tid, int msgtag, void *buf, int len, int datatype) {
  int rc;
  size_t sz = lpvm_type_size(datatype);
  if ((rc = lpvm_connect("pvm_psend")) < 0)
    return rc;
  if (!dst_ok(tid) || !tag_ok(msgtag) || sz == 0 || len < 0 ||
      (len > 0 && buf == NULL))
    return lpvm_err("pvm_psend", PvmBadParam);
  if ((uint64_t)len * sz > lpvm_conn.max_msg)
    return lpvm_err("pvm_psend",
                    lpvm_msg_too_big((uint64_t)len * sz, lpvm_conn.max_msg));
  rc = lpvm_send_raw(tid, msgtag, lpvm_conn.ctx, buf, (size_t)len * sz);
  lpvm_mhf_examine_all();
  return rc < 0 ? lpvm_err("pvm_psend", rc) : 0;
}

/* ---- matching ---------------------------------------------------------- */

static int (*match_fn)(int, int, int);

static int default_match(int bufid, int tid, int tag) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return 0;
  return (tid == -1 || tid == b->src) && (tag == -1 || tag == b->tag) &&
         b->ctx == lpvm_conn.ctx;
}

/* The first queued message that matches, offering the messages before it
 * (and it) to the message handlers on the way (mhf.c). */
static struct lpvm_qmsg *search(int tid, int tag) {
  struct lpvm_qmsg *m, *next;
  for (m = lpvm_conn.queue.next; m != &lpvm_conn.queue; m = next) {
    next = m->next;
    if (lpvm_mhf_examine(m))
      continue;
    if (match_fn != NULL) {
      if (m->ctx == lpvm_conn.ctx && match_fn(m->bufid, tid, tag) > 0)
        return m;
    } else if ((tid == -1 || tid == m->src) && (tag == -1 || tag == m->tag) &&
               m->ctx == lpvm_conn.ctx) {
      return m;
    }
  }
  return NULL;
}

/* search, and the handlers of the messages it passed on to them run before
 * the caller takes anything (they may receive, or delete a handler and so
 * put a message back): then the queue is searched again. */
static struct lpvm_qmsg *find(int tid, int tag) {
  for (;;) {
    struct lpvm_qmsg *m = search(tid, tag);
    if (!lpvm_mhf_waiting())
      return m;
    lpvm_mhf_run();
  }
}

/* A tag below -1 is refused (the man pages: PvmBadParam), except PVM's
 * system tags (SM_*) for a task that set PvmResvTids: a resource manager
 * waits for its SM_EXECACK so. */
static int args_ok(int tid, int tag) {
  return (tid == -1 || tid > 0) &&
         (tag >= -1 ||
          (lpvm_opts.resv_tids && tag >= LPVM_SM_FIRST && tag <= LPVM_SM_LAST));
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Most polls a blocking receive spends waiting for the rest of a message
 * half read off a direct link (a few ms) before it sleeps. */
#define RECEIVING_POLLS 10000

/* Whether polling pays (wire/pollwin.h), per kind of wait: through the
 * daemon or from any task, over a direct link on this host, over a direct
 * link to another host. */
static struct pvmw_pollwin spin_score[3];

/* Waits for a matching message. timeout_ms < 0 waits for ever, 0 polls.
 * Returns the queue entry, NULL on timeout, or sets *rc on failure. */
static struct lpvm_qmsg *wait_match(int tid, int tag, int64_t timeout_ms,
                                    int *rc) {
  struct lpvm_qmsg *m;
  int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
  /* Before sleeping in the kernel, poll a little (PvmPollType and
   * PvmPollTime): an answer that comes within that window is taken without
   * a process wakeup, which costs more than the answer itself (a 4-byte
   * round trip on a direct link drops from about the socket floor to a few
   * microseconds). With direct links open, a receive polls. Through the
   * daemon (which polls for a while after each input itself), one end of a
   * pair polling halves the round trip, but both ends polling (three
   * spinning processes on two cores) more than doubles it: so PvmPollSleep
   * polls there only while waiting for one given task with a higher tid
   * than this one, which of two tasks waiting for each other is exactly
   * one. A receive from any task does not poll.
   *
   * Waiting for one given task on another host over a direct link, the
   * peer runs on other cores and its answer takes as long as it needs to
   * encrypt and send it (about a millisecond for 1 MiB): polling for
   * remote_spin_us (PvmPollTime times at least) takes it without a
   * wakeup. PvmPollTime 0 turns this off too.
   *
   * Waiting for a task of this host through the daemon, each poll yields
   * the processor: the task that this one's message wakes (the peer, or
   * the daemon passing it on) may share this core, and then runs at once
   * instead of waiting to preempt a polling loop. On 2 cores a 4-byte round
   * trip through the daemon took about 45 us instead of 20 in a third of
   * the runs without it. Not between hosts: there the other polling
   * processes (both daemons) take the yielded core, and the round trip
   * through the daemons went from about 80 to over 200 us with it. */
  int rpolls = RECEIVING_POLLS;
  int polls = lpvm_opts.poll_type == PvmPollConstant ? -1
              : lpvm_route_count() > 0 || (tid > 0 && tid > lpvm_conn.mytid)
                  ? lpvm_opts.poll_time
                  : 0;
  uint64_t spin_end = 0;
  int link = tid > 0 ? lpvm_route_link(tid) : LPVM_LINK_NONE;
  int yield = tid > 0 && pvmw_tid_daemon(tid) == lpvm_conn.dtid &&
              link == LPVM_LINK_NONE;
  /* The window this kind of wait gets: remote_spin_us over a link to
   * another host, else about a microsecond per poll. */
  int kind = link == LPVM_LINK_REMOTE ? 2 : link == LPVM_LINK_LOCAL ? 1 : 0;
  int window_us = polls > 0 && lpvm_opts.remote_spin_us > 0 && kind == 2
                      ? lpvm_opts.remote_spin_us
                      : lpvm_opts.poll_time;
  uint64_t start = 0;
  *rc = 0;
  /* Message handlers run here (mhf.c): before the queue is searched, and
   * after each turn of the loop, for what arrived meanwhile. */
  lpvm_mhf_run();
  if ((m = find(tid, tag)) != NULL)
    return m;
  if (timeout_ms != 0) {
    start = uv_hrtime();
    /* Recent waits of this kind outlasted the window, or the processors
     * are all taken (wire/pollwin.h): sleep at once. */
    int pays = pvmw_pollwin_open(&spin_score[kind], start, (unsigned)window_us);
    if (polls > 0 && (!pays || pvmw_cpu_crowded(start)))
      polls = 0;
    if (polls > 0 && lpvm_opts.remote_spin_us > 0 && kind == 2)
      spin_end = start + (uint64_t)lpvm_opts.remote_spin_us * 1000u;
  }
  for (;;) {
    int left = -1;
    if (timeout_ms == 0) {
      left = 0;
    } else if (polls != 0 || (rpolls-- > 0 && lpvm_route_receiving()) ||
               (spin_end != 0 && uv_hrtime() < spin_end)) {
      /* A message half read off a direct link: the rest is on its way
       * (bounded: a peer stopped mid-message must not keep us spinning). */
      left = 0;
      if (yield)
        sched_yield();
      if (polls > 0)
        polls--;
      if (timeout_ms > 0 && deadline - now_ms() <= 0)
        return NULL;
    } else if (timeout_ms > 0) {
      int64_t d = deadline - now_ms();
      if (d <= 0)
        return NULL;
      left = d > INT32_MAX ? INT32_MAX : (int)d;
    }
    size_t before = lpvm_conn.queued;
    int r = lpvm_pump(left);
    lpvm_mhf_run();
    if (lpvm_conn.queued != before && (m = find(tid, tag)) != NULL) {
      if (start != 0)
        pvmw_pollwin_input(&spin_score[kind], uv_hrtime(), (unsigned)window_us);
      return m;
    }
    if (r < 0) {
      /* Messages that arrived before the link went are still delivered. */
      if ((m = find(tid, tag)) != NULL)
        return m;
      *rc = PvmSysErr;
      return NULL;
    }
    if (timeout_ms == 0)
      return NULL;
  }
}

/* Makes the message the active receive buffer (freeing the previous one,
 * as PVM does) and returns its id. */
static int take(struct lpvm_qmsg *m) {
  int bufid = m->bufid;
  int old = pvm_getrbuf();
  lpvm_queue_remove(m);
  if (old > 0 && old != bufid)
    pvm_freebuf(old);
  pvm_setrbuf(bufid);
  return bufid;
}

static int recv_common(const char *fn, int tid, int tag, int64_t timeout_ms) {
  int rc;
  struct lpvm_qmsg *m;
  if ((rc = lpvm_connect(fn)) < 0)
    return rc;
  if (!args_ok(tid, tag))
    return lpvm_err(fn, PvmBadParam);
  m = wait_match(tid, tag, timeout_ms, &rc);
  if (rc < 0)
    return lpvm_err_hint(fn, rc, "the connection to pvmd was lost");
  if (m == NULL)
    return 0;
  return take(m);
}

int pvm_recv(int tid, int msgtag) {
  return recv_common("pvm_recv", tid, msgtag, -1);
}

int pvm_nrecv(int tid, int msgtag) {
  return recv_common("pvm_nrecv", tid, msgtag, 0);
}

int pvm_trecv(int tid, int msgtag, struct timeval *tmout) {
  int64_t ms;
  if (tmout == NULL)
    return recv_common("pvm_trecv", tid, msgtag, -1);
  if (tmout->tv_sec < 0 || tmout->tv_usec < 0)
    return lpvm_err("pvm_trecv", PvmBadParam);
  ms = (int64_t)tmout->tv_sec * 1000 + (tmout->tv_usec + 999) / 1000;
  if (ms == 0)
    return recv_common("pvm_trecv", tid, msgtag, 0);
  return recv_common("pvm_trecv", tid, msgtag, ms);
}

int pvm_probe(int tid, int msgtag) {
  int rc;
  struct lpvm_qmsg *m;
  if ((rc = lpvm_connect("pvm_probe")) < 0)
    return rc;
  if (!args_ok(tid, msgtag))
    return lpvm_err("pvm_probe", PvmBadParam);
  m = wait_match(tid, msgtag, 0, &rc);
  if (rc < 0)
    return lpvm_err("pvm_probe", rc);
  return m ? m->bufid : 0;
}

int pvm_precv(int tid, int msgtag, void *buf, int len, int datatype, int *rtid,
              int *rtag, int *rcnt) {
  int rc;
  size_t sz = lpvm_type_size(datatype);
  struct lpvm_qmsg *m;
  struct lpvm_buf *b;
  int bufid, count = 0;
  size_t bytes = 0;

  if ((rc = lpvm_connect("pvm_precv")) < 0)
    return rc;
  if (!args_ok(tid, msgtag) || sz == 0 || len < 0 || (len > 0 && !buf))
    return lpvm_err("pvm_precv", PvmBadParam);
  m = wait_match(tid, msgtag, -1, &rc);
  if (rc < 0 || m == NULL)
    return lpvm_err("pvm_precv", rc < 0 ? rc : PvmSysErr);
  bufid = m->bufid;
  lpvm_queue_remove(m);
  b = lpvm_buf_get(bufid);
  if (rtid)
    *rtid = b->src;
  if (rtag)
    *rtag = b->tag;
  if (b->enc == PvmDataDefault) {
    /* A packed message: unpack the leading item as the requested type,
     * without disturbing the active receive buffer. */
    int saved = pvm_setrbuf(bufid);
    uint32_t avail = 0;
    if (b->len >= PVMW_XDR_ITEM_HDR)
      avail = pvmw_get_be32((const uint8_t *)b->body + 4);
    count = (int)((uint32_t)len < avail ? (uint32_t)len : avail);
    bytes = (size_t)avail * sz;
    rc = 0;
    if (count > 0) {
      switch (datatype) {
      case PVM_STR:
      case PVM_BYTE:
        rc = pvm_upkbyte(buf, count, 1);
        break;
      case PVM_SHORT:
        rc = pvm_upkshort(buf, count, 1);
        break;
      case PVM_USHORT:
        rc = pvm_upkushort(buf, count, 1);
        break;
      case PVM_INT:
        rc = pvm_upkint(buf, count, 1);
        break;
      case PVM_UINT:
        rc = pvm_upkuint(buf, count, 1);
        break;
      case PVM_FLOAT:
        rc = pvm_upkfloat(buf, count, 1);
        break;
      case PVM_CPLX:
        rc = pvm_upkcplx(buf, count, 1);
        break;
      case PVM_DOUBLE:
        rc = pvm_upkdouble(buf, count, 1);
        break;
      case PVM_DCPLX:
        rc = pvm_upkdcplx(buf, count, 1);
        break;
      case PVM_LONG:
        rc = pvm_upklong(buf, count, 1);
        break;
      case PVM_ULONG:
        rc = pvm_upkulong(buf, count, 1);
        break;
      }
    }
    pvm_setrbuf(saved);
    pvm_freebuf(bufid);
    if (rc < 0)
      return lpvm_err("pvm_precv", rc);
  } else {
    size_t n = b->len / sz;
    bytes = b->len;
    if (n > (size_t)len)
      n = (size_t)len;
    if (n > 0)
      memcpy(buf, b->body, n * sz);
    pvm_freebuf(bufid);
  }
  /* As PVM 3.4.6: the message's length in bytes, whatever fitted in buf. */
  if (rcnt)
    *rcnt = bytes > INT_MAX ? INT_MAX : (int)bytes;
  return 0;
}

/* pvm_recvf installs a matching function for the receive calls; the return
 * type is PVM's own (a pointer to the previous matching function). */
typedef int (*lpvm_matchf)(int, int, int);
typedef int (*lpvm_recvf_ret)(int (*)(int, int, int));

int (*pvm_recvf(int (*newf)(int, int, int)))(int (*)(int, int, int)) {
  lpvm_matchf old = match_fn ? match_fn : default_match;
  match_fn = (newf == default_match) ? NULL : newf;
  return (lpvm_recvf_ret)(void (*)(void))old;
}

/* ---- contexts ---------------------------------------------------------- */

/* Both enrol first, as every PVM call does: a spawned task's context is
 * its parent's, taken at enrolment (conn.c). */
int pvm_setcontext(int ctx) {
  int old, rc;
  if ((rc = lpvm_connect("pvm_setcontext")) < 0)
    return rc;
  old = lpvm_conn.ctx;
  if (ctx < 0 || ctx == LPVM_SYSCTX)
    return lpvm_err("pvm_setcontext", PvmBadParam);
  lpvm_conn.ctx = ctx;
  return old;
}

int pvm_getcontext(void) {
  int rc = lpvm_connect("pvm_getcontext");
  return rc < 0 ? rc : lpvm_conn.ctx;
}

/* Asks the daemon for a new context (free_ctx 0) or to take ctx back.
 * Returns the Status's value, or a negative PVM error. */
static int context_request(int free_ctx, int ctx) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__ContextRequest r = PVMNG__CONTEXT_REQUEST__INIT;
  int rc;
  r.free_ctx = free_ctx != 0;
  r.ctx = (uint32_t)ctx;
  req.body_case = PVMNG__CONTROL__BODY_CONTEXT;
  req.context = &r;
  if ((rc = lpvm_request(&req, &rep)) < 0)
    return rc;
  if (rep->body_case != PVMNG__CONTROL__BODY_STATUS)
    rc = PvmSysErr;
  else
    rc = rep->status->code < 0 ? rep->status->code : rep->status->value;
  pvmng__control__free_unpacked(rep, NULL);
  return rc;
}

/* Contexts come from the task's daemon (daemon/context.c): unique across
 * the virtual machine, taken back by pvm_freecontext. */
int pvm_newcontext(void) {
  int rc;
  if ((rc = lpvm_connect("pvm_newcontext")) < 0)
    return rc;
  rc = context_request(0, 0);
  return rc < 0 ? lpvm_err("pvm_newcontext", rc) : rc;
}

int pvm_freecontext(int ctx) {
  int rc;
  if ((rc = lpvm_connect("pvm_freecontext")) < 0)
    return rc;
  if (ctx < 0)
    return lpvm_err("pvm_freecontext", PvmBadParam);
  rc = context_request(1, ctx);
  return rc < 0 ? lpvm_err("pvm_freecontext", rc) : 0;
}
