/* The task table: a fixed array of hash buckets sized from the task limit
 * (no rehashing on the message path) plus a list in creation order for
 * pvm_tasks. Tid allocation walks the local-part space round robin, so a
 * freed tid is reused as late as possible. */
#include "tasktab.h"

#include <pvm3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvmd.h"
#include "tid.h"

#define TASK_NAME_MAX 255

static unsigned hash_tid(const struct pvmd_tasks *ts, int tid) {
  uint32_t x = (uint32_t)tid * 2654435761u;
  return (x >> 8) & (ts->nbuckets - 1);
}

int pvmd_tasks_init(struct pvmd_tasks *ts, struct pvmd *d, int host_no,
                    int max) {
  unsigned n = 64;
  memset(ts, 0, sizeof *ts);
  while (n < (unsigned)max / 2 && n < (1u << 20))
    n <<= 1;
  ts->buckets = calloc(n, sizeof *ts->buckets);
  if (!ts->buckets)
    return -1;
  ts->nbuckets = n;
  ts->d = d;
  ts->host_no = host_no;
  ts->max = max;
  ts->next_local = 1;
  pvmd_list_init(&ts->all);
  return 0;
}

void pvmd_tasks_free(struct pvmd_tasks *ts) {
  free(ts->buckets);
  ts->buckets = NULL;
  ts->nbuckets = 0;
}

struct pvmd_task *pvmd_task_find(const struct pvmd_tasks *ts, int tid) {
  struct pvmd_task *t;
  if (!ts->buckets)
    return NULL;
  for (t = ts->buckets[hash_tid(ts, tid)]; t; t = t->hnext)
    if (t->tid == tid)
      return t;
  return NULL;
}

struct pvmd_task *pvmd_task_live(const struct pvmd_tasks *ts, int tid) {
  struct pvmd_task *t = pvmd_task_find(ts, tid);
  return t && !t->gone ? t : NULL;
}

/* Next free tid, or 0 when every local part is taken. */
static int alloc_tid(struct pvmd_tasks *ts) {
  for (int tries = 0; tries < PVMW_TID_MAX_LOCAL; tries++) {
    int local = ts->next_local;
    int tid = pvmw_tid_make(ts->host_no, local);
    ts->next_local = local >= PVMW_TID_MAX_LOCAL ? 1 : local + 1;
    if (!pvmd_task_find(ts, tid))
      return tid;
  }
  return 0;
}

struct pvmd_task *pvmd_task_new(struct pvmd_tasks *ts, int *err) {
  struct pvmd_task *t;
  unsigned b;
  int tid;

  if (ts->count >= ts->max || !(tid = alloc_tid(ts))) {
    *err = PvmOutOfRes;
    return NULL;
  }
  t = calloc(1, sizeof *t);
  if (!t) {
    *err = PvmNoMem;
    return NULL;
  }
  t->d = ts->d;
  t->ts = ts;
  t->tid = tid;
  for (int i = 0; i < 2; i++)
    t->out[i].task = t;
  pvmd_list_init(&t->held);
  pvmd_list_init(&t->held_waiters);
  b = hash_tid(ts, tid);
  t->hnext = ts->buckets[b];
  ts->buckets[b] = t;
  pvmd_list_add_tail(&ts->all, &t->node);
  ts->count++;
  if (ts->d)
    ts->d->st.tasks_cur = (uint64_t)ts->count;
  return t;
}

void pvmd_task_set_name(struct pvmd_task *t, const char *name) {
  size_t n = strnlen(name, TASK_NAME_MAX);
  char *s = malloc(n + 1);
  if (!s)
    return; /* keep the old name: only ps output suffers */
  memcpy(s, name, n);
  s[n] = '\0';
  free(t->name);
  t->name = s;
}

void pvmd_tasks_unlink(struct pvmd_tasks *ts, struct pvmd_task *t) {
  struct pvmd_task **pp = &ts->buckets[hash_tid(ts, t->tid)];
  while (*pp && *pp != t)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = t->hnext;
  pvmd_list_remove(&t->node);
  ts->count--;
}
