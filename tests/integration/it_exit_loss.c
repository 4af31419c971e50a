/* it_exit_loss: no message is lost when a task ends without pvm_exit.
 *
 * A parent spawns N children (100 by default) that each send it one int
 * and then end at once, in one of five ways: return from main, exit(0),
 * _exit(0), abort() or raise(SIGKILL). The parent asks for PvmTaskExit
 * notifications of all of them and checks, per child, that
 *  - its one message arrives, with the value it was given;
 *  - its exit notification arrives, and only after its message.
 * Each child's direct-link socket file (pvmd.<vmid>.t<tid> in the runtime
 * directory) must be gone by the time its exit is announced.
 * Optionally the children send over a direct link (PvmRouteDirect), which
 * the parent must read to its end after the child is gone: there each
 * child first sends a warm-up message that opens the link, and its message
 * says whether the link carries it (at least half must: a child that finds
 * the parent's listen backlog full goes through the daemon).
 *
 * Usage: it_exit_loss [ending|all] [rounds] [children] [daemon|direct]
 *                     [--count] [--flood]
 * With --count the parent reports what arrived instead of failing on the
 * first loss (for measurements); it exits non-zero if anything was lost. */
#include <signal.h>
#include <sys/resource.h>

#include "it_common.h"
#include "pvmng.h"

#define TAG_DATA 41
#define TAG_EXIT 42
#define TAG_WARM 43
#define MAX_KIDS 1000

static const char *const endings[] = {"return", "exit", "_exit", "abort",
                                      "kill"};
#define NENDINGS (int)(sizeof endings / sizeof endings[0])

/* The value a child with tid sends in round r: distinct per child and
 * round, and not the tid itself. */
static int value_of(int round, int tid) {
  return (int)(((unsigned)tid * 2654435761u) ^ (unsigned)round);
}

static int child(const char *ending, int round, int direct) {
  int parent = pvm_parent(), value = value_of(round, pvm_mytid()), route;
  if (parent <= 0)
    IT_FAIL("no parent (%d)", parent);
  if (direct) {
    /* A link that cannot be opened (the parent is busy with the others)
     * is tried again a few times, a little later each time. */
    pvm_setopt(PvmRoute, PvmRouteDirect);
    for (int k = 1; k <= 5; k++) {
      pvm_initsend(PvmDataDefault);
      if (pvm_send(parent, TAG_WARM) < 0)
        IT_FAIL("pvm_send (warm-up) failed");
      if (pvmng_route(parent) == PvmRouteDirect)
        break;
      it_sleep_ms(120 * k);
    }
  }
  route = pvmng_route(parent);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&value, 1, 1);
  pvm_pkint(&route, 1, 1);
  if (pvm_send(parent, TAG_DATA) < 0)
    IT_FAIL("pvm_send failed");
  if (strcmp(ending, "return") == 0)
    return 0;
  if (strcmp(ending, "exit") == 0)
    exit(0);
  if (strcmp(ending, "_exit") == 0)
    _exit(0);
  if (strcmp(ending, "abort") == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* no core file for each child */
    abort();
  }
  if (strcmp(ending, "kill") == 0) {
    raise(SIGKILL);
    for (;;)
      pause();
  }
  IT_FAIL("unknown ending %s", ending);
}

struct kid {
  int tid;
  int got;    /* messages received */
  int bad;    /* with a wrong value */
  int routed; /* sent over a direct link */
  int exited; /* exit notifications received */
  int early;  /* the notification came before the message */
};

static struct kid kids[MAX_KIDS];

static struct kid *kid_of(int tid, int n) {
  for (int i = 0; i < n; i++)
    if (kids[i].tid == tid)
      return &kids[i];
  return NULL;
}

static int total_got, total_sent;
/* --flood: the parent keeps sending to the children while they end, so
 * that writes to a child that has just died fail (in the daemon, and on
 * direct links in the parent) while its last message is still unread. */
static int flood;

static void flood_kids(int n) {
  static char junk[8192];
  pvm_initsend(PvmDataRaw);
  pvm_pkbyte(junk, (int)sizeof junk, 1);
  for (int i = 0; i < n; i++)
    if (!kids[i].exited)
      pvm_send(kids[i].tid, TAG_WARM); /* may fail once the child is gone */
}

/* How many of the children's socket files are still there; -1 when the
 * runtime directory is not known here (no $PVM_TMP). */
static int socket_files_left(int n) {
  const char *tmp = getenv("PVM_TMP"), *vmid = getenv("PVM_VMID");
  char path[PATH_MAX];
  int left = 0;
  if (tmp == NULL || vmid == NULL)
    return -1;
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/pvm-%u/pvmd.%s.t%x", tmp,
             (unsigned)getuid(), vmid, (unsigned)kids[i].tid);
    left += access(path, F_OK) == 0;
  }
  return left;
}

/* One round: spawn n children ending the given way, collect. Returns the
 * number of children whose message was missing, wrong or late. */
static int round_once(const char *ending, int round, int n, int direct,
                      int count_only) {
  char *args[5], rbuf[16], dbuf[4];
  int tids[MAX_KIDS], cc, done = 0, lost = 0;
  double deadline;

  memset(kids, 0, sizeof kids);
  snprintf(rbuf, sizeof rbuf, "%d", round);
  snprintf(dbuf, sizeof dbuf, "%d", direct);
  args[0] = "--child";
  args[1] = (char *)ending;
  args[2] = rbuf;
  args[3] = dbuf;
  args[4] = NULL;
  cc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", n, tids);
  IT_CHECK(cc == n, "pvm_spawn of %d children: %d started", n, cc);
  for (int i = 0; i < n; i++)
    kids[i].tid = tids[i];
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, n, tids) == 0,
           "pvm_notify(PvmTaskExit) failed");

  deadline = it_now() + 30.0;
  while (done < n && it_now() < deadline) {
    struct timeval tv = {flood ? 0 : 1, flood ? 5000 : 0};
    int bufid, len, tag, src, v, route;
    struct kid *k;
    if (flood)
      flood_kids(n);
    bufid = pvm_trecv(-1, -1, &tv);
    if (bufid == 0)
      continue;
    IT_CHECK(bufid > 0, "pvm_trecv: %d", bufid);
    IT_CHECK(pvm_bufinfo(bufid, &len, &tag, &src) == 0, "pvm_bufinfo");
    if (tag == TAG_WARM)
      continue;
    IT_CHECK(pvm_upkint(&v, 1, 1) == 0, "cannot unpack (tag %d)", tag);
    if (tag == TAG_DATA) {
      k = kid_of(src, n);
      IT_CHECK(k != NULL, "message from t%x, not a child", (unsigned)src);
      IT_CHECK(pvm_upkint(&route, 1, 1) == 0, "cannot unpack the route");
      k->got++;
      k->routed += route == PvmRouteDirect;
      if (v != value_of(round, src))
        k->bad++;
      if (k->exited)
        k->early++;
    } else if (tag == TAG_EXIT) {
      k = kid_of(v, n);
      IT_CHECK(k != NULL, "exit notification for t%x, not a child",
               (unsigned)v);
      IT_CHECK(k->exited == 0, "two exit notifications for t%x", (unsigned)v);
      k->exited = 1;
      done++;
    } else {
      IT_FAIL("unexpected message tag %d from t%x", tag, (unsigned)src);
    }
  }
  IT_CHECK(done == n, "%s: %d of %d exit notifications within 30 s", ending,
           done, n);
  int files = socket_files_left(n);
  IT_CHECK(files <= 0, "%s: %d of %d children left their socket file", ending,
           files, n);
  /* Anything still in flight would be a late message: give it a moment. */
  {
    struct timeval tv = {0, 200000};
    int bufid, len, tag, src;
    while ((bufid = pvm_trecv(-1, TAG_DATA, &tv)) > 0) {
      struct kid *k;
      pvm_bufinfo(bufid, &len, &tag, &src);
      k = kid_of(src, n);
      IT_CHECK(k != NULL, "late message from t%x", (unsigned)src);
      k->got++;
      k->early++;
    }
  }
  int got = 0, bad = 0, early = 0, dup = 0, routed = 0;
  for (int i = 0; i < n; i++) {
    got += kids[i].got > 0;
    dup += kids[i].got > 1;
    bad += kids[i].bad;
    early += kids[i].early;
    routed += kids[i].routed;
    if (kids[i].got != 1 || kids[i].bad || kids[i].early)
      lost++;
  }
  total_got += got;
  total_sent += n;
  if (count_only || lost)
    it_note("%s%s round %d: received %d of %d (%d duplicated, %d wrong, %d "
            "after the exit notification, %d over direct links)",
            ending, direct ? " direct" : "", round, got, n, dup, bad, early,
            routed);
  if (!count_only)
    IT_CHECK(lost == 0, "%s: %d of %d children lost or misordered", ending,
             lost, n);
  /* A child whose link could not be opened at once (the parent's listen
   * backlog is short, and 100 connect together) sends through the daemon:
   * most must have come directly for the round to test the links. */
  if (direct && !count_only)
    IT_CHECK(routed >= n / 2,
             "%s: only %d of %d messages came over a direct "
             "link",
             ending, routed, got);
  return lost;
}

int main(int argc, char **argv) {
  const char *which = "all";
  int rounds = 1, n = 100, direct = 0, count_only = 0, failed = 0;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    if (argc < 5)
      IT_FAIL("child needs ending, round, route");
    return child(argv[2], atoi(argv[3]), atoi(argv[4]));
  }
  it_set_name(argv[0], NULL);
  for (int i = 1, pos = 0; i < argc; i++) {
    if (strcmp(argv[i], "--count") == 0) {
      count_only = 1;
      continue;
    }
    if (strcmp(argv[i], "--flood") == 0) {
      flood = 1;
      continue;
    }
    switch (pos++) {
    case 0:
      which = argv[i];
      break;
    case 1:
      rounds = atoi(argv[i]);
      break;
    case 2:
      n = atoi(argv[i]);
      break;
    case 3:
      direct = strcmp(argv[i], "direct") == 0;
      break;
    default:
      IT_FAIL("too many arguments");
    }
  }
  IT_CHECK(rounds >= 1 && n >= 1 && n <= MAX_KIDS, "bad rounds or children");
  it_guard((unsigned)(60 + rounds * 40 * (strcmp(which, "all") ? 1 : 5)));
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid failed");

  for (int e = 0; e < NENDINGS; e++) {
    if (strcmp(which, "all") != 0 && strcmp(which, endings[e]) != 0)
      continue;
    int lost_rounds = 0;
    total_got = total_sent = 0;
    for (int r = 0; r < rounds; r++)
      lost_rounds += round_once(endings[e], r, n, direct, count_only) > 0;
    it_note("%s%s: %d rounds of %d children: received %d of %d, %d round%s "
            "with a loss",
            endings[e], direct ? " direct" : "", rounds, n, total_got,
            total_sent, lost_rounds, lost_rounds == 1 ? "" : "s");
    failed += lost_rounds;
  }
  pvm_exit();
  if (failed)
    return 1;
  it_note("PASS");
  return 0;
}
