/* Unit tests for libpvm/packf.c: pvm_packf / pvm_unpackf formats (values
 * and addresses, counts and strides, '*' arguments, modifiers, %+) in every
 * encoding, and malformed formats. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"
#include "unit_recv.h"

static const int encodings[] = {PvmDataDefault, PvmDataRaw, PvmDataInPlace};

static int teardown(void **state) {
  (void)state;
  lpvm_buf_free_all();
  return 0;
}

/* The example of pvm_packf(3PVM) and pvm_unpackf(3PVM). */
static void test_man_page_example(void **state) {
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    int count = 5, iarry[5] = {1, 2, 3, 4, 5};
    double darry[4] = {0.5, 1.5, 2.5, 3.5};
    int count2 = 0, iarry2[5] = {0};
    double darry2[4] = {0};

    assert_int_equal(
        pvm_packf("%+ %d %*d %4lf", encodings[e], count, count, iarry, darry),
        0);
    assert_true(pvm_getsbuf() > 0);
    assert_int_equal(lpvm_buf_get(pvm_getsbuf())->enc, encodings[e]);
    pvmt_receive_sbuf();
    assert_int_equal(pvm_unpackf("%d", &count2), 0);
    assert_int_equal(count2, 5);
    assert_int_equal(pvm_unpackf("%*d %4lf", count2, iarry2, darry2), 0);
    assert_memory_equal(iarry, iarry2, sizeof iarry);
    assert_memory_equal(darry, darry2, sizeof darry);
    assert_int_equal(pvm_unpackf("%d", &count2), PvmNoData);
  }
}

/* Every conversion by value, unpacked by address. */
static void test_values(void **state) {
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    char c;
    short h;
    unsigned short hu;
    int d;
    unsigned u;
    long l;
    unsigned long lu;
    float f, x[2];
    double lf, lx[2];
    char s[16];

    pvm_initsend(encodings[e]);
    assert_int_equal(pvm_packf("%c %uc %hd %hud %d %ud %ld %lud %uld", 'A', 200,
                               -300, 65000, INT_MIN, UINT_MAX, LONG_MIN,
                               ULONG_MAX, 7UL),
                     0);
    assert_int_equal(pvm_packf("%f %lf %x %lx %s", 1.25, -2.5e300, 3.0, -4.0,
                               5.5, 6.5, "str"),
                     0);
    pvmt_receive_sbuf();
    assert_int_equal(pvm_unpackf("%c", &c), 0);
    assert_int_equal(c, 'A');
    assert_int_equal(pvm_unpackf("%uc", &c), 0);
    assert_int_equal((unsigned char)c, 200);
    assert_int_equal(pvm_unpackf("%hd %hud", &h, &hu), 0);
    assert_int_equal(h, -300);
    assert_int_equal(hu, 65000);
    assert_int_equal(pvm_unpackf("%d %ud", &d, &u), 0);
    assert_int_equal(d, INT_MIN);
    assert_true(u == UINT_MAX);
    assert_int_equal(pvm_unpackf("%ld %lud", &l, &lu), 0);
    assert_true(l == LONG_MIN);
    assert_true(lu == ULONG_MAX);
    assert_int_equal(pvm_unpackf("%uld", &lu), 0);
    assert_true(lu == 7);
    assert_int_equal(pvm_unpackf("%f %lf", &f, &lf), 0);
    assert_true(f == 1.25f);
    assert_true(lf == -2.5e300);
    assert_int_equal(pvm_unpackf("%x %lx", x, lx), 0);
    assert_true(x[0] == 3.0f && x[1] == -4.0f);
    assert_true(lx[0] == 5.5 && lx[1] == 6.5);
    assert_int_equal(pvm_unpackf("%s", s), 0);
    assert_string_equal(s, "str");
    pvm_freebuf(pvm_getrbuf());
  }
}

/* Counts and strides, as digits and as '*'. */
static void test_counts_and_strides(void **state) {
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    int a[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    short hs[6] = {10, 11, 12, 13, 14, 15};
    float fx[6] = {1, 2, 3, 4, 5, 6}; /* three complex numbers */
    char bytes[5] = {'a', 'b', 'c', 'd', 'e'};
    int b[9];
    short hs2[6];
    float fx2[4];
    char bytes2[5];

    pvm_initsend(encodings[e]);
    assert_int_equal(pvm_packf("%3d", a), 0);             /* 1 2 3 */
    assert_int_equal(pvm_packf("%3.3d", a), 0);           /* 1 4 7 */
    assert_int_equal(pvm_packf("%*.*d", 2, 4, a + 1), 0); /* 2 6 */
    assert_int_equal(pvm_packf("%.2d", a + 8), 0);        /* 9 (address) */
    assert_int_equal(pvm_packf("%3.2hd", hs), 0);         /* 10 12 14 */
    assert_int_equal(pvm_packf("%2.2x", fx), 0);          /* (1,2) (5,6) */
    assert_int_equal(pvm_packf("%5c", bytes), 0);
    assert_int_equal(pvm_packf("%0d", a), 0);
    pvmt_receive_sbuf();
    memset(b, 0, sizeof b);
    assert_int_equal(pvm_unpackf("%6d", b), 0);
    int want[6] = {1, 2, 3, 1, 4, 7};
    assert_memory_equal(b, want, sizeof want);
    memset(b, 0, sizeof b);
    assert_int_equal(pvm_unpackf("%*.*d", 3, 2, b), 0); /* into b[0,2,4] */
    assert_int_equal(b[0], 2);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[2], 6);
    assert_int_equal(b[4], 9);
    memset(hs2, 0, sizeof hs2);
    assert_int_equal(pvm_unpackf("%3hd", hs2), 0);
    assert_int_equal(hs2[0], 10);
    assert_int_equal(hs2[1], 12);
    assert_int_equal(hs2[2], 14);
    assert_int_equal(pvm_unpackf("%2x", fx2), 0);
    assert_true(fx2[0] == 1 && fx2[1] == 2 && fx2[2] == 5 && fx2[3] == 6);
    assert_int_equal(pvm_unpackf("%5c", bytes2), 0);
    assert_memory_equal(bytes, bytes2, sizeof bytes);
    assert_int_equal(pvm_unpackf("%0d", b), 0);
    assert_int_equal(pvm_unpackf("%d", b), PvmNoData);
    pvm_freebuf(pvm_getrbuf());
  }
}

static void test_init_encoding(void **state) {
  int x = 0;
  (void)state;
  assert_int_equal(pvm_packf("%+", PvmDataRaw), 0);
  int first = pvm_getsbuf();
  assert_true(first > 0);
  assert_int_equal(lpvm_buf_get(first)->enc, PvmDataRaw);
  assert_int_equal(pvm_packf("%+%d", PvmDataDefault, 42), 0);
  assert_int_equal(lpvm_buf_get(pvm_getsbuf())->enc, PvmDataDefault);
  assert_int_equal(pvm_packf("%+", 77), PvmBadParam);
  /* %+ only opens a format. */
  pvm_initsend(PvmDataDefault);
  assert_int_equal(pvm_packf("%d %+", 1, PvmDataRaw), PvmBadParam);
  /* pvm_unpackf takes and ignores it. */
  pvm_initsend(PvmDataDefault);
  pvm_packf("%d", 5);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_unpackf("%+ %d", PvmDataRaw, &x), 0);
  assert_int_equal(x, 5);
}

static void test_bad_formats(void **state) {
  int a[2] = {0};
  float f = 0;
  (void)state;
  assert_int_equal(pvm_packf("%d", 1), PvmNoBuf);
  assert_int_equal(pvm_unpackf("%d", a), PvmNoBuf);
  pvm_initsend(PvmDataDefault);
  assert_int_equal(pvm_packf(NULL), PvmBadParam);
  assert_int_equal(pvm_packf("%q", 1), PvmBadParam);
  assert_int_equal(pvm_packf("%", 1), PvmBadParam);
  assert_int_equal(pvm_packf("%hf", 1.0), PvmBadParam);
  assert_int_equal(pvm_packf("%lc", 1), PvmBadParam);
  assert_int_equal(pvm_packf("%hld", 1), PvmBadParam);
  assert_int_equal(pvm_packf("%lld", 1L), PvmBadParam);
  assert_int_equal(pvm_packf("%uf", 1.0), PvmBadParam);
  assert_int_equal(pvm_packf("%3s", "x"), PvmBadParam);
  assert_int_equal(pvm_packf("%.d", a), PvmBadParam);
  assert_int_equal(pvm_packf("%99999999999d", a), PvmBadParam);
  assert_int_equal(pvm_packf("%*d", -1, a), PvmBadParam);
  assert_int_equal(pvm_packf("%2.*d", 0, a), PvmBadParam);
  assert_int_equal(lpvm_buf_length(lpvm_buf_get(pvm_getsbuf())), 0);
  /* Text between conversions is ignored; a failure stops the format. */
  assert_int_equal(pvm_packf("ints: %d, %d;", 1, 2), 0);
  assert_int_equal(pvm_packf("%d %q %d", 3, 4), PvmBadParam);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_unpackf("%4d", a), PvmNoData);
  assert_int_equal(pvm_unpackf("%f", &f), PvmBadMsg);
  assert_int_equal(pvm_unpackf("%2d", a), 0);
  assert_int_equal(a[0], 1);
  assert_int_equal(a[1], 2);
  assert_int_equal(pvm_unpackf("%d", a), 0);
  assert_int_equal(a[0], 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_man_page_example, teardown),
      cmocka_unit_test_teardown(test_values, teardown),
      cmocka_unit_test_teardown(test_counts_and_strides, teardown),
      cmocka_unit_test_teardown(test_init_encoding, teardown),
      cmocka_unit_test_teardown(test_bad_formats, teardown),
  };
  lpvm_opts.autoerr = 0; /* the failures below are expected */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
