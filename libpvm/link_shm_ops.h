/* The links of one host (internal): a Unix-socket link (link_unix.c) that
 * may move its stream into a shared-memory segment after the hello
 * (link_shm_ops.c). Both transports use this struct, so a link changes
 * its ops table in place when the peer takes the segment. */
#ifndef LPVM_LINK_SHM_OPS_H
#define LPVM_LINK_SHM_OPS_H

#include "link.h"
#include "link_shm.h"

struct lpvm_shm_outq;

struct lpvm_local_link {
  struct lpvm_link base;
  struct lpvm_shm *shm;        /* the segment offered or mapped, or NULL */
  int in;                      /* the rings are being read (no nesting) */
  int armed;                   /* we asked the peer to wake us */
  unsigned spins;              /* polls of the current wait for room */
  struct lpvm_shm_outq *out;   /* frames from callbacks waiting for room */
  struct lpvm_shm_outq **tail; /* where the next one goes */
};

/* The opener: a segment for link l, named in its hello (descriptor + 1;
 * 0 when there is none: the link stays on its socket). */
uint32_t lpvm_link_shm_offer(struct lpvm_link *l);
/* The acceptor: maps the segment the opener offered (fd1 as in the
 * hello), if it can; the link stays on its socket otherwise. */
void lpvm_link_shm_attach(struct lpvm_link *l, uint32_t fd1);
/* The peer took the segment (taken) or not: the opener moves the link to
 * the rings, or drops the segment. The acceptor calls it with taken once
 * its answer is on the socket. */
void lpvm_link_shm_answered(struct lpvm_link *l, int taken);
/* Frees the segment and queued frames of a link (ops->free of both). */
void lpvm_link_local_free(struct lpvm_link *l);

#endif
