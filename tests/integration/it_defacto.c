/* it_defacto: the public symbols of PVM 3.4.6's libpvm3 that pvm3.h does
 * not declare, declared here the way PVM programs declare them: pvmsleep,
 * pvm_vpackf and pvm_vunpackf, the log calls (output on stderr checked
 * byte for byte, return values), pvmgetroot, pvmgethome, pvmgetpvmd,
 * pvm_useruid, lpvmerr, pvmgetclock, pvmdebmask, pvmdisplaymhfinfo (which
 * PVM 3.4.6's example programs use), each with PVM 3.4.6's behaviour. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/time.h>

#include "it_common.h"

extern int pvmsleep(int secs);
extern int pvmlogprintf(const char *fmt, ...);
extern int pvmlogerror(const char *s);
extern int pvmlogperror(const char *s);
extern char *pvmgetroot(void);
extern char *pvmgethome(void);
extern char *pvmgetpvmd(void);
extern int pvm_useruid;
extern int pvm_vpackf(const char *fmt, va_list ap);
extern int pvm_vunpackf(const char *fmt, va_list ap);
extern int lpvmerr(char *f, int n);
extern int pvmgetclock(struct timeval *tm);
extern int pvmdebmask;
int pvmdisplaymhfinfo(char *who, char *msg, int tid);

static int packf(const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = pvm_vpackf(fmt, ap);
  va_end(ap);
  return rc;
}

static int unpackf(const char *fmt, ...) {
  va_list ap;
  int rc;
  va_start(ap, fmt);
  rc = pvm_vunpackf(fmt, ap);
  va_end(ap);
  return rc;
}

/* stderr into a file while the log calls run. */
static char errfile[256];
static int saved_err = -1;

static void capture(void) {
  int fd;
  snprintf(errfile, sizeof errfile, "%s/it_defacto.%d.err",
           getenv("PVM_TMP") ? getenv("PVM_TMP") : "/tmp", (int)getpid());
  fflush(stderr);
  fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  IT_CHECK(fd >= 0, "cannot create %s", errfile);
  saved_err = dup(2);
  dup2(fd, 2);
  close(fd);
}

/* Restores stderr and returns what was written meanwhile (static). */
static const char *captured(void) {
  static char buf[1024];
  size_t n;
  FILE *f;
  fflush(stderr);
  dup2(saved_err, 2);
  close(saved_err);
  f = fopen(errfile, "r");
  IT_CHECK(f != NULL, "cannot read %s", errfile);
  n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  unlink(errfile);
  return buf;
}

int main(int argc, char **argv) {
  char want[512], home[256], s[16];
  const char *out;
  double t0, d = 0;
  int me, r1, r2, r3, a = 0;

  (void)argc;
  it_set_name(argv[0], NULL);
  it_guard(60);

  /* Before enrolment. */
  IT_CHECK(pvm_useruid == -1, "pvm_useruid before enrolment: %d", pvm_useruid);
  capture();
  r1 = pvmlogprintf("early %d\n", 1);
  out = captured();
  snprintf(want, sizeof want, "libpvm [pid%d] early 1\n", (int)getpid());
  IT_CHECK(strcmp(out, want) == 0 && r1 == 8, "before enrolment: \"%s\" %d",
           out, r1);

  t0 = it_now();
  IT_CHECK(pvmsleep(1) == 0, "pvmsleep");
  IT_CHECK(it_now() - t0 >= 0.99, "pvmsleep(1) took %.3f s", it_now() - t0);

  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid: %d", me);
  IT_CHECK(pvm_useruid == (int)getuid(), "pvm_useruid %d, uid %d", pvm_useruid,
           (int)getuid());

  /* The log calls: the tag starts a line, pvmlogerror always tags (with a
   * colon) and adds nothing, pvmlogperror adds errno's text. */
  capture();
  r1 = pvmlogprintf("part %s ", "one");
  r2 = pvmlogprintf("and two\n");
  r3 = pvmlogerror("plain\n");
  errno = ENOENT;
  pvmlogperror("open");
  pvmlogprintf("n=%d\n", 42);
  out = captured();
  snprintf(want, sizeof want,
           "libpvm [t%x] part one and two\n"
           "libpvm [t%x]: plain\n"
           "libpvm [t%x] open: %s\n"
           "libpvm [t%x] n=42\n",
           (unsigned)me, (unsigned)me, (unsigned)me, strerror(ENOENT),
           (unsigned)me);
  IT_CHECK(strcmp(out, want) == 0, "log output:\n%s\nwanted:\n%s", out, want);
  IT_CHECK(r1 == 9 && r2 == 8 && r3 == 0, "log returns %d %d %d", r1, r2, r3);
  it_note("pvmsleep, pvm_useruid, log calls");

  /* Where things are. */
  setenv("PVM_ROOT", "/opt/pvm3-root", 1);
  IT_CHECK(strcmp(pvmgetroot(), "/opt/pvm3-root") == 0, "pvmgetroot: %s",
           pvmgetroot());
  unsetenv("PVM_ROOT");
  IT_CHECK(pvmgetroot() != NULL && pvmgetroot()[0] == '/',
           "pvmgetroot without PVM_ROOT: %s", pvmgetroot());
  snprintf(home, sizeof home, "%s", getenv("HOME") ? getenv("HOME") : "");
  setenv("HOME", "/some/home", 1);
  IT_CHECK(strcmp(pvmgethome(), "/some/home") == 0, "pvmgethome: %s",
           pvmgethome());
  unsetenv("HOME");
  capture();
  IT_CHECK(strcmp(pvmgethome(), "/") == 0, "pvmgethome without HOME");
  out = captured();
  IT_CHECK(strstr(out, "warning: can't getenv(HOME), using /") != NULL,
           "no warning without HOME: \"%s\"", out);
  if (home[0] != '\0')
    setenv("HOME", home, 1);
  IT_CHECK(getenv("PVM_DPATH") != NULL, "vm.sh sets PVM_DPATH");
  IT_CHECK(strcmp(pvmgetpvmd(), getenv("PVM_DPATH")) == 0 &&
               access(pvmgetpvmd(), X_OK) == 0,
           "pvmgetpvmd: %s (PVM_DPATH %s)", pvmgetpvmd(), getenv("PVM_DPATH"));
  it_note("pvmgetroot, pvmgethome, pvmgetpvmd");

  /* The va_list forms of pvm_packf and pvm_unpackf. */
  IT_CHECK(packf("%+ %d %lf %s", PvmDataDefault, 7, 2.5, "str") == 0,
           "pvm_vpackf");
  IT_CHECK(pvm_send(me, 5) == 0, "send");
  IT_CHECK(pvm_recv(me, 5) > 0, "recv");
  IT_CHECK(unpackf("%d %lf %s", &a, &d, s) == 0, "pvm_vunpackf");
  IT_CHECK(a == 7 && d == 2.5 && strcmp(s, "str") == 0, "unpacked %d %g \"%s\"",
           a, d, s);
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(unpackf("%d", &a) == PvmNoData, "past the end: not PvmNoData");
  it_note("pvm_vpackf, pvm_vunpackf");

  /* lpvmerr: pvm_errno and the return value are the code; the report goes
   * to stderr only under PvmAutoErr, as a pvm_* call's would. */
  capture();
  r1 = lpvmerr("quiet", PvmBadParam);
  r2 = pvm_errno;
  out = captured();
  IT_CHECK(r1 == PvmBadParam && r2 == PvmBadParam && out[0] == '\0',
           "lpvmerr with PvmAutoErr 0: %d, pvm_errno %d, \"%s\"", r1, r2, out);
  pvm_setopt(PvmAutoErr, 1);
  capture();
  r1 = lpvmerr("myfunc", PvmNoSuchBuf);
  r2 = pvm_errno;
  out = captured();
  snprintf(want, sizeof want, "libpvm [t%x]: myfunc(): ", (unsigned)me);
  IT_CHECK(r1 == PvmNoSuchBuf && r2 == PvmNoSuchBuf &&
               strncmp(out, want, strlen(want)) == 0 &&
               strstr(out, "No such buffer") != NULL,
           "lpvmerr with PvmAutoErr 1: %d, pvm_errno %d, \"%s\"", r1, r2, out);
  {
    struct timeval before, clock, after;
    gettimeofday(&before, NULL);
    IT_CHECK(pvmgetclock(&clock) == 0, "pvmgetclock");
    gettimeofday(&after, NULL);
    IT_CHECK(timercmp(&before, &clock, <=) && timercmp(&clock, &after, <=),
             "pvmgetclock is not the time of day");
  }
  pvmdebmask = 0;
  IT_CHECK(pvmdisplaymhfinfo("it_defacto", "handlers", pvm_mytid()) == 0,
           "pvmdisplaymhfinfo");
  it_note("lpvmerr, pvmgetclock, pvmdebmask, pvmdisplaymhfinfo");

  pvm_exit();
  it_note("OK");
  return 0;
}
