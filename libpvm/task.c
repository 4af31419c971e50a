/* Task and virtual-machine control: who am I (pvm_mytid, pvm_parent),
 * leaving (pvm_exit), spawning and killing tasks, and the queries that the
 * daemon answers (pvm_config, pvm_tasks, pvm_pstat, pvm_mstat). Each call
 * is one control request to the local daemon and one reply. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h"
#include "tid.h"
#include "tlsload.h"
#include "trace.h"

int pvm_mytid(void) {
  int rc = lpvm_connect("pvm_mytid");
  if (LPVM_TRACING() && rc >= 0) {
    int x = lpvm_tev_in(TEV_MYTID, "");
    lpvm_tev_out(x, TEV_MYTID, "i", TEV_DID_MT, lpvm_conn.mytid);
  }
  return rc < 0 ? rc : lpvm_conn.mytid;
}

int pvm_parent(void) {
  int rc = lpvm_connect("pvm_parent");
  if (rc < 0)
    return rc;
  /* Not an error worth printing: most tasks ask to learn whether they are
   * the master (man pvm_parent). A task spawned with PvmNoSpawnParent (the
   * console's children among them) has no parent but was spawned: PVM
   * 3.4.6 answers PvmParentNotSet, and PvmNoParent only to a task started
   * by hand. */
  if (lpvm_conn.parent > 0)
    return lpvm_conn.parent;
  return lpvm_conn.spawned ? PvmParentNotSet : PvmNoParent;
}

/* Sends req and checks that the reply has the expected body. Returns 0 with
 * *rep set, or a negative PVM code (reported under fn). */
static int call(const char *fn, Pvmng__Control *req, Pvmng__Control **rep,
                Pvmng__Control__BodyCase want) {
  int rc = lpvm_connect(fn);
  if (rc < 0)
    return rc;
  rc = lpvm_request(req, rep);
  if (rc < 0)
    return lpvm_err_hint(fn, rc, "the connection to pvmd was lost");
  if ((*rep)->body_case != want) {
    int code = PvmSysErr;
    char hint[320] = "";
    if ((*rep)->body_case == PVMNG__CONTROL__BODY_STATUS &&
        (*rep)->status->code < 0) {
      code = (*rep)->status->code;
      /* The daemon's reason, when it gives one (a resource manager's
       * malformed answer, memory): the task learns what went wrong. */
      if ((*rep)->status->reason != NULL)
        snprintf(hint, sizeof hint, "%s", (*rep)->status->reason);
    }
    pvmng__control__free_unpacked(*rep, NULL);
    *rep = NULL;
    return lpvm_err_hint(fn, code, hint[0] ? hint : NULL);
  }
  return 0;
}

/* A request answered by a Status: returns its code (or value when ok). */
static int status_call(const char *fn, Pvmng__Control *req, int quiet) {
  Pvmng__Control *rep;
  int rc = call(fn, req, &rep, PVMNG__CONTROL__BODY_STATUS);
  if (rc < 0)
    return rc;
  rc = rep->status->code < 0 ? rep->status->code : rep->status->value;
  pvmng__control__free_unpacked(rep, NULL);
  if (rc < 0 && !quiet)
    return lpvm_err(fn, rc);
  return rc;
}

int pvm_exit(void) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__ExitRequest ex = PVMNG__EXIT_REQUEST__INIT;
  if (lpvm_conn.state == LPVM_DOWN)
    return 0;
  if (lpvm_conn.state == LPVM_UP) {
    /* With output collection on, wait for the children's output to end
     * (man pvm_catchout), then leave; PVM 3.4.6 announces the wait on
     * stderr whenever a caught task's EOF has not been printed yet. */
    if (lpvm_output_pending() > 0)
      pvmlogerror("child task(s) still running.  waiting...\n");
    while (lpvm_output_pending() > 0 && lpvm_pump(-1) == 0)
      ;
    /* The exit event and what tracing still holds leave before the
     * links close. */
    if (LPVM_TRACING())
      lpvm_tev_exit();
    /* Direct links close before the daemon hears of the exit: what they
     * had not acknowledged goes through the daemon, which takes no message
     * from a task after its exit request. */
    lpvm_route_stop();
    req.body_case = PVMNG__CONTROL__BODY_EXIT;
    req.exit = &ex;
    if (lpvm_request(&req, &rep) == 0)
      pvmng__control__free_unpacked(rep, NULL);
  }
  lpvm_output_flush();
  lpvm_disconnect();
  lpvm_notify_reset();
  lpvm_buf_free_all();
  return 0;
}

/* ---- spawning ---------------------------------------------------------- */

static void send_siblings(const int *tids, int n);

/* Adds NAME=value for every variable named in PVM_EXPORT (and PVM_EXPORT
 * itself), as PVM passes them to children. Returns the count or -1. */
static int collect_env(char ***out) {
  const char *exp = getenv("PVM_EXPORT");
  char **env = NULL;
  int n = 0;
  char *list, *tok, *save;

  *out = NULL;
  if (exp == NULL)
    return 0;
  list = malloc(strlen(exp) + sizeof("PVM_EXPORT:"));
  if (list == NULL)
    return -1;
  sprintf(list, "PVM_EXPORT:%s", exp);
  for (tok = strtok_r(list, ":", &save); tok != NULL;
       tok = strtok_r(NULL, ":", &save)) {
    const char *v = getenv(tok);
    int dup = 0;
    if (v == NULL)
      continue;
    for (int i = 0; i < n && !dup; i++)
      dup =
          strncmp(env[i], tok, strlen(tok)) == 0 && env[i][strlen(tok)] == '=';
    if (dup)
      continue;
    char **ne = realloc(env, sizeof(*env) * (size_t)(n + 1));
    if (ne == NULL)
      goto fail;
    env = ne;
    if ((env[n] = malloc(strlen(tok) + strlen(v) + 2)) == NULL)
      goto fail;
    sprintf(env[n], "%s=%s", tok, v);
    n++;
  }
  free(list);
  *out = env;
  return n;
fail:
  for (int i = 0; i < n; i++)
    free(env[i]);
  free(env);
  free(list);
  return -1;
}

static int spawn_call(char *task, char **argv, int flag, char *where, int ntask,
                      int *tids);

int pvm_spawn(char *task, char **argv, int flag, char *where, int ntask,
              int *tids) {
  if (LPVM_TRACING()) {
    int x = lpvm_tev_in(TEV_SPAWN, "ssii", TEV_DID_SE, task, TEV_DID_SW, where,
                        TEV_DID_SF, flag, TEV_DID_SC, ntask);
    int rc = spawn_call(task, argv, flag, where, ntask, tids);
    lpvm_tev_out(x, TEV_SPAWN, "ia", TEV_DID_CC, rc, TEV_DID_STL, tids,
                 rc > 0 ? rc : 0);
    return rc;
  }
  return spawn_call(task, argv, flag, where, ntask, tids);
}

static int spawn_call(char *task, char **argv, int flag, char *where, int ntask,
                      int *tids) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__SpawnRequest sp = PVMNG__SPAWN_REQUEST__INIT;
  char path[PATH_MAX];
  char **env = NULL;
  int nenv, nargv = 0, rc, started = 0;

  lpvm_forget();
  if ((rc = lpvm_connect("pvm_spawn")) < 0)
    return rc;
  if (task == NULL || *task == '\0' || ntask < 1 || tids == NULL)
    return lpvm_err("pvm_spawn", PvmBadParam);
  if (ntask > PVMW_SPAWN_MAX_NTASK) {
    char hint[96];
    snprintf(hint, sizeof(hint),
             "ntask %d is over the limit of %d tasks for one spawn", ntask,
             PVMW_SPAWN_MAX_NTASK);
    for (int i = 0; i < ntask; i++)
      tids[i] = PvmBadParam;
    return lpvm_err_hint("pvm_spawn", PvmBadParam, hint);
  }
  if ((flag & (PvmTaskHost | PvmTaskArch)) && (where == NULL || !*where))
    return lpvm_err("pvm_spawn", PvmBadParam);
  /* A relative path is relative to the caller, who typed it. */
  if (strchr(task, '/') != NULL && task[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL ||
        snprintf(path, sizeof(path), "%s/%s", cwd, task) >= (int)sizeof(path))
      return lpvm_err("pvm_spawn", PvmBadParam);
    sp.file = path;
  } else {
    sp.file = task;
  }
  if (argv != NULL)
    while (argv[nargv] != NULL) {
      size_t n = strlen(argv[nargv]);
      if (n >= PVMW_MAX_ARG_STRLEN) {
        char hint[128];
        snprintf(hint, sizeof(hint),
                 "argument %d is %zu bytes, over the limit of %u bytes for "
                 "one argument",
                 nargv + 1, n, PVMW_MAX_ARG_STRLEN - 1);
        return lpvm_err_hint("pvm_spawn", PvmBadParam, hint);
      }
      nargv++;
    }
  if (nargv > PVMW_SPAWN_MAX_ARGV) {
    char hint[96];
    snprintf(hint, sizeof(hint),
             "%d arguments, over the limit of %d for one spawn", nargv,
             PVMW_SPAWN_MAX_ARGV);
    return lpvm_err_hint("pvm_spawn", PvmBadParam, hint);
  }
  sp.n_argv = (size_t)nargv;
  sp.argv = argv;
  sp.flags = flag;
  sp.where = (flag & (PvmTaskHost | PvmTaskArch)) ? where : "";
  sp.ntask = ntask;
  if ((nenv = collect_env(&env)) < 0)
    return lpvm_err("pvm_spawn", PvmNoMem);
  /* The children start in the caller's current context (PVM 3.4.6 passes
   * it in the environment too); conn.c takes it at their enrolment. */
  if (lpvm_conn.ctx != 0) {
    char **ne = realloc(env, sizeof(*env) * (size_t)(nenv + 1));
    char *e = malloc(sizeof("PVMNG_CTX=") + 12);
    if (ne == NULL || e == NULL) {
      free(e);
      env = ne != NULL ? ne : env;
      for (int i = 0; i < nenv; i++)
        free(env[i]);
      free(env);
      return lpvm_err("pvm_spawn", PvmNoMem);
    }
    snprintf(e, sizeof("PVMNG_CTX=") + 12, "PVMNG_CTX=%d", lpvm_conn.ctx);
    env = ne;
    env[nenv++] = e;
  }
  /* Trace destination and mask for the children (trace.c). */
  int otid = lpvm_opts.out_tid, ocode = lpvm_opts.out_code;
  int octx = lpvm_opts.out_ctx;
  if ((lpvm_opts.trace_tid > 0 || (flag & PvmTaskTrace)) &&
      lpvm_tev_spawn_env(&env, &nenv, flag, &otid, &ocode, &octx) < 0) {
    for (int i = 0; i < nenv; i++)
      free(env[i]);
    free(env);
    return lpvm_err_hint("pvm_spawn", PvmNoMem,
                         "no memory for the trace settings of the children");
  }
  sp.n_env = (size_t)nenv;
  sp.env = env;
  sp.wd = getenv("PVM_WD") ? getenv("PVM_WD") : "";
  sp.out_tid = (uint32_t)otid;
  sp.out_code = ocode;
  sp.out_ctx = octx;
  req.body_case = PVMNG__CONTROL__BODY_SPAWN;
  req.spawn = &sp;
  if (pvmng__control__get_packed_size(&req) > PVMW_MAX_CONTROL) {
    char hint[160];
    snprintf(hint, sizeof(hint),
             "the arguments and exported environment take %zu bytes, over "
             "the limit of %u bytes for a spawn request",
             pvmng__control__get_packed_size(&req), PVMW_MAX_CONTROL);
    for (int i = 0; i < nenv; i++)
      free(env[i]);
    free(env);
    return lpvm_err_hint("pvm_spawn", PvmBadParam, hint);
  }
  lpvm_output_spawning();
  rc = call("pvm_spawn", &req, &rep, PVMNG__CONTROL__BODY_SPAWN_REPLY);
  for (int i = 0; i < nenv; i++)
    free(env[i]);
  free(env);
  if (rc < 0) {
    lpvm_output_spawned(tids, 0);
    return rc;
  }
  Pvmng__SpawnReply *r = rep->spawn_reply;
  for (int i = 0; i < ntask; i++) {
    /* A short answer: the slots it has no word for share its last error. */
    int last = r->n_tids > 0 && r->tids[r->n_tids - 1] < 0
                   ? r->tids[r->n_tids - 1]
                   : PvmSysErr;
    tids[i] = i < (int)r->n_tids ? r->tids[i] : last;
  }
  /* Started tasks first, then the error codes (man pvm_spawn). */
  for (int i = 0; i < ntask; i++)
    if (tids[i] > 0) {
      int t = tids[i];
      memmove(tids + started + 1, tids + started,
              sizeof(int) * (size_t)(i - started));
      tids[started++] = t;
    }
  if (started < ntask && r->reason != NULL && r->reason[0])
    lpvm_note("pvm_spawn", tids[started], r->reason);
  pvmng__control__free_unpacked(rep, NULL);
  lpvm_output_spawned(tids, started);
  if (started > 0)
    send_siblings(tids, started);
  return started;
}

int pvm_kill(int tid) {
  Pvmng__Control req = PVMNG__CONTROL__INIT;
  Pvmng__KillRequest k = PVMNG__KILL_REQUEST__INIT;
  int rc = lpvm_connect("pvm_kill");
  if (rc < 0)
    return rc;
  if (!pvmw_tid_is_task(tid))
    return lpvm_err("pvm_kill", PvmBadParam);
  k.tid = (uint32_t)tid;
  req.body_case = PVMNG__CONTROL__BODY_KILL;
  req.kill = &k;
  return status_call("pvm_kill", &req, 0);
}

int pvm_sendsig(int tid, int signum) {
  Pvmng__Control req = PVMNG__CONTROL__INIT;
  Pvmng__SignalRequest s = PVMNG__SIGNAL_REQUEST__INIT;
  int rc = lpvm_connect("pvm_sendsig");
  if (rc < 0)
    return rc;
  if (!pvmw_tid_is_task(tid) || signum <= 0 || signum >= NSIG)
    return lpvm_err("pvm_sendsig", PvmBadParam);
  s.tid = (uint32_t)tid;
  s.signum = signum;
  req.body_case = PVMNG__CONTROL__BODY_SIGNAL;
  req.signal = &s;
  return status_call("pvm_sendsig", &req, 0);
}

int pvm_pstat(int tid) {
  Pvmng__Control req = PVMNG__CONTROL__INIT;
  Pvmng__PstatRequest p = PVMNG__PSTAT_REQUEST__INIT;
  int rc = lpvm_connect("pvm_pstat");
  if (rc < 0)
    return rc;
  if (!pvmw_tid_is_task(tid))
    return lpvm_err("pvm_pstat", PvmBadParam);
  p.tid = (uint32_t)tid;
  req.body_case = PVMNG__CONTROL__BODY_PSTAT;
  req.pstat = &p;
  /* PvmNoTask is an answer, not a failure: not printed. */
  return status_call("pvm_pstat", &req, 1);
}

int pvm_mstat(char *host) {
  Pvmng__Control req = PVMNG__CONTROL__INIT;
  Pvmng__MstatRequest m = PVMNG__MSTAT_REQUEST__INIT;
  int rc = lpvm_connect("pvm_mstat");
  if (rc < 0)
    return rc;
  if (host == NULL || *host == '\0')
    return lpvm_err("pvm_mstat", PvmBadParam);
  m.host = host;
  req.body_case = PVMNG__CONTROL__BODY_MSTAT;
  req.mstat = &m;
  return status_call("pvm_mstat", &req, 1);
}

int pvm_tidtohost(int tid) {
  if (!pvmw_tid_is_task(tid) && !pvmw_tid_is_daemon(tid))
    return lpvm_err("pvm_tidtohost", PvmBadParam);
  return pvmw_tid_daemon(tid);
}

/* ---- queries with tables ------------------------------------------------ */

/* The arrays returned by pvm_config and pvm_tasks stay valid until the
 * next call of the same function (as in PVM). */
static struct pvmhostinfo *host_table;
static int host_count;
static struct pvmtaskinfo *task_table;
static int task_count;

static void free_hosts(void) {
  for (int i = 0; i < host_count; i++) {
    free(host_table[i].hi_name);
    free(host_table[i].hi_arch);
  }
  free(host_table);
  host_table = NULL;
  host_count = 0;
}

static void free_tasks(void) {
  for (int i = 0; i < task_count; i++)
    free(task_table[i].ti_a_out);
  free(task_table);
  task_table = NULL;
  task_count = 0;
}

int pvm_config(int *nhost, int *narch, struct pvmhostinfo **hostp) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__ConfigRequest c = PVMNG__CONFIG_REQUEST__INIT;
  int rc;
  req.body_case = PVMNG__CONTROL__BODY_CONFIG;
  req.config = &c;
  if ((rc = call("pvm_config", &req, &rep, PVMNG__CONTROL__BODY_CONFIG_REPLY)) <
      0)
    return rc;
  Pvmng__ConfigReply *r = rep->config_reply;
  free_hosts();
  host_table = calloc(r->n_hosts ? r->n_hosts : 1, sizeof(*host_table));
  if (host_table == NULL) {
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err("pvm_config", PvmNoMem);
  }
  for (size_t i = 0; i < r->n_hosts; i++) {
    struct pvmhostinfo *h = &host_table[i];
    h->hi_tid = (int)r->hosts[i]->tid;
    h->hi_name = strdup(r->hosts[i]->name);
    h->hi_arch = strdup(r->hosts[i]->arch);
    h->hi_speed = r->hosts[i]->speed;
    h->hi_dsig = r->hosts[i]->dsig;
    host_count++;
    if (h->hi_name == NULL || h->hi_arch == NULL) {
      pvmng__control__free_unpacked(rep, NULL);
      return lpvm_err("pvm_config", PvmNoMem);
    }
  }
  if (nhost)
    *nhost = host_count;
  if (narch)
    *narch = r->narch;
  if (hostp)
    *hostp = host_table;
  pvmng__control__free_unpacked(rep, NULL);
  return 0;
}

int pvm_tasks(int where, int *ntask, struct pvmtaskinfo **taskp) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__TasksRequest t = PVMNG__TASKS_REQUEST__INIT;
  int rc;
  if (where < 0)
    return lpvm_err("pvm_tasks", PvmBadParam);
  t.where = (uint32_t)where;
  req.body_case = PVMNG__CONTROL__BODY_TASKS;
  req.tasks = &t;
  if ((rc = call("pvm_tasks", &req, &rep, PVMNG__CONTROL__BODY_TASKS_REPLY)) <
      0)
    return rc;
  Pvmng__TasksReply *r = rep->tasks_reply;
  free_tasks();
  task_table = calloc(r->n_tasks ? r->n_tasks : 1, sizeof(*task_table));
  if (task_table == NULL) {
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err("pvm_tasks", PvmNoMem);
  }
  for (size_t i = 0; i < r->n_tasks; i++) {
    struct pvmtaskinfo *ti = &task_table[i];
    ti->ti_tid = (int)r->tasks[i]->tid;
    ti->ti_ptid = (int)r->tasks[i]->ptid;
    ti->ti_host = (int)r->tasks[i]->host;
    ti->ti_flag = r->tasks[i]->flag;
    ti->ti_pid = r->tasks[i]->pid;
    ti->ti_a_out = strdup(r->tasks[i]->name);
    task_count++;
    if (ti->ti_a_out == NULL) {
      pvmng__control__free_unpacked(rep, NULL);
      return lpvm_err("pvm_tasks", PvmNoMem);
    }
  }
  if (ntask)
    *ntask = task_count;
  if (taskp)
    *taskp = task_table;
  pvmng__control__free_unpacked(rep, NULL);
  return 0;
}

/* ---- siblings -----------------------------------------------------------
 * As in PVM 3.4.6, the task that spawns sends each task it started the tids
 * of all the tasks that one pvm_spawn call started, in the order pvm_spawn
 * returned them; pvm_siblings of a spawned task waits for that list. A task
 * started by hand is its own only sibling. Body: a big-endian uint32 count,
 * then that many big-endian uint32 tids. */

#define SIB_MAX (1 << 20) /* more tids than any daemon spawns at once */

static int *sib_tids; /* the list, once known */
static int sib_n;     /* its length; 0 = not known yet */

static uint32_t get_be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

void lpvm_siblings_message(int bufid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  const unsigned char *p;
  uint32_t n;
  int *v;

  if (b == NULL || sib_n > 0)
    goto done; /* only the first list counts (one spawn started us) */
  p = (const unsigned char *)b->body;
  if (b->len < 4 || (n = get_be32(p)) == 0 || n > SIB_MAX ||
      b->len != 4 * ((size_t)n + 1)) {
    fprintf(stderr, "libpvm [t%x]: dropped a malformed sibling list from t%x\n",
            (unsigned)lpvm_conn.mytid, (unsigned)b->src);
    goto done;
  }
  if ((v = malloc(sizeof(*v) * n)) == NULL)
    goto done;
  for (uint32_t i = 0; i < n; i++)
    v[i] = (int)get_be32(p + 4 * (i + 1));
  sib_tids = v;
  sib_n = (int)n;
done:
  pvm_freebuf(bufid);
}

/* Sends the n tids that one pvm_spawn started to each of them. */
static void send_siblings(const int *tids, int n) {
  size_t len = 4 * ((size_t)n + 1);
  unsigned char *body = malloc(len);
  if (body == NULL) {
    lpvm_err_hint("pvm_spawn", PvmNoMem,
                  "the spawned tasks' pvm_siblings will wait for their list");
    return;
  }
  put_be32(body, (uint32_t)n);
  for (int i = 0; i < n; i++)
    put_be32(body + 4 * (i + 1), (uint32_t)tids[i]);
  /* Through the daemon: a direct link to each new task would cost more
   * than the list. */
  for (int i = 0; i < n; i++)
    lpvm_send_via_daemon(tids[i], LPVM_TAG_SIBLINGS, LPVM_SYSCTX, body, len);
  free(body);
}

int pvm_siblings(int **tids) {
  static int self;
  int rc = lpvm_connect("pvm_siblings");
  if (rc < 0)
    return rc;
  if (!lpvm_conn.spawned) {
    self = lpvm_conn.mytid;
    if (tids)
      *tids = &self;
    return 1;
  }
  /* The spawner sends the list right after its pvm_spawn returns; like PVM
   * 3.4.6, wait for it as long as it takes. */
  while (sib_n == 0)
    if (lpvm_pump(-1) < 0)
      return lpvm_err_hint("pvm_siblings", PvmSysErr,
                           "the connection to pvmd was lost before the "
                           "sibling list arrived");
  if (tids)
    *tids = sib_tids;
  return sib_n;
}

int pvm_halt(void) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  Pvmng__HaltRequest h = PVMNG__HALT_REQUEST__INIT;
  int rc = lpvm_connect("pvm_halt");
  if (rc < 0)
    return rc;
  req.body_case = PVMNG__CONTROL__BODY_HALT;
  req.halt = &h;
  rc = lpvm_request(&req, &rep);
  /* The daemon may close the link before its answer reaches us: once the
   * request is out, a lost link is the halt taking effect. */
  if (rc == 0) {
    if (rep->body_case == PVMNG__CONTROL__BODY_STATUS && rep->status->code < 0)
      rc = rep->status->code;
    pvmng__control__free_unpacked(rep, NULL);
  } else if (rc == PvmSysErr && lpvm_conn.state == LPVM_LOST) {
    rc = 0;
  }
  lpvm_disconnect();
  return rc < 0 ? lpvm_err("pvm_halt", rc) : 0;
}

/* As PVM 3.4.6: the data signature of a host of that architecture in the
 * virtual machine (the daemon's host table, as pvm_config lists it),
 * PvmNotFound when there is none. The list pvm_config handed out stays as
 * it was: programs call this with its hi_arch fields. */
int pvm_archcode(char *arch) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__ConfigRequest c = PVMNG__CONFIG_REQUEST__INIT;
  int rc, dsig = PvmNotFound;
  if (arch == NULL)
    return lpvm_err("pvm_archcode", PvmBadParam);
  req.body_case = PVMNG__CONTROL__BODY_CONFIG;
  req.config = &c;
  if ((rc = call("pvm_archcode", &req, &rep,
                 PVMNG__CONTROL__BODY_CONFIG_REPLY)) < 0)
    return rc;
  for (size_t i = 0; i < rep->config_reply->n_hosts; i++)
    if (strcmp(rep->config_reply->hosts[i]->arch, arch) == 0) {
      dsig = rep->config_reply->hosts[i]->dsig;
      break;
    }
  pvmng__control__free_unpacked(rep, NULL);
  return dsig == PvmNotFound ? lpvm_err("pvm_archcode", PvmNotFound) : dsig;
}

char *pvm_version(void) { return PVM_VER; }

int pvm_getfds(int **fds) {
  static int fd;
  int rc = lpvm_connect("pvm_getfds");
  if (rc < 0)
    return rc;
  fd = lpvm_conn_fd();
  if (fd < 0)
    return lpvm_err("pvm_getfds", PvmSysErr);
  if (fds)
    *fds = &fd;
  return 1;
}

/* The tasks that asked to survive a reset (PvmNoReset), as the console's
 * reset needs them. The array stays valid until the next call. */
int pvm_getnoresets(int **tids, int *ntids) {
  static int *keep;
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep;
  Pvmng__TasksRequest t = PVMNG__TASKS_REQUEST__INIT;
  int rc, n = 0;
  if (tids == NULL || ntids == NULL)
    return lpvm_err("pvm_getnoresets", PvmBadParam);
  t.no_rm = 1; /* PVM 3.4.6 reads the mailbox here, never an RM */
  req.body_case = PVMNG__CONTROL__BODY_TASKS;
  req.tasks = &t;
  if ((rc = call("pvm_getnoresets", &req, &rep,
                 PVMNG__CONTROL__BODY_TASKS_REPLY)) < 0)
    return rc;
  Pvmng__TasksReply *r = rep->tasks_reply;
  free(keep);
  keep = calloc(r->n_tasks + 1, sizeof(*keep));
  if (keep == NULL) {
    pvmng__control__free_unpacked(rep, NULL);
    return lpvm_err("pvm_getnoresets", PvmNoMem);
  }
  for (size_t i = 0; i < r->n_tasks; i++)
    if (r->tasks[i]->no_reset)
      keep[n++] = (int)r->tasks[i]->tid;
  pvmng__control__free_unpacked(rep, NULL);
  *tids = keep;
  *ntids = n;
  return 0;
}
