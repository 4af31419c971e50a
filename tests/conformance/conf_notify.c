/* Conformance: pvm_notify (man pvm_notify): PvmTaskExit for a killed task,
 * a task that calls pvm_exit and a task already gone, PvmNotifyCancel,
 * PvmHostDelete and PvmHostAdd requests, and the refusals. */
#include "conf.h"

#define TAG_QUIT 9
#define TAG_EXIT 50
#define TAG_HDEL 51
#define TAG_HADD 52

static int child(void) {
  pvm_recv(pvm_parent(), TAG_QUIT);
  pvm_exit();
  return 0;
}

/* Receives one notify message of tag; returns the tid in its body or 0. */
static int notified(int tag, int secs) {
  int b = pvm_trecv(-1, tag, &(struct timeval){secs, 0}), tid = 0;
  if (b > 0)
    pvm_upkint(&tid, 1, 1);
  return tid;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_notify");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  int tids[3];
  CONF_REQUIRE(conf_spawn_self("child", NULL, 3, tids) == 3,
               "spawning 3 children");

  /* PvmTaskExit */
  CHECK_INT(pvm_notify(PvmTaskExit, TAG_EXIT, 2, tids), 0,
            "pvm_notify(PvmTaskExit, 2 tids) is 0");
  pvm_kill(tids[0]);
  CHECK_INT(notified(TAG_EXIT, 20), tids[0],
            "a killed task's exit is notified with its tid");
  pvm_initsend(PvmDataDefault);
  pvm_send(tids[1], TAG_QUIT);
  CHECK_INT(notified(TAG_EXIT, 20), tids[1],
            "a task's pvm_exit is notified with its tid");
  CHECK_INT(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &tids[0]), 0,
            "pvm_notify(PvmTaskExit) of a task already gone is 0");
  CHECK_INT(notified(TAG_EXIT, 20), tids[0], "... and notifies at once");

  /* PvmNotifyCancel */
  CHECK_INT(pvm_notify(PvmTaskExit, TAG_EXIT + 100, 1, &tids[2]), 0,
            "pvm_notify(PvmTaskExit) of the third child");
  CHECK_INT(
      pvm_notify(PvmTaskExit | PvmNotifyCancel, TAG_EXIT + 100, 1, &tids[2]), 0,
      "pvm_notify(PvmTaskExit | PvmNotifyCancel) is 0");
  /* "when a notify is cancelled, the notify message is delivered, as if
   * the given event had occurred" */
  CHECK_INT(notified(TAG_EXIT + 100, 20), tids[2],
            "cancelling delivers the notification at once");
  pvm_kill(tids[2]);
  CHECK_INT(notified(TAG_EXIT + 100, 2), 0,
            "... and none comes when the task exits later");

  /* Hosts */
  int host = pvm_tidtohost(me);
  CHECK_INT(pvm_notify(PvmHostDelete, TAG_HDEL, 1, &host), 0,
            "pvm_notify(PvmHostDelete, this host) is 0");
  CHECK_INT(notified(TAG_HDEL, 1), 0,
            "no PvmHostDelete message while the host is up");
  int nohost = 0x3ffc0000;
  CHECK_INT(pvm_notify(PvmHostDelete, TAG_HDEL, 1, &nohost), 0,
            "pvm_notify(PvmHostDelete, host not in the VM) is 0");
  CHECK_INT(notified(TAG_HDEL, 20), nohost,
            "... and notifies at once with that tid");
  CHECK_INT(pvm_notify(PvmHostAdd, TAG_HADD, -1, NULL), 0,
            "pvm_notify(PvmHostAdd, cnt -1) is 0");
  CHECK_INT(pvm_notify(PvmHostAdd, TAG_HADD, 0, NULL), 0,
            "pvm_notify(PvmHostAdd, cnt 0) disables it: 0");
  CHECK_INT(pvm_probe(-1, TAG_HADD), 0, "no PvmHostAdd message meanwhile");

  /* Refusals */
  CHECK_INT(pvm_notify(99, TAG_EXIT, 1, tids), PvmBadParam,
            "pvm_notify(unknown kind) is PvmBadParam");
  CHECK_INT(pvm_notify(PvmTaskExit, TAG_EXIT, -1, tids), PvmBadParam,
            "pvm_notify(PvmTaskExit, cnt -1) is PvmBadParam");
  int bad = -5;
  CHECK_INT(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &bad), PvmBadParam,
            "pvm_notify(PvmTaskExit, tid -5) is PvmBadParam");
  pvm_exit();
  return conf_end();
}
