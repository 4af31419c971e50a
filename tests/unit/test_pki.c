/* Unit tests for sec/pki.c: CA and host certificates (contents, dates,
 * file modes, no overwriting) and the first-start directory checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it relies on */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"
#include "pvmtest.h"

#define T1999 915148800L
#define T2020 1577836800L
#define T2040 2208988800L
#define T2100 4102444800L

static char root[64];
static char buf[4096];

static const char *P(const char *rel) {
  snprintf(buf, sizeof buf, "%s/%s", root, rel);
  return buf;
}

static X509 *read_cert(const char *path) {
  FILE *f = fopen(path, "r");
  X509 *x;
  assert_non_null(f);
  x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  assert_non_null(x);
  return x;
}

static mode_t file_mode(const char *path) {
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  return st.st_mode & 07777;
}

static int setup(void **state) {
  (void)state;
  char err[256];
  snprintf(root, sizeof root, "/tmp/pvmng-pki-XXXXXX");
  if (mkdtemp(root) == NULL)
    return -1;
  if (mkdir(P("ca1"), 0700) < 0)
    return -1;
  if (pvmw_pki_make_ca(P("ca1"), "PVM test CA", T1999, T2100, err, sizeof err) <
      0) {
    fprintf(stderr, "make_ca: %s\n", err);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return pvmt_rm_rf(root);
}

static void test_ca(void **state) {
  (void)state;
  char err[256] = "", path[4096];
  X509 *x;
  EVP_PKEY *pub;
  snprintf(path, sizeof path, "%s/ca1/ca.pem", root);
  x = read_cert(path);
  assert_int_equal(file_mode(P("ca1/ca.key")), 0600);
  assert_int_equal(file_mode(P("ca1/ca.pem")), 0644);
  assert_int_equal(X509_check_ca(x), 1);
  assert_int_equal(X509_check_issued(x, x), X509_V_OK);
  pub = X509_get0_pubkey(x);
  assert_int_equal(X509_verify(x, pub), 1);
  assert_true(EVP_PKEY_is_a(pub, "EC"));
  assert_int_equal(EVP_PKEY_get_bits(pub), 256);
  assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
  assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), T1999), 0);
  assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), T2100), 0);
  X509_free(x);
  /* Never replaced. */
  assert_int_equal(
      pvmw_pki_make_ca(P("ca1"), "other", T1999, T2100, err, sizeof err), -1);
  assert_non_null(strstr(err, "ca.pem already exists"));
  assert_int_equal(
      pvmw_pki_make_ca(P("ca1"), "x", T2100, T1999, err, sizeof err), -1);
}

static void test_cert(void **state) {
  (void)state;
  char err[256] = "", ca[4096], pem[4096];
  X509 *cax, *x;
  X509_STORE *st;
  X509_STORE_CTX *xs;
  GENERAL_NAMES *gens;
  GENERAL_NAME *g;
  X509_NAME *subj;
  char cn[64];
  snprintf(ca, sizeof ca, "%s/ca1", root);
  snprintf(pem, sizeof pem, "%s/hosta", root);
  assert_int_equal(
      pvmw_pki_make_cert(ca, pem, "hosta", T2020, T2040, err, sizeof err), 0);
  assert_int_equal(file_mode(P("hosta.key")), 0600);
  snprintf(pem, sizeof pem, "%s/hosta.pem", root);
  x = read_cert(pem);
  snprintf(pem, sizeof pem, "%s/ca1/ca.pem", root);
  cax = read_cert(pem);
  /* Name in CN and SAN, both TLS usages, dates as given, signed by CA1. */
  subj = X509_get_subject_name(x);
  assert_true(X509_NAME_get_text_by_NID(subj, NID_commonName, cn, sizeof cn) >
              0);
  assert_string_equal(cn, "hosta");
  gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  assert_non_null(gens);
  assert_int_equal(sk_GENERAL_NAME_num(gens), 1);
  g = sk_GENERAL_NAME_value(gens, 0);
  assert_int_equal(g->type, GEN_DNS);
  assert_memory_equal(ASN1_STRING_get0_data(g->d.dNSName), "hosta", 5);
  GENERAL_NAMES_free(gens);
  assert_true(
      (X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
      (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  assert_int_equal(X509_check_ca(x), 0);
  assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), T2020), 0);
  assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), T2040), 0);
  assert_int_equal(X509_check_host(x, "hosta", 0, 0, NULL), 1);
  assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
  st = X509_STORE_new();
  assert_int_equal(X509_STORE_add_cert(st, cax), 1);
  xs = X509_STORE_CTX_new();
  assert_int_equal(X509_STORE_CTX_init(xs, st, x, NULL), 1);
  X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_SERVER);
  X509_STORE_CTX_set_time(xs, 0, T2020 + 86400);
  assert_int_equal(X509_verify_cert(xs), 1);
  X509_STORE_CTX_free(xs);
  xs = X509_STORE_CTX_new();
  assert_int_equal(X509_STORE_CTX_init(xs, st, x, NULL), 1);
  X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_CLIENT);
  X509_STORE_CTX_set_time(xs, 0, T2020 + 86400);
  assert_int_equal(X509_verify_cert(xs), 1);
  X509_STORE_CTX_free(xs);
  X509_STORE_free(st);
  X509_free(x);
  X509_free(cax);
  /* Existing files are never replaced. */
  snprintf(pem, sizeof pem, "%s/hosta", root);
  assert_int_equal(
      pvmw_pki_make_cert(ca, pem, "hosta", T2020, T2040, err, sizeof err), -1);
  assert_non_null(strstr(err, "hosta.key"));
}

static void test_bad_names(void **state) {
  (void)state;
  char err[256], ca[4096], out[4096];
  static const char *bad[] = {"",    "hosta,DNS:evil", "a b",    "x/y",
                              "-rf", ".hidden",        "host:1", "h\xc3\xa9"};
  char longname[80];
  snprintf(ca, sizeof ca, "%s/ca1", root);
  snprintf(out, sizeof out, "%s/bad", root);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(
        pvmw_pki_make_cert(ca, out, bad[i], T2020, T2040, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a usable host name"));
  }
  memset(longname, 'a', 65);
  longname[65] = '\0';
  assert_false(pvmw_pki_name_ok(longname));
  longname[64] = '\0';
  assert_true(pvmw_pki_name_ok(longname));
  assert_int_equal(
      pvmw_pki_make_cert(ca, out, NULL, T2020, T2040, err, sizeof err), -1);
  assert_int_equal(access(P("bad.pem"), F_OK), -1);
}

static void test_ca_key_must_be_private(void **state) {
  (void)state;
  char err[256] = "", ca[4096], out[4096];
  snprintf(ca, sizeof ca, "%s/ca1", root);
  snprintf(out, sizeof out, "%s/leaky", root);
  assert_int_equal(chmod(P("ca1/ca.key"), 0644), 0);
  assert_int_equal(
      pvmw_pki_make_cert(ca, out, "leaky", T2020, T2040, err, sizeof err), -1);
  assert_non_null(strstr(err, "ca.key"));
  assert_non_null(strstr(err, "private"));
  assert_int_equal(chmod(P("ca1/ca.key"), 0600), 0);
  assert_int_equal(pvmw_pki_make_cert(P("nonexistent"), out, "leaky", T2020,
                                      T2040, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "nonexistent/ca.pem"));
}

static void stat_of(const char *path, struct stat *st) {
  assert_int_equal(lstat(path, st), 0);
}

static void test_ensure(void **state) {
  (void)state;
  char err[256] = "", dir[4096];
  struct stat a1, a2, k1, k2, h1, h2;
  snprintf(dir, sizeof dir, "%s/dotpvm", root);
  assert_int_equal(pvmw_pki_ensure(dir, "node1", err, sizeof err), 0);
  assert_int_equal(file_mode(P("dotpvm")) & 0777, 0700);
  assert_int_equal(file_mode(P("dotpvm/ca.key")), 0600);
  assert_int_equal(file_mode(P("dotpvm/node1.key")), 0600);
  stat_of(P("dotpvm/ca.pem"), &a1);
  stat_of(P("dotpvm/ca.key"), &k1);
  stat_of(P("dotpvm/node1.pem"), &h1);
  {
    X509 *x = read_cert(P("dotpvm/node1.pem"));
    time_t now = time(NULL);
    assert_int_equal(X509_check_host(x, "node1", 0, 0, NULL), 1);
    assert_true(X509_cmp_time(X509_get0_notBefore(x), &now) < 0);
    now += 365L * 86400;
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &now) > 0);
    X509_free(x);
  }
  /* Second start: nothing touched. */
  assert_int_equal(pvmw_pki_ensure(dir, "node1", err, sizeof err), 0);
  stat_of(P("dotpvm/ca.pem"), &a2);
  stat_of(P("dotpvm/ca.key"), &k2);
  stat_of(P("dotpvm/node1.pem"), &h2);
  assert_true(a1.st_ino == a2.st_ino && k1.st_ino == k2.st_ino &&
              h1.st_ino == h2.st_ino);
  /* Another host sharing the directory gets its own cert, same CA. */
  assert_int_equal(pvmw_pki_ensure(dir, "node2", err, sizeof err), 0);
  stat_of(P("dotpvm/ca.pem"), &a2);
  assert_true(a1.st_ino == a2.st_ino);
  assert_int_equal(access(P("dotpvm/node2.pem"), R_OK), 0);
  /* Half a pair is reported, not papered over. */
  assert_int_equal(unlink(P("dotpvm/node2.key")), 0);
  assert_int_equal(pvmw_pki_ensure(dir, "node2", err, sizeof err), -1);
  assert_non_null(strstr(err, "node2.key is missing"));
  /* A host name that would collide with the CA's files. */
  assert_int_equal(pvmw_pki_ensure(dir, "ca", err, sizeof err), -1);
  /* No temporary files left behind. */
  {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q tmp", dir);
    assert_int_not_equal(system(cmd), 0);
  }
}

static void test_ensure_refuses(void **state) {
  (void)state;
  char err[256] = "", dir[4096], target[4096];
  snprintf(target, sizeof target, "%s/real", root);
  assert_int_equal(mkdir(target, 0700), 0);
  snprintf(dir, sizeof dir, "%s/link", root);
  assert_int_equal(symlink(target, dir), 0);
  assert_int_equal(pvmw_pki_ensure(dir, "node1", err, sizeof err), -1);
  assert_non_null(strstr(err, dir));
  assert_non_null(strstr(err, "symbolic link"));
  assert_int_equal(access(P("real/ca.pem"), F_OK), -1);

  snprintf(dir, sizeof dir, "%s/open", root);
  assert_int_equal(mkdir(dir, 0755), 0);
  assert_int_equal(chmod(dir, 0755), 0);
  assert_int_equal(pvmw_pki_ensure(dir, "node1", err, sizeof err), -1);
  assert_non_null(strstr(err, dir));
  assert_non_null(strstr(err, "open to others"));
  assert_int_equal(access(P("open/ca.pem"), F_OK), -1);

  snprintf(dir, sizeof dir, "%s/afile", root);
  {
    FILE *f = fopen(dir, "w");
    assert_non_null(f);
    fclose(f);
  }
  assert_int_equal(pvmw_pki_ensure(dir, "node1", err, sizeof err), -1);
  assert_non_null(strstr(err, "not a directory"));

  if (geteuid() == 0) { /* only root can make a directory another's */
    snprintf(dir, sizeof dir, "%s/theirs", root);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    assert_int_equal(pvmw_pki_ensure(dir, "node1", err, sizeof err), -1);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "belongs to uid 65534"));
  }
  assert_int_equal(
      pvmw_pki_ensure(P("missing-parent/x"), "node1", err, sizeof err), -1);
  assert_non_null(strstr(err, "missing-parent"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ca),
      cmocka_unit_test(test_cert),
      cmocka_unit_test(test_bad_names),
      cmocka_unit_test(test_ca_key_must_be_private),
      cmocka_unit_test(test_ensure),
      cmocka_unit_test(test_ensure_refuses),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
