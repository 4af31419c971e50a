/* cl_rm: a resource manager for the cluster test of pvm_reg_rm. It
 * registers, says so on stdout, and answers the SM_CONFIG, SM_TASK and
 * SM_DELHOST requests of its host's tasks by making the same call itself
 * (which the daemons serve), printing one line per request and per SM_HOSTX
 * it hears ("cl_rm: SM_HOSTX t80000"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"

#define SM_TASK ((int)0x80040004)
#define SM_CONFIG ((int)0x80040005)
#define SM_DELHOST ((int)0x80040007)
#define SM_HOSTX ((int)0x8004000c)

static void config(int src) {
  struct pvmhostinfo *h;
  int nhost = 0, narch = 0;
  pvm_config(&nhost, &narch, &h);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&nhost, 1, 1);
  pvm_pkint(&narch, 1, 1);
  for (int i = 0; i < nhost; i++) {
    pvm_pkint(&h[i].hi_tid, 1, 1);
    pvm_pkstr(h[i].hi_name);
    pvm_pkstr(h[i].hi_arch);
    pvm_pkint(&h[i].hi_speed, 1, 1);
    pvm_pkint(&h[i].hi_dsig, 1, 1);
  }
  pvm_send(src, SM_CONFIG);
}

static void tasks(int src) {
  struct pvmtaskinfo *t;
  int where, ntask = 0, rc;
  pvm_upkint(&where, 1, 1);
  rc = pvm_tasks(where, &ntask, &t);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&rc, 1, 1);
  for (int i = 0; rc == 0 && i < ntask; i++) {
    pvm_pkint(&t[i].ti_tid, 1, 1);
    pvm_pkint(&t[i].ti_ptid, 1, 1);
    pvm_pkint(&t[i].ti_host, 1, 1);
    pvm_pkint(&t[i].ti_flag, 1, 1);
    pvm_pkstr(t[i].ti_a_out);
    pvm_pkint(&t[i].ti_pid, 1, 1);
  }
  pvm_send(src, SM_TASK);
}

static void delhosts(int src) {
  char name[256], *names[16];
  int count, rc, st[16];
  pvm_upkint(&count, 1, 1);
  if (count < 1 || count > 16)
    count = 1;
  for (int i = 0; i < count; i++) {
    pvm_upkstr(name);
    names[i] = strdup(name);
  }
  rc = pvm_delhosts(names, count, st);
  pvm_initsend(PvmDataDefault);
  if (rc < 0) {
    pvm_pkint(&rc, 1, 1);
  } else {
    pvm_pkint(&count, 1, 1);
    pvm_pkint(st, count, 1);
  }
  pvm_send(src, SM_DELHOST);
  for (int i = 0; i < count; i++)
    free(names[i]);
}

int main(void) {
  struct pvmhostinfo *hip;
  int rc;
  pvm_setopt(PvmResvTids, 1);
  rc = pvm_reg_rm(&hip);
  printf("cl_rm: pvm_reg_rm returned %d\n", rc);
  fflush(stdout);
  if (rc < 0)
    return 1;
  for (;;) {
    int b = pvm_recv(-1, -1), len, tag, src, tid;
    if (b < 0)
      return 1;
    pvm_bufinfo(b, &len, &tag, &src);
    if (tag == SM_CONFIG) {
      printf("cl_rm: SM_CONFIG from t%x\n", (unsigned)src);
      config(src);
    } else if (tag == SM_TASK) {
      printf("cl_rm: SM_TASK from t%x\n", (unsigned)src);
      tasks(src);
    } else if (tag == SM_DELHOST) {
      printf("cl_rm: SM_DELHOST from t%x\n", (unsigned)src);
      delhosts(src);
    } else if (tag == SM_HOSTX) {
      pvm_upkint(&tid, 1, 1);
      printf("cl_rm: SM_HOSTX t%x\n", (unsigned)tid);
    }
    fflush(stdout);
  }
}
