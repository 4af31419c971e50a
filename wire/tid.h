/* Task identifiers, in PVM 3's 32-bit layout: host number in bits 18..29,
 * local part in bits 0..17. A daemon's tid is its host part alone. */
#ifndef PVMW_TID_H
#define PVMW_TID_H

#include <stddef.h>

#define PVMW_TID_HOST_SHIFT 18
#define PVMW_TID_HOST_MASK 0x3ffc0000
#define PVMW_TID_LOCAL_MASK 0x0003ffff
#define PVMW_TID_MAX_HOST 4095
#define PVMW_TID_MAX_LOCAL 0x3ffff

static inline int pvmw_tid_host(int tid) {
  return (tid & PVMW_TID_HOST_MASK) >> PVMW_TID_HOST_SHIFT;
}
static inline int pvmw_tid_local(int tid) { return tid & PVMW_TID_LOCAL_MASK; }
static inline int pvmw_tid_make(int host, int local) {
  return (host << PVMW_TID_HOST_SHIFT) | (local & PVMW_TID_LOCAL_MASK);
}
/* The tid of the daemon on the host that tid lives on. */
static inline int pvmw_tid_daemon(int tid) { return tid & PVMW_TID_HOST_MASK; }
/* A task tid: positive, top bits clear, nonzero host and local parts. */
static inline int pvmw_tid_is_task(int tid) {
  return tid > 0 && (tid & ~(PVMW_TID_HOST_MASK | PVMW_TID_LOCAL_MASK)) == 0 &&
         pvmw_tid_host(tid) != 0 && pvmw_tid_local(tid) != 0;
}
static inline int pvmw_tid_is_daemon(int tid) {
  return tid > 0 && (tid & ~PVMW_TID_HOST_MASK) == 0;
}

/* Formats tid as PVM prints it ("t40001"); returns buf. */
char *pvmw_tid_str(int tid, char *buf, size_t len);
/* Parses "t40001", "40001" or "0x40001"; returns 0 and sets *tid, or -1. */
int pvmw_tid_parse(const char *s, int *tid);

#endif
