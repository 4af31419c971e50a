/* Task starters (pvm_reg_tasker): a task of this host that starts the
 * tasks the daemon is asked to spawn here, as PVM 3.4 defines it. The
 * daemon sends it SM_STTASK (tid, flags, path, argc, argv with the path
 * first, nenv, env) in PvmDataDefault; the task started connects by itself
 * (PVMNG_TID in its environment names its tid); the tasker sends SM_TASKX
 * (tid, wait status, user and system time) to the daemon when the task
 * exits or could not be started. One tasker per host; it ends with its
 * task. */
#ifndef PVMD_TASKER_H
#define PVMD_TASKER_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct pvmd;
struct pvmd_conn;
struct pvmd_task;

/* PVM 3.4's tags of these messages (pvmproto.h). */
#define PVMD_SM_STTASK ((int)0x80040011)
#define PVMD_SM_TASKX ((int)0x8004000b)

/* pvm_reg_tasker from c: PvmAlready when another task is the tasker. */
void pvmd_tasker_request(struct pvmd_conn *c, uint32_t req_id);

/* The registered tasker's tid, or 0. */
int pvmd_tasker_tid(struct pvmd *d);

/* Asks the tasker to start t (pvm_spawn's flags, the program's path, its
 * arguments after argv[0], and the NULL-terminated environment env).
 * Returns 0, or a PVM error. */
int pvmd_tasker_start(struct pvmd *d, struct pvmd_task *t, int spawn_flags,
                      const char *path, char *const *argv, size_t nargv,
                      char *const *env);

/* A message to the daemon itself from task connection c: SM_TASKX from the
 * tasker is taken (returns 1); anything else is not (0). */
int pvmd_tasker_message(struct pvmd_conn *c, int tag, const uint8_t *body,
                        size_t len);

/* Task tid left: if it was the tasker, there is none any more. */
void pvmd_tasker_task_gone(struct pvmd *d, int tid);

#endif
