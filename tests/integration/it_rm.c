/* it_rm: a resource manager registered with pvm_reg_rm decides the other
 * tasks' requests (man pvm_reg_rm), and the daemon stays whole whatever it
 * answers:
 *  - the RM's answers reach the caller: pvm_config shows the speed the RM
 *    put in, pvm_spawn starts the tasks the RM started for it (by its own
 *    pvm_spawn, which the daemon serves), pvm_tasks lists what the RM says,
 *    its own entry flagged 0x100, R in the console's ps;
 *  - malformed answers (a config without hosts, more tids than asked for,
 *    a task list in PvmDataRaw) give the caller PvmBadMsg, and the daemon
 *    and the RM go on serving;
 *  - an RM that has the daemon start the tasks (SM_EXEC, to the host's
 *    tid | TIDPVMD as PVM 3.4's RMs address it) gets SM_EXECACK with their
 *    tids and SM_TASKX when they exit; their parent is the asking task;
 *  - a request the RM leaves unanswered when it exits is served by the
 *    daemon, and so is every later one. */
#include "it_common.h"

#define SM_SPAWN ((int)0x80040001)
#define SM_TASK ((int)0x80040004)
#define SM_CONFIG ((int)0x80040005)
#define SM_EXEC ((int)0x80040002)
#define SM_EXECACK ((int)0x80040003)
#define SM_TASKX ((int)0x8004000b)
#define TIDPVMD ((int)0x80000000u)
#define TAG_READY 41
#define TAG_MODE 42
#define TAG_KID 43
#define TAG_TASKX 44
#define RM_SPEED 4321

enum { MODE_GOOD, MODE_BAD, MODE_EXEC, MODE_LEAVE };

static void answer_config(int src, int mode) {
  struct pvmhostinfo *h;
  int nhost, narch, speed = RM_SPEED;
  pvm_initsend(PvmDataDefault);
  if (mode == MODE_BAD) {
    pvm_pkstr("not a host count");
  } else {
    IT_CHECK(pvm_config(&nhost, &narch, &h) == 0, "rm: its own pvm_config");
    pvm_pkint(&nhost, 1, 1);
    pvm_pkint(&narch, 1, 1);
    for (int i = 0; i < nhost; i++) {
      pvm_pkint(&h[i].hi_tid, 1, 1);
      pvm_pkstr(h[i].hi_name);
      pvm_pkstr(h[i].hi_arch);
      pvm_pkint(&speed, 1, 1);
      pvm_pkint(&h[i].hi_dsig, 1, 1);
    }
  }
  pvm_send(src, SM_CONFIG);
}

static void answer_spawn(int src, int mode) {
  char file[4096], where[256], buf[4096], *av[16];
  int flags, count, nargs, skip[6], nenv, tids[8], n;
  pvm_upkstr(file);
  pvm_upkint(&flags, 1, 1);
  pvm_upkstr(where);
  pvm_upkint(&count, 1, 1);
  pvm_upkint(&nargs, 1, 1);
  IT_CHECK(nargs >= 0 && nargs < 16 && count >= 1 && count <= 8,
           "rm: SM_SPAWN with %d arguments, %d tasks", nargs, count);
  for (int i = 0; i < nargs; i++) {
    pvm_upkstr(buf);
    av[i] = strdup(buf);
  }
  av[nargs] = NULL;
  pvm_upkint(skip, 6, 1);
  pvm_upkint(&nenv, 1, 1);
  for (int i = 0; i < nenv; i++)
    pvm_upkstr(buf);
  pvm_initsend(PvmDataDefault);
  if (mode == MODE_BAD) {
    n = count + 4; /* more tids than the caller asked for */
    pvm_pkint(&n, 1, 1);
    for (int i = 0; i < n; i++)
      pvm_pkint(&src, 1, 1);
  } else if (mode == MODE_EXEC) {
    /* As PVM 3.4's RMs do: the daemon (host tid | TIDPVMD) starts them
     * with SM_EXEC, the parent being the task that asked. */
    int none = 0, dtid = pvm_tidtohost(pvm_mytid()) | TIDPVMD;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&src, 1, 1);
    pvm_pkstr(file);
    pvm_pkint(&flags, 1, 1);
    pvm_pkint(&count, 1, 1);
    pvm_pkint(&nargs, 1, 1);
    for (int i = 0; i < nargs; i++)
      pvm_pkstr(av[i]);
    pvm_pkint(skip, 6, 1);
    pvm_pkint(&none, 1, 1);
    IT_CHECK(pvm_send(dtid, SM_EXEC) == 0, "rm: SM_EXEC not sent");
    IT_CHECK(pvm_recv(-1, SM_EXECACK) > 0, "rm: no SM_EXECACK");
    pvm_upkint(&n, 1, 1);
    IT_CHECK(n == count, "rm: SM_EXECACK for %d tasks, not %d", n, count);
    pvm_upkint(tids, n, 1);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&n, 1, 1);
    pvm_pkint(tids, n, 1);
  } else {
    /* The RM places the tasks: here, through the daemon. */
    n = pvm_spawn(file, av, flags, where, count, tids);
    IT_CHECK(n == count, "rm: its own pvm_spawn gave %d", n);
    pvm_pkint(&n, 1, 1);
    pvm_pkint(tids, n, 1);
  }
  for (int i = 0; i < nargs; i++)
    free(av[i]);
  pvm_send(src, SM_SPAWN);
}

static void answer_tasks(int src, int mode) {
  struct pvmtaskinfo *t;
  int where, ntask, zero = 0;
  pvm_upkint(&where, 1, 1);
  pvm_initsend(mode == MODE_BAD ? PvmDataRaw : PvmDataDefault);
  IT_CHECK(pvm_tasks(where, &ntask, &t) == 0, "rm: its own pvm_tasks");
  pvm_pkint(&zero, 1, 1);
  for (int i = 0; i < ntask; i++) {
    pvm_pkint(&t[i].ti_tid, 1, 1);
    pvm_pkint(&t[i].ti_ptid, 1, 1);
    pvm_pkint(&t[i].ti_host, 1, 1);
    pvm_pkint(&t[i].ti_flag, 1, 1);
    pvm_pkstr(t[i].ti_a_out);
    pvm_pkint(&t[i].ti_pid, 1, 1);
  }
  pvm_send(src, SM_TASK);
}

/* The resource manager: answers as mode says; MODE_LEAVE: exits at the
 * next request without answering it. */
static void rm(void) {
  struct pvmhostinfo *hip;
  int parent = pvm_parent(), rc, mode = MODE_GOOD;
  pvm_setopt(PvmResvTids, 1);
  rc = pvm_reg_rm(&hip);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&rc, 1, 1);
  pvm_send(parent, TAG_READY);
  for (;;) {
    int b = pvm_recv(-1, -1), len, tag, src;
    IT_CHECK(b > 0, "rm: receive failed");
    pvm_bufinfo(b, &len, &tag, &src);
    if (tag == TAG_MODE) {
      pvm_upkint(&mode, 1, 1);
      pvm_initsend(PvmDataDefault);
      pvm_send(src, TAG_MODE);
      continue;
    }
    if (tag == SM_TASKX) {
      /* A task started with SM_EXEC left: tell the parent which. */
      int tid;
      pvm_upkint(&tid, 1, 1);
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&tid, 1, 1);
      pvm_send(parent, TAG_TASKX);
      continue;
    }
    if (mode == MODE_LEAVE && (tag == SM_CONFIG || tag == SM_SPAWN)) {
      pvm_exit();
      exit(0);
    }
    if (tag == SM_CONFIG)
      answer_config(src, mode);
    else if (tag == SM_SPAWN)
      answer_spawn(src, mode);
    else if (tag == SM_TASK)
      answer_tasks(src, mode);
  }
}

static void set_mode(int rmtid, int mode) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&mode, 1, 1);
  pvm_send(rmtid, TAG_MODE);
  IT_CHECK(pvm_recv(rmtid, TAG_MODE) > 0, "the RM did not take mode %d", mode);
}

/* Speed of the first host in pvm_config, or the error. */
static int config_speed(void) {
  struct pvmhostinfo *h;
  int nhost, narch, rc = pvm_config(&nhost, &narch, &h);
  return rc < 0 ? rc : nhost < 1 ? -1000 : h[0].hi_speed;
}

static int spawn_kid(void) {
  char me[16], *args[] = {"--child", "kid", me, NULL};
  int tid = 0, rc;
  /* The RM is the parent of what it spawns: the kid is told whom to greet. */
  snprintf(me, sizeof me, "%d", pvm_mytid());
  rc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &tid);
  if (rc != 1)
    return rc < 0 ? rc : tid;
  IT_CHECK(pvm_recv(tid, TAG_KID) > 0, "no word from t%x", tid);
  return tid;
}

/* The FLAG column of tid in the console's ps (run beside this program,
 * its requests answered by the RM too) into flags; 0, or -1. */
static int console_ps_flags(int tid, char *flags, size_t len) {
  char cmd[PATH_MAX + 32], line[512], want[16];
  const char *self = it_self_path(), *slash = strrchr(self, '/');
  int found = -1;
  FILE *p;
  snprintf(cmd, sizeof cmd, "%.*s/pvm -c ps", (int)(slash - self), self);
  snprintf(want, sizeof want, "%x", (unsigned)tid);
  if ((p = popen(cmd, "r")) == NULL)
    return -1;
  while (fgets(line, sizeof line, p) != NULL) {
    char host[256], t[32], f[64];
    if (sscanf(line, "%255s %31s %63s", host, t, f) == 3 &&
        strcmp(t, want) == 0) {
      snprintf(flags, len, "%s", f);
      found = 0;
    }
  }
  pclose(p);
  return found;
}

int main(int argc, char **argv) {
  struct pvmtaskinfo *t;
  char flags[64] = "";
  int me, rmtid, rc, ntask, flagged = 0;

  it_set_name(argv[0], it_is_child(argc, argv) ? argv[2] : NULL);
  it_guard(60);
  if (it_is_child(argc, argv)) {
    if (strcmp(argv[2], "rm") == 0)
      rm();
    int parent = pvm_parent();
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&parent, 1, 1);
    pvm_send(argc > 3 ? atoi(argv[3]) : parent, TAG_KID);
    pvm_exit();
    return 0;
  }
  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid: %d", me);
  rmtid = it_spawn_self("rm", (char *)NULL);
  IT_CHECK(pvm_recv(rmtid, TAG_READY) > 0, "no word from the RM");
  pvm_upkint(&rc, 1, 1);
  IT_CHECK(rc == 0, "pvm_reg_rm returned %d", rc);

  /* The RM's answers reach the caller. */
  rc = config_speed();
  IT_CHECK(rc == RM_SPEED, "pvm_config: speed %d, not the RM's %d", rc,
           RM_SPEED);
  rc = spawn_kid();
  IT_CHECK(rc > 0, "pvm_spawn through the RM: %d", rc);
  IT_CHECK(pvm_tasks(0, &ntask, &t) == 0, "pvm_tasks through the RM");
  for (int i = 0; i < ntask; i++)
    if (t[i].ti_tid == rmtid)
      flagged = (t[i].ti_flag & 0x100) != 0;
  IT_CHECK(flagged, "the RM is not flagged 0x100 in pvm_tasks");
  IT_CHECK(console_ps_flags(rmtid, flags, sizeof flags) == 0,
           "the console's ps does not list the RM t%x", rmtid);
  IT_CHECK(strchr(flags, 'R') != NULL, "the console's ps shows %s for the RM",
           flags);
  it_note("pvm_config, pvm_spawn and pvm_tasks answered by the RM; ps shows "
          "%s",
          flags);

  /* Malformed answers: a clear error for the caller, nothing else hurt. */
  pvm_setopt(PvmAutoErr, 0);
  set_mode(rmtid, MODE_BAD);
  rc = config_speed();
  IT_CHECK(rc == PvmBadMsg, "pvm_config with a bad answer: %d", rc);
  rc = spawn_kid();
  IT_CHECK(rc == PvmBadMsg, "pvm_spawn with too many tids: %d", rc);
  rc = pvm_tasks(0, &ntask, &t);
  IT_CHECK(rc == PvmBadMsg, "pvm_tasks answered in PvmDataRaw: %d", rc);
  IT_CHECK(pvm_pstat(rmtid) == PvmOk, "the RM is still there");
  set_mode(rmtid, MODE_GOOD);
  IT_CHECK(config_speed() == RM_SPEED, "the RM serves again after errors");
  it_note("malformed answers give PvmBadMsg; the daemon goes on");

  /* PVM 3.4's way: the RM has the daemon start the tasks (SM_EXEC), as
   * children of the task that asked, and hears of their exit (SM_TASKX). */
  set_mode(rmtid, MODE_EXEC);
  rc = spawn_kid();
  IT_CHECK(rc > 0, "pvm_spawn through the RM's SM_EXEC: %d", rc);
  pvm_upkint(&ntask, 1, 1);
  IT_CHECK(ntask == me, "the task started by SM_EXEC has parent t%x", ntask);
  IT_CHECK(pvm_recv(rmtid, TAG_TASKX) > 0, "the RM heard no SM_TASKX");
  pvm_upkint(&ntask, 1, 1);
  IT_CHECK(ntask == rc, "SM_TASKX for t%x, not t%x", ntask, rc);
  it_note("SM_EXEC starts tasks for the RM (parent: the asking task), "
          "SM_EXECACK and SM_TASKX reach it");

  /* The RM leaves with a request unanswered: the daemon answers it. */
  set_mode(rmtid, MODE_LEAVE);
  rc = config_speed();
  IT_CHECK(rc >= 0 && rc != RM_SPEED,
           "pvm_config left unanswered by the RM: %d", rc);
  rc = spawn_kid();
  IT_CHECK(rc > 0, "pvm_spawn after the RM left: %d", rc);
  IT_CHECK(pvm_tasks(0, &ntask, &t) == 0, "pvm_tasks after the RM left");
  for (int i = 0; i < ntask; i++)
    IT_CHECK(!(t[i].ti_flag & 0x100), "t%x still flagged R", t[i].ti_tid);
  it_note("after the RM exits the daemon serves again");
  pvm_exit();
  it_note("OK");
  return 0;
}
