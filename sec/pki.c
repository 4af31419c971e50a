/* The VM's PKI: key generation, certificate building and signing with the
 * EVP API, join requests, fingerprints and checks of a certificate
 * directory, the first start's CA and host pair. The careful file handling
 * under it (private modes, no symlink following, no overwriting) is
 * pki_files.c. */
#include "pki.h"
#include "pki_int.h"

#include "osslerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define YEAR_SECONDS 31556952L /* 365.2425 days */
#define BACKDATE 3600L         /* tolerate an hour of clock skew */

/* ---- certificates ----------------------------------------------------- */

static EVP_PKEY *new_key(char *err, size_t errlen) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  if (k == NULL)
    set_err(err, errlen, "EC key generation failed: %s", ossl_reason());
  return k;
}

static int add_ext(X509 *x, X509V3_CTX *v, int nid, const char *value) {
  X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, v, nid, value);
  int ok = e != NULL && X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  return ok;
}

/* An unsigned certificate for pub: random serial, validity, subject CN. */
static X509 *new_cert(EVP_PKEY *pub, const char *cn, long not_before,
                      long not_after) {
  unsigned char serial[16];
  BIGNUM *bn = NULL;
  X509 *x = X509_new();
  int ok = x != NULL && RAND_bytes(serial, sizeof serial) == 1;
  if (ok) {
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
         X509_set_version(x, X509_VERSION_3) &&
         ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) &&
         ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) &&
         X509_set_pubkey(x, pub) &&
         X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
                                    MBSTRING_UTF8, (const unsigned char *)cn,
                                    -1, -1, 0);
  }
  BN_free(bn);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

int pvmw_pki_make_ca(const char *dir, const char *cn, long not_before,
                     long not_after, char *err, size_t errlen) {
  char prefix[PKI_PATH_MAX], pem[PKI_PATH_MAX], keyp[PKI_PATH_MAX];
  EVP_PKEY *key = NULL;
  X509 *x = NULL;
  X509V3_CTX v;
  int rc = -1;
  if (cn == NULL || cn[0] == '\0' || strlen(cn) > PVMW_PKI_NAME_MAX) {
    set_err(err, errlen, "CA name must have 1 to %d characters",
            PVMW_PKI_NAME_MAX);
    return -1;
  }
  if (not_after <= not_before) {
    set_err(err, errlen, "CA validity ends before it starts");
    return -1;
  }
  if (pvmw_pki_path_join(prefix, dir, PVMW_PKI_CA, "", err, errlen) < 0 ||
      pvmw_pki_path_join(pem, prefix, NULL, ".pem", err, errlen) < 0 ||
      pvmw_pki_path_join(keyp, prefix, NULL, ".key", err, errlen) < 0)
    return -1;
  if (pvmw_pki_exists(pem) || pvmw_pki_exists(keyp)) {
    set_err(err, errlen, "%s already exists; not replacing the CA",
            pvmw_pki_exists(pem) ? pem : keyp);
    return -1;
  }
  if ((key = new_key(err, errlen)) == NULL)
    goto out;
  x = new_cert(key, cn, not_before, not_after);
  if (x == NULL || !X509_set_issuer_name(x, X509_get_subject_name(x))) {
    set_err(err, errlen, "cannot build CA certificate: %s", ossl_reason());
    goto out;
  }
  X509V3_set_ctx(&v, x, x, NULL, NULL, 0);
  if (!add_ext(x, &v, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(x, &v, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(x, &v, NID_subject_key_identifier, "hash") ||
      !add_ext(x, &v, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(x, key, EVP_sha256()) <= 0) {
    set_err(err, errlen, "cannot sign CA certificate: %s", ossl_reason());
    goto out;
  }
  rc = pvmw_pki_publish_pair(prefix, x, key, err, errlen);
out:
  X509_free(x);
  EVP_PKEY_free(key);
  return rc;
}

/* Reads the CA's certificate and key from ca_dir. */
static int load_ca(const char *ca_dir, X509 **cax, EVP_PKEY **cak, char *err,
                   size_t errlen) {
  char pem[PKI_PATH_MAX], keyp[PKI_PATH_MAX];
  BIO *b;
  *cax = NULL;
  *cak = NULL;
  if (pvmw_pki_path_join(pem, ca_dir, PVMW_PKI_CA, ".pem", err, errlen) < 0 ||
      pvmw_pki_path_join(keyp, ca_dir, PVMW_PKI_CA, ".key", err, errlen) < 0)
    return -1;
  if ((b = pvmw_pki_open_private(pem, 0, err, errlen)) == NULL)
    return -1;
  *cax = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  if (*cax == NULL) {
    set_err(err, errlen, "%s holds no certificate (%s)", pem, ossl_reason());
    return -1;
  }
  if ((b = pvmw_pki_open_private(keyp, 1, err, errlen)) == NULL)
    goto fail;
  *cak = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  BIO_free(b);
  if (*cak == NULL) {
    set_err(err, errlen, "%s holds no private key (%s)", keyp, ossl_reason());
    goto fail;
  }
  if (X509_check_private_key(*cax, *cak) != 1) {
    set_err(err, errlen, "CA key %s does not match %s", keyp, pem);
    goto fail;
  }
  return 0;
fail:
  ERR_clear_error();
  X509_free(*cax);
  EVP_PKEY_free(*cak);
  *cax = NULL;
  *cak = NULL;
  return -1;
}

/* Signs a host certificate for pub (name as CN and DNS subjectAltName,
 * TLS client and server use) with the CA; returns it, or NULL with err. */
static X509 *sign_leaf(X509 *cax, EVP_PKEY *cak, EVP_PKEY *pub,
                       const char *name, long not_before, long not_after,
                       char *err, size_t errlen) {
  char san[PVMW_PKI_NAME_MAX + 8];
  X509V3_CTX v;
  X509 *x = new_cert(pub, name, not_before, not_after);
  if (x == NULL || !X509_set_issuer_name(x, X509_get_subject_name(cax))) {
    set_err(err, errlen, "cannot build certificate: %s", ossl_reason());
    X509_free(x);
    return NULL;
  }
  /* name passed pvmw_pki_name_ok: no ',' or ':' can smuggle entries in. */
  snprintf(san, sizeof san, "DNS:%s", name);
  X509V3_set_ctx(&v, cax, x, NULL, NULL, 0);
  if (!add_ext(x, &v, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(x, &v, NID_key_usage, "critical,digitalSignature") ||
      !add_ext(x, &v, NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_ext(x, &v, NID_subject_alt_name, san) ||
      !add_ext(x, &v, NID_subject_key_identifier, "hash") ||
      !add_ext(x, &v, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(x, cak, EVP_sha256()) <= 0) {
    set_err(err, errlen, "cannot sign certificate for %s: %s", name,
            ossl_reason());
    X509_free(x);
    return NULL;
  }
  return x;
}

static int check_name_dates(const char *name, long not_before, long not_after,
                            char *err, size_t errlen) {
  if (!pvmw_pki_name_ok(name)) {
    set_err(err, errlen,
            "\"%s\" is not a usable host name for a certificate (1 to %d of "
            "A-Z a-z 0-9 . - _)",
            name ? name : "", PVMW_PKI_NAME_MAX);
    return -1;
  }
  if (not_after <= not_before) {
    set_err(err, errlen, "certificate validity ends before it starts");
    return -1;
  }
  return 0;
}

int pvmw_pki_make_cert(const char *ca_dir, const char *out_prefix,
                       const char *name, long not_before, long not_after,
                       char *err, size_t errlen) {
  X509 *cax = NULL, *x = NULL;
  EVP_PKEY *cak = NULL, *key = NULL;
  int rc = -1;
  if (check_name_dates(name, not_before, not_after, err, errlen) < 0)
    return -1;
  if (load_ca(ca_dir, &cax, &cak, err, errlen) < 0)
    return -1;
  if ((key = new_key(err, errlen)) == NULL)
    goto out;
  x = sign_leaf(cax, cak, key, name, not_before, not_after, err, errlen);
  if (x == NULL)
    goto out;
  rc = pvmw_pki_publish_pair(out_prefix, x, key, err, errlen);
out:
  X509_free(x);
  X509_free(cax);
  EVP_PKEY_free(key);
  EVP_PKEY_free(cak);
  return rc;
}

/* ---- certificate requests (joining without a shared directory) -------- */

/* PEM text of x or key, malloc'd and NUL-terminated. */
static char *to_pem(X509 *x, EVP_PKEY *key, size_t *len) {
  BIO *b = BIO_new(BIO_s_mem());
  BUF_MEM *m = NULL;
  char *out = NULL;
  if (b != NULL &&
      (x ? PEM_write_bio_X509(b, x)
         : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) &&
      BIO_get_mem_ptr(b, &m) == 1 && m != NULL &&
      (out = malloc(m->length + 1)) != NULL) {
    memcpy(out, m->data, m->length);
    out[m->length] = '\0';
    if (len)
      *len = m->length;
  }
  if (b != NULL && key != NULL && m != NULL)
    OPENSSL_cleanse(m->data, m->length);
  BIO_free(b);
  ERR_clear_error();
  return out;
}

int pvmw_pki_make_csr(const char *name, char **key_pem, uint8_t **csr,
                      size_t *csr_len, char *err, size_t errlen) {
  EVP_PKEY *key = NULL;
  X509_REQ *req = NULL;
  unsigned char *der = NULL;
  int n, rc = -1;
  *key_pem = NULL;
  *csr = NULL;
  *csr_len = 0;
  if (!pvmw_pki_name_ok(name)) {
    set_err(err, errlen, "\"%s\" is not a usable host name for a certificate",
            name ? name : "");
    return -1;
  }
  if ((key = new_key(err, errlen)) == NULL)
    return -1;
  req = X509_REQ_new();
  if (req == NULL || !X509_REQ_set_version(req, 0) ||
      !X509_REQ_set_pubkey(req, key) ||
      !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
                                  MBSTRING_UTF8, (const unsigned char *)name,
                                  -1, -1, 0) ||
      X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
      (n = i2d_X509_REQ(req, &der)) <= 0) {
    set_err(err, errlen, "cannot make a certificate request: %s",
            ossl_reason());
    goto out;
  }
  if ((*key_pem = to_pem(NULL, key, NULL)) == NULL) {
    set_err(err, errlen, "out of memory");
    goto out;
  }
  *csr = malloc((size_t)n);
  if (*csr == NULL) {
    set_err(err, errlen, "out of memory");
    pvmw_pki_free_secret(*key_pem);
    *key_pem = NULL;
    goto out;
  }
  memcpy(*csr, der, (size_t)n);
  *csr_len = (size_t)n;
  rc = 0;
out:
  OPENSSL_free(der);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return rc;
}

void pvmw_pki_free_secret(char *s) {
  if (s != NULL) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

/* The request's subject CN, printable, into out. */
static void req_cn(X509_REQ *req, char *out, size_t len) {
  X509_NAME *subj = X509_REQ_get_subject_name(req);
  int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
  out[0] = '\0';
  if (idx >= 0) {
    ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
    int n = ASN1_STRING_length(d);
    const unsigned char *p = ASN1_STRING_get0_data(d);
    size_t j = 0;
    for (int i = 0; i < n && j + 1 < len; i++)
      out[j++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    out[j] = '\0';
  }
}

int pvmw_pki_sign_csr(const char *ca_dir, const uint8_t *csr, size_t csr_len,
                      const char *name, long not_before, long not_after,
                      char **cert_pem, char *err, size_t errlen) {
  const unsigned char *p = csr;
  X509_REQ *req = NULL;
  EVP_PKEY *pub = NULL, *cak = NULL;
  X509 *cax = NULL, *x = NULL;
  char cn[PVMW_PKI_NAME_MAX * 2 + 2];
  int rc = -1;
  *cert_pem = NULL;
  if (check_name_dates(name, not_before, not_after, err, errlen) < 0)
    return -1;
  if (csr == NULL || csr_len == 0 || csr_len > PVMW_PKI_CSR_MAX) {
    set_err(err, errlen, "certificate request of %zu bytes (1 to %d allowed)",
            csr_len, PVMW_PKI_CSR_MAX);
    return -1;
  }
  req = d2i_X509_REQ(NULL, &p, (long)csr_len);
  if (req == NULL || p != csr + csr_len) {
    set_err(err, errlen, "the certificate request does not decode");
    goto out;
  }
  pub = X509_REQ_get_pubkey(req);
  if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
    set_err(err, errlen,
            "the certificate request's signature is bad (the "
            "requester does not hold the key)");
    goto out;
  }
  if (EVP_PKEY_get_security_bits(pub) < 112) {
    set_err(err, errlen,
            "the certificate request's key is too weak (%d "
            "security bits, 112 required)",
            EVP_PKEY_get_security_bits(pub));
    goto out;
  }
  req_cn(req, cn, sizeof cn);
  if (strcasecmp(cn, name) != 0) {
    set_err(err, errlen,
            "the certificate request is for \"%s\", the credential for %s", cn,
            name);
    goto out;
  }
  if (load_ca(ca_dir, &cax, &cak, err, errlen) < 0)
    goto out;
  /* Only the public key comes from the request: the name, dates and
   * extensions are ours. */
  x = sign_leaf(cax, cak, pub, name, not_before, not_after, err, errlen);
  if (x == NULL)
    goto out;
  if ((*cert_pem = to_pem(x, NULL, NULL)) == NULL) {
    set_err(err, errlen, "out of memory");
    goto out;
  }
  rc = 0;
out:
  ERR_clear_error();
  X509_REQ_free(req);
  EVP_PKEY_free(pub);
  EVP_PKEY_free(cak);
  X509_free(cax);
  X509_free(x);
  return rc;
}

/* ---- fingerprints and checks of a certificate directory --------------- */

static int digest(X509 *x, uint8_t out[32]) {
  unsigned int n = 0;
  int ok = X509_digest(x, EVP_sha256(), out, &n) && n == 32;
  ERR_clear_error();
  return ok ? 0 : -1;
}

/* Every certificate of a PEM text; NULL with err if there is none. */
static STACK_OF(X509) * read_pems(const char *pem, size_t len, const char *what,
                                  char *err, size_t errlen) {
  BIO *b = BIO_new_mem_buf(pem, (int)len);
  STACK_OF(X509) *sk = sk_X509_new_null();
  X509 *x;
  if (b == NULL || sk == NULL || len > INT32_MAX) {
    set_err(err, errlen, "out of memory");
    BIO_free(b);
    sk_X509_free(sk);
    return NULL;
  }
  while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
    if (!sk_X509_push(sk, x))
      X509_free(x);
  ERR_clear_error();
  BIO_free(b);
  if (sk_X509_num(sk) == 0) {
    set_err(err, errlen, "%s holds no PEM certificate", what);
    sk_X509_free(sk);
    return NULL;
  }
  return sk;
}

int pvmw_pki_fingerprint(const char *pem_path, uint8_t out[32], char *err,
                         size_t errlen) {
  size_t len = 0;
  char *pem = pvmw_pki_read_file(pem_path, &len, err, errlen);
  STACK_OF(X509) * sk;
  int rc;
  if (pem == NULL)
    return -1;
  sk = read_pems(pem, len, pem_path, err, errlen);
  free(pem);
  if (sk == NULL)
    return -1;
  rc = digest(sk_X509_value(sk, 0), out);
  if (rc < 0)
    set_err(err, errlen, "cannot hash %s", pem_path);
  sk_X509_pop_free(sk, X509_free);
  return rc;
}

/* Verifies leaf (for TLS client and server use, valid now, naming name)
 * against the CAs in cas. */
static int verify_leaf(STACK_OF(X509) * cas, X509 *leaf, const char *name,
                       char *err, size_t errlen) {
  X509_STORE *st = X509_STORE_new();
  X509_STORE_CTX *xs = X509_STORE_CTX_new();
  int rc = -1;
  if (st == NULL || xs == NULL) {
    set_err(err, errlen, "out of memory");
    goto out;
  }
  for (int i = 0; i < sk_X509_num(cas); i++)
    X509_STORE_add_cert(st, sk_X509_value(cas, i));
  if (!X509_STORE_CTX_init(xs, st, leaf, NULL)) {
    set_err(err, errlen, "out of memory");
    goto out;
  }
  X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(xs) != 1) {
    set_err(err, errlen, "%s",
            X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
    goto out;
  }
  if (X509_check_host(leaf, name, 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) != 1) {
    set_err(err, errlen, "the certificate is not for %s", name);
    goto out;
  }
  rc = 0;
out:
  ERR_clear_error();
  X509_STORE_CTX_free(xs);
  X509_STORE_free(st);
  return rc;
}

int pvmw_pki_usable(const char *dir, const char *name,
                    const uint8_t ca_sha256[32], char *err, size_t errlen) {
  char path[PKI_PATH_MAX];
  uint8_t fp[32];
  size_t len = 0;
  char *pem = NULL;
  STACK_OF(X509) *cas = NULL, *leaf = NULL;
  EVP_PKEY *key = NULL;
  BIO *b;
  int ok = 0;
  if (pvmw_pki_path_join(path, dir, PVMW_PKI_CA, ".pem", err, errlen) < 0 ||
      pvmw_pki_fingerprint(path, fp, err, errlen) < 0)
    return 0;
  if (memcmp(fp, ca_sha256, 32) != 0) {
    set_err(err, errlen, "%s is another CA than the virtual machine's", path);
    return 0;
  }
  if ((pem = pvmw_pki_read_file(path, &len, err, errlen)) == NULL ||
      (cas = read_pems(pem, len, path, err, errlen)) == NULL)
    goto out;
  free(pem);
  if (pvmw_pki_path_join(path, dir, name, ".pem", err, errlen) < 0 ||
      (pem = pvmw_pki_read_file(path, &len, err, errlen)) == NULL ||
      (leaf = read_pems(pem, len, path, err, errlen)) == NULL)
    goto out;
  if (pvmw_pki_path_join(path, dir, name, ".key", err, errlen) < 0 ||
      (b = pvmw_pki_open_private(path, 1, err, errlen)) == NULL)
    goto out;
  key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  BIO_free(b);
  if (key == NULL || X509_check_private_key(sk_X509_value(leaf, 0), key) != 1) {
    set_err(err, errlen, "%s does not hold the certificate's key", path);
    goto out;
  }
  ok = verify_leaf(cas, sk_X509_value(leaf, 0), name, err, errlen) == 0;
out:
  ERR_clear_error();
  free(pem);
  sk_X509_pop_free(cas, X509_free);
  sk_X509_pop_free(leaf, X509_free);
  EVP_PKEY_free(key);
  return ok;
}

int pvmw_pki_store_joined(const char *dir, const char *name,
                          const uint8_t ca_sha256[32], const char *ca_pem,
                          size_t ca_len, const char *cert_pem, size_t cert_len,
                          const char *key_pem, char *err, size_t errlen) {
  char path[PKI_PATH_MAX], why[256];
  STACK_OF(X509) *cas = NULL, *leaf = NULL;
  EVP_PKEY *key = NULL;
  BIO *b = NULL;
  uint8_t fp[32];
  int rc = -1;
  if (!pvmw_pki_name_ok(name) || strcmp(name, PVMW_PKI_CA) == 0) {
    set_err(err, errlen, "\"%s\" is not a usable host name", name);
    return -1;
  }
  if ((cas = read_pems(ca_pem, ca_len, "the CA from the master", err,
                       errlen)) == NULL ||
      (leaf = read_pems(cert_pem, cert_len, "the certificate from the master",
                        err, errlen)) == NULL)
    goto out;
  if (digest(sk_X509_value(cas, 0), fp) < 0 || memcmp(fp, ca_sha256, 32) != 0) {
    set_err(err, errlen,
            "the CA from the master is not the one the join "
            "credential names");
    goto out;
  }
  b = BIO_new_mem_buf(key_pem, -1);
  key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
  if (key == NULL || X509_check_private_key(sk_X509_value(leaf, 0), key) != 1) {
    set_err(err, errlen,
            "the certificate from the master is not for this "
            "daemon's key");
    goto out;
  }
  if (verify_leaf(cas, sk_X509_value(leaf, 0), name, why, sizeof why) < 0) {
    set_err(err, errlen, "the certificate from the master does not verify: %s",
            why);
    goto out;
  }
  if (pvmw_pki_check_dir(dir, err, errlen) < 0)
    goto out;
  /* A directory that holds a CA key is some virtual machine's CA home:
   * never replace its CA. */
  if (pvmw_pki_path_join(path, dir, PVMW_PKI_CA, ".key", err, errlen) < 0)
    goto out;
  if (pvmw_pki_exists(path)) {
    char pem[PKI_PATH_MAX];
    uint8_t have[32];
    if (pvmw_pki_path_join(pem, dir, PVMW_PKI_CA, ".pem", err, errlen) < 0)
      goto out;
    if (pvmw_pki_fingerprint(pem, have, why, sizeof why) < 0 ||
        memcmp(have, ca_sha256, 32) != 0) {
      set_err(err, errlen,
              "%s holds another virtual machine's CA (%s); not replacing it. "
              "Use another PVM_CERTDIR for this host, or move that directory "
              "aside",
              dir, path);
      goto out;
    }
  }
  /* Key first, the CA last: a reader that finds the CA also finds the
   * rest. */
  if (pvmw_pki_replace_file(dir, name, ".key", key_pem, strlen(key_pem), err,
                            errlen) < 0 ||
      pvmw_pki_replace_file(dir, name, ".pem", cert_pem, cert_len, err,
                            errlen) < 0 ||
      pvmw_pki_replace_file(dir, PVMW_PKI_CA, ".pem", ca_pem, ca_len, err,
                            errlen) < 0)
    goto out;
  rc = 0;
out:
  ERR_clear_error();
  BIO_free(b);
  EVP_PKEY_free(key);
  sk_X509_pop_free(cas, X509_free);
  sk_X509_pop_free(leaf, X509_free);
  return rc;
}

/* ---- first start ------------------------------------------------------ */

/* Creates prefix.pem/.key with make() unless both exist; one without the
 * other is an inconsistency the user must resolve. */
static int ensure_pair(const char *prefix, int *missing, char *err,
                       size_t errlen) {
  char pem[PKI_PATH_MAX], keyp[PKI_PATH_MAX];
  int p, k;
  if (pvmw_pki_path_join(pem, prefix, NULL, ".pem", err, errlen) < 0 ||
      pvmw_pki_path_join(keyp, prefix, NULL, ".key", err, errlen) < 0)
    return -1;
  p = pvmw_pki_exists(pem);
  k = pvmw_pki_exists(keyp);
  if (p != k) {
    set_err(err, errlen,
            "%s exists but %s is missing; restore it or remove "
            "both",
            p ? pem : keyp, p ? keyp : pem);
    return -1;
  }
  *missing = !p;
  return 0;
}

int pvmw_pki_ensure(const char *dir, const char *hostname, char *err,
                    size_t errlen) {
  char lock[PKI_PATH_MAX], prefix[PKI_PATH_MAX], cn[PVMW_PKI_NAME_MAX + 1];
  long now = (long)time(NULL);
  int fd, missing = 0, rc = -1;
  if (!pvmw_pki_name_ok(hostname)) {
    set_err(err, errlen, "\"%s\" is not a usable host name for a certificate",
            hostname ? hostname : "");
    return -1;
  }
  if (strcmp(hostname, PVMW_PKI_CA) == 0) {
    set_err(err, errlen, "host name \"%s\" clashes with the CA's files",
            hostname);
    return -1;
  }
  if (pvmw_pki_check_dir(dir, err, errlen) < 0 ||
      pvmw_pki_path_join(lock, dir, ".lock", "", err, errlen) < 0)
    return -1;
  fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_err(err, errlen, "cannot open %s: %s", lock, strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX) < 0) {
    set_err(err, errlen, "cannot lock %s: %s", lock, strerror(errno));
    goto out;
  }
  if (pvmw_pki_path_join(prefix, dir, PVMW_PKI_CA, "", err, errlen) < 0 ||
      ensure_pair(prefix, &missing, err, errlen) < 0)
    goto out;
  if (missing) {
    snprintf(cn, sizeof cn, "PVM-NG CA %.*s", PVMW_PKI_NAME_MAX - 10, hostname);
    if (pvmw_pki_make_ca(dir, cn, now - BACKDATE, now + 10 * YEAR_SECONDS, err,
                         errlen) < 0)
      goto out;
  }
  if (pvmw_pki_path_join(prefix, dir, hostname, "", err, errlen) < 0 ||
      ensure_pair(prefix, &missing, err, errlen) < 0)
    goto out;
  if (missing && pvmw_pki_make_cert(dir, prefix, hostname, now - BACKDATE,
                                    now + 2 * YEAR_SECONDS, err, errlen) < 0)
    goto out;
  rc = 0;
out:
  close(fd); /* releases the lock */
  return rc;
}
