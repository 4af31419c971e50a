/* The link interface (internal): what a transport between a task and
 * another task (or its daemon) provides, and what it may call back. The
 * router (route.c) keeps per-pair order, switching, fallback and
 * acknowledged delivery, and never asks which transport a link uses: it
 * calls the operations below. Each transport is one file that fills a
 * struct lpvm_link_ops: link_unix.c (Unix socket, one host),
 * link_shm_ops.c (shared memory, one host), link_tls.c
 * (TLS over TCP, between hosts) and the daemon connection (conn.c, which
 * implements write only: its reading is the connection's own).
 *
 * The model. A link carries frames (wire/frame.h) both ways, in order.
 * Opening is blocking and bounded in time (ops->open, from route.c); an
 * incoming link arrives from a transport's own listener, which calls
 * lpvm_link_new and then ops->read_start. Whatever a transport reads it
 * turns into whole frames and hands, one at a time, to lpvm_link_frame
 * (usually through the link's frame reader, lpvm_link_input). The first
 * frames are the opening hello (a Control: ops->hello checks it at the
 * acceptor) and its answer (a HelloReply, ops->answered at the opener);
 * after that only message and acknowledgement frames. A link ends with
 * lpvm_link_close (orderly or not); the transport reports the end of its
 * stream with lpvm_link_ended, a failed write or record with
 * lpvm_link_close_broken. Nothing in a link is freed before ops->close has
 * called lpvm_link_closed and every hold is dropped.
 *
 * Acknowledged delivery needs nothing from a transport but order: messages
 * are numbered by their place on the stream, the receiver acknowledges with
 * ACK frames, the sender keeps what is not acknowledged (route_ack.c).
 *
 * A new transport: a struct that starts with a struct lpvm_link, an ops
 * table with .size set to it, a listener (or its own way of being found)
 * that calls lpvm_link_new, and a case in route.c's transport_for that
 * picks it for a peer. Shared memory (link_shm_ops.c) is found another
 * way: a Unix link switches its ops table to it after the hello. */
#ifndef LPVM_LINK_H
#define LPVM_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "frame.h"
#include "pvm.pb-c.h"

struct lpvm_link;
struct lpvm_peer;

/* How a tid is reached directly (lpvm_route_link, and ops->kind). */
enum { LPVM_LINK_NONE, LPVM_LINK_LOCAL, LPVM_LINK_REMOTE };

struct lpvm_link_ops {
  const char *name; /* for messages: "unix", "tls", "daemon" */
  int kind;         /* LPVM_LINK_LOCAL or LPVM_LINK_REMOTE */
  int via;          /* what pvmng_route_transport says (PVMNG_VIA_*) */
  size_t size;      /* bytes of the transport's link struct (>= struct
                       lpvm_link, which starts it) */
  /* Optional: sets up a new link's handles (io.handle.data = l). */
  void (*init)(struct lpvm_link *l);
  /* Outgoing: reaches l->peer and sends the opening hello (l->nonce is
   * set), pumping the loop, bounded in time. 0 once the hello is out, or
   * -1; l->answer may then hold the peer's refusal (a PVM code), and
   * l->final says that trying again is pointless. */
  int (*open)(struct lpvm_link *l);
  /* Outgoing, optional: as open, but returns at once without pumping the
   * loop (0 started, -1 failed); the hello goes out once the peer is
   * reached, and a failure after the start closes the link. The answer
   * comes to the router (l->async is set). */
  int (*open_async)(struct lpvm_link *l);
  /* Incoming: the opening hello c came (a Control, still the caller's).
   * Checks it and calls lpvm_link_accept, or answers with a refusal
   * (lpvm_link_answer). 0 when taken, -1 to close the link. */
  int (*hello)(struct lpvm_link *l, Pvmng__Control *c);
  /* Outgoing, optional: the peer's answer r came (code already in
   * l->answer: 1 accepted, < 0 refused). */
  void (*answered)(struct lpvm_link *l, const Pvmng__HelloReply *r);
  /* Outgoing, optional: the peer accepted; last checks before the link is
   * used (0, or -1 to give up; l->final as for open). */
  int (*established)(struct lpvm_link *l);
  /* Optional: fills what the transport adds to a HelloReply it sends. */
  void (*fill_reply)(struct lpvm_link *l, Pvmng__HelloReply *r);
  /* Starts (or resumes) reading; sets l->reading when reading. */
  void (*read_start)(struct lpvm_link *l);
  /* Stops reading (l->reading = 0): too much held before a marker. */
  void (*read_stop)(struct lpvm_link *l);
  /* Reads without waiting what the peer has written and we have not read
   * yet (the peer has most likely ended), as reading would. Optional. */
  void (*drain)(struct lpvm_link *l);
  /* Writes bufs (bufs may be changed), blocking (pumping the loop) until
   * the transport has taken every byte. 0 or a negative PVM code. */
  int (*write)(struct lpvm_link *l, uv_buf_t *bufs, unsigned n);
  /* Optional: len bytes to lead the next write (may gather them into its
   * first record); without it they are written at once. 0 or a code. */
  int (*put)(struct lpvm_link *l, const void *data, size_t len);
  /* Queues frame f without pumping the loop (from callbacks), behind
   * everything written before. Takes f; a failure closes the link. */
  void (*send_async)(struct lpvm_link *l, pvmw_frame *f);
  /* Optional: the stream ended (n: UV_EOF or a libuv error) before the
   * link was closed here; says what that means for this transport. */
  void (*ended)(struct lpvm_link *l, ssize_t n);
  /* Optional: last words before the close, best effort (TLS: the sealed
   * close record); established says the link was the pair's link. */
  void (*goodbye)(struct lpvm_link *l, int established);
  /* Releases the transport's handles; calls lpvm_link_closed once no
   * callback of the link can run any more. */
  void (*close)(struct lpvm_link *l);
  /* Optional: frees the transport's own memory (after close). */
  void (*free)(struct lpvm_link *l);
  /* Optional: the name of what protects the records ("" for none). */
  const char *(*cipher)(const struct lpvm_link *l);
};

/* The state every link has; a transport's struct starts with it. */
struct lpvm_link {
  const struct lpvm_link_ops *ops;
  /* A stream transport's handle (io.handle.data = this link). */
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_tcp_t tcp;
  } io;
  struct lpvm_link *next; /* in the router's list of links */
  struct lpvm_peer *peer; /* NULL until an incoming link's hello */
  pvmw_reader rd;         /* frames read off the link */
  int rd_ready;
  int incoming;
  int answer;     /* outgoing: 1 accepted, <0 refused, 0 waiting */
  int final;      /* open failed for good: do not try this peer again */
  int async;      /* outgoing, opened without waiting (ops->open_async) */
  uint64_t nonce; /* names the link in route markers (never 0) */
  int closing;
  int closed; /* ops->close has finished */
  int holds;  /* users that free it after the close (link_open, a send) */
  int reading;
  /* Acknowledged delivery (route_ack.c): messages are numbered per link
   * and direction, implicitly, in the order of the stream. */
  uint64_t tx_seq;         /* messages begun on the link */
  uint64_t tx_acked;       /* the peer's acknowledgement: taken so far */
  uint64_t rx_seq;         /* whole messages taken from the link */
  uint64_t rx_acked;       /* what we acknowledged last */
  uint64_t rx_total;       /* total_len of the message being taken */
  size_t rx_unacked_bytes; /* frame bytes taken since our last ack */
  int tx_busy;    /* a message is being written: no frame may go between */
  int ack_due;    /* an acknowledgement waits for that write to end */
  int fin_inject; /* test: the stream ends after this frame */
};

/* The transports (route.c picks one per peer), and their listeners. */
extern const struct lpvm_link_ops lpvm_link_unix_ops;
extern const struct lpvm_link_ops lpvm_link_tls_ops;
/* Links of one host whose stream went into shared memory (a Unix link
 * switches to it after the hello: link_shm_ops.c). */
extern const struct lpvm_link_ops lpvm_link_shm_ops;
/* Reads what the shared-memory links have brought (the daemon
 * connection's pump hook, at every turn). With block set the caller is
 * about to sleep: each link asks its peer to wake it. Returns 1 if
 * something came (the caller must not sleep), 0 if not, -1 when there is
 * no such link. */
int lpvm_link_shm_pump(int block);
/* Whether links of one host may use shared memory ($PVMNG_SHM is not 0). */
int lpvm_link_shm_enabled(void);
/* Listens for Unix links (on), or stops and removes the socket (off). */
void lpvm_link_unix_listen(int on);

/* ---- called by transports ---------------------------------------------- */

/* A new link of ops's kind (ops->size bytes, zeroed, ops->init run), in
 * the router's list, its frame reader ready; NULL without memory. */
struct lpvm_link *lpvm_link_new(const struct lpvm_link_ops *ops, int incoming);
/* n bytes were read into the space lpvm_link_space gave: hands the whole
 * frames among them to lpvm_link_frame. Returns 0, 1 when reading should
 * pause (the link closed or stopped), or -1 after closing the link on a
 * malformed stream. */
int lpvm_link_input(struct lpvm_link *l, size_t n);
void lpvm_link_space(struct lpvm_link *l, char **base, size_t *len);
/* One whole frame from l (takes f). Returns 1 when reading must stop. */
int lpvm_link_frame(void *link, pvmw_frame *f);
/* An incoming link's hello passed the transport's checks: takes the link
 * for tid unless routing is off or another link with tid wins (answering
 * either way). 0 taken, -1 refused. */
int lpvm_link_accept(struct lpvm_link *l, int req_id, int tid, uint64_t nonce);
/* Answers an opening hello (code 0 or a refusal, why NULL or a reason). */
void lpvm_link_answer(struct lpvm_link *l, int req_id, int code,
                      const char *why);
/* Closes a link; what it delivered stays delivered. why (or NULL) is said
 * under PvmTaskDebug. */
void lpvm_link_close(struct lpvm_link *l, const char *why);
/* A write failed: reads what the peer sent before (ops->drain), closes. */
void lpvm_link_close_broken(struct lpvm_link *l, const char *why);
/* The transport's stream ended (n: UV_EOF or a libuv error). */
void lpvm_link_ended(struct lpvm_link *l, ssize_t n);
/* ops->close is done: frees l once nobody holds it. */
void lpvm_link_closed(struct lpvm_link *l);
/* Drops a hold on l (taken with l->holds++); frees it once closed and
 * nobody holds it. */
void lpvm_link_unhold(struct lpvm_link *l);
/* Whether l is the established link of its peer (hello done, not
 * closing). */
int lpvm_link_is_current(const struct lpvm_link *l);
/* The tid at the other end (0 before an incoming link's hello). */
int lpvm_link_peer_tid(const struct lpvm_link *l);
/* Incoming links of ops's kind still without their hello. */
int lpvm_link_pending(const struct lpvm_link_ops *ops);
/* Calls fn for each link of ops's kind (fn may close it). */
void lpvm_link_each(const struct lpvm_link_ops *ops,
                    void (*fn)(struct lpvm_link *l, uint64_t now),
                    uint64_t now);

/* Helpers for transports over a libuv stream (link.c). */
void lpvm_stream_send_async(uv_stream_t *s, pvmw_frame *f);
void lpvm_stream_drain(struct lpvm_link *l, uv_alloc_cb alloc, uv_read_cb rd);
/* Connects l->io (a pipe when path is set, else TCP to sa), pumping the
 * loop until done or the deadline (loop time, ms; UINT64_MAX: none). 0 or
 * -1. */
int lpvm_stream_connect(struct lpvm_link *l, const char *path,
                        const struct sockaddr *sa, uint64_t deadline);
/* Sends a control frame on a link, blocking (the opening hello). */
int lpvm_link_send_control(struct lpvm_link *l, Pvmng__Control *c);

/* The loop's time (ms), updated; and one turn of the loop at most until
 * deadline: -1 once it has passed or the daemon is lost. */
uint64_t lpvm_now_ms(void);
int lpvm_pump_before(uint64_t deadline);

#endif
