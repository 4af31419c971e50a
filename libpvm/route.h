/* Direct task-to-task links (internal). With PvmRouteDirect a task opens a
 * link to a peer the first time it sends to it: a Unix socket on the same
 * host, TLS over TCP between hosts; the peer accepts unless it chose
 * PvmDontRoute, and from then on both send on the link. Per-pair order is
 * kept across the switch by a marker sent through the daemon, and across a
 * broken link by holding daemon traffic until the link's end has been
 * read. */
#ifndef LPVM_ROUTE_H
#define LPVM_ROUTE_H

#include <stdint.h>

#include <uv.h>

#include "frame.h"
#include "pvm.pb-c.h"

/* A direct link (opaque outside route.c). */
struct lpvm_link;

/* Request id of the asynchronous RouteInfoRequest; lpvm_request numbers its
 * requests below LPVM_REQ_RESERVED. */
#define LPVM_REQ_RESERVED 0xfffffff0u
#define LPVM_REQ_ROUTE_INFO 0xfffffff1u
/* 0xfffffff2u is PVMW_REQ_SEND_ERROR (frame.h). */

/* After the hello: listen for links unless routing is PvmDontRoute. */
void lpvm_route_start(void);
/* At disconnect: close every link and the listener, remove its socket. */
void lpvm_route_stop(void);
/* The link to use for dst, or NULL for the daemon route. May open a link
 * (blocking) when this task asks for direct routes. */
struct lpvm_link *lpvm_route_for(int dst);
/* Ends the use of a link that lpvm_route_for returned (it stays valid until
 * then, even if it closes meanwhile). */
void lpvm_route_release(struct lpvm_link *l);
/* Writes bufs to a link, blocking like lpvm_write_all (over TLS: encrypted
 * in large records, sent as it goes). Returns 0 or a negative PVM code. */
int lpvm_route_write(struct lpvm_link *l, uv_buf_t *bufs, unsigned n);
/* The daemon's answer to our RouteInfoRequest (takes ownership of c). */
void lpvm_route_info_reply(Pvmng__Control *c);
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
/* A message to the daemon has been written whole: send what route.c held
 * back meanwhile (its own frames must not land inside that message). */
void lpvm_route_daemon_idle(void);
/* Called for each message frame from the daemon: returns 1 when the router
 * took the frame (a route marker, or held back to keep order). */
int lpvm_route_daemon_frame(int src, int ctx, int tag, pvmw_frame *f);
/* pvm_setopt(PvmRoute) changed: start or stop accepting links. */
void lpvm_route_policy(int route);
/* Whether a frame is half read off some direct link (its rest is coming:
 * a blocking receive polls rather than sleeps meanwhile). */
int lpvm_route_receiving(void);
/* How tid is reached directly: no open link, a link on this host, or a
 * TLS link to another host. */
enum { LPVM_LINK_NONE, LPVM_LINK_LOCAL, LPVM_LINK_REMOTE };
int lpvm_route_link(int tid);
/* Reads what the shared-memory links have brought (from lpvm_pump, at
 * every turn). With block set the caller is about to sleep: each link asks
 * its peer to wake it. Returns 1 if something came (the caller must not
 * sleep), 0 if not, -1 when there is no such link. */
int lpvm_route_shm_pump(int block);
/* Number of open links (for tests and tools). */
int lpvm_route_count(void);

/* The AEADs a task accepts for its TLS links' records, by its order of
 * preference, from $PVMNG_BULK_AEAD (env): "ocb" or unset: AES-OCB when
 * ocb_ok (OpenSSL has it), then AES-GCM; "gcm": AES-GCM alone. Fills out
 * (PVMW_BULK_* values) and returns how many, or -1 for any other value. */
int lpvm_bulk_accepts(const char *env, int ocb_ok, int out[2]);

/* The acceptor's choice: the first of the opener's offer (n entries) that
 * is among accept (naccept entries); AES-GCM (every end has it) when none. */
int lpvm_bulk_choose(const uint32_t *offer, size_t n, const int *accept,
                     int naccept);

#endif
