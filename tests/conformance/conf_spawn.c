/* Conformance: pvm_spawn, pvm_kill, pvm_sendsig, pvm_pstat, pvm_tasks
 * (their man pages): counts, tids and per-task error codes, where a task
 * runs, its arguments, signals, and the status of a killed task. */
#include "conf.h"

#include <signal.h>

#define TAG_HELLO 21
#define TAG_SIG 22
#define TAG_QUIT 23

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

/* argv: "child", <word>. Says hello with its word, reports SIGUSR1, ends on
 * TAG_QUIT. */
static int child(int argc, char **argv) {
  signal(SIGUSR1, on_usr1);
  int parent = pvm_parent();
  pvm_initsend(PvmDataDefault);
  pvm_pkstr(argc > 2 ? argv[2] : "");
  pvm_send(parent, TAG_HELLO);
  for (int i = 0; i < 600; i++) {
    if (got_usr1) {
      got_usr1 = 0;
      pvm_initsend(PvmDataDefault);
      pvm_send(parent, TAG_SIG);
    }
    if (pvm_trecv(parent, TAG_QUIT, &(struct timeval){0, 100000}) > 0)
      break;
  }
  pvm_exit();
  return 0;
}

/* Waits until pvm_pstat(tid) is no longer PvmOk; returns its last answer. */
static int wait_gone(int tid) {
  int st = PvmOk;
  for (int i = 0; i < 100 && st == PvmOk; i++) {
    st = pvm_pstat(tid);
    if (st == PvmOk)
      usleep(100000);
  }
  return st;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child(argc, argv);
  conf_begin("conf_spawn");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  struct pvmhostinfo *hi = NULL;
  int nhost = 0, narch = 0;
  CONF_REQUIRE(pvm_config(&nhost, &narch, &hi) == 0 && nhost >= 1,
               "pvm_config answers");
  char host[256], arch[64];
  snprintf(host, sizeof host, "%s", hi[0].hi_name);
  snprintf(arch, sizeof arch, "%s", hi[0].hi_arch);

  /* Three children with an argument, default placement. */
  int tids[3] = {0, 0, 0};
  int n = conf_spawn_self("child", "word", 3, tids);
  CHECK_INT(n, 3, "pvm_spawn(3 copies) returns 3");
  CHECK(tids[0] > 0 && tids[1] > 0 && tids[2] > 0 && tids[0] != tids[1] &&
            tids[1] != tids[2] && tids[0] != tids[2],
        "pvm_spawn fills tids with 3 distinct positive tids");
  for (int i = 0; i < n; i++) {
    char word[32] = "";
    int src = 0;
    int b = pvm_trecv(-1, TAG_HELLO, &(struct timeval){20, 0});
    if (!CHECK(b > 0, "hello %d of the children arrives", i))
      break;
    pvm_bufinfo(b, NULL, NULL, &src);
    pvm_upkstr(word);
    CHECK(strcmp(word, "word") == 0, "child %x got argv[2] \"word\" (%s)", src,
          word);
  }
  for (int i = 0; i < n; i++)
    CHECK_INT(pvm_pstat(tids[i]), PvmOk, "pvm_pstat(live child %d)", i);
  for (int i = 0; i < n; i++)
    CHECK_INT(pvm_tidtohost(tids[i]), pvm_tidtohost(me),
              "child %d runs on the only host", i);

  /* pvm_tasks: all, one host, one task. */
  struct pvmtaskinfo *ti = NULL;
  int ntask = 0;
  CHECK_INT(pvm_tasks(0, &ntask, &ti), 0, "pvm_tasks(0) returns 0");
  int seen = 0;
  for (int i = 0; i < ntask; i++) {
    for (int k = 0; k < n; k++)
      if (ti[i].ti_tid == tids[k]) {
        seen++;
        CHECK_INT(ti[i].ti_ptid, me, "pvm_tasks: child %d's ti_ptid", k);
        CHECK_INT(ti[i].ti_host, pvm_tidtohost(me),
                  "pvm_tasks: child %d's ti_host", k);
        CHECK(strstr(ti[i].ti_a_out, "conf_spawn") != NULL,
              "pvm_tasks: child %d's ti_a_out names the program (%s)", k,
              ti[i].ti_a_out);
      }
    if (ti[i].ti_tid == me)
      seen += 10;
  }
  CHECK_INT(seen, 10 + n, "pvm_tasks(0) lists the caller and its children");
  CHECK_INT(pvm_tasks(pvm_tidtohost(me), &ntask, &ti), 0,
            "pvm_tasks(host's daemon tid) returns 0");
  CHECK(ntask >= n + 1, "pvm_tasks(host) lists at least %d tasks (%d)", n + 1,
        ntask);
  CHECK_INT(pvm_tasks(tids[1], &ntask, &ti), 0,
            "pvm_tasks(a task's tid) returns 0");
  CHECK(ntask == 1 && ti[0].ti_tid == tids[1],
        "pvm_tasks(a task's tid) lists that task only (%d)", ntask);
  CHECK_INT(pvm_tasks(0x3ffc0000, &ntask, &ti), PvmNoHost,
            "pvm_tasks(daemon tid of no host) is PvmNoHost");

  /* pvm_sendsig delivers the signal; pvm_kill ends the task. */
  CHECK_INT(pvm_sendsig(tids[0], SIGUSR1), 0, "pvm_sendsig(SIGUSR1) is 0");
  CHECK(pvm_trecv(tids[0], TAG_SIG, &(struct timeval){20, 0}) > 0,
        "the child saw SIGUSR1");
  CHECK_INT(pvm_sendsig(tids[0], SIGTERM), 0, "pvm_sendsig(SIGTERM) is 0");
  CHECK_INT(wait_gone(tids[0]), PvmNoTask,
            "pvm_pstat of a task ended by SIGTERM is PvmNoTask");
  CHECK_INT(pvm_kill(tids[1]), 0, "pvm_kill(live child) is 0");
  CHECK_INT(wait_gone(tids[1]), PvmNoTask,
            "pvm_pstat of a killed task is PvmNoTask");
  pvm_initsend(PvmDataDefault);
  pvm_send(tids[2], TAG_QUIT);
  CHECK_INT(wait_gone(tids[2]), PvmNoTask,
            "pvm_pstat of a task that called pvm_exit is PvmNoTask");

  /* Bad arguments and failures. */
  int t1[2] = {0, 0};
  CHECK_INT(conf_spawn_self("child", NULL, 0, t1), PvmBadParam,
            "pvm_spawn(ntask 0) is PvmBadParam");
  CHECK_INT(conf_spawn_self("child", NULL, -1, t1), PvmBadParam,
            "pvm_spawn(ntask -1) is PvmBadParam");
  n = pvm_spawn("/nonexistent/conf_nothing", NULL, PvmTaskDefault, "", 1, t1);
  CHECK_INT(n, 0, "pvm_spawn(missing file) starts 0 tasks");
  CHECK_INT(t1[0], PvmNoFile, "... and its tid slot holds PvmNoFile");
  n = pvm_spawn((char *)conf_self(), NULL, PvmTaskHost, "no.such.host.", 1, t1);
  CHECK_INT(n, 0, "pvm_spawn(PvmTaskHost, unknown host) starts 0 tasks");
  CHECK_INT(t1[0], PvmNoHost, "... and its tid slot holds PvmNoHost");
  n = pvm_spawn((char *)conf_self(), NULL, PvmTaskArch, "NOSUCHARCH", 1, t1);
  CHECK_INT(n, 0, "pvm_spawn(PvmTaskArch, unknown arch) starts 0 tasks");
  CHECK_INT(t1[0], PvmNoHost, "... and its tid slot holds PvmNoHost");

  /* Placement by host name and by arch. */
  char *args[] = {"child", "placed", NULL};
  n = pvm_spawn((char *)conf_self(), args, PvmTaskHost, host, 1, t1);
  CHECK_INT(n, 1, "pvm_spawn(PvmTaskHost, this host's name %s)", host);
  n = pvm_spawn((char *)conf_self(), args, PvmTaskArch, arch, 1, t1 + 1);
  CHECK_INT(n, 1, "pvm_spawn(PvmTaskArch, this host's arch %s)", arch);
  for (int i = 0; i < 2; i++) {
    if (pvm_trecv(-1, TAG_HELLO, &(struct timeval){20, 0}) > 0) {
      int src;
      pvm_bufinfo(pvm_getrbuf(), NULL, NULL, &src);
      pvm_initsend(PvmDataDefault);
      pvm_send(src, TAG_QUIT);
      wait_gone(src);
    }
  }

  CHECK_INT(pvm_kill(-1), PvmBadParam, "pvm_kill(-1) is PvmBadParam");
  CHECK_INT(pvm_sendsig(-1, SIGTERM), PvmBadParam,
            "pvm_sendsig(-1, ...) is PvmBadParam");
  CHECK_INT(pvm_pstat(-1), PvmBadParam, "pvm_pstat(-1) is PvmBadParam");
  CHECK_INT(pvm_pstat(tids[1]), PvmNoTask,
            "pvm_pstat(tid of an ended task) is PvmNoTask");

  pvm_exit();
  return conf_end();
}
