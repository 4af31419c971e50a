/* The daemon's limits: every bound on what a task may ask of the daemon is
 * a field of struct pvmd_limits, set here to its default. Later options and
 * configuration files override these fields, nothing else. The memory
 * budget's bookkeeping lives here too. */
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "pvmd.h"

/* Default memory budget: what queued messages may cost the daemon. */
#define MEM_BUDGET_DEFAULT ((size_t)256 << 20)
#define MEM_BUDGET_MIN ((size_t)1 << 20)
/* Kept aside while memory lasts, given up when it runs out: room for the
 * errors that tell senders their messages were dropped. */
#define MEM_RESERVE ((size_t)256 << 10)
/* A drain from above this much queued gives memory back to the system. */
#define MEM_TRIM_ABOVE ((uint64_t)16 << 20)

/* A size in bytes from the environment: digits, then an optional K, M or G
 * (powers of 1024). 0 when unset or not a size in [lo, hi] (then said). */
static size_t env_size(const char *name, size_t lo, size_t hi) {
  const char *e = getenv(name);
  char *end = NULL;
  unsigned long long v;
  if (e == NULL || *e == '\0')
    return 0;
  v = strtoull(e, &end, 10);
  if (end != e && (*end == 'K' || *end == 'k'))
    v <<= 10, end++;
  else if (end != e && (*end == 'M' || *end == 'm'))
    v <<= 20, end++;
  else if (end != e && (*end == 'G' || *end == 'g'))
    v <<= 30, end++;
  if (end == e || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr,
            "pvmd: %s=%s is not a size from %zu to %zu bytes (K, M, G "
            "allowed): ignored\n",
            name, e, lo, hi);
    return 0;
  }
  return (size_t)v;
}

void pvmd_limits_default(struct pvmd_limits *lim) {
  size_t v64;
  lim->max_frame = PVMW_MAX_FRAME;
  lim->max_message = PVMW_MAX_MESSAGE;
  /* Per destination: what its queue may cost (bookkeeping included)
   * before its senders pause ($PVMNG_QUEUE_MAX); they resume at a
   * quarter of it. */
  lim->high_water = (size_t)64 << 20;
  if ((v64 = env_size("PVMNG_QUEUE_MAX", (size_t)64 << 10, (size_t)1 << 40)))
    lim->high_water = v64;
  lim->low_water = lim->high_water / 4;
  /* Daemon-wide ($PVMNG_MEM_BUDGET). */
  lim->mem_budget = MEM_BUDGET_DEFAULT;
  lim->mem_budget_set = 0;
  if ((v64 = env_size("PVMNG_MEM_BUDGET", MEM_BUDGET_MIN, (size_t)1 << 40))) {
    lim->mem_budget = v64;
    lim->mem_budget_set = 1;
  }
  lim->max_tasks = 16384;
  lim->spawn_max_ntask = PVMW_SPAWN_MAX_NTASK;
  lim->spawn_max_argv = PVMW_SPAWN_MAX_ARGV;
  lim->spawn_max_argv_bytes = (size_t)1 << 20;
  lim->spawn_max_env = 4096;
  lim->out_line_max = 4096;
  lim->hello_timeout_ms = 10000;
  lim->halt_grace_ms = 1000;
  lim->halt_reap_ms = 500;
  lim->spin_us = 50;
  /* A message sent to another host is answered after a network round trip
   * and two more daemon hops: a longer window catches that answer too. */
  lim->peer_spin_us = 300;
  const char *ps = getenv("PVMNG_PEER_SPIN_US");
  if (ps != NULL && *ps != '\0') {
    long v = strtol(ps, NULL, 10);
    lim->peer_spin_us = v < 0 ? 0 : v > 100000 ? 100000 : (unsigned)v;
  }
  lim->heartbeat_ms = 1000;
  lim->dead_ms = 5000;
  /* Join credentials live 2 minutes; $PVMNG_JOIN_TTL (seconds, 1 to 3600)
   * for slow remote shells, or for tests of expiry. */
  const char *t = getenv("PVMNG_JOIN_TTL");
  long ttl = t != NULL ? strtol(t, NULL, 10) : 0;
  lim->join_ttl_s = ttl >= 1 && ttl <= 3600 ? (unsigned)ttl : 120;
  /* The dead-host timeout is the one limit users tune (a slow network, or
   * tests that want failures noticed quickly): $PVMNG_DEAD_MS, at least
   * 500; heartbeats go at a third of it, at most once a second. */
  const char *e = getenv("PVMNG_DEAD_MS");
  long v = e != NULL ? strtol(e, NULL, 10) : 0;
  if (v >= 500 && v <= 3600000) {
    lim->dead_ms = (unsigned)v;
    lim->heartbeat_ms = lim->dead_ms / 3 < 1000 ? lim->dead_ms / 3 : 1000;
  }
}

/* Bytes of address space the daemon maps now (VmSize), or 0. */
static size_t vm_size(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  char line[128];
  unsigned long long kb = 0;
  if (fp == NULL)
    return 0;
  while (fgets(line, sizeof line, fp) != NULL)
    if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
      break;
  fclose(fp);
  return (size_t)kb << 10;
}

void pvmd_mem_fit(struct pvmd *d) {
  struct rlimit rl;
  size_t used, room, fit;
  d->mem_reserve = malloc(MEM_RESERVE);
  d->mem_wake_at = d->lim.mem_budget / 4 * 3;
  if (d->lim.mem_budget_set || getrlimit(RLIMIT_AS, &rl) != 0 ||
      rl.rlim_cur == RLIM_INFINITY)
    return;
  /* Under an address-space limit, queues may take half of what is left:
   * the rest is for frames being read, replies and the libraries. */
  used = vm_size();
  room = (size_t)rl.rlim_cur > used ? (size_t)rl.rlim_cur - used : 0;
  fit = room / 2;
  if (fit < MEM_BUDGET_MIN)
    fit = MEM_BUDGET_MIN;
  if (fit < d->lim.mem_budget) {
    pvmd_log("memory budget %zu bytes (half of what the address-space limit "
             "of %llu bytes leaves)",
             fit, (unsigned long long)rl.rlim_cur);
    d->lim.mem_budget = fit;
    d->mem_wake_at = fit / 4 * 3;
  }
}

void pvmd_mem_charge(struct pvmd *d, size_t cost) {
  d->st.mem_queued += cost;
  if (d->st.mem_queued > d->st.mem_queued_peak)
    d->st.mem_queued_peak = d->st.mem_queued;
  if (d->st.mem_queued > MEM_TRIM_ABOVE)
    d->mem_trim = 1;
}

void pvmd_mem_release(struct pvmd *d, size_t cost) {
  d->st.mem_queued -= cost;
  if (d->mem_waiters.next != NULL && !pvmd_list_empty(&d->mem_waiters) &&
      pvmd_mem_may_resume(d)) {
    d->mem_wake_at = d->lim.mem_budget / 4 * 3;
    pvmd_waiters_wake(&d->mem_waiters);
  }
  if (d->mem_trim && d->st.mem_queued == 0) {
    /* Millions of small frames freed leave the heap in pieces that free()
     * keeps: hand whole free pages back. */
    d->mem_trim = 0;
    malloc_trim(0);
  }
  if (d->nomem_warned && d->st.mem_queued == 0) {
    d->nomem_warned = 0;
    if (d->mem_reserve == NULL)
      d->mem_reserve = malloc(MEM_RESERVE);
  }
}

void pvmd_mem_exhausted(struct pvmd *d, int tell) {
  uint64_t at = d->st.mem_queued / 4 * 3;
  if (at < d->mem_wake_at)
    d->mem_wake_at = at;
  if (tell) {
    free(d->mem_reserve);
    d->mem_reserve = NULL;
  }
}

void pvmd_mem_park(struct pvmd *d, struct pvmd_waiter *producer) {
  pvmd_waiter_park(&d->mem_waiters, producer);
  d->st.mem_paused++;
}

void pvmd_fd_limit_raise(struct pvmd *d) {
  struct rlimit rl;
  rlim_t was;
  d->fd_limit = 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  was = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
      rl.rlim_cur = was;
  }
  d->fd_limit =
      rl.rlim_cur > (rlim_t)INT_MAX / 2 ? INT_MAX / 2 : (int)rl.rlim_cur;
  pvmd_log("descriptors: limit %d (was %llu), %d kept in reserve; about %d "
           "tasks",
           d->fd_limit, (unsigned long long)was, PVMD_FD_RESERVE,
           (d->fd_limit - PVMD_FD_RESERVE) / PVMD_FDS_PER_TASK);
}

/* Descriptors open now (entries of /proc/self/fd, less the one reading
 * it); -1 when unknown. */
static int fds_open(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (dir == NULL)
    return -1;
  while ((e = readdir(dir)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(dir);
  return n - 1;
}

int pvmd_fd_limit(struct pvmd *d) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
    d->fd_limit =
        rl.rlim_cur > (rlim_t)INT_MAX / 2 ? INT_MAX / 2 : (int)rl.rlim_cur;
  return d->fd_limit;
}

int pvmd_fd_room(struct pvmd *d) {
  struct pvmd_list *pos;
  int open = fds_open(), pending = 0, room;
  if (open < 0)
    return INT_MAX;
  /* Spawned tasks that have not connected yet will each take one more. */
  for (pos = d->tasks.all.next; pos != &d->tasks.all; pos = pos->next) {
    struct pvmd_task *t = pvmd_container_of(pos, struct pvmd_task, node);
    if (t->spawned && t->running && !t->connected && !t->gone)
      pending++;
  }
  room = pvmd_fd_limit(d) - PVMD_FD_RESERVE - open - pending;
  return room > 0 ? room / PVMD_FDS_PER_TASK : 0;
}
