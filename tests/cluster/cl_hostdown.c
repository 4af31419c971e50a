/* cl_hostdown: how long the virtual machine takes to notice a host whose
 * link went silent (no FIN: its cable pulled). Asks for PvmHostDelete on
 * the named host, writes READY_FILE, waits until the test has created
 * DOWN_FILE (after taking the link down), then measures the time until the
 * notification (the fault may be any: a pulled cable, a killed or paused
 * daemon). Usage: cl_hostdown HOST READY_FILE DOWN_FILE LIMIT_MS;
 * prints the delay and exits 0 when it came within LIMIT_MS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvm3.h"
#include "pvmtest.h"

#define TAG_DEL 51

int main(int argc, char **argv) {
  struct pvmhostinfo *hi;
  int nhost, narch, dtid = 0, v = 0;
  struct timeval tv = {20, 0};
  FILE *f;

  if (argc != 5 || pvm_mytid() < 0)
    return 2;
  if (pvm_config(&nhost, &narch, &hi) < 0)
    return 2;
  for (int i = 0; i < nhost; i++)
    if (strcmp(hi[i].hi_name, argv[1]) == 0)
      dtid = hi[i].hi_tid;
  if (dtid == 0 || pvm_notify(PvmHostDelete, TAG_DEL, 1, &dtid) != 0) {
    fprintf(stderr, "cl_hostdown: FAIL: %s not in the VM\n", argv[1]);
    return 1;
  }
  if ((f = fopen(argv[2], "w")) == NULL)
    return 2;
  fclose(f);
  while (access(argv[3], F_OK) != 0)
    usleep(10000);
  double t0 = pvmt_now();
  int got = pvm_trecv(-1, TAG_DEL, &tv);
  double dt = pvmt_now() - t0;
  if (got <= 0 || pvm_upkint(&v, 1, 1) != 0 || v != dtid) {
    fprintf(stderr, "cl_hostdown: FAIL: no PvmHostDelete for t%x in 20 s\n",
            (unsigned)dtid);
    return 1;
  }
  printf("cl_hostdown: host t%x declared deleted %.0f ms after the fault\n",
         (unsigned)dtid, dt * 1000);
  pvm_exit();
  return dt * 1000 <= atof(argv[4]) ? 0 : 1;
}
