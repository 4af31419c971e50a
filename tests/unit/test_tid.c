/* Unit tests for wire/tid.c: tid layout, formatting and parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "tid.h"

static void test_layout(void **state) {
  (void)state;
  int t = pvmw_tid_make(1, 1);
  assert_int_equal(t, 0x40001);
  assert_int_equal(pvmw_tid_host(t), 1);
  assert_int_equal(pvmw_tid_local(t), 1);
  assert_int_equal(pvmw_tid_daemon(t), 0x40000);
  assert_true(pvmw_tid_is_task(t));
  assert_false(pvmw_tid_is_task(0x40000));
  assert_true(pvmw_tid_is_daemon(0x40000));
  assert_false(pvmw_tid_is_daemon(0x40001));
  assert_false(pvmw_tid_is_task(0));
  assert_false(pvmw_tid_is_task(-1));
  assert_false(pvmw_tid_is_task(0x1));                  /* no host part */
  assert_false(pvmw_tid_is_task(0x40000000 | 0x40001)); /* G bit */
  t = pvmw_tid_make(PVMW_TID_MAX_HOST, PVMW_TID_MAX_LOCAL);
  assert_int_equal(pvmw_tid_host(t), PVMW_TID_MAX_HOST);
  assert_int_equal(pvmw_tid_local(t), PVMW_TID_MAX_LOCAL);
  assert_true(pvmw_tid_is_task(t));
}

static void test_format_parse(void **state) {
  (void)state;
  char buf[16];
  int t = 0;
  assert_string_equal(pvmw_tid_str(0x40001, buf, sizeof buf), "t40001");
  assert_string_equal(pvmw_tid_str(0x3ffc0abc, buf, sizeof buf), "t3ffc0abc");
  assert_int_equal(pvmw_tid_parse("t40001", &t), 0);
  assert_int_equal(t, 0x40001);
  assert_int_equal(pvmw_tid_parse("40002", &t), 0);
  assert_int_equal(t, 0x40002);
  assert_int_equal(pvmw_tid_parse("0x40003", &t), 0);
  assert_int_equal(t, 0x40003);
  assert_int_equal(pvmw_tid_parse("", &t), -1);
  assert_int_equal(pvmw_tid_parse("t", &t), -1);
  assert_int_equal(pvmw_tid_parse("t4000g", &t), -1);
  assert_int_equal(pvmw_tid_parse("-5", &t), -1);
  assert_int_equal(pvmw_tid_parse("fffffffff", &t), -1);
  assert_int_equal(pvmw_tid_parse(NULL, &t), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),
      cmocka_unit_test(test_format_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
