/* Tracing inside libpvm3 (trace.c): a traced task sends an event to its
 * tracer when a traced call starts and ends, in PVM 3.4's trace message
 * format. A call's fast path reads one flag, lpvm_tev_on; everything else
 * happens only while the task is traced. */
#ifndef LPVM_TRACE_H
#define LPVM_TRACE_H

#include "pvmtev.h"

/* Nonzero while this task has a tracer (PvmSelfTraceTid set, not itself). */
extern int lpvm_tev_on;

/* The one branch a call's fast path pays when tracing is off. */
#define LPVM_TRACING() __builtin_expect(lpvm_tev_on != 0, 0)

/* Starts a traced call of event kind (TEV_SEND, ...): sends its entry event
 * if the task's mask selects kind. fmt lists the fields, one letter each,
 * every field a data identifier (TEV_DID_*) followed by its value:
 *   'i' an int, 's' a string (NULL sends ""), 'a' an int array and its
 *   length (const int *, int).
 * Returns a token for lpvm_tev_out: 0 when a traced call is already in
 * progress (the calls it makes are not traced, as in PVM 3.4). */
int lpvm_tev_in(int kind, const char *fmt, ...);
/* Ends the traced call started with token: sends its exit event. */
void lpvm_tev_out(int token, int kind, const char *fmt, ...);

/* Sends the events a buffering task holds (before it blocks). */
void lpvm_tev_flush(void);

/* The bytes packed in the active send buffer, -1 without one. */
int lpvm_tev_sbuf_len(void);

/* Enrolment (conn.c): takes the trace settings a parent passed. */
void lpvm_tev_enrolled(void);
/* A PvmSelfTrace* option changed (options.c). */
void lpvm_tev_update(void);
/* pvm_exit (task.c): the exit event, buffered events and the timing or
 * count summary go out; tracing ends. */
void lpvm_tev_exit(void);

/* pvm_spawn (task.c): appends to *env (nenv entries, malloc'd strings) the
 * variables that hand the children their trace destination and mask: the
 * caller's PvmTrace* options, else, for PvmTaskTrace, the tracer
 * registered with pvm_reg_tracer (whose output destination also applies
 * when *out_tid is 0). Returns 0 or PvmNoMem; *env stays the caller's to
 * free either way. */
int lpvm_tev_spawn_env(char ***env, int *nenv, int flag, int *out_tid,
                       int *out_code, int *out_ctx);

#endif
