/* Error codes and their reporting: the message table PVM programs index with
 * pvm_errlist[-code], pvm_errno, pvm_perror/pvm_strerror, and lpvm_err, the
 * one place where a failing pvm_* call records its code and, under
 * PvmAutoErr, reports it on stderr. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"

int pvm_errno = 0;

/* Indexed by -code. The unused codes keep a placeholder so that every index
 * below pvm_nerr is a valid string. */
char *pvm_errlist[] = {
    [-PvmOk] = "Success",
    [1] = "Error 1",
    [-PvmBadParam] = "Bad parameter",
    [-PvmMismatch] = "Parameter mismatch",
    [-PvmOverflow] = "Value too large",
    [-PvmNoData] = "End of buffer",
    [-PvmNoHost] = "No such host",
    [-PvmNoFile] = "No such file",
    [-PvmDenied] = "Permission denied",
    [9] = "Error 9",
    [-PvmNoMem] = "Malloc failed",
    [11] = "Error 11",
    [-PvmBadMsg] = "Can't decode message",
    [13] = "Error 13",
    [-PvmSysErr] = "Can't contact local daemon",
    [-PvmNoBuf] = "No current buffer",
    [-PvmNoSuchBuf] = "No such buffer",
    [-PvmNullGroup] = "Null group name",
    [-PvmDupGroup] = "Already in group",
    [-PvmNoGroup] = "No such group",
    [-PvmNotInGroup] = "Not in group",
    [-PvmNoInst] = "No such instance",
    [-PvmHostFail] = "Host failed",
    [-PvmNoParent] = "No parent task",
    [-PvmNotImpl] = "Not implemented",
    [-PvmDSysErr] = "Pvmd system error",
    [-PvmBadVersion] = "Version mismatch",
    [-PvmOutOfRes] = "Out of resources",
    [-PvmDupHost] = "Duplicate host",
    [-PvmCantStart] = "Can't start pvmd",
    [-PvmAlready] = "Already in progress",
    [-PvmNoTask] = "No such task",
    [-PvmNotFound] = "Not found",
    [-PvmExists] = "Already exists",
    [-PvmHostrNMstr] = "Hoster run on non-master host",
    [-PvmParentNotSet] = "Spawning parent set PvmNoSpawnParent",
    [-PvmIPLoopback] = "Master host's IP is loopback",
};

/* The table's real size: bounds checks use this, not the writable pvm_nerr. */
#define NERR ((int)(sizeof pvm_errlist / sizeof pvm_errlist[0]))

int pvm_nerr = NERR;

static const char unknown_error[] = "Unknown error";

/* Codes that are gaps in the numbering are reported as unknown. */
static int is_gap(int code) {
  return code == -1 || code == -9 || code == -11 || code == -13;
}

const char *lpvm_errstr(int code) {
  if (code > 0 || code <= -NERR || is_gap(code))
    return unknown_error;
  return pvm_errlist[-code];
}

/* Writes "libpvm [t40001]: " (or "[pid1234]" before the task has a tid)
 * followed by the rest of the line, in one call so that lines from several
 * tasks sharing a log do not interleave mid-line. */
static void report(const char *what, const char *text, const char *hint) {
  int saved = errno;
  int tid = lpvm_tid_or_zero();
  char who[32];

  if (tid > 0)
    snprintf(who, sizeof who, "t%x", (unsigned)tid);
  else
    snprintf(who, sizeof who, "pid%d", (int)getpid());
  fprintf(stderr, "libpvm [%s]: %s: %s%s%s\n", who, what, text,
          hint ? ": " : "", hint ? hint : "");
  errno = saved;
}

/* A reason recorded where an error was first known, below the pvm_* call
 * that reports it; used by that call's report (same code) and then
 * forgotten. */
static struct {
  int code;
  char text[160];
} pending;

int lpvm_msg_too_big(uint64_t bytes, uint64_t limit) {
  pending.code = PvmNoMem;
  snprintf(pending.text, sizeof pending.text,
           "a message body of %llu bytes is over the limit of %llu bytes "
           "for one message",
           (unsigned long long)bytes, (unsigned long long)limit);
  return PvmNoMem;
}

int lpvm_err_reason(int code, const char *text) {
  pending.code = code;
  snprintf(pending.text, sizeof pending.text, "%s", text);
  return code;
}

/* The last error a call reported and its reason (pvmng_lasterror). */
static struct {
  int code;
  char why[1536];
} last;

static void remember(int code, const char *hint) {
  last.code = code;
  snprintf(last.why, sizeof last.why, "%s", hint ? hint : "");
}

void lpvm_forget(void) { remember(0, NULL); }

int pvmng_lasterror(char *buf, int len) {
  if (buf != NULL && len > 0)
    snprintf(buf, (size_t)len, "%s", last.why);
  return last.code;
}

void lpvm_note(const char *fn, int code, const char *why) {
  char what[128];
  remember(code, why);
  if (lpvm_opts.autoerr == 0)
    return;
  snprintf(what, sizeof what, "%s()", fn ? fn : "(null)");
  report(what, lpvm_errstr(code), why);
}

int lpvm_err_hint(const char *fn, int code, const char *hint) {
  char what[128], reason[sizeof pending.text];
  int recorded = pending.code != 0 && pending.code == code;

  if (recorded)
    memcpy(reason, pending.text, sizeof reason);
  pending.code = 0;
  if (code >= 0)
    return code;
  if (hint == NULL && recorded)
    hint = reason;
  pvm_errno = code;
  remember(code, hint);
  if (lpvm_opts.autoerr == 0)
    return code;
  snprintf(what, sizeof what, "%s()", fn ? fn : "(null)");
  report(what, lpvm_errstr(code), hint);
  if (lpvm_opts.autoerr == 2)
    exit(1);
  if (lpvm_opts.autoerr == 3)
    abort();
  return code;
}

int lpvm_err(const char *fn, int code) { return lpvm_err_hint(fn, code, NULL); }

int pvm_perror(char *msg) {
  report(msg ? msg : "(null)", lpvm_errstr(pvm_errno), NULL);
  return PvmOk;
}

/* Returns static storage; PVM declares the result non-const. */
char *pvm_strerror(void) { return (char *)lpvm_errstr(pvm_errno); }
