/* pvmd: the per-host daemon of a PVM-NG virtual machine. main takes the
 * VM's lock (one daemon per user and VM id), binds the task socket, forks
 * into the background once the socket is listening, and runs one libuv loop
 * until a halt has closed every handle. SIGTERM and SIGINT halt; SIGHUP
 * reloads this host's certificate. A slave (-s) reads its join credential
 * from stdin first. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostopts.h"
#include "join.h"
#include "listen.h"
#include "log.h"
#include "mbox.h"
#include "notifytab.h"
#include "peer.h"
#include "pvmd.h"
#include "tid.h"

struct options {
  int foreground;
  int slurm; /* -S: a Slurm allocation's VM (see usage) */
  unsigned debug;
  const char *hostname;
  const char *hostfile;
  const char *master;       /* -s addr:port: a slave started by the master */
  const char *ep, *wd, *bx; /* -e, -w, -b: this host's ep=, wd=, bx= */
  pvmw_join_cred cred;      /* read from stdin with -s */
  int have_cred;
};

static void usage(void) {
  fprintf(stderr,
          "usage: pvmd [-f] [-d[mask]] [-n hostname] [-e path] [-w dir] "
          "[-b debugger] [hostfile]\n"
          "       pvmd -s master-addr:port -n hostname [...] (started by "
          "the master)\n"
          "  -e, -w, -b: this host's ep=, wd=, bx= host file options\n"
          "  -S: inside a Slurm allocation, the hosts are its nodes "
          "($SLURM_JOB_NODELIST, no host file),\n"
          "      each daemon a job step started with srun: the virtual "
          "machine ends with the allocation\n");
}

static int parse_args(int argc, char **argv, struct options *o) {
  int ch;
  memset(o, 0, sizeof *o);
  opterr = 0;
  while ((ch = getopt(argc, argv, "+fd::n:s:e:w:b:S")) != -1) {
    switch (ch) {
    case 'f':
      o->foreground = 1;
      break;
    case 'd':
      /* -d alone turns debugging on; -dMASK as PVM (0x.., 0.., decimal). */
      o->debug = optarg ? (unsigned)strtoul(optarg, NULL, 0) : 1u;
      break;
    case 'n':
      if (!optarg[0] || strlen(optarg) >= PVMD_HOSTNAME_MAX) {
        fprintf(stderr, "pvmd: bad host name for -n\n");
        return -1;
      }
      o->hostname = optarg;
      break;
    case 's':
      o->master = optarg;
      break;
    case 'e':
      o->ep = optarg;
      break;
    case 'w':
      o->wd = optarg;
      break;
    case 'b':
      o->bx = optarg;
      break;
    case 'S':
      o->slurm = 1;
      break;
    default:
      fprintf(stderr, "pvmd: unknown option -%c\n", optopt);
      usage();
      return -1;
    }
  }
  if (optind < argc)
    o->hostfile = argv[optind++];
  if (optind < argc || (o->master && (o->hostfile || !o->hostname)) ||
      (o->slurm && o->hostfile)) {
    usage();
    return -1;
  }
  return 0;
}

/* A slave's stdin is the master's channel: the join credential line comes
 * there (none from a terminal, /dev/null or a master that sends nothing
 * within a few seconds). Returns 1 with c filled, 0 without a credential,
 * -1 for a bad one (said on stderr, which the master's shell shows). */
static int read_credential(pvmw_join_cred *c) {
  char line[PVMW_JOIN_LINE_MAX + 1], err[256];
  size_t have = 0;
  int rc;
  if (isatty(STDIN_FILENO))
    return 0;
  while (have < sizeof line - 1) {
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    ssize_t n;
    if (poll(&p, 1, 5000) <= 0)
      break;
    n = read(STDIN_FILENO, line + have, sizeof line - 1 - have);
    if (n <= 0)
      break;
    have += (size_t)n;
    if (memchr(line, '\n', have))
      break;
  }
  line[have] = '\0';
  if (have == 0)
    return 0;
  rc = pvmw_join_cred_parse(line, c, err, sizeof err) == 0 ? 1 : -1;
  if (rc < 0)
    fprintf(stderr, "pvmd: the join credential on stdin is unusable: %s\n",
            err);
  memset(line, 0, sizeof line);
  return rc;
}

/* Written over the old content, then cut to length: a reader sees the old
 * pid or the new one on the first line, never an empty file. */
static void write_pid_of(int fd, pid_t pid) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld\n", (long)pid);
  if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) != 0)
    pvmd_log("cannot write the pid into the lock file: %s", strerror(errno));
}

static void write_pid(int fd) { write_pid_of(fd, getpid()); }

/* Takes the VM's lock or exits: 2 when another daemon holds it. */
static int take_lock(const char *path, const char *vmid) {
  char buf[32] = "";
  ssize_t n;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0) {
    fprintf(stderr, "pvmd: cannot open lock file %s: %s\n", path,
            strerror(errno));
    exit(1);
  }
  if (flock(fd, LOCK_EX | LOCK_NB) == 0)
    return fd;
  if (errno != EWOULDBLOCK) {
    fprintf(stderr, "pvmd: cannot lock %s: %s\n", path, strerror(errno));
    exit(1);
  }
  n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  fprintf(stderr,
          "pvmd: already running for this user and VM id %s (pid %ld); "
          "stop it with `pvm -c halt` first\n",
          vmid[0] ? vmid : "(default)", strtol(buf, NULL, 10));
  exit(2);
}

/* Binds and listens on the task socket (mode 0600; the directory is 0700).
 * The socket is made under a temporary name and renamed into place once it
 * listens, so that whoever sees the file can connect (a connection between
 * bind and listen would be refused). The lock is held, so a socket file
 * left there is stale. */
static int bind_socket(const char *path) {
  struct sockaddr_un sa;
  char tmp[sizeof sa.sun_path];
  const char *at = path;
  mode_t old;
  int fd;

  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "pvmd: socket path %s is too long (at most %zu bytes)\n",
            path, sizeof sa.sun_path - 1);
    return -1;
  }
  /* A path too long for the temporary name is bound as it is. */
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) < sizeof tmp)
    at = tmp;
  strcpy(sa.sun_path, at);
  if ((unlink(path) != 0 && errno != ENOENT) ||
      (at != path && unlink(at) != 0 && errno != ENOENT)) {
    fprintf(stderr, "pvmd: cannot remove stale socket %s: %s\n", path,
            strerror(errno));
    return -1;
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "pvmd: socket: %s\n", strerror(errno));
    return -1;
  }
  old = umask(0177);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    umask(old);
    fprintf(stderr, "pvmd: cannot bind %s: %s\n", at, strerror(errno));
    close(fd);
    return -1;
  }
  umask(old);
  if (chmod(at, 0600) != 0 || listen(fd, SOMAXCONN) != 0 ||
      (at != path && rename(at, path) != 0)) {
    fprintf(stderr, "pvmd: cannot listen on %s: %s\n", path, strerror(errno));
    close(fd);
    unlink(at);
    return -1;
  }
  return fd;
}

/* The write end of the pipe on which the daemon tells its starter that
 * start-up is over (daemonize); -1 in the foreground. */
static int ready_fd = -1;

/* One byte to the waiting parent: 'r' ready, anything else (or the pipe's
 * end, should the daemon exit first) a failed start. */
static void tell_starter(int ok) {
  char c = ok ? 'r' : 'f';
  if (ready_fd < 0)
    return;
  ssize_t w = write(ready_fd, &c, 1);
  (void)w;
  close(ready_fd);
  ready_fd = -1;
}

/* The parent returns only once the socket listens and start-up is over
 * (tell_starter), so whoever started pvmd can connect as soon as it
 * exits, and a start that fails later (out of memory) fails its starter
 * too. A Slurm step's daemon does not fork: srun waits for it. */
static void daemonize(int lock_fd, const struct options *o,
                      const char *log_path) {
  int ready[2];
  int stay = o->slurm && o->master;
  int wait_ready = !stay && pipe2(ready, O_CLOEXEC) == 0;
  pid_t pid = stay ? 0 : fork();
  int fd;

  if (pid < 0) {
    fprintf(stderr, "pvmd: fork: %s\n", strerror(errno));
    exit(1);
  }
  if (pid > 0) {
    /* The lock file names the daemon before its starter returns, so that
     * whoever started it finds the right pid there at once. */
    write_pid_of(lock_fd, pid);
    if (!wait_ready)
      _exit(0);
    char c = 0;
    ssize_t r;
    close(ready[1]);
    do
      r = read(ready[0], &c, 1);
    while (r < 0 && errno == EINTR);
    if (r == 1 && c == 'r')
      _exit(0);
    fprintf(stderr, "pvmd: start-up failed (the log %s says why)\n", log_path);
    _exit(1);
  }
  if (wait_ready) {
    close(ready[0]);
    ready_fd = ready[1];
  }
  /* A Slurm step's daemon stays in its step (srun waits for it) and the
   * master in its job's process group: Slurm ends both with the job. A
   * master started from a terminal (an interactive allocation) leaves the
   * terminal's process group, so that a ^C there reaches neither it nor the
   * sruns of its daemons; Slurm's cgroups still hold it. */
  if (!o->slurm)
    setsid();
  else if (!o->master && (fd = open("/dev/tty", O_RDONLY | O_CLOEXEC)) >= 0) {
    close(fd);
    setpgid(0, 0);
  }
  pvmd_log_set_pid();
  pvmd_log_quiet();
  fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
      close(fd);
  }
  write_pid(lock_fd);
}

/* Sets *dst to raw with its variables expanded (ep=, wd=, bx= are expanded
 * by the daemon that uses them); a relative wd= starts at $HOME. Does
 * nothing when raw is NULL or *dst is set already (-e/-w/-b win over the
 * host file). Returns 0, or -1 after saying why. */
static int set_host_value(char **dst, const char *raw, const char *key,
                          int relhome) {
  char val[PVMD_HF_VALUE_MAX], err[512];
  const char *home = getenv("HOME");
  int n;
  if (!raw || *dst)
    return 0;
  if (pvmd_hostopts_expand(raw, val, sizeof val, err, sizeof err) != 0) {
    fprintf(stderr, "pvmd: %s=%s: %s\n", key, raw, err);
    pvmd_log("cannot start: %s=%s: %s", key, raw, err);
    return -1;
  }
  if (relhome && val[0] != '/' && home && *home) {
    char *abs;
    n = asprintf(&abs, "%s/%s", home, val);
    if (n < 0)
      abs = NULL;
    *dst = abs;
  } else {
    *dst = strdup(val);
  }
  if (!*dst) {
    fprintf(stderr, "pvmd: out of memory\n");
    return -1;
  }
  pvmd_debug("this host's %s=%s", key, *dst);
  return 0;
}

/* The master reads its host file once, before it forks (a bad line stops
 * it with the file and line named on stderr), and takes the options of its
 * own line: sp= for its speed, ep=, wd=, bx= for its spawns, ip= for the
 * address the other daemons reach it at. */
static int load_hostfile(struct pvmd *d, const char *path) {
  static struct pvmd_hostfile hf;
  char err[1024], names[512] = "";
  size_t nlen = 0;
  int nstart = 0, nlater = 0;

  /* -S: the allocation's nodes stand in for the host file. */
  if ((path ? pvmd_hostfile_load(&hf, path, err, sizeof err)
            : pvmd_hostfile_slurm(&hf, err, sizeof err)) != 0) {
    fprintf(stderr, "pvmd: %s\n", err);
    pvmd_log("cannot start: %s", err);
    return -1;
  }
  d->hostfile = &hf;
  for (size_t i = 0; i < hf.n; i++) {
    const struct pvmd_hostent *e = &hf.v[i];
    const struct pvmd_host *h = pvmd_host_by_name(&d->hosts, e->name);
    if (h && h->self) {
      const struct pvmd_hostopts *o = &e->opts;
      if (o->sp)
        d->hosts.v[d->hosts.self].speed = o->sp;
      if (set_host_value(&d->ep, o->ep, "ep", 0) != 0 ||
          set_host_value(&d->wd, o->wd, "wd", 1) != 0 ||
          set_host_value(&d->bx, o->bx, "bx", 0) != 0)
        return -1;
      if (o->ip && !(d->listen_ip = strdup(o->ip)))
        return -1;
      if (o->id && strcmp(o->id, d->vmid) != 0)
        pvmd_log("host file %s line %d: id=%s on this host's own line is "
                 "ignored (this daemon's VM id is \"%s\", from $PVM_VMID)",
                 path, e->line, o->id, d->vmid);
      continue;
    }
    if (e->deferred) {
      nlater++;
      continue;
    }
    nstart++;
    if (nlen + strlen(e->name) + 3 < sizeof names)
      nlen += (size_t)snprintf(names + nlen, sizeof names - nlen, "%s%s",
                               nlen ? ", " : "", e->name);
  }
  if (nstart > 0 || nlater > 0)
    pvmd_log("host file %s names %d other host%s (%s): adding them%s",
             path ? path : "SLURM_JOB_NODELIST", nstart, nstart == 1 ? "" : "s",
             names, nlater ? "; '&' lines are kept for pvm_addhosts" : "");
  return 0;
}

static void on_signal(uv_signal_t *s, int signum) {
  struct pvmd *d = s->data;
  char why[32];
  if (signum == SIGHUP) {
    /* Renewed certificates take effect for new links without a restart. */
    pvmd_peer_reload(d);
    return;
  }
  snprintf(why, sizeof why, "signal %s", sigabbrev_np(signum));
  pvmd_halt(d, 0, why);
}

static void report_handle(uv_handle_t *h, void *arg) {
  (void)arg;
  pvmd_log("handle still open at exit: %s%s", uv_handle_type_name(h->type),
           uv_is_closing(h) ? " (closing)" : "");
}

static int run(struct pvmd *d, const struct options *o) {
  static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
  int rc;

  uv_loop_init(&d->loop);
  pvmd_list_init(&d->conns);
  pvmd_list_init(&d->notifies);
  pvmd_list_init(&d->rm_pending);
  pvmd_list_init(&d->mem_waiters);
  pvmd_mem_fit(d);
  pvmd_fd_limit_raise(d);
  if (pvmd_tasks_init(&d->tasks, d, d->host_no, d->lim.max_tasks) != 0) {
    pvmd_log("out of memory for the task table");
    return 1;
  }
  for (int i = 0; i < 3; i++) {
    uv_signal_init(&d->loop, &d->sig[i]);
    d->sig[i].data = d;
    uv_signal_start(&d->sig[i], on_signal, sigs[i]);
  }
  d->sig_open = 1;
  int ok = 0;
  if (o->master) {
    /* A slave serves tasks once the master has given it its host number. */
    if (o->have_cred && pvmd_peer_set_credential(d, &o->cred) != 0)
      pvmd_halt(d, 0, "out of memory");
    else if (pvmd_peer_join(d, o->master) != 0)
      pvmd_halt(d, 0, "cannot join the master");
    else
      ok = 1;
    rc = 0;
  } else if ((rc = pvmd_listen_start(d)) != 0) {
    pvmd_log("cannot listen on %s: %s", d->sock_path, uv_strerror(rc));
    pvmd_halt(d, 0, "start-up failed");
  } else {
    ok = 1;
    pvmd_log("started: host %s, VM id \"%s\", socket %s",
             pvmd_host_self(&d->hosts)->name, d->vmid, d->sock_path);
    if (d->hostfile)
      pvmd_peer_hostfile(d);
  }
  tell_starter(ok);
  uv_run(&d->loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&d->loop);
  if (rc != 0) {
    pvmd_log("cannot close the event loop: %s", uv_strerror(rc));
    uv_walk(&d->loop, report_handle, NULL);
    return 1;
  }
  if (d->tasks.count != 0) {
    pvmd_log("%d task entries left at exit", d->tasks.count);
    return 1;
  }
  pvmd_tasks_free(&d->tasks);
  free(d->mem_reserve);
  d->mem_reserve = NULL;
  pvmd_notify_free_all(d);
  return 0;
}

int main(int argc, char **argv) {
  static struct pvmd d;
  struct options o;
  char err[512], self[PVMD_HOSTNAME_MAX];
  const char *vmid;
  int lock_fd, rc;

  if (parse_args(argc, argv, &o) != 0)
    return 1;
  if (o.master) {
    int c = read_credential(&o.cred);
    if (c < 0)
      return 1;
    o.have_cred = c;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Message frames of up to a few MiB are allocated and freed at a high
   * rate. Served from the heap and kept there, they are reused; as
   * separate mappings each one would be faulted in and zeroed page by
   * page on every message. The heap gives memory back above 64 MiB free. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  pvmd_limits_default(&d.lim);
  d.uid = getuid();
  d.listen_fd = -1;

  vmid = pvmw_vmid(err, sizeof err);
  if (!vmid) {
    fprintf(stderr, "pvmd: %s\n", err);
    return 1;
  }
  snprintf(d.vmid, sizeof d.vmid, "%s", vmid);
  if (pvmw_runpath(d.sock_path, sizeof d.sock_path, d.vmid, "sock", 1, err,
                   sizeof err) != 0 ||
      pvmw_runpath(d.lock_path, sizeof d.lock_path, d.vmid, "lock", 1, err,
                   sizeof err) != 0 ||
      pvmw_runpath(d.log_path, sizeof d.log_path, d.vmid, "log", 1, err,
                   sizeof err) != 0) {
    fprintf(stderr, "pvmd: %s\n", err);
    return 1;
  }
  lock_fd = take_lock(d.lock_path, d.vmid);
  if (pvmd_log_open(d.log_path, 1) != 0) {
    fprintf(stderr, "pvmd: cannot open log file %s: %s\n", d.log_path,
            strerror(errno));
    return 1;
  }
  pvmd_log_set_debug(o.debug);

  pvmd_hostname(self, sizeof self);
  d.host_no = 1;
  d.tid = pvmw_tid_make(d.host_no, 0);
  if (pvmd_hosts_init(&d.hosts, d.host_no, o.hostname ? o.hostname : self,
                      self) != 0) {
    fprintf(stderr, "pvmd: out of memory\n");
    return 1;
  }
  pvmd_notify_hosts_changed(&d); /* the table hosts are added to */
  if (set_host_value(&d.ep, o.ep, "ep", 0) != 0 ||
      set_host_value(&d.wd, o.wd, "wd", 1) != 0 ||
      set_host_value(&d.bx, o.bx, "bx", 0) != 0)
    return 1;
  d.slurm = o.slurm;
  if ((o.hostfile || (o.slurm && !o.master)) &&
      load_hostfile(&d, o.hostfile) != 0)
    return 1;
  /* Group barrier segments an earlier daemon of this VM left (its tasks
   * killed inside a barrier, or the daemon itself killed); the lock is
   * held, so no task of this VM runs. */
  if ((rc = pvmw_shm_sweep(d.sock_path)) > 0)
    pvmd_log("removed %d shared-memory segment%s left by an earlier run", rc,
             rc == 1 ? "" : "s");
  /* Likewise the direct-link sockets of tasks of an earlier daemon that
   * did not end in order. */
  if ((rc = pvmw_task_sock_sweep(d.sock_path)) > 0)
    pvmd_log("removed %d task socket%s left by an earlier run", rc,
             rc == 1 ? "" : "s");
  /* In the foreground the lock file names this process before the socket
   * listens: whoever connects first finds the right pid there. */
  if (o.foreground)
    write_pid(lock_fd);
  d.listen_fd = bind_socket(d.sock_path);
  if (d.listen_fd < 0) {
    pvmd_log("cannot start: socket %s unavailable", d.sock_path);
    return 1;
  }
  if (!o.foreground)
    daemonize(lock_fd, &o, d.log_path);

  rc = run(&d, &o);
  memset(&o.cred, 0, sizeof o.cred);

  pvmw_shm_sweep(d.sock_path);
  pvmw_task_sock_sweep(d.sock_path);
  unlink(d.sock_path);
  unlink(d.lock_path);
  close(lock_fd);
  pvmd_hosts_free(&d.hosts);
  if (d.hostfile)
    pvmd_hostfile_free(d.hostfile);
  free(d.ep);
  free(d.wd);
  free(d.bx);
  free(d.listen_ip);
  pvmd_mbox_free_all();
  pvmd_context_free_all(&d);
  pvmd_log("halted%s", rc ? " (with errors)" : "");
  pvmd_log_close();
  return rc;
}
