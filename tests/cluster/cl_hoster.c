/* cl_hoster: a slave daemon starter for the hoster test (pvm_reg_hoster).
 * `cl_hoster REFUSE` registers as the hoster, says so on stdout, then for
 * every SM_STHOST runs each command on its host with $PVM_RSH (as PVM's own
 * hoster does) and answers SM_STHOSTACK: "PvmCantStart" for the host named
 * REFUSE (without running anything) or when the remote shell fails, else
 * "ok". `cl_hoster --probe` only prints what pvm_reg_hoster returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PVM33COMPAT /* pvm_getmwid, pvm_setmwid */
#include "pvm3.h"

#define SM_STHOST ((int)0x8004000f)
#define SM_STHOSTACK ((int)0x80040010)

/* Runs cmd on host with $PVM_RSH; 0 when it exits with status 0. */
static int run_on(const char *host, const char *cmd) {
  const char *rsh = getenv("PVM_RSH");
  int st = 0;
  pid_t pid;
  if (rsh == NULL || *rsh == '\0')
    rsh = "ssh";
  if ((pid = fork()) == 0) {
    execlp(rsh, rsh, host, cmd, (char *)NULL);
    _exit(127);
  }
  if (pid < 0 || waitpid(pid, &st, 0) < 0)
    return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  int rc;
  if (argc < 2) {
    fprintf(stderr, "usage: cl_hoster REFUSE | --probe\n");
    return 2;
  }
  pvm_setopt(PvmAutoErr, 0);
  rc = pvm_reg_hoster();
  printf("cl_hoster: pvm_reg_hoster returned %d\n", rc);
  fflush(stdout);
  if (strcmp(argv[1], "--probe") == 0 || rc < 0) {
    pvm_exit();
    return rc < 0 && strcmp(argv[1], "--probe") != 0;
  }
  pvm_setopt(PvmResvTids, 1);
  for (;;) {
    int b = pvm_recv(-1, -1), len, tag, src, n, wid;
    if (b < 0)
      break;
    pvm_bufinfo(b, &len, &tag, &src);
    if (tag != SM_STHOST)
      continue;
    wid = pvm_getmwid(b);
    pvm_upkint(&n, 1, 1);
    pvm_initsend(PvmDataDefault);
    for (int i = 0; i < n; i++) {
      char so[64], login[512], cmd[8192];
      const char *host, *res;
      int tid;
      pvm_upkint(&tid, 1, 1);
      pvm_upkstr(so);
      pvm_upkstr(login);
      pvm_upkstr(cmd);
      host = strchr(login, '@') ? strchr(login, '@') + 1 : login;
      if (strcmp(host, argv[1]) == 0)
        res = "PvmCantStart";
      else
        res = run_on(host, cmd) == 0 ? "ok" : "PvmCantStart";
      printf("cl_hoster: t%x on %s: %s\n", tid, host, res);
      fflush(stdout);
      pvm_pkint(&tid, 1, 1);
      pvm_pkstr((char *)res);
    }
    pvm_setmwid(pvm_getsbuf(), wid);
    pvm_send(src, SM_STHOSTACK);
  }
  pvm_exit();
  return 0;
}
