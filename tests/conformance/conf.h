/* Harness of the conformance suite: one header shared by every program of
 * tests/conformance. The same sources build against PVM-NG and against
 * PVM 3.4.6 (CONF_PVM346 defined); each check prints one line (PASS, FAIL,
 * KNOWN or XFAIL) and conf_end() a summary line that run.sh reads:
 *   SUMMARY <program> <system> pass=N fail=N known=N xfail=N
 * CHECK_346DIFF marks a check of a documented PVM-NG extension or of a named
 * PVM 3.4.6 bug: where PVM 3.4.6 fails it, it counts as "known PVM 3.4.6
 * difference", not as a failure. CHECK_NGXFAIL marks a PVM-NG gap that is
 * known and not fixed yet: where PVM-NG fails it, it counts as an expected
 * failure (XFAIL) with its reason; should it pass, it counts as a pass and
 * says XPASS, so the mark can be removed. */
#ifndef CONF_H
#define CONF_H

#include <pvm3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef CONF_PVM346
#define CONF_SYSTEM "pvm346"
#else
#define CONF_SYSTEM "pvmng"
#endif

enum { CONF_PLAIN, CONF_DIFF346, CONF_XFAILNG };

static const char *conf_name = "?";
static int conf_npass, conf_nfail, conf_nknown, conf_nxfail;

/* Records one check; returns ok so callers can skip dependent checks. */
static int conf_check(int ok, int kind, const char *reason, const char *file,
                      int line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int conf_check(int ok, int kind, const char *reason, const char *file,
                      int line, const char *fmt, ...) {
  char what[512];
  va_list ap;
  const char *verdict;

  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
#ifdef CONF_PVM346
  int tolerated = kind == CONF_DIFF346;
#else
  int tolerated = kind == CONF_XFAILNG;
#endif
  if (ok) {
    conf_npass++;
    verdict = tolerated && kind == CONF_XFAILNG ? "XPASS" : "PASS";
  } else if (tolerated) {
    if (kind == CONF_DIFF346)
      conf_nknown++;
    else
      conf_nxfail++;
    verdict = kind == CONF_DIFF346 ? "KNOWN" : "XFAIL";
  } else {
    conf_nfail++;
    verdict = "FAIL";
  }
  if (!ok && tolerated)
    printf("%s %s: %s (%s)\n", verdict, conf_name, what, reason);
  else if (!ok)
    printf("%s %s: %s [%s:%d]\n", verdict, conf_name, what, file, line);
  else
    printf("%s %s: %s\n", verdict, conf_name, what);
  fflush(stdout);
  return ok;
}

/* CHECK(cond, "what", ...): a plain check. */
#define CHECK(cond, ...)                                                       \
  conf_check(!!(cond), CONF_PLAIN, NULL, __FILE__, __LINE__, __VA_ARGS__)
/* CHECK_INT(got, want, "what", ...): equality of two ints, both printed. */
#define CHECK_INT(got, want, fmt, ...)                                         \
  do {                                                                         \
    long conf_g_ = (long)(got), conf_w_ = (long)(want);                        \
    conf_check(conf_g_ == conf_w_, CONF_PLAIN, NULL, __FILE__, __LINE__,       \
               fmt " (got %ld, want %ld)", ##__VA_ARGS__, conf_g_, conf_w_);   \
  } while (0)
/* A check that PVM 3.4.6 fails for the reason given (its bug, named, or a
 * documented PVM-NG extension). */
#define CHECK_346DIFF(cond, reason, ...)                                       \
  conf_check(!!(cond), CONF_DIFF346, reason, __FILE__, __LINE__, __VA_ARGS__)
/* A check that PVM-NG fails for the reason given (a known gap). */
#define CHECK_NGXFAIL(cond, reason, ...)                                       \
  conf_check(!!(cond), CONF_XFAILNG, reason, __FILE__, __LINE__, __VA_ARGS__)

static void conf_begin(const char *name) {
  conf_name = name;
  setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Prints the summary and returns the exit status: 0 unless a check failed. */
static int conf_end(void) {
  printf("SUMMARY %s %s pass=%d fail=%d known=%d xfail=%d\n", conf_name,
         CONF_SYSTEM, conf_npass, conf_nfail, conf_nknown, conf_nxfail);
  fflush(stdout);
  return conf_nfail ? 1 : 0;
}

/* The absolute path of this program, for spawning itself in a child role. */
__attribute__((unused)) static const char *conf_self(void) {
  static char path[4096];
  if (!path[0]) {
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
      fprintf(stderr, "%s: cannot read /proc/self/exe\n", conf_name);
      exit(2);
    }
    path[n] = '\0';
  }
  return path;
}

/* Spawns n copies of this program with argv {role, extra, NULL}; returns
 * pvm_spawn's result. */
__attribute__((unused)) static int
conf_spawn_self(const char *role, const char *extra, int n, int *tids) {
  char *args[3] = {(char *)role, (char *)extra, NULL};
  return pvm_spawn((char *)conf_self(), args, PvmTaskDefault, "", n, tids);
}

/* A fatal setup failure: not a check, the program cannot go on. */
#define CONF_REQUIRE(cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) {                                                             \
      conf_check(0, CONF_PLAIN, NULL, __FILE__, __LINE__, __VA_ARGS__);        \
      pvm_exit();                                                              \
      return conf_end();                                                       \
    }                                                                          \
  } while (0)

#endif
