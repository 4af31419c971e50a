/* Message routing: a message frame from a task goes, unchanged, to the
 * connection of its destination. Frames for a task that was spawned but has
 * not connected yet are held and flushed, in order, when it says hello.
 * Destinations on other hosts go to the peer link toward that host. */
#ifndef PVMD_MSGROUTE_H
#define PVMD_MSGROUTE_H

#include "flow.h"
#include "frame.h"

struct pvmd;
struct pvmd_conn;
struct pvmd_task;

enum pvmd_route_result {
  PVMD_ROUTE_OK = 0,    /* queued to the destination */
  PVMD_ROUTE_FULL = 1,  /* queued, but the destination is above its
                           high-water mark: the producer is parked and must
                           stop reading until resumed */
  PVMD_ROUTE_NONE = -1, /* no such destination: the frame was freed */
  PVMD_ROUTE_NOMEM = -2 /* no memory to queue it: the frame was freed */
};

/* A message frame read from c. Takes f. Checks the header (src must be c's
 * tid) and forwards it; a violation closes c. */
void pvmd_route_message(struct pvmd_conn *c, pvmw_frame *f);

/* Delivers f to local task dst. Takes f. producer, if not NULL, is parked
 * when the destination is congested. */
int pvmd_route_deliver(struct pvmd *d, int dst, pvmw_frame *f,
                       struct pvmd_waiter *producer);

/* A message c was sending is cut short (its connection is ending, or a
 * fragment found no memory): the destination is told to drop what it holds
 * of it (PVMW_MF_ABORT). */
void pvmd_route_abort_partial(struct pvmd_conn *c);

/* The connection of a live, connected local task, or NULL. */
struct pvmd_conn *pvmd_route_conn(struct pvmd *d, int tid);

/* Sends t's held frames to its connection, then resumes paused producers. */
void pvmd_route_flush_held(struct pvmd_task *t);
/* Frees t's held frames (it went away before connecting). */
void pvmd_route_drop_held(struct pvmd_task *t);

#endif
