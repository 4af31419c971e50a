/* The group registry: PVM's dynamic groups, kept by the daemon. Each group
 * maps instance numbers to member tids, carries a version that grows with
 * every change, and holds the requests that wait on it (freeze, barriers
 * arbitrated here). Members hear of every change by a notice message, so
 * their libraries keep a fresh copy for the collectives, which run between
 * the tasks themselves. With several hosts the registry lives on the master
 * daemon; the others forward their tasks' requests to it and deliver its
 * notices (see docs/groups.md). */
#ifndef PVMD_GROUPREG_H
#define PVMD_GROUPREG_H

#include <stdint.h>

#include "frame.h"

struct pvmd;
struct pvmd_conn;

/* Limits on what a task may ask for. */
#define PVMD_GROUP_NAME_MAX 255
#define PVMD_GROUP_MAX_INST 65536

/* A GroupRequest from c (request.c dispatches it). Replies now, or later for
 * the requests that wait (freeze, registry barriers). */
void pvmd_group_request(struct pvmd_conn *c, uint32_t req_id,
                        const Pvmng__GroupRequest *r);

/* Task tid left the virtual machine: it leaves every group it was in, and
 * requests it had waiting are dropped. */
void pvmd_group_task_gone(struct pvmd *d, int tid);

/* Host host_no left the virtual machine (master): each of its tasks leaves
 * every group it was in, as if it had exited. */
void pvmd_group_host_gone(struct pvmd *d, int host_no);

/* Frees every group (at daemon exit). */
void pvmd_group_free_all(void);

#endif
