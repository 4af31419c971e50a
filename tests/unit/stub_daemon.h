/* Test support for the daemon's unit tests: a daemon (struct pvmd, host 1,
 * default limits, a task table) with NLOCAL stand-in task connections,
 * whose frames go to the test's sink instead of a socket. The test defines
 * NLOCAL and its sink before including this file; stub_setup and
 * stub_teardown are cmocka fixtures (stub_teardown calls the test's
 * stub_free_state to free what the code under test keeps). */
#ifndef STUB_DAEMON_H
#define STUB_DAEMON_H

#include <string.h>

#include "pvmd.h"
#include "request.h"
#include "taskconn.h"
#include "taskgone.h"
#include "tasktab.h"
#include "tid.h"

static struct pvmd d;
static struct pvmd_conn conns[NLOCAL];
/* Their reply addresses: a stand-in's are in its sink context. */
static struct pvmd_sinkctx lsc[NLOCAL];
static int local[NLOCAL]; /* their tids */

static int stub_sink(struct pvmd_conn *c, pvmw_frame *f);
static void stub_free_state(void);

static int stub_setup(void **state) {
  (void)state;
  memset(&d, 0, sizeof d);
  memset(conns, 0, sizeof conns);
  memset(lsc, 0, sizeof lsc);
  d.host_no = 1;
  d.tid = pvmw_tid_make(1, 0);
  pvmd_limits_default(&d.lim);
  assert_int_equal(pvmd_tasks_init(&d.tasks, &d, 1, 100), 0);
  for (int i = 0; i < NLOCAL; i++) {
    int err = 0;
    struct pvmd_task *t = pvmd_task_new(&d.tasks, &err);
    assert_non_null(t);
    t->conn = &conns[i];
    t->connected = 1;
    conns[i].d = &d;
    conns[i].state = PVMD_CONN_TASK;
    conns[i].task = t;
    conns[i].sink = stub_sink;
    conns[i].sink_arg = &lsc[i];
    lsc[i].rt.origin_tid = t->tid;
    local[i] = t->tid;
  }
  return 0;
}

/* A stand-in connection for a request forwarded from host from_host for
 * task tid (its answer goes back to that host: here it has nowhere to go).
 * The caller passes fc to the request handler while ft and sc live. */
struct stub_remote {
  struct pvmd_task ft;
  struct pvmd_conn fc;
  struct pvmd_sinkctx sc;
};

static void stub_remote_init(struct stub_remote *r, int from_host, int tid) {
  memset(r, 0, sizeof *r);
  r->ft.tid = tid;
  r->sc.rt.origin_tid = tid;
  r->sc.rt.req_id = 9;
  r->sc.rt.from_host = from_host;
  r->sc.rt.fwd_id = 1;
  r->fc.d = &d;
  r->fc.state = PVMD_CONN_TASK;
  r->fc.task = &r->ft;
  r->fc.sink = stub_sink; /* never reached: answers go through rt */
  r->fc.sink_arg = &r->sc;
}

static int stub_teardown(void **state) {
  (void)state;
  stub_free_state();
  while (!pvmd_list_empty(&d.tasks.all)) {
    struct pvmd_task *t =
        pvmd_container_of(d.tasks.all.next, struct pvmd_task, node);
    t->conn = NULL;
    pvmd_task_release(t);
  }
  pvmd_tasks_free(&d.tasks);
  return 0;
}

#endif
