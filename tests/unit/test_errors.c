/* Unit tests for libpvm/errors.c: the message table, lpvm_err's PvmAutoErr
 * behaviour and the pvm_perror/pvm_strerror output. errors.c is compiled
 * into this file, with stand-ins for the symbols the rest of libpvm owns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "../../libpvm/errors.c"

/* Stand-ins for options.c and the connection code. */
struct lpvm_opts lpvm_opts;
static int fake_tid;
int lpvm_tid_or_zero(void) { return fake_tid; }

static const int all_codes[] = {
    PvmOk,         PvmBadParam,     PvmMismatch,   PvmOverflow,  PvmNoData,
    PvmNoHost,     PvmNoFile,       PvmDenied,     PvmNoMem,     PvmBadMsg,
    PvmSysErr,     PvmNoBuf,        PvmNoSuchBuf,  PvmNullGroup, PvmDupGroup,
    PvmNoGroup,    PvmNotInGroup,   PvmNoInst,     PvmHostFail,  PvmNoParent,
    PvmNotImpl,    PvmDSysErr,      PvmBadVersion, PvmOutOfRes,  PvmDupHost,
    PvmCantStart,  PvmAlready,      PvmNoTask,     PvmNotFound,  PvmExists,
    PvmHostrNMstr, PvmParentNotSet, PvmIPLoopback,
};
#define NCODES (sizeof all_codes / sizeof all_codes[0])

/* Runs fn with stderr redirected into a pipe; returns what it wrote. */
static char captured[1024];
static const char *capture_stderr(void (*fn)(void)) {
  int fds[2], saved;
  ssize_t n;

  assert_int_equal(pipe(fds), 0);
  fflush(stderr);
  saved = dup(2);
  assert_true(saved >= 0);
  assert_int_equal(dup2(fds[1], 2), 2);
  close(fds[1]);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  n = read(fds[0], captured, sizeof captured - 1);
  close(fds[0]);
  captured[n > 0 ? n : 0] = '\0';
  return captured;
}

static int setup(void **state) {
  (void)state;
  memset(&lpvm_opts, 0, sizeof lpvm_opts);
  lpvm_opts.autoerr = 1;
  fake_tid = 0x40001;
  pvm_errno = 0;
  return 0;
}

static void test_table_complete(void **state) {
  (void)state;
  assert_int_equal(pvm_nerr, 1 - PvmIPLoopback);
  for (size_t i = 0; i < NCODES; i++) {
    const char *m = lpvm_errstr(all_codes[i]);
    assert_non_null(m);
    assert_true(m[0] != '\0');
    assert_string_not_equal(m, "Unknown error");
    assert_ptr_equal(m, pvm_errlist[-all_codes[i]]);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(m, lpvm_errstr(all_codes[j]));
  }
  for (int i = 0; i < pvm_nerr; i++)
    assert_non_null(pvm_errlist[i]);
}

static void test_known_texts(void **state) {
  (void)state;
  assert_string_equal(lpvm_errstr(PvmBadParam), "Bad parameter");
  assert_string_equal(lpvm_errstr(PvmNoTask), "No such task");
  assert_string_equal(lpvm_errstr(PvmSysErr), "Can't contact local daemon");
  assert_int_equal(PvmNoEntry, PvmNotFound);
  assert_int_equal(PvmDupEntry, PvmDenied);
}

static void test_unknown_codes(void **state) {
  (void)state;
  assert_string_equal(lpvm_errstr(1), "Unknown error");
  assert_string_equal(lpvm_errstr(-1), "Unknown error");
  assert_string_equal(lpvm_errstr(-9), "Unknown error");
  assert_string_equal(lpvm_errstr(-pvm_nerr), "Unknown error");
  assert_string_equal(lpvm_errstr(-1000), "Unknown error");
}

static void call_send_err(void) {
  assert_int_equal(lpvm_err("pvm_send", PvmBadParam), PvmBadParam);
}
static void call_hint_err(void) {
  assert_int_equal(lpvm_err_hint("pvm_mytid", PvmSysErr, "is pvmd running?"),
                   PvmSysErr);
}
static void call_ok(void) {
  assert_int_equal(lpvm_err("pvm_send", 0), 0);
  assert_int_equal(lpvm_err("pvm_spawn", 3), 3);
}
static void call_perror(void) { assert_int_equal(pvm_perror("step 6"), 0); }

static void test_err_prints_line(void **state) {
  (void)state;
  assert_string_equal(capture_stderr(call_send_err),
                      "libpvm [t40001]: pvm_send(): Bad parameter\n");
  assert_int_equal(pvm_errno, PvmBadParam);
}

static void test_err_hint(void **state) {
  (void)state;
  assert_string_equal(
      capture_stderr(call_hint_err),
      "libpvm [t40001]: pvm_mytid(): Can't contact local daemon: "
      "is pvmd running?\n");
  assert_int_equal(pvm_errno, PvmSysErr);
}

static void test_err_without_tid(void **state) {
  char want[128];
  (void)state;
  fake_tid = 0;
  snprintf(want, sizeof want, "libpvm [pid%d]: pvm_send(): Bad parameter\n",
           (int)getpid());
  assert_string_equal(capture_stderr(call_send_err), want);
}

static void test_err_quiet(void **state) {
  (void)state;
  lpvm_opts.autoerr = 0;
  assert_string_equal(capture_stderr(call_send_err), "");
  assert_int_equal(pvm_errno, PvmBadParam);
}

static void test_err_passes_success(void **state) {
  (void)state;
  pvm_errno = PvmNoTask;
  assert_string_equal(capture_stderr(call_ok), "");
  assert_int_equal(pvm_errno, PvmNoTask);
}

/* Runs lpvm_err in a child with the given PvmAutoErr; returns its status. */
static int child_status(int autoerr) {
  int status;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    lpvm_opts.autoerr = autoerr;
    lpvm_err("pvm_send", PvmBadParam);
    _exit(0);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return status;
}

static void test_err_exit_and_abort(void **state) {
  int st;
  (void)state;
  st = child_status(2);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 1);
  st = child_status(3);
  assert_true(WIFSIGNALED(st));
  assert_int_equal(WTERMSIG(st), SIGABRT);
}

static void test_perror(void **state) {
  (void)state;
  pvm_errno = PvmNoTask;
  assert_string_equal(capture_stderr(call_perror),
                      "libpvm [t40001]: step 6: No such task\n");
  pvm_errno = -9;
  assert_string_equal(capture_stderr(call_perror),
                      "libpvm [t40001]: step 6: Unknown error\n");
}

static void test_strerror(void **state) {
  (void)state;
  pvm_errno = PvmNoMem;
  assert_string_equal(pvm_strerror(), "Malloc failed");
  pvm_errno = 5;
  assert_string_equal(pvm_strerror(), "Unknown error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_table_complete, setup),
      cmocka_unit_test_setup(test_known_texts, setup),
      cmocka_unit_test_setup(test_unknown_codes, setup),
      cmocka_unit_test_setup(test_err_prints_line, setup),
      cmocka_unit_test_setup(test_err_hint, setup),
      cmocka_unit_test_setup(test_err_without_tid, setup),
      cmocka_unit_test_setup(test_err_quiet, setup),
      cmocka_unit_test_setup(test_err_passes_success, setup),
      cmocka_unit_test_setup(test_err_exit_and_abort, setup),
      cmocka_unit_test_setup(test_perror, setup),
      cmocka_unit_test_setup(test_strerror, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
