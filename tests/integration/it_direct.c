/* it_direct: direct task-to-task routes on one host (pvm_setopt PvmRoute).
 *  1. switch: messages sent through the daemon are still in flight when the
 *     sender asks for direct routes; the rest go over the new link; the
 *     receiver sees every message once, in order, intact.
 *  2. refused: the receiver chose PvmDontRoute; the sender's messages fall
 *     back to the daemon route, all delivered in order.
 *  3. broken: the link breaks mid-stream (fault injection); the messages
 *     after the break go through the daemon, once and in order.
 *  4. race: two tasks ask for direct routes at once and send to each other;
 *     one link results, and both streams arrive in order.
 * pvmng_route() tells which route is in use, pvmng_route_transport() what
 * carries it: on one host shared memory, or the link's Unix socket when
 * the opener has PVMNG_SHM=0 (integration.direct.socket).
 *
 * The cluster test cluster.vm_direct runs the same cases between hosts
 * (TLS links): IT_DIRECT_HOSTS="hostA hostB" spawns the receivers and the
 * first racer on hostA, the second racer on hostB. With
 * IT_DIRECT_REFUSED=1 only case 1 runs, and the link must never open
 * (the test gives this task a certificate the peer refuses, or none, or
 * makes it break the opening's rules): every message still arrives, in
 * order, through the daemons.
 *  5. (between hosts) a receive from a task on another host over a direct
 *     link polls for a bounded time, then sleeps: waiting 1 s for a late
 *     answer costs at most the polling window ($PVMNG_REMOTE_SPIN_US, which
 *     IT_DIRECT_SPIN_US repeats for the check) plus a margin of CPU time,
 *     and with a window of 100 ms or more at least a fifth of it. With
 *     IT_DIRECT_SPIN_ONLY=1 only this case runs. This task opens its link;
 *     the link's record protection (pvmng_route_cipher) must be
 *     IT_DIRECT_CIPHER when set, and the acceptor has $PVMNG_BULK_AEAD set
 *     to IT_DIRECT_CHILD_AEAD when that is set. */
#include <sys/resource.h>

#include "it_common.h"
#include "pvmng.h"

#define TAG_DATA 21
#define TAG_DONE 22
#define TAG_REPORT 23
#define TAG_PEER 24
#define TAG_GO 25
#define TAG_LATE 26

/* Largest message: several fragments (1 MiB each by default). */
#define BIG (3 << 20)

/* Sends message seq to dst: seq, length, checksum, then the bytes. */
static void send_seq(int dst, int seq, int enc) {
  static unsigned char buf[BIG + 1000];
  int len = (seq * 7919) % 5000;
  if (seq % 97 == 0)
    len = 65536 + seq % 1000; /* some larger ones */
  if (seq % 997 == 500)
    len = BIG + seq % 1000; /* and a few of several fragments */
  for (int i = 0; i < len; i++)
    buf[i] = (unsigned char)(seq + i * 31);
  unsigned sum = pvmt_fnv1a(buf, len, (unsigned)seq);
  pvm_initsend(enc);
  pvm_pkint(&seq, 1, 1);
  pvm_pkint(&len, 1, 1);
  pvm_pkuint(&sum, 1, 1);
  pvm_pkbyte((char *)buf, len, 1);
  IT_CHECK(pvm_send(dst, TAG_DATA) == 0, "pvm_send of seq %d failed", seq);
}

/* Receives n messages from src and checks them; returns how many. */
static int recv_seqs(int src, int n) {
  static unsigned char buf[BIG + 1000];
  for (int expect = 0; expect < n; expect++) {
    int seq, len;
    unsigned sum;
    IT_CHECK(pvm_recv(src, TAG_DATA) > 0, "pvm_recv failed at %d", expect);
    IT_CHECK(pvm_upkint(&seq, 1, 1) == 0 && pvm_upkint(&len, 1, 1) == 0 &&
                 pvm_upkuint(&sum, 1, 1) == 0,
             "cannot unpack header of message %d", expect);
    IT_CHECK(seq == expect, "message %d arrived where %d was expected", seq,
             expect);
    IT_CHECK(len >= 0 && len <= (int)sizeof buf, "bad length %d", len);
    IT_CHECK(pvm_upkbyte((char *)buf, len, 1) == 0, "cannot unpack body %d",
             seq);
    IT_CHECK(pvmt_fnv1a(buf, len, (unsigned)seq) == sum, "message %d corrupted",
             seq);
  }
  return n;
}

/* Receiver role: gets n messages from its parent, reports the count and
 * the route it sees towards the parent. */
static int receiver(int n, int dontroute) {
  int parent = pvm_parent();
  if (dontroute)
    pvm_setopt(PvmRoute, PvmDontRoute);
  /* Tell the parent we are ready (and, for refusal, have chosen). */
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_GO);
  int got = recv_seqs(parent, n);
  int route = pvmng_route(parent);
  IT_CHECK(pvm_recv(parent, TAG_DONE) > 0, "no DONE");
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&got, 1, 1);
  pvm_pkint(&route, 1, 1);
  pvm_send(parent, TAG_REPORT);
  pvm_exit();
  return 0;
}

/* Race role: gets the other racer's tid, asks for direct routes, sends n
 * and receives n. */
static int racer(int n) {
  int parent = pvm_parent(), other, got, route;
  IT_CHECK(pvm_recv(parent, TAG_PEER) > 0, "no peer tid");
  pvm_upkint(&other, 1, 1);
  pvm_setopt(PvmRoute, PvmRouteDirect);
  /* Interleave sends and receives so that both open at once. */
  for (int i = 0; i < n; i++)
    send_seq(other, i, PvmDataRaw);
  got = recv_seqs(other, n);
  route = pvmng_route(other);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&got, 1, 1);
  pvm_pkint(&route, 1, 1);
  pvm_send(parent, TAG_REPORT);
  /* Stay until the other side has all it needs. */
  pvm_recv(parent, TAG_DONE);
  pvm_exit();
  return 0;
}

/* Late role: answers each TAG_LATE from its parent (an int: milliseconds
 * to wait first) on TAG_REPORT; a negative wait ends it. */
static int late(void) {
  int parent = pvm_parent(), ms = 0;
  while (ms >= 0) {
    IT_CHECK(pvm_recv(parent, TAG_LATE) > 0, "no request");
    pvm_upkint(&ms, 1, 1);
    if (ms > 0)
      usleep((useconds_t)ms * 1000);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&ms, 1, 1);
    IT_CHECK(pvm_send(parent, TAG_REPORT) == 0, "cannot answer");
  }
  pvm_exit();
  return 0;
}

/* CPU time this process has used, in milliseconds. */
static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Asks child for an answer after ms milliseconds and waits for it;
 * returns the CPU time the wait took. */
static double late_answer(int child, int ms) {
  double c0;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&ms, 1, 1);
  IT_CHECK(pvm_send(child, TAG_LATE) == 0, "cannot ask t%x", child);
  c0 = cpu_ms();
  IT_CHECK(pvm_recv(child, TAG_REPORT) > 0, "no answer from t%x", child);
  return cpu_ms() - c0;
}

static char *where[2]; /* hosts from IT_DIRECT_HOSTS, or NULL: anywhere */

/* Spawns this program in role on host where[which] (or anywhere). */
static int spawn_role(int which, const char *role, const char *arg) {
  char *argv[4] = {"--child", (char *)role, (char *)arg, NULL};
  int tid = 0, cc;
  if (where[which] == NULL)
    return it_spawn_self(role, arg, (char *)NULL);
  cc = pvm_spawn((char *)it_self_path(), argv, PvmTaskHost, where[which], 1,
                 &tid);
  IT_CHECK(cc == 1 && tid > 0, "pvm_spawn(%s) on %s returned %d, tid %d", role,
           where[which], cc, tid);
  return tid;
}

static void report(int child, int want, int *route) {
  int got;
  pvm_initsend(PvmDataDefault);
  pvm_send(child, TAG_DONE);
  IT_CHECK(pvm_recv(child, TAG_REPORT) > 0, "no report from t%x", child);
  pvm_upkint(&got, 1, 1);
  pvm_upkint(route, 1, 1);
  IT_CHECK(got == want, "t%x received %d of %d", child, got, want);
}

static void wait_ready(int child) {
  IT_CHECK(pvm_recv(child, TAG_GO) > 0, "child t%x not ready", child);
}

static void all_cases(int n, const char *nbuf);
static void spin_case(void);

int main(int argc, char **argv) {
  char nbuf[16];
  int child, route, n = 3000;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(100);
    if (strcmp(argv[2], "recv") == 0)
      return receiver(atoi(argv[3]), 0);
    if (strcmp(argv[2], "recv-dontroute") == 0)
      return receiver(atoi(argv[3]), 1);
    if (strcmp(argv[2], "racer") == 0)
      return racer(atoi(argv[3]));
    if (strcmp(argv[2], "late") == 0)
      return late();
    IT_FAIL("unknown role %s", argv[2]);
  }
  it_set_name(argv[0], NULL);
  it_guard(100);
  /* Fault injection for case 3: the 2499th message sent on an open link (this
   * task's links only) finds it broken. */
  setenv("PVMNG_FAILPOINT_LINK_BREAK", "2499", 1);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid failed");
  snprintf(nbuf, sizeof nbuf, "%d", n);
  const char *hosts = getenv("IT_DIRECT_HOSTS");
  static char hbuf[2][256];
  if (hosts != NULL && sscanf(hosts, "%255s %255s", hbuf[0], hbuf[1]) == 2) {
    where[0] = hbuf[0];
    where[1] = hbuf[1];
  }
  const char *refused = getenv("IT_DIRECT_REFUSED");
  if (refused != NULL && strcmp(refused, "1") == 0) {
    /* 0. our link is refused: nothing lost */
    child = spawn_role(0, "recv", nbuf);
    wait_ready(child);
    pvm_setopt(PvmRoute, PvmRouteDirect);
    for (int i = 0; i < n; i++) {
      send_seq(child, i, i % 2 ? PvmDataRaw : PvmDataDefault);
      IT_CHECK(pvmng_route(child) == PvmDontRoute,
               "a direct link opened that should have been refused");
    }
    report(child, n, &route);
    IT_CHECK(route == PvmDontRoute, "receiver has a link to a refused task");
    it_note("no direct link: %d messages in order through the daemons", n);
    pvm_exit();
    printf("it_direct: PASS\n");
    return 0;
  }

  const char *spin_only = getenv("IT_DIRECT_SPIN_ONLY");
  if (spin_only == NULL || strcmp(spin_only, "1") != 0)
    all_cases(n, nbuf);
  if (where[0] != NULL)
    spin_case();
  pvm_exit();
  printf("it_direct: PASS\n");
  return 0;
}

/* Case 5: the polling window of a receive from another host. */
static void spin_case(void) {
  const char *e = getenv("IT_DIRECT_SPIN_US");
  double window_ms = (e != NULL ? atof(e) : 2000.0) / 1000.0, used;
  const char *child_aead = getenv("IT_DIRECT_CHILD_AEAD");
  int child;
  /* For the child only: this task read $PVMNG_BULK_AEAD when it joined. */
  if (child_aead != NULL) {
    setenv("PVMNG_BULK_AEAD", child_aead, 1);
    setenv("PVM_EXPORT", "PVMNG_BULK_AEAD", 1);
  }
  child = spawn_role(0, "late", "0");
  pvm_setopt(PvmRoute, PvmRouteDirect);
  late_answer(child, 0);
  IT_CHECK(pvmng_route(child) == PvmRouteDirect, "no direct link to t%x",
           child);
  {
    const char *want = getenv("IT_DIRECT_CIPHER");
    char cipher[64];
    IT_CHECK(pvmng_route_cipher(child, cipher, sizeof cipher) == 0,
             "pvmng_route_cipher failed");
    IT_CHECK(want == NULL || strcmp(cipher, want) == 0,
             "the link to t%x is protected by \"%s\", wanted %s", child, cipher,
             want);
    it_note("cipher: the link to another host is protected by %s", cipher);
  }
  used = late_answer(child, 1000);
  IT_CHECK(used <= window_ms + 150.0,
           "waiting 1 s for another host used %.1f ms of CPU (window %.1f ms)",
           used, window_ms);
  /* With the windows adapting (the default), a crowded machine may skip
   * the polling; $PVMNG_POLL_ADAPT=0 makes it certain. */
  IT_CHECK(window_ms < 100.0 || getenv("IT_DIRECT_ADAPT") != NULL ||
               used >= window_ms / 5.0,
           "waiting 1 s for another host used only %.1f ms of CPU (window "
           "%.1f ms): it did not poll",
           used, window_ms);
  if (getenv("IT_DIRECT_ADAPT") != NULL && window_ms >= 100.0) {
    /* Answers that keep coming after the window: within three of them
     * the receive stops polling for that kind of wait. */
    double late = 0;
    for (int i = 0; i < 3; i++)
      late_answer(child, (int)(window_ms * 4.0 / 3.0));
    late = late_answer(child, (int)(window_ms * 4.0 / 3.0));
    IT_CHECK(late < window_ms / 5.0,
             "after four answers later than the %.1f ms window, a wait "
             "still used %.1f ms of CPU: the polling did not adapt",
             window_ms, late);
    it_note("adapt: after answers later than the window, a wait used %.1f "
            "ms of CPU",
            late);
  }
  late_answer(child, -1);
  it_note("spin: a 1 s wait for another host used %.1f ms of CPU (window "
          "%.1f ms)",
          used, window_ms);
}

/* Cases 1 to 4. */
static void all_cases(int n, const char *nbuf) {
  int child, route;

  /* 1. switch with messages in flight */
  child = spawn_role(0, "recv", nbuf);
  wait_ready(child);
  IT_CHECK(pvmng_route(child) == PvmDontRoute, "route before asking");
  for (int i = 0; i < n / 2; i++)
    send_seq(child, i, i % 2 ? PvmDataRaw : PvmDataDefault);
  pvm_setopt(PvmRoute, PvmRouteDirect);
  for (int i = n / 2; i < n; i++) {
    send_seq(child, i, i % 3 == 0 ? PvmDataInPlace : PvmDataDefault);
    if (i == n / 2) {
      const char *e = getenv("PVMNG_SHM");
      int want = where[0] != NULL               ? PVMNG_VIA_TLS
                 : e != NULL && !strcmp(e, "0") ? PVMNG_VIA_SOCKET
                                                : PVMNG_VIA_SHM;
      IT_CHECK(pvmng_route(child) == PvmRouteDirect,
               "no direct link after asking for one");
      IT_CHECK(pvmng_route_transport(child) == want,
               "the link is carried by transport %d, want %d",
               pvmng_route_transport(child), want);
    }
  }
  report(child, n, &route);
  IT_CHECK(route == PvmRouteDirect, "receiver does not use the link back");
  it_note("switch: %d messages in order across the route switch", n);

  /* 2. the receiver refuses direct routes */
  child = spawn_role(0, "recv-dontroute", nbuf);
  wait_ready(child);
  for (int i = 0; i < n; i++)
    send_seq(child, i, PvmDataDefault);
  IT_CHECK(pvmng_route(child) == PvmDontRoute,
           "a link opened to a task that refuses them");
  report(child, n, &route);
  IT_CHECK(route == PvmDontRoute, "refusing receiver has a link");
  it_note("refused: %d messages in order through the daemon", n);

  /* 3. the link breaks mid-stream: case 1 sent 1499 messages on its open
   * link, so the failpoint fires at this case's 1000th. */
  child = spawn_role(0, "recv", nbuf);
  wait_ready(child);
  int broke_at = -1;
  for (int i = 0; i < n; i++) {
    send_seq(child, i, PvmDataRaw);
    if (broke_at < 0 && i > 0 && pvmng_route(child) != PvmRouteDirect)
      broke_at = i;
  }
  IT_CHECK(broke_at > 0, "the link never broke (failpoint not hit)");
  report(child, n, &route);
  IT_CHECK(route == PvmDontRoute, "receiver still uses a broken link");
  it_note("broken: link broke after message %d; all %d in order", broke_at, n);

  /* 4. both ask at once */
  int a = spawn_role(0, "racer", "1000");
  int b = spawn_role(1, "racer", "1000");
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&b, 1, 1);
  pvm_send(a, TAG_PEER);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&a, 1, 1);
  pvm_send(b, TAG_PEER);
  int ra, rb, ga, gb;
  IT_CHECK(pvm_recv(a, TAG_REPORT) > 0, "no report from racer a");
  pvm_upkint(&ga, 1, 1);
  pvm_upkint(&ra, 1, 1);
  IT_CHECK(pvm_recv(b, TAG_REPORT) > 0, "no report from racer b");
  pvm_upkint(&gb, 1, 1);
  pvm_upkint(&rb, 1, 1);
  IT_CHECK(ga == 1000 && gb == 1000, "racers got %d and %d of 1000", ga, gb);
  IT_CHECK(ra == PvmRouteDirect && rb == PvmRouteDirect,
           "racers' routes: %d and %d, want both direct", ra, rb);
  pvm_initsend(PvmDataDefault);
  pvm_send(a, TAG_DONE);
  pvm_send(b, TAG_DONE);
  it_note("race: one link, 1000 messages each way in order");
}
