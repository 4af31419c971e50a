/* TLS between daemons as an engine that does no I/O: ciphertext goes in with
 * pvmw_tls_feed (or in_space/in_commit) and comes out with
 * pvmw_tls_outgoing/pvmw_tls_consumed, so a libuv stream or a test moves it.
 * TLS 1.3 only, mutual authentication against the VM's CA, always. */
#ifndef PVMW_TLS_H
#define PVMW_TLS_H

#include <stddef.h>
#include <stdint.h>

/* Shared settings for many connections: our certificate and key, and the
 * VM's CA as the only trust anchor (no system store). Both sides require and
 * verify the peer's certificate, including its validity dates; nothing in
 * this API turns verification off. Not thread-safe; one owner (the loop). */
typedef struct pvmw_tls_ctx pvmw_tls_ctx;

/* One connection. Owned by the caller; release with pvmw_tls_free. */
typedef struct pvmw_tls pvmw_tls;

/* Return codes besides >= 0. */
#define PVMW_TLS_ERR (-1)    /* fatal: see pvmw_tls_reason; stop using t */
#define PVMW_TLS_CLOSED (-2) /* the peer closed the TLS session cleanly */

#define PVMW_TLS_BINDING_LABEL "EXPORTER-pvm-ng-hello"

/* Builds a context from PEM files: ca_pem (one or more CA certificates),
 * cert_pem (our certificate, optionally followed by intermediates) and
 * key_pem (its private key, which must match). server selects the accepting
 * side: PVMW_TLS_SERVER also takes joining daemons without a certificate
 * (the daemons' port), PVMW_TLS_SERVER_NOJOIN refuses a client that asks to
 * join at its first message (a task's listener). Returns NULL with a reason in
 * err. The certificate itself is not required to be currently valid here (see
 * pvmw_tls_ctx_check). The context is reference counted by its connections:
 * pvmw_tls_ctx_free may be called while connections made from it still live. */
#define PVMW_TLS_SERVER 1
#define PVMW_TLS_SERVER_NOJOIN 2
pvmw_tls_ctx *pvmw_tls_ctx_new(int server, const char *ca_pem,
                               const char *cert_pem, const char *key_pem,
                               char *err, size_t errlen);
void pvmw_tls_ctx_free(pvmw_tls_ctx *c);

/* Verifies our own certificate against the CA now (dates included), as a
 * peer would. Returns 0, or -1 with the reason ("certificate has expired",
 * "unknown CA", ...) in err. For a daemon to refuse or warn at start. */
int pvmw_tls_ctx_check(const pvmw_tls_ctx *c, char *err, size_t errlen);

/* Certificate rotation. The replacement must load, match its key and chain
 * to the CA with valid dates; otherwise -1 with the reason in err and the
 * current certificate stays. On success (0) connections created afterwards
 * present the new certificate; existing ones are unaffected. */
int pvmw_tls_ctx_reload(pvmw_tls_ctx *c, const char *cert_pem,
                        const char *key_pem, char *err, size_t errlen);

/* A client context for a join connection (a new daemon that has no
 * certificate yet): offers ALPN PVMW_JOIN_ALPN, presents no certificate,
 * and accepts the server only if its chain holds the self-signed CA whose
 * certificate has SHA-256 ca_sha256 and verifies against it (dates,
 * purpose, and the expect_name given to pvmw_tls_new). */
pvmw_tls_ctx *pvmw_tls_ctx_new_join(const uint8_t ca_sha256[32], char *err,
                                    size_t errlen);

/* SHA-256 of the context's (first) CA certificate: what join credentials
 * pin. Returns 0, or -1 for a join context. */
int pvmw_tls_ctx_ca_fingerprint(const pvmw_tls_ctx *c, uint8_t out[32]);

/* After the handshake: whether this is a join connection. On the server
 * (whose contexts accept them from clients that offer the join ALPN, with
 * no client certificate) the daemon must accept nothing on it but the join
 * exchange; on a join client, whether the server agreed. */
int pvmw_tls_is_join(const pvmw_tls *t);

/* New connection. expect_name, when not NULL, is the identity the peer's
 * certificate must carry (a subjectAltName DNS entry; the CN only when the
 * certificate has no DNS entries; no wildcards). Returns NULL when out of
 * memory. */
pvmw_tls *pvmw_tls_new(pvmw_tls_ctx *c, const char *expect_name);
void pvmw_tls_free(pvmw_tls *t);

/* Incoming ciphertext. pvmw_tls_feed copies n bytes in. For a zero-copy
 * read, ask pvmw_tls_in_space for room (at least 16 KiB, or NULL/0 when out
 * of memory; valid until the next call on t), read into it, then
 * pvmw_tls_in_commit the count. Both return 0, or PVMW_TLS_ERR after a
 * failure (reason kept) or as soon as the first bytes show the peer is not
 * speaking TLS. Nothing is decrypted here: call handshake or read. The
 * input buffer holds exactly what was fed and not yet consumed by
 * handshake/read, so a caller that stops reading must stop feeding (pause
 * the stream) to bound memory. */
int pvmw_tls_feed(pvmw_tls *t, const void *cipher, size_t n);
void pvmw_tls_in_space(pvmw_tls *t, char **base, size_t *len);
/* The same with at least `room` bytes (never less than pvmw_tls_in_space
 * offers), for bulk
 * links that read in large batches. */
void pvmw_tls_in_space_n(pvmw_tls *t, size_t room, char **base, size_t *len);
int pvmw_tls_in_commit(pvmw_tls *t, size_t n);

/* Drives the handshake with what has been fed. 1 done, 0 needs more input
 * (send what pvmw_tls_outgoing holds first), PVMW_TLS_ERR failed (reason in
 * pvmw_tls_reason; send the outgoing bytes, they carry the alert, then
 * close). Note that in TLS 1.3 the client finishes before the server has
 * checked the client's certificate: a refusal reaches the client as an error
 * from its next pvmw_tls_read. Do not treat a link as up before the peer's
 * first application message arrives. */
int pvmw_tls_handshake(pvmw_tls *t);
int pvmw_tls_established(const pvmw_tls *t);

/* Plaintext out: > 0 bytes copied into plain (at most cap, possibly from
 * several records), 0 = need more input, PVMW_TLS_ERR or PVMW_TLS_CLOSED.
 * Drives the handshake if it is not finished yet. Reading can queue
 * ciphertext too (the handshake, a key update reply): check
 * pvmw_tls_outgoing afterwards. */
int pvmw_tls_read(pvmw_tls *t, void *plain, size_t cap);

/* Encrypts n bytes (in records of up to 16 KiB) into the outgoing queue.
 * Only once established. Returns 0 or PVMW_TLS_ERR. */
int pvmw_tls_write(pvmw_tls *t, const void *plain, size_t n);

/* Queues a close_notify alert (in bulk mode, sealed by the bulk keys).
 * Returns 0 or PVMW_TLS_ERR. */
int pvmw_tls_shutdown(pvmw_tls *t);

/* Ciphertext to send: points *data at the oldest pending bytes and returns
 * how many are contiguous there (0 when nothing is pending). The bytes stay
 * where they are, even across further writes, until pvmw_tls_consumed
 * covers them or t is freed, so they can be handed to an asynchronous write
 * as they are. pvmw_tls_consumed(n) releases n sent bytes (n at most
 * pvmw_tls_pending). */
size_t pvmw_tls_outgoing(pvmw_tls *t, const uint8_t **data);
void pvmw_tls_consumed(pvmw_tls *t, size_t n);
size_t pvmw_tls_pending(const pvmw_tls *t); /* all unsent ciphertext bytes */

/* Bulk mode's AEADs. Both use the key size of the session's cipher
 * suite (AES-128 or AES-256), a 12-byte nonce and a 16-byte tag. */
#define PVMW_BULK_GCM 0 /* AES-GCM, the session's own */
#define PVMW_BULK_OCB 1 /* AES-OCB (RFC 7253): twice AES-GCM's speed here */

/* 1 when this process's OpenSSL provides bulk mode's AEAD aead (AES-GCM
 * always; AES-OCB not under a FIPS-only configuration), else 0. */
int pvmw_tls_bulk_has(int aead);

/* The AEAD's name ("AES-128-OCB"), or "" when t is not in bulk mode. */
const char *pvmw_tls_bulk_cipher(const pvmw_tls *t);

/* Bulk mode, for links that carry large volumes between two ends that both
 * switch at the same point of their conversation, with no record in flight
 * either way (nothing unread here, nothing sent by the peer since the last
 * record read), and with the same aead (PVMW_BULK_*, agreed in that
 * conversation). From then on application data is protected by this
 * engine in the TLS 1.3 record format with that AEAD, under one key and IV
 * per direction exported from the session (RFC 8446 7.5, labels
 * EXPORTER-pvmng-bulk-* for AES-GCM, EXPORTER-pvmng-bulk-ocb-* for
 * AES-OCB, so the two never share a key), sequence numbers from 0:
 * independent of the keys OpenSSL's record layer used, so no nonce is ever
 * used twice. It
 * encrypts straight from the caller's buffer and decrypts straight into
 * it, without OpenSSL's record layer and its copies. Both ends must be in
 * bulk mode. pvmw_tls_shutdown ends a bulk stream with a sealed
 * close_notify record (nothing may be written after it); a read after the
 * peer's returns PVMW_TLS_CLOSED, so a transport that ends without it was
 * cut short (truncation). Each direction's key seals
 * PVMW_TLS_BULK_KEY_RECORDS records, then both ends take the next key of
 * that direction, derived from the epoch's secret by a one-way step
 * (pvmw_tls_bulk_ratchet; the old secret is wiped, as TLS 1.3's KeyUpdate
 * does): a link lives as long as its transport, and the state of one
 * epoch does not give earlier epochs' keys (OpenSSL's session object,
 * which keeps the exporter secret, lives as long as the link, though). Returns
 * 0, or -1 with the reason kept. */
int pvmw_tls_bulk(pvmw_tls *t, int aead);

/* Records one key seals (and opens) in bulk mode before the next epoch's
 * key takes over: well under RFC 8446's (5.5) 2^24.5 full records per
 * AES-GCM key; 128 GiB of full records, or 2^23 small messages. */
#define PVMW_TLS_BULK_KEY_RECORDS ((uint64_t)1 << 23)

/* One step of bulk mode's key ratchet (exposed for tests): replaces secret
 * (32 bytes, the epoch's) by the next epoch's, HMAC-SHA256(secret, "pvmng
 * bulk ratchet"), wiping the old one, and fills km (kmlen bytes, at most
 * 64: key then IV) by HKDF-Expand(SHA-256) of the new secret with the info
 * "pvmng bulk key". Epoch 0's secret is exported from the session under
 * the direction's label with the context "ratchet". 0, or -1 (nothing
 * changed). */
int pvmw_tls_bulk_ratchet(uint8_t secret[32], uint8_t *km, size_t kmlen);

/* Why the connection failed, for the log ("" while nothing failed), e.g.
 * "certificate has expired (peer hostb, ...)", "unknown CA ...", "peer sent
 * no certificate", "not TLS", "peer name mismatch: wanted X got Y",
 * "protocol version: ...", "peer refused our certificate: ...". */
const char *pvmw_tls_reason(const pvmw_tls *t);

/* After the handshake: the peer's identity (first subjectAltName DNS entry,
 * else CN; "" before), the negotiated cipher suite, and the SHA-256 of the
 * peer's certificate. */
const char *pvmw_tls_peer_name(const pvmw_tls *t);
const char *pvmw_tls_cipher(const pvmw_tls *t);
int pvmw_tls_peer_fingerprint(const pvmw_tls *t, uint8_t out[32]);

/* Channel binding: 32 bytes exported from the session's keys under label
 * PVMW_TLS_BINDING_LABEL (RFC 8446 exporter). Both ends get the same value;
 * any other connection gets another. Returns 0, or -1 before the handshake
 * is done. */
int pvmw_tls_binding(pvmw_tls *t, uint8_t out[32]);

#endif
