/* pvm_tickle: PVM's debugging requests to the local daemon. The codes that
 * still mean something here are served as in PVM 3.4.6: 0 writes the
 * daemon's counters and memory to its log (PVM: "dump heap"), 1 the host
 * table, 2 the task table, 5 answers the debug mask, 6 sets it (nonzero:
 * debug lines in the log, as -d); others are PvmBadParam. */
#include "tickle.h"

#include <inttypes.h>
#include <pvm3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pvmd.h"
#include "tid.h"

/* The daemon's resident memory in KiB from /proc, or -1. */
static long rss_kib(void) {
  char line[128];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL)
    return -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "VmRSS:", 6) == 0)
      sscanf(line + 6, "%ld", &kib);
  fclose(f);
  return kib;
}

static void dump_stats(const struct pvmd *d) {
  const struct pvmd_stats *s = &d->st;
  pvmd_log("tickle 0: memory %ld KiB resident; connections %" PRIu64
           " now, %" PRIu64 " accepted, %" PRIu64 " refused, %" PRIu64
           " closed for bad input; tasks %" PRIu64 " now, %" PRIu64
           " spawned; frames %" PRIu64 " in, %" PRIu64
           " rejected; messages %" PRIu64 " forwarded, %" PRIu64
           " dropped; %" PRIu64 " bytes queued (peak %" PRIu64 ")",
           rss_kib(), s->conns_cur, s->conns_accepted, s->conns_refused,
           s->conns_closed_bad, s->tasks_cur, s->tasks_spawned, s->frames_in,
           s->frames_rejected, s->msgs_forwarded, s->msgs_dropped,
           s->bytes_queued_cur, s->bytes_queued_peak);
}

static void dump_hosts(const struct pvmd *d) {
  char tb[16];
  pvmd_log("tickle 1: host table, %d host(s)", d->hosts.n);
  for (int i = 0; i < d->hosts.n; i++) {
    const struct pvmd_host *h = &d->hosts.v[i];
    pvmd_log("  %s %s arch %s speed %d dsig 0x%08x%s",
             pvmw_tid_str(h->tid, tb, sizeof tb), h->name, h->arch, h->speed,
             (unsigned)h->dsig, h->self ? " (this host)" : "");
  }
}

static void dump_tasks(struct pvmd *d) {
  struct pvmd_list *pos, *tmp;
  char tb[16], pb[16];
  pvmd_log("tickle 2: task table, %d entr%s", d->tasks.count,
           d->tasks.count == 1 ? "y" : "ies");
  pvmd_list_each_safe(pos, tmp, &d->tasks.all) {
    struct pvmd_task *t = pvmd_container_of(pos, struct pvmd_task, node);
    pvmd_log("  %s parent %s pid %ld flags 0x%x %s%s",
             pvmw_tid_str(t->tid, tb, sizeof tb),
             t->ptid ? pvmw_tid_str(t->ptid, pb, sizeof pb) : "-", (long)t->pid,
             (unsigned)t->flags, t->name ? t->name : "-",
             t->gone ? " (gone)" : "");
  }
}

int pvmd_tickle(struct pvmd *d, const int32_t *args, size_t nargs, int32_t *res,
                size_t *nres) {
  *nres = 0;
  if (nargs < 1)
    return PvmBadParam;
  switch (args[0]) {
  case 0:
    dump_stats(d);
    return 0;
  case 1:
    dump_hosts(d);
    return 0;
  case 2:
    dump_tasks(d);
    return 0;
  case 5:
    res[0] = (int32_t)pvmd_log_debug_mask();
    *nres = 1;
    return 0;
  case 6:
    if (nargs < 2)
      return PvmBadParam;
    pvmd_log_set_debug((unsigned)args[1]);
    pvmd_log("tickle 6: debug mask 0x%x", (unsigned)args[1]);
    return 0;
  default:
    return PvmBadParam;
  }
}
