/* The TLS engine's contexts (tls.h): loading our certificate and key and
 * the VM's CA, checking them as a peer would, rotation, the join client's
 * pinned CA, and the verification callback that turns OpenSSL's verdict
 * into one readable reason. */
#include "tls_int.h"

#include "join.h"
#include "osslerr.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- small helpers ---------------------------------------------------- */

void pvmw_tls_copy_printable(char *out, size_t len, const unsigned char *s,
                             int n) {
  size_t j = 0;
  for (int i = 0; i < n && j + 1 < len; i++)
    out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
  out[j] = '\0';
}

/* The identity a certificate carries: first DNS subjectAltName, else CN. */
void pvmw_tls_cert_name(X509 *x, char *out, size_t len) {
  GENERAL_NAMES *gens;
  X509_NAME *subj;
  int idx;
  out[0] = '\0';
  if (x == NULL)
    return;
  gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  if (gens != NULL) {
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
      GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
      if (g->type == GEN_DNS) {
        pvmw_tls_copy_printable(out, len, ASN1_STRING_get0_data(g->d.dNSName),
                                ASN1_STRING_length(g->d.dNSName));
        break;
      }
    }
    GENERAL_NAMES_free(gens);
    if (out[0] != '\0')
      return;
  }
  subj = X509_get_subject_name(x);
  idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
  if (idx >= 0) {
    ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
    pvmw_tls_copy_printable(out, len, ASN1_STRING_get0_data(d),
                            ASN1_STRING_length(d));
  }
}

static void fmt_time(const ASN1_TIME *t, char *out, size_t len) {
  struct tm tm;
  if (t == NULL || !ASN1_TIME_to_tm(t, &tm) ||
      strftime(out, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
    snprintf(out, len, "?");
}

/* Readable text for a certificate verification error about x. */
static void describe_verify(int e, X509 *x, int depth, char *out, size_t len) {
  char name[128], when[40];
  const char *who = depth == 0 ? "certificate of" : "CA above";
  pvmw_tls_cert_name(x, name, sizeof name);
  switch (e) {
  case X509_V_ERR_CERT_HAS_EXPIRED:
    fmt_time(x ? X509_get0_notAfter(x) : NULL, when, sizeof when);
    snprintf(out, len, "certificate has expired (%s %s, not after %s)", who,
             name, when);
    break;
  case X509_V_ERR_CERT_NOT_YET_VALID:
    fmt_time(x ? X509_get0_notBefore(x) : NULL, when, sizeof when);
    snprintf(out, len, "certificate is not yet valid (%s %s, not before %s)",
             who, name, when);
    break;
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
  case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    snprintf(out, len,
             "unknown CA: %s %s is not issued by this virtual machine's CA "
             "(%s)",
             who, name, X509_verify_cert_error_string(e));
    break;
  case X509_V_ERR_INVALID_PURPOSE:
    snprintf(out, len, "certificate of %s is not for TLS client and server use",
             name);
    break;
  default:
    snprintf(out, len, "certificate rejected: %s (%s %s)",
             X509_verify_cert_error_string(e), who, name);
    break;
  }
}

static int verify_cb(int ok, X509_STORE_CTX *xs) {
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
  pvmw_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
  int e, depth;
  X509 *x;
  if (ok || t == NULL)
    return ok;
  if (t->reason[0] != '\0')
    return 0; /* keep the first reason */
  e = X509_STORE_CTX_get_error(xs);
  depth = X509_STORE_CTX_get_error_depth(xs);
  x = X509_STORE_CTX_get_current_cert(xs);
  if (e == X509_V_ERR_HOSTNAME_MISMATCH) {
    char got[128];
    pvmw_tls_cert_name(x, got, sizeof got);
    snprintf(t->reason, sizeof t->reason,
             "peer name mismatch: wanted %.200s got %s", t->expect, got);
  } else {
    describe_verify(e, x, depth, t->reason, sizeof t->reason);
  }
  return 0;
}

/* ---- contexts --------------------------------------------------------- */

/* Loads a certificate file: the first certificate, then any others as the
 * chain to send with it. */
static int load_cert(const char *path, X509 **leaf, STACK_OF(X509) * *chain,
                     char *err, size_t errlen) {
  BIO *b;
  X509 *x;
  *leaf = NULL;
  *chain = NULL;
  if (path == NULL) {
    set_err(err, errlen, "no certificate file given");
    return -1;
  }
  errno = 0;
  b = BIO_new_file(path, "r");
  if (b == NULL) {
    set_err(err, errlen, "cannot open certificate %s: %s", path,
            errno ? strerror(errno) : ossl_reason());
    ERR_clear_error();
    return -1;
  }
  *leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
  if (*leaf == NULL) {
    set_err(err, errlen, "%s holds no PEM certificate (%s)", path,
            ossl_reason());
    BIO_free(b);
    return -1;
  }
  *chain = sk_X509_new_null();
  while (*chain != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
    if (!sk_X509_push(*chain, x))
      X509_free(x);
  ERR_clear_error(); /* the end of the file reads as an error */
  BIO_free(b);
  if (*chain == NULL) {
    X509_free(*leaf);
    *leaf = NULL;
    set_err(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t errlen) {
  BIO *b;
  EVP_PKEY *k;
  if (path == NULL) {
    set_err(err, errlen, "no key file given");
    return NULL;
  }
  errno = 0;
  b = BIO_new_file(path, "r");
  if (b == NULL) {
    set_err(err, errlen, "cannot open key %s: %s", path,
            errno ? strerror(errno) : ossl_reason());
    ERR_clear_error();
    return NULL;
  }
  k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  BIO_free(b);
  if (k == NULL)
    set_err(err, errlen, "%s holds no usable private key (%s)", path,
            ossl_reason());
  return k;
}

/* Verifies a certificate of ours against the CA store, as a peer would. */
static int verify_own(X509_STORE *store, X509 *leaf, STACK_OF(X509) * chain,
                      int server, char *err, size_t errlen) {
  X509_STORE_CTX *xs = X509_STORE_CTX_new();
  int rc = -1;
  if (xs == NULL || !X509_STORE_CTX_init(xs, store, leaf, chain)) {
    set_err(err, errlen, "out of memory");
  } else {
    X509_STORE_CTX_set_purpose(xs, server ? X509_PURPOSE_SSL_SERVER
                                          : X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(xs) == 1) {
      rc = 0;
    } else {
      char why[320];
      describe_verify(X509_STORE_CTX_get_error(xs),
                      X509_STORE_CTX_get_current_cert(xs),
                      X509_STORE_CTX_get_error_depth(xs), why, sizeof why);
      set_err(err, errlen, "%s", why);
    }
  }
  X509_STORE_CTX_free(xs);
  ERR_clear_error();
  return rc;
}

/* Whether an ALPN extension's protocol list names the join protocol. */
static int alpn_has_join(const unsigned char *p, size_t len) {
  static const char want[] = PVMW_JOIN_ALPN;
  size_t list;
  if (len < 2)
    return 0;
  list = ((size_t)p[0] << 8) | p[1];
  if (list != len - 2)
    return 0;
  p += 2;
  len -= 2;
  while (len > 0) {
    size_t n = p[0];
    if (n + 1 > len)
      return 0;
    if (n == sizeof want - 1 && memcmp(p + 1, want, n) == 0)
      return 1;
    p += n + 1;
    len -= n + 1;
  }
  return 0;
}

/* Server: a client that offers the join protocol is a new daemon without
 * a certificate. Its connection asks for none and sends the CA along, so
 * that the joiner can check it against its pinned fingerprint; the daemon
 * accepts nothing but the join exchange on it (pvmw_tls_is_join). Every
 * other connection keeps mutual authentication. */
static int hello_cb(SSL *ssl, int *al, void *arg) {
  pvmw_tls_ctx *c = arg;
  pvmw_tls *t = SSL_get_app_data(ssl);
  const unsigned char *p;
  size_t len;
  if (t == NULL ||
      !SSL_client_hello_get0_ext(
          ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &p, &len) ||
      !alpn_has_join(p, len))
    return SSL_CLIENT_HELLO_SUCCESS;
  if (c->no_join) {
    /* A task's listener: joining is the daemons' business. */
    snprintf(t->reason, sizeof t->reason,
             "a client asked to join at a task's listener");
    *al = SSL_AD_NO_APPLICATION_PROTOCOL;
    return SSL_CLIENT_HELLO_ERROR;
  }
  t->join = 1;
  SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
  for (int i = 0; c->cas != NULL && i < sk_X509_num(c->cas); i++)
    if (!SSL_add1_chain_cert(ssl, sk_X509_value(c->cas, i))) {
      *al = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
  return SSL_CLIENT_HELLO_SUCCESS;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg) {
  pvmw_tls *t = SSL_get_app_data(ssl);
  (void)in;
  (void)inlen;
  (void)arg;
  if (t == NULL || !t->join)
    return SSL_TLSEXT_ERR_NOACK;
  *out = (const unsigned char *)PVMW_JOIN_ALPN;
  *outlen = (unsigned char)(sizeof PVMW_JOIN_ALPN - 1);
  return SSL_TLSEXT_ERR_OK;
}

/* A fully configured SSL_CTX presenting leaf/key/chain. */
static SSL_CTX *build(pvmw_tls_ctx *c, X509 *leaf, EVP_PKEY *key,
                      STACK_OF(X509) * chain, char *err, size_t errlen) {
  SSL_CTX *s =
      SSL_CTX_new(c->server ? TLS_server_method() : TLS_client_method());
  if (s == NULL)
    goto fail;
  if (!SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) ||
      !SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) ||
      !SSL_CTX_set_ciphersuites(s, CIPHERS))
    goto fail;
  SSL_CTX_set_security_level(s, 2);
  /* Every handshake is a full one with certificates: no resumption. */
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
  if (!SSL_CTX_set_num_tickets(s, 0))
    goto fail;
  SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     verify_cb);
  SSL_CTX_set_verify_depth(s, 4);
  SSL_CTX_set1_cert_store(s, c->store);
  if (c->server) {
    SSL_CTX_set_client_hello_cb(s, hello_cb, c);
    SSL_CTX_set_alpn_select_cb(s, alpn_cb, c);
  }
  if (!SSL_CTX_use_certificate(s, leaf) || !SSL_CTX_use_PrivateKey(s, key) ||
      !SSL_CTX_set1_chain(s, chain) || !SSL_CTX_check_private_key(s))
    goto fail;
  return s;
fail:
  set_err(err, errlen, "TLS context setup failed: %s", ossl_reason());
  SSL_CTX_free(s);
  return NULL;
}

/* Loads and checks cert + key, then builds an SSL_CTX; with `strict` the
 * certificate must also verify against the CA now. */
static SSL_CTX *load_and_build(pvmw_tls_ctx *c, const char *cert_pem,
                               const char *key_pem, int strict, char *err,
                               size_t errlen) {
  X509 *leaf = NULL;
  STACK_OF(X509) *chain = NULL;
  EVP_PKEY *key = NULL;
  SSL_CTX *s = NULL;
  char why[320];
  if (load_cert(cert_pem, &leaf, &chain, err, errlen) < 0)
    goto out;
  if ((key = load_key(key_pem, err, errlen)) == NULL)
    goto out;
  if (X509_check_private_key(leaf, key) != 1) {
    ERR_clear_error();
    set_err(err, errlen, "key %s does not match certificate %s", key_pem,
            cert_pem);
    goto out;
  }
  if (strict &&
      verify_own(c->store, leaf, chain, c->server, why, sizeof why) < 0) {
    set_err(err, errlen, "certificate %s refused: %s", cert_pem, why);
    goto out;
  }
  s = build(c, leaf, key, chain, err, errlen);
out:
  X509_free(leaf);
  sk_X509_pop_free(chain, X509_free);
  EVP_PKEY_free(key);
  return s;
}

pvmw_tls_ctx *pvmw_tls_ctx_new(int server, const char *ca_pem,
                               const char *cert_pem, const char *key_pem,
                               char *err, size_t errlen) {
  pvmw_tls_ctx *c;
  X509 *leaf = NULL;
  if (pvmw_tls_bio_method() == NULL) {
    set_err(err, errlen, "TLS setup failed: %s", ossl_reason());
    return NULL;
  }
  if (ca_pem == NULL) {
    set_err(err, errlen, "no CA file given");
    return NULL;
  }
  c = calloc(1, sizeof *c);
  if (c == NULL) {
    set_err(err, errlen, "out of memory");
    return NULL;
  }
  c->server = server != 0;
  c->no_join = server == PVMW_TLS_SERVER_NOJOIN;
  c->refs = 1;
  c->store = X509_STORE_new();
  if (c->store == NULL) {
    set_err(err, errlen, "out of memory");
    goto fail;
  }
  errno = 0;
  if (!X509_STORE_load_file(c->store, ca_pem)) {
    set_err(err, errlen, "cannot load CA %s: %s", ca_pem,
            errno ? strerror(errno) : ossl_reason());
    ERR_clear_error();
    goto fail;
  }
  if (load_cert(ca_pem, &leaf, &c->cas, err, errlen) < 0)
    goto fail;
  if (!sk_X509_unshift(c->cas, leaf)) {
    X509_free(leaf);
    set_err(err, errlen, "out of memory");
    goto fail;
  }
  c->ssl = load_and_build(c, cert_pem, key_pem, 0, err, errlen);
  if (c->ssl == NULL)
    goto fail;
  return c;
fail:
  sk_X509_pop_free(c->cas, X509_free);
  X509_STORE_free(c->store);
  free(c);
  return NULL;
}

/* Client of a join connection: the server's chain must contain the CA
 * whose SHA-256 is pinned; it becomes the only trust anchor and the chain
 * is verified against it as usual (dates, purpose, the expected name). */
static int pin_verify(X509_STORE_CTX *xs, void *arg) {
  pvmw_tls_ctx *c = arg;
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
  pvmw_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
  STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(xs);
  STACK_OF(X509) *trusted = NULL;
  X509 *anchor = NULL;
  int rc;
  for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
    X509 *x = sk_X509_value(chain, i);
    uint8_t fp[32];
    unsigned int n = 0;
    if (X509_digest(x, EVP_sha256(), fp, &n) && n == 32 &&
        memcmp(fp, c->pin, 32) == 0 && X509_self_signed(x, 0) == 1) {
      anchor = x;
      break;
    }
  }
  if (anchor == NULL || (trusted = sk_X509_new_null()) == NULL ||
      !sk_X509_push(trusted, anchor)) {
    if (t != NULL && t->reason[0] == '\0')
      snprintf(t->reason, sizeof t->reason,
               "the master's CA is not the one named in the join credential "
               "(CA fingerprint mismatch)");
    sk_X509_free(trusted);
    X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_UNTRUSTED);
    ERR_clear_error();
    return 0;
  }
  X509_STORE_CTX_set0_trusted_stack(xs, trusted);
  rc = X509_verify_cert(xs);
  X509_STORE_CTX_set0_trusted_stack(xs, NULL);
  sk_X509_free(trusted); /* anchor belongs to the chain */
  return rc == 1 ? 1 : 0;
}

pvmw_tls_ctx *pvmw_tls_ctx_new_join(const uint8_t ca_sha256[32], char *err,
                                    size_t errlen) {
  static const unsigned char alpn[] = "\x0c" PVMW_JOIN_ALPN;
  pvmw_tls_ctx *c;
  SSL_CTX *s = NULL;
  if (pvmw_tls_bio_method() == NULL) {
    set_err(err, errlen, "TLS setup failed: %s", ossl_reason());
    return NULL;
  }
  c = calloc(1, sizeof *c);
  if (c == NULL) {
    set_err(err, errlen, "out of memory");
    return NULL;
  }
  c->refs = 1;
  c->join_client = 1;
  memcpy(c->pin, ca_sha256, 32);
  s = SSL_CTX_new(TLS_client_method());
  if (s == NULL || !SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) ||
      !SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) ||
      !SSL_CTX_set_ciphersuites(s, CIPHERS) ||
      SSL_CTX_set_alpn_protos(s, alpn, sizeof alpn - 1) != 0) {
    set_err(err, errlen, "TLS context setup failed: %s", ossl_reason());
    SSL_CTX_free(s);
    free(c);
    return NULL;
  }
  SSL_CTX_set_security_level(s, 2);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
  SSL_CTX_set_verify(s, SSL_VERIFY_PEER, verify_cb);
  SSL_CTX_set_verify_depth(s, 4);
  SSL_CTX_set_cert_verify_callback(s, pin_verify, c);
  c->ssl = s;
  return c;
}

int pvmw_tls_ctx_ca_fingerprint(const pvmw_tls_ctx *c, uint8_t out[32]) {
  unsigned int n = 0;
  if (c->cas == NULL || sk_X509_num(c->cas) < 1 ||
      !X509_digest(sk_X509_value(c->cas, 0), EVP_sha256(), out, &n) ||
      n != 32) {
    ERR_clear_error();
    return -1;
  }
  return 0;
}

int pvmw_tls_is_join(const pvmw_tls *t) {
  const unsigned char *p = NULL;
  unsigned int n = 0;
  if (t->server)
    return t->join;
  if (!t->ctx->join_client)
    return 0;
  SSL_get0_alpn_selected(t->ssl, &p, &n);
  return n == sizeof PVMW_JOIN_ALPN - 1 && memcmp(p, PVMW_JOIN_ALPN, n) == 0;
}

void pvmw_tls_ctx_unref(pvmw_tls_ctx *c) {
  if (c == NULL || --c->refs > 0)
    return;
  SSL_CTX_free(c->ssl);
  X509_STORE_free(c->store);
  sk_X509_pop_free(c->cas, X509_free);
  free(c);
}

void pvmw_tls_ctx_free(pvmw_tls_ctx *c) { pvmw_tls_ctx_unref(c); }

int pvmw_tls_ctx_check(const pvmw_tls_ctx *c, char *err, size_t errlen) {
  if (c->join_client) {
    set_err(err, errlen, "a join context has no certificate");
    return -1;
  }
  X509 *leaf = SSL_CTX_get0_certificate(c->ssl);
  STACK_OF(X509) *chain = NULL;
  SSL_CTX_get0_chain_certs(c->ssl, &chain);
  return verify_own(c->store, leaf, chain, c->server, err, errlen);
}

int pvmw_tls_ctx_reload(pvmw_tls_ctx *c, const char *cert_pem,
                        const char *key_pem, char *err, size_t errlen) {
  if (c->join_client) {
    set_err(err, errlen, "a join context has no certificate");
    return -1;
  }
  SSL_CTX *s = load_and_build(c, cert_pem, key_pem, 1, err, errlen);
  if (s == NULL)
    return -1;
  SSL_CTX_free(c->ssl); /* live connections hold their own reference */
  c->ssl = s;
  return 0;
}
