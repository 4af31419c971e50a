/* Helpers of PVM 3.4's libpvm3 outside the message calls: pvmgetrsh,
 * pvmgettmp and pvmtmpnam (declared in pvm3.h), and the public symbols of
 * PVM 3.4.6's libpvm3 that pvm3.h does not declare but programs use,
 * declaring them themselves (lpvm.h lists them): pvmsleep, the log calls
 * pvmlogprintf, vpvmlogprintf, pvmlogerror and pvmlogperror, pvmgetroot,
 * pvmgethome, pvmgetpvmd, lpvmerr, pvmgetclock and the variables
 * pvm_useruid and pvmdebmask. Their behaviour is PVM 3.4.6's, read off its
 * library. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "lpvm.h"
#include "pvm3.h"
#include "rundir.h"

#ifndef PVMNG_PREFIX
#define PVMNG_PREFIX "/usr/local"
#endif

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

/* A temporary file name in the task's runtime directory (declared in
 * pvm3.h under NOTMPNAM only, exported always). */
LPVM_PUBLIC char *pvmtmpnam(char *buf) {
  static char own[PVMTMPNAMLEN];
  static unsigned seq;
  char *out = buf ? buf : own;
  snprintf(out, PVMTMPNAMLEN, "%s/pvmtmp%d.%u", pvmgettmp(), (int)getpid(),
           seq++);
  return out;
}

/* PVM 3.4.6's debug mask variable, which its example programs set. PVM-NG
 * does not read it: the library's debug mask is pvm_setopt(PvmDebugMask). */
LPVM_PUBLIC int pvmdebmask = 0;

/* Reports error n of the caller f the way a pvm_* call does (pvm_errno set;
 * under PvmAutoErr one line "libpvm [t40001]: f(): text" on stderr, exit or
 * abort for 2 and 3) and returns n, as PVM 3.4.6's lpvmerr does; its example
 * programs report their own failures with it. */
int lpvmerr(char *f, int n) { return lpvm_err(f, n); }

/* The time of day into *tm, for timing; returns 0 (PVM 3.4.6's pvmgetclock,
 * which its bandwidth example uses). */
int pvmgetclock(struct timeval *tm) {
  if (tm == NULL)
    return PvmBadParam;
  gettimeofday(tm, NULL);
  return 0;
}

/* Sleeps secs seconds; returns 0. */
int pvmsleep(int secs) {
  if (secs > 0)
    sleep((unsigned)secs);
  return 0;
}

/* ---- log lines on stderr -------------------------------------------------
 * PVM 3.4.6: pvmlogprintf starts its output with "libpvm [t40001] " when
 * the previous pvmlogprintf output ended a line, and returns the number of
 * characters of the message itself; pvmlogerror always prints "libpvm
 * [t40001]: " and the string as it is (no newline added), pvmlogperror
 * "libpvm [t40001] " s ": " and the text of errno, with a newline; both
 * return 0. Before the task enrols the tag is [pid<process id>]. */

static int at_line_start = 1;

static void tag(char *buf, size_t len) {
  int tid = lpvm_tid_or_zero();
  if (tid > 0)
    snprintf(buf, len, "t%x", (unsigned)tid);
  else
    snprintf(buf, len, "pid%d", (int)getpid());
}

int vpvmlogprintf(const char *fmt, va_list ap) {
  char t[32], *msg = NULL;
  int n;
  if (fmt == NULL)
    return -1;
  if ((n = vasprintf(&msg, fmt, ap)) < 0)
    return -1;
  if (at_line_start) {
    tag(t, sizeof(t));
    fprintf(stderr, "libpvm [%s] ", t);
  }
  fputs(msg, stderr);
  fflush(stderr);
  at_line_start = n > 0 ? msg[n - 1] == '\n' : at_line_start;
  free(msg);
  return n;
}

int pvmlogprintf(const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vpvmlogprintf(fmt, ap);
  va_end(ap);
  return n;
}

int pvmlogerror(const char *s) {
  char t[32];
  tag(t, sizeof(t));
  fprintf(stderr, "libpvm [%s]: %s", t, s ? s : "");
  fflush(stderr);
  return 0;
}

int pvmlogperror(const char *s) {
  const char *e = strerror(errno);
  char t[32];
  tag(t, sizeof(t));
  fprintf(stderr, "libpvm [%s] %s: %s\n", t, s ? s : "", e);
  fflush(stderr);
  return 0;
}

/* ---- where things are ---------------------------------------------------- */

/* $PVM_ROOT, else the prefix PVM-NG was installed under. */
char *pvmgetroot(void) {
  char *r = getenv("PVM_ROOT");
  return (r != NULL && *r != '\0') ? r : PVMNG_PREFIX;
}

/* $HOME, else "/" with a warning (once), as PVM 3.4.6 does. */
char *pvmgethome(void) {
  static int warned;
  char *h = getenv("HOME");
  if (h != NULL && *h != '\0')
    return h;
  if (!warned) {
    warned = 1;
    pvmlogerror("warning: can't getenv(HOME), using /\n");
  }
  return "/";
}

/* The pvmd that pvm_start_pvmd (and so the console) would run. */
char *pvmgetpvmd(void) {
  static char path[PATH_MAX];
  lpvm_find_pvmd(path, sizeof(path));
  return path;
}
