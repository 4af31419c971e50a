/* Conformance: tracing as PVM 3.4 defines it (pvmtev.h). This program is a
 * small tracer written for PVM 3.4: it decodes trace messages with the
 * ordinary unpack calls, following the markers and the descriptors, and
 * checks what its children's calls produce:
 *   - pvm_settmask / pvm_gettmask (both targets, bad target);
 *   - PvmTraceTid, PvmTraceCode and the PvmTaskChild mask handed to a
 *     child: entry and exit events of the selected calls with the fields
 *     PVM 3.4.6 sends (destination, tag, context, size, source), the
 *     first event of a kind with its descriptor, later ones without;
 *   - a call outside the mask sends nothing, an untraced child sends
 *     nothing;
 *   - PvmTraceBuffer: the events arrive inside one buffer's markers;
 *   - pvm_reg_tracer: a child spawned with PvmTaskTrace by a parent
 *     without a trace destination is traced to the registered tracer;
 *     a second call withdraws the registration;
 *   - PvmTraceCount: one profiling event with the calls counted;
 *   - PvmSelfTraceTid and the PvmTaskSelf mask set by a task itself. */
#include "conf.h"

#include <pvmtev.h>

#define TAG_HELLO 10
#define TAG_GO 11
#define TAG_DONE 12
#define TAG_TRACE_A 7771
#define TAG_TRACE_B 7772
#define TAG_TRACE_C 7773
#define TAG_TRACE_SELF 7774

/* ---- child ------------------------------------------------------------ */

static int child(void) {
  int me = pvm_mytid(), parent = pvm_parent();
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&me, 1, 1);
  pvm_send(parent, TAG_HELLO);
  pvm_recv(parent, TAG_GO);
  (void)pvm_mytid(); /* outside the mask: no event */
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&me, 1, 1);
  pvm_send(parent, TAG_DONE);
  pvm_exit();
  return 0;
}

/* A child that turns tracing on for itself (PvmSelfTrace*, PvmTaskSelf)
 * before its first message, then runs the child's protocol. */
static int self_tracing_child(void) {
  Pvmtmask m;
  int parent = pvm_parent();
  TEV_MASK_INIT(m);
  TEV_MASK_SET(m, TEV_SEND);
  TEV_MASK_SET(m, TEV_EXIT);
  pvm_settmask(PvmTaskSelf, m);
  /* PVM 3.4.6 has no trace options for a task nobody traced (set them),
   * and takes PvmSelfTraceCode only once a destination is set. */
  pvm_setopt(PvmSelfTraceOptions, PvmTraceFull);
  pvm_setopt(PvmSelfTraceBuffer, 0);
  pvm_setopt(PvmSelfTraceTid, parent);
  pvm_setopt(PvmSelfTraceCode, TAG_TRACE_SELF);
  return child();
}

/* ---- decoding ---------------------------------------------------------- */

#define MAX_FIELDS 24
#define MAX_LAYOUTS 128
#define MAX_EVENTS 256

/* A descriptor: the fields an event of one kind from one sender has. */
struct layout {
  int src, eid, n;
  int did[MAX_FIELDS], type[MAX_FIELDS];
};

/* One decoded event: its scalar int fields by data identifier. */
struct event {
  int src, eid, with_desc, buffered;
  int has[TEV_DID_MAX + 1];
  int val[TEV_DID_MAX + 1];
};

static struct layout layouts[MAX_LAYOUTS];
static int nlayouts;
static struct event events[MAX_EVENTS];
static int nevents;
static int n_data_id; /* TEV_MARK_DATA_ID lists received */

static struct layout *layout_of(int src, int eid) {
  for (int i = 0; i < nlayouts; i++)
    if (layouts[i].src == src && layouts[i].eid == eid)
      return &layouts[i];
  return NULL;
}

/* Reads one field value of the given type into ev (ints kept). */
static int read_value(struct event *ev, int did, int type) {
  int count = 1, base = type & ~TEV_DATA_ARRAY, i;
  char s[4096];
  if (type & TEV_DATA_ARRAY) {
    if (pvm_upkint(&count, 1, 1) < 0 || count < 0 || count > 100000)
      return -1;
    if (did >= 0 && did <= TEV_DID_MAX) {
      ev->has[did] = 1;
      ev->val[did] = count; /* an array: its length */
    }
  }
  for (i = 0; i < count; i++) {
    int iv = 0;
    long lv;
    short sv;
    float fv;
    double dv;
    char bv;
    switch (base) {
    case TEV_DATA_INT:
    case TEV_DATA_UINT:
      if (pvm_upkint(&iv, 1, 1) < 0)
        return -1;
      if (!(type & TEV_DATA_ARRAY) && did >= 0 && did <= TEV_DID_MAX) {
        ev->has[did] = 1;
        ev->val[did] = iv;
      }
      break;
    case TEV_DATA_STRING:
      if (pvm_upkstr(s) < 0)
        return -1;
      if (!(type & TEV_DATA_ARRAY) && did >= 0 && did <= TEV_DID_MAX)
        ev->has[did] = 1;
      break;
    case TEV_DATA_LONG:
    case TEV_DATA_ULONG:
      if (pvm_upklong(&lv, 1, 1) < 0)
        return -1;
      break;
    case TEV_DATA_SHORT:
    case TEV_DATA_USHORT:
      if (pvm_upkshort(&sv, 1, 1) < 0)
        return -1;
      break;
    case TEV_DATA_FLOAT:
      if (pvm_upkfloat(&fv, 1, 1) < 0)
        return -1;
      break;
    case TEV_DATA_DOUBLE:
      if (pvm_upkdouble(&dv, 1, 1) < 0)
        return -1;
      break;
    case TEV_DATA_BYTE:
      if (pvm_upkbyte(&bv, 1, 1) < 0)
        return -1;
      break;
    default:
      return -1;
    }
  }
  return 0;
}

/* Decodes the active receive buffer, a trace message from src. Returns
 * the number of events it held, -1 if it could not be read. */
static int decode(int src) {
  int mark, buffered = 0, got = 0;
  char name[256];
  while (pvm_upkint(&mark, 1, 1) == 0) {
    if (mark == TEV_MARK_DATA_ID) {
      int id;
      n_data_id++;
      while (pvm_upkint(&id, 1, 1) == 0 && id != TEV_MARK_DATA_ID_END)
        if (pvm_upkstr(name) < 0 || pvm_upkstr(name) < 0)
          return -1;
      continue;
    }
    if (mark == TEV_MARK_EVENT_BUFFER) {
      buffered = 1;
      continue;
    }
    if (mark == TEV_MARK_EVENT_BUFFER_END)
      continue;
    if (mark != TEV_MARK_EVENT_DESC && mark != TEV_MARK_EVENT_RECORD)
      return -1; /* user-defined records carry no layout: not read here */
    if (nevents == MAX_EVENTS)
      return -1;
    struct event *ev = &events[nevents];
    memset(ev, 0, sizeof *ev);
    ev->src = src;
    ev->buffered = buffered;
    if (pvm_upkint(&ev->eid, 1, 1) < 0)
      return -1;
    if (mark == TEV_MARK_EVENT_DESC) {
      struct layout *l = layout_of(src, ev->eid);
      int did, type;
      ev->with_desc = 1;
      if (pvm_upkstr(name) < 0)
        return -1;
      if (l == NULL) {
        if (nlayouts == MAX_LAYOUTS)
          return -1;
        l = &layouts[nlayouts++];
      }
      l->src = src, l->eid = ev->eid, l->n = 0;
      while (pvm_upkint(&did, 1, 1) == 0 && did != TEV_MARK_EVENT_DESC_END) {
        if (pvm_upkint(&type, 1, 1) < 0 || l->n == MAX_FIELDS)
          return -1;
        l->did[l->n] = did, l->type[l->n++] = type;
        if (read_value(ev, did, type) < 0)
          return -1;
      }
    } else {
      struct layout *l = layout_of(src, ev->eid);
      int end;
      if (l == NULL)
        return -1;
      for (int i = 0; i < l->n; i++)
        if (read_value(ev, l->did[i], l->type[i]) < 0)
          return -1;
      if (pvm_upkint(&end, 1, 1) < 0 || end != TEV_MARK_EVENT_RECORD_END)
        return -1;
    }
    nevents++;
    got++;
  }
  return got;
}

/* Receives trace messages with tag until tid's exit event has come (or 10 s
 * without any). Returns the number of messages that held events of tid. */
static int collect(int tag, int tid) {
  int msgs = 0;
  for (;;) {
    struct timeval tmo = {10, 0};
    int bufid = pvm_trecv(-1, tag, &tmo), len, mtag, src, first, n;
    if (bufid <= 0)
      return msgs;
    pvm_bufinfo(bufid, &len, &mtag, &src);
    first = nevents;
    /* Reading up to the end of a message ends with PvmNoData: quiet. */
    int ae = pvm_setopt(PvmAutoErr, 0);
    n = decode(src);
    pvm_setopt(PvmAutoErr, ae);
    if (n < 0) {
      CHECK(0, "trace message from t%x (tag %d) decodes", src, tag);
      return msgs;
    }
    int mine = 0, done = 0;
    for (int i = first; i < nevents; i++)
      if (events[i].has[TEV_DID_TID] && events[i].val[TEV_DID_TID] == tid) {
        mine = 1;
        if (events[i].eid == (TEV_EXIT | TEV_EVENT_EXIT) ||
            events[i].eid == TEV_PROFILING || events[i].eid == TEV_TIMING)
          done = 1;
      }
    msgs += mine;
    if (done)
      return msgs;
  }
}

/* The i-th event (from 0) of tid with id eid, or NULL. */
static struct event *find(int tid, int eid, int nth) {
  for (int i = 0; i < nevents; i++)
    if (events[i].val[TEV_DID_TID] == tid && events[i].eid == eid && nth-- == 0)
      return &events[i];
  return NULL;
}

static int count_of(int tid, int eid_base) {
  int n = 0;
  for (int i = 0; i < nevents; i++)
    if (events[i].val[TEV_DID_TID] == tid &&
        (events[i].eid & ~(TEV_EVENT_ENTRY | TEV_EVENT_EXIT)) == eid_base)
      n++;
  return n;
}

static int field(const struct event *e, int did) {
  return e != NULL && e->has[did] ? e->val[did] : -99999;
}

/* Runs the child's protocol with one spawned child. */
static void talk(int tid) {
  int x;
  pvm_recv(tid, TAG_HELLO);
  pvm_upkint(&x, 1, 1);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&x, 1, 1);
  pvm_send(tid, TAG_GO);
  pvm_recv(tid, TAG_DONE);
}

static int spawn_role(const char *role, int flag) {
  char *args[] = {(char *)role, NULL};
  int tid = 0;
  int cc = pvm_spawn((char *)conf_self(), args, flag, "", 1, &tid);
  return cc == 1 ? tid : -1;
}

static int spawn_one(int flag) { return spawn_role("child", flag); }

int main(int argc, char **argv) {
  Pvmtmask m, got;
  int me, a, b, c, d, cc, n;
  struct event *e;

  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  if (argc > 1 && strcmp(argv[1], "selftrace") == 0)
    return self_tracing_child();
  conf_begin("trace");
  me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid enrols (got %d)", me);

  /* Masks. */
  TEV_MASK_INIT(m);
  TEV_MASK_SET(m, TEV_SEND);
  TEV_MASK_SET(m, TEV_RECV);
  TEV_MASK_SET(m, TEV_EXIT);
  CHECK(TEV_MASK_CHECK(m, TEV_SEND) && !TEV_MASK_CHECK(m, TEV_MYTID),
        "TEV_MASK_SET / TEV_MASK_CHECK");
  CHECK_INT(pvm_settmask(PvmTaskChild, m), 0, "pvm_settmask(PvmTaskChild)");
  memset(got, 0, sizeof got);
  CHECK_INT(pvm_gettmask(PvmTaskChild, got), 0, "pvm_gettmask(PvmTaskChild)");
  CHECK(strcmp(got, m) == 0, "pvm_gettmask returns the mask set (%s)", got);
  CHECK_INT(pvm_gettmask(PvmTaskSelf, got), 0, "pvm_gettmask(PvmTaskSelf)");
  CHECK(!TEV_MASK_CHECK(got, TEV_SEND), "this task's own mask is empty");
  pvm_setopt(PvmAutoErr, 0);
  CHECK_INT(pvm_settmask(7, m), PvmBadParam, "pvm_settmask(7) is refused");
  pvm_setopt(PvmAutoErr, 1);

  /* A: traced through PvmTraceTid; B: untraced. */
  pvm_setopt(PvmTraceTid, me);
  pvm_setopt(PvmTraceCode, TAG_TRACE_A);
  pvm_setopt(PvmTraceBuffer, 0);
  pvm_setopt(PvmTraceOptions, PvmTraceFull);
  CHECK_INT(pvm_getopt(PvmTraceTid), me, "pvm_getopt(PvmTraceTid)");
  CHECK_INT(pvm_getopt(PvmTraceCode), TAG_TRACE_A, "pvm_getopt(PvmTraceCode)");
  a = spawn_one(PvmTaskDefault);
  CONF_REQUIRE(a > 0, "spawn of the traced child");
  pvm_setopt(PvmTraceTid, 0);
  b = spawn_one(PvmTaskDefault);
  CONF_REQUIRE(b > 0, "spawn of the untraced child");
  talk(a);
  talk(b);
  cc = collect(TAG_TRACE_A, a);
  CHECK(cc > 0, "events of the traced child arrive with PvmTraceCode");
  e = find(a, TEV_SEND | TEV_EVENT_ENTRY, 0);
  CHECK(e != NULL, "send entry event");
  CHECK(e && e->with_desc, "first send entry carries its descriptor");
  CHECK_INT(field(e, TEV_DID_DST), me, "send entry DST");
  CHECK_INT(field(e, TEV_DID_MC), TAG_HELLO, "send entry MC");
  CHECK_INT(field(e, TEV_DID_MCX), 0, "send entry MCX");
  CHECK(field(e, TEV_DID_MNB) >= 4, "send entry MNB (%d)",
        field(e, TEV_DID_MNB));
  CHECK(field(e, TEV_DID_TS) > 1000000000, "send entry TS is a time of day");
  CHECK(field(e, TEV_DID_TU) >= 0 && field(e, TEV_DID_TU) < 1000000,
        "send entry TU is microseconds");
  e = find(a, TEV_SEND | TEV_EVENT_EXIT, 0);
  CHECK_INT(field(e, TEV_DID_CC), 0, "send exit CC");
  e = find(a, TEV_RECV | TEV_EVENT_ENTRY, 0);
  CHECK_INT(field(e, TEV_DID_RST), me, "recv entry RST");
  CHECK_INT(field(e, TEV_DID_RMC), TAG_GO, "recv entry RMC");
  e = find(a, TEV_RECV | TEV_EVENT_EXIT, 0);
  CHECK(field(e, TEV_DID_MB) > 0, "recv exit MB is a buffer");
  CHECK_INT(field(e, TEV_DID_SRC), me, "recv exit SRC");
  CHECK_INT(field(e, TEV_DID_MC), TAG_GO, "recv exit MC");
  CHECK(field(e, TEV_DID_MNB) >= 4, "recv exit MNB");
  e = find(a, TEV_SEND | TEV_EVENT_ENTRY, 1);
  CHECK(e && !e->with_desc, "second send entry is a record without layout");
  CHECK_INT(field(e, TEV_DID_MC), TAG_DONE, "second send entry MC");
  CHECK(find(a, TEV_EXIT | TEV_EVENT_ENTRY, 0) != NULL, "exit entry event");
  CHECK_INT(count_of(a, TEV_MYTID), 0, "no event for a call outside the mask");
  CHECK_INT(count_of(b, TEV_SEND) + count_of(b, TEV_EXIT), 0,
            "the untraced child sends no event");

  /* C: buffered. */
  pvm_setopt(PvmTraceTid, me);
  pvm_setopt(PvmTraceCode, TAG_TRACE_B);
  pvm_setopt(PvmTraceBuffer, 100000);
  c = spawn_one(PvmTaskDefault);
  CONF_REQUIRE(c > 0, "spawn of the buffered child");
  pvm_setopt(PvmTraceTid, 0);
  pvm_setopt(PvmTraceBuffer, 0);
  talk(c);
  cc = collect(TAG_TRACE_B, c);
  /* PVM 3.4.6 sends a buffer early as well (before a receive blocks, for
   * one): fewer messages than events is what buffering promises. */
  n = count_of(c, TEV_SEND) + count_of(c, TEV_RECV) + count_of(c, TEV_EXIT);
  CHECK(cc >= 1 && cc < n, "buffered: %d events in %d messages", n, cc);
  e = find(c, TEV_SEND | TEV_EVENT_ENTRY, 1);
  CHECK(e && e->buffered, "inside TEV_MARK_EVENT_BUFFER");
  CHECK_INT(count_of(c, TEV_SEND), 4, "two sends, entry and exit each");

  /* D: through pvm_reg_tracer and PvmTaskTrace. */
  TEV_MASK_INIT(m);
  TEV_MASK_SET(m, TEV_SEND);
  TEV_MASK_SET(m, TEV_EXIT);
  cc = pvm_reg_tracer(0, TAG_TRACE_C, 0, 0, m, 0, PvmTraceFull);
  CHECK_INT(cc, 0, "pvm_reg_tracer registers this task");
  d = spawn_one(PvmTaskTrace);
  CONF_REQUIRE(d > 0, "spawn of a child with PvmTaskTrace");
  talk(d);
  cc = collect(TAG_TRACE_C, d);
  CHECK(cc > 0, "the registered tracer receives the child's events");
  e = find(d, TEV_SEND | TEV_EVENT_ENTRY, 0);
  CHECK_INT(field(e, TEV_DID_MC), TAG_HELLO, "registered tracer: send entry");
  CHECK_INT(count_of(d, TEV_RECV), 0, "registered tracer's mask applies");
  CHECK(n_data_id > 0, "the data identifier list was sent");
  CHECK_INT(pvm_reg_tracer(0, TAG_TRACE_C, 0, 0, m, 0, PvmTraceFull), 0,
            "pvm_reg_tracer again withdraws the registration");

  /* E: PvmTraceCount, a summary of the calls at the end. */
  pvm_settmask(PvmTaskChild, m);
  pvm_setopt(PvmTraceTid, me);
  pvm_setopt(PvmTraceCode, TAG_TRACE_B);
  pvm_setopt(PvmTraceOptions, PvmTraceCount);
  d = spawn_one(PvmTaskDefault);
  CONF_REQUIRE(d > 0, "spawn of a child counting its calls");
  pvm_setopt(PvmTraceTid, 0);
  pvm_setopt(PvmTraceOptions, PvmTraceFull);
  talk(d);
  collect(TAG_TRACE_B, d);
  e = find(d, TEV_PROFILING, 0);
  CHECK(e != NULL && e->with_desc, "PvmTraceCount: one profiling event");
  CHECK(field(e, TEV_DID_VCT) >= 1, "profiling event counts %d calls",
        field(e, TEV_DID_VCT));
  CHECK(field(e, TEV_DID_PRF) == field(e, TEV_DID_VCT),
        "one count per call named");
  CHECK_INT(count_of(d, TEV_SEND), 0, "no send event when counting");

  /* F: a task that traces itself with PvmSelfTraceTid. */
  d = spawn_role("selftrace", PvmTaskDefault);
  CONF_REQUIRE(d > 0, "spawn of a child tracing itself");
  talk(d);
  cc = collect(TAG_TRACE_SELF, d);
  CHECK(cc > 0, "PvmSelfTraceTid: the task's own events arrive");
  CHECK_INT(count_of(d, TEV_SEND), 4, "PvmSelfTraceTid: its two sends");

  pvm_exit();
  return conf_end();
}
