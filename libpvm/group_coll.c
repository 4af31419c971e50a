/* libgpvm3: collective operations, run by the members themselves (no
 * central server). On a frozen group, whose membership every member holds
 * alike, the members' own algorithms run on that view: a binomial-tree
 * barrier, binomial trees for reduce, gather, scatter and the internal
 * broadcast, recursive doubling for all-reduce and the inclusive scan,
 * pairwise exchange for all-to-all. On a group that is not frozen, where
 * members' views may differ by a join or a leave, only paths that do not
 * depend on them agreeing run (see coll_fixed): stars around the root for
 * reduce, gather and scatter, an agreement through the registry before the
 * pvmng_* ones, and the barrier's own scheme. A member that leaves or exits
 * while others wait for it turns their wait into PvmNoGroup (group.c's
 * lpvm_grecv). Data goes as native bytes between members on one host and
 * in XDR byte order between hosts (lpvm_gsend, lpvm_gtake). */
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "conn.h"
#include "group.h"
#include "group_coll.h"
#include "group_shm.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "tid.h"
#include "trace.h"

void lpvm_coll_end(struct lpvm_coll *c) {
  free(c->r);
  free(c->inst);
  c->r = c->inst = NULL;
}

/* Fills c's ranks from tids by instance (ninst entries); c->me is -1 when
 * this task is not among them. Returns 0 or PvmNoMem. */
static int coll_fill(struct lpvm_coll *c, const int *tids, int ninst) {
  int k = 0;
  c->n = 0;
  c->me = -1;
  c->ninst = ninst;
  for (int i = 0; i < ninst; i++)
    if (tids[i] != 0)
      c->n++;
  c->r = malloc(((size_t)c->n + 1) * sizeof *c->r);
  c->inst = malloc(((size_t)c->n + 1) * sizeof *c->inst);
  if (c->r == NULL || c->inst == NULL) {
    lpvm_coll_end(c);
    return PvmNoMem;
  }
  for (int i = 0; i < ninst; i++)
    if (tids[i] != 0) {
      if (tids[i] == lpvm_conn.mytid)
        c->me = k;
      c->r[k] = tids[i];
      c->inst[k++] = i;
    }
  return 0;
}

/* Takes the snapshot of group for a collective from the caller's view. A
 * caller outside the group gets notmember. Returns 0 or a negative PVM error
 * (not reported). */
int lpvm_coll_begin(const char *group, int notmember, struct lpvm_coll *c) {
  int rc;
  memset(c, 0, sizeof *c);
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return rc;
  if ((c->g = lpvm_group_view(group, &rc)) == NULL)
    return rc;
  if (c->g->myrank < 0)
    return notmember;
  return coll_fill(c, c->g->tids, c->g->ninst);
}

/* Which path a collective takes. The members' own algorithms (trees,
 * recursive doubling, pairwise exchange) need every member to run on the
 * same membership, and a member's view of a group that is not frozen may
 * trail or lead another's by a join or a leave: only a frozen group's view
 * (every member got it from the freeze, which all of them called) is
 * certain to be the same everywhere. Every other collective takes a path
 * that does not depend on the members' views agreeing: the root's star for
 * pvm_reduce, pvm_gather and pvm_scatter (only the root needs the list of
 * members: the registry's at its call, as PVM 3.4's root asks its group
 * server, which its view already is on the registry's host: see
 * view_is_current), and for the pvmng_* collectives, which need
 * every member, an agreement on one view through the registry before the
 * members' algorithm runs. */
static int coll_fixed(const struct lpvm_coll *c) { return c->g->frozen; }

/* Whether the caller's view of a group that is not frozen holds every
 * change the registry made before the call: when the caller's daemon keeps
 * the registry (the master, host number 1), the registry writes each
 * notice to the member's socket before it answers the request that caused
 * it, so any join or leave that completed before anything the caller has
 * seen is already in its view (lpvm_group_view reads what has come). Notices
 * relayed to another host may come after news that went another way (a
 * member that left telling the root so): there the registry is asked. */
static int view_is_current(void) { return pvmw_tid_host(lpvm_conn.dtid) == 1; }

/* The registry's membership now, for the root of a star whose view may
 * trail it (see view_is_current): as PVM 3.4's root asks its group server
 * at each call. */
static int coll_refresh(const char *group, struct lpvm_coll *c) {
  int rc;
  struct lpvm_group *g;
  if (view_is_current())
    return 0;
  if ((g = lpvm_group_fetch(group, &rc)) == NULL)
    return rc;
  lpvm_coll_end(c);
  c->g = g;
  if ((rc = coll_fill(c, g->tids, g->ninst)) < 0)
    return rc;
  return c->me < 0 ? PvmNoInst : 0;
}

/* For a collective that needs every member of a group that is not frozen:
 * the members' agreement on one view through the registry, which answers
 * once every member has asked (lpvm_group_sync); c then holds that view.
 * A frozen group's view is the same everywhere already. */
int lpvm_coll_agree(const char *group, struct lpvm_coll *c) {
  int *tids, ninst, rc;
  if (coll_fixed(c))
    return 0;
  rc = lpvm_group_sync(group, &tids, &ninst);
  if (rc < 0)
    return rc == PvmNotInGroup ? PvmNoInst : rc;
  lpvm_coll_end(c);
  rc = coll_fill(c, tids, ninst);
  free(tids);
  if (rc == 0 && c->me < 0)
    rc = PvmNoInst;
  return rc;
}

/* The tid of instance inst for a member that is not the root of a star:
 * from its view, else from the registry (the root may have joined after
 * the view's version), else PvmNoInst. */
static int root_tid(const char *group, struct lpvm_coll *c, int inst) {
  int rc;
  for (int pass = 0; pass < 2; pass++) {
    const struct lpvm_group *g = c->g;
    if (inst >= 0 && inst < g->ninst && g->tids[inst] != 0)
      return g->tids[inst];
    if (pass == 0 && lpvm_group_fetch(group, &rc) == NULL)
      return rc;
  }
  return PvmNoInst;
}

/* Rank of instance inst, or PvmNoInst. */
static int rank_of_inst(const struct lpvm_coll *c, int inst) {
  for (int i = 0; i < c->n; i++)
    if (c->inst[i] == inst)
      return i;
  return PvmNoInst;
}

/* Sends n items of type dt to rank. */
int lpvm_coll_send(const struct lpvm_coll *c, int rank, int tag,
                   const void *data, size_t n, int dt) {
  return lpvm_gsend(c->r[rank], tag, data, n, dt);
}

/* Receives exactly n items of type dt from rank into dst. A message of
 * another length means the members disagree on their arguments:
 * PvmMismatch. */
int lpvm_coll_recv(const struct lpvm_coll *c, int rank, int tag, void *dst,
                   size_t n, int dt) {
  int bufid = lpvm_grecv(c->g, c->r[rank], tag), rc;
  if (bufid < 0)
    return bufid;
  rc = lpvm_gtake(bufid, dst, n, dt);
  pvm_freebuf(bufid);
  return rc;
}

/* Receives exactly n items of type dt from the task tid into dst. */
static int recv_tid(const struct lpvm_coll *c, int tid, int tag, void *dst,
                    size_t n, int dt) {
  int bufid = lpvm_grecv(c->g, tid, tag), rc;
  if (bufid < 0)
    return bufid;
  rc = lpvm_gtake(bufid, dst, n, dt);
  pvm_freebuf(bufid);
  return rc;
}

/* Step of the star paths' messages (the trees use steps 0 and 1). */
#define STAR_STEP 2

static int lowbit(int v) { return v & -v; }

static int pow2ceil(int n) {
  int p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

/* ---- barrier ---------------------------------------------------------- */

/* Fan-in of the view version v along a binomial tree to rank 0 with tag.
 * On a failure (a member lost, a version that differs: PvmMismatch) the
 * parent is told, so that it does not wait. */
static int fan_in(const struct lpvm_coll *c, int tag, uint32_t v) {
  uint32_t got;
  int rc = 0;
  for (int mask = 1; mask < c->n; mask <<= 1) {
    if (c->me & mask) {
      rc = lpvm_coll_send(c, c->me - mask, tag, &v, 1, PVM_INT);
      break;
    }
    if (c->me + mask >= c->n)
      continue;
    rc = lpvm_coll_recv(c, c->me + mask, tag, &got, 1, PVM_INT);
    if (rc == 0 && got != v)
      rc = PvmMismatch;
    if (rc < 0) {
      if (c->me != 0)
        lpvm_gabort(c->r[c->me - lowbit(c->me)], tag);
      break;
    }
  }
  return rc;
}

/* Those below us in the release tree (from rank 0) wait for a release that
 * will not come: tell them instead. */
static void release_abort(const struct lpvm_coll *c, int tag) {
  for (int mask = (c->me == 0 ? pow2ceil(c->n) : lowbit(c->me)) >> 1; mask > 0;
       mask >>= 1)
    if (c->me + mask < c->n)
      lpvm_gabort(c->r[c->me + mask], tag);
}

/* Fan-in along a binomial tree to rank 0, then the release back down the
 * same tree: 2(n-1) messages and 2 log2(n) steps deep. (Dissemination needs
 * n log2(n) messages; with more tasks than cores every message is a
 * wake-up, which is what a barrier pays for on one host.) The messages
 * carry the sender's view version, so members that disagree on the
 * membership find out instead of waiting. */
static int barrier_tree(const struct lpvm_coll *c, int tag_in, int tag_out,
                        uint32_t v) {
  int rc = fan_in(c, tag_in, v);
  if (rc < 0) {
    release_abort(c, tag_out);
    return rc;
  }
  return lpvm_coll_bcast_tree(c, 0, tag_out, &v, 1, PVM_INT);
}

/* Splits c's members by host: *local gets those on this task's host (in
 * rank order), *leaders the lowest-ranked member of each host (in rank
 * order, so rank 0 leads). Returns 1 when the members span hosts, 0 when
 * they are all on one (nothing made), PvmNoMem. */
static int split_by_host(const struct lpvm_coll *c, struct lpvm_coll *local,
                         struct lpvm_coll *leaders) {
  int myhost = pvmw_tid_host(c->r[c->me]), i;
  unsigned char *seen;
  for (i = 0; i < c->n && pvmw_tid_host(c->r[i]) == myhost; i++)
    ;
  if (i == c->n)
    return 0;
  memset(local, 0, sizeof *local);
  memset(leaders, 0, sizeof *leaders);
  local->g = leaders->g = c->g;
  local->r = malloc((size_t)c->n * sizeof *local->r);
  leaders->r = malloc((size_t)c->n * sizeof *leaders->r);
  seen = calloc(PVMW_TID_MAX_HOST + 1, 1);
  if (local->r == NULL || leaders->r == NULL || seen == NULL) {
    lpvm_coll_end(local);
    lpvm_coll_end(leaders);
    free(seen);
    return PvmNoMem;
  }
  for (i = 0; i < c->n; i++) {
    int h = pvmw_tid_host(c->r[i]);
    if (h == myhost) {
      if (i == c->me)
        local->me = local->n;
      local->r[local->n++] = c->r[i];
    }
    if (!seen[h]) {
      seen[h] = 1;
      if (h == myhost)
        leaders->me = leaders->n;
      leaders->r[leaders->n++] = c->r[i];
    }
  }
  free(seen);
  return 1;
}

/* The barrier of the whole group. On one host, one tree over all members
 * (direct links). Across hosts, where every message between hosts passes
 * through the daemons, in two levels: each host's members gather at their
 * lowest-ranked member, these leaders (one per host) run the tree among
 * themselves, then release their own host. Messages between hosts drop
 * from about 2(n-1) to 2(hosts-1), and their depth to 2 log2(hosts). A
 * failure anywhere is passed on up and down both levels. */
static int barrier_peers(const struct lpvm_coll *c) {
  uint32_t v = c->g->version;
  int tag_in = lpvm_gtag(c->g, LPVM_GOP_BARRIER, 0);
  int tag_out = lpvm_gtag(c->g, LPVM_GOP_BARRIER, 1);
  int tag_lin = lpvm_gtag(c->g, LPVM_GOP_BARRIER, 2);
  int tag_lout = lpvm_gtag(c->g, LPVM_GOP_BARRIER, 3);
  struct lpvm_coll local, leaders;
  int rc = split_by_host(c, &local, &leaders);

  if (rc <= 0)
    return rc < 0 ? rc : barrier_tree(c, tag_in, tag_out, v);
  rc = fan_in(&local, tag_lin, v);
  if (local.me == 0) {
    if (rc == 0) {
      rc = barrier_tree(&leaders, tag_in, tag_out, v);
    } else {
      if (leaders.me != 0)
        lpvm_gabort(leaders.r[leaders.me - lowbit(leaders.me)], tag_in);
      release_abort(&leaders, tag_out);
    }
  }
  if (rc == 0)
    rc = lpvm_coll_bcast_tree(&local, 0, tag_lout, &v, 1, PVM_INT);
  else
    release_abort(&local, tag_lout);
  lpvm_coll_end(&local);
  lpvm_coll_end(&leaders);
  return rc;
}

/* pvm_barrier(g, count) completes once count members have called it,
 * whenever they joined. A caller whose view has count members (or count
 * -1) takes the members' own barrier on that view when every caller is
 * certain to take it too: the shared-memory barrier, where a change of the
 * membership fails the barrier for all its callers at once (group_shm.c),
 * or, for a frozen group, whose membership cannot change, messages between
 * the members (barrier_peers). Every other caller asks the registry, naming
 * the version at which it could not take the members' barrier; the
 * registry counts the callers or, once the group has count members at a
 * version none of them named, hands them back to the members' barrier
 * there (daemon/groupreg.c). Each round moves to a later version. */
static int barrier_call(char *group, int count);

int pvm_barrier(char *group, int count) {
  if (LPVM_TRACING()) {
    int x =
        lpvm_tev_in(TEV_BARRIER, "si", TEV_DID_GN, group, TEV_DID_GBC, count);
    int rc = barrier_call(group, count);
    lpvm_tev_out(x, TEV_BARRIER, "i", TEV_DID_CC, rc);
    return rc;
  }
  return barrier_call(group, count);
}

static int barrier_call(char *group, int count) {
  struct lpvm_coll c;
  uint32_t failed = 0, fast = 0;
  int rc;
  if ((rc = lpvm_connect("pvm_barrier")) < 0)
    return rc;
  if (count < 1 && count != -1)
    return lpvm_err("pvm_barrier", PvmBadParam);
  for (;;) {
    if ((rc = lpvm_coll_begin(group, PvmNotInGroup, &c)) < 0)
      return lpvm_err("pvm_barrier", rc);
    if (c.g->defunct) {
      rc = PvmNoGroup;
    } else if ((count == -1 || count == c.n) && c.g->version != failed) {
      uint32_t v = c.g->version; /* the wait may apply notices */
      rc = lpvm_gshm_barrier(c.g, c.r, c.n, v);
      if (rc == LPVM_GSHM_NO && c.g->frozen)
        rc = barrier_peers(&c);
      if (rc == LPVM_GSHM_NO || rc == PvmMismatch) {
        failed = v;
        rc = 1; /* to the registry */
      }
    } else {
      rc = 1;
    }
    lpvm_coll_end(&c);
    if (rc != 1)
      break;
    rc = lpvm_group_registry_barrier(group, count, failed, &fast);
    if (rc < 0 || fast == 0)
      break;
  }
  return rc < 0 ? lpvm_err("pvm_barrier", rc) : 0;
}

/* ---- broadcast -------------------------------------------------------- */

static int bcast_call(char *group, int msgtag);

int pvm_bcast(char *group, int msgtag) {
  if (LPVM_TRACING()) {
    int x = lpvm_tev_in(TEV_BCAST, "siii", TEV_DID_GN, group, TEV_DID_MC,
                        msgtag, TEV_DID_MCX, lpvm_conn.ctx, TEV_DID_MNB,
                        lpvm_tev_sbuf_len());
    int rc = bcast_call(group, msgtag);
    lpvm_tev_out(x, TEV_BCAST, "i", TEV_DID_CC, rc);
    return rc;
  }
  return bcast_call(group, msgtag);
}

static int bcast_call(char *group, int msgtag) {
  struct lpvm_group *g;
  int rc, sbuf;
  if ((rc = lpvm_connect("pvm_bcast")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_bcast", rc);
  if (msgtag < 0 || msgtag >= LPVM_SYSCTX)
    return lpvm_err("pvm_bcast", PvmBadParam);
  /* To the members at this moment, as PVM 3.4 asks its group server at each
   * call: a view of a group that is not frozen that may trail the registry
   * (see view_is_current) is fetched again. */
  if ((g = lpvm_group_view(group, &rc)) != NULL && !g->frozen &&
      !view_is_current())
    g = lpvm_group_fetch(group, &rc);
  if (g == NULL)
    return lpvm_err("pvm_bcast", rc);
  /* The caller alone in the group has nobody to send to: PVM 3.4.6 says
   * PvmNoInst (its man page does not mention the case). */
  if (g->size == 1 && g->myrank == 0)
    return lpvm_err("pvm_bcast", PvmNoInst);
  if ((sbuf = pvm_getsbuf()) <= 0)
    return lpvm_err("pvm_bcast", PvmNoBuf);
  /* To every member but the sender (PVM 3.2 and later), as a multicast of
   * the active send buffer: receivers take it with an ordinary receive. */
  int n = g->ninst, *tids = malloc(((size_t)n + 1) * sizeof *tids);
  if (tids == NULL)
    return lpvm_err("pvm_bcast", PvmNoMem);
  memcpy(tids, g->tids, (size_t)n * sizeof *tids);
  for (int i = 0; i < n && rc == 0; i++)
    if (tids[i] != 0 && tids[i] != lpvm_conn.mytid)
      rc = lpvm_send_buf(tids[i], msgtag, lpvm_conn.ctx, sbuf);
  free(tids);
  return rc < 0 ? lpvm_err("pvm_bcast", rc) : 0;
}

/* Binomial-tree broadcast of n items of type dt at buf from rank root. */
int lpvm_coll_bcast_tree(const struct lpvm_coll *c, int root, int tag,
                         void *buf, size_t n, int dt) {
  int rel = (c->me - root + c->n) % c->n, rc = 0, mask;
  if (rel != 0) {
    mask = lowbit(rel);
    rc = lpvm_coll_recv(c, (rel - mask + root) % c->n, tag, buf, n, dt);
    mask >>= 1;
  } else {
    mask = pow2ceil(c->n) >> 1;
  }
  for (; mask > 0; mask >>= 1) {
    if (rel + mask >= c->n)
      continue;
    if (rc == 0)
      rc = lpvm_coll_send(c, (rel + mask + root) % c->n, tag, buf, n, dt);
    else
      lpvm_gabort(c->r[(rel + mask + root) % c->n], tag);
  }
  return rc;
}

/* ---- reduce ----------------------------------------------------------- */

/* Binomial-tree reduction of data into rank root's data. Every member
 * combines its own subtree's (lower) result with each child's (higher), so
 * the order of operations is fixed by the ranks. */
static int reduce_tree(const struct lpvm_coll *c, lpvm_redfn func, void *data,
                       int count, int datatype, int root, int tag) {
  size_t len = (size_t)count * lpvm_gtype_size(datatype);
  int rel = (c->me - root + c->n) % c->n, rc = 0, frc = 0;
  void *tmp = NULL;

  for (int mask = 1; mask < c->n; mask <<= 1) {
    if (rel & mask) {
      if (frc == 0)
        rc = lpvm_coll_send(c, (rel - mask + root) % c->n, tag, data,
                            (size_t)count, datatype);
      else /* our result is wrong: the parent must not use it */
        lpvm_gabort(c->r[(rel - mask + root) % c->n], tag);
      free(tmp);
      return rc < 0 ? rc : frc;
    }
    if (rel + mask >= c->n)
      continue;
    if (tmp == NULL && (tmp = malloc(len)) == NULL)
      return PvmNoMem;
    rc = lpvm_coll_recv(c, (rel + mask + root) % c->n, tag, tmp, (size_t)count,
                        datatype);
    if (rc < 0) {
      if (rel != 0) /* our parent waits for us */
        lpvm_gabort(c->r[(rel - lowbit(rel) + root) % c->n], tag);
      break;
    }
    /* A failing user function is reported once the tree is done, so the
     * others are not left waiting. */
    if (frc == 0)
      frc = lpvm_coll_combine(func, datatype, data, tmp, count);
  }
  free(tmp);
  return rc < 0 ? rc : frc;
}

/* The star of a group that is not frozen (PVM 3.4's own shape): every
 * other member sends its data to the root and returns; the root combines
 * the data of the members the registry lists at its call (coll_refresh), in
 * instance order (so the bits are those of the serial reduction). A member lost
 * before its data came fails the root's call; the others' data is still
 * taken, so none is left for the root's next reduce. */
static int reduce_star(const char *group, struct lpvm_coll *c, lpvm_redfn func,
                       void *data, int count, int datatype, int rootinst) {
  size_t len = (size_t)count * lpvm_gtype_size(datatype);
  int tag = lpvm_gtag(c->g, LPVM_GOP_REDUCE, STAR_STEP), rc = 0, frc = 0;
  char *acc, *tmp;

  if (c->inst[c->me] != rootinst) {
    int root = root_tid(group, c, rootinst);
    return root < 0 ? root
                    : lpvm_gsend(root, tag, data, (size_t)count, datatype);
  }
  if ((rc = coll_refresh(group, c)) < 0)
    return rc;
  if ((acc = malloc(2 * len)) == NULL)
    return PvmNoMem;
  tmp = acc + len;
  for (int i = 0; i < c->n; i++) {
    int r = 0;
    void *src = data;
    if (i != c->me) {
      r = lpvm_coll_recv(c, i, tag, tmp, (size_t)count, datatype);
      src = tmp;
    }
    if (r < 0) {
      if (rc == 0)
        rc = r;
      continue;
    }
    if (i == 0)
      memcpy(acc, src, len);
    else if (rc == 0 && frc == 0)
      frc = lpvm_coll_combine(func, datatype, acc, src, count);
  }
  if (rc == 0 && frc == 0)
    memcpy(data, acc, len);
  free(acc);
  return rc < 0 ? rc : frc;
}

static int reduce_call(lpvm_redfn func, void *data, int count, int datatype,
                       int msgtag, char *gname, int rootinst);

int pvm_reduce(void (*func)(int *datatype, void *x, void *y, int *num,
                            int *info),
               void *data, int count, int datatype, int msgtag, char *gname,
               int rootinst) {
  if (LPVM_TRACING()) {
    int x =
        lpvm_tev_in(TEV_REDUCE, "siiiii", TEV_DID_GN, gname, TEV_DID_GI,
                    rootinst, TEV_DID_MC, msgtag, TEV_DID_MCX, lpvm_conn.ctx,
                    TEV_DID_PC, count, TEV_DID_PDT, datatype);
    int rc = reduce_call(func, data, count, datatype, msgtag, gname, rootinst);
    lpvm_tev_out(x, TEV_REDUCE, "i", TEV_DID_CC, rc);
    return rc;
  }
  return reduce_call(func, data, count, datatype, msgtag, gname, rootinst);
}

static int reduce_call(lpvm_redfn func, void *data, int count, int datatype,
                       int msgtag, char *gname, int rootinst) {
  struct lpvm_coll c;
  int rc, root;
  if ((rc = lpvm_connect("pvm_reduce")) < 0)
    return rc;
  if ((rc = lpvm_coll_check_reduce(func, datatype, count)) < 0 || msgtag < 0 ||
      data == NULL)
    return lpvm_err("pvm_reduce", rc < 0 ? rc : PvmBadParam);
  if ((rc = lpvm_coll_begin(gname, PvmNoInst, &c)) < 0)
    return lpvm_err("pvm_reduce", rc);
  if (!coll_fixed(&c)) {
    rc = reduce_star(gname, &c, func, data, count, datatype, rootinst);
  } else if ((root = rank_of_inst(&c, rootinst)) < 0) {
    rc = root;
  } else {
    /* The tree is rooted at rank 0, so the order of operations (and which
     * operand wins a tie of complex max/min: the lower instance) does not
     * depend on the root; the result then makes one more hop. */
    int tag = lpvm_gtag(c.g, LPVM_GOP_REDUCE, 0);
    rc = reduce_tree(&c, func, data, count, datatype, 0, tag);
    if (root != 0 && c.me == 0) {
      if (rc == 0)
        rc = lpvm_coll_send(&c, root, lpvm_gtag(c.g, LPVM_GOP_REDUCE, 1), data,
                            (size_t)count, datatype);
      else
        lpvm_gabort(c.r[root], lpvm_gtag(c.g, LPVM_GOP_REDUCE, 1));
    } else if (root != 0 && c.me == root && rc == 0) {
      rc = lpvm_coll_recv(&c, 0, lpvm_gtag(c.g, LPVM_GOP_REDUCE, 1), data,
                          (size_t)count, datatype);
    }
  }
  lpvm_coll_end(&c);
  return rc < 0 ? lpvm_err("pvm_reduce", rc) : 0;
}

/* ---- gather and scatter ----------------------------------------------- */

/* Blocks a binomial subtree rooted at relative rank rel holds. */
static int subtree(const struct lpvm_coll *c, int rel) {
  int span = rel == 0 ? c->n : lowbit(rel);
  return span < c->n - rel ? span : c->n - rel;
}

/* Binomial gather of cnt items of type dt per member into root's result, by
 * instance: member of instance i lands at result + i * blk bytes. */
int lpvm_coll_gather_tree(const struct lpvm_coll *c, void *result,
                          const void *data, size_t cnt, int dt, int root,
                          int tag) {
  size_t blk = cnt * lpvm_gtype_size(dt);
  int rel = (c->me - root + c->n) % c->n, have = 1, rc = 0;
  char *tmp = malloc((size_t)subtree(c, rel) * blk + 1);
  if (tmp == NULL)
    return PvmNoMem;
  if (blk > 0)
    memcpy(tmp, data, blk);
  for (int mask = 1; mask < c->n && rc == 0; mask <<= 1) {
    if (rel & mask) {
      rc = lpvm_coll_send(c, (rel - mask + root) % c->n, tag, tmp,
                          (size_t)have * cnt, dt);
      free(tmp);
      return rc;
    }
    if (rel + mask < c->n) {
      int sub = subtree(c, rel + mask);
      rc = lpvm_coll_recv(c, (rel + mask + root) % c->n, tag,
                          tmp + (size_t)mask * blk, (size_t)sub * cnt, dt);
      have += sub;
      if (rc < 0 && rel != 0)
        lpvm_gabort(c->r[(rel - lowbit(rel) + root) % c->n], tag);
    }
  }
  for (int i = 0; i < c->n && rc == 0; i++)
    if (blk > 0)
      memcpy((char *)result + (size_t)c->inst[(i + root) % c->n] * blk,
             tmp + (size_t)i * blk, blk);
  free(tmp);
  return rc;
}

/* Binomial scatter from root's data (block i of cnt items of type dt for
 * instance i) into every member's result. */
static int scatter_tree(const struct lpvm_coll *c, void *result,
                        const void *data, size_t cnt, int dt, int root,
                        int tag) {
  size_t blk = cnt * lpvm_gtype_size(dt);
  int rel = (c->me - root + c->n) % c->n, rc = 0, mask;
  int sub = subtree(c, rel);
  char *tmp = malloc((size_t)sub * blk + 1);
  if (tmp == NULL)
    return PvmNoMem;
  if (rel == 0) {
    for (int i = 0; i < c->n && blk > 0; i++)
      memcpy(tmp + (size_t)i * blk,
             (const char *)data + (size_t)c->inst[(i + root) % c->n] * blk,
             blk);
    mask = pow2ceil(c->n) >> 1;
  } else {
    mask = lowbit(rel);
    rc = lpvm_coll_recv(c, (rel - mask + root) % c->n, tag, tmp,
                        (size_t)sub * cnt, dt);
    mask >>= 1;
  }
  for (; mask > 0; mask >>= 1) {
    if (rel + mask >= c->n)
      continue;
    if (rc == 0)
      rc = lpvm_coll_send(c, (rel + mask + root) % c->n, tag,
                          tmp + (size_t)mask * blk,
                          (size_t)subtree(c, rel + mask) * cnt, dt);
    else
      lpvm_gabort(c->r[(rel + mask + root) % c->n], tag);
  }
  if (rc == 0 && blk > 0)
    memcpy(result, tmp, blk);
  free(tmp);
  return rc;
}

/* The stars of a group that is not frozen (PVM 3.4's own shape): for a
 * gather every other member sends its data to the root and returns, and
 * the root takes the data of the members the registry lists at its call;
 * for a scatter the root sends each of those members its block and the
 * others wait for theirs from the root. As in reduce_star, data still
 * coming after a lost member is taken. */
static int gather_star(const char *group, struct lpvm_coll *c, void *result,
                       void *data, size_t cnt, int dt, int rootinst) {
  size_t blk = cnt * lpvm_gtype_size(dt);
  int tag = lpvm_gtag(c->g, LPVM_GOP_GATHER, STAR_STEP), rc = 0;

  if (c->inst[c->me] != rootinst) {
    int root = root_tid(group, c, rootinst);
    return root < 0 ? root : lpvm_gsend(root, tag, data, cnt, dt);
  }
  if ((rc = coll_refresh(group, c)) < 0)
    return rc;
  for (int i = 0; i < c->n; i++) {
    char *dst = (char *)result + (size_t)c->inst[i] * blk;
    int r = 0;
    if (i == c->me)
      memcpy(dst, data, blk);
    else
      r = lpvm_coll_recv(c, i, tag, dst, cnt, dt);
    if (r < 0 && rc == 0)
      rc = r;
  }
  return rc;
}

static int scatter_star(const char *group, struct lpvm_coll *c, void *result,
                        const void *data, size_t cnt, int dt, int rootinst) {
  size_t blk = cnt * lpvm_gtype_size(dt);
  int tag = lpvm_gtag(c->g, LPVM_GOP_SCATTER, STAR_STEP), rc = 0;

  if (c->inst[c->me] != rootinst) {
    int root = root_tid(group, c, rootinst);
    return root < 0 ? root : recv_tid(c, root, tag, result, cnt, dt);
  }
  if ((rc = coll_refresh(group, c)) < 0)
    return rc;
  for (int i = 0; i < c->n && rc == 0; i++) {
    const char *src = (const char *)data + (size_t)c->inst[i] * blk;
    if (i == c->me)
      memcpy(result, src, blk);
    else
      rc = lpvm_coll_send(c, i, tag, src, cnt, dt);
  }
  return rc;
}

static int gs_common(const char *fn, int gather, void *result, void *data,
                     int count, int datatype, int msgtag, char *gname,
                     int rootinst) {
  struct lpvm_coll c;
  size_t sz = lpvm_gtype_size(datatype);
  int rc, root = 0;
  if ((rc = lpvm_connect(fn)) < 0)
    return rc;
  if (sz == 0 || count < 1 || msgtag < 0)
    return lpvm_err(fn, PvmBadParam);
  if ((rc = lpvm_coll_begin(gname, PvmNoInst, &c)) < 0)
    return lpvm_err(fn, rc);
  int iamroot = c.inst[c.me] == rootinst;
  if (coll_fixed(&c) && (root = rank_of_inst(&c, rootinst)) < 0) {
    rc = root;
  } else if ((gather ? data == NULL : result == NULL) ||
             (iamroot && (gather ? result == NULL : data == NULL))) {
    rc = PvmBadParam;
  } else if (!coll_fixed(&c)) {
    rc = gather ? gather_star(gname, &c, result, data, (size_t)count, datatype,
                              rootinst)
                : scatter_star(gname, &c, result, data, (size_t)count, datatype,
                               rootinst);
  } else {
    int tag = lpvm_gtag(c.g, gather ? LPVM_GOP_GATHER : LPVM_GOP_SCATTER, 0);
    rc = gather ? lpvm_coll_gather_tree(&c, result, data, (size_t)count,
                                        datatype, root, tag)
                : scatter_tree(&c, result, data, (size_t)count, datatype, root,
                               tag);
  }
  lpvm_coll_end(&c);
  return rc < 0 ? lpvm_err(fn, rc) : 0;
}

int pvm_gather(void *result, void *data, int count, int datatype, int msgtag,
               char *gname, int rootinst) {
  return gs_common("pvm_gather", 1, result, data, count, datatype, msgtag,
                   gname, rootinst);
}

int pvm_scatter(void *result, void *data, int count, int datatype, int msgtag,
                char *gname, int rootinst) {
  return gs_common("pvm_scatter", 0, result, data, count, datatype, msgtag,
                   gname, rootinst);
}
