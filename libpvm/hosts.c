/* pvm_addhosts and pvm_delhosts: one request to the local daemon, which
 * passes it to the master; the answer carries one result per host (a daemon
 * tid, or a negative PVM error code), copied into infos as man pvm_addhosts
 * describes; a failed add's reason (the remote shell's last words, say) is
 * reported under PvmAutoErr. pvm_hostsync: the clock of a host's daemon, read
 * through the local one, between two readings of the local clock. pvm_tickle: a
 * debugging request to the local daemon. pvm_reg_tasker, pvm_reg_hoster,
 * pvm_reg_rm. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"

static int hosts_call(const char *fn, int add, char **hosts, int nhost,
                      int *infos) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__HostsRequest hr = PVMNG__HOSTS_REQUEST__INIT;
  int rc, ok = 0;

  if (nhost < 1 || hosts == NULL)
    return lpvm_err(fn, PvmBadParam);
  for (int i = 0; i < nhost; i++)
    if (hosts[i] == NULL)
      return lpvm_err(fn, PvmBadParam);
  if ((rc = lpvm_connect(fn)) < 0)
    return rc;
  hr.n_hosts = (size_t)nhost;
  hr.hosts = hosts;
  if (add) {
    req.body_case = PVMNG__CONTROL__BODY_ADD_HOSTS;
    req.add_hosts = &hr;
  } else {
    req.body_case = PVMNG__CONTROL__BODY_DEL_HOSTS;
    req.del_hosts = &hr;
  }
  rc = lpvm_request(&req, &rep);
  if (rc < 0)
    return lpvm_err_hint(fn, rc, "the connection to pvmd was lost");
  if (rep->body_case != PVMNG__CONTROL__BODY_HOSTS_REPLY ||
      rep->hosts_reply->n_results != (size_t)nhost) {
    int code = PvmSysErr;
    char hint[320] = "";
    if (rep->body_case == PVMNG__CONTROL__BODY_STATUS &&
        rep->status->code < 0) {
      code = rep->status->code;
      if (rep->status->reason != NULL)
        snprintf(hint, sizeof hint, "%s", rep->status->reason);
    }
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err_hint(fn, code, hint[0] ? hint : NULL);
  }
  for (int i = 0; i < nhost; i++) {
    int v = rep->hosts_reply->results[i];
    if (infos)
      infos[i] = v;
    if (v >= 0)
      ok++;
  }
  /* Each failed host with a reason: one line "fn(): Can't start pvmd: host:
   * reason" under PvmAutoErr, and pvm_errno. PvmAutoErr 2 or 3 ends the task
   * only when no host was added. */
  for (int i = 0; add && i < nhost; i++) {
    int v = rep->hosts_reply->results[i];
    char hint[320];
    if (v >= 0 || rep->hosts_reply->n_reasons != (size_t)nhost ||
        !rep->hosts_reply->reasons[i][0])
      continue;
    if (ok > 0 && lpvm_opts.autoerr > 1)
      break;
    snprintf(hint, sizeof hint, "%.60s: %.250s", hosts[i],
             rep->hosts_reply->reasons[i]);
    lpvm_err_hint(fn, v, hint);
  }
  pvmng__control__free_unpacked(rep, NULL);
  return ok;
}

int pvm_addhosts(char **hosts, int nhost, int *infos) {
  return hosts_call("pvm_addhosts", 1, hosts, nhost, infos);
}

int pvm_delhosts(char **hosts, int nhost, int *infos) {
  return hosts_call("pvm_delhosts", 0, hosts, nhost, infos);
}

static int64_t usec_of(const struct timeval *tv) {
  return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

/* man pvm_hostsync: microseconds in 0..999999, the seconds carry the sign
 * (-1 us is -1,999999). */
static struct timeval timeval_of(int64_t us) {
  struct timeval tv;
  int64_t sec = us / 1000000, rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    sec -= 1;
  }
  tv.tv_sec = (time_t)sec;
  tv.tv_usec = (suseconds_t)rem;
  return tv;
}

int pvm_hostsync(int host, struct timeval *clk, struct timeval *delta) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__HostSyncRequest r = PVMNG__HOST_SYNC_REQUEST__INIT;
  struct timeval before, after;
  int64_t remote, mean;
  int rc;

  if ((rc = lpvm_connect("pvm_hostsync")) < 0)
    return rc;
  r.host = (uint32_t)host;
  req.body_case = PVMNG__CONTROL__BODY_HOSTSYNC;
  req.hostsync = &r;
  gettimeofday(&before, NULL);
  rc = lpvm_request(&req, &rep);
  gettimeofday(&after, NULL);
  if (rc < 0)
    return lpvm_err("pvm_hostsync", rc);
  if (rep->body_case == PVMNG__CONTROL__BODY_HOSTSYNC_REPLY)
    rc = rep->hostsync_reply->code;
  else if (rep->body_case == PVMNG__CONTROL__BODY_STATUS)
    rc = rep->status->code < 0 ? rep->status->code : PvmSysErr;
  else
    rc = PvmSysErr;
  if (rc == 0) {
    remote = rep->hostsync_reply->sec * 1000000 + rep->hostsync_reply->usec;
    mean = usec_of(&before) + (usec_of(&after) - usec_of(&before)) / 2;
    if (clk)
      *clk = timeval_of(remote);
    if (delta)
      *delta = timeval_of(remote - mean);
  }
  pvmng__control__free_unpacked(rep, NULL);
  return rc < 0 ? lpvm_err("pvm_hostsync", rc) : 0;
}

/* pvm_tickle: a debugging request to the local daemon (daemon/tickle.c). */
int pvm_tickle(int narg, int *argp, int *nresp, int *resp) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__TickleRequest r = PVMNG__TICKLE_REQUEST__INIT;
  int32_t args[16];
  int rc;

  if ((rc = lpvm_connect("pvm_tickle")) < 0)
    return rc;
  if (narg < 1 || narg > 16 || argp == NULL)
    return lpvm_err("pvm_tickle", PvmBadParam);
  for (int i = 0; i < narg; i++)
    args[i] = argp[i];
  r.args = args;
  r.n_args = (size_t)narg;
  req.body_case = PVMNG__CONTROL__BODY_TICKLE;
  req.tickle = &r;
  if ((rc = lpvm_request(&req, &rep)) < 0)
    return lpvm_err("pvm_tickle", rc);
  if (rep->body_case == PVMNG__CONTROL__BODY_TICKLE_REPLY) {
    rc = rep->tickle_reply->code;
    if (rc == 0) {
      if (nresp != NULL)
        *nresp = (int)rep->tickle_reply->n_res;
      for (size_t i = 0; resp != NULL && i < rep->tickle_reply->n_res; i++)
        resp[i] = rep->tickle_reply->res[i];
    }
  } else {
    rc = rep->body_case == PVMNG__CONTROL__BODY_STATUS && rep->status->code < 0
             ? rep->status->code
             : PvmSysErr;
  }
  pvmng__control__free_unpacked(rep, NULL);
  return rc < 0 ? lpvm_err("pvm_tickle", rc) : 0;
}

/* pvm_reg_tasker and pvm_reg_hoster: this task starts the tasks spawned on
 * its host, or the daemons of the hosts added, from now on
 * (daemon/tasker.c, daemon/hoster.c). */
static int reg_call(const char *fn, int hoster) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__TaskerRequest r = PVMNG__TASKER_REQUEST__INIT;
  int rc;
  if ((rc = lpvm_connect(fn)) < 0)
    return rc;
  r.hoster = hoster != 0;
  req.body_case = PVMNG__CONTROL__BODY_TASKER;
  req.tasker = &r;
  if ((rc = lpvm_request(&req, &rep)) < 0)
    return lpvm_err(fn, rc);
  rc = rep->body_case == PVMNG__CONTROL__BODY_STATUS ? rep->status->code
                                                     : PvmSysErr;
  pvmng__control__free_unpacked(rep, NULL);
  return rc < 0 ? lpvm_err(fn, rc) : 0;
}

int pvm_reg_tasker(void) { return reg_call("pvm_reg_tasker", 0); }

int pvm_reg_hoster(void) { return reg_call("pvm_reg_hoster", 1); }

/* pvm_reg_rm: this task is its host's resource manager from now on
 * (daemon/rm.c): the other tasks' spawn, config, task list, host and notify
 * requests come to it as SM_* messages, its answers go back to them. As in
 * PVM 3.4.6 the result is the resource manager replaced (its tid, which
 * agreed to hand over) or 0, *hip describes the master host, and the task
 * puts its tid in the mailbox under PVMRMCLASS. */
int pvm_reg_rm(struct pvmhostinfo **hip) {
  static struct pvmhostinfo master;
  static int mbindex = -1;
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__TaskerRequest r = PVMNG__TASKER_REQUEST__INIT;
  const Pvmng__HostInfo *hi;
  char hint[320] = "";
  int rc, sbuf, old;

  if ((rc = lpvm_connect("pvm_reg_rm")) < 0)
    return rc;
  r.rm = 1;
  req.body_case = PVMNG__CONTROL__BODY_TASKER;
  req.tasker = &r;
  if ((rc = lpvm_request(&req, &rep)) < 0)
    return lpvm_err_hint("pvm_reg_rm", rc, "the connection to pvmd was lost");
  if (rep->body_case != PVMNG__CONTROL__BODY_RM_REPLY ||
      rep->rm_reply->code < 0) {
    rc = PvmSysErr;
    if (rep->body_case == PVMNG__CONTROL__BODY_RM_REPLY)
      rc = rep->rm_reply->code;
    else if (rep->body_case == PVMNG__CONTROL__BODY_STATUS &&
             rep->status->code < 0) {
      rc = rep->status->code;
      if (rep->status->reason != NULL)
        snprintf(hint, sizeof hint, "%s", rep->status->reason);
    }
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err_hint("pvm_reg_rm", rc, hint[0] ? hint : NULL);
  }
  rc = rep->rm_reply->code;
  hi = rep->rm_reply->master;
  free(master.hi_name);
  free(master.hi_arch);
  memset(&master, 0, sizeof master);
  if (hi != NULL) {
    master.hi_tid = (int)hi->tid;
    master.hi_speed = hi->speed;
    master.hi_dsig = hi->dsig;
    master.hi_name = strdup(hi->name ? hi->name : "");
    master.hi_arch = strdup(hi->arch ? hi->arch : "");
  }
  pvmng__control__free_unpacked(rep, NULL);
  if (master.hi_name == NULL || master.hi_arch == NULL)
    return lpvm_err("pvm_reg_rm", PvmNoMem);
  if (hip != NULL)
    *hip = &master;
  lpvm_conn.is_rm = 1;
  /* Where other programs look for the RM (PVM 3.4.6 does the same). */
  old = pvm_setopt(PvmAutoErr, 0);
  if (mbindex >= 0)
    pvm_delinfo(PVMRMCLASS, mbindex, PvmMboxDefault);
  sbuf = pvm_setsbuf(pvm_mkbuf(PvmDataDefault));
  pvm_pkint(&lpvm_conn.mytid, 1, 1);
  mbindex = pvm_putinfo(PVMRMCLASS, pvm_getsbuf(), PvmMboxMultiInstance);
  pvm_freebuf(pvm_setsbuf(sbuf));
  pvm_setopt(PvmAutoErr, old);
  return rc;
}
