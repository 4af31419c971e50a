/* Acknowledged delivery on a link between daemons. Every frame a link
 * carries after the hello (but the heartbeats and acknowledgements) is
 * numbered by its place on the link; the sender keeps each frame until the
 * other side acknowledges it (PeerAck, or the count in PeerPing), and when
 * the link resumes on a new connection re-sends exactly those the other side
 * says it has not received. The frames kept are charged to the daemon's
 * memory budget. */
#include "peer_int.h"

#include "pvmd.h"
#include <stdlib.h>
#include <string.h>

int pvmd_rel_keep(struct pvmd *d, struct pvmd_rel *r, pvmw_frame *f) {
  size_t n = (size_t)(r->tx_seq - r->tx_acked);
  if (n == r->cap) {
    /* Grow the ring, oldest frame first in the new one. */
    size_t cap = r->cap ? r->cap * 2 : 64;
    pvmw_frame **q;
    if (cap > SIZE_MAX / sizeof *q)
      return -1;
    q = malloc(cap * sizeof *q);
    if (!q)
      return -1;
    for (size_t i = 0; i < n; i++)
      q[i] = r->q[(r->head + i) % r->cap];
    free(r->q);
    r->q = q;
    r->cap = cap;
    r->head = 0;
  }
  r->q[(r->head + n) % r->cap] = f;
  r->tx_seq++;
  r->bytes += f->raw_len;
  pvmd_mem_charge(d, f->raw_len);
  return 0;
}

pvmw_frame *pvmd_rel_at(const struct pvmd_rel *r, uint64_t seq) {
  if (seq <= r->tx_acked || seq > r->tx_seq)
    return NULL;
  return r->q[(r->head + (size_t)(seq - r->tx_acked - 1)) % r->cap];
}

int pvmd_rel_ack(struct pvmd *d, struct pvmd_rel *r, uint64_t received) {
  size_t freed = 0;
  if (received > r->tx_seq)
    return -1;
  while (r->tx_acked < received) {
    pvmw_frame *f = r->q[r->head];
    r->q[r->head] = NULL;
    r->head = (r->head + 1) % r->cap;
    r->tx_acked++;
    freed += f->raw_len;
    pvmw_frame_free(f);
  }
  r->bytes -= freed;
  /* Last: releasing may resume producers, which may send on this link. */
  if (freed)
    pvmd_mem_release(d, freed);
  return 0;
}

int pvmd_rel_received(struct pvmd_rel *r, size_t len) {
  r->rx_seq++;
  r->rx_bytes += len;
  return r->rx_seq - r->rx_acked >= REL_ACK_FRAMES ||
         r->rx_bytes >= REL_ACK_BYTES;
}

void pvmd_rel_free(struct pvmd *d, struct pvmd_rel *r) {
  size_t freed = 0;
  while (r->tx_acked < r->tx_seq) {
    pvmw_frame *f = r->q[r->head];
    r->head = (r->head + 1) % r->cap;
    r->tx_acked++;
    freed += f->raw_len;
    pvmw_frame_free(f);
  }
  free(r->q);
  memset(r, 0, sizeof *r);
  if (freed)
    pvmd_mem_release(d, freed);
}
