/* One TLS connection of the engine (tls.h): an OpenSSL SSL object wired to
 * a custom BIO whose reads come from our input buffer and whose writes go
 * to a queue of ciphertext chunks, so that any I/O layer (libuv, a test)
 * moves the bytes. Failures are turned into one readable reason per
 * connection, for the log. */
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
int pvmw_tls_out_reserve(pvmw_tls *t, size_t need) {
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
      if (pvmw_tls_out_reserve(t, n) < 0)
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

static BIO_METHOD *bio_method; /* made once: pvmw_tls_bio_method */
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

BIO_METHOD *pvmw_tls_bio_method(void) {
  if (!CRYPTO_THREAD_run_once(&bio_once, bio_method_init))
    return NULL;
  return bio_method;
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
void pvmw_tls_fail(pvmw_tls *t, int sslerr) {
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

/* ---- connections ------------------------------------------------------ */

pvmw_tls *pvmw_tls_new(pvmw_tls_ctx *c, const char *expect_name) {
  pvmw_tls *t = calloc(1, sizeof *t);
  BIO *b;
  if (t == NULL)
    return NULL;
  t->server = c->server;
  t->state = ST_HANDSHAKE;
  t->ssl = SSL_new(c->ssl);
  b = BIO_new(pvmw_tls_bio_method());
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
  pvmw_tls_ctx_unref(t->ctx);
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
    pvmw_tls_copy_printable(text, sizeof text, t->first, (int)t->first_len);
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
    pvmw_tls_cert_name(SSL_get0_peer_certificate(t->ssl), t->peer,
                       sizeof t->peer);
    return 1;
  }
  r = SSL_get_error(t->ssl, r);
  if (r == SSL_ERROR_WANT_READ || r == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return 0;
  }
  pvmw_tls_fail(t, r);
  return PVMW_TLS_ERR;
}

int pvmw_tls_established(const pvmw_tls *t) {
  return t->state == ST_ESTABLISHED;
}

int pvmw_tls_read(pvmw_tls *t, void *plain, size_t cap) {
  uint8_t *p = plain;
  size_t got = 0;
  if (t->bulk)
    return pvmw_tls_bulk_read(t, plain, cap);
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
      pvmw_tls_fail(t, e);
    }
    break;
  }
  if (got > 0)
    return (int)got;
  if (t->state == ST_CLOSED)
    return PVMW_TLS_CLOSED;
  return t->state == ST_FAILED ? PVMW_TLS_ERR : 0;
}

int pvmw_tls_write(pvmw_tls *t, const void *plain, size_t n) {
  const uint8_t *p = plain;
  size_t done = 0;
  if (t->state != ST_ESTABLISHED)
    return PVMW_TLS_ERR;
  if (n == 0)
    return 0;
  if (t->bulk)
    return t->closed_sent ? PVMW_TLS_ERR : pvmw_tls_bulk_write(t, plain, n);
  /* Room for all the records at once: one contiguous ciphertext run. */
  if (pvmw_tls_out_reserve(t, n + (n / REC_PLAIN + 1) * REC_OVERHEAD + 64) < 0)
    return PVMW_TLS_ERR;
  ERR_clear_error();
  while (done < n) {
    size_t w = 0;
    if (!SSL_write_ex(t->ssl, p + done, n - done, &w)) {
      pvmw_tls_fail(t, SSL_get_error(t->ssl, 0));
      return PVMW_TLS_ERR;
    }
    done += w;
  }
  return 0;
}

int pvmw_tls_shutdown(pvmw_tls *t) {
  if (t->bulk)
    return pvmw_tls_bulk_close(t);
  if (t->state != ST_ESTABLISHED && t->state != ST_CLOSED)
    return PVMW_TLS_ERR;
  ERR_clear_error();
  if (SSL_shutdown(t->ssl) < 0) {
    pvmw_tls_fail(t, SSL_get_error(t->ssl, -1));
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
