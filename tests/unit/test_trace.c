/* Unit tests for libpvm/trace.c without a daemon: the trace masks
 * (pvm_settmask / pvm_gettmask, the mask macros), the environment that
 * hands a child its trace destination and mask, a child taking it at
 * enrolment (a malformed mask ignored), and no event before enrolment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmtev.h"
#include "trace.h"

static const char *env_get(char **env, int n, const char *name) {
  size_t len = strlen(name);
  for (int i = 0; i < n; i++)
    if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

static void test_masks(void **state) {
  Pvmtmask m, got;
  (void)state;
  TEV_MASK_INIT(m);
  assert_int_equal(strlen(m), TEV_MASK_LENGTH - 1);
  TEV_MASK_SET(m, TEV_SEND);
  TEV_MASK_SET(m, TEV_USER_DEFINED);
  assert_true(TEV_MASK_CHECK(m, TEV_SEND));
  assert_false(TEV_MASK_CHECK(m, TEV_RECV));
  assert_int_equal(pvm_settmask(PvmTaskChild, m), 0);
  assert_int_equal(pvm_gettmask(PvmTaskChild, got), 0);
  assert_string_equal(got, m);
  /* A shorter string leaves the rest of the mask clear. */
  Pvmtmask shortm = "A";
  assert_int_equal(pvm_settmask(PvmTaskSelf, shortm), 0);
  assert_int_equal(pvm_gettmask(PvmTaskSelf, got), 0);
  assert_int_equal(strlen(got), TEV_MASK_LENGTH - 1);
  assert_true(TEV_MASK_CHECK(got, 0));
  assert_false(TEV_MASK_CHECK(got, TEV_SEND));
  pvm_setopt(PvmAutoErr, 0);
  assert_int_equal(pvm_settmask(2, m), PvmBadParam);
  assert_int_equal(pvm_gettmask(PvmTaskSelf, NULL), PvmBadParam);
}

static void test_spawn_env(void **state) {
  Pvmtmask m;
  char **env = NULL;
  int n = 0, otid = 0, ocode = 0, octx = 0;
  (void)state;
  TEV_MASK_INIT(m);
  TEV_MASK_SET(m, TEV_SPAWN);
  pvm_settmask(PvmTaskChild, m);
  lpvm_opts.trace_tid = 0x40001;
  lpvm_opts.trace_code = 77;
  lpvm_opts.trace_ctx = 5;
  lpvm_opts.trace_buffer = 4096;
  lpvm_opts.trace_opts = PvmTraceCount;
  assert_int_equal(
      lpvm_tev_spawn_env(&env, &n, PvmTaskDefault, &otid, &ocode, &octx), 0);
  assert_int_equal(n, 6);
  assert_string_equal(env_get(env, n, "PVMNG_TRCTID"), "262145");
  assert_string_equal(env_get(env, n, "PVMNG_TRCTAG"), "77");
  assert_string_equal(env_get(env, n, "PVMNG_TRCCTX"), "5");
  assert_string_equal(env_get(env, n, "PVMTRCBUF"), "4096");
  assert_string_equal(env_get(env, n, "PVMTRCOPT"), "3");
  assert_string_equal(env_get(env, n, "PVMTMASK"), m);
  assert_int_equal(otid, 0); /* output destination untouched */
  for (int i = 0; i < n; i++)
    free(env[i]);
  free(env);
  lpvm_opts.trace_tid = 0;
}

static void test_enrolled(void **state) {
  Pvmtmask m, got;
  (void)state;
  TEV_MASK_INIT(m);
  TEV_MASK_SET(m, TEV_RECV);
  setenv("PVMNG_TRCTID", "262147", 1);
  setenv("PVMNG_TRCTAG", "99", 1);
  setenv("PVMTRCBUF", "0", 1);
  setenv("PVMTRCOPT", "1", 1);
  setenv("PVMTMASK", m, 1);
  lpvm_tev_enrolled();
  assert_int_equal(pvm_getopt(PvmSelfTraceTid), 262147);
  assert_int_equal(pvm_getopt(PvmSelfTraceCode), 99);
  assert_int_equal(pvm_getopt(PvmTraceTid), 262147); /* for its children */
  pvm_gettmask(PvmTaskSelf, got);
  assert_string_equal(got, m);
  pvm_gettmask(PvmTaskChild, got);
  assert_string_equal(got, m);
  assert_null(getenv("PVMNG_TRCTID")); /* not handed on by itself */
  assert_true(lpvm_tev_on);
  /* Not connected: no event is attempted. */
  assert_int_equal(lpvm_tev_in(TEV_RECV, ""), 0);

  /* A malformed mask is not taken. */
  setenv("PVMNG_TRCTID", "262147", 1);
  setenv("PVMTMASK", "zzz", 1);
  lpvm_tev_enrolled();
  pvm_gettmask(PvmTaskSelf, got);
  assert_string_equal(got, m);
  pvm_setopt(PvmSelfTraceTid, 0);
  assert_false(lpvm_tev_on);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_masks),
      cmocka_unit_test(test_spawn_env),
      cmocka_unit_test(test_enrolled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
