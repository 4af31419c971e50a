/* The group registry (PVM's group server, inside the daemon). A group is a
 * table of member tids by instance number; joining takes the lowest free
 * instance, leaving frees it for reuse, and a group with no member left is
 * forgotten. Every change gives the group a new version and sends each member
 * a notice (a GroupInfo in the system context), from which the libraries
 * keep the copy their collectives run on. Requests that must wait -- a
 * freeze until every member has asked, a barrier arbitrated here -- are held
 * as waiters and answered later.
 *
 * Barriers: pvm_barrier(g, count) completes once count members have called
 * it, whenever they joined. A member whose view of the group has count
 * members runs the members' own barrier (shared memory or messages between
 * them) on that view's version; the others come here. Whenever the group
 * has exactly count members at a version none of the waiters saw fail, the
 * registry hands every waiter back to the members' barrier at that version
 * (with the view), so all count callers meet there; otherwise it counts the
 * arrivals and releases them itself. A member's barrier that fails because
 * the membership changed under it fails for all its callers at once, and
 * they come here with that version, which is then never handed back.
 *
 * With several hosts the registry lives on the master daemon only (it owns
 * the VM's shared state, as it owns the host table). A slave forwards its
 * tasks' GroupRequests there (peer_fwd.c); answers go back through each
 * request's reply address, held by waiters until they are answered, and
 * notices are ordinary messages routed to each member wherever it runs. A
 * remote task leaves its groups when its daemon reports its exit
 * (PeerTaskGone) or when its host is deleted (pvmd_group_host_gone).
 *
 * Collectives that need every member (pvmng_allreduce and the other
 * pvmng_* ones on a group that is not frozen) first agree here on the view
 * they run on (GROUP_SYNC): the requests wait until every member has asked
 * (a member that joins meanwhile must ask too, one that leaves or exits is
 * no longer waited for), then all get the same view.
 *
 * Invariants: size = number of nonzero tids[0..ninst); ninst is the highest
 * used instance + 1; every waiter's tid is a member; a pending barrier has
 * a count and fewer waiters of that count than it, a pending freeze
 * frz_count > 0.
 * The registry is this file's alone (one daemon per process, one loop). */
#include "groupreg.h"

#include <pvm3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msgroute.h"
#include "peer.h"
#include "pvmd.h"
#include "taskconn.h"
#include "tid.h"

enum { W_BARRIER, W_FREEZE, W_SYNC };

struct gwait {
  struct gwait *next;
  int kind; /* W_BARRIER, W_FREEZE or W_SYNC */
  int tid;
  uint32_t failed_version; /* W_BARRIER: see GroupRequest */
  int count;               /* W_BARRIER: the count it waits for */
  struct pvmd_reply_to rt; /* where the answer goes */
};

struct group {
  struct group *next;
  char *name;
  int *tids; /* by instance; 0 = free */
  int cap, ninst, size;
  uint32_t version;
  int frozen, defunct;
  int frz_count, frz_arrived; /* pending freeze */
  struct gwait *waiters;
};

static struct {
  struct group *head;
  int count;
  uint32_t last_version; /* versions are unique across all groups */
} group_registry;

/* A change to g: its next version. Versions come from one counter, so a
 * group deleted and made again under the same name never repeats one
 * (libgpvm3 names a barrier's shared-memory segment by name and version). */
static void bump(struct group *g) {
  g->version = ++group_registry.last_version;
}

/* ---- table ------------------------------------------------------------ */

static struct group *find_group(const char *name) {
  for (struct group *g = group_registry.head; g != NULL; g = g->next)
    if (strcmp(g->name, name) == 0)
      return g;
  return NULL;
}

static struct group *new_group(const char *name) {
  struct group *g = calloc(1, sizeof *g);
  if (g == NULL || (g->name = strdup(name)) == NULL) {
    free(g);
    return NULL;
  }
  g->next = group_registry.head;
  group_registry.head = g;
  group_registry.count++;
  return g;
}

static void free_group(struct group *g) {
  struct group **pp = &group_registry.head;
  while (*pp != g)
    pp = &(*pp)->next;
  *pp = g->next;
  group_registry.count--;
  while (g->waiters != NULL) {
    struct gwait *w = g->waiters;
    g->waiters = w->next;
    free(w);
  }
  free(g->tids);
  free(g->name);
  free(g);
}

void pvmd_group_free_all(void) {
  while (group_registry.head != NULL)
    free_group(group_registry.head);
}

static int inst_of(const struct group *g, int tid) {
  for (int i = 0; i < g->ninst; i++)
    if (g->tids[i] == tid)
      return i;
  return -1;
}

/* ---- answers and notices ---------------------------------------------- */

/* Fills gi to describe g; tids must have room for g->ninst entries. */
static void fill_info(const struct group *g, Pvmng__GroupInfo *gi,
                      uint32_t *tids) {
  Pvmng__GroupInfo init = PVMNG__GROUP_INFO__INIT;
  *gi = init;
  gi->name = g->name;
  gi->version = g->version;
  gi->frozen = g->frozen != 0;
  gi->defunct = g->defunct != 0;
  for (int i = 0; i < g->ninst; i++)
    tids[i] = (uint32_t)g->tids[i];
  gi->n_tids = (size_t)g->ninst;
  gi->tids = tids;
  /* The first pending registry barrier (one per count may wait). */
  for (const struct gwait *w = g->waiters; w != NULL; w = w->next)
    if (w->kind == W_BARRIER) {
      if (gi->barrier_count == 0)
        gi->barrier_count = w->count;
      if (w->count == gi->barrier_count)
        gi->barrier_waiting++;
    }
}

/* Answers the request rt names (if its task is still there). g may be
 * NULL: then only the code and value go back. */
static void reply_fast(struct pvmd *d, const struct pvmd_reply_to *rt, int code,
                       int value, const struct group *g,
                       uint32_t fast_version) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__GroupReply r = PVMNG__GROUP_REPLY__INIT;
  Pvmng__GroupInfo gi, *gip = &gi;
  uint32_t *tids = NULL;

  r.code = code;
  r.value = value;
  r.fast_version = fast_version;
  if (g != NULL && (tids = malloc(((size_t)g->ninst + 1) * sizeof *tids))) {
    fill_info(g, &gi, tids);
    r.n_groups = 1;
    r.groups = &gip;
  }
  m.body_case = PVMNG__CONTROL__BODY_GROUP_REPLY;
  m.group_reply = &r;
  pvmd_peer_answer(d, rt, &m);
  free(tids);
}

static void reply_to(struct pvmd *d, const struct pvmd_reply_to *rt, int code,
                     int value, const struct group *g) {
  reply_fast(d, rt, code, value, g, 0);
}

/* Sends every member but `except` a notice of g's new state; left is the
 * tid that just left, or 0. */
static void notify_members(struct pvmd *d, struct group *g, int except,
                           int left) {
  Pvmng__GroupInfo gi;
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  uint32_t *tids = malloc(((size_t)g->ninst + 1) * sizeof *tids);
  size_t blen;

  if (tids == NULL) {
    pvmd_log("group %s: out of memory, members not told of a change", g->name);
    return;
  }
  fill_info(g, &gi, tids);
  gi.left = (uint32_t)left;
  blen = pvmng__group_info__get_packed_size(&gi);
  h.src = (uint32_t)d->tid;
  h.tag = PVMNG__GROUP_WIRE__GROUP_NOTICE_TAG;
  h.ctx = PVMNG__GROUP_WIRE__GROUP_CTX;
  h.encoding = PvmDataRaw;
  for (int i = 0; i < g->ninst; i++) {
    int tid = g->tids[i];
    pvmw_frame *f;
    uint8_t *p;
    if (tid == 0 || tid == except)
      continue;
    h.dst = (uint32_t)tid;
    if ((f = pvmw_message_frame(&h, blen, &p)) == NULL)
      continue;
    pvmng__group_info__pack(&gi, p);
    pvmd_route_deliver(d, tid, f, NULL);
  }
  free(tids);
}

/* Answers and drops every waiter of one kind (for W_BARRIER, those of
 * `count`; -1: all). fast_version != 0 hands them back to the members'
 * barrier at that version. */
static void answer_waiters(struct pvmd *d, struct group *g, int kind, int count,
                           int code, uint32_t fast_version) {
  struct gwait **pp = &g->waiters;
  while (*pp != NULL) {
    struct gwait *w = *pp;
    if (w->kind != kind ||
        (kind == W_BARRIER && count != -1 && w->count != count)) {
      pp = &w->next;
      continue;
    }
    *pp = w->next;
    reply_fast(d, &w->rt, code, 0, code == 0 ? g : NULL, fast_version);
    free(w);
  }
  if (kind == W_FREEZE)
    g->frz_count = g->frz_arrived = 0;
}

static void release_waiters(struct pvmd *d, struct group *g, int kind,
                            int code) {
  answer_waiters(d, g, kind, -1, code, 0);
}

/* Registry barrier waiters of count. */
static int barrier_waiting(const struct group *g, int count) {
  int n = 0;
  for (const struct gwait *w = g->waiters; w != NULL; w = w->next)
    if (w->kind == W_BARRIER && w->count == count)
      n++;
  return n;
}

static int add_waiter(struct group *g, int kind, const struct pvmd_reply_to *rt,
                      uint32_t failed_version, int count) {
  struct gwait *w = calloc(1, sizeof *w), **pp = &g->waiters;
  if (w == NULL)
    return PvmNoMem;
  w->kind = kind;
  w->tid = rt->origin_tid;
  w->failed_version = failed_version;
  w->count = count;
  w->rt = *rt;
  while (*pp != NULL)
    pp = &(*pp)->next;
  *pp = w;
  return 0;
}

static int is_waiting(const struct group *g, int kind, int tid) {
  for (const struct gwait *w = g->waiters; w != NULL; w = w->next)
    if (w->kind == kind && w->tid == tid)
      return 1;
  return 0;
}

/* Whether the barrier waiters of count (and one more caller that could
 * not take the members' barrier at `failed`) can be handed back to the
 * members' barrier now: g has exactly `count` members, at a version none of
 * them named. */
static int barrier_can_hand_back(const struct group *g, int count,
                                 uint32_t failed) {
  if (g->defunct || g->size != count || failed == g->version)
    return 0;
  for (const struct gwait *w = g->waiters; w != NULL; w = w->next)
    if (w->kind == W_BARRIER && w->count == count &&
        w->failed_version == g->version)
      return 0;
  return 1;
}

/* After a change to g's membership: registry barriers that can no longer
 * complete (a count above the members left, a defunct group) fail with
 * PvmNoGroup when the change was a leave; one whose count the group now
 * has goes back to the members. */
static void barrier_recheck(struct pvmd *d, struct group *g, int left) {
  int again = 1;
  while (again) {
    again = 0;
    for (const struct gwait *w = g->waiters; w != NULL; w = w->next) {
      if (w->kind != W_BARRIER)
        continue;
      int count = w->count;
      if (left && (g->defunct || count > g->size))
        answer_waiters(d, g, W_BARRIER, count, PvmNoGroup, 0);
      else if (barrier_can_hand_back(g, count, 0))
        answer_waiters(d, g, W_BARRIER, count, 0, g->version);
      else
        continue;
      again = 1; /* the list changed */
      break;
    }
  }
}

/* A pending freeze completes once `frz_count` members have asked. */
static void check_freeze(struct pvmd *d, struct group *g) {
  if (g->frz_count == 0 || g->frz_arrived < g->frz_count)
    return;
  if (g->size != g->frz_count) {
    release_waiters(d, g, W_FREEZE, PvmMismatch);
    return;
  }
  g->frozen = 1;
  bump(g);
  notify_members(d, g, 0, 0);
  release_waiters(d, g, W_FREEZE, 0);
}

/* Sync waiters, and their release once every member waits: each gets the
 * same view (the group now), which its collective then runs on. */
static int sync_waiting(const struct group *g) {
  int n = 0;
  for (const struct gwait *w = g->waiters; w != NULL; w = w->next)
    if (w->kind == W_SYNC)
      n++;
  return n;
}

static void check_sync(struct pvmd *d, struct group *g) {
  int n = sync_waiting(g);
  if (n > 0 && n >= g->size)
    answer_waiters(d, g, W_SYNC, -1, 0, g->version);
}

/* ---- membership ------------------------------------------------------- */

static int do_join(struct pvmd *d, int tid, const char *name,
                   struct group **out) {
  struct group *g = find_group(name);
  int inst;

  if (g == NULL && (g = new_group(name)) == NULL)
    return PvmNoMem;
  if (inst_of(g, tid) >= 0)
    return PvmDupGroup;
  if (g->frozen)
    return PvmDupGroup; /* a frozen group takes no new member */
  for (inst = 0; inst < g->ninst && g->tids[inst] != 0; inst++)
    ;
  if (inst >= PVMD_GROUP_MAX_INST)
    return PvmOutOfRes;
  if (inst == g->cap) {
    int cap = g->cap ? 2 * g->cap : 8;
    int *t = realloc(g->tids, (size_t)cap * sizeof *t);
    if (t == NULL) {
      if (g->size == 0)
        free_group(g);
      return PvmNoMem;
    }
    g->tids = t;
    g->cap = cap;
  }
  g->tids[inst] = tid;
  if (inst == g->ninst)
    g->ninst++;
  g->size++;
  bump(g);
  notify_members(d, g, tid, 0);
  barrier_recheck(d, g, 0);
  *out = g;
  return inst;
}

/* Removes tid (a member) from g: its waiters go, waiting requests that can
 * no longer complete fail, the others hear of it, and an empty group is
 * forgotten. */
static void remove_member(struct pvmd *d, struct group *g, int tid) {
  int inst = inst_of(g, tid);
  struct gwait **pp = &g->waiters;
  char tb[16];

  g->tids[inst] = 0;
  while (g->ninst > 0 && g->tids[g->ninst - 1] == 0)
    g->ninst--;
  g->size--;
  bump(g);
  while (*pp != NULL) {
    struct gwait *w = *pp;
    if (w->tid != tid) {
      pp = &w->next;
      continue;
    }
    *pp = w->next;
    if (w->kind == W_FREEZE)
      g->frz_arrived--;
    /* Answered although its task is normally gone: a slave holds the
     * forwarded request until its answer comes. */
    reply_to(d, &w->rt, PvmNoGroup, 0, NULL);
    free(w);
  }
  if (g->frz_arrived == 0)
    g->frz_count = 0;
  /* PVM: a member leaving a static group makes it defunct, and the
   * barriers waiting on it fail with PvmNoGroup. A dynamic group's barrier
   * fails when fewer members remain than it waits for. */
  if (g->frozen)
    g->defunct = 1;
  if (g->frz_count > 0 && g->frz_count > g->size)
    release_waiters(d, g, W_FREEZE, PvmMismatch);
  pvmd_debug("group %s: %s left instance %d (%d members)", g->name,
             pvmw_tid_str(tid, tb, sizeof tb), inst, g->size);
  if (g->size == 0) {
    free_group(g);
    return;
  }
  notify_members(d, g, 0, tid);
  barrier_recheck(d, g, 1);
  /* The members agreeing on a view for a collective may now all be there:
   * it runs among the members left. */
  check_sync(d, g);
}

void pvmd_group_task_gone(struct pvmd *d, int tid) {
  struct group *g = group_registry.head;
  while (g != NULL) {
    struct group *next = g->next;
    if (inst_of(g, tid) >= 0)
      remove_member(d, g, tid);
    g = next;
  }
}

void pvmd_group_host_gone(struct pvmd *d, int host_no) {
  struct group *g = group_registry.head;
  while (g != NULL) {
    struct group *next = g->next;
    for (;;) {
      int victim = 0, last = g->size == 1;
      for (int i = 0; i < g->ninst && victim == 0; i++)
        if (g->tids[i] != 0 && pvmw_tid_host(g->tids[i]) == host_no)
          victim = g->tids[i];
      if (victim == 0)
        break;
      remove_member(d, g, victim); /* frees g with its last member */
      if (last)
        break;
    }
    g = next;
  }
}

/* ---- requests --------------------------------------------------------- */

static void do_list(struct pvmd_conn *c, uint32_t req_id) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__GroupReply r = PVMNG__GROUP_REPLY__INIT;
  Pvmng__GroupInfo *infos =
      calloc((size_t)group_registry.count + 1, sizeof *infos);
  Pvmng__GroupInfo **ptrs =
      calloc((size_t)group_registry.count + 1, sizeof *ptrs);
  uint32_t **tids = calloc((size_t)group_registry.count + 1, sizeof *tids);
  int n = 0, ok = infos && ptrs && tids;

  for (struct group *g = group_registry.head; ok && g != NULL;
       g = g->next, n++) {
    tids[n] = malloc(((size_t)g->ninst + 1) * sizeof **tids);
    if (tids[n] == NULL) {
      ok = 0;
      break;
    }
    fill_info(g, &infos[n], tids[n]);
    ptrs[n] = &infos[n];
  }
  if (ok) {
    r.n_groups = (size_t)n;
    r.groups = ptrs;
  } else {
    r.code = PvmNoMem;
  }
  m.req_id = req_id;
  m.body_case = PVMNG__CONTROL__BODY_GROUP_REPLY;
  m.group_reply = &r;
  pvmd_conn_send_control(c, &m);
  for (int i = 0; tids && i < n; i++)
    free(tids[i]);
  free(tids);
  free(ptrs);
  free(infos);
}

void pvmd_group_request(struct pvmd_conn *c, uint32_t req_id,
                        const Pvmng__GroupRequest *r) {
  struct pvmd *d = c->d;
  int tid = c->task->tid;
  const char *name = r->group ? r->group : "";
  struct group *g = NULL;
  int code = 0, value = 0, count = r->count;
  struct pvmd_reply_to rtv = pvmd_peer_reply_to_of(c, req_id), *rt = &rtv;
  char tb[16];

  if (!pvmd_peer_is_master(d)) {
    /* Slaves forward group requests; one that arrives here anyway (from a
     * peer that should know better) must not start a second registry. */
    pvmd_log("refusing a group request for %s: this daemon is not the "
             "master, which keeps the group registry",
             pvmw_tid_str(tid, tb, sizeof tb));
    reply_to(d, rt, PvmSysErr, 0, NULL);
    return;
  }
  if (rt->from_host != 0 && pvmw_tid_host(tid) != rt->from_host) {
    pvmd_log("refusing a group request from host %d for %s: not a task of "
             "that host",
             rt->from_host, pvmw_tid_str(tid, tb, sizeof tb));
    reply_to(d, rt, PvmBadParam, 0, NULL);
    return;
  }
  if (r->op == PVMNG__GROUP_OP__GROUP_LIST) {
    do_list(c, req_id);
    return;
  }
  if (name[0] == '\0') {
    reply_to(d, rt, PvmNullGroup, 0, NULL);
    return;
  }
  if (strlen(name) > PVMD_GROUP_NAME_MAX) {
    reply_to(d, rt, PvmBadParam, 0, NULL);
    return;
  }
  if (r->op == PVMNG__GROUP_OP__GROUP_JOIN) {
    value = do_join(d, tid, name, &g);
    if (value < 0) {
      code = value;
      g = NULL;
    }
    reply_to(d, rt, code, value, g);
    return;
  }
  g = find_group(name);
  if (g == NULL) {
    reply_to(d, rt, PvmNoGroup, 0, NULL);
    return;
  }
  switch (r->op) {
  case PVMNG__GROUP_OP__GROUP_INFO:
    reply_to(d, rt, 0, g->size, g);
    return;
  case PVMNG__GROUP_OP__GROUP_LEAVE:
    if (inst_of(g, tid) < 0) {
      code = PvmNotInGroup;
    } else {
      remove_member(d, g, tid);
    }
    reply_to(d, rt, code, 0, NULL);
    return;
  case PVMNG__GROUP_OP__GROUP_FREEZE:
    if (inst_of(g, tid) < 0)
      code = PvmNotInGroup;
    else if (g->frozen || is_waiting(g, W_FREEZE, tid))
      code = PvmDupGroup;
    else if (count == -1)
      count = g->frz_count > 0 ? g->frz_count : g->size;
    else if (count < 1)
      code = PvmBadParam;
    if (code == 0 && g->frz_count > 0 && count != g->frz_count)
      code = PvmMismatch;
    if (code == 0 && (code = add_waiter(g, W_FREEZE, rt, 0, 0)) == 0) {
      g->frz_count = count;
      g->frz_arrived++;
      check_freeze(d, g);
      return;
    }
    reply_to(d, rt, code, 0, NULL);
    return;
  case PVMNG__GROUP_OP__GROUP_BARRIER:
    if (inst_of(g, tid) < 0)
      code = PvmNotInGroup;
    else if (g->defunct)
      code = PvmNoGroup;
    else if (count == -1)
      count = g->size;
    else if (count < 1)
      code = PvmBadParam;
    if (code == 0 && is_waiting(g, W_BARRIER, tid))
      code = PvmDupGroup;
    if (code == 0 && barrier_can_hand_back(g, count, r->failed_version)) {
      /* Every caller meets in the members' barrier at this version. */
      answer_waiters(d, g, W_BARRIER, count, 0, g->version);
      reply_fast(d, rt, 0, 0, g, g->version);
      return;
    }
    if (code == 0 &&
        (code = add_waiter(g, W_BARRIER, rt, r->failed_version, count)) == 0) {
      if (barrier_waiting(g, count) >= count)
        answer_waiters(d, g, W_BARRIER, count, 0, 0);
      return;
    }
    reply_to(d, rt, code, 0, NULL);
    return;
  case PVMNG__GROUP_OP__GROUP_SYNC:
    if (inst_of(g, tid) < 0)
      code = PvmNotInGroup;
    else if (g->defunct)
      code = PvmNoGroup;
    else if (is_waiting(g, W_SYNC, tid))
      code = PvmDupGroup;
    if (code == 0 && (code = add_waiter(g, W_SYNC, rt, 0, 0)) == 0) {
      check_sync(d, g);
      return;
    }
    reply_to(d, rt, code, 0, NULL);
    return;
  default:
    reply_to(d, rt, PvmBadParam, 0, NULL);
    return;
  }
}
