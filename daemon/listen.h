/* The task socket: accepting connections, checking the peer's uid, the
 * hello that turns a connection into a task, and the sweep that closes
 * connections that never say hello (which also retries senders paused for
 * want of memory). */
#ifndef PVMD_LISTEN_H
#define PVMD_LISTEN_H

#include <stdint.h>

#include "frame.h"

struct pvmd;
struct pvmd_conn;

/* Adopts d->listen_fd (bound and listening) into the loop. Returns 0 or a
 * libuv error. */
int pvmd_listen_start(struct pvmd *d);
/* Closes the listening handle and the hello sweep timer. */
void pvmd_listen_stop(struct pvmd *d);

/* Makes the sweep retry the producers paused by the memory budget (a
 * sender whose frame found no memory) every sweep, even with nothing
 * queued that could wake them. */
void pvmd_listen_retry_soon(struct pvmd *d);

/* The first frame of a connection. Takes f. */
void pvmd_hello(struct pvmd_conn *c, pvmw_frame *f);
/* Answers a hello with HelloReply{code, reason} and closes once written. */
void pvmd_hello_refuse(struct pvmd_conn *c, uint32_t req_id, int code,
                       const char *reason);

#endif
