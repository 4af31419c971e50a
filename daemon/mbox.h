/* The message mailbox (pvm_putinfo, pvm_recvinfo, pvm_delinfo,
 * pvm_getmboxinfo and PVM 3.3's pvm_insert/lookup/delete), kept by the
 * daemon. Entries are message bodies stored under <class name, index> with
 * their owner and flags; a task's entries go when it exits, unless
 * persistent. With several hosts the mailbox lives on the master daemon;
 * the others forward their tasks' requests to it (peer_fwd.c), as they do
 * for the group registry. */
#ifndef PVMD_MBOX_H
#define PVMD_MBOX_H

#include <stdint.h>

#include "frame.h"

struct pvmd;
struct pvmd_conn;

/* An MboxRequest from c (request.c dispatches it). Replies now, or later
 * for a pvm_recvinfo with PvmMboxWaitForInfo that finds nothing yet. */
void pvmd_mbox_request(struct pvmd_conn *c, uint32_t req_id,
                       const Pvmng__MboxRequest *r);

/* Task tid left the virtual machine: its entries go, except persistent
 * ones, which lose their owner; its waiting requests are dropped. */
void pvmd_mbox_task_gone(struct pvmd *d, int tid);

/* Host host_no left the virtual machine (master): as if each of its tasks
 * had exited. */
void pvmd_mbox_host_gone(struct pvmd *d, int host_no);

/* Frees every entry and waiting request (at daemon exit). */
void pvmd_mbox_free_all(void);

#endif
