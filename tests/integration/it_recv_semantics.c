/* it_recv_semantics: the receive family as the PVM 3.4 man pages define it:
 * pvm_nrecv (0 or a buffer), pvm_trecv (timeout and early arrival),
 * pvm_probe (does not consume), wildcards, matching by tag out of arrival
 * order, pvm_recv from one source, pvm_precv into typed memory, and
 * pvm_setrbuf/pvm_getrbuf. Children act on commands from the parent. */
#include "it_common.h"

#define TAG_CMD 100
#define TAG_DONE 50
#define TAG_LATE 20
#define TAG_PDBL 30
#define TAG_PINT 31
#define TAG_MINE 40
#define TAG_MINE_DONE 41

enum { OP_QUIT, OP_TAGS123, OP_LATE, OP_TYPED, OP_MINE };

static void send_int(int to, int tag, int v) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  IT_CHECK(pvm_send(to, tag) == 0, "pvm_send(t%x, %d) failed", to, tag);
}

static int child(void) {
  int parent = pvm_parent(), me = pvm_mytid();
  IT_CHECK(parent > 0 && me > 0, "mytid %d parent %d", me, parent);
  for (;;) {
    int op, arg;
    IT_CHECK(pvm_recv(parent, TAG_CMD) > 0, "pvm_recv(TAG_CMD) failed");
    pvm_upkint(&op, 1, 1);
    pvm_upkint(&arg, 1, 1);
    switch (op) {
    case OP_QUIT:
      pvm_exit();
      return 0;
    case OP_TAGS123:
      for (int t = 1; t <= 3; t++)
        send_int(parent, t, t * 10);
      send_int(parent, TAG_DONE, 0);
      break;
    case OP_LATE:
      it_sleep_ms(arg);
      send_int(parent, TAG_LATE, arg);
      break;
    case OP_TYPED: {
      double d[5] = {1.5, -2.25, 1e100, 0.0, 3.0};
      int v[4] = {7, -8, 123456789, 0};
      IT_CHECK(pvm_psend(parent, TAG_PDBL, d, 5, PVM_DOUBLE) == 0,
               "pvm_psend(PVM_DOUBLE) failed");
      pvm_initsend(PvmDataDefault);
      pvm_pkint(v, 4, 1);
      IT_CHECK(pvm_send(parent, TAG_PINT) == 0, "pvm_send(TAG_PINT) failed");
      break;
    }
    case OP_MINE:
      send_int(parent, TAG_MINE, me);
      send_int(parent, TAG_MINE_DONE, me);
      break;
    default:
      IT_FAIL("unknown command %d", op);
    }
  }
}

static void command(int kid, int op, int arg) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&op, 1, 1);
  pvm_pkint(&arg, 1, 1);
  IT_CHECK(pvm_send(kid, TAG_CMD) == 0, "command %d to t%x failed", op, kid);
}

/* Unpacks the single int of the active receive buffer. */
static int upk1(void) {
  int v = -12345;
  IT_CHECK(pvm_upkint(&v, 1, 1) == 0, "pvm_upkint failed");
  return v;
}

static int tag_of(int bufid) {
  int tag = -1;
  IT_CHECK(pvm_bufinfo(bufid, NULL, &tag, NULL) == 0, "pvm_bufinfo(%d) failed",
           bufid);
  return tag;
}

static int src_of(int bufid) {
  int src = -1;
  IT_CHECK(pvm_bufinfo(bufid, NULL, NULL, &src) == 0, "pvm_bufinfo(%d) failed",
           bufid);
  return src;
}

static void test_nrecv_probe_order(int kid) {
  int b, p1, p2;

  /* Nothing sent yet: both give 0, whatever the wildcards. */
  IT_CHECK(pvm_nrecv(-1, -1) == 0, "pvm_nrecv(-1,-1) with nothing queued");
  IT_CHECK(pvm_nrecv(kid, 3) == 0, "pvm_nrecv(kid,3) with nothing queued");
  IT_CHECK(pvm_probe(-1, -1) == 0, "pvm_probe(-1,-1) with nothing queued");

  command(kid, OP_TAGS123, 0);
  /* Tags 1, 2, 3 left before TAG_DONE, so they are here once it is. */
  IT_CHECK((b = pvm_recv(kid, TAG_DONE)) > 0, "pvm_recv(TAG_DONE) = %d", b);

  p1 = pvm_probe(-1, 3);
  IT_CHECK(p1 > 0, "pvm_probe(-1, 3) = %d with tag 3 queued", p1);
  IT_CHECK(tag_of(p1) == 3 && src_of(p1) == kid,
           "pvm_probe's buffer: tag %d src t%x", tag_of(p1), src_of(p1));
  p2 = pvm_probe(kid, 3);
  IT_CHECK(p2 > 0, "a second pvm_probe(kid, 3) = %d: probe consumed it", p2);
  IT_CHECK(pvm_probe(-1, 4) == 0, "pvm_probe(-1, 4) found a message");

  /* Out of arrival order: 3, then 1, then 2. */
  b = pvm_nrecv(-1, 3);
  IT_CHECK(b > 0, "pvm_nrecv(-1, 3) = %d with tag 3 queued", b);
  IT_CHECK(tag_of(b) == 3 && upk1() == 30, "pvm_nrecv(-1,3) got the wrong one");
  IT_CHECK(pvm_getrbuf() == b, "pvm_getrbuf() %d != nrecv's %d", pvm_getrbuf(),
           b);
  IT_CHECK(pvm_probe(-1, 3) == 0, "tag 3 still there after pvm_nrecv");
  b = pvm_recv(-1, 1);
  IT_CHECK(b > 0 && tag_of(b) == 1 && upk1() == 10, "pvm_recv(-1, 1) wrong");
  b = pvm_recv(kid, 2);
  IT_CHECK(b > 0 && tag_of(b) == 2 && upk1() == 20, "pvm_recv(kid, 2) wrong");
  IT_CHECK(pvm_nrecv(-1, -1) == 0, "a message is left after 1, 2, 3");

  /* Full wildcards take messages in arrival order. */
  command(kid, OP_TAGS123, 0);
  for (int t = 1; t <= 3; t++) {
    b = t == 2 ? pvm_recv(kid, -1) : pvm_recv(-1, -1);
    IT_CHECK(b > 0, "wildcard pvm_recv = %d", b);
    IT_CHECK(tag_of(b) == t && src_of(b) == kid,
             "wildcard receive %d got tag %d from t%x", t, tag_of(b),
             src_of(b));
  }
  b = pvm_recv(-1, -1);
  IT_CHECK(b > 0 && tag_of(b) == TAG_DONE, "TAG_DONE did not come last");
  it_note("nrecv, probe, wildcards, out-of-order tags: OK");
}

static void test_trecv(int kid) {
  struct timeval tmo;
  double t0, dt;
  int b;

  /* Nothing comes: returns 0 after about the timeout. */
  tmo.tv_sec = 0;
  tmo.tv_usec = 700000;
  t0 = it_now();
  b = pvm_trecv(kid, TAG_LATE, &tmo);
  dt = it_now() - t0;
  IT_CHECK(b == 0, "pvm_trecv with nothing to receive returned %d", b);
  IT_CHECK(dt >= 0.9 * 0.7 && dt <= 0.7 + 2.0,
           "pvm_trecv(0.7 s) returned after %.3f s", dt);

  tmo.tv_sec = 1;
  tmo.tv_usec = 500000;
  t0 = it_now();
  b = pvm_trecv(-1, 9999, &tmo);
  dt = it_now() - t0;
  IT_CHECK(b == 0 && dt >= 0.9 * 1.5 && dt <= 1.5 + 2.0,
           "pvm_trecv(1.5 s) returned %d after %.3f s", b, dt);

  /* Messages that do not match neither end the wait nor get consumed. */
  command(kid, OP_TAGS123, 0);
  tmo.tv_sec = 0;
  tmo.tv_usec = 700000;
  t0 = it_now();
  b = pvm_trecv(-1, TAG_LATE, &tmo);
  dt = it_now() - t0;
  IT_CHECK(b == 0 && dt >= 0.9 * 0.7 && dt <= 0.7 + 2.0,
           "pvm_trecv(0.7 s) with other tags arriving returned %d after %.3f s",
           b, dt);
  for (int t = 1; t <= 3; t++) {
    b = pvm_nrecv(kid, t);
    IT_CHECK(b > 0 && upk1() == t * 10,
             "tag %d, which came during pvm_trecv, is lost (%d)", t, b);
  }
  IT_CHECK(pvm_recv(kid, TAG_DONE) > 0, "TAG_DONE is lost");

  /* A zero timeout behaves like pvm_nrecv. */
  tmo.tv_sec = 0;
  tmo.tv_usec = 0;
  t0 = it_now();
  b = pvm_trecv(-1, -1, &tmo);
  dt = it_now() - t0;
  IT_CHECK(b == 0 && dt < 0.5, "pvm_trecv({0,0}) returned %d after %.3f s", b,
           dt);

  /* A message that comes before the timeout is returned when it comes. */
  command(kid, OP_LATE, 300);
  tmo.tv_sec = 5;
  tmo.tv_usec = 0;
  t0 = it_now();
  b = pvm_trecv(kid, TAG_LATE, &tmo);
  dt = it_now() - t0;
  IT_CHECK(b > 0, "pvm_trecv(5 s) returned %d for a message sent at 0.3 s", b);
  IT_CHECK(upk1() == 300 && src_of(b) == kid, "pvm_trecv got the wrong one");
  IT_CHECK(dt < 4.0, "pvm_trecv waited %.3f s for a message sent at 0.3 s", dt);

  /* A null timeout waits like pvm_recv. */
  command(kid, OP_LATE, 100);
  b = pvm_trecv(-1, TAG_LATE, NULL);
  IT_CHECK(b > 0 && upk1() == 100, "pvm_trecv(NULL) returned %d", b);
  it_note("trecv timeout %.3f s bounds and early arrival: OK", dt);
}

static void test_source(int kid, int kid2) {
  int b;
  /* kid2's TAG_MINE is queued first; pvm_recv(kid, TAG_MINE) must skip it. */
  command(kid2, OP_MINE, 0);
  IT_CHECK((b = pvm_recv(kid2, TAG_MINE_DONE)) > 0, "recv from kid2 failed");
  command(kid, OP_MINE, 0);
  IT_CHECK((b = pvm_recv(kid, TAG_MINE_DONE)) > 0, "recv from kid failed");
  b = pvm_recv(kid, TAG_MINE);
  IT_CHECK(b > 0 && src_of(b) == kid && upk1() == kid,
           "pvm_recv(t%x, TAG_MINE) returned kid2's message", kid);
  b = pvm_nrecv(kid2, TAG_MINE);
  IT_CHECK(b > 0 && src_of(b) == kid2 && upk1() == kid2,
           "kid2's TAG_MINE is gone or wrong (%d)", b);
  IT_CHECK(pvm_nrecv(-1, TAG_MINE) == 0, "a TAG_MINE message is left");
  it_note("pvm_recv from a given source: OK");
}

static void test_precv(int kid) {
  double d[5] = {0};
  int v[4] = {0}, atid = -1, atag = -1, alen = -1, rc, keep, b;

  /* pvm_precv leaves the active receive buffer alone. */
  command(kid, OP_LATE, 0);
  keep = pvm_recv(kid, TAG_LATE);
  IT_CHECK(keep > 0, "pvm_recv(TAG_LATE) failed");

  command(kid, OP_TYPED, 0);
  rc = pvm_precv(kid, TAG_PDBL, d, 5, PVM_DOUBLE, &atid, &atag, &alen);
  IT_CHECK(rc == 0, "pvm_precv(PVM_DOUBLE) returned %d", rc);
  /* alen: the message's length in bytes, as PVM 3.4.6 reports it. */
  IT_CHECK(atid == kid && atag == TAG_PDBL && alen == 40,
           "pvm_precv: atid t%x atag %d alen %d, want t%x %d 40", atid, atag,
           alen, kid, TAG_PDBL);
  IT_CHECK(d[0] == 1.5 && d[1] == -2.25 && d[2] == 1e100 && d[3] == 0.0 &&
               d[4] == 3.0,
           "pvm_precv doubles %g %g %g %g %g", d[0], d[1], d[2], d[3], d[4]);

  /* A message packed with pvm_pkint (PvmDataDefault) into ints. */
  atid = atag = alen = -1;
  rc = pvm_precv(-1, TAG_PINT, v, 4, PVM_INT, &atid, &atag, &alen);
  IT_CHECK(rc == 0, "pvm_precv(PVM_INT) returned %d", rc);
  IT_CHECK(atid == kid && atag == TAG_PINT && alen == 16,
           "pvm_precv: atid t%x atag %d alen %d, want t%x %d 16", atid, atag,
           alen, kid, TAG_PINT);
  IT_CHECK(v[0] == 7 && v[1] == -8 && v[2] == 123456789 && v[3] == 0,
           "pvm_precv ints %d %d %d %d", v[0], v[1], v[2], v[3]);

  b = pvm_getrbuf();
  IT_CHECK(b == keep, "pvm_precv changed the active receive buffer (%d -> %d)",
           keep, b);
  IT_CHECK(upk1() == 0, "the active receive buffer lost its content");
  it_note("pvm_precv into double and int arrays: OK");
}

static void test_rbuf(int kid) {
  int b1, b2, old;

  command(kid, OP_TAGS123, 0);
  b1 = pvm_recv(kid, 1);
  IT_CHECK(b1 > 0 && pvm_getrbuf() == b1, "pvm_getrbuf() != pvm_recv's id");

  /* Setting 0 saves b1: the next receive does not free it. */
  old = pvm_setrbuf(0);
  IT_CHECK(old == b1, "pvm_setrbuf(0) returned %d, want the old id %d", old,
           b1);
  IT_CHECK(pvm_getrbuf() == 0, "pvm_getrbuf() = %d after pvm_setrbuf(0)",
           pvm_getrbuf());
  b2 = pvm_recv(kid, 2);
  IT_CHECK(b2 > 0 && b2 != b1 && pvm_getrbuf() == b2, "pvm_recv(kid, 2) = %d",
           b2);
  IT_CHECK(tag_of(b1) == 1, "the saved buffer %d was freed or changed", b1);

  old = pvm_setrbuf(b1);
  IT_CHECK(old == b2, "pvm_setrbuf(b1) returned %d, want %d", old, b2);
  IT_CHECK(pvm_getrbuf() == b1, "pvm_getrbuf() != b1 after pvm_setrbuf(b1)");
  IT_CHECK(upk1() == 10, "unpacking the restored buffer b1 failed");
  IT_CHECK(pvm_freebuf(b2) == 0, "pvm_freebuf(b2) failed");

  /* The next receive clears (frees) the active buffer b1. */
  IT_CHECK(pvm_recv(kid, 3) > 0, "pvm_recv(kid, 3) failed");
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(pvm_bufinfo(b1, NULL, NULL, NULL) < 0,
           "buffer %d still exists after the next pvm_recv", b1);
  IT_CHECK(pvm_setrbuf(987654) < 0, "pvm_setrbuf of a bogus id succeeded");
  pvm_setopt(PvmAutoErr, 1);
  IT_CHECK(pvm_recv(kid, TAG_DONE) > 0, "pvm_recv(TAG_DONE) failed");
  it_note("pvm_setrbuf/pvm_getrbuf: OK");
}

int main(int argc, char **argv) {
  int kid, kid2;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(90);
    return child();
  }
  it_set_name(argv[0], NULL);
  it_guard(100);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  kid = it_spawn_self("a", (char *)NULL);
  kid2 = it_spawn_self("b", (char *)NULL);

  test_nrecv_probe_order(kid);
  test_trecv(kid);
  test_source(kid, kid2);
  test_precv(kid);
  test_rbuf(kid);

  command(kid, OP_QUIT, 0);
  command(kid2, OP_QUIT, 0);
  it_note("all receive semantics: OK");
  pvm_exit();
  return 0;
}
