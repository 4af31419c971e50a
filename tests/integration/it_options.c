/* it_options: pvm_setopt/pvm_getopt round trips (PvmRoute, PvmAutoErr,
 * PvmOutputTid/PvmOutputCode, PvmFragSize, PvmShowTids). pvm_setopt returns
 * the previous value; an unknown option gives PvmBadParam. A message sent to
 * ourselves after changing PvmFragSize and PvmRoute still arrives intact. */
#include "it_common.h"

/* Sets what to val, checks the returned previous value and the new one. */
static void round_trip(const char *name, int what, int val) {
  int before = pvm_getopt(what), prev, now;
  IT_CHECK(before >= 0 || what == PvmOutputCode, "pvm_getopt(%s) = %d", name,
           before);
  prev = pvm_setopt(what, val);
  IT_CHECK(prev == before,
           "pvm_setopt(%s, %d) returned %d, want the "
           "previous value %d",
           name, val, prev, before);
  now = pvm_getopt(what);
  IT_CHECK(now == val, "pvm_getopt(%s) = %d after setting %d", name, now, val);
}

/* Sends len bytes to ourselves and checks them on the way back. */
static void self_message(int me, int len) {
  char *out = malloc((size_t)len), *in = malloc((size_t)len);
  int b, bytes;
  IT_CHECK(out && in, "out of memory");
  for (int i = 0; i < len; i++)
    out[i] = (char)(i * 7 + 3);
  pvm_initsend(PvmDataDefault);
  IT_CHECK(pvm_pkbyte(out, len, 1) == 0, "pvm_pkbyte failed");
  IT_CHECK(pvm_send(me, 5) == 0, "pvm_send to myself failed");
  b = pvm_recv(me, 5);
  IT_CHECK(b > 0, "pvm_recv from myself = %d", b);
  pvm_bufinfo(b, &bytes, NULL, NULL);
  IT_CHECK(bytes >= len, "%d bytes came back for %d", bytes, len);
  IT_CHECK(pvm_upkbyte(in, len, 1) == 0 && memcmp(in, out, (size_t)len) == 0,
           "the message to myself came back changed");
  free(out);
  free(in);
}

int main(int argc, char **argv) {
  int me, rc;

  (void)argc;
  it_set_name(argv[0], NULL);
  it_guard(60);

  /* Defaults from man pvm_setopt. */
  IT_CHECK(pvm_getopt(PvmRoute) == PvmAllowDirect,
           "default PvmRoute is %d, want PvmAllowDirect", pvm_getopt(PvmRoute));
  IT_CHECK(pvm_getopt(PvmAutoErr) == 1, "default PvmAutoErr is %d, want 1",
           pvm_getopt(PvmAutoErr));

  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid() = %d", me);

  round_trip("PvmRoute", PvmRoute, PvmDontRoute);
  round_trip("PvmRoute", PvmRoute, PvmRouteDirect);
  round_trip("PvmRoute", PvmRoute, PvmAllowDirect);

  round_trip("PvmAutoErr", PvmAutoErr, 0);
  round_trip("PvmAutoErr", PvmAutoErr, 1);

  round_trip("PvmOutputTid", PvmOutputTid, me);
  round_trip("PvmOutputCode", PvmOutputCode, 77);
  round_trip("PvmOutputTid", PvmOutputTid, 0);

  round_trip("PvmFragSize", PvmFragSize, 65536);
  self_message(me, 300000);
  round_trip("PvmFragSize", PvmFragSize, 16384);
  self_message(me, 100000);

  round_trip("PvmShowTids", PvmShowTids, 0);
  round_trip("PvmShowTids", PvmShowTids, 1);

  pvm_setopt(PvmRoute, PvmRouteDirect);
  self_message(me, 200000);
  pvm_setopt(PvmRoute, PvmAllowDirect);

  /* Unknown option numbers. */
  pvm_setopt(PvmAutoErr, 0);
  rc = pvm_setopt(9999, 1);
  IT_CHECK(rc == PvmBadParam, "pvm_setopt(9999, 1) = %d, want PvmBadParam", rc);
  rc = pvm_getopt(9999);
  IT_CHECK(rc == PvmBadParam, "pvm_getopt(9999) = %d, want PvmBadParam", rc);
  rc = pvm_setopt(-1, 0);
  IT_CHECK(rc == PvmBadParam, "pvm_setopt(-1, 0) = %d, want PvmBadParam", rc);
  rc = pvm_getopt(0);
  IT_CHECK(rc == PvmBadParam, "pvm_getopt(0) = %d, want PvmBadParam", rc);
  IT_CHECK(pvm_getopt(PvmAutoErr) == 0, "a bad pvm_setopt changed PvmAutoErr");
  pvm_setopt(PvmAutoErr, 1);

  it_note("option round trips, previous values, PvmBadParam: OK");
  pvm_exit();
  return 0;
}
