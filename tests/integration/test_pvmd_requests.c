/* The daemon's control requests and task bookkeeping, over raw sockets:
 * spawn validation and host/executable/working-directory selection, output
 * messages (BEGIN, lines, END), a spawned child adopted by its hello with
 * messages held for it until then, tasks/pstat/mstat/kill/signal/exit, and
 * backpressure from a receiver that does not read. The program spawns
 * itself as the child (--child <role>). Usage:
 * test_pvmd_requests <path of pvmd>. */
#include <pvm3.h>

#include "pvmd_raw.h"
#include "xdr.h"

#define OUT_CODE 33
#define OUT_CTX 5

static uint32_t next_id = 100;

static Pvmng__Control *request(int fd, Pvmng__Control *m) {
  return raw_request(fd, m, next_id++);
}

/* Sends a spawn request; returns the reply's tids in out (n entries). */
static size_t spawn(int fd, Pvmng__SpawnRequest *sr, int32_t *out, size_t max) {
  Pvmng__Control m = PVMNG__CONTROL__INIT, *r;
  size_t n;
  m.body_case = PVMNG__CONTROL__BODY_SPAWN;
  m.spawn = sr;
  r = request(fd, &m);
  RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_SPAWN_REPLY,
            "spawn answered with body %d", r->body_case);
  n = r->spawn_reply->n_tids;
  for (size_t i = 0; i < n && i < max; i++)
    out[i] = r->spawn_reply->tids[i];
  pvmng__control__free_unpacked(r, NULL);
  return n;
}

/* A Status request (kill, signal, pstat, mstat): returns code < 0 ? code :
 * value, as the library does. */
static int status_of(int fd, Pvmng__Control *m) {
  Pvmng__Control *r = request(fd, m);
  int rc;
  RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_STATUS,
            "answered with body %d, expected a Status", r->body_case);
  rc = r->status->code < 0 ? r->status->code : r->status->value;
  pvmng__control__free_unpacked(r, NULL);
  return rc;
}

static int pstat(int fd, int tid) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PstatRequest p = PVMNG__PSTAT_REQUEST__INIT;
  p.tid = (uint32_t)tid;
  m.body_case = PVMNG__CONTROL__BODY_PSTAT;
  m.pstat = &p;
  return status_of(fd, &m);
}

static int mstat(int fd, const char *host) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__MstatRequest p = PVMNG__MSTAT_REQUEST__INIT;
  p.host = (char *)host;
  m.body_case = PVMNG__CONTROL__BODY_MSTAT;
  m.mstat = &p;
  return status_of(fd, &m);
}

static int kill_task(int fd, int tid) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__KillRequest k = PVMNG__KILL_REQUEST__INIT;
  k.tid = (uint32_t)tid;
  m.body_case = PVMNG__CONTROL__BODY_KILL;
  m.kill = &k;
  return status_of(fd, &m);
}

static int signal_task(int fd, int tid, int sig) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__SignalRequest s = PVMNG__SIGNAL_REQUEST__INIT;
  s.tid = (uint32_t)tid;
  s.signum = sig;
  m.body_case = PVMNG__CONTROL__BODY_SIGNAL;
  m.signal = &s;
  return status_of(fd, &m);
}

/* pvm_tasks(where): the reply, or NULL with *code set for a Status. */
static Pvmng__Control *tasks(int fd, int where, int *code) {
  Pvmng__Control m = PVMNG__CONTROL__INIT, *r;
  Pvmng__TasksRequest t = PVMNG__TASKS_REQUEST__INIT;
  t.where = (uint32_t)where;
  m.body_case = PVMNG__CONTROL__BODY_TASKS;
  m.tasks = &t;
  r = request(fd, &m);
  if (r->body_case == PVMNG__CONTROL__BODY_STATUS) {
    *code = r->status->code;
    pvmng__control__free_unpacked(r, NULL);
    return NULL;
  }
  RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_TASKS_REPLY,
            "tasks answered with body %d", r->body_case);
  *code = 0;
  return r;
}

static const Pvmng__TaskInfo *find_task(const Pvmng__Control *r, int tid) {
  for (size_t i = 0; i < r->tasks_reply->n_tasks; i++)
    if ((int)r->tasks_reply->tasks[i]->tid == tid)
      return r->tasks_reply->tasks[i];
  return NULL;
}

/* Waits until pstat(tid) is PvmNoTask. */
static void wait_gone(int fd, int tid, const char *what) {
  double end = raw_now() + 5;
  while (pstat(fd, tid) != PvmNoTask) {
    RAW_CHECK(raw_now() < end, "%s: t%x still exists after 5 s", what,
              (unsigned)tid);
    raw_sleep_ms(20);
  }
}

/* The next message frame on fd (control frames are not expected). */
static pvmw_frame *recv_message(int fd, double timeout, Pvmng__MsgHeader *h,
                                const uint8_t **body, uint32_t *n) {
  pvmw_frame *f = raw_next_message(fd, timeout);
  RAW_CHECK(f != NULL, "no message within %.0f s", timeout);
  RAW_CHECK(f->type == PVMW_FT_MESSAGE, "expected a message frame");
  RAW_CHECK(pvmw_msghdr_decode(f->payload, f->len, h, body, n) == 0,
            "undecodable message header from pvmd");
  return f;
}

/* ---- spawn validation --------------------------------------------------- */

static void spawn_refusals(int fd) {
  Pvmng__SpawnRequest sr = PVMNG__SPAWN_REQUEST__INIT;
  int32_t tids[4096];
  char *argv[5000], *env[2] = {"GOOD=1", "NOEQUALS"};
  size_t n;

  sr.file = "/bin/true";
  sr.ntask = 0;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n >= 1 && tids[0] == PvmBadParam, "ntask 0: %d", tids[0]);
  sr.ntask = 10000;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n >= 1 && tids[0] == PvmBadParam, "ntask 10000: %d", tids[0]);

  sr.ntask = 1;
  for (int i = 0; i < 5000; i++)
    argv[i] = "x";
  sr.argv = argv;
  sr.n_argv = 5000;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmBadParam, "5000 arguments: %d", tids[0]);
  sr.n_argv = 0;

  sr.env = env;
  sr.n_env = 2;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmBadParam, "env without '=': %d", tids[0]);
  sr.n_env = 0;

  sr.file = "";
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmBadParam, "empty file: %d", tids[0]);

  sr.file = "no-such-program-pvmd-test";
  sr.ntask = 3;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 3 && tids[0] == PvmNoFile && tids[1] == PvmNoFile &&
                tids[2] == PvmNoFile,
            "missing executable: %d %d %d", tids[0], tids[1], tids[2]);
  {
    static char plain[PATH_MAX];
    FILE *pf;
    RAW_CHECK(snprintf(plain, sizeof plain, "%s/plain-file", raw.dir) <
                  (int)sizeof plain,
              "path too long");
    pf = fopen(plain, "w");
    RAW_CHECK(pf != NULL, "cannot create %s", plain);
    fputs("not a program\n", pf);
    fclose(pf);
    chmod(plain, 0644);
    sr.file = plain; /* exists, not executable */
  }
  sr.ntask = 1;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmNoFile, "non-executable: %d", tids[0]);

  sr.file = "/bin/true";
  sr.flags = PvmTaskHost;
  sr.where = "no-such-host.invalid";
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmNoHost, "unknown host: %d", tids[0]);
  sr.where = ".";
  sr.flags = PvmTaskHost | PvmHostCompl;
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmNoHost, "HostCompl of this host: %d",
            tids[0]);
  sr.flags = PvmTaskArch;
  sr.where = "SUN4";
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmNoHost, "other arch: %d", tids[0]);

  sr.flags = 0;
  sr.where = "";
  sr.wd = "/no/such/directory";
  n = spawn(fd, &sr, tids, 4096);
  RAW_CHECK(n == 1 && tids[0] == PvmSysErr, "bad wd: %d", tids[0]);
  raw_note("ok: spawn refusals (BadParam, NoFile, NoHost, SysErr)");
}

/* ---- output ------------------------------------------------------------- */

struct collected {
  int begin, end;
  char out[16384];
  size_t len;
  size_t longest;
  int lines;
};

/* Collects output messages from task tid until its END. */
static void collect_output(int fd, int me, int tid, struct collected *c) {
  memset(c, 0, sizeof *c);
  while (!c->end) {
    Pvmng__MsgHeader h;
    const uint8_t *b;
    uint32_t n;
    pvmw_frame *f = recv_message(fd, 10, &h, &b, &n);
    int32_t cnt;
    RAW_CHECK(h.src == 0x40000 && (int)h.dst == me && h.tag == OUT_CODE &&
                  h.ctx == OUT_CTX && h.encoding == 0 &&
                  h.flags == (PVMW_MF_FIRST | PVMW_MF_LAST) && h.total_len == n,
              "output message header: src %x dst %x tag %d ctx %d", h.src,
              h.dst, h.tag, h.ctx);
    RAW_CHECK(
        n >= 24 && pvmw_get_be32(b) == PVMW_XT_INT &&
            pvmw_get_be32(b + 4) == 1 && (int)pvmw_get_be32(b + 8) == tid &&
            pvmw_get_be32(b + 12) == PVMW_XT_INT && pvmw_get_be32(b + 16) == 1,
        "output body does not start with INT tid, INT count");
    cnt = (int32_t)pvmw_get_be32(b + 20);
    if (cnt == -1) {
      RAW_CHECK(n == 24 && !c->begin && c->lines == 0,
                "BEGIN twice, late or with bytes");
      c->begin = 1;
    } else {
      RAW_CHECK(c->begin, "output before BEGIN");
      RAW_CHECK(n == 32 + (uint32_t)cnt &&
                    pvmw_get_be32(b + 24) == PVMW_XT_BYTE &&
                    pvmw_get_be32(b + 28) == (uint32_t)cnt,
                "output body: %u bytes for count %d", n, cnt);
      if (cnt == 0) {
        c->end = 1;
      } else {
        RAW_CHECK(c->len + (size_t)cnt < sizeof c->out, "too much output");
        memcpy(c->out + c->len, b + 32, (size_t)cnt);
        c->len += (size_t)cnt;
        c->out[c->len] = '\0';
        c->lines++;
        if ((size_t)cnt > c->longest)
          c->longest = (size_t)cnt;
      }
    }
    pvmw_frame_free(f);
  }
}

static void output(int fd, int me) {
  Pvmng__SpawnRequest sr = PVMNG__SPAWN_REQUEST__INIT;
  char *argv[2] = {"-c", "echo one; echo two >&2; printf three"};
  struct collected c;
  int32_t tid;

  sr.file = "sh";
  sr.argv = argv;
  sr.n_argv = 2;
  sr.ntask = 1;
  sr.out_tid = (uint32_t)me;
  sr.out_code = OUT_CODE;
  sr.out_ctx = OUT_CTX;
  RAW_CHECK(spawn(fd, &sr, &tid, 1) == 1 && tid > 0, "spawn sh: %d", tid);
  collect_output(fd, me, tid, &c);
  RAW_CHECK(c.lines == 3 && c.len == strlen("one\ntwo\nthree") &&
                strstr(c.out, "three") && strstr(c.out, "two\n") &&
                strstr(c.out, "one\n") &&
                strstr(c.out, "one\n") < strstr(c.out, "three"),
            "output lines: %d \"%s\"", c.lines, c.out);
  wait_gone(fd, tid, "a child that exited without connecting");
  raw_note("ok: output: BEGIN, 3 lines (last without newline), END");

  /* A line longer than the cap comes in pieces of at most 4096 bytes. */
  argv[1] = "i=0; while [ $i -lt 10000 ]; do printf a; i=$((i+1)); done; "
            "echo";
  RAW_CHECK(spawn(fd, &sr, &tid, 1) == 1 && tid > 0, "spawn sh: %d", tid);
  collect_output(fd, me, tid, &c);
  RAW_CHECK(c.len == 10001 && c.longest == 4096 && c.lines == 3,
            "long line: %zu bytes in %d pieces, longest %zu", c.len, c.lines,
            c.longest);
  raw_note("ok: output: a 10001-byte line arrives in 3 pieces");
}

/* ---- a spawned child ---------------------------------------------------- */

static void tasks_checks(int fd, int me, int child) {
  const Pvmng__TaskInfo *ti;
  Pvmng__Control *r;
  int code;

  r = tasks(fd, 0, &code);
  RAW_CHECK(r, "tasks(0) refused: %d", code);
  ti = find_task(r, child);
  RAW_CHECK(ti && (int)ti->ptid == me && ti->host == 0x40000 &&
                (ti->flag & 2) && (ti->flag & 4) && ti->pid > 0 &&
                strcmp(ti->name, "test_pvmd_requests") == 0,
            "child's entry in tasks(0) is wrong or missing");
  RAW_CHECK(find_task(r, me) && find_task(r, me)->ptid == 0 &&
                find_task(r, me)->pid == getpid(),
            "my own entry in tasks(0) is wrong or missing");
  pvmng__control__free_unpacked(r, NULL);
  r = tasks(fd, 0x40000, &code);
  RAW_CHECK(r && find_task(r, child) && find_task(r, me),
            "tasks(daemon tid) does not list both");
  pvmng__control__free_unpacked(r, NULL);
  r = tasks(fd, child, &code);
  RAW_CHECK(r && r->tasks_reply->n_tasks == 1 &&
                (int)r->tasks_reply->tasks[0]->tid == child,
            "tasks(child) is not just the child");
  pvmng__control__free_unpacked(r, NULL);
  RAW_CHECK(!tasks(fd, pvmw_tid_make(1, 0x3fff0), &code) && code == PvmNoTask,
            "tasks(no such task): %d", code);
  RAW_CHECK(!tasks(fd, 0x80000, &code) && code == PvmNoHost,
            "tasks(other host): %d", code);
  RAW_CHECK(!tasks(fd, -5, &code) && code == PvmBadParam, "tasks(bad tid): %d",
            code);
}

static void child_task(int fd, int me) {
  Pvmng__SpawnRequest sr = PVMNG__SPAWN_REQUEST__INIT;
  char *argv[2] = {"--child", "echo"};
  char *env[1] = {"PVMD_TEST_FROM_PARENT=yes"};
  Pvmng__MsgHeader h;
  const uint8_t *b;
  uint32_t n;
  pvmw_frame *f;
  int32_t tid;

  sr.file = (char *)"/proc/self/exe";
  {
    static char self[PATH_MAX];
    RAW_CHECK(pvmt_self_path(self, sizeof self) == 0,
              "readlink /proc/self/exe");
    sr.file = self;
  }
  sr.argv = argv;
  sr.n_argv = 2;
  sr.env = env;
  sr.n_env = 1;
  sr.ntask = 1;
  sr.out_tid = (uint32_t)me;
  sr.out_code = OUT_CODE;
  sr.out_ctx = OUT_CTX;
  RAW_CHECK(spawn(fd, &sr, &tid, 1) == 1 && tid > 0, "spawn child: %d", tid);
  RAW_CHECK(pstat(fd, tid) == PvmOk, "a starting child is not PvmOk");

  /* Sent before the child can have connected: held for it. */
  for (int i = 0; i < 3; i++) {
    char body[16];
    int len = snprintf(body, sizeof body, "ping %d", i);
    f = raw_message(me, tid, 1, body, (uint32_t)len);
    raw_write_all(fd, f->raw, f->raw_len);
    pvmw_frame_free(f);
  }
  /* Its output (BEGIN first) and its echoes, in any interleaving. */
  for (int echoes = 0, begun = 0; echoes < 3;) {
    f = recv_message(fd, 10, &h, &b, &n);
    if (h.tag == OUT_CODE) {
      RAW_CHECK((int)pvmw_get_be32(b + 8) == tid, "output of another task");
      begun |= (int32_t)pvmw_get_be32(b + 20) == -1;
    } else {
      char want[16];
      int len = snprintf(want, sizeof want, "ping %d", echoes);
      RAW_CHECK(begun, "echo before the child's BEGIN");
      RAW_CHECK(h.tag == 2 && (int)h.src == tid && n == (uint32_t)len &&
                    memcmp(b, want, n) == 0,
                "echo %d wrong (tag %d from t%x)", echoes, h.tag, h.src);
      echoes++;
    }
    pvmw_frame_free(f);
  }
  raw_note("ok: messages held for a starting child arrive in order");
  tasks_checks(fd, me, tid);
  raw_note("ok: tasks lists the child with its parent and flags");

  RAW_CHECK(signal_task(fd, tid, SIGUSR1) == 0, "signal SIGUSR1 refused");
  for (;;) {
    f = recv_message(fd, 10, &h, &b, &n);
    int got = h.tag == 3;
    pvmw_frame_free(f);
    if (got)
      break;
  }
  raw_note("ok: pvm_sendsig reached the child");
  RAW_CHECK(kill_task(fd, tid) == 0, "kill refused");
  wait_gone(fd, tid, "a killed child");
  RAW_CHECK(kill_task(fd, tid) == PvmNoTask, "second kill not PvmNoTask");
  RAW_CHECK(signal_task(fd, tid, SIGUSR1) == PvmNoTask,
            "signal to a dead task not PvmNoTask");
  raw_note("ok: kill, then PvmNoTask");
  /* Its END still comes. */
  for (int end = 0; !end;) {
    f = recv_message(fd, 10, &h, &b, &n);
    end = h.tag == OUT_CODE && (int32_t)pvmw_get_be32(b + 20) == 0;
    pvmw_frame_free(f);
  }
  raw_note("ok: a killed child's output ends with END");
}

/* pvm_exit: the task is gone at once, its connection still open. */
static void child_exit(int fd, int me) {
  Pvmng__SpawnRequest sr = PVMNG__SPAWN_REQUEST__INIT;
  char *argv[2] = {"--child", "exit"};
  static char self[PATH_MAX];
  Pvmng__MsgHeader h;
  const uint8_t *b;
  uint32_t n;
  pvmw_frame *f;
  int32_t tid;

  RAW_CHECK(pvmt_self_path(self, sizeof self) == 0, "readlink /proc/self/exe");
  sr.file = self;
  sr.argv = argv;
  sr.n_argv = 2;
  sr.ntask = 1;
  RAW_CHECK(spawn(fd, &sr, &tid, 1) == 1 && tid > 0, "spawn child: %d", tid);
  f = recv_message(fd, 10, &h, &b, &n);
  RAW_CHECK(h.tag == 4 && n == 6 && memcmp(b, "exited", 6) == 0,
            "no 'exited' note from the child");
  pvmw_frame_free(f);
  RAW_CHECK(pstat(fd, tid) == PvmNoTask,
            "a task that called pvm_exit still exists");
  raw_note("ok: pvm_exit removes the task while it is still connected");
}

static void misc_requests(int fd, int me) {
  char host[256];
  RAW_CHECK(mstat(fd, "localhost") == PvmOk, "mstat localhost");
  RAW_CHECK(mstat(fd, ".") == PvmOk, "mstat .");
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  RAW_CHECK(mstat(fd, host) == PvmOk, "mstat %s", host);
  RAW_CHECK(mstat(fd, "no-such-host.invalid") == PvmNoHost, "mstat unknown");
  RAW_CHECK(pstat(fd, me) == PvmOk, "pstat of myself");
  RAW_CHECK(pstat(fd, 0x40000) == PvmOk, "pstat of the daemon");
  RAW_CHECK(pstat(fd, pvmw_tid_make(1, 0x3fff0)) == PvmNoTask,
            "pstat of nobody");
  RAW_CHECK(pstat(fd, 0) == PvmBadParam, "pstat of 0");
  RAW_CHECK(kill_task(fd, 0x40000) == PvmBadParam, "kill of the daemon");
  RAW_CHECK(kill_task(fd, -1) == PvmBadParam, "kill of a bad tid");
  RAW_CHECK(kill_task(fd, pvmw_tid_make(1, 0x3fff0)) == PvmNoTask,
            "kill of nobody");
  RAW_CHECK(signal_task(fd, me, 9999) == PvmBadParam, "signal 9999");
  raw_note("ok: mstat, pstat, kill and signal answers");

  /* A connection that closes without pvm_exit: its task goes away. */
  {
    int t2, fd2 = raw_good_client(&t2);
    RAW_CHECK(pstat(fd, t2) == PvmOk, "second client not known");
    close(fd2);
    wait_gone(fd, t2, "a task whose connection closed");
  }
  raw_note("ok: a closed connection removes its task");
}

/* ---- backpressure -------------------------------------------------------- */

static void backpressure(void) {
  int ta, tb, a = raw_good_client(&ta), b = raw_good_client(&tb);
  const uint32_t body = 1u << 20;
  const size_t total_msgs = 160;
  char *buf = malloc(body);
  pvmw_frame *f;
  size_t sent = 0, off = 0, received = 0, stalled_at;
  double idle_since = 0;
  pid_t writer;
  int wst;

  RAW_CHECK(buf != NULL, "out of memory");
  memset(buf, 'z', body);
  fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
  f = raw_message(ta, tb, 9, buf, body);
  /* B does not read: A must be stopped well before 160 MiB. */
  while (sent < total_msgs) {
    ssize_t w = write(a, f->raw + off, f->raw_len - off);
    if (w > 0) {
      off += (size_t)w;
      if (off == f->raw_len) {
        off = 0;
        sent++;
      }
      idle_since = 0;
      continue;
    }
    RAW_CHECK(errno == EAGAIN, "write: %s", strerror(errno));
    if (idle_since == 0)
      idle_since = raw_now();
    if (raw_now() - idle_since > 1.0)
      break;
    raw_sleep_ms(5);
  }
  stalled_at = sent;
  RAW_CHECK(stalled_at < total_msgs && stalled_at <= 100,
            "sender not slowed down: %zu MiB accepted", stalled_at);
  raw_note("ok: sender stalled after %zu MiB for a receiver that reads "
           "nothing",
           stalled_at);
  /* Now B reads: everything arrives, in order, and A finishes (the rest is
   * written by a helper process while this one reads). */
  fcntl(a, F_SETFL, fcntl(a, F_GETFL) & ~O_NONBLOCK);
  fflush(NULL);
  writer = fork();
  RAW_CHECK(writer >= 0, "fork: %s", strerror(errno));
  if (writer == 0) {
    while (sent < total_msgs) {
      ssize_t w = write(a, f->raw + off, f->raw_len - off);
      if (w <= 0)
        _exit(1);
      off += (size_t)w;
      if (off == f->raw_len) {
        off = 0;
        sent++;
      }
    }
    _exit(0);
  }
  while (received < total_msgs) {
    pvmw_frame *g = raw_recv_frame(b, 10, NULL);
    RAW_CHECK(g != NULL, "message %zu of %zu did not arrive", received,
              total_msgs);
    RAW_CHECK(g->raw_len == f->raw_len &&
                  memcmp(g->raw, f->raw, g->raw_len) == 0,
              "message %zu damaged", received);
    received++;
    pvmw_frame_free(g);
  }
  RAW_CHECK(waitpid(writer, &wst, 0) == writer && WIFEXITED(wst) &&
                WEXITSTATUS(wst) == 0,
            "writer process failed");
  raw_note("ok: all %zu MiB delivered once the receiver reads", received);
  pvmw_frame_free(f);
  free(buf);
  close(a);
  close(b);
}

/* ---- the child role ----------------------------------------------------- */

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

static int child_main(const char *role) {
  const char *st = getenv("PVMNG_TID");
  const char *from = getenv("PVMD_TEST_FROM_PARENT");
  int fd, stid = 0, me, parent;
  Pvmng__Control *r;
  Pvmng__MsgHeader h;
  const uint8_t *b;
  uint32_t n;
  pvmw_frame *f;

  raw.prog = "test_pvmd_requests[child]";
  signal(SIGPIPE, SIG_IGN);
  signal(SIGUSR1, on_usr1);
  alarm(30);
  RAW_CHECK(st && pvmw_tid_parse(st, &stid) == 0 && pvmw_tid_is_task(stid),
            "PVMNG_TID=%s", st ? st : "(unset)");
  RAW_CHECK(getenv("PVMNG_SOCKET") && getenv("PVM_VMID"),
            "PVMNG_SOCKET or PVM_VMID missing");
  snprintf(raw.sock, sizeof raw.sock, "%s", getenv("PVMNG_SOCKET"));
  snprintf(raw.vmid, sizeof raw.vmid, "%s", getenv("PVM_VMID"));
  printf("child %s starting\n", role);
  fflush(stdout);
  fd = raw_connect();
  r = raw_hello_full(fd, PVMW_VERSION, raw.vmid, (uint32_t)stid);
  RAW_CHECK(r->hello_reply->code == 0 && (int)r->hello_reply->tid == stid,
            "hello gave tid %x, expected %x", r->hello_reply->tid, stid);
  me = stid;
  parent = (int)r->hello_reply->parent_tid;
  RAW_CHECK(pvmw_tid_is_task(parent), "no parent tid");
  pvmng__control__free_unpacked(r, NULL);

  if (strcmp(role, "exit") == 0) {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__ExitRequest ex = PVMNG__EXIT_REQUEST__INIT;
    m.body_case = PVMNG__CONTROL__BODY_EXIT;
    m.exit = &ex;
    r = raw_request(fd, &m, 5);
    RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_STATUS &&
                  r->status->code == 0,
              "exit not acknowledged");
    pvmng__control__free_unpacked(r, NULL);
    /* Tell the parent on a second connection (the first has left). */
    {
      int fd2 = raw_connect(), t2 = raw_hello(fd2);
      f = raw_message(t2, parent, 4, "exited", 6);
      raw_write_all(fd2, f->raw, f->raw_len);
      pvmw_frame_free(f);
      raw_sleep_ms(500);
      close(fd2);
    }
    close(fd);
    return 0;
  }

  RAW_CHECK(from && strcmp(from, "yes") == 0,
            "the request's environment did not reach the child");
  for (int i = 0; i < 3; i++) {
    f = recv_message(fd, 10, &h, &b, &n);
    RAW_CHECK(h.tag == 1 && (int)h.src == parent, "unexpected message");
    {
      pvmw_frame *e = raw_message(me, parent, 2, b, n);
      raw_write_all(fd, e->raw, e->raw_len);
      pvmw_frame_free(e);
    }
    pvmw_frame_free(f);
  }
  fprintf(stderr, "child echoed 3 messages");
  while (!got_usr1)
    raw_sleep_ms(10);
  f = raw_message(me, parent, 3, "usr1", 4);
  raw_write_all(fd, f->raw, f->raw_len);
  pvmw_frame_free(f);
  /* Now wait for SIGTERM (pvm_kill), which ends this process. */
  for (int i = 0; i < 200; i++)
    raw_sleep_ms(100);
  return 1;
}

int main(int argc, char **argv) {
  pid_t pid;
  int fd, me;

  if (argc == 3 && strcmp(argv[1], "--child") == 0)
    return child_main(argv[2]);
  if (argc != 2) {
    fprintf(stderr, "usage: %s <path of pvmd>\n", argv[0]);
    return 2;
  }
  raw_setup(argv[0], argv[1], 110);
  pid = raw_start_pvmd();
  fd = raw_good_client(&me);

  spawn_refusals(fd);
  misc_requests(fd, me);
  output(fd, me);
  child_task(fd, me);
  child_exit(fd, me);
  backpressure();
  raw_check_serving("all requests");

  raw_stash_drop(fd);
  close(fd);
  raw_halt_and_check(pid);
  raw_cleanup();
  raw_note("PASS");
  return 0;
}
