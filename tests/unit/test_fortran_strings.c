/* Unit tests for bindings/fortran/fstr.c and the array conventions of
 * libfpvm3: trailing blanks trimmed going in, blank padding and truncation
 * coming out, argument splitting, and pvmfpack/pvmfunpack with every type
 * selector, counts and strides in both portable encodings. */
#include <complex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buffer.h"
#include "fpvm.h"
#include "pvm3.h"
#include "unit_recv.h"

/* The libfpvm3 entry points under test (gfortran's names). */
void pvmfinitsend_(int *encoding, int *bufid);
void pvmfpack_(int *what, void *xp, int *nitem, int *stride, int *info,
               fpvm_len lxp);
void pvmfunpack_(int *what, void *xp, int *nitem, int *stride, int *info,
                 fpvm_len lxp);

enum {
  STRING = 0,
  BYTE1,
  INTEGER2,
  INTEGER4,
  REAL4,
  COMPLEX8,
  REAL8,
  COMPLEX16,
  INTEGER8
};

/* ---- fstr.c ------------------------------------------------------------ */

static void test_trim(void **state) {
  (void)state;
  assert_int_equal(fpvm_ftrim_len("abc   ", 6), 3);
  assert_int_equal(fpvm_ftrim_len("abc", 3), 3);
  assert_int_equal(fpvm_ftrim_len("      ", 6), 0);
  assert_int_equal(fpvm_ftrim_len(" a b  ", 6), 4); /* inner/leading kept */
  assert_int_equal(fpvm_ftrim_len("ab\0cd", 5), 2); /* NUL ends the text */
  assert_int_equal(fpvm_ftrim_len("abcdef", 0), 0);
  assert_int_equal(fpvm_ftrim_len(NULL, 4), 0);
}

static void test_f2c(void **state) {
  char *c;
  (void)state;
  /* Only the hidden length bounds the read: no NUL in the Fortran text. */
  char f[8] = {'w', 'o', 'r', 'k', 'e', 'r', ' ', ' '};
  c = fpvm_f2c(f, sizeof f);
  assert_string_equal(c, "worker");
  free(c);
  c = fpvm_f2c(f, 3);
  assert_string_equal(c, "wor");
  free(c);
  c = fpvm_f2c("        ", 8);
  assert_string_equal(c, "");
  free(c);
  c = fpvm_f2c("*", 1);
  assert_string_equal(c, "*");
  free(c);
}

static void test_c2f(void **state) {
  char f[10];
  (void)state;
  memset(f, 'x', sizeof f);
  fpvm_c2f("host", f, 8);
  assert_memory_equal(f, "host    xx", 10); /* padded to 8, no further */
  fpvm_c2f("averylonghostname", f, 8);
  assert_memory_equal(f, "averylonxx", 10); /* truncated at 8 */
  fpvm_c2f("", f, 8);
  assert_memory_equal(f, "        xx", 10);
  fpvm_c2f(NULL, f, 8);
  assert_memory_equal(f, "        xx", 10);
  fpvm_c2f("abc", f, 0); /* a zero-length variable is left alone */
  assert_memory_equal(f, "        xx", 10);
}

static void test_argv(void **state) {
  int argc = -1;
  char **argv;
  (void)state;
  argv = fpvm_f2argv("  -d41   /u/jones/hosts      ", 29, &argc);
  assert_non_null(argv);
  assert_int_equal(argc, 2);
  assert_string_equal(argv[0], "-d41");
  assert_string_equal(argv[1], "/u/jones/hosts");
  assert_null(argv[2]);
  free(argv);
  argv = fpvm_f2argv("     ", 5, &argc);
  assert_int_equal(argc, 0);
  assert_null(argv[0]);
  free(argv);
}

/* ---- pvmfpack / pvmfunpack ---------------------------------------------- */

static int fpack(int what, void *xp, int n, int stride) {
  int info = 99;
  pvmfpack_(&what, xp, &n, &stride, &info, 0);
  return info;
}

static int funpack(int what, void *xp, int n, int stride) {
  int info = 99;
  pvmfunpack_(&what, xp, &n, &stride, &info, 0);
  return info;
}

static void start(int enc) {
  int bufid;
  pvmfinitsend_(&enc, &bufid);
  assert_true(bufid > 0);
}

/* Every numeric selector, packed with a stride of 2 from a 2n array and
 * unpacked with a stride of 3 into a 3n array: only every other (third)
 * element moves. */
static void test_types_and_strides(void **state) {
  static const int encodings[] = {PvmDataDefault, PvmDataRaw};
  (void)state;
  for (size_t e = 0; e < 2; e++) {
    int8_t b[8] = {1, -1, 2, -2, 127, -128, 0, 5}, b2[12];
    int16_t s[8] = {1, 0, -32768, 0, 32767, 0, 7, 0}, s2[12];
    int32_t i[8] = {INT32_MIN, 0, INT32_MAX, 0, -1, 0, 42, 0}, i2[12];
    int64_t l[8] = {-5, 0, 1234567, 0, -2147483647, 0, 2147483647, 0}, l2[12];
    float f[8] = {0.1f, 0, -2.5f, 0, 1e30f, 0, -1e-30f, 0}, f2[12];
    double d[8] = {0.1, 0, -2.5, 0, 1e300, 0, -1e-300, 0}, d2[12];
    float complex
        c[8] = {1 + 2 * I, 0, -3.5f - 0.25f * I, 0, 0.1f + 0.2f * I, 0, 0, 0},
        c2[12];
    double complex z[8] = {1 + 2 * I,     0, -3.5 - 0.25 * I, 0,
                           0.1 + 0.2 * I, 0, 1e300 * I,       0},
                   z2[12];

    memset(b2, 0x55, sizeof b2);
    memset(s2, 0x55, sizeof s2);
    memset(i2, 0x55, sizeof i2);
    memset(l2, 0x55, sizeof l2);
    memset(f2, 0, sizeof f2);
    memset(d2, 0, sizeof d2);
    memset(c2, 0, sizeof c2);
    memset(z2, 0, sizeof z2);
    start(encodings[e]);
    assert_int_equal(fpack(BYTE1, b, 4, 2), 0);
    assert_int_equal(fpack(INTEGER2, s, 4, 2), 0);
    assert_int_equal(fpack(INTEGER4, i, 4, 2), 0);
    assert_int_equal(fpack(INTEGER8, l, 4, 2), 0);
    assert_int_equal(fpack(REAL4, f, 4, 2), 0);
    assert_int_equal(fpack(REAL8, d, 4, 2), 0);
    assert_int_equal(fpack(COMPLEX8, c, 4, 2), 0);
    assert_int_equal(fpack(COMPLEX16, z, 4, 2), 0);
    pvmt_receive_sbuf();
    assert_int_equal(funpack(BYTE1, b2, 4, 3), 0);
    assert_int_equal(funpack(INTEGER2, s2, 4, 3), 0);
    assert_int_equal(funpack(INTEGER4, i2, 4, 3), 0);
    assert_int_equal(funpack(INTEGER8, l2, 4, 3), 0);
    assert_int_equal(funpack(REAL4, f2, 4, 3), 0);
    assert_int_equal(funpack(REAL8, d2, 4, 3), 0);
    assert_int_equal(funpack(COMPLEX8, c2, 4, 3), 0);
    assert_int_equal(funpack(COMPLEX16, z2, 4, 3), 0);
    for (int k = 0; k < 4; k++) {
      assert_int_equal(b2[3 * k], b[2 * k]);
      assert_int_equal(s2[3 * k], s[2 * k]);
      assert_int_equal(i2[3 * k], i[2 * k]);
      assert_true(l2[3 * k] == l[2 * k]);
      assert_memory_equal(&f2[3 * k], &f[2 * k], sizeof f[0]);
      assert_memory_equal(&d2[3 * k], &d[2 * k], sizeof d[0]);
      assert_memory_equal(&c2[3 * k], &c[2 * k], sizeof c[0]);
      assert_memory_equal(&z2[3 * k], &z[2 * k], sizeof z[0]);
      /* Elements between the strided ones are untouched. */
      assert_int_equal(b2[3 * k + 1], 0x55);
      assert_int_equal(i2[3 * k + 2], 0x55555555);
      assert_true(d2[3 * k + 1] == 0.0);
    }
    /* Past the end of the message. */
    assert_int_equal(funpack(INTEGER4, i2, 1, 1), PvmNoData);
  }
}

/* STRING: nitem characters go in without their trailing blanks and travel
 * as a C string; coming out they fill nitem characters, blank-padded or
 * truncated, and nothing past nitem (or past the variable) is written. */
static void test_strings(void **state) {
  char out[16], small[5];
  char in[20];
  int what = STRING, n, one = 1, info;
  (void)state;

  start(PvmDataDefault);
  memcpy(in, "row 5 of NXN matrix ", 20);
  n = 19;
  pvmfpack_(&what, in, &n, &one, &info, 20);
  assert_int_equal(info, 0);
  memcpy(in, "name      ", 10); /* CHARACTER*10 = 'name' */
  n = 10;
  pvmfpack_(&what, in, &n, &one, &info, 10);
  assert_int_equal(info, 0);
  n = 40; /* nitem beyond the variable: bounded by its hidden length */
  pvmfpack_(&what, in, &n, &one, &info, 6);
  assert_int_equal(info, 0);
  n = 0;
  pvmfpack_(&what, in, &n, &one, &info, 10);
  assert_int_equal(info, 0);
  assert_int_equal(pvm_pkstr("from C, a long string"), 0);
  pvmt_receive_sbuf();

  memset(out, 'x', sizeof out);
  n = 19;
  pvmfunpack_(&what, out, &n, &one, &info, 16); /* variable shorter */
  assert_int_equal(info, 0);
  assert_memory_equal(out, "row 5 of NXN mat", 16);
  memset(out, 'x', sizeof out);
  n = 8;
  pvmfunpack_(&what, out, &n, &one, &info, 16);
  assert_int_equal(info, 0);
  assert_memory_equal(out, "name    xxxxxxxx", 16); /* 8 chars, padded */
  char buf[64];
  assert_int_equal(pvm_upkstr(buf), 0); /* a Fortran string as C sees it */
  assert_string_equal(buf, "name");
  memset(out, 'x', sizeof out);
  n = 16;
  pvmfunpack_(&what, out, &n, &one, &info, 16);
  assert_int_equal(info, 0);
  assert_memory_equal(out, "                ", 16); /* empty string */
  memset(small, 'x', sizeof small);
  n = 5;
  pvmfunpack_(&what, small, &n, &one, &info, 5);
  assert_int_equal(info, 0);
  assert_memory_equal(small, "from ", 5); /* C string truncated */
  n = 5;
  pvmfunpack_(&what, small, &n, &one, &info, 5);
  assert_int_equal(info, PvmNoData);
}

static void test_bad_selectors(void **state) {
  int x = 0, n = -1, one = 1, info, what = STRING;
  (void)state;
  start(PvmDataDefault);
  assert_int_equal(fpack(9, &x, 1, 1), PvmBadParam);
  assert_int_equal(fpack(-1, &x, 1, 1), PvmBadParam);
  assert_int_equal(funpack(42, &x, 1, 1), PvmBadParam);
  pvmfpack_(&what, "abc", &n, &one, &info, 3);
  assert_int_equal(info, PvmBadParam);
}

static int teardown(void **state) {
  (void)state;
  lpvm_buf_free_all();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trim),
      cmocka_unit_test(test_f2c),
      cmocka_unit_test(test_c2f),
      cmocka_unit_test(test_argv),
      cmocka_unit_test_teardown(test_types_and_strides, teardown),
      cmocka_unit_test_teardown(test_strings, teardown),
      cmocka_unit_test_teardown(test_bad_selectors, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
