/* Direct links between hosts (internal): the TLS transport (link_tls.c) and
 * what it needs before a connection exists (link_ask.c): the TLS engine
 * and contexts, the host's certificate name and address from the daemon,
 * the ask and offer that travel through the daemons, the TCP listener
 * that is open only while an ask waits, and the choice of the AEAD that
 * protects the records. */
#ifndef LPVM_LINK_TLS_H
#define LPVM_LINK_TLS_H

#include <stdint.h>

#include <uv.h>

#include "frame.h"
#include "pki.h"
#include "pvm.pb-c.h"
#include "tls_api.h"

struct lpvm_link;

/* ---- link_ask.c ---------------------------------------------------------- */

/* The TLS engine, loaded with the first TLS context (lpvm_ask_tls_ctx): a
 * TLS link exists only once it is. */
extern const struct pvmw_tls_api *lpvm_tls;

/* Reads $PVMNG_BULK_AEAD and $PVMNG_LINK_HELLO_MS (at connect); and at
 * disconnect forgets asks, listener and contexts. */
void lpvm_ask_start(void);
void lpvm_ask_stop(void);
/* Closes the TCP listener (routing turned to PvmDontRoute). */
void lpvm_ask_listen_stop(void);
/* The daemon's answer to our RouteInfoRequest (takes ownership of c). */
void lpvm_route_info_reply(Pvmng__Control *c);
/* A LPVM_TAG_ROUTE_ASK or LPVM_TAG_ROUTE_OFFER message from src (takes f). */
void lpvm_ask_message(int src, int tag, pvmw_frame *f);

/* The offer that answers one of our asks (filled as it comes). */
struct lpvm_offer {
  struct lpvm_offer *next;
  int tid;        /* the peer asked */
  uint64_t nonce; /* the ask's (the link's) nonce */
  int done, code; /* an answer came; 0 or its refusal */
  unsigned port;
  char addr[64];
  char name[PVMW_PKI_NAME_MAX + 1];
};
/* Opener: asks tid through the daemons for a link of nonce and waits for
 * its offer until deadline. 0 with o filled (o->code may be a refusal),
 * or -1 (*final set when trying again is pointless). */
int lpvm_ask_offer(struct lpvm_offer *o, int tid, uint64_t nonce,
                   uint64_t deadline, int *final);
/* This side's TLS context (server or client), loaded on first use, or
 * NULL (said once). */
pvmw_tls_ctx *lpvm_ask_tls_ctx(int server);
/* Acceptor: takes the ask of tid with nonce if it came through the daemons
 * and its certificate name is cert (NULL, or the reason it is refused). */
const char *lpvm_ask_take(int tid, uint64_t nonce, const char *cert);
/* How long an incoming connection may take for its hello (ms). */
uint64_t lpvm_ask_hello_ms(void);
/* Whether this task takes no links between hosts ($PVMNG_BULK_AEAD bad). */
int lpvm_ask_env_bad(void);
/* This task's accepted AEADs, by preference (the engine is loaded). */
int lpvm_ask_bulk_accepts(int out[2]);
int lpvm_ask_bulk_offered(int aead);

/* The AEADs a task accepts for its TLS links' records, by its order of
 * preference, from $PVMNG_BULK_AEAD (env): "ocb" or unset: AES-OCB when
 * ocb_ok (OpenSSL has it), then AES-GCM; "gcm": AES-GCM alone. Fills out
 * (PVMW_BULK_* values) and returns how many, or -1 for any other value. */
int lpvm_bulk_accepts(const char *env, int ocb_ok, int out[2]);
/* The acceptor's choice: the first of the opener's offer (n entries) that
 * is among accept (naccept entries); AES-GCM (every end has it) when none. */
int lpvm_bulk_choose(const uint32_t *offer, size_t n, const int *accept,
                     int naccept);

/* ---- link_tls.c ---------------------------------------------------------- */

/* The TCP listener has a connection: accepts it as a TLS link waiting for
 * its handshake and hello (closed at once when ctx is NULL or
 * max_pending such links wait already). */
void lpvm_link_tls_accept(uv_stream_t *server, pvmw_tls_ctx *ctx,
                          int max_pending);
/* Closes l if it is an incoming link whose hello is overdue at now. */
void lpvm_link_tls_guard(struct lpvm_link *l, uint64_t now);

#endif
