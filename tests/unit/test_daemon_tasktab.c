/* Unit tests for daemon/tasktab.c: tid allocation (in turn from 1, skipping
 * tids in use, wrapping at the top of the local part), the table limit,
 * lookups and when an entry may be freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pvm3.h>
#include <string.h>

#include "taskgone.h"
#include "tasktab.h"
#include "tid.h"

static struct pvmd_task *new_task(struct pvmd_tasks *ts) {
  int err = 0;
  struct pvmd_task *t = pvmd_task_new(ts, &err);
  assert_non_null(t);
  return t;
}

static void test_sequential(void **state) {
  struct pvmd_tasks ts;
  (void)state;
  assert_int_equal(pvmd_tasks_init(&ts, NULL, 1, 100), 0);
  for (int i = 1; i <= 5; i++)
    assert_int_equal(new_task(&ts)->tid, pvmw_tid_make(1, i));
  assert_int_equal(ts.count, 5);
  assert_non_null(pvmd_task_find(&ts, 0x40003));
  assert_null(pvmd_task_find(&ts, 0x40006));
  assert_null(pvmd_task_find(&ts, 0x80003));
  /* Freed tids are not handed out again until the counter comes round. */
  assert_int_equal(pvmd_task_release(pvmd_task_find(&ts, 0x40002)), 1);
  assert_null(pvmd_task_find(&ts, 0x40002));
  assert_int_equal(new_task(&ts)->tid, 0x40006);
  while (!pvmd_list_empty(&ts.all))
    pvmd_task_release(pvmd_container_of(ts.all.next, struct pvmd_task, node));
  assert_int_equal(ts.count, 0);
  pvmd_tasks_free(&ts);
}

static void test_wrap_and_skip(void **state) {
  struct pvmd_tasks ts;
  struct pvmd_task *a, *b;
  (void)state;
  assert_int_equal(pvmd_tasks_init(&ts, NULL, 3, 100), 0);
  a = new_task(&ts); /* local 1 */
  b = new_task(&ts); /* local 2 */
  assert_int_equal(a->tid, pvmw_tid_make(3, 1));
  ts.next_local = PVMW_TID_MAX_LOCAL;
  assert_int_equal(new_task(&ts)->tid, pvmw_tid_make(3, PVMW_TID_MAX_LOCAL));
  /* Wraps to 1, which is taken, and so is 2: the next is 3. */
  assert_int_equal(new_task(&ts)->tid, pvmw_tid_make(3, 3));
  assert_true(pvmw_tid_is_task(b->tid));
  while (!pvmd_list_empty(&ts.all))
    pvmd_task_release(pvmd_container_of(ts.all.next, struct pvmd_task, node));
  pvmd_tasks_free(&ts);
}

static void test_limit(void **state) {
  struct pvmd_tasks ts;
  int err = 0;
  (void)state;
  assert_int_equal(pvmd_tasks_init(&ts, NULL, 1, 3), 0);
  for (int i = 0; i < 3; i++)
    new_task(&ts);
  assert_null(pvmd_task_new(&ts, &err));
  assert_int_equal(err, PvmOutOfRes);
  while (!pvmd_list_empty(&ts.all))
    pvmd_task_release(pvmd_container_of(ts.all.next, struct pvmd_task, node));
  pvmd_tasks_free(&ts);
}

static void test_gone_and_release(void **state) {
  struct pvmd_tasks ts;
  struct pvmd_task *t;
  int tid;
  (void)state;
  assert_int_equal(pvmd_tasks_init(&ts, NULL, 1, 10), 0);
  t = new_task(&ts);
  tid = t->tid;
  pvmd_task_set_name(t, "worker");
  assert_string_equal(t->name, "worker");
  assert_ptr_equal(pvmd_task_live(&ts, tid), t);
  pvmd_task_set_gone(t);
  /* Gone: not a task any more, but its tid stays reserved. */
  assert_null(pvmd_task_live(&ts, tid));
  assert_ptr_equal(pvmd_task_find(&ts, tid), t);
  /* Held by a handle: not freed yet. */
  t->handles_open = 1;
  assert_int_equal(pvmd_task_release(t), 0);
  assert_ptr_equal(pvmd_task_find(&ts, tid), t);
  t->handles_open = 0;
  assert_int_equal(pvmd_task_release(t), 1);
  assert_null(pvmd_task_find(&ts, tid));
  assert_int_equal(ts.count, 0);
  pvmd_tasks_free(&ts);
}

static void test_many(void **state) {
  struct pvmd_tasks ts;
  (void)state;
  assert_int_equal(pvmd_tasks_init(&ts, NULL, 1, 5000), 0);
  for (int i = 1; i <= 5000; i++)
    new_task(&ts);
  for (int i = 1; i <= 5000; i++)
    assert_int_equal(pvmd_task_find(&ts, pvmw_tid_make(1, i))->tid,
                     pvmw_tid_make(1, i));
  while (!pvmd_list_empty(&ts.all))
    pvmd_task_release(pvmd_container_of(ts.all.next, struct pvmd_task, node));
  pvmd_tasks_free(&ts);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequential),
      cmocka_unit_test(test_wrap_and_skip),
      cmocka_unit_test(test_limit),
      cmocka_unit_test(test_gone_and_release),
      cmocka_unit_test(test_many),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
