/* libfpvm3, tasks and the virtual machine: pvmfmytid, pvmfspawn, pvmftasks,
 * pvmfconfig, options, output collection and error reporting. Each routine
 * is a gfortran-callable subroutine (lowercase name, trailing underscore,
 * every argument by reference, CHARACTER lengths hidden at the end) that
 * calls the public C API and stores its result in the last argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpvm.h"
#include "pvm3.h"

FPVM_PUBLIC void pvmfmytid_(int *tid) { *tid = pvm_mytid(); }

FPVM_PUBLIC void pvmfparent_(int *tid) { *tid = pvm_parent(); }

FPVM_PUBLIC void pvmfexit_(int *info) {
  /* Output written through Fortran units goes out before the task leaves. */
  fflush(NULL);
  *info = pvm_exit();
}

/* where "*" or blank means any host, as PvmTaskDefault does (man
 * pvmfspawn); task and where lose their trailing blanks. */
FPVM_PUBLIC void pvmfspawn_(char *task, int *flag, char *where, int *ntask,
                            int *tids, int *numt, fpvm_len ltask,
                            fpvm_len lwhere) {
  char *ctask = fpvm_f2c(task, ltask);
  char *cwhere = fpvm_f2c(where, lwhere);

  if (ctask == NULL || cwhere == NULL) {
    *numt = PvmNoMem;
  } else {
    int any = cwhere[0] == '\0' || strcmp(cwhere, "*") == 0;
    *numt = pvm_spawn(ctask, NULL, *flag, any ? NULL : cwhere, *ntask, tids);
  }
  free(ctask);
  free(cwhere);
}

FPVM_PUBLIC void pvmfkill_(int *tid, int *info) { *info = pvm_kill(*tid); }

FPVM_PUBLIC void pvmfsendsig_(int *tid, int *signum, int *info) {
  *info = pvm_sendsig(*tid, *signum);
}

FPVM_PUBLIC void pvmfpstat_(int *tid, int *status) {
  *status = pvm_pstat(*tid);
}

FPVM_PUBLIC void pvmfmstat_(char *host, int *mstat, fpvm_len lhost) {
  char *c = fpvm_f2c(host, lhost);

  *mstat = c != NULL ? pvm_mstat(c) : PvmNoMem;
  free(c);
}

FPVM_PUBLIC void pvmftidtohost_(int *tid, int *dtid) {
  *dtid = pvm_tidtohost(*tid);
}

/* The name the man page gives (pvmftidtoh). */
FPVM_PUBLIC void pvmftidtoh_(int *tid, int *dtid) {
  *dtid = pvm_tidtohost(*tid);
}

/* pvmftasks and pvmfconfig report one entry per call from a snapshot taken
 * at the start of a cycle; the count and the set stay fixed until the cycle
 * ends (or the caller passes ntask/nhost = -1, which starts a new one). */
static struct {
  struct pvmtaskinfo *v; /* copies; ti_a_out strings owned here */
  int n, next, where, live;
} task_cycle;

static void task_cycle_reset(void) {
  for (int i = 0; i < task_cycle.n; i++)
    free(task_cycle.v[i].ti_a_out);
  free(task_cycle.v);
  memset(&task_cycle, 0, sizeof task_cycle);
}

static int task_cycle_start(int where) {
  struct pvmtaskinfo *ti;
  int n, cc;

  task_cycle_reset();
  cc = pvm_tasks(where, &n, &ti);
  if (cc < 0)
    return cc;
  task_cycle.v = calloc(n > 0 ? (size_t)n : 1, sizeof *task_cycle.v);
  if (task_cycle.v == NULL)
    return PvmNoMem;
  for (int i = 0; i < n; i++) {
    task_cycle.v[i] = ti[i];
    task_cycle.v[i].ti_a_out = strdup(ti[i].ti_a_out ? ti[i].ti_a_out : "");
    task_cycle.n = i + 1;
    if (task_cycle.v[i].ti_a_out == NULL) {
      task_cycle_reset();
      return PvmNoMem;
    }
  }
  task_cycle.where = where;
  task_cycle.live = 1;
  return 0;
}

FPVM_PUBLIC void pvmftasks_(int *where, int *ntask, int *tid, int *ptid,
                            int *dtid, int *flag, char *aout, int *info,
                            fpvm_len laout) {
  struct pvmtaskinfo *t;

  if (*ntask == -1 || !task_cycle.live || task_cycle.where != *where ||
      task_cycle.next >= task_cycle.n) {
    int cc = task_cycle_start(*where);
    if (cc < 0) {
      *info = cc;
      return;
    }
  }
  *ntask = task_cycle.n;
  *info = 0;
  if (task_cycle.n == 0) {
    task_cycle.live = 0;
    return;
  }
  t = &task_cycle.v[task_cycle.next++];
  *tid = t->ti_tid;
  *ptid = t->ti_ptid;
  *dtid = t->ti_host;
  *flag = t->ti_flag;
  fpvm_c2f(t->ti_a_out, aout, laout);
  if (task_cycle.next >= task_cycle.n)
    task_cycle.live = 0;
}

static struct {
  struct pvmhostinfo *v; /* copies; hi_name and hi_arch owned here */
  int n, narch, next, live;
} host_cycle;

static void host_cycle_reset(void) {
  for (int i = 0; i < host_cycle.n; i++) {
    free(host_cycle.v[i].hi_name);
    free(host_cycle.v[i].hi_arch);
  }
  free(host_cycle.v);
  memset(&host_cycle, 0, sizeof host_cycle);
}

static int host_cycle_start(void) {
  struct pvmhostinfo *hi;
  int n, narch, cc;

  host_cycle_reset();
  cc = pvm_config(&n, &narch, &hi);
  if (cc < 0)
    return cc;
  host_cycle.v = calloc(n > 0 ? (size_t)n : 1, sizeof *host_cycle.v);
  if (host_cycle.v == NULL)
    return PvmNoMem;
  for (int i = 0; i < n; i++) {
    host_cycle.v[i] = hi[i];
    host_cycle.v[i].hi_name = strdup(hi[i].hi_name ? hi[i].hi_name : "");
    host_cycle.v[i].hi_arch = strdup(hi[i].hi_arch ? hi[i].hi_arch : "");
    host_cycle.n = i + 1;
    if (host_cycle.v[i].hi_name == NULL || host_cycle.v[i].hi_arch == NULL) {
      host_cycle_reset();
      return PvmNoMem;
    }
  }
  host_cycle.narch = narch;
  host_cycle.live = 1;
  return 0;
}

FPVM_PUBLIC void pvmfconfig_(int *nhost, int *narch, int *dtid, char *name,
                             char *arch, int *speed, int *info, fpvm_len lname,
                             fpvm_len larch) {
  struct pvmhostinfo *h;

  if (*nhost == -1 || !host_cycle.live || host_cycle.next >= host_cycle.n) {
    int cc = host_cycle_start();
    if (cc < 0) {
      *info = cc;
      return;
    }
  }
  *nhost = host_cycle.n;
  *narch = host_cycle.narch;
  *info = 0;
  if (host_cycle.n == 0) {
    host_cycle.live = 0;
    return;
  }
  h = &host_cycle.v[host_cycle.next++];
  *dtid = h->hi_tid;
  fpvm_c2f(h->hi_name, name, lname);
  fpvm_c2f(h->hi_arch, arch, larch);
  *speed = h->hi_speed;
  if (host_cycle.next >= host_cycle.n)
    host_cycle.live = 0;
}

/* One host per call; info is 1 when it was added (deleted), else the error
 * for that host or for the call. */
static int one_host(int (*op)(char **, int, int *), char *host,
                    fpvm_len lhost) {
  char *c = fpvm_f2c(host, lhost);
  int st = 0, cc;

  if (c == NULL)
    return PvmNoMem;
  cc = op(&c, 1, &st);
  free(c);
  if (cc < 0)
    return cc;
  return cc == 1 ? 1 : (st < 0 ? st : PvmSysErr);
}

FPVM_PUBLIC void pvmfaddhost_(char *host, int *info, fpvm_len lhost) {
  *info = one_host(pvm_addhosts, host, lhost);
}

FPVM_PUBLIC void pvmfdelhost_(char *host, int *info, fpvm_len lhost) {
  *info = one_host(pvm_delhosts, host, lhost);
}

FPVM_PUBLIC void pvmfhalt_(int *info) { *info = pvm_halt(); }

/* args is one string of blank-separated daemon arguments. */
FPVM_PUBLIC void pvmfstartpvmd_(char *args, int *block, int *info,
                                fpvm_len largs) {
  int argc = 0;
  char **argv = fpvm_f2argv(args, largs, &argc);

  *info = argv != NULL ? pvm_start_pvmd(argc, argv, *block) : PvmNoMem;
  free(argv);
}

/* The spelling the man page's example uses (PVMFSTART_PVMD). */
FPVM_PUBLIC void pvmfstart_pvmd_(char *args, int *block, int *info,
                                 fpvm_len largs) {
  pvmfstartpvmd_(args, block, info, largs);
}

FPVM_PUBLIC void pvmfarchcode_(char *arch, int *cod, fpvm_len larch) {
  char *c = fpvm_f2c(arch, larch);

  *cod = c != NULL ? pvm_archcode(c) : PvmNoMem;
  free(c);
}

FPVM_PUBLIC void pvmfhostsync_(int *host, int *clksec, int *clkusec,
                               int *deltasec, int *deltausec, int *info) {
  struct timeval clk = {0, 0}, delta = {0, 0};

  *info = pvm_hostsync(*host, &clk, &delta);
  if (*info >= 0) {
    *clksec = (int)clk.tv_sec;
    *clkusec = (int)clk.tv_usec;
    *deltasec = (int)delta.tv_sec;
    *deltausec = (int)delta.tv_usec;
  }
}

FPVM_PUBLIC void pvmfnotify_(int *what, int *msgtag, int *cnt, int *tids,
                             int *info) {
  *info = pvm_notify(*what, *msgtag, *cnt, tids);
}

/* Output of children goes to this task's standard output (the C stream
 * Fortran's unit 6 also ends in). */
FPVM_PUBLIC void pvmfcatchout_(int *onoff, int *info) {
  fflush(stdout);
  *info = pvm_catchout(*onoff ? stdout : NULL);
}

/* index -1 only returns the count; 0..ntids-1 also returns that sibling. */
FPVM_PUBLIC void pvmfsiblings_(int *ntids, int *index, int *sibling) {
  int *tids = NULL;

  *ntids = pvm_siblings(&tids);
  if (*ntids < 0 || *index == -1)
    return;
  if (*index >= 0 && *index < *ntids)
    *sibling = tids[*index];
  else
    *ntids = PvmBadParam;
}

FPVM_PUBLIC void pvmfsetopt_(int *what, int *val, int *oldval) {
  *oldval = pvm_setopt(*what, *val);
}

FPVM_PUBLIC void pvmfgetopt_(int *what, int *val) { *val = pvm_getopt(*what); }

/* PVM 3.3's automatic error reporting switch: PvmAutoErr today. */
FPVM_PUBLIC void pvmfserror_(int *set, int *oldset) {
  *oldset = pvm_setopt(PvmAutoErr, *set);
}

/* PVM 3.3's routing advice: PvmRoute today. */
FPVM_PUBLIC void pvmfadvise_(int *route, int *info) {
  int cc = pvm_setopt(PvmRoute, *route);

  *info = cc < 0 ? cc : 0;
}

FPVM_PUBLIC void pvmfperror_(char *msg, int *info, fpvm_len lmsg) {
  char *c = fpvm_f2c(msg, lmsg);

  fflush(stdout);
  *info = c != NULL ? pvm_perror(c) : PvmNoMem;
  free(c);
}

FPVM_PUBLIC void pvmfsleep_(int *secs) {
  if (*secs > 0)
    sleep((unsigned)*secs);
}

FPVM_PUBLIC void pvmfnewcontext_(int *ctx) { *ctx = pvm_newcontext(); }

FPVM_PUBLIC void pvmfsetcontext_(int *ctx, int *oldctx) {
  *oldctx = pvm_setcontext(*ctx);
}

FPVM_PUBLIC void pvmfgetcontext_(int *ctx) { *ctx = pvm_getcontext(); }

FPVM_PUBLIC void pvmffreecontext_(int *ctx, int *info) {
  *info = pvm_freecontext(*ctx);
}
