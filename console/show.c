/* The console's listings of the virtual machine: conf, ps, mstat, pstat,
 * add, delete and names, in the column layout of PVM 3.4's console so that
 * scripts and course material written for it read them unchanged. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "json.h"
#include "pvm3.h"
#include "tid.h"

/* PVM 3.4's task flag bits as pvm_tasks reports them, with the letter ps
 * shows for each. */
static const struct {
  int bit;
  char letter;
} task_flags[] = {
    {0x2, 'f'},   /* task process is a child of its pvmd */
    {0x4, 'c'},   /* task connected to its pvmd */
    {0x8, 'a'},   /* task waiting for authorisation */
    {0x10, 'o'},  /* task connection being closed */
    {0x20, 's'},  /* task deadlocked on shared memory */
    {0x100, 'R'}, /* resource manager */
    {0x200, 'H'}, /* hoster */
    {0x400, 'T'}, /* tasker */
};

int cons_conf(int argc, char **argv) {
  int nhost = 0, narch = 0, rc;
  struct pvmhostinfo *hosts = NULL;
  int json = cons_take_json(&argc, argv);

  if (argc != 1)
    return cons_usage(argv[0], "conf [--json]");
  if (json)
    return cons_conf_json();
  rc = pvm_config(&nhost, &narch, &hosts);
  if (rc < 0) {
    printf("conf: %s\n", cons_errstr(rc));
    return 1;
  }
  printf("%d host%s, %d data format%s\n", nhost, nhost == 1 ? "" : "s", narch,
         narch == 1 ? "" : "s");
  printf("%24s %8s %8s %7s %10s\n", "HOST", "DTID", "ARCH", "SPEED", "DSIG");
  for (int i = 0; i < nhost; i++)
    printf("%24s %8x %8s %7d 0x%08x\n", hosts[i].hi_name,
           (unsigned)hosts[i].hi_tid, hosts[i].hi_arch, hosts[i].hi_speed,
           (unsigned)hosts[i].hi_dsig);
  return 0;
}

/* Host name of the pvmd whose tid is dtid, from the host table. */
static const char *host_name(int dtid, struct pvmhostinfo *hosts, int nhost,
                             char *buf, size_t len) {
  for (int i = 0; i < nhost; i++)
    if (hosts[i].hi_tid == dtid)
      return hosts[i].hi_name ? hosts[i].hi_name : "?"; /* strdup failed */
  snprintf(buf, len, "t%x", (unsigned)dtid);
  return buf;
}

void cons_ps_header(int longfmt) {
  if (longfmt)
    printf("%24s %8s %8s %6s %9s %s\n", "HOST", "TID", "PTID", "PID", "FLAG 0x",
           "COMMAND");
  else
    printf("%24s %8s %9s %s\n", "HOST", "TID", "FLAG 0x", "COMMAND");
}

/* The letters of a task's flags (out holds at least 16 bytes). */
static char *flag_letters(int flags, char *out) {
  int n = 0;
  for (size_t i = 0; i < sizeof task_flags / sizeof task_flags[0]; i++)
    if (flags & task_flags[i].bit)
      out[n++] = task_flags[i].letter;
  out[n] = '\0';
  return out;
}

static void ps_row(const struct pvmtaskinfo *t, const char *host, int longfmt) {
  char tid[16], flag[40], letters[16];

  if (t->ti_tid == cons.mytid)
    snprintf(tid, sizeof tid, "(cons)");
  else
    snprintf(tid, sizeof tid, "%x", (unsigned)t->ti_tid);
  snprintf(flag, sizeof flag, "%x/%s", (unsigned)t->ti_flag,
           flag_letters(t->ti_flag, letters));
  const char *name = t->ti_a_out && t->ti_a_out[0] ? t->ti_a_out : "-";
  if (longfmt)
    printf("%24s %8s %8x %6d %9s %-12s\n", host, tid, (unsigned)t->ti_ptid,
           t->ti_pid, flag, name);
  else
    printf("%24s %8s %9s %-12s\n", host, tid, flag, name);
}

int cons_ps_one(int tid, int longfmt) {
  int ntask = 0, nhost = 0, narch = 0, rc;
  struct pvmtaskinfo *tasks = NULL;
  struct pvmhostinfo *hosts = NULL;
  char buf[24];

  if (pvm_config(&nhost, &narch, &hosts) < 0)
    nhost = 0;
  rc = pvm_tasks(tid, &ntask, &tasks);
  if (rc < 0)
    return rc;
  for (int i = 0; i < ntask; i++)
    ps_row(&tasks[i],
           host_name(tasks[i].ti_host, hosts, nhost, buf, sizeof buf), longfmt);
  return 0;
}

int cons_ps(int argc, char **argv) {
  int all = 0, showall = 0, longfmt = 0, where = -1;
  const char *hostname = NULL;
  int ntask = 0, nhost = 0, narch = 0, rc;
  struct pvmtaskinfo *tasks = NULL;
  struct pvmhostinfo *hosts = NULL;
  char buf[24];
  int json = cons_take_json(&argc, argv);

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') {
      printf("ps: unexpected argument '%s'; usage: ps [-a] [-h<host tid>] "
             "[-n<host name>] [-l] [-x]\n",
             a);
      return 1;
    }
    for (const char *p = a + 1; *p; p++) {
      if (*p == 'a') {
        all = 1;
      } else if (*p == 'x') {
        showall = 1;
      } else if (*p == 'l') {
        longfmt = 1;
      } else if (*p == 'h') {
        const char *v = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : "");
        if (cons_parse_tid(v, &where) < 0) {
          printf("ps: bad host tid '%s'; give a pvmd tid as conf shows it "
                 "(e.g. -h40000)\n",
                 v);
          return 1;
        }
        where = pvmw_tid_daemon(where);
        break;
      } else if (*p == 'n') {
        hostname = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : "");
        break;
      } else {
        printf("ps: unknown option '-%c'; try 'help ps'\n", *p);
        return 1;
      }
    }
  }
  rc = pvm_config(&nhost, &narch, &hosts);
  if (rc < 0) {
    printf("ps: %s\n", cons_errstr(rc));
    return 1;
  }
  if (hostname) {
    where = -1;
    for (int i = 0; i < nhost; i++)
      if (strcmp(hosts[i].hi_name, hostname) == 0)
        where = hosts[i].hi_tid;
    if (where == -1) {
      printf("ps: no host '%s' in the virtual machine; conf lists them\n",
             hostname);
      return 1;
    }
  } else if (where == -1) {
    where = all ? 0 : pvm_tidtohost(cons.mytid);
    if (where < 0) {
      printf("ps: %s\n", cons_errstr(where));
      return 1;
    }
  }
  /* pvm_config's table is reused by the next call; keep what we need. */
  struct pvmhostinfo *hcopy = calloc((size_t)nhost + 1, sizeof *hcopy);
  if (!hcopy) {
    printf("ps: out of memory\n");
    return 1;
  }
  for (int i = 0; i < nhost; i++) {
    hcopy[i].hi_tid = hosts[i].hi_tid;
    hcopy[i].hi_name = strdup(hosts[i].hi_name ? hosts[i].hi_name : "?");
  }
  rc = pvm_tasks(where, &ntask, &tasks);
  if (rc < 0) {
    printf("ps: %s\n", cons_errstr(rc));
  } else if (json) {
    json_t *list = json_array();
    char letters[16];
    for (int i = 0; i < ntask && list; i++)
      if (showall || tasks[i].ti_tid != cons.mytid)
        json_array_append_new(
            list, cons_json_task(&tasks[i],
                                 host_name(tasks[i].ti_host, hcopy, nhost, buf,
                                           sizeof buf),
                                 flag_letters(tasks[i].ti_flag, letters)));
    rc = cons_json_print(json_pack("{s:o}", "tasks", list), "ps") ? -1 : 0;
  } else {
    cons_ps_header(longfmt);
    for (int i = 0; i < ntask; i++) {
      if (!showall && tasks[i].ti_tid == cons.mytid)
        continue;
      ps_row(&tasks[i],
             host_name(tasks[i].ti_host, hcopy, nhost, buf, sizeof buf),
             longfmt);
    }
  }
  for (int i = 0; i < nhost; i++)
    free(hcopy[i].hi_name);
  free(hcopy);
  return rc < 0;
}

int cons_mstat(int argc, char **argv) {
  int failed = 0;

  int json = cons_take_json(&argc, argv);

  if (argc < 2)
    return cons_usage(argv[0], "mstat [--json] host ...");
  if (json)
    return cons_mstat_json(argc, argv);
  for (int i = 1; i < argc; i++) {
    int rc = pvm_mstat(argv[i]);
    printf("%24s  %s\n", argv[i], rc == PvmOk ? "ok" : cons_errstr(rc));
    if (rc != PvmOk)
      failed = 1;
  }
  return failed;
}

int cons_pstat(int argc, char **argv) {
  int failed = 0;

  if (argc < 2)
    return cons_usage(argv[0], "pstat tid ...");
  for (int i = 1; i < argc; i++) {
    int tid, rc;
    if (cons_parse_tid(argv[i], &tid) < 0) {
      printf("pstat: '%s' is not a task id (write it as ps shows it, e.g. "
             "t40002)\n",
             argv[i]);
      failed = 1;
      continue;
    }
    rc = pvm_pstat(tid);
    printf("t%8x  %s\n", (unsigned)tid, rc == PvmOk ? "run" : cons_errstr(rc));
    if (rc != PvmOk)
      failed = 1;
  }
  return failed;
}

/* Runs pvm_addhosts or pvm_delhosts and prints PVM's result table. */
static int hosts_change(int argc, char **argv, int add) {
  int n = argc - 1, rc, ok = 0;
  int *infos;

  if (n < 1)
    return cons_usage(argv[0],
                      add ? "add hostname ..." : "delete hostname ...");
  infos = malloc((size_t)n * sizeof *infos);
  if (!infos) {
    printf("%s: out of memory\n", argv[0]);
    return 1;
  }
  /* A sentinel tells a whole-call failure (infos untouched) from per-host
   * results. */
  for (int i = 0; i < n; i++)
    infos[i] = INT_MIN;
  /* A failed add's reason (ssh's last words, say) comes as the library's
   * one-line report: the console shows it above the table. */
  if (add)
    pvm_setopt(PvmAutoErr, 1);
  rc =
      add ? pvm_addhosts(argv + 1, n, infos) : pvm_delhosts(argv + 1, n, infos);
  if (add)
    pvm_setopt(PvmAutoErr, 0);
  if (rc < 0 && infos[0] == INT_MIN) {
    printf("%s: %s\n", argv[0], cons_errstr(rc));
    if (rc == PvmNotImpl)
      printf("%s: this build cannot %s hosts yet; the virtual machine is "
             "unchanged\n",
             argv[0], add ? "add" : "delete");
    free(infos);
    return 1;
  }
  for (int i = 0; i < n; i++)
    if (infos[i] >= 0 && infos[i] != INT_MIN)
      ok++;
  printf("%d successful\n", ok);
  if (add)
    printf("%24s %8s\n", "HOST", "DTID");
  else
    printf("%24s  %s\n", "HOST", "STATUS");
  for (int i = 0; i < n; i++) {
    const char *name = argv[i + 1];
    if (infos[i] == INT_MIN)
      printf("%24s  %s\n", name, "no result");
    else if (infos[i] < 0)
      printf(add ? "%24s %s\n" : "%24s  %s\n", name, cons_errstr(infos[i]));
    else if (add)
      printf("%24s %8x\n", name, (unsigned)infos[i]);
    else
      printf("%24s  %s\n", name, "deleted");
  }
  for (int i = 0; i < n; i++) {
    if (infos[i] == PvmNotImpl) {
      printf("%s: this build cannot %s hosts yet; the virtual machine is "
             "unchanged\n",
             argv[0], add ? "add" : "delete");
      break;
    }
  }
  free(infos);
  return ok == n ? 0 : 1;
}

int cons_add(int argc, char **argv) { return hosts_change(argc, argv, 1); }

int cons_delete(int argc, char **argv) { return hosts_change(argc, argv, 0); }

int cons_names(int argc, char **argv) {
  int nclass = 0, rc;
  struct pvmmboxinfo *classes = NULL;

  int json = cons_take_json(&argc, argv);

  if (argc > 2)
    return cons_usage(argv[0], "names [--json] [pattern]");
  if (json)
    return cons_names_json(argc == 2 ? argv[1] : "*");
  rc = pvm_getmboxinfo(argc == 2 ? argv[1] : "*", &nclass, &classes);
  if (rc < 0) {
    printf("names: %s\n", cons_errstr(rc));
    return 1;
  }
  for (int i = 0; i < nclass; i++) {
    printf("<%s>:\n", classes[i].mi_name);
    for (int k = 0; k < classes[i].mi_nentries; k++)
      printf("\tindex=%d owner=0x%x/%d flags=0x%x\n", classes[i].mi_indices[k],
             (unsigned)classes[i].mi_owners[k], classes[i].mi_owners[k],
             (unsigned)classes[i].mi_flags[k]);
    printf("\n");
  }
  return 0;
}
