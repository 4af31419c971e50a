/* pvm_addhosts and pvm_delhosts: one request to the local daemon, which
 * passes it to the master; the answer carries one result per host (a daemon
 * tid, or a negative PVM error code), copied into infos as man pvm_addhosts
 * describes. */
#include <stdlib.h>

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
    if (rep->body_case == PVMNG__CONTROL__BODY_STATUS && rep->status->code < 0)
      code = rep->status->code;
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err(fn, code);
  }
  for (int i = 0; i < nhost; i++) {
    int v = rep->hosts_reply->results[i];
    if (infos)
      infos[i] = v;
    if (v >= 0)
      ok++;
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
