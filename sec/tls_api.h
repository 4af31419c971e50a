/* The TLS engine (tls.h) as a table of functions, for libpvm3: a task
 * loads libpvm3tls (and with it OpenSSL) only when it opens its first
 * direct link to a task on another host, so that a task that never does
 * pays nothing at start for OpenSSL. The daemon links tls.c directly. */
#ifndef PVMW_TLS_API_H
#define PVMW_TLS_API_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* The shared library and the symbol of the table in it: the library's one
 * export, named after the library (not pvmw_, the prefix of internal names,
 * which no library exports). */
#define PVMW_TLS_API_LIB "libpvm3tls.so.3"
#define PVMW_TLS_API_SYMBOL "pvm3tls_api_v3"

struct pvmw_tls_api {
  pvmw_tls_ctx *(*ctx_new)(int server, const char *ca_pem, const char *cert_pem,
                           const char *key_pem, char *err, size_t errlen);
  void (*ctx_free)(pvmw_tls_ctx *c);
  pvmw_tls *(*tls_new)(pvmw_tls_ctx *c, const char *expect_name);
  void (*tls_free)(pvmw_tls *t);
  int (*handshake)(pvmw_tls *t);
  int (*established)(const pvmw_tls *t);
  int (*read)(pvmw_tls *t, void *plain, size_t cap);
  int (*write)(pvmw_tls *t, const void *plain, size_t n);
  size_t (*outgoing)(pvmw_tls *t, const uint8_t **data);
  void (*consumed)(pvmw_tls *t, size_t n);
  size_t (*pending)(const pvmw_tls *t);
  void (*in_space_n)(pvmw_tls *t, size_t room, char **base, size_t *len);
  int (*in_commit)(pvmw_tls *t, size_t n);
  const char *(*reason)(const pvmw_tls *t);
  const char *(*peer_name)(const pvmw_tls *t);
  int (*binding)(pvmw_tls *t, uint8_t out[32]);
  int (*bulk)(pvmw_tls *t, int aead);
  int (*bulk_has)(int aead);
  const char *(*bulk_cipher)(const pvmw_tls *t);
  int (*shutdown)(pvmw_tls *t);
};

/* Defined in libpvm3tls (tls_api.c). */
extern const struct pvmw_tls_api pvm3tls_api_v3
    __attribute__((visibility("default")));

#endif
