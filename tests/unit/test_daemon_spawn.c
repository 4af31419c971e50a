/* Unit tests for daemon/spawn.c's pure parts: request validation, host
 * selection, the executable lookup ($PVM_PATH with $PVM_ARCH and ~, PVM's
 * default directories, $PATH; a host's ep=) and the child's environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "host.h"
#include "pvmd.h"
#include "pvmtest.h"
#include "spawn.h"

static char dir[PATH_MAX];

/* A scratch tree: dir/home/pvm3/bin/$PVM_ARCH/prog_a, dir/ep/$PVM_ARCH/prog_b,
 * dir/path/prog_c, dir/path/not_exec. */
static void make_file(const char *rel, int mode) {
  char p[PATH_MAX * 2];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  f = fopen(p, "w");
  assert_non_null(f);
  fputs("#!/bin/sh\n", f);
  fclose(f);
  chmod(p, (mode_t)mode);
}

static void make_dir(const char *rel) {
  char p[PATH_MAX * 2];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  mkdir(p, 0700);
}

static int setup(void **state) {
  char p[PATH_MAX * 2];
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/test_daemon_spawn.XXXXXX");
  assert_non_null(mkdtemp(dir));
  make_dir("home");
  make_dir("home/pvm3");
  make_dir("home/pvm3/bin");
  make_dir("home/pvm3/bin/" PVMD_ARCH);
  make_dir("ep");
  make_dir("ep/" PVMD_ARCH);
  make_dir("path");
  make_file("home/pvm3/bin/" PVMD_ARCH "/prog_a", 0755);
  make_file("ep/" PVMD_ARCH "/prog_b", 0755);
  make_file("ep/" PVMD_ARCH "/prog_a", 0755);
  make_file("path/prog_c", 0755);
  make_file("path/prog_b", 0755);
  make_file("path/not_exec", 0644);
  snprintf(p, sizeof p, "%s/home", dir);
  setenv("HOME", p, 1);
  snprintf(p, sizeof p, "%s/path", dir);
  setenv("PATH", p, 1);
  unsetenv("PVM_ROOT");
  unsetenv("PVM_PATH");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return pvmt_rm_rf(dir);
}

static void test_find(void **state) {
  char out[PATH_MAX], want[PATH_MAX * 2], pp[PATH_MAX * 2];
  (void)state;
  /* Default $HOME/pvm3/bin/$PVM_ARCH before $PATH. */
  assert_int_equal(pvmd_spawn_find("prog_a", out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/home/pvm3/bin/" PVMD_ARCH "/prog_a", dir);
  assert_string_equal(out, want);
  assert_int_equal(pvmd_spawn_find("prog_c", out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/path/prog_c", dir);
  assert_string_equal(out, want);
  assert_int_equal(pvmd_spawn_find("prog_b", out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/path/prog_b", dir);
  assert_string_equal(out, want);
  /* $PVM_PATH first, with $PVM_ARCH expanded; ~ is $HOME; an element
   * without a leading '/' is under $HOME. */
  snprintf(pp, sizeof pp, "~/nothing:%s/ep/$PVM_ARCH", dir);
  setenv("PVM_PATH", pp, 1);
  assert_int_equal(pvmd_spawn_find("prog_b", out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/ep/" PVMD_ARCH "/prog_b", dir);
  assert_string_equal(out, want);
  assert_int_equal(pvmd_spawn_find("prog_a", out, sizeof out), 0);
  assert_string_equal(
      out,
      (snprintf(want, sizeof want, "%s/ep/" PVMD_ARCH "/prog_a", dir), want));
  setenv("PVM_PATH", "pvm3/bin/${PVM_ARCH}", 1);
  assert_int_equal(pvmd_spawn_find("prog_a", out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/home/pvm3/bin/" PVMD_ARCH "/prog_a", dir);
  assert_string_equal(out, want);
  unsetenv("PVM_PATH");
  /* Not found, not executable, a directory. */
  assert_int_equal(pvmd_spawn_find("nowhere", out, sizeof out), PvmNoFile);
  assert_int_equal(pvmd_spawn_find("not_exec", out, sizeof out), PvmNoFile);
  snprintf(pp, sizeof pp, "%s/path/not_exec", dir);
  assert_int_equal(pvmd_spawn_find(pp, out, sizeof out), PvmNoFile);
  snprintf(pp, sizeof pp, "%s/path", dir);
  assert_int_equal(pvmd_spawn_find(pp, out, sizeof out), PvmNoFile);
  /* A path with '/' is used as it is. */
  snprintf(pp, sizeof pp, "%s/path/prog_c", dir);
  assert_int_equal(pvmd_spawn_find(pp, out, sizeof out), 0);
  assert_string_equal(out, pp);
}

/* A host's ep= replaces $PVM_PATH and PVM's two directories; $PATH stays
 * the last resort. */
static void test_find_ep(void **state) {
  char out[PATH_MAX], want[PATH_MAX * 2], ep[PATH_MAX * 2];
  (void)state;
  setenv("PVM_PATH", "pvm3/bin/" PVMD_ARCH, 1);
  snprintf(ep, sizeof ep, "/nonexistent:%s/ep/$PVM_ARCH", dir);
  assert_int_equal(pvmd_spawn_find_in("prog_a", ep, out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/ep/" PVMD_ARCH "/prog_a", dir);
  assert_string_equal(out, want);
  /* not in ep=: $PATH, never $PVM_PATH or $HOME/pvm3/bin */
  assert_int_equal(pvmd_spawn_find_in("prog_c", ep, out, sizeof out), 0);
  snprintf(want, sizeof want, "%s/path/prog_c", dir);
  assert_string_equal(out, want);
  make_file("home/pvm3/bin/" PVMD_ARCH "/prog_home", 0755);
  assert_int_equal(pvmd_spawn_find_in("prog_home", ep, out, sizeof out),
                   PvmNoFile);
  assert_int_equal(pvmd_spawn_find_in("prog_home", NULL, out, sizeof out), 0);
  /* elements relative to $HOME, as in $PVM_PATH */
  assert_int_equal(
      pvmd_spawn_find_in("prog_home", "pvm3/bin/" PVMD_ARCH, out, sizeof out),
      0);
  unsetenv("PVM_PATH");
}

static void test_check(void **state) {
  struct pvmd_limits lim;
  Pvmng__SpawnRequest r = PVMNG__SPAWN_REQUEST__INIT;
  char err[256], *argv[3] = {"a", "b", "c"}, *env[2] = {"A=1", "=x"};
  (void)state;
  pvmd_limits_default(&lim);
  r.file = "prog";
  r.ntask = 1;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), 0);
  r.ntask = 0;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  r.ntask = 4097;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  r.ntask = 4096;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), 0);
  r.file = "";
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  r.file = "prog";
  r.argv = argv;
  r.n_argv = 3;
  lim.spawn_max_argv = 2;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  lim.spawn_max_argv = 4096;
  lim.spawn_max_argv_bytes = 5; /* "a b c" with NULs is 6 */
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  lim.spawn_max_argv_bytes = 6;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), 0);
  r.env = env;
  r.n_env = 1;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), 0);
  r.n_env = 2;
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  r.n_env = 0;
  r.flags = PvmTaskHost;
  r.where = "";
  assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  {
    /* One argument or environment entry over exec's own limit. */
    static char big[PVMW_MAX_ARG_STRLEN + 1], bigenv[PVMW_MAX_ARG_STRLEN + 1];
    char *bigv[1] = {big}, *bige[1] = {bigenv};
    r.flags = 0;
    r.n_env = 0;
    memset(big, 'a', PVMW_MAX_ARG_STRLEN - 1); /* with its NUL: the limit */
    r.argv = bigv;
    r.n_argv = 1;
    lim.spawn_max_argv_bytes = (size_t)1 << 20;
    assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), 0);
    big[PVMW_MAX_ARG_STRLEN - 1] = 'a';
    assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
    assert_non_null(strstr(err, "argument 1 is 131072 bytes"));
    r.n_argv = 0;
    memset(bigenv, 'e', PVMW_MAX_ARG_STRLEN);
    bigenv[0] = 'E';
    bigenv[1] = '=';
    r.env = bige;
    r.n_env = 1;
    assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
    assert_non_null(strstr(err, "environment entry 0"));
    bigenv[PVMW_MAX_ARG_STRLEN - 1] = '\0';
    assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), 0);
    r.n_env = 0;
  }
  {
    static char longname[PATH_MAX + 10];
    memset(longname, 'x', sizeof longname - 1);
    r.flags = 0;
    r.file = longname;
    assert_int_equal(pvmd_spawn_check(&lim, &r, err, sizeof err), PvmBadParam);
  }
}

static void test_where(void **state) {
  struct pvmd_hosts h;
  Pvmng__SpawnRequest r = PVMNG__SPAWN_REQUEST__INIT;
  (void)state;
  assert_int_equal(pvmd_hosts_init(&h, 1, "node1.example.org", "box"), 0);
  r.ntask = 1;
  r.file = "x";
  assert_int_equal(pvmd_spawn_where(&h, &r), 0);
  r.flags = PvmTaskHost;
  r.where = "node1";
  assert_int_equal(pvmd_spawn_where(&h, &r), 0);
  r.where = "NODE1.example.org";
  assert_int_equal(pvmd_spawn_where(&h, &r), 0);
  r.where = "box";
  assert_int_equal(pvmd_spawn_where(&h, &r), 0);
  r.where = "localhost";
  assert_int_equal(pvmd_spawn_where(&h, &r), 0);
  r.where = "node2";
  assert_int_equal(pvmd_spawn_where(&h, &r), PvmNoHost);
  r.where = "node";
  assert_int_equal(pvmd_spawn_where(&h, &r), PvmNoHost);
  r.flags = PvmTaskHost | PvmHostCompl;
  r.where = ".";
  assert_int_equal(pvmd_spawn_where(&h, &r), PvmNoHost);
  r.flags = PvmTaskArch;
  r.where = PVMD_ARCH;
  assert_int_equal(pvmd_spawn_where(&h, &r), 0);
  r.where = "SUN4";
  assert_int_equal(pvmd_spawn_where(&h, &r), PvmNoHost);
  pvmd_hosts_free(&h);
}

static void test_env(void **state) {
  char *base[] = {"HOME=/h", "PATH=/bin", "X=1", NULL};
  char *over[] = {"X=2", "NEW=yes", "PATH=/usr/bin", "X=3"};
  char **env;
  (void)state;
  env = pvmd_spawn_env(base, over, 4);
  assert_non_null(env);
  assert_string_equal(env[0], "HOME=/h");
  assert_string_equal(env[1], "PATH=/usr/bin");
  assert_string_equal(env[2], "X=3");
  assert_string_equal(env[3], "NEW=yes");
  assert_null(env[4]);
  free(env);
  /* A name that is a prefix of another is a different name. */
  {
    char *b2[] = {"PVM_X=1", NULL}, *o2[] = {"PVM=2"};
    env = pvmd_spawn_env(b2, o2, 1);
    assert_string_equal(env[0], "PVM_X=1");
    assert_string_equal(env[1], "PVM=2");
    assert_null(env[2]);
    free(env);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_find),  cmocka_unit_test(test_find_ep),
      cmocka_unit_test(test_check), cmocka_unit_test(test_where),
      cmocka_unit_test(test_env),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
