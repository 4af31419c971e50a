/* Conformance: pvm_newcontext, pvm_setcontext, pvm_getcontext,
 * pvm_freecontext (their man pages): the base context, new contexts being
 * distinct, pvm_setcontext returning the old one, messages matched by
 * context, a child inheriting its parent's context, freeing. */
#include "conf.h"

#define TAG_CTX 31

/* Reports the context it was started in, then echoes one message back in
 * that context. */
static int child(void) {
  int ctx = pvm_getcontext(), parent = pvm_parent();
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&ctx, 1, 1);
  pvm_send(parent, TAG_CTX);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_context");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  int base = pvm_getcontext();
  CHECK_INT(base, 0, "a task starts in the base context 0");
  int c1 = pvm_newcontext(), c2 = pvm_newcontext();
  CHECK(c1 > 0 && c2 > 0 && c1 != c2 && c1 != base && c2 != base,
        "pvm_newcontext gives new distinct contexts (%d, %d)", c1, c2);
  CHECK_INT(pvm_getcontext(), base, "pvm_newcontext does not switch");
  CHECK_INT(pvm_setcontext(c1), base, "pvm_setcontext returns the old context");
  CHECK_INT(pvm_getcontext(), c1, "pvm_getcontext is the new one");

  /* A message sent in c1 is received only in c1. */
  int v = 5;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  pvm_send(me, 7);
  CHECK_INT(pvm_setcontext(c2), c1, "switching to c2");
  usleep(100000);
  CHECK_INT(pvm_nrecv(-1, 7), 0, "a message of c1 is not received in c2");
  pvm_setcontext(base);
  CHECK_INT(pvm_nrecv(-1, 7), 0, "... nor in the base context");
  pvm_setcontext(c1);
  CHECK(pvm_nrecv(-1, 7) > 0, "... but in c1");

  /* A child inherits the context it is spawned in. */
  int tid = 0;
  CONF_REQUIRE(conf_spawn_self("child", NULL, 1, &tid) == 1,
               "spawning a child in c1");
  /* The child reports in the context it runs in: receive in c1 first,
   * else in the base context. */
  int b = pvm_trecv(tid, TAG_CTX, &(struct timeval){10, 0}), cctx = -1;
  if (b <= 0) {
    pvm_setcontext(base);
    b = pvm_trecv(tid, TAG_CTX, &(struct timeval){10, 0});
    pvm_setcontext(c1);
  }
  CHECK(b > 0, "the child's report arrives");
  if (b > 0)
    pvm_upkint(&cctx, 1, 1);
  CHECK(cctx == c1, "the child runs in its parent's context (%d, want %d)",
        cctx, c1);

  pvm_setcontext(base);
  CHECK_INT(pvm_freecontext(c2), 0, "pvm_freecontext is 0");
  CHECK_INT(pvm_freecontext(c1), 0, "pvm_freecontext of another is 0");
  CHECK_INT(pvm_getcontext(), base, "back in the base context");
  pvm_exit();
  return conf_end();
}
