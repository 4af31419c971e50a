/* Conformance: pvm_send, pvm_mcast, pvm_psend, pvm_recv, pvm_nrecv,
 * pvm_trecv, pvm_probe, pvm_precv (their man pages): matching by source and
 * tag with -1 wildcards, order between two tasks, timeouts, the buffer a
 * receive makes active, and the documented refusals. */
#include "conf.h"

#include <sys/time.h>

#define TAG_ECHO 1
#define TAG_REPLY 2
#define TAG_PECHO 3
#define TAG_QUIT 9

/* Echoes TAG_ECHO messages (ints) as TAG_REPLY, TAG_PECHO via
 * pvm_precv/pvm_psend, until TAG_QUIT. */
static int child(void) {
  int parent = pvm_parent();
  for (;;) {
    int tag = -1, n = 0, v[64];
    int b = pvm_probe(parent, -1);
    if (b <= 0) {
      usleep(10000);
      continue;
    }
    pvm_bufinfo(b, NULL, &tag, NULL);
    if (tag == TAG_PECHO) {
      int rtid, rtag, rlen;
      pvm_precv(parent, TAG_PECHO, v, 64, PVM_INT, &rtid, &rtag, &rlen);
      pvm_psend(parent, TAG_REPLY, v, rlen / (int)sizeof(int), PVM_INT);
      continue;
    }
    pvm_recv(parent, tag);
    if (tag == TAG_QUIT)
      break;
    pvm_upkint(&n, 1, 1);
    pvm_upkint(v, n, 1);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&n, 1, 1);
    pvm_pkint(v, n, 1);
    pvm_send(parent, TAG_REPLY);
  }
  pvm_exit();
  return 0;
}

static double now(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void send_int(int to, int tag, int v) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  pvm_send(to, tag);
}

static int tag_of(int b) {
  int tag = -99;
  pvm_bufinfo(b, NULL, &tag, NULL);
  return tag;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0)
    return child();
  conf_begin("conf_send");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  /* Order and matching, to ourselves. */
  for (int t = 101; t <= 103; t++)
    send_int(me, t, t);
  int ok = 1;
  for (int t = 101; t <= 103; t++) {
    int b = pvm_recv(-1, -1), v = 0;
    pvm_upkint(&v, 1, 1);
    ok = ok && b > 0 && tag_of(b) == t && v == t;
  }
  CHECK(ok, "pvm_recv(-1, -1) takes messages in the order sent");
  send_int(me, 5, 50);
  send_int(me, 6, 60);
  int b = pvm_recv(me, 6);
  CHECK_INT(tag_of(b), 6, "pvm_recv(tid, 6) picks the tag-6 message first");
  CHECK_INT(pvm_getrbuf(), b, "the received message is the active buffer");
  b = pvm_recv(-1, -1);
  CHECK_INT(tag_of(b), 5, "the tag-5 message is still there");

  /* pvm_nrecv, pvm_probe */
  CHECK_INT(pvm_nrecv(-1, -1), 0, "pvm_nrecv with nothing queued is 0");
  CHECK_INT(pvm_probe(-1, -1), 0, "pvm_probe with nothing queued is 0");
  send_int(me, 7, 70);
  usleep(100000);
  b = pvm_probe(-1, 7);
  CHECK(b > 0, "pvm_probe sees a queued message");
  CHECK_INT(tag_of(b), 7, "pvm_bufinfo of pvm_probe's buffer has its tag");
  CHECK_INT(pvm_probe(-1, 8), 0, "pvm_probe for another tag is 0");
  b = pvm_nrecv(-1, 7);
  CHECK(b > 0, "pvm_nrecv takes the probed message");
  int v = 0;
  pvm_upkint(&v, 1, 1);
  CHECK_INT(v, 70, "... with its data");
  CHECK_INT(pvm_nrecv(-1, 7), 0, "pvm_nrecv again is 0");

  /* pvm_trecv */
  double t0 = now();
  CHECK_INT(pvm_trecv(-1, 77, &(struct timeval){0, 300000}), 0,
            "pvm_trecv times out with 0");
  double dt = now() - t0;
  CHECK(dt >= 0.25 && dt < 5, "pvm_trecv waited about its timeout (%.3f s)",
        dt);
  CHECK_INT(pvm_trecv(-1, 77, &(struct timeval){0, 0}), 0,
            "pvm_trecv with a zero timeout is like pvm_nrecv");
  send_int(me, 77, 1);
  CHECK(pvm_trecv(-1, 77, NULL) > 0,
        "pvm_trecv with a NULL timeout blocks like pvm_recv");

  /* Refusals */
  pvm_initsend(PvmDataDefault);
  CHECK_INT(pvm_send(me, -1), PvmBadParam, "pvm_send(tag -1) is PvmBadParam");
  CHECK_INT(pvm_send(-1, 1), PvmBadParam, "pvm_send(tid -1) is PvmBadParam");
  /* PVM 3.4.6 ignores a tag below -1: pvm_recv waits for ever, the
   * others answer 0 (nothing matched). */
  const char *bug = "PVM 3.4.6 bug: a tag below -1 is not refused (its "
                    "man page says PvmBadParam)";
#ifdef CONF_PVM346
  CHECK_346DIFF(0,
                "PVM 3.4.6 bug: pvm_recv(tag -2) blocks for ever "
                "instead of PvmBadParam; not run",
                "pvm_recv(tag -2) is PvmBadParam");
#else
  CHECK_INT(pvm_recv(-1, -2), PvmBadParam, "pvm_recv(tag -2) is PvmBadParam");
#endif
  CHECK_346DIFF(pvm_nrecv(-1, -2) == PvmBadParam, bug,
                "pvm_nrecv(tag -2) is PvmBadParam");
  CHECK_346DIFF(pvm_trecv(-1, -2, &(struct timeval){0, 0}) == PvmBadParam, bug,
                "pvm_trecv(tag -2) is PvmBadParam");
  CHECK_346DIFF(pvm_probe(-1, -2) == PvmBadParam, bug,
                "pvm_probe(tag -2) is PvmBadParam");
  int tids[2] = {0, 0};
  CHECK_INT(pvm_mcast(tids, 2, -1), PvmBadParam,
            "pvm_mcast(tag -1) is PvmBadParam");
  CHECK_INT(pvm_psend(me, 1, &v, 1, 99), PvmBadParam,
            "pvm_psend(unknown datatype) is PvmBadParam");
  CHECK_INT(pvm_psend(me, -1, &v, 1, PVM_INT), PvmBadParam,
            "pvm_psend(tag -1) is PvmBadParam");
  pvm_setsbuf(0);
  CHECK_INT(pvm_send(me, 1), PvmNoBuf,
            "pvm_send with no active send buffer is PvmNoBuf");

  /* Two echo children: pvm_send, pvm_mcast, pvm_psend / pvm_precv. */
  int n = conf_spawn_self("child", NULL, 2, tids);
  CONF_REQUIRE(n == 2, "spawning 2 echo children (%d)", n);
  int data[5] = {1, 2, 3, 4, 5}, five = 5, back[5];
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&five, 1, 1);
  pvm_pkint(data, 5, 1);
  CHECK_INT(pvm_send(tids[0], TAG_ECHO), 0, "pvm_send to a child is 0");
  b = pvm_trecv(tids[0], TAG_REPLY, &(struct timeval){20, 0});
  CHECK(b > 0, "the child echoes");
  if (b > 0) {
    int src = 0, cnt = 0;
    pvm_bufinfo(b, NULL, NULL, &src);
    pvm_upkint(&cnt, 1, 1);
    pvm_upkint(back, 5, 1);
    CHECK(src == tids[0] && cnt == 5 && memcmp(back, data, sizeof data) == 0,
          "the echo comes from the child with the data");
  }
  CHECK_INT(pvm_mcast(tids, 2, TAG_ECHO), 0, "pvm_mcast to 2 children is 0");
  int from = 0;
  for (int i = 0; i < 2; i++) {
    b = pvm_trecv(-1, TAG_REPLY, &(struct timeval){20, 0});
    if (b > 0) {
      int src = 0;
      pvm_bufinfo(b, NULL, NULL, &src);
      from |= src == tids[0] ? 1 : src == tids[1] ? 2 : 4;
    }
  }
  CHECK_INT(from, 3, "pvm_mcast reached both children (mask)");
  CHECK_INT(pvm_mcast(tids, 0, TAG_ECHO), 0, "pvm_mcast to 0 tasks is 0");

  CHECK_INT(pvm_psend(tids[1], TAG_PECHO, data, 5, PVM_INT), 0,
            "pvm_psend of 5 ints is 0");
  int rtid = 0, rtag = 0, rlen = 0;
  memset(back, 0, sizeof back);
  CHECK_INT(
      pvm_precv(tids[1], TAG_REPLY, back, 5, PVM_INT, &rtid, &rtag, &rlen), 0,
      "pvm_precv is 0");
  /* alen is the message's length in bytes (PVM 3.4.6; the man page
   * says "actual message length"). */
  CHECK(rtid == tids[1] && rtag == TAG_REPLY && rlen == 5 * (int)sizeof(int),
        "pvm_precv reports source, tag and length in bytes (%x, %d, %d)", rtid,
        rtag, rlen);
  CHECK(memcmp(back, data, sizeof data) == 0, "pvm_precv delivers the data");
  CHECK_INT(pvm_precv(-1, 1, back, 5, 99, &rtid, &rtag, &rlen), PvmBadParam,
            "pvm_precv(unknown datatype) is PvmBadParam");

  /* A buffer shorter than the message: alen is still the message's
   * length. */
  pvm_psend(me, 56, data, 5, PVM_INT);
  memset(back, 0, sizeof back);
  CHECK_INT(pvm_precv(me, 56, back, 2, PVM_INT, &rtid, &rtag, &rlen), 0,
            "pvm_precv into a buffer of 2 of 5 ints");
  CHECK(back[0] == 1 && back[1] == 2 && back[2] == 0,
        "... fills the 2 (%d %d %d)", back[0], back[1], back[2]);
  CHECK_INT(rlen, 20, "... and alen is the whole message's 20 bytes");

  /* pvm_precv takes a message sent with pvm_send (raw doubles). */
  double d[2] = {1.5, -3.25}, rd[2] = {0, 0};
  pvm_initsend(PvmDataRaw);
  pvm_pkdouble(d, 2, 1);
  pvm_send(me, 55);
  CHECK_INT(pvm_precv(me, 55, rd, 2, PVM_DOUBLE, &rtid, &rtag, &rlen), 0,
            "pvm_precv of a pvm_send message");
  CHECK(rd[0] == 1.5 && rd[1] == -3.25 && rtag == 55,
        "... carries its doubles");

  pvm_initsend(PvmDataDefault);
  pvm_mcast(tids, 2, TAG_QUIT);
  pvm_exit();
  return conf_end();
}
