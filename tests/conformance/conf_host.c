/* Conformance: pvm_config, pvm_mstat, pvm_hostsync, pvm_addhosts,
 * pvm_delhosts (their man pages) on a one-host virtual machine: what the
 * host table says, and the refusals for hosts that are not in it. */
#include "conf.h"

#include <sys/time.h>

int main(void) {
  conf_begin("conf_host");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  struct pvmhostinfo *hi = NULL;
  int nhost = -1, narch = -1;
  CHECK_INT(pvm_config(&nhost, &narch, &hi), 0, "pvm_config returns 0");
  CHECK_INT(nhost, 1, "pvm_config: one host");
  CHECK_INT(narch, 1, "pvm_config: one data format");
  CONF_REQUIRE(hi != NULL && nhost >= 1, "pvm_config gives a host table");
  CHECK_INT(hi[0].hi_tid, pvm_tidtohost(me),
            "hi_tid is the daemon's tid of the caller's host");
  CHECK(hi[0].hi_name && hi[0].hi_name[0], "hi_name is set (%s)",
        hi[0].hi_name);
  CHECK(hi[0].hi_arch && strcmp(hi[0].hi_arch, "LINUX64") == 0,
        "hi_arch is LINUX64 on x86-64 Linux (%s)", hi[0].hi_arch);
  CHECK(hi[0].hi_speed > 0, "hi_speed is positive (%d)", hi[0].hi_speed);
  CHECK(hi[0].hi_dsig > 0, "hi_dsig is positive (%d)", hi[0].hi_dsig);
  char name[256];
  snprintf(name, sizeof name, "%s", hi[0].hi_name);
  int dtid = hi[0].hi_tid;
  /* The table stays valid until the next pvm_config only. */
  CHECK_INT(pvm_config(NULL, NULL, NULL), 0,
            "pvm_config with NULL outputs returns 0");
  /* pvm_mstat */
  CHECK_INT(pvm_mstat(name), PvmOk, "pvm_mstat(this host) is PvmOk");
  CHECK_INT(pvm_mstat("no.such.host."), PvmNoHost,
            "pvm_mstat(host not in the VM) is PvmNoHost");

  /* pvm_hostsync */
  struct timeval clk = {0, 0}, delta = {99, 99}, before;
  gettimeofday(&before, NULL);
  CHECK_INT(pvm_hostsync(dtid, &clk, &delta), 0,
            "pvm_hostsync(this host) is 0");
  CHECK(labs(clk.tv_sec - before.tv_sec) <= 5,
        "pvm_hostsync: the host's clock is now (%ld vs %ld)", (long)clk.tv_sec,
        (long)before.tv_sec);
  CHECK(delta.tv_sec == 0 || delta.tv_sec == -1,
        "pvm_hostsync: the local host's delta is below a second "
        "(%ld s %ld us)",
        (long)delta.tv_sec, (long)delta.tv_usec);
  CHECK_INT(pvm_hostsync(0x3ffc0000, &clk, &delta), PvmNoHost,
            "pvm_hostsync(daemon tid of no host) is PvmNoHost");

  /* pvm_addhosts / pvm_delhosts: refusals only (one host). */
  char *bad[] = {"no.such.host.invalid"};
  int info[1] = {0};
  CHECK_INT(pvm_addhosts(bad, 0, info), PvmBadParam,
            "pvm_addhosts(0 hosts) is PvmBadParam");
  char *dup[] = {name};
  info[0] = 0;
  int n = pvm_addhosts(dup, 1, info);
  CHECK_INT(n, 0, "pvm_addhosts(a host already in the VM) adds 0");
  /* PVM 3.4.6 refuses any add first with PvmIPLoopback when the master
   * host's name resolves to a loopback address (as in a container). */
  CHECK(info[0] == PvmDupHost || info[0] == PvmIPLoopback,
        "... and its info is PvmDupHost (%d)", info[0]);
  CHECK_INT(pvm_delhosts(bad, 0, info), PvmBadParam,
            "pvm_delhosts(0 hosts) is PvmBadParam");
  info[0] = 0;
  n = pvm_delhosts(bad, 1, info);
  CHECK_INT(n, 0, "pvm_delhosts(host not in the VM) deletes 0");
  CHECK_INT(info[0], PvmNoHost, "... and its info is PvmNoHost");

  CHECK_INT(pvm_config(&nhost, &narch, &hi), 0, "pvm_config again");
  CHECK_INT(nhost, 1, "still one host");
  pvm_exit();
  return conf_end();
}
