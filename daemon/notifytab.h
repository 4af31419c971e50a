/* Notification (pvm_notify): tasks ask to be told when a task exits or a
 * host is deleted or added. Requests are kept per watcher until they fire
 * (then they are gone: each fires exactly once) or are cancelled, and are
 * dropped when the watcher itself goes. */
#ifndef PVMD_NOTIFYTAB_H
#define PVMD_NOTIFYTAB_H

#include <stdint.h>

#include "pvm.pb-c.h"

struct pvmd;
struct pvmd_conn;

/* Handles a NotifyRequest from c; replies with a status. */
void pvmd_notify_request(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__NotifyRequest *r);
/* Task tid has left the virtual machine: fire PvmTaskExit requests that
 * watch it and drop the requests it made. */
void pvmd_notify_task_gone(struct pvmd *d, int tid);
/* The host table changed (a host joined or left): fire PvmHostAdd for the
 * new daemons, PvmHostDelete for the ones gone and PvmTaskExit for the
 * watched tasks that were on them. The first call records the table. */
void pvmd_notify_hosts_changed(struct pvmd *d);
/* A task on another host left: fire the PvmTaskExit requests that watch
 * it (they stay registered here until then). */
void pvmd_notify_remote_task_gone(struct pvmd *d, int tid);
/* Frees every request (at exit). */
void pvmd_notify_free_all(struct pvmd *d);

#endif
