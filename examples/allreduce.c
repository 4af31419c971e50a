/* allreduce: a group of tasks estimates pi by integrating 4/(1+x^2) over
 * [0,1], each member taking every n-th strip, then every member gets the
 * sum with pvmng_allreduce (no root, no broadcast back), and the members
 * compute the running totals of their strip counts with pvmng_scan. Shows
 * the PVM-NG group extensions (pvmng.h) next to PVM's own pvm_joingroup,
 * pvm_barrier and pvm_lvgroup.
 *
 *   allreduce [ntask]      default 4 tasks (this one and ntask-1 copies) */
#include <stdio.h>
#include <stdlib.h>

#include "pvm3.h"
#include "pvmng.h"

#define GROUP "allreduce"
#define STRIPS 1000000
#define TAG_N 1

int main(int argc, char **argv) {
  int ntask = argc > 1 ? atoi(argv[1]) : 4, me, inst;
  int parent = pvm_parent();

  if ((me = pvm_mytid()) < 0)
    return 1;
  if (parent > 0 && parent != PvmNoParent) {
    pvm_recv(parent, TAG_N); /* the group's size, from the first task */
    pvm_upkint(&ntask, 1, 1);
  } else if (ntask < 1 || ntask > 64) {
    fprintf(stderr, "usage: allreduce [ntask 1..64]\n");
    pvm_exit();
    return 2;
  }
  inst = pvm_joingroup(GROUP);
  if (parent <= 0 && ntask > 1) {
    int *tids = malloc(sizeof(int) * (size_t)ntask);
    int got = pvm_spawn(argv[0], NULL, PvmTaskDefault, "", ntask - 1, tids);
    if (got != ntask - 1) {
      fprintf(stderr, "allreduce: started %d of %d tasks\n", got, ntask - 1);
      pvm_exit();
      return 1;
    }
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&ntask, 1, 1);
    pvm_mcast(tids, ntask - 1, TAG_N);
    free(tids);
  }
  /* Wait until everyone is in, then freeze: the group no longer changes. */
  pvm_freezegroup(GROUP, ntask);

  double h = 1.0 / STRIPS, part = 0.0;
  int mine = 0;
  for (int i = inst; i < STRIPS; i += ntask, mine++) {
    double x = h * (i + 0.5);
    part += 4.0 / (1.0 + x * x);
  }
  part *= h;
  double pi = part;
  if (pvmng_allreduce(PvmSum, &pi, 1, PVM_DOUBLE, GROUP) < 0)
    return 1;
  int upto = mine; /* strips done by instances 0..inst */
  pvmng_scan(PvmSum, &upto, 1, PVM_INT, GROUP);

  /* The last instance's running total covers every strip; PvmMax brings
   * it to everyone. Instance 0 (the task started by hand) reports. */
  pvmng_allreduce(PvmMax, &upto, 1, PVM_INT, GROUP);
  if (inst == 0)
    printf("allreduce: %d tasks, pi = %.12f (error %.1e), strips %d of %d: "
           "%s\n",
           ntask, pi, pi - 3.14159265358979323846, upto, STRIPS,
           upto == STRIPS && pi > 3.1415926 && pi < 3.1415927 ? "OK" : "WRONG");
  pvm_barrier(GROUP, -1);
  pvm_lvgroup(GROUP);
  pvm_exit();
  return 0;
}
