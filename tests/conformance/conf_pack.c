/* Conformance: every pvm_pk* / pvm_upk* type (man pvm_pk*, pvm_upk*) in
 * each encoding (PvmDataDefault, PvmDataRaw, PvmDataInPlace), with counts
 * and strides, extreme values, strings, unpacking past the end
 * (PvmNoData), and pvm_packf / pvm_unpackf (man pvm_packf). */
#include "conf.h"

#include <float.h>
#include <limits.h>

static int me;
static const char *encname[] = {"Default", "Raw", "InPlace"};

/* Packs one value array of each type (every other element: stride 2),
 * sends it to ourselves, unpacks into stride-1 arrays and compares. */
static void round_trip(int enc) {
  /* man pvm_pk*, RESTRICTIONS: PvmDataInPlace takes dense data only
   * (PVM 3.4.6 says PvmNotImpl to a stride); the others take any. */
  int st = enc == 2 ? 1 : 2;
  const char *en = encname[enc];
  char by[6];
  short sh[6];
  unsigned short us[6];
  int in[6];
  unsigned int ui[6];
  long lo[6];
  unsigned long ul[6];
  float fl[6], cx[12];
  double db[6], dc[12];
  memset(by, 0, sizeof by);
  memset(sh, 0, sizeof sh);
  memset(us, 0, sizeof us);
  memset(in, 0, sizeof in);
  memset(ui, 0, sizeof ui);
  memset(lo, 0, sizeof lo);
  memset(ul, 0, sizeof ul);
  memset(fl, 0, sizeof fl);
  memset(cx, 0, sizeof cx);
  memset(db, 0, sizeof db);
  memset(dc, 0, sizeof dc);
  const char vby[3] = {'a', (char)0x80, 'z'};
  const short vsh[3] = {SHRT_MIN, -1, SHRT_MAX};
  const unsigned short vus[3] = {0, 1, USHRT_MAX};
  const int vin[3] = {INT_MIN, -1, INT_MAX};
  const unsigned int vui[3] = {0, 1, UINT_MAX};
  const long vlo[3] = {-2147483647L - 1, -1, 2147483647L};
  const unsigned long vul[3] = {0, 1, 4294967295UL};
  const float vfl[3] = {-1.5f, FLT_MAX, FLT_MIN};
  const double vdb[3] = {-2.25, DBL_MAX, DBL_MIN};
  const float vcx[6] = {1, 2, 3, 4, -5, 6.5f};
  const double vdc[6] = {1, 2, 3, 4, -5, 6.5};
  for (int i = 0; i < 3; i++) {
    by[i * st] = vby[i];
    sh[i * st] = vsh[i];
    us[i * st] = vus[i];
    in[i * st] = vin[i];
    ui[i * st] = vui[i];
    lo[i * st] = vlo[i];
    ul[i * st] = vul[i];
    fl[i * st] = vfl[i];
    db[i * st] = vdb[i];
    cx[2 * i * st] = vcx[2 * i];
    cx[2 * i * st + 1] = vcx[2 * i + 1];
    dc[2 * i * st] = vdc[2 * i];
    dc[2 * i * st + 1] = vdc[2 * i + 1];
  }

  CHECK(pvm_initsend(enc == 0   ? PvmDataDefault
                     : enc == 1 ? PvmDataRaw
                                : PvmDataInPlace) > 0,
        "%s: pvm_initsend", en);
  CHECK_INT(pvm_pkbyte(by, 3, st), 0, "%s: pvm_pkbyte(3, stride %d)", en, st);
  CHECK_INT(pvm_pkshort(sh, 3, st), 0, "%s: pvm_pkshort", en);
  CHECK_INT(pvm_pkushort(us, 3, st), 0, "%s: pvm_pkushort", en);
  CHECK_INT(pvm_pkint(in, 3, st), 0, "%s: pvm_pkint", en);
  CHECK_INT(pvm_pkuint(ui, 3, st), 0, "%s: pvm_pkuint", en);
  CHECK_INT(pvm_pklong(lo, 3, st), 0, "%s: pvm_pklong", en);
  CHECK_INT(pvm_pkulong(ul, 3, st), 0, "%s: pvm_pkulong", en);
  CHECK_INT(pvm_pkfloat(fl, 3, st), 0, "%s: pvm_pkfloat", en);
  CHECK_INT(pvm_pkdouble(db, 3, st), 0, "%s: pvm_pkdouble", en);
  CHECK_INT(pvm_pkcplx(cx, 3, st), 0, "%s: pvm_pkcplx", en);
  CHECK_INT(pvm_pkdcplx(dc, 3, st), 0, "%s: pvm_pkdcplx", en);
  /* man pvm_pkstr: no strings in PvmDataInPlace (see inplace_ext). */
  if (enc != 2) {
    CHECK_INT(pvm_pkstr("hello, world"), 0, "%s: pvm_pkstr", en);
    CHECK_INT(pvm_pkstr(""), 0, "%s: pvm_pkstr(\"\")", en);
  }
  CHECK_INT(pvm_send(me, 7), 0, "%s: pvm_send to self", en);
  CHECK(pvm_recv(me, 7) > 0, "%s: pvm_recv", en);

  char rby[3];
  short rsh[3];
  unsigned short rus[3];
  int rin[3];
  unsigned int rui[3];
  long rlo[3];
  unsigned long rul[3];
  float rfl[3], rcx[6];
  double rdb[3], rdc[6];
  char str[64] = "x", empty[8] = "x";
  CHECK_INT(pvm_upkbyte(rby, 3, 1), 0, "%s: pvm_upkbyte", en);
  CHECK(rby[0] == 'a' && rby[1] == (char)0x80 && rby[2] == 'z',
        "%s: bytes round-trip", en);
  CHECK_INT(pvm_upkshort(rsh, 3, 1), 0, "%s: pvm_upkshort", en);
  CHECK(rsh[0] == SHRT_MIN && rsh[1] == -1 && rsh[2] == SHRT_MAX,
        "%s: shorts round-trip", en);
  CHECK_INT(pvm_upkushort(rus, 3, 1), 0, "%s: pvm_upkushort", en);
  CHECK(rus[0] == 0 && rus[1] == 1 && rus[2] == USHRT_MAX,
        "%s: unsigned shorts round-trip", en);
  CHECK_INT(pvm_upkint(rin, 3, 1), 0, "%s: pvm_upkint", en);
  CHECK(rin[0] == INT_MIN && rin[1] == -1 && rin[2] == INT_MAX,
        "%s: ints round-trip", en);
  CHECK_INT(pvm_upkuint(rui, 3, 1), 0, "%s: pvm_upkuint", en);
  CHECK(rui[0] == 0 && rui[1] == 1 && rui[2] == UINT_MAX,
        "%s: unsigned ints round-trip", en);
  CHECK_INT(pvm_upklong(rlo, 3, 1), 0, "%s: pvm_upklong", en);
  CHECK_346DIFF(rlo[0] == vlo[0] && rlo[1] == -1 && rlo[2] == vlo[2],
                "PVM 3.4.6 bug: PvmDataDefault pvm_upklong does not "
                "sign-extend on LP64 hosts (-1 comes back as 4294967295)",
                "%s: longs (32-bit range) round-trip (%ld %ld %ld)", en, rlo[0],
                rlo[1], rlo[2]);
  CHECK_INT(pvm_upkulong(rul, 3, 1), 0, "%s: pvm_upkulong", en);
  CHECK(rul[0] == 0 && rul[1] == 1 && rul[2] == vul[2],
        "%s: unsigned longs (32-bit range) round-trip", en);
  CHECK_INT(pvm_upkfloat(rfl, 3, 1), 0, "%s: pvm_upkfloat", en);
  CHECK(rfl[0] == fl[0] && rfl[1] == FLT_MAX && rfl[2] == FLT_MIN,
        "%s: floats round-trip", en);
  CHECK_INT(pvm_upkdouble(rdb, 3, 1), 0, "%s: pvm_upkdouble", en);
  CHECK(rdb[0] == db[0] && rdb[1] == DBL_MAX && rdb[2] == DBL_MIN,
        "%s: doubles round-trip", en);
  CHECK_INT(pvm_upkcplx(rcx, 3, 1), 0, "%s: pvm_upkcplx", en);
  CHECK(rcx[0] == 1 && rcx[1] == 2 && rcx[2] == 3 && rcx[3] == 4 &&
            rcx[4] == -5 && rcx[5] == 6.5f,
        "%s: complex (stride counts pairs) round-trip", en);
  CHECK_INT(pvm_upkdcplx(rdc, 3, 1), 0, "%s: pvm_upkdcplx", en);
  CHECK(rdc[0] == 1 && rdc[1] == 2 && rdc[2] == 3 && rdc[3] == 4 &&
            rdc[4] == -5 && rdc[5] == 6.5,
        "%s: double complex round-trip", en);
  if (enc != 2) {
    CHECK_INT(pvm_upkstr(str), 0, "%s: pvm_upkstr", en);
    CHECK(strcmp(str, "hello, world") == 0, "%s: string round-trip (%s)", en,
          str);
    CHECK_INT(pvm_upkstr(empty), 0, "%s: pvm_upkstr of \"\"", en);
    CHECK(empty[0] == '\0', "%s: empty string round-trip", en);
  }
  CHECK_INT(pvm_upkint(rin, 1, 1), PvmNoData,
            "%s: unpacking past the end is PvmNoData", en);
  pvm_freebuf(pvm_getrbuf());
}

/* PVM-NG extensions: what PVM 3.4.6 refuses with PvmNotImpl or truncates,
 * PVM-NG carries. */
static void extensions(void) {
  const char *ext = "PVM-NG extension (docs/compatibility.md): PVM 3.4.6 "
                    "says PvmNotImpl, as its man page documents";
  pvm_initsend(PvmDataInPlace);
  CHECK_346DIFF(pvm_pkstr("in place") == 0, ext,
                "pvm_pkstr with PvmDataInPlace packs the string");
  int v[4] = {1, 0, 2, 0}, r[2] = {0, 0};
  CHECK_346DIFF(pvm_pkint(v, 2, 2) == 0, ext,
                "PvmDataInPlace pvm_pkint with stride 2 packs");
  char s[16] = "";
  if (pvm_send(me, 11) == 0 && pvm_recv(me, 11) > 0) {
    pvm_upkstr(s);
    pvm_upkint(r, 2, 1);
    CHECK_346DIFF(strcmp(s, "in place") == 0 && r[0] == 1 && r[1] == 2, ext,
                  "... and both round-trip");
    pvm_freebuf(pvm_getrbuf());
  }

  /* PvmDataDefault carries a long in 64 bits: a 2^40 survives. */
  long huge = 1L << 40, rhuge = 0;
  pvm_initsend(PvmDataDefault);
  pvm_pklong(&huge, 1, 1);
  pvm_send(me, 12);
  pvm_recv(me, 12);
  pvm_upklong(&rhuge, 1, 1);
  CHECK_346DIFF(rhuge == huge,
                "PVM-NG extension (docs/compatibility.md): PvmDataDefault "
                "carries longs in 64 bits; PVM 3.4.6 truncates to 32 "
                "without the PvmOverflow its man page promises",
                "PvmDataDefault long 2^40 round-trips (%ld)", rhuge);
  pvm_freebuf(pvm_getrbuf());
}

int main(void) {
  conf_begin("conf_pack");
  me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  for (int enc = 0; enc < 3; enc++)
    round_trip(enc);

  /* Unpacking more items than an item holds. */
  int v[4] = {1, 2, 3, 4};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 2, 1);
  pvm_send(me, 8);
  pvm_recv(me, 8);
  CHECK_INT(pvm_upkint(v, 3, 1), PvmNoData,
            "unpacking 3 ints of a message of 2 is PvmNoData");
  pvm_freebuf(pvm_getrbuf());

  extensions();

  /* A large array. */
  enum { BIG = 100000 };
  static int big[BIG], rbig[BIG];
  for (int i = 0; i < BIG; i++)
    big[i] = i * 7 - 3;
  pvm_initsend(PvmDataDefault);
  CHECK_INT(pvm_pkint(big, BIG, 1), 0, "pvm_pkint of %d ints", BIG);
  pvm_send(me, 9);
  pvm_recv(me, 9);
  CHECK_INT(pvm_upkint(rbig, BIG, 1), 0, "pvm_upkint of %d ints", BIG);
  CHECK(memcmp(big, rbig, sizeof big) == 0, "%d ints round-trip", BIG);
  pvm_freebuf(pvm_getrbuf());

  /* pvm_packf / pvm_unpackf */
  int ia[3] = {10, 20, 30}, ra[3] = {0, 0, 0}, n = 3;
  double da[2] = {1.25, -2.5}, rd[2] = {0, 0};
  short hs = -7, rhs = 0;
  float ff = 0.5f, rff = 0;
  char text[32] = "";
  int rint = 0;
  CHECK(pvm_packf("%+ %d %*d %2lf %hd %f %s", PvmDataDefault, 99, n, ia, da, hs,
                  (double)ff, "packf") >= 0,
        "pvm_packf(\"%%+ %%d %%*d %%2lf %%hd %%f %%s\")");
  pvm_send(me, 10);
  pvm_recv(me, 10);
  CHECK(pvm_unpackf("%d %*d %2lf %hd %f %s", &rint, n, ra, rd, &rhs, &rff,
                    text) >= 0,
        "pvm_unpackf of the same format");
  CHECK(rint == 99 && ra[0] == 10 && ra[2] == 30 && rd[0] == 1.25 &&
            rd[1] == -2.5 && rhs == -7 && rff == 0.5f &&
            strcmp(text, "packf") == 0,
        "pvm_packf / pvm_unpackf values round-trip");
  pvm_freebuf(pvm_getrbuf());

  pvm_exit();
  return conf_end();
}
