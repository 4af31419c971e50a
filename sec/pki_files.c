/* The VM's PKI, files: paths, private reads that follow no symlink, and
 * publication that never overwrites (a temporary file and link()) or
 * replaces atomically (rename()). Shared by pki.c. */
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
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

int pvmw_pki_path_join(char *out, const char *a, const char *b, const char *ext,
                       char *err, size_t errlen) {
  int n =
      snprintf(out, PKI_PATH_MAX, "%s%s%s%s", a, b ? "/" : "", b ? b : "", ext);
  if (n < 0 || n >= PKI_PATH_MAX) {
    set_err(err, errlen, "path %s/%s%s is too long", a, b ? b : "", ext);
    return -1;
  }
  return 0;
}

int pvmw_pki_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

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
int pvmw_pki_publish_pair(const char *prefix, X509 *x, EVP_PKEY *key, char *err,
                          size_t errlen) {
  char pem[PKI_PATH_MAX], keyp[PKI_PATH_MAX], tpem[PKI_PATH_MAX],
      tkey[PKI_PATH_MAX];
  int rc = -1;
  if (pvmw_pki_path_join(pem, prefix, NULL, ".pem", err, errlen) < 0 ||
      pvmw_pki_path_join(keyp, prefix, NULL, ".key", err, errlen) < 0)
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
BIO *pvmw_pki_open_private(const char *path, int is_key, char *err,
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

/* Reads a whole small file (at most 1 MiB) without following a symlink. */
static char *read_small(const char *path, size_t *len, char *err,
                        size_t errlen) {
  struct stat st;
  char *buf;
  ssize_t n;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
    set_err(err, errlen, "%s is not a regular file of at most 1 MiB", path);
    close(fd);
    return NULL;
  }
  buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL) {
    set_err(err, errlen, "out of memory");
    close(fd);
    return NULL;
  }
  n = read(fd, buf, (size_t)st.st_size);
  close(fd);
  if (n != st.st_size) {
    set_err(err, errlen, "cannot read %s", path);
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

char *pvmw_pki_read_file(const char *path, size_t *len, char *err,
                         size_t errlen) {
  return read_small(path, len, err, errlen);
}

/* Writes data into dir/file (mode 0600), replacing it atomically. */
int pvmw_pki_replace_file(const char *dir, const char *file, const char *ext,
                          const char *data, size_t len, char *err,
                          size_t errlen) {
  char final[PKI_PATH_MAX], tmp[PKI_PATH_MAX + 48];
  unsigned char r[6];
  char rhex[13];
  int fd, ok;
  if (pvmw_pki_path_join(final, dir, file, ext, err, errlen) < 0)
    return -1;
  /* Hosts sharing the directory may have equal pids: a random part too. */
  if (RAND_bytes(r, sizeof r) != 1) {
    set_err(err, errlen, "no random bytes: %s", ossl_reason());
    return -1;
  }
  for (size_t i = 0; i < sizeof r; i++)
    snprintf(rhex + 2 * i, 3, "%02x", r[i]);
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%s", final, (long)getpid(), rhex);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    return -1;
  }
  ok = fchmod(fd, 0600) == 0 && write(fd, data, len) == (ssize_t)len &&
       fsync(fd) == 0;
  if (close(fd) != 0)
    ok = 0;
  if (!ok || rename(tmp, final) != 0) {
    set_err(err, errlen, "cannot write %s: %s", final, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

int pvmw_pki_check_dir(const char *dir, char *err, size_t errlen) {
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
