/* The VM's PKI: key generation, certificate building and signing with the
 * EVP API, and careful file handling (private modes, no symlink following,
 * no overwriting, atomic publication through a temporary file and link()). */
#include "pki.h"

#include "osslerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PKI_PATH_MAX 4096
#define YEAR_SECONDS 31556952L /* 365.2425 days */
#define BACKDATE 3600L         /* tolerate an hour of clock skew */


int pvmw_pki_name_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > PVMW_PKI_NAME_MAX || name[0] == '.' || name[0] == '-')
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

static int path_join(char *out, const char *a, const char *b, const char *ext,
                     char *err, size_t errlen) {
  int n =
      snprintf(out, PKI_PATH_MAX, "%s%s%s%s", a, b ? "/" : "", b ? b : "", ext);
  if (n < 0 || n >= PKI_PATH_MAX) {
    set_err(err, errlen, "path %s/%s%s is too long", a, b ? b : "", ext);
    return -1;
  }
  return 0;
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* ---- files ------------------------------------------------------------ */

/* Writes x (or key) as PEM into a new temporary file beside final; the
 * caller publishes it with link(). Returns 0 and the name in tmp. */
static int write_tmp(const char *final, mode_t mode, X509 *x, EVP_PKEY *key,
                     char *tmp, char *err, size_t errlen) {
  static unsigned counter;
  BIO *b;
  int fd, ok;
  int n = snprintf(tmp, PKI_PATH_MAX, "%s.tmp-%ld-%u", final, (long)getpid(),
                   counter++);
  if (n < 0 || n >= PKI_PATH_MAX) {
    set_err(err, errlen, "path %s is too long", final);
    return -1;
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    return -1;
  }
  if (fchmod(fd, mode) < 0) {
    set_err(err, errlen, "cannot set mode of %s: %s", tmp, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
  }
  b = BIO_new_fd(fd, BIO_NOCLOSE);
  ok = b != NULL &&
       (x ? PEM_write_bio_X509(b, x)
          : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) &&
       BIO_flush(b) == 1;
  BIO_free(b);
  if (!ok) {
    set_err(err, errlen, "cannot write %s: %s", tmp, ossl_reason());
  } else if (fsync(fd) < 0) {
    set_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    ok = 0;
  }
  if (close(fd) < 0 && ok) {
    set_err(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    ok = 0;
  }
  if (!ok) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* Publishes a certificate and its key (key first), never replacing an
 * existing file; on failure nothing new is left behind. */
static int publish_pair(const char *prefix, X509 *x, EVP_PKEY *key, char *err,
                        size_t errlen) {
  char pem[PKI_PATH_MAX], keyp[PKI_PATH_MAX], tpem[PKI_PATH_MAX],
      tkey[PKI_PATH_MAX];
  int rc = -1;
  if (path_join(pem, prefix, NULL, ".pem", err, errlen) < 0 ||
      path_join(keyp, prefix, NULL, ".key", err, errlen) < 0)
    return -1;
  if (write_tmp(keyp, 0600, NULL, key, tkey, err, errlen) < 0)
    return -1;
  if (write_tmp(pem, 0644, x, NULL, tpem, err, errlen) < 0) {
    unlink(tkey);
    return -1;
  }
  if (link(tkey, keyp) < 0) {
    set_err(err, errlen, "cannot create %s: %s", keyp, strerror(errno));
  } else if (link(tpem, pem) < 0) {
    set_err(err, errlen, "cannot create %s: %s", pem, strerror(errno));
    unlink(keyp);
  } else {
    rc = 0;
  }
  unlink(tkey);
  unlink(tpem);
  return rc;
}

/* Opens a file without following a symlink; for a key, also insists that
 * it is ours and private. */
static BIO *open_private(const char *path, int is_key, char *err,
                         size_t errlen) {
  struct stat st;
  BIO *b;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    set_err(err, errlen, "%s is not a regular file", path);
    close(fd);
    return NULL;
  }
  if (is_key && (st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
    set_err(err, errlen,
            "key %s must belong to you and be private (mode 0600); it has "
            "uid %u mode %03o",
            path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
    close(fd);
    return NULL;
  }
  b = BIO_new_fd(fd, BIO_CLOSE);
  if (b == NULL) {
    set_err(err, errlen, "out of memory");
    close(fd);
  }
  return b;
}

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
  if (path_join(prefix, dir, PVMW_PKI_CA, "", err, errlen) < 0 ||
      path_join(pem, prefix, NULL, ".pem", err, errlen) < 0 ||
      path_join(keyp, prefix, NULL, ".key", err, errlen) < 0)
    return -1;
  if (exists(pem) || exists(keyp)) {
    set_err(err, errlen, "%s already exists; not replacing the CA",
            exists(pem) ? pem : keyp);
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
  rc = publish_pair(prefix, x, key, err, errlen);
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
  if (path_join(pem, ca_dir, PVMW_PKI_CA, ".pem", err, errlen) < 0 ||
      path_join(keyp, ca_dir, PVMW_PKI_CA, ".key", err, errlen) < 0)
    return -1;
  if ((b = open_private(pem, 0, err, errlen)) == NULL)
    return -1;
  *cax = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  if (*cax == NULL) {
    set_err(err, errlen, "%s holds no certificate (%s)", pem, ossl_reason());
    return -1;
  }
  if ((b = open_private(keyp, 1, err, errlen)) == NULL)
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

int pvmw_pki_make_cert(const char *ca_dir, const char *out_prefix,
                       const char *name, long not_before, long not_after,
                       char *err, size_t errlen) {
  char san[PVMW_PKI_NAME_MAX + 8];
  X509 *cax = NULL, *x = NULL;
  EVP_PKEY *cak = NULL, *key = NULL;
  X509V3_CTX v;
  int rc = -1;
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
  if (load_ca(ca_dir, &cax, &cak, err, errlen) < 0)
    return -1;
  if ((key = new_key(err, errlen)) == NULL)
    goto out;
  x = new_cert(key, name, not_before, not_after);
  if (x == NULL || !X509_set_issuer_name(x, X509_get_subject_name(cax))) {
    set_err(err, errlen, "cannot build certificate: %s", ossl_reason());
    goto out;
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
    goto out;
  }
  rc = publish_pair(out_prefix, x, key, err, errlen);
out:
  X509_free(x);
  X509_free(cax);
  EVP_PKEY_free(key);
  EVP_PKEY_free(cak);
  return rc;
}

/* ---- first start ------------------------------------------------------ */

static int check_dir(const char *dir, char *err, size_t errlen) {
  struct stat st;
  if (lstat(dir, &st) < 0) {
    if (errno != ENOENT) {
      set_err(err, errlen, "PKI directory %s: %s", dir, strerror(errno));
      return -1;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
      set_err(err, errlen, "cannot create PKI directory %s: %s", dir,
              strerror(errno));
      return -1;
    }
    if (lstat(dir, &st) < 0) {
      set_err(err, errlen, "PKI directory %s: %s", dir, strerror(errno));
      return -1;
    }
  }
  if (S_ISLNK(st.st_mode)) {
    set_err(err, errlen,
            "PKI directory %s is a symbolic link; refusing to use it", dir);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    set_err(err, errlen, "PKI path %s is not a directory", dir);
    return -1;
  }
  if (st.st_uid != geteuid()) {
    set_err(err, errlen,
            "PKI directory %s belongs to uid %u, not to you (uid %u)", dir,
            (unsigned)st.st_uid, (unsigned)geteuid());
    return -1;
  }
  if ((st.st_mode & 077) != 0) {
    set_err(err, errlen,
            "PKI directory %s is open to others (mode %03o); it must be 0700 "
            "(chmod 700 %s)",
            dir, (unsigned)(st.st_mode & 0777), dir);
    return -1;
  }
  return 0;
}

/* Creates prefix.pem/.key with make() unless both exist; one without the
 * other is an inconsistency the user must resolve. */
static int ensure_pair(const char *prefix, int *missing, char *err,
                       size_t errlen) {
  char pem[PKI_PATH_MAX], keyp[PKI_PATH_MAX];
  int p, k;
  if (path_join(pem, prefix, NULL, ".pem", err, errlen) < 0 ||
      path_join(keyp, prefix, NULL, ".key", err, errlen) < 0)
    return -1;
  p = exists(pem);
  k = exists(keyp);
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
  if (check_dir(dir, err, errlen) < 0 ||
      path_join(lock, dir, ".lock", "", err, errlen) < 0)
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
  if (path_join(prefix, dir, PVMW_PKI_CA, "", err, errlen) < 0 ||
      ensure_pair(prefix, &missing, err, errlen) < 0)
    goto out;
  if (missing) {
    snprintf(cn, sizeof cn, "PVM-NG CA %.*s", PVMW_PKI_NAME_MAX - 10, hostname);
    if (pvmw_pki_make_ca(dir, cn, now - BACKDATE, now + 10 * YEAR_SECONDS, err,
                         errlen) < 0)
      goto out;
  }
  if (path_join(prefix, dir, hostname, "", err, errlen) < 0 ||
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
