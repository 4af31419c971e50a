/* Unit tests for sec/rundir.c's shared-memory names: the prefix is fixed
 * by user and daemon socket, and the sweep removes exactly the segments of
 * one virtual machine. Likewise for the tasks' direct-link sockets: their
 * names, and a sweep that removes exactly one VM's task sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

static void test_task_sock_path(void **state) {
  char out[64];
  (void)state;
  assert_int_equal(
      pvmw_task_sock_path("/r/pvmd.vm1.sock", 0x40002, out, sizeof out), 0);
  assert_string_equal(out, "/r/pvmd.vm1.t40002");
  assert_int_equal(pvmw_task_sock_path("/r/odd", 0x4ffff, out, sizeof out), 0);
  assert_string_equal(out, "/r/odd.t4ffff");
  assert_int_equal(pvmw_task_sock_path("/r/pvmd.vm1.sock", 0x40002, out, 18),
                   -1);
}

/* Binds a Unix socket at dir/name (left behind, as by a killed task). */
static void make_sock(const char *dir, const char *name) {
  struct sockaddr_un sa;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", dir, name);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  close(fd);
}

static void make_file(const char *dir, const char *name) {
  char path[256];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
}

static int there(const char *dir, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

static void test_task_sock_sweep(void **state) {
  char dir[] = "/tmp/test-rundir-XXXXXX", sock[128], path[256];
  static const char *const kept[] = {
      "pvmd.vm.sock",                        /* the daemon's own */
      "pvmd.vm.lock",     "pvmd.vm.t40002x", /* not a tid */
      "pvmd.vm.t",        "pvmd.vm2.t40002", /* another VM's */
      "pvmd.vm.t.t40002", "pvmd.vm.t123456789",
  };
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(sock, sizeof sock, "%s/pvmd.vm.sock", dir);
  make_sock(dir, "pvmd.vm.t40002");
  make_sock(dir, "pvmd.vm.t4ffff");
  make_file(dir, "pvmd.vm.t40003"); /* not a socket: not ours to remove */
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    make_sock(dir, kept[i]);
  assert_int_equal(pvmw_task_sock_sweep(sock), 2);
  assert_false(there(dir, "pvmd.vm.t40002"));
  assert_false(there(dir, "pvmd.vm.t4ffff"));
  assert_true(there(dir, "pvmd.vm.t40003"));
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    assert_true(there(dir, kept[i]));
  assert_int_equal(pvmw_task_sock_sweep(sock), 0);
  /* Clean up. */
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/pvmd.vm.t40003", dir);
  unlink(path);
  assert_int_equal(rmdir(dir), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefix),
      cmocka_unit_test(test_sweep),
      cmocka_unit_test(test_task_sock_path),
      cmocka_unit_test(test_task_sock_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
