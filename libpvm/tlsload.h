/* The TLS engine of direct links between hosts, loaded on first use. */
#ifndef LPVM_TLSLOAD_H
#define LPVM_TLSLOAD_H

#include <stddef.h>

#include "tls_api.h"

/* rel (a name, or a path such as "../bin/pvmd") taken from the directory
 * libpvm3 was loaded from, into out (len bytes): 0, or -1 if that
 * directory is unknown or the path does not fit. */
int lpvm_lib_path(const char *rel, char *out, size_t len);

/* The engine's functions, loading libpvm3tls (and OpenSSL) the first time;
 * NULL with the reason in *err when it cannot be loaded (asked again, the
 * same answer). */
const struct pvmw_tls_api *lpvm_tls_api(const char **err);

#endif
