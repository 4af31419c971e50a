/* libpvm3tls: the TLS engine's table of functions (tls_api.h). */
#include "tls_api.h"

const struct pvmw_tls_api pvm3tls_api_v3 = {
    .ctx_new = pvmw_tls_ctx_new,
    .ctx_free = pvmw_tls_ctx_free,
    .tls_new = pvmw_tls_new,
    .tls_free = pvmw_tls_free,
    .handshake = pvmw_tls_handshake,
    .established = pvmw_tls_established,
    .read = pvmw_tls_read,
    .write = pvmw_tls_write,
    .outgoing = pvmw_tls_outgoing,
    .consumed = pvmw_tls_consumed,
    .pending = pvmw_tls_pending,
    .in_space_n = pvmw_tls_in_space_n,
    .in_commit = pvmw_tls_in_commit,
    .reason = pvmw_tls_reason,
    .peer_name = pvmw_tls_peer_name,
    .binding = pvmw_tls_binding,
    .bulk = pvmw_tls_bulk,
    .bulk_has = pvmw_tls_bulk_has,
    .bulk_cipher = pvmw_tls_bulk_cipher,
    .shutdown = pvmw_tls_shutdown,
};
