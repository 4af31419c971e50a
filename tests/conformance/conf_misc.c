/* Conformance: pvm_export / pvm_unexport (a spawned task gets the exported
 * variables only), pvm_getfds, pvm_getnoresets, and pvm_start_pvmd with a
 * daemon already running (PvmDupHost). */
#include "conf.h"

#define TAG_ENV 41

static int child(void) {
  const char *a = getenv("CONF_EXPORTED"), *b = getenv("CONF_UNEXPORTED");
  pvm_initsend(PvmDataDefault);
  pvm_pkstr((char *)(a ? a : "(unset)"));
  pvm_pkstr((char *)(b ? b : "(unset)"));
  pvm_send(pvm_parent(), TAG_ENV);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_misc");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  /* pvm_export / pvm_unexport */
  setenv("CONF_EXPORTED", "yes", 1);
  setenv("CONF_UNEXPORTED", "yes", 1);
  CHECK_INT(pvm_export("CONF_EXPORTED"), 0, "pvm_export is 0");
  CHECK_INT(pvm_export("CONF_UNEXPORTED"), 0, "pvm_export of another");
  CHECK_INT(pvm_unexport("CONF_UNEXPORTED"), 0, "pvm_unexport is 0");
  const char *list = getenv("PVM_EXPORT");
  CHECK(
      list && strstr(list, "CONF_EXPORTED") && !strstr(list, "CONF_UNEXPORTED"),
      "PVM_EXPORT lists the exported name only (%s)", list ? list : "(unset)");
  int tid;
  CONF_REQUIRE(conf_spawn_self("child", NULL, 1, &tid) == 1,
               "spawning a child");
  char a[64] = "", b[64] = "";
  if (pvm_trecv(tid, TAG_ENV, &(struct timeval){20, 0}) > 0) {
    pvm_upkstr(a);
    pvm_upkstr(b);
  }
  CHECK(strcmp(a, "yes") == 0, "the child has the exported variable (%s)", a);
  CHECK(strcmp(b, "(unset)") == 0,
        "the child lacks the unexported variable (%s)", b);

  /* pvm_getfds */
  int *fds = NULL;
  int n = pvm_getfds(&fds);
  CHECK(n >= 1 && fds && fds[0] >= 0,
        "pvm_getfds gives at least the daemon's descriptor (%d)", n);

  /* pvm_getnoresets */
  int *nr = NULL, nnr = -1;
  CHECK_INT(pvm_getnoresets(&nr, &nnr), 0, "pvm_getnoresets is 0");
  CHECK_INT(nnr, 0, "no task has PvmNoReset");
  pvm_setopt(PvmNoReset, 1);
  CHECK_INT(pvm_getnoresets(&nr, &nnr), 0, "pvm_getnoresets again");
  CHECK(nnr == 1 && nr && nr[0] == me,
        "after PvmNoReset the caller is listed (%d)", nnr);
  pvm_setopt(PvmNoReset, 0);

  /* pvm_start_pvmd while the daemon runs */
  CHECK_INT(pvm_start_pvmd(0, NULL, 1), PvmDupHost,
            "pvm_start_pvmd with a daemon running is PvmDupHost");
  pvm_exit();
  return conf_end();
}
