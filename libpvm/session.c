/* Enrolling and leaving: the session of a task with its daemon. Connecting
 * opens the daemon connection (conn.c), says hello and takes the task's
 * identity from the answer, starts the router (route.c) and wires the
 * connection to it and to the inbox (inbox.c) through the connection's
 * hooks; disconnecting undoes it all in the opposite order. This is the
 * one file that knows every layer of the library's message path, so that
 * none of them needs to know the ones above it. */
#include "conn.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "link.h"
#include "link_tls.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h"
#include "rundir.h"
#include "tid.h"
#include "trace.h"

/* A RouteInfoRequest's answer, or another control frame nobody waits for
 * (takes c). */
static void on_reply(Pvmng__Control *c) {
  if (c->req_id == LPVM_REQ_ROUTE_INFO)
    lpvm_route_info_reply(c);
  else
    pvmng__control__free_unpacked(c, NULL);
}

/* The library's own system messages, from the inbox. */
static void on_sys_message(int bufid, int tag) {
  if (tag == LPVM_TAG_OUTPUT)
    lpvm_output_message(bufid);
  else
    lpvm_siblings_message(bufid);
}

static const struct lpvm_daemon_hooks session_hooks = {
    .route = lpvm_route_daemon_frame,
    .deliver = lpvm_inbox_try,
    .idle = lpvm_route_idle,
    .reply = on_reply,
    .pump = lpvm_link_shm_pump,
};

static const char *self_name(char *buf, size_t len) {
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  if (n <= 0)
    return "";
  buf[n] = '\0';
  const char *slash = strrchr(buf, '/');
  return slash ? slash + 1 : buf;
}

/* The process that enrolled (a child it forks shares its sockets and must
 * leave them alone), and whether the exit hook is registered. */
static struct {
  pid_t pid;
  int hooked;
} exit_hook;

/* A task that ends without pvm_exit (returning from main, exit()) must not
 * take its direct links' unacknowledged messages with it: do for the links
 * what pvm_exit does. Each is sealed with its close record and closed, the
 * messages it had not acknowledged go again through the daemon behind a
 * resume marker, and everything for the daemon is written before the
 * process goes; the daemon reads a task's socket to its end before it
 * processes the exit. The daemon connection itself ends with the process,
 * as it would have without the hook. */
static void on_process_exit(void) {
  if (lpvm_conn.state != LPVM_UP || getpid() != exit_hook.pid)
    return;
  lpvm_route_stop();
  /* Whatever a later exit handler sends goes through the daemon. */
  lpvm_opts.route = PvmDontRoute;
}

int lpvm_connect(const char *fn) {
  char err[256];
  const char *vmid;
  const char *env_sock;
  int rc;
  size_t socklen;
  char *sock = lpvm_daemon_sockbuf(&socklen);
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__Hello hello = PVMNG__HELLO__INIT;
  char namebuf[PATH_MAX];
  struct sigaction sa;

  /* Every call of the API comes here first: the connected case must cost a
   * test, not a walk of the environment. */
  if (lpvm_conn.state == LPVM_UP)
    return 0;
  if (lpvm_conn.state == LPVM_LOST) {
    /* A link lost stays lost until pvm_exit: tids must not change under a
     * running program. */
    return lpvm_err_hint(fn, PvmSysErr, "the connection to pvmd was lost");
  }
  env_sock = getenv("PVMNG_SOCKET");
  lpvm_queue_init();
  vmid = pvmw_vmid(err, sizeof(err));
  if (vmid == NULL)
    return lpvm_err_hint(fn, PvmBadParam, err);
  if (env_sock != NULL && *env_sock != '\0') {
    if (strlen(env_sock) >= socklen)
      return lpvm_err_hint(fn, PvmBadParam, "PVMNG_SOCKET is too long");
    strcpy(sock, env_sock);
  } else if (pvmw_runpath(sock, socklen, vmid, "sock", 0, err, sizeof(err)) <
             0) {
    char hint[400];
    snprintf(hint, sizeof(hint),
             "no pvmd is running for VM id \"%s\" (%s); start one with "
             "`pvm` (the console) or `pvmd`",
             *vmid ? vmid : "default", err);
    return lpvm_err_hint(fn, PvmSysErr, hint);
  }

  /* A task must not die of SIGPIPE because its daemon went away; the error
   * comes back from the call instead. Only the default action is changed. */
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
  }

  lpvm_daemon_set_hooks(&session_hooks);
  lpvm_inbox_set_sys(on_sys_message);
  rc = lpvm_daemon_open();
  if (rc == PvmSysErr || rc == PvmNoMem)
    return lpvm_err(fn, rc);
  if (rc < 0) {
    char hint[400];
    snprintf(hint, sizeof(hint),
             "cannot reach pvmd at %s (%s); start one with `pvm` (the "
             "console) or `pvmd`",
             sock, uv_strerror(rc));
    return lpvm_err_hint(fn, PvmSysErr, hint);
  }
  pvm_useruid = (int)getuid();

  hello.proto_version = PVMW_VERSION;
  hello.vmid = (char *)vmid;
  hello.pid = (int32_t)getpid();
  const char *st = getenv("PVMNG_TID");
  int stid = 0;
  if (st != NULL && pvmw_tid_parse(st, &stid) == 0 && pvmw_tid_is_task(stid))
    hello.spawned_tid = (uint32_t)stid;
  hello.name = (char *)self_name(namebuf, sizeof(namebuf));
  req.body_case = PVMNG__CONTROL__BODY_HELLO;
  req.hello = &hello;
  rc = lpvm_request(&req, &rep);
  if (rc == 0 && (rep->body_case != PVMNG__CONTROL__BODY_HELLO_REPLY ||
                  rep->hello_reply->code != 0)) {
    char hint[300];
    rc = rep->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY
             ? rep->hello_reply->code
             : PvmSysErr;
    snprintf(hint, sizeof(hint), "pvmd refused the connection: %s",
             rep->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY &&
                     rep->hello_reply->reason[0]
                 ? rep->hello_reply->reason
                 : "unexpected answer");
    pvmng__control__free_unpacked(rep, NULL);
    lpvm_conn.state = LPVM_DOWN;
    lpvm_daemon_close();
    return lpvm_err_hint(fn, rc < 0 ? rc : PvmSysErr, hint);
  }
  if (rc < 0) {
    lpvm_conn.state = LPVM_DOWN;
    lpvm_daemon_close();
    return lpvm_err_hint(fn, PvmSysErr, "pvmd closed the connection");
  }
  Pvmng__HelloReply *hr = rep->hello_reply;
  lpvm_conn.mytid = (int)hr->tid;
  lpvm_conn.parent = (int)hr->parent_tid;
  lpvm_conn.spawned = stid != 0 && (int)hr->tid == stid;
  lpvm_conn.dtid = (int)hr->daemon_tid;
  if (hr->max_frame >= 65536 && hr->max_frame <= PVMW_MAX_FRAME)
    lpvm_conn.max_frame = hr->max_frame;
  if (hr->max_message > 0 && hr->max_message <= PVMW_MAX_MESSAGE)
    lpvm_conn.max_msg = hr->max_message;
  /* Output redirection is inherited from the parent (man pvm_setopt). */
  lpvm_opts.out_tid = lpvm_opts.self_out_tid = (int)hr->out_tid;
  lpvm_opts.out_code = lpvm_opts.self_out_code = hr->out_code;
  lpvm_opts.out_ctx = lpvm_opts.self_out_ctx = hr->out_ctx;
  pvmng__control__free_unpacked(rep, NULL);
  /* A spawned task starts in its parent's context at the spawn (task.c
   * passes it); the variable is not handed on to the task's own children. */
  const char *sctx = getenv("PVMNG_CTX");
  if (sctx != NULL) {
    char *end;
    long c = strtol(sctx, &end, 10);
    if (hello.spawned_tid != 0 && *end == '\0' && end != sctx && c > 0 &&
        c <= INT_MAX)
      lpvm_conn.ctx = (int)c;
    unsetenv("PVMNG_CTX");
  }
  lpvm_route_start(lpvm_notify_route);
  exit_hook.pid = getpid();
  if (!exit_hook.hooked && atexit(on_process_exit) == 0)
    exit_hook.hooked = 1;
  const char *poll = getenv("PVMNG_POLL");
  if (poll != NULL && *poll != '\0' && atoi(poll) >= 0)
    lpvm_opts.poll_time = atoi(poll);
  const char *spin = getenv("PVMNG_REMOTE_SPIN_US");
  if (spin != NULL && *spin != '\0') {
    char *end;
    long v = strtol(spin, &end, 10);
    if (*end == '\0' && v >= 0)
      lpvm_opts.remote_spin_us = v > 1000000 ? 1000000 : (int)v;
  }
  if (lpvm_opts.no_reset)
    lpvm_send_task_options(0);
  lpvm_tev_enrolled();
  return 0;
}

void lpvm_disconnect(void) {
  lpvm_route_stop();
  while (lpvm_conn.queue.next != NULL &&
         lpvm_conn.queue.next != &lpvm_conn.queue) {
    struct lpvm_qmsg *m = lpvm_conn.queue.next;
    pvm_freebuf(m->bufid);
    lpvm_queue_remove(m);
  }
  lpvm_mhf_drop();
  lpvm_daemon_close();
  lpvm_inbox_reset();
  lpvm_conn.state = LPVM_DOWN;
  lpvm_conn.mytid = 0;
  lpvm_conn.parent = 0;
  lpvm_conn.spawned = 0;
  lpvm_conn.dtid = 0;
}

/* Tells the daemon the options it acts on: PvmNoReset, and with output
 * set this task's own output destination (PvmSelfOutputTid, Code and
 * Context), which the daemon applies to the output it reads from then on.
 * Called when such an option changes and (PvmNoReset) after connecting. */
void lpvm_send_task_options(int output) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__TaskOptions o = PVMNG__TASK_OPTIONS__INIT;
  if (lpvm_conn.state != LPVM_UP)
    return;
  o.no_reset = lpvm_opts.no_reset != 0;
  if (output) {
    o.set_output = 1;
    o.out_tid = (uint32_t)lpvm_opts.self_out_tid;
    o.out_code = lpvm_opts.self_out_code;
    o.out_ctx = lpvm_opts.self_out_ctx;
  }
  req.body_case = PVMNG__CONTROL__BODY_TASK_OPTIONS;
  req.task_options = &o;
  if (lpvm_request(&req, &rep) == 0)
    pvmng__control__free_unpacked(rep, NULL);
}
