/* Unit tests for wire/rundir.c's shared-memory names: the prefix is fixed
 * by user and daemon socket, and the sweep removes exactly the segments of
 * one virtual machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rundir.h"

static void test_prefix(void **state) {
  char a[64], b[64], c[64], want[32];
  (void)state;
  pvmw_shm_prefix("/tmp/pvm-0/pvmd.default.sock", a, sizeof a);
  pvmw_shm_prefix("/tmp/pvm-0/pvmd.default.sock", b, sizeof b);
  pvmw_shm_prefix("/tmp/pvm-0/pvmd.other.sock", c, sizeof c);
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  snprintf(want, sizeof want, "pvmng.%u.", (unsigned)getuid());
  assert_memory_equal(a, want, strlen(want));
  assert_int_equal(a[strlen(a) - 1], '.');
  assert_int_equal(strlen(a), strlen(want) + 17);
}

/* Makes /dev/shm/<prefix><rest>; 0 when made. */
static int make_seg(const char *prefix, const char *rest) {
  char name[200];
  int fd;
  snprintf(name, sizeof name, "/%s%s", prefix, rest);
  fd = shm_open(name, O_RDWR | O_CREAT, 0600);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

static int exists(const char *prefix, const char *rest) {
  char path[256];
  snprintf(path, sizeof path, "/dev/shm/%s%s", prefix, rest);
  return access(path, F_OK) == 0;
}

static void test_sweep(void **state) {
  char sock[64], other[64], mine[64], theirs[64];
  (void)state;
  if (access("/dev/shm", W_OK) != 0)
    skip();
  snprintf(sock, sizeof sock, "/nonexistent/test-rundir-%d.sock",
           (int)getpid());
  snprintf(other, sizeof other, "/nonexistent/test-rundir-%d-b.sock",
           (int)getpid());
  pvmw_shm_prefix(sock, mine, sizeof mine);
  pvmw_shm_prefix(other, theirs, sizeof theirs);
  assert_int_equal(make_seg(mine, "aaaa.1"), 0);
  assert_int_equal(make_seg(mine, "bbbb.7"), 0);
  assert_int_equal(make_seg(theirs, "aaaa.1"), 0);
  assert_int_equal(pvmw_shm_sweep(sock), 2);
  assert_false(exists(mine, "aaaa.1"));
  assert_false(exists(mine, "bbbb.7"));
  assert_true(exists(theirs, "aaaa.1")); /* another VM's: left alone */
  assert_int_equal(pvmw_shm_sweep(sock), 0);
  assert_int_equal(pvmw_shm_sweep(other), 1);
  assert_false(exists(theirs, "aaaa.1"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefix),
      cmocka_unit_test(test_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
