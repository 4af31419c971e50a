/* What daemon/rm.c and daemon/rm_exec.c share: the PvmDataDefault bodies
 * of the SM_* messages, written and read one item at a time with every
 * length checked (wire/xdr.h's format), and the sending of a message from
 * the daemon to its resource manager. Internal to the daemon. */
#ifndef PVMD_RM_INT_H
#define PVMD_RM_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xdr.h"

struct pvmd;
struct pvmd_conn;

/* Bound on the tasks or hosts one SM_* message may name. */
#define RM_MAX_HOSTS 4096

/* A PvmDataDefault body being written; err once out of memory. */
struct obuf {
  uint8_t *p;
  size_t len, cap;
  int err;
};

static inline uint8_t *rm_room(struct obuf *o, size_t n) {
  if (o->err)
    return NULL;
  if (o->cap - o->len < n) {
    size_t cap = o->cap ? o->cap : 256;
    uint8_t *np;
    while (cap - o->len < n)
      cap *= 2;
    if ((np = realloc(o->p, cap)) == NULL) {
      o->err = 1;
      return NULL;
    }
    o->p = np;
    o->cap = cap;
  }
  o->len += n;
  return o->p + o->len - n;
}

static inline void put_int(struct obuf *o, int v) {
  uint8_t *p = rm_room(o, PVMW_XDR_INT_ITEM);
  if (p)
    pvmw_xdr_put_int(p, v);
}

static inline void put_str(struct obuf *o, const char *s) {
  uint8_t *p = rm_room(o, pvmw_xdr_str_size(s ? s : ""));
  if (p)
    pvmw_xdr_put_str(p, s ? s : "");
}

/* n ints in one item, as pvm_pkint(v, n, 1) packs them. */
static inline void put_ints(struct obuf *o, const uint32_t *v, size_t n) {
  uint8_t *p;
  if (n == 0)
    return;
  if ((p = rm_room(o, PVMW_XDR_ITEM_HDR + 4 * n)) == NULL)
    return;
  pvmw_xdr_item(p, PVMW_XT_INT, (uint32_t)n);
  for (size_t i = 0; i < n; i++)
    pvmw_put_be32(p + PVMW_XDR_ITEM_HDR + 4 * i, v[i]);
}

/* A PvmDataDefault body being read: ints may come one per item or several
 * in one (left: those still to take of the current INT item). */
struct rd {
  const uint8_t *b;
  size_t len, pos;
  uint32_t left;
};

static inline int rd_int(struct rd *r, int *v) {
  while (r->left == 0) {
    uint32_t count;
    if (r->len - r->pos < PVMW_XDR_ITEM_HDR ||
        pvmw_get_be32(r->b + r->pos) != PVMW_XT_INT)
      return -1;
    count = pvmw_get_be32(r->b + r->pos + 4);
    if ((r->len - r->pos - PVMW_XDR_ITEM_HDR) / 4 < count)
      return -1;
    r->pos += PVMW_XDR_ITEM_HDR;
    r->left = count;
  }
  *v = (int)pvmw_get_be32(r->b + r->pos);
  r->pos += 4;
  r->left--;
  return 0;
}

static inline int rd_str(struct rd *r, const char **s) {
  if (r->left != 0)
    return -1;
  return pvmw_xdr_get_str(r->b, r->len, &r->pos, s);
}

static inline int rd_end(const struct rd *r) {
  return r->left == 0 && r->pos == r->len;
}

/* Sends the RM (rm) a message from this daemon (tag, context, wait id)
 * with body o; takes o's bytes. 0, or -1 when it could not be sent. */
int pvmd_rm_send(struct pvmd *d, int rm, int tag, int ctx, uint32_t wid,
                 struct obuf *o);

/* Refuses what PVM-NG's daemons do not carry out for an RM (rm_exec.c). */
void pvmd_rm_refuse(struct pvmd_conn *c, int dst, int tag, int ctx,
                    uint32_t wid, const uint8_t *body, size_t len);

/* The RM (c's task) sent SM_EXEC to the daemon dst of another host: it
 * travels there (pvmd_rm_daemon_frame); an unknown host is answered
 * SM_EXECACK with PvmNoHost. Returns 1. */
int pvmd_rm_exec_elsewhere(struct pvmd_conn *c, int dst, int ctx, uint32_t wid,
                           const uint8_t *body, size_t len);

/* Task tid left: if the RM had it started (SM_EXEC), SM_TASKX tells it
 * (rm_exec.c). */
void pvmd_rm_task_exit(struct pvmd *d, int tid);

#endif
