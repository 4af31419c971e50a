/* Task connections: one per process using libpvm, over the daemon's Unix
 * socket. Bytes read go through a pvmw_reader (limits checked before any
 * allocation) and each whole frame is dispatched: the first must be a hello
 * (listen.c), then control requests (request.c) and messages (msgroute.c).
 * Writes are queued in order per connection, which keeps per-pair order. */
#ifndef PVMD_TASKCONN_H
#define PVMD_TASKCONN_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "flow.h"
#include "frame.h"
#include "list.h"

struct pvmd;
struct pvmd_task;

enum pvmd_conn_state {
  PVMD_CONN_HELLO,   /* waiting for the hello */
  PVMD_CONN_TASK,    /* a task: requests and messages */
  PVMD_CONN_CLOSING, /* uv_close called; nothing more is read or written */
};

struct pvmd_conn {
  uv_pipe_t pipe; /* pipe.data = this */
  struct pvmd *d;
  pvmw_reader rd;
  int rd_ready; /* rd initialised */
  enum pvmd_conn_state state;
  struct pvmd_task *task; /* set by the hello */
  uid_t uid;              /* SO_PEERCRED */
  pid_t pid;
  uint64_t since;                 /* accept time, loop ms */
  int reading;                    /* uv_read_start in effect */
  int flush_close;                /* close once the write queue is empty */
  int wr_failed;                  /* write failed: read all, then close */
  int rd_nomem;                   /* a frame could not be allocated: paused
                                     until memory is freed */
  size_t queued;                  /* what its queued writes cost */
  int partial_dst;                /* a message to this tid is half sent */
  int skip_msg;                   /* dropping the rest of a message */
  struct pvmd_waiter wait;        /* parked here when paused as a sender */
  struct pvmd_list drain_waiters; /* producers waiting for this to drain */
  struct pvmd_list node;          /* pvmd.conns */
  char who[48];                   /* "pid 123" or "t40002 (pid 123)" */
  /* The reply of last resort: when a control message cannot be built or
   * queued for lack of memory, a Status PvmNoMem for its request id is
   * written from here, so that only that request fails. One at a time. */
  uv_write_t spare_req;
  uint8_t spare_raw[64];
  int spare_busy;
  /* A stand-in connection (peer.c) for a request made on another host:
   * no pipe; every frame sent goes to sink, which takes it. */
  int (*sink)(struct pvmd_conn *c, pvmw_frame *f);
  void *sink_arg;
};

/* Takes an accepted, initialised pipe handle's owner and starts reading.
 * Returns 0, or -1 after closing the connection. */
int pvmd_conn_start(struct pvmd_conn *c);
/* Allocates a connection for d and initialises its pipe handle. NULL when
 * out of memory. The connection is on d->conns until its close completes. */
struct pvmd_conn *pvmd_conn_new(struct pvmd *d);

/* Queues the frame for writing; takes ownership of f in every case. Returns
 * 0, -1 when the connection is closing or the write failed (then it is
 * closed), or PvmNoMem when there was no memory to queue it (the frame is
 * dropped; the connection stays). */
int pvmd_conn_send(struct pvmd_conn *c, pvmw_frame *f);
/* Encodes and sends a control message. Returns 0; 1 when memory ran out
 * and the task was told PvmNoMem for that request instead (from the
 * connection's spare buffer); -1 when nothing could be sent (over
 * PVMW_MAX_CONTROL, or the connection is closing or has been closed). */
int pvmd_conn_send_control(struct pvmd_conn *c, const Pvmng__Control *m);
/* Whether what the connection's queued writes cost exceeds the high-water
 * mark. */
int pvmd_conn_congested(const struct pvmd_conn *c);

/* Memory ran out: stops reading c (the rest of what it sent stays in its
 * reader) until queued frames free memory; then what is left is parsed
 * again and reading resumes. */
void pvmd_conn_pause_nomem(struct pvmd_conn *c);

/* Reading on or off (backpressure, halt). */
void pvmd_conn_set_reading(struct pvmd_conn *c, int on);

/* Closes the connection. Pending writes are dropped. Idempotent. */
void pvmd_conn_close(struct pvmd_conn *c);
/* Closes for a protocol violation: logs "closing <who>: <reason>" once and
 * counts it. */
void pvmd_conn_reject(struct pvmd_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Stops reading and closes once every queued byte is written (used after a
 * refusing HelloReply). */
void pvmd_conn_close_after_flush(struct pvmd_conn *c);
/* For a connection whose end is known to be near (its task's process has
 * exited, or a write to it failed): once every byte the peer wrote has been
 * read and dispatched, closes it (write failed) or marks its task gone
 * (process exited; pvmd_task_exited). Nothing happens while reading is
 * paused: the check is repeated after each read and on resume. */
void pvmd_conn_check_end(struct pvmd_conn *c);
/* Refreshes c->who after the hello. */
void pvmd_conn_set_who(struct pvmd_conn *c);

#endif
