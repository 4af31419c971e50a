/* it_siblings: pvm_siblings and pvm_parent as PVM 3.4.6 answers them. A task
 * started by hand has no parent (PvmNoParent) and is its own only sibling;
 * each task of one pvm_spawn call gets the tids that call started, in the
 * order pvm_spawn returned them, whether or not the spawner set
 * PvmNoSpawnParent; a task spawned with PvmNoSpawnParent gets
 * PvmParentNotSet from pvm_parent. The sibling list never shows up in the
 * task's own receives. */
#include "it_common.h"

#define TAG_REPORT 61
#define NKIDS 3

/* Child: reports parent, sibling count and list, and whether a receive saw
 * anything, to the tid in argv[3]. */
static int child(const char *to) {
  int *tids = NULL, n, parent, stray, me = pvm_mytid(),
      dst = (int)strtol(to, NULL, 16);
  IT_CHECK(me > 0, "pvm_mytid() failed");
  parent = pvm_parent();
  n = pvm_siblings(&tids);
  stray = pvm_nrecv(-1, -1);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&parent, 1, 1);
  pvm_pkint(&n, 1, 1);
  if (n > 0)
    pvm_pkint(tids, n, 1);
  pvm_pkint(&stray, 1, 1);
  IT_CHECK(pvm_send(dst, TAG_REPORT) == 0, "pvm_send to t%x failed", dst);
  pvm_exit();
  return 0;
}

/* Spawns NKIDS children with flags and checks their reports. */
static void check_spawn(int flags, int want_parent) {
  char me_hex[16];
  char *argv[] = {"--child", "sib", me_hex, NULL};
  int tids[NKIDS], cc, me = pvm_mytid();

  snprintf(me_hex, sizeof me_hex, "%x", me);
  cc = pvm_spawn((char *)it_self_path(), argv, flags, "", NKIDS, tids);
  IT_CHECK(cc == NKIDS, "pvm_spawn(flags %d) started %d of %d", flags, cc,
           NKIDS);
  for (int k = 0; k < NKIDS; k++) {
    int parent, n, list[NKIDS + 1], stray, src;
    IT_CHECK(pvm_recv(-1, TAG_REPORT) > 0, "no report");
    pvm_bufinfo(pvm_getrbuf(), NULL, NULL, &src);
    pvm_upkint(&parent, 1, 1);
    pvm_upkint(&n, 1, 1);
    IT_CHECK(n == NKIDS, "t%x: pvm_siblings returned %d, want %d", src, n,
             NKIDS);
    pvm_upkint(list, n, 1);
    pvm_upkint(&stray, 1, 1);
    for (int i = 0; i < NKIDS; i++)
      IT_CHECK(list[i] == tids[i],
               "t%x: sibling %d is t%x, pvm_spawn returned t%x there", src, i,
               list[i], tids[i]);
    IT_CHECK(parent == want_parent, "t%x: pvm_parent() = %d, want %d", src,
             parent, want_parent);
    IT_CHECK(stray == 0, "t%x: pvm_nrecv(-1, -1) found message %d", src, stray);
  }
  printf("%s: %d tasks spawned with flags %d: siblings t%x t%x t%x, "
         "parent %d: OK\n",
         it_name, NKIDS, flags, tids[0], tids[1], tids[2], want_parent);
}

int main(int argc, char **argv) {
  int *tids = NULL, me, n;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    IT_CHECK(argc == 4, "child needs the reporting tid");
    return child(argv[3]);
  }
  it_set_name(argv[0], NULL);
  it_guard(60);
  IT_CHECK((me = pvm_mytid()) > 0, "pvm_mytid() failed");

  /* Started by hand. */
  IT_CHECK(pvm_parent() == PvmNoParent, "pvm_parent() = %d, want PvmNoParent",
           pvm_parent());
  n = pvm_siblings(&tids);
  IT_CHECK(n == 1 && tids != NULL && tids[0] == me,
           "pvm_siblings() = %d (first t%x), want 1 (t%x)", n,
           tids ? tids[0] : 0, me);
  printf("%s: started by hand: PvmNoParent, its own only sibling: OK\n",
         it_name);

  check_spawn(PvmTaskDefault, me);
  check_spawn(PvmNoSpawnParent, PvmParentNotSet);
  /* The spawner's own answers do not change. */
  IT_CHECK(pvm_siblings(&tids) == 1 && tids[0] == me,
           "the spawner's pvm_siblings changed");
  IT_CHECK(pvm_parent() == PvmNoParent, "the spawner's pvm_parent changed");
  pvm_exit();
  return 0;
}
