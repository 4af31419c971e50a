/* Conformance: pvm_reduce, pvm_gather, pvm_scatter and pvm_bcast on a group
 * whose members are still joining or leaving, without a barrier between
 * (man pvm_reduce, pvm_gather, pvm_scatter: every member of the group takes
 * part, the group as the root sees it; man pvm_bcast: the members at the
 * time of the call). One repetition: the first task joins a new group,
 * spawns copies of itself and sends them the group's name; each copy joins
 * and at once calls pvm_reduce, pvm_gather and pvm_scatter (root instance
 * 0) and then tells the first task it has joined. The first task waits
 * until the group has every member (pvm_gsize), then runs the same three
 * calls as their root, waits for every "joined", and calls pvm_bcast,
 * which every copy must get. Then the highest instance leaves the group
 * and says so while the others at once call pvm_reduce again; the root
 * calls it after hearing of the leave and must get the sum of the members
 * left. Repeated with a new group each time (argv[1] repetitions, default
 * 100; argv[2] members, default 4). Each call uses its own msgtag: PVM
 * 3.4.6 carries the data in messages of that tag. */
#include "conf.h"

#define TAG_NAME 61
#define TAG_JOINED 62
#define TAG_BC 63
#define TAG_LEFT 64
#define TAG_DONE 65
#define TAG_RED1 66
#define TAG_GATH 67
#define TAG_SCAT 68
#define TAG_RED2 69
#define MAXN 32

/* What a copy reports: its instance and what it saw. */
enum { R_INST, R_RED1, R_GATH, R_SCAT, R_SCATV, R_BC, R_RED2, R_N };

static int child(void) {
  char g[64] = "";
  int n = 0, parent = pvm_parent(), r[R_N], v;
  pvm_recv(parent, TAG_NAME);
  pvm_upkstr(g);
  pvm_upkint(&n, 1, 1);
  int inst = r[R_INST] = pvm_joingroup(g);
  v = inst + 1;
  r[R_RED1] = pvm_reduce(PvmSum, &v, 1, PVM_INT, TAG_RED1, g, 0);
  v = 100 + inst;
  r[R_GATH] = pvm_gather(NULL, &v, 1, PVM_INT, TAG_GATH, g, 0);
  r[R_SCATV] = -1;
  r[R_SCAT] = pvm_scatter(&r[R_SCATV], NULL, 1, PVM_INT, TAG_SCAT, g, 0);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&inst, 1, 1);
  pvm_send(parent, TAG_JOINED);
  r[R_BC] = -1;
  if (pvm_trecv(parent, TAG_BC, &(struct timeval){20, 0}) > 0)
    pvm_upkint(&r[R_BC], 1, 1);
  if (inst == n - 1) {
    /* The leaver: out of the group, then tells the root. */
    r[R_RED2] = pvm_lvgroup(g);
    pvm_initsend(PvmDataDefault);
    pvm_send(parent, TAG_LEFT);
  } else {
    v = inst + 1;
    r[R_RED2] = pvm_reduce(PvmSum, &v, 1, PVM_INT, TAG_RED2, g, 0);
  }
  pvm_initsend(PvmDataDefault);
  pvm_pkint(r, R_N, 1);
  pvm_send(parent, TAG_DONE);
  /* Leave only after the parent has seen everything: its release. */
  pvm_recv(parent, TAG_DONE);
  if (inst != n - 1)
    pvm_lvgroup(g);
  pvm_exit();
  return 0;
}

struct tally {
  int good, lost, red1, gath, scat, bc, red2, child_rc;
};

/* One repetition in group g with n members; returns 1 when all was right,
 * -1 when a copy could not be started or never reported. */
static int one_rep(const char *g, int n, struct tally *t) {
  int tids[MAXN], ok = 1, rc, v;
  int all[MAXN], blocks[MAXN], got[MAXN] = {0}, r[R_N];
  if (pvm_joingroup((char *)g) != 0)
    return -1;
  int k = conf_spawn_self("child", NULL, n - 1, tids);
  if (k != n - 1) {
    pvm_lvgroup((char *)g);
    return -1;
  }
  pvm_initsend(PvmDataDefault);
  pvm_pkstr((char *)g);
  pvm_pkint(&n, 1, 1);
  pvm_mcast(tids, n - 1, TAG_NAME);
  /* The root sees every member before it calls (as in PVM 3.4.6, where the
   * root's list comes from the group server at its call). */
  for (int w = 0; w < 20000 && pvm_gsize((char *)g) < n; w++)
    usleep(1000);
  v = 1;
  rc = pvm_reduce(PvmSum, &v, 1, PVM_INT, TAG_RED1, (char *)g, 0);
  if (rc != 0 || v != n * (n + 1) / 2)
    t->red1++, ok = 0;
  v = 100;
  memset(all, 0, sizeof all);
  rc = pvm_gather(all, &v, 1, PVM_INT, TAG_GATH, (char *)g, 0);
  for (int i = 0; i < n && rc == 0; i++)
    if (all[i] != 100 + i)
      rc = -1;
  if (rc != 0)
    t->gath++, ok = 0;
  for (int i = 0; i < n; i++)
    blocks[i] = 1000 + i;
  v = -1;
  rc = pvm_scatter(&v, blocks, 1, PVM_INT, TAG_SCAT, (char *)g, 0);
  if (rc != 0 || v != 1000)
    t->scat++, ok = 0;
  /* Every copy has joined (it said so): the broadcast reaches each. */
  for (int i = 0; i < n - 1; i++)
    if (pvm_trecv(-1, TAG_JOINED, &(struct timeval){20, 0}) <= 0)
      return -1;
  v = 7;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  if (pvm_bcast((char *)g, TAG_BC) != 0)
    t->bc++, ok = 0;
  /* The highest instance leaves; the others are already in the reduce. */
  if (pvm_trecv(-1, TAG_LEFT, &(struct timeval){20, 0}) <= 0)
    return -1;
  v = 1;
  rc = pvm_reduce(PvmSum, &v, 1, PVM_INT, TAG_RED2, (char *)g, 0);
  if (rc != 0 || v != (n - 1) * n / 2)
    t->red2++, ok = 0;
  for (int i = 0; i < n - 1; i++) {
    if (pvm_trecv(-1, TAG_DONE, &(struct timeval){20, 0}) <= 0)
      return -1;
    pvm_upkint(r, R_N, 1);
    if (r[R_INST] < 1 || r[R_INST] >= n || got[r[R_INST]]++) {
      t->child_rc++, ok = 0;
      continue;
    }
    if (r[R_RED1] != 0 || r[R_GATH] != 0 || r[R_RED2] != 0)
      t->child_rc++, ok = 0;
    if (r[R_SCAT] != 0 || r[R_SCATV] != 1000 + r[R_INST])
      t->scat++, ok = 0;
    if (r[R_BC] != 7)
      t->bc++, ok = 0;
  }
  pvm_initsend(PvmDataDefault);
  pvm_mcast(tids, n - 1, TAG_DONE);
  pvm_lvgroup((char *)g);
  for (int i = 0; i < n - 1; i++)
    for (int w = 0; w < 200 && pvm_pstat(tids[i]) == PvmOk; w++)
      usleep(10000);
  return ok;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_join_coll");
  int reps = argc > 1 ? atoi(argv[1]) : 100;
  int n = argc > 2 ? atoi(argv[2]) : 4;
  if (reps < 1 || n < 3 || n > MAXN) {
    fprintf(stderr, "usage: conf_join_coll [reps [members 3..%d]]\n", MAXN);
    return 2;
  }
  CONF_REQUIRE(pvm_mytid() > 0, "pvm_mytid() enrols");
  struct tally t = {0};
  for (int rep = 0; rep < reps; rep++) {
    char g[64];
    snprintf(g, sizeof g, "conf_jc.%d", rep);
    int ok = one_rep(g, n, &t);
    if (ok < 0) {
      t.lost++;
      break;
    }
    t.good += ok;
  }
  CHECK_INT(t.good, reps,
            "reduce, gather, scatter while %d copies join, bcast once they "
            "have, reduce while one leaves: repetitions all right",
            n - 1);
  CHECK_INT(t.red1, 0, "root's reduce right after the joins: wrong or failed");
  CHECK_INT(t.gath, 0, "root's gather right after the joins: wrong or failed");
  CHECK_INT(t.scat, 0, "scatter right after the joins: wrong or failed");
  CHECK_INT(t.bc, 0, "bcast to the members that joined: failed or missed");
  CHECK_INT(t.red2, 0, "root's reduce after a leave: wrong or failed");
  CHECK_INT(t.child_rc, 0, "members' own calls that failed");
  CHECK_INT(t.lost, 0, "repetitions where a copy never reported (stuck)");
  pvm_exit();
  return conf_end();
}
