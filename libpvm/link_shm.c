/* Shared memory for a direct link on one host: the segment (an anonymous
 * memfd, so nothing is ever left behind under any name, and only the same
 * user can reach it, through /proc/<pid>/fd), its two rings, and the two
 * ways bytes cross: small writes are copied through the ring (the reader
 * copies them out into its frame reader: two copies, no system call),
 * large ones are pulled by the reader straight from the writer's memory
 * with process_vm_readv (one copy, from the sender's buffer or, for
 * PvmDataInPlace, the user's own data, into the message the receiver will
 * unpack). docs/performance.md has the measurements behind the split. */
#include "link_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvm3.h"
#include "shm_ring.h"

struct lpvm_shm {
  unsigned char *map;
  size_t map_len;
  struct lpvm_ring *tx, *rx;
  pid_t peer;
  int fd;              /* opener: the memfd until the acceptor has it */
  uint64_t pulls_seen; /* writer: pulls the reader had done before ours */
  int pulling;         /* writer: a pull of ours is out */
  size_t need;         /* writer: room waited for (0: a pull) */
  int pull_ok;         /* reader: pulls work (0 after EPERM/ENOSYS) */
};

/* The smallest write that is pulled: LPVM_SHM_PULL_MIN, or
 * $PVMNG_SHM_PULL_MIN bytes (for measurements; a huge value never pulls). */
static size_t pull_min(void) {
  static size_t v;
  if (v == 0) {
    const char *e = getenv("PVMNG_SHM_PULL_MIN");
    long long n = e != NULL && *e != '\0' ? strtoll(e, NULL, 10) : 0;
    v = n > 0 ? (size_t)n : LPVM_SHM_PULL_MIN;
  }
  return v;
}

static uint32_t ring_cap(void) {
  const char *e = getenv("PVMNG_SHM_RING");
  long kib;
  if (e == NULL || *e == '\0')
    return LPVM_SHM_RING_DEFAULT;
  kib = strtol(e, NULL, 10);
  if (kib < 4 || kib > (16L << 10) || (kib & (kib - 1)) != 0)
    return LPVM_SHM_RING_DEFAULT;
  return (uint32_t)kib << 10;
}

/* The segment's layout: ring 0 (the opener writes), ring 1 (the acceptor
 * writes), each on its own pages. The ring size travels in the segment's
 * length. */
static size_t ring_span(uint32_t cap) {
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (lpvm_ring_size(cap) + pg - 1) / pg * pg;
}

static struct lpvm_shm *shm_new(void) {
  struct lpvm_shm *s = calloc(1, sizeof(*s));
  if (s != NULL) {
    s->fd = -1;
    s->pull_ok = 1;
  }
  return s;
}

struct lpvm_shm *lpvm_shm_create(const char **why) {
  uint32_t cap = ring_cap();
  size_t span = ring_span(cap);
  struct lpvm_shm *s = shm_new();
  if (s == NULL) {
    *why = "out of memory";
    return NULL;
  }
  s->fd = memfd_create("pvmng-link", MFD_CLOEXEC);
  if (s->fd < 0 || fchmod(s->fd, 0600) != 0 ||
      ftruncate(s->fd, (off_t)(2 * span)) != 0) {
    *why = strerror(errno);
    goto fail;
  }
  s->map = mmap(NULL, 2 * span, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
  if (s->map == MAP_FAILED) {
    s->map = NULL;
    *why = strerror(errno);
    goto fail;
  }
  s->map_len = 2 * span;
  s->tx = (struct lpvm_ring *)(void *)s->map;
  s->rx = (struct lpvm_ring *)(void *)(s->map + span);
  lpvm_ring_init(s->tx, cap);
  lpvm_ring_init(s->rx, cap);
  return s;
fail:
  lpvm_shm_free(s);
  return NULL;
}

int lpvm_shm_fd(const struct lpvm_shm *s) { return s->fd; }

void lpvm_shm_close_fd(struct lpvm_shm *s) {
  if (s->fd >= 0)
    close(s->fd);
  s->fd = -1;
}

struct lpvm_shm *lpvm_shm_attach(pid_t pid, int fd, const char **why) {
  char path[64];
  struct stat st;
  struct lpvm_shm *s;
  size_t span;
  int mfd;
  if (pid <= 0 || fd < 0) {
    *why = "no segment";
    return NULL;
  }
  snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
  if ((mfd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
    *why = strerror(errno);
    return NULL;
  }
  /* Ours alone, and of a size that two rings explain. */
  if (fstat(mfd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 0077) != 0 || st.st_size <= 0 ||
      st.st_size > (off_t)(1u << 26) || (size_t)st.st_size % 2 != 0) {
    close(mfd);
    *why = "not a segment of this user's";
    return NULL;
  }
  if ((s = shm_new()) == NULL) {
    close(mfd);
    *why = "out of memory";
    return NULL;
  }
  span = (size_t)st.st_size / 2;
  s->map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                mfd, 0);
  close(mfd);
  if (s->map == MAP_FAILED) {
    s->map = NULL;
    *why = strerror(errno);
    lpvm_shm_free(s);
    return NULL;
  }
  s->map_len = (size_t)st.st_size;
  s->rx = (struct lpvm_ring *)(void *)s->map;
  s->tx = (struct lpvm_ring *)(void *)(s->map + span);
  if (!lpvm_ring_valid(s->rx, s->rx->cap) || s->rx->cap < 64 ||
      (s->rx->cap & (s->rx->cap - 1)) != 0 || ring_span(s->rx->cap) != span ||
      !lpvm_ring_valid(s->tx, s->rx->cap)) {
    *why = "malformed segment";
    lpvm_shm_free(s);
    return NULL;
  }
  s->peer = pid;
  return s;
}

void lpvm_shm_set_peer(struct lpvm_shm *s, pid_t pid) { s->peer = pid; }

void lpvm_shm_free(struct lpvm_shm *s) {
  if (s == NULL)
    return;
  lpvm_shm_close_fd(s);
  if (s->map != NULL)
    munmap(s->map, s->map_len);
  free(s);
}

/* ---- writing ------------------------------------------------------------- */

static void wake_reader(struct lpvm_shm *s, const struct lpvm_shm_io *io) {
  if (lpvm_ring_reader_needs_wake(s->tx))
    io->wake(io->ctx);
}

int lpvm_shm_writer_arm(struct lpvm_shm *s) {
  if (s->pulling)
    return lpvm_ring_writer_arm(s->tx, (size_t)-1, s->pulls_seen);
  return lpvm_ring_writer_arm(s->tx, s->need, UINT64_MAX);
}

/* Streams n pieces through the ring, starting skip bytes in. */
static int write_bytes(struct lpvm_shm *s, const struct iovec *iov, unsigned n,
                       size_t skip, const struct lpvm_shm_io *io) {
  for (unsigned i = 0; i < n; i++) {
    const unsigned char *p = iov[i].iov_base;
    size_t len = iov[i].iov_len;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    p += skip;
    len -= skip;
    skip = 0;
    while (len > 0) {
      size_t k = lpvm_ring_put(s->tx, p, len);
      if (k == 0) {
        wake_reader(s, io);
        s->need = LPVM_REC_HDR + 8u + (len < 4096 ? len : 4096);
        if (io->wait(io->ctx, s) < 0)
          return PvmSysErr;
        continue;
      }
      p += k;
      len -= k;
    }
  }
  wake_reader(s, io);
  return 0;
}

int lpvm_shm_write(struct lpvm_shm *s, const struct iovec *iov, unsigned n,
                   const struct lpvm_shm_io *io) {
  size_t total = 0, took;
  for (unsigned i = 0; i < n; i++)
    total += iov[i].iov_len;
  if (total < pull_min() || n > LPVM_PULL_MAX_IOV || !s->pull_ok)
    return write_bytes(s, iov, n, 0, io);
  /* Large: the reader copies it from here; we wait until it has. */
  s->pulls_seen = lpvm_ring_pulls_done(s->tx);
  s->need = LPVM_REC_HDR + 8u + 16u * n;
  while (lpvm_ring_put_pull(s->tx, iov, n) < 0) {
    wake_reader(s, io);
    if (io->wait(io->ctx, s) < 0)
      return PvmSysErr;
  }
  s->pulling = 1;
  wake_reader(s, io);
  while (lpvm_ring_pulls_done(s->tx) == s->pulls_seen) {
    if (io->wait(io->ctx, s) < 0) {
      s->pulling = 0;
      return PvmSysErr;
    }
  }
  s->pulling = 0;
  unsigned failed = atomic_load(&s->tx->pull_failed);
  if (failed == 0)
    return 0;
  /* The rest goes through the ring; and everything large from now on if
   * the reader cannot read our memory (a policy forbids it). */
  if (failed == LPVM_PULL_DENIED)
    s->pull_ok = 0;
  took = (size_t)atomic_load(&s->tx->pull_bytes);
  return write_bytes(s, iov, n, took, io);
}

int lpvm_shm_try_put(struct lpvm_shm *s, const void *p, size_t len,
                     const struct lpvm_shm_io *io) {
  if (!lpvm_ring_has_room(s->tx, len) || lpvm_ring_put(s->tx, p, len) != len)
    return -1;
  wake_reader(s, io);
  return 0;
}

/* ---- reading ------------------------------------------------------------- */

int lpvm_shm_readable(const struct lpvm_shm *s) {
  return atomic_load_explicit(&s->rx->head, memory_order_acquire) !=
         atomic_load_explicit(&s->rx->tail, memory_order_relaxed);
}

int lpvm_shm_reader_arm(struct lpvm_shm *s) {
  return lpvm_ring_reader_arm(s->rx);
}

void lpvm_shm_reader_disarm(struct lpvm_shm *s) {
  lpvm_ring_reader_disarm(s->rx);
}

/* Pulls the pieces of a PULL record into the sink. Returns >0 if the sink
 * asked to stop, 0 when done, <0 on a bad stream; *took counts the bytes,
 * *failed says the copy could not be made. */
static int pull(struct lpvm_shm *s, struct iovec *riov, size_t nr,
                const struct lpvm_shm_sink *k, size_t *took, int *failed) {
  size_t ri = 0;
  int rc = 0;
  *took = 0;
  *failed = 0;
  while (ri < nr && rc == 0) {
    struct iovec liov;
    char *base;
    size_t room, want = 0;
    ssize_t got;
    unsigned cnt = 0;
    if (riov[ri].iov_len == 0) {
      ri++;
      continue;
    }
    k->space(k->ctx, &base, &room);
    if (room == 0)
      return -1;
    liov.iov_base = base;
    liov.iov_len = room;
    for (size_t j = ri; j < nr && want < room && cnt < 1024; j++, cnt++)
      want += riov[j].iov_len;
    do
      got = process_vm_readv(s->peer, &liov, 1, riov + ri, cnt, 0);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
      *failed = LPVM_PULL_DENIED;
      return 0;
    }
    *took += (size_t)got;
    for (size_t left = (size_t)got; left > 0;) {
      size_t d = riov[ri].iov_len < left ? riov[ri].iov_len : left;
      riov[ri].iov_base = (char *)riov[ri].iov_base + d;
      riov[ri].iov_len -= d;
      left -= d;
      if (riov[ri].iov_len == 0)
        ri++;
    }
    rc = k->commit(k->ctx, (size_t)got);
  }
  /* The sink stopped halfway (it holds too much, or the link closes): the
   * writer sends the rest as bytes, which are read when reading resumes. */
  while (rc > 0 && ri < nr && riov[ri].iov_len == 0)
    ri++;
  if (rc > 0 && ri < nr)
    *failed = LPVM_PULL_STOPPED;
  return rc;
}

long lpvm_shm_drain(struct lpvm_shm *s, const struct lpvm_shm_sink *k,
                    const struct lpvm_shm_io *io) {
  long total = 0;
  for (;;) {
    const unsigned char *p1, *p2;
    size_t n1 = 0, n2 = 0;
    struct iovec iov[LPVM_PULL_MAX_IOV];
    int kind = lpvm_ring_peek(s->rx, &p1, &n1, &p2, &n2, iov);
    int rc = 0;
    if (kind == 0)
      break;
    if (kind < 0)
      return PvmSysErr;
    if (kind == LPVM_REC_PULL) {
      size_t took;
      int failed;
      rc = pull(s, iov, n1, k, &took, &failed);
      if (rc < 0)
        return PvmSysErr;
      lpvm_ring_pull_done(s->rx, took, failed);
      total += (long)took;
    } else {
      /* Copy what the sink has room for; the record ends once all of it
       * is taken. */
      const unsigned char *p = p1;
      size_t n = n1;
      for (int part = 0; part < 2 && rc == 0; part++) {
        while (n > 0 && rc == 0) {
          char *base;
          size_t room;
          k->space(k->ctx, &base, &room);
          if (room == 0)
            return PvmSysErr;
          if (room > n)
            room = n;
          memcpy(base, p, room);
          p += room;
          n -= room;
          lpvm_ring_take(s->rx, room);
          total += (long)room;
          rc = k->commit(k->ctx, room);
        }
        p = p2;
        n = n2;
      }
    }
    if (lpvm_ring_writer_needs_wake(s->rx))
      io->wake(io->ctx);
    if (rc < 0)
      return PvmSysErr;
    if (rc > 0)
      break;
  }
  return total;
}
