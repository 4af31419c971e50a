/* A one-writer, one-reader ring of records in shared memory (internal).
 * A shared-memory link has one ring per direction. The writer appends
 * records (bytes of the link's stream, or a request to pull a large
 * message straight from the writer's memory) and publishes them by moving
 * `head`; the reader takes them and moves `tail`. Neither end ever waits
 * inside this module: it says when a ring has no room or nothing to read,
 * and when the other end asked to be woken (it is going to sleep), and the
 * caller waits and wakes as its event loop does. */
#ifndef LPVM_SHM_RING_H
#define LPVM_SHM_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Record kinds. */
enum { LPVM_REC_BYTES = 1, LPVM_REC_PULL = 2 };

/* Every record starts on an 8-byte boundary with this header. */
#define LPVM_REC_HDR 8u
/* A pull request names at most this many pieces of the writer's memory. */
#define LPVM_PULL_MAX_IOV 64u

/* The ring's shared header. Counters only grow (64 bits never wrap in
 * practice): head - tail is what is unread. Each end writes its own
 * cache line only. */
struct lpvm_ring {
  uint32_t magic;
  uint32_t cap; /* bytes of data, a power of two, a multiple of 8 */
  _Alignas(64) atomic_uint_fast64_t head; /* written by the writer */
  atomic_uint wr_sleep;                   /* the writer waits for room */
  _Alignas(64) atomic_uint_fast64_t tail; /* written by the reader */
  atomic_uint rd_sleep;                   /* the reader waits for records */
  atomic_uint_fast64_t pulls_done;        /* pull requests completed */
  atomic_uint_fast64_t pull_bytes;        /* bytes the last pull took */
  atomic_uint pull_failed;                /* the last pull failed */
  _Alignas(64) unsigned char data[];
};

/* Bytes a ring with cap bytes of data takes. */
size_t lpvm_ring_size(uint32_t cap);
/* Makes a ring at mem (lpvm_ring_size(cap) bytes, zeroed). cap must be a
 * power of two of at least 64. */
void lpvm_ring_init(struct lpvm_ring *r, uint32_t cap);
/* Whether r looks like a ring of cap bytes (checked by the end that did
 * not make it). */
int lpvm_ring_valid(const struct lpvm_ring *r, uint32_t cap);

/* ---- writer ---- */

/* Appends up to len bytes as one BYTES record, as much as there is room
 * for. Returns the number of bytes taken (0: the ring is full). */
size_t lpvm_ring_put(struct lpvm_ring *r, const void *p, size_t len);
/* Appends a PULL record naming n pieces (at most LPVM_PULL_MAX_IOV) of the
 * writer's memory, len bytes in all. Returns 0, or -1 when there is no
 * room (nothing written). The writer keeps the memory unchanged until
 * lpvm_ring_pulled says the reader is done. */
int lpvm_ring_put_pull(struct lpvm_ring *r, const struct iovec *iov,
                       unsigned n);
/* How many PULL records the reader has completed. */
uint64_t lpvm_ring_pulls_done(const struct lpvm_ring *r);
/* Whether the reader sleeps and must be woken for what was just written
 * (clears the request: one wake-up per sleep). */
int lpvm_ring_reader_needs_wake(struct lpvm_ring *r);
/* The writer is about to sleep until the reader frees need bytes or
 * completes a pull beyond pulls_seen. Returns 0 if that has happened
 * already (do not sleep), 1 once the reader is asked to wake it. */
int lpvm_ring_writer_arm(struct lpvm_ring *r, size_t need, uint64_t pulls_seen);
/* Room for a record with len bytes of payload, now. */
int lpvm_ring_has_room(const struct lpvm_ring *r, size_t len);

/* ---- reader ---- */

/* The next record, if any. For BYTES: where its unread payload is, in at
 * most two pieces as the ring is circular (p1 and n1, then p2 and n2);
 * for PULL: the writer's pieces, copied to iov, their count in n1.
 * Returns the kind, 0 when nothing is there, -1 for a malformed record. */
int lpvm_ring_peek(struct lpvm_ring *r, const unsigned char **p1, size_t *n1,
                   const unsigned char **p2, size_t *n2, struct iovec *iov);
/* Takes n bytes of the current BYTES record's payload (the record ends
 * once all of it is taken). */
void lpvm_ring_take(struct lpvm_ring *r, size_t n);
/* Ends the current PULL record: took bytes were copied; failed is 0, or
 * why the copy did not finish (the writer then sends the rest as bytes):
 * LPVM_PULL_STOPPED (the reader stopped reading for now) or
 * LPVM_PULL_DENIED (it cannot read the writer's memory). */
enum { LPVM_PULL_STOPPED = 1, LPVM_PULL_DENIED = 2 };
void lpvm_ring_pull_done(struct lpvm_ring *r, size_t took, int failed);
/* Whether the writer sleeps and must be woken for the room just made or the
 * pull just completed (clears the request). */
int lpvm_ring_writer_needs_wake(struct lpvm_ring *r);
/* The reader is about to sleep: returns 0 if a record is there already
 * (do not sleep), 1 once the writer is asked to wake it. */
int lpvm_ring_reader_arm(struct lpvm_ring *r);
/* Stops asking for a wake-up (the reader woke for another reason). */
void lpvm_ring_reader_disarm(struct lpvm_ring *r);

#endif
