/* it_hostsync: pvm_hostsync reads the clock of every host of the virtual
 * machine (pvm_config's list), through the local daemon: PvmOk, a clock
 * within a second of this one (the hosts of the tests share one clock) and
 * a delta within a second, both normalised as man pvm_hostsync says
 * (microseconds in 0..999999); NULL pointers are allowed; a host that is
 * not in the virtual machine is PvmNoHost. pvm_archcode, as PVM 3.4.6,
 * answers the data signature of a host of the architecture it names, and
 * PvmNotFound for an architecture no host has. */
#include <sys/time.h>

#include "it_common.h"

int main(int argc, char **argv) {
  struct pvmhostinfo *hi;
  struct timeval clk, delta, now;
  int nhost, narch, rc;
  (void)argc;
  it_set_name(argv[0], NULL);
  it_guard(30);
  IT_CHECK(pvm_mytid() > 0, "enrol");
  IT_CHECK(pvm_config(&nhost, &narch, &hi) == 0, "pvm_config");
  for (int i = 0; i < nhost; i++) {
    rc = pvm_hostsync(hi[i].hi_tid, &clk, &delta);
    IT_CHECK(rc == 0, "pvm_hostsync(t%x) returned %d", hi[i].hi_tid, rc);
    gettimeofday(&now, NULL);
    IT_CHECK(clk.tv_usec >= 0 && clk.tv_usec < 1000000 && delta.tv_usec >= 0 &&
                 delta.tv_usec < 1000000,
             "fields not normalised");
    IT_CHECK(now.tv_sec - clk.tv_sec <= 1 && now.tv_sec - clk.tv_sec >= -1,
             "clock of %s is %ld s, ours %ld s", hi[i].hi_name,
             (long)clk.tv_sec, (long)now.tv_sec);
    IT_CHECK(delta.tv_sec >= -1 && delta.tv_sec <= 0 + 1,
             "delta to %s is %ld.%06ld s", hi[i].hi_name, (long)delta.tv_sec,
             (long)delta.tv_usec);
    IT_CHECK(pvm_hostsync(hi[i].hi_tid, NULL, NULL) == 0, "NULL pointers");
    it_note("%s (t%x): delta %ld.%06ld s", hi[i].hi_name, hi[i].hi_tid,
            (long)delta.tv_sec, (long)delta.tv_usec);
  }
  /* What pvm_config said, to compare with. */
  char arch[16][32];
  int dsig[16], nh = nhost < 16 ? nhost : 16;
  for (int i = 0; i < nh; i++) {
    snprintf(arch[i], sizeof arch[i], "%s", hi[i].hi_arch);
    dsig[i] = hi[i].hi_dsig;
  }
  for (int i = 0; i < nh; i++)
    IT_CHECK(pvm_archcode(hi[i].hi_arch) == dsig[i],
             "pvm_archcode(%s) is not the data signature of its host", arch[i]);
  /* ... and pvm_archcode leaves pvm_config's list as it was (programs call
   * it with hi_arch; the sanitizer build sees a list freed under them). */
  IT_CHECK(strcmp(hi[0].hi_arch, arch[0]) == 0, "pvm_config's list changed");
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK((rc = pvm_archcode("SUN4")) == PvmNotFound,
           "pvm_archcode of an architecture no host has: %d", rc);
  IT_CHECK((rc = pvm_archcode(NULL)) == PvmBadParam, "pvm_archcode(NULL): %d",
           rc);
  rc = pvm_hostsync(0x7c0000, &clk, &delta);
  IT_CHECK(rc == PvmNoHost, "a host not in the machine: %d", rc);
  pvm_exit();
  it_note("OK: %d host(s)", nhost);
  return 0;
}
