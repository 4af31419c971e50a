/* Backpressure between producers and a destination connection. A producer
 * (a sending connection, or a task's output pipe) that finds a destination's
 * write queue above the high-water mark stops reading its own input and
 * parks a waiter on the destination; when the destination drains below the
 * low-water mark, or closes, every parked waiter is resumed. */
#ifndef PVMD_FLOW_H
#define PVMD_FLOW_H

#include "list.h"

struct pvmd_waiter {
  struct pvmd_list node;                 /* on the destination's list */
  void (*resume)(struct pvmd_waiter *w); /* restart reading */
};

static inline void pvmd_waiter_init(struct pvmd_waiter *w,
                                    void (*resume)(struct pvmd_waiter *)) {
  pvmd_list_init(&w->node);
  w->resume = resume;
}
static inline int pvmd_waiter_parked(const struct pvmd_waiter *w) {
  return pvmd_list_linked(&w->node);
}
/* Parks w on a destination's waiter list (no-op when already parked). */
static inline void pvmd_waiter_park(struct pvmd_list *dst_waiters,
                                    struct pvmd_waiter *w) {
  if (!pvmd_waiter_parked(w))
    pvmd_list_add_tail(dst_waiters, &w->node);
}
/* Unparks w without resuming it (the producer is going away). */
static inline void pvmd_waiter_cancel(struct pvmd_waiter *w) {
  pvmd_list_remove(&w->node);
}
/* Resumes every waiter parked on list. A resumed producer may park again
 * on another list; it is unlinked before its callback runs. */
static inline void pvmd_waiters_wake(struct pvmd_list *list) {
  while (!pvmd_list_empty(list)) {
    struct pvmd_waiter *w =
        pvmd_container_of(list->next, struct pvmd_waiter, node);
    pvmd_list_remove(&w->node);
    w->resume(w);
  }
}

#endif
