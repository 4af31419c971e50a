/* Fortran <-> C typed messages: this C task spawns the Fortran program
 * it_fortran_peer and they exchange integers of every width, reals,
 * doubles, complex, double complex and strings, strided, in PvmDataDefault
 * and PvmDataRaw, then psend/precv; every value is checked exactly on both
 * sides. The peer also checks a few pvmf* calls against this task. */
#include <complex.h>
#include <stdint.h>

#include "it_common.h"

#define TAG_C2F 100 /* + encoding */
#define TAG_F2C 200 /* + encoding */
#define TAG_PSEND_C2F 300
#define TAG_PSEND_F2C 301
#define TAG_DONE 400

/* The values both programs know (it_fortran_peer.f90 has the same). */
static const int ints[5] = {0, 1, -1, 2147483647, -2147483647 - 1};
static const short shorts[3] = {-32768, 32767, 12};
static const signed char bytes[4] = {-128, 127, 0, 65};
static const long longs[3] = {-2147483647L, 2147483647L, 77};
static const float floats[4] = {0.1f, -2.5f, 3.4e38f, 1.17549435e-38f};
static const double doubles[4] = {0.1, -2.5, 1.7e308, 2.2250738585072014e-308};
static const float complex cplx[2] = {1.5f + 2.25f * I, -0.1f - 7.0f * I};
static const double complex dcplx[2] = {0.1 + 0.2 * I, -1e300 + 1e-300 * I};

static void send_values(int enc) {
  int strided[10];
  for (int i = 0; i < 10; i++)
    strided[i] = i % 2 == 0 ? 1000 + i : -1; /* 1000, 1002, ..., 1008 */
  IT_CHECK(pvm_initsend(enc) > 0, "pvm_initsend(%d)", enc);
  pvm_pkint(&enc, 1, 1);
  pvm_pkint((int *)ints, 5, 1);
  pvm_pkshort((short *)shorts, 3, 1);
  pvm_pkbyte((char *)bytes, 4, 1);
  pvm_pklong((long *)longs, 3, 1);
  pvm_pkfloat((float *)floats, 4, 1);
  pvm_pkdouble((double *)doubles, 4, 1);
  pvm_pkcplx((float *)cplx, 2, 1);
  pvm_pkdcplx((double *)dcplx, 2, 1);
  pvm_pkstr("hello from C");
  pvm_pkstr("truncate me");
  IT_CHECK(pvm_pkint(strided, 5, 2) == 0, "strided pack");
}

/* The peer's reply: its mismatch count, then the same values packed from
 * Fortran variables, a blank-padded string and a row of a 3x4 matrix. */
static void check_reply(int peer, int enc) {
  int status = -1, i5[5], e, bytes_, tag, src;
  short s3[3];
  signed char b4[4];
  long l3[3];
  float f4[4];
  double d4[4], row[4];
  float complex c2[2];
  double complex z2[2];
  char str[64];
  int bufid = pvm_recv(peer, TAG_F2C + enc);

  IT_CHECK(bufid > 0, "pvm_recv reply (encoding %d): %d", enc, bufid);
  pvm_bufinfo(bufid, &bytes_, &tag, &src);
  IT_CHECK(src == peer && tag == TAG_F2C + enc, "reply from t%x tag %d", src,
           tag);
  IT_CHECK(pvm_upkint(&status, 1, 1) == 0, "unpack status");
  IT_CHECK(status == 0, "the Fortran peer saw %d mismatches (encoding %d)",
           status, enc);
  IT_CHECK(pvm_upkint(&e, 1, 1) == 0 && e == enc, "encoding echoed: %d", e);
  pvm_upkint(i5, 5, 1);
  pvm_upkshort(s3, 3, 1);
  pvm_upkbyte((char *)b4, 4, 1);
  pvm_upklong(l3, 3, 1);
  pvm_upkfloat(f4, 4, 1);
  pvm_upkdouble(d4, 4, 1);
  pvm_upkcplx((float *)c2, 2, 1);
  IT_CHECK(pvm_upkdcplx((double *)z2, 2, 1) == 0, "unpack dcplx");
  IT_CHECK(memcmp(i5, ints, sizeof ints) == 0, "INTEGER4 values differ");
  IT_CHECK(memcmp(s3, shorts, sizeof shorts) == 0, "INTEGER2 values differ");
  IT_CHECK(memcmp(b4, bytes, sizeof bytes) == 0, "BYTE1 values differ");
  IT_CHECK(memcmp(l3, longs, sizeof longs) == 0, "INTEGER8 values differ");
  IT_CHECK(memcmp(f4, floats, sizeof floats) == 0, "REAL4 values differ");
  IT_CHECK(memcmp(d4, doubles, sizeof doubles) == 0, "REAL8 values differ");
  IT_CHECK(memcmp(c2, cplx, sizeof cplx) == 0, "COMPLEX8 values differ");
  IT_CHECK(memcmp(z2, dcplx, sizeof dcplx) == 0, "COMPLEX16 values differ");
  IT_CHECK(pvm_upkstr(str) == 0, "unpack string");
  IT_CHECK(strcmp(str, "fortran says hi") == 0,
           "STRING from Fortran: \"%s\" (trailing blanks should be gone)", str);
  IT_CHECK(pvm_upkdouble(row, 4, 1) == 0, "unpack matrix row");
  for (int j = 0; j < 4; j++)
    IT_CHECK(row[j] == 2.0 + 10.0 * (j + 1), "row[%d] = %g, want %g", j, row[j],
             2.0 + 10.0 * (j + 1));
  IT_CHECK(pvm_upkint(&e, 1, 1) == PvmNoData, "reply longer than expected");
  it_note("encoding %d: every type checked both ways", enc);
}

int main(int argc, char **argv) {
  char peer_path[PATH_MAX];
  int peer = 0, n, bufid, atid, atag, alen, got[3], failures = -1;
  const char *self;
  char *slash;

  (void)argc;
  it_set_name(argv[0], NULL);
  it_guard(60);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid");
  pvm_catchout(stdout); /* the peer's messages appear in this test's log */

  self = it_self_path();
  snprintf(peer_path, sizeof peer_path, "%s", self);
  slash = strrchr(peer_path, '/');
  IT_CHECK(slash != NULL, "no directory in %s", self);
  snprintf(slash + 1, sizeof peer_path - (size_t)(slash + 1 - peer_path),
           "it_fortran_peer");
  n = pvm_spawn(peer_path, NULL, PvmTaskDefault, "", 1, &peer);
  IT_CHECK(n == 1 && peer > 0, "spawn %s: %d (tid %d)", peer_path, n, peer);

  /* What the C library answers for groups today, for the peer to compare
   * with what its pvmf* group calls pass through. */
  pvm_setopt(PvmAutoErr, 0);
  int gcode = pvm_joingroup("it_fortran_c");
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&gcode, 1, 1);
  pvm_send(peer, TAG_DONE);

  for (int enc = PvmDataDefault; enc <= PvmDataRaw; enc++) {
    send_values(enc);
    IT_CHECK(pvm_send(peer, TAG_C2F + enc) == 0, "send (encoding %d)", enc);
    check_reply(peer, enc);
  }

  IT_CHECK(pvm_psend(peer, TAG_PSEND_C2F, (void *)doubles, 4, PVM_DOUBLE) == 0,
           "pvm_psend");
  IT_CHECK(
      pvm_precv(peer, TAG_PSEND_F2C, got, 3, PVM_INT, &atid, &atag, &alen) == 0,
      "pvm_precv");
  /* alen: the message length in bytes, as in PVM 3.4.6. */
  IT_CHECK(atid == peer && atag == TAG_PSEND_F2C && alen == 12,
           "precv: atid t%x atag %d alen %d", atid, atag, alen);
  IT_CHECK(got[0] == 7 && got[1] == -8 && got[2] == 9, "precv: %d %d %d",
           got[0], got[1], got[2]);
  it_note("psend/precv checked both ways");

  bufid = pvm_recv(peer, TAG_DONE);
  IT_CHECK(bufid > 0 && pvm_upkint(&failures, 1, 1) == 0, "final report");
  IT_CHECK(failures == 0, "the Fortran peer reported %d failed checks",
           failures);
  pvm_exit(); /* waits for the peer's output to be printed */
  printf("it_fortran_types: OK\n");
  return 0;
}
