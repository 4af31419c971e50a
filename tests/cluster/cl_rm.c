/* cl_rm: a resource manager for the cluster test of pvm_reg_rm. It
 * registers, says so on stdout (with its tid), and answers the SM_CONFIG,
 * SM_TASK, SM_ADDHOST and SM_DELHOST requests of the tasks of every host by
 * making the same call itself (which the daemons serve); SM_SPAWN it
 * carries out as PVM 3.4's RMs do, with SM_EXEC to the daemon of the host
 * named (PvmTaskHost) or else of the asking task's host. It prints one line
 * per request, per SM_EXEC ("cl_rm: SM_EXEC to t80000 started t80001"),
 * per SM_TASKX and per SM_HOSTX it hears ("cl_rm: SM_HOSTX t80000").
 * Given a file name, it exits without answering the first SM_CONFIG that
 * comes once that file exists: that request is left for the daemons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvm3.h"

#define SM_SPAWN ((int)0x80040001)
#define SM_EXEC ((int)0x80040002)
#define SM_EXECACK ((int)0x80040003)
#define SM_TASK ((int)0x80040004)
#define SM_ADDHOST ((int)0x80040006)
#define SM_TASKX ((int)0x8004000b)
#define TIDPVMD ((int)0x80000000u)
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

static void addhosts(int src) {
  char name[256], *names[16];
  int count, rc, st[16], zero = 0;
  pvm_upkint(&count, 1, 1);
  if (count < 1 || count > 16)
    count = 1;
  for (int i = 0; i < count; i++) {
    pvm_upkstr(name);
    names[i] = strdup(name);
  }
  rc = pvm_addhosts(names, count, st);
  pvm_initsend(PvmDataDefault);
  if (rc < 0) {
    pvm_pkint(&rc, 1, 1);
  } else {
    pvm_pkint(&count, 1, 1);
    pvm_pkint(&zero, 1, 1); /* architectures */
    for (int i = 0; i < count; i++) {
      pvm_pkint(&st[i], 1, 1);
      pvm_pkstr(names[i]);
      pvm_pkstr("");
      pvm_pkint(&zero, 1, 1);
      pvm_pkint(&zero, 1, 1);
    }
  }
  pvm_send(src, SM_ADDHOST);
  for (int i = 0; i < count; i++)
    free(names[i]);
}

/* The daemon tid (PVM 3.4's host tid | TIDPVMD) of the host named, or
 * of src's host. */
static int exec_host(int flags, const char *where, int src) {
  struct pvmhostinfo *h;
  int nhost = 0, narch = 0;
  if ((flags & PvmTaskHost) && pvm_config(&nhost, &narch, &h) == 0)
    for (int i = 0; i < nhost; i++)
      if (strcmp(h[i].hi_name, where) == 0)
        return h[i].hi_tid | TIDPVMD;
  return pvm_tidtohost(src) | TIDPVMD;
}

static void spawn(int src) {
  char file[1024], where[256], buf[1024], *av[16], *ev[16];
  int flags, count, nargs, out[3], trc[3], nenv, tids[16], dtid, n;
  pvm_upkstr(file);
  pvm_upkint(&flags, 1, 1);
  pvm_upkstr(where);
  pvm_upkint(&count, 1, 1);
  pvm_upkint(&nargs, 1, 1);
  if (count < 1 || count > 16 || nargs < 0 || nargs > 16) {
    n = PvmBadParam;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&n, 1, 1);
    pvm_send(src, SM_SPAWN);
    return;
  }
  for (int i = 0; i < nargs; i++) {
    pvm_upkstr(buf);
    av[i] = strdup(buf);
  }
  pvm_upkint(out, 3, 1);
  pvm_upkint(trc, 3, 1);
  pvm_upkint(&nenv, 1, 1);
  if (nenv < 0 || nenv > 16)
    nenv = 0;
  for (int i = 0; i < nenv; i++) {
    pvm_upkstr(buf);
    ev[i] = strdup(buf);
  }
  dtid = exec_host(flags, where, src);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&src, 1, 1); /* the parent: the task that asked */
  pvm_pkstr(file);
  pvm_pkint(&flags, 1, 1);
  pvm_pkint(&count, 1, 1);
  pvm_pkint(&nargs, 1, 1);
  for (int i = 0; i < nargs; i++)
    pvm_pkstr(av[i]);
  pvm_pkint(out, 3, 1);
  pvm_pkint(trc, 3, 1);
  pvm_pkint(&nenv, 1, 1);
  for (int i = 0; i < nenv; i++)
    pvm_pkstr(ev[i]);
  pvm_send(dtid, SM_EXEC);
  for (int i = 0; i < nargs; i++)
    free(av[i]);
  for (int i = 0; i < nenv; i++)
    free(ev[i]);
  if (pvm_recv(-1, SM_EXECACK) < 0)
    exit(1);
  pvm_upkint(&n, 1, 1);
  if (n < 0 || n > count)
    n = 0;
  pvm_upkint(tids, n, 1);
  for (int i = 0; i < n; i++)
    printf("cl_rm: SM_EXEC to t%x started t%x\n", (unsigned)(dtid & ~TIDPVMD),
           (unsigned)tids[i]);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&n, 1, 1);
  pvm_pkint(tids, n, 1);
  pvm_send(src, SM_SPAWN);
}

int main(int argc, char **argv) {
  struct pvmhostinfo *hip;
  int rc;
  pvm_setopt(PvmResvTids, 1);
  rc = pvm_reg_rm(&hip);
  printf("cl_rm: pvm_reg_rm returned %d as t%x\n", rc, (unsigned)pvm_mytid());
  fflush(stdout);
  if (rc < 0)
    return 1;
  for (;;) {
    int b = pvm_recv(-1, -1), len, tag, src, tid;
    if (b < 0)
      return 1;
    pvm_bufinfo(b, &len, &tag, &src);
    if (tag == SM_CONFIG && argc > 1 && access(argv[1], F_OK) == 0) {
      printf("cl_rm: leaving with the SM_CONFIG of t%x unanswered\n",
             (unsigned)src);
      fflush(stdout);
      pvm_exit();
      return 0;
    }
    if (tag == SM_CONFIG) {
      printf("cl_rm: SM_CONFIG from t%x\n", (unsigned)src);
      config(src);
    } else if (tag == SM_TASK) {
      printf("cl_rm: SM_TASK from t%x\n", (unsigned)src);
      tasks(src);
    } else if (tag == SM_SPAWN) {
      printf("cl_rm: SM_SPAWN from t%x\n", (unsigned)src);
      spawn(src);
    } else if (tag == SM_ADDHOST) {
      printf("cl_rm: SM_ADDHOST from t%x\n", (unsigned)src);
      addhosts(src);
    } else if (tag == SM_TASKX) {
      pvm_upkint(&tid, 1, 1);
      printf("cl_rm: SM_TASKX t%x\n", (unsigned)tid);
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
