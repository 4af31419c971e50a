/* Helpers for the daemon's own integration tests (tests/integration:
 * test_bad_frames.c, test_pvmd_lifecycle.c, test_pvmd_requests.c; part of
 * the test-support library, link pvmtest): they start pvmd themselves
 * in a private runtime directory and speak the wire protocol over raw Unix
 * sockets, without libpvm, so every byte the daemon sees is chosen here.
 * Whatever way a test ends (failure, crash, guard timer), the daemons it
 * started are killed and its directory is removed. */
#ifndef PVMD_RAW_H
#define PVMD_RAW_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "pvmtest.h"
#include "tid.h"

#define RAW_MAX_DAEMONS 32

/* A message frame set aside while waiting for a control reply. */
struct raw_stash {
  int fd;
  pvmw_frame *f;
  struct raw_stash *next;
};

/* Test state, reachable from the failure and signal paths. */
static struct {
  const char *prog;   /* name used in messages */
  const char *pvmd;   /* path of the daemon under test */
  char dir[PATH_MAX]; /* $PVM_TMP, from mkdtemp */
  char vmid[64];
  char rundir[PATH_MAX]; /* $PVM_TMP/pvm-<uid> */
  char sock[PATH_MAX];
  char lock[PATH_MAX];
  char log[PATH_MAX];
  pid_t pids[RAW_MAX_DAEMONS]; /* daemons started, 0 once reaped */
  int npids;
  struct raw_stash *stash; /* messages that arrived before a reply */
} raw;

static inline int raw_rm_one(const char *path, const struct stat *st, int flag,
                             struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static inline void raw_show_log(void);

/* Kills every daemon still running and removes the directory (showing the
 * daemon's log first when $PVMD_TEST_SHOW_LOG is set). */
static inline void raw_cleanup(void) {
  if (getenv("PVMD_TEST_SHOW_LOG") && raw.dir[0])
    raw_show_log();
  for (int i = 0; i < raw.npids; i++) {
    if (raw.pids[i] > 0) {
      kill(raw.pids[i], SIGKILL);
      waitpid(raw.pids[i], NULL, 0);
      raw.pids[i] = 0;
    }
  }
  if (raw.dir[0]) {
    nftw(raw.dir, raw_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    raw.dir[0] = '\0';
  }
}

/* Shows the end of the daemon's log (on failure). */
static inline void raw_show_log(void) {
  char line[1024];
  FILE *f = fopen(raw.log, "r");
  long n = 0;
  if (!f)
    return;
  fprintf(stderr, "---- %s ----\n", raw.log);
  while (fgets(line, sizeof line, f) && n++ < 200)
    fputs(line, stderr);
  fclose(f);
}

static inline void raw_fail_at(int line, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static inline void raw_fail_at(int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: FAIL (line %d): ", raw.prog, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (!getenv("PVMD_TEST_SHOW_LOG"))
    raw_show_log();
  raw_cleanup();
  exit(1);
}

#define RAW_FAIL(...) raw_fail_at(__LINE__, __VA_ARGS__)
#define RAW_CHECK(cond, ...)                                                   \
  do {                                                                         \
    if (!(cond))                                                               \
      raw_fail_at(__LINE__, __VA_ARGS__);                                      \
  } while (0)

static inline void raw_note(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void raw_note(const char *fmt, ...) {
  va_list ap;
  printf("%s: ", raw.prog);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* Guard timer and fatal signals: only async-signal-safe calls here. The
 * directory is removed by a forked rm. */
static inline void raw_on_signal(int sig) {
  static const char msg[] = ": FAIL: guard timer or fatal signal\n";
  ssize_t r = write(2, raw.prog, strlen(raw.prog));
  r = write(2, msg, sizeof msg - 1);
  (void)r;
  for (int i = 0; i < raw.npids; i++)
    if (raw.pids[i] > 0)
      kill(raw.pids[i], SIGKILL);
  if (raw.dir[0]) {
    pid_t p = fork();
    if (p == 0) {
      char *argv[] = {"rm", "-rf", raw.dir, NULL};
      char *envp[] = {NULL};
      execve("/bin/rm", argv, envp);
      _exit(127);
    }
    if (p > 0)
      waitpid(p, NULL, 0);
  }
  _exit(sig == SIGALRM ? 3 : 128 + sig);
}

static inline double raw_now(void) { return pvmt_now(); }

static inline void raw_sleep_ms(int ms) { pvmt_sleep_ms(ms); }

/* Makes the private directory and VM id and sets the environment that the
 * daemon (and raw_connect) use. guard_s bounds the whole test. */
static inline void raw_setup(const char *prog, const char *pvmd,
                             unsigned guard_s) {
  static const int fatal[] = {SIGALRM, SIGSEGV, SIGBUS, SIGABRT, SIGINT,
                              SIGTERM, SIGHUP,  SIGFPE, SIGILL};
  const char *tmp = getenv("TMPDIR");
  const char *base = strrchr(prog, '/');
  struct sigaction sa;

  raw.prog = base ? base + 1 : prog;
  raw.pvmd = pvmd;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = raw_on_signal;
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
    sigaction(fatal[i], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(guard_s);

  if (access(pvmd, X_OK) != 0)
    RAW_FAIL("%s is not an executable: build pvmd first", pvmd);
  snprintf(raw.dir, sizeof raw.dir, "%s/pvmd-test.XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(raw.dir)) {
    raw.dir[0] = '\0';
    RAW_FAIL("mkdtemp: %s", strerror(errno));
  }
  snprintf(raw.vmid, sizeof raw.vmid, "raw-%s-%ld", raw.prog, (long)getpid());
  raw.vmid[sizeof raw.vmid - 1] = '\0';
  /* The daemon's files, as sec/rundir.c names them. */
  RAW_CHECK(snprintf(raw.rundir, sizeof raw.rundir, "%s/pvm-%u", raw.dir,
                     (unsigned)geteuid()) < (int)sizeof raw.rundir &&
                snprintf(raw.sock, sizeof raw.sock, "%s/pvmd.%s.sock",
                         raw.rundir, raw.vmid) < (int)sizeof raw.sock &&
                snprintf(raw.lock, sizeof raw.lock, "%s/pvmd.%s.lock",
                         raw.rundir, raw.vmid) < (int)sizeof raw.lock &&
                snprintf(raw.log, sizeof raw.log, "%s/pvmd.%s.log", raw.rundir,
                         raw.vmid) < (int)sizeof raw.log,
            "runtime paths too long under %s", raw.dir);
  setenv("PVM_TMP", raw.dir, 1);
  setenv("PVM_VMID", raw.vmid, 1);
  unsetenv("PVMNG_SOCKET");
  unsetenv("PVMNG_TID");
}

/* Runs `pvmd -d`, with -f when foreground, and returns its pid without
 * waiting for anything. Its stderr goes to <dir>/pvmd-<n>.err. */
static inline pid_t raw_spawn_pvmd_mode(int foreground) {
  char err[PATH_MAX];
  pid_t pid;

  RAW_CHECK(raw.npids < RAW_MAX_DAEMONS, "too many daemons started");
  RAW_CHECK(snprintf(err, sizeof err, "%s/pvmd-%d.err", raw.dir, raw.npids) <
                (int)sizeof err,
            "path too long");
  fflush(NULL);
  pid = fork();
  RAW_CHECK(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int nul = open("/dev/null", O_RDONLY);
    sigset_t none;
    if (fd >= 0 && dup2(fd, 2) >= 0 && fd > 2)
      close(fd);
    if (nul >= 0 && dup2(nul, 0) >= 0 && nul > 2)
      close(nul);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    alarm(0);
    if (foreground)
      execl(raw.pvmd, "pvmd", "-f", "-d", (char *)NULL);
    else
      execl(raw.pvmd, "pvmd", "-d", (char *)NULL);
    _exit(127);
  }
  raw.pids[raw.npids++] = pid;
  return pid;
}

static inline pid_t raw_spawn_pvmd(void) { return raw_spawn_pvmd_mode(1); }

/* Remembers a daemon that is not our child, so that failures kill it. */
static inline void raw_adopt(pid_t pid) {
  RAW_CHECK(raw.npids < RAW_MAX_DAEMONS, "too many daemons started");
  raw.pids[raw.npids++] = pid;
}

/* Path of the stderr file of the n-th daemon started. */
static inline const char *raw_err_path(int n, char *buf, size_t len) {
  RAW_CHECK(snprintf(buf, len, "%s/pvmd-%d.err", raw.dir, n) < (int)len,
            "path too long");
  return buf;
}

/* Reads a small file into buf (NUL-terminated); "" if it cannot be read. */
static inline const char *raw_slurp(const char *path, char *buf, size_t len) {
  FILE *f = fopen(path, "r");
  size_t n = 0;
  buf[0] = '\0';
  if (f) {
    n = fread(buf, 1, len - 1, f);
    fclose(f);
  }
  buf[n] = '\0';
  return buf;
}

/* Forgets a daemon reaped by the caller. */
static inline void raw_forget(pid_t pid) {
  for (int i = 0; i < raw.npids; i++)
    if (raw.pids[i] == pid)
      raw.pids[i] = 0;
}

/* Connects to the daemon's socket; -1 when nothing listens. */
static inline int raw_try_connect(void) {
  struct sockaddr_un sa;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(raw.sock) >= sizeof sa.sun_path) {
    close(fd);
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(sa.sun_path, raw.sock, strlen(raw.sock) + 1);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static inline int raw_connect(void) {
  int fd = raw_try_connect();
  RAW_CHECK(fd >= 0, "cannot connect to %s: %s", raw.sock, strerror(errno));
  return fd;
}

/* Waits until pid's daemon accepts connections. */
static inline void raw_wait_ready(pid_t pid) {
  double end = raw_now() + 10;
  while (raw_now() < end) {
    int st, fd;
    RAW_CHECK(waitpid(pid, &st, WNOHANG) == 0,
              "pvmd (pid %ld) exited during start-up (status 0x%x)", (long)pid,
              st);
    fd = raw_try_connect();
    if (fd >= 0) {
      close(fd);
      return;
    }
    raw_sleep_ms(20);
  }
  RAW_FAIL("pvmd did not open %s within 10 s", raw.sock);
}

static inline pid_t raw_start_pvmd(void) {
  pid_t pid = raw_spawn_pvmd();
  raw_wait_ready(pid);
  return pid;
}

/* Waits up to timeout_s for pid to exit; returns its wait status, or -1. */
static inline int raw_wait_exit(pid_t pid, double timeout_s) {
  double end = raw_now() + timeout_s;
  int st;
  while (raw_now() < end) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      raw_forget(pid);
      return st;
    }
    raw_sleep_ms(10);
  }
  return -1;
}

static inline void raw_write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    RAW_CHECK(w > 0, "write to pvmd: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
}

/* Like raw_write_all, but a peer that already closed is not an error
 * (bad-input tests write after the daemon may have hung up). */
static inline void raw_write_lenient(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

/* Reads exactly n bytes before the deadline. Returns n, 0 on EOF, -1 on
 * timeout or error. */
static inline ssize_t raw_read_full(int fd, void *buf, size_t n,
                                    double deadline) {
  char *p = buf;
  size_t have = 0;
  while (have < n) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int ms = (int)((deadline - raw_now()) * 1000);
    ssize_t r;
    if (ms <= 0)
      return -1;
    if (poll(&pfd, 1, ms) <= 0)
      continue;
    r = read(fd, p + have, n - have);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return errno == ECONNRESET ? 0 : -1;
    if (r == 0)
      return 0;
    have += (size_t)r;
  }
  return (ssize_t)n;
}

/* One whole frame, or NULL on EOF/timeout (*eof tells which). */
static inline pvmw_frame *raw_recv_frame(int fd, double timeout_s, int *eof) {
  double deadline = raw_now() + timeout_s;
  uint8_t hdr[PVMW_HDR_LEN];
  uint8_t type;
  uint32_t len;
  char err[160];
  pvmw_frame *f;
  ssize_t r = raw_read_full(fd, hdr, sizeof hdr, deadline);

  if (eof)
    *eof = r == 0;
  if (r <= 0)
    return NULL;
  RAW_CHECK(pvmw_hdr_check(hdr, PVMW_MAX_FRAME, &type, &len, err, sizeof err) ==
                0,
            "bad frame from pvmd: %s", err);
  f = pvmw_frame_alloc(type, len);
  RAW_CHECK(f != NULL, "out of memory");
  r = raw_read_full(fd, f->payload, len, deadline);
  RAW_CHECK(r == (ssize_t)len, "truncated frame from pvmd");
  return f;
}

/* Expects the daemon to close fd within timeout_s, discarding any frames
 * that come first. Returns 1 on EOF, 0 if it stayed open. */
static inline int raw_wait_eof(int fd, double timeout_s) {
  double deadline = raw_now() + timeout_s;
  char buf[4096];
  for (;;) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int ms = (int)((deadline - raw_now()) * 1000);
    ssize_t r;
    if (ms <= 0)
      return 0;
    if (poll(&pfd, 1, ms) <= 0)
      continue;
    r = read(fd, buf, sizeof buf);
    if (r == 0 || (r < 0 && errno == ECONNRESET))
      return 1;
    if (r < 0 && errno != EINTR)
      return 1;
  }
}

static inline void raw_send_frame(int fd, int type, const void *payload,
                                  uint32_t len) {
  uint8_t hdr[PVMW_HDR_LEN];
  pvmw_hdr_put(hdr, type, len);
  raw_write_all(fd, hdr, sizeof hdr);
  if (len)
    raw_write_all(fd, payload, len);
}

static inline void raw_send_control(int fd, const Pvmng__Control *m) {
  pvmw_frame *f = pvmw_control_frame(m);
  RAW_CHECK(f != NULL, "cannot encode a control message");
  raw_write_all(fd, f->raw, f->raw_len);
  pvmw_frame_free(f);
}

/* The next control message; fails the test on EOF or timeout. Message
 * frames that arrive first are skipped when skip_messages is set. */
static inline Pvmng__Control *raw_recv_control(int fd, double timeout_s,
                                               int skip_messages) {
  for (;;) {
    int eof = 0;
    pvmw_frame *f = raw_recv_frame(fd, timeout_s, &eof);
    Pvmng__Control *c;
    RAW_CHECK(f != NULL, "no control reply from pvmd (%s)",
              eof ? "connection closed" : "timeout");
    if (f->type == PVMW_FT_MESSAGE && skip_messages) {
      struct raw_stash *s = malloc(sizeof *s), **pp = &raw.stash;
      RAW_CHECK(s != NULL, "out of memory");
      s->fd = fd;
      s->f = f;
      s->next = NULL;
      while (*pp)
        pp = &(*pp)->next;
      *pp = s;
      continue;
    }
    RAW_CHECK(f->type == PVMW_FT_CONTROL, "expected a control frame, got %d",
              f->type);
    c = pvmw_control_parse(f);
    pvmw_frame_free(f);
    RAW_CHECK(c != NULL, "undecodable control frame from pvmd");
    return c;
  }
}

/* The next message frame on fd: first those set aside while waiting for
 * replies, then the stream. NULL on EOF or timeout. */
static inline pvmw_frame *raw_next_message(int fd, double timeout_s) {
  for (struct raw_stash **pp = &raw.stash; *pp; pp = &(*pp)->next) {
    if ((*pp)->fd == fd) {
      struct raw_stash *s = *pp;
      pvmw_frame *f = s->f;
      *pp = s->next;
      free(s);
      return f;
    }
  }
  return raw_recv_frame(fd, timeout_s, NULL);
}

/* Drops what was set aside for fd (before closing it). */
static inline void raw_stash_drop(int fd) {
  struct raw_stash **pp = &raw.stash;
  while (*pp) {
    if ((*pp)->fd == fd) {
      struct raw_stash *s = *pp;
      *pp = s->next;
      pvmw_frame_free(s->f);
      free(s);
    } else {
      pp = &(*pp)->next;
    }
  }
}

/* Sends a hello; returns the HelloReply's Control (caller frees). */
static inline Pvmng__Control *
raw_hello_full(int fd, uint32_t version, const char *vmid, uint32_t spawned) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__Hello h = PVMNG__HELLO__INIT;
  Pvmng__Control *r;
  h.proto_version = version;
  h.vmid = (char *)vmid;
  h.pid = (int32_t)getpid();
  h.spawned_tid = spawned;
  h.name = (char *)raw.prog;
  m.req_id = 1;
  m.body_case = PVMNG__CONTROL__BODY_HELLO;
  m.hello = &h;
  raw_send_control(fd, &m);
  r = raw_recv_control(fd, 5, 0);
  RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY,
            "answer to hello is not a HelloReply (body %d)", r->body_case);
  RAW_CHECK(r->req_id == 1, "HelloReply req_id %u, expected 1", r->req_id);
  return r;
}

/* A well-behaved hello; returns the task's tid. */
static inline int raw_hello(int fd) {
  Pvmng__Control *r = raw_hello_full(fd, PVMW_VERSION, raw.vmid, 0);
  Pvmng__HelloReply *hr = r->hello_reply;
  int tid = (int)hr->tid;
  RAW_CHECK(hr->code == 0, "hello refused: %d %s", hr->code, hr->reason);
  RAW_CHECK(pvmw_tid_is_task(tid), "HelloReply tid 0x%x is not a task tid",
            (unsigned)tid);
  RAW_CHECK(hr->daemon_tid == 0x40000, "daemon tid 0x%x, expected 0x40000",
            hr->daemon_tid);
  RAW_CHECK(pvmw_tid_daemon(tid) == (int)hr->daemon_tid,
            "tid 0x%x is not on the daemon's host", (unsigned)tid);
  RAW_CHECK(hr->max_frame > 0 && hr->max_message > 0, "no limits in reply");
  pvmng__control__free_unpacked(r, NULL);
  return tid;
}

/* Sends request m with req_id and returns the reply (caller frees). */
static inline Pvmng__Control *raw_request(int fd, Pvmng__Control *m,
                                          uint32_t id) {
  Pvmng__Control *r;
  m->req_id = id;
  raw_send_control(fd, m);
  r = raw_recv_control(fd, 10, 1);
  RAW_CHECK(r->req_id == id, "reply req_id %u, expected %u", r->req_id, id);
  return r;
}

/* A connected client: hello, then config → one host. Leaves fd open. */
static inline int raw_good_client(int *tid_out) {
  Pvmng__Control m = PVMNG__CONTROL__INIT, *r;
  Pvmng__ConfigRequest cr = PVMNG__CONFIG_REQUEST__INIT;
  int fd = raw_connect();
  int tid = raw_hello(fd);

  m.body_case = PVMNG__CONTROL__BODY_CONFIG;
  m.config = &cr;
  r = raw_request(fd, &m, 77);
  RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_CONFIG_REPLY,
            "config answered with body %d", r->body_case);
  RAW_CHECK(r->config_reply->n_hosts == 1, "config lists %zu hosts",
            r->config_reply->n_hosts);
  RAW_CHECK(r->config_reply->hosts[0]->tid == 0x40000 &&
                strcmp(r->config_reply->hosts[0]->arch, "LINUX64") == 0 &&
                r->config_reply->narch == 1,
            "config host entry is wrong");
  pvmng__control__free_unpacked(r, NULL);
  if (tid_out)
    *tid_out = tid;
  return fd;
}

/* The daemon still serves a well-behaved client. */
static inline void raw_check_serving(const char *after) {
  int fd = raw_good_client(NULL);
  close(fd);
  raw_note("ok: daemon still serves after %s", after);
}

/* A message frame from src to dst with tag and body. */
static inline pvmw_frame *raw_message(int src, int dst, int tag,
                                      const void *body, uint32_t n) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  uint8_t hb[PVMW_MAX_MSGHDR + 2];
  size_t hl;
  pvmw_frame *f;
  h.src = (uint32_t)src;
  h.dst = (uint32_t)dst;
  h.tag = tag;
  h.encoding = 1;
  h.flags = PVMW_MF_FIRST | PVMW_MF_LAST;
  h.total_len = n;
  hl = pvmw_msghdr_encode(&h, hb);
  RAW_CHECK(hl > 0, "cannot encode a message header");
  f = pvmw_frame_alloc(PVMW_FT_MESSAGE, (uint32_t)(hl + n));
  RAW_CHECK(f != NULL, "out of memory");
  memcpy(f->payload, hb, hl);
  if (n)
    memcpy(f->payload + hl, body, n);
  return f;
}

/* Sends halt on a fresh connection and checks that the daemon exits 0 and
 * removes its socket and lock file. */
static inline void raw_halt_and_check(pid_t pid) {
  Pvmng__Control m = PVMNG__CONTROL__INIT, *r;
  Pvmng__HaltRequest hr = PVMNG__HALT_REQUEST__INIT;
  int fd = raw_connect();
  int st;

  raw_hello(fd);
  m.body_case = PVMNG__CONTROL__BODY_HALT;
  m.halt = &hr;
  r = raw_request(fd, &m, 99);
  RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_STATUS && r->status->code == 0,
            "halt not acknowledged with status 0");
  pvmng__control__free_unpacked(r, NULL);
  RAW_CHECK(raw_wait_eof(fd, 5), "connection not closed after halt");
  close(fd);
  st = raw_wait_exit(pid, 10);
  RAW_CHECK(st != -1, "pvmd did not exit within 10 s of halt");
  RAW_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "pvmd exit status 0x%x after halt, expected 0 (sanitizer "
            "report?)",
            st);
  RAW_CHECK(access(raw.sock, F_OK) != 0, "socket %s left behind", raw.sock);
  RAW_CHECK(access(raw.lock, F_OK) != 0, "lock %s left behind", raw.lock);
  raw_note("ok: halt: pvmd exited 0 and removed its socket and lock");
}

#endif
