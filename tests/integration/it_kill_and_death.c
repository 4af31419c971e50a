/* it_kill_and_death: tasks that end badly. pvm_kill of a child blocked in
 * pvm_recv; children that abort() or exit() without pvm_exit (the daemon
 * must clean up and keep serving); spawn errors (PvmNoFile in tids[],
 * PvmNoHost for an unknown host) and spawn by architecture. Each death is
 * also announced by a PvmTaskExit notice (pvm_notify). */
#include <sys/resource.h>

#include "it_common.h"
#include "pvmng.h"

#define TAG_READY 61
#define TAG_GO 63

static int child(const char *role) {
  int parent = pvm_parent(), me = pvm_mytid();
  IT_CHECK(parent > 0 && me > 0, "mytid %d parent %d", me, parent);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&me, 1, 1);
  IT_CHECK(pvm_send(parent, TAG_READY) == 0, "pvm_send(TAG_READY) failed");
  if (strcmp(role, "block") == 0) {
    int b = pvm_recv(-1, -1); /* never answered: killed here */
    IT_FAIL("pvm_recv returned %d in a child that should have been killed", b);
  }
  /* The parent asks for a death notice first, then says go. */
  if (strcmp(role, "abort") == 0 || strcmp(role, "exit") == 0)
    IT_CHECK(pvm_recv(parent, TAG_GO) > 0, "pvm_recv(TAG_GO) failed");
  if (strcmp(role, "abort") == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    abort();
  }
  if (strcmp(role, "exit") == 0)
    exit(3); /* no pvm_exit */
  if (strcmp(role, "ok") == 0) {
    pvm_exit();
    return 0;
  }
  IT_FAIL("unknown role %s", role);
}

/* Is tid listed by pvm_tasks(0)? */
static int listed(int tid) {
  int n = 0;
  struct pvmtaskinfo *ti = NULL;
  IT_CHECK(pvm_tasks(0, &n, &ti) == 0, "pvm_tasks(0) failed");
  for (int i = 0; i < n; i++)
    if (ti[i].ti_tid == tid)
      return 1;
  return 0;
}

/* Waits up to limit seconds for tid to leave pvm_tasks; returns the time. */
static double wait_gone(int tid, double limit, const char *what) {
  double t0 = it_now(), dt;
  while (listed(tid)) {
    dt = it_now() - t0;
    IT_CHECK(dt < limit, "%s: t%x still in pvm_tasks after %.2f s", what, tid,
             dt);
    it_sleep_ms(20);
  }
  return it_now() - t0;
}

static int spawn_ready(const char *role) {
  int kid = it_spawn_self(role, (char *)NULL), b, who = 0;
  b = pvm_recv(kid, TAG_READY);
  IT_CHECK(b > 0, "no TAG_READY from the %s child (%d)", role, b);
  pvm_upkint(&who, 1, 1);
  IT_CHECK(who == kid, "TAG_READY says t%x, spawn said t%x", who, kid);
  return kid;
}

#define TAG_EXITED 62

/* 0 while pvm_notify answers PvmNotImpl: the notice checks are skipped
 * (they are extra; the rest of the test does not depend on them). */
static int have_notify = 1;

/* Asks for a PvmTaskExit notice for kid (man pvm_notify). */
static void notify_exit(int kid) {
  int rc;
  if (!have_notify)
    return;
  pvm_setopt(PvmAutoErr, 0);
  rc = pvm_notify(PvmTaskExit, TAG_EXITED, 1, &kid);
  pvm_setopt(PvmAutoErr, 1);
  if (rc == PvmNotImpl) {
    it_note("pvm_notify is not implemented: PvmTaskExit checks skipped");
    have_notify = 0;
    return;
  }
  IT_CHECK(rc == 0, "pvm_notify(PvmTaskExit, t%x) = %d", kid, rc);
}

/* The PvmTaskExit notice for kid arrives: its body is the tid. */
static void expect_exit_notice(int kid, const char *what) {
  struct timeval tmo = {5, 0};
  int b, who = 0;
  if (!have_notify)
    return;
  b = pvm_trecv(-1, TAG_EXITED, &tmo);
  IT_CHECK(b > 0, "%s: no PvmTaskExit notice for t%x within 5 s", what, kid);
  IT_CHECK(pvm_upkint(&who, 1, 1) == 0 && who == kid,
           "%s: PvmTaskExit notice names t%x, want t%x", what, who, kid);
}

static void test_kill(void) {
  int kid = spawn_ready("block"), rc;
  double dt;
  notify_exit(kid);
  IT_CHECK(listed(kid), "the blocked child t%x is not in pvm_tasks", kid);
  IT_CHECK(pvm_pstat(kid) == PvmOk, "pvm_pstat(live child) = %d",
           pvm_pstat(kid));
  it_sleep_ms(100); /* let it block in pvm_recv */
  rc = pvm_kill(kid);
  IT_CHECK(rc == 0, "pvm_kill(t%x) = %d", kid, rc);
  dt = wait_gone(kid, 2.0, "pvm_kill");
  rc = pvm_pstat(kid);
  IT_CHECK(rc == PvmNoTask, "pvm_pstat(killed t%x) = %d, want PvmNoTask (%d)",
           kid, rc, PvmNoTask);
  expect_exit_notice(kid, "pvm_kill");
  it_note("pvm_kill: t%x gone from pvm_tasks after %.3f s, pstat NoTask: OK",
          kid, dt);
}

static void test_bad_end(const char *role) {
  int kid = spawn_ready(role), rc;
  double dt;
  notify_exit(kid);
  pvm_initsend(PvmDataDefault);
  IT_CHECK(pvm_send(kid, TAG_GO) == 0, "pvm_send(TAG_GO) failed");
  dt = wait_gone(kid, 5.0, role);
  rc = pvm_pstat(kid);
  IT_CHECK(rc == PvmNoTask, "pvm_pstat(t%x after %s) = %d, want PvmNoTask", kid,
           role, rc);
  expect_exit_notice(kid, role);
  /* The daemon still serves: a new spawn works and talks. */
  kid = spawn_ready("ok");
  wait_gone(kid, 5.0, "ok");
  it_note("child that called %s() without pvm_exit cleaned up in %.3f s; "
          "daemon still serves: OK",
          role, dt);
}

static void test_spawn_errors(void) {
  int tids[3] = {1, 1, 1}, cc, me = pvm_mytid();
  char *args[] = {"--child", "ok", NULL};
  char missing[PATH_MAX + 32];

  pvm_setopt(PvmAutoErr, 0);
  snprintf(missing, sizeof missing, "%s-does-not-exist", it_self_path());
  cc = pvm_spawn(missing, args, PvmTaskDefault, "", 2, tids);
  IT_CHECK(cc == 0, "spawn of a missing program returned %d, want 0", cc);
  IT_CHECK(tids[0] == PvmNoFile && tids[1] == PvmNoFile,
           "spawn of a missing program: tids %d %d, want PvmNoFile (%d)",
           tids[0], tids[1], PvmNoFile);

  cc = pvm_spawn("it-no-such-program-anywhere", NULL, PvmTaskDefault, NULL, 1,
                 tids);
  IT_CHECK(cc == 0 && tids[0] == PvmNoFile,
           "spawn of a name found nowhere: %d, tids[0] %d", cc, tids[0]);
  {
    /* The reason says where the daemon looked and what to do. */
    char why[2048];
    int code = pvmng_lasterror(why, sizeof why);
    IT_CHECK(code == PvmNoFile, "pvmng_lasterror after it: %d", code);
    IT_CHECK(strstr(why, "no executable \"it-no-such-program-anywhere\"") &&
                 strstr(why, "looked in: ") && strstr(why, "/bin") &&
                 strstr(why, "PVM_PATH"),
             "the reason names the program and the directories: \"%s\"", why);
    cc = pvm_spawn(missing, args, PvmTaskDefault, "", 1, tids);
    code = pvmng_lasterror(why, sizeof why);
    IT_CHECK(code == PvmNoFile && strstr(why, "is not an executable file"),
             "the reason for a missing path: %d \"%s\"", code, why);
    tids[0] = 0;
    cc = pvm_spawn((char *)it_self_path(), args, PvmTaskHost,
                   "no-such-host.invalid", 1, tids);
    IT_CHECK(pvmng_lasterror(why, sizeof why) != PvmNoFile,
             "a later spawn does not keep the earlier reason");
  }

  tids[0] = 1;
  cc = pvm_spawn((char *)it_self_path(), args, PvmTaskHost,
                 "no-such-host.invalid", 1, tids);
  IT_CHECK(cc == PvmNoHost || (cc == 0 && tids[0] == PvmNoHost),
           "spawn on an unknown host: returned %d, tids[0] %d; want PvmNoHost",
           cc, tids[0]);
  pvm_setopt(PvmAutoErr, 1);

  /* By host: "." is the local host (man pvm_spawn), and so is its name. */
  {
    int nhost = 0, narch = 0;
    struct pvmhostinfo *hi = NULL;
    char *hosts[2];
    IT_CHECK(pvm_config(&nhost, &narch, &hi) == 0 && nhost >= 1,
             "pvm_config failed");
    hosts[0] = ".";
    hosts[1] = hi[0].hi_name;
    for (int h = 0; h < 2; h++) {
      int b;
      cc = pvm_spawn((char *)it_self_path(), args, PvmTaskHost, hosts[h], 1,
                     tids);
      IT_CHECK(cc == 1 && tids[0] > 0,
               "spawn with PvmTaskHost \"%s\" returned %d, tids[0] %d",
               hosts[h], cc, tids[0]);
      b = pvm_recv(tids[0], TAG_READY);
      IT_CHECK(b > 0, "no TAG_READY from the child on host \"%s\"", hosts[h]);
      wait_gone(tids[0], 5.0, "child spawned by host");
    }
  }

  /* The architecture of a Linux x86-64 host in PVM 3.4 is LINUX64. */
  {
    int nhost = 0, narch = 0, kid, b;
    struct pvmhostinfo *hi = NULL;
    IT_CHECK(pvm_config(&nhost, &narch, &hi) == 0 && nhost >= 1,
             "pvm_config failed");
    it_note("host %s arch %s", hi[0].hi_name, hi[0].hi_arch);
    cc = pvm_spawn((char *)it_self_path(), args, PvmTaskArch, "LINUX64", 1,
                   tids);
    IT_CHECK(cc == 1 && tids[0] > 0,
             "spawn with PvmTaskArch \"LINUX64\" returned %d, tids[0] %d "
             "(host arch %s)",
             cc, tids[0], hi[0].hi_arch);
    kid = tids[0];
    b = pvm_recv(kid, TAG_READY);
    IT_CHECK(b > 0, "no TAG_READY from the LINUX64 child");
    wait_gone(kid, 5.0, "LINUX64 child");
  }
  IT_CHECK(pvm_mytid() == me, "the parent's tid changed");
  it_note("spawn errors (PvmNoFile, PvmNoHost) and PvmTaskArch: OK");
}

int main(int argc, char **argv) {
  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    return child(argv[2]);
  }
  it_set_name(argv[0], NULL);
  it_guard(100);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  test_kill();
  test_bad_end("abort");
  test_bad_end("exit");
  test_spawn_errors();
  it_note("all: OK");
  pvm_exit();
  return 0;
}
