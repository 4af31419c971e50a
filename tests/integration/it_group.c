/* it_group: PVM's group semantics, one case per run (`it_group <case>`):
 *   semantics  instance numbers and their reuse, gsize/gettid/getinst, leave,
 *              automatic leave on pvm_exit, on exit without it and on kill,
 *              and the errors PvmNullGroup, PvmNoGroup, PvmNotInGroup,
 *              PvmDupGroup, PvmNoInst
 *   barrier    barrier counts (group size, -1, fewer than the group, a late
 *              member holds everyone), PvmBadParam, freeze (-1, twice, join
 *              refused, cached queries), leaving a frozen group (PvmNoGroup)
 *   kill       a member killed while the others are in a barrier, a reduce
 *              and an all-reduce: the others get PvmNoGroup (or, where they
 *              did not wait for it, 0), never a hang
 *   shm        barriers of members on one host through shared memory: 200
 *              in a row, no segment left under /dev/shm afterwards; and a
 *              member with it turned off (PVMNG_GROUP_SHM=0) among members
 *              with it on: everyone still passes
 *   kill9      the same with SIGKILL (pvm_sendsig) instead of pvm_kill; with
 *              several hosts the members spread over them
 *   hostdel H O  (several hosts) members on host H, on host O and
 *              elsewhere; H is deleted while the others wait for its members
 *              in a barrier: the barrier fails, H's tasks leave the group,
 *              the others stay
 * The parent is instance 0 where it is a member; children are spawned
 * copies of this program (spread over the hosts by PvmTaskDefault). Each
 * child answers queries too, so gsize/gettid/getinst are checked from
 * every host a child runs on. */
#include <dirent.h>

#include "it_common.h"
#include "pvmng.h"
#include "rundir.h"

/* The daemon socket, whose path names the VM's segments, found the way
 * libpvm3 finds it ($PVMNG_SOCKET, else the VM's runtime directory). */
static const char *daemon_socket(void) {
  static char sock[512];
  char err[256];
  const char *env = getenv("PVMNG_SOCKET"), *vmid;
  if (env != NULL && *env != '\0') {
    snprintf(sock, sizeof sock, "%s", env);
    return sock;
  }
  vmid = pvmw_vmid(err, sizeof err);
  if (vmid == NULL ||
      pvmw_runpath(sock, sizeof sock, vmid, "sock", 0, err, sizeof err) < 0)
    IT_FAIL("no daemon socket: %s", err);
  return sock;
}

#define TAG_INFO 71 /* child -> parent: ints */
#define TAG_CMD 72  /* parent -> child: one int command */

enum {
  CMD_LEAVE = 1,
  CMD_EXIT,
  CMD_DIE,
  CMD_REJOIN,
  CMD_WAIT,
  CMD_QUERY,
  CMD_GO
};

static void send_ints(int to, int tag, const int *v, int n) {
  pvm_initsend(PvmDataDefault);
  pvm_pkint((int *)v, n, 1);
  IT_CHECK(pvm_send(to, tag) == 0, "pvm_send to t%x failed", to);
}

static void recv_ints(int from, int tag, int *v, int n) {
  struct timeval tmo = {20, 0};
  int b = pvm_trecv(from, tag, &tmo);
  IT_CHECK(b > 0, "no message tag %d from t%x (%d)", tag, from, b);
  IT_CHECK(pvm_upkint(v, n, 1) == 0, "unpack from t%x failed", from);
}

static int recv_cmd(void) {
  int c;
  recv_ints(pvm_parent(), TAG_CMD, &c, 1);
  return c;
}

/* Waits up to 10 s for gsize(group) == n. */
static void wait_size(const char *group, int n) {
  double t0 = it_now();
  int s;
  while ((s = pvm_gsize((char *)group)) != n) {
    IT_CHECK(it_now() - t0 < 10, "gsize(%s) stays %d, want %d", group, s, n);
    it_sleep_ms(5);
  }
}

/* How many hosts the n tasks run on. */
static int nhosts_of(const int *tids, int n) {
  int hosts[64], nh = 0;
  for (int i = 0; i < n; i++) {
    int h = pvm_tidtohost(tids[i]), k = 0;
    while (k < nh && hosts[k] != h)
      k++;
    if (k == nh && nh < 64)
      hosts[nh++] = h;
  }
  return nh;
}

/* ---- semantics --------------------------------------------------------- */

static void child_semantics(void) {
  int parent = pvm_parent(), inst = pvm_joingroup("sem"), me = pvm_mytid();
  int r[3] = {me, inst, 0};
  send_ints(parent, TAG_INFO, r, 2);
  for (;;) {
    switch (recv_cmd()) {
    case CMD_LEAVE:
      r[0] = pvm_lvgroup("sem");
      r[1] = pvm_lvgroup("sem");
      r[2] = pvm_getinst("sem", me);
      send_ints(parent, TAG_INFO, r, 3);
      break;
    case CMD_REJOIN:
      r[0] = pvm_joingroup("sem");
      send_ints(parent, TAG_INFO, r, 1);
      break;
    case CMD_QUERY: { /* what this task's host answers */
      struct pvmng_gstat *st = NULL;
      int n = 0, q[4] = {pvm_gsize("sem"), pvm_gettid("sem", 0),
                         pvm_getinst("sem", parent), -1};
      /* The registry's list of every group names this one, full. */
      if (pvmng_gstat(NULL, &st, &n) >= 0)
        for (int i = 0; i < n; i++)
          if (strcmp(st[i].name, "sem") == 0)
            q[3] = st[i].size;
      pvmng_gstat_free(st, n);
      send_ints(parent, TAG_INFO, q, 4);
      break;
    }
    case CMD_EXIT:
      pvm_exit();
      exit(0);
    case CMD_DIE:
      exit(0); /* without pvm_exit */
    case CMD_WAIT:
      pvm_recv(parent, 9999); /* until killed */
      exit(1);
    }
  }
}

static void case_semantics(void) {
  int me = pvm_mytid(), kid[3], inst[3], r[3], rc;

  pvm_setopt(PvmAutoErr, 0);
  /* Errors before any group exists. */
  IT_CHECK((rc = pvm_joingroup(NULL)) == PvmNullGroup, "join(NULL) %d", rc);
  IT_CHECK((rc = pvm_joingroup("")) == PvmNullGroup, "join(\"\") %d", rc);
  IT_CHECK((rc = pvm_gsize("nosuch")) == PvmNoGroup, "gsize %d", rc);
  IT_CHECK((rc = pvm_gettid("nosuch", 0)) == PvmNoGroup, "gettid %d", rc);
  IT_CHECK((rc = pvm_getinst("nosuch", me)) == PvmNoGroup, "getinst %d", rc);
  IT_CHECK((rc = pvm_lvgroup("nosuch")) == PvmNoGroup, "lvgroup %d", rc);
  IT_CHECK((rc = pvm_barrier("nosuch", 1)) == PvmNotInGroup || rc == PvmNoGroup,
           "barrier %d", rc);
  pvm_initsend(PvmDataDefault);
  IT_CHECK((rc = pvm_bcast("nosuch", 1)) == PvmNoGroup, "bcast %d", rc);

  IT_CHECK((rc = pvm_joingroup("sem")) == 0, "first join %d", rc);
  IT_CHECK((rc = pvm_joingroup("sem")) == PvmDupGroup, "join twice %d", rc);
  IT_CHECK(pvm_gsize("sem") == 1, "gsize after one join");
  IT_CHECK(pvm_gettid("sem", 0) == me, "gettid(sem, 0)");
  IT_CHECK(pvm_getinst("sem", me) == 0, "getinst(sem, me)");
  IT_CHECK((rc = pvm_gettid("sem", 1)) == PvmNoInst, "gettid(1) %d", rc);
  IT_CHECK((rc = pvm_gettid("sem", -1)) == PvmNoInst, "gettid(-1) %d", rc);
  IT_CHECK((rc = pvm_getinst("sem", 0)) == PvmBadParam, "getinst(0) %d", rc);

  /* Three children join: instances 1, 2, 3 in some order. */
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    kid[i] = it_spawn_self("semantics", (char *)NULL);
    recv_ints(kid[i], TAG_INFO, r, 2);
    IT_CHECK(r[0] == kid[i] && r[1] >= 1 && r[1] <= 3, "child join: t%x %d",
             r[0], r[1]);
    inst[i] = r[1];
    seen |= 1 << r[1];
  }
  IT_CHECK(seen == 0xe, "instances not 1..3 (mask %x)", seen);
  IT_CHECK(pvm_gsize("sem") == 4, "gsize 4");
  for (int i = 0; i < 3; i++) {
    IT_CHECK(pvm_gettid("sem", inst[i]) == kid[i], "gettid(%d)", inst[i]);
    IT_CHECK(pvm_getinst("sem", kid[i]) == inst[i], "getinst(t%x)", kid[i]);
  }
  int by_inst[4] = {me, 0, 0, 0};
  for (int i = 0; i < 3; i++)
    by_inst[inst[i]] = kid[i];
  /* Every child's host gives the same answers. */
  for (int i = 0; i < 3; i++) {
    int q[4];
    send_ints(kid[i], TAG_CMD, (int[]){CMD_QUERY}, 1);
    recv_ints(kid[i], TAG_INFO, q, 4);
    IT_CHECK(q[0] == 4 && q[1] == me && q[2] == 0 && q[3] == 4,
             "t%x (host t%x) sees gsize %d, gettid(0) t%x, getinst(parent) "
             "%d, size in the group list %d",
             kid[i], pvm_tidtohost(kid[i]), q[0], q[1], q[2], q[3]);
  }
  it_note("semantics: children on %d host(s)", nhosts_of(kid, 3));

  /* Instance 1 leaves: its number is free; leaving twice is refused. */
  send_ints(by_inst[1], TAG_CMD, (int[]){CMD_LEAVE}, 1);
  recv_ints(by_inst[1], TAG_INFO, r, 3);
  IT_CHECK(r[0] == 0, "lvgroup %d", r[0]);
  IT_CHECK(r[1] == PvmNotInGroup, "second lvgroup %d", r[1]);
  IT_CHECK(r[2] == PvmNotInGroup, "getinst after leaving %d", r[2]);
  IT_CHECK(pvm_gsize("sem") == 3, "gsize after a leave");
  IT_CHECK((rc = pvm_gettid("sem", 1)) == PvmNoInst, "gettid(1) %d", rc);
  IT_CHECK((rc = pvm_getinst("sem", by_inst[1])) == PvmNotInGroup,
           "getinst of a leaver %d", rc);

  /* The parent leaves (instance 0) and joins again: it gets 0 back, the
   * lowest free number; the child rejoining then gets 1. */
  IT_CHECK(pvm_lvgroup("sem") == 0, "parent lvgroup");
  IT_CHECK(pvm_gsize("sem") == 2, "gsize 2");
  IT_CHECK((rc = pvm_joingroup("sem")) == 0, "rejoin got %d, want 0", rc);
  send_ints(by_inst[1], TAG_CMD, (int[]){CMD_REJOIN}, 1);
  recv_ints(by_inst[1], TAG_INFO, r, 1);
  IT_CHECK(r[0] == 1, "child rejoin got %d, want 1", r[0]);

  /* Automatic leave: pvm_exit, exit without pvm_exit, pvm_kill. */
  send_ints(by_inst[2], TAG_CMD, (int[]){CMD_EXIT}, 1);
  wait_size("sem", 3);
  IT_CHECK((rc = pvm_gettid("sem", 2)) == PvmNoInst, "inst 2 after exit %d",
           rc);
  send_ints(by_inst[3], TAG_CMD, (int[]){CMD_DIE}, 1);
  wait_size("sem", 2);
  IT_CHECK((rc = pvm_gettid("sem", 3)) == PvmNoInst, "inst 3 after death %d",
           rc);
  send_ints(by_inst[1], TAG_CMD, (int[]){CMD_WAIT}, 1);
  IT_CHECK(pvm_kill(by_inst[1]) == 0, "pvm_kill");
  wait_size("sem", 1);
  IT_CHECK(pvm_gettid("sem", 0) == me, "parent still instance 0");

  /* The last member leaving forgets the group. */
  IT_CHECK(pvm_lvgroup("sem") == 0, "last lvgroup");
  IT_CHECK((rc = pvm_gsize("sem")) == PvmNoGroup, "gsize of an empty group %d",
           rc);

  /* A group the caller is not in. */
  int k = it_spawn_self("semantics", (char *)NULL);
  recv_ints(k, TAG_INFO, r, 2);
  IT_CHECK(r[1] == 0, "new group's first instance %d", r[1]);
  IT_CHECK((rc = pvm_lvgroup("sem")) == PvmNotInGroup, "lvgroup %d", rc);
  IT_CHECK((rc = pvm_barrier("sem", 1)) == PvmNotInGroup, "barrier %d", rc);
  IT_CHECK((rc = pvm_getinst("sem", me)) == PvmNotInGroup, "getinst %d", rc);
  double d = 1.0;
  IT_CHECK((rc = pvm_reduce(PvmSum, &d, 1, PVM_DOUBLE, 1, "sem", 0)) ==
               PvmNoInst,
           "reduce by a non-member %d", rc);
  IT_CHECK(pvm_gettid("sem", 0) == k, "gettid by a non-member");
  IT_CHECK(pvm_gsize("sem") == 1, "gsize by a non-member");
  /* Any task may broadcast; the sender gets no copy. */
  int v = 42;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  IT_CHECK(pvm_bcast("sem", 5) == 0, "bcast by a non-member");
  send_ints(k, TAG_CMD, (int[]){CMD_EXIT}, 1);
  wait_size("sem", PvmNoGroup);
  it_note("semantics: OK");
}

/* ---- barrier and freeze ------------------------------------------------ */

#define NB 5 /* members: parent + 4 children */

/* What every member runs; returns nothing, fails on error. */
static void barrier_body(int inst, int parent_tid) {
  int rc;
  double t0;
  for (int i = 0; i < 20; i++)
    IT_CHECK((rc = pvm_barrier("bar", NB)) == 0, "barrier %d: %d", i, rc);
  IT_CHECK((rc = pvm_barrier("bar", -1)) == 0, "barrier(-1) %d", rc);
  IT_CHECK((rc = pvm_barrier("bar", 0)) == PvmBadParam, "barrier(0) %d", rc);
  /* Fewer than the group: instances 0..2 pass a count-3 barrier alone. */
  if (inst < 3)
    IT_CHECK((rc = pvm_barrier("bar", 3)) == 0, "barrier(3) %d", rc);
  IT_CHECK((rc = pvm_barrier("bar", NB)) == 0, "barrier after count 3: %d", rc);
  /* A late member holds everyone. */
  if (inst == NB - 1)
    it_sleep_ms(300);
  t0 = it_now();
  IT_CHECK((rc = pvm_barrier("bar", NB)) == 0, "late barrier %d", rc);
  IT_CHECK(inst == NB - 1 || it_now() - t0 > 0.25,
           "instance %d passed the barrier %.3f s before the late member", inst,
           it_now() - t0);
  /* Freeze with -1: everyone must call; twice is refused. */
  IT_CHECK((rc = pvm_freezegroup("bar", -1)) == 0, "freeze %d", rc);
  IT_CHECK((rc = pvm_freezegroup("bar", -1)) == PvmDupGroup, "freeze twice %d",
           rc);
  IT_CHECK(pvm_gsize("bar") == NB, "gsize after freeze");
  IT_CHECK(pvm_gettid("bar", inst) == pvm_mytid(), "gettid after freeze");
  IT_CHECK((rc = pvm_barrier("bar", -1)) == 0, "barrier(-1) frozen %d", rc);
  (void)parent_tid;
}

static void child_barrier(void) {
  int parent = pvm_parent(), inst = pvm_joingroup("bar"), r[3], rc;
  IT_CHECK(inst > 0, "join %d", inst);
  wait_size("bar", NB);
  barrier_body(inst, parent);
  /* The last instance leaves the frozen group while the others wait. */
  if (inst == NB - 1) {
    it_sleep_ms(200);
    IT_CHECK(pvm_lvgroup("bar") == 0, "leave frozen");
    r[0] = 0;
  } else {
    r[0] = pvm_barrier("bar", -1);
  }
  r[1] = inst == NB - 1 ? 0 : pvm_barrier("bar", -1);
  r[2] = inst;
  send_ints(parent, TAG_INFO, r, 3);
  rc = recv_cmd();
  (void)rc;
  pvm_exit();
  exit(0);
}

static void case_barrier(void) {
  int kid[NB - 1], r[3], rc;
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(pvm_joingroup("bar") == 0, "parent join");
  for (int i = 0; i < NB - 1; i++)
    kid[i] = it_spawn_self("barrier", (char *)NULL);
  wait_size("bar", NB);
  barrier_body(0, 0);
  /* A frozen group takes no new member. */
  IT_CHECK((rc = pvm_joingroup("bar")) == PvmDupGroup, "join frozen %d", rc);
  int newcomer = it_spawn_self("late", (char *)NULL);
  recv_ints(newcomer, TAG_INFO, r, 1);
  IT_CHECK(r[0] == PvmDupGroup, "a newcomer joined a frozen group: %d", r[0]);
  /* Someone leaves the frozen group: the barrier it leaves fails with
   * PvmNoGroup for all who wait, and so do later ones. */
  rc = pvm_barrier("bar", -1);
  IT_CHECK(rc == PvmNoGroup, "parent's barrier on a defunct group %d", rc);
  rc = pvm_barrier("bar", -1);
  IT_CHECK(rc == PvmNoGroup, "parent's next barrier %d", rc);
  for (int i = 0; i < NB - 1; i++) {
    recv_ints(kid[i], TAG_INFO, r, 3);
    IT_CHECK(r[2] == NB - 1 || (r[0] == PvmNoGroup && r[1] == PvmNoGroup),
             "child t%x: barriers on a defunct group %d %d", kid[i], r[0],
             r[1]);
  }
  for (int i = 0; i < NB - 1; i++)
    send_ints(kid[i], TAG_CMD, (int[]){CMD_EXIT}, 1);
  int all[NB];
  memcpy(all, kid, sizeof kid);
  all[NB - 1] = pvm_mytid();
  it_note("barrier: members on %d host(s)", nhosts_of(all, NB));
  it_note("barrier: OK");
}

static void child_late(void) {
  int rc = pvm_joingroup("bar");
  send_ints(pvm_parent(), TAG_INFO, &rc, 1);
  pvm_exit();
  exit(0);
}

/* ---- a member killed inside collectives -------------------------------- */

#define NK 4

static void child_kill(const char *what) {
  char g[32];
  snprintf(g, sizeof g, "kil-%s", what); /* one group per round */
  int parent = pvm_parent(), inst = pvm_joingroup(g), rc = 0;
  double d[16] = {1}, t0;
  wait_size(g, NK);
  /* Tell the parent who we are, then go in (the victim waits instead). */
  int r[2] = {pvm_mytid(), inst};
  send_ints(parent, TAG_INFO, r, 2);
  if (recv_cmd() == CMD_WAIT) {
    pvm_recv(parent, 9999); /* killed here */
    exit(1);
  }
  t0 = it_now();
  if (strncmp(what, "barrier", 7) == 0)
    rc = pvm_barrier(g, NK);
  else if (strcmp(what, "reduce") == 0)
    rc = pvm_reduce(PvmSum, d, 16, PVM_DOUBLE, 3, g, 0);
  else
    rc = pvmng_allreduce(PvmSum, d, 16, PVM_DOUBLE, g);
  r[0] = rc;
  r[1] = (int)((it_now() - t0) * 1000);
  send_ints(parent, TAG_INFO, r, 2);
  recv_cmd(); /* stay a member until everyone is past wait_size */
  pvm_exit();
  exit(0);
}

/* The victim is the highest instance, or for "barrier-leader" the member
 * with the lowest instance on its host other than instance 0's host (one
 * that leads its host in a barrier across hosts), when there is one. */
static void kill_one(const char *what, int sig9) {
  int kid[NK], inst[NK], r[2], victim = 0;
  for (int i = 0; i < NK; i++)
    kid[i] = it_spawn_self("kill", what, (char *)NULL);
  for (int i = 0; i < NK; i++) {
    recv_ints(kid[i], TAG_INFO, r, 2);
    IT_CHECK(r[0] == kid[i], "info from t%x", r[0]);
    inst[i] = r[1];
    if (r[1] == NK - 1)
      victim = r[0];
  }
  if (strcmp(what, "barrier-leader") == 0) {
    int h0 = 0;
    for (int i = 0; i < NK; i++)
      if (inst[i] == 0)
        h0 = pvm_tidtohost(kid[i]);
    for (int i = 0; i < NK; i++) {
      int h = pvm_tidtohost(kid[i]), lowest = h != h0;
      for (int j = 0; j < NK; j++)
        if (pvm_tidtohost(kid[j]) == h && inst[j] < inst[i])
          lowest = 0;
      if (lowest)
        victim = kid[i];
    }
  }
  IT_CHECK(victim != 0, "no victim");
  for (int i = 0; i < NK; i++)
    send_ints(kid[i], TAG_CMD, (int[]){kid[i] == victim ? CMD_WAIT : CMD_GO},
              1);
  it_sleep_ms(300);
  if (sig9)
    IT_CHECK(pvm_sendsig(victim, SIGKILL) == 0, "pvm_sendsig SIGKILL");
  else
    IT_CHECK(pvm_kill(victim) == 0, "pvm_kill");
  it_note("%s: victim t%x on host t%x, members on %d host(s)", what, victim,
          pvm_tidtohost(victim), nhosts_of(kid, NK));
  for (int i = 0; i < NK; i++) {
    if (kid[i] == victim)
      continue;
    recv_ints(kid[i], TAG_INFO, r, 2);
    /* The root of a reduce waits for the victim; a member that does not
     * has nothing to wait for and returns 0 (PVM: reduce does not block).
     * An all-reduce agrees on its members first: once the victim is gone
     * it runs among those left (0), unless it had started (PvmNoGroup).
     * Nobody hangs or gets a wrong result. */
    IT_CHECK(r[0] == PvmNoGroup ||
                 (r[0] == 0 && strncmp(what, "barrier", 7) != 0),
             "%s: t%x got %d after %d ms", what, kid[i], r[0], r[1]);
    IT_CHECK(r[1] < 5000, "%s: t%x took %d ms to return", what, kid[i], r[1]);
    it_note("%s: t%x got %d after %d ms", what, kid[i], r[0], r[1]);
  }
  for (int i = 0; i < NK; i++)
    if (kid[i] != victim)
      send_ints(kid[i], TAG_CMD, (int[]){CMD_EXIT}, 1);
}

static void case_kill(int sig9) {
  pvm_setopt(PvmAutoErr, 0);
  kill_one("barrier", sig9);
  if (sig9)
    kill_one("barrier-leader", sig9);
  kill_one("reduce", sig9);
  kill_one("allreduce", sig9);
  it_note("kill: OK");
}

/* ---- a host deleted ---------------------------------------------------- */

/* Children: two on the doomed host, one on another, one anywhere. */
#define NH 4

static void child_hostdel(void) {
  int parent = pvm_parent(), r[2] = {pvm_mytid(), pvm_joingroup("hd")};
  double t0;
  IT_CHECK(pvm_joingroup("hdb") >= 0, "join hdb");
  send_ints(parent, TAG_INFO, r, 2);
  if (recv_cmd() == CMD_WAIT) {
    /* Into a barrier of the children's group that the doomed ones never
     * reach: their host's delete must end it. */
    t0 = it_now();
    r[0] = pvm_barrier("hdb", -1);
    r[1] = (int)((it_now() - t0) * 1000);
    send_ints(parent, TAG_INFO, r, 2);
    recv_cmd();
  }
  pvm_exit();
  exit(0);
}

/* ---- barriers through shared memory ------------------------------------ */

#define NS 4
#define NSHM 200

/* Segments of this VM under /dev/shm. */
static int shm_segments(void) {
  char prefix[64];
  struct dirent *e;
  int n = 0;
  DIR *d = opendir("/dev/shm");
  if (d == NULL)
    return 0;
  pvmw_shm_prefix(daemon_socket(), prefix, sizeof prefix);
  while ((e = readdir(d)) != NULL)
    n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  closedir(d);
  return n;
}

/* Joins group, waits for NS members, runs NSHM barriers; 0 or the first
 * error. */
static int shm_rounds(const char *group) {
  int rc = pvm_joingroup((char *)group);
  if (rc < 0)
    return rc;
  wait_size(group, NS);
  for (int i = 0; i < NSHM; i++)
    if ((rc = pvm_barrier((char *)group, NS)) < 0)
      return rc;
  return 0;
}

static void child_shm(const char *group, const char *off) {
  int r;
  if (strcmp(off, "off") == 0)
    setenv("PVMNG_GROUP_SHM", "0", 1);
  r = shm_rounds(group);
  send_ints(pvm_parent(), TAG_INFO, &r, 1);
  recv_cmd();
  pvm_exit();
  exit(0);
}

static void case_hostdel(char *host, char *other) {
  int kid[NH], inst[NH], r[2], rc, info;
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(pvm_joingroup("hd") == 0, "parent join");
  char *argv[] = {"--child", "hostdel", NULL};
  for (int i = 0; i < NH; i++) {
    char *where = i < 2 ? host : i == 2 ? other : "";
    IT_CHECK(pvm_spawn((char *)it_self_path(), argv,
                       *where ? PvmTaskHost : PvmTaskDefault, where, 1,
                       &kid[i]) == 1,
             "spawn %d on %s: t%x", i, *where ? where : "any host", kid[i]);
    recv_ints(kid[i], TAG_INFO, r, 2);
    IT_CHECK(r[1] == i + 1, "child %d joined as %d", i, r[1]);
    inst[i] = r[1];
  }
  int doomed = pvm_tidtohost(kid[0]), stay = 1;
  IT_CHECK(pvm_tidtohost(kid[2]) != doomed, "t%x on the doomed host", kid[2]);
  for (int i = 2; i < NH; i++)
    stay += pvm_tidtohost(kid[i]) != doomed;
  IT_CHECK(pvm_gsize("hd") == NH + 1, "gsize before the delete");
  for (int i = 2; i < NH; i++)
    if (pvm_tidtohost(kid[i]) != doomed)
      send_ints(kid[i], TAG_CMD, (int[]){CMD_WAIT}, 1);
  it_sleep_ms(300);
  IT_CHECK(pvm_delhosts(&host, 1, &info) >= 0 && info >= 0,
           "pvm_delhosts(%s): %d", host, info);
  wait_size("hd", stay);
  for (int i = 0; i < NH; i++) {
    int on_doomed = pvm_tidtohost(kid[i]) == doomed;
    rc = pvm_gettid("hd", inst[i]);
    IT_CHECK(on_doomed ? rc == PvmNoInst : rc == kid[i],
             "instance %d (t%x) after its host's delete: %d", inst[i], kid[i],
             rc);
    if (on_doomed)
      continue;
    recv_ints(kid[i], TAG_INFO, r, 2);
    IT_CHECK(r[0] == PvmNoGroup && r[1] < 5000,
             "t%x: barrier with members on a deleted host: %d after %d ms",
             kid[i], r[0], r[1]);
    it_note("hostdel: barrier of t%x ended with %d after %d ms", kid[i], r[0],
            r[1]);
  }
  /* The numbers freed are reused. */
  IT_CHECK((rc = pvm_lvgroup("hd")) == 0, "lvgroup %d", rc);
  IT_CHECK((rc = pvm_joingroup("hd")) == 0, "rejoin got %d, want 0", rc);
  for (int i = 2; i < NH; i++)
    if (pvm_tidtohost(kid[i]) != doomed)
      send_ints(kid[i], TAG_CMD, (int[]){CMD_EXIT}, 1);
  wait_size("hd", 1);
  it_note("hostdel: %d members stayed, %d left with host %s", stay,
          NH + 1 - stay, host);
}

static void case_shm(void) {
  int kid[2 * (NS - 1)], r, before = shm_segments();
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(before == 0, "%d segments of this VM before any barrier", before);
  for (int i = 0; i < NS - 1; i++)
    kid[i] = it_spawn_self("shm", "shm", "on", (char *)NULL);
  r = shm_rounds("shm");
  IT_CHECK(r == 0, "parent's barriers: %d", r);
  for (int i = 0; i < NS - 1; i++) {
    recv_ints(kid[i], TAG_INFO, &r, 1);
    IT_CHECK(r == 0, "child t%x's barriers: %d", kid[i], r);
  }
  IT_CHECK((r = shm_segments()) == 0, "%d segments left after the barriers", r);
  it_note("shm: %d barriers of %d members, no segment left", NSHM, NS);

  /* One member with shared memory off: the others follow it to messages
   * (the last child's; the parent and the others have it on). */
  for (int i = 0; i < NS - 1; i++)
    kid[NS - 1 + i] =
        it_spawn_self("shm", "mix", i == NS - 2 ? "off" : "on", (char *)NULL);
  r = shm_rounds("mix");
  IT_CHECK(r == 0, "parent's barriers with a member on messages: %d", r);
  for (int i = 0; i < NS - 1; i++) {
    recv_ints(kid[NS - 1 + i], TAG_INFO, &r, 1);
    IT_CHECK(r == 0, "child t%x's barriers (mixed): %d", kid[NS - 1 + i], r);
  }
  for (int i = 0; i < 2 * (NS - 1); i++)
    send_ints(kid[i], TAG_CMD, (int[]){CMD_EXIT}, 1);
  it_note("shm: a member with it off among members with it on: OK");
}

int main(int argc, char **argv) {
  it_guard(60);
  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    pvm_setopt(PvmAutoErr, 0);
    if (strcmp(argv[2], "semantics") == 0)
      child_semantics();
    else if (strcmp(argv[2], "barrier") == 0)
      child_barrier();
    else if (strcmp(argv[2], "late") == 0)
      child_late();
    else if (strcmp(argv[2], "kill") == 0 && argc > 3)
      child_kill(argv[3]);
    else if (strcmp(argv[2], "shm") == 0 && argc > 4)
      child_shm(argv[3], argv[4]);
    else if (strcmp(argv[2], "hostdel") == 0)
      child_hostdel();
    IT_FAIL("unknown role %s", argv[2]);
  }
  IT_CHECK(
      argc == 2 || (argc == 4 && strcmp(argv[1], "hostdel") == 0),
      "usage: it_group semantics|barrier|kill|kill9|shm|hostdel HOST OTHER");
  it_set_name(argv[0], argv[1]);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid");
  if (strcmp(argv[1], "semantics") == 0)
    case_semantics();
  else if (strcmp(argv[1], "barrier") == 0)
    case_barrier();
  else if (strcmp(argv[1], "kill") == 0)
    case_kill(0);
  else if (strcmp(argv[1], "kill9") == 0)
    case_kill(1);
  else if (strcmp(argv[1], "hostdel") == 0)
    case_hostdel(argv[2], argv[3]);
  else if (strcmp(argv[1], "shm") == 0)
    case_shm();
  else
    IT_FAIL("unknown case %s", argv[1]);
  pvm_exit();
  return 0;
}
