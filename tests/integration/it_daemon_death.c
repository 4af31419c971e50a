/* it_daemon_death: the local daemon is killed (SIGKILL) while this task and
 * a child it spawned are blocked in pvm_recv. The call must come back with
 * PvmSysErr within 1 s, no task may die of SIGPIPE or hang, and later calls
 * fail the same way. The daemon's pid comes from its lock file (named as in
 * sec/rundir.c). */
#include <errno.h>
#include <sys/wait.h>

#include "it_common.h"

/* Has process pid ended (gone, or a zombie nobody reaps)? */
static int ended(pid_t pid) {
  char path[64], buf[512], *p;
  FILE *f;
  size_t n;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if ((f = fopen(path, "r")) == NULL)
    return 1;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')');
  return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* The child blocks in pvm_recv; when its daemon dies it must return an
 * error (then the child leaves), not hang or die of a signal. */
static int child(void) {
  int rc;
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  pvm_initsend(PvmDataDefault);
  IT_CHECK(pvm_send(pvm_parent(), 1) == 0, "pvm_send to the parent failed");
  rc = pvm_recv(-1, -1);
  return rc == PvmSysErr ? 0 : 1;
}

int main(int argc, char **argv) {
  pid_t pvmd, killer, kid_pid = 0;
  double t_kill, t_back;
  int rc, status, kid, n = 0;
  struct pvmtaskinfo *ti = NULL;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    return child();
  }
  it_set_name(argv[0], NULL);
  it_guard(60);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  pvmd = it_daemon_pid();
  kid = it_spawn_self("block", (char *)NULL);
  IT_CHECK(pvm_recv(kid, 1) > 0, "no message from the child");
  IT_CHECK(pvm_tasks(kid, &n, &ti) == 0 && n == 1 && ti[0].ti_pid > 0,
           "pvm_tasks(t%x) gives no pid", kid);
  kid_pid = (pid_t)ti[0].ti_pid;
  IT_CHECK(kill(pvmd, 0) == 0, "the daemon (pid %d) is not running", pvmd);

  /* The killer waits 300 ms, so that pvm_recv is blocked by then. */
  fflush(NULL);
  killer = fork();
  IT_CHECK(killer >= 0, "fork failed");
  if (killer == 0) {
    it_sleep_ms(300);
    _exit(kill(pvmd, SIGKILL) == 0 ? 0 : 1);
  }
  t_kill = it_now() + 0.3;
  rc = pvm_recv(-1, -1);
  t_back = it_now();
  IT_CHECK(waitpid(killer, &status, 0) == killer && WIFEXITED(status) &&
               WEXITSTATUS(status) == 0,
           "could not kill the daemon (pid %d)", pvmd);
  IT_CHECK(rc == PvmSysErr,
           "pvm_recv returned %d when the daemon died, want "
           "PvmSysErr",
           rc);
  IT_CHECK(t_back - t_kill <= 1.0,
           "pvm_recv came back %.3f s after the daemon died (limit 1 s)",
           t_back - t_kill);

  /* Later calls fail too, without SIGPIPE. */
  pvm_setopt(PvmAutoErr, 0);
  pvm_initsend(PvmDataDefault);
  rc = pvm_send(pvm_mytid() > 0 ? pvm_mytid() : 0x40001, 1);
  IT_CHECK(rc < 0, "pvm_send after the daemon died returned %d", rc);
  {
    struct timeval tmo = {0, 100000};
    rc = pvm_trecv(-1, -1, &tmo);
    IT_CHECK(rc < 0, "pvm_trecv after the daemon died returned %d", rc);
  }
  while (!ended(kid_pid)) {
    IT_CHECK(it_now() - t_kill < 3.0,
             "the child t%x (pid %d) still runs "
             "3 s after its daemon died",
             kid, (int)kid_pid);
    it_sleep_ms(20);
  }
  it_note("pvm_recv gave PvmSysErr %.3f s after the daemon's death; the "
          "child ended too: OK",
          t_back - t_kill);
  pvm_exit();
  return 0;
}
