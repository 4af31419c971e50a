/* Tracing, PVM 3.4's way: a traced task packs an event for each traced
 * call, at its start (TEV_EVENT_ENTRY) and end (TEV_EVENT_EXIT), into an
 * ordinary PvmDataDefault message for its tracer (PvmSelfTraceTid, Code,
 * Context). The first event of a kind carries its field layout (a
 * descriptor: data identifier and type before each value); later ones
 * carry the values only. With PvmSelfTraceBuffer set, events collect in
 * one message until it holds that many bytes; PvmTraceTime and
 * PvmTraceCount send one summary at pvm_exit instead. Children inherit the
 * destination and the PvmTaskChild mask through their environment. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "trace.h"

int lpvm_tev_on;

/* The events, indexed by event id: the names PVM 3.4 sends, and the
 * bookkeeping fields of PVM 3.4.6's exported table of the same name
 * (declared in pvmtev.h), which tools such as the console read the names
 * from. */
LPVM_PUBLIC struct Pvmtevinfo pvmtevinfo[TEV_MAX + 1] = {
    {"addhosts", 0, {0, 0}, {0, 0}, 0},
    {"barrier", 0, {0, 0}, {0, 0}, 0},
    {"bcast", 0, {0, 0}, {0, 0}, 0},
    {"bufinfo", 0, {0, 0}, {0, 0}, 0},
    {"config", 0, {0, 0}, {0, 0}, 0},
    {"delete", 0, {0, 0}, {0, 0}, 0},
    {"delhosts", 0, {0, 0}, {0, 0}, 0},
    {"exit", 0, {0, 0}, {0, 0}, 0},
    {"freebuf", 0, {0, 0}, {0, 0}, 0},
    {"getfds", 0, {0, 0}, {0, 0}, 0},
    {"getinst", 0, {0, 0}, {0, 0}, 0},
    {"getopt", 0, {0, 0}, {0, 0}, 0},
    {"getrbuf", 0, {0, 0}, {0, 0}, 0},
    {"getsbuf", 0, {0, 0}, {0, 0}, 0},
    {"gettid", 0, {0, 0}, {0, 0}, 0},
    {"gsize", 0, {0, 0}, {0, 0}, 0},
    {"halt", 0, {0, 0}, {0, 0}, 0},
    {"initsend", 0, {0, 0}, {0, 0}, 0},
    {"insert", 0, {0, 0}, {0, 0}, 0},
    {"joingroup", 0, {0, 0}, {0, 0}, 0},
    {"kill", 0, {0, 0}, {0, 0}, 0},
    {"lookup", 0, {0, 0}, {0, 0}, 0},
    {"lvgroup", 0, {0, 0}, {0, 0}, 0},
    {"mcast", 0, {0, 0}, {0, 0}, 0},
    {"mkbuf", 0, {0, 0}, {0, 0}, 0},
    {"mstat", 0, {0, 0}, {0, 0}, 0},
    {"mytid", 0, {0, 0}, {0, 0}, 0},
    {"notify", 0, {0, 0}, {0, 0}, 0},
    {"nrecv", 0, {0, 0}, {0, 0}, 0},
    {"parent", 0, {0, 0}, {0, 0}, 0},
    {"perror", 0, {0, 0}, {0, 0}, 0},
    {"pkbyte", 0, {0, 0}, {0, 0}, 0},
    {"pkcplx", 0, {0, 0}, {0, 0}, 0},
    {"pkdcplx", 0, {0, 0}, {0, 0}, 0},
    {"pkdouble", 0, {0, 0}, {0, 0}, 0},
    {"pkfloat", 0, {0, 0}, {0, 0}, 0},
    {"pkint", 0, {0, 0}, {0, 0}, 0},
    {"pkuint", 0, {0, 0}, {0, 0}, 0},
    {"pklong", 0, {0, 0}, {0, 0}, 0},
    {"pkulong", 0, {0, 0}, {0, 0}, 0},
    {"pkshort", 0, {0, 0}, {0, 0}, 0},
    {"pkushort", 0, {0, 0}, {0, 0}, 0},
    {"pkstr", 0, {0, 0}, {0, 0}, 0},
    {"probe", 0, {0, 0}, {0, 0}, 0},
    {"pstat", 0, {0, 0}, {0, 0}, 0},
    {"recv", 0, {0, 0}, {0, 0}, 0},
    {"recvf", 0, {0, 0}, {0, 0}, 0},
    {"send", 0, {0, 0}, {0, 0}, 0},
    {"sendsig", 0, {0, 0}, {0, 0}, 0},
    {"setopt", 0, {0, 0}, {0, 0}, 0},
    {"setrbuf", 0, {0, 0}, {0, 0}, 0},
    {"setsbuf", 0, {0, 0}, {0, 0}, 0},
    {"spawn", 0, {0, 0}, {0, 0}, 0},
    {"start_pvmd", 0, {0, 0}, {0, 0}, 0},
    {"tasks", 0, {0, 0}, {0, 0}, 0},
    {"tickle", 0, {0, 0}, {0, 0}, 0},
    {"tidtohost", 0, {0, 0}, {0, 0}, 0},
    {"trecv", 0, {0, 0}, {0, 0}, 0},
    {"upkbyte", 0, {0, 0}, {0, 0}, 0},
    {"upkcplx", 0, {0, 0}, {0, 0}, 0},
    {"upkdcplx", 0, {0, 0}, {0, 0}, 0},
    {"upkdouble", 0, {0, 0}, {0, 0}, 0},
    {"upkfloat", 0, {0, 0}, {0, 0}, 0},
    {"upkint", 0, {0, 0}, {0, 0}, 0},
    {"upkuint", 0, {0, 0}, {0, 0}, 0},
    {"upklong", 0, {0, 0}, {0, 0}, 0},
    {"upkulong", 0, {0, 0}, {0, 0}, 0},
    {"upkshort", 0, {0, 0}, {0, 0}, 0},
    {"upkushort", 0, {0, 0}, {0, 0}, 0},
    {"upkstr", 0, {0, 0}, {0, 0}, 0},
    {"version", 0, {0, 0}, {0, 0}, 0},
    {"reg_hoster", 0, {0, 0}, {0, 0}, 0},
    {"reg_rm", 0, {0, 0}, {0, 0}, 0},
    {"reg_tasker", 0, {0, 0}, {0, 0}, 0},
    {"reg_tracer", 0, {0, 0}, {0, 0}, 0},
    {"newtask", 0, {0, 0}, {0, 0}, 0},
    {"endtask", 0, {0, 0}, {0, 0}, 0},
    {"spntask", 0, {0, 0}, {0, 0}, 0},
    {"archcode", 0, {0, 0}, {0, 0}, 0},
    {"catchout", 0, {0, 0}, {0, 0}, 0},
    {"getmwid", 0, {0, 0}, {0, 0}, 0},
    {"gettmask", 0, {0, 0}, {0, 0}, 0},
    {"hostsync", 0, {0, 0}, {0, 0}, 0},
    {"packf", 0, {0, 0}, {0, 0}, 0},
    {"precv", 0, {0, 0}, {0, 0}, 0},
    {"psend", 0, {0, 0}, {0, 0}, 0},
    {"reduce", 0, {0, 0}, {0, 0}, 0},
    {"setmwid", 0, {0, 0}, {0, 0}, 0},
    {"settmask", 0, {0, 0}, {0, 0}, 0},
    {"unpackf", 0, {0, 0}, {0, 0}, 0},
    {"gather", 0, {0, 0}, {0, 0}, 0},
    {"scatter", 0, {0, 0}, {0, 0}, 0},
    {"putinfo", 0, {0, 0}, {0, 0}, 0},
    {"getinfo", 0, {0, 0}, {0, 0}, 0},
    {"delinfo", 0, {0, 0}, {0, 0}, 0},
    {"getmboxinfo", 0, {0, 0}, {0, 0}, 0},
    {"newcontext", 0, {0, 0}, {0, 0}, 0},
    {"freecontext", 0, {0, 0}, {0, 0}, 0},
    {"setcontext", 0, {0, 0}, {0, 0}, 0},
    {"getcontext", 0, {0, 0}, {0, 0}, 0},
    {"siblings", 0, {0, 0}, {0, 0}, 0},
    {"getminfo", 0, {0, 0}, {0, 0}, 0},
    {"setminfo", 0, {0, 0}, {0, 0}, 0},
    {"addmhf", 0, {0, 0}, {0, 0}, 0},
    {"delmhf", 0, {0, 0}, {0, 0}, 0},
    {"mhf_invoke", 0, {0, 0}, {0, 0}, 0},
    {"timing", 0, {0, 0}, {0, 0}, 0},
    {"profiling", 0, {0, 0}, {0, 0}, 0},
    {"user_defined", 0, {0, 0}, {0, 0}, 0}};

/* Short names of the data identifiers, indexed by TEV_DID_*: the list a
 * tracer receives once (TEV_MARK_DATA_ID) to name the fields. */
static const char *const did_names[TEV_DID_MAX + 1] = {
    "AN",  "AC",  "AS",  "BF",  "CC",  "CN",  "CI",  "CF",  "CD",  "CR",  "CL",
    "CDA", "CDT", "CDX", "CDC", "CGI", "CRF", "CXC", "CXF", "CXN", "CXS", "ERI",
    "ERR", "FDS", "FP",  "GN",  "GI",  "GT",  "GS",  "GBC", "HN",  "HNL", "HNA",
    "HPT", "HA",  "HSP", "HIS", "HCS", "HCU", "HDS", "HDU", "HS",  "INB", "IMC",
    "IST", "MC",  "MCX", "MB",  "MNB", "SRC", "DST", "MDL", "MTS", "MTU", "MRF",
    "MRB", "MSB", "ME",  "MHI", "AST", "AMC", "AML", "NE",  "NMC", "NCT", "NTL",
    "NH",  "NA",  "OPT", "OPV", "OS",  "PDA", "PDT", "PC",  "PSD", "PSG", "PF",
    "PRF", "RST", "RMC", "RCX", "SN",  "SE",  "SF",  "SW",  "SC",  "STL", "SIB",
    "TID", "PT",  "MT",  "TF",  "TN",  "PID", "TT",  "TW",  "TIS", "TNT", "TST",
    "TUS", "TUU", "TSS", "TSU", "TES", "TA",  "TR",  "TS",  "TU",  "TGS", "TGU",
    "TMW", "TM",  "TRC", "TRT", "TRX", "TRO", "TRM", "TRB", "TRL", "VER", "VCT",
    "VID", "WID"};

/* Environment variables that carry a parent's trace settings to a child:
 * PVM 3.4's names for the mask, buffering and options, PVM-NG's for the
 * destination (PVM 3.4's daemon passed that itself). */
#define ENV_MASK "PVMTMASK"
#define ENV_BUF "PVMTRCBUF"
#define ENV_OPT "PVMTRCOPT"
#define ENV_TID "PVMNG_TRCTID"
#define ENV_CTX "PVMNG_TRCCTX"
#define ENV_TAG "PVMNG_TRCTAG"

static struct {
  int init;             /* masks initialised */
  Pvmtmask self, child; /* PvmTaskSelf and PvmTaskChild masks */
  int busy;             /* a traced call is in progress */
  int desc_mode;        /* the event being packed carries its layout */
  int sbuf;             /* events packed and not sent yet, 0 if none */
  int saved_sbuf;       /* the caller's send buffer while packing */
  int ids_to;           /* tracer the data identifier list went to */
  unsigned char desc_sent[TEV_MAX + 1]; /* 1 entry, 2 exit layout sent */
  struct timeval mark[TEV_MAX + 1], total[TEV_MAX + 1];
  int count[TEV_MAX + 1];
  int reg_index; /* our pvm_reg_tracer mailbox entry, -1 if none */
  /* Ints of the event being packed, not packed yet: a run of ints goes
   * into the message with one pack call (a tracer unpacks them one by one
   * all the same), which is most of an event's cost otherwise. */
  int stage[64], nstage;
} tev_state = {.reg_index = -1};

static void unstage(void) {
  if (tev_state.nstage > 0)
    pvm_pkint(tev_state.stage, tev_state.nstage, 1);
  tev_state.nstage = 0;
}

static void put(int v) {
  if (tev_state.nstage ==
      (int)(sizeof tev_state.stage / sizeof tev_state.stage[0]))
    unstage();
  tev_state.stage[tev_state.nstage++] = v;
}

static void init_masks(void) {
  if (tev_state.init)
    return;
  TEV_MASK_INIT(tev_state.self);
  TEV_MASK_INIT(tev_state.child);
  tev_state.init = 1;
}

/* A mask string as received (environment, mailbox): used if it has the
 * right length and only characters of a mask; else the mask stays. */
static void take_mask(char *dst, const char *s) {
  if (s == NULL || strlen(s) != TEV_MASK_LENGTH - 1)
    return;
  for (const char *p = s; *p; p++)
    if (*p < '@' || *p > 'O')
      return;
  memcpy(dst, s, TEV_MASK_LENGTH);
}

static int mask_check(int kind) {
  return kind >= TEV_FIRST && kind <= TEV_MAX &&
         TEV_MASK_CHECK(tev_state.self, kind);
}

/* Sends the buffer of events (if any) to the tracer. */
static void flush(void) {
  int b = tev_state.sbuf;
  if (b == 0)
    return;
  tev_state.sbuf = 0;
  if (lpvm_opts.self_trace_buffer > 0) {
    int end = TEV_MARK_EVENT_BUFFER_END, old = pvm_setsbuf(b);
    pvm_pkint(&end, 1, 1);
    pvm_setsbuf(old);
  }
  if (lpvm_send_buf(lpvm_opts.self_trace_tid, lpvm_opts.self_trace_code,
                    lpvm_opts.self_trace_ctx, b) < 0) {
    /* Said once; the task goes on untraced rather than failing its calls
     * because its tracer is gone. */
    pvmlogprintf("trace: events for t%x could not be sent; tracing stops\n",
                 lpvm_opts.self_trace_tid);
    lpvm_tev_on = 0;
  }
  pvm_freebuf(b);
}

/* The list of data identifiers, once per tracer, before its first event:
 * PVM 3.4's daemon sends it, and tracers built on PVM 3.4's tracer
 * library need it to read descriptors. */
static void send_ids(void) {
  int b, old, v;
  if (tev_state.ids_to == lpvm_opts.self_trace_tid)
    return;
  tev_state.ids_to = lpvm_opts.self_trace_tid;
  if ((b = pvm_mkbuf(PvmDataDefault)) < 0)
    return;
  old = pvm_setsbuf(b);
  v = TEV_MARK_DATA_ID;
  pvm_pkint(&v, 1, 1);
  for (int i = 0; i <= TEV_DID_MAX; i++) {
    pvm_pkint(&i, 1, 1);
    pvm_pkstr((char *)did_names[i]);
    pvm_pkstr((char *)did_names[i]);
  }
  v = TEV_MARK_DATA_ID_END;
  pvm_pkint(&v, 1, 1);
  pvm_setsbuf(old);
  lpvm_send_buf(lpvm_opts.self_trace_tid, lpvm_opts.self_trace_code,
                lpvm_opts.self_trace_ctx, b);
  pvm_freebuf(b);
}

/* Field packers: with the layout, the identifier and type come first. */
static void pack_int(int did, int v) {
  if (tev_state.desc_mode) {
    put(did);
    put(TEV_DATA_INT | TEV_DATA_SCALAR);
  }
  put(v);
}

static void pack_str(int did, const char *s) {
  if (tev_state.desc_mode) {
    put(did);
    put(TEV_DATA_STRING | TEV_DATA_SCALAR);
  }
  unstage();
  pvm_pkstr((char *)(s ? s : ""));
}

static void pack_ints(int did, const int *a, int n) {
  if (a == NULL || n < 0)
    n = 0;
  if (tev_state.desc_mode) {
    put(did);
    put(TEV_DATA_INT | TEV_DATA_ARRAY);
  }
  put(n);
  unstage();
  if (n > 0)
    pvm_pkint((int *)a, n, 1);
}

static void pack_fields(const char *fmt, va_list ap) {
  for (const char *f = fmt; *f; f++) {
    int did = va_arg(ap, int);
    if (*f == 'i') {
      pack_int(did, va_arg(ap, int));
    } else if (*f == 's') {
      pack_str(did, va_arg(ap, const char *));
    } else {
      const int *a = va_arg(ap, const int *);
      pack_ints(did, a, va_arg(ap, int));
    }
  }
}

/* Opens an event in the event buffer: marker, id, name with the layout,
 * then the header every event has (time and task). Returns 0 or -1. */
static int begin(int kind, int ee) {
  int bit = ee == TEV_EVENT_ENTRY ? 1 : 2, newbuf = 0;
  struct timeval now;
  gettimeofday(&now, NULL);
  send_ids();
  tev_state.desc_mode = !(tev_state.desc_sent[kind] & bit);
  tev_state.desc_sent[kind] |= (unsigned char)bit;
  if (tev_state.sbuf == 0) {
    if ((tev_state.sbuf = pvm_mkbuf(PvmDataDefault)) < 0) {
      tev_state.sbuf = 0;
      return -1;
    }
    newbuf = 1;
  }
  tev_state.saved_sbuf = pvm_setsbuf(tev_state.sbuf);
  tev_state.nstage = 0;
  if (newbuf && lpvm_opts.self_trace_buffer > 0)
    put(TEV_MARK_EVENT_BUFFER);
  put(tev_state.desc_mode ? TEV_MARK_EVENT_DESC : TEV_MARK_EVENT_RECORD);
  put(kind | ee);
  if (tev_state.desc_mode) {
    unstage();
    pvm_pkstr(pvmtevinfo[kind].name);
  }
  pack_int(TEV_DID_TS, (int)now.tv_sec);
  pack_int(TEV_DID_TU, (int)now.tv_usec);
  pack_int(TEV_DID_TID, lpvm_conn.mytid);
  return 0;
}

/* Closes the event; sends it now unless buffering asks for more. */
static void fin(void) {
  int size = 0;
  put(tev_state.desc_mode ? TEV_MARK_EVENT_DESC_END
                          : TEV_MARK_EVENT_RECORD_END);
  unstage();
  pvm_setsbuf(tev_state.saved_sbuf);
  if (lpvm_opts.self_trace_buffer > 0 &&
      pvm_bufinfo(tev_state.sbuf, &size, NULL, NULL) == 0 &&
      size < lpvm_opts.self_trace_buffer)
    return;
  flush();
}

static void event(int kind, int ee, const char *fmt, va_list ap) {
  if (begin(kind, ee) < 0)
    return;
  pack_fields(fmt, ap);
  fin();
}

int lpvm_tev_in(int kind, const char *fmt, ...) {
  va_list ap;
  /* Not before enrolment (PvmSelfTraceTid may be set first): the events
   * need the task's tid and its link. */
  if (tev_state.busy || !lpvm_tev_on || lpvm_conn.state != LPVM_UP)
    return 0;
  tev_state.busy = 1;
  if (!mask_check(kind))
    return 1;
  switch (lpvm_opts.self_trace_opts) {
  case PvmTraceTime:
    gettimeofday(&tev_state.mark[kind], NULL);
    break;
  case PvmTraceCount:
    break;
  default:
    va_start(ap, fmt);
    event(kind, TEV_EVENT_ENTRY, fmt, ap);
    va_end(ap);
  }
  return 1;
}

void lpvm_tev_out(int token, int kind, const char *fmt, ...) {
  va_list ap;
  if (!token)
    return;
  if (lpvm_tev_on && mask_check(kind)) {
    switch (lpvm_opts.self_trace_opts) {
    case PvmTraceTime: {
      struct timeval now, d;
      gettimeofday(&now, NULL);
      timersub(&now, &tev_state.mark[kind], &d);
      timeradd(&tev_state.total[kind], &d, &tev_state.total[kind]);
      tev_state.count[kind]++;
      break;
    }
    case PvmTraceCount:
      tev_state.count[kind]++;
      break;
    default:
      va_start(ap, fmt);
      event(kind, TEV_EVENT_EXIT, fmt, ap);
      va_end(ap);
    }
  }
  tev_state.busy = 0;
}

void lpvm_tev_flush(void) {
  if (lpvm_tev_on)
    flush();
}

int lpvm_tev_sbuf_len(void) {
  int n = -1, b = pvm_getsbuf();
  if (b > 0)
    pvm_bufinfo(b, &n, NULL, NULL);
  return n;
}

/* The summary of PvmTraceTime / PvmTraceCount: one descriptor event
 * (TEV_TIMING or TEV_PROFILING) with the names of the calls made, their
 * total times (timing) and their counts. */
static void summary(void) {
  const char *names[TEV_MAX + 1];
  int secs[TEV_MAX + 1], usecs[TEV_MAX + 1], counts[TEV_MAX + 1], n = 0;
  int timing = lpvm_opts.self_trace_opts == PvmTraceTime, v, b, old;
  struct timeval now;
  for (int k = TEV_FIRST; k <= TEV_MAX; k++)
    if (tev_state.count[k] > 0) {
      names[n] = pvmtevinfo[k].name;
      secs[n] = (int)tev_state.total[k].tv_sec;
      usecs[n] = (int)tev_state.total[k].tv_usec;
      counts[n++] = tev_state.count[k];
      tev_state.count[k] = 0;
      timerclear(&tev_state.total[k]);
    }
  send_ids();
  if ((b = pvm_mkbuf(PvmDataDefault)) < 0)
    return;
  old = pvm_setsbuf(b);
  tev_state.desc_mode = 1;
  tev_state.nstage = 0;
  v = timing ? TEV_TIMING : TEV_PROFILING;
  put(TEV_MARK_EVENT_DESC);
  put(v);
  unstage();
  pvm_pkstr(pvmtevinfo[v].name);
  gettimeofday(&now, NULL);
  pack_int(TEV_DID_TS, (int)now.tv_sec);
  pack_int(TEV_DID_TU, (int)now.tv_usec);
  pack_int(TEV_DID_TID, lpvm_conn.mytid);
  pack_int(TEV_DID_VCT, n);
  put(TEV_DID_VID);
  put(TEV_DATA_STRING | TEV_DATA_ARRAY);
  put(n);
  unstage();
  for (int i = 0; i < n; i++)
    pvm_pkstr((char *)names[i]);
  if (timing) {
    pack_ints(TEV_DID_TGS, secs, n);
    pack_ints(TEV_DID_TGU, usecs, n);
  }
  pack_ints(TEV_DID_PRF, counts, n);
  put(TEV_MARK_EVENT_DESC_END);
  unstage();
  pvm_setsbuf(old);
  lpvm_send_buf(lpvm_opts.self_trace_tid, lpvm_opts.self_trace_code,
                lpvm_opts.self_trace_ctx, b);
  pvm_freebuf(b);
}

void lpvm_tev_exit(void) {
  int x;
  if (!lpvm_tev_on)
    return;
  x = lpvm_tev_in(TEV_EXIT, "");
  lpvm_tev_out(x, TEV_EXIT, "i", TEV_DID_CC, 0);
  flush();
  if (lpvm_opts.self_trace_opts == PvmTraceTime ||
      lpvm_opts.self_trace_opts == PvmTraceCount)
    summary();
  lpvm_tev_on = 0;
}

void lpvm_tev_update(void) {
  int tid = lpvm_opts.self_trace_tid;
  int on = tid > 0 && tid != lpvm_conn.mytid;
  init_masks();
  /* A new tracer starts afresh: it has seen no layout yet. */
  if (on && tid != tev_state.ids_to) {
    flush();
    memset(tev_state.desc_sent, 0, sizeof tev_state.desc_sent);
  }
  if (!on)
    flush();
  lpvm_tev_on = on;
}

static int env_int(const char *name, int *out) {
  const char *s = getenv(name);
  char *end;
  long v;
  if (s == NULL || *s == '\0')
    return 0;
  v = strtol(s, &end, 0);
  if (*end != '\0' || v < -2147483647L || v > 2147483647L)
    return 0;
  *out = (int)v;
  return 1;
}

void lpvm_tev_enrolled(void) {
  int tid = 0, v;
  init_masks();
  if (env_int(ENV_TID, &tid) && tid > 0) {
    /* Traced by the parent's choice: this task's and its children's
     * settings both start from what the parent handed on (PVM 3.4). */
    lpvm_opts.self_trace_tid = lpvm_opts.trace_tid = tid;
    if (env_int(ENV_TAG, &v))
      lpvm_opts.self_trace_code = lpvm_opts.trace_code = v;
    if (env_int(ENV_CTX, &v))
      lpvm_opts.self_trace_ctx = lpvm_opts.trace_ctx = v;
    if (env_int(ENV_BUF, &v) && v >= 0)
      lpvm_opts.self_trace_buffer = lpvm_opts.trace_buffer = v;
    if (env_int(ENV_OPT, &v) && v >= PvmTraceFull && v <= PvmTraceCount)
      lpvm_opts.self_trace_opts = lpvm_opts.trace_opts = v;
    take_mask(tev_state.self, getenv(ENV_MASK));
    memcpy(tev_state.child, tev_state.self, sizeof tev_state.child);
  }
  /* The variables are this task's; its children get theirs from it. */
  unsetenv(ENV_TID);
  unsetenv(ENV_TAG);
  unsetenv(ENV_CTX);
  lpvm_tev_update();
}

int pvm_settmask(int who, Pvmtmask tmask) {
  init_masks();
  if ((who != PvmTaskSelf && who != PvmTaskChild) || tmask == NULL)
    return lpvm_err("pvm_settmask", PvmBadParam);
  /* PVM 3.4 copies the string: a shorter one leaves the rest cleared. */
  char *dst = who == PvmTaskSelf ? tev_state.self : tev_state.child;
  size_t n = strnlen(tmask, TEV_MASK_LENGTH - 1);
  TEV_MASK_INIT(dst);
  memcpy(dst, tmask, n);
  return 0;
}

int pvm_gettmask(int who, Pvmtmask tmask) {
  init_masks();
  if ((who != PvmTaskSelf && who != PvmTaskChild) || tmask == NULL)
    return lpvm_err("pvm_gettmask", PvmBadParam);
  memcpy(tmask, who == PvmTaskSelf ? tev_state.self : tev_state.child,
         TEV_MASK_LENGTH);
  return 0;
}

/* ---- children and the registered tracer ------------------------------- */

static int env_add(char ***env, int *nenv, const char *name, const char *val) {
  size_t len = strlen(name) + strlen(val) + 2;
  char **ne = realloc(*env, sizeof(**env) * (size_t)(*nenv + 1));
  char *e;
  if (ne == NULL)
    return PvmNoMem;
  *env = ne;
  if ((e = malloc(len)) == NULL)
    return PvmNoMem;
  snprintf(e, len, "%s=%s", name, val);
  ne[(*nenv)++] = e;
  return 0;
}

struct tracer_entry {
  int tid, ctx, tag, octx, otag, buf, opt;
  char mask[TEV_MASK_LENGTH];
};

/* The tracer registered in the virtual machine (pvm_reg_tracer's mailbox
 * entry, laid out as PVM 3.4 lays it out). Returns 1 if there is one. */
static int registered(struct tracer_entry *t) {
  int bufid = 0, old, ok;
  if (lpvm_mbox_get(PVMTRACERCLASS, 0, &bufid) < 0)
    return 0;
  old = pvm_setrbuf(bufid);
  memset(t->mask, 0, sizeof t->mask);
  ok = pvm_upkint(&t->tid, 1, 1) == 0 && pvm_upkint(&t->ctx, 1, 1) == 0 &&
       pvm_upkint(&t->tag, 1, 1) == 0 && pvm_upkint(&t->octx, 1, 1) == 0 &&
       pvm_upkint(&t->otag, 1, 1) == 0 &&
       pvm_upkstr(t->mask) == 0 && /* fits: the entry is checked when put */
       pvm_upkint(&t->buf, 1, 1) == 0 && pvm_upkint(&t->opt, 1, 1) == 0;
  pvm_setrbuf(old);
  pvm_freebuf(bufid);
  return ok && t->tid > 0;
}

int lpvm_tev_spawn_env(char ***env, int *nenv, int flag, int *out_tid,
                       int *out_code, int *out_ctx) {
  int tid = lpvm_opts.trace_tid, ctx = lpvm_opts.trace_ctx;
  int tag = lpvm_opts.trace_code, buf = lpvm_opts.trace_buffer;
  int opt = lpvm_opts.trace_opts, rc;
  Pvmtmask mask;
  struct tracer_entry t;
  char num[16];

  init_masks();
  memcpy(mask, tev_state.child, sizeof mask);
  if (tid <= 0 && (flag & PvmTaskTrace) && registered(&t)) {
    /* The registered tracer's settings, for this spawn only. */
    tid = t.tid, ctx = t.ctx, tag = t.tag, buf = t.buf, opt = t.opt;
    take_mask(mask, t.mask);
    if (*out_tid == 0 && t.otag != 0) {
      *out_tid = t.tid;
      *out_code = t.otag;
      *out_ctx = t.octx;
    }
  }
  if (tid <= 0)
    return 0;
  snprintf(num, sizeof num, "%d", tid);
  if ((rc = env_add(env, nenv, ENV_TID, num)) < 0)
    return rc;
  snprintf(num, sizeof num, "%d", tag);
  if ((rc = env_add(env, nenv, ENV_TAG, num)) < 0)
    return rc;
  snprintf(num, sizeof num, "%d", ctx);
  if ((rc = env_add(env, nenv, ENV_CTX, num)) < 0)
    return rc;
  snprintf(num, sizeof num, "%d", buf);
  if ((rc = env_add(env, nenv, ENV_BUF, num)) < 0)
    return rc;
  snprintf(num, sizeof num, "%d", opt);
  if ((rc = env_add(env, nenv, ENV_OPT, num)) < 0)
    return rc;
  return env_add(env, nenv, ENV_MASK, mask);
}

/* Registers this task as the virtual machine's tracer, or, called again,
 * withdraws it (PVM 3.4). The registration is a mailbox entry that the
 * daemon removes when the task exits; a task spawned with PvmTaskTrace by
 * a parent without a trace destination of its own is traced to it. */
int pvm_reg_tracer(int tctx, int ttag, int octx, int otag, char *tmask,
                   int tbuf, int topt) {
  int x = LPVM_TRACING()
              ? lpvm_tev_in(TEV_REG_TRACER, "iiiisii", TEV_DID_TRC, tctx,
                            TEV_DID_TRT, ttag, TEV_DID_TRX, octx, TEV_DID_TRO,
                            otag, TEV_DID_TRM, tmask, TEV_DID_TRB, tbuf,
                            TEV_DID_TRL, topt)
              : 0;
  int rc, b, old, me;
  char mask[TEV_MASK_LENGTH];

  if ((rc = lpvm_connect("pvm_reg_tracer")) < 0)
    goto out;
  if (tev_state.reg_index >= 0) {
    rc = pvm_delinfo(PVMTRACERCLASS, tev_state.reg_index, PvmMboxDefault);
    if (rc >= 0)
      tev_state.reg_index = -1, rc = 0;
    goto out;
  }
  TEV_MASK_INIT(mask);
  if (tmask != NULL)
    memcpy(mask, tmask, strnlen(tmask, TEV_MASK_LENGTH - 1));
  if (topt < PvmTraceFull || topt > PvmTraceCount || tbuf < 0 || ttag < 0) {
    rc = PvmBadParam;
    goto out;
  }
  struct tracer_entry t;
  if (registered(&t)) {
    rc = PvmAlready;
    goto out;
  }
  if ((b = pvm_mkbuf(PvmDataDefault)) < 0) {
    rc = b;
    goto out;
  }
  old = pvm_setsbuf(b);
  me = lpvm_conn.mytid;
  pvm_pkint(&me, 1, 1);
  pvm_pkint(&tctx, 1, 1);
  pvm_pkint(&ttag, 1, 1);
  pvm_pkint(&octx, 1, 1);
  pvm_pkint(&otag, 1, 1);
  pvm_pkstr(mask);
  pvm_pkint(&tbuf, 1, 1);
  pvm_pkint(&topt, 1, 1);
  pvm_setsbuf(old);
  rc = pvm_putinfo(PVMTRACERCLASS, b, PvmMboxDefault);
  pvm_freebuf(b);
  if (rc == PvmExists || rc == PvmDenied)
    rc = PvmAlready;
  else if (rc >= 0)
    tev_state.reg_index = rc, rc = 0;
out:
  lpvm_tev_out(x, TEV_REG_TRACER, "i", TEV_DID_CC, rc);
  return rc < 0 ? lpvm_err("pvm_reg_tracer", rc) : 0;
}
