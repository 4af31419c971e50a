/* Direct routes between tasks (internal): what the rest of the library
 * asks of the router (route.c, route_ack.c). The router chooses, per
 * destination, a direct link (link.h) or the daemon route, keeps order per
 * pair across every switch, and delivers what a broken link had not
 * delivered through the daemon, once and in order. */
#ifndef LPVM_ROUTE_H
#define LPVM_ROUTE_H

#include <stdint.h>

#include <uv.h>

#include "frame.h"
#include "link.h"

/* Request id of the asynchronous RouteInfoRequest; lpvm_request numbers its
 * requests below LPVM_REQ_RESERVED. */
#define LPVM_REQ_RESERVED 0xfffffff0u
#define LPVM_REQ_ROUTE_INFO 0xfffffff1u
/* 0xfffffff2u is PVMW_REQ_SEND_ERROR (frame.h). */

/* After the hello: listen for links unless routing is PvmDontRoute.
 * on_route(kind, tid) is told of each link opened (PvmRouteAdd) or closed
 * (PvmRouteDelete): pvm_notify's business, handed in by the session so
 * that the router calls no API file. */
void lpvm_route_start(void (*on_route)(int kind, int tid));
/* At disconnect: close every link and the listener, remove its socket. */
void lpvm_route_stop(void);
/* The link to use for dst, or NULL for the daemon route. May open a link
 * (blocking) when this task asks for direct routes. */
struct lpvm_link *lpvm_route_for(int dst);
/* Ends the use of a link that lpvm_route_for returned (it stays valid until
 * then, even if it closes meanwhile). */
void lpvm_route_release(struct lpvm_link *l);
/* A write to dst's link failed: close it and route through the daemon
 * (after the messages the link had not acknowledged, re-sent first). */
void lpvm_route_broken(int dst);

/* Acknowledged delivery. A message smaller than LPVM_ROUTE_RDV_MIN goes on
 * a link as frames built whole in memory and kept until the peer
 * acknowledges it: lpvm_route_send_kept takes data (malloc'd, the frames
 * exactly as on the wire), writes it and keeps it. It returns 0 even when
 * the link breaks (the message then goes again through the daemon with the
 * others not acknowledged), or PvmNoMem (data is freed, nothing sent). A
 * larger message is written from the caller's memory between
 * lpvm_route_rdv_begin and lpvm_route_rdv_end, which waits for the peer's
 * acknowledgement: nothing of it is kept after pvm_send returns. rdv_end
 * returns 0 once acknowledged, or a negative code when the link broke (the
 * caller then calls lpvm_route_broken and sends the message through the
 * daemon). */
#define LPVM_ROUTE_RDV_MIN ((size_t)64 << 10)
int lpvm_route_send_kept(struct lpvm_link *l, uint8_t *data, size_t len);
void lpvm_route_rdv_begin(struct lpvm_link *l);
int lpvm_route_rdv_end(struct lpvm_link *l, int rc);
/* The library is about to wait: acknowledge what links have delivered. */
void lpvm_route_idle(void);
/* Called for each message frame from the daemon: returns 1 when the router
 * took the frame (a route marker, or held back to keep order). */
int lpvm_route_daemon_frame(int src, int ctx, int tag, pvmw_frame *f);
/* pvm_setopt(PvmRoute) changed: start or stop accepting links. */
void lpvm_route_policy(int route);
/* Whether a frame is half read off some direct link (its rest is coming:
 * a blocking receive polls rather than sleeps meanwhile). */
int lpvm_route_receiving(void);
/* How tid is reached directly: LPVM_LINK_NONE (no open link),
 * LPVM_LINK_LOCAL (a link on this host) or LPVM_LINK_REMOTE (a TLS link
 * to another host). */
int lpvm_route_link(int tid);
/* Whether messages to tid go on a direct link now (we have sent our
 * marker); and the name of what protects that link's records ("" for a
 * link on this host, or none). */
int lpvm_route_direct(int tid);
const char *lpvm_route_cipher(int tid);
/* What carries the link to tid (PVMNG_VIA_*, pvmng.h). */
int lpvm_route_via(int tid);
/* Number of open links (for tests and tools). */
int lpvm_route_count(void);

#endif
