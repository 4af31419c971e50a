/* Resource managers (pvm_reg_rm): a task of this host that has its say in
 * the requests the other tasks of the host make. Once it is registered, the
 * daemon does not answer their pvm_spawn, pvm_config, pvm_tasks,
 * pvm_addhosts, pvm_delhosts, pvm_notify and pvm_reg_rm itself but sends the
 * RM the SM_* message PVM 3.4's library would have sent it (from the
 * requesting task, in PvmDataDefault, the layouts in pvmng.h); the RM's
 * answer, sent to that task with the same tag, is read here and becomes the
 * task's reply. When the RM leaves, the requests it had not answered and
 * every later one are served by the daemon again. The RM may also have
 * this daemon start tasks (SM_EXEC, answered SM_EXECACK), and hears of the
 * exits of those (SM_TASKX) and of hosts leaving (SM_HOSTX), as in PVM 3.4.
 * One RM per virtual machine: every daemon is told who it is (PeerRm),
 * and the requests of the tasks of other hosts reach it through its
 * daemon (PeerForward.for_rm). */
#ifndef PVMD_RM_H
#define PVMD_RM_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "peer.h"
#include "pvm.pb-c.h"

struct pvmd;
struct pvmd_conn;

/* PVM 3.4's tags of these messages (pvmproto.h). */
#define PVMD_SM_SPAWN ((int)0x80040001)
#define PVMD_SM_TASK ((int)0x80040004)
#define PVMD_SM_CONFIG ((int)0x80040005)
#define PVMD_SM_ADDHOST ((int)0x80040006)
#define PVMD_SM_DELHOST ((int)0x80040007)
#define PVMD_SM_NOTIFY ((int)0x8004000a)
#define PVMD_SM_SCHED ((int)0x8004000e)
#define PVMD_SM_EXEC ((int)0x80040002)
#define PVMD_SM_EXECACK ((int)0x80040003)
#define PVMD_SM_ADD ((int)0x80040008)
#define PVMD_SM_ADDACK ((int)0x80040009)
#define PVMD_SM_HANDOFF ((int)0x8004000d)
#define PVMD_SM_HOSTX ((int)0x8004000c)

/* The registered RM's tid, or 0. */
int pvmd_rm_tid(struct pvmd *d);

/* pvm_reg_rm from c, when no other task is the RM: c's task becomes it. */
void pvmd_rm_request(struct pvmd_conn *c, uint32_t req_id);

/* A request m (req_id) from c's task: when an RM other than that task is
 * registered and m is one it decides, m is passed to it and taken (returns
 * 1: freed here, now or once answered); else 0 and m is the caller's. */
int pvmd_rm_divert(struct pvmd_conn *c, uint32_t req_id, Pvmng__Control *m);

/* A message from task connection c to dst (one whole frame: whole set):
 * the RM's answer to a request of dst's (a task of any host) is taken
 * (returns 1), and so are its SM_EXEC to another host's daemon (sent on
 * there) and its SM_ADD and SM_HANDOFF to another host's daemon, refused
 * (SM_ADDACK with PvmNotImpl); anything else is not (0). */
int pvmd_rm_message(struct pvmd_conn *c, int dst, int tag, int ctx,
                    uint32_t wid, uint32_t encoding, const uint8_t *body,
                    size_t len, int whole);

/* A request m of a task of another host (rt), forwarded here for this
 * host's RM: passed to it and taken (1), or 0 when there is no RM here
 * any more (m is the caller's). */
int pvmd_rm_divert_remote(struct pvmd *d, const struct pvmd_reply_to *rt,
                          Pvmng__Control *m);

/* A message frame from another host to this daemon (f, taken): the VM's
 * RM's SM_EXEC starts the tasks here (PVMD_ROUTE_OK); anything else is
 * dropped (PVMD_ROUTE_NONE). */
int pvmd_rm_daemon_frame(struct pvmd *d, pvmw_frame *f);

/* A message from task connection c to this daemon (one whole frame): the
 * RM's SM_EXEC is taken (returns 1): the tasks are started here, with the
 * parent it names, and SM_EXECACK answers it. Its SM_ADD and SM_HANDOFF
 * are taken and refused (SM_ADDACK with PvmNotImpl). Anything else: 0. */
int pvmd_rm_daemon_message(struct pvmd_conn *c, int tag, int ctx, uint32_t wid,
                           const uint8_t *body, size_t len);

/* Host daemon tid left the virtual machine: the RM gets SM_HOSTX. */
void pvmd_rm_host_gone(struct pvmd *d, int tid);

/* Task tid left: if it was the RM, its unanswered requests and all later
 * ones are the daemon's again; else its requests waiting on the RM go. */
void pvmd_rm_task_gone(struct pvmd *d, int tid);

#endif
