/* Internals of the TLS engine (tls.h), shared by its three files:
 * tls_ctx.c (contexts, certificate loading and verification), tls_conn.c
 * (one connection: the BIO, its ciphertext queues, handshake, records)
 * and tls_bulk.c (bulk mode). Not used outside them. */
#ifndef PVMW_TLS_INT_H
#define PVMW_TLS_INT_H

#include "tls.h"

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define IN_ROOM (32u * 1024)  /* free space offered by pvmw_tls_in_space */
#define IN_KEEP (256u * 1024) /* larger input buffers are freed once empty */
#define OUT_MIN (16u * 1024)  /* smallest ciphertext chunk */
#define OUT_KEEP (64u * 1024) /* larger empty chunks are freed */
#define REC_PLAIN 16384u      /* TLS record payload limit */
#define REC_OVERHEAD 22u      /* TLS 1.3 AEAD record: header, type, tag */

#define CIPHERS "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"

struct pvmw_tls_ctx {
  SSL_CTX *ssl; /* replaced as a whole on reload; connections keep theirs */
  X509_STORE *store;
  STACK_OF(X509) * cas; /* the CA file's certificates, sent to joiners */
  int server;
  int no_join;     /* server: a client asking to join is refused */
  int join_client; /* pvmw_tls_ctx_new_join: no certificate, pinned CA */
  uint8_t pin[32]; /* ... the CA's SHA-256 */
  int refs;        /* the owner's reference plus one per live connection */
};

/* A piece of the outgoing ciphertext queue. Bytes [start, end) are pending;
 * a chunk never moves or grows, so pointers handed out stay valid. */
struct out_chunk {
  struct out_chunk *next;
  size_t cap, start, end;
  uint8_t data[];
};

enum { ST_HANDSHAKE, ST_ESTABLISHED, ST_FAILED, ST_CLOSED };

#define BULK_TAG 16
#define BULK_CT_MAX (REC_PLAIN + 256) /* TLSCiphertext length limit */

/* One direction of bulk mode: the AEAD with that direction's key and IV
 * for the current key epoch (exported from the session), and the record
 * sequence number within the epoch. */
struct bulk_dir {
  EVP_CIPHER_CTX *ctx;
  uint8_t secret[32]; /* the epoch's secret, from which the next comes */
  uint8_t iv[12];
  uint64_t seq;
  uint64_t epoch;
  const char *label;
  size_t keylen;
};

struct pvmw_tls {
  pvmw_tls_ctx *ctx;
  SSL *ssl;
  int state;
  int server;
  int join;    /* server: the client asked for a join connection */
  uint8_t *in; /* fed ciphertext: [in_start, in_end) not yet read */
  size_t in_cap, in_start, in_end;
  struct out_chunk *out_head, *out_tail;
  size_t out_pending;
  uint8_t first[3]; /* the peer's first bytes, to recognise non-TLS */
  size_t first_len;
  char expect[256];
  char peer[256];
  char reason[384];
  int bulk;
  struct bulk_dir bw, br;
  uint8_t *bounce; /* a record that did not fit the caller's buffer */
  size_t bounce_off, bounce_len;
  int closed_sent; /* bulk mode: our close record is out */
  int peer_closed; /* bulk mode: the peer's close record came */
};

/* tls_ctx.c */
/* Copies an ASN.1 string for the log, replacing anything unprintable. */
void pvmw_tls_copy_printable(char *out, size_t len, const unsigned char *s,
                             int n);
/* The certificate's identity for the log (DNS entry, else CN). */
void pvmw_tls_cert_name(X509 *x, char *out, size_t len);
/* Drops one reference to c (a connection's, or the owner's). */
void pvmw_tls_ctx_unref(pvmw_tls_ctx *c);

/* tls_conn.c */
/* The BIO method that connects an SSL to a pvmw_tls's buffers, made once
 * per process; NULL when OpenSSL cannot make it. */
BIO_METHOD *pvmw_tls_bio_method(void);
/* Room for need more bytes at the end of the outgoing queue: 0 or -1. */
int pvmw_tls_out_reserve(pvmw_tls *t, size_t need);
/* Records why t failed, from OpenSSL's error queue (which it drains). */
void pvmw_tls_fail(pvmw_tls *t, int sslerr);

/* tls_bulk.c: bulk mode's reading, writing and closing. */
int pvmw_tls_bulk_read(pvmw_tls *t, uint8_t *plain, size_t cap);
int pvmw_tls_bulk_write(pvmw_tls *t, const uint8_t *p, size_t n);
int pvmw_tls_bulk_close(pvmw_tls *t);

#endif
