/* The console as a tracer: the `trace` command (the event mask for tasks
 * spawned with -@), and the decoding of the trace messages those tasks
 * send (PVM 3.4's format: markers, descriptors that give each event kind's
 * fields once, then records of values). Decoded events are printed, one
 * line each, or handed to the timeline writer (timeline.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "pvm3.h"
#include "pvmtev.h"

/* Event k's name, from the library's table (pvmtevinfo, as PVM 3.4.6
 * exports it), so the console and the tracing library never disagree. */
static const char *ev_name(int k) { return pvmtevinfo[k].name; }

const char *cons_tev_name(int kind) {
  return kind >= TEV_FIRST && kind <= TEV_MAX ? ev_name(kind) : "?";
}

/* What tasks spawned with -@ get: the mask, buffering and options that
 * the trace command sets, and where their events are printed. */
static Pvmtmask mask;
static int mask_ready;
static int trace_buf;
static int trace_opt = PvmTraceFull;
static FILE *trace_out; /* NULL: the terminal */

/* PVM 3.4.6's console default (the mask XPVM shows): the calls that move
 * messages, start and end tasks, and act on groups and handlers. */
static void mask_default(void) {
  static const int dflt[] = {
      TEV_ADDMHF,    TEV_BARRIER, TEV_BCAST,   TEV_DELMHF,      TEV_EXIT,
      TEV_JOINGROUP, TEV_KILL,    TEV_LVGROUP, TEV_MCAST,       TEV_MHF_INVOKE,
      TEV_MYTID,     TEV_NRECV,   TEV_PARENT,  TEV_PRECV,       TEV_PROBE,
      TEV_PSEND,     TEV_RECV,    TEV_RECVF,   TEV_SEND,        TEV_SENDSIG,
      TEV_SIBLINGS,  TEV_SPAWN,   TEV_TRECV,   TEV_USER_DEFINED};
  TEV_MASK_INIT(mask);
  for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++)
    TEV_MASK_SET(mask, dflt[i]);
  mask_ready = 1;
}

const char *cons_trace_mask(void) {
  if (!mask_ready)
    mask_default();
  return mask;
}

int cons_trace_buffer(void) { return trace_buf; }
int cons_trace_options(void) { return trace_opt; }

int cons_trace_output(const char *file) {
  FILE *f = NULL;
  if (file != NULL && (f = fopen(file, "a")) == NULL)
    return -1;
  if (trace_out != NULL)
    fclose(trace_out);
  trace_out = f;
  return 0;
}

/* Events the trace command lists: all but those only a daemon sends and
 * the summaries. */
static int listed(int k) {
  return k != TEV_NEWTASK && k != TEV_SPNTASK && k != TEV_ENDTASK &&
         k != TEV_TIMING && k != TEV_PROFILING;
}

static int kind_of(const char *s) {
  if (strncmp(s, "pvm_", 4) == 0)
    s += 4;
  for (int k = TEV_FIRST; k <= TEV_MAX; k++)
    if (listed(k) && strcmp(s, ev_name(k)) == 0)
      return k;
  return -1;
}

static int by_name(const void *a, const void *b) {
  return strcmp(ev_name(*(const int *)a), ev_name(*(const int *)b));
}

/* The mask as PVM 3.4.6's console shows it: every event in alphabetical
 * order, down four columns, '*' before those traced. */
static void show_mask(void) {
  int order[TEV_MAX + 1] = {0}, n = 0, rows;
  for (int k = TEV_FIRST; k <= TEV_MAX; k++)
    if (listed(k))
      order[n++] = k;
  qsort(order, (size_t)n, sizeof order[0], by_name);
  rows = (n + 3) / 4;
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < 4 && r + c * rows < n; c++) {
      int k = order[r + c * rows];
      printf("%s%s%-15s", c ? " " : "", TEV_MASK_CHECK(mask, k) ? " * " : "   ",
             ev_name(k));
    }
    printf("\n");
  }
}

static const char *const opt_names[] = {"", "full", "time", "count"};

/* trace                        show the mask
 * trace [+] name ... | *       add events (send or pvm_send)
 * trace - name ... | *         remove events
 * trace xpvm                   back to the default mask
 * trace buf [nbytes]           show or set the buffering of traced tasks
 * trace opt [full|time|count]  show or set their trace option */
int cons_trace_cmd(int argc, char **argv) {
  int add = 1, i = 1;
  if (!mask_ready)
    mask_default();
  if (argc == 1) {
    show_mask();
    return 0;
  }
  if (strcmp(argv[1], "xpvm") == 0 && argc == 2) {
    mask_default();
    return 0;
  }
  if (strcmp(argv[1], "buf") == 0 && argc <= 3) {
    int v;
    if (argc == 2) {
      printf("\nTrace Buffering set to %d bytes\n\n", trace_buf);
      return 0;
    }
    if (cons_parse_int(argv[2], &v) < 0 || v < 0) {
      printf("trace: buffer size must be a number of bytes, 0 or more\n");
      return 1;
    }
    trace_buf = v;
    return 0;
  }
  if (strcmp(argv[1], "opt") == 0 && argc <= 3) {
    if (argc == 2) {
      printf("\nTrace Options set to \"%s\"\n\n", opt_names[trace_opt]);
      return 0;
    }
    for (int o = PvmTraceFull; o <= PvmTraceCount; o++)
      if (strcmp(argv[2], opt_names[o]) == 0) {
        trace_opt = o;
        return 0;
      }
    printf("trace: unknown option \"%s\"; full, time or count\n", argv[2]);
    return 1;
  }
  if (strcmp(argv[1], "+") == 0 || strcmp(argv[1], "-") == 0) {
    add = argv[1][0] == '+';
    i = 2;
  }
  for (; i < argc; i++) {
    if (strcmp(argv[i], "*") == 0) {
      for (int k = TEV_FIRST; k <= TEV_MAX; k++)
        if (add)
          TEV_MASK_SET(mask, k);
        else
          TEV_MASK_UNSET(mask, k);
      continue;
    }
    int k = kind_of(argv[i]);
    if (k < 0) {
      char shown[128];
      printf("no such event \"%s\"\n",
             cons_printable(argv[i], shown, sizeof shown));
      return 1;
    }
    if (add)
      TEV_MASK_SET(mask, k);
    else
      TEV_MASK_UNSET(mask, k);
  }
  return 0;
}

/* ---- decoding ------------------------------------------------------- */

/* Field layouts per (sender, event id), as descriptors gave them. */
struct layout {
  int src, eid, n;
  int did[CONS_TEV_FIELDS], type[CONS_TEV_FIELDS];
  struct layout *next;
};

static struct layout *layouts;
static char *did_name[TEV_DID_MAX + 1];

const char *cons_tev_did(int did) {
  return did >= 0 && did <= TEV_DID_MAX && did_name[did] ? did_name[did] : "?";
}

static struct layout *layout_find(int src, int eid) {
  for (struct layout *l = layouts; l; l = l->next)
    if (l->src == src && l->eid == eid)
      return l;
  return NULL;
}

void cons_tev_clear(struct cons_tev *e) {
  for (int i = 0; i < e->n; i++) {
    free(e->f[i].s);
    free(e->f[i].a);
  }
  memset(e, 0, sizeof *e);
}

/* Reads one value of type into f. Strings and int arrays are kept; other
 * types are read past. Returns 0 or -1. */
static int read_value(struct cons_tev_field *f, int type) {
  int count = 1, base = type & ~TEV_DATA_ARRAY, array = type & TEV_DATA_ARRAY;
  char s[4096];
  if (array) {
    if (pvm_upkint(&count, 1, 1) < 0 || count < 0 || count > 1 << 20)
      return -1;
    f->n = count;
  }
  if (array && (base == TEV_DATA_INT || base == TEV_DATA_UINT) && count > 0) {
    f->a = malloc(sizeof(int) * (size_t)count);
    if (f->a == NULL)
      return -1;
    return pvm_upkint(f->a, count, 1) < 0 ? -1 : 0;
  }
  for (int i = 0; i < count; i++) {
    long l;
    short h;
    float x;
    double d;
    char c;
    int rc;
    switch (base) {
    case TEV_DATA_INT:
    case TEV_DATA_UINT:
      rc = pvm_upkint(&f->i, 1, 1);
      break;
    case TEV_DATA_STRING:
      rc = pvm_upkstr(s);
      if (rc == 0 && !array && (f->s = strdup(s)) == NULL)
        rc = -1;
      break;
    case TEV_DATA_LONG:
    case TEV_DATA_ULONG:
      rc = pvm_upklong(&l, 1, 1);
      f->i = (int)l;
      break;
    case TEV_DATA_SHORT:
    case TEV_DATA_USHORT:
      rc = pvm_upkshort(&h, 1, 1);
      f->i = h;
      break;
    case TEV_DATA_FLOAT:
      rc = pvm_upkfloat(&x, 1, 1);
      break;
    case TEV_DATA_DOUBLE:
      rc = pvm_upkdouble(&d, 1, 1);
      break;
    case TEV_DATA_BYTE:
      rc = pvm_upkbyte(&c, 1, 1);
      break;
    default:
      return -1;
    }
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* Reads the fields of one event with layout l (descriptor: read the
 * layout too) into e, whose header fields (time, task) are taken out. */
static int read_event(struct cons_tev *e, struct layout *l, int with_desc) {
  int did, type, end;
  for (int i = 0;; i++) {
    if (with_desc) {
      if (pvm_upkint(&did, 1, 1) < 0)
        return -1;
      if (did == TEV_MARK_EVENT_DESC_END)
        break;
      if (pvm_upkint(&type, 1, 1) < 0 || l->n == CONS_TEV_FIELDS)
        return -1;
      l->did[l->n] = did, l->type[l->n++] = type;
    } else {
      if (i == l->n)
        break;
      did = l->did[i], type = l->type[i];
    }
    struct cons_tev_field *f = &e->f[e->n++];
    f->did = did, f->type = type;
    if (read_value(f, type) < 0)
      return -1;
    if (did == TEV_DID_TS)
      e->sec = f->i;
    else if (did == TEV_DID_TU)
      e->usec = f->i;
    else if (did == TEV_DID_TID)
      e->tid = f->i;
  }
  if (!with_desc &&
      (pvm_upkint(&end, 1, 1) < 0 || end != TEV_MARK_EVENT_RECORD_END))
    return -1;
  return 0;
}

int cons_tev_decode(int src, void (*fn)(const struct cons_tev *, void *),
                    void *arg) {
  int mark, got = 0, ae = pvm_setopt(PvmAutoErr, 0);
  char s[4096];
  struct cons_tev e;
  memset(&e, 0, sizeof e);
  /* Read up to the end of the message: its end is PvmNoData, quietly. */
  while (pvm_upkint(&mark, 1, 1) == 0) {
    if (mark == TEV_MARK_DATA_ID) {
      int id;
      while (pvm_upkint(&id, 1, 1) == 0 && id != TEV_MARK_DATA_ID_END) {
        if (pvm_upkstr(s) < 0)
          goto bad;
        if (id >= 0 && id <= TEV_DID_MAX && did_name[id] == NULL)
          did_name[id] = strdup(s);
        if (pvm_upkstr(s) < 0)
          goto bad;
      }
      continue;
    }
    if (mark == TEV_MARK_EVENT_BUFFER || mark == TEV_MARK_EVENT_BUFFER_END)
      continue;
    if (mark != TEV_MARK_EVENT_DESC && mark != TEV_MARK_EVENT_RECORD)
      goto bad; /* user-defined records have no layout to read them by */
    int eid, desc = mark == TEV_MARK_EVENT_DESC;
    if (pvm_upkint(&eid, 1, 1) < 0)
      goto bad;
    struct layout *l = layout_find(src, eid);
    if (desc) {
      if (pvm_upkstr(s) < 0)
        goto bad;
      if (l == NULL) {
        if ((l = calloc(1, sizeof *l)) == NULL)
          goto bad;
        l->src = src, l->eid = eid;
        l->next = layouts;
        layouts = l;
      }
      l->n = 0;
    } else if (l == NULL) {
      goto bad;
    }
    e.src = src;
    e.kind = eid & ~(TEV_EVENT_ENTRY | TEV_EVENT_EXIT);
    e.entry = (eid & TEV_EVENT_ENTRY) != 0;
    e.exit = (eid & TEV_EVENT_EXIT) != 0;
    if (read_event(&e, l, desc) < 0)
      goto bad;
    fn(&e, arg);
    cons_tev_clear(&e);
    got++;
  }
  pvm_setopt(PvmAutoErr, ae);
  return got;
bad:
  cons_tev_clear(&e);
  pvm_setopt(PvmAutoErr, ae);
  return -1;
}

const struct cons_tev_field *cons_tev_field(const struct cons_tev *e, int did) {
  for (int i = 0; i < e->n; i++)
    if (e->f[i].did == did)
      return &e->f[i];
  return NULL;
}

/* ---- printing (spawn -@) ---------------------------------------------- */

static int is_tid_field(int did) {
  return did == TEV_DID_DST || did == TEV_DID_SRC || did == TEV_DID_RST ||
         did == TEV_DID_TT || did == TEV_DID_MT || did == TEV_DID_PT;
}

static void print_event(const struct cons_tev *e, void *arg) {
  FILE *out = arg;
  fprintf(out, "[t%x] %d.%06d %s %s", (unsigned)e->tid, e->sec, e->usec,
          cons_tev_name(e->kind),
          e->entry  ? "entry"
          : e->exit ? "exit"
                    : "");
  for (int i = 0; i < e->n; i++) {
    const struct cons_tev_field *f = &e->f[i];
    char shown[256];
    if (f->did == TEV_DID_TS || f->did == TEV_DID_TU || f->did == TEV_DID_TID)
      continue;
    fprintf(out, " %s=", cons_tev_did(f->did));
    if (f->type & TEV_DATA_ARRAY) {
      fprintf(out, "[");
      for (int j = 0; f->a && j < f->n; j++)
        fprintf(out,
                is_tid_field(f->did) || f->did == TEV_DID_STL ||
                        f->did == TEV_DID_MDL
                    ? "%st%x"
                    : "%s%d",
                j ? " " : "", f->a[j]);
      fprintf(out, "]");
    } else if ((f->type & ~TEV_DATA_ARRAY) == TEV_DATA_STRING) {
      fprintf(out, "\"%s\"",
              cons_printable(f->s ? f->s : "", shown, sizeof shown));
    } else if (is_tid_field(f->did) && f->i > 0) {
      fprintf(out, "t%x", (unsigned)f->i);
    } else {
      fprintf(out, "%d", f->i);
    }
  }
  fprintf(out, "\n");
}

void cons_trace_message(int bufid) {
  int bytes = 0, tag = 0, src = 0;
  pvm_bufinfo(bufid, &bytes, &tag, &src);
  if (trace_out == NULL)
    cons_before_async();
  if (cons_tev_decode(src, print_event, trace_out ? trace_out : stdout) < 0)
    printf("[console] a trace message from t%x could not be read\n",
           (unsigned)src);
  fflush(trace_out ? trace_out : stdout);
}
