/* The end of a task's life in the daemon: it leaves the machine once
 * (every subsystem that holds something for it hears of it here: held
 * frames, watchers, groups, the mailbox, contexts, tasker, hoster, the
 * resource manager), and its entry is freed once nothing holds it. Apart
 * from the table (tasktab.c) so that the table depends on nothing and the
 * subsystems that use it do not come back to it through this fan-out. */
#include "taskgone.h"

#include "groupreg.h"
#include "hoster.h"
#include "mbox.h"
#include "msgroute.h"
#include "notifytab.h"
#include "pvmd.h"
#include "rm.h"
#include "taskconn.h"
#include "tasker.h"

#include <stdlib.h>
#include <unistd.h>

/* Removes the socket a task listens on for direct links: its library does
 * so at pvm_exit, but a task that ends any other way leaves it behind. The
 * tid stays reserved until the entry is freed, so no new task has bound
 * this path yet. */
static void unlink_task_socket(struct pvmd_task *t) {
  char path[sizeof t->d->sock_path + 16];
  if (pvmw_task_sock_path(t->d->sock_path, t->tid, path, sizeof path) == 0)
    unlink(path);
}

void pvmd_task_set_gone(struct pvmd_task *t) {
  int was_gone = t->gone;
  t->gone = 1;
  pvmd_route_drop_held(t);
  if (!was_gone && t->d != NULL)
    unlink_task_socket(t);
  /* Watchers learn of the exit once, when the task leaves the machine. */
  if (!was_gone && t->d != NULL)
    pvmd_notify_task_gone(t->d, t->tid);
  /* ... and its groups (PVM: a task that exits leaves them). */
  if (!was_gone && t->d != NULL)
    pvmd_group_task_gone(t->d, t->tid);
  /* ... and its mailbox entries that are not persistent, and its contexts. */
  if (!was_gone && t->d != NULL) {
    pvmd_mbox_task_gone(t->d, t->tid);
    pvmd_context_task_gone(t->d, t->tid);
    pvmd_tasker_task_gone(t->d, t->tid);
    pvmd_hoster_task_gone(t->d, t->tid);
    pvmd_rm_task_gone(t->d, t->tid);
  }
}

void pvmd_task_exited(struct pvmd_task *t) {
  struct pvmd_conn *c = t->conn;
  if (t->gone)
    return;
  if (c && c->state == PVMD_CONN_TASK && !c->flush_close) {
    /* Its last frames may still be in the socket: the exit counts once
     * they are read (or the connection ends). */
    t->exited = 1;
    pvmd_conn_check_end(c);
    return;
  }
  pvmd_task_set_gone(t);
}

int pvmd_task_release(struct pvmd_task *t) {
  struct pvmd *d = t->d;
  if (t->conn || t->handles_open > 0)
    return 0;
  pvmd_route_drop_held(t);
  pvmd_tasks_unlink(t->ts, t);
  if (d)
    d->st.tasks_cur = (uint64_t)t->ts->count;
  for (int i = 0; i < 2; i++)
    free(t->out[i].line);
  free(t->name);
  free(t);
  if (d)
    pvmd_halt_check(d);
  return 1;
}
