/* Commands that act on tasks: kill (and kill -c, the children of a task),
 * sig with numbers or names, and reset, which kills every task but the
 * consoles and those that set PvmNoReset. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console.h"
#include "pvm3.h"
#include "pvmng.h"
#include "tid.h"

/* Kills the task's children (tasks whose parent it is). */
static int kill_children(int tid) {
  int ntask = 0, rc, failed = 0;
  struct pvmtaskinfo *tasks = NULL;
  int *kids;
  int nkid = 0;

  rc = pvm_tasks(0, &ntask, &tasks);
  if (rc < 0) {
    printf("kill: %s\n", cons_errstr(rc));
    return 1;
  }
  /* pvm_kill may reuse the task table; take the tids first. */
  kids = calloc((size_t)ntask + 1, sizeof *kids);
  if (!kids)
    return 1;
  for (int i = 0; i < ntask; i++)
    if (tasks[i].ti_ptid == tid && tasks[i].ti_tid != cons.mytid)
      kids[nkid++] = tasks[i].ti_tid;
  for (int i = 0; i < nkid; i++) {
    rc = pvm_kill(kids[i]);
    if (rc < 0) {
      printf("kill t%x: %s\n", (unsigned)kids[i], cons_errstr(rc));
      failed = 1;
    }
  }
  free(kids);
  return failed;
}

int cons_kill(int argc, char **argv) {
  int children = 0, first = 1, failed = 0;

  if (argc > 1 && strcmp(argv[1], "-c") == 0) {
    children = 1;
    first = 2;
  }
  if (first >= argc)
    return cons_usage(argv[0], "kill [-c] tid ...");
  for (int i = first; i < argc; i++) {
    int tid, rc;
    if (cons_parse_tid(argv[i], &tid) < 0) {
      printf("kill: '%s' is not a task id (write it as ps shows it, e.g. "
             "t40002)\n",
             argv[i]);
      failed = 1;
      continue;
    }
    if (children) {
      failed |= kill_children(tid);
      continue;
    }
    if (tid == cons.mytid) {
      printf("kill: t%x is this console; use quit (or halt) to leave\n",
             (unsigned)tid);
      failed = 1;
      continue;
    }
    rc = pvm_kill(tid);
    if (rc < 0) {
      printf("kill t%x: %s\n", (unsigned)tid, cons_errstr(rc));
      failed = 1;
    }
  }
  return failed;
}

static const struct {
  const char *name;
  int num;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},
    {"ILL", SIGILL},       {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},
    {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"SYS", SIGSYS},
};

static int parse_signal(const char *s, int *sig) {
  if (cons_parse_int(s, sig) == 0)
    return *sig > 0 && *sig < NSIG ? 0 : -1;
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    if (strcasecmp(signals[i].name, s) == 0) {
      *sig = signals[i].num;
      return 0;
    }
  }
  return -1;
}

int cons_sig(int argc, char **argv) {
  int sig, failed = 0;

  if (argc < 3)
    return cons_usage(argv[0], "sig signum tid ...");
  if (parse_signal(argv[1], &sig) < 0) {
    printf("sig: bad signal '%s'; give a number (15) or a name (TERM)\n",
           argv[1]);
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    int tid, rc;
    if (cons_parse_tid(argv[i], &tid) < 0) {
      printf("sig: '%s' is not a task id (write it as ps shows it, e.g. "
             "t40002)\n",
             argv[i]);
      failed = 1;
      continue;
    }
    rc = pvm_sendsig(tid, sig);
    if (rc < 0) {
      printf("sig t%x: %s\n", (unsigned)tid, cons_errstr(rc));
      failed = 1;
    }
  }
  return failed;
}

/* reset info [class [index]]: only the mailbox entries without an owner,
 * as in PVM 3.4.6's console. */
static int reset_info(int argc, char **argv) {
  int index = -1, rc;

  if (argc > 4)
    return cons_usage(argv[0], "reset info [ class [ index ] ]");
  if (argc == 4 && (cons_parse_int(argv[3], &index) < 0 || index < 0)) {
    printf("reset: '%s' is not an index\n", argv[3]);
    return 1;
  }
  rc = pvmng_mbox_reset(argc > 2 ? argv[2] : NULL, index, NULL, 0);
  if (rc < 0) {
    printf("reset: %s\n", cons_errstr(rc));
    return 1;
  }
  return 0;
}

/* Kills every task but this console and those that asked to survive a
 * reset (PvmNoReset: other consoles, services), then clears the mailbox of
 * the entries of the tasks killed and those left without an owner. */
int cons_reset(int argc, char **argv) {
  int *keep = NULL, nkeep = 0, ntask = 0, rc, failed = 0;
  struct pvmtaskinfo *tasks = NULL;

  if (argc > 1 && strcmp(argv[1], "info") == 0)
    return reset_info(argc, argv);
  if (argc != 1) {
    printf("\"%s\" arg to reset not valid\n", argv[1]);
    return 1;
  }
  rc = pvm_getnoresets(&keep, &nkeep);
  if (rc < 0) {
    printf("reset: %s\n", cons_errstr(rc));
    printf("reset: cannot tell which tasks must survive (other consoles), "
           "so no task was killed; kill tasks one by one with 'kill'\n");
    return 1;
  }
  int *spare = calloc((size_t)nkeep + 1, sizeof *spare);
  if (!spare)
    return 1;
  memcpy(spare, keep, (size_t)nkeep * sizeof *spare);
  rc = pvm_tasks(0, &ntask, &tasks);
  if (rc < 0) {
    printf("reset: %s\n", cons_errstr(rc));
    free(spare);
    return 1;
  }
  int *victims = calloc((size_t)ntask + 1, sizeof *victims);
  int nvictim = 0;
  if (!victims) {
    free(spare);
    return 1;
  }
  for (int i = 0; i < ntask; i++) {
    int tid = tasks[i].ti_tid, k;
    if (tid == cons.mytid || !pvmw_tid_is_task(tid))
      continue;
    for (k = 0; k < nkeep && spare[k] != tid; k++)
      ;
    if (k == nkeep)
      victims[nvictim++] = tid;
  }
  for (int i = 0; i < nvictim; i++) {
    rc = pvm_kill(victims[i]);
    if (rc < 0 && rc != PvmNoTask) {
      printf("reset: kill t%x: %s\n", (unsigned)victims[i], cons_errstr(rc));
      failed = 1;
    }
  }
  rc = pvmng_mbox_reset(NULL, -1, victims, nvictim);
  if (rc < 0) {
    printf("reset: mailbox: %s\n", cons_errstr(rc));
    failed = 1;
  }
  free(victims);
  free(spare);
  return failed;
}
