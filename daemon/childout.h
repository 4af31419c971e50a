/* Output of spawned tasks (pvm_catchout, PvmOutputTid): each child's stdout
 * and stderr come back through pipes, are cut into lines and sent to the
 * task's output destination as messages, or written to the daemon log when
 * it has none. */
#ifndef PVMD_CHILDOUT_H
#define PVMD_CHILDOUT_H

#include <stddef.h>
#include <uv.h>

#include "frame.h"

struct pvmd_task;

/* Initialises t's two pipes and fills stdio[0..2] for uv_spawn: stdin from
 * /dev/null, stdout and stderr into the pipes. */
void pvmd_output_prepare(struct pvmd_task *t, uv_loop_t *loop,
                         uv_stdio_container_t stdio[3]);
/* After a successful spawn: starts reading and sends the "BEGIN" message
 * (byte count -1). */
void pvmd_output_start(struct pvmd_task *t);
/* Closes whatever pipes are still open (failed spawn, halt). */
void pvmd_output_close(struct pvmd_task *t);
/* The task changed its own output destination (PvmSelfOutputTid, ...): the
 * old destination gets the END of t's output, the new one a BEGIN, and the
 * lines that follow go to the new one, as in PVM 3.4.6. A task whose output
 * the daemon does not read (started by hand) or that has ended only keeps
 * the new values. */
void pvmd_output_redirect(struct pvmd_task *t, int tid, int code, int ctx);

/* One output message, as the daemon (src) sends it to dst with tag code and
 * context ctx: body = INT[1] tid, INT[1] n, and for n >= 0 BYTE[n] bytes.
 * n = -1 is BEGIN, n = 0 is END. NULL when out of memory. */
pvmw_frame *pvmd_output_frame(int src, int dst, int code, int ctx, int tid,
                              const char *bytes, int n);

#endif
