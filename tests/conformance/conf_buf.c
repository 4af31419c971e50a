/* Conformance: message buffers (man pvm_initsend, pvm_mkbuf, pvm_freebuf,
 * pvm_getsbuf, pvm_setsbuf, pvm_getrbuf, pvm_setrbuf, pvm_bufinfo): ids,
 * the active buffers, encodings and every documented refusal. */
#include "conf.h"

int main(void) {
  conf_begin("conf_buf");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  CHECK_INT(pvm_getsbuf(), 0, "no active send buffer after enrolling");
  CHECK_INT(pvm_getrbuf(), 0, "no active receive buffer after enrolling");

  /* pvm_initsend: clears and activates a send buffer. */
  int b1 = pvm_initsend(PvmDataDefault);
  CHECK(b1 > 0, "pvm_initsend(PvmDataDefault) is a positive id (%d)", b1);
  CHECK_INT(pvm_getsbuf(), b1, "pvm_getsbuf() is pvm_initsend's buffer");
  int b2 = pvm_initsend(PvmDataRaw);
  CHECK(b2 > 0, "pvm_initsend(PvmDataRaw) is a positive id");
  CHECK_INT(pvm_getsbuf(), b2, "pvm_getsbuf() follows pvm_initsend");
  int b3 = pvm_initsend(PvmDataInPlace);
  CHECK(b3 > 0, "pvm_initsend(PvmDataInPlace) is a positive id");
  CHECK_INT(pvm_initsend(99), PvmBadParam,
            "pvm_initsend(unknown encoding) is PvmBadParam");

  /* pvm_mkbuf: a new buffer, not made active. */
  int active = pvm_getsbuf();
  int m1 = pvm_mkbuf(PvmDataDefault);
  int m2 = pvm_mkbuf(PvmDataRaw);
  CHECK(m1 > 0 && m2 > 0 && m1 != m2 && m1 != active && m2 != active,
        "pvm_mkbuf gives new distinct positive ids (%d, %d)", m1, m2);
  CHECK_INT(pvm_getsbuf(), active, "pvm_mkbuf leaves the active buffer");
  CHECK_INT(pvm_mkbuf(99), PvmBadParam,
            "pvm_mkbuf(unknown encoding) is PvmBadParam");

  /* pvm_setsbuf: returns the previous active buffer. */
  CHECK_INT(pvm_setsbuf(m1), active, "pvm_setsbuf returns the old buffer");
  CHECK_INT(pvm_getsbuf(), m1, "pvm_setsbuf makes its buffer active");
  CHECK_INT(pvm_setsbuf(0), m1, "pvm_setsbuf(0) returns the old buffer");
  CHECK_INT(pvm_getsbuf(), 0, "after pvm_setsbuf(0) none is active");
  int v = 7;
  CHECK_INT(pvm_pkint(&v, 1, 1), PvmNoBuf,
            "pvm_pkint with no active send buffer is PvmNoBuf");
  CHECK_INT(pvm_setsbuf(-3), PvmBadParam,
            "pvm_setsbuf(negative id) is PvmBadParam");
  CHECK_INT(pvm_setsbuf(12345), PvmNoSuchBuf,
            "pvm_setsbuf(no such buffer) is PvmNoSuchBuf");

  /* pvm_freebuf */
  CHECK_INT(pvm_freebuf(m2), 0, "pvm_freebuf(buffer) is 0");
  CHECK_INT(pvm_freebuf(m2), PvmNoSuchBuf,
            "pvm_freebuf(freed buffer) is PvmNoSuchBuf");
  CHECK_INT(pvm_freebuf(0), 0, "pvm_freebuf(0) (no buffer) is 0");
  CHECK_INT(pvm_freebuf(-3), PvmBadParam,
            "pvm_freebuf(negative id) is PvmBadParam");
  CHECK_INT(pvm_setsbuf(m2), PvmNoSuchBuf,
            "pvm_setsbuf(freed buffer) is PvmNoSuchBuf");
  pvm_setsbuf(m1);
  CHECK_INT(pvm_freebuf(m1), 0, "pvm_freebuf(active send buffer) is 0");
  CHECK_INT(pvm_getsbuf(), 0,
            "the freed active send buffer is no longer "
            "active");

  /* A message to ourselves: pvm_bufinfo and the receive buffer. */
  int data[3] = {1, 2, 3};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(data, 3, 1);
  CHECK_INT(pvm_send(me, 42), 0, "pvm_send to self");
  CHECK_INT(pvm_getrbuf(), 0, "no receive buffer before pvm_recv");
  int r1 = pvm_recv(me, 42);
  CHECK(r1 > 0, "pvm_recv returns a positive buffer id");
  CHECK_INT(pvm_getrbuf(), r1, "pvm_getrbuf() is the received buffer");
  int bytes = -1, tag = -1, src = -1;
  CHECK_INT(pvm_bufinfo(r1, &bytes, &tag, &src), 0, "pvm_bufinfo is 0");
  CHECK_NGXFAIL(bytes == 12,
                "PVM-NG's PvmDataDefault body has an 8-byte header per "
                "packed item and pvm_bufinfo counts it",
                "pvm_bufinfo: bytes of 3 packed ints is 12 (got %d)", bytes);
  CHECK_INT(tag, 42, "pvm_bufinfo: tag");
  CHECK_INT(src, me, "pvm_bufinfo: source tid");
  CHECK_INT(pvm_bufinfo(r1, NULL, NULL, NULL), 0,
            "pvm_bufinfo with NULL outputs is 0");
  CHECK_INT(pvm_bufinfo(12345, &bytes, &tag, &src), PvmNoSuchBuf,
            "pvm_bufinfo(no such buffer) is PvmNoSuchBuf");
  CHECK_INT(pvm_bufinfo(-3, &bytes, &tag, &src), PvmBadParam,
            "pvm_bufinfo(negative id) is PvmBadParam");
  CHECK_INT(pvm_bufinfo(0, &bytes, &tag, &src), PvmBadParam,
            "pvm_bufinfo(0) is PvmBadParam");

  /* pvm_setrbuf */
  int mk = pvm_mkbuf(PvmDataDefault);
  CHECK_INT(pvm_setrbuf(mk), r1, "pvm_setrbuf returns the old buffer");
  CHECK_INT(pvm_getrbuf(), mk, "pvm_setrbuf makes its buffer active");
  CHECK_INT(pvm_setrbuf(r1), mk, "pvm_setrbuf back to the message");
  int got[3] = {0, 0, 0};
  CHECK_INT(pvm_upkint(got, 3, 1), 0, "unpacking the message again");
  CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3, "... gives its data");
  CHECK_INT(pvm_setrbuf(-3), PvmBadParam,
            "pvm_setrbuf(negative id) is PvmBadParam");
  CHECK_INT(pvm_setrbuf(12345), PvmNoSuchBuf,
            "pvm_setrbuf(no such buffer) is PvmNoSuchBuf");
  CHECK_INT(pvm_setrbuf(0), r1, "pvm_setrbuf(0) returns the old buffer");
  CHECK_INT(pvm_getrbuf(), 0, "after pvm_setrbuf(0) none is active");
  CHECK_INT(pvm_upkint(got, 1, 1), PvmNoBuf,
            "pvm_upkint with no receive buffer is PvmNoBuf");
  CHECK_INT(pvm_freebuf(r1), 0, "pvm_freebuf(received buffer) is 0");
  CHECK_INT(pvm_freebuf(mk), 0, "pvm_freebuf(made buffer) is 0");

  /* A received buffer can be sent on: pvm_setsbuf of a received one. */
  pvm_initsend(PvmDataDefault);
  pvm_pkint(data, 3, 1);
  pvm_send(me, 43);
  int r2 = pvm_recv(me, 43);
  pvm_setrbuf(0);
  int old = pvm_getsbuf();
  CHECK_INT(pvm_setsbuf(r2), old, "pvm_setsbuf(received buffer)");
  CHECK_INT(pvm_send(me, 44), 0, "forwarding a received buffer");
  int r3 = pvm_recv(me, 44);
  got[0] = got[1] = got[2] = 0;
  pvm_upkint(got, 3, 1);
  CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3,
        "the forwarded message carries the data");
  pvm_freebuf(r3);

  pvm_exit();
  return conf_end();
}
