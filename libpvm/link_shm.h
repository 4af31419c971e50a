/* The shared-memory transport of a direct link between two tasks of one
 * host (internal). A link's opener makes an anonymous segment (memfd) with
 * one ring per direction and names it in its hello; the acceptor maps it
 * through /proc/<opener's pid>/fd/<n> (the kernel lets only the same user
 * in) and says so in its answer. From then on the link's stream travels
 * through the rings, and its Unix socket carries only wake-up bytes and,
 * by its end, the news that the peer has gone. This file is the segment
 * and the bytes; the link around it (ops table, wake-ups, the pump) is
 * link_shm_ops.c. */
#ifndef LPVM_LINK_SHM_H
#define LPVM_LINK_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct lpvm_shm;

/* Bytes of data in each ring ($PVMNG_SHM_RING, a power of two between 4
 * KiB and 16 MiB, KiB). */
#define LPVM_SHM_RING_DEFAULT (256u << 10)
/* A write of at least this many bytes ($PVMNG_SHM_PULL_MIN overrides it)
 * is pulled by the reader straight from the writer's memory
 * (process_vm_readv) instead of passing through the ring. */
#define LPVM_SHM_PULL_MIN ((size_t)32 << 10)

/* The opener: a new segment (NULL with *why set when none can be made).
 * Its descriptor is lpvm_shm_fd until lpvm_shm_close_fd. */
struct lpvm_shm *lpvm_shm_create(const char **why);
int lpvm_shm_fd(const struct lpvm_shm *s);
void lpvm_shm_close_fd(struct lpvm_shm *s);
/* The acceptor: maps the opener's segment, descriptor fd of process pid
 * (NULL with *why set when it cannot or must not be used). */
struct lpvm_shm *lpvm_shm_attach(pid_t pid, int fd, const char **why);
/* The peer's process, whose memory pulls read. */
void lpvm_shm_set_peer(struct lpvm_shm *s, pid_t pid);
/* Unmaps the segment (the other end keeps its own mapping). */
void lpvm_shm_free(struct lpvm_shm *s);

/* Writing. wait(ctx, s) is called when the writer must wait (for room, or
 * for a pull to finish): it pumps the caller's loop, sleeping once
 * lpvm_shm_writer_arm allows, and returns <0 once the link is gone.
 * wake(ctx) sends the peer a wake-up. Returns 0 or a negative PVM code. */
struct lpvm_shm_io {
  int (*wait)(void *ctx, struct lpvm_shm *s);
  void (*wake)(void *ctx);
  void *ctx;
};
int lpvm_shm_write(struct lpvm_shm *s, const struct iovec *iov, unsigned n,
                   const struct lpvm_shm_io *io);
/* Without waiting: appends len bytes if the ring has room for all of
 * them at once; returns 0, or -1 (nothing written). */
int lpvm_shm_try_put(struct lpvm_shm *s, const void *p, size_t len,
                     const struct lpvm_shm_io *io);
/* The writer goes to sleep: 1 if it may (the reader will wake it), 0 if
 * what it waits for happened already. */
int lpvm_shm_writer_arm(struct lpvm_shm *s);

/* Reading: delivers what the peer wrote to the sink, pulling large writes
 * straight into the sink's space. space() says where the next bytes go;
 * commit(n) takes them and returns 0 to go on, >0 to stop, <0 on a bad
 * stream. Returns the bytes delivered (>= 0), or a negative PVM code. */
struct lpvm_shm_sink {
  void (*space)(void *ctx, char **base, size_t *len);
  int (*commit)(void *ctx, size_t n);
  void *ctx;
};
long lpvm_shm_drain(struct lpvm_shm *s, const struct lpvm_shm_sink *k,
                    const struct lpvm_shm_io *io);
/* Whether something waits to be read. */
int lpvm_shm_readable(const struct lpvm_shm *s);
/* The reader goes to sleep: 1 if it may (the writer will wake it), 0 if
 * something has come meanwhile. */
int lpvm_shm_reader_arm(struct lpvm_shm *s);
void lpvm_shm_reader_disarm(struct lpvm_shm *s);

#endif
