/* The polling windows' decisions (pollwin.h): the score of each kind of
 * window, and the crowded-processors test, a cached read of the runnable
 * count in /proc/loadavg's fourth field ("running/total"). */
#include "pollwin.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_NS (20u * 1000000u)
#define HOLD_NS (200u * 1000000u)

static void prime(struct pvmw_pollwin *w) {
  if (!w->primed) {
    w->primed = 1;
    w->score = PVMW_POLLWIN_MAX; /* optimistic until traffic says */
  }
}

static void lose(struct pvmw_pollwin *w) {
  w->score = w->score > 2 ? w->score - 2 : 0;
}

int pvmw_pollwin_adaptive(void) {
  static int adaptive = -1;
  if (adaptive < 0) {
    const char *e = getenv("PVMNG_POLL_ADAPT");
    adaptive = !(e != NULL && strcmp(e, "0") == 0);
  }
  return adaptive;
}

int pvmw_pollwin_input(struct pvmw_pollwin *w, uint64_t now, unsigned us) {
  prime(w);
  if (w->since != 0) {
    if (now - w->since <= (uint64_t)us * 1000u) {
      if (w->score < PVMW_POLLWIN_MAX)
        w->score++;
    } else {
      lose(w);
    }
    w->since = 0;
  }
  return w->score >= PVMW_POLLWIN_OPEN || !pvmw_pollwin_adaptive();
}

int pvmw_pollwin_open(struct pvmw_pollwin *w, uint64_t now, unsigned us) {
  prime(w);
  if (w->since != 0 && now - w->since > (uint64_t)us * 1000u)
    lose(w);
  w->since = now;
  return w->score >= PVMW_POLLWIN_OPEN || !pvmw_pollwin_adaptive();
}

int pvmw_crowded_by(long runnable, long ncpu) {
  return ncpu > 0 && runnable - 1 > ncpu;
}

/* The running count of /proc/loadavg, or -1. */
static long runnable_now(void) {
  char buf[128];
  int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* "0.50 0.40 0.30 3/412 12345": the fourth field's first number. */
  char *p = buf;
  for (int field = 0; field < 3; field++) {
    while (*p != '\0' && *p != ' ')
      p++;
    while (*p == ' ')
      p++;
  }
  char *end;
  long r = strtol(p, &end, 10);
  return end != p && *end == '/' ? r : -1;
}

int pvmw_cpu_crowded(uint64_t now_ns) {
  static uint64_t checked, hold_until;
  static int crowded;
  static long ncpu;
  if (!pvmw_pollwin_adaptive())
    return 0;
  if (now_ns < hold_until)
    return 1;
  if (checked != 0 && now_ns - checked < CHECK_NS)
    return crowded;
  checked = now_ns;
  if (ncpu == 0)
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  crowded = pvmw_crowded_by(runnable_now(), ncpu);
  if (crowded)
    hold_until = now_ns + HOLD_NS;
  return crowded;
}
