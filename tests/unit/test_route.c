/* Unit tests for the choice of record protection on direct links between
 * hosts (libpvm/link_ask.c): what a task accepts ($PVMNG_BULK_AEAD) and which
 * AEAD the acceptor takes from the opener's offer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "link_tls.h"
#include "tls.h"

static void accepts(const char *env, int ocb_ok, int want_n, int first) {
  int out[2] = {-1, -1};
  int n = lpvm_bulk_accepts(env, ocb_ok, out);
  assert_int_equal(n, want_n);
  if (n > 0) {
    assert_int_equal(out[0], first);
    assert_int_equal(out[n - 1], PVMW_BULK_GCM); /* always, and last */
  }
}

/* AES-OCB first by default, where OpenSSL has it; "gcm" alone, in any
 * case; anything else refused. */
static void test_accepts(void **state) {
  (void)state;
  accepts(NULL, 1, 2, PVMW_BULK_OCB);
  accepts("", 1, 2, PVMW_BULK_OCB);
  accepts("ocb", 1, 2, PVMW_BULK_OCB);
  accepts("ocb", 0, 1, PVMW_BULK_GCM);
  accepts(NULL, 0, 1, PVMW_BULK_GCM);
  accepts("gcm", 1, 1, PVMW_BULK_GCM);
  accepts("gcm", 0, 1, PVMW_BULK_GCM);
  accepts("GCM", 1, 1, PVMW_BULK_GCM);
  accepts("Gcm", 0, 1, PVMW_BULK_GCM);
  accepts("OCB", 1, 2, PVMW_BULK_OCB);
  accepts("gcm-only", 1, -1, 0);
  accepts("ocb ", 1, -1, 0);
  accepts("aes", 1, -1, 0);
  accepts("chacha20", 1, -1, 0);
}

/* The opener's order decides among what both accept; AES-GCM when they
 * share nothing else, or the opener offered nothing (an older opener). */
static void test_choose(void **state) {
  (void)state;
  const int both[] = {PVMW_BULK_OCB, PVMW_BULK_GCM}, gcm[] = {PVMW_BULK_GCM};
  const uint32_t ocb_first[] = {PVMW_BULK_OCB, PVMW_BULK_GCM};
  const uint32_t gcm_first[] = {PVMW_BULK_GCM, PVMW_BULK_OCB};
  const uint32_t unknown[] = {7, PVMW_BULK_OCB}, only_unknown[] = {7};
  assert_int_equal(lpvm_bulk_choose(ocb_first, 2, both, 2), PVMW_BULK_OCB);
  assert_int_equal(lpvm_bulk_choose(ocb_first, 2, gcm, 1), PVMW_BULK_GCM);
  assert_int_equal(lpvm_bulk_choose(gcm_first, 2, both, 2), PVMW_BULK_GCM);
  assert_int_equal(lpvm_bulk_choose(ocb_first, 1, both, 2), PVMW_BULK_OCB);
  assert_int_equal(lpvm_bulk_choose(ocb_first, 1, gcm, 1), PVMW_BULK_GCM);
  assert_int_equal(lpvm_bulk_choose(NULL, 0, both, 2), PVMW_BULK_GCM);
  assert_int_equal(lpvm_bulk_choose(unknown, 2, both, 2), PVMW_BULK_OCB);
  assert_int_equal(lpvm_bulk_choose(only_unknown, 1, both, 2), PVMW_BULK_GCM);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts),
      cmocka_unit_test(test_choose),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
