/* pvm_spawn on this host. A request is validated as a whole first (sizes,
 * host selection, executable, working directory) so that a bad request
 * fails the same way in every slot; then each instance gets a tid and a
 * process, and a failure to start one fills only its slot. The executable
 * lookup and environment follow PVM 3.4 (pvm_spawn(3PVM), pvmd3(1PVM)). */
#include "spawn.h"

#include <errno.h>
#include <limits.h>
#include <pvm3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childout.h"
#include "log.h"
#include "pvmd.h"
#include "taskconn.h"
#include "tasker.h"
#include "taskgone.h"
#include "tid.h"

extern char **environ;

int pvmd_spawn_check(const struct pvmd_limits *lim,
                     const Pvmng__SpawnRequest *r, char *err, size_t errlen) {
  size_t total = 0;

  if (r->ntask < 1 || r->ntask > lim->spawn_max_ntask) {
    snprintf(err, errlen, "ntask %d is not in 1..%d", r->ntask,
             lim->spawn_max_ntask);
    return PvmBadParam;
  }
  if (!r->file || !r->file[0]) {
    snprintf(err, errlen, "no executable named");
    return PvmBadParam;
  }
  if (strlen(r->file) >= PATH_MAX) {
    snprintf(err, errlen, "executable name of %zu bytes is over PATH_MAX",
             strlen(r->file));
    return PvmBadParam;
  }
  if (r->n_argv > (size_t)lim->spawn_max_argv) {
    snprintf(err, errlen, "%zu arguments, more than the limit of %d", r->n_argv,
             lim->spawn_max_argv);
    return PvmBadParam;
  }
  for (size_t i = 0; i < r->n_argv; i++) {
    size_t n = strlen(r->argv[i]) + 1;
    if (n > PVMW_MAX_ARG_STRLEN) {
      snprintf(err, errlen,
               "argument %zu is %zu bytes, over the limit of %u bytes for "
               "one argument",
               i + 1, n - 1, PVMW_MAX_ARG_STRLEN - 1);
      return PvmBadParam;
    }
    total += n;
  }
  if (total > lim->spawn_max_argv_bytes) {
    snprintf(err, errlen, "arguments of %zu bytes, more than the limit of %zu",
             total, lim->spawn_max_argv_bytes);
    return PvmBadParam;
  }
  if (r->n_env > (size_t)lim->spawn_max_env) {
    snprintf(err, errlen, "%zu environment entries, more than the limit of %d",
             r->n_env, lim->spawn_max_env);
    return PvmBadParam;
  }
  for (size_t i = 0; i < r->n_env; i++) {
    const char *eq = strchr(r->env[i], '=');
    if (!eq || eq == r->env[i]) {
      snprintf(err, errlen, "environment entry %zu is not NAME=value", i);
      return PvmBadParam;
    }
    if (strlen(r->env[i]) >= PVMW_MAX_ARG_STRLEN) {
      snprintf(err, errlen,
               "environment entry %zu is %zu bytes, over the limit of %u "
               "bytes for one entry",
               i, strlen(r->env[i]), PVMW_MAX_ARG_STRLEN - 1);
      return PvmBadParam;
    }
  }
  if (r->wd && strlen(r->wd) >= PATH_MAX) {
    snprintf(err, errlen, "working directory name is over PATH_MAX");
    return PvmBadParam;
  }
  if ((r->flags & (PvmTaskHost | PvmTaskArch)) && (!r->where || !r->where[0])) {
    snprintf(err, errlen, "%s without a %s",
             (r->flags & PvmTaskHost) ? "PvmTaskHost" : "PvmTaskArch",
             (r->flags & PvmTaskHost) ? "host name" : "architecture");
    return PvmBadParam;
  }
  if (r->where && strlen(r->where) >= PVMD_HOSTNAME_MAX) {
    snprintf(err, errlen, "host or architecture name is too long");
    return PvmBadParam;
  }
  return 0;
}

int pvmd_spawn_where(const struct pvmd_hosts *hosts,
                     const Pvmng__SpawnRequest *r) {
  int here;
  if (r->flags & PvmTaskHost) {
    const struct pvmd_host *h = pvmd_host_by_name(hosts, r->where);
    if (!h)
      return PvmNoHost;
    here = h->self;
  } else if (r->flags & PvmTaskArch) {
    here = strcmp(r->where, pvmd_host_self(hosts)->arch) == 0;
  } else {
    return 0;
  }
  /* PvmHostCompl: every host but the one named (with peers, another host
   * would be chosen here). */
  if (r->flags & PvmHostCompl)
    here = !here;
  return here ? 0 : PvmNoHost;
}

static int is_exec_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Appends s (n bytes) to out at *len; returns -1 when it does not fit. */
static int put(char *out, size_t outlen, size_t *len, const char *s, size_t n) {
  if (*len + n + 1 > outlen)
    return -1;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
  return 0;
}

/* Expands one $PVM_PATH element into out: leading ~ is $HOME, $PVM_ARCH
 * and ${PVM_ARCH} are the architecture, a relative element is taken from
 * $HOME (as PVM does). Returns -1 when empty or too long. */
static int expand_dir(const char *dir, size_t n, char *out, size_t outlen) {
  const char *home = getenv("HOME");
  size_t len = 0;
  size_t i = 0;

  if (n == 0)
    return -1;
  out[0] = '\0';
  if (dir[0] == '~' && (n == 1 || dir[1] == '/')) {
    if (!home || put(out, outlen, &len, home, strlen(home)) != 0)
      return -1;
    i = 1;
  } else if (dir[0] != '/' && home) {
    if (put(out, outlen, &len, home, strlen(home)) != 0 ||
        put(out, outlen, &len, "/", 1) != 0)
      return -1;
  }
  while (i < n) {
    static const char a1[] = "$PVM_ARCH", a2[] = "${PVM_ARCH}";
    if (n - i >= sizeof a2 - 1 && memcmp(dir + i, a2, sizeof a2 - 1) == 0) {
      if (put(out, outlen, &len, PVMD_ARCH, strlen(PVMD_ARCH)) != 0)
        return -1;
      i += sizeof a2 - 1;
    } else if (n - i >= sizeof a1 - 1 &&
               memcmp(dir + i, a1, sizeof a1 - 1) == 0) {
      if (put(out, outlen, &len, PVMD_ARCH, strlen(PVMD_ARCH)) != 0)
        return -1;
      i += sizeof a1 - 1;
    } else {
      if (put(out, outlen, &len, dir + i, 1) != 0)
        return -1;
      i++;
    }
  }
  return 0;
}

/* The directories a search looked in, for the reason of a PvmNoFile: a
 * comma-separated list in buf (len bytes), "..." once it is full. */
struct searched {
  char *buf;
  size_t len, used;
};

static void note_dir(struct searched *s, const char *dir) {
  size_t n = strlen(dir), sep = s->used ? 2 : 0;
  if (s->buf == NULL || s->len < 4 || s->used + 3 >= s->len)
    return;
  if (s->used + sep + n + 4 >= s->len) { /* room for "...": no more */
    s->used += (size_t)snprintf(s->buf + s->used, s->len - s->used, "%s...",
                                sep ? ", " : "");
    s->used = s->len;
    return;
  }
  s->used += (size_t)snprintf(s->buf + s->used, s->len - s->used, "%s%s",
                              sep ? ", " : "", dir);
}

/* dir/file if it is an executable regular file. */
static int try_dir(const char *dir, const char *file, char *out, size_t outlen,
                   struct searched *s) {
  int n = snprintf(out, outlen, "%s/%s", dir, file);
  if (s != NULL)
    note_dir(s, dir);
  return n > 0 && (size_t)n < outlen && is_exec_file(out) ? 0 : -1;
}

/* Tries each element of a ':'-separated list; expand selects PVM_PATH's
 * expansion. */
static int try_list(const char *list, int expand, const char *file, char *out,
                    size_t outlen, struct searched *s) {
  char dir[PATH_MAX];
  while (list && *list) {
    const char *end = strchr(list, ':');
    size_t n = end ? (size_t)(end - list) : strlen(list);
    int ok;
    if (expand)
      ok = expand_dir(list, n, dir, sizeof dir) == 0;
    else
      ok = n > 0 && n < sizeof dir && (memcpy(dir, list, n), dir[n] = '\0', 1);
    if (ok && try_dir(dir, file, out, outlen, s) == 0)
      return 0;
    list = end ? end + 1 : NULL;
  }
  return -1;
}

int pvmd_spawn_find(const char *file, char *out, size_t outlen) {
  return pvmd_spawn_find_in(file, NULL, out, outlen);
}

int pvmd_spawn_find_in(const char *file, const char *ep, char *out,
                       size_t outlen) {
  return pvmd_spawn_find_why(file, ep, out, outlen, NULL, 0);
}

int pvmd_spawn_find_why(const char *file, const char *ep, char *out,
                        size_t outlen, char *why, size_t whylen) {
  const char *home = getenv("HOME");
  const char *root = getenv("PVM_ROOT");
  char dir[PATH_MAX];
  struct searched sr = {why, whylen, 0}, *s = why && whylen ? &sr : NULL;

  if (s != NULL)
    why[0] = '\0';
  if (strchr(file, '/')) {
    int n;
    if (file[0] == '/') {
      n = snprintf(out, outlen, "%s", file);
    } else {
      char cwd[PATH_MAX];
      if (!getcwd(cwd, sizeof cwd))
        return PvmNoFile;
      n = snprintf(out, outlen, "%s/%s", cwd, file);
    }
    return n > 0 && (size_t)n < outlen && is_exec_file(out) ? 0 : PvmNoFile;
  }
  if (ep) { /* ep= of this host: instead of $PVM_PATH and PVM's defaults */
    if (try_list(ep, 1, file, out, outlen, s) == 0 ||
        try_list(getenv("PATH"), 0, file, out, outlen, s) == 0)
      return 0;
    return PvmNoFile;
  }
  if (try_list(getenv("PVM_PATH"), 1, file, out, outlen, s) == 0)
    return 0;
  if (home &&
      snprintf(dir, sizeof dir, "%s/pvm3/bin/%s", home, PVMD_ARCH) <
          (int)sizeof dir &&
      try_dir(dir, file, out, outlen, s) == 0)
    return 0;
  if (root && root[0] &&
      snprintf(dir, sizeof dir, "%s/bin/%s", root, PVMD_ARCH) <
          (int)sizeof dir &&
      try_dir(dir, file, out, outlen, s) == 0)
    return 0;
  if (try_list(getenv("PATH"), 0, file, out, outlen, s) == 0)
    return 0;
  return PvmNoFile;
}

char **pvmd_spawn_env(char *const *base, char *const *over, size_t nover) {
  size_t nbase = 0, n;
  char **env;

  while (base && base[nbase])
    nbase++;
  env = malloc((nbase + nover + 1) * sizeof *env);
  if (!env)
    return NULL;
  for (n = 0; n < nbase; n++)
    env[n] = base[n];
  for (size_t i = 0; i < nover; i++) {
    const char *eq = strchr(over[i], '=');
    size_t klen = eq ? (size_t)(eq - over[i]) + 1 : strlen(over[i]);
    size_t j;
    for (j = 0; j < n; j++)
      if (strncmp(env[j], over[i], klen) == 0)
        break;
    env[j] = over[i];
    if (j == n)
      n++;
  }
  env[n] = NULL;
  return env;
}

/* The working directory for the children: this host's wd= (the host file
 * decides for its host), else the request's (the caller's $PVM_WD), else
 * the daemon's $PVM_WD, else $HOME. */
static const char *spawn_wd(const struct pvmd *d,
                            const Pvmng__SpawnRequest *r) {
  const char *wd = d->wd;
  if (!wd || !wd[0])
    wd = r->wd;
  if (!wd || !wd[0])
    wd = getenv("PVM_WD");
  if (!wd || !wd[0])
    wd = getenv("HOME");
  if (!wd || !wd[0])
    wd = "/";
  return wd;
}

/* Nonzero, with the reason in why, when wd cannot be a working directory. */
static int wd_problem(const char *wd, char *why, size_t len) {
  struct stat st;
  if (stat(wd, &st) != 0 || (S_ISDIR(st.st_mode) && access(wd, X_OK) != 0))
    snprintf(why, len, "%s", strerror(errno));
  else if (!S_ISDIR(st.st_mode))
    snprintf(why, len, "not a directory");
  else
    return 0;
  return 1;
}

static void on_proc_closed(uv_handle_t *h) {
  struct pvmd_task *t = h->data;
  t->handles_open--;
  pvmd_task_release(t);
}

void pvmd_spawn_close(struct pvmd_task *t) {
  if (t->spawned && !t->by_tasker && !uv_is_closing((uv_handle_t *)&t->proc))
    uv_close((uv_handle_t *)&t->proc, on_proc_closed);
}

static void on_child_exit(uv_process_t *p, int64_t status, int sig) {
  struct pvmd_task *t = p->data;
  char tb[16];

  t->running = 0;
  t->exit_status = (int)status;
  t->term_signal = sig;
  if (sig)
    pvmd_debug("%s (pid %ld) killed by signal %d",
               pvmw_tid_str(t->tid, tb, sizeof tb), (long)t->pid, sig);
  else
    pvmd_debug("%s (pid %ld) exited with status %d",
               pvmw_tid_str(t->tid, tb, sizeof tb), (long)t->pid, (int)status);
  pvmd_task_exited(t);
  uv_close((uv_handle_t *)p, on_proc_closed);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s && s[1] ? s + 1 : path;
}

/* The PVM error for a failed uv_spawn: no such program; arguments and
 * environment together over the system's limit (each alone was checked);
 * out of descriptors or processes; anything else. */
static int spawn_error(int rc) {
  switch (rc) {
  case UV_ENOENT:
  case UV_EACCES:
    return PvmNoFile;
  case UV_E2BIG:
    return PvmBadParam;
  case UV_EMFILE:
  case UV_ENFILE:
  case UV_EAGAIN:
    return PvmOutOfRes;
  case UV_ENOMEM:
    return PvmNoMem;
  default:
    return PvmSysErr;
  }
}

/* Starts one instance. Returns its tid or a negative PVM error code. */
static int spawn_one(struct pvmd_conn *c, const Pvmng__SpawnRequest *r,
                     uv_process_options_t *o, char *tid_env,
                     size_t tid_env_len) {
  struct pvmd *d = c->d;
  uv_stdio_container_t stdio[3];
  struct pvmd_task *t;
  char tb[16];
  int err = 0, rc;

  t = pvmd_task_new(&d->tasks, &err);
  if (!t) {
    pvmd_log("spawn of %s from %s: %s", r->file, c->who,
             err == PvmOutOfRes ? "task table full" : "out of memory");
    return err;
  }
  t->spawned = 1;
  t->flags = PVMD_TF_FORKD;
  t->ptid = (r->flags & PvmNoSpawnParent) ? 0 : c->task->tid;
  t->out_tid = (int)r->out_tid;
  t->out_code = r->out_code;
  t->out_ctx = r->out_ctx;
  pvmd_task_set_name(t, base_name(r->file));
  snprintf(tid_env, tid_env_len, "PVMNG_TID=0x%x", (unsigned)t->tid);

  if (pvmd_tasker_tid(d) != 0) {
    /* The host's tasker starts it; it connects by itself. */
    t->by_tasker = 1;
    t->running = 1;
    rc = pvmd_tasker_start(d, t, r->flags, o->file, r->argv, r->n_argv, o->env);
    if (rc != 0) {
      d->st.spawn_failed++;
      pvmd_log("spawn of %s from %s: the tasker cannot be asked", o->file,
               c->who);
      t->running = 0;
      pvmd_task_set_gone(t);
      pvmd_task_release(t);
      return rc;
    }
    d->st.tasks_spawned++;
    pvmd_debug("%s: the tasker starts %s as %s", c->who, o->file,
               pvmw_tid_str(t->tid, tb, sizeof tb));
    return t->tid;
  }

  pvmd_output_prepare(t, &d->loop, stdio);
  o->stdio = stdio;
  o->stdio_count = 3;
  t->proc.data = t;
  rc = uv_spawn(&d->loop, &t->proc, o);
  t->handles_open++; /* the process handle, initialised even on failure */
  if (rc != 0) {
    d->st.spawn_failed++;
    pvmd_log("spawn of %s from %s failed: %s", o->file, c->who,
             uv_strerror(rc));
    pvmd_task_set_gone(t);
    pvmd_output_close(t);
    uv_close((uv_handle_t *)&t->proc, on_proc_closed);
    return spawn_error(rc);
  }
  t->pid = t->proc.pid;
  t->running = 1;
  d->st.tasks_spawned++;
  pvmd_debug("spawned %s (pid %ld): %s", pvmw_tid_str(t->tid, tb, sizeof tb),
             (long)t->pid, o->file);
  pvmd_output_start(t);
  return t->tid;
}

/* reason: why the failed slots failed, beyond their code, or NULL. */
static void reply(struct pvmd_conn *c, uint32_t req_id, int32_t *tids, size_t n,
                  const char *reason) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__SpawnReply sr = PVMNG__SPAWN_REPLY__INIT;
  sr.n_tids = n;
  sr.tids = tids;
  if (reason != NULL)
    sr.reason = (char *)reason;
  m.req_id = req_id;
  m.body_case = PVMNG__CONTROL__BODY_SPAWN_REPLY;
  m.spawn_reply = &sr;
  pvmd_conn_send_control(c, &m);
}

static void reply_all(struct pvmd_conn *c, uint32_t req_id, int ntask, int code,
                      const char *reason) {
  int32_t one = code, *tids;
  int lim = c->d->lim.spawn_max_ntask;
  size_t n = (size_t)(ntask < 1 ? 1 : ntask > lim ? lim : ntask);
  tids = calloc(n, sizeof *tids);
  if (!tids) {
    reply(c, req_id, &one, 1, reason);
    return;
  }
  for (size_t i = 0; i < n; i++)
    tids[i] = code;
  reply(c, req_id, tids, n, reason);
  free(tids);
}

/* The debugger of a PvmTaskDebug spawn: the host file's bx=, else
 * $PVM_DEBUGGER among the variables the spawner passed (PVM_EXPORT), else
 * the daemon's own $PVM_DEBUGGER, else pvmdebugger beside this pvmd. A name
 * without a slash is looked for as spawned programs are. Returns 0 with its
 * path in out, or a PVM error with the name tried in out. */
static int find_debugger(const struct pvmd *d, const Pvmng__SpawnRequest *r,
                         char *out, size_t len) {
  const char *name = d->bx;
  char self[PATH_MAX], *slash;
  ssize_t n;
  int rc;
  for (size_t i = 0; name == NULL && i < r->n_env; i++)
    if (strncmp(r->env[i], "PVM_DEBUGGER=", 13) == 0 && r->env[i][13])
      name = r->env[i] + 13;
  if (name == NULL && (name = getenv("PVM_DEBUGGER")) != NULL && !*name)
    name = NULL;
  if (name == NULL) {
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
      return PvmNoFile;
    self[n] = '\0';
    if ((slash = strrchr(self, '/')) == NULL)
      return PvmNoFile;
    snprintf(slash + 1, sizeof self - (size_t)(slash + 1 - self),
             "pvmdebugger");
    name = self;
  }
  rc = pvmd_spawn_find_in(name, d->ep, out, len);
  if (rc != 0 && strlen(name) < len)
    memcpy(out, name, strlen(name) + 1);
  return rc;
}

void pvmd_spawn(struct pvmd_conn *c, uint32_t req_id,
                const Pvmng__SpawnRequest *r) {
  struct pvmd *d = c->d;
  char path[PATH_MAX], dbg[PATH_MAX], err[256], dirs[1024];
  char tid_env[32], sock_env[PATH_MAX + 16], vmid_env[PVMW_VMID_MAX + 16];
  uv_process_options_t o;
  const char *wd;
  char **args = NULL, **over = NULL, **env = NULL;
  int32_t *tids = NULL;
  int rc, room;

  rc = pvmd_spawn_check(&d->lim, r, err, sizeof err);
  if (rc != 0) {
    pvmd_log("refusing spawn from %s: %s", c->who, err);
    reply_all(c, req_id, r->ntask, rc, NULL);
    return;
  }
  if ((rc = pvmd_spawn_where(&d->hosts, r)) != 0) {
    pvmd_debug("spawn from %s: no host matches \"%s\" (flags %d)", c->who,
               r->where, r->flags);
    reply_all(c, req_id, r->ntask, rc, NULL);
    return;
  }
  if ((rc = pvmd_spawn_find_why(r->file, d->ep, path, sizeof path, dirs,
                                sizeof dirs)) != 0) {
    char why[sizeof dirs + PVMD_HOSTNAME_MAX + 512];
    const char *host =
        d->hosts.n > 0 ? pvmd_host_self(&d->hosts)->name : "this host";
    if (r->file[0] == '/')
      snprintf(why, sizeof why, "%s is not an executable file on host %s",
               r->file, host);
    else if (strchr(r->file, '/'))
      snprintf(why, sizeof why,
               "%s is not an executable file on host %s (a relative path "
               "is taken from the daemon's working directory)",
               r->file, host);
    else
      snprintf(why, sizeof why,
               "no executable \"%s\" on host %s; looked in: %s. Put it in "
               "one of these, or spawn it by its full path; the daemon reads "
               "PVM_PATH, the host file's ep= and PATH when it starts",
               r->file, host, dirs[0] ? dirs : "(no directory)");
    pvmd_log("spawn from %s: %s", c->who, why);
    reply_all(c, req_id, r->ntask, rc, why);
    return;
  }
  if ((r->flags & PvmTaskDebug) &&
      (rc = find_debugger(d, r, dbg, sizeof dbg)) != 0) {
    pvmd_log("spawn of %s from %s with PvmTaskDebug: no debugger \"%s\" "
             "(set bx= in the host file or PVM_DEBUGGER)",
             r->file, c->who, dbg);
    reply_all(c, req_id, r->ntask, rc, NULL);
    return;
  }
  wd = spawn_wd(d, r);
  if (wd_problem(wd, err, sizeof err)) {
    pvmd_log("spawn from %s: working directory %s: %s", c->who, wd, err);
    reply_all(c, req_id, r->ntask, PvmSysErr, NULL);
    return;
  }

  args = malloc((r->n_argv + 3) * sizeof *args);
  over = malloc((r->n_env + 3) * sizeof *over);
  tids = malloc((size_t)r->ntask * sizeof *tids);
  if (!args || !over || !tids)
    goto nomem;
  {
    /* Under a debugger: the debugger, then the program's path and its
     * arguments (PVM 3.4's convention for bx= and $PVM_DEBUGGER). */
    size_t k = 0;
    if (r->flags & PvmTaskDebug) {
      args[k++] = dbg;
      args[k++] = path;
      pvmd_log("spawn of %s from %s under the debugger %s (PvmTaskDebug)", path,
               c->who, dbg);
    } else {
      args[k++] = r->file;
    }
    for (size_t i = 0; i < r->n_argv; i++)
      args[k++] = r->argv[i];
    args[k] = NULL;
  }
  for (size_t i = 0; i < r->n_env; i++)
    over[i] = r->env[i];
  snprintf(sock_env, sizeof sock_env, "PVMNG_SOCKET=%s", d->sock_path);
  snprintf(vmid_env, sizeof vmid_env, "PVM_VMID=%s", d->vmid);
  over[r->n_env] = tid_env; /* rewritten per instance */
  over[r->n_env + 1] = sock_env;
  over[r->n_env + 2] = vmid_env;
  snprintf(tid_env, sizeof tid_env, "PVMNG_TID=0");
  env = pvmd_spawn_env(environ, over, r->n_env + 3);
  if (!env)
    goto nomem;

  memset(&o, 0, sizeof o);
  o.exit_cb = on_child_exit;
  o.file = (r->flags & PvmTaskDebug) ? dbg : path;
  o.args = args;
  o.env = env;
  o.cwd = wd;
  /* Only as many as there are descriptors to serve: the others are
   * refused here rather than dropped when they connect. */
  room = pvmd_fd_room(d);
  for (int i = 0; i < r->ntask; i++)
    tids[i] =
        i < room ? spawn_one(c, r, &o, tid_env, sizeof tid_env) : PvmOutOfRes;
  if (room < r->ntask) {
    d->st.spawn_failed += (uint64_t)(r->ntask - room);
    pvmd_log("spawn of %s from %s: %d of %d tasks refused (PvmOutOfRes): out "
             "of descriptors (limit %d, %d kept in reserve, %d per task)",
             r->file, c->who, r->ntask - room, r->ntask, d->fd_limit,
             PVMD_FD_RESERVE, PVMD_FDS_PER_TASK);
  }
  reply(c, req_id, tids, (size_t)r->ntask, NULL);
  goto out;

nomem:
  pvmd_log("spawn from %s: out of memory", c->who);
  reply_all(c, req_id, r->ntask, PvmNoMem, NULL);
out:
  free(env);
  free(tids);
  free(over);
  free(args);
}
