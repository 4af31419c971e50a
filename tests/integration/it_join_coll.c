/* it_join_coll [REPS [N]]: the pvmng_* collectives (pvmng.h) on a group that
 * is not frozen while its members still join and while one leaves, without
 * a barrier between. One repetition: the parent joins a new group, spawns
 * N-1 copies and sends them its name; each copy joins and at once calls
 * pvmng_allreduce, pvmng_scan, pvmng_allgather and pvmng_alltoall (its view
 * of the group may still lack the copies joining after it); the parent
 * calls them once the group has all N members. Then the highest instance
 * leaves while everyone else at once calls pvmng_allreduce again: it runs
 * among the members left. Every result is checked on every member.
 * Defaults: 20 repetitions of 5 members. */
#include "it_common.h"
#include "pvmng.h"

#define TAG_NAME 91
#define TAG_DONE 92
#define TAG_BYE 93
#define MAXN 16

/* Runs the calls as instance inst of n in group g; returns the number of
 * wrong results. */
static int calls(char *g, int inst, int n) {
  int bad = 0, v, rc, all[MAXN], out[MAXN], in[MAXN];
  v = inst + 1;
  rc = pvmng_allreduce(PvmSum, &v, 1, PVM_INT, g);
  if (rc != 0 || v != n * (n + 1) / 2) {
    it_note("inst %d: allreduce rc %d value %d", inst, rc, v);
    bad++;
  }
  v = inst + 1;
  rc = pvmng_scan(PvmSum, &v, 1, PVM_INT, g);
  if (rc != 0 || v != (inst + 1) * (inst + 2) / 2) {
    it_note("inst %d: scan rc %d value %d", inst, rc, v);
    bad++;
  }
  v = 10 * inst;
  memset(all, -1, sizeof all);
  rc = pvmng_allgather(all, &v, 1, PVM_INT, g);
  for (int i = 0; i < n && rc == 0; i++)
    if (all[i] != 10 * i)
      rc = -1;
  if (rc != 0) {
    it_note("inst %d: allgather rc %d", inst, rc);
    bad++;
  }
  for (int j = 0; j < n; j++)
    in[j] = 100 * inst + j;
  rc = pvmng_alltoall(out, in, 1, PVM_INT, g);
  for (int i = 0; i < n && rc == 0; i++)
    if (out[i] != 100 * i + inst)
      rc = -1;
  if (rc != 0) {
    it_note("inst %d: alltoall rc %d", inst, rc);
    bad++;
  }
  if (inst == n - 1)
    return bad + (pvm_lvgroup(g) != 0);
  /* The leaver may still be in the group: the agreement waits for it to
   * go, then runs among the members left. */
  v = inst + 1;
  rc = pvmng_allreduce(PvmSum, &v, 1, PVM_INT, g);
  if (rc != 0 || v != (n - 1) * n / 2) {
    it_note("inst %d: allreduce after a leave rc %d value %d", inst, rc, v);
    bad++;
  }
  return bad;
}

static void child(void) {
  char g[64];
  int n, parent = pvm_parent(), bad;
  IT_CHECK(pvm_recv(parent, TAG_NAME) > 0, "no group name");
  pvm_upkstr(g);
  pvm_upkint(&n, 1, 1);
  int inst = pvm_joingroup(g);
  bad = inst > 0 ? calls(g, inst, n) : 1;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&bad, 1, 1);
  pvm_send(parent, TAG_DONE);
  pvm_recv(parent, TAG_BYE);
  pvm_exit();
  exit(0);
}

int main(int argc, char **argv) {
  it_guard(100);
  pvm_setopt(PvmAutoErr, 0);
  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], "member");
    child();
  }
  it_set_name(argv[0], NULL);
  int reps = argc > 1 ? atoi(argv[1]) : 20;
  int n = argc > 2 ? atoi(argv[2]) : 5;
  IT_CHECK(reps >= 1 && n >= 2 && n <= MAXN, "usage: it_join_coll [REPS [N]]");
  int total = 0;
  double t0 = it_now();
  for (int r = 0; r < reps; r++) {
    char g[64];
    int kids[MAXN], bad;
    snprintf(g, sizeof g, "jc.%d", r);
    IT_CHECK(pvm_joingroup(g) == 0, "parent's join of %s", g);
    for (int i = 0; i < n - 1; i++)
      kids[i] = it_spawn_self("member", (char *)NULL);
    pvm_initsend(PvmDataDefault);
    pvm_pkstr(g);
    pvm_pkint(&n, 1, 1);
    pvm_mcast(kids, n - 1, TAG_NAME);
    double w = it_now();
    while (pvm_gsize(g) < n) {
      IT_CHECK(it_now() - w < 20, "%s does not fill up", g);
      it_sleep_ms(1);
    }
    total += calls(g, 0, n);
    for (int i = 0; i < n - 1; i++) {
      IT_CHECK(pvm_recv(kids[i], TAG_DONE) > 0, "no result from t%x", kids[i]);
      pvm_upkint(&bad, 1, 1);
      total += bad;
    }
    pvm_initsend(PvmDataDefault);
    pvm_mcast(kids, n - 1, TAG_BYE);
    IT_CHECK(pvm_lvgroup(g) == 0, "parent's leave of %s", g);
  }
  it_note("%d repetitions of %d members: %d wrong results, %.1f s", reps, n,
          total, it_now() - t0);
  IT_CHECK(total == 0, "%d wrong results", total);
  pvm_exit();
  return 0;
}
