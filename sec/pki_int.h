/* Internals of the VM's PKI (pki.h) shared by pki.c (keys, certificates,
 * requests, checks of a directory) and pki_files.c (the file handling
 * under them). All return 0 or -1 with the reason in err unless said. */
#ifndef PVMW_PKI_INT_H
#define PVMW_PKI_INT_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define PKI_PATH_MAX 4096

/* out (PKI_PATH_MAX bytes) = a "/" b ext (no "/" b when b is NULL). */
int pvmw_pki_path_join(char *out, const char *a, const char *b, const char *ext,
                       char *err, size_t errlen);
/* 1 when something (a symlink too) is at path, else 0. */
int pvmw_pki_exists(const char *path);
/* Publishes <prefix>.pem and <prefix>.key (key first), never replacing an
 * existing file; on failure nothing new is left behind. */
int pvmw_pki_publish_pair(const char *prefix, X509 *x, EVP_PKEY *key, char *err,
                          size_t errlen);
/* Opens path without following a symlink; for a key (is_key), insists
 * that it is ours and private. NULL with the reason in err. */
BIO *pvmw_pki_open_private(const char *path, int is_key, char *err,
                           size_t errlen);
/* Writes data into dir/file ext (mode 0600), replacing it atomically. */
int pvmw_pki_replace_file(const char *dir, const char *file, const char *ext,
                          const char *data, size_t len, char *err,
                          size_t errlen);
/* Checks (or makes, mode 0700) a PKI directory: ours, private, no
 * symlink. */
int pvmw_pki_check_dir(const char *dir, char *err, size_t errlen);

#endif
