/* Conformance: pvm_barrier(group, count) completes once count members
 * have called it, whenever they joined (man pvm_barrier), in the common
 * pattern of PVM programs: the first task joins a group, spawns copies of
 * itself, sends them the group's name, and calls pvm_barrier(group, N)
 * while they are still joining; each copy joins and calls the barrier.
 * Repeated with a new group each time (argv[1] repetitions, default 100;
 * argv[2] members, default 4). */
#include "conf.h"

#define TAG_NAME 71
#define TAG_DONE 72

static int child(void) {
  char g[64] = "";
  int n = 0, parent = pvm_parent();
  pvm_recv(parent, TAG_NAME);
  pvm_upkstr(g);
  pvm_upkint(&n, 1, 1);
  int inst = pvm_joingroup(g);
  int rc = pvm_barrier(g, n);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&inst, 1, 1);
  pvm_pkint(&rc, 1, 1);
  pvm_send(parent, TAG_DONE);
  /* Leave only after everyone passed: the parent's release. */
  pvm_recv(parent, TAG_DONE);
  pvm_lvgroup(g);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_join_barrier");
  int reps = argc > 1 ? atoi(argv[1]) : 100;
  int n = argc > 2 ? atoi(argv[2]) : 4;
  if (reps < 1 || n < 2 || n > 32) {
    fprintf(stderr, "usage: conf_join_barrier [reps [members 2..32]]\n");
    return 2;
  }
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  int good = 0, bad_rc = 0, bad_inst = 0, lost = 0;
  for (int r = 0; r < reps; r++) {
    char g[64];
    int tids[32];
    snprintf(g, sizeof g, "conf_jb.%d", r);
    if (pvm_joingroup(g) != 0) {
      bad_inst++;
      continue;
    }
    int k = conf_spawn_self("child", NULL, n - 1, tids);
    if (k != n - 1) {
      lost++;
      pvm_lvgroup(g);
      break;
    }
    pvm_initsend(PvmDataDefault);
    pvm_pkstr(g);
    pvm_pkint(&n, 1, 1);
    pvm_mcast(tids, n - 1, TAG_NAME);
    int rc = pvm_barrier(g, n), seen = 0, ok = rc == 0;
    if (rc != 0)
      bad_rc++;
    for (int i = 0; i < n - 1; i++) {
      int inst = -1, crc = -1;
      if (pvm_trecv(-1, TAG_DONE, &(struct timeval){30, 0}) <= 0) {
        lost++;
        ok = 0;
        break;
      }
      pvm_upkint(&inst, 1, 1);
      pvm_upkint(&crc, 1, 1);
      if (crc != 0) {
        bad_rc++;
        ok = 0;
      }
      if (inst < 1 || inst >= n || (seen & (1 << inst))) {
        bad_inst++;
        ok = 0;
      } else {
        seen |= 1 << inst;
      }
    }
    pvm_initsend(PvmDataDefault);
    pvm_mcast(tids, n - 1, TAG_DONE);
    pvm_lvgroup(g);
    for (int i = 0; i < n - 1; i++)
      for (int w = 0; w < 200 && pvm_pstat(tids[i]) == PvmOk; w++)
        usleep(10000);
    good += ok;
    if (lost)
      break;
  }
  CHECK_INT(good, reps,
            "join, spawn %d copies, barrier(%d) while they join: "
            "repetitions that completed",
            n - 1, n);
  CHECK_INT(bad_rc, 0, "pvm_barrier calls that failed");
  CHECK_INT(bad_inst, 0, "members whose instance was wrong or repeated");
  CHECK_INT(lost, 0, "members that never reported (stuck or lost)");
  pvm_exit();
  return conf_end();
}
