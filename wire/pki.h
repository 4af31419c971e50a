/* The virtual machine's own PKI: a CA and per-host certificates (EC P-256,
 * SHA-256) made with OpenSSL's EVP API, written with private file modes,
 * and the first-start step that creates them under a private directory. */
#ifndef PVMW_PKI_H
#define PVMW_PKI_H

#include <stddef.h>

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

/* Whether name is acceptable as a certificate identity. */
int pvmw_pki_name_ok(const char *name);

#endif
