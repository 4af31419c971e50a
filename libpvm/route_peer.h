/* The router's state per peer task (internal to the router: route.c,
 * route_ack.c and link.c). A peer is a task we have, had or tried a direct
 * link with; it holds the frames that wait to keep per-pair order, the
 * messages sent on its link and not yet acknowledged, and what is needed to
 * resume through the daemon when the link breaks. The model is described
 * at the head of route.c (order) and route_ack.c (acknowledged delivery). */
#ifndef LPVM_ROUTE_PEER_H
#define LPVM_ROUTE_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "link.h"

/* Closed links per peer whose counts of taken messages are remembered (for
 * the peer's resume marker, which may come after the link's end). */
#define LPVM_RX_HIST 8

struct lpvm_held {
  struct lpvm_held *next;
  pvmw_frame *f;
};

struct lpvm_heldq {
  struct lpvm_held *head, *tail;
  size_t bytes;
};

/* A message sent on a link and not yet acknowledged: its frames as they
 * went out (the same bytes go to the daemon if the link breaks). */
struct lpvm_kept {
  struct lpvm_kept *next;
  uint64_t seq; /* its number on the link, from 0 */
  size_t len;
  uint8_t *data; /* malloc'd, owned */
};

struct lpvm_peer {
  struct lpvm_peer *next;
  int tid;
  struct lpvm_link *link;   /* the established link, or NULL */
  struct lpvm_link *trying; /* our own attempt in progress */
  int failed;               /* no more links with this peer */
  int breaks;               /* links with this peer that broke */
  int attempts;             /* our failed attempts to open a link */
  uint64_t next_try;        /* loop time (ms) before which we do not retry */
  int sending;              /* we have sent our marker: we send on the link */
  uint64_t marker;          /* nonce named by the peer's last route marker */
  uint64_t held_nonce;      /* the link that link_held's frames came from */
  struct lpvm_heldq link_held;   /* link frames waiting for the marker */
  struct lpvm_heldq daemon_held; /* daemon frames waiting for the link's end */
  /* Sending: the messages of our link not acknowledged yet, in order. */
  struct lpvm_kept *kept, *kept_tail;
  size_t kept_bytes;
  unsigned kept_n;
  /* Our link broke: the resume (marker, then the kept messages) is due
   * through the daemon, for link fb_nonce from message fb_from on. */
  int fb_pending;
  uint64_t fb_nonce, fb_from;
  /* Receiving: messages taken from our recent links, by nonce, and how
   * many of the peer's next daemon messages were taken from a link already
   * (its resume re-sends them). */
  struct {
    uint64_t nonce, count;
  } rx_hist[LPVM_RX_HIST];
  unsigned rx_hist_next;
  uint64_t skip;
};

/* The router's lists (route.c). */
struct lpvm_router {
  struct lpvm_link *links;
  struct lpvm_peer *peers;
  int nlinks;
  int stopping; /* lpvm_route_stop is closing every link (said quietly) */
  void (*on_route)(int kind, int tid); /* lpvm_route_start's */
};
extern struct lpvm_router lpvm_router;

/* route.c */
struct lpvm_peer *lpvm_peer_find(int tid);
struct lpvm_peer *lpvm_peer_get(int tid);
/* The link of p stopped being p's (closed): fallback, cool-down, notify. */
void lpvm_peer_link_gone(struct lpvm_peer *p, struct lpvm_link *l);
/* A message frame from link l (taken): 0 delivered, 1 held until the
 * peer's marker for l, -1 malformed. */
int lpvm_peer_link_message(struct lpvm_link *l, pvmw_frame *f);
/* Whether daemon frames from p wait, and their release. */
int lpvm_peer_holding_daemon(const struct lpvm_peer *p);
void lpvm_peer_release_daemon_held(struct lpvm_peer *p);

/* route.c: the answer to a link opened without waiting came (link.c);
 * and such a link closed before it was taken (attempts, cool-down). */
void lpvm_peer_link_started(struct lpvm_link *l);
void lpvm_peer_start_failed(struct lpvm_peer *p, const struct lpvm_link *l);

/* route_ack.c */
void lpvm_kept_drop(struct lpvm_peer *p, uint64_t acked);
void lpvm_rx_hist_put(struct lpvm_peer *p, uint64_t nonce, uint64_t count);
uint64_t lpvm_rx_hist_get(const struct lpvm_peer *p, uint64_t nonce);
/* Sends through the daemon the resume of p's broken link (quiet: say it
 * only under PvmTaskDebug). */
void lpvm_fallback_flush(struct lpvm_peer *p, int quiet);
/* The peer's ACK frame came on l: 0, or -1 when it acknowledges messages
 * never sent. */
int lpvm_ack_received(struct lpvm_link *l, const pvmw_frame *f);
/* A message frame taken from l: counts it, acknowledges when due. */
void lpvm_ack_count(struct lpvm_link *l, const pvmw_frame *f);
void lpvm_ack_now(struct lpvm_link *l);
/* A peer's resume marker came through the daemon (f still the caller's). */
void lpvm_resume_received(int src, const pvmw_frame *f);

/* Big-endian 64-bit fields of route bodies. */
void lpvm_put_be64(uint8_t *p, uint64_t v);
uint64_t lpvm_get_be64(const uint8_t *p);

#endif
