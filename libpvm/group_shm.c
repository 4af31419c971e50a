/* libgpvm3: the barrier of a group whose members all run on this host, on
 * a counter in shared memory. With more tasks than cores, a barrier made of
 * messages pays one scheduler wake-up per step of its tree; here each
 * member adds itself to a counter, and the last one to arrive opens the
 * barrier for all at once.
 *
 * One segment per group and view version, named after the user, the
 * virtual machine (a hash of its daemon socket's path), the group and the
 * version: /dev/shm/pvmng.<uid>.<vm>.<group>.<version>. The version changes
 * with every membership change, so the members of one segment always
 * agree on who takes part. Every member opens (or creates) it before it
 * arrives, so once the first barrier on it has completed every member has
 * it mapped, and the first member in instance order removes the name; a
 * failed segment keeps its name (see below). The daemon removes whatever
 * is left behind, at start and at halt. A segment that is not ours alone
 * (another owner, other permissions) is not used.
 *
 * Waiting: a member yields the processor for a short while (the others
 * need it to arrive; PVMNG_GROUP_SPIN_US sets how long), then sleeps on a
 * futex, waking every few milliseconds to read the daemon's group notices. A
 * member that left or exited under the barrier (after the same grace period as
 * messages get) makes the others return PvmNoGroup; a changed membership,
 * PvmMismatch, after which pvm_barrier asks the registry (group_coll.c).
 * Either marks the segment failed, for every caller of the barrier under way
 * unless it has completed (one compare-and-swap decides), and for every later
 * barrier of that version. PVMNG_GROUP_SHM=0 in a task's environment turns
 * this off for it, and marks the segment so that the others leave it too. */
#include "group_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "group.h"
#include "pvm3.h"
#include "rundir.h"
#include "tid.h"

/* How long an early arrival yields before it sleeps (by default; at most
 * SLEEP_NS), and how long it sleeps at a time before it looks at the
 * group's notices. */
#define SPIN_NS 100000u
#define SLEEP_NS 5000000u
/* As group.c: how long a member that left may still arrive. */
#define LEAVE_GRACE_NS 200000000u
#define SEG_MAGIC 0x50564753u /* "PVGS" */
/* seg.failed when a member has shared memory turned off: everyone takes
 * the message path, for good at this version. */
#define USE_MESSAGES 0xffffffffu

/* The shared page. `state` is one word, so that arriving, completing and
 * failing are each one compare-and-swap and a barrier either completes for
 * all its callers or fails for all: the barriers completed (ST_GEN), the
 * failed mark (ST_FAILED) and the members arrived at the current one
 * (ST_ARRIVED). It is also the futex word. */
#define ST_ARRIVED 0x7fffu
#define ST_FAILED 0x8000u
#define ST_GEN_ONE 0x10000u
#define ST_GEN(st) ((st) >> 16)
struct seg {
  uint32_t magic;
  uint32_t n;
  _Alignas(64) atomic_uint state;
  _Alignas(64) atomic_uint sleepers;
  atomic_uint failed; /* once ST_FAILED: the PVM error (negated) or
                       * USE_MESSAGES, which every caller gets */
};

/* This task's mapping of one group's current segment. */
struct map {
  struct map *next;
  char *group;
  uint32_t version;
  struct seg *s;  /* NULL: not usable at this version */
  int completed;  /* a barrier on it has completed here */
  char name[128]; /* its name under /dev/shm */
};

static struct map *maps;
static int enabled = -1;           /* PVMNG_GROUP_SHM: 0 turns this off */
static uint64_t spin_ns = SPIN_NS; /* PVMNG_GROUP_SPIN_US sets it */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t fnv64(const char *s) {
  uint64_t h = 1469598103934665603u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static void futex_wait(atomic_uint *w, unsigned val, uint32_t ns) {
  struct timespec ts = {0, (long)ns};
  syscall(SYS_futex, (unsigned *)w, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake_all(atomic_uint *w) {
  syscall(SYS_futex, (unsigned *)w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Opens or creates the segment `name` for n members. NULL if it cannot be
 * had or is not this user's alone. */
static struct seg *seg_open(const char *name, uint32_t n) {
  struct stat st;
  struct seg *s;
  int fd = shm_open(name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) != 0 || st.st_uid != getuid() ||
      (st.st_mode & 0077) != 0 ||
      (st.st_size != 0 && st.st_size != (off_t)sizeof *s) ||
      (st.st_size == 0 && ftruncate(fd, sizeof *s) != 0)) {
    close(fd);
    return NULL;
  }
  s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (s == MAP_FAILED)
    return NULL;
  /* A fresh page is all zeros; the first member to get here stamps it.
   * Concurrent stampers write the same values. */
  if (s->magic == 0) {
    s->n = n;
    s->magic = SEG_MAGIC;
  }
  if (s->magic != SEG_MAGIC || s->n != n || n > ST_ARRIVED) {
    munmap(s, sizeof *s);
    return NULL;
  }
  return s;
}

static void map_drop_seg(struct map *m) {
  if (m->s != NULL)
    munmap(m->s, sizeof *m->s);
  m->s = NULL;
}

/* This task's map of group g at version, (re)made as needed; NULL when
 * out of memory. */
static struct map *map_get(const struct lpvm_group *g, uint32_t version,
                           uint32_t n) {
  struct map *m;
  char prefix[64];
  for (m = maps; m != NULL; m = m->next)
    if (strcmp(m->group, g->name) == 0)
      break;
  if (m == NULL) {
    m = calloc(1, sizeof *m);
    if (m == NULL || (m->group = strdup(g->name)) == NULL) {
      free(m);
      return NULL;
    }
    m->next = maps;
    maps = m;
  } else if (m->version == version && m->name[0] != '\0') {
    return m;
  }
  map_drop_seg(m);
  m->version = version;
  m->completed = 0;
  pvmw_shm_prefix(lpvm_daemon_socket(), prefix, sizeof prefix);
  snprintf(m->name, sizeof m->name, "/%s%016llx.%u", prefix,
           (unsigned long long)fnv64(g->name), (unsigned)version);
  m->s = seg_open(m->name, n);
  return m;
}

/* What a caller of a failed segment returns. */
static int seg_verdict(struct seg *s) {
  unsigned f = atomic_load(&s->failed);
  if (f == USE_MESSAGES)
    return LPVM_GSHM_NO;
  return f != 0 ? -(int)f : PvmMismatch;
}

/* Marks s failed with mark (a negated PVM error, or USE_MESSAGES) unless
 * it is failed already, or the barrier of generation gen has completed
 * (gen < 0: whatever barrier is under way). Wakes its sleepers. Returns 1
 * if the mark is (now or already) set, 0 if that barrier completed. */
static int seg_fail(struct seg *s, unsigned mark, long gen) {
  unsigned st = atomic_load(&s->state), zero = 0;
  for (;;) {
    if (st & ST_FAILED)
      return 1;
    if (gen >= 0 && ST_GEN(st) != (unsigned)gen)
      return 0;
    /* The mark's reason first: whoever sees ST_FAILED reads it. */
    atomic_compare_exchange_strong(&s->failed, &zero, mark);
    if (atomic_compare_exchange_weak(&s->state, &st, st | ST_FAILED))
      break;
  }
  futex_wake_all(&s->state);
  return 1;
}

/* Whether tid is still in g's view. */
static int still_member(const struct lpvm_group *g, int tid) {
  for (int i = 0; i < g->ninst; i++)
    if (g->tids[i] == tid)
      return 1;
  return 0;
}

/* Reads what the daemon sent and applies group notices; then the verdict
 * on the wait: 0 to go on waiting, else the error. *gone_since is when a
 * member was first seen gone. */
static int check_group(struct lpvm_group *g, const int *tids, int n,
                       uint32_t version, uint64_t *gone_since) {
  if (lpvm_conn.state != LPVM_UP || lpvm_pump(0) < 0)
    return PvmSysErr;
  for (struct lpvm_qmsg *q = lpvm_conn.queue.next; q != &lpvm_conn.queue;
       q = q->next)
    if (q->ctx == LPVM_SYSCTX &&
        q->tag == PVMNG__GROUP_WIRE__GROUP_NOTICE_TAG) {
      lpvm_group_notices();
      break;
    }
  for (int i = 0; i < n; i++)
    if (!still_member(g, tids[i])) {
      uint64_t now = now_ns();
      if (*gone_since == 0)
        *gone_since = now;
      return now - *gone_since >= LEAVE_GRACE_NS ? PvmNoGroup : 0;
    }
  if (g->defunct)
    return PvmNoGroup;
  return g->version != version ? PvmMismatch : 0;
}

int lpvm_gshm_barrier(struct lpvm_group *g, const int *tids, int n,
                      uint32_t version) {
  int host = pvmw_tid_host(lpvm_conn.mytid), rc = 0;
  struct map *m;
  struct seg *s;
  unsigned st, nst, g0;
  uint64_t spin_end, gone_since = 0;

  if (enabled < 0) {
    const char *e = getenv("PVMNG_GROUP_SHM");
    const char *sp = getenv("PVMNG_GROUP_SPIN_US");
    enabled = !(e != NULL && strcmp(e, "0") == 0);
    if (sp != NULL && *sp >= '0' && *sp <= '9')
      spin_ns = strtoull(sp, NULL, 10) * 1000u;
    if (spin_ns > SLEEP_NS)
      spin_ns = SLEEP_NS;
  }
  if (n < 2)
    return LPVM_GSHM_NO;
  for (int i = 0; i < n; i++)
    if (pvmw_tid_host(tids[i]) != host)
      return LPVM_GSHM_NO;
  if ((m = map_get(g, version, (uint32_t)n)) == NULL || (s = m->s) == NULL)
    return LPVM_GSHM_NO;
  if (!enabled) {
    /* The others may be waiting here: send them to messages too. */
    seg_fail(s, USE_MESSAGES, -1);
    return LPVM_GSHM_NO;
  }

  /* Arrive: one more, or the last, which opens the next generation. */
  st = atomic_load(&s->state);
  do {
    if (st & ST_FAILED)
      return seg_verdict(s);
    g0 = ST_GEN(st);
    if ((st & ST_ARRIVED) + 1 == (unsigned)n)
      nst = (st & ~ST_ARRIVED) + ST_GEN_ONE;
    else
      nst = st + 1;
  } while (!atomic_compare_exchange_weak(&s->state, &st, nst));

  if (ST_GEN(nst) != g0) {
    if (atomic_load(&s->sleepers) > 0)
      futex_wake_all(&s->state);
  } else {
    spin_end = now_ns() + spin_ns;
    for (;;) {
      st = atomic_load(&s->state);
      if (ST_GEN(st) != g0)
        break;
      if (st & ST_FAILED)
        return seg_verdict(s);
      if (now_ns() < spin_end) {
        sched_yield();
        continue;
      }
      atomic_fetch_add(&s->sleepers, 1);
      futex_wait(&s->state, st, SLEEP_NS);
      atomic_fetch_sub(&s->sleepers, 1);
      st = atomic_load(&s->state);
      if (ST_GEN(st) != g0 || (st & ST_FAILED))
        continue;
      if ((rc = check_group(g, tids, n, version, &gone_since)) != 0) {
        /* Nobody may count on this barrier any more: it fails for every
         * caller, unless it completed meanwhile; later barriers of this
         * version fail at once (the name stays, so that late members see
         * the mark) and go to the registry. */
        if (!seg_fail(s, (unsigned)-rc, (long)g0))
          break;
        return seg_verdict(s);
      }
    }
  }
  if (!m->completed) {
    m->completed = 1;
    /* Everyone has it mapped now: the name can go. */
    if (tids[0] == lpvm_conn.mytid)
      shm_unlink(m->name);
  }
  return 0;
}
