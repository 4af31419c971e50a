/* The shared-memory ring of a link direction: records appended by one
 * writer and taken by one reader, each end in its own process. Publication
 * is by release/acquire on head and tail; the sleep flags follow the
 * classic store-fence-load pattern on both sides, so that a sleeper either
 * sees the other end's progress before it sleeps or is seen asleep by it
 * (a wake-up is never lost, and is asked for only when an end sleeps). */
#include "shm_ring.h"

#include <string.h>

#define RING_MAGIC 0x50564d52u /* "PVMR" */

/* A record's header: kind and payload length, native order (both ends
 * are on one host). */
struct rec {
  uint32_t kind;
  uint32_t len;
};

static size_t round8(size_t n) { return (n + 7u) & ~(size_t)7u; }

size_t lpvm_ring_size(uint32_t cap) {
  /* One more word at the end: the reader's offset in its current record. */
  return sizeof(struct lpvm_ring) + cap + 64u;
}

/* The reader's progress inside the current BYTES record: a word after the
 * data, written only by the reader. */
static uint64_t *rd_off(struct lpvm_ring *r) {
  return (uint64_t *)(void *)(r->data + r->cap);
}

void lpvm_ring_init(struct lpvm_ring *r, uint32_t cap) {
  r->cap = cap;
  atomic_init(&r->head, 0);
  atomic_init(&r->tail, 0);
  atomic_init(&r->wr_sleep, 0);
  atomic_init(&r->rd_sleep, 0);
  atomic_init(&r->pulls_done, 0);
  atomic_init(&r->pull_bytes, 0);
  atomic_init(&r->pull_failed, 0);
  *rd_off(r) = 0;
  atomic_thread_fence(memory_order_release);
  r->magic = RING_MAGIC;
}

int lpvm_ring_valid(const struct lpvm_ring *r, uint32_t cap) {
  return r->magic == RING_MAGIC && r->cap == cap;
}

/* Copies n bytes into the ring at byte offset off (which may wrap). */
static void copy_in(struct lpvm_ring *r, uint64_t off, const void *p,
                    size_t n) {
  size_t at = (size_t)(off & (r->cap - 1u));
  size_t first = r->cap - at < n ? r->cap - at : n;
  memcpy(r->data + at, p, first);
  if (first < n)
    memcpy(r->data, (const unsigned char *)p + first, n - first);
}

/* Largest payload of one BYTES record: a quarter of the ring, so that the
 * reader takes one while the writer fills the next. */
static size_t rec_max(const struct lpvm_ring *r) {
  return r->cap / 4u - LPVM_REC_HDR;
}

static size_t room(const struct lpvm_ring *r, uint64_t head) {
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
  return r->cap - (size_t)(head - tail);
}

int lpvm_ring_has_room(const struct lpvm_ring *r, size_t len) {
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  return room(r, head) >= LPVM_REC_HDR + round8(len);
}

size_t lpvm_ring_put(struct lpvm_ring *r, const void *p, size_t len) {
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  size_t free_b = room(r, head);
  struct rec h;
  if (len == 0 || free_b < LPVM_REC_HDR + 8u)
    return 0;
  free_b -= LPVM_REC_HDR;
  if (len > free_b)
    len = free_b;
  if (len > rec_max(r))
    len = rec_max(r);
  h.kind = LPVM_REC_BYTES;
  h.len = (uint32_t)len;
  copy_in(r, head, &h, sizeof(h));
  copy_in(r, head + LPVM_REC_HDR, p, len);
  atomic_store_explicit(&r->head, head + LPVM_REC_HDR + round8(len),
                        memory_order_release);
  return len;
}

int lpvm_ring_put_pull(struct lpvm_ring *r, const struct iovec *iov,
                       unsigned n) {
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  size_t body = 8u + 16u * (size_t)n;
  struct rec h = {LPVM_REC_PULL, (uint32_t)body};
  uint64_t w[2];
  if (n == 0 || n > LPVM_PULL_MAX_IOV || room(r, head) < LPVM_REC_HDR + body)
    return -1;
  copy_in(r, head, &h, sizeof(h));
  w[0] = n;
  w[1] = 0;
  copy_in(r, head + LPVM_REC_HDR, w, 8u);
  for (unsigned i = 0; i < n; i++) {
    w[0] = (uint64_t)(uintptr_t)iov[i].iov_base;
    w[1] = (uint64_t)iov[i].iov_len;
    copy_in(r, head + LPVM_REC_HDR + 8u + 16u * i, w, 16u);
  }
  atomic_store_explicit(&r->head, head + LPVM_REC_HDR + body,
                        memory_order_release);
  return 0;
}

uint64_t lpvm_ring_pulls_done(const struct lpvm_ring *r) {
  return atomic_load_explicit(&r->pulls_done, memory_order_acquire);
}

int lpvm_ring_reader_needs_wake(struct lpvm_ring *r) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&r->rd_sleep, memory_order_relaxed) == 0)
    return 0;
  return atomic_exchange(&r->rd_sleep, 0) != 0;
}

int lpvm_ring_writer_arm(struct lpvm_ring *r, size_t need,
                         uint64_t pulls_seen) {
  atomic_store(&r->wr_sleep, 1);
  atomic_thread_fence(memory_order_seq_cst);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  if (room(r, head) >= need || lpvm_ring_pulls_done(r) > pulls_seen) {
    atomic_store(&r->wr_sleep, 0);
    return 0;
  }
  return 1;
}

/* Copies n bytes out of the ring at byte offset off. */
static void copy_out(const struct lpvm_ring *r, uint64_t off, void *p,
                     size_t n) {
  size_t at = (size_t)(off & (r->cap - 1u));
  size_t first = r->cap - at < n ? r->cap - at : n;
  memcpy(p, r->data + at, first);
  if (first < n)
    memcpy((unsigned char *)p + first, r->data, n - first);
}

int lpvm_ring_peek(struct lpvm_ring *r, const unsigned char **p1, size_t *n1,
                   const unsigned char **p2, size_t *n2, struct iovec *iov) {
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
  struct rec h;
  if (head == tail)
    return 0;
  copy_out(r, tail, &h, sizeof(h));
  if (h.kind == LPVM_REC_PULL) {
    uint64_t w[2];
    copy_out(r, tail + LPVM_REC_HDR, w, 8u);
    if (w[0] == 0 || w[0] > LPVM_PULL_MAX_IOV ||
        h.len != 8u + 16u * (size_t)w[0])
      return -1;
    *n1 = (size_t)w[0];
    for (size_t i = 0; i < *n1; i++) {
      copy_out(r, tail + LPVM_REC_HDR + 8u + 16u * i, w, 16u);
      iov[i].iov_base = (void *)(uintptr_t)w[0];
      iov[i].iov_len = (size_t)w[1];
    }
    *p1 = *p2 = NULL;
    *n2 = 0;
    return LPVM_REC_PULL;
  }
  if (h.kind != LPVM_REC_BYTES || h.len > rec_max(r) || *rd_off(r) > h.len)
    return -1;
  {
    uint64_t start = tail + LPVM_REC_HDR + *rd_off(r);
    size_t left = h.len - (size_t)*rd_off(r);
    size_t at = (size_t)(start & (r->cap - 1u));
    size_t first = r->cap - at < left ? r->cap - at : left;
    *p1 = r->data + at;
    *n1 = first;
    *p2 = r->data;
    *n2 = left - first;
  }
  return LPVM_REC_BYTES;
}

void lpvm_ring_take(struct lpvm_ring *r, size_t n) {
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  struct rec h;
  copy_out(r, tail, &h, sizeof(h));
  *rd_off(r) += n;
  if (*rd_off(r) >= h.len) {
    *rd_off(r) = 0;
    atomic_store_explicit(&r->tail, tail + LPVM_REC_HDR + round8(h.len),
                          memory_order_release);
  }
}

void lpvm_ring_pull_done(struct lpvm_ring *r, size_t took, int failed) {
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  struct rec h;
  copy_out(r, tail, &h, sizeof(h));
  atomic_store_explicit(&r->pull_bytes, took, memory_order_relaxed);
  atomic_store_explicit(&r->pull_failed, (unsigned)failed,
                        memory_order_relaxed);
  atomic_store_explicit(&r->tail, tail + LPVM_REC_HDR + round8(h.len),
                        memory_order_release);
  atomic_fetch_add_explicit(&r->pulls_done, 1, memory_order_release);
}

int lpvm_ring_writer_needs_wake(struct lpvm_ring *r) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&r->wr_sleep, memory_order_relaxed) == 0)
    return 0;
  return atomic_exchange(&r->wr_sleep, 0) != 0;
}

int lpvm_ring_reader_arm(struct lpvm_ring *r) {
  atomic_store(&r->rd_sleep, 1);
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&r->head, memory_order_relaxed) !=
      atomic_load_explicit(&r->tail, memory_order_relaxed)) {
    atomic_store(&r->rd_sleep, 0);
    return 0;
  }
  return 1;
}

void lpvm_ring_reader_disarm(struct lpvm_ring *r) {
  if (atomic_load_explicit(&r->rd_sleep, memory_order_relaxed))
    atomic_store(&r->rd_sleep, 0);
}
