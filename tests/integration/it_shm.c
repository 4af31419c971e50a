/* it_shm: direct links between tasks of one host through shared memory.
 *  1. order: many checksummed messages of random sizes (0 B to 8 MiB, with
 *     PvmDataRaw, PvmDataDefault and PvmDataInPlace) arrive once, in
 *     order, intact, over a link that pvmng_route_transport says is shared
 *     memory.
 *  2. killed writer: a peer sending large messages is killed (SIGKILL)
 *     mid-stream; what arrived is intact and in order, the exit
 *     notification comes, nothing hangs.
 *  3. killed reader: a peer receiving large messages is killed (SIGKILL);
 *     our sends return, the exit notification comes.
 *  4. full ring: a peer that stops reading; the sender blocks (bounded
 *     memory) and is released once the peer exits.
 *  5. no leftovers: after many peers have come and gone (and one killed),
 *     this task maps no segment and holds no descriptor of one.
 *  6. default route (PVMNG_SHM_DEFAULT=1): two tasks that leave PvmRoute
 *     at PvmAllowDirect exchange messages; they move to shared memory
 *     without being asked, in order (skipped without it).
 * IT_SHM_DEBUG=1 turns PvmDebugMask on in every task (links' closes). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "it_common.h"
#include "pvmng.h"

#define TAG_DATA 31
#define TAG_PID 32
#define TAG_REPORT 33
#define TAG_EXIT 34
#define TAG_GO 35
#define BIG (8 << 20)

static uint32_t fnv(const unsigned char *p, size_t n, uint32_t seed) {
  uint32_t h = 2166136261u ^ seed;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static unsigned char *buf;

static int size_for(int seq) {
  uint32_t r = fnv((const unsigned char *)&seq, sizeof seq, 7);
  if (seq % 5 == 0)
    return (int)(r % (BIG + 1u));
  if (seq % 50 == 1)
    return 0;
  return (int)(r % 70000u);
}

static void send_seq(int dst, int seq, int size) {
  static const int encs[3] = {PvmDataRaw, PvmDataDefault, PvmDataInPlace};
  for (int i = 0; i < size; i++)
    buf[i] = (unsigned char)(seq * 7 + i);
  uint32_t sum = fnv(buf, (size_t)size, (uint32_t)seq);
  pvm_initsend(encs[seq % 3]);
  pvm_pkint(&seq, 1, 1);
  pvm_pkint(&size, 1, 1);
  pvm_pkuint(&sum, 1, 1);
  pvm_pkbyte((char *)buf, size, 1);
  pvm_send(dst, TAG_DATA);
}

/* Takes one TAG_DATA from src and checks it is message want. */
static void check_seq(int want) {
  int seq, size;
  uint32_t sum;
  IT_CHECK(pvm_upkint(&seq, 1, 1) == 0 && pvm_upkint(&size, 1, 1) == 0 &&
               pvm_upkuint(&sum, 1, 1) == 0,
           "cannot unpack message %d", want);
  IT_CHECK(seq == want, "message %d arrived where %d was expected", seq, want);
  IT_CHECK(size >= 0 && size <= BIG, "bad size %d", size);
  IT_CHECK(pvm_upkbyte((char *)buf, size, 1) == 0, "cannot unpack body");
  IT_CHECK(fnv(buf, (size_t)size, (uint32_t)seq) == sum,
           "message %d (%d bytes) corrupted", seq, size);
}

/* Counts this process's mappings and descriptors of link segments. */
static int segments(void) {
  char line[512], path[64], target[256];
  int n = 0;
  FILE *f = fopen("/proc/self/maps", "r");
  if (f != NULL) {
    while (fgets(line, sizeof line, f) != NULL)
      n += strstr(line, "memfd:pvmng-link") != NULL;
    fclose(f);
  }
  for (int fd = 0; fd < 1024; fd++) {
    ssize_t k;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    k = readlink(path, target, sizeof target - 1);
    if (k > 0) {
      target[k] = '\0';
      n += strstr(target, "memfd:pvmng-link") != NULL;
    }
  }
  return n;
}

/* Lets the library notice closed links for a while. */
static void settle(int ms) {
  for (int i = 0; i < ms / 10; i++) {
    pvm_nrecv(-1, 9999);
    it_sleep_ms(10);
  }
}

static int child_main(const char *role, int n) {
  int parent = pvm_parent();
  if (getenv("IT_SHM_DEBUG"))
    pvm_setopt(PvmDebugMask, 1);
  if (strcmp(role, "default") != 0)
    pvm_setopt(PvmRoute, PvmRouteDirect);
  /* Enrolled, so listening for links: the parent may start. */
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_GO);
  if (strcmp(role, "order") == 0) {
    for (int i = 0; i < n; i++) {
      IT_CHECK(pvm_recv(parent, TAG_DATA) > 0, "recv %d failed", i);
      check_seq(i);
    }
    int via = pvmng_route_transport(parent);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&via, 1, 1);
    pvm_send(parent, TAG_REPORT);
  } else if (strcmp(role, "writer") == 0) {
    int pid = (int)getpid();
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&pid, 1, 1);
    pvm_send(parent, TAG_PID);
    for (int i = 0;; i++) /* until killed */
      send_seq(parent, i, i % 2 ? 1 << 20 : 3000);
  } else if (strcmp(role, "reader") == 0) {
    int pid = (int)getpid();
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&pid, 1, 1);
    pvm_send(parent, TAG_PID);
    for (int i = 0;; i++) { /* until killed */
      IT_CHECK(pvm_recv(parent, TAG_DATA) > 0, "recv %d failed", i);
      check_seq(i);
    }
  } else if (strcmp(role, "sleeper") == 0) {
    IT_CHECK(pvm_recv(parent, TAG_DATA) > 0, "first recv failed");
    check_seq(0);
    pvm_initsend(PvmDataDefault);
    pvm_send(parent, TAG_REPORT);
    it_sleep_ms(n); /* not in the library: reads nothing */
    _exit(0);       /* the link's end: what it holds unread is lost */
  } else if (strcmp(role, "default") == 0) {
    for (int i = 0; i < n; i++) {
      IT_CHECK(pvm_recv(parent, TAG_DATA) > 0, "recv %d failed", i);
      check_seq(i);
      send_seq(parent, i, size_for(i) % 5000);
    }
    int via = pvmng_route_transport(parent);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&via, 1, 1);
    pvm_send(parent, TAG_REPORT);
  } else if (strcmp(role, "cycle") == 0) {
    IT_CHECK(pvm_recv(parent, TAG_DATA) > 0, "recv failed");
    check_seq(0);
    int via = pvmng_route_transport(parent);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&via, 1, 1);
    pvm_send(parent, TAG_DATA);
  }
  pvm_exit();
  return 0;
}

/* Spawns a child in role and waits until it listens for links. */
static int spawn_n(const char *role, int n) {
  char nb[16];
  int tid;
  snprintf(nb, sizeof nb, "%d", n);
  tid = it_spawn_self(role, nb, (char *)NULL);
  IT_CHECK(pvm_recv(tid, TAG_GO) > 0, "t%x not ready", tid);
  return tid;
}

static int recv_pid(int child) {
  int pid;
  IT_CHECK(pvm_recv(child, TAG_PID) > 0, "no pid from t%x", child);
  pvm_upkint(&pid, 1, 1);
  return pid;
}

static void wait_exit(int child) {
  IT_CHECK(pvm_recv(-1, TAG_EXIT) > 0, "no exit notification for t%x", child);
}

int main(int argc, char **argv) {
  int n = 600, child, via;
  buf = malloc(BIG);
  IT_CHECK(buf != NULL, "no memory");
  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(200);
    return child_main(argv[2], atoi(argv[3]));
  }
  it_set_name(argv[0], NULL);
  it_guard(200);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid failed");
  pvm_setopt(PvmRoute, PvmRouteDirect);

  if (getenv("IT_SHM_DEBUG"))
    pvm_setopt(PvmDebugMask, 1);
  /* 1. order */
  child = spawn_n("order", n);
  for (int i = 0; i < n; i++) {
    /* (The first messages may go through the daemon while the link opens;
     * the child exits after the last one, closing it.) */
    if (i == n - 1)
      IT_CHECK(pvmng_route_transport(child) == PVMNG_VIA_SHM,
               "the link to t%x is not shared memory (%d)", child,
               pvmng_route_transport(child));
    send_seq(child, i, size_for(i));
  }
  IT_CHECK(pvm_recv(child, TAG_REPORT) > 0, "no report");
  pvm_upkint(&via, 1, 1);
  IT_CHECK(via == PVMNG_VIA_SHM, "the child's link back is %d", via);
  it_note("order: %d messages of 0 B to 8 MiB in order over shared memory", n);

  /* 2. a writer killed mid-stream */
  child = spawn_n("writer", 0);
  pvm_notify(PvmTaskExit, TAG_EXIT, 1, &child);
  int pid = recv_pid(child), got = 0;
  for (; got < 40; got++) {
    IT_CHECK(pvm_recv(child, TAG_DATA) > 0, "recv %d failed", got);
    check_seq(got);
  }
  kill((pid_t)pid, SIGKILL);
  while (pvm_recv(-1, -1) > 0) {
    int tag;
    pvm_bufinfo(pvm_getrbuf(), NULL, &tag, NULL);
    if (tag == TAG_EXIT)
      break;
    IT_CHECK(tag == TAG_DATA, "unexpected tag %d", tag);
    check_seq(got++);
  }
  it_note("killed writer: %d messages intact and in order, then its exit", got);

  /* 3. a reader killed mid-stream */
  child = spawn_n("reader", 0);
  pvm_notify(PvmTaskExit, TAG_EXIT, 1, &child);
  pid = recv_pid(child);
  int rc = 0, sent = 0;
  for (; sent < 20; sent++)
    send_seq(child, sent, 1 << 20);
  kill((pid_t)pid, SIGKILL);
  for (int i = 0; i < 200 && rc >= 0; i++, sent++)
    rc = pvm_send(child, TAG_DATA) < 0 ? -1 : 0; /* the same buffer again */
  wait_exit(child);
  it_note("killed reader: %d sends returned (last %d), then its exit", sent,
          rc);

  /* 4. a full ring: the peer reads one message, then nothing for 2 s */
  child = spawn_n("sleeper", 2000);
  pvm_notify(PvmTaskExit, TAG_EXIT, 1, &child);
  send_seq(child, 0, 10);
  IT_CHECK(pvm_recv(child, TAG_REPORT) > 0, "sleeper not ready");
  double t0 = it_now();
  int errs = 0;
  for (int i = 1; i < 3000; i++) {
    send_seq(child, i, 4000);
    if (pvm_getsbuf() < 0)
      errs++;
  }
  double blocked = it_now() - t0;
  IT_CHECK(blocked > 0.5,
           "3000 sends of 4000 B to a peer that reads "
           "nothing took %.2f s: they did not block",
           blocked);
  wait_exit(child);
  it_note("full ring: the sender blocked %.2f s, released when the peer "
          "exited",
          blocked);

  /* 5. many peers come and go */
  for (int i = 0; i < 40; i++) {
    child = spawn_n("cycle", 0);
    send_seq(child, 0, 100);
    IT_CHECK(pvm_recv(child, TAG_DATA) > 0, "no answer from cycle %d", i);
    IT_CHECK(pvm_upkint(&via, 1, 1) == 0 && via == PVMNG_VIA_SHM,
             "cycle %d: not over shared memory (%d)", i, via);
  }
  settle(1000);
  int left = segments();
  IT_CHECK(left == 0, "%d segment mappings or descriptors left", left);
  it_note("no leftovers: 40 peers came and went (and two were killed), no "
          "segment left");
  (void)errs;

  /* 6. the default route */
  const char *dflt = getenv("PVMNG_SHM_DEFAULT");
  if (dflt == NULL || strcmp(dflt, "1") != 0) {
    pvm_exit();
    printf("it_shm: PASS (without case 6: PVMNG_SHM_DEFAULT is not 1)\n");
    return 0;
  }
  pvm_setopt(PvmRoute, PvmAllowDirect);
  child = spawn_n("default", 300);
  for (int i = 0; i < 300; i++) {
    if (i == 299) { /* (the child leaves after the last) */
      via = pvmng_route_transport(child);
      IT_CHECK(via == PVMNG_VIA_SHM, "the default route to t%x is %d", child,
               via);
    }
    send_seq(child, i, i % 7 == 0 ? 100000 : i * 13);
    IT_CHECK(pvm_recv(child, TAG_DATA) > 0, "no answer %d", i);
    check_seq(i);
  }
  IT_CHECK(pvm_recv(child, TAG_REPORT) > 0 && pvm_upkint(&via, 1, 1) == 0 &&
               via == PVMNG_VIA_SHM,
           "the child's default route back is %d", via);
  it_note("default route: 300 exchanges in order, then over shared memory");
  pvm_exit();
  printf("it_shm: PASS\n");
  return 0;
}
