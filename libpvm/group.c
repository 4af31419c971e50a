/* libgpvm3: PVM's dynamic groups, the registry side. Membership calls go
 * to the daemon's registry (daemon/groupreg.c) as control requests; the task
 * keeps a view of each group it is in, refreshed from the change notices
 * the registry sends every member, and the collectives (group_coll.c) run
 * on those views. Queries about a group answer from the registry, except
 * for a frozen group, whose membership no longer changes and is cached as
 * PVM 3.4 does. Nothing here runs unless the program calls a group
 * function: a program that uses no groups pays nothing. */
#include "group.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "tid.h"
#include "trace.h"

/* How long a collective still waits for a member that has left the group
 * (its last messages may be behind the registry's notice, on a direct
 * link) before it gives up with PvmNoGroup. */
#define LEAVE_GRACE_MS 200

static struct {
  struct lpvm_group *views;
  int owner; /* the tid the views belong to (a new tid after pvm_exit) */
} group_views;

/* ---- views ------------------------------------------------------------ */

static void view_free(struct lpvm_group *g) {
  free(g->name);
  free(g->tids);
  free(g->ranks);
  free(g);
}

static void views_check_owner(void) {
  if (group_views.owner == lpvm_conn.mytid)
    return;
  while (group_views.views != NULL) {
    struct lpvm_group *g = group_views.views;
    group_views.views = g->next;
    view_free(g);
  }
  group_views.owner = lpvm_conn.mytid;
}

static struct lpvm_group *view_find(const char *name) {
  views_check_owner();
  for (struct lpvm_group *g = group_views.views; g != NULL; g = g->next)
    if (strcmp(g->name, name) == 0)
      return g;
  return NULL;
}

static void view_drop(const char *name) {
  struct lpvm_group **pp = &group_views.views;
  views_check_owner();
  while (*pp != NULL && strcmp((*pp)->name, name) != 0)
    pp = &(*pp)->next;
  if (*pp != NULL) {
    struct lpvm_group *g = *pp;
    *pp = g->next;
    view_free(g);
  }
}

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* Makes g describe gi. Returns 0 or PvmNoMem (g unchanged then). */
static int view_set(struct lpvm_group *g, const Pvmng__GroupInfo *gi) {
  int n = (int)gi->n_tids, size = 0;
  int *tids = malloc(((size_t)n + 1) * sizeof *tids);
  int *ranks = malloc(((size_t)n + 1) * sizeof *ranks);
  if (tids == NULL || ranks == NULL) {
    free(tids);
    free(ranks);
    return PvmNoMem;
  }
  g->myrank = -1;
  for (int i = 0; i < n; i++) {
    tids[i] = (int)gi->tids[i];
    if (tids[i] != 0) {
      if (tids[i] == lpvm_conn.mytid)
        g->myrank = size;
      ranks[size++] = tids[i];
    }
  }
  free(g->tids);
  free(g->ranks);
  g->tids = tids;
  g->ranks = ranks;
  g->ninst = n;
  g->size = size;
  g->version = gi->version;
  g->frozen = gi->frozen;
  g->defunct = gi->defunct;
  g->member = g->myrank >= 0;
  if (gi->left != 0)
    g->left_tid = (int)gi->left;
  return 0;
}

/* The view of gi->name made from gi (created if needed), or NULL. */
static struct lpvm_group *view_store(const Pvmng__GroupInfo *gi) {
  struct lpvm_group *g = view_find(gi->name);
  if (g == NULL) {
    g = calloc(1, sizeof *g);
    if (g == NULL || (g->name = strdup(gi->name)) == NULL) {
      free(g);
      return NULL;
    }
    g->hash = name_hash(g->name);
    g->next = group_views.views;
    group_views.views = g;
  } else if (gi->version < g->version) {
    return g; /* an older state than we have */
  }
  if (view_set(g, gi) < 0)
    return NULL;
  return g;
}

void lpvm_group_notices(void) {
  struct lpvm_qmsg *m, *next;
  if (lpvm_conn.state != LPVM_UP)
    return;
  for (m = lpvm_conn.queue.next; m != &lpvm_conn.queue; m = next) {
    next = m->next;
    if (m->ctx != LPVM_SYSCTX || m->tag != PVMNG__GROUP_WIRE__GROUP_NOTICE_TAG)
      continue;
    size_t len;
    const void *body = lpvm_gbody(m->bufid, &len);
    Pvmng__GroupInfo *gi =
        body ? pvmng__group_info__unpack(NULL, len, body) : NULL;
    if (gi != NULL) {
      struct lpvm_group *g = view_find(gi->name);
      /* Only views of groups this task is in follow the notices. */
      if (g != NULL && g->member && gi->version > g->version)
        view_set(g, gi);
      pvmng__group_info__free_unpacked(gi, NULL);
    }
    pvm_freebuf(m->bufid);
    lpvm_queue_remove(m);
  }
}

/* ---- registry requests ------------------------------------------------ */

/* Sends a GroupRequest (failed_version: GROUP_BARRIER's, else 0) and
 * returns its reply's code; *out gets the reply (caller frees) when the code
 * is 0 and out is given. */
static int group_request_v(int op, const char *name, int count,
                           uint32_t failed_version, Pvmng__Control **out) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__GroupRequest r = PVMNG__GROUP_REQUEST__INIT;
  int rc;

  r.op = (Pvmng__GroupOp)op;
  r.group = (char *)(name ? name : "");
  r.count = count;
  r.failed_version = failed_version;
  req.body_case = PVMNG__CONTROL__BODY_GROUP;
  req.group = &r;
  rc = lpvm_request(&req, &rep);
  if (rc < 0)
    return rc;
  if (rep->body_case == PVMNG__CONTROL__BODY_GROUP_REPLY) {
    rc = rep->group_reply->code;
  } else if (rep->body_case == PVMNG__CONTROL__BODY_STATUS) {
    rc = rep->status->code < 0 ? rep->status->code : PvmSysErr;
  } else {
    rc = PvmSysErr;
  }
  if (rc == 0 && out != NULL) {
    *out = rep;
    return 0;
  }
  pvmng__control__free_unpacked(rep, NULL);
  return rc;
}

static int group_request(int op, const char *name, int count,
                         Pvmng__Control **out) {
  return group_request_v(op, name, count, 0, out);
}

/* Stores the group a reply describes; returns its view or NULL. */
static struct lpvm_group *store_reply(const Pvmng__Control *rep) {
  const Pvmng__GroupReply *r = rep->group_reply;
  if (r->n_groups < 1)
    return NULL;
  return view_store(r->groups[0]);
}

int lpvm_group_name_ok(const char *name) {
  return name == NULL || name[0] == '\0' ? PvmNullGroup : 0;
}

struct lpvm_group *lpvm_group_fetch(const char *name, int *rc) {
  Pvmng__Control *rep = NULL;
  struct lpvm_group *g;
  *rc = group_request(PVMNG__GROUP_OP__GROUP_INFO, name, 0, &rep);
  if (*rc < 0) {
    /* The group is gone: so is what we knew of it. */
    if (*rc == PvmNoGroup)
      view_drop(name);
    return NULL;
  }
  g = store_reply(rep);
  pvmng__control__free_unpacked(rep, NULL);
  if (g == NULL)
    *rc = PvmNoMem;
  return g;
}

struct lpvm_group *lpvm_group_view(const char *name, int *rc) {
  struct lpvm_group *g;
  *rc = 0;
  if (lpvm_conn.state == LPVM_UP)
    lpvm_pump(0);
  lpvm_group_notices();
  g = view_find(name);
  if (g != NULL && (g->member || g->frozen))
    return g;
  return lpvm_group_fetch(name, rc);
}

/* A view for a query: a frozen group's cached one, else the registry's. */
static struct lpvm_group *query_view(const char *name, int *rc) {
  struct lpvm_group *g = view_find(name);
  if (g != NULL && g->frozen && !g->defunct) {
    *rc = 0;
    return g;
  }
  return lpvm_group_fetch(name, rc);
}

/* ---- PVM's membership API --------------------------------------------- */

static int joingroup_call(char *group);

int pvm_joingroup(char *group) {
  if (LPVM_TRACING()) {
    int x = lpvm_tev_in(TEV_JOINGROUP, "s", TEV_DID_GN, group);
    int rc = joingroup_call(group);
    lpvm_tev_out(x, TEV_JOINGROUP, "i", TEV_DID_GI, rc);
    return rc;
  }
  return joingroup_call(group);
}

static int joingroup_call(char *group) {
  Pvmng__Control *rep = NULL;
  int rc, inst;
  if ((rc = lpvm_connect("pvm_joingroup")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_joingroup", rc);
  rc = group_request(PVMNG__GROUP_OP__GROUP_JOIN, group, 0, &rep);
  if (rc < 0)
    return lpvm_err("pvm_joingroup", rc);
  inst = rep->group_reply->value;
  views_check_owner();
  if (store_reply(rep) == NULL)
    inst = PvmNoMem; /* joined, but cannot follow the group */
  pvmng__control__free_unpacked(rep, NULL);
  return inst < 0 ? lpvm_err("pvm_joingroup", inst) : inst;
}

static int lvgroup_call(char *group);

int pvm_lvgroup(char *group) {
  if (LPVM_TRACING()) {
    int x = lpvm_tev_in(TEV_LVGROUP, "s", TEV_DID_GN, group);
    int rc = lvgroup_call(group);
    lpvm_tev_out(x, TEV_LVGROUP, "i", TEV_DID_CC, rc);
    return rc;
  }
  return lvgroup_call(group);
}

static int lvgroup_call(char *group) {
  int rc;
  if ((rc = lpvm_connect("pvm_lvgroup")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_lvgroup", rc);
  rc = group_request(PVMNG__GROUP_OP__GROUP_LEAVE, group, 0, NULL);
  /* Member or not, what this task held about the group is freed (PVM). */
  view_drop(group);
  return rc < 0 ? lpvm_err("pvm_lvgroup", rc) : 0;
}

int pvm_gsize(char *group) {
  struct lpvm_group *g;
  int rc;
  if ((rc = lpvm_connect("pvm_gsize")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_gsize", rc);
  if ((g = query_view(group, &rc)) == NULL)
    return lpvm_err("pvm_gsize", rc);
  return g->size;
}

int pvm_gettid(char *group, int inst) {
  struct lpvm_group *g;
  int rc;
  if ((rc = lpvm_connect("pvm_gettid")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_gettid", rc);
  if ((g = query_view(group, &rc)) == NULL)
    return lpvm_err("pvm_gettid", rc);
  if (inst < 0 || inst >= g->ninst || g->tids[inst] == 0)
    return lpvm_err("pvm_gettid", PvmNoInst);
  return g->tids[inst];
}

int pvm_getinst(char *group, int tid) {
  struct lpvm_group *g;
  int rc;
  if ((rc = lpvm_connect("pvm_getinst")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_getinst", rc);
  if (!pvmw_tid_is_task(tid))
    return lpvm_err("pvm_getinst", PvmBadParam);
  if ((g = query_view(group, &rc)) == NULL)
    return lpvm_err("pvm_getinst", rc);
  for (int i = 0; i < g->ninst; i++)
    if (g->tids[i] == tid)
      return i;
  return lpvm_err("pvm_getinst", PvmNotInGroup);
}

int pvm_freezegroup(char *group, int size) {
  Pvmng__Control *rep = NULL;
  int rc;
  if ((rc = lpvm_connect("pvm_freezegroup")) < 0)
    return rc;
  if ((rc = lpvm_group_name_ok(group)) < 0)
    return lpvm_err("pvm_freezegroup", rc);
  if (size < -1 || size == 0)
    return lpvm_err("pvm_freezegroup", PvmBadParam);
  rc = group_request(PVMNG__GROUP_OP__GROUP_FREEZE, group, size, &rep);
  if (rc < 0)
    return lpvm_err("pvm_freezegroup", rc);
  if (store_reply(rep) == NULL)
    rc = PvmNoMem;
  pvmng__control__free_unpacked(rep, NULL);
  return rc < 0 ? lpvm_err("pvm_freezegroup", rc) : 0;
}

/* The registry's barrier (daemon/groupreg.c): for a caller whose view does
 * not have count members, or who cannot take the members' barrier at
 * failed_version. Returns 0 when the registry released it (*fast_version
 * 0), or hands it back to the members' barrier at *fast_version, whose view
 * it has stored; or a PVM error. */
int lpvm_group_registry_barrier(const char *group, int count,
                                uint32_t failed_version,
                                uint32_t *fast_version) {
  Pvmng__Control *rep = NULL;
  int rc = group_request_v(PVMNG__GROUP_OP__GROUP_BARRIER, group, count,
                           failed_version, &rep);

  *fast_version = 0;
  if (rc != 0 || rep == NULL)
    return rc;
  if (rep->group_reply->fast_version != 0) {
    if (store_reply(rep) == NULL)
      rc = PvmNoMem;
    else
      *fast_version = rep->group_reply->fast_version;
  }
  pvmng__control__free_unpacked(rep, NULL);
  return rc;
}

int lpvm_group_sync(const char *group, int **tids, int *ninst) {
  Pvmng__Control *rep = NULL;
  const Pvmng__GroupReply *r;
  int rc = group_request(PVMNG__GROUP_OP__GROUP_SYNC, group, 0, &rep);

  *tids = NULL;
  *ninst = 0;
  if (rc < 0)
    return rc;
  r = rep->group_reply;
  if (r->n_groups < 1 || r->groups[0]->n_tids > INT32_MAX / sizeof **tids) {
    rc = PvmSysErr; /* a registry that answers without the view */
  } else if ((*tids = malloc((r->groups[0]->n_tids + 1) * sizeof **tids)) ==
             NULL) {
    rc = PvmNoMem;
  } else {
    *ninst = (int)r->groups[0]->n_tids;
    for (int i = 0; i < *ninst; i++)
      (*tids)[i] = (int)r->groups[0]->tids[i];
    if (store_reply(rep) == NULL) { /* the collective still runs on *tids */
      free(*tids);
      *tids = NULL;
      rc = PvmNoMem;
    }
  }
  pvmng__control__free_unpacked(rep, NULL);
  return rc;
}

/* ---- inspection (pvmng.h) --------------------------------------------- */

static void fill_stat(struct pvmng_gstat *st, const Pvmng__GroupInfo *gi) {
  memset(st, 0, sizeof *st);
  strncpy(st->name, gi->name, sizeof st->name - 1);
  st->ninst = (int)gi->n_tids;
  for (size_t i = 0; i < gi->n_tids; i++)
    if (gi->tids[i] != 0)
      st->size++;
  st->frozen = gi->frozen;
  st->defunct = gi->defunct;
  st->barrier_waiting = gi->barrier_waiting;
  st->barrier_count = gi->barrier_count;
  st->version = gi->version;
  st->tids = malloc(((size_t)st->ninst + 1) * sizeof *st->tids);
  for (int i = 0; st->tids != NULL && i < st->ninst; i++)
    st->tids[i] = (int)gi->tids[i];
}

int pvmng_gstat(const char *group, struct pvmng_gstat **out, int *count) {
  Pvmng__Control *rep = NULL;
  struct pvmng_gstat *v;
  int rc, n;
  if ((rc = lpvm_connect("pvmng_gstat")) < 0)
    return rc;
  if (out == NULL || count == NULL)
    return lpvm_err("pvmng_gstat", PvmBadParam);
  *out = NULL;
  *count = 0;
  if (group != NULL)
    rc = group_request(PVMNG__GROUP_OP__GROUP_INFO, group, 0, &rep);
  else
    rc = group_request(PVMNG__GROUP_OP__GROUP_LIST, "", 0, &rep);
  if (rc < 0)
    return lpvm_err("pvmng_gstat", rc);
  n = (int)rep->group_reply->n_groups;
  v = calloc((size_t)n + 1, sizeof *v);
  if (v == NULL) {
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err("pvmng_gstat", PvmNoMem);
  }
  for (int i = 0; i < n; i++)
    fill_stat(&v[i], rep->group_reply->groups[i]);
  pvmng__control__free_unpacked(rep, NULL);
  *out = v;
  *count = n;
  return n;
}

void pvmng_gstat_free(struct pvmng_gstat *st, int count) {
  for (int i = 0; st != NULL && i < count; i++)
    free(st[i].tids);
  free(st);
}

/* ---- messages between members ----------------------------------------- */

int lpvm_gtag(const struct lpvm_group *g, enum lpvm_gop op, int step) {
  return LPVM_GTAG_BASE | (int)((g->hash & 0xffffu) << 12) |
         ((int)op & 0x3f) << 6 | (step & 0x3f);
}

/* ---- collective data between hosts -------------------------------------
 * Between tasks on one host collective data goes as the native bytes. To a
 * task on another host, whose byte order may differ, each item goes in XDR
 * byte order (big-endian) with a fixed size per type, so that no host
 * depends on another's representation; PVM_LONG travels as 64 bits. */

_Static_assert(sizeof(short) == 2 && sizeof(int) == 4 && sizeof(float) == 4 &&
                   sizeof(double) == 8,
               "collectives assume 16-bit short, 32-bit int, IEEE float");

size_t lpvm_gwire_size(int datatype) {
  switch (datatype) {
  case PVM_BYTE:
    return 1;
  case PVM_SHORT:
    return 2;
  case PVM_INT:
  case PVM_FLOAT:
    return 4;
  case PVM_LONG:
  case PVM_DOUBLE:
  case PVM_CPLX:
    return 8;
  case PVM_DCPLX:
    return 16;
  default:
    return 0;
  }
}

static void put_be(unsigned char *p, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--, v >>= 8)
    p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* Native items at src to wire form at out (nitems * wire size bytes). */
static void wire_encode(const void *src, size_t nitems, int datatype,
                        unsigned char *out) {
  const char *s = src;
  if (datatype == PVM_CPLX || datatype == PVM_DCPLX) {
    nitems *= 2; /* each half like a float or a double */
    datatype = datatype == PVM_CPLX ? PVM_FLOAT : PVM_DOUBLE;
  }
  for (size_t i = 0; i < nitems; i++) {
    switch (datatype) {
    case PVM_BYTE:
      out[i] = (unsigned char)s[i];
      break;
    case PVM_SHORT: {
      short v;
      memcpy(&v, s + 2 * i, 2);
      put_be(out + 2 * i, (uint16_t)v, 2);
      break;
    }
    case PVM_INT:
    case PVM_FLOAT: {
      uint32_t v;
      memcpy(&v, s + 4 * i, 4);
      put_be(out + 4 * i, v, 4);
      break;
    }
    case PVM_LONG: {
      long v;
      memcpy(&v, s + sizeof(long) * i, sizeof v);
      put_be(out + 8 * i, (uint64_t)(int64_t)v, 8);
      break;
    }
    default: { /* PVM_DOUBLE */
      uint64_t v;
      memcpy(&v, s + 8 * i, 8);
      put_be(out + 8 * i, v, 8);
      break;
    }
    }
  }
}

/* Wire items at in to native ones at dst. */
static void wire_decode(const unsigned char *in, size_t nitems, int datatype,
                        void *dst) {
  char *d = dst;
  if (datatype == PVM_CPLX || datatype == PVM_DCPLX) {
    nitems *= 2;
    datatype = datatype == PVM_CPLX ? PVM_FLOAT : PVM_DOUBLE;
  }
  for (size_t i = 0; i < nitems; i++) {
    switch (datatype) {
    case PVM_BYTE:
      d[i] = (char)in[i];
      break;
    case PVM_SHORT: {
      short v = (short)(int16_t)(uint16_t)get_be(in + 2 * i, 2);
      memcpy(d + 2 * i, &v, 2);
      break;
    }
    case PVM_INT:
    case PVM_FLOAT: {
      uint32_t v = (uint32_t)get_be(in + 4 * i, 4);
      memcpy(d + 4 * i, &v, 4);
      break;
    }
    case PVM_LONG: {
      long v = (long)(int64_t)get_be(in + 8 * i, 8);
      memcpy(d + sizeof(long) * i, &v, sizeof v);
      break;
    }
    default: {
      uint64_t v = get_be(in + 8 * i, 8);
      memcpy(d + 8 * i, &v, 8);
      break;
    }
    }
  }
}

int lpvm_gsend(int dst, int tag, const void *data, size_t nitems,
               int datatype) {
  /* Members talk over direct links unless this task refuses them. */
  int saved = lpvm_opts.route, rc;
  unsigned char *wire = NULL;
  size_t len = nitems * lpvm_gtype_size(datatype);
  int enc = PvmDataRaw;

  if (nitems > 0 && pvmw_tid_daemon(dst) != lpvm_conn.dtid) {
    len = nitems * lpvm_gwire_size(datatype);
    if ((wire = malloc(len)) == NULL)
      return PvmNoMem;
    wire_encode(data, nitems, datatype, wire);
    data = wire;
    enc = PvmDataDefault;
  }
  if (saved != PvmDontRoute)
    lpvm_opts.route = PvmRouteDirect;
  rc = lpvm_send_bytes(dst, tag, LPVM_SYSCTX, enc, data, len);
  lpvm_opts.route = saved;
  free(wire);
  return rc;
}

int lpvm_gtake(int bufid, void *dst, size_t nitems, int datatype) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  int xdr = b != NULL && b->enc == PvmDataDefault;
  size_t want =
      nitems * (xdr ? lpvm_gwire_size(datatype) : lpvm_gtype_size(datatype));
  if (b == NULL)
    return PvmNoSuchBuf;
  if (b->len != want)
    return PvmMismatch;
  if (want == 0)
    return 0;
  if (xdr)
    wire_decode((const unsigned char *)b->body, nitems, datatype, dst);
  else
    lpvm_copy(dst, b->body, want);
  return 0;
}

void lpvm_gabort(int dst, int tag) {
  lpvm_gsend(dst, tag | LPVM_GSTEP_ABORT, NULL, 0, PVM_BYTE);
}

const void *lpvm_gbody(int bufid, size_t *len) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL) {
    *len = 0;
    return NULL;
  }
  *len = b->len;
  return b->body;
}

static int is_member(const struct lpvm_group *g, int tid) {
  for (int i = 0; i < g->ninst; i++)
    if (g->tids[i] == tid)
      return 1;
  return 0;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int lpvm_grecv(struct lpvm_group *g, int src, int tag) {
  uint64_t deadline = 0;
  size_t seen = (size_t)-1;
  int atag = tag | LPVM_GSTEP_ABORT;

  for (;;) {
    if (lpvm_conn.queued != seen) {
      int notices = 0;
      for (struct lpvm_qmsg *m = lpvm_conn.queue.next; m != &lpvm_conn.queue;
           m = m->next) {
        if (m->ctx != LPVM_SYSCTX)
          continue;
        if (m->src == src && (m->tag == tag || m->tag == atag)) {
          int bufid = m->bufid, aborted = m->tag != tag;
          lpvm_queue_remove(m);
          if (!aborted)
            return bufid;
          pvm_freebuf(bufid);
          return PvmNoGroup;
        }
        if (m->tag == PVMNG__GROUP_WIRE__GROUP_NOTICE_TAG)
          notices = 1;
      }
      if (notices)
        lpvm_group_notices();
      seen = lpvm_conn.queued;
      if (deadline == 0 && g != NULL && g->member && !is_member(g, src))
        deadline = now_ms() + LEAVE_GRACE_MS;
    }
    int wait = -1;
    if (deadline != 0) {
      uint64_t now = now_ms();
      if (now >= deadline)
        return PvmNoGroup;
      wait = (int)(deadline - now);
    }
    if (lpvm_pump(wait) < 0) {
      /* What arrived before the link went is still delivered. */
      for (struct lpvm_qmsg *m = lpvm_conn.queue.next; m != &lpvm_conn.queue;
           m = m->next)
        if (m->ctx == LPVM_SYSCTX && m->src == src && m->tag == tag) {
          int bufid = m->bufid;
          lpvm_queue_remove(m);
          return bufid;
        }
      return PvmSysErr;
    }
  }
}

size_t lpvm_gtype_size(int datatype) {
  /* The types of pvm_psend but for strings and the unsigned ones, which
   * the reductions do not take. */
  switch (datatype) {
  case PVM_STR:
  case PVM_USHORT:
  case PVM_UINT:
  case PVM_ULONG:
    return 0;
  default:
    return lpvm_type_size(datatype);
  }
}
