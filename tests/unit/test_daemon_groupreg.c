/* Unit tests for daemon/groupreg.c as the master's registry for several hosts:
 * requests forwarded from other hosts (through stand-in connections) join
 * and leave like local ones; a deleted host's tasks leave every group; a
 * forwarded request naming a task of another host is refused; a slave
 * refuses group requests instead of keeping a registry of its own. Task
 * connections here are stand-ins whose frames are captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pvm3.h>
#include <stdlib.h>
#include <string.h>

#include "groupreg.h"
#include "log.h"
#include "peer_int.h"
#include "pvmd.h"
#include "request.h"
#include "taskconn.h"
#include "tasktab.h"
#include "tid.h"

#define NLOCAL 2

#include "stub_daemon.h"

/* What one local task's connection received. */
struct seen {
  int replies, notices;
  int code, value;  /* of the last GroupReply */
  uint32_t fast;    /* and its fast_version */
  int nt;           /* tids of the last reply's group */
  uint32_t version; /* and its version */
  int tids[16];
};

static struct seen seen[NLOCAL];

static int stub_sink(struct pvmd_conn *c, pvmw_frame *f) {
  struct seen *s = &seen[c - conns];
  if (f->type == PVMW_FT_MESSAGE) {
    s->notices++;
  } else {
    Pvmng__Control *m = pvmw_control_parse(f);
    assert_non_null(m);
    assert_int_equal(m->body_case, PVMNG__CONTROL__BODY_GROUP_REPLY);
    s->replies++;
    s->code = m->group_reply->code;
    s->value = m->group_reply->value;
    s->fast = m->group_reply->fast_version;
    s->nt = 0;
    if (m->group_reply->n_groups > 0)
      s->version = m->group_reply->groups[0]->version;
    if (m->group_reply->n_groups > 0)
      for (size_t i = 0; i < m->group_reply->groups[0]->n_tids && i < 16; i++)
        s->tids[s->nt++] = (int)m->group_reply->groups[0]->tids[i];
    pvmng__control__free_unpacked(m, NULL);
  }
  pvmw_frame_free(f);
  return 0;
}

/* Between tests: the registry and what the stand-ins saw. */
static void stub_free_state(void) {
  pvmd_group_free_all();
  memset(seen, 0, sizeof seen);
}

/* A barrier request's failed_version (local_req takes it, then clears it). */
static uint32_t next_failed;

/* A request as local task i makes it. */
static void local_req(int i, Pvmng__GroupOp op, const char *g, int count) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__GroupRequest r = PVMNG__GROUP_REQUEST__INIT;
  r.op = op;
  r.group = (char *)g;
  r.count = count;
  r.failed_version = next_failed;
  next_failed = 0;
  m.req_id = 7;
  m.body_case = PVMNG__CONTROL__BODY_GROUP;
  m.group = &r;
  pvmd_request(&conns[i], pvmw_control_frame(&m));
}

/* The same request forwarded from host from_host for task tid (its answer
 * goes back to that host: here it has nowhere to go). */
static void remote_req(int from_host, int tid, Pvmng__GroupOp op,
                       const char *g) {
  Pvmng__GroupRequest r = PVMNG__GROUP_REQUEST__INIT;
  struct stub_remote sr;
  stub_remote_init(&sr, from_host, tid);
  r.op = op;
  r.group = (char *)g;
  pvmd_group_request(&sr.fc, 9, &r);
}

static void test_host_gone(void **state) {
  int r1 = pvmw_tid_make(2, 1), r2 = pvmw_tid_make(2, 2);
  int r3 = pvmw_tid_make(3, 1);
  (void)state;
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "g", 0);
  assert_int_equal(seen[0].value, 0);
  remote_req(2, r1, PVMNG__GROUP_OP__GROUP_JOIN, "g");
  remote_req(2, r2, PVMNG__GROUP_OP__GROUP_JOIN, "g");
  remote_req(3, r3, PVMNG__GROUP_OP__GROUP_JOIN, "g");
  remote_req(3, r3, PVMNG__GROUP_OP__GROUP_JOIN, "h");
  local_req(1, PVMNG__GROUP_OP__GROUP_JOIN, "g", 0);
  assert_int_equal(seen[1].code, 0);
  assert_int_equal(seen[1].value, 4);
  assert_int_equal(seen[0].notices, 4); /* r1, r2, r3 and task 1 joined */

  /* Host 2 goes: its two members leave, each change noticed. */
  pvmd_group_host_gone(&d, 2);
  assert_int_equal(seen[0].notices, 6);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "g", 0);
  assert_int_equal(seen[0].code, 0);
  assert_int_equal(seen[0].value, 3);
  assert_int_equal(seen[0].nt, 5);
  assert_int_equal(seen[0].tids[0], local[0]);
  assert_int_equal(seen[0].tids[1], 0);
  assert_int_equal(seen[0].tids[2], 0);
  assert_int_equal(seen[0].tids[3], r3);
  assert_int_equal(seen[0].tids[4], local[1]);
  /* Freed instances are reused, lowest first. */
  remote_req(2, pvmw_tid_make(2, 9), PVMNG__GROUP_OP__GROUP_JOIN, "g");
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "g", 0);
  assert_int_equal(seen[0].tids[1], pvmw_tid_make(2, 9));

  /* Host 3 goes: "h" loses its only member and is forgotten. */
  pvmd_group_host_gone(&d, 3);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "h", 0);
  assert_int_equal(seen[0].code, PvmNoGroup);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "g", 0);
  assert_int_equal(seen[0].value, 3);
  assert_int_equal(seen[0].tids[3], 0);
}

static void test_remote_exit(void **state) {
  int r1 = pvmw_tid_make(2, 1);
  (void)state;
  remote_req(2, r1, PVMNG__GROUP_OP__GROUP_JOIN, "x");
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "x", 0);
  assert_int_equal(seen[0].value, 1);
  /* A registry barrier the remote member never reaches (the members'
   * barrier failed at this version, so the registry counts): its exit (what
   * PeerTaskGone brings) ends it with PvmNoGroup. */
  next_failed = seen[0].version;
  local_req(0, PVMNG__GROUP_OP__GROUP_BARRIER, "x", 2);
  assert_int_equal(seen[0].replies, 1);
  pvmd_group_task_gone(&d, r1);
  assert_int_equal(seen[0].replies, 2);
  assert_int_equal(seen[0].code, PvmNoGroup);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "x", 0);
  assert_int_equal(seen[0].value, 1);
  /* A member that goes while its own registry barrier waits gets that
   * request answered (for a remote task, its daemon holds the request
   * until then). */
  local_req(1, PVMNG__GROUP_OP__GROUP_JOIN, "x", 0);
  next_failed = seen[1].version;
  local_req(1, PVMNG__GROUP_OP__GROUP_BARRIER, "x", 2);
  assert_int_equal(seen[1].replies, 1);
  pvmd_group_task_gone(&d, local[1]);
  assert_int_equal(seen[1].replies, 2);
  assert_int_equal(seen[1].code, PvmNoGroup);
}

/* pvm_barrier(g, count) by members whose views lag: the registry counts
 * them until the group has count members, then hands every waiter back to
 * the members' barrier at that version, with the view; a caller that saw
 * the members' barrier fail at a version is never handed back to it, and
 * then the registry counts the arrivals itself. */
static void test_barrier_hand_back(void **state) {
  int r1 = pvmw_tid_make(2, 1);
  uint32_t v;
  (void)state;
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "b", 0);
  /* Barrier of 3 with one member: the caller waits. */
  local_req(0, PVMNG__GROUP_OP__GROUP_BARRIER, "b", 3);
  assert_int_equal(seen[0].replies, 1);
  local_req(1, PVMNG__GROUP_OP__GROUP_JOIN, "b", 0);
  assert_int_equal(seen[0].replies, 1);
  /* The third join gives the group its count: the waiter goes back to
   * the members, at the version of the join, with the view. */
  remote_req(2, r1, PVMNG__GROUP_OP__GROUP_JOIN, "b");
  assert_int_equal(seen[0].replies, 2);
  assert_int_equal(seen[0].code, 0);
  assert_true(seen[0].fast != 0);
  assert_int_equal(seen[0].fast, seen[0].version);
  assert_int_equal(seen[0].nt, 3);
  v = seen[0].fast;
  /* A caller whose view lags while the group has its count: back at once. */
  local_req(1, PVMNG__GROUP_OP__GROUP_BARRIER, "b", 3);
  assert_int_equal(seen[1].code, 0);
  assert_int_equal(seen[1].fast, v);
  /* The members' barrier failed at v: counted here, never handed back to
   * v; the count is reached by arrivals alone. */
  next_failed = v;
  local_req(0, PVMNG__GROUP_OP__GROUP_BARRIER, "b", 2);
  assert_int_equal(seen[0].replies, 2);
  next_failed = v;
  local_req(1, PVMNG__GROUP_OP__GROUP_BARRIER, "b", 2);
  assert_int_equal(seen[0].replies, 3);
  assert_int_equal(seen[0].code, 0);
  assert_int_equal(seen[0].fast, 0);
  assert_int_equal(seen[1].fast, 0);
  /* Waiters of another count than the group's size: a member leaving
   * makes it the size, and they go back to the members at the new
   * version. */
  local_req(0, PVMNG__GROUP_OP__GROUP_BARRIER, "b", 2);
  assert_int_equal(seen[0].replies, 3);
  pvmd_group_task_gone(&d, r1);
  assert_int_equal(seen[0].replies, 4);
  assert_int_equal(seen[0].code, 0);
  assert_true(seen[0].fast > v);
  assert_int_equal(seen[0].nt, 2);
}

/* The members' agreement before a pvmng_* collective (GROUP_SYNC): held
 * until every member has asked, a join adds one more to wait for, a member
 * that goes is no longer waited for; all get the same view. */
static void test_sync(void **state) {
  int r1 = pvmw_tid_make(2, 1);
  (void)state;
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "s", 0);
  local_req(1, PVMNG__GROUP_OP__GROUP_JOIN, "s", 0);
  local_req(0, PVMNG__GROUP_OP__GROUP_SYNC, "s", 0);
  assert_int_equal(seen[0].replies, 1);
  /* Twice by one member: refused, the first still waits. */
  local_req(0, PVMNG__GROUP_OP__GROUP_SYNC, "s", 0);
  assert_int_equal(seen[0].replies, 2);
  assert_int_equal(seen[0].code, PvmDupGroup);
  /* A join before the last member asks: it must ask too. */
  remote_req(2, r1, PVMNG__GROUP_OP__GROUP_JOIN, "s");
  local_req(1, PVMNG__GROUP_OP__GROUP_SYNC, "s", 0);
  assert_int_equal(seen[0].replies, 2);
  assert_int_equal(seen[1].replies, 1);
  /* It goes instead: the two left agree on the view without it. */
  pvmd_group_task_gone(&d, r1);
  assert_int_equal(seen[0].replies, 3);
  assert_int_equal(seen[1].replies, 2);
  assert_int_equal(seen[0].code, 0);
  assert_int_equal(seen[1].code, 0);
  assert_int_equal(seen[0].nt, 2);
  assert_int_equal(seen[0].version, seen[1].version);
  assert_int_equal(seen[0].tids[0], local[0]);
  assert_int_equal(seen[0].tids[1], local[1]);
  /* Every member at once: answered on the last arrival. */
  local_req(1, PVMNG__GROUP_OP__GROUP_SYNC, "s", 0);
  assert_int_equal(seen[1].replies, 2);
  local_req(0, PVMNG__GROUP_OP__GROUP_SYNC, "s", 0);
  assert_int_equal(seen[0].replies, 4);
  assert_int_equal(seen[1].replies, 3);
  assert_int_equal(seen[1].code, 0);
}

/* A group forgotten and made again under its name starts from a version
 * it never had (libgpvm3's shared-memory barrier names its segment after
 * name and version). */
static void test_versions_unique(void **state) {
  uint32_t v1, v2;
  (void)state;
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "v", 0);
  local_req(1, PVMNG__GROUP_OP__GROUP_JOIN, "v", 0);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "v", 0);
  v1 = seen[0].version;
  local_req(0, PVMNG__GROUP_OP__GROUP_LEAVE, "v", 0);
  local_req(1, PVMNG__GROUP_OP__GROUP_LEAVE, "v", 0);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "v", 0);
  assert_int_equal(seen[0].code, PvmNoGroup);
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "v", 0);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "v", 0);
  v2 = seen[0].version;
  assert_true(v2 > v1);
}

static void test_wrong_host(void **state) {
  (void)state;
  /* Host 2 speaks for a task of host 3: refused, nothing joins. */
  remote_req(2, pvmw_tid_make(3, 4), PVMNG__GROUP_OP__GROUP_JOIN, "w");
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "w", 0);
  assert_int_equal(seen[0].code, PvmNoGroup);
}

static void test_slave_refuses(void **state) {
  struct pvmd_peers ps;
  struct pvmd_link master;
  (void)state;
  memset(&ps, 0, sizeof ps);
  memset(&master, 0, sizeof master);
  ps.d = &d;
  ps.master = &master;
  d.peers = &ps;
  local_req(0, PVMNG__GROUP_OP__GROUP_JOIN, "s", 0);
  d.peers = NULL;
  assert_int_equal(seen[0].replies, 1);
  assert_int_equal(seen[0].code, PvmSysErr);
  local_req(0, PVMNG__GROUP_OP__GROUP_INFO, "s", 0);
  assert_int_equal(seen[0].code, PvmNoGroup);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_host_gone, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_remote_exit, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_wrong_host, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_versions_unique, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_barrier_hand_back, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_sync, stub_setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_slave_refuses, stub_setup,
                                      stub_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
