/* Unit tests for sec/tls_*.c: handshakes between two in-memory engines (and
 * raw OpenSSL peers for what the engine cannot be: TLS 1.2, no client
 * certificate) over a throw-away PKI with fixed dates; refusals with their
 * reasons; rotation; data integrity; bulk mode and its key updates;
 * and a throughput figure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it relies on */

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pki.h"
#include "pvmtest.h"
#include "tls.h"
#include "tls_test.h"

#define T1999 915148800L
#define T2000 946684800L
#define T2001 978307200L
#define T2020 1577836800L
#define T2040 2208988800L
#define T2099 4070908800L
#define T2100 4102444800L

static char root[64];

/* Path of a PKI file; a few rotating buffers so calls can be nested. */
static const char *P(const char *rel) {
  static char bufs[8][512];
  static int i;
  char *b = bufs[i++ % 8];
  snprintf(b, 512, "%s/%s", root, rel);
  return b;
}

static int make(const char *ca, const char *prefix, const char *name, long nb,
                long na) {
  char err[256];
  if (pvmw_pki_make_cert(P(ca), P(prefix), name, nb, na, err, sizeof err) < 0) {
    fprintf(stderr, "make_cert %s: %s\n", prefix, err);
    return -1;
  }
  return 0;
}

static int setup(void **state) {
  char err[256];
  (void)state;
  snprintf(root, sizeof root, "/tmp/pvmng-tls-XXXXXX");
  if (mkdtemp(root) == NULL || mkdir(P("ca1"), 0700) < 0 ||
      mkdir(P("ca2"), 0700) < 0)
    return -1;
  /* CA2 has the same name as CA1: only the key tells them apart. */
  if (pvmw_pki_make_ca(P("ca1"), "PVM test CA", T1999, T2100, err, sizeof err) <
          0 ||
      pvmw_pki_make_ca(P("ca2"), "PVM test CA", T1999, T2100, err, sizeof err) <
          0) {
    fprintf(stderr, "make_ca: %s\n", err);
    return -1;
  }
  if (make("ca1", "hosta", "hosta", T2020, T2040) < 0 ||
      make("ca1", "hostb", "hostb", T2020, T2040) < 0 ||
      make("ca1", "hostb-expired", "hostb", T2000, T2001) < 0 ||
      make("ca1", "hostb-future", "hostb", T2099, T2100) < 0 ||
      make("ca2", "hostb-ca2", "hostb", T2020, T2040) < 0 ||
      make("ca1", "hosta-new", "hosta", T2020, T2040) < 0)
    return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return pvmt_rm_rf(root);
}

static pvmw_tls_ctx *ctx(int server, const char *ca, const char *who) {
  char err[256] = "", pem[64], key[64];
  pvmw_tls_ctx *c;
  snprintf(pem, sizeof pem, "%s.pem", who);
  snprintf(key, sizeof key, "%s.key", who);
  c = pvmw_tls_ctx_new(server, P(ca), P(pem), P(key), err, sizeof err);
  if (c == NULL)
    fprintf(stderr, "ctx_new %s: %s\n", who, err);
  assert_non_null(c);
  return c;
}

/* Moves every pending ciphertext byte of `from` into `to`, `chunk` bytes
 * per feed. Returns the bytes moved, or -1 when `to` refused them. */
static long shuttle(pvmw_tls *from, pvmw_tls *to, size_t chunk) {
  const uint8_t *d;
  size_t n;
  long moved = 0;
  while ((n = pvmw_tls_outgoing(from, &d)) > 0) {
    if (n > chunk)
      n = chunk;
    if (pvmw_tls_feed(to, d, n) < 0) {
      pvmw_tls_consumed(from, pvmw_tls_pending(from));
      return -1;
    }
    pvmw_tls_consumed(from, n);
    moved += (long)n;
  }
  return moved;
}

/* Runs a handshake to its end; *rc_c and *rc_s get the last results. */
static void handshake(pvmw_tls *c, pvmw_tls *s, size_t chunk, int *rc_c,
                      int *rc_s) {
  *rc_c = *rc_s = 0;
  for (int i = 0; i < 10000; i++) {
    long m1, m2;
    *rc_c = pvmw_tls_handshake(c);
    m1 = shuttle(c, s, chunk);
    *rc_s = pvmw_tls_handshake(s);
    m2 = shuttle(s, c, chunk);
    if (m1 == 0 && m2 == 0)
      break;
  }
}

/* A client that finished may learn of its refusal only on reading. */
static int client_read_result(pvmw_tls *c) {
  uint8_t b;
  return pvmw_tls_read(c, &b, 1);
}

static void test_valid(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hostb");
  pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hosta");
  static const size_t chunks[] = {1 << 20, 1, 7};
  uint8_t b1[32], b2[32], b3[32], zero[32] = {0};
  char err[256];
  assert_int_equal(pvmw_tls_ctx_check(sc, err, sizeof err), 0);
  for (size_t k = 0; k < 3; k++) {
    pvmw_tls *c = pvmw_tls_new(cc, "hostb");
    pvmw_tls *s = pvmw_tls_new(sc, "hosta");
    int rc, rs;
    assert_int_equal(pvmw_tls_binding(c, b1), -1); /* not yet */
    assert_int_equal(pvmw_tls_write(c, "x", 1), PVMW_TLS_ERR);
    handshake(c, s, chunks[k], &rc, &rs);
    assert_int_equal(rc, 1);
    assert_int_equal(rs, 1);
    assert_true(pvmw_tls_established(c) && pvmw_tls_established(s));
    assert_string_equal(pvmw_tls_peer_name(c), "hostb");
    assert_string_equal(pvmw_tls_peer_name(s), "hosta");
    assert_string_equal(pvmw_tls_reason(c), "");
    assert_string_equal(pvmw_tls_cipher(c), "TLS_AES_128_GCM_SHA256");
    assert_int_equal(pvmw_tls_binding(c, b1), 0);
    assert_int_equal(pvmw_tls_binding(s, b2), 0);
    assert_memory_equal(b1, b2, 32);
    assert_memory_not_equal(b1, zero, 32);
    if (k > 0)
      assert_memory_not_equal(b1, b3, 32); /* another connection */
    memcpy(b3, b1, 32);
    pvmw_tls_free(c);
    pvmw_tls_free(s);
  }
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

/* Sends n bytes from a to b and checks they arrive intact. */
static void round_trip(pvmw_tls *a, pvmw_tls *b, size_t n) {
  uint8_t *src = malloc(n), *dst = malloc(n);
  size_t got = 0;
  assert_non_null(src);
  assert_non_null(dst);
  for (size_t i = 0; i < n; i++)
    src[i] = (uint8_t)(i * 2654435761u >> 13);
  assert_int_equal(pvmw_tls_write(a, src, n), 0);
  /* Writes are sealed in full records: overhead is small. */
  assert_true(pvmw_tls_pending(a) <= n + (n / 16384 + 1) * 22);
  assert_true(shuttle(a, b, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_pending(a), 0);
  while (got < n) {
    int r = pvmw_tls_read(b, dst + got, n - got > 100000 ? 100000 : n - got);
    assert_true(r > 0);
    got += (size_t)r;
  }
  assert_int_equal(pvmw_tls_read(b, dst, 1), 0);
  assert_memory_equal(src, dst, n);
  free(src);
  free(dst);
}

static void test_data(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hostb");
  pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hosta");
  pvmw_tls *c = pvmw_tls_new(cc, "hostb");
  pvmw_tls *s = pvmw_tls_new(sc, NULL);
  int rc, rs;
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, 1);
  assert_int_equal(rs, 1);
  /* The contexts may go first: connections hold a reference. */
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
  round_trip(c, s, 1);
  round_trip(s, c, 1);
  round_trip(c, s, 4u << 20);
  round_trip(s, c, 4u << 20);
  round_trip(c, s, 16384);
  round_trip(c, s, 16385);
  /* Pending ciphertext stays put while more is written. */
  {
    static uint8_t big[1 << 20];
    const uint8_t *p1, *p2;
    size_t n1, n2;
    uint8_t *copy;
    assert_int_equal(pvmw_tls_write(c, big, sizeof big), 0);
    n1 = pvmw_tls_outgoing(c, &p1);
    assert_true(n1 >= sizeof big); /* one contiguous run */
    copy = malloc(n1);
    memcpy(copy, p1, n1);
    assert_int_equal(pvmw_tls_write(c, big, sizeof big), 0);
    n2 = pvmw_tls_outgoing(c, &p2);
    assert_ptr_equal(p1, p2);
    assert_true(n2 >= n1);
    assert_memory_equal(p1, copy, n1);
    free(copy);
    assert_true(shuttle(c, s, 1 << 16) > 0);
    for (size_t got = 0; got < 2 * sizeof big;) {
      int r = pvmw_tls_read(s, big, sizeof big);
      assert_true(r > 0);
      got += (size_t)r;
    }
  }
  /* Clean close. */
  assert_int_equal(pvmw_tls_shutdown(c), 0);
  assert_true(shuttle(c, s, 1 << 16) > 0);
  assert_int_equal(client_read_result(s), PVMW_TLS_CLOSED);
  pvmw_tls_free(c);
  pvmw_tls_free(s);
}

/* The bulk tests run once per AEAD: their state points at it. */
static int aead_gcm = PVMW_BULK_GCM, aead_ocb = PVMW_BULK_OCB;
#define AEAD(state) (*(const int *)*(state))
/* Both entries of a bulk test, named after their AEAD. */
/* clang-format off */
#define BULK_TESTS(f)                                                          \
  {#f " (AES-GCM)", f, NULL, NULL, &aead_gcm},                                 \
  {#f " (AES-OCB)", f, NULL, NULL, &aead_ocb}
/* clang-format on */

/* Bulk mode: both ends switch after one record each way through OpenSSL;
 * data then flows in both directions, in any chunking, and a record that
 * was tampered with is refused. */
static void test_bulk(void **state) {
  const int aead = AEAD(state);
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hostb");
  pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hosta");
  pvmw_tls *c = pvmw_tls_new(cc, "hostb");
  pvmw_tls *s = pvmw_tls_new(sc, NULL);
  uint8_t small[64], buf[40000];
  const uint8_t *d;
  size_t n, got;
  int rc, rs;
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, 1);
  assert_int_equal(rs, 1);
  round_trip(c, s, 100); /* the hello */
  /* A record fed but not read: switching now would lose it. */
  assert_int_equal(pvmw_tls_write(s, "reply", 5), 0);
  assert_true(shuttle(s, c, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_bulk(c, aead), -1);
  assert_non_null(strstr(pvmw_tls_reason(c), "in flight"));
  assert_int_equal(pvmw_tls_read(c, small, sizeof small), 5);
  assert_string_equal(pvmw_tls_bulk_cipher(c), "");
  assert_int_equal(pvmw_tls_bulk(c, aead), 0);
  assert_int_equal(pvmw_tls_bulk(s, aead), 0);
  assert_string_equal(pvmw_tls_bulk_cipher(c),
                      aead == PVMW_BULK_OCB ? "AES-128-OCB" : "AES-128-GCM");
  assert_string_equal(pvmw_tls_bulk_cipher(s), pvmw_tls_bulk_cipher(c));
  round_trip(c, s, 1);
  round_trip(s, c, 15);
  round_trip(c, s, 17);
  round_trip(s, c, 1);
  round_trip(c, s, 4u << 20);
  round_trip(s, c, 4u << 20);
  round_trip(c, s, 16384);
  round_trip(s, c, 16385);
  /* Reads smaller than a record go through the engine's bounce buffer;
   * ciphertext fed a byte at a time. */
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)(i * 7);
  assert_int_equal(pvmw_tls_write(c, buf, sizeof buf), 0);
  assert_true(shuttle(c, s, 1) > 0);
  got = 0;
  while (got < sizeof buf) {
    int r = pvmw_tls_read(s, small, 7);
    assert_true(r > 0 && r <= 7);
    for (int i = 0; i < r; i++)
      assert_int_equal(small[i], (uint8_t)((got + (size_t)i) * 7));
    got += (size_t)r;
  }
  assert_int_equal(pvmw_tls_read(s, small, 1), 0);
  /* The sealed close record ends the server's direction: the client reads
   * what came before it, then the end (not an error, not "more to come"),
   * and the server writes nothing after it. */
  assert_int_equal(pvmw_tls_write(s, "tail", 4), 0);
  assert_int_equal(pvmw_tls_shutdown(s), 0);
  assert_int_equal(pvmw_tls_write(s, "more", 4), PVMW_TLS_ERR);
  assert_true(shuttle(s, c, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_read(c, small, sizeof small), 4);
  assert_memory_equal(small, "tail", 4);
  assert_int_equal(pvmw_tls_read(c, small, sizeof small), PVMW_TLS_CLOSED);
  /* One flipped bit: refused, and the engine stays failed. */
  assert_int_equal(pvmw_tls_write(c, buf, 1000), 0);
  n = pvmw_tls_outgoing(c, &d);
  assert_true(n > 100);
  ((uint8_t *)d)[50] ^= 0x10;
  assert_true(shuttle(c, s, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_read(s, buf, sizeof buf), PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(s), "authentication failed"));
  assert_int_equal(pvmw_tls_read(s, buf, sizeof buf), PVMW_TLS_ERR);
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

/* A client and a server in bulk mode, switched as test_bulk does (one
 * record each way through OpenSSL first), that have then sent one bulk
 * record each way: each end's counters stand at 1. */
/* A client and a server of the same CA, their handshake done. */
static void tls_pair(pvmw_tls_ctx **sc, pvmw_tls_ctx **cc, pvmw_tls **c,
                     pvmw_tls **s) {
  int rc, rs;
  *sc = ctx(1, "ca1/ca.pem", "hostb");
  *cc = ctx(0, "ca1/ca.pem", "hosta");
  *c = pvmw_tls_new(*cc, "hostb");
  *s = pvmw_tls_new(*sc, NULL);
  assert_non_null(*c);
  assert_non_null(*s);
  handshake(*c, *s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, 1);
  assert_int_equal(rs, 1);
}

static void bulk_pair(pvmw_tls_ctx **sc, pvmw_tls_ctx **cc, pvmw_tls **c,
                      pvmw_tls **s, int caead, int saead) {
  uint8_t small[16];
  tls_pair(sc, cc, c, s);
  /* Not in bulk mode yet: nothing to advance. */
  assert_int_equal(pvmw_tls_bulk_skip(*c, 1, 1), -1);
  round_trip(*c, *s, 100);
  assert_int_equal(pvmw_tls_write(*s, "reply", 5), 0);
  assert_true(shuttle(*s, *c, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_read(*c, small, sizeof small), 5);
  assert_int_equal(pvmw_tls_bulk(*c, caead), 0);
  assert_int_equal(pvmw_tls_bulk(*s, saead), 0);
  if (caead != saead)
    return;
  round_trip(*c, *s, 100);
  round_trip(*s, *c, 100);
}

static void bulk_pair_free(pvmw_tls_ctx *sc, pvmw_tls_ctx *cc, pvmw_tls *c,
                           pvmw_tls *s) {
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

/* Bulk mode's key update: with both ends advanced alike to just short of
 * an epoch's end, records go on intact across it in both directions, and
 * both ends of each direction are in epoch 1 after it. */
static void test_bulk_key_update(void **state) {
  const int aead = AEAD(state);
  const uint64_t key = PVMW_TLS_BULK_KEY_RECORDS;
  pvmw_tls_ctx *sc, *cc;
  pvmw_tls *c, *s;
  uint64_t cw, cr, sw, sr;
  bulk_pair(&sc, &cc, &c, &s, aead, aead);
  assert_int_equal(pvmw_tls_bulk_epochs(c, &cw, &cr), 0);
  assert_true(cw == 0 && cr == 0);
  /* A counter never passes the epoch's end. */
  assert_int_equal(pvmw_tls_bulk_skip(c, key, 0), -1);
  assert_int_equal(pvmw_tls_bulk_skip(c, 0, UINT64_MAX), -1);
  /* Client to server: 1 record sent so far, advanced to key - 2. */
  assert_int_equal(pvmw_tls_bulk_skip(c, key - 3, 0), 0);
  assert_int_equal(pvmw_tls_bulk_skip(s, 0, key - 3), 0);
  /* Server to client: to key - 1, one record left in the epoch. */
  assert_int_equal(pvmw_tls_bulk_skip(s, key - 2, 0), 0);
  assert_int_equal(pvmw_tls_bulk_skip(c, 0, key - 2), 0);
  /* Three records: the last two of epoch 0, the first of epoch 1. */
  round_trip(c, s, 40000);
  /* The last record of epoch 0, then one of epoch 1. */
  round_trip(s, c, 1000);
  assert_int_equal(pvmw_tls_bulk_epochs(s, &sw, &sr), 0);
  assert_true(sw == 0 && sr == 1);
  round_trip(s, c, 1000);
  assert_int_equal(pvmw_tls_bulk_epochs(c, &cw, &cr), 0);
  assert_int_equal(pvmw_tls_bulk_epochs(s, &sw, &sr), 0);
  assert_true(cw == 1 && cr == 1 && sw == 1 && sr == 1);
  /* And on, in both directions. */
  round_trip(c, s, 100000);
  round_trip(s, c, 100000);
  bulk_pair_free(sc, cc, c, s);
}

/* The sealed record of message m at c's current write position. */
static void seal_one(pvmw_tls *c, const char *m, uint8_t *out, size_t len) {
  const uint8_t *d;
  assert_int_equal(pvmw_tls_write(c, m, strlen(m)), 0);
  assert_int_equal(pvmw_tls_outgoing(c, &d), len);
  memcpy(out, d, len);
  pvmw_tls_consumed(c, len);
}

/* Each epoch has keys of its own: the same message at the same sequence
 * number in epochs 0 and 1 seals to different records. */
static void test_bulk_epoch_keys(void **state) {
  const int aead = AEAD(state);
  const uint64_t key = PVMW_TLS_BULK_KEY_RECORDS;
  pvmw_tls_ctx *sc, *cc;
  pvmw_tls *c, *s;
  uint8_t r0[5 + 6 + 1 + 16], r1[sizeof r0];
  uint64_t cw, cr;
  bulk_pair(&sc, &cc, &c, &s, aead, aead);
  /* Epoch 0, sequence number 1. */
  seal_one(c, "same 6", r0, sizeof r0);
  /* To the epoch's end, then epoch 1's record 0, then its record 1. */
  assert_int_equal(pvmw_tls_bulk_skip(c, key - 2, 0), 0);
  seal_one(c, "other", r1, sizeof r1 - 1);
  seal_one(c, "same 6", r1, sizeof r1);
  assert_int_equal(pvmw_tls_bulk_epochs(c, &cw, &cr), 0);
  assert_true(cw == 1 && cr == 0);
  assert_memory_equal(r0, r1, 5); /* the same header */
  assert_memory_not_equal(r0 + 5, r1 + 5, sizeof r0 - 5);
  bulk_pair_free(sc, cc, c, s);
}

/* What the engine seals with aead under the key and IV of epoch (epoch 0's
 * exported from c's session under label, later ones by the ratchet from
 * epoch 0's secret, exported under label with the context "ratchet"), at
 * sequence number seq: message m, its type byte, header as AAD, tag. */
static void expected_record(pvmw_tls *c, int aead, const char *label,
                            uint64_t epoch, uint64_t seq, const char *m,
                            uint8_t *out, size_t len) {
  uint8_t km[16 + 12], nonce[12], type = 0x17;
  size_t n = strlen(m);
  int l, l2, l3;
  EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
  assert_int_equal(len, 5 + n + 1 + 16);
  if (epoch == 0) {
    assert_int_equal(pvmw_tls_export(c, label, NULL, 0, km, sizeof km), 0);
  } else {
    /* The ratchet from epoch 0's secret, one step per epoch. */
    uint8_t secret[32];
    assert_int_equal(pvmw_tls_export(c, label, (const uint8_t *)"ratchet", 7,
                                     secret, sizeof secret),
                     0);
    for (uint64_t e = 0; e < epoch; e++)
      assert_int_equal(pvmw_tls_bulk_ratchet(secret, km, sizeof km), 0);
  }
  memcpy(nonce, km + 16, 12);
  for (int i = 0; i < 8; i++)
    nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
  out[0] = 0x17;
  out[1] = 0x03;
  out[2] = 0x03;
  out[3] = (uint8_t)((n + 17) >> 8);
  out[4] = (uint8_t)(n + 17);
  assert_non_null(x);
  assert_int_equal(EVP_EncryptInit_ex(x,
                                      aead == PVMW_BULK_OCB ? EVP_aes_128_ocb()
                                                            : EVP_aes_128_gcm(),
                                      NULL, km, nonce),
                   1);
  assert_int_equal(EVP_EncryptUpdate(x, NULL, &l, out, 5), 1);
  assert_int_equal(
      EVP_EncryptUpdate(x, out + 5, &l, (const uint8_t *)m, (int)n), 1);
  assert_int_equal(EVP_EncryptUpdate(x, out + 5 + l, &l2, &type, 1), 1);
  assert_int_equal(EVP_EncryptFinal_ex(x, out + 5 + l + l2, &l3), 1);
  assert_int_equal((size_t)(l + l2 + l3), n + 1);
  assert_int_equal(
      EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + n + 1), 1);
  EVP_CIPHER_CTX_free(x);
}

/* Known answers: the client's records are exactly what the AEAD makes under
 * the keys exported with its direction's label (one label per AEAD), in
 * epoch 0 and, with the epoch as context, in epoch 1. */
static void test_bulk_known_answer(void **state) {
  const int aead = AEAD(state);
  const uint64_t key = PVMW_TLS_BULK_KEY_RECORDS;
  const char *label = aead == PVMW_BULK_OCB
                          ? "EXPORTER-pvmng-bulk-ocb-client-to-server"
                          : "EXPORTER-pvmng-bulk-client-to-server";
  pvmw_tls_ctx *sc, *cc;
  pvmw_tls *c, *s;
  uint8_t got[5 + 6 + 1 + 16], want[sizeof got];
  bulk_pair(&sc, &cc, &c, &s, aead, aead);
  assert_string_equal(pvmw_tls_bulk_cipher(c),
                      aead == PVMW_BULK_OCB ? "AES-128-OCB" : "AES-128-GCM");
  /* bulk_pair sent one record: this is record 1 of epoch 0. */
  seal_one(c, "same 6", got, sizeof got);
  expected_record(c, aead, label, 0, 1, "same 6", want, sizeof want);
  assert_memory_equal(got, want, sizeof got);
  /* Record 1 of epoch 1. */
  assert_int_equal(pvmw_tls_bulk_skip(c, key - 2, 0), 0);
  seal_one(c, "other", got, sizeof got - 1);
  seal_one(c, "same 6", got, sizeof got);
  expected_record(c, aead, label, 1, 1, "same 6", want, sizeof want);
  assert_memory_equal(got, want, sizeof got);
  /* Record 1 of epoch 2: two steps of the ratchet. */
  assert_int_equal(pvmw_tls_bulk_skip(c, key - 2, 0), 0);
  seal_one(c, "other", got, sizeof got - 1);
  seal_one(c, "same 6", got, sizeof got);
  expected_record(c, aead, label, 2, 1, "same 6", want, sizeof want);
  assert_memory_equal(got, want, sizeof got);
  bulk_pair_free(sc, cc, c, s);
}

/* The record sequence number is part of the nonce: ends advanced alike
 * still talk, but a reader one record ahead of the writer cannot open the
 * writer's next record. */
static void test_bulk_out_of_step(void **state) {
  const int aead = AEAD(state);
  pvmw_tls_ctx *sc, *cc;
  pvmw_tls *c, *s;
  uint8_t buf[64];
  bulk_pair(&sc, &cc, &c, &s, aead, aead);
  assert_int_equal(pvmw_tls_bulk_skip(c, 1000, 0), 0);
  assert_int_equal(pvmw_tls_bulk_skip(s, 0, 1000), 0);
  round_trip(c, s, 100);
  assert_int_equal(pvmw_tls_bulk_skip(c, 1000, 0), 0);
  assert_int_equal(pvmw_tls_bulk_skip(s, 0, 1001), 0);
  assert_int_equal(pvmw_tls_write(c, "hello", 5), 0);
  assert_true(shuttle(c, s, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_read(s, buf, sizeof buf), PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(s), "record authentication failed"));
  bulk_pair_free(sc, cc, c, s);
}

/* The two AEADs: both here; ends that switched to different ones cannot
 * open each other's records (their keys come from different labels); an
 * AEAD that does not exist is refused. */
static void test_bulk_aeads(void **state) {
  (void)state;
  pvmw_tls_ctx *sc, *cc;
  pvmw_tls *c, *s;
  uint8_t buf[64];
  assert_int_equal(pvmw_tls_bulk_has(PVMW_BULK_GCM), 1);
  assert_int_equal(pvmw_tls_bulk_has(PVMW_BULK_OCB), 1);
  assert_int_equal(pvmw_tls_bulk_has(7), 0);
  bulk_pair(&sc, &cc, &c, &s, PVMW_BULK_OCB, PVMW_BULK_GCM);
  assert_int_equal(pvmw_tls_write(c, "hello", 5), 0);
  assert_true(shuttle(c, s, 1 << 16) > 0);
  assert_int_equal(pvmw_tls_read(s, buf, sizeof buf), PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(s), "record authentication failed"));
  assert_int_equal(pvmw_tls_write(s, "hello", 5), PVMW_TLS_ERR);
  bulk_pair_free(sc, cc, c, s);
  /* An unknown AEAD: refused, and the engine is not in bulk mode. */
  tls_pair(&sc, &cc, &c, &s);
  round_trip(c, s, 100);
  assert_int_equal(pvmw_tls_bulk(c, 7), -1);
  assert_non_null(strstr(pvmw_tls_reason(c), "unknown AEAD"));
  assert_string_equal(pvmw_tls_bulk_cipher(c), "");
  round_trip(c, s, 100); /* still speaking TLS */
  bulk_pair_free(sc, cc, c, s);
}

/* A handshake between engines presenting `cwho` and `swho` that must fail;
 * checks the reason on the side expected to refuse. */
static void refused(const char *cca, const char *cwho, const char *sca,
                    const char *swho, const char *cexpect, const char *sexpect,
                    int server_refuses, const char *want,
                    const char *other_want) {
  pvmw_tls_ctx *sc = ctx(1, sca, swho);
  pvmw_tls_ctx *cc = ctx(0, cca, cwho);
  pvmw_tls *c = pvmw_tls_new(cc, cexpect);
  pvmw_tls *s = pvmw_tls_new(sc, sexpect);
  int rc, rs;
  handshake(c, s, 1 << 20, &rc, &rs);
  if (server_refuses) {
    assert_int_equal(rs, PVMW_TLS_ERR);
    assert_false(pvmw_tls_established(s));
    if (strstr(pvmw_tls_reason(s), want) == NULL)
      fail_msg("server reason \"%s\" lacks \"%s\"", pvmw_tls_reason(s), want);
    /* The client learns it from the alert. */
    if (rc == 1)
      assert_int_equal(client_read_result(c), PVMW_TLS_ERR);
    if (other_want && strstr(pvmw_tls_reason(c), other_want) == NULL)
      fail_msg("client reason \"%s\" lacks \"%s\"", pvmw_tls_reason(c),
               other_want);
  } else {
    assert_int_equal(rc, PVMW_TLS_ERR);
    assert_false(pvmw_tls_established(c));
    assert_false(pvmw_tls_established(s));
    if (strstr(pvmw_tls_reason(c), want) == NULL)
      fail_msg("client reason \"%s\" lacks \"%s\"", pvmw_tls_reason(c), want);
    assert_int_equal(rs, PVMW_TLS_ERR);
    if (other_want && strstr(pvmw_tls_reason(s), other_want) == NULL)
      fail_msg("server reason \"%s\" lacks \"%s\"", pvmw_tls_reason(s),
               other_want);
  }
  printf("    refused: client \"%s\" / server \"%s\"\n", pvmw_tls_reason(c),
         pvmw_tls_reason(s));
  /* Nothing more comes out of a failed connection. */
  assert_true(pvmw_tls_write(rc < 0 ? c : s, "x", 1) < 0);
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

static void test_other_ca(void **state) {
  (void)state;
  /* Client from another VM (trusts CA1, but its cert is from CA2). */
  refused("ca1/ca.pem", "hostb-ca2", "ca1/ca.pem", "hosta", "hosta", NULL, 1,
          "unknown CA", "peer refused our certificate: unknown CA");
  /* Server from another VM. */
  refused("ca1/ca.pem", "hosta", "ca2/ca.pem", "hostb-ca2", "hostb", NULL, 0,
          "unknown CA", "peer refused our certificate: unknown CA");
}

static void test_expired(void **state) {
  (void)state;
  refused("ca1/ca.pem", "hosta", "ca1/ca.pem", "hostb-expired", "hostb", NULL,
          0, "certificate has expired", NULL);
  refused("ca1/ca.pem", "hostb-expired", "ca1/ca.pem", "hosta", "hosta", NULL,
          1, "certificate has expired",
          "peer refused our certificate: certificate has expired");
}

static void test_not_yet_valid(void **state) {
  (void)state;
  refused("ca1/ca.pem", "hosta", "ca1/ca.pem", "hostb-future", "hostb", NULL, 0,
          "certificate is not yet valid", NULL);
  refused("ca1/ca.pem", "hostb-future", "ca1/ca.pem", "hosta", "hosta", NULL, 1,
          "certificate is not yet valid", "peer refused our certificate");
}

static void test_name_mismatch(void **state) {
  (void)state;
  refused("ca1/ca.pem", "hosta", "ca1/ca.pem", "hostb", "hostc", NULL, 0,
          "peer name mismatch: wanted hostc got hostb", NULL);
  refused("ca1/ca.pem", "hosta", "ca1/ca.pem", "hostb", "hostb", "hostz", 1,
          "peer name mismatch: wanted hostz got hosta", NULL);
  /* A wildcard-looking expectation never matches a plain name. */
  refused("ca1/ca.pem", "hosta", "ca1/ca.pem", "hostb", "*", NULL, 0,
          "peer name mismatch", NULL);
}

static void test_ctx_errors(void **state) {
  (void)state;
  char err[256] = "";
  pvmw_tls_ctx *c;
  assert_null(pvmw_tls_ctx_new(1, P("nope.pem"), P("hosta.pem"), P("hosta.key"),
                               err, sizeof err));
  assert_non_null(strstr(err, "nope.pem"));
  assert_null(pvmw_tls_ctx_new(1, P("ca1/ca.pem"), P("hosta.pem"),
                               P("hostb.key"), err, sizeof err));
  assert_non_null(strstr(err, "does not match"));
  assert_null(pvmw_tls_ctx_new(1, P("ca1/ca.pem"), P("hosta.key"),
                               P("hosta.key"), err, sizeof err));
  assert_non_null(strstr(err, "no PEM certificate"));
  assert_null(pvmw_tls_ctx_new(1, P("hosta.key"), P("hosta.pem"),
                               P("hosta.key"), err, sizeof err));
  assert_null(pvmw_tls_ctx_new(0, NULL, P("hosta.pem"), P("hosta.key"), err,
                               sizeof err));
  /* Loading an expired certificate works (tests need it); the check says
   * what is wrong. */
  c = ctx(0, "ca1/ca.pem", "hostb-expired");
  assert_int_equal(pvmw_tls_ctx_check(c, err, sizeof err), -1);
  assert_non_null(strstr(err, "certificate has expired"));
  pvmw_tls_ctx_free(c);
  c = ctx(0, "ca1/ca.pem", "hostb-ca2");
  assert_int_equal(pvmw_tls_ctx_check(c, err, sizeof err), -1);
  assert_non_null(strstr(err, "unknown CA"));
  pvmw_tls_ctx_free(c);
}

/* ---- raw OpenSSL peers ------------------------------------------------ */

typedef struct raw {
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *net; /* our end of the BIO pair */
} raw;

static void raw_init(raw *r, int server, int max_version, const char *who) {
  BIO *inner = NULL;
  char pem[64], key[64];
  r->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  assert_non_null(r->ctx);
  assert_int_equal(SSL_CTX_set_max_proto_version(r->ctx, max_version), 1);
  SSL_CTX_set_verify(r->ctx, SSL_VERIFY_NONE, NULL);
  if (who != NULL) {
    snprintf(pem, sizeof pem, "%s.pem", who);
    snprintf(key, sizeof key, "%s.key", who);
    assert_int_equal(
        SSL_CTX_use_certificate_file(r->ctx, P(pem), SSL_FILETYPE_PEM), 1);
    assert_int_equal(
        SSL_CTX_use_PrivateKey_file(r->ctx, P(key), SSL_FILETYPE_PEM), 1);
  }
  r->ssl = SSL_new(r->ctx);
  assert_non_null(r->ssl);
  assert_int_equal(BIO_new_bio_pair(&inner, 0, &r->net, 0), 1);
  SSL_set_bio(r->ssl, inner, inner);
  if (server)
    SSL_set_accept_state(r->ssl);
  else
    SSL_set_connect_state(r->ssl);
}

static void raw_free(raw *r) {
  SSL_free(r->ssl);
  BIO_free(r->net);
  SSL_CTX_free(r->ctx);
  ERR_clear_error();
}

/* Handshake between a raw peer and an engine; returns the engine's rc. */
static int raw_handshake(raw *r, pvmw_tls *t) {
  int rc = 0;
  for (int i = 0; i < 100; i++) {
    uint8_t buf[4096];
    const uint8_t *d;
    size_t n;
    int k, moved = 0;
    SSL_do_handshake(r->ssl);
    while ((k = BIO_read(r->net, buf, sizeof buf)) > 0) {
      moved = 1;
      if (pvmw_tls_feed(t, buf, (size_t)k) < 0)
        break;
    }
    rc = pvmw_tls_handshake(t);
    if (rc == 1) /* surface a late alert, as a link would on its read */
      rc = client_read_result(t) < 0 ? PVMW_TLS_ERR : 1;
    while ((n = pvmw_tls_outgoing(t, &d)) > 0) {
      k = BIO_write(r->net, d, (int)n);
      if (k <= 0)
        break;
      pvmw_tls_consumed(t, (size_t)k);
      moved = 1;
    }
    if (!moved)
      break;
  }
  ERR_clear_error();
  return rc;
}

static void test_no_client_cert(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hosta");
  pvmw_tls *s = pvmw_tls_new(sc, NULL);
  raw r;
  raw_init(&r, 0, TLS1_3_VERSION, NULL);
  assert_int_equal(raw_handshake(&r, s), PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(s), "peer sent no certificate"));
  printf("    refused: server \"%s\"\n", pvmw_tls_reason(s));
  raw_free(&r);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(sc);
}

static void test_tls12_refused(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hosta");
  pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hostb");
  pvmw_tls *s = pvmw_tls_new(sc, NULL);
  pvmw_tls *c = pvmw_tls_new(cc, "hosta");
  raw r;
  /* A TLS 1.2 client, even one with a valid certificate. */
  raw_init(&r, 0, TLS1_2_VERSION, "hostb");
  assert_int_equal(raw_handshake(&r, s), PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(s), "protocol version"));
  printf("    refused: server \"%s\"\n", pvmw_tls_reason(s));
  raw_free(&r);
  /* A TLS 1.2 server. */
  raw_init(&r, 1, TLS1_2_VERSION, "hosta");
  assert_int_equal(raw_handshake(&r, c), PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(c), "protocol version"));
  printf("    refused: client \"%s\"\n", pvmw_tls_reason(c));
  raw_free(&r);
  /* The same raw client at TLS 1.3 gets in: the refusals above were about
   * the version only. */
  pvmw_tls_free(s);
  s = pvmw_tls_new(sc, NULL);
  raw_init(&r, 0, TLS1_3_VERSION, "hostb");
  assert_int_equal(raw_handshake(&r, s), 1);
  assert_string_equal(pvmw_tls_peer_name(s), "hostb");
  raw_free(&r);
  pvmw_tls_free(s);
  pvmw_tls_free(c);
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

static void feed_junk(pvmw_tls_ctx *sc, const void *junk, size_t n,
                      size_t chunk, int expect_not_tls) {
  pvmw_tls *s = pvmw_tls_new(sc, NULL);
  const uint8_t *p = junk;
  int rc = 0;
  for (size_t off = 0; off < n && rc >= 0; off += chunk) {
    size_t k = n - off < chunk ? n - off : chunk;
    rc = pvmw_tls_feed(s, p + off, k);
    if (rc >= 0)
      rc = pvmw_tls_handshake(s);
  }
  if (rc == 0) { /* a plausible record header waits for more: no crash */
    assert_false(pvmw_tls_established(s));
  } else {
    assert_int_equal(rc, PVMW_TLS_ERR);
    assert_false(pvmw_tls_established(s));
    assert_true(pvmw_tls_reason(s)[0] != '\0');
    if (expect_not_tls && strstr(pvmw_tls_reason(s), "not TLS") == NULL)
      fail_msg("reason \"%s\" lacks \"not TLS\"", pvmw_tls_reason(s));
    assert_int_equal(pvmw_tls_feed(s, "x", 1), PVMW_TLS_ERR);
    assert_int_equal(client_read_result(s), PVMW_TLS_ERR);
  }
  pvmw_tls_free(s);
}

static void test_not_tls(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hosta");
  static const char http[] = "GET / HTTP/1.1\r\nHost: hosta\r\n\r\n";
  static const char hello[] = "PVNG\x00\x00\x00\x01hello";
  static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x00, 0x02, 0x00};
  static const uint8_t huge[] = {0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00};
  static const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x05,
                                    1,    2,    3,    4,    5};
  uint8_t junk[4096];
  unsigned seed = 12345;
  feed_junk(sc, http, sizeof http - 1, 1000, 1);
  feed_junk(sc, http, sizeof http - 1, 1, 1);
  feed_junk(sc, hello, sizeof hello - 1, 1000, 1);
  feed_junk(sc, sslv2, sizeof sslv2, 1000, 1);
  feed_junk(sc, appdata, sizeof appdata, 1000, 1);
  feed_junk(sc, huge, sizeof huge, 1000, 0);
  for (int round = 0; round < 200; round++) {
    for (size_t i = 0; i < sizeof junk; i++) {
      seed = seed * 1103515245u + 12345u;
      junk[i] = (uint8_t)(seed >> 16);
    }
    if (round % 2) { /* make it past the first-bytes check */
      junk[0] = 0x16;
      junk[1] = 0x03;
      junk[2] = 0x01;
    }
    feed_junk(sc, junk, sizeof junk, 1 + (size_t)round * 37 % 2000,
              round % 2 == 0);
  }
  {
    pvmw_tls *s = pvmw_tls_new(sc, NULL);
    printf("    e.g. \"%s\"\n",
           (pvmw_tls_feed(s, http, 4), pvmw_tls_reason(s)));
    pvmw_tls_free(s);
  }
  pvmw_tls_ctx_free(sc);
}

/* SHA-256 of a certificate file, as pvmw_tls_peer_fingerprint gives it. */
static void file_fp(const char *who, uint8_t out[32]) {
  char pem[64];
  FILE *f;
  X509 *x;
  unsigned n = 0;
  snprintf(pem, sizeof pem, "%s.pem", who);
  f = fopen(P(pem), "r");
  assert_non_null(f);
  x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  assert_non_null(x);
  assert_int_equal(X509_digest(x, EVP_sha256(), out, &n), 1);
  X509_free(x);
}

static pvmw_tls *connect_to(pvmw_tls_ctx *sc, pvmw_tls_ctx *cc, pvmw_tls **sp) {
  pvmw_tls *c = pvmw_tls_new(cc, "hosta");
  pvmw_tls *s = pvmw_tls_new(sc, "hostb");
  int rc, rs;
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, 1);
  assert_int_equal(rs, 1);
  *sp = s;
  return c;
}

/* A join connection: the client has no certificate and pins the CA; the
 * server sends the CA along and marks the connection as a join one. A
 * wrong pin or another master name fails on the client; a client without
 * the join ALPN and without a certificate is still refused. */
static void test_join(void **state) {
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hosta"), *jc;
  pvmw_tls *c, *s;
  uint8_t pin[32], bad[32];
  char err[256];
  int rc, rs;
  (void)state;
  assert_int_equal(pvmw_tls_ctx_ca_fingerprint(sc, pin), 0);
  file_fp("ca1/ca", bad);
  assert_memory_equal(pin, bad, 32);

  jc = pvmw_tls_ctx_new_join(pin, err, sizeof err);
  assert_non_null(jc);
  assert_int_equal(pvmw_tls_ctx_check(jc, err, sizeof err), -1);
  c = pvmw_tls_new(jc, "hosta");
  s = pvmw_tls_new(sc, NULL);
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, 1);
  assert_int_equal(rs, 1);
  assert_int_equal(pvmw_tls_is_join(c), 1);
  assert_int_equal(pvmw_tls_is_join(s), 1);
  assert_string_equal(pvmw_tls_peer_name(c), "hosta");
  assert_string_equal(pvmw_tls_peer_name(s), "");
  round_trip(c, s, 100);
  pvmw_tls_free(c);
  pvmw_tls_free(s);

  /* The master's name must be the expected one. */
  c = pvmw_tls_new(jc, "hostz");
  s = pvmw_tls_new(sc, NULL);
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(c), "name mismatch"));
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(jc);

  /* Another CA's fingerprint: the master is not trusted. */
  file_fp("ca2/ca", bad);
  jc = pvmw_tls_ctx_new_join(bad, err, sizeof err);
  assert_non_null(jc);
  c = pvmw_tls_new(jc, "hosta");
  s = pvmw_tls_new(sc, NULL);
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, PVMW_TLS_ERR);
  assert_non_null(strstr(pvmw_tls_reason(c), "CA fingerprint mismatch"));
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(jc);

  /* A task's listener (PVMW_TLS_SERVER_NOJOIN) refuses a client that asks
   * to join, at the handshake; an ordinary client still gets in. */
  {
    pvmw_tls_ctx *tc = ctx(PVMW_TLS_SERVER_NOJOIN, "ca1/ca.pem", "hosta");
    pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hostb");
    jc = pvmw_tls_ctx_new_join(pin, err, sizeof err);
    assert_non_null(jc);
    c = pvmw_tls_new(jc, "hosta");
    s = pvmw_tls_new(tc, NULL);
    handshake(c, s, 1 << 20, &rc, &rs);
    assert_int_equal(rs, PVMW_TLS_ERR);
    assert_int_equal(rc, PVMW_TLS_ERR);
    assert_int_equal(pvmw_tls_is_join(s), 0);
    assert_non_null(strstr(pvmw_tls_reason(s), "asked to join"));
    pvmw_tls_free(c);
    pvmw_tls_free(s);
    c = pvmw_tls_new(cc, "hosta");
    s = pvmw_tls_new(tc, NULL);
    handshake(c, s, 1 << 20, &rc, &rs);
    assert_int_equal(rc, 1);
    assert_int_equal(rs, 1);
    assert_string_equal(pvmw_tls_peer_name(s), "hostb");
    pvmw_tls_free(c);
    pvmw_tls_free(s);
    pvmw_tls_ctx_free(cc);
    pvmw_tls_ctx_free(tc);
    pvmw_tls_ctx_free(jc);
  }

  /* An ordinary connection is never a join one. */
  {
    pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hostb");
    c = pvmw_tls_new(cc, "hosta");
    s = pvmw_tls_new(sc, NULL);
    handshake(c, s, 1 << 20, &rc, &rs);
    assert_int_equal(rs, 1);
    assert_int_equal(pvmw_tls_is_join(s), 0);
    assert_int_equal(pvmw_tls_is_join(c), 0);
    pvmw_tls_free(c);
    pvmw_tls_free(s);
    pvmw_tls_ctx_free(cc);
  }
  pvmw_tls_ctx_free(sc);
}

static void test_reload(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hosta");
  pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hostb");
  uint8_t fa[32], fnew[32], got[32];
  char err[256];
  pvmw_tls *c, *s, *c0, *s0;
  static const struct {
    const char *pem, *key, *want;
  } bad[] = {
      {"hostb-expired.pem", "hostb-expired.key", "certificate has expired"},
      {"hostb-future.pem", "hostb-future.key", "not yet valid"},
      {"hostb-ca2.pem", "hostb-ca2.key", "unknown CA"},
      {"hosta-new.pem", "hosta.key", "does not match"},
      {"missing.pem", "hosta-new.key", "missing.pem"},
      {"hosta-new.key", "hosta-new.key", "no PEM certificate"},
      {"hosta-new.pem", "missing.key", "missing.key"},
  };
  file_fp("hosta", fa);
  file_fp("hosta-new", fnew);
  assert_memory_not_equal(fa, fnew, 32);
  c0 = connect_to(sc, cc, &s0); /* lives across the rotation */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    assert_int_equal(
        pvmw_tls_ctx_reload(sc, P(bad[i].pem), P(bad[i].key), err, sizeof err),
        -1);
    if (strstr(err, bad[i].want) == NULL)
      fail_msg("reload %s: \"%s\" lacks \"%s\"", bad[i].pem, err, bad[i].want);
    /* The old certificate is still presented. */
    c = connect_to(sc, cc, &s);
    assert_int_equal(pvmw_tls_peer_fingerprint(c, got), 0);
    assert_memory_equal(got, fa, 32);
    pvmw_tls_free(c);
    pvmw_tls_free(s);
  }
  assert_int_equal(pvmw_tls_ctx_reload(sc, P("hosta-new.pem"),
                                       P("hosta-new.key"), err, sizeof err),
                   0);
  c = connect_to(sc, cc, &s);
  assert_int_equal(pvmw_tls_peer_fingerprint(c, got), 0);
  assert_memory_equal(got, fnew, 32);
  assert_string_equal(pvmw_tls_peer_name(c), "hosta");
  round_trip(c, s, 1000);
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  /* The connection made before the rotation still works. */
  round_trip(c0, s0, 100000);
  round_trip(s0, c0, 100000);
  assert_int_equal(pvmw_tls_peer_fingerprint(c0, got), 0);
  assert_memory_equal(got, fa, 32);
  pvmw_tls_free(c0);
  pvmw_tls_free(s0);
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* rounds times: msg bytes of src written by c, carried, read into dst by
 * s; adds the time of the writes (encryption) to *t_enc and of carrying
 * and reading (decryption) to *t_dec, and checks the bytes. */
static void timed_rounds(pvmw_tls *c, pvmw_tls *s, const uint8_t *src,
                         uint8_t *dst, size_t msg, int rounds, double *t_enc,
                         double *t_dec) {
  for (int i = 0; i < rounds; i++) {
    size_t got = 0;
    double t0 = now_s();
    assert_int_equal(pvmw_tls_write(c, src, msg), 0);
    *t_enc += now_s() - t0;
    t0 = now_s();
    assert_true(shuttle(c, s, SIZE_MAX) > 0);
    while (got < msg) {
      int r = pvmw_tls_read(s, dst + got, msg - got);
      assert_true(r > 0);
      got += (size_t)r;
    }
    *t_dec += now_s() - t0;
  }
  assert_memory_equal(src, dst, msg);
}

/* Not an assertion: prints what 1 MiB writes cost through the engine. */
static void test_throughput(void **state) {
  (void)state;
  pvmw_tls_ctx *sc = ctx(1, "ca1/ca.pem", "hostb");
  pvmw_tls_ctx *cc = ctx(0, "ca1/ca.pem", "hosta");
  pvmw_tls *c = pvmw_tls_new(cc, "hostb");
  pvmw_tls *s = pvmw_tls_new(sc, "hosta");
  const size_t msg = 1u << 20;
  const int rounds =
      getenv("PVMNG_TLS_ROUNDS") ? atoi(getenv("PVMNG_TLS_ROUNDS")) : 128;
  uint8_t *src = malloc(msg), *dst = malloc(msg);
  double t_enc = 0, t_dec = 0;
  int rc, rs;
  assert_non_null(src);
  assert_non_null(dst);
  memset(src, 0x5a, msg);
  handshake(c, s, 1 << 20, &rc, &rs);
  assert_int_equal(rc, 1);
  assert_int_equal(rs, 1);
  timed_rounds(c, s, src, dst, msg, rounds, &t_enc, &t_dec);
  printf("    %s, %d x 1 MiB: write (encrypt) %.2f GB/s, feed+read "
         "(decrypt) %.2f GB/s, end to end %.2f GB/s\n",
         pvmw_tls_cipher(c), rounds, rounds * (double)msg / t_enc / 1e9,
         rounds * (double)msg / t_dec / 1e9,
         rounds * (double)msg / (t_enc + t_dec) / 1e9);
  /* The same in bulk mode (no record in flight after the loop above), with
   * each AEAD. */
  for (int aead = PVMW_BULK_GCM; aead <= PVMW_BULK_OCB; aead++) {
    if (aead == PVMW_BULK_OCB) {
      pvmw_tls_free(c);
      pvmw_tls_free(s);
      c = pvmw_tls_new(cc, "hostb");
      s = pvmw_tls_new(sc, NULL);
      handshake(c, s, 1 << 20, &rc, &rs);
      assert_int_equal(rc, 1);
      assert_int_equal(rs, 1);
      round_trip(c, s, 100);
    }
    assert_int_equal(pvmw_tls_bulk(c, aead), 0);
    assert_int_equal(pvmw_tls_bulk(s, aead), 0);
    t_enc = t_dec = 0;
    timed_rounds(c, s, src, dst, msg, rounds, &t_enc, &t_dec);
    printf("    bulk mode, %s: write (encrypt) %.2f GB/s, feed+read "
           "(decrypt) %.2f GB/s, end to end %.2f GB/s\n",
           pvmw_tls_bulk_cipher(c), rounds * (double)msg / t_enc / 1e9,
           rounds * (double)msg / t_dec / 1e9,
           rounds * (double)msg / (t_enc + t_dec) / 1e9);
  }
  free(src);
  free(dst);
  pvmw_tls_free(c);
  pvmw_tls_free(s);
  pvmw_tls_ctx_free(sc);
  pvmw_tls_ctx_free(cc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_data),
      BULK_TESTS(test_bulk),
      BULK_TESTS(test_bulk_key_update),
      BULK_TESTS(test_bulk_epoch_keys),
      BULK_TESTS(test_bulk_known_answer),
      BULK_TESTS(test_bulk_out_of_step),
      cmocka_unit_test(test_bulk_aeads),
      cmocka_unit_test(test_other_ca),
      cmocka_unit_test(test_expired),
      cmocka_unit_test(test_not_yet_valid),
      cmocka_unit_test(test_name_mismatch),
      cmocka_unit_test(test_ctx_errors),
      cmocka_unit_test(test_no_client_cert),
      cmocka_unit_test(test_tls12_refused),
      cmocka_unit_test(test_not_tls),
      cmocka_unit_test(test_reload),
      cmocka_unit_test(test_join),
      cmocka_unit_test(test_throughput),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
