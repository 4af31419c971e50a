/* Fuzz target for a resource manager's answers (daemon/rm.c): a task's
 * request is passed to the RM, and the input is the RM's answer. Whatever
 * it holds, the asking task gets exactly one reply (the one its call waits
 * for, or a Status with a negative code), nothing is read past the body
 * (ASan) and no request is left waiting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pvm3.h>

#include "frame.h"
#include "fuzz.h"
#include "log.h"
#include "pvmd.h"
#include "rm.h"
#include "taskconn.h"
#include "tasktab.h"
#include "tid.h"

static struct pvmd d;
static struct pvmd_conn conns[2]; /* 0: the RM, 1: the task asking */
static int replies, reply_case, reply_code;

static int sink(struct pvmd_conn *c, pvmw_frame *f) {
  if (c == &conns[1]) {
    Pvmng__Control *m;
    FZ_CHECK(f->type == PVMW_FT_CONTROL);
    m = pvmw_control_parse(f);
    FZ_CHECK(m != NULL);
    replies++;
    reply_case = m->body_case;
    reply_code =
        m->body_case == PVMNG__CONTROL__BODY_STATUS ? m->status->code : 0;
    pvmng__control__free_unpacked(m, NULL);
  }
  pvmw_frame_free(f);
  return 0;
}

static void setup(void) {
  static int done;
  if (done)
    return;
  done = 1;
  d.host_no = 1;
  d.tid = pvmw_tid_make(1, 0);
  pvmd_limits_default(&d.lim);
  pvmd_log_quiet();
  FZ_CHECK(pvmd_tasks_init(&d.tasks, &d, 1, 16) == 0);
  pvmd_list_init(&d.rm_pending);
  for (int i = 0; i < 2; i++) {
    int err = 0;
    struct pvmd_task *t = pvmd_task_new(&d.tasks, &err);
    FZ_CHECK(t != NULL);
    t->conn = &conns[i];
    t->connected = 1;
    conns[i].d = &d;
    conns[i].state = PVMD_CONN_TASK;
    conns[i].task = t;
    conns[i].sink = sink;
  }
  pvmd_rm_request(&conns[0], 1);
  FZ_CHECK(pvmd_rm_tid(&d) == conns[0].task->tid);
}

/* Request kind k from task 1, passed to the RM; its tag and the body case
 * of the reply it waits for. */
static int ask(int k, int *want) {
  static char *argv[] = {"a"}, *hosts[] = {"h1", "h2"};
  Pvmng__Control m = PVMNG__CONTROL__INIT, *h;
  Pvmng__SpawnRequest sp = PVMNG__SPAWN_REQUEST__INIT;
  Pvmng__TasksRequest tr = PVMNG__TASKS_REQUEST__INIT;
  Pvmng__ConfigRequest cr = PVMNG__CONFIG_REQUEST__INIT;
  Pvmng__HostsRequest hr = PVMNG__HOSTS_REQUEST__INIT;
  Pvmng__TaskerRequest rr = PVMNG__TASKER_REQUEST__INIT;
  static const int tags[FZ_RM_NKINDS] = {PVMD_SM_SPAWN,   PVMD_SM_TASK,
                                         PVMD_SM_CONFIG,  PVMD_SM_ADDHOST,
                                         PVMD_SM_DELHOST, PVMD_SM_SCHED};
  pvmw_frame *f;

  hr.hosts = hosts;
  hr.n_hosts = 2;
  switch (k) {
  case 0:
    sp.file = "prog";
    sp.argv = argv;
    sp.n_argv = 1;
    sp.where = "";
    sp.wd = "";
    sp.ntask = 2;
    m.body_case = PVMNG__CONTROL__BODY_SPAWN;
    m.spawn = &sp;
    *want = PVMNG__CONTROL__BODY_SPAWN_REPLY;
    break;
  case 1:
    m.body_case = PVMNG__CONTROL__BODY_TASKS;
    m.tasks = &tr;
    *want = PVMNG__CONTROL__BODY_TASKS_REPLY;
    break;
  case 2:
    m.body_case = PVMNG__CONTROL__BODY_CONFIG;
    m.config = &cr;
    *want = PVMNG__CONTROL__BODY_CONFIG_REPLY;
    break;
  case 3:
  case 4:
    m.body_case = k == 3 ? PVMNG__CONTROL__BODY_ADD_HOSTS
                         : PVMNG__CONTROL__BODY_DEL_HOSTS;
    if (k == 3)
      m.add_hosts = &hr;
    else
      m.del_hosts = &hr;
    *want = PVMNG__CONTROL__BODY_HOSTS_REPLY;
    break;
  default:
    rr.rm = 1;
    m.body_case = PVMNG__CONTROL__BODY_TASKER;
    m.tasker = &rr;
    *want = PVMNG__CONTROL__BODY_RM_REPLY;
    break;
  }
  m.req_id = 7;
  f = pvmw_control_frame(&m);
  FZ_CHECK(f != NULL);
  h = pvmw_control_parse(f);
  pvmw_frame_free(f);
  FZ_CHECK(h != NULL);
  FZ_CHECK(pvmd_rm_divert(&conns[1], 7, h) == 1);
  return tags[k];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int k, tag, want;
  uint8_t flags;
  uint8_t *body;
  size_t len;

  if (size < FZ_RM_PREFIX)
    return 0;
  setup();
  k = data[0] % FZ_RM_NKINDS;
  flags = data[1];
  len = size - FZ_RM_PREFIX;
  /* An exact-size copy, so that ASan sees any read past the end. */
  body = malloc(len ? len : 1);
  FZ_CHECK(body != NULL);
  memcpy(body, data + FZ_RM_PREFIX, len);
  tag = ask(k, &want);
  replies = 0;
  FZ_CHECK(pvmd_rm_message(&conns[0], conns[1].task->tid, tag, 0, 0,
                           (flags & FZ_RM_RAW) ? PvmDataRaw : PvmDataDefault,
                           body, len, !(flags & FZ_RM_PARTIAL)) == 1);
  free(body);
  FZ_CHECK(pvmd_list_empty(&d.rm_pending));
  FZ_CHECK(replies == 1);
  FZ_CHECK(reply_case == want ||
           (reply_case == PVMNG__CONTROL__BODY_STATUS && reply_code < 0));
  /* A hand-over makes the asking task the RM: give the role back. */
  if (pvmd_rm_tid(&d) != conns[0].task->tid)
    d.rm_tid = conns[0].task->tid;
  return 0;
}
