/* PVM-NG extensions beyond PVM 3.4. Everything PVM-NG adds to the task
 * library's public interface is declared here, never in pvm3.h, so a pure
 * PVM 3.4 program never meets a name it did not ask for. */
#ifndef PVMNG_H
#define PVMNG_H

#include "pvm3.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pvmng_route(tid): how messages from this task to task `tid` travel now.
 * Returns PvmRouteDirect when a direct link to tid is open and in use,
 * PvmDontRoute when they go through the daemons, or a negative PVM error
 * (PvmBadParam for a tid that is not a task, PvmSysErr without a daemon).
 * Asking opens nothing: a link opens on the first message when this task
 * has set pvm_setopt(PvmRoute, PvmRouteDirect). */
int pvmng_route(int tid);

#ifdef __cplusplus
}
#endif

#endif /* PVMNG_H */
