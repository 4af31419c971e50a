/* The TLS engine: an OpenSSL SSL object wired to a custom BIO whose reads
 * come from our input buffer and whose writes go to a queue of ciphertext
 * chunks, so that any I/O layer (libuv, a test) moves the bytes. Failures
 * are turned into one readable reason per connection, for the log. */
#include "tls.h"

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

/* ---- small helpers ---------------------------------------------------- */

/* Copies an ASN.1 string for the log, replacing anything unprintable. */
static void copy_printable(char *out, size_t len, const unsigned char *s,
                           int n) {
  size_t j = 0;
  for (int i = 0; i < n && j + 1 < len; i++)
    out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
  out[j] = '\0';
}

/* The identity a certificate carries: first DNS subjectAltName, else CN. */
static void cert_name(X509 *x, char *out, size_t len) {
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
        copy_printable(out, len, ASN1_STRING_get0_data(g->d.dNSName),
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
    copy_printable(out, len, ASN1_STRING_get0_data(d), ASN1_STRING_length(d));
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
  cert_name(x, name, sizeof name);
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

/* ---- outgoing ciphertext queue ---------------------------------------- */

static struct out_chunk *chunk_new(size_t cap) {
  struct out_chunk *c = malloc(sizeof *c + cap);
  if (c != NULL) {
    c->next = NULL;
    c->cap = cap;
    c->start = c->end = 0;
  }
  return c;
}

/* Makes sure the tail chunk has `need` contiguous free bytes. */
static int out_reserve(pvmw_tls *t, size_t need) {
  struct out_chunk *c = t->out_tail;
  if (c != NULL && c->cap - c->end >= need)
    return 0;
  if (c != NULL && c->start == c->end && t->out_head == c) {
    /* Empty single chunk that is too small: replace it. */
    free(c);
    t->out_head = t->out_tail = NULL;
  }
  c = chunk_new(need > OUT_MIN ? need : OUT_MIN);
  if (c == NULL)
    return -1;
  if (t->out_tail != NULL)
    t->out_tail->next = c;
  else
    t->out_head = c;
  t->out_tail = c;
  return 0;
}

static int out_append(pvmw_tls *t, const void *data, size_t n) {
  const uint8_t *p = data;
  while (n > 0) {
    struct out_chunk *c = t->out_tail;
    size_t room = c ? c->cap - c->end : 0;
    if (room == 0) {
      if (out_reserve(t, n) < 0)
        return -1;
      continue;
    }
    if (room > n)
      room = n;
    memcpy(c->data + c->end, p, room);
    c->end += room;
    t->out_pending += room;
    p += room;
    n -= room;
  }
  return 0;
}

size_t pvmw_tls_outgoing(pvmw_tls *t, const uint8_t **data) {
  struct out_chunk *c = t->out_head;
  while (c != NULL && c->start == c->end && c->next != NULL)
    c = c->next;
  if (c == NULL || c->start == c->end) {
    *data = NULL;
    return 0;
  }
  *data = c->data + c->start;
  return c->end - c->start;
}

void pvmw_tls_consumed(pvmw_tls *t, size_t n) {
  if (n > t->out_pending)
    n = t->out_pending;
  t->out_pending -= n;
  while (t->out_head != NULL) {
    struct out_chunk *c = t->out_head;
    size_t k = c->end - c->start;
    if (k > n)
      k = n;
    c->start += k;
    n -= k;
    if (c->start < c->end)
      break;
    if (c->next != NULL) {
      t->out_head = c->next;
      free(c);
    } else {
      if (c->cap > OUT_KEEP) {
        free(c);
        t->out_head = t->out_tail = NULL;
      } else {
        c->start = c->end = 0;
      }
      break;
    }
  }
}

size_t pvmw_tls_pending(const pvmw_tls *t) { return t->out_pending; }

/* ---- the BIO between OpenSSL and our buffers -------------------------- */

static int bio_write_ex(BIO *b, const char *data, size_t n, size_t *done) {
  pvmw_tls *t = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (out_append(t, data, n) < 0)
    return 0;
  *done = n;
  return 1;
}

static int bio_read_ex(BIO *b, char *buf, size_t n, size_t *done) {
  pvmw_tls *t = BIO_get_data(b);
  size_t have = t->in_end - t->in_start;
  BIO_clear_retry_flags(b);
  *done = 0;
  if (have == 0) {
    BIO_set_retry_read(b);
    return 0;
  }
  if (n > have)
    n = have;
  memcpy(buf, t->in + t->in_start, n);
  t->in_start += n;
  *done = n;
  return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  pvmw_tls *t = BIO_get_data(b);
  (void)num;
  (void)ptr;
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_PENDING:
    return t ? (long)(t->in_end - t->in_start) : 0;
  case BIO_CTRL_WPENDING:
    return t ? (long)t->out_pending : 0;
  default:
    return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static BIO_METHOD *bio_method;
static CRYPTO_ONCE bio_once = CRYPTO_ONCE_STATIC_INIT;

/* Built once per process and never changed afterwards. */
static void bio_method_init(void) {
  BIO_METHOD *m =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pvmw_tls");
  if (m == NULL)
    return;
  if (!BIO_meth_set_write_ex(m, bio_write_ex) ||
      !BIO_meth_set_read_ex(m, bio_read_ex) ||
      !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
    BIO_meth_free(m);
    return;
  }
  bio_method = m;
}

/* ---- failure reasons -------------------------------------------------- */

static const struct {
  int reason;
  const char *text;
} ssl_reasons[] = {
    {SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE, "peer sent no certificate"},
    {SSL_R_UNSUPPORTED_PROTOCOL,
     "protocol version: the peer does not offer TLS 1.3"},
    {SSL_R_NO_PROTOCOLS_AVAILABLE,
     "protocol version: the peer does not offer TLS 1.3"},
    {SSL_R_UNSUPPORTED_SSL_VERSION,
     "protocol version: the peer does not offer TLS 1.3"},
    {SSL_R_WRONG_SSL_VERSION,
     "protocol version: the peer does not offer TLS 1.3"},
    {SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
     "protocol version: the peer refused TLS 1.3"},
    {SSL_R_WRONG_VERSION_NUMBER, "not TLS (bad record version)"},
    {SSL_R_HTTP_REQUEST, "not TLS (an HTTP request)"},
    {SSL_R_HTTPS_PROXY_REQUEST, "not TLS (an HTTP proxy request)"},
    {SSL_R_PACKET_LENGTH_TOO_LONG, "not TLS (record too long)"},
    {SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED,
     "peer refused us: we sent no certificate"},
    {SSL_R_TLSV1_ALERT_UNKNOWN_CA, "peer refused our certificate: unknown CA"},
    {SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED,
     "peer refused our certificate: certificate has expired"},
    {SSL_R_SSLV3_ALERT_BAD_CERTIFICATE,
     "peer refused our certificate: bad certificate (not yet valid or "
     "not the identity it expected)"},
    {SSL_R_NO_SHARED_CIPHER, "no shared cipher suite"},
};

/* Records why t failed (unless a more precise reason is already known,
 * e.g. from the verify callback) and drains OpenSSL's error queue so that
 * it cannot be mistaken for another connection's. */
static void fail(pvmw_tls *t, int sslerr) {
  unsigned long e, first = 0;
  const char *mapped = NULL;
  while ((e = ERR_get_error()) != 0) {
    if (first == 0)
      first = e;
    if (mapped == NULL && ERR_GET_LIB(e) == ERR_LIB_SSL) {
      int r = ERR_GET_REASON(e);
      for (size_t i = 0; i < sizeof ssl_reasons / sizeof ssl_reasons[0]; i++)
        if (ssl_reasons[i].reason == r)
          mapped = ssl_reasons[i].text;
    }
  }
  t->state = ST_FAILED;
  if (t->reason[0] != '\0')
    return;
  if (mapped != NULL) {
    snprintf(t->reason, sizeof t->reason, "%s", mapped);
  } else if (first != 0 && ERR_GET_LIB(first) == ERR_LIB_SSL &&
             ERR_GET_REASON(first) >= SSL_AD_REASON_OFFSET) {
    snprintf(t->reason, sizeof t->reason, "peer sent alert: %s",
             ERR_reason_error_string(first));
  } else if (first != 0) {
    const char *s = ERR_reason_error_string(first);
    snprintf(t->reason, sizeof t->reason, "TLS error: %s", s ? s : "unknown");
  } else if (sslerr == SSL_ERROR_SYSCALL) {
    snprintf(t->reason, sizeof t->reason, "TLS error: unexpected end");
  } else {
    snprintf(t->reason, sizeof t->reason, "TLS error (code %d)", sslerr);
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
    cert_name(x, got, sizeof got);
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
  if (!CRYPTO_THREAD_run_once(&bio_once, bio_method_init) ||
      bio_method == NULL) {
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
  if (!CRYPTO_THREAD_run_once(&bio_once, bio_method_init) ||
      bio_method == NULL) {
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

static void ctx_unref(pvmw_tls_ctx *c) {
  if (c == NULL || --c->refs > 0)
    return;
  SSL_CTX_free(c->ssl);
  X509_STORE_free(c->store);
  sk_X509_pop_free(c->cas, X509_free);
  free(c);
}

void pvmw_tls_ctx_free(pvmw_tls_ctx *c) { ctx_unref(c); }

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

/* ---- connections ------------------------------------------------------ */

pvmw_tls *pvmw_tls_new(pvmw_tls_ctx *c, const char *expect_name) {
  pvmw_tls *t = calloc(1, sizeof *t);
  BIO *b;
  if (t == NULL)
    return NULL;
  t->server = c->server;
  t->state = ST_HANDSHAKE;
  t->ssl = SSL_new(c->ssl);
  b = BIO_new(bio_method);
  if (t->ssl == NULL || b == NULL) {
    BIO_free(b);
    goto fail;
  }
  BIO_set_data(b, t);
  SSL_set_bio(t->ssl, b, b); /* the SSL owns the BIO now */
  SSL_set_app_data(t->ssl, t);
  if (expect_name != NULL) {
    size_t n = strlen(expect_name);
    if (n == 0 || n >= sizeof t->expect)
      goto fail;
    memcpy(t->expect, expect_name, n + 1);
    SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_WILDCARDS);
    if (!SSL_set1_host(t->ssl, expect_name))
      goto fail;
  }
  if (t->server)
    SSL_set_accept_state(t->ssl);
  else
    SSL_set_connect_state(t->ssl);
  t->ctx = c;
  c->refs++;
  ERR_clear_error();
  return t;
fail:
  ERR_clear_error();
  SSL_free(t->ssl);
  free(t);
  return NULL;
}

void pvmw_tls_free(pvmw_tls *t) {
  struct out_chunk *c, *next;
  if (t == NULL)
    return;
  EVP_CIPHER_CTX_free(t->bw.ctx);
  EVP_CIPHER_CTX_free(t->br.ctx);
  OPENSSL_cleanse(t->bw.secret, sizeof t->bw.secret);
  OPENSSL_cleanse(t->br.secret, sizeof t->br.secret);
  free(t->bounce);
  SSL_free(t->ssl);
  for (c = t->out_head; c != NULL; c = next) {
    next = c->next;
    free(c);
  }
  free(t->in);
  ctx_unref(t->ctx);
  free(t);
}

/* The first bytes of a TLS stream are a handshake (or alert) record of
 * major version 3; anything else is refused before OpenSSL sees it. */
static int sniff(pvmw_tls *t, const uint8_t *p, size_t n) {
  while (t->first_len < sizeof t->first && n > 0) {
    t->first[t->first_len++] = *p++;
    n--;
  }
  if ((t->first_len >= 1 && t->first[0] != 0x16 && t->first[0] != 0x15) ||
      (t->first_len >= 2 && t->first[1] != 0x03) ||
      (t->first_len >= 3 && t->first[2] > 0x04)) {
    char hex[16] = "", text[8] = "";
    size_t h = 0;
    for (size_t i = 0; i < t->first_len; i++)
      h += (size_t)snprintf(hex + h, sizeof hex - h, "%s%02x", i ? " " : "",
                            t->first[i]);
    copy_printable(text, sizeof text, t->first, (int)t->first_len);
    snprintf(t->reason, sizeof t->reason, "not TLS (first bytes %s \"%s\")",
             hex, text);
    t->state = ST_FAILED;
    return -1;
  }
  return 0;
}

void pvmw_tls_in_space(pvmw_tls *t, char **base, size_t *len) {
  pvmw_tls_in_space_n(t, IN_ROOM, base, len);
}

void pvmw_tls_in_space_n(pvmw_tls *t, size_t room, char **base, size_t *len) {
  size_t used = t->in_end - t->in_start;
  if (room < IN_ROOM)
    room = IN_ROOM;
  if (t->in_cap - t->in_end < room && t->in_start > 0) {
    memmove(t->in, t->in + t->in_start, used);
    t->in_start = 0;
    t->in_end = used;
  }
  if (t->in_cap - t->in_end < room) {
    size_t cap = t->in_end + room;
    uint8_t *p = realloc(t->in, cap);
    if (p == NULL) {
      *base = NULL;
      *len = 0;
      return;
    }
    t->in = p;
    t->in_cap = cap;
  }
  *base = (char *)t->in + t->in_end;
  *len = t->in_cap - t->in_end;
}

int pvmw_tls_in_commit(pvmw_tls *t, size_t n) {
  if (t->state == ST_FAILED)
    return PVMW_TLS_ERR;
  if (n > t->in_cap - t->in_end)
    n = t->in_cap - t->in_end;
  if (t->first_len < sizeof t->first && sniff(t, t->in + t->in_end, n) < 0)
    return PVMW_TLS_ERR;
  t->in_end += n;
  return 0;
}

int pvmw_tls_feed(pvmw_tls *t, const void *cipher, size_t n) {
  const uint8_t *p = cipher;
  if (t->state == ST_FAILED)
    return PVMW_TLS_ERR;
  if (t->in_start == t->in_end) {
    /* Empty: drop an oversized buffer, start at the front. */
    t->in_start = t->in_end = 0;
    if (t->in_cap > IN_KEEP && n <= IN_KEEP) {
      free(t->in);
      t->in = NULL;
      t->in_cap = 0;
    }
  }
  if (t->in_cap - t->in_end < n) {
    size_t used = t->in_end - t->in_start;
    if (t->in_start > 0) {
      memmove(t->in, t->in + t->in_start, used);
      t->in_start = 0;
      t->in_end = used;
    }
    if (t->in_cap - t->in_end < n) {
      uint8_t *q = realloc(t->in, used + n);
      if (q == NULL) {
        snprintf(t->reason, sizeof t->reason, "out of memory");
        t->state = ST_FAILED;
        return PVMW_TLS_ERR;
      }
      t->in = q;
      t->in_cap = used + n;
    }
  }
  if (n > 0)
    memcpy(t->in + t->in_end, p, n);
  return pvmw_tls_in_commit(t, n);
}

int pvmw_tls_handshake(pvmw_tls *t) {
  int r;
  switch (t->state) {
  case ST_ESTABLISHED:
    return 1;
  case ST_FAILED:
    return PVMW_TLS_ERR;
  case ST_CLOSED:
    return PVMW_TLS_CLOSED;
  default:
    break;
  }
  ERR_clear_error();
  r = SSL_do_handshake(t->ssl);
  if (r == 1) {
    t->state = ST_ESTABLISHED;
    cert_name(SSL_get0_peer_certificate(t->ssl), t->peer, sizeof t->peer);
    return 1;
  }
  r = SSL_get_error(t->ssl, r);
  if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return 0;
  }
  fail(t, r);
  return PVMW_TLS_ERR;
}

int pvmw_tls_established(const pvmw_tls *t) {
  return t->state == ST_ESTABLISHED;
}

static int bulk_read(pvmw_tls *t, uint8_t *plain, size_t cap);

int pvmw_tls_read(pvmw_tls *t, void *plain, size_t cap) {
  uint8_t *p = plain;
  size_t got = 0;
  if (t->bulk)
    return bulk_read(t, plain, cap);
  if (t->state != ST_ESTABLISHED) {
    int r = pvmw_tls_handshake(t);
    if (r <= 0)
      return r;
  }
  if (cap > INT_MAX)
    cap = INT_MAX;
  while (got < cap) {
    size_t n = 0;
    int e;
    ERR_clear_error();
    if (SSL_read_ex(t->ssl, p + got, cap - got, &n)) {
      got += n;
      continue;
    }
    e = SSL_get_error(t->ssl, 0);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      ERR_clear_error();
      break;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
      ERR_clear_error();
      t->state = ST_CLOSED;
      if (t->reason[0] == '\0')
        snprintf(t->reason, sizeof t->reason, "peer closed the connection");
    } else {
      fail(t, e);
    }
    break;
  }
  if (got > 0)
    return (int)got;
  if (t->state == ST_CLOSED)
    return PVMW_TLS_CLOSED;
  return t->state == ST_FAILED ? PVMW_TLS_ERR : 0;
}

static int bulk_write(pvmw_tls *t, const uint8_t *p, size_t n);

int pvmw_tls_write(pvmw_tls *t, const void *plain, size_t n) {
  const uint8_t *p = plain;
  size_t done = 0;
  if (t->state != ST_ESTABLISHED)
    return PVMW_TLS_ERR;
  if (n == 0)
    return 0;
  if (t->bulk)
    return t->closed_sent ? PVMW_TLS_ERR : bulk_write(t, plain, n);
  /* Room for all the records at once: one contiguous ciphertext run. */
  if (out_reserve(t, n + (n / REC_PLAIN + 1) * REC_OVERHEAD + 64) < 0)
    return PVMW_TLS_ERR;
  ERR_clear_error();
  while (done < n) {
    size_t w = 0;
    if (!SSL_write_ex(t->ssl, p + done, n - done, &w)) {
      fail(t, SSL_get_error(t->ssl, 0));
      return PVMW_TLS_ERR;
    }
    done += w;
  }
  return 0;
}

static int bulk_close(pvmw_tls *t);

int pvmw_tls_shutdown(pvmw_tls *t) {
  if (t->bulk)
    return bulk_close(t);
  if (t->state != ST_ESTABLISHED && t->state != ST_CLOSED)
    return PVMW_TLS_ERR;
  ERR_clear_error();
  if (SSL_shutdown(t->ssl) < 0) {
    fail(t, SSL_get_error(t->ssl, -1));
    return PVMW_TLS_ERR;
  }
  ERR_clear_error();
  return 0;
}

const char *pvmw_tls_reason(const pvmw_tls *t) { return t->reason; }

const char *pvmw_tls_peer_name(const pvmw_tls *t) { return t->peer; }

const char *pvmw_tls_cipher(const pvmw_tls *t) {
  const char *s = SSL_get_cipher_name(t->ssl);
  return s ? s : "";
}

int pvmw_tls_peer_fingerprint(const pvmw_tls *t, uint8_t out[32]) {
  X509 *x = SSL_get0_peer_certificate(t->ssl);
  unsigned int n = 0;
  if (t->state != ST_ESTABLISHED || x == NULL ||
      !X509_digest(x, EVP_sha256(), out, &n) || n != 32) {
    ERR_clear_error();
    return -1;
  }
  return 0;
}

int pvmw_tls_binding(pvmw_tls *t, uint8_t out[32]) {
  static const char label[] = PVMW_TLS_BINDING_LABEL;
  if (t->state != ST_ESTABLISHED ||
      SSL_export_keying_material(t->ssl, out, 32, label, sizeof label - 1, NULL,
                                 0, 0) != 1) {
    ERR_clear_error();
    return -1;
  }
  return 0;
}

/* ---- bulk mode -------------------------------------------------------- */

/* Exporter labels of the two directions' keys (RFC 8446, 7.5). Keys made
 * this way are independent of the keys OpenSSL's record layer used on this
 * connection, so bulk records start at sequence number 0 and can never
 * repeat a nonce of a record OpenSSL sealed. */
#define BULK_LABEL_C2S "EXPORTER-pvmng-bulk-client-to-server"
#define BULK_LABEL_S2C "EXPORTER-pvmng-bulk-server-to-client"
#define BULK_OCB_C2S "EXPORTER-pvmng-bulk-ocb-client-to-server"
#define BULK_OCB_S2C "EXPORTER-pvmng-bulk-ocb-server-to-client"

#define RATCHET_CONTEXT "ratchet"
#define RATCHET_NEXT "pvmng bulk ratchet"
#define RATCHET_KEY "pvmng bulk key"

int pvmw_tls_bulk_ratchet(uint8_t secret[32], uint8_t *km, size_t kmlen) {
  uint8_t next[32], t1[32], in[sizeof RATCHET_KEY + 32];
  unsigned n = 0, n1 = 0, n2 = 0;
  int ok;
  /* The next secret: one way from this one. Then the key and IV from it
   * (HKDF-Expand with SHA-256: two blocks are enough for 44 bytes). */
  ok = kmlen <= 64 &&
       HMAC(EVP_sha256(), secret, 32, (const uint8_t *)RATCHET_NEXT,
            strlen(RATCHET_NEXT), next, &n) != NULL &&
       n == 32;
  if (ok) {
    memcpy(in, RATCHET_KEY, strlen(RATCHET_KEY));
    in[strlen(RATCHET_KEY)] = 1;
    ok = HMAC(EVP_sha256(), next, 32, in, strlen(RATCHET_KEY) + 1, t1, &n1) !=
             NULL &&
         n1 == 32;
  }
  if (ok) {
    uint8_t t2[32];
    memcpy(in, t1, 32);
    memcpy(in + 32, RATCHET_KEY, strlen(RATCHET_KEY));
    in[32 + strlen(RATCHET_KEY)] = 2;
    ok = HMAC(EVP_sha256(), next, 32, in, 32 + strlen(RATCHET_KEY) + 1, t2,
              &n2) != NULL &&
         n2 == 32;
    if (ok) {
      memcpy(km, t1, kmlen < 32 ? kmlen : 32);
      if (kmlen > 32)
        memcpy(km + 32, t2, kmlen - 32);
      memcpy(secret, next, 32); /* the old secret is gone */
    }
    OPENSSL_cleanse(t2, sizeof t2);
  }
  OPENSSL_cleanse(next, sizeof next);
  OPENSSL_cleanse(t1, sizeof t1);
  OPENSSL_cleanse(in, sizeof in);
  return ok ? 0 : -1;
}

/* Takes the key and IV of epoch for d, sequence number 0. Epoch 0's are
 * exported under d's label without a context (so both kinds of ends agree
 * on them), with its secret (exported under the same label, context
 * "ratchet"); each later epoch's secret is derived from the one before,
 * which is then wiped, and its key and IV from it (pvmw_tls_bulk_ratchet):
 * whoever reads an epoch's state cannot go back to earlier epochs' keys.
 * On failure d is left as it was (and the connection fails). */
static int bulk_dir_key(pvmw_tls *t, struct bulk_dir *d, uint64_t epoch) {
  uint8_t km[32 + 12], secret[32];
  int ok;
  memcpy(secret, d->secret, sizeof secret);
  if (epoch == 0)
    ok = SSL_export_keying_material(t->ssl, km, d->keylen + sizeof d->iv,
                                    d->label, strlen(d->label), NULL, 0,
                                    0) == 1 &&
         SSL_export_keying_material(
             t->ssl, secret, sizeof secret, d->label, strlen(d->label),
             (const uint8_t *)RATCHET_CONTEXT, strlen(RATCHET_CONTEXT), 1) == 1;
  else
    ok = epoch == d->epoch + 1 &&
         pvmw_tls_bulk_ratchet(secret, km, d->keylen + sizeof d->iv) == 0;
  ok = ok && EVP_CipherInit_ex(d->ctx, NULL, NULL, km, NULL, -1) == 1;
  if (ok) {
    memcpy(d->iv, km + d->keylen, sizeof d->iv);
    memcpy(d->secret, secret, sizeof secret);
    d->epoch = epoch;
    d->seq = 0;
  }
  OPENSSL_cleanse(km, sizeof km);
  OPENSSL_cleanse(secret, sizeof secret);
  return ok ? 0 : -1;
}

/* One direction, epoch 0. */
static int bulk_dir_init(pvmw_tls *t, struct bulk_dir *d, int enc,
                         const EVP_CIPHER *c, size_t keylen,
                         const char *label) {
  d->label = label;
  d->keylen = keylen;
  if ((d->ctx = EVP_CIPHER_CTX_new()) == NULL ||
      EVP_CipherInit_ex(d->ctx, c, NULL, NULL, NULL, enc) != 1)
    return -1;
  /* The nonce and tag lengths are set, not left to the library's defaults
   * (AES-OCB's differ between implementations). */
  if (EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)sizeof d->iv,
                          NULL) != 1)
    return -1;
  if (EVP_CIPHER_CTX_get_mode(d->ctx) == EVP_CIPH_OCB_MODE &&
      EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, BULK_TAG, NULL) != 1)
    return -1;
  return bulk_dir_key(t, d, 0);
}

/* Before each record: once the epoch's key has sealed (or opened)
 * PVMW_TLS_BULK_KEY_RECORDS records, both ends move to the next epoch's
 * key, each on its own count, with no message between them. */
static int bulk_dir_next(pvmw_tls *t, struct bulk_dir *d) {
  if (d->seq < PVMW_TLS_BULK_KEY_RECORDS)
    return 0;
  if (d->epoch == UINT64_MAX) {
    snprintf(t->reason, sizeof t->reason, "bulk mode: out of key epochs");
    return -1;
  }
  if (bulk_dir_key(t, d, d->epoch + 1) < 0) {
    ERR_clear_error();
    snprintf(t->reason, sizeof t->reason, "bulk mode: key update failed");
    return -1;
  }
  return 0;
}

/* The EVP name of aead with keys of keylen bytes, or NULL. */
static const char *bulk_aead_name(int aead, size_t keylen) {
  if (aead == PVMW_BULK_GCM)
    return keylen == 16 ? "AES-128-GCM" : "AES-256-GCM";
  if (aead == PVMW_BULK_OCB)
    return keylen == 16 ? "AES-128-OCB" : "AES-256-OCB";
  return NULL;
}

int pvmw_tls_bulk_has(int aead) {
  int ok = 1;
  /* OpenSSL before 3.0.5 left 16 bytes of some AES-OCB output unencrypted
   * on 32-bit x86 (CVE-2022-2097). */
  if (aead == PVMW_BULK_OCB && OpenSSL_version_num() < 0x30000050L)
    return 0;
  for (size_t keylen = 16; keylen <= 32 && ok; keylen += 16) {
    const char *name = bulk_aead_name(aead, keylen);
    EVP_CIPHER *c = name ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
    ok = c != NULL;
    EVP_CIPHER_free(c);
  }
  ERR_clear_error();
  return ok;
}

/* The name of the cipher the sealing context holds (so a test sees what
 * runs, not what was asked for), as bulk_aead_name spells it. */
const char *pvmw_tls_bulk_cipher(const pvmw_tls *t) {
  const EVP_CIPHER *c;
  if (!t->bulk || (c = EVP_CIPHER_CTX_get0_cipher(t->bw.ctx)) == NULL)
    return "";
  for (int aead = PVMW_BULK_GCM; aead <= PVMW_BULK_OCB; aead++)
    for (size_t keylen = 16; keylen <= 32; keylen += 16)
      if (EVP_CIPHER_is_a(c, bulk_aead_name(aead, keylen)))
        return bulk_aead_name(aead, keylen);
  return "?";
}

int pvmw_tls_export(pvmw_tls *t, const char *label, const uint8_t *context,
                    size_t context_len, uint8_t *out, size_t n) {
  if (t->state != ST_ESTABLISHED ||
      SSL_export_keying_material(t->ssl, out, n, label, strlen(label), context,
                                 context_len, context != NULL) != 1) {
    ERR_clear_error();
    return -1;
  }
  return 0;
}

int pvmw_tls_bulk(pvmw_tls *t, int aead) {
  const SSL_CIPHER *sc = SSL_get_current_cipher(t->ssl);
  const char *name = sc ? SSL_CIPHER_get_name(sc) : "", *aead_name;
  const char *c2s = aead == PVMW_BULK_OCB ? BULK_OCB_C2S : BULK_LABEL_C2S;
  const char *s2c = aead == PVMW_BULK_OCB ? BULK_OCB_S2C : BULK_LABEL_S2C;
  EVP_CIPHER *c = NULL;
  size_t keylen;
  int ok;
  if (t->bulk)
    return 0;
  if (t->state != ST_ESTABLISHED || t->in_end != t->in_start ||
      SSL_pending(t->ssl) != 0 || SSL_has_pending(t->ssl)) {
    snprintf(t->reason, sizeof t->reason, "bulk mode: records still in flight");
    return -1;
  }
  if (strcmp(name, "TLS_AES_128_GCM_SHA256") == 0) {
    keylen = 16;
  } else if (strcmp(name, "TLS_AES_256_GCM_SHA384") == 0) {
    keylen = 32;
  } else {
    snprintf(t->reason, sizeof t->reason, "bulk mode: cipher %s", name);
    return -1;
  }
  if ((aead_name = bulk_aead_name(aead, keylen)) == NULL) {
    snprintf(t->reason, sizeof t->reason, "bulk mode: unknown AEAD %d", aead);
    return -1;
  }
  if (!pvmw_tls_bulk_has(aead)) {
    snprintf(t->reason, sizeof t->reason,
             "bulk mode: %s is not available from this OpenSSL (or is older "
             "than 3.0.5 for AES-OCB)",
             aead_name);
    return -1;
  }
  c = EVP_CIPHER_fetch(NULL, aead_name, NULL);
  ok = c != NULL && (t->bounce = malloc(BULK_CT_MAX)) != NULL &&
       bulk_dir_init(t, &t->bw, 1, c, keylen, t->server ? s2c : c2s) == 0 &&
       bulk_dir_init(t, &t->br, 0, c, keylen, t->server ? c2s : s2c) == 0;
  EVP_CIPHER_free(c); /* the contexts hold their own references */
  if (!ok) {
    ERR_clear_error();
    snprintf(t->reason, sizeof t->reason, "bulk mode: %s setup failed",
             aead_name);
    return -1;
  }
  t->bulk = 1;
  return 0;
}

int pvmw_tls_bulk_skip(pvmw_tls *t, uint64_t write_records,
                       uint64_t read_records) {
  /* Forward only, and never past the epoch's end (the next record then
   * takes the next key): no nonce can come round again. */
  if (!t->bulk || t->bw.seq > PVMW_TLS_BULK_KEY_RECORDS ||
      t->br.seq > PVMW_TLS_BULK_KEY_RECORDS ||
      write_records > PVMW_TLS_BULK_KEY_RECORDS - t->bw.seq ||
      read_records > PVMW_TLS_BULK_KEY_RECORDS - t->br.seq)
    return -1;
  t->bw.seq += write_records;
  t->br.seq += read_records;
  return 0;
}

int pvmw_tls_bulk_epochs(const pvmw_tls *t, uint64_t *write_epoch,
                         uint64_t *read_epoch) {
  if (!t->bulk)
    return -1;
  *write_epoch = t->bw.epoch;
  *read_epoch = t->br.epoch;
  return 0;
}

static void bulk_nonce(const struct bulk_dir *d, uint8_t nonce[12]) {
  memcpy(nonce, d->iv, 12);
  for (int i = 0; i < 8; i++)
    nonce[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* Seals n bytes (at most REC_PLAIN) as one record of inner content type
 * `type` (application data, or an alert) at out (n + REC_OVERHEAD bytes).
 * 0; -2 when the key update failed (the reason is set), -1 when encryption
 * did. */
static int bulk_seal(pvmw_tls *t, const uint8_t *p, size_t n, uint8_t type,
                     uint8_t *out) {
  struct bulk_dir *d = &t->bw;
  uint8_t nonce[12];
  size_t clen = n + 1 + BULK_TAG;
  int l, body, last;
  if (bulk_dir_next(t, d) < 0)
    return -2; /* the reason is set */
  out[0] = 0x17;
  out[1] = 0x03;
  out[2] = 0x03;
  out[3] = (uint8_t)(clen >> 8);
  out[4] = (uint8_t)clen;
  bulk_nonce(d, nonce);
  /* AES-OCB holds back a partial block until the next update or the
   * final: the output lengths say where each piece went. */
  if (EVP_EncryptInit_ex(d->ctx, NULL, NULL, NULL, nonce) != 1 ||
      EVP_EncryptUpdate(d->ctx, NULL, &l, out, 5) != 1 ||
      EVP_EncryptUpdate(d->ctx, out + 5, &body, p, (int)n) != 1 ||
      EVP_EncryptUpdate(d->ctx, out + 5 + body, &l, &type, 1) != 1 ||
      EVP_EncryptFinal_ex(d->ctx, out + 5 + body + l, &last) != 1 ||
      (size_t)body + (size_t)l + (size_t)last != n + 1 ||
      EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, BULK_TAG,
                          out + 5 + n + 1) != 1)
    return -1;
  d->seq++;
  return 0;
}

static int bulk_write(pvmw_tls *t, const uint8_t *p, size_t n) {
  size_t recs = (n + REC_PLAIN - 1) / REC_PLAIN;
  struct out_chunk *c;
  uint8_t *o;
  if (out_reserve(t, n + recs * REC_OVERHEAD) < 0) {
    snprintf(t->reason, sizeof t->reason, "out of memory");
    t->state = ST_FAILED;
    return PVMW_TLS_ERR;
  }
  c = t->out_tail;
  o = c->data + c->end;
  while (n > 0) {
    size_t k = n < REC_PLAIN ? n : REC_PLAIN;
    int r = bulk_seal(t, p, k, 0x17, o);
    if (r < 0) {
      ERR_clear_error();
      if (r == -1)
        snprintf(t->reason, sizeof t->reason, "encryption failed");
      t->state = ST_FAILED;
      return PVMW_TLS_ERR;
    }
    o += k + REC_OVERHEAD;
    c->end += k + REC_OVERHEAD;
    t->out_pending += k + REC_OVERHEAD;
    p += k;
    n -= k;
  }
  return 0;
}

/* The end of a bulk stream: a sealed close_notify alert (warning level),
 * as TLS 1.3 ends a connection, under this direction's key and next
 * sequence number, so that nobody else can forge it and a stream cut
 * short at a record boundary is told from one that ended. Nothing can be
 * written after it. 0 or PVMW_TLS_ERR. */
static int bulk_close(pvmw_tls *t) {
  static const uint8_t close_notify[2] = {1, 0};
  struct out_chunk *c;
  int r;
  if (t->state != ST_ESTABLISHED && t->state != ST_CLOSED)
    return PVMW_TLS_ERR;
  if (t->closed_sent)
    return 0;
  if (out_reserve(t, sizeof close_notify + REC_OVERHEAD) < 0) {
    snprintf(t->reason, sizeof t->reason, "out of memory");
    return PVMW_TLS_ERR;
  }
  c = t->out_tail;
  r = bulk_seal(t, close_notify, sizeof close_notify, 0x15, c->data + c->end);
  if (r < 0) {
    ERR_clear_error();
    if (r == -1)
      snprintf(t->reason, sizeof t->reason, "encryption failed");
    t->state = ST_FAILED;
    return PVMW_TLS_ERR;
  }
  c->end += sizeof close_notify + REC_OVERHEAD;
  t->out_pending += sizeof close_notify + REC_OVERHEAD;
  t->closed_sent = 1;
  return 0;
}

/* Opens the record at rec (5-byte header, clen bytes) into dst (room for
 * clen - BULK_TAG bytes). Returns the content length, or -1; -3 for the
 * peer's close record (t->state becomes ST_CLOSED). */
static long bulk_open(pvmw_tls *t, const uint8_t *rec, size_t clen,
                      uint8_t *dst) {
  struct bulk_dir *d = &t->br;
  uint8_t nonce[12];
  size_t plen = clen - BULK_TAG;
  int l, last;
  if (bulk_dir_next(t, d) < 0)
    return -1;
  bulk_nonce(d, nonce);
  if (EVP_DecryptInit_ex(d->ctx, NULL, NULL, NULL, nonce) != 1 ||
      EVP_DecryptUpdate(d->ctx, NULL, &l, rec, 5) != 1 ||
      EVP_DecryptUpdate(d->ctx, dst, &l, rec + 5, (int)plen) != 1 ||
      EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, BULK_TAG,
                          (void *)(rec + 5 + plen)) != 1 ||
      EVP_DecryptFinal_ex(d->ctx, dst + l, &last) != 1 ||
      (size_t)l + (size_t)last != plen) {
    ERR_clear_error();
    snprintf(t->reason, sizeof t->reason,
             "record authentication failed (tampered or out of order)");
    return -1;
  }
  d->seq++;
  while (plen > 0 && dst[plen - 1] == 0)
    plen--; /* padding */
  if (plen > REC_PLAIN + 1) {
    snprintf(t->reason, sizeof t->reason,
             "record of %zu bytes on a bulk link (at most %u)", plen - 1,
             REC_PLAIN);
    return -1;
  }
  if (plen == 3 && dst[2] == 0x15 && dst[0] == 1 && dst[1] == 0) {
    t->peer_closed = 1; /* this direction only, as in TLS 1.3 */
    snprintf(t->reason, sizeof t->reason, "peer closed the connection");
    return -3;
  }
  if (plen == 0 || dst[plen - 1] != 0x17) {
    snprintf(t->reason, sizeof t->reason,
             plen > 0 && dst[plen - 1] == 0x15
                 ? "peer sent an alert on a bulk link"
                 : "unexpected record type on a bulk link");
    return -1;
  }
  return (long)plen - 1;
}

static int bulk_read(pvmw_tls *t, uint8_t *plain, size_t cap) {
  size_t got = 0;
  if (t->state != ST_ESTABLISHED)
    return t->state == ST_CLOSED ? PVMW_TLS_CLOSED : PVMW_TLS_ERR;
  if (cap > INT_MAX)
    cap = INT_MAX;
  while (got < cap && !t->peer_closed) {
    const uint8_t *h;
    size_t avail, clen;
    uint8_t *dst;
    long k;
    if (t->bounce_off < t->bounce_len) {
      size_t m = t->bounce_len - t->bounce_off;
      if (m > cap - got)
        m = cap - got;
      memcpy(plain + got, t->bounce + t->bounce_off, m);
      t->bounce_off += m;
      got += m;
      continue;
    }
    avail = t->in_end - t->in_start;
    h = t->in + t->in_start;
    if (avail < 5)
      break;
    clen = (size_t)h[3] << 8 | h[4];
    if (h[0] != 0x17 || h[1] != 0x03 || h[2] != 0x03 || clen < BULK_TAG + 1 ||
        clen > BULK_CT_MAX) {
      snprintf(t->reason, sizeof t->reason, "malformed record on a bulk link");
      t->state = ST_FAILED;
      break;
    }
    if (avail < 5 + clen)
      break;
    /* Straight into the caller's buffer when the record fits. */
    dst = cap - got >= clen - BULK_TAG ? plain + got : t->bounce;
    k = bulk_open(t, h, clen, dst);
    if (k == -3) {
      /* Whatever follows the close record is not read. */
      t->in_start = t->in_end;
      break;
    }
    if (k < 0) {
      t->state = ST_FAILED;
      break;
    }
    t->in_start += 5 + clen;
    if (dst == t->bounce) {
      t->bounce_off = 0;
      t->bounce_len = (size_t)k;
    } else {
      got += (size_t)k;
    }
  }
  if (t->in_start == t->in_end)
    t->in_start = t->in_end = 0;
  if (got > 0)
    return (int)got;
  if (t->peer_closed)
    return PVMW_TLS_CLOSED;
  return t->state == ST_FAILED ? PVMW_TLS_ERR : 0;
}
