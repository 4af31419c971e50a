/* Starting a daemon from a program: pvm_start_pvmd, and where the pvmd
 * program is found ($PVM_DPATH, beside the program, beside the library,
 * the installed one). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "tlsload.h"

int lpvm_find_pvmd(char *out, size_t len) {
  const char *d = getenv("PVM_DPATH");
  char self[PATH_MAX];
  ssize_t n;
  if (d != NULL && *d != '\0') {
    snprintf(out, len, "%s", d);
    return access(out, X_OK) == 0 ? 0 : -1;
  }
  n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
      *slash = '\0';
      if (snprintf(out, len, "%s/pvmd", self) < (int)len &&
          access(out, X_OK) == 0)
        return 0;
    }
  }
  /* Installed: the bin directory beside the library's own (the tree may
   * have been moved, or packaged under another prefix). */
  if (lpvm_lib_path(PVMNG_LIB_TO_BIN "/pvmd", out, len) == 0 &&
      access(out, X_OK) == 0)
    return 0;
  snprintf(out, len, "%s", PVMNG_PVMD_INSTALLED);
  return access(out, X_OK) == 0 ? 0 : -1;
}

/* pvm_start_pvmd(..., block): pvmd returns once it accepts tasks; with
 * block set, wait also until the hosts of its host file are added (or
 * have failed), as PVM 3.4.6 does: asking to add the master's own host is
 * answered PvmAlready while they are being added, PvmDupHost after. */
static int wait_hostfile(void) {
  struct pvmhostinfo *hip;
  char *self = NULL;
  int nhost = 0, narch, info, delay_ms = 50;

  if (pvm_config(&nhost, &narch, &hip) < 0)
    return PvmSysErr; /* reported */
  for (int i = 0; i < nhost; i++)
    if (hip[i].hi_tid == lpvm_conn.dtid)
      self = strdup(hip[i].hi_name);
  if (self == NULL)
    return lpvm_err_hint("pvm_start_pvmd", PvmSysErr,
                         "the new pvmd is not in its own configuration");
  for (;;) {
    int rc = pvm_addhosts(&self, 1, &info);
    if (rc < 0)
      info = rc;
    if (rc < 0 || info != PvmAlready)
      break;
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    if (delay_ms < 1000)
      delay_ms *= 2;
  }
  free(self);
  return info == PvmDupHost ? 0 : lpvm_err("pvm_start_pvmd", info);
}

int pvm_start_pvmd(int argc, char **argv, int block) {
  char pvmd[PATH_MAX];
  char **av;
  pid_t pid;
  int status;

  if (argc < 0 || (argc > 0 && argv == NULL))
    return lpvm_err("pvm_start_pvmd", PvmBadParam);
  if (lpvm_conn.state == LPVM_UP)
    return lpvm_err("pvm_start_pvmd", PvmDupHost);
  if (lpvm_find_pvmd(pvmd, sizeof(pvmd)) < 0)
    return lpvm_err_hint("pvm_start_pvmd", PvmCantStart,
                         "pvmd not found; set PVM_DPATH to its path");
  if ((av = calloc((size_t)argc + 2, sizeof(*av))) == NULL)
    return lpvm_err("pvm_start_pvmd", PvmNoMem);
  av[0] = pvmd;
  for (int i = 0; i < argc; i++)
    av[i + 1] = argv[i];
  fflush(NULL);
  pid = fork();
  if (pid < 0) {
    free(av);
    return lpvm_err("pvm_start_pvmd", PvmSysErr);
  }
  if (pid == 0) {
    execv(pvmd, av);
    fprintf(stderr, "libpvm: cannot run %s: %s\n", pvmd, strerror(errno));
    _exit(127);
  }
  free(av);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
    return lpvm_err("pvm_start_pvmd", PvmDupHost);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return lpvm_err_hint("pvm_start_pvmd", PvmCantStart,
                         "see the messages of pvmd above");
  int rc = lpvm_connect("pvm_start_pvmd");
  if (rc < 0)
    return rc;
  return block ? wait_hostfile() : 0;
}
