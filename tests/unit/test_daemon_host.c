/* Unit tests for daemon/host.c: the host table as the master grows and
 * shrinks it (pvmd_hosts_add/remove) and as a slave takes the master's copy
 * (pvmd_hosts_replace), keeping this daemon's own entry and its alias. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host.h"
#include "tid.h"

static void test_add_remove(void **state) {
  struct pvmd_hosts h;
  (void)state;
  assert_int_equal(pvmd_hosts_init(&h, 1, "alpha", "alpha.local"), 0);
  assert_int_equal(pvmd_hosts_add(&h, pvmw_tid_make(3, 0), "gamma"), 0);
  assert_int_equal(pvmd_hosts_add(&h, pvmw_tid_make(2, 0), "beta"), 0);
  assert_int_equal(h.n, 3);
  /* kept in host-number order */
  assert_string_equal(h.v[1].name, "beta");
  assert_string_equal(h.v[2].name, "gamma");
  assert_string_equal(pvmd_host_self(&h)->name, "alpha");
  assert_non_null(pvmd_host_by_name(&h, "gamma"));
  assert_ptr_equal(pvmd_host_by_tid(&h, 0x80000), &h.v[1]);
  assert_string_equal(h.v[1].arch, PVMD_ARCH);
  pvmd_hosts_remove(&h, pvmw_tid_make(2, 0));
  assert_int_equal(h.n, 2);
  assert_null(pvmd_host_by_name(&h, "beta"));
  /* this daemon's own entry stays */
  pvmd_hosts_remove(&h, pvmw_tid_make(1, 0));
  assert_int_equal(h.n, 2);
  assert_string_equal(pvmd_host_self(&h)->name, "alpha");
  pvmd_hosts_free(&h);
}

/* The data signature is PVM 3.4's: 0x408c41 on x86-64 (PVM 3.4.6 says so in
 * pvm_config there) and aarch64, 0x658ef59 on s390x; on any machine its fields
 * describe the C types. */
static void test_dsig(void **state) {
  int sig = pvmd_host_dsig();
  (void)state;
#if defined(__x86_64__) || defined(__aarch64__) && !defined(__AARCH64EB__)
  assert_int_equal(sig, 0x408c41);
#elif defined(__s390x__)
  assert_int_equal(sig, 0x658ef59); /* every type big-endian */
#endif
  assert_int_not_equal(sig, 0);
  assert_int_equal(1 << (sig & 7), (int)sizeof(short));
  assert_int_equal(1 << (sig >> 5 & 7), (int)sizeof(int));
  assert_int_equal(1 << (sig >> 10 & 7), (int)sizeof(long));
  assert_int_equal(sig >> 15 & 15, 1); /* IEEE single */
  assert_int_equal(sig >> 21 & 15, 2); /* IEEE double */
  /* one byte order for every type on the machines PVM-NG runs on */
  assert_int_equal(sig >> 3 & 3, sig >> 8 & 3);
  assert_int_equal(sig >> 3 & 3, sig >> 13 & 3);
  assert_int_equal((sig >> 3 & 3) != 0, (sig >> 19 & 3) != 0);
  assert_int_equal(sig >> 27, 0);
}

/* A joining daemon's arch and dsig replace the master's assumption, and
 * pvm_config's narch counts the distinct signatures. */
static void test_format(void **state) {
  struct pvmd_hosts h;
  (void)state;
  assert_int_equal(pvmd_hosts_init(&h, 1, "alpha", NULL), 0);
  assert_int_equal(pvmd_hosts_add(&h, pvmw_tid_make(2, 0), "beta"), 0);
  assert_int_equal(pvmd_hosts_add(&h, pvmw_tid_make(3, 0), "gamma"), 0);
  /* the other byte order than this machine's: big-endian s390x, else x86-64 */
  int big = pvmd_host_dsig() == 0x658ef59;
  const char *arch = big ? "LINUX64" : "LINUXS390";
  int dsig = big ? 0x408c41 : 0x658ef59;
  assert_int_equal(pvmd_hosts_narch(&h), 1);
  assert_int_equal(pvmd_hosts_set_format(&h, pvmw_tid_make(2, 0), arch, dsig),
                   0);
  assert_string_equal(h.v[1].arch, arch);
  assert_int_equal(h.v[1].dsig, dsig);
  assert_int_equal(pvmd_hosts_narch(&h), 2);
  /* a daemon that does not say keeps the assumption */
  assert_int_equal(pvmd_hosts_set_format(&h, pvmw_tid_make(3, 0), "", 0), 0);
  assert_string_equal(h.v[2].arch, PVMD_ARCH);
  assert_int_equal(h.v[2].dsig, pvmd_host_dsig());
  assert_int_equal(pvmd_hosts_set_format(&h, pvmw_tid_make(9, 0), "X", 1), -1);
  pvmd_hosts_free(&h);
}

static void test_replace(void **state) {
  struct pvmd_hosts h;
  Pvmng__HostInfo a = PVMNG__HOST_INFO__INIT, b = PVMNG__HOST_INFO__INIT;
  Pvmng__HostInfo *v[2] = {&a, &b};
  (void)state;
  assert_int_equal(pvmd_hosts_init(&h, 1, "beta", "beta.local"), 0);
  a.tid = 0x40000;
  a.name = "alpha";
  a.arch = "LINUX64";
  a.speed = 1000;
  b.tid = 0x80000;
  b.name = "beta";
  b.arch = "LINUX64";
  b.speed = 2000;
  /* a table without this daemon is refused, the old one kept */
  assert_int_equal(pvmd_hosts_replace(&h, v, 1, 0x80000), -1);
  assert_int_equal(h.n, 1);
  assert_int_equal(pvmd_hosts_replace(&h, v, 2, 0x80000), 0);
  assert_int_equal(h.n, 2);
  assert_int_equal(pvmd_host_self(&h)->tid, 0x80000);
  assert_int_equal(pvmd_host_self(&h)->speed, 2000);
  assert_ptr_equal(pvmd_host_by_name(&h, "beta.local"), pvmd_host_self(&h));
  assert_ptr_equal(pvmd_host_by_name(&h, "localhost"), pvmd_host_self(&h));
  pvmd_hosts_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_remove),
      cmocka_unit_test(test_replace),
      cmocka_unit_test(test_dsig),
      cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
