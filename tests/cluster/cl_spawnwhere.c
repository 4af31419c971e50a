/* Where pvm_spawn puts tasks across hosts, for the cluster tests.
 *
 *   cl_spawnwhere MODE WHERE N
 *
 * MODE is default, host, host-compl (PvmTaskHost|PvmHostCompl), arch or
 * arch-compl (PvmTaskArch|PvmHostCompl). Spawns N copies of itself with
 * those flags and WHERE; each copy reports the host name it runs on. For
 * every task the parent checks that pvm_tidtohost, pvm_tasks(0) and the
 * task's own report agree on its host, prints "tTID HOST" and then one
 * "on HOST: COUNT" line per host, and "slot I: CODE" for each failed slot.
 * Exits 0 when every started task is where pvm_tidtohost says, 1 if not,
 * 2 on a usage or PVM error. */
#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvmtest.h"

#define TAG_HERE 1
#define TAG_BYE 2
#define MAXN 64

static int child(void) {
  char host[256];
  int parent = pvm_parent();
  if (pvm_mytid() < 0 || parent < 0)
    return 2;
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  pvm_initsend(PvmDataDefault);
  pvm_pkstr(host);
  pvm_send(parent, TAG_HERE);
  pvm_recv(parent, TAG_BYE);
  pvm_exit();
  return 0;
}

static const char *conf_name(int dtid, struct pvmhostinfo *hi, int nhost) {
  for (int i = 0; i < nhost; i++)
    if (hi[i].hi_tid == dtid)
      return hi[i].hi_name;
  return NULL;
}

int main(int argc, char **argv) {
  char self[4096], *cargs[2] = {"child", NULL}, where[256], *names[MAXN];
  int tids[MAXN], n, flags, started, bad = 0, nhost, narch, ntask;
  struct pvmhostinfo *hi;
  struct pvmtaskinfo *ti;

  if (argc == 2 && strcmp(argv[1], "child") == 0)
    return child();
  if (argc != 4 || (n = atoi(argv[3])) < 1 || n > MAXN) {
    fprintf(stderr, "usage: cl_spawnwhere MODE WHERE N (N <= %d)\n", MAXN);
    return 2;
  }
  if (strcmp(argv[1], "default") == 0)
    flags = PvmTaskDefault;
  else if (strcmp(argv[1], "host") == 0)
    flags = PvmTaskHost;
  else if (strcmp(argv[1], "host-compl") == 0)
    flags = PvmTaskHost | PvmHostCompl;
  else if (strcmp(argv[1], "arch") == 0)
    flags = PvmTaskArch;
  else if (strcmp(argv[1], "arch-compl") == 0)
    flags = PvmTaskArch | PvmHostCompl;
  else {
    fprintf(stderr, "cl_spawnwhere: unknown mode %s\n", argv[1]);
    return 2;
  }
  snprintf(where, sizeof where, "%s", argv[2]);
  if (pvmt_self_path(self, sizeof self) != 0 || pvm_mytid() < 0)
    return 2;
  started = pvm_spawn(self, cargs, flags, where, n, tids);
  printf("%d of %d started\n", started < 0 ? 0 : started, n);
  if (pvm_config(&nhost, &narch, &hi) < 0)
    return 2;
  for (int i = 0; i < n; i++) {
    names[i] = NULL;
    if (started < 0 || tids[i] < 0)
      printf("slot %d: %d\n", i, started < 0 ? started : tids[i]);
  }
  if (started <= 0) {
    pvm_exit();
    return 0;
  }
  /* Each task says where it runs. */
  for (int k = 0; k < started; k++) {
    char host[256];
    int bufid = pvm_recv(-1, TAG_HERE), src = 0, bytes, tag;
    if (bufid < 0)
      return 2;
    pvm_bufinfo(bufid, &bytes, &tag, &src);
    pvm_upkstr(host);
    for (int i = 0; i < n; i++)
      if (tids[i] == src)
        names[i] = strdup(host);
  }
  if (pvm_tasks(0, &ntask, &ti) < 0)
    return 2;
  for (int i = 0; i < n; i++) {
    const char *name;
    int dtid, listed = 0;
    if (tids[i] < 0)
      continue;
    dtid = pvm_tidtohost(tids[i]);
    name = conf_name(dtid, hi, nhost);
    for (int j = 0; j < ntask; j++)
      if (ti[j].ti_tid == tids[i])
        listed = ti[j].ti_host == dtid;
    printf("t%x %s\n", (unsigned)tids[i], name ? name : "?");
    if (!name || !listed || !names[i] || strcmp(names[i], name) != 0) {
      printf("MISMATCH t%x: pvm_tidtohost names %s, pvm_tasks %s, the task "
             "says %s\n",
             (unsigned)tids[i], name ? name : "no host",
             listed ? "agrees" : "does not", names[i] ? names[i] : "nothing");
      bad = 1;
    }
  }
  for (int h = 0; h < nhost; h++) {
    int count = 0;
    for (int i = 0; i < n; i++)
      if (tids[i] >= 0 && pvm_tidtohost(tids[i]) == hi[h].hi_tid)
        count++;
    if (count > 0)
      printf("on %s: %d\n", hi[h].hi_name, count);
  }
  for (int i = 0; i < n; i++) {
    if (tids[i] < 0)
      continue;
    pvm_initsend(PvmDataDefault);
    pvm_send(tids[i], TAG_BYE);
    free(names[i]);
  }
  pvm_exit();
  return bad;
}
