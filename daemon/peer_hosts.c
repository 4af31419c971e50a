/* The host table across daemons: the master adds a host by starting
 * `$PVM_RSH host pvmd -s ...` with a join credential on its stdin, gives
 * it a host number when its hello is accepted, and sends the table to every
 * daemon after each change; pvm_delhosts tells a host to halt. */

#include "groupreg.h"
#include "hoster.h"
#include "hostopts.h"
#include "log.h"
#include "mbox.h"
#include "notifytab.h"
#include "peer_int.h"
#include "pvmd.h"
#include "reply.h"
#include "taskconn.h"
#include "tid.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pvm3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- host table ------------------------------------------------------ */

void pvmd_peer_send_hosts(struct pvmd_link *l, uint32_t host_tid, int welcome) {
  const struct pvmd_hosts *hs = &l->ps->d->hosts;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerWelcome w = PVMNG__PEER_WELCOME__INIT;
  Pvmng__PeerHosts ph = PVMNG__PEER_HOSTS__INIT;
  Pvmng__HostInfo *infos = calloc((size_t)hs->n, sizeof *infos);
  Pvmng__HostInfo **ptrs = calloc((size_t)hs->n, sizeof *ptrs);
  if (infos && ptrs) {
    pvmd_hosts_fill_infos(hs, infos, ptrs);
    if (welcome) {
      w.host_tid = host_tid;
      w.n_hosts = (size_t)hs->n;
      w.hosts = ptrs;
      m.body_case = PVMNG__CONTROL__BODY_PEER_WELCOME;
      m.peer_welcome = &w;
    } else {
      ph.n_hosts = (size_t)hs->n;
      ph.hosts = ptrs;
      m.body_case = PVMNG__CONTROL__BODY_PEER_HOSTS;
      m.peer_hosts = &ph;
    }
    pvmd_link_send_control(l, &m);
    if (welcome)
      pvmd_peer_rm_welcome(l); /* a host joining learns who the RM is */
  }
  free(infos);
  free(ptrs);
}

void pvmd_peer_broadcast_hosts(struct pvmd_peers *ps) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    if (pvmd_link_usable(l))
      pvmd_peer_send_hosts(l, 0, 0);
  }
  pvmd_notify_hosts_changed(ps->d);
}

/* Slave: takes the master's table as it is. */
void pvmd_peer_take_hosts(struct pvmd_peers *ps, Pvmng__HostInfo **hosts,
                          size_t n) {
  struct pvmd *d = ps->d;
  if (pvmd_hosts_replace(&d->hosts, hosts, n, d->tid) != 0)
    pvmd_log("out of memory for the host table");
  pvmd_notify_hosts_changed(d);
}

/* A host's link is gone: the master drops it from the table. */
void pvmd_peer_lost_host(struct pvmd_link *l) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  char tb[16];
  if (ps->master == l) {
    ps->master = NULL;
    if (!d->halting)
      pvmd_halt(d, 0, "lost the link to the master");
    return;
  }
  if (l->host_no > 0) {
    int tid = pvmw_tid_make(l->host_no, 0);
    struct pvmd_list *pos, *tmp_;
    /* Requests sent there will get no answer: answer them here. */
    pvmd_list_each_safe(pos, tmp_, &ps->fwds) {
      struct pvmd_fwd *fw = pvmd_container_of(pos, struct pvmd_fwd, node);
      if (fw->to_host != l->host_no)
        continue;
      pvmd_list_remove(&fw->node);
      if (fw->g)
        pvmd_peer_gather_part(ps, fw->g, fw->slot, fw->count, NULL);
      else
        pvmd_peer_reply_status(ps, &fw->rt, PvmHostFail);
      free(fw);
    }
    pvmd_log("host %s (%s) left the virtual machine", l->who,
             pvmw_tid_str(tid, tb, sizeof tb));
    pvmd_hosts_remove(&d->hosts, tid);
    if (!d->halting) {
      pvmd_group_host_gone(d, l->host_no); /* its tasks leave their groups */
      pvmd_mbox_host_gone(d, l->host_no);  /* ... and their entries go */
    }
    l->host_no = 0;
    if (!d->halting)
      pvmd_peer_broadcast_hosts(ps);
  }
}

/* ---- adding and deleting hosts ------------------------------------- */

static void on_add_closed(uv_handle_t *h) {
  struct pvmd_add *a = h->data;
  if (--a->handles == 0 && a->done)
    free(a);
}

static void close_add_handle(struct pvmd_add *a, uv_handle_t *h) {
  a->handles++;
  uv_close(h, on_add_closed);
}

/* Unlinks a; it is freed once its handles have closed. */
static void free_add(struct pvmd_add *a) {
  pvmd_list_remove(&a->node);
  a->done = 1;
  if (a->proc_open) {
    a->proc_open = 0;
    close_add_handle(a, (uv_handle_t *)&a->proc);
  }
  if (a->out_open) {
    a->out_open = 0;
    close_add_handle(a, (uv_handle_t *)&a->out);
  }
  if (a->handles == 0)
    free(a);
}

/* Frees r and what it holds. */
static void free_hostsreq(struct pvmd_hostsreq *r) {
  for (size_t i = 0; r->why && i < r->n; i++)
    free(r->why[i]);
  free(r->why);
  free(r->res);
  free(r);
}

/* One host's result (and, for a failure, why: copied, may be NULL); the
 * reply goes once every host has one. */
static void hostsreq_part(struct pvmd_peers *ps, struct pvmd_hostsreq *r,
                          int slot, int result, const char *why) {
  static char none[] = "";
  int any = 0;
  r->res[slot] = result;
  if (result < 0 && why && *why && !r->why[slot])
    r->why[slot] = strdup(why); /* without memory the reply has no reason */
  if (--r->left > 0)
    return;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HostsReply hr = PVMNG__HOSTS_REPLY__INIT;
  hr.n_results = r->n;
  hr.results = r->res;
  for (size_t i = 0; i < r->n; i++) {
    any |= r->why[i] != NULL;
    if (!r->why[i])
      r->why[i] = none;
  }
  if (any) { /* an old task reads the results only */
    hr.n_reasons = r->n;
    hr.reasons = r->why;
  }
  m.body_case = PVMNG__CONTROL__BODY_HOSTS_REPLY;
  m.hosts_reply = &hr;
  pvmd_peer_reply_send(ps, &r->rt, &m);
  for (size_t i = 0; i < r->n; i++)
    if (r->why[i] == none)
      r->why[i] = NULL;
  free_hostsreq(r);
}

void pvmd_peer_add_done(struct pvmd_add *a, int result) {
  struct pvmd_peers *ps = a->ps;
  struct pvmd_hostsreq *r = a->req;
  int slot = a->slot;
  char why[sizeof a->why];
  /* The reason travels back to whoever asked; a failure with no word from
   * the remote shell that ran into the deadline did not join in time. */
  if (result < 0 && pvmd_now(ps->d) >= a->deadline &&
      !(a->rsh_exited && (a->rsh_status != 0 || a->rsh_signal != 0))) {
    char last[sizeof a->why];
    snprintf(last, sizeof last, "%s", a->why);
    if (snprintf(a->why, sizeof a->why,
                 "its pvmd did not join within %d s (started, but cannot "
                 "reach this daemon?)%s%s",
                 ADD_TIMEOUT_MS / 1000, last[0] ? "; it said: " : "",
                 last) >= (int)sizeof a->why)
      a->why[sizeof a->why - 1] = '\0';
  }
  snprintf(why, sizeof why, "%s", result < 0 ? a->why : "");
  if (result < 0)
    pvmd_log("adding host %s failed (%d)%s%s", a->name, result,
             why[0] ? ": " : "", why);
  pvmd_join_spend(ps, a->name);
  a->req = NULL;
  if (a->proc_open && result < 0 && !a->rsh_exited)
    uv_process_kill(&a->proc, SIGTERM);
  free_add(a);
  if (r)
    hostsreq_part(ps, r, slot, result, why);
}

static const char *rsh_name(void) {
  const char *rsh = getenv("PVM_RSH");
  return rsh && *rsh ? rsh : "ssh";
}

/* What starts the other daemons: srun inside a Slurm allocation (pvmd -S),
 * else the remote shell. */
static const char *starter_name(const struct pvmd *d) {
  return d->slurm ? "srun" : rsh_name();
}

/* The starter's program name for messages: "ssh" for "/usr/bin/ssh -F x". */
static void starter_label(const struct pvmd *d, char *out, size_t outlen) {
  const char *s = starter_name(d), *end = s + strcspn(s, " \t"), *p = s;
  if (access(s, X_OK) == 0) /* a path with blanks, as it is */
    end = s + strlen(s);
  for (const char *q = s; q < end; q++)
    if (*q == '/')
      p = q + 1;
  snprintf(out, outlen, "%.*s", (int)(end - p), p);
}

#define RSH_WORDS_MAX 9

/* $PVM_RSH as words, so that options may follow the program
 * ("ssh -F ~/.ssh/pvm_config"), unless it names a program as it is (a path
 * with blanks). words point into buf. Returns how many, or -1 (more than
 * RSH_WORDS_MAX, or none). */
static int rsh_words(char *buf, size_t buflen, char **words) {
  char *save = NULL, *w;
  int n = 0;
  snprintf(buf, buflen, "%s", rsh_name());
  if (!strpbrk(buf, " \t") || access(buf, X_OK) == 0) {
    words[0] = buf;
    return 1;
  }
  for (w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
    if (n == RSH_WORDS_MAX)
      return -1;
    words[n++] = w;
  }
  return n > 0 ? n : -1;
}

/* The remote shell failed: its last line on stderr (the reason, usually)
 * and its exit status become the add's reason, for the log and for the one
 * who asked. */
static void rsh_failed(struct pvmd_add *a) {
  char status[80], label[32];
  const char *rsh = starter_name(a->ps->d);
  size_t len = strlen(a->why);
  starter_label(a->ps->d, label, sizeof label);
  /* "<last line> (ssh exited with status 255)", the line cut to fit. */
  if (snprintf(status, sizeof status, "%s%s %s %d%s", len ? " (" : "", label,
               a->rsh_signal ? "killed by signal" : "exited with status",
               a->rsh_signal ? a->rsh_signal : a->rsh_status,
               len ? ")" : "") >= (int)sizeof status)
    status[0] = '\0';
  if (len + strlen(status) >= sizeof a->why)
    len = sizeof a->why - 1 - strlen(status);
  memcpy(a->why + len, status, strlen(status) + 1);
  pvmd_log("adding host %s: %s exited with status %d%s", a->name, rsh,
           a->rsh_status, a->rsh_signal ? " (signal)" : "");
  pvmd_peer_add_done(a, PvmCantStart);
}

/* The remote shell ends once the new daemon has put itself in the
 * background; a failure there fails the add as soon as what it printed
 * (the reason, usually) has been logged. */
static void on_rsh_exit(uv_process_t *p, int64_t status, int sig) {
  struct pvmd_add *a = p->data;
  a->rsh_exited = 1;
  a->rsh_status = (int)status;
  a->rsh_signal = sig;
  if ((status != 0 || sig != 0) && !a->out_open)
    rsh_failed(a);
}

/* Logs the complete lines in a->obuf (all of it when flush). */
static void log_rsh_output(struct pvmd_add *a, int flush) {
  char *p = a->obuf, *end = a->obuf + a->olen, *nl;
  while (p < end && ((nl = memchr(p, '\n', (size_t)(end - p))) || flush)) {
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (n > 0) {
      pvmd_log("adding host %s: %s said: %.*s", a->name, starter_name(a->ps->d),
               (int)n, p);
      /* The last line is kept: a shell's reason comes last. */
      snprintf(a->why, sizeof a->why, "%.*s", (int)n, p);
    }
    p = nl ? nl + 1 : end;
  }
  a->olen = (size_t)(end - p);
  memmove(a->obuf, p, a->olen);
}

static void on_out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  struct pvmd_add *a = h->data;
  (void)suggested;
  b->base = a->obuf + a->olen;
  b->len = sizeof a->obuf - a->olen;
}

static void on_out_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  struct pvmd_add *a = s->data;
  (void)b;
  if (n > 0) {
    a->olen += (size_t)n;
    log_rsh_output(a, a->olen == sizeof a->obuf);
    return;
  }
  if (n == 0)
    return;
  log_rsh_output(a, 1); /* EOF or an error: the shell is done talking */
  a->out_open = 0;
  close_add_handle(a, (uv_handle_t *)&a->out);
  if (a->rsh_exited && (a->rsh_status != 0 || a->rsh_signal != 0))
    rsh_failed(a);
}

/* Runs argv with the host's join credential on its stdin (see
 * peer_join.c) and its stderr into a pipe read into the log (where a remote
 * shell says why it could not start the daemon). */
static int run_rsh(struct pvmd *d, struct pvmd_add *a, char **argv, char *why,
                   size_t whylen) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  int fds[2], rc, cred_fd;

  memset(&o, 0, sizeof o);
  if ((cred_fd = pvmd_join_stdin(a->ps, a->name, &stdio[0])) < 0)
    return -1;
  if (pipe2(fds, O_CLOEXEC) != 0) {
    pvmd_log("adding host %s: pipe: %s", a->name, strerror(errno));
    close(cred_fd);
    return -1;
  }
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = fds[1];
  o.file = argv[0];
  o.args = argv;
  o.exit_cb = on_rsh_exit;
  o.stdio = stdio;
  o.stdio_count = 3;
  a->proc.data = a;
  rc = uv_spawn(&d->loop, &a->proc, &o);
  close(cred_fd);
  close(fds[1]);
  a->proc_open = 1; /* closed even when the spawn failed */
  if (rc != 0) {
    pvmd_log("adding host %s: cannot run %s: %s", a->name, argv[0],
             uv_strerror(rc));
    snprintf(why, whylen, "cannot run %s: %s", argv[0], uv_strerror(rc));
    close(fds[0]);
    return -1;
  }
  uv_pipe_init(&d->loop, &a->out, 0);
  a->out.data = a;
  a->out_open = 1;
  if (uv_pipe_open(&a->out, fds[0]) != 0 ||
      uv_read_start((uv_stream_t *)&a->out, on_out_alloc, on_out_read) != 0) {
    pvmd_log("adding host %s: cannot read what %s prints", a->name, argv[0]);
    a->out_open = 0; /* closes fds[0] too (or was never given it) */
    close_add_handle(a, (uv_handle_t *)&a->out);
  }
  return 0;
}

/* Inside a Slurm allocation (pvmd -S) a daemon is a job step of one task
 * on its node, so that Slurm accounts for it and ends it with the job:
 * srun ... -w node /bin/sh -c 'cmd -S' (the daemon stays in the step's
 * foreground with -S). cmd (of size cmdlen) gets the -S; argv points into
 * it and at constants. */
static void slurm_argv(const char *node, char *cmd, size_t cmdlen,
                       char **argv) {
  int i = 0;
  size_t len = strlen(cmd);
  if (len + 4 < cmdlen)
    memcpy(cmd + len, " -S", 4);
  argv[i++] = (char *)"srun";
  argv[i++] = (char *)"--nodes=1";
  argv[i++] = (char *)"--ntasks=1";
  argv[i++] = (char *)"--overlap"; /* beside the steps the user runs */
  argv[i++] = (char *)"--quiet";
  argv[i++] = (char *)"--job-name=pvmd";
  argv[i++] = (char *)"-w";
  argv[i++] = (char *)node;
  argv[i++] = (char *)"/bin/sh";
  argv[i++] = (char *)"-c";
  argv[i++] = cmd;
  argv[i] = NULL;
}

/* Starts one host with options o: $PVM_RSH [-l lo] host 'pvmd -s ...' with
 * its join credential on stdin (the new daemon takes its certificate from a
 * shared directory, or asks for one with the credential), or (so=ms) the
 * certificate issued and the command logged for the user to type. */
static int start_add(struct pvmd_peers *ps, const char *name,
                     const struct pvmd_hostopts *o, struct pvmd_hostsreq *r,
                     int slot, char *why, size_t whylen) {
  struct pvmd *d = ps->d;
  char prefix[PATH_MAX + 300], pem[PATH_MAX + 310], err[512],
      exe[PATH_MAX] = "pvmd", master[80],
      cmd[4 * PVMD_HF_VALUE_MAX + 2 * PATH_MAX];
  char *argv[16], rshbuf[PATH_MAX];
  struct pvmd_add *a;
  struct stat st;
  ssize_t n;
  long now = (long)time(NULL);
  int hoster, nw;

  {
    const struct pvmd_host *h = pvmd_host_by_name(&d->hosts, name);
    struct pvmd_list *pos, *tmp_;
    int from_file = 0;
    pvmd_list_each_safe(pos, tmp_, &ps->adds) {
      struct pvmd_add *o = pvmd_container_of(pos, struct pvmd_add, node);
      if (strcasecmp(o->name, name) == 0)
        return PvmAlready; /* man pvm_addhosts: another add is under way */
      from_file |= o->req == NULL;
    }
    /* A task asking to add the master itself while the host file's hosts
     * are still being added learns that they are: PVM 3.4's
     * pvm_start_pvmd(..., block) waits that way. */
    if (h != NULL)
      return r != NULL && from_file && h == pvmd_host_self(&d->hosts)
                 ? PvmAlready
                 : PvmDupHost;
  }
  if (!pvmw_pki_name_ok(name) || strlen(name) >= PVMD_HOSTNAME_MAX) {
    snprintf(why, whylen, "not a usable host name");
    return PvmBadParam;
  }
  if (o->so == PVMD_SO_PW) { /* the parser refuses it; never prompt */
    pvmd_log("adding host %s: so=pw is not supported; use an ssh key", name);
    return PvmBadParam;
  }
  if (pvmd_peer_listen(ps, o->ip ? o->ip : name) != 0) {
    snprintf(why, whylen,
             "this daemon cannot open its port toward it "
             "(see its log)");
    return PvmSysErr;
  }
  /* A daemon started by hand (so=ms) gets no join credential: it takes
   * its certificate from the shared certificate directory, issued here. */
  snprintf(prefix, sizeof prefix, "%s/%s", ps->certdir, name);
  snprintf(pem, sizeof pem, "%s.pem", prefix);
  hoster = pvmd_hoster_tid(d) != 0;
  if ((o->so == PVMD_SO_MS || hoster) && stat(pem, &st) != 0 &&
      pvmw_pki_make_cert(ps->certdir, prefix, name, now - 300,
                         now + CERT_DAYS * 86400L, err, sizeof err) != 0) {
    pvmd_log("adding host %s: cannot issue its certificate: %s", name, err);
    return PvmSysErr;
  }
  n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0)
    exe[n] = '\0';
  /* ssh passes no environment: what the new daemon must share with this
   * one goes on its command line (values are single-quoted). */
  snprintf(master, sizeof master, "%s:%d", ps->addr, ps->port);
  if (pvmd_hostopts_command(o, name, d->vmid, getenv("PVM_CERTDIR"), exe,
                            master, pvmd_log_debug_mask() != 0, cmd, sizeof cmd,
                            err, sizeof err) != 0) {
    pvmd_log("adding host %s: %s", name, err);
    return PvmBadParam;
  }
  a = calloc(1, sizeof *a);
  if (!a)
    return PvmNoMem;
  pvmd_list_init(&a->node);
  a->ps = ps;
  a->host_no = pvmd_peer_free_host_no(ps);
  if (a->host_no < 0) {
    free(a);
    return PvmOutOfRes;
  }
  snprintf(a->name, sizeof a->name, "%s", name);
  snprintf(a->vmid, sizeof a->vmid, "%s", o->id ? o->id : d->vmid);
  a->speed = o->sp ? o->sp : PVMD_SPEED;
  a->deadline = pvmd_now(d) + ADD_TIMEOUT_MS;
  a->req = r;
  a->slot = slot;
  if (o->so == PVMD_SO_MS) {
    /* pvmd3(1PVM), MANUAL STARTUP. The daemon typed there connects back
     * by itself: there is no response to type here. */
    pvmd_list_add_tail(&ps->adds, &a->node);
    pvmd_log("*** Manual startup ***");
    if (o->lo)
      pvmd_log("Login to \"%s\" as \"%s\" and type:", o->ip ? o->ip : name,
               o->lo);
    else
      pvmd_log("Login to \"%s\" and type:", o->ip ? o->ip : name);
    pvmd_log("%s", cmd);
    pvmd_log("(host %s: waiting up to %d s for that daemon to join)", name,
             ADD_TIMEOUT_MS / 1000);
    return 0;
  }
  if (hoster) {
    /* pvm_reg_hoster: the hoster runs the command there, as a user would
     * for so=ms; the daemon joins by itself with the certificate issued
     * above. */
    char login[2 * PVMD_HF_VALUE_MAX + 2];
    int rc;
    snprintf(login, sizeof login, "%s%s%s", o->lo ? o->lo : "",
             o->lo ? "@" : "", o->ip ? o->ip : name);
    rc = pvmd_hoster_start(d, a, o->so == PVMD_SO_MS ? "ms" : "", login, cmd);
    if (rc != 0) {
      free_add(a);
      return PvmCantStart;
    }
    pvmd_list_add_tail(&ps->adds, &a->node);
    pvmd_log("adding host %s through the hoster t%x: '%s'", name,
             (unsigned)pvmd_hoster_tid(d), cmd);
    return 0;
  }
  if (d->slurm)
    slurm_argv(a->name, cmd, sizeof cmd, argv);
  else if ((nw = rsh_words(rshbuf, sizeof rshbuf, argv)) > 0)
    pvmd_hostopts_rsh_argv(o, a->name, argv[nw - 1], cmd, argv + nw - 1);
  else {
    pvmd_log("adding host %s: PVM_RSH \"%.100s\" is empty or has more than "
             "%d words",
             name, rsh_name(), RSH_WORDS_MAX);
    snprintf(why, whylen, "PVM_RSH is empty or has more than %d words",
             RSH_WORDS_MAX);
    free_add(a);
    return PvmBadParam;
  }
  if (run_rsh(d, a, argv, why, whylen) != 0) {
    free_add(a);
    return PvmCantStart;
  }
  pvmd_list_add_tail(&ps->adds, &a->node);
  if (d->slurm)
    pvmd_log("adding host %s: srun ... -w %s /bin/sh -c '%s'", name, name, cmd);
  else
    pvmd_log("adding host %s: %s %s%s%s%s '%s'", name, rsh_name(),
             o->lo ? "-l " : "", o->lo ? o->lo : "", o->lo ? " " : "",
             o->ip ? o->ip : name, cmd);
  return 0;
}

void pvmd_peer_add_hosts(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__HostsRequest *hr) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = pvmd_peer_state(d);
  struct pvmd_reply_to rt = pvmd_peer_reply_to_of(c, req_id);
  struct pvmd_hostsreq *r;

  if (!ps) {
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, NULL);
    return;
  }
  if (ps->master) { /* only the master adds hosts */
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    m.req_id = req_id;
    m.body_case = PVMNG__CONTROL__BODY_ADD_HOSTS;
    m.add_hosts = (Pvmng__HostsRequest *)hr;
    pvmd_peer_forward(ps, &rt, 1, &m, NULL, 0, 0);
    return;
  }
  if (hr->n_hosts == 0) {
    pvmd_reply_status(c, req_id, PvmBadParam, PvmBadParam, NULL);
    return;
  }
  r = calloc(1, sizeof *r);
  if (r) {
    r->n = hr->n_hosts;
    r->res = calloc(hr->n_hosts, sizeof *r->res);
    r->why = calloc(hr->n_hosts, sizeof *r->why);
  }
  if (!r || !r->res || !r->why) {
    if (r)
      free_hostsreq(r);
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, NULL);
    return;
  }
  r->rt = rt;
  r->left = (int)hr->n_hosts + 1; /* +1 until every add has started */
  for (size_t i = 0; i < hr->n_hosts; i++) {
    /* "name [option=value ...]": the options of its host file line (or
     * the last '*' line), then its own. */
    struct pvmd_hostopts o;
    char name[PVMD_HOSTNAME_MAX], err[768], why[200] = "";
    int rc;
    if (pvmd_hostfile_resolve(d->hostfile, hr->hosts[i], name, sizeof name, &o,
                              err, sizeof err) != 0) {
      pvmd_log("cannot add host \"%.100s\": %s", hr->hosts[i], err);
      snprintf(why, sizeof why, "%.199s", err);
      rc = PvmBadParam;
    } else {
      rc = start_add(ps, name, &o, r, (int)i, why, sizeof why);
      pvmd_hostopts_free(&o);
    }
    if (rc != 0)
      hostsreq_part(ps, r, (int)i, rc, why);
  }
  r->left--;
  if (r->left == 0) {
    r->left = 1;
    hostsreq_part(ps, r, 0, r->res[0], NULL);
  }
}

void pvmd_peer_del_hosts(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__HostsRequest *hr) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = pvmd_peer_state(d);
  struct pvmd_reply_to rt = pvmd_peer_reply_to_of(c, req_id);
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HostsReply rep = PVMNG__HOSTS_REPLY__INIT;
  int32_t *res;

  if (!ps || hr->n_hosts == 0) {
    pvmd_reply_status(c, req_id, ps ? PvmBadParam : PvmNoMem, 0, NULL);
    return;
  }
  if (ps->master) {
    m.req_id = req_id;
    m.body_case = PVMNG__CONTROL__BODY_DEL_HOSTS;
    m.del_hosts = (Pvmng__HostsRequest *)hr;
    pvmd_peer_forward(ps, &rt, 1, &m, NULL, 0, 0);
    return;
  }
  res = calloc(hr->n_hosts, sizeof *res);
  if (!res) {
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, NULL);
    return;
  }
  for (size_t i = 0; i < hr->n_hosts; i++) {
    const struct pvmd_host *h = pvmd_host_by_name(&d->hosts, hr->hosts[i]);
    struct pvmd_link *l;
    if (!h) {
      res[i] = PvmNoHost;
      continue;
    }
    if (h->self) {
      res[i] = PvmBadParam;
      continue;
    }
    l = pvmd_link_to_host(ps, pvmw_tid_host(h->tid));
    res[i] = 0;
    if (l) {
      Pvmng__Control hm = PVMNG__CONTROL__INIT;
      Pvmng__PeerHalt ph = PVMNG__PEER_HALT__INIT;
      ph.why = (char *)"deleted from the virtual machine";
      hm.body_case = PVMNG__CONTROL__BODY_PEER_HALT;
      hm.peer_halt = &ph;
      pvmd_link_send_control(l, &hm);
      pvmd_log("deleting host %s", l->who);
      pvmd_peer_lost_host(l);
      pvmd_link_close(l);
    }
  }
  rep.n_results = hr->n_hosts;
  rep.results = res;
  m.body_case = PVMNG__CONTROL__BODY_HOSTS_REPLY;
  m.hosts_reply = &rep;
  pvmd_peer_reply_send(ps, &rt, &m);
  free(res);
}

/* The host file's lines, each with its options; the master's own line and
 * the '&' lines are not started. */
void pvmd_peer_hostfile(struct pvmd *d) {
  const struct pvmd_hostfile *hf = d->hostfile;
  struct pvmd_peers *ps;
  for (size_t i = 0; hf && i < hf->n; i++) {
    const struct pvmd_hostent *e = &hf->v[i];
    char why[200] = "";
    int rc;
    if (e->deferred || pvmd_host_by_name(&d->hosts, e->name))
      continue;
    ps = pvmd_peer_state(d);
    if (!ps)
      break;
    rc = start_add(ps, e->name, &e->opts, NULL, 0, why, sizeof why);
    if (rc != 0)
      pvmd_log("host file %s line %d: cannot add %s (%d)%s%s", hf->path,
               e->line, e->name, rc, why[0] ? ": " : "", why);
  }
}
