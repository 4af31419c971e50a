/* The task's connection to its daemon, and the message queue (internal).
 * conn.c: the daemon connection (one Unix stream socket driven by the
 * library's own libuv loop: blocking PVM calls run the loop until what they
 * wait for, a reply, a matching message or a timeout, is there), control
 * requests, and frames for the daemon from callbacks. inbox.c: incoming
 * messages reassembled and queued in arrival order. send.c: the send path.
 * Matching the queue to receives is msg.c's, to message handlers mhf.c's;
 * direct links are the router's (route.h). */
#ifndef LPVM_CONN_H
#define LPVM_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "frame.h"

/* Reserved context for the library's own system messages (task output
 * caught with pvm_catchout). User receives never see this context. */
#define LPVM_SYSCTX 0x7ffffff0
/* PVM 3.4's system message tags of resource managers, hosters and taskers
 * (SM_SPAWN .. SM_STTASK, pvmng.h). */
#define LPVM_SM_FIRST ((int)0x80040001)
#define LPVM_SM_LAST ((int)0x80040011)
#define LPVM_TAG_OUTPUT 0x7ffffff1
/* Sent through the daemon by a task that starts using a direct link: every
 * message it sent through the daemon before is ahead of this one. */
#define LPVM_TAG_ROUTE 0x7ffffff2
/* From the task that spawned this one (its parent, or the console): the
 * tids started by that one pvm_spawn call (task.c, pvm_siblings). */
#define LPVM_TAG_SIBLINGS 0x7ffffff5
/* A task asking a task on another host for a TLS link (body: RouteOffer with
 * the nonce and the asker's certificate name), and the answer (RouteOffer
 * with the address and port to connect to, or a refusal). */
#define LPVM_TAG_ROUTE_ASK 0x7ffffffa
#define LPVM_TAG_ROUTE_OFFER 0x7ffffffb
/* Sent through the daemon by a task whose direct link broke (body: the
 * link's nonce and the number of the first message it sends again, both
 * 8 bytes big-endian), followed by the link's unacknowledged messages. */
#define LPVM_TAG_ROUTE_RESUME 0x7ffffffc

/* A received message waiting in the queue. */
struct lpvm_qmsg {
  struct lpvm_qmsg *next, *prev;
  int bufid; /* the buffer holding it (lpvm_buf_adopt) */
  int src, tag, ctx;
  uint64_t seq; /* arrival number (lpvm_conn.arrived when queued) */
};

/* Connection state. */
struct lpvm_conn {
  int state; /* LPVM_DOWN, LPVM_UP or LPVM_LOST */
  int mytid, parent, dtid;
  int spawned; /* the daemon took this task as one it spawned */
  uint32_t max_frame;
  uint64_t max_msg;
  int ctx;                /* current message context (pvm_setcontext) */
  int is_rm;              /* pvm_reg_rm done: its SM_* answers go through
                             the daemon, which reads them (daemon/rm.c) */
  struct lpvm_qmsg queue; /* sentinel of the arrival-ordered queue */
  size_t queued;          /* number of queued messages */
  /* Messages are numbered as they are queued; those up to `examined` have
   * been offered to the message handlers (mhf.c). Handlers look at
   * messages in arrival order, so the examined ones are always the oldest. */
  uint64_t arrived, examined;
};
enum { LPVM_DOWN = 0, LPVM_UP = 1, LPVM_LOST = 2 };

extern struct lpvm_conn lpvm_conn;

/* Connects to the local daemon if not yet connected (session.c). Returns 0
 * or a negative PVM error, already reported under fn's name. */
int lpvm_connect(const char *fn);

/* Where the daemon connection hands what it reads, set by the session
 * before it opens the connection (the connection calls nothing above it):
 * route offers a message frame to the router (1: taken), deliver gives it
 * to the inbox (lpvm_inbox_try's contract), idle runs before the loop
 * sleeps, reply takes an asynchronous control reply (c is its). */
struct lpvm_daemon_hooks {
  int (*route)(int src, int ctx, int tag, pvmw_frame *f);
  int (*deliver)(pvmw_frame *f, int via);
  void (*idle)(void);
  void (*reply)(Pvmng__Control *c);
  /* Optional: transports the loop does not read (shared memory), at every
   * turn: 1 something came (no sleep), 0 nothing, -1 none of them;
   * block: the loop is about to sleep. */
  int (*pump)(int block);
};
void lpvm_daemon_set_hooks(const struct lpvm_daemon_hooks *h);
/* The buffer for the daemon's socket path (its size in *len), filled by
 * the session before lpvm_daemon_open. */
char *lpvm_daemon_sockbuf(size_t *len);
/* Opens the connection: the loop, the reader, the pipe to the socket. 0,
 * PvmSysErr or PvmNoMem, or the connect's libuv error (negative, another
 * value); lpvm_daemon_close releases it all again. */
int lpvm_daemon_open(void);
void lpvm_daemon_close(void);

/* Sends one control request and waits for its reply. *reply must be freed
 * with pvmng__control__free_unpacked. Returns 0 or a negative PVM error
 * (not reported: the caller decides). */
int lpvm_request(Pvmng__Control *req, Pvmng__Control **reply);

/* Sends the body of buffer `bufid` as one message to dst, in fragments of
 * at most the fragment size; returns when the bytes are handed to the
 * kernel (the body may be reused or freed by the caller afterwards). */
int lpvm_send_buf(int dst, int tag, int ctx, int bufid);
/* Sends len bytes at data as one raw-encoded message (pvm_psend). */
int lpvm_send_raw(int dst, int tag, int ctx, const void *data, size_t len);
/* The same with the header's encoding set to enc (PvmDataRaw or
 * PvmDataDefault): for bodies the caller has encoded itself. */
int lpvm_send_bytes(int dst, int tag, int ctx, int enc, const void *data,
                    size_t len);

/* Writes all of bufs to stream s, pumping the loop until the kernel has
 * taken every byte (never call it from a libuv callback). Returns 0 or
 * PvmSysErr; a failure on the daemon link marks the connection lost. */
int lpvm_write_all(uv_stream_t *s, uv_buf_t *bufs, unsigned n);
/* Sends a raw message through the daemon whatever the route (markers). */
int lpvm_send_via_daemon(int dst, int tag, int ctx, const void *data,
                         size_t len);
/* Handles one message frame that arrived through the daemon (via 0, after
 * the router has seen it) or a direct link from task `via` (inbox.c).
 * Takes f. Returns 0 or PvmBadMsg/PvmNoMem. */
int lpvm_message_frame(pvmw_frame *f, int via);
#define LPVM_VIA_REPLAY (-1) /* a daemon frame released by the router */
/* The same, except that when memory runs out it returns PvmNoMem with f
 * not taken and nothing changed, for a later try. */
int lpvm_inbox_try(pvmw_frame *f, int via);
/* Forgets a half-reassembled message from src that came by via. */
void lpvm_drop_partial(int src, int via);
/* Sets up the empty queue (at connect); forgets every half-reassembled
 * message (at disconnect). */
void lpvm_queue_init(void);
void lpvm_inbox_reset(void);
/* Where the inbox hands the library's own system messages (task output
 * caught with pvm_catchout, LPVM_TAG_SIBLINGS): fn takes bufid. Set by
 * the session, so that the inbox calls no API file. */
void lpvm_inbox_set_sys(void (*fn)(int bufid, int tag));
/* The library's loop and the daemon's socket path. */
uv_loop_t *lpvm_loop(void);
uv_stream_t *lpvm_daemon_stream(void);
const char *lpvm_daemon_socket(void);
/* The daemon connection as a link (link.h; it implements write only), for
 * the send path. */
struct lpvm_link *lpvm_daemon_link(void);
/* A message to the daemon is being written in pieces (on), or has ended
 * (off): nothing else may go on the daemon's stream meanwhile. */
void lpvm_daemon_hold(int on);
/* Queues len bytes at data for the daemon without pumping the loop (from
 * callbacks): at once unless a message is being written in pieces, else
 * once it ends. Takes own (malloc'd, holding data; freed once written). */
void lpvm_daemon_put(const uint8_t *data, size_t len, void *own);
/* The same for a system message (LPVM_SYSCTX) to dst. 0 or -1. */
int lpvm_send_sys_async(int dst, int tag, const void *body, size_t len);
/* Writes everything queued for the daemon, waiting (at disconnect). */
void lpvm_daemon_flush(void);
/* The error the daemon reported for an earlier message of ours (0 if
 * none; returned once), and its reason in *why. */
int lpvm_daemon_send_error(const char **why);

/* Runs the loop once for new input. With timeout_ms < 0 it blocks until
 * something happens; 0 polls; otherwise waits at most timeout_ms.
 * Returns 0, or PvmSysErr once the daemon link is lost. */
int lpvm_pump(int timeout_ms);

/* Queues buffer bufid as a message that arrived from src (notifications
 * the library raises itself). Returns 0 or a negative PVM error. */
int lpvm_deliver_local(int bufid, int src, int tag, int ctx);

/* Direct routes opened or closed (route.c calls these for pvm_notify's
 * PvmRouteAdd and PvmRouteDelete). */
void lpvm_notify_route(int kind, int peer);
/* Sends the task's daemon-side options (session.c): PvmNoReset, and with
 * output set its own output destination too. */
void lpvm_send_task_options(int output);
/* Frees the library's own notify requests (at pvm_exit). */
void lpvm_notify_reset(void);

/* Appends buffer bufid to the queue as a message from src (no handler
 * check). Returns 0 or PvmNoMem. */
int lpvm_queue_add(int bufid, int src, int tag, int ctx);

/* Message handlers (mhf.c). lpvm_mhf_claim takes an arriving message for
 * the handler that matches it (returns 1; the buffer is then mhf.c's) or
 * returns 0. lpvm_mhf_run calls the handlers of the messages taken so far;
 * call it only where a handler may run PVM calls (not from a libuv
 * callback, not halfway through a write). lpvm_mhf_drop frees the messages
 * not handled yet (at disconnect). */
int lpvm_mhf_claim(int bufid, int src, int tag, int ctx);
void lpvm_mhf_run(void);
/* Offers a queued message to the handlers if it has not been offered yet:
 * 1 if a handler took it (it has left the queue), else 0. */
int lpvm_mhf_examine(struct lpvm_qmsg *m);
/* Offers every queued message not offered yet (what a send call does, as
 * PVM 3.4.6 reads its socket whole there), then runs the handlers. */
void lpvm_mhf_examine_all(void);
/* Whether handler calls wait that lpvm_mhf_run would make now. */
int lpvm_mhf_waiting(void);
void lpvm_mhf_drop(void);

/* Removes a message from the queue (its buffer stays alive). */
void lpvm_queue_remove(struct lpvm_qmsg *m);

/* The descriptor of the daemon link (pvm_getfds), or -1. */
int lpvm_conn_fd(void);

/* Closes the link and releases everything the connection holds
 * (session.c). */
void lpvm_disconnect(void);

/* Output caught with pvm_catchout: number of children whose output has not
 * ended yet (output.c maintains it). */
void lpvm_output_message(int bufid);
/* A LPVM_TAG_SIBLINGS message (task.c): takes bufid. */
void lpvm_siblings_message(int bufid);
int lpvm_output_pending(void);
/* Around a spawn request: output that ends while the request is out is
 * remembered, so the tasks just spawned are counted only if still going. */
void lpvm_output_spawning(void);
void lpvm_output_spawned(const int *tids, int n);
/* Flushes the catch file (at pvm_exit). */
void lpvm_output_flush(void);

#endif
