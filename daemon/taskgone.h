/* The end of a task's life in the daemon (taskgone.c). */
#ifndef PVMD_TASKGONE_H
#define PVMD_TASKGONE_H

struct pvmd_task;

/* Marks the task gone (pvm_exit, disconnect). */
void pvmd_task_set_gone(struct pvmd_task *t);
/* The task's process has exited. It is gone once everything it wrote to
 * its connection has been read and routed (at once when it has none), so
 * that no message it sent is lost and its exit is announced after them. */
void pvmd_task_exited(struct pvmd_task *t);
/* Frees the entry if nothing holds it any more: no connection, no open
 * handle. Call after dropping any of those. Returns 1 if freed. */
int pvmd_task_release(struct pvmd_task *t);

#endif
