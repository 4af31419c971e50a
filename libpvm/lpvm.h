/* Internal declarations shared by the files of libpvm. The library is
 * single-threaded like PVM 3: every call runs on the caller's thread, and a
 * blocking call drives the library's own libuv loop until what it waits for
 * has arrived. Internal names start with lpvm_. */
#ifndef LPVM_H
#define LPVM_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* Marks a definition as part of libpvm3's interface although no public
 * header declares it. The library is built with hidden visibility: what
 * pvm3.h and pvmng.h declare is exported through their visibility pragma,
 * nothing else unless marked so. */
#define LPVM_PUBLIC __attribute__((visibility("default")))

/* Public symbols of PVM 3.4.6's libpvm3 that pvm3.h does not declare but
 * programs use, declaring them themselves (helpers.c, packf.c). */
LPVM_PUBLIC extern int pvm_useruid; /* the task's uid once enrolled, else -1 */
LPVM_PUBLIC int pvmsleep(int secs);
LPVM_PUBLIC int pvmlogprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
LPVM_PUBLIC int vpvmlogprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
LPVM_PUBLIC int pvmlogerror(const char *s);
LPVM_PUBLIC int pvmlogperror(const char *s);
LPVM_PUBLIC char *pvmgetroot(void);
LPVM_PUBLIC char *pvmgethome(void);
LPVM_PUBLIC char *pvmgetpvmd(void);
LPVM_PUBLIC int pvm_vpackf(const char *fmt, va_list ap);
LPVM_PUBLIC int pvm_vunpackf(const char *fmt, va_list ap);
LPVM_PUBLIC extern int pvmdebmask; /* set by programs; not read */
LPVM_PUBLIC int pvmdisplaymhfinfo(char *who, char *msg, int tid); /* mhf.c */
LPVM_PUBLIC int lpvmerr(char *f, int n);
struct timeval;
LPVM_PUBLIC int pvmgetclock(struct timeval *tm);

/* Finds the pvmd that pvm_start_pvmd runs (task.c): $PVM_DPATH, then beside
 * the running program, then where it was installed. Writes the path to out
 * (the installed one when none is found) and returns 0 if it is
 * executable, else -1. */
int lpvm_find_pvmd(char *out, size_t len);

/* Options settable with pvm_setopt (options.c owns them). */
struct lpvm_opts {
  int route;         /* PvmRoute */
  int debugmask;     /* PvmDebugMask */
  int autoerr;       /* PvmAutoErr: 0 quiet, 1 print, 2 print+exit, 3 abort */
  int out_tid;       /* PvmOutputTid: for children */
  int out_code;      /* PvmOutputCode */
  int out_ctx;       /* PvmOutputContext */
  int self_out_tid;  /* PvmSelfOutputTid */
  int self_out_code; /* PvmSelfOutputCode */
  int self_out_ctx;  /* PvmSelfOutputContext */
  int trace_tid, trace_code, trace_buffer, trace_opts, trace_ctx;
  int self_trace_tid, self_trace_code, self_trace_buffer, self_trace_opts,
      self_trace_ctx;
  int frag_size; /* PvmFragSize */
  int resv_tids; /* PvmResvTids */
  int show_tids; /* PvmShowTids */
  int poll_type, poll_time;
  int remote_spin_us; /* $PVMNG_REMOTE_SPIN_US (see msg.c wait_match) */
  int no_reset;       /* PvmNoReset */
};

extern struct lpvm_opts lpvm_opts;

/* Size in bytes of one item of a pvm_psend/pvm_precv data type, 0 for
 * an unknown type (msg.c). */
size_t lpvm_type_size(int type);

/* The task's tid once connected, else 0 (used in error messages). */
int lpvm_tid_or_zero(void);

/* Reports an error from a pvm_* call the PVM way: with PvmAutoErr set, one
 * line "libpvm [t40001]: fn(): message" on stderr (and exit/abort for 2/3).
 * Returns code unchanged, so callers write `return lpvm_err("pvm_send", c);`.
 * Codes >= 0 pass through silently. */
int lpvm_err(const char *fn, int code);

/* Same, with an extra hint appended to the message (what to do next). */
int lpvm_err_hint(const char *fn, int code, const char *hint);

/* A message body of `bytes` is over the limit of a message (limit bytes,
 * PVMW_MAX_MESSAGE unless the daemon set less): records why, for the pvm_*
 * call that reports the error (its next lpvm_err with this code), and
 * returns PvmNoMem, PVM's code for a message too big to hold. */
int lpvm_msg_too_big(uint64_t bytes, uint64_t limit);
/* Records text as the reason of code for the report of the pvm_* call
 * that returns it; returns code. */
int lpvm_err_reason(int code, const char *text);
/* Tells of a failure that fn does not return as its result (a spawn slot
 * that failed): with PvmAutoErr set, the same line as lpvm_err_hint, but
 * pvm_errno is left alone and PvmAutoErr 2 and 3 do not end the program.
 * why is kept for pvmng_lasterror. */
void lpvm_note(const char *fn, int code, const char *why);
/* Forgets the last failure (a call whose slots may fail starts afresh). */
void lpvm_forget(void);

/* Reads mailbox entry <name, index> into a new buffer, *bufid, leaving the
 * receive buffer alone and printing nothing (mbox.c). Returns the entry's
 * index or a negative PVM code. */
int lpvm_mbox_get(const char *name, int index, int *bufid);

/* Message text for a PVM error code ("Bad parameter"), never NULL. */
const char *lpvm_errstr(int code);

#endif
