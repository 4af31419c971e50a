/* Conformance: message handlers (man pvm_addmhf, pvm_delmhf): ids,
 * overlapping patterns refused with PvmExists, a handler called for a
 * matching message inside a receive call instead of the message being
 * received, wildcards, deletion, and pvm_delmhf's refusals. */
#include "conf.h"

static int calls, last_tag, last_val;

static int handler(int mid) {
  int tag = -1, v = -1;
  pvm_bufinfo(mid, NULL, &tag, NULL);
  pvm_upkint(&v, 1, 1);
  calls++;
  last_tag = tag;
  last_val = v;
  return 0;
}

static void send_int(int to, int tag, int v) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  pvm_send(to, tag);
}

int main(void) {
  conf_begin("conf_mhf");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  int ctx = pvm_getcontext();

  int h1 = pvm_addmhf(-1, 90, ctx, handler);
  CHECK(h1 >= 0, "pvm_addmhf(any source, tag 90) gives an id (%d)", h1);
  CHECK_INT(pvm_addmhf(me, 90, ctx, handler), PvmExists,
            "a pattern that overlaps another (wildcard source) is "
            "PvmExists");
  int h2 = pvm_addmhf(me, 91, ctx, handler);
  CHECK(h2 >= 0 && h2 != h1, "a second handler gets another id (%d)", h2);

  /* A matching message goes to the handler inside a library call. */
  send_int(me, 90, 1234);
  CHECK_INT(pvm_trecv(-1, 90, &(struct timeval){1, 0}), 0,
            "a message a handler matches is not received");
  CHECK_INT(calls, 1, "the handler was called once");
  CHECK(last_tag == 90 && last_val == 1234,
        "the handler saw the message (tag %d, value %d)", last_tag, last_val);
  send_int(me, 92, 5);
  CHECK(pvm_trecv(-1, 92, &(struct timeval){5, 0}) > 0,
        "a message no handler matches is received as usual");
  CHECK_INT(calls, 1, "... without a handler call");
  send_int(me, 91, 77);
  pvm_trecv(-1, 92, &(struct timeval){1, 0});
  CHECK(calls == 2 && last_tag == 91 && last_val == 77,
        "the second handler's message (source and tag) calls it");

  /* pvm_delmhf */
  CHECK_INT(pvm_delmhf(h1), 0, "pvm_delmhf is 0");
  CHECK_INT(pvm_delmhf(h1), PvmNotFound,
            "pvm_delmhf of a deleted id is PvmNotFound");
  CHECK_INT(pvm_delmhf(-1), PvmBadParam,
            "pvm_delmhf(negative id) is PvmBadParam");
  send_int(me, 90, 4321);
  int b = pvm_trecv(-1, 90, &(struct timeval){5, 0}), v = 0;
  CHECK(b > 0, "after pvm_delmhf the message is received again");
  if (b > 0)
    pvm_upkint(&v, 1, 1);
  CHECK(v == 4321 && calls == 2, "... with its data, no handler call");
  CHECK_INT(pvm_delmhf(h2), 0, "pvm_delmhf of the second handler");
  pvm_exit();
  return conf_end();
}
