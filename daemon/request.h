/* Control requests from tasks (pvm_spawn, pvm_kill, pvm_sendsig, pvm_pstat,
 * pvm_mstat, pvm_config, pvm_tasks, pvm_halt, pvm_exit, pvm_notify). Each
 * request has a nonzero req_id that its reply repeats. */
#ifndef PVMD_REQUEST_H
#define PVMD_REQUEST_H

#include <stdint.h>

#include "frame.h"

struct pvmd_conn;

/* A control frame from a connected task. Takes f. Anything that is not a
 * well-formed request closes the connection with a logged reason. */
void pvmd_request(struct pvmd_conn *c, pvmw_frame *f);

/* Answers request m (id) from c here (or through the other daemons), as if
 * it had just come; takes m. For requests a resource manager left
 * unanswered (rm.c). */
void pvmd_request_run(struct pvmd_conn *c, uint32_t id, Pvmng__Control *m);

#endif
