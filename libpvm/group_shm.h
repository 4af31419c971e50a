/* libgpvm3: the barrier of a group whose members all run on this host,
 * through a shared-memory counter instead of messages. */
#ifndef LPVM_GROUP_SHM_H
#define LPVM_GROUP_SHM_H

#include <stdint.h>

struct lpvm_group;

/* Signals "not here, use messages" (not an error). */
#define LPVM_GSHM_NO 1

/* Barrier among the n members tids[0..n-1] (this task is one of them) of
 * group g at view version `version`. Returns LPVM_GSHM_NO when it cannot
 * be done through shared memory (a member on another host, shared memory
 * turned off or unavailable, or an earlier failure at this version): the
 * caller then uses messages. Otherwise 0 when everyone arrived, PvmNoGroup
 * when a member left or exited while the others waited, or PvmMismatch when
 * the membership changed under the barrier. */
int lpvm_gshm_barrier(struct lpvm_group *g, const int *tids, int n,
                      uint32_t version);

#endif
