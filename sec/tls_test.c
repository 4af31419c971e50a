/* Test-only calls of the TLS engine (tls_test.h), compiled only with
 * PVMNG_TESTING: they reach into a connection's session and bulk state,
 * which nothing else may. */
#include "tls_test.h"
#include "tls_int.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

int pvmw_tls_export(pvmw_tls *t, const char *label, const uint8_t *context,
                    size_t context_len, uint8_t *out, size_t n) {
  if (t->state != ST_ESTABLISHED ||
      SSL_export_keying_material(t->ssl, out, n, label, strlen(label), context,
                                 context_len, context != NULL) != 1) {
    ERR_clear_error();
    return -1;
  }
  return 0;
}

int pvmw_tls_bulk_skip(pvmw_tls *t, uint64_t write_records,
                       uint64_t read_records) {
  /* Forward only, and never past the epoch's end (the next record then
   * takes the next key): no nonce can come round again. */
  if (!t->bulk || t->bw.seq > PVMW_TLS_BULK_KEY_RECORDS ||
      t->br.seq > PVMW_TLS_BULK_KEY_RECORDS ||
      write_records > PVMW_TLS_BULK_KEY_RECORDS - t->bw.seq ||
      read_records > PVMW_TLS_BULK_KEY_RECORDS - t->br.seq)
    return -1;
  t->bw.seq += write_records;
  t->br.seq += read_records;
  return 0;
}

int pvmw_tls_bulk_epochs(const pvmw_tls *t, uint64_t *write_epoch,
                         uint64_t *read_epoch) {
  if (!t->bulk)
    return -1;
  *write_epoch = t->bw.epoch;
  *read_epoch = t->br.epoch;
  return 0;
}
