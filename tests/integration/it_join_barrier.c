/* it_join_barrier: the "join, spawn, barrier(N)" patterns of real PVM
 * programs, where members call pvm_barrier(group, N) while others are still
 * joining. pvm_barrier(g, count) completes once count members have called
 * it, whenever they joined (man pvm_barrier). `it_join_barrier <pattern>
 * [reps] [n]`:
 *   self    the parent joins (instance 0), spawns n-1 copies of itself that
 *           join and call barrier(g, n) at once, then calls it itself
 *   named   the parent is a member of many groups; it sends each child the
 *           name of one group, the children join it, and everyone calls
 *           barrier(group, n)
 *   mcast   a master spawns workers, multicasts them work while they join
 *           and calls barrier(g, n); the workers join, receive, barrier
 *   grow    as self, but the group holds one more member than the barrier
 *           counts, which joins and calls no barrier: the n callers pass
 * Every round uses a fresh group name; a round that hangs is caught by the
 * guard alarm. Children spawn by PvmTaskDefault, so over several hosts
 * they spread. */
#include "it_common.h"

#define TAG_NAME 41
#define TAG_WORK 42
#define TAG_DONE 43
#define TAG_GO 44

/* Child: joins the group it is told (argv or message), waits in the
 * barrier, reports back. */
static int child(const char *pattern, const char *gname_arg, int n) {
  char gname[64];
  int parent = pvm_parent(), rc, work = 0;
  snprintf(gname, sizeof gname, "%s", gname_arg);
  if (strcmp(pattern, "named") == 0) {
    IT_CHECK(pvm_recv(parent, TAG_NAME) > 0, "no group name");
    IT_CHECK(pvm_upkstr(gname) == 0, "unpack of the name");
  }
  IT_CHECK(pvm_joingroup(gname) >= 0, "join %s", gname);
  if (strcmp(pattern, "mcast") == 0) {
    IT_CHECK(pvm_recv(parent, TAG_WORK) > 0, "no work");
    IT_CHECK(pvm_upkint(&work, 1, 1) == 0, "unpack of work");
  }
  if (strcmp(pattern, "extra") == 0) {
    /* The extra member: it waits until the n others have passed, then
     * leaves without a barrier of its own. */
    IT_CHECK(pvm_recv(parent, TAG_GO) > 0, "no go");
  } else {
    rc = pvm_barrier(gname, n);
    IT_CHECK(rc == 0, "barrier(%s, %d) returned %d", gname, n, rc);
  }
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&work, 1, 1);
  pvm_send(parent, TAG_DONE);
  pvm_lvgroup(gname);
  pvm_exit();
  return 0;
}

static void round_trip(const char *self, const char *pattern, int round,
                       int n) {
  char gname[64], *argv[4];
  int *tids = calloc((size_t)n + 1, sizeof *tids), got, extra = 0;
  int nother = 31, rc;
  char other[32][64];

  IT_CHECK(tids != NULL, "out of memory");
  snprintf(gname, sizeof gname, "jb.%s.%d.%d", pattern, (int)getpid(), round);
  IT_CHECK(pvm_joingroup(gname) == 0, "parent join of %s", gname);
  if (strcmp(pattern, "named") == 0) {
    /* A parent that is a member of many groups. */
    for (int i = 0; i < nother; i++) {
      snprintf(other[i], sizeof other[i], "jb.other.%d.%d.%d", (int)getpid(),
               round, i);
      IT_CHECK(pvm_joingroup(other[i]) == 0, "join of %s", other[i]);
    }
  }
  if (strcmp(pattern, "grow") == 0)
    extra = 1;
  char nstr[16];
  snprintf(nstr, sizeof nstr, "%d", n);
  argv[0] = (char *)pattern;
  argv[1] = gname;
  argv[2] = nstr;
  argv[3] = NULL;
  got = pvm_spawn((char *)self, argv, PvmTaskDefault, "", n - 1, tids);
  IT_CHECK(got == n - 1, "spawned %d of %d", got, n - 1);
  if (extra) {
    argv[0] = "extra";
    IT_CHECK(
        pvm_spawn((char *)self, argv, PvmTaskDefault, "", 1, &tids[n - 1]) == 1,
        "spawn of the extra member");
    got = n;
  }
  if (strcmp(pattern, "named") == 0) {
    pvm_initsend(PvmDataDefault);
    pvm_pkstr(gname);
    IT_CHECK(pvm_mcast(tids, got, TAG_NAME) == 0, "mcast of the name");
  }
  if (strcmp(pattern, "mcast") == 0) {
    int w = round;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&w, 1, 1);
    IT_CHECK(pvm_mcast(tids, got, TAG_WORK) == 0, "mcast of work");
  }
  rc = pvm_barrier(gname, n);
  IT_CHECK(rc == 0, "round %d: parent barrier(%s, %d) returned %d", round,
           gname, n, rc);
  for (int i = 0; i < n - 1; i++) {
    int w = -1, b = pvm_recv(-1, TAG_DONE);
    IT_CHECK(b > 0, "no report");
    pvm_upkint(&w, 1, 1);
    if (strcmp(pattern, "mcast") == 0)
      IT_CHECK(w == round, "a worker got work %d, not %d", w, round);
  }
  if (extra) {
    pvm_initsend(PvmDataDefault);
    pvm_send(tids[n - 1], TAG_GO);
    IT_CHECK(pvm_recv(-1, TAG_DONE) > 0, "no report from the extra member");
  }
  pvm_lvgroup(gname);
  if (strcmp(pattern, "named") == 0)
    for (int i = 0; i < nother; i++)
      pvm_lvgroup(other[i]);
  free(tids);
}

int main(int argc, char **argv) {
  const char *pattern = argc > 1 ? argv[1] : "self";
  int reps = argc > 2 ? atoi(argv[2]) : 20;
  int n = argc > 3 ? atoi(argv[3]) : 5;

  if (pvm_parent() > 0) {
    it_set_name(argv[0], "child");
    it_guard(60);
    return child(pattern, argc > 2 ? argv[2] : "", n);
  }
  it_set_name(argv[0], pattern);
  it_guard(reps * 10 + 30);
  IT_CHECK(pvm_mytid() > 0, "enrol");
  for (int r = 0; r < reps; r++)
    round_trip(it_self_path(), pattern, r, n);
  it_note("%d rounds of %s with %d members: all passed", reps, pattern, n);
  pvm_exit();
  return 0;
}
