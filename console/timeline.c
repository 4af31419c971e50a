/* `pvm trace [-o FILE] PROGRAM ARGS...`: runs a program traced over the
 * whole virtual machine and writes its timeline in the Trace Event Format
 * (JSON), which Perfetto and chrome://tracing open offline. The console is
 * the tracer: the program gets the console as trace destination through
 * its environment and its children inherit it. At the end the events are
 * put on one clock (each host's offset from this host, measured as
 * pvm_hostsync measures it), sorted, and written: one process per host,
 * one thread per task, each traced call a slice, every message from its
 * send to its receive a flow arrow (and each spawn to the tasks it
 * started), notifications as instant events. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "pvm3.h"
#include "pvmtev.h"

/* How long to wait for the tasks' last events once the program is gone. */
#define IDLE_AFTER_EXIT_MS 3000
/* Trace buffering asked of the traced tasks (bytes): fewer messages. */
#define TRACE_BUFFER "16384"

/* One event, kept until the end: the fields a timeline uses. */
struct ev {
  int64_t ts; /* microseconds, this host's clock */
  int tid, kind, entry;
  int dst, src, tag, ctx, nbytes, cc, buf;
  char *group;  /* GN */
  int *list, n; /* MDL (mcast) or STL (spawn) */
};

static struct ev *evs;
static size_t nev, cap;

struct host {
  int tid;
  char name[64];
  int64_t delta_us; /* its clock minus ours */
};

static struct host *hosts;
static int nhosts;

/* The tasks seen, and whether their exit event has come. */
struct task {
  int tid, ended;
};

static struct task *tasks;
static size_t ntasks, tcap;

static void task_seen(int tid, int ended, int *failed) {
  size_t i;
  for (i = 0; i < ntasks && tasks[i].tid != tid; i++)
    ;
  if (i == ntasks) {
    if (ntasks == tcap) {
      size_t ncap = tcap ? tcap * 2 : 64;
      struct task *n = realloc(tasks, ncap * sizeof *n);
      if (n == NULL) {
        *failed = 1;
        return;
      }
      tasks = n, tcap = ncap;
    }
    tasks[ntasks++] = (struct task){tid, 0};
  }
  tasks[i].ended |= ended;
}

static int64_t host_delta(int tid) {
  for (int i = 0; i < nhosts; i++)
    if (pvm_tidtohost(tid) == pvm_tidtohost(hosts[i].tid))
      return hosts[i].delta_us;
  return 0;
}

static int fint(const struct cons_tev *e, int did, int dflt) {
  const struct cons_tev_field *f = cons_tev_field(e, did);
  return f ? f->i : dflt;
}

static void keep(const struct cons_tev *e, void *arg) {
  int *failed = arg;
  const struct cons_tev_field *f;
  struct ev *v;
  if (e->kind == TEV_TIMING || e->kind == TEV_PROFILING)
    return;
  task_seen(e->tid, e->kind == TEV_EXIT && e->exit, failed);
  if (nev == cap) {
    size_t ncap = cap ? cap * 2 : 1024;
    struct ev *n = realloc(evs, ncap * sizeof *n);
    if (n == NULL) {
      *failed = 1;
      return;
    }
    evs = n, cap = ncap;
  }
  v = &evs[nev];
  memset(v, 0, sizeof *v);
  v->ts = (int64_t)e->sec * 1000000 + e->usec - host_delta(e->tid);
  v->tid = e->tid, v->kind = e->kind, v->entry = e->entry;
  v->dst = fint(e, TEV_DID_DST, 0);
  v->src = fint(e, TEV_DID_SRC, 0);
  v->tag = fint(e, TEV_DID_MC, -1);
  v->ctx = fint(e, TEV_DID_MCX, 0);
  v->nbytes = fint(e, TEV_DID_MNB, -1);
  v->cc = fint(e, TEV_DID_CC, 0);
  v->buf = fint(e, TEV_DID_MB, 0);
  if ((f = cons_tev_field(e, TEV_DID_GN)) && f->s)
    v->group = strdup(f->s);
  if (((f = cons_tev_field(e, TEV_DID_MDL)) ||
       (f = cons_tev_field(e, TEV_DID_STL))) &&
      f->a && f->n > 0 && (v->list = malloc(sizeof(int) * (size_t)f->n))) {
    memcpy(v->list, f->a, sizeof(int) * (size_t)f->n);
    v->n = f->n;
  }
  nev++;
}

static int by_time(const void *a, const void *b) {
  const struct ev *x = a, *y = b;
  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  /* Same microsecond: a task's entry before its exit. */
  return y->entry - x->entry;
}

/* ---- collecting ---------------------------------------------------------- */

static void measure_hosts(void) {
  int nh = 0, na = 0;
  struct pvmhostinfo *hi = NULL;
  if (pvm_config(&nh, &na, &hi) < 0 || nh <= 0)
    return;
  hosts = calloc((size_t)nh, sizeof *hosts);
  if (hosts == NULL)
    return;
  for (int i = 0; i < nh; i++) {
    struct timeval clk, delta;
    hosts[i].tid = hi[i].hi_tid;
    snprintf(hosts[i].name, sizeof hosts[i].name, "%s", hi[i].hi_name);
    if (pvm_hostsync(hi[i].hi_tid, &clk, &delta) == 0)
      hosts[i].delta_us = (int64_t)delta.tv_sec * 1000000 + delta.tv_usec;
  }
  nhosts = nh;
}

/* Tasks whose exit event has not come yet. */
static int open_tasks(void) {
  int open = 0;
  for (size_t i = 0; i < ntasks; i++)
    open += !tasks[i].ended;
  return open;
}

static pid_t start(char **argv) {
  char tid[16], tag[16];
  pid_t pid;
  snprintf(tid, sizeof tid, "%d", cons.mytid);
  snprintf(tag, sizeof tag, "%d", CONS_TRACE_TAG);
  fflush(NULL);
  if ((pid = fork()) != 0)
    return pid;
  setenv("PVMNG_TRCTID", tid, 1);
  setenv("PVMNG_TRCTAG", tag, 1);
  setenv("PVMNG_TRCCTX", "0", 1);
  /* The console's mask, with the collectives and notify that a timeline
   * shows as spans. */
  Pvmtmask mask;
  memcpy(mask, cons_trace_mask(), sizeof mask);
  TEV_MASK_SET(mask, TEV_REDUCE);
  TEV_MASK_SET(mask, TEV_GATHER);
  TEV_MASK_SET(mask, TEV_SCATTER);
  TEV_MASK_SET(mask, TEV_NOTIFY);
  setenv("PVMTMASK", mask, 1);
  setenv("PVMTRCBUF", TRACE_BUFFER, 1);
  setenv("PVMTRCOPT", "1", 1);
  execvp(argv[0], argv);
  fprintf(stderr, "pvm trace: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* Receives events until the program has ended and its tasks have sent
 * their exit events (or IDLE_AFTER_EXIT_MS without any event after it
 * ended). Returns the program's exit status (128 + signal if killed). */
static int collect(pid_t pid, int *failed) {
  int status = -1, idle_ms = 0;
  for (;;) {
    struct timeval tmo = {0, 100000};
    int bufid = pvm_trecv(-1, CONS_TRACE_TAG, &tmo), bytes, tag, src;
    if (bufid < 0) {
      fprintf(stderr, "pvm trace: lost the daemon (%s)\n", cons_errstr(bufid));
      *failed = 1;
      break;
    }
    if (bufid > 0) {
      pvm_bufinfo(bufid, &bytes, &tag, &src);
      if (cons_tev_decode(src, keep, failed) < 0)
        fprintf(stderr,
                "pvm trace: a trace message from t%x could not be "
                "read; its events are missing\n",
                (unsigned)src);
      pvm_freebuf(bufid);
      idle_ms = 0;
      continue;
    }
    if (status < 0) {
      int st;
      if (waitpid(pid, &st, WNOHANG) == pid)
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      continue;
    }
    idle_ms += 100;
    if (open_tasks() == 0 || idle_ms >= IDLE_AFTER_EXIT_MS)
      break;
  }
  if (status < 0) {
    int st;
    waitpid(pid, &st, 0);
    status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  return status;
}

/* ---- writing ---------------------------------------------------------------
 */

static json_t *tid_str(int tid) {
  char b[16];
  snprintf(b, sizeof b, "t%x", (unsigned)tid);
  return json_string(b);
}

static int host_of(int tid) { return pvm_tidtohost(tid) >> 18; }

static void add(json_t *list, json_t *o) {
  if (o)
    json_array_append_new(list, o);
}

static int is_send(int kind) {
  return kind == TEV_SEND || kind == TEV_PSEND || kind == TEV_MCAST;
}

static int is_recv(int kind) {
  return kind == TEV_RECV || kind == TEV_NRECV || kind == TEV_TRECV ||
         kind == TEV_PRECV;
}

static const char *category(int kind) {
  switch (kind) {
  case TEV_BARRIER:
  case TEV_BCAST:
  case TEV_REDUCE:
  case TEV_GATHER:
  case TEV_SCATTER:
  case TEV_JOINGROUP:
  case TEV_LVGROUP:
    return "group";
  case TEV_SPAWN:
  case TEV_EXIT:
  case TEV_KILL:
    return "task";
  default:
    return is_send(kind) || is_recv(kind) ? "message" : "call";
  }
}

/* A message sent and not yet matched with its receive. */
struct pending {
  int src, dst, tag, ctx, taken;
  int64_t ts;
};

static json_t *build(int64_t t0) {
  json_t *list = json_array(), *root;
  size_t nq = 0, qcap = 1;
  for (size_t i = 0; i < nev; i++)
    if (evs[i].entry && is_send(evs[i].kind))
      qcap += evs[i].kind == TEV_MCAST ? (size_t)evs[i].n : 1;
  struct pending *q = calloc(qcap, sizeof *q);
  int flow = 0;
  if (list == NULL || q == NULL) {
    free(q);
    json_decref(list);
    return NULL;
  }
  /* Names of processes (hosts) and threads (tasks). */
  for (int i = 0; i < nhosts; i++)
    add(list,
        json_pack("{s:s, s:s, s:i, s:{s:s}}", "name", "process_name", "ph", "M",
                  "pid", host_of(hosts[i].tid), "args", "name", hosts[i].name));
  for (size_t i = 0; i < ntasks; i++) {
    char b[16];
    snprintf(b, sizeof b, "t%x", (unsigned)tasks[i].tid);
    add(list, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "thread_name",
                        "ph", "M", "pid", host_of(tasks[i].tid), "tid",
                        tasks[i].tid, "args", "name", b));
  }
  for (size_t i = 0; i < nev; i++) {
    struct ev *x = &evs[i], *in = NULL;
    /* Messages out, queued from the send's start (a receive may end
     * before the send returns), in order per pair. */
    if (x->entry && is_send(x->kind)) {
      int one = x->dst, *dl = x->kind == TEV_MCAST ? x->list : &one;
      int n = x->kind == TEV_MCAST ? x->n : 1;
      for (int k = 0; dl && k < n && nq < qcap; k++)
        q[nq++] = (struct pending){x->tid, dl[k], x->tag, x->ctx, 0, x->ts};
    }
    if (x->entry)
      continue;
    /* Its entry: the task's latest entry before it, if of the same kind
     * (a task's traced calls do not nest). */
    for (size_t j = i; j-- > 0;)
      if (evs[j].tid == x->tid && evs[j].entry) {
        in = evs[j].kind == x->kind ? &evs[j] : NULL;
        break;
      }
    int64_t start = in ? in->ts : x->ts;
    json_t *args = json_object();
    if (args && in && in->dst > 0)
      json_object_set_new(args, "dst", tid_str(in->dst));
    if (args && in && in->tag >= 0)
      json_object_set_new(args, "tag", json_integer(in->tag));
    if (args && in && in->nbytes >= 0)
      json_object_set_new(args, "bytes", json_integer(in->nbytes));
    if (args && in && in->group)
      json_object_set_new(args, "group", json_string(in->group));
    if (args && is_recv(x->kind) && x->src > 0) {
      json_object_set_new(args, "src", tid_str(x->src));
      json_object_set_new(args, "tag", json_integer(x->tag));
      json_object_set_new(args, "bytes", json_integer(x->nbytes));
    }
    if (args && x->kind == TEV_SPAWN && x->list) {
      json_t *t = json_array();
      for (int k = 0; t && k < x->n; k++)
        json_array_append_new(t, tid_str(x->list[k]));
      json_object_set_new(args, "tids", t);
    }
    if (args && !is_recv(x->kind))
      json_object_set_new(args, "cc", json_integer(x->cc));
    add(list, json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:o*}", "name",
                        cons_tev_name(x->kind), "cat", category(x->kind), "ph",
                        "X", "ts", (json_int_t)(start - t0), "dur",
                        (json_int_t)(x->ts - start), "pid", host_of(x->tid),
                        "tid", x->tid, "args", args));
    /* A message in: the first matching one sent; from a daemon, a
     * notification. */
    if (is_recv(x->kind) && x->src > 0 &&
        (x->kind == TEV_PRECV ? x->cc >= 0 : x->buf > 0)) {
      if ((x->src & 0x3ffff) == 0) {
        add(list,
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:{s:i}}", "name",
                      "notification", "cat", "notify", "ph", "i", "s", "t",
                      "ts", (json_int_t)(x->ts - t0), "pid", host_of(x->tid),
                      "tid", x->tid, "args", "tag", x->tag));
        continue;
      }
      for (size_t k = 0; k < nq; k++) {
        struct pending *p = &q[k];
        if (p->taken || p->src != x->src || p->dst != x->tid ||
            p->tag != x->tag || p->ctx != x->ctx)
          continue;
        p->taken = 1;
        flow++;
        add(list, json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:i}", "name",
                            "message", "cat", "message", "ph", "s", "id", flow,
                            "ts", (json_int_t)(p->ts - t0), "pid",
                            host_of(p->src), "tid", p->src));
        add(list, json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:i}", "name",
                            "message", "cat", "message", "ph", "f", "bp", "e",
                            "id", flow, "ts", (json_int_t)(x->ts - t0), "pid",
                            host_of(x->tid), "tid", x->tid));
        break;
      }
    }
  }
  free(q);
  /* Each task spawned: an arrow from the start of the spawn (a child may
   * run before the call returns) to the child's first event. */
  for (size_t i = 0; i < nev; i++) {
    const struct ev *x = &evs[i];
    int64_t start = x->ts;
    if (x->kind != TEV_SPAWN || x->entry || x->list == NULL)
      continue;
    for (size_t j = i; j-- > 0;)
      if (evs[j].tid == x->tid && evs[j].entry) {
        if (evs[j].kind == TEV_SPAWN)
          start = evs[j].ts;
        break;
      }
    for (int k = 0; k < x->n; k++) {
      size_t j;
      for (j = 0; j < nev && evs[j].tid != x->list[k]; j++)
        ;
      if (j == nev || evs[j].ts < start)
        continue;
      flow++;
      add(list, json_pack("{s:s, s:s, s:s, s:i, s:I, s:i, s:i}", "name",
                          "spawn", "cat", "spawn", "ph", "s", "id", flow, "ts",
                          (json_int_t)(start - t0), "pid", host_of(x->tid),
                          "tid", x->tid));
      add(list, json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:i}", "name",
                          "spawn", "cat", "spawn", "ph", "f", "bp", "e", "id",
                          flow, "ts", (json_int_t)(evs[j].ts - t0), "pid",
                          host_of(evs[j].tid), "tid", evs[j].tid));
    }
  }
  json_t *offsets = json_object();
  for (int i = 0; offsets && i < nhosts; i++)
    json_object_set_new(offsets, hosts[i].name,
                        json_integer((json_int_t)hosts[i].delta_us));
  root = json_pack("{s:o, s:s, s:{s:o*, s:I}}", "traceEvents", list,
                   "displayTimeUnit", "ms", "otherData", "clock_offsets_us",
                   offsets, "epoch_us", (json_int_t)t0);
  return root;
}

static void usage(void) {
  fprintf(stderr, "usage: pvm trace [-o FILE] PROGRAM [ARG...]\n"
                  "  runs PROGRAM traced over the virtual machine and writes "
                  "its timeline\n  (Trace Event Format, for Perfetto or "
                  "chrome://tracing) to FILE\n  (default pvm-trace.json)\n");
}

int cons_timeline_run(int argc, char **argv) {
  const char *out = "pvm-trace.json";
  int i = 1, failed = 0, status;
  pid_t pid;
  json_t *root;

  if (i < argc && strcmp(argv[i], "-o") == 0) {
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    out = argv[i + 1];
    i += 2;
  }
  if (i >= argc || argv[i][0] == '-') {
    usage();
    return 2;
  }
  measure_hosts();
  if ((pid = start(argv + i)) < 0) {
    fprintf(stderr, "pvm trace: cannot start %s: %s\n", argv[i],
            strerror(errno));
    return 1;
  }
  status = collect(pid, &failed);
  if (failed)
    fprintf(stderr, "pvm trace: out of memory; the timeline is incomplete\n");
  qsort(evs, nev, sizeof *evs, by_time);
  root = build(nev ? evs[0].ts : 0);
  if (root == NULL ||
      json_dump_file(root, out, JSON_COMPACT | JSON_ENSURE_ASCII) != 0) {
    fprintf(stderr, "pvm trace: cannot write %s: %s\n", out,
            root ? strerror(errno) : "out of memory");
    json_decref(root);
    return 1;
  }
  json_decref(root);
  fprintf(stderr, "pvm trace: %zu events of %s written to %s\n", nev, argv[i],
          out);
  for (size_t k = 0; k < nev; k++) {
    free(evs[k].group);
    free(evs[k].list);
  }
  free(evs);
  free(hosts);
  free(tasks);
  return status;
}
