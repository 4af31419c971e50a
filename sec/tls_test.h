/* Test-only calls of the TLS engine (tls.h): what the unit tests use to
 * check bulk mode's keys and key epochs from outside. Compiled only when
 * the build has PVMNG_TESTING (the repository's own builds; a packaged
 * build leaves them out, and nothing in the daemon or the libraries calls
 * them). */
#ifndef PVMW_TLS_TEST_H
#define PVMW_TLS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

#ifndef PVMNG_TESTING
#error "tls_test.h is for builds with PVMNG_TESTING (tests only)"
#endif

/* Keying material exported from the session (RFC 8446 7.5): n bytes under
 * label, with context (context_len bytes) or, when context is NULL,
 * without one. For tests that check bulk mode's keys from outside. 0, or
 * -1 before the handshake is done. */
int pvmw_tls_export(pvmw_tls *t, const char *label, const uint8_t *context,
                    size_t context_len, uint8_t *out, size_t n);

/* For tests: simulates a long-lived bulk link without moving 128 GiB.
 * Advances this end's record sequence numbers within the current key
 * epochs, as if write_records more records had been sealed and
 * read_records more opened. The peer must be advanced to match (its read
 * count by our write count and the other way round), otherwise the next
 * record fails authentication, as the sequence number is part of each
 * record's nonce. It cannot weaken the protection: the counters only move
 * forward, and never past PVMW_TLS_BULK_KEY_RECORDS (where the next record
 * takes the next key), hence no nonce is ever used twice under one key.
 * Returns 0, or -1 (nothing moved) when t is not in bulk mode or a counter
 * would pass the epoch's end. */
int pvmw_tls_bulk_skip(pvmw_tls *t, uint64_t write_records,
                       uint64_t read_records);

/* The key epochs of this end's two directions (0 at the switch to bulk
 * mode, one more every PVMW_TLS_BULK_KEY_RECORDS records). 0, or -1 when t
 * is not in bulk mode. */
int pvmw_tls_bulk_epochs(const pvmw_tls *t, uint64_t *write_epoch,
                         uint64_t *read_epoch);

#endif
