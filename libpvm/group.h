/* libgpvm3 internals: the task's view of the groups it uses and the
 * message plumbing its collectives share. A view is the registry's GroupInfo
 * kept fresh by the change notices the daemon sends every member; the
 * collectives run on a view's members in instance order ("ranks") and talk
 * over ordinary messages in the system context, tagged per group and step. */
#ifndef LPVM_GROUP_H
#define LPVM_GROUP_H

#include <stddef.h>
#include <stdint.h>

/* Tags of collective traffic (context LPVM_SYSCTX): bits 12..27 hold a hash
 * of the group name, bits 6..11 the operation, bits 0..5 the step, so the
 * whole range stays below the library's other system tags (0x7ffffff0 and
 * up). Per-pair order does the rest: collectives of one group follow each
 * other in the same order on every member. */
#define LPVM_GTAG_BASE 0x60000000
enum lpvm_gop {
  LPVM_GOP_BARRIER = 1,
  LPVM_GOP_REDUCE,
  LPVM_GOP_GATHER,
  LPVM_GOP_SCATTER,
  LPVM_GOP_BCAST,
  LPVM_GOP_ALLREDUCE,
  LPVM_GOP_ALLTOALL,
  LPVM_GOP_SCAN,
};

struct lpvm_group {
  struct lpvm_group *next;
  char *name;
  uint32_t version;
  int frozen, defunct;
  int member;   /* this task is a member: notices keep the view fresh */
  int ninst;    /* length of tids */
  int *tids;    /* by instance, 0 = free instance */
  int size;     /* members */
  int *ranks;   /* member tids in instance order, size entries */
  int myrank;   /* index of this task in ranks, -1 if not a member */
  int left_tid; /* last tid a notice reported gone */
  uint32_t hash;
};

/* Reduction function with PVM's signature. */
typedef void (*lpvm_redfn)(int *datatype, void *x, void *y, int *num,
                           int *info);

/* The view of `name` for a collective: a member's fresh view (notices
 * applied), or for a frozen group a cached one; anything else is fetched
 * from the registry. Returns NULL with *rc set (PvmNoGroup, PvmSysErr...). */
struct lpvm_group *lpvm_group_view(const char *name, int *rc);
/* Fetches the group from the registry now, whatever the cache holds. */
struct lpvm_group *lpvm_group_fetch(const char *name, int *rc);
/* Applies every change notice waiting in the queue. */
void lpvm_group_notices(void);
/* Checks a group name argument: 0, or PvmNullGroup. */
int lpvm_group_name_ok(const char *name);

/* pvm_barrier arbitrated by the registry (counts other than the group's
 * size): 0 or a negative PVM error, not reported. */
int lpvm_group_registry_barrier(const char *group, int count,
                                uint32_t failed_version,
                                uint32_t *fast_version);

/* The members' agreement on one view before a collective that needs every
 * member of a group that is not frozen: the registry answers once every
 * member has asked (daemon/groupreg.c, GROUP_SYNC). *tids gets that view's
 * member tids by instance (0: free), *ninst entries; the caller frees it.
 * Returns 0 or a negative PVM error, not reported. */
int lpvm_group_sync(const char *group, int **tids, int *ninst);

/* Tag of step `step` of operation op in group g. */
int lpvm_gtag(const struct lpvm_group *g, enum lpvm_gop op, int step);

/* Sends nitems items of datatype at data to dst: raw (native bytes) to a
 * task on this host, over a direct link when one can be had; to a task on
 * another host through the daemons in XDR byte order (big-endian, fixed
 * item sizes: see lpvm_gwire_size), marked PvmDataDefault. */
int lpvm_gsend(int dst, int tag, const void *data, size_t nitems, int datatype);
/* Copies the body of received buffer bufid, nitems items of datatype, to
 * dst, decoding it if it came in XDR byte order. A body of another length
 * means the members disagree on their arguments: PvmMismatch. */
int lpvm_gtake(int bufid, void *dst, size_t nitems, int datatype);
/* Step number of an abort marker: a member whose collective failed sends
 * one, with its step's tag and this step, to every member that would wait
 * for it later in the operation, so that failures spread instead of
 * leaving anyone waiting. */
#define LPVM_GSTEP_ABORT 0x3f
void lpvm_gabort(int dst, int tag);
/* Waits for the message (dst = this task) from src with tag in the system
 * context, and returns its buffer id; the caller frees it. While waiting,
 * notices are applied: if src leaves g (or exits) and nothing from it has
 * come after a short grace period, returns PvmNoGroup; so does an abort
 * marker from src for this operation. */
int lpvm_grecv(struct lpvm_group *g, int src, int tag);
/* Body bytes and length of a received buffer. */
const void *lpvm_gbody(int bufid, size_t *len);

/* Bytes per item of a collective's data type, 0 for a type collectives do
 * not take. */
size_t lpvm_gtype_size(int datatype);
/* Bytes per item between hosts: BYTE 1, SHORT 2, INT and FLOAT 4, LONG and
 * DOUBLE 8, CPLX 2 x 4, DCPLX 2 x 8. */
size_t lpvm_gwire_size(int datatype);

#endif
