/* it_loopback: one task on each host of a two-host virtual machine on this
 * machine (vm.sh --loopback: two daemons on 127.0.0.1, each with its own
 * runtime directory and daemons' port, joined over TLS as two hosts are).
 * The parent, on the master's host, checks that the VM has two hosts and
 * spawns itself on the other one (PvmTaskHost); then both exchange 200
 * checksummed messages each way through the daemons, switch to
 * PvmRouteDirect and exchange 200 more each way over the direct TLS link
 * between the hosts, which each side must then report in use. Sizes run
 * from 0 bytes to over 1 MiB (several fragments). The child is still
 * running when the parent ends: the VM's halt must stop it and both
 * daemons (vm.sh checks). IT_LOOPBACK_EXIT_NOTICE=1 adds a goodbye over
 * the direct link and waits for the child's exit notice.
 * Usage: it_loopback HOST (the second host's name). */
#include "it_common.h"
#include "pvmng.h"

#define NMSG 200
#define TAG_DATA 31
#define TAG_DONE 32
#define TAG_BYE 33
#define BIG ((1 << 20) + 4321)

static unsigned char buf[BIG];

static int size_of(int seq) {
  return seq % 50 == 49 ? BIG : (seq * 997) % 20000;
}

static void fill(unsigned char *p, int len, int seq) {
  for (int j = 0; j < len; j++)
    p[j] = (unsigned char)(seq * 31 + j * 7);
}

/* Message seq to dst: seq, length, checksum, then the bytes. */
static void send_seq(int dst, int seq) {
  int len = size_of(seq), hdr[3];
  fill(buf, len, seq);
  hdr[0] = seq;
  hdr[1] = len;
  hdr[2] = (int)pvmt_fnv1a(buf, (size_t)len, (uint32_t)seq);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(hdr, 3, 1);
  pvm_pkbyte((char *)buf, len, 1);
  IT_CHECK(pvm_send(dst, TAG_DATA) == 0, "pvm_send of message %d to t%x", seq,
           dst);
}

/* The next message from src must be seq, whole and intact. */
static void recv_seq(int src, int seq) {
  int hdr[3];
  IT_CHECK(pvm_recv(src, TAG_DATA) > 0, "pvm_recv of message %d from t%x", seq,
           src);
  IT_CHECK(pvm_upkint(hdr, 3, 1) == 0, "message %d: no header", seq);
  IT_CHECK(hdr[0] == seq, "message %d arrived where %d was due", hdr[0], seq);
  IT_CHECK(hdr[1] == size_of(seq), "message %d: length %d, sent %d", seq,
           hdr[1], size_of(seq));
  IT_CHECK(pvm_upkbyte((char *)buf, hdr[1], 1) == 0, "message %d: no body",
           seq);
  IT_CHECK((int)pvmt_fnv1a(buf, (size_t)hdr[1], (uint32_t)seq) == hdr[2],
           "message %d: body corrupted", seq);
}

/* NMSG messages each way; the parent sends first, the child receives
 * first, so neither waits for the other. */
static void exchange(int peer, int parent, const char *how) {
  for (int pass = 0; pass < 2; pass++) {
    if ((pass == 0) == parent)
      for (int i = 0; i < NMSG; i++)
        send_seq(peer, i);
    else
      for (int i = 0; i < NMSG; i++)
        recv_seq(peer, i);
  }
  it_note("ok: %d messages each way %s, in order and intact", NMSG, how);
}

static int child(void) {
  int parent = pvm_parent(), route;
  IT_CHECK(parent > 0, "no parent");
  exchange(parent, 0, "through the daemons");
  pvm_setopt(PvmRoute, PvmRouteDirect);
  exchange(parent, 0, "over the direct link");
  route = pvmng_route(parent);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&route, 1, 1);
  IT_CHECK(pvm_send(parent, TAG_DONE) == 0, "pvm_send of the report");
  /* The link stays open until the parent has looked at it. */
  IT_CHECK(pvm_recv(parent, TAG_BYE) > 0, "no goodbye from the parent");
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  struct pvmhostinfo *hi;
  int nhost, narch, me, kid = 0, route, cc;
  char *args[] = {"--child", "peer", NULL}, cipher[64];

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], "child");
    it_guard(60);
    return child();
  }
  it_set_name(argv[0], NULL);
  it_guard(60);
  IT_CHECK(argc == 2, "usage: it_loopback HOST");
  IT_CHECK((me = pvm_mytid()) > 0, "pvm_mytid failed (%d)", me);
  IT_CHECK(pvm_config(&nhost, &narch, &hi) == 0, "pvm_config failed");
  IT_CHECK(nhost == 2, "the VM has %d hosts, expected 2", nhost);
  IT_CHECK(strcmp(hi[1].hi_name, argv[1]) == 0 ||
               strcmp(hi[0].hi_name, argv[1]) == 0,
           "no host %s in the VM (%s, %s)", argv[1], hi[0].hi_name,
           hi[1].hi_name);
  it_note("ok: the VM has 2 hosts, %s (t%x) and %s (t%x)", hi[0].hi_name,
          (unsigned)hi[0].hi_tid, hi[1].hi_name, (unsigned)hi[1].hi_tid);

  cc = pvm_spawn((char *)it_self_path(), args, PvmTaskHost, argv[1], 1, &kid);
  IT_CHECK(cc == 1 && kid > 0, "pvm_spawn on %s: %d (t%x)", argv[1], cc,
           (unsigned)kid);
  IT_CHECK(pvm_tidtohost(kid) != pvm_tidtohost(me),
           "the child t%x runs on this task's host", (unsigned)kid);
  it_note("ok: child t%x on host t%x, this task t%x on host t%x", (unsigned)kid,
          (unsigned)pvm_tidtohost(kid), (unsigned)me,
          (unsigned)pvm_tidtohost(me));
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_DONE + 1, 1, &kid) == 0,
           "pvm_notify failed");

  exchange(kid, 1, "through the daemons");
  IT_CHECK(pvmng_route(kid) == PvmDontRoute,
           "route %d before asking for a direct one", pvmng_route(kid));
  pvm_setopt(PvmRoute, PvmRouteDirect);
  exchange(kid, 1, "over the direct link");
  route = pvmng_route(kid);
  IT_CHECK(route == PvmRouteDirect, "the route to t%x is %d, not direct",
           (unsigned)kid, route);
  IT_CHECK(pvmng_route_cipher(kid, cipher, sizeof cipher) == 0 && cipher[0],
           "the direct link to t%x is not a TLS link between hosts",
           (unsigned)kid);
  IT_CHECK(pvm_recv(kid, TAG_DONE) > 0 && pvm_upkint(&route, 1, 1) == 0,
           "no report from the child");
  IT_CHECK(route == PvmRouteDirect, "the child's route back is %d, not direct",
           route);
  it_note("ok: both tasks use the direct link between the hosts (TLS, %s)",
          cipher);
  if (getenv("IT_LOOPBACK_EXIT_NOTICE") != NULL) {
    /* By hand only: the child ends on a last message over the direct link,
     * and its exit notice must come. Under AddressSanitizer the notice has
     * been seen not to come (the parent resends the unacknowledged
     * goodbye through the daemons and waits forever). */
    pvm_initsend(PvmDataDefault);
    IT_CHECK(pvm_send(kid, TAG_BYE) == 0, "pvm_send of the goodbye");
    IT_CHECK(pvm_recv(-1, TAG_DONE + 1) > 0, "no exit notice from the child");
    it_note("ok: the child left the VM");
  }
  /* Otherwise the child waits for the goodbye until the halt ends it (vm.sh
   * fails the test if any task outlives the halt). */
  pvm_exit();
  it_note("PASS");
  return 0;
}
