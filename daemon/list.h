/* Intrusive doubly linked lists for the daemon's tables: a node lives inside
 * the object it links, so linking and unlinking never allocate. An empty list
 * is a head whose prev and next point at itself. */
#ifndef PVMD_LIST_H
#define PVMD_LIST_H

#include <stddef.h>

struct pvmd_list {
  struct pvmd_list *prev, *next;
};

static inline void pvmd_list_init(struct pvmd_list *h) {
  h->prev = h->next = h;
}
static inline int pvmd_list_empty(const struct pvmd_list *h) {
  return h->next == h;
}
/* A node that is not on any list points at itself (after init or remove). */
static inline int pvmd_list_linked(const struct pvmd_list *n) {
  return n->next != n && n->next != NULL;
}
static inline void pvmd_list_add_tail(struct pvmd_list *h,
                                      struct pvmd_list *n) {
  n->prev = h->prev;
  n->next = h;
  h->prev->next = n;
  h->prev = n;
}
static inline void pvmd_list_remove(struct pvmd_list *n) {
  if (!pvmd_list_linked(n))
    return;
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = n;
}

#define pvmd_container_of(ptr, type, member)                                   \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Iterates a list while allowing the current node to be removed. */
#define pvmd_list_each_safe(pos, tmp, head)                                    \
  for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);             \
       (pos) = (tmp), (tmp) = (pos)->next)

#endif
