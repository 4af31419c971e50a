/* Conformance: message headers and nesting (man pvm_getminfo,
 * pvm_setminfo, pvm_pkmesg, pvm_upkmesg) and
 * custom matching (man pvm_recvf). */
#include "conf.h"

static int me;

/* Accepts a message of tag 3 for a receive that asks for tag 100, and
 * otherwise matches as the default does. */
static int alias_match(int mid, int tid, int tag) {
  int mtag = -1, msrc = -1;
  pvm_bufinfo(mid, NULL, &mtag, &msrc);
  if (tag == 100)
    return mtag == 3 ? 1 : 0;
  return (tid == -1 || tid == msrc) && (tag == -1 || tag == mtag);
}

int main(void) {
  conf_begin("conf_minfo");
  me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  int ctx = pvm_getcontext();

  /* pvm_getminfo of a received PvmDataRaw message */
  int v[3] = {1, 2, 3};
  pvm_initsend(PvmDataRaw);
  pvm_pkint(v, 3, 1);
  pvm_send(me, 5);
  int b = pvm_recv(me, 5);
  struct pvmminfo mi;
  memset(&mi, 0, sizeof mi);
  CHECK_INT(pvm_getminfo(b, &mi), 0, "pvm_getminfo is 0");
  CHECK_INT(mi.len, 12, "len of 3 raw ints is 12");
  CHECK_INT(mi.tag, 5, "tag");
  CHECK_INT(mi.ctx, ctx, "ctx");
  CHECK_INT(mi.src, me, "src");
  CHECK_INT(mi.dst, me, "dst");
  CHECK(mi.enc != 0x10000000,
        "enc of PvmDataRaw is the sender's data "
        "signature, not XDR (%x)",
        mi.enc);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 3, 1);
  pvm_send(me, 6);
  b = pvm_recv(me, 6);
  pvm_getminfo(b, &mi);
  CHECK_INT(mi.enc, 0x10000000, "enc of PvmDataDefault is 0x10000000 (XDR)");
  CHECK_INT(pvm_getminfo(12345, &mi), PvmNoSuchBuf,
            "pvm_getminfo(no such buffer) is PvmNoSuchBuf");

  /* pvm_setminfo: tag, wid, ctx are set on a send buffer. */
  int sb = pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 1, 1);
  memset(&mi, 0, sizeof mi);
  pvm_getminfo(sb, &mi);
  mi.tag = 44;
  mi.wid = 55;
  CHECK_INT(pvm_setminfo(sb, &mi), 0, "pvm_setminfo is 0");
  struct pvmminfo m2;
  memset(&m2, 0, sizeof m2);
  pvm_getminfo(sb, &m2);
  CHECK(m2.tag == 44 && m2.wid == 55,
        "pvm_getminfo gives what pvm_setminfo set (tag %d, wid %d)", m2.tag,
        m2.wid);

  /* The wait id set with pvm_setminfo travels with the message
   * (pvm_getmwid / pvm_setmwid are not in PVM 3.4.6's library). */
  CHECK_INT(pvm_send(me, 7), 0, "sending the buffer");
  b = pvm_trecv(me, 7, &(struct timeval){5, 0});
  memset(&m2, 0, sizeof m2);
  pvm_getminfo(b, &m2);
  CHECK_INT(m2.wid, 55, "the wait id arrives with the message");
  CHECK_INT(pvm_setminfo(12345, &mi), PvmNoSuchBuf,
            "pvm_setminfo(no such buffer) is PvmNoSuchBuf");

  /* pvm_pkmesg / pvm_upkmesg: a message inside a message. */
  int inner = pvm_mkbuf(PvmDataDefault), old = pvm_setsbuf(inner);
  int iv[2] = {31, 32};
  pvm_pkint(iv, 2, 1);
  pvm_setsbuf(old);
  pvm_initsend(PvmDataDefault);
  CHECK_INT(pvm_pkmesg(inner), 0, "pvm_pkmesg is 0");
  pvm_send(me, 8);
  pvm_recv(me, 8);
  int nb = pvm_upkmesg();
  CHECK(nb > 0, "pvm_upkmesg gives a new buffer (%d)", nb);
  if (nb > 0) {
    pvm_setrbuf(nb);
    int rv[2] = {0, 0};
    CHECK_INT(pvm_upkint(rv, 2, 1), 0, "unpacking the inner message");
    CHECK(rv[0] == 31 && rv[1] == 32, "... gives its data");
    pvm_freebuf(nb);
  }
  pvm_freebuf(inner);

  /* pvm_recvf */
  typedef int (*matchf)(int, int, int);
  matchf prev = (matchf)(void (*)(void))pvm_recvf(alias_match);
  CHECK(prev != NULL, "pvm_recvf returns the previous (default) matcher");
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 1, 1);
  pvm_send(me, 3);
  b = pvm_trecv(-1, 100, &(struct timeval){5, 0});
  int tag = -1;
  if (b > 0)
    pvm_bufinfo(b, NULL, &tag, NULL);
  CHECK_INT(tag, 3,
            "pvm_recv(tag 100) with the custom matcher takes the "
            "tag-3 message");
  CHECK((matchf)(void (*)(void))pvm_recvf(prev) == alias_match,
        "pvm_recvf(previous) returns the custom matcher");
  pvm_send(me, 3);
  CHECK_INT(pvm_trecv(-1, 100, &(struct timeval){0, 300000}), 0,
            "with the default matcher back, tag 100 matches nothing");
  CHECK(pvm_nrecv(-1, 3) > 0, "... and the message is there for tag 3");
  pvm_exit();
  return conf_end();
}
