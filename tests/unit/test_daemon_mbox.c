/* Unit tests for daemon/mbox.c, the message mailbox on the master: the
 * getmboxinfo pattern (PVM 3.4.6's '*' matching anywhere in the name), the
 * bounds on names, bodies and indices, the console's reset, requests
 * forwarded from other hosts (through stand-in connections), a deleted
 * host's entries and waiting gets, a forwarded request naming a task of
 * another host, and a slave that refuses instead of keeping a mailbox of
 * its own. Task connections here are stand-ins whose frames are captured. */
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
#include "mbox.h"
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
  int replies;
  int code;       /* of the last MboxReply */
  char list[512]; /* its classes: "<name>index:owner:flags,...;" */
};

static struct seen seen[NLOCAL];

static int stub_sink(struct pvmd_conn *c, pvmw_frame *f) {
  struct seen *s = &seen[c - conns];
  Pvmng__Control *m = pvmw_control_parse(f);
  size_t len = 0;

  assert_non_null(m);
  assert_int_equal(m->body_case, PVMNG__CONTROL__BODY_MBOX_REPLY);
  s->replies++;
  s->code = m->mbox_reply->code;
  s->list[0] = '\0';
  for (size_t i = 0; i < m->mbox_reply->n_classes; i++) {
    const Pvmng__MboxClass *k = m->mbox_reply->classes[i];
    len +=
        (size_t)snprintf(s->list + len, sizeof s->list - len, "<%s>", k->name);
    for (size_t j = 0; j < k->n_entries; j++)
      len += (size_t)snprintf(s->list + len, sizeof s->list - len, "%s%d:%x:%d",
                              j ? "," : "", k->entries[j]->index,
                              k->entries[j]->owner, k->entries[j]->flags);
    len += (size_t)snprintf(s->list + len, sizeof s->list - len, ";");
  }
  pvmng__control__free_unpacked(m, NULL);
  pvmw_frame_free(f);
  return 0;
}

/* Between tests: the mailbox and what the stand-ins saw. */
static void stub_free_state(void) {
  pvmd_mbox_free_all();
  memset(seen, 0, sizeof seen);
}

/* A request as local task i makes it; returns the reply's code. */
static int req(int i, Pvmng__MboxRequest *r) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  int before = seen[i].replies;
  m.req_id = 7;
  m.body_case = PVMNG__CONTROL__BODY_MBOX;
  m.mbox = r;
  pvmd_request(&conns[i], pvmw_control_frame(&m));
  return seen[i].replies > before ? seen[i].code : 1; /* 1: no answer yet */
}

static int put(int i, const char *name, int flags) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  uint8_t body[4] = {0, 0, 0, 42};
  r.op = PVMNG__MBOX_OP__MBOX_PUT;
  r.name = (char *)name;
  r.index = -1;
  r.flags = flags;
  r.body.data = body;
  r.body.len = sizeof body;
  return req(i, &r);
}

static int get(int i, const char *name, int index, int flags) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  r.op = PVMNG__MBOX_OP__MBOX_GET;
  r.name = (char *)name;
  r.index = index;
  r.flags = flags;
  return req(i, &r);
}

/* The classes pattern lists, as local task 0 sees them. */
static const char *list(const char *pattern) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  r.op = PVMNG__MBOX_OP__MBOX_LIST;
  r.name = (char *)pattern;
  assert_int_equal(req(0, &r), 0);
  return seen[0].list;
}

/* Names only, for the pattern tests. */
static const char *names(const char *pattern) {
  static char out[512];
  const char *p = list(pattern);
  size_t n = 0;
  while (*p != '\0') {
    const char *e = strchr(p, '>');
    assert_non_null(e);
    n += (size_t)snprintf(out + n, sizeof out - n, "%s%.*s", n ? " " : "",
                          (int)(e - p - 1), p + 1);
    p = strchr(e, ';') + 1;
  }
  out[n] = '\0';
  return out;
}

/* The same put forwarded from host from_host for task tid (its answer goes
 * back to that host: here it has nowhere to go). */
static void remote_req(int from_host, int tid, Pvmng__MboxRequest *r) {
  struct stub_remote sr;
  stub_remote_init(&sr, from_host, tid);
  pvmd_mbox_request(&sr.fc, 9, r);
}

static void remote_put(int from_host, int tid, const char *name, int flags) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  r.op = PVMNG__MBOX_OP__MBOX_PUT;
  r.name = (char *)name;
  r.index = -1;
  r.flags = flags;
  remote_req(from_host, tid, &r);
}

static void test_patterns(void **state) {
  (void)state;
  const char *v[] = {"abc", "abd", "xabc", "a*b", "AbC"};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(put(0, v[i], 0), 0);
  assert_string_equal(names(""), "abc abd xabc a*b AbC");
  assert_string_equal(names("*"), "abc abd xabc a*b AbC");
  assert_string_equal(names("**"), "abc abd xabc a*b AbC");
  assert_string_equal(names("ab"), "abc abd xabc");
  assert_string_equal(names("b*c"), "abc xabc");
  assert_string_equal(names("*c"), "abc xabc");
  assert_string_equal(names("c*"), "abc xabc");
  assert_string_equal(names("a*b*c"), "abc xabc");
  assert_string_equal(names("abc*d"), "");
  assert_string_equal(names("\\*"), "a*b");
  assert_string_equal(names("a\\*b"), "a*b");
  assert_string_equal(names("ab."), "");
  assert_string_equal(names("[ab]"), "");
  assert_string_equal(names("AbC"), "AbC");
  assert_string_equal(names("abcx"), "");
}

static void test_bounds(void **state) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  char name[PVMNG__MBOX_LIMIT__MBOX_NAME_MAX + 2];
  uint8_t *big = calloc(1, PVMNG__MBOX_LIMIT__MBOX_ENTRY_MAX + 1);
  (void)state;

  assert_non_null(big);
  memset(name, 'n', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  assert_int_equal(put(0, name, 0), PvmBadParam); /* 256 bytes */
  name[sizeof name - 2] = '\0';
  assert_int_equal(put(0, name, 0), 0); /* 255 */
  assert_int_equal(put(0, "", 0), PvmBadParam);
  r.op = PVMNG__MBOX_OP__MBOX_PUT;
  r.name = "big";
  r.index = -1;
  r.body.data = big;
  r.body.len = PVMNG__MBOX_LIMIT__MBOX_ENTRY_MAX + 1;
  assert_int_equal(req(0, &r), PvmBadParam);
  r.body.len = PVMNG__MBOX_LIMIT__MBOX_ENTRY_MAX;
  assert_int_equal(req(0, &r), 0);
  r.encoding = 7;
  assert_int_equal(req(0, &r), PvmBadParam);
  r.encoding = PvmDataRaw;
  r.index = -2;
  assert_int_equal(req(0, &r), PvmBadParam);
  assert_int_equal(get(0, "big", -1, 0), PvmBadParam);
  assert_int_equal(get(0, "big", 0, 0), 0);
  r.op = 99;
  r.index = 0;
  assert_int_equal(req(0, &r), PvmBadParam);
  free(big);
}

static void test_reset(void **state) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  uint32_t victims[1];
  char want[256];
  (void)state;

  assert_int_equal(put(0, "a", PvmMboxPersistent), 0);
  assert_int_equal(put(0, "b", PvmMboxPersistent | PvmMboxMultiInstance), 0);
  assert_int_equal(put(0, "b", PvmMboxPersistent | PvmMboxMultiInstance), 1);
  assert_int_equal(put(1, "c", PvmMboxPersistent), 0);
  assert_int_equal(put(1, "d", 0), 0);
  pvmd_mbox_task_gone(&d, local[0]); /* a and b lose their owner */
  snprintf(want, sizeof want, "<a>0:0:1;<b>0:0:3,1:0:3;<c>0:%x:1;<d>0:%x:0;",
           local[1], local[1]);
  assert_string_equal(list(""), want);
  /* reset info b 1 */
  r.op = PVMNG__MBOX_OP__MBOX_RESET;
  r.name = "b";
  r.index = 1;
  assert_int_equal(req(1, &r), 0);
  snprintf(want, sizeof want, "<a>0:0:1;<b>0:0:3;<c>0:%x:1;<d>0:%x:0;",
           local[1], local[1]);
  assert_string_equal(list(""), want);
  /* reset info: every ownerless entry, the living owner's stay */
  r.name = "";
  r.index = -1;
  assert_int_equal(req(1, &r), 0);
  snprintf(want, sizeof want, "<c>0:%x:1;<d>0:%x:0;", local[1], local[1]);
  assert_string_equal(list(""), want);
  /* reset killing task 1: its entries go, persistent ones too */
  victims[0] = (uint32_t)local[1];
  r.tids = victims;
  r.n_tids = 1;
  assert_int_equal(req(0, &r), 0);
  assert_string_equal(list(""), "");
}

static void test_host_gone(void **state) {
  int r1 = pvmw_tid_make(2, 1), r2 = pvmw_tid_make(2, 2);
  int r3 = pvmw_tid_make(3, 1);
  Pvmng__MboxRequest w = PVMNG__MBOX_REQUEST__INIT;
  char want[256];
  (void)state;

  remote_put(2, r1, "r", 0);
  remote_put(2, r1, "rp", PvmMboxPersistent);
  remote_put(3, r3, "h3", 0);
  /* a get from host 2 waiting for an entry */
  w.op = PVMNG__MBOX_OP__MBOX_GET;
  w.name = "later";
  w.flags = PvmMboxWaitForInfo | PvmMboxReadAndDelete;
  remote_req(2, r2, &w);
  /* and one of a local task */
  assert_int_equal(get(1, "later2", 0, PvmMboxWaitForInfo), 1);
  snprintf(want, sizeof want, "<r>0:%x:0;<rp>0:%x:1;<h3>0:%x:0;", r1, r1, r3);
  assert_string_equal(list(""), want);

  pvmd_mbox_host_gone(&d, 2);
  snprintf(want, sizeof want, "<rp>0:0:1;<h3>0:%x:0;", r3);
  assert_string_equal(list(""), want);
  /* the waiting get of host 2 went with it: nobody takes the entry */
  assert_int_equal(put(0, "later", PvmMboxOverWritable), 0);
  snprintf(want, sizeof want, "<rp>0:0:1;<h3>0:%x:0;<later>0:%x:4;", r3,
           local[0]);
  assert_string_equal(list(""), want);
  /* the local waiter is answered by the put it waits for */
  assert_int_equal(seen[1].replies, 0);
  assert_int_equal(put(0, "later2", 0), 0);
  assert_int_equal(seen[1].replies, 1);
  assert_int_equal(seen[1].code, 0);
  /* ... or, if its task goes first, with PvmNotFound */
  assert_int_equal(get(1, "later3", 0, PvmMboxWaitForInfo), 1);
  pvmd_mbox_task_gone(&d, local[1]);
  assert_int_equal(seen[1].replies, 2);
  assert_int_equal(seen[1].code, PvmNotFound);
}

static void test_wrong_host(void **state) {
  (void)state;
  /* Host 2 speaks for a task of host 3: refused, nothing stored. */
  remote_put(2, pvmw_tid_make(3, 4), "w", 0);
  assert_string_equal(list(""), "");
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
  assert_int_equal(put(0, "s", 0), PvmSysErr);
  d.peers = NULL;
  assert_string_equal(list(""), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_patterns, stub_setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_bounds, stub_setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_reset, stub_setup, stub_teardown),
      cmocka_unit_test_setup_teardown(test_host_gone, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_wrong_host, stub_setup,
                                      stub_teardown),
      cmocka_unit_test_setup_teardown(test_slave_refuses, stub_setup,
                                      stub_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
