/* it_hello: the smallest round trip. The parent spawns one child, which
 * checks pvm_parent and answers with a string, ints and doubles; the parent
 * checks the content, pvm_bufinfo (bytes, tag, source) and pvm_tidtohost. */
#include <math.h>

#include "it_common.h"

#define TAG_HELLO 11
#define TAG_GO 12

static const int ints[5] = {0, 1, -1, 2147483647, -2147483647 - 1};
static const double dbls[4] = {0.0, 3.141592653589793, -1.0e300, 2.5e-310};

static int child(void) {
  int me = pvm_mytid(), parent = pvm_parent(), go;
  char msg[128];

  IT_CHECK(me > 0, "pvm_mytid() = %d", me);
  IT_CHECK(parent > 0, "pvm_parent() = %d in a spawned task", parent);
  /* The parent tells us its tid, so pvm_parent can be checked here too. */
  IT_CHECK(pvm_recv(parent, TAG_GO) > 0, "pvm_recv(parent, TAG_GO) failed");
  IT_CHECK(pvm_upkint(&go, 1, 1) == 0, "unpack of the parent's tid failed");
  IT_CHECK(go == parent, "pvm_parent() = t%x but the parent is t%x", parent,
           go);

  snprintf(msg, sizeof msg, "hello from t%x", me);
  pvm_initsend(PvmDataDefault);
  IT_CHECK(pvm_pkstr(msg) == 0, "pvm_pkstr failed");
  IT_CHECK(pvm_pkint((int *)ints, 5, 1) == 0, "pvm_pkint failed");
  IT_CHECK(pvm_pkdouble((double *)dbls, 4, 1) == 0, "pvm_pkdouble failed");
  IT_CHECK(pvm_pkint(&me, 1, 1) == 0, "pvm_pkint failed");
  IT_CHECK(pvm_send(parent, TAG_HELLO) == 0, "pvm_send to parent failed");
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  int me, kid, bufid, bytes = -1, tag = -1, src = -1, host, khost, ktid;
  int gotints[5];
  double gotd[4];
  char msg[128], want[128];

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    return child();
  }
  it_set_name(argv[0], NULL);
  it_guard(90);

  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid() = %d", me);
  IT_CHECK(pvm_parent() == PvmNoParent,
           "pvm_parent() = %d in a task started by hand (want PvmNoParent)",
           pvm_parent());
  kid = it_spawn_self("hello", (char *)NULL);
  IT_CHECK(kid != me, "child got the parent's tid t%x", kid);

  pvm_initsend(PvmDataDefault);
  pvm_pkint(&me, 1, 1);
  IT_CHECK(pvm_send(kid, TAG_GO) == 0, "pvm_send to t%x failed", kid);

  bufid = pvm_recv(-1, -1);
  IT_CHECK(bufid > 0, "pvm_recv(-1, -1) = %d", bufid);
  IT_CHECK(pvm_bufinfo(bufid, &bytes, &tag, &src) == 0, "pvm_bufinfo failed");
  IT_CHECK(tag == TAG_HELLO, "pvm_bufinfo tag %d, want %d", tag, TAG_HELLO);
  IT_CHECK(src == kid, "pvm_bufinfo src t%x, want t%x", src, kid);

  IT_CHECK(pvm_upkstr(msg) == 0, "pvm_upkstr failed");
  snprintf(want, sizeof want, "hello from t%x", kid);
  IT_CHECK(strcmp(msg, want) == 0, "string \"%s\", want \"%s\"", msg, want);
  IT_CHECK(pvm_upkint(gotints, 5, 1) == 0, "pvm_upkint failed");
  for (int i = 0; i < 5; i++)
    IT_CHECK(gotints[i] == ints[i], "int %d is %d, want %d", i, gotints[i],
             ints[i]);
  IT_CHECK(pvm_upkdouble(gotd, 4, 1) == 0, "pvm_upkdouble failed");
  for (int i = 0; i < 4; i++)
    IT_CHECK(memcmp(&gotd[i], &dbls[i], sizeof(double)) == 0,
             "double %d is %.17g, want %.17g", i, gotd[i], dbls[i]);
  IT_CHECK(pvm_upkint(&ktid, 1, 1) == 0, "pvm_upkint failed");
  IT_CHECK(ktid == kid, "child says its tid is t%x, spawn said t%x", ktid, kid);
  /* XDR: a string is a 4-byte length plus the bytes padded to 4; ints are
   * 4 bytes, doubles 8, all in one message. */
  {
    int slen = (int)strlen(want) + 1;
    int min = slen + 5 * 4 + 4 * 8 + 4;
    IT_CHECK(bytes >= min && bytes <= min + 64,
             "pvm_bufinfo bytes %d, want about %d", bytes, min);
  }
  /* Nothing is left to unpack. */
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(pvm_upkint(&ktid, 1, 1) == PvmNoData,
           "unpacking past the end did not give PvmNoData");
  pvm_setopt(PvmAutoErr, 1);

  host = pvm_tidtohost(me);
  khost = pvm_tidtohost(kid);
  IT_CHECK(host > 0, "pvm_tidtohost(t%x) = %d", me, host);
  IT_CHECK(khost == host, "pvm_tidtohost(child) t%x != parent's host t%x",
           khost, host);
  {
    int nhost = 0, narch = 0;
    struct pvmhostinfo *hi = NULL;
    IT_CHECK(pvm_config(&nhost, &narch, &hi) == 0 && nhost == 1,
             "pvm_config: %d hosts, want 1", nhost);
    IT_CHECK(hi[0].hi_tid == host,
             "pvm_tidtohost gives t%x but pvm_config's host is t%x", host,
             hi[0].hi_tid);
  }

  it_note("child t%x said \"%s\" (%d bytes, host t%x): OK", kid, msg, bytes,
          host);
  pvm_exit();
  return 0;
}
