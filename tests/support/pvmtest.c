/* The test-support library's helpers (pvmtest.h): clock, own path,
 * checksum and a private virtual machine's files. Plain libc, so that any
 * test program can link it. */
#include "pvmtest.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double pvmt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t pvmt_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pvmt_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

int pvmt_self_path(char *buf, size_t len) {
  ssize_t n;
  if (len < 2)
    return -1;
  n = readlink("/proc/self/exe", buf, len - 1);
  if (n <= 0 || (size_t)n >= len - 1)
    return -1;
  buf[n] = '\0';
  return 0;
}

uint32_t pvmt_fnv1a(const void *p, size_t n, uint32_t seed) {
  const unsigned char *b = p;
  uint32_t h = 2166136261u ^ seed;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

int pvmt_runtime_path(char *buf, size_t len, const char *what) {
  const char *tmp = getenv("PVM_TMP"), *vmid = getenv("PVM_VMID");
  int n;
  if (!tmp || !*tmp || !vmid || !*vmid)
    return -1;
  /* As wire/rundir.c names them. */
  n = snprintf(buf, len, "%s/pvm-%u/pvmd.%s.%s", tmp, (unsigned)geteuid(), vmid,
               what);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

pid_t pvmt_daemon_pid(int timeout_ms) {
  char path[PATH_MAX];
  double deadline = pvmt_now() + timeout_ms / 1000.0;
  if (pvmt_runtime_path(path, sizeof path, "lock") != 0)
    return -1;
  /* The daemon writes its pid once it runs in the background. */
  for (;;) {
    FILE *f = fopen(path, "r");
    char line[32], *end = NULL;
    long pid = 0;
    if (f) {
      if (fgets(line, sizeof line, f) != NULL)
        pid = strtol(line, &end, 10);
      (void)fclose(f);
    }
    /* A pid, then anything (the daemon may write more after it). */
    if (pid > 1 && end != NULL && end != line)
      return (pid_t)pid;
    if (pvmt_now() >= deadline)
      return -1;
    pvmt_sleep_ms(50);
  }
}

int pvmt_log_count(const char *s) {
  char path[PATH_MAX], line[1024];
  int n = 0;
  FILE *f;
  if (pvmt_runtime_path(path, sizeof path, "log") != 0 ||
      (f = fopen(path, "r")) == NULL)
    return -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (strstr(line, s) != NULL)
      n++;
  (void)fclose(f);
  return n;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int pvmt_rm_rf(const char *path) {
  if (access(path, F_OK) != 0 && errno == ENOENT)
    return 0;
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int pvmt_wait_file(const char *path, int timeout_ms) {
  double end = pvmt_now() + timeout_ms / 1000.0;
  while (access(path, F_OK) != 0) {
    if (pvmt_now() >= end)
      return -1;
    pvmt_sleep_ms(20);
  }
  return 0;
}
