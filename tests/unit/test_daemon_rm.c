/* Unit tests for daemon/rm.c, the resource manager: registration, a
 * request passed to the RM in PVM 3.4's SM_* layout, the RM's answer made
 * the task's reply, every kind of malformed answer failing that one request
 * with PvmBadMsg (under ASan: never a read past the body), and the RM's exit
 * handing its unanswered requests back to the daemon; malformed SM_EXEC
 * refused with SM_EXECACK, SM_HOSTX; a request of another host's task
 * passed to the RM here, and a task here whose RM is on another host.
 * Stand-in connection 0 is the RM, 1 the task asking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peer_int.h"
#include "pvmd.h"
#include "request.h"
#include "rm.h"
#include "taskconn.h"
#include "tasktab.h"
#include "tid.h"
#include "xdr.h"

#define NLOCAL 2

#include "stub_daemon.h"

/* What each stand-in received last. */
struct seen {
  int frames;
  int body_case; /* of the last control frame */
  int code;      /* Status code, RmReply code */
  int n;         /* hosts, tids, tasks, results in the last reply */
  int first;     /* the first tid / host tid / result */
  char name[64]; /* the first host or task name */
  int tag, src;  /* of the last message frame */
  uint8_t body[512];
  size_t len;
};

static struct seen seen[NLOCAL];

static int stub_sink(struct pvmd_conn *c, pvmw_frame *f) {
  struct seen *s = &seen[c - conns];
  s->frames++;
  if (f->type == PVMW_FT_MESSAGE) {
    Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
    const uint8_t *body;
    uint32_t len;
    assert_int_equal(pvmw_msghdr_decode(f->payload, f->len, &h, &body, &len),
                     0);
    s->tag = h.tag;
    s->src = (int)h.src;
    assert_true(len <= sizeof s->body);
    memcpy(s->body, body, len);
    s->len = len;
  } else {
    Pvmng__Control *m = pvmw_control_parse(f);
    assert_non_null(m);
    s->body_case = m->body_case;
    s->n = 0;
    s->name[0] = '\0';
    switch (m->body_case) {
    case PVMNG__CONTROL__BODY_STATUS:
      s->code = m->status->code;
      break;
    case PVMNG__CONTROL__BODY_RM_REPLY:
      s->code = m->rm_reply->code;
      break;
    case PVMNG__CONTROL__BODY_CONFIG_REPLY:
      s->n = (int)m->config_reply->n_hosts;
      if (s->n > 0) {
        s->first = (int)m->config_reply->hosts[0]->tid;
        snprintf(s->name, sizeof s->name, "%s",
                 m->config_reply->hosts[0]->name);
      }
      break;
    case PVMNG__CONTROL__BODY_SPAWN_REPLY:
      s->n = (int)m->spawn_reply->n_tids;
      s->first = s->n ? m->spawn_reply->tids[0] : 0;
      break;
    case PVMNG__CONTROL__BODY_TASKS_REPLY:
      s->n = (int)m->tasks_reply->n_tasks;
      if (s->n > 0) {
        s->first = (int)m->tasks_reply->tasks[0]->tid;
        snprintf(s->name, sizeof s->name, "%s", m->tasks_reply->tasks[0]->name);
      }
      break;
    case PVMNG__CONTROL__BODY_HOSTS_REPLY:
      s->n = (int)m->hosts_reply->n_results;
      s->first = s->n ? m->hosts_reply->results[0] : 0;
      break;
    default:
      break;
    }
    pvmng__control__free_unpacked(m, NULL);
  }
  pvmw_frame_free(f);
  return 0;
}

static void stub_free_state(void) {
  pvmd_rm_task_gone(&d, d.rm_tid);
  memset(seen, 0, sizeof seen);
}

/* The stand-in daemon, with connection 0 registered as the RM. */
static int setup(void **state) {
  stub_setup(state);
  pvmd_list_init(&d.rm_pending);
  pvmd_log_quiet();
  memset(seen, 0, sizeof seen);
  pvmd_rm_request(&conns[0], 3);
  return 0;
}

/* A heap copy of request m (as pvmd_request hands it on). */
static Pvmng__Control *heap(Pvmng__Control *m) {
  pvmw_frame *f = pvmw_control_frame(m);
  Pvmng__Control *c;
  assert_non_null(f);
  c = pvmw_control_parse(f);
  pvmw_frame_free(f);
  assert_non_null(c);
  return c;
}

/* Task 1 asks pvm_config; the RM gets SM_CONFIG. */
static void ask_config(void) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__ConfigRequest r = PVMNG__CONFIG_REQUEST__INIT;
  m.req_id = 11;
  m.body_case = PVMNG__CONTROL__BODY_CONFIG;
  m.config = &r;
  assert_int_equal(pvmd_rm_divert(&conns[1], 11, heap(&m)), 1);
  assert_int_equal(seen[0].tag, PVMD_SM_CONFIG);
  assert_int_equal(seen[0].src, local[1]);
}

/* Task 1 asks pvm_spawn of n tasks; the RM gets SM_SPAWN. */
static void ask_spawn(int n) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__SpawnRequest r = PVMNG__SPAWN_REQUEST__INIT;
  char *argv[] = {"a1", "a2"};
  r.file = "prog";
  r.where = "";
  r.ntask = n;
  r.argv = argv;
  r.n_argv = 2;
  r.wd = "";
  m.req_id = 12;
  m.body_case = PVMNG__CONTROL__BODY_SPAWN;
  m.spawn = &r;
  assert_int_equal(pvmd_rm_divert(&conns[1], 12, heap(&m)), 1);
  assert_int_equal(seen[0].tag, PVMD_SM_SPAWN);
}

/* A body being written for an answer. */
struct out {
  uint8_t b[512];
  size_t len;
};
static void oint(struct out *o, int v) {
  o->len = (size_t)(pvmw_xdr_put_int(o->b + o->len, v) - o->b);
}
static void ostr(struct out *o, const char *s) {
  o->len = (size_t)(pvmw_xdr_put_str(o->b + o->len, s) - o->b);
}
/* The RM answers task 1 with tag and o; returns 1 if it was taken. */
static int reply(int tag, const struct out *o, uint32_t enc, int whole) {
  return pvmd_rm_message(&conns[0], local[1], tag, 0, 0, enc, o->b, o->len,
                         whole);
}

static void test_register(void **state) {
  (void)state;
  assert_int_equal(pvmd_rm_tid(&d), local[0]);
  assert_int_equal(seen[0].body_case, PVMNG__CONTROL__BODY_RM_REPLY);
  assert_int_equal(seen[0].code, 0);
  /* The RM's own requests stay with the daemon. */
  {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__ConfigRequest r = PVMNG__CONFIG_REQUEST__INIT;
    Pvmng__Control *h;
    m.body_case = PVMNG__CONTROL__BODY_CONFIG;
    m.config = &r;
    h = heap(&m);
    assert_int_equal(pvmd_rm_divert(&conns[0], 1, h), 0);
    pvmng__control__free_unpacked(h, NULL);
  }
}

static void test_spawn_request_layout(void **state) {
  const char *s;
  size_t pos = 0;
  int v;
  (void)state;
  ask_spawn(3);
  assert_int_equal(pvmw_xdr_get_str(seen[0].body, seen[0].len, &pos, &s), 0);
  assert_string_equal(s, "prog");
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, 0); /* flags */
  assert_int_equal(pvmw_xdr_get_str(seen[0].body, seen[0].len, &pos, &s), 0);
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, 3); /* count */
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, 2); /* nargs */
  assert_int_equal(pvmw_xdr_get_str(seen[0].body, seen[0].len, &pos, &s), 0);
  assert_string_equal(s, "a1");
}

static void test_answers(void **state) {
  struct out o = {{0}, 0};
  uint8_t two[PVMW_XDR_ITEM_HDR + 8];
  (void)state;
  ask_config();
  oint(&o, 1);
  oint(&o, 1);
  oint(&o, 0x1c0000);
  ostr(&o, "rm-host");
  ostr(&o, "ARCH");
  oint(&o, 7);
  oint(&o, 0);
  assert_int_equal(reply(PVMD_SM_CONFIG, &o, PvmDataDefault, 1), 1);
  assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_CONFIG_REPLY);
  assert_int_equal(seen[1].n, 1);
  assert_int_equal(seen[1].first, 0x1c0000);
  assert_string_equal(seen[1].name, "rm-host");
  /* Not pending any more: the same tag again is an ordinary message. */
  assert_int_equal(reply(PVMD_SM_CONFIG, &o, PvmDataDefault, 1), 0);

  /* Several ints in one item, as pvm_pkint(tids, 2, 1) packs them. */
  ask_spawn(2);
  o.len = 0;
  oint(&o, 2);
  pvmw_xdr_item(two, PVMW_XT_INT, 2);
  pvmw_put_be32(two + PVMW_XDR_ITEM_HDR, 0x40009);
  pvmw_put_be32(two + PVMW_XDR_ITEM_HDR + 4, (uint32_t)PvmNoFile);
  memcpy(o.b + o.len, two, sizeof two);
  o.len += sizeof two;
  assert_int_equal(reply(PVMD_SM_SPAWN, &o, PvmDataDefault, 1), 1);
  assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_SPAWN_REPLY);
  assert_int_equal(seen[1].n, 2);
  assert_int_equal(seen[1].first, 0x40009);

  /* An error for the whole request reaches the task as it is. */
  ask_spawn(1);
  o.len = 0;
  oint(&o, PvmNoHost);
  assert_int_equal(reply(PVMD_SM_SPAWN, &o, PvmDataDefault, 1), 1);
  assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_STATUS);
  assert_int_equal(seen[1].code, PvmNoHost);
}

/* Each malformed SM_CONFIG answer fails the request with PvmBadMsg. */
static void test_malformed(void **state) {
  struct out o;
  (void)state;
  for (int k = 0; k < 8; k++) {
    uint32_t enc = PvmDataDefault;
    int whole = 1;
    memset(&o, 0, sizeof o);
    switch (k) {
    case 0: /* empty */
      break;
    case 1: /* a string for the host count */
      ostr(&o, "two");
      break;
    case 2: /* a host count far over the limit */
      oint(&o, 1 << 30);
      oint(&o, 1);
      break;
    case 3: /* an item whose count reaches past the end */
      pvmw_xdr_item(o.b, PVMW_XT_INT, 0x40000000u);
      o.len = PVMW_XDR_ITEM_HDR + 4;
      break;
    case 4: /* a host whose name has no NUL inside the body */
      oint(&o, 1);
      oint(&o, 1);
      oint(&o, 0x40000);
      pvmw_xdr_item(o.b + o.len, PVMW_XT_STR, 4);
      memcpy(o.b + o.len + PVMW_XDR_ITEM_HDR, "abcd", 4);
      o.len += PVMW_XDR_ITEM_HDR + 4;
      break;
    case 5: /* a host cut short */
      oint(&o, 2);
      oint(&o, 1);
      oint(&o, 0x40000);
      ostr(&o, "h");
      break;
    case 6: /* raw encoding */
      oint(&o, 0);
      oint(&o, 0);
      enc = PvmDataRaw;
      break;
    case 7: /* in several fragments */
      oint(&o, 0);
      whole = 0;
      break;
    }
    ask_config();
    assert_int_equal(reply(PVMD_SM_CONFIG, &o, enc, whole), 1);
    assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_STATUS);
    assert_int_equal(seen[1].code, PvmBadMsg);
  }
  /* More tids than tasks asked for. */
  ask_spawn(1);
  memset(&o, 0, sizeof o);
  oint(&o, 5);
  for (int i = 0; i < 5; i++)
    oint(&o, 0x40009);
  assert_int_equal(reply(PVMD_SM_SPAWN, &o, PvmDataDefault, 1), 1);
  assert_int_equal(seen[1].code, PvmBadMsg);
  /* The RM is still the RM. */
  assert_int_equal(pvmd_rm_tid(&d), local[0]);
}

static void test_rm_gone(void **state) {
  (void)state;
  ask_config();
  seen[1].frames = 0;
  pvmd_rm_task_gone(&d, local[0]);
  assert_int_equal(d.rm_tid, 0);
  /* The daemon answered what the RM left. */
  assert_int_equal(seen[1].frames, 1);
  assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_CONFIG_REPLY);
  /* And keeps what comes next. */
  {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__ConfigRequest r = PVMNG__CONFIG_REQUEST__INIT;
    Pvmng__Control *h;
    m.body_case = PVMNG__CONTROL__BODY_CONFIG;
    m.config = &r;
    h = heap(&m);
    assert_int_equal(pvmd_rm_divert(&conns[1], 2, h), 0);
    pvmng__control__free_unpacked(h, NULL);
  }
}

static void test_asker_gone(void **state) {
  (void)state;
  ask_config();
  ask_spawn(2);
  /* The asking task leaves: its requests go (ASan: nothing leaks). */
  pvmd_rm_task_gone(&d, local[1]);
  assert_true(pvmd_list_empty(&d.rm_pending));
}

/* Malformed SM_EXEC from the RM: refused with SM_EXECACK before anything
 * is started (under ASan: no read past the body). */
static void test_exec_refused(void **state) {
  struct out o;
  size_t pos;
  int v = 0;
  (void)state;
  for (int k = 0; k < 5; k++) {
    memset(&o, 0, sizeof o);
    switch (k) {
    case 0: /* empty */
      break;
    case 1: /* a count out of range */
      oint(&o, local[1]);
      ostr(&o, "prog");
      oint(&o, 0);
      oint(&o, 1 << 20);
      break;
    case 2: /* an argument count larger than the body */
      oint(&o, local[1]);
      ostr(&o, "prog");
      oint(&o, 0);
      oint(&o, 2);
      oint(&o, 1000000);
      break;
    case 3: /* an argument that is an int */
      oint(&o, local[1]);
      ostr(&o, "prog");
      oint(&o, 0);
      oint(&o, 2);
      oint(&o, 1);
      oint(&o, 7);
      break;
    case 4: /* no output tid, context and tag */
      oint(&o, local[1]);
      ostr(&o, "prog");
      oint(&o, 0);
      oint(&o, 2);
      oint(&o, 0);
      break;
    }
    seen[0].tag = 0;
    assert_int_equal(
        pvmd_rm_daemon_message(&conns[0], PVMD_SM_EXEC, 0, 0, o.b, o.len), 1);
    assert_int_equal(seen[0].tag, PVMD_SM_EXECACK);
    assert_int_equal(seen[0].src, d.tid);
    pos = 0;
    assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
    if (v > 0) { /* the count it knew, each entry an error */
      assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v),
                       0);
      assert_int_equal(v, PvmBadMsg);
    }
  }
  /* Only the RM's SM_EXEC is taken. */
  memset(&o, 0, sizeof o);
  assert_int_equal(
      pvmd_rm_daemon_message(&conns[1], PVMD_SM_EXEC, 0, 0, o.b, o.len), 0);
}

/* What the daemons do not carry out for an RM is refused at once. */
static void test_unsupported(void **state) {
  struct out o;
  size_t pos = 0;
  int v = 0;
  const char *name;
  (void)state;
  /* SM_EXEC to the daemon of a host not in the VM: SM_EXECACK, PvmNoHost
   * per task. */
  memset(&o, 0, sizeof o);
  oint(&o, local[1]);
  ostr(&o, "prog");
  oint(&o, 0);
  oint(&o, 2);
  assert_int_equal(pvmd_rm_message(&conns[0], pvmw_tid_make(2, 0), PVMD_SM_EXEC,
                                   0, 0, PvmDataDefault, o.b, o.len, 1),
                   1);
  assert_int_equal(seen[0].tag, PVMD_SM_EXECACK);
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, 2);
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, PvmNoHost);
  /* SM_ADD: SM_ADDACK, PvmNotImpl per host, with its name. */
  memset(&o, 0, sizeof o);
  oint(&o, 1);
  ostr(&o, "newhost");
  assert_int_equal(
      pvmd_rm_daemon_message(&conns[0], PVMD_SM_ADD, 0, 0, o.b, o.len), 1);
  assert_int_equal(seen[0].tag, PVMD_SM_ADDACK);
  pos = 0;
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, 1);
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, PvmNotImpl);
  assert_int_equal(pvmw_xdr_get_str(seen[0].body, seen[0].len, &pos, &name), 0);
  assert_string_equal(name, "newhost");
  /* An ordinary message from the RM to a daemon is not taken. */
  assert_int_equal(pvmd_rm_message(&conns[0], pvmw_tid_make(2, 0), 5, 0, 0,
                                   PvmDataDefault, o.b, o.len, 1),
                   0);
}

/* A second task's pvm_reg_rm goes to the RM (SM_SCHED); its answer of 0
 * hands the role over. */
static void test_handoff(void **state) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__TaskerRequest r = PVMNG__TASKER_REQUEST__INIT;
  struct out o;
  (void)state;
  r.rm = 1;
  m.body_case = PVMNG__CONTROL__BODY_TASKER;
  m.tasker = &r;
  assert_int_equal(pvmd_rm_divert(&conns[1], 5, heap(&m)), 1);
  assert_int_equal(seen[0].tag, PVMD_SM_SCHED);
  memset(&o, 0, sizeof o);
  oint(&o, 0);
  oint(&o, d.tid);
  ostr(&o, "master");
  ostr(&o, "ARCH");
  oint(&o, 1000);
  assert_int_equal(reply(PVMD_SM_SCHED, &o, PvmDataDefault, 1), 1);
  assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_RM_REPLY);
  assert_int_equal(seen[1].code, 0);
  assert_int_equal(pvmd_rm_tid(&d), local[1]);
}

/* A request of a task of host 2, forwarded here for this host's RM: the RM
 * gets it from that task and its answer is taken; one the RM leaves
 * unanswered is run for the VM when it goes (ASan: nothing leaks). */
static void test_remote_asker(void **state) {
  struct pvmd_reply_to rt = {pvmw_tid_make(2, 5), 21, 2, 7};
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__ConfigRequest r = PVMNG__CONFIG_REQUEST__INIT;
  struct out o = {{0}, 0};
  (void)state;
  m.req_id = 21;
  m.body_case = PVMNG__CONTROL__BODY_CONFIG;
  m.config = &r;
  assert_int_equal(pvmd_rm_divert_remote(&d, &rt, heap(&m)), 1);
  assert_int_equal(seen[0].tag, PVMD_SM_CONFIG);
  assert_int_equal(seen[0].src, rt.origin_tid);
  oint(&o, 0);
  oint(&o, 0);
  assert_int_equal(pvmd_rm_message(&conns[0], rt.origin_tid, PVMD_SM_CONFIG, 0,
                                   0, PvmDataDefault, o.b, o.len, 1),
                   1);
  assert_true(pvmd_list_empty(&d.rm_pending));
  assert_int_equal(pvmd_rm_divert_remote(&d, &rt, heap(&m)), 1);
  assert_false(pvmd_list_empty(&d.rm_pending));
  pvmd_rm_task_gone(&d, local[0]);
  assert_true(pvmd_list_empty(&d.rm_pending));
  assert_int_equal(d.vm_rm_tid, 0);
  /* No RM here any more: the request is not taken. */
  {
    Pvmng__Control *h = heap(&m);
    assert_int_equal(pvmd_rm_divert_remote(&d, &rt, h), 0);
    pvmng__control__free_unpacked(h, NULL);
  }
}

/* The VM's RM is on host 2: a task here has its request sent there (no
 * link in this test: PvmNoHost), and its pvm_reg_rm is refused with
 * PvmExists; when that RM is gone the daemon serves it. */
static void test_rm_elsewhere(void **state) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__ConfigRequest r = PVMNG__CONFIG_REQUEST__INIT;
  Pvmng__Control t = PVMNG__CONTROL__INIT;
  Pvmng__TaskerRequest tr = PVMNG__TASKER_REQUEST__INIT;
  Pvmng__Control *h;
  (void)state;
  pvmd_rm_task_gone(&d, local[0]);
  assert_int_equal(pvmd_hosts_init(&d.hosts, 1, "h1", NULL), 0);
  assert_int_equal(pvmd_hosts_add(&d.hosts, pvmw_tid_make(2, 0), "h2"), 0);
  d.vm_rm_tid = pvmw_tid_make(2, 1);
  m.body_case = PVMNG__CONTROL__BODY_CONFIG;
  m.config = &r;
  assert_int_equal(pvmd_rm_divert(&conns[1], 31, heap(&m)), 1);
  assert_int_equal(seen[1].body_case, PVMNG__CONTROL__BODY_STATUS);
  assert_int_equal(seen[1].code, PvmNoHost);
  tr.rm = 1;
  t.body_case = PVMNG__CONTROL__BODY_TASKER;
  t.tasker = &tr;
  assert_int_equal(pvmd_rm_divert(&conns[1], 32, heap(&t)), 1);
  assert_int_equal(seen[1].code, PvmExists);
  /* The RM's own requests stay with its daemon; so do all once it left. */
  d.vm_rm_tid = 0;
  h = heap(&m);
  assert_int_equal(pvmd_rm_divert(&conns[1], 33, h), 0);
  pvmng__control__free_unpacked(h, NULL);
  pvmd_hosts_free(&d.hosts);
}

static void test_hostx(void **state) {
  size_t pos = 0;
  int v;
  (void)state;
  pvmd_rm_host_gone(&d, pvmw_tid_make(3, 0));
  assert_int_equal(seen[0].tag, PVMD_SM_HOSTX);
  assert_int_equal(pvmw_xdr_get_int(seen[0].body, seen[0].len, &pos, &v), 0);
  assert_int_equal(v, pvmw_tid_make(3, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_register, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_spawn_request_layout, setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_answers, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_malformed, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_rm_gone, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_asker_gone, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_exec_refused, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_unsupported, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_handoff, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_hostx, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_remote_asker, setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_rm_elsewhere, setup, stub_teardown),
  };
  (void)stub_remote_init; /* requests from other hosts: not needed here */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
