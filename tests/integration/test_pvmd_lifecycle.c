/* The daemon's life cycle: one daemon per user and VM id (a second one says
 * "already running", exits 2 and leaves the first alone), a daemon killed
 * with SIGKILL does not stop the next start (stale socket and lock), the
 * background start returns only once the socket accepts connections, and
 * SIGTERM stops a daemon as cleanly as pvm_halt, and task sockets
 * (pvmd.<vmid>.t<tid>) left behind are removed at start and at halt. Usage:
 * test_pvmd_lifecycle <path of pvmd>. */
#include "pvmd_raw.h"

/* The pid written in the lock file, or -1. */
static long lock_pid(void) {
  char buf[64];
  raw_slurp(raw.lock, buf, sizeof buf);
  return buf[0] ? strtol(buf, NULL, 10) : -1;
}

/* Task sockets that tasks killed without pvm_exit would leave: two of this
 * VM, one of another VM id that must be left alone. */
static const char *const task_socks[] = {"t40002", "t4abcd"};

static void task_sock_path(const char *vmid, const char *t, char *out,
                           size_t len) {
  RAW_CHECK(snprintf(out, len, "%s/pvmd.%s.%s", raw.rundir, vmid, t) < (int)len,
            "task socket path too long");
}

static void plant_task_socks(void) {
  char path[PATH_MAX], other[80];
  snprintf(other, sizeof other, "%s-other", raw.vmid);
  for (size_t i = 0; i <= sizeof task_socks / sizeof task_socks[0]; i++) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int last = i == sizeof task_socks / sizeof task_socks[0];
    task_sock_path(last ? other : raw.vmid, last ? "t40002" : task_socks[i],
                   path, sizeof path);
    RAW_CHECK(fd >= 0 && strlen(path) < sizeof sa.sun_path,
              "cannot make a socket for %s", path);
    strcpy(sa.sun_path, path);
    unlink(path);
    RAW_CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s",
              path, strerror(errno));
    close(fd);
  }
}

/* The planted sockets of this VM are gone, the other VM's is there. */
static void check_task_socks_swept(const char *when) {
  char path[PATH_MAX], other[80];
  for (size_t i = 0; i < sizeof task_socks / sizeof task_socks[0]; i++) {
    task_sock_path(raw.vmid, task_socks[i], path, sizeof path);
    RAW_CHECK(access(path, F_OK) != 0, "%s: task socket %s left behind", when,
              path);
  }
  snprintf(other, sizeof other, "%s-other", raw.vmid);
  task_sock_path(other, "t40002", path, sizeof path);
  RAW_CHECK(access(path, F_OK) == 0, "%s: removed another VM's %s", when, path);
  raw_note("ok: %s: left-over task sockets removed, another VM's kept", when);
}

/* A second daemon for the same VM id must refuse to start. */
static void second_daemon_refused(pid_t first, int foreground) {
  int n = raw.npids, st;
  char path[PATH_MAX], err[4096], want[64];
  pid_t second = raw_spawn_pvmd_mode(foreground);

  st = raw_wait_exit(second, 10);
  RAW_CHECK(st != -1, "second pvmd did not exit");
  RAW_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2,
            "second pvmd: wait status 0x%x, expected exit 2", st);
  raw_slurp(raw_err_path(n, path, sizeof path), err, sizeof err);
  RAW_CHECK(strstr(err, "already running for this user and VM id") &&
                strstr(err, raw.vmid) && strstr(err, "pvm -c halt"),
            "second pvmd said: \"%s\"", err);
  snprintf(want, sizeof want, "(pid %ld)", (long)first);
  RAW_CHECK(strstr(err, want), "message does not name pid %ld: \"%s\"",
            (long)first, err);
  RAW_CHECK(kill(first, 0) == 0, "the first pvmd died");
  RAW_CHECK(lock_pid() == first, "lock file now says %ld, expected %ld",
            lock_pid(), (long)first);
  raw_check_serving(foreground ? "a second pvmd -f was refused"
                               : "a second pvmd was refused");
}

/* kill -9 leaves the socket and lock file behind; the next start must work
 * at once. */
static pid_t restart_after_kill9(pid_t victim) {
  double t0;
  pid_t next;
  int st;

  kill(victim, SIGKILL);
  st = raw_wait_exit(victim, 5);
  RAW_CHECK(st != -1 && WIFSIGNALED(st), "pvmd did not die of SIGKILL");
  RAW_CHECK(access(raw.sock, F_OK) == 0 && access(raw.lock, F_OK) == 0,
            "expected a stale socket and lock after kill -9");
  RAW_CHECK(raw_try_connect() < 0, "stale socket still accepts");
  plant_task_socks();
  t0 = raw_now();
  next = raw_start_pvmd();
  check_task_socks_swept("start after kill -9");
  RAW_CHECK(raw_now() - t0 < 3.0, "restart took %.1f s", raw_now() - t0);
  RAW_CHECK(lock_pid() == next, "lock file says %ld, expected %ld", lock_pid(),
            (long)next);
  raw_check_serving("a restart over a stale socket and lock");
  return next;
}

/* Without -f, pvmd returns once its socket listens: connect right away. */
static pid_t background_start(void) {
  double t0 = raw_now();
  pid_t parent = raw_spawn_pvmd_mode(0), daemon;
  int st = raw_wait_exit(parent, 10), fd;

  RAW_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "background pvmd: starting process status 0x%x", st);
  fd = raw_try_connect();
  RAW_CHECK(fd >= 0, "socket not accepting when pvmd returned");
  close(fd);
  daemon = (pid_t)lock_pid();
  RAW_CHECK(daemon > 0 && daemon != parent && kill(daemon, 0) == 0,
            "no live daemon pid in the lock file");
  raw_adopt(daemon);
  raw_note("ok: background start returned after %.0f ms with the socket "
           "ready (daemon pid %ld)",
           (raw_now() - t0) * 1000, (long)daemon);
  raw_check_serving("a background start");
  return daemon;
}

/* SIGTERM: like halt. The daemon is not our child here, so its exit is
 * seen by its disappearance and by the files it removes. */
static void sigterm_stops(pid_t daemon, int is_child) {
  double end;
  kill(daemon, SIGTERM);
  if (is_child) {
    int st = raw_wait_exit(daemon, 10);
    RAW_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "pvmd after SIGTERM: wait status 0x%x, expected exit 0", st);
  } else {
    end = raw_now() + 10;
    while (kill(daemon, 0) == 0 && raw_now() < end)
      raw_sleep_ms(10);
    RAW_CHECK(kill(daemon, 0) != 0, "pvmd still running 10 s after SIGTERM");
    raw_forget(daemon);
  }
  RAW_CHECK(access(raw.sock, F_OK) != 0 && access(raw.lock, F_OK) != 0,
            "socket or lock left after SIGTERM");
  raw_note("ok: SIGTERM stopped pvmd and removed its files");
}

int main(int argc, char **argv) {
  pid_t first, second, bg;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <path of pvmd>\n", argv[0]);
    return 2;
  }
  raw_setup(argv[0], argv[1], 100);

  first = raw_start_pvmd();
  second_daemon_refused(first, 1);
  second_daemon_refused(first, 0);
  second = restart_after_kill9(first);
  second_daemon_refused(second, 1);
  sigterm_stops(second, 1);

  bg = background_start();
  second_daemon_refused(bg, 0);
  sigterm_stops(bg, 0);

  /* And once more in the foreground, stopped by pvm_halt. */
  first = raw_start_pvmd();
  plant_task_socks();
  raw_halt_and_check(first);
  check_task_socks_swept("halt");

  raw_cleanup();
  raw_note("PASS");
  return 0;
}
