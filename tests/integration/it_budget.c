/* it_budget: the daemon's memory budget and what happens at its limits.
 *
 * flood: P pairs of tasks; each sender sends N small messages (a sequence
 * number, or nothing with --empty) to a receiver that sleeps (does not read
 * its socket) until the parent signals it, then receives them all, in
 * order. The receivers sleep --sleep ms (default 2000). The parent samples the
 * daemon's memory (/proc/<pid>/status of the pvmd named by the VM's lock file)
 * and checks, when given, that the daemon's peak (VmHWM) grew by at most
 * --peak-mb MiB over its size before the run, and that its VmRSS after the
 * drain is at most --after-mb MiB above it.
 *
 * oom: the parent lowers the daemon's address-space limit (prlimit) to
 * what it maps now plus --room-mb MiB, with the daemon's budget set above
 * that ($PVMNG_MEM_BUDGET), so that allocations fail while one sender
 * floods a sleeping receiver. The daemon must run out of memory (its log
 * says so); the receiver must keep its connection and get the sender's
 * last message; the messages it gets are in order, and if any are missing
 * the sender must have been told (PvmNoMem from a send): the daemon either
 * pauses the sender (a frame it could not read stays unread) or drops a
 * message and tells it.
 *
 * partial: a sender starts a 64 MiB message to a sleeping receiver, is
 * paused by the daemon at the receiver's queue limit (run with
 * PVMNG_QUEUE_MAX=40M) and killed there; the receiver, woken, must get the
 * next message of another task, and must not go on holding the 40 MiB it
 * got of the killed sender's message.
 *
 * With --size-kib K each message also carries K KiB of bytes
 * (PvmDataInPlace); with --stalled the parent checks, before it wakes the
 * receivers, that no sender has finished (each is blocked in pvm_send,
 * not failed).
 *
 * Usage: it_budget flood N P [--empty] [--sleep MS] [--peak-mb M]
 *                            [--after-mb M] [--size-kib K] [--stalled]
 *        it_budget oom N [--room-mb M]
 *        it_budget partial */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "it_common.h"

/* Under AddressSanitizer freed memory stays in quarantine and every block
 * has red zones: the memory figures are reported, not checked. */
#if defined(__SANITIZE_ADDRESS__)
#define MEM_CHECKED 0
#else
#define MEM_CHECKED 1
#endif

#define TAG_DATA 51
#define TAG_END 52
#define TAG_DONE 53
#define TAG_PEER 54
#define TAG_NOMEM 55
#define TAG_OTHER 56
#define MAX_PAIRS 16

static volatile sig_atomic_t woken;
static void on_usr1(int sig) {
  (void)sig;
  woken = 1;
}

/* A field of /proc/<pid>/status in KiB (VmHWM, VmRSS, VmSize). */
static long status_kb(pid_t pid, const char *field) {
  char path[64], line[256];
  long v = -1;
  size_t fl = strlen(field);
  FILE *fp;
  snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
  fp = fopen(path, "r");
  IT_CHECK(fp != NULL, "cannot open %s", path);
  while (fgets(line, sizeof line, fp) != NULL)
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
      v = strtol(line + fl + 1, NULL, 10);
      break;
    }
  fclose(fp);
  IT_CHECK(v >= 0, "no %s in %s", field, path);
  return v;
}

/* ---- children ---------------------------------------------------------- */

/* Sleeps until SIGUSR1, then receives from the sender (tid in argv) until
 * its end message; tells the parent how many and whether they were in
 * order. Sequence numbers may skip (dropped messages) but never go back. */
static int receiver(int empty) {
  int parent = pvm_parent(), n = 0, last = -1, ordered = 1, src = -1, tag, len;
  signal(SIGUSR1, on_usr1);
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_PEER); /* ready */
  while (!woken)
    it_sleep_ms(20);
  for (;;) {
    int bid = pvm_recv(-1, -1);
    IT_CHECK(bid > 0, "pvm_recv returned %d after %d messages", bid, n);
    pvm_bufinfo(bid, &len, &tag, &src);
    if (tag == TAG_END)
      break;
    IT_CHECK(tag == TAG_DATA, "unexpected tag %d", tag);
    if (!empty) {
      int seq;
      pvm_upkint(&seq, 1, 1);
      if (seq <= last)
        ordered = 0;
      last = seq;
    }
    n++;
  }
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&n, 1, 1);
  pvm_pkint(&ordered, 1, 1);
  pvm_send(parent, TAG_DONE);
  pvm_exit();
  return 0;
}

/* Sends n messages to the receiver (tid from the parent), then the end
 * message; reports how many sends returned PvmNoMem. With stop_at_nomem it
 * stops at the first one. */
static int sender(int n, int empty, int stop_at_nomem, int size_kib) {
  int parent = pvm_parent(), peer, nomem = 0, sent = 0, rc;
  char *body = NULL;
  if (size_kib > 0) {
    body = calloc((size_t)size_kib, 1024);
    IT_CHECK(body != NULL, "out of memory");
  }
  pvm_recv(parent, TAG_PEER);
  pvm_upkint(&peer, 1, 1);
  pvm_setopt(PvmAutoErr, 0);
  for (int i = 0; i < n; i++) {
    pvm_initsend(body ? PvmDataInPlace : PvmDataDefault);
    if (!empty)
      pvm_pkint(&i, 1, 1);
    if (body)
      pvm_pkbyte(body, size_kib * 1024, 1);
    rc = pvm_send(peer, TAG_DATA);
    /* PvmNoMem is about an earlier message; this one went. */
    IT_CHECK(rc == 0 || rc == PvmNoMem, "pvm_send returned %d at message %d",
             rc, i);
    sent++;
    if (rc == PvmNoMem && (nomem++, stop_at_nomem))
      break;
  }
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&sent, 1, 1);
  pvm_pkint(&nomem, 1, 1);
  pvm_send(parent, TAG_NOMEM);
  /* The end message waits for memory: retried while it is refused. */
  for (int k = 0; k < 600; k++) {
    pvm_initsend(PvmDataDefault);
    rc = pvm_send(peer, TAG_END);
    if (rc == 0)
      break;
    IT_CHECK(rc == PvmNoMem, "pvm_send (end) returned %d", rc);
    it_sleep_ms(50);
  }
  free(body);
  pvm_exit();
  return 0;
}

/* Sends one message of mb MiB to the receiver, which sleeps: the daemon
 * pauses this sender at the receiver's queue limit ($PVMNG_QUEUE_MAX, below
 * mb) with part of the message written, and the parent kills it there. */
static int big_sender(int mb) {
  int parent = pvm_parent(), peer;
  size_t len = (size_t)mb << 20;
  char *buf = calloc(1, len);
  IT_CHECK(buf != NULL, "out of memory");
  pvm_recv(parent, TAG_PEER);
  pvm_upkint(&peer, 1, 1);
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_PEER); /* starting */
  pvm_psend(peer, TAG_DATA, buf, (int)len, PVM_BYTE);
  pvm_exit();
  return 0;
}

/* Sleeps until SIGUSR1, then receives until the other task's message;
 * reports the lowest VmRSS seen in the next 3 s (the partial message is
 * dropped when the daemon has read the killed sender's socket to its end,
 * which may come after the other message). */
static int big_receiver(void) {
  int parent = pvm_parent(), tag, len, src;
  long rss = 0;
  signal(SIGUSR1, on_usr1);
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_PEER);
  while (!woken)
    it_sleep_ms(20);
  for (;;) {
    int bid = pvm_recv(-1, -1);
    IT_CHECK(bid > 0, "pvm_recv returned %d", bid);
    pvm_bufinfo(bid, &len, &tag, &src);
    if (tag == TAG_OTHER)
      break;
    IT_CHECK(tag != TAG_DATA, "got the killed sender's message whole");
  }
  for (int i = 0; i < 30; i++) {
    long r = status_kb(getpid(), "VmRSS");
    if (rss == 0 || r < rss)
      rss = r;
    IT_CHECK(pvm_trecv(-1, TAG_DATA, &(struct timeval){0, 100000}) == 0,
             "got the killed sender's message whole");
  }
  pvm_initsend(PvmDataDefault);
  pvm_pklong(&rss, 1, 1);
  pvm_send(parent, TAG_DONE);
  pvm_exit();
  return 0;
}

/* ---- parent ------------------------------------------------------------ */

static long parse_opt(int argc, char **argv, const char *name, long dflt) {
  for (int i = 0; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return strtol(argv[i + 1], NULL, 10);
  return dflt;
}
static int has_opt(int argc, char **argv, const char *name) {
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return 1;
  return 0;
}

/* Spawns a receiver and a sender, tells the sender its peer. */
static void spawn_pair(const char *n, const char *empty, const char *stop,
                       const char *size_kib, int *rt, int *st) {
  *rt = it_spawn_self("receiver", empty, NULL);
  pvm_recv(*rt, TAG_PEER);
  *st = it_spawn_self("sender", n, empty, stop, size_kib, NULL);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(rt, 1, 1);
  pvm_send(*st, TAG_PEER);
}

static int flood(int argc, char **argv) {
  int n = atoi(argv[2]), pairs = atoi(argv[3]),
      empty = has_opt(argc, argv, "--empty");
  long sleep_ms = parse_opt(argc, argv, "--sleep", 2000);
  long peak_mb = parse_opt(argc, argv, "--peak-mb", -1);
  long after_mb = parse_opt(argc, argv, "--after-mb", -1);
  long size_kib = parse_opt(argc, argv, "--size-kib", 0);
  int stalled = has_opt(argc, argv, "--stalled");
  char size[24];
  int rt[MAX_PAIRS], st[MAX_PAIRS];
  pid_t dp = it_daemon_pid();
  long base, hwm0, hwm, rss_after;
  double t0;

  IT_CHECK(n > 0 && pairs > 0 && pairs <= MAX_PAIRS && size_kib >= 0 &&
               size_kib <= 65536,
           "bad arguments");
  snprintf(size, sizeof size, "%ld", size_kib);
  char desc[32];
  snprintf(desc, sizeof desc, "%ld KiB", size_kib);
  pvm_mytid();
  base = status_kb(dp, "VmRSS");
  hwm0 = status_kb(dp, "VmHWM");
  t0 = it_now();
  for (int i = 0; i < pairs; i++)
    spawn_pair(argv[2], empty ? "1" : "0", "0", size, &rt[i], &st[i]);
  /* The senders flood while the receivers sleep (paused by the daemon
   * when it holds what its limits allow). */
  it_sleep_ms((int)sleep_ms);
  long rss_full = status_kb(dp, "VmRSS");
  long hwm_full = status_kb(dp, "VmHWM");
  /* With --stalled the senders must still be at work (blocked by the
   * daemon), with no error: they report only once every send returned. */
  for (int i = 0; stalled && i < pairs; i++)
    IT_CHECK(pvm_probe(st[i], TAG_NOMEM) == 0,
             "sender %d finished while its receiver slept", i);
  if (stalled)
    it_note("after %ld ms, every sender is still blocked in pvm_send; pvmd "
            "VmRSS %ld KiB, peak %ld KiB (before %ld KiB)",
            sleep_ms, rss_full, hwm_full, base);
  for (int i = 0; i < pairs; i++)
    pvm_sendsig(rt[i], SIGUSR1);
  for (int i = 0; i < pairs; i++) {
    int sent, nomem;
    pvm_recv(st[i], TAG_NOMEM);
    pvm_upkint(&sent, 1, 1);
    pvm_upkint(&nomem, 1, 1);
    IT_CHECK(sent == n && nomem == 0, "sender %d: %d sent, %d PvmNoMem", i,
             sent, nomem);
  }
  for (int i = 0; i < pairs; i++) {
    int got, ordered;
    pvm_recv(rt[i], TAG_DONE);
    pvm_upkint(&got, 1, 1);
    pvm_upkint(&ordered, 1, 1);
    IT_CHECK(got == n, "receiver %d got %d of %d messages", i, got, n);
    IT_CHECK(ordered, "receiver %d got messages out of order", i);
  }
  double t1 = it_now();
  it_sleep_ms(500);
  hwm = status_kb(dp, "VmHWM");
  rss_after = status_kb(dp, "VmRSS");
  it_note("%d pair(s) x %d %s messages in %.2f s: pvmd VmRSS before %ld KiB, "
          "while queued %ld KiB, peak (VmHWM) %ld KiB (before %ld), after "
          "the drain %ld KiB",
          pairs, n, size_kib ? desc : (empty ? "empty" : "4-byte"), t1 - t0,
          base, rss_full, hwm, hwm0, rss_after);
  if (!MEM_CHECKED)
    it_note("sanitizer build: memory figures not checked");
  if (peak_mb >= 0 && MEM_CHECKED)
    IT_CHECK(hwm - base <= peak_mb * 1024, "pvmd grew by %ld KiB, over %ld MiB",
             hwm - base, peak_mb);
  if (after_mb >= 0 && MEM_CHECKED)
    IT_CHECK(rss_after - base <= after_mb * 1024,
             "pvmd holds %ld KiB more after the drain, over %ld MiB",
             rss_after - base, after_mb);
  pvm_exit();
  return 0;
}

static int oom(int argc, char **argv) {
  int n = atoi(argv[2]), rtid, stid, sent, nomem, got, ordered;
  long room_mb = parse_opt(argc, argv, "--room-mb", 40);
  pid_t dp = it_daemon_pid();
  struct rlimit rl;

  pvm_mytid();
  rl.rlim_cur = rl.rlim_max = (rlim_t)(status_kb(dp, "VmSize") + room_mb * 1024)
                              << 10;
  IT_CHECK(prlimit(dp, RLIMIT_AS, &rl, NULL) == 0, "prlimit: %s",
           strerror(errno));
  spawn_pair(argv[2], "0", "1", "0", &rtid, &stid);
  /* The sender floods until told; the daemon may also just pause it. */
  it_sleep_ms(4000);
  pvm_sendsig(rtid, SIGUSR1);
  pvm_recv(stid, TAG_NOMEM);
  pvm_upkint(&sent, 1, 1);
  pvm_upkint(&nomem, 1, 1);
  it_note("the sender sent %d of %d, %d refused with PvmNoMem", sent, n, nomem);
  pvm_recv(rtid, TAG_DONE);
  pvm_upkint(&got, 1, 1);
  pvm_upkint(&ordered, 1, 1);
  it_note("the receiver got %d messages and the end", got);
  IT_CHECK(ordered, "messages out of order");
  IT_CHECK(got <= sent, "%d messages received of %d sent", got, sent);
  IT_CHECK(got == sent || nomem > 0,
           "%d of %d messages lost and the sender was not told", sent - got,
           sent);
  IT_CHECK(it_log_count("out of memory") > 0,
           "the daemon never ran out of memory: raise N");
  pvm_exit();
  return 0;
}

static int partial(void) {
  int rtid, stid, other, mb = 64;
  long rss;
  char mbs[16];
  pvm_mytid();
  snprintf(mbs, sizeof mbs, "%d", mb);
  rtid = it_spawn_self("big_receiver", NULL);
  pvm_recv(rtid, TAG_PEER);
  stid = it_spawn_self("big_sender", mbs, NULL);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&rtid, 1, 1);
  pvm_send(stid, TAG_PEER);
  pvm_recv(stid, TAG_PEER);
  /* It is writing its message now, and is paused part-way: kill it. */
  it_sleep_ms(1000);
  pvm_kill(stid);
  it_sleep_ms(300);
  pvm_sendsig(rtid, SIGUSR1);
  other = it_spawn_self("other", NULL);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&rtid, 1, 1);
  pvm_send(other, TAG_PEER);
  IT_CHECK(pvm_trecv(rtid, TAG_DONE, &(struct timeval){60, 0}) > 0,
           "the receiver did not go on");
  pvm_upklong(&rss, 1, 1);
  it_note("the receiver went on; its VmRSS %ld KiB", rss);
  IT_CHECK(rss < 20 * 1024 || !MEM_CHECKED,
           "the receiver holds %ld KiB: the partial message was kept", rss);
  pvm_exit();
  return 0;
}

static int other(void) {
  int peer;
  pvm_recv(pvm_parent(), TAG_PEER);
  pvm_upkint(&peer, 1, 1);
  pvm_initsend(PvmDataDefault);
  pvm_send(peer, TAG_OTHER);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  if (it_is_child(argc, argv)) {
    const char *role = argv[2];
    it_set_name(argv[0], role);
    it_guard(300);
    if (strcmp(role, "receiver") == 0)
      return receiver(argc > 3 && strcmp(argv[3], "1") == 0);
    if (strcmp(role, "sender") == 0)
      return sender(atoi(argv[3]), strcmp(argv[4], "1") == 0,
                    strcmp(argv[5], "1") == 0, atoi(argv[6]));
    if (strcmp(role, "big_sender") == 0)
      return big_sender(atoi(argv[3]));
    if (strcmp(role, "big_receiver") == 0)
      return big_receiver();
    if (strcmp(role, "other") == 0)
      return other();
    IT_FAIL("unknown role %s", role);
  }
  it_set_name(argv[0], NULL);
  it_guard(600);
  if (argc >= 4 && strcmp(argv[1], "flood") == 0)
    return flood(argc, argv);
  if (argc >= 3 && strcmp(argv[1], "oom") == 0)
    return oom(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "partial") == 0)
    return partial();
  fprintf(stderr, "usage: it_budget flood N P [--empty] [--sleep MS] "
                  "[--peak-mb M] [--after-mb M] | oom N [--room-mb M] | "
                  "partial\n");
  return 2;
}
