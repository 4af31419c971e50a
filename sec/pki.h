/* The virtual machine's own PKI: a CA and per-host certificates (EC P-256,
 * SHA-256) made with OpenSSL's EVP API, written with private file modes,
 * and the first-start step that creates them under a private directory. */
#ifndef PVMW_PKI_H
#define PVMW_PKI_H

#include <stddef.h>
#include <stdint.h>

/* File names inside a PKI directory: PVMW_PKI_CA ".pem" / ".key" for the
 * CA, "<hostname>.pem" / "<hostname>.key" for each host, so that one
 * directory (a shared home) can serve every host of the VM. */
#define PVMW_PKI_CA "ca"
#define PVMW_PKI_NAME_MAX 64 /* host names: [A-Za-z0-9._-], CN limit */

/* Times are absolute Unix times (seconds). All functions return 0 or -1
 * with a reason naming the path in err. No function overwrites an existing
 * file: a target that exists is an error. Keys are written mode 0600,
 * certificates 0644, each published atomically (complete or absent). */

/* Writes dir/ca.pem and dir/ca.key: a self-signed CA named cn. */
int pvmw_pki_make_ca(const char *dir, const char *cn, long not_before,
                     long not_after, char *err, size_t errlen);

/* Writes <out_prefix>.pem and <out_prefix>.key: a certificate for `name`
 * (CN and subjectAltName DNS entry; extendedKeyUsage serverAuth and
 * clientAuth) signed by the CA in ca_dir. */
int pvmw_pki_make_cert(const char *ca_dir, const char *out_prefix,
                       const char *name, long not_before, long not_after,
                       char *err, size_t errlen);

/* First start of a VM: makes dir (mode 0700) if missing, refusing a
 * symlink, a non-directory, another owner's directory or one open to
 * group/others; then creates the CA (10 years) and this host's certificate
 * (2 years) if they are missing, leaving existing files alone. Holds a lock
 * (dir/.lock) meanwhile so that hosts sharing the directory do not race. */
int pvmw_pki_ensure(const char *dir, const char *hostname, char *err,
                    size_t errlen);

/* ---- joining without a shared directory (the join credential) ------- */

#define PVMW_PKI_CSR_MAX 8192 /* largest certificate request accepted */

/* Joiner: a new EC P-256 key and a PKCS#10 request for name signed with
 * it. *key_pem (PEM text; free with pvmw_pki_free_secret) and *csr (DER;
 * free) are the caller's. Returns 0 or -1 with err. */
int pvmw_pki_make_csr(const char *name, char **key_pem, uint8_t **csr,
                      size_t *csr_len, char *err, size_t errlen);
void pvmw_pki_free_secret(char *s); /* wipes, then frees */

/* Master: checks a request (size, decodes, self-signature = possession of
 * the key, key strength, subject CN = name) and signs a host certificate
 * for name with the CA in ca_dir, taking only the public key from the
 * request. *cert_pem (malloc'd PEM) is the caller's. 0 or -1 with err. */
int pvmw_pki_sign_csr(const char *ca_dir, const uint8_t *csr, size_t csr_len,
                      const char *name, long not_before, long not_after,
                      char **cert_pem, char *err, size_t errlen);

/* SHA-256 of the (first) certificate in a PEM file, DER-encoded. */
int pvmw_pki_fingerprint(const char *pem_path, uint8_t out[32], char *err,
                         size_t errlen);

/* A whole small file (at most 1 MiB), malloc'd and NUL-terminated; the
 * caller frees. NULL with err. */
char *pvmw_pki_read_file(const char *path, size_t *len, char *err,
                         size_t errlen);

/* Joiner: 1 when dir holds ca.pem with fingerprint ca_sha256 and a key and
 * certificate for name that verify against it now (a shared home, or an
 * earlier join); 0 otherwise, with the reason in err. */
int pvmw_pki_usable(const char *dir, const char *name,
                    const uint8_t ca_sha256[32], char *err, size_t errlen);

/* Joiner: checks what the master sent (the CA has fingerprint ca_sha256;
 * the certificate names name, matches key_pem and verifies against the
 * CA) and stores dir/name.key, dir/name.pem and dir/ca.pem, each mode
 * 0600, replacing older ones; dir is made 0700 if missing (same checks as
 * pvmw_pki_ensure). Refuses to replace the CA of a directory that holds a
 * CA key (a master's). 0 or -1 with err. */
int pvmw_pki_store_joined(const char *dir, const char *name,
                          const uint8_t ca_sha256[32], const char *ca_pem,
                          size_t ca_len, const char *cert_pem, size_t cert_len,
                          const char *key_pem, char *err, size_t errlen);

/* Whether name is acceptable as a certificate identity. */
int pvmw_pki_name_ok(const char *name);

#endif
