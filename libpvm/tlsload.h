/* The TLS engine of direct links between hosts, loaded on first use. */
#ifndef LPVM_TLSLOAD_H
#define LPVM_TLSLOAD_H

#include "tls_api.h"

/* The engine's functions, loading libpvm3tls (and OpenSSL) the first time;
 * NULL with the reason in *err when it cannot be loaded (asked again, the
 * same answer). */
const struct pvmw_tls_api *lpvm_tls_api(const char **err);

#endif
