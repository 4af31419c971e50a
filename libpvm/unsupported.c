/* Calls of the PVM 3.4 API that this release does not provide yet:
 * message handlers and resource manager registration. Each links, and at
 * run time reports PvmNotImpl (printed under PvmAutoErr) with a line
 * saying what is missing, so a program learns it at the first call instead of
 * misbehaving later. Small helpers that need no daemon support are implemented
 * here as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"
#include "rundir.h"
#include "tid.h"

#define NOT_YET "not available in this release of PVM-NG yet"

/* Every task shares the one host's clock, so the delta is zero. */
int pvm_hostsync(int host, struct timeval *clk, struct timeval *delta) {
  int me = pvm_mytid();
  if (me < 0)
    return me;
  if (pvm_tidtohost(host) != pvm_tidtohost(me))
    return lpvm_err("pvm_hostsync", PvmNoHost);
  if (clk)
    gettimeofday(clk, NULL);
  if (delta)
    delta->tv_sec = delta->tv_usec = 0;
  return 0;
}

int pvm_tickle(int narg, int *argp, int *nresp, int *resp) {
  (void)narg, (void)argp, (void)nresp, (void)resp;
  return lpvm_err_hint("pvm_tickle", PvmNotImpl, NOT_YET);
}

int pvm_addmhf(int src, int tag, int ctx, int (*func)(int mid)) {
  (void)src, (void)tag, (void)ctx, (void)func;
  return lpvm_err_hint("pvm_addmhf", PvmNotImpl, NOT_YET);
}

int pvm_delmhf(int mhid) {
  (void)mhid;
  return lpvm_err_hint("pvm_delmhf", PvmNotImpl, NOT_YET);
}

int pvm_reg_hoster(void) {
  return lpvm_err_hint("pvm_reg_hoster", PvmNotImpl, NOT_YET);
}

int pvm_reg_tasker(void) {
  return lpvm_err_hint("pvm_reg_tasker", PvmNotImpl, NOT_YET);
}

int pvm_reg_rm(struct pvmhostinfo **hip) {
  (void)hip;
  return lpvm_err_hint("pvm_reg_rm", PvmNotImpl, NOT_YET);
}

int pvm_reg_tracer(int tctx, int ttag, int octx, int otag, char *tmask,
                   int tbuf, int topt) {
  (void)tctx, (void)ttag, (void)octx, (void)otag, (void)tmask, (void)tbuf;
  (void)topt;
  return lpvm_err_hint("pvm_reg_tracer", PvmNotImpl, NOT_YET);
}

/* Wait ids of PVM 3.3, kept in the buffer's header. */
int pvm_getmwid(int bufid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return lpvm_err("pvm_getmwid", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  return b->wid;
}

int pvm_setmwid(int bufid, int waitid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return lpvm_err("pvm_setmwid", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  b->wid = waitid;
  return 0;
}

/* The remote-shell command used to start daemons on other hosts. */
char *pvmgetrsh(void) {
  char *r = getenv("PVM_RSH");
  return (r != NULL && *r != '\0') ? r : "ssh";
}

/* The directory for the virtual machine's temporary files. */
char *pvmgettmp(void) {
  static char dir[512];
  char err[256];
  if (pvmw_rundir(dir, sizeof(dir), 0, err, sizeof(err)) < 0) {
    const char *t = getenv("PVM_TMP");
    snprintf(dir, sizeof(dir), "%s", (t && *t) ? t : "/tmp");
  }
  return dir;
}

/* A temporary file name in the task's runtime directory. */
char *pvmtmpnam(char *buf) {
  static char own[PVMTMPNAMLEN];
  static unsigned seq;
  char *out = buf ? buf : own;
  snprintf(out, PVMTMPNAMLEN, "%s/pvmtmp%d.%u", pvmgettmp(), (int)getpid(),
           seq++);
  return out;
}
