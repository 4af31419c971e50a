/* The message mailbox (PVM 3.4's message database, inside the daemon). A
 * class is a name and its entries, kept by increasing index; an entry is a
 * message body with its encoding, the tid that stored it (the message's
 * source), its owner and the flags it was stored with.
 *
 * The rules are PVM 3.4.6's, as its daemon applies them:
 *  - put: the index asked for is the PvmMboxDirectIndex bits of the flags
 *    (pvm_putinfo) or the index pvm_insert names. With PvmMboxMultiInstance
 *    the entry takes the first free index from there up (pvm_insert's
 *    explicit index must be free: PvmDenied); without it, it replaces the
 *    entry at that index if the caller owns it or it is PvmMboxOverWritable
 *    (else PvmDenied), or takes the index if free. The answer is the index.
 *  - get: the entry at the index, or with PvmMboxFirstAvail the first at or
 *    above it (PvmNotFound when none); PvmMboxReadAndDelete deletes it too,
 *    if the caller owns it or it is overwritable (else PvmDenied). With
 *    PvmMboxWaitForInfo a get that finds nothing waits, and is tried again
 *    each time an entry of its class is stored.
 *  - delete: the entry at the index, under the same permission; the answer
 *    is the index.
 *  - an owner's exit removes its entries, except persistent ones, whose
 *    owner becomes 0; the console's reset removes those, and every entry of
 *    the tasks it kills.
 *
 * With several hosts the mailbox lives on the master daemon only; a slave
 * forwards its tasks' requests (peer_fwd.c), and waiting gets keep the
 * reply address. The mailbox is this file's alone (one daemon per process,
 * one loop). Invariants: classes hold at least one entry; indices within a
 * class are strictly increasing; mailbox.entries and mailbox.bytes count every
 * entry and body byte held. */
#include "mbox.h"

#include <pvm3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peer.h"
#include "pvmd.h"
#include "taskconn.h"
#include "tid.h"

struct mentry {
  int index;
  int owner; /* 0 once a persistent entry's owner has gone */
  int src;   /* the tid that stored it */
  int flags;
  uint32_t enc;
  uint8_t *body;
  size_t len;
};

struct mclass {
  struct mclass *next;
  char *name;
  struct mentry *v; /* by increasing index */
  int n, cap;
};

/* A pvm_recvinfo with PvmMboxWaitForInfo that found nothing yet. */
struct mwait {
  struct mwait *next;
  int tid;
  char *name;
  int index, flags;
  struct pvmd_reply_to rt;
};

static struct {
  struct mclass *head, *tail; /* in the order they were made */
  struct mwait *waits;        /* in the order they came */
  int entries;
  size_t bytes;
  int full_logged; /* a refusal for lack of room is logged once, until an
                      entry goes */
} mailbox;

/* ---- table ------------------------------------------------------------ */

static struct mclass *find_class(const char *name) {
  for (struct mclass *k = mailbox.head; k != NULL; k = k->next)
    if (strcmp(k->name, name) == 0)
      return k;
  return NULL;
}

static struct mclass *new_class(const char *name) {
  struct mclass *k = calloc(1, sizeof *k);
  if (k == NULL || (k->name = strdup(name)) == NULL) {
    free(k);
    return NULL;
  }
  if (mailbox.tail != NULL)
    mailbox.tail->next = k;
  else
    mailbox.head = k;
  mailbox.tail = k;
  return k;
}

static void free_class(struct mclass *k) {
  struct mclass **pp = &mailbox.head, *prev = NULL;
  while (*pp != k) {
    prev = *pp;
    pp = &(*pp)->next;
  }
  *pp = k->next;
  if (mailbox.tail == k)
    mailbox.tail = prev;
  for (int i = 0; i < k->n; i++) {
    mailbox.bytes -= k->v[i].len;
    free(k->v[i].body);
  }
  mailbox.entries -= k->n;
  free(k->v);
  free(k->name);
  free(k);
}

/* Removes entry i of k; k goes with its last entry. */
static void drop_entry(struct mclass *k, int i) {
  mailbox.full_logged = 0;
  mailbox.bytes -= k->v[i].len;
  mailbox.entries--;
  free(k->v[i].body);
  memmove(&k->v[i], &k->v[i + 1], (size_t)(k->n - i - 1) * sizeof *k->v);
  if (--k->n == 0)
    free_class(k);
}

/* Position of the first entry with an index >= index (k->n if none). */
static int lower_bound(const struct mclass *k, int index) {
  int lo = 0, hi = k->n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (k->v[mid].index < index)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int may_change(const struct mentry *e, int tid) {
  return (e->flags & PvmMboxOverWritable) || e->owner == tid;
}

void pvmd_mbox_free_all(void) {
  while (mailbox.head != NULL)
    free_class(mailbox.head);
  while (mailbox.waits != NULL) {
    struct mwait *w = mailbox.waits;
    mailbox.waits = w->next;
    free(w->name);
    free(w);
  }
}

/* ---- pattern ---------------------------------------------------------- */

/* Whether name[0..] starts with a match of pattern p, where '*' matches any
 * run of characters and "\*" a '*'. */
static int match_here(const char *name, const char *p) {
  for (;;) {
    if (*p == '\0')
      return 1;
    if (*p == '*') {
      while (*p == '*')
        p++;
      if (*p == '\0')
        return 1;
      for (const char *s = name; *s != '\0'; s++)
        if (match_here(s, p))
          return 1;
      return 0;
    }
    if (p[0] == '\\' && p[1] == '*')
      p++;
    if (*name == '\0' || *name != *p)
      return 0;
    name++;
    p++;
  }
}

/* PVM 3.4.6's getmboxinfo pattern: a match anywhere in the name. */
static int pattern_match(const char *name, const char *pattern) {
  for (const char *s = name;; s++) {
    if (match_here(s, pattern))
      return 1;
    if (*s == '\0')
      return 0;
  }
}

/* ---- answers ---------------------------------------------------------- */

static void reply(struct pvmd *d, const struct pvmd_reply_to *rt,
                  Pvmng__MboxReply *r) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  m.body_case = PVMNG__CONTROL__BODY_MBOX_REPLY;
  m.mbox_reply = r;
  pvmd_peer_answer(d, rt, &m);
}

static void reply_code(struct pvmd *d, const struct pvmd_reply_to *rt,
                       int code) {
  Pvmng__MboxReply r = PVMNG__MBOX_REPLY__INIT;
  r.code = code;
  reply(d, rt, &r);
}

/* ---- operations ------------------------------------------------------- */

static int do_put(int tid, const Pvmng__MboxRequest *r) {
  const char *name = r->name;
  struct mclass *k = find_class(name);
  int dind = PvmMboxDirectIndexOf(r->flags);
  int cind = r->index == -1 ? dind : r->index;
  int pos, replace = 0;
  struct mentry e;
  size_t len = r->body.len;

  if (k != NULL) {
    pos = lower_bound(k, cind);
    if (pos < k->n && k->v[pos].index == cind) {
      if (r->flags & PvmMboxMultiInstance) {
        if (r->index != -1)
          return PvmDenied; /* pvm_insert at a used index */
        while (pos < k->n && k->v[pos].index == cind) {
          if (cind == INT32_MAX)
            return PvmOutOfRes;
          cind++;
          pos++;
        }
      } else if (!may_change(&k->v[pos], tid)) {
        return PvmDenied;
      } else {
        replace = 1;
      }
    }
  }
  if (!replace && mailbox.entries >= PVMNG__MBOX_LIMIT__MBOX_ENTRIES_MAX) {
    if (!mailbox.full_logged++)
      pvmd_log(
          "mailbox: refusing an entry of class \"%s\": the virtual machine "
          "holds %d entries already (the limit)",
          name, mailbox.entries);
    return PvmOutOfRes;
  }
  if (mailbox.bytes - (replace ? k->v[pos].len : 0) + len >
      (size_t)PVMNG__MBOX_LIMIT__MBOX_BYTES_MAX) {
    if (!mailbox.full_logged++)
      pvmd_log("mailbox: refusing an entry of class \"%s\" (%zu bytes): the "
               "virtual machine would hold more than %d bytes of entries",
               name, len, PVMNG__MBOX_LIMIT__MBOX_BYTES_MAX);
    return PvmOutOfRes;
  }
  memset(&e, 0, sizeof e);
  e.index = cind;
  e.owner = tid;
  e.src = tid;
  e.flags = r->flags;
  e.enc = r->encoding;
  e.len = len;
  if ((e.body = malloc(len ? len : 1)) == NULL)
    return PvmNoMem;
  if (len > 0)
    memcpy(e.body, r->body.data, len);
  if (k == NULL) {
    if ((k = new_class(name)) == NULL) {
      free(e.body);
      return PvmNoMem;
    }
    pos = 0;
  }
  if (replace) {
    mailbox.bytes -= k->v[pos].len;
    free(k->v[pos].body);
    k->v[pos] = e;
    mailbox.bytes += len;
    return cind;
  }
  if (k->n == k->cap) {
    int cap = k->cap ? 2 * k->cap : 4;
    struct mentry *v = realloc(k->v, (size_t)cap * sizeof *v);
    if (v == NULL) {
      free(e.body);
      if (k->n == 0)
        free_class(k);
      return PvmNoMem;
    }
    k->v = v;
    k->cap = cap;
  }
  memmove(&k->v[pos + 1], &k->v[pos], (size_t)(k->n - pos) * sizeof *k->v);
  k->v[pos] = e;
  k->n++;
  mailbox.entries++;
  mailbox.bytes += len;
  return cind;
}

/* A get: answers and returns 1, or returns 0 when nothing is found and the
 * caller may wait. */
static int try_get(struct pvmd *d, const struct pvmd_reply_to *rt, int tid,
                   const char *name, int index, int flags, int may_wait) {
  Pvmng__MboxReply r = PVMNG__MBOX_REPLY__INIT;
  struct mclass *k = find_class(name);
  struct mentry *e = NULL;
  int pos = 0;

  if (k != NULL) {
    pos = lower_bound(k, index);
    if (pos < k->n && (k->v[pos].index == index || (flags & PvmMboxFirstAvail)))
      e = &k->v[pos];
  }
  if (e == NULL) {
    if (may_wait)
      return 0;
    reply_code(d, rt, PvmNotFound);
    return 1;
  }
  if ((flags & PvmMboxReadAndDelete) && !may_change(e, tid)) {
    reply_code(d, rt, PvmDenied);
    return 1;
  }
  r.code = e->index;
  r.encoding = e->enc;
  r.body.data = e->body;
  r.body.len = e->len;
  r.src = (uint32_t)e->src;
  reply(d, rt, &r);
  if (flags & PvmMboxReadAndDelete)
    drop_entry(k, pos);
  return 1;
}

static int do_delete(int tid, const char *name, int index) {
  struct mclass *k = find_class(name);
  int pos;

  if (k == NULL)
    return PvmNotFound;
  pos = lower_bound(k, index);
  if (pos == k->n || k->v[pos].index != index)
    return PvmNotFound;
  if (!may_change(&k->v[pos], tid))
    return PvmDenied;
  drop_entry(k, pos);
  return index;
}

/* Entries of class k stored: the gets waiting on it try again, in order. A
 * get that reads and deletes may leave nothing for the next. */
static void wake_waiters(struct pvmd *d, const char *name) {
  struct mwait **pp = &mailbox.waits;
  while (*pp != NULL) {
    struct mwait *w = *pp;
    if (strcmp(w->name, name) != 0 ||
        !try_get(d, &w->rt, w->tid, w->name, w->index, w->flags, 1)) {
      pp = &w->next;
      continue;
    }
    *pp = w->next;
    free(w->name);
    free(w);
  }
}

static int add_waiter(int tid, const Pvmng__MboxRequest *r,
                      const struct pvmd_reply_to *rt) {
  struct mwait *w = calloc(1, sizeof *w), **pp = &mailbox.waits;
  if (w == NULL || (w->name = strdup(r->name)) == NULL) {
    free(w);
    return PvmNoMem;
  }
  w->tid = tid;
  w->index = r->index;
  w->flags = r->flags;
  w->rt = *rt;
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = w;
  return 0;
}

static void do_list(struct pvmd *d, const struct pvmd_reply_to *rt,
                    const char *pattern) {
  Pvmng__MboxReply r = PVMNG__MBOX_REPLY__INIT;
  int nk = 0, ne = 0, ik = 0, ie = 0;

  for (struct mclass *k = mailbox.head; k != NULL; k = k->next)
    if (pattern_match(k->name, pattern)) {
      nk++;
      ne += k->n;
    }
  Pvmng__MboxClass *cl = calloc((size_t)nk + 1, sizeof *cl);
  Pvmng__MboxClass **clp = calloc((size_t)nk + 1, sizeof *clp);
  Pvmng__MboxEntry *en = calloc((size_t)ne + 1, sizeof *en);
  Pvmng__MboxEntry **enp = calloc((size_t)ne + 1, sizeof *enp);
  if (cl == NULL || clp == NULL || en == NULL || enp == NULL) {
    r.code = PvmNoMem;
  } else {
    for (struct mclass *k = mailbox.head; k != NULL; k = k->next) {
      Pvmng__MboxClass ci = PVMNG__MBOX_CLASS__INIT;
      if (!pattern_match(k->name, pattern))
        continue;
      ci.name = k->name;
      ci.n_entries = (size_t)k->n;
      ci.entries = &enp[ie];
      for (int i = 0; i < k->n; i++, ie++) {
        Pvmng__MboxEntry ei = PVMNG__MBOX_ENTRY__INIT;
        ei.index = k->v[i].index;
        ei.owner = (uint32_t)k->v[i].owner;
        ei.flags = k->v[i].flags;
        en[ie] = ei;
        enp[ie] = &en[ie];
      }
      cl[ik] = ci;
      clp[ik] = &cl[ik];
      ik++;
    }
    r.n_classes = (size_t)nk;
    r.classes = clp;
  }
  reply(d, rt, &r);
  free(cl);
  free(clp);
  free(en);
  free(enp);
}

static int in_list(const uint32_t *v, size_t n, int tid) {
  for (size_t i = 0; i < n; i++)
    if ((int)v[i] == tid)
      return 1;
  return 0;
}

/* The console's reset: entries without an owner go, and every entry of the
 * tasks it kills; name and index (if given) narrow it down. Returns how
 * many went. */
static int do_reset(const char *name, const Pvmng__MboxRequest *r) {
  struct mclass *k = mailbox.head;
  int gone = 0;

  while (k != NULL) {
    struct mclass *next = k->next;
    if (name[0] == '\0' || strcmp(k->name, name) == 0) {
      for (int i = k->n - 1; i >= 0; i--) {
        const struct mentry *e = &k->v[i];
        if (r->index >= 0 && e->index != r->index)
          continue;
        if (e->owner == 0 || in_list(r->tids, r->n_tids, e->owner)) {
          int last = k->n == 1;
          drop_entry(k, i);
          gone++;
          if (last)
            break; /* k is freed */
        }
      }
    }
    k = next;
  }
  return gone;
}

/* ---- requests --------------------------------------------------------- */

void pvmd_mbox_request(struct pvmd_conn *c, uint32_t req_id,
                       const Pvmng__MboxRequest *r) {
  struct pvmd *d = c->d;
  int tid = c->task->tid, code;
  const char *name = r->name ? r->name : "";
  struct pvmd_reply_to rtv = pvmd_peer_reply_to_of(c, req_id), *rt = &rtv;
  char tb[16];

  if (!pvmd_peer_is_master(d)) {
    pvmd_log("refusing a mailbox request for %s: this daemon is not the "
             "master, which keeps the mailbox",
             pvmw_tid_str(tid, tb, sizeof tb));
    reply_code(d, rt, PvmSysErr);
    return;
  }
  if (rt->from_host != 0 && pvmw_tid_host(tid) != rt->from_host) {
    pvmd_log("refusing a mailbox request from host %d for %s: not a task of "
             "that host",
             rt->from_host, pvmw_tid_str(tid, tb, sizeof tb));
    reply_code(d, rt, PvmBadParam);
    return;
  }
  if (r->op == PVMNG__MBOX_OP__MBOX_LIST) {
    do_list(d, rt, name);
    return;
  }
  if (r->op == PVMNG__MBOX_OP__MBOX_RESET) {
    code = do_reset(name, r);
    if (code > 0)
      pvmd_debug("mailbox: reset from %s removed %d entries", c->who, code);
    reply_code(d, rt, 0);
    return;
  }
  if (name[0] == '\0' || strlen(name) > PVMNG__MBOX_LIMIT__MBOX_NAME_MAX ||
      r->index < -1 || (r->op != PVMNG__MBOX_OP__MBOX_PUT && r->index < 0)) {
    reply_code(d, rt, PvmBadParam);
    return;
  }
  switch (r->op) {
  case PVMNG__MBOX_OP__MBOX_PUT:
    if (r->body.len > PVMNG__MBOX_LIMIT__MBOX_ENTRY_MAX ||
        (r->encoding != PvmDataDefault && r->encoding != PvmDataRaw)) {
      reply_code(d, rt, PvmBadParam);
      return;
    }
    code = do_put(tid, r);
    reply_code(d, rt, code);
    if (code >= 0)
      wake_waiters(d, name);
    return;
  case PVMNG__MBOX_OP__MBOX_GET:
    if (try_get(d, rt, tid, name, r->index, r->flags,
                (r->flags & PvmMboxWaitForInfo) != 0))
      return;
    code = add_waiter(tid, r, rt);
    if (code < 0)
      reply_code(d, rt, code);
    return;
  case PVMNG__MBOX_OP__MBOX_DELETE:
    reply_code(d, rt, do_delete(tid, name, r->index));
    return;
  default:
    reply_code(d, rt, PvmBadParam);
    return;
  }
}

/* ---- departures ------------------------------------------------------- */

/* Drops the waiting gets of the tasks `gone` selects. Each is answered
 * although its task is normally gone: a slave holds a forwarded request
 * until its answer comes. */
static void drop_waits(struct pvmd *d, int (*gone)(int tid, int arg), int arg) {
  struct mwait **pp = &mailbox.waits;
  while (*pp != NULL) {
    struct mwait *w = *pp;
    if (!gone(w->tid, arg)) {
      pp = &w->next;
      continue;
    }
    *pp = w->next;
    reply_code(d, &w->rt, PvmNotFound);
    free(w->name);
    free(w);
  }
}

/* Entries of the tasks `gone` selects: persistent ones lose their owner,
 * the others go. */
static void drop_owned(int (*gone)(int tid, int arg), int arg) {
  struct mclass *k = mailbox.head;
  while (k != NULL) {
    struct mclass *next = k->next;
    for (int i = k->n - 1; i >= 0; i--) {
      struct mentry *e = &k->v[i];
      if (e->owner == 0 || !gone(e->owner, arg))
        continue;
      if (e->flags & PvmMboxPersistent) {
        e->owner = 0;
      } else {
        int last = k->n == 1;
        drop_entry(k, i);
        if (last)
          break; /* k is freed */
      }
    }
    k = next;
  }
}

static int is_tid(int tid, int arg) { return tid == arg; }
static int on_host(int tid, int arg) { return pvmw_tid_host(tid) == arg; }

void pvmd_mbox_task_gone(struct pvmd *d, int tid) {
  drop_waits(d, is_tid, tid);
  drop_owned(is_tid, tid);
}

void pvmd_mbox_host_gone(struct pvmd *d, int host_no) {
  drop_waits(d, on_host, host_no);
  drop_owned(on_host, host_no);
}
