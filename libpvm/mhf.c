/* Message handlers: pvm_addmhf and pvm_delmhf. A handler names a
 * (source, tag, context) pattern, -1 in a field matching anything, and a
 * function. A message is offered to the handlers when a library call first
 * reaches it: a receive call offers the queued messages it looks at, in
 * arrival order, up to the one it takes (lpvm_mhf_examine, from msg.c's
 * search); a send call offers all of them (lpvm_mhf_examine_all). One that
 * a handler matches leaves the queue and its handler runs at the next safe
 * point of a library call (lpvm_mhf_run), never inside a libuv callback or
 * halfway through a write. This is when PVM 3.4.6 looks at a message ("when
 * libpvm copies in a message"): it reads a task's socket as far as the call
 * it is in needs, so a handler added after one receive sees the messages
 * sent after the one received, even if they had arrived already (PVM
 * 3.4.6's mhf_server example relies on it). A message offered once, with
 * no handler matching, stays in the queue for the receive calls whatever
 * handler is added later.
 *
 * Around the call, as PVM 3.4.6 does: the message is the active receive
 * buffer and there is no active send buffer; afterwards the buffers active
 * when the handler returns are freed (the message itself, unless the
 * handler made another buffer active or freed it) and the caller's send and
 * receive buffers are active again. Two handlers whose patterns overlap
 * (equal or wildcard in every field) cannot coexist: pvm_addmhf answers
 * PvmExists, so at most one handler matches a message. */
#include <stdlib.h>

#include <stdio.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"

struct handler {
  int used;
  int src, tag, ctx;
  int (*func)(int mid);
};

/* A message taken for a handler, waiting for the next safe point. */
struct pending {
  struct pending *next;
  int mhid, bufid, src, tag, ctx;
};

/* Handler ids index the table; an id is reused once deleted. */
#define MHF_MAX 4096

static struct {
  struct handler *v;
  int n;   /* slots allocated */
  int cnt; /* slots used */
  struct pending *head, **tail;
  int running; /* a handler is executing: no nested runs */
} mhf;

static int field_match(int want, int have) {
  return want == -1 || want == have;
}

static int overlap(int a, int b) { return a == -1 || b == -1 || a == b; }

int pvm_addmhf(int src, int tag, int ctx, int (*func)(int mid)) {
  int id;

  if (func == NULL)
    return lpvm_err("pvm_addmhf", PvmBadParam);
  for (id = 1; id < mhf.n; id++) {
    struct handler *h = &mhf.v[id];
    if (h->used && overlap(h->src, src) && overlap(h->tag, tag) &&
        overlap(h->ctx, ctx))
      return lpvm_err("pvm_addmhf", PvmExists);
  }
  /* Id 0 is never handed out, so any id a program gets is positive. */
  for (id = 1; id < mhf.n && mhf.v[id].used; id++)
    ;
  if (id >= mhf.n) {
    int n = mhf.n ? mhf.n * 2 : 16;
    struct handler *v;
    if (n > MHF_MAX)
      n = MHF_MAX;
    if (id >= n)
      return lpvm_err_hint("pvm_addmhf", PvmOutOfRes,
                           "too many message handlers (at most 4095)");
    if ((v = realloc(mhf.v, (size_t)n * sizeof(*v))) == NULL)
      return lpvm_err("pvm_addmhf", PvmNoMem);
    for (int i = mhf.n; i < n; i++)
      v[i].used = 0;
    mhf.v = v;
    mhf.n = n;
  }
  mhf.v[id] = (struct handler){1, src, tag, ctx, func};
  mhf.cnt++;
  return id;
}

int pvm_delmhf(int mhid) {
  if (mhid < 0)
    return lpvm_err("pvm_delmhf", PvmBadParam);
  if (mhid >= mhf.n || !mhf.v[mhid].used)
    return lpvm_err("pvm_delmhf", PvmNotFound);
  mhf.v[mhid].used = 0;
  mhf.cnt--;
  return PvmOk;
}

/* The handler matching a message, or 0. */
static int find_handler(int src, int tag, int ctx) {
  for (int id = 1; id < mhf.n; id++) {
    struct handler *h = &mhf.v[id];
    if (h->used && field_match(h->src, src) && field_match(h->tag, tag) &&
        field_match(h->ctx, ctx))
      return id;
  }
  return 0;
}

int lpvm_mhf_claim(int bufid, int src, int tag, int ctx) {
  struct pending *p;
  int id;

  /* The library's own messages are never a handler's. */
  if (mhf.cnt == 0 || ctx == LPVM_SYSCTX)
    return 0;
  if ((id = find_handler(src, tag, ctx)) == 0)
    return 0;
  if ((p = malloc(sizeof(*p))) == NULL)
    return 0; /* queued for the receive calls instead */
  *p = (struct pending){NULL, id, bufid, src, tag, ctx};
  if (mhf.head == NULL)
    mhf.tail = &mhf.head;
  *mhf.tail = p;
  mhf.tail = &p->next;
  return 1;
}

int lpvm_mhf_examine(struct lpvm_qmsg *m) {
  if (m->seq <= lpvm_conn.examined)
    return 0;
  lpvm_conn.examined = m->seq;
  if (!lpvm_mhf_claim(m->bufid, m->src, m->tag, m->ctx))
    return 0;
  lpvm_queue_remove(m); /* the buffer is now the pending handler call's */
  return 1;
}

int lpvm_mhf_waiting(void) { return mhf.head != NULL && !mhf.running; }

void lpvm_mhf_examine_all(void) {
  if (mhf.cnt == 0) {
    lpvm_conn.examined = lpvm_conn.arrived;
  } else if (lpvm_conn.examined < lpvm_conn.arrived) {
    struct lpvm_qmsg *m = lpvm_conn.queue.next, *next;
    for (; m != &lpvm_conn.queue; m = next) {
      next = m->next;
      lpvm_mhf_examine(m);
    }
  }
  lpvm_mhf_run();
}

static int live(int bufid) {
  return bufid > 0 && lpvm_buf_get(bufid) != NULL ? bufid : 0;
}

static void invoke(struct handler *h, int bufid) {
  int (*func)(int) = h->func;
  int rbuf = pvm_getrbuf(), sbuf = pvm_getsbuf();
  int r, s;

  pvm_setsbuf(0);
  pvm_setrbuf(bufid);
  mhf.running = 1;
  func(bufid);
  mhf.running = 0;
  /* What the handler leaves active is freed, the caller's buffers excepted
   * (the handler may have made one of them active again). */
  s = pvm_getsbuf();
  r = pvm_getrbuf();
  if (s > 0 && s != sbuf && s != rbuf)
    pvm_freebuf(s);
  if (r > 0 && r != sbuf && r != rbuf)
    pvm_freebuf(r);
  pvm_setsbuf(live(sbuf));
  pvm_setrbuf(live(rbuf));
}

void lpvm_mhf_run(void) {
  if (mhf.running)
    return;
  while (mhf.head != NULL) {
    struct pending *p = mhf.head;
    mhf.head = p->next;
    if (mhf.head == NULL)
      mhf.tail = &mhf.head;
    if (p->mhid < mhf.n && mhf.v[p->mhid].used) {
      invoke(&mhf.v[p->mhid], p->bufid);
    } else if (lpvm_queue_add(p->bufid, p->src, p->tag, p->ctx) < 0) {
      /* Its handler went meanwhile (deleted by another handler): the
       * message is an ordinary one after all. */
      pvm_freebuf(p->bufid);
    }
    free(p);
  }
}

void lpvm_mhf_drop(void) {
  while (mhf.head != NULL) {
    struct pending *p = mhf.head;
    mhf.head = p->next;
    pvm_freebuf(p->bufid);
    free(p);
  }
  mhf.tail = &mhf.head;
}

/* PVM 3.4.6's undeclared dump of the message handler table, which some of
 * its example programs call (mhf_server): on standard output, a header, the
 * caller's message, and one line per handler, each line led by `who` and
 * the task's tid. PVM 3.4.6 also lists its own internal handlers; PVM-NG
 * has none in this table. Returns 0. */
LPVM_PUBLIC int pvmdisplaymhfinfo(char *who, char *msg, int tid) {
  const char *w = who ? who : "";
  printf("\n%s t%x: Display Message Handler Information: nhandles = %d\n", w,
         (unsigned)tid, mhf.cnt);
  printf("%s t%x: %s\n", w, (unsigned)tid, msg ? msg : "");
  for (int i = 0; i < mhf.n; i++) {
    const struct handler *h = &mhf.v[i];
    if (!h->used)
      continue;
    printf("%s t%x: handles[%2d].mhid = %2d  .header.src = t%-8x .header.ctx "
           "= %8d  .header.tag= %8d\n",
           w, (unsigned)tid, i, i, (unsigned)h->src, h->ctx, h->tag);
  }
  printf("\n");
  fflush(stdout);
  return 0;
}
