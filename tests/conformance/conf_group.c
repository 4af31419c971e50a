/* Conformance: the group calls of libgpvm3 (man pvm_joingroup,
 * pvm_lvgroup, pvm_gsize, pvm_gettid, pvm_getinst, pvm_barrier, pvm_bcast,
 * pvm_reduce (PvmSum, PvmMax, PvmMin, PvmProduct), pvm_gather, pvm_scatter,
 * pvm_freezegroup): a group of the program and three copies of it,
 * instance numbers, every collective's result, and the refusals. */
#include "conf.h"

#define G "conf_group"
#define NMEMB 4
#define TAG_BCAST 60
#define TAG_RED 61
#define TAG_GATH 62
#define TAG_SCAT 63
#define TAG_RES 70

/* One member's part of the collectives; the root (instance 0) passes its
 * outputs. Returns the instance. */
static int collectives(int *bval, int *sval, int red[4][2], int *gath) {
  int inst = pvm_getinst(G, pvm_mytid());
  pvm_barrier(G, NMEMB);
  if (inst == 0) {
    int v = 42;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&v, 1, 1);
    pvm_bcast(G, TAG_BCAST);
  } else {
    pvm_recv(-1, TAG_BCAST);
    pvm_upkint(bval, 1, 1);
  }
  int fn = 0;
  void (*fns[4])(int *, void *, void *, int *, int *) = {PvmSum, PvmMax, PvmMin,
                                                         PvmProduct};
  for (fn = 0; fn < 4; fn++) {
    int d[2] = {inst + 1, 10 * (inst + 1)};
    pvm_reduce(fns[fn], d, 2, PVM_INT, TAG_RED + 10 * fn, G, 0);
    if (inst == 0) {
      red[fn][0] = d[0];
      red[fn][1] = d[1];
    }
  }
  int mine = inst * 3;
  pvm_gather(gath, &mine, 1, PVM_INT, TAG_GATH, G, 0);
  int all[NMEMB] = {100, 101, 102, 103};
  pvm_scatter(sval, all, 1, PVM_INT, TAG_SCAT, G, 0);
  return inst;
}

static int child(void) {
  int bval = -1, sval = -1, red[4][2], gath[NMEMB];
  int inst = pvm_joingroup(G);
  int got = collectives(&bval, &sval, red, gath);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&inst, 1, 1);
  pvm_pkint(&got, 1, 1);
  pvm_pkint(&bval, 1, 1);
  pvm_pkint(&sval, 1, 1);
  pvm_send(pvm_parent(), TAG_RES);
  pvm_barrier(G, NMEMB);
  int lv = pvm_lvgroup(G);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&lv, 1, 1);
  pvm_send(pvm_parent(), TAG_RES + 1);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_group");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  CHECK_INT(pvm_joingroup(G), 0, "the first member joins as instance 0");
  CHECK_INT(pvm_joingroup(G), PvmDupGroup,
            "joining a group twice is PvmDupGroup");
  CHECK_INT(pvm_gsize(G), 1, "pvm_gsize of a group of one");
  CHECK_INT(pvm_getinst(G, me), 0, "pvm_getinst(self) is 0");
  CHECK_INT(pvm_gettid(G, 0), me, "pvm_gettid(instance 0) is self");

  int tids[NMEMB - 1];
  CONF_REQUIRE(conf_spawn_self("child", NULL, NMEMB - 1, tids) == NMEMB - 1,
               "spawning %d members", NMEMB - 1);
  int bval = -1, sval = -1, red[4][2], gath[NMEMB] = {-1, -1, -1, -1};
  int inst = collectives(&bval, &sval, red, gath);
  CHECK_INT(inst, 0, "the spawner is still instance 0");
  CHECK_INT(pvm_gsize(G), NMEMB, "pvm_gsize after all joined");
  int seen = 0;
  for (int i = 1; i < NMEMB; i++) {
    int t = pvm_gettid(G, i);
    for (int k = 0; k < NMEMB - 1; k++)
      if (t == tids[k] && pvm_getinst(G, t) == i)
        seen++;
  }
  CHECK_INT(seen, NMEMB - 1,
            "instances 1..3 are the children, both ways (gettid, getinst)");
  CHECK(red[0][0] == 10 && red[0][1] == 100,
        "pvm_reduce(PvmSum) at the root: %d %d", red[0][0], red[0][1]);
  CHECK(red[1][0] == 4 && red[1][1] == 40,
        "pvm_reduce(PvmMax) at the root: %d %d", red[1][0], red[1][1]);
  CHECK(red[2][0] == 1 && red[2][1] == 10,
        "pvm_reduce(PvmMin) at the root: %d %d", red[2][0], red[2][1]);
  CHECK(red[3][0] == 24 && red[3][1] == 240000,
        "pvm_reduce(PvmProduct) at the root: %d %d", red[3][0], red[3][1]);
  CHECK(gath[0] == 0 && gath[1] == 3 && gath[2] == 6 && gath[3] == 9,
        "pvm_gather at the root, in instance order: %d %d %d %d", gath[0],
        gath[1], gath[2], gath[3]);
  CHECK_INT(sval, 100, "pvm_scatter: the root's own part");
  int okc = 0;
  for (int i = 0; i < NMEMB - 1; i++) {
    int b = pvm_trecv(-1, TAG_RES, &(struct timeval){30, 0});
    if (b <= 0)
      break;
    int ci, cg, cb, cs;
    pvm_upkint(&ci, 1, 1);
    pvm_upkint(&cg, 1, 1);
    pvm_upkint(&cb, 1, 1);
    pvm_upkint(&cs, 1, 1);
    if (ci >= 1 && ci < NMEMB && cg == ci && cb == 42 && cs == 100 + ci)
      okc++;
    else
      printf("child: joined %d, getinst %d, bcast %d, scatter %d\n", ci, cg, cb,
             cs);
  }
  CHECK_INT(okc, NMEMB - 1,
            "children: instances 1..3, pvm_bcast's value, their scatter "
            "part");
  pvm_barrier(G, NMEMB);
  int lvok = 0;
  for (int i = 0; i < NMEMB - 1; i++) {
    int lv = -1;
    if (pvm_trecv(-1, TAG_RES + 1, &(struct timeval){30, 0}) > 0)
      pvm_upkint(&lv, 1, 1);
    lvok += lv == 0;
  }
  CHECK_INT(lvok, NMEMB - 1, "children's pvm_lvgroup is 0");
  CHECK_INT(pvm_gsize(G), 1, "pvm_gsize after the others left");

  /* Refusals */
  CHECK_INT(pvm_gettid(G, 99), PvmNoInst,
            "pvm_gettid(no such instance) is PvmNoInst");
  CHECK_INT(pvm_gettid("conf_nogroup", 0), PvmNoGroup,
            "pvm_gettid(no such group) is PvmNoGroup");
  CHECK_INT(pvm_getinst(G, tids[0]), PvmNotInGroup,
            "pvm_getinst(tid of a task not in it) is PvmNotInGroup");
  CHECK_INT(pvm_getinst("conf_nogroup", me), PvmNoGroup,
            "pvm_getinst(no such group) is PvmNoGroup");
  CHECK_346DIFF(pvm_barrier(G, 0) == PvmBadParam,
                "PVM 3.4.6 bug: pvm_barrier(count 0) is PvmMismatch",
                "pvm_barrier(count 0) is PvmBadParam");
  CHECK_INT(pvm_barrier("conf_nogroup", 1), PvmNoGroup,
            "pvm_barrier(no such group) is PvmNoGroup");
  pvm_initsend(PvmDataDefault);
  CHECK_346DIFF(pvm_bcast(G, -1) == PvmBadParam,
                "PVM 3.4.6 checks the members before the tag: the group's "
                "only member's pvm_bcast(tag -1) is PvmNoInst",
                "pvm_bcast(tag -1) is PvmBadParam");
  /* PVM 3.4.6: the caller alone in the group has nobody to send to. */
  CHECK_INT(pvm_bcast(G, 1), PvmNoInst,
            "pvm_bcast by the group's only member is PvmNoInst");
  CHECK_INT(pvm_bcast("conf_nogroup", 1), PvmNoGroup,
            "pvm_bcast(no such group) is PvmNoGroup");
  CHECK_INT(pvm_lvgroup("conf_nogroup"), PvmNoGroup,
            "pvm_lvgroup(no such group) is PvmNoGroup");

  /* pvm_lvgroup and re-joining: the lowest free instance again. */
  CHECK_INT(pvm_lvgroup(G), 0, "pvm_lvgroup is 0");
  CHECK_INT(pvm_lvgroup(G), PvmNoGroup,
            "leaving the group again (now empty, gone) is PvmNoGroup");
  CHECK_INT(pvm_joingroup("conf_solo"), 0, "joining conf_solo: 0");
  CHECK_INT(pvm_joingroup("conf_solo2"), 0, "joining another group: 0");
  CHECK_INT(pvm_lvgroup("conf_solo"), 0, "leaving conf_solo");
  CHECK_INT(pvm_joingroup("conf_solo"), 0, "re-joining gets instance 0");

  /* pvm_freezegroup */
  int fz = pvm_freezegroup("conf_solo", 1);
  CHECK(fz >= 0, "pvm_freezegroup succeeds (%d)", fz);
  CHECK_INT(pvm_freezegroup("conf_solo", 1), PvmDupGroup,
            "freezing a frozen group is PvmDupGroup");
  CHECK_INT(pvm_freezegroup("conf_nogroup", 1), PvmNoGroup,
            "freezing a group that does not exist is PvmNoGroup");
  pvm_lvgroup("conf_solo");
  pvm_lvgroup("conf_solo2");
  pvm_exit();
  return conf_end();
}
