/* The daemon's log file. Each line is formatted into one buffer and written
 * with a single write(2) on an O_APPEND descriptor, so lines from a daemon
 * and anything else appending to the same file never interleave. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static int log_fd = -1;
static int log_stderr = 1;
static unsigned log_debug;
static pid_t log_pid;

int pvmd_log_open(const char *path, int to_stderr) {
  int fd =
      open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -1;
  if (log_fd >= 0)
    close(log_fd);
  log_fd = fd;
  log_stderr = to_stderr;
  log_pid = getpid();
  return 0;
}

void pvmd_log_quiet(void) { log_stderr = 0; }
void pvmd_log_set_debug(unsigned mask) { log_debug = mask; }
unsigned pvmd_log_debug_mask(void) { return log_debug; }
void pvmd_log_set_pid(void) { log_pid = getpid(); }

void pvmd_log_close(void) {
  if (log_fd >= 0)
    close(log_fd);
  log_fd = -1;
}

static void log_write(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* nowhere left to report a failing log */
    buf += n;
    len -= (size_t)n;
  }
}

__attribute__((format(printf, 1, 0))) static void log_vline(const char *fmt,
                                                            va_list ap) {
  char line[LOG_LINE_MAX];
  int saved = errno;
  time_t now = time(NULL);
  struct tm tm;
  size_t n;
  int k;

  localtime_r(&now, &tm);
  n = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
  k = snprintf(line + n, sizeof line - n, " pvmd[%ld] ",
               (long)(log_pid ? log_pid : getpid()));
  if (k > 0)
    n += (size_t)k;
  k = vsnprintf(line + n, sizeof line - n, fmt, ap);
  if (k > 0)
    n += (size_t)k;
  if (n > sizeof line - 2)
    n = sizeof line - 2; /* truncated: keep the newline */
  line[n++] = '\n';
  if (log_fd >= 0)
    log_write(log_fd, line, n);
  if (log_stderr || log_fd < 0)
    log_write(STDERR_FILENO, line, n);
  errno = saved;
}

void pvmd_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_vline(fmt, ap);
  va_end(ap);
}

void pvmd_debug(const char *fmt, ...) {
  va_list ap;
  if (!log_debug)
    return;
  va_start(ap, fmt);
  log_vline(fmt, ap);
  va_end(ap);
}
