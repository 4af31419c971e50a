/* Conformance: message handlers (man pvm_addmhf, pvm_delmhf): ids,
 * overlapping patterns refused with PvmExists, a handler called for a
 * matching message inside a receive call instead of the message being
 * received, wildcards, deletion, and pvm_delmhf's refusals. And when a
 * message meets the handlers ("whenever libpvm copies in a message", as
 * PVM 3.4.6 does it): a message from another task when a receive call
 * first reaches it, even if it had arrived before the handler was added; a
 * message a receive call passed over never. */
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

static int recv_int(int from, int tag) {
  int v = -1;
  if (pvm_trecv(from, tag, &(struct timeval){10, 0}) > 0)
    pvm_upkint(&v, 1, 1);
  return v;
}

/* Sends its parent tags 70, 78, 71, 80 and 81 at once, then waits to be
 * told. */
static int child(void) {
  int parent = pvm_parent();
  send_int(parent, 70, 1);
  send_int(parent, 78, 2);
  send_int(parent, 71, 3);
  send_int(parent, 80, 6);
  send_int(parent, 81, 7);
  pvm_recv(parent, 99);
  pvm_exit();
  return 0;
}

/* When messages meet the handlers. Returns -1, or the exit status if the
 * child could not be spawned. */
static int copy_in(int ctx) {
  int child_tid, h;

  calls = 0;
  CONF_REQUIRE(conf_spawn_self("child", NULL, 1, &child_tid) == 1,
               "spawning a child");
  sleep(1); /* its messages have arrived */
  CHECK_INT(recv_int(child_tid, 70), 1, "the child's first message");
  h = pvm_addmhf(-1, 78, ctx, handler);
  CHECK_INT(recv_int(child_tid, 71), 3,
            "its third message, received after adding a handler for the "
            "second");
  CHECK(calls == 1 && last_tag == 78 && last_val == 2,
        "the handler took the second message, which had arrived before it "
        "was added (calls %d, tag %d, value %d)",
        calls, last_tag, last_val);
  CHECK_INT(pvm_probe(child_tid, 78), 0, "... so it is not in the queue");
  pvm_delmhf(h);

  /* A message a receive passed over stays queued. */
  CHECK_INT(recv_int(child_tid, 81), 7, "a later message received first");
  h = pvm_addmhf(-1, 80, ctx, handler);
  CHECK_INT(recv_int(child_tid, 80), 6,
            "the earlier message the receive passed over is received, not "
            "handled");
  CHECK_INT(calls, 1, "... without a handler call");
  pvm_delmhf(h);
  send_int(child_tid, 99, 0);

  return -1;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
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
  int rc = copy_in(ctx);
  if (rc >= 0)
    return rc;
  pvm_exit();
  return conf_end();
}
