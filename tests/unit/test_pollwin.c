/* Unit tests for wire/pollwin.c, the polling windows' decisions: the score
 * each kind of window keeps (a window opens only while most recent ones
 * would have caught their input) and the crowded-processors rule (no
 * polling while the other runnable threads fill every processor). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pollwin.h"

#define US 1000u

/* A ping-pong: every answer comes inside the window, which stays open. */
static void test_answers_in_time_keep_it_open(void **state) {
  struct pvmw_pollwin s = {0};
  uint64_t t = 1000 * US;
  (void)state;
  for (int i = 0; i < 100; i++) {
    assert_true(pvmw_pollwin_open(&s, t, 300));
    t += 40 * US;
    assert_true(pvmw_pollwin_input(&s, t, 300));
    t += 10 * US;
  }
  assert_int_equal(s.score, PVMW_POLLWIN_MAX);
}

/* A token ring: the input comes a lap later, after the window; within a
 * few laps the window stops opening, and opens again once answers come in
 * time (counted while it is closed). */
static void test_late_answers_close_it_and_early_ones_reopen(void **state) {
  struct pvmw_pollwin s = {0};
  uint64_t t = 1000 * US;
  int opened = 0;
  (void)state;
  for (int i = 0; i < 10; i++) {
    opened += pvmw_pollwin_open(&s, t, 300);
    t += 2000 * US;
    pvmw_pollwin_input(&s, t, 300);
  }
  assert_true(opened <= 3);
  assert_false(pvmw_pollwin_open(&s, t, 300));
  for (int i = 0; i < 10; i++) {
    t += 20 * US;
    pvmw_pollwin_input(&s, t, 300);
    pvmw_pollwin_open(&s, t, 300);
  }
  assert_true(pvmw_pollwin_open(&s, t, 300));
}

/* A window that opens again before any input came scores the first one as
 * lost once it has run out, and not before. */
static void test_reopen_scores_an_expired_window(void **state) {
  struct pvmw_pollwin s = {0};
  (void)state;
  pvmw_pollwin_open(&s, 1000 * US, 300);
  pvmw_pollwin_open(&s, 1100 * US, 300); /* still inside: no loss */
  assert_int_equal(s.score, PVMW_POLLWIN_MAX);
  pvmw_pollwin_open(&s, 2000 * US, 300);
  assert_int_equal(s.score, PVMW_POLLWIN_MAX - 2);
}

/* An input with no window before it is not scored. */
static void test_input_without_window_is_neutral(void **state) {
  struct pvmw_pollwin s = {0};
  (void)state;
  assert_true(pvmw_pollwin_input(&s, 5000 * US, 300));
  assert_int_equal(s.score, PVMW_POLLWIN_MAX);
}

static void test_crowded_rule(void **state) {
  (void)state;
  assert_false(pvmw_crowded_by(1, 2)); /* the caller alone */
  assert_false(pvmw_crowded_by(2, 2)); /* one other, one free processor */
  assert_false(pvmw_crowded_by(3, 2)); /* a pair and its daemon */
  assert_true(pvmw_crowded_by(4, 2));  /* the others outnumber both */
  assert_false(pvmw_crowded_by(9, 8));
  assert_true(pvmw_crowded_by(10, 8));
  assert_false(pvmw_crowded_by(-1, 2)); /* unreadable: poll as before */
  assert_false(pvmw_crowded_by(5, 0));
  /* The cached reader answers either way without failing. */
  int c = pvmw_cpu_crowded(1);
  assert_true(c == 0 || c == 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_answers_in_time_keep_it_open),
      cmocka_unit_test(test_late_answers_close_it_and_early_ones_reopen),
      cmocka_unit_test(test_reopen_scores_an_expired_window),
      cmocka_unit_test(test_input_without_window_is_neutral),
      cmocka_unit_test(test_crowded_rule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
