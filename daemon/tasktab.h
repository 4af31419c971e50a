/* The task table: every task this daemon knows, keyed by tid. An entry is
 * made when a task is spawned (state "starting") or says hello, and lives
 * until its process has exited, its connection is closed and its output
 * pipes are drained. A task that called pvm_exit or disconnected is "gone":
 * no longer listed or reachable, but its tid stays reserved until the entry
 * is freed, so a late message can never reach a new task under an old tid. */
#ifndef PVMD_TASKTAB_H
#define PVMD_TASKTAB_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "flow.h"
#include "list.h"

struct pvmd;
struct pvmd_conn;

/* Flag bits reported by pvm_tasks (PVM 3.4's task flags). */
enum {
  PVMD_TF_FORKD = 0x2,
  PVMD_TF_CONN = 0x4,
  PVMD_TF_RM = 0x100,     /* the host's resource manager (rm.c) */
  PVMD_TF_HOSTER = 0x200, /* the hoster (hoster.c) */
  PVMD_TF_TASKER = 0x400  /* the host's tasker (tasker.c) */
};

/* One output stream (stdout or stderr) of a spawned task. */
struct pvmd_outpipe {
  uv_pipe_t pipe;
  struct pvmd_task *task;
  int open;   /* handle initialised, close not yet completed */
  int eof;    /* no more bytes will come */
  char *line; /* partial line, lim.out_line_max bytes */
  size_t len;
  struct pvmd_waiter wait; /* parked while out_tid's queue is full */
};

struct pvmd_tasks;

struct pvmd_task {
  struct pvmd *d;        /* NULL in unit tests */
  struct pvmd_tasks *ts; /* the table holding it */
  int tid;
  int ptid;               /* parent tid, 0 if none */
  pid_t pid;              /* spawned: the child; connected: SO_PEERCRED */
  int flags;              /* PVMD_TF_* */
  char *name;             /* executable base name, or hello's name */
  struct pvmd_conn *conn; /* its connection, NULL when not connected */
  unsigned spawned : 1;   /* started by this daemon */
  unsigned running : 1;   /* spawned and no exit seen yet */
  unsigned connected : 1; /* has said hello at some point */
  unsigned gone : 1;      /* pvm_exit or disconnected */
  unsigned exited : 1;    /* exited before its socket was read to the end */
  unsigned halt_signaled : 1;
  unsigned no_reset : 1;          /* pvm_setopt(PvmNoReset) */
  unsigned by_tasker : 1;         /* started by the host's tasker (tasker.c):
                                     no process handle here */
  unsigned by_rm : 1;             /* started for the resource manager
                                     (SM_EXEC, rm.c): it hears the exit */
  int out_tid, out_code, out_ctx; /* output redirection from the spawn */
  uv_process_t proc;
  struct pvmd_outpipe out[2];
  int handles_open;      /* libuv handles whose close is pending */
  struct pvmd_list held; /* frames sent to it before it connected */
  size_t held_bytes;
  struct pvmd_list held_waiters; /* producers paused on a full hold */
  int exit_status, term_signal;
  struct pvmd_task *hnext; /* hash chain */
  struct pvmd_list node;   /* pvmd_tasks.all, creation order */
};

struct pvmd_tasks {
  struct pvmd *d;
  struct pvmd_task **buckets;
  unsigned nbuckets; /* power of two */
  int count;         /* entries, every state */
  int max;           /* limit on count */
  int host_no;
  int next_local; /* next local part to try */
  struct pvmd_list all;
};

int pvmd_tasks_init(struct pvmd_tasks *ts, struct pvmd *d, int host_no,
                    int max);
/* Frees the table itself; entries must all have been released. */
void pvmd_tasks_free(struct pvmd_tasks *ts);

/* Makes a new entry with a fresh tid: local parts are handed out in turn
 * from 1, wrapping at PVMW_TID_MAX_LOCAL and skipping tids in use. Returns
 * NULL with *err = PvmOutOfRes (table full) or PvmNoMem. */
struct pvmd_task *pvmd_task_new(struct pvmd_tasks *ts, int *err);
/* Any entry, gone or not. */
struct pvmd_task *pvmd_task_find(const struct pvmd_tasks *ts, int tid);
/* A task that counts as existing: not gone. */
struct pvmd_task *pvmd_task_live(const struct pvmd_tasks *ts, int tid);
/* Replaces the entry's name (copied; at most 255 bytes kept). */
void pvmd_task_set_name(struct pvmd_task *t, const char *name);
/* Takes t out of the table (taskgone.c frees it). */
void pvmd_tasks_unlink(struct pvmd_tasks *ts, struct pvmd_task *t);

#endif
