/* Conformance: pvm_setopt / pvm_getopt (every option of the man page, the
 * old value returned, refusals) and pvm_perror. */
#include "conf.h"

int main(void) {
  conf_begin("conf_opt");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  /* Defaults (man pvm_setopt). */
  CHECK_INT(pvm_getopt(PvmRoute), PvmAllowDirect,
            "PvmRoute defaults to PvmAllowDirect");
  CHECK_INT(pvm_getopt(PvmDebugMask), 0, "PvmDebugMask defaults to 0");
  CHECK_INT(pvm_getopt(PvmAutoErr), 1, "PvmAutoErr defaults to 1");
  CHECK_INT(pvm_getopt(PvmOutputTid), 0,
            "PvmOutputTid of an unspawned task is 0");
  CHECK_INT(pvm_getopt(PvmTraceTid), 0,
            "PvmTraceTid of an unspawned task is 0");
  /* "Default value varies with host architecture". */
  int frag = pvm_getopt(PvmFragSize);
  CHECK(frag > 0, "PvmFragSize has a positive default (%d)", frag);
  CHECK_INT(pvm_getopt(PvmResvTids), 0, "PvmResvTids defaults to 0");
  CHECK_INT(pvm_getopt(PvmSelfOutputTid), 0, "PvmSelfOutputTid defaults to 0");
  CHECK_INT(pvm_getopt(PvmShowTids), 1, "PvmShowTids defaults to 1");
  CHECK_INT(pvm_getopt(PvmNoReset), 0, "PvmNoReset defaults to 0");

  /* pvm_setopt returns the old value and the new one sticks. */
  CHECK_INT(pvm_setopt(PvmRoute, PvmRouteDirect), PvmAllowDirect,
            "pvm_setopt(PvmRoute) returns the old value");
  CHECK_INT(pvm_getopt(PvmRoute), PvmRouteDirect,
            "pvm_getopt(PvmRoute) gives the new value");
  pvm_setopt(PvmRoute, PvmDontRoute);
  CHECK_INT(pvm_getopt(PvmRoute), PvmDontRoute, "PvmDontRoute sticks");
  CHECK_INT(pvm_setopt(PvmAutoErr, 0), 1,
            "pvm_setopt(PvmAutoErr, 0) returns 1");
  CHECK_INT(pvm_getopt(PvmAutoErr), 0, "PvmAutoErr is now 0");
  CHECK_INT(pvm_setopt(PvmShowTids, 0), 1, "pvm_setopt(PvmShowTids, 0)");
  CHECK_INT(pvm_getopt(PvmShowTids), 0, "PvmShowTids is now 0");
  CHECK_INT(pvm_setopt(PvmFragSize, 65536), frag,
            "pvm_setopt(PvmFragSize) returns the default");
  CHECK_INT(pvm_getopt(PvmFragSize), 65536, "PvmFragSize is now 65536");
  CHECK_INT(pvm_setopt(PvmNoReset, 1), 0, "pvm_setopt(PvmNoReset, 1)");
  CHECK_INT(pvm_getopt(PvmNoReset), 1, "PvmNoReset is now 1");
  CHECK_INT(pvm_setopt(PvmNoReset, 0), 1, "PvmNoReset back to 0");
  CHECK_INT(pvm_setopt(PvmDebugMask, 0), 0, "pvm_setopt(PvmDebugMask, 0)");

  /* Refusals */
  CHECK_INT(pvm_getopt(9999), PvmBadParam,
            "pvm_getopt(unknown option) is PvmBadParam");
  CHECK_INT(pvm_setopt(9999, 1), PvmBadParam,
            "pvm_setopt(unknown option) is PvmBadParam");
  CHECK_INT(pvm_setopt(PvmRoute, 77), PvmBadParam,
            "pvm_setopt(PvmRoute, unknown policy) is PvmBadParam");

  /* pvm_perror returns 0; the error strings exist. */
  CHECK_INT(pvm_perror("conf_opt"), 0, "pvm_perror returns 0");
  CHECK_INT(pvm_setopt(PvmAutoErr, 1), 0, "PvmAutoErr back to 1");

  CHECK_INT(pvm_setopt(PvmRoute, PvmAllowDirect), PvmDontRoute,
            "PvmRoute back to PvmAllowDirect");
  pvm_exit();
  return conf_end();
}
