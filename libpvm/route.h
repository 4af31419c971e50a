/* Direct task-to-task links (internal). With PvmRouteDirect a task opens a
 * Unix-socket link to a peer on the same host the first time it sends to
 * it; the peer accepts unless it chose PvmDontRoute, and from then on both
 * send on the link. Per-pair order is kept across the switch by a marker
 * sent through the daemon, and across a broken link by holding daemon
 * traffic until the link's end has been read. */
#ifndef LPVM_ROUTE_H
#define LPVM_ROUTE_H

#include <uv.h>

#include "frame.h"

/* After the hello: listen for links unless routing is PvmDontRoute. */
void lpvm_route_start(void);
/* At disconnect: close every link and the listener, remove its socket. */
void lpvm_route_stop(void);
/* The link to use for dst, or NULL for the daemon route. May open a link
 * (blocking) when this task asks for direct routes. */
uv_stream_t *lpvm_route_for(int dst);
/* A write to dst's link failed: close it and route through the daemon. */
void lpvm_route_broken(int dst);
/* Called for each message frame from the daemon: returns 1 when the router
 * took the frame (a route marker, or held back to keep order). */
int lpvm_route_daemon_frame(int src, int ctx, int tag, pvmw_frame *f);
/* pvm_setopt(PvmRoute) changed: start or stop accepting links. */
void lpvm_route_policy(int route);
/* Number of open links (for tests and tools). */
int lpvm_route_count(void);

#endif
