/* Unit tests for sec/join.c (the join credential: encode, parse, check)
 * and the join side of sec/pki.c (certificate requests, the master's
 * checks before signing, and the joiner's checks before storing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it relies on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "join.h"
#include "pki.h"
#include "pvmtest.h"

static char root[64];

static const char *P(const char *rel) {
  static char bufs[8][512];
  static int i;
  char *b = bufs[i++ % 8];
  snprintf(b, 512, "%s/%s", root, rel);
  return b;
}

static int setup(void **state) {
  char err[256];
  long now = (long)time(NULL);
  (void)state;
  snprintf(root, sizeof root, "/tmp/pvmng-join-XXXXXX");
  if (mkdtemp(root) == NULL || mkdir(P("ca1"), 0700) < 0 ||
      mkdir(P("ca2"), 0700) < 0)
    return -1;
  if (pvmw_pki_make_ca(P("ca1"), "CA one", now - 3600, now + 86400 * 30, err,
                       sizeof err) < 0 ||
      pvmw_pki_make_ca(P("ca2"), "CA two", now - 3600, now + 86400 * 30, err,
                       sizeof err) < 0) {
    fprintf(stderr, "make_ca: %s\n", err);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return pvmt_rm_rf(root);
}

/* ---- credentials ----------------------------------------------------- */

static void sample(pvmw_join_cred *c) {
  uint8_t fp[32];
  char err[128];
  for (int i = 0; i < 32; i++)
    fp[i] = (uint8_t)(i * 7 + 1);
  assert_int_equal(
      pvmw_join_cred_new(c, "node2", "node1", fp, 2000000000L, err, sizeof err),
      0);
}

static void test_cred_round_trip(void **state) {
  pvmw_join_cred a, b, c;
  char line[PVMW_JOIN_LINE_MAX], err[256];
  int n;
  (void)state;
  sample(&a);
  sample(&c);
  /* Two credentials never share a secret. */
  assert_memory_not_equal(a.secret, c.secret, sizeof a.secret);
  n = pvmw_join_cred_encode(&a, line, sizeof line);
  assert_true(n > 0 && n < PVMW_JOIN_LINE_MAX);
  assert_int_equal(line[n - 1], '\n');
  assert_int_equal(strncmp(line, "PVMNG-JOIN/1 host=node2 master=node1 ", 37),
                   0);
  assert_int_equal(pvmw_join_cred_parse(line, &b, err, sizeof err), 0);
  assert_string_equal(b.host, "node2");
  assert_string_equal(b.master, "node1");
  assert_memory_equal(a.ca_sha256, b.ca_sha256, 32);
  assert_memory_equal(a.secret, b.secret, 32);
  assert_int_equal(b.expires, 2000000000L);
  /* Without the newline, and too small a buffer to encode into. */
  line[n - 1] = '\0';
  assert_int_equal(pvmw_join_cred_parse(line, &b, err, sizeof err), 0);
  assert_int_equal(pvmw_join_cred_encode(&a, line, 40), -1);
  /* Bad names are refused when making one. */
  assert_int_equal(pvmw_join_cred_new(&b, "bad name", "node1", a.ca_sha256, 1,
                                      err, sizeof err),
                   -1);
}

static void parse_fails(const char *line, const char *why) {
  pvmw_join_cred c;
  char err[256] = "";
  assert_int_equal(pvmw_join_cred_parse(line, &c, err, sizeof err), -1);
  if (strstr(err, why) == NULL)
    fail_msg("parsing \"%s\": reason \"%s\" lacks \"%s\"", line, err, why);
}

static void test_cred_parse_errors(void **state) {
  char good[PVMW_JOIN_LINE_MAX], bad[2 * PVMW_JOIN_LINE_MAX];
  const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456"
                    "789abcdef";
  pvmw_join_cred c;
  (void)state;
  sample(&c);
  assert_true(pvmw_join_cred_encode(&c, good, sizeof good) > 0);
  parse_fails("", "not a join credential");
  parse_fails("hello world\n", "not a join credential");
  parse_fails("PVMNG-JOIN/2 host=a\n", "not a join credential");
  parse_fails("PVMNG-JOIN/1 host=a\n", "missing");
  snprintf(bad, sizeof bad, "%.*s host=x\n", (int)strlen(good) - 1, good);
  parse_fails(bad, "twice");
  snprintf(bad, sizeof bad, "%.*s colour=blue\n", (int)strlen(good) - 1, good);
  parse_fails(bad, "unknown field");
  snprintf(bad, sizeof bad,
           "PVMNG-JOIN/1 host=a master=b ca-sha256=%s secret=%.63s "
           "expires=5\n",
           hex, hex);
  parse_fails(bad, "bad value for \"secret\"");
  snprintf(bad, sizeof bad,
           "PVMNG-JOIN/1 host=a master=b ca-sha256=%.63sg secret=%s "
           "expires=5\n",
           hex, hex);
  parse_fails(bad, "bad value for \"ca-sha256\"");
  snprintf(bad, sizeof bad,
           "PVMNG-JOIN/1 host=a/b master=b ca-sha256=%s secret=%s "
           "expires=5\n",
           hex, hex);
  parse_fails(bad, "bad value for \"host\"");
  snprintf(bad, sizeof bad,
           "PVMNG-JOIN/1 host=a master=b ca-sha256=%s secret=%s "
           "expires=-5\n",
           hex, hex);
  parse_fails(bad, "bad value for \"expires\"");
  snprintf(bad, sizeof bad,
           "PVMNG-JOIN/1 host=a master=b ca-sha256=%s secret=%s expires\n", hex,
           hex);
  parse_fails(bad, "without '='");
  memset(bad, 'x', sizeof bad - 1);
  bad[sizeof bad - 1] = '\0';
  memcpy(bad, "PVMNG-JOIN/1 ", 13);
  parse_fails(bad, "longer than");
  /* Fields in another order parse. */
  snprintf(bad, sizeof bad,
           "PVMNG-JOIN/1 expires=5 secret=%s ca-sha256=%s master=b host=a\n",
           hex, hex);
  assert_int_equal(pvmw_join_cred_parse(bad, &c, NULL, 0), 0);
  assert_string_equal(c.host, "a");
}

static void test_cred_check(void **state) {
  pvmw_join_cred c;
  uint8_t s[32];
  (void)state;
  sample(&c);
  memcpy(s, c.secret, 32);
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "node2", 1000),
                   PVMW_JOIN_OK);
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "NODE2", 1000),
                   PVMW_JOIN_OK);
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "node2", 2000000000L),
                   PVMW_JOIN_OK);
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "node2", 2000000001L),
                   PVMW_JOIN_EXPIRED);
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "node3", 1000),
                   PVMW_JOIN_OTHER_HOST);
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, NULL, 1000),
                   PVMW_JOIN_OTHER_HOST);
  assert_int_equal(pvmw_join_cred_check(&c, s, 31, "node2", 1000),
                   PVMW_JOIN_WRONG);
  assert_int_equal(pvmw_join_cred_check(&c, NULL, 32, "node2", 1000),
                   PVMW_JOIN_WRONG);
  s[31] ^= 1;
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "node2", 1000),
                   PVMW_JOIN_WRONG);
  /* A wrong secret is wrong whatever else is also wrong. */
  assert_int_equal(pvmw_join_cred_check(&c, s, 32, "node3", 2000000001L),
                   PVMW_JOIN_WRONG);
}

/* ---- certificate requests -------------------------------------------- */

static X509 *pem_cert(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  assert_non_null(x);
  return x;
}

static void test_csr_sign(void **state) {
  char *key = NULL, *cert = NULL, err[256] = "";
  uint8_t *csr = NULL;
  size_t n = 0;
  long now = (long)time(NULL);
  X509 *x;
  BIO *b;
  EVP_PKEY *k;
  (void)state;
  assert_int_equal(pvmw_pki_make_csr("node2", &key, &csr, &n, err, sizeof err),
                   0);
  assert_true(n > 0 && n < PVMW_PKI_CSR_MAX);
  assert_non_null(strstr(key, "PRIVATE KEY"));
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, n, "node2", now - 60,
                                     now + 86400, &cert, err, sizeof err),
                   0);
  x = pem_cert(cert);
  b = BIO_new_mem_buf(key, -1);
  k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  BIO_free(b);
  assert_non_null(k);
  assert_int_equal(X509_check_private_key(x, k), 1);
  assert_int_equal(
      X509_check_host(x, "node2", 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL), 1);
  assert_int_equal(X509_check_ca(x), 0);
  EVP_PKEY_free(k);
  X509_free(x);
  free(cert);
  cert = NULL;

  /* The request names another host than the credential. */
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, n, "node3", now - 60,
                                     now + 86400, &cert, err, sizeof err),
                   -1);
  assert_null(cert);
  assert_non_null(strstr(err, "is for \"node2\""));
  /* Truncated, oversized, trailing bytes, a broken signature. */
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, n - 1, "node2", now,
                                     now + 1, &cert, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "does not decode"));
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, PVMW_PKI_CSR_MAX + 1,
                                     "node2", now, now + 1, &cert, err,
                                     sizeof err),
                   -1);
  assert_non_null(strstr(err, "bytes"));
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, 0, "node2", now, now + 1,
                                     &cert, err, sizeof err),
                   -1);
  {
    uint8_t *longer = malloc(n + 1);
    assert_non_null(longer);
    memcpy(longer, csr, n);
    longer[n] = 0;
    assert_int_equal(pvmw_pki_sign_csr(P("ca1"), longer, n + 1, "node2", now,
                                       now + 1, &cert, err, sizeof err),
                     -1);
    free(longer);
  }
  csr[n - 3] ^= 0x40; /* inside the signature */
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, n, "node2", now, now + 1,
                                     &cert, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "signature is bad"));
  /* A CA directory without the CA. */
  csr[n - 3] ^= 0x40;
  assert_int_equal(pvmw_pki_sign_csr(P("nowhere"), csr, n, "node2", now,
                                     now + 1, &cert, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "cannot open"));
  /* A bad name is refused; nothing is returned. */
  {
    char *k2 = (char *)1;
    uint8_t *c2 = (uint8_t *)1;
    size_t n2 = 1;
    assert_int_equal(pvmw_pki_make_csr("-x", &k2, &c2, &n2, err, sizeof err),
                     -1);
    assert_null(k2);
    assert_null(c2);
    assert_int_equal(n2, 0);
  }
  free(csr);
  free(cert);
  pvmw_pki_free_secret(key);
}

static void test_csr_weak_key(void **state) {
  EVP_PKEY *k = EVP_RSA_gen(1024);
  X509_REQ *req = X509_REQ_new();
  unsigned char *der = NULL;
  char *cert = NULL, err[256] = "";
  long now = (long)time(NULL);
  int n;
  (void)state;
  assert_non_null(k);
  assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
                             MBSTRING_UTF8, (const unsigned char *)"node2", -1,
                             -1, 0);
  assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
  n = i2d_X509_REQ(req, &der);
  assert_true(n > 0);
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), der, (size_t)n, "node2", now,
                                     now + 1, &cert, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "too weak"));
  OPENSSL_free(der);
  X509_REQ_free(req);
  EVP_PKEY_free(k);
}

/* ---- the joiner's store ---------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
  char err[256];
  char *s = pvmw_pki_read_file(path, len, err, sizeof err);
  assert_non_null(s);
  return s;
}

static void test_store_joined(void **state) {
  char *key = NULL, *key2 = NULL, *cert = NULL, *ca, *ca2, err[256] = "";
  uint8_t *csr = NULL, *csr2 = NULL, fp[32], fp2[32];
  size_t n = 0, n2 = 0, calen, ca2len;
  long now = (long)time(NULL);
  struct stat st;
  (void)state;
  ca = slurp(P("ca1/ca.pem"), &calen);
  ca2 = slurp(P("ca2/ca.pem"), &ca2len);
  assert_int_equal(pvmw_pki_fingerprint(P("ca1/ca.pem"), fp, err, sizeof err),
                   0);
  assert_int_equal(pvmw_pki_fingerprint(P("ca2/ca.pem"), fp2, err, sizeof err),
                   0);
  assert_memory_not_equal(fp, fp2, 32);
  assert_int_equal(pvmw_pki_make_csr("node2", &key, &csr, &n, err, sizeof err),
                   0);
  assert_int_equal(
      pvmw_pki_make_csr("node2", &key2, &csr2, &n2, err, sizeof err), 0);
  assert_int_equal(pvmw_pki_sign_csr(P("ca1"), csr, n, "node2", now - 60,
                                     now + 86400, &cert, err, sizeof err),
                   0);
  assert_int_equal(pvmw_pki_usable(P("j"), "node2", fp, err, sizeof err), 0);

  /* The CA is not the pinned one; the certificate is for another key, or
   * another name. Nothing is written. */
  assert_int_equal(pvmw_pki_store_joined(P("j"), "node2", fp2, ca, calen, cert,
                                         strlen(cert), key, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "not the one the join credential names"));
  assert_int_equal(pvmw_pki_store_joined(P("j"), "node2", fp, ca, calen, cert,
                                         strlen(cert), key2, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "not for this daemon's key"));
  assert_int_equal(pvmw_pki_store_joined(P("j"), "node3", fp, ca, calen, cert,
                                         strlen(cert), key, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "not for node3"));
  assert_int_equal(pvmw_pki_store_joined(P("j"), "node2", fp2, ca2, ca2len,
                                         cert, strlen(cert), key, err,
                                         sizeof err),
                   -1);
  assert_non_null(strstr(err, "does not verify"));
  assert_int_equal(stat(P("j"), &st), -1);

  /* Stored: directory 0700, files 0600, usable with the right pin only. */
  assert_int_equal(pvmw_pki_store_joined(P("j"), "node2", fp, ca, calen, cert,
                                         strlen(cert), key, err, sizeof err),
                   0);
  assert_int_equal(stat(P("j"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  assert_int_equal(stat(P("j/node2.key"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(P("j/node2.pem"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(P("j/ca.pem"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(pvmw_pki_usable(P("j"), "node2", fp, err, sizeof err), 1);
  assert_int_equal(pvmw_pki_usable(P("j"), "node2", fp2, err, sizeof err), 0);
  assert_non_null(strstr(err, "another CA"));
  assert_int_equal(pvmw_pki_usable(P("j"), "node3", fp, err, sizeof err), 0);

  /* A master's directory (it holds ca.key) keeps its own CA. */
  assert_int_equal(pvmw_pki_store_joined(P("ca2"), "node2", fp, ca, calen, cert,
                                         strlen(cert), key, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "another virtual machine's CA"));
  free(ca);
  free(ca2);
  free(cert);
  free(csr);
  free(csr2);
  pvmw_pki_free_secret(key);
  pvmw_pki_free_secret(key2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cred_round_trip),
      cmocka_unit_test(test_cred_parse_errors),
      cmocka_unit_test(test_cred_check),
      cmocka_unit_test(test_csr_sign),
      cmocka_unit_test(test_csr_weak_key),
      cmocka_unit_test(test_store_joined),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
