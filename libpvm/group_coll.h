/* Collective operations (internal): a collective's snapshot of its group
 * and the steps the operations share (group_coll.c: barrier, broadcast,
 * reduce, gather and scatter; group_ext.c: the pvmng_* all-reduce,
 * all-gather, all-to-all and scan). */
#ifndef LPVM_GROUP_COLL_H
#define LPVM_GROUP_COLL_H

#include <stddef.h>

#include "group.h"

/* A collective's snapshot of its group. */
struct lpvm_coll {
  struct lpvm_group *g;
  int n, me; /* members, this task's rank */
  int *r;    /* rank -> tid */
  int *inst; /* rank -> instance number */
  int ninst; /* highest instance + 1 */
};

void lpvm_coll_end(struct lpvm_coll *c);

/* Takes the snapshot of group for a collective from the caller's view. A
 * caller outside the group gets notmember. Returns 0 or a negative PVM error
 * (not reported). */
int lpvm_coll_begin(const char *group, int notmember, struct lpvm_coll *c);

/* For a collective that needs every member of a group that is not frozen:
 * the members' agreement on one view through the registry, which answers
 * once every member has asked (lpvm_group_sync); c then holds that view.
 * A frozen group's view is the same everywhere already. */
int lpvm_coll_agree(const char *group, struct lpvm_coll *c);

/* Sends n items of type dt to rank. */
int lpvm_coll_send(const struct lpvm_coll *c, int rank, int tag,
                   const void *data, size_t n, int dt);

/* Receives exactly n items of type dt from rank into dst. A message of
 * another length means the members disagree on their arguments:
 * PvmMismatch. */
int lpvm_coll_recv(const struct lpvm_coll *c, int rank, int tag, void *dst,
                   size_t n, int dt);

/* Checks a reduction's function and type; the predefined functions are
 * checked here so that every member refuses alike, leaves included. */
int lpvm_coll_check_reduce(lpvm_redfn func, int datatype, int count);

/* x = x op y for count items; info < 0 from a user function is returned. */
int lpvm_coll_combine(lpvm_redfn func, int datatype, void *x, void *y,
                      int count);

/* Binomial-tree broadcast of n items of type dt at buf from rank root (also
 * the barrier's release). */
int lpvm_coll_bcast_tree(const struct lpvm_coll *c, int root, int tag,
                         void *buf, size_t n, int dt);

/* Binomial gather of cnt items of type dt per member into root's result, by
 * instance: member of instance i lands at result + i * blk bytes. */
int lpvm_coll_gather_tree(const struct lpvm_coll *c, void *result,
                          const void *data, size_t cnt, int dt, int root,
                          int tag);

#endif
