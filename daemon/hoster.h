/* Slave daemon starters (pvm_reg_hoster): a task on the master's host
 * that starts the daemons of the hosts being added, as PVM 3.4 defines it.
 * The master sends it SM_STHOST (nhosts, then for each: the host's tid,
 * its so= option, "[login@]host" and the command to run there) in
 * PvmDataDefault; the hoster runs each command and answers SM_STHOSTACK
 * (for each: the tid and the result, a line from the new daemon or the
 * name of a PVM error such as "PvmCantStart"). The daemon started that way
 * joins by itself, with the certificate the master issued into the shared
 * certificate directory (as for so=ms). One hoster; it ends with its
 * task. */
#ifndef PVMD_HOSTER_H
#define PVMD_HOSTER_H

#include <stddef.h>
#include <stdint.h>

struct pvmd;
struct pvmd_conn;
struct pvmd_add;

/* PVM 3.4's tags of these messages (pvmproto.h). */
#define PVMD_SM_STHOST ((int)0x8004000f)
#define PVMD_SM_STHOSTACK ((int)0x80040010)

/* pvm_reg_hoster from c: PvmHostrNMstr unless this daemon is the master
 * (or alone), PvmAlready when another task is the hoster. */
void pvmd_hoster_request(struct pvmd_conn *c, uint32_t req_id);

/* The registered hoster's tid, or 0. */
int pvmd_hoster_tid(struct pvmd *d);

/* Asks the hoster to start the daemon of add a with cmd. Returns 0 or a
 * PVM error. */
int pvmd_hoster_start(struct pvmd *d, struct pvmd_add *a, const char *so,
                      const char *login, const char *cmd);

/* A message to the daemon itself from task connection c: SM_STHOSTACK from
 * the hoster is taken (returns 1); anything else is not (0). */
int pvmd_hoster_message(struct pvmd_conn *c, int tag, const uint8_t *body,
                        size_t len);

/* Task tid left: if it was the hoster, there is none any more. */
void pvmd_hoster_task_gone(struct pvmd *d, int tid);

#endif
