/* The one-time join credential: what the master hands a new daemon on the
 * $PVM_RSH channel (its stdin) so that a host without the shared
 * certificate directory can obtain its own certificate. One text line:
 *   PVMNG-JOIN/1 host=H master=M ca-sha256=HEX64 secret=HEX64 expires=T
 * host: the only name the master will certify with it; master: the name
 * the master's certificate carries; ca-sha256: the SHA-256 of the VM's CA
 * certificate (DER), which the joiner pins to authenticate the master;
 * secret: 32 random bytes; expires: Unix time after which it is refused. */
#ifndef PVMW_JOIN_H
#define PVMW_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "pki.h"

#define PVMW_JOIN_TAG "PVMNG-JOIN/1"
#define PVMW_JOIN_ALPN "pvmng-join/1" /* TLS ALPN of a join connection */
#define PVMW_JOIN_SECRET_LEN 32
#define PVMW_JOIN_LINE_MAX 512 /* an encoded credential, newline included */

typedef struct pvmw_join_cred {
  char host[PVMW_PKI_NAME_MAX + 1];
  char master[PVMW_PKI_NAME_MAX + 1];
  uint8_t ca_sha256[32];
  uint8_t secret[PVMW_JOIN_SECRET_LEN];
  long expires; /* Unix time */
} pvmw_join_cred;

/* Outcome of pvmw_join_cred_check. */
enum pvmw_join_check {
  PVMW_JOIN_OK = 0,
  PVMW_JOIN_WRONG,      /* the secret is not this credential's */
  PVMW_JOIN_EXPIRED,    /* right secret, too late */
  PVMW_JOIN_OTHER_HOST, /* right secret, another host name */
};

/* Fills c with a fresh random secret. Returns 0, or -1 with the reason
 * (bad name, no randomness) in err. */
int pvmw_join_cred_new(pvmw_join_cred *c, const char *host, const char *master,
                       const uint8_t ca_sha256[32], long expires, char *err,
                       size_t errlen);

/* Writes c as one line ending in '\n' into out (at least
 * PVMW_JOIN_LINE_MAX bytes). Returns its length, or -1 if it does not fit. */
int pvmw_join_cred_encode(const pvmw_join_cred *c, char *out, size_t len);

/* Parses one line (a trailing newline is allowed). Returns 0, or -1 with
 * the reason in err; fields may come in any order, each exactly once. */
int pvmw_join_cred_parse(const char *line, pvmw_join_cred *c, char *err,
                         size_t errlen);

/* The master's check of a presented secret and host name against c at
 * Unix time now, in this order: secret (constant time), expiry, host. */
enum pvmw_join_check pvmw_join_cred_check(const pvmw_join_cred *c,
                                          const uint8_t *secret, size_t len,
                                          const char *host, long now);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void pvmw_hex(const uint8_t *p, size_t n, char *out);

#endif
