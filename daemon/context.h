/* Message contexts (pvm_newcontext, pvm_freecontext), handed out by each
 * daemon to its tasks. A context is this host's part of a tid (bits 18..29)
 * with an 18-bit number below it, so contexts from different hosts never
 * collide and no request crosses hosts; numbers go up and wrap, skipping
 * those in use, so a freed context comes back only after the others, as
 * in PVM 3.4.6. A task's contexts are freed when it leaves. */
#ifndef PVMD_CONTEXT_H
#define PVMD_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct pvmd;
struct pvmd_conn;

/* Contexts in use on this host. Invariant: n <= PVMD_CONTEXT_MAX, each
 * entry's ctx unique, next in 1..0x3ffff. */
struct pvmd_contexts {
  struct pvmd_context {
    int ctx, owner;
  } * v;
  size_t n, cap;
  unsigned next; /* the number tried first for the next context */
};

/* How many contexts one host holds at once (PvmOutOfRes beyond). */
#define PVMD_CONTEXT_MAX 65536

/* A ContextRequest from task connection c: answered with a Status whose
 * value is the new context, or code PvmNotFound / PvmOutOfRes / PvmNoMem. */
void pvmd_context_request(struct pvmd_conn *c, uint32_t req_id,
                          const Pvmng__ContextRequest *r);

/* Allocates a context for tid; returns it, or a negative PVM error. */
int pvmd_context_new(struct pvmd *d, int tid);

/* Frees ctx (any task of this host may); 0 or PvmNotFound. */
int pvmd_context_free(struct pvmd *d, int ctx);

/* Task tid left: its contexts are free again. */
void pvmd_context_task_gone(struct pvmd *d, int tid);

/* Frees the table (at daemon exit). */
void pvmd_context_free_all(struct pvmd *d);

#endif
