/* Bulk mode of the TLS engine (tls.h, pvmw_tls_bulk): TLS 1.3 records
 * sealed and opened by the engine itself under keys exported from the
 * session, straight from the sender's memory and into the reader's
 * buffer, with a key ratchet per direction. */
#include "tls_int.h"

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

int pvmw_tls_bulk_write(pvmw_tls *t, const uint8_t *p, size_t n) {
  size_t recs = (n + REC_PLAIN - 1) / REC_PLAIN;
  struct out_chunk *c;
  uint8_t *o;
  if (pvmw_tls_out_reserve(t, n + recs * REC_OVERHEAD) < 0) {
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
int pvmw_tls_bulk_close(pvmw_tls *t) {
  static const uint8_t close_notify[2] = {1, 0};
  struct out_chunk *c;
  int r;
  if (t->state != ST_ESTABLISHED && t->state != ST_CLOSED)
    return PVMW_TLS_ERR;
  if (t->closed_sent)
    return 0;
  if (pvmw_tls_out_reserve(t, sizeof close_notify + REC_OVERHEAD) < 0) {
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

int pvmw_tls_bulk_read(pvmw_tls *t, uint8_t *plain, size_t cap) {
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
