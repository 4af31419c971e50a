/* Allocation-failure injection for tests (never installed, never linked
 * into what ships). The test twins of the daemon and of a task
 * (pvmd-allocfail, af_client) are linked with `-Wl,--wrap=` for malloc,
 * calloc, realloc, strdup and the asprintf family, so every allocation our
 * own code makes (daemon/, libpvm/, wire/, the generated protobuf glue)
 * comes here first; libuv, OpenSSL and protobuf-c's own allocations do not.
 *
 * Model (as SQLite's fault simulator): counting starts when the hook is
 * armed (at start with PVMNG_ALLOCFAIL_ARM=start, else on SIGUSR2 or
 * pvmng_allocfail_arm()), and the N-th allocation after that returns NULL,
 * once; everything before and after succeeds. PVMNG_ALLOCFAIL is N, or
 * @FILE: N is read from FILE at each arming, so that one daemon serves a
 * whole sweep. Each armed
 * state and each injected failure is appended to the file
 * PVMNG_ALLOCFAIL_LOG, with the call stack of the failure, so that a
 * sweep knows when N has passed the last allocation of its scenario. The
 * settings are removed from the environment at start, so that children
 * (spawned tasks) run without them. */
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AF_API __attribute__((visibility("default")))

static volatile sig_atomic_t armed;
static volatile sig_atomic_t hit;
static long fail_at;
static long count;
static char log_path[512];
static char n_path[512];

/* Appends a line to the log; async-signal-safe (open, write, close). */
static void af_log(const char *line, size_t len) {
  if (!log_path[0])
    return;
  int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  ssize_t w = write(fd, line, len);
  (void)w;
  close(fd);
}

/* "<word> <pid>\n", built without stdio (used from a signal handler). */
static void af_log_event(const char *word) {
  char line[64];
  size_t n = strlen(word);
  memcpy(line, word, n);
  line[n++] = ' ';
  char digits[16];
  int k = 0;
  for (long p = (long)getpid(); p > 0 && k < 16; p /= 10)
    digits[k++] = (char)('0' + p % 10);
  while (k > 0)
    line[n++] = digits[--k];
  line[n++] = '\n';
  af_log(line, n);
}

/* N from n_path; async-signal-safe. */
static void af_read_n(void) {
  char buf[32];
  int fd = open(n_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  long n = 0;
  for (ssize_t i = 0; i < r && buf[i] >= '0' && buf[i] <= '9'; i++)
    n = n * 10 + (buf[i] - '0');
  fail_at = n;
}

AF_API void pvmng_allocfail_arm(void) {
  if (n_path[0])
    af_read_n();
  count = 0;
  hit = 0;
  armed = 1;
  af_log_event("armed");
}

/* 1 once the injected failure has happened. */
AF_API int pvmng_allocfail_hit(void) { return hit; }

static void on_arm(int sig) {
  (void)sig;
  pvmng_allocfail_arm();
}

__attribute__((constructor)) static void af_init(void) {
  const char *n = getenv("PVMNG_ALLOCFAIL");
  const char *arm = getenv("PVMNG_ALLOCFAIL_ARM");
  const char *log = getenv("PVMNG_ALLOCFAIL_LOG");
  if (n && n[0] == '@')
    snprintf(n_path, sizeof n_path, "%s", n + 1);
  else if (n)
    fail_at = strtol(n, NULL, 10);
  if (log)
    snprintf(log_path, sizeof log_path, "%s", log);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_arm;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  int at_start = arm && strcmp(arm, "start") == 0;
  unsetenv("PVMNG_ALLOCFAIL");
  unsetenv("PVMNG_ALLOCFAIL_ARM");
  unsetenv("PVMNG_ALLOCFAIL_LOG");
  if (at_start)
    pvmng_allocfail_arm();
}

/* 1 if this allocation is the one to fail; logs it with its stack. */
static int af_fail(const char *what) {
  if (!armed || hit || fail_at <= 0)
    return 0;
  if (++count != fail_at)
    return 0;
  hit = 1;
  char line[128];
  int n = snprintf(line, sizeof line, "fail %ld %s #%ld\n", (long)getpid(),
                   what, fail_at);
  af_log(line, (size_t)n);
  if (log_path[0]) {
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
      void *frames[24];
      int depth = backtrace(frames, 24);
      backtrace_symbols_fd(frames, depth, fd);
      close(fd);
    }
  }
  return 1;
}

AF_API void *__wrap_malloc(size_t n) {
  return af_fail("malloc") ? NULL : malloc(n);
}

AF_API void *__wrap_calloc(size_t k, size_t n) {
  return af_fail("calloc") ? NULL : calloc(k, n);
}

AF_API void *__wrap_realloc(void *p, size_t n) {
  return af_fail("realloc") ? NULL : realloc(p, n);
}

AF_API char *__wrap_strdup(const char *s) {
  return af_fail("strdup") ? NULL : strdup(s);
}

AF_API int __wrap_vasprintf(char **out, const char *fmt, va_list ap) {
  if (af_fail("vasprintf")) {
    *out = NULL;
    return -1;
  }
  return vasprintf(out, fmt, ap);
}

AF_API int __wrap___vasprintf_chk(char **out, int flag, const char *fmt,
                                  va_list ap) {
  (void)flag;
  return __wrap_vasprintf(out, fmt, ap);
}

AF_API int __wrap_asprintf(char **out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = __wrap_vasprintf(out, fmt, ap);
  va_end(ap);
  return r;
}

AF_API int __wrap___asprintf_chk(char **out, int flag, const char *fmt, ...) {
  (void)flag;
  va_list ap;
  va_start(ap, fmt);
  int r = __wrap_vasprintf(out, fmt, ap);
  va_end(ap);
  return r;
}
