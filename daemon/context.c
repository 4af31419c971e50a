/* Message contexts handed out by the daemon (context.h): a small table of
 * the contexts in use on this host, their owners, and the next number. */
#include "context.h"

#include <pvm3.h>
#include <stdlib.h>

#include "pvmd.h"
#include "reply.h"
#include "taskconn.h"

#define CTX_NUM_MASK 0x3ffffu /* the number below the host part */

static struct pvmd_context *find(struct pvmd_contexts *cs, int ctx) {
  for (size_t i = 0; i < cs->n; i++)
    if (cs->v[i].ctx == ctx)
      return &cs->v[i];
  return NULL;
}

int pvmd_context_new(struct pvmd *d, int tid) {
  struct pvmd_contexts *cs = &d->contexts;
  int host = d->tid & ~(int)CTX_NUM_MASK, ctx;

  if (cs->n >= PVMD_CONTEXT_MAX)
    return PvmOutOfRes;
  if (cs->n == cs->cap) {
    size_t cap = cs->cap ? 2 * cs->cap : 16;
    struct pvmd_context *v = realloc(cs->v, cap * sizeof *v);
    if (v == NULL)
      return PvmNoMem;
    cs->v = v;
    cs->cap = cap;
  }
  /* At most PVMD_CONTEXT_MAX numbers are in use, far fewer than 2^18 - 1:
   * a free one is found. */
  do {
    if (cs->next == 0 || cs->next > CTX_NUM_MASK)
      cs->next = 1;
    ctx = host | (int)cs->next++;
  } while (find(cs, ctx) != NULL);
  cs->v[cs->n].ctx = ctx;
  cs->v[cs->n].owner = tid;
  cs->n++;
  return ctx;
}

int pvmd_context_free(struct pvmd *d, int ctx) {
  struct pvmd_contexts *cs = &d->contexts;
  struct pvmd_context *e = find(cs, ctx);
  if (e == NULL)
    return PvmNotFound;
  *e = cs->v[--cs->n];
  return 0;
}

void pvmd_context_task_gone(struct pvmd *d, int tid) {
  struct pvmd_contexts *cs = &d->contexts;
  for (size_t i = 0; i < cs->n;)
    if (cs->v[i].owner == tid)
      cs->v[i] = cs->v[--cs->n];
    else
      i++;
}

void pvmd_context_free_all(struct pvmd *d) {
  free(d->contexts.v);
  d->contexts.v = NULL;
  d->contexts.n = d->contexts.cap = 0;
}

void pvmd_context_request(struct pvmd_conn *c, uint32_t req_id,
                          const Pvmng__ContextRequest *r) {
  int rc;
  if (r->free_ctx)
    rc = pvmd_context_free(c->d, (int)r->ctx);
  else
    rc = pvmd_context_new(c->d, c->task->tid);
  if (rc < 0)
    pvmd_reply_status(c, req_id, rc, 0, NULL);
  else
    pvmd_reply_status(c, req_id, 0, rc, NULL);
}
