/* Conformance: pvm_mytid, pvm_parent, pvm_exit, pvm_tidtohost,
 * pvm_archcode, pvm_siblings, pvm_version (their man pages). The program
 * spawns two copies of itself ("child") that report what those calls
 * answer in a spawned task. */
#include "conf.h"

#define TAG_REPORT 11

static int child(void) {
  int me = pvm_mytid();
  int parent = pvm_parent();
  int *sib = NULL;
  int nsib = pvm_siblings(&sib);

  pvm_initsend(PvmDataDefault);
  pvm_pkint(&me, 1, 1);
  pvm_pkint(&parent, 1, 1);
  pvm_pkint(&nsib, 1, 1);
  if (nsib > 0)
    pvm_pkint(sib, nsib, 1);
  if (parent > 0)
    pvm_send(parent, TAG_REPORT);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_task");

  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols the task: a positive tid (%d)", me);
  CHECK_INT(pvm_mytid(), me, "pvm_mytid() twice gives the same tid");
  CHECK_INT(pvm_parent(), PvmNoParent,
            "pvm_parent() of a task not started by pvm_spawn is "
            "PvmNoParent");

  /* pvm_tidtohost */
  int host = pvm_tidtohost(me);
  CHECK(host > 0, "pvm_tidtohost(mytid) is the daemon's tid (%x)", host);
  CHECK_INT(pvm_tidtohost(host), host,
            "pvm_tidtohost(daemon's tid) is that daemon");
  struct pvmhostinfo *hi = NULL;
  int nhost = 0, narch = 0;
  if (pvm_config(&nhost, &narch, &hi) == 0 && nhost >= 1)
    CHECK_INT(pvm_tidtohost(me), hi[0].hi_tid,
              "pvm_tidtohost(mytid) matches pvm_config's hi_tid");
  /* The man page lists PvmBadParam for an invalid tid, but PVM 3.4.6
   * masks any value to its host part: not checked. */

  /* pvm_archcode */
  int code = pvm_archcode("LINUX64");
  CHECK(code > 0,
        "pvm_archcode(\"LINUX64\") is a positive data signature "
        "(%d)",
        code);
  if (hi && nhost >= 1)
    CHECK_INT(pvm_archcode(hi[0].hi_arch), hi[0].hi_dsig,
              "pvm_archcode(this host's arch) is its hi_dsig");
  CHECK_INT(pvm_archcode("NOSUCHARCH"), PvmNotFound,
            "pvm_archcode(arch of no host) is PvmNotFound");
  CHECK_INT(pvm_archcode(NULL), PvmBadParam,
            "pvm_archcode(NULL) is PvmBadParam");

  /* pvm_version */
  const char *v = pvm_version();
  CHECK(v && strcmp(v, PVM_VER) == 0, "pvm_version() is PVM_VER (%s)",
        v ? v : "(null)");

  /* pvm_siblings of a task started without pvm_spawn: itself only. */
  int *sib = NULL;
  int n = pvm_siblings(&sib);
  CHECK_INT(n, 1, "pvm_siblings() of an unspawned task is 1");
  if (n == 1 && sib)
    CHECK_INT(sib[0], me, "... and the one sibling is the caller");

  /* Two children, spawned in one call. */
  int tids[2];
  n = conf_spawn_self("child", NULL, 2, tids);
  CONF_REQUIRE(n == 2, "pvm_spawn of 2 children (%d)", n);
  for (int i = 0; i < 2; i++) {
    int bufid = pvm_trecv(-1, TAG_REPORT, &(struct timeval){20, 0});
    CONF_REQUIRE(bufid > 0, "report %d of a child arrives", i);
    int ctid, cparent, cn, csib[2] = {0, 0};
    pvm_upkint(&ctid, 1, 1);
    pvm_upkint(&cparent, 1, 1);
    pvm_upkint(&cn, 1, 1);
    CHECK(ctid == tids[0] || ctid == tids[1],
          "child's pvm_mytid() is a tid pvm_spawn returned");
    CHECK_INT(cparent, me, "child's pvm_parent() is the spawner");
    CHECK(cn == 2, "child's pvm_siblings() is 2 (got %d)", cn);
    if (cn == 2) {
      pvm_upkint(csib, 2, 1);
      CHECK(csib[0] == tids[0] && csib[1] == tids[1],
            "child's siblings are the spawned tids in order");
    }
  }

  /* pvm_exit leaves the VM; calls after it fail or re-enrol. */
  CHECK_INT(pvm_exit(), 0, "pvm_exit() returns 0");
  return conf_end();
}
