/* Whether a polling window pays: the decisions of the daemon's windows
 * after traffic (daemon/spin.c) and of a receiving task's polling before it
 * sleeps (libpvm/msg.c). Polling instead of sleeping saves a process wakeup,
 * but only when the awaited input comes inside the window and the poller
 * has a processor to itself. A window that runs out, or a polling loop
 * among more runnable threads than processors (more tasks than cores,
 * hosts simulated on one machine, other work), takes the processor from
 * the very task whose message it waits for: a token ring over many hosts
 * was 15 to 35 times slower per hop with its polling than without.
 *
 * So each kind of window keeps a score of whether its input would have
 * come in time, counted whether the window was open or not, and opens only
 * while most recent ones would have won (a ping-pong keeps polling, a ring
 * stops), and no window opens while the processors are all taken.
 * $PVMNG_POLL_ADAPT=0 turns both off (every window opens, as configured):
 * for a host that gives each task its own processor whatever the counts
 * say. */
#ifndef PVMW_POLLWIN_H
#define PVMW_POLLWIN_H

#include <stdint.h>

/* The recent record of one kind of window. Zero-initialised it starts
 * optimistic (open). */
struct pvmw_pollwin {
  uint64_t since; /* when the window would have opened, 0 = none */
  int score;      /* 0..PVMW_POLLWIN_MAX; opens at PVMW_POLLWIN_OPEN */
  int primed;     /* score set to its optimistic start */
};
#define PVMW_POLLWIN_MAX 8
#define PVMW_POLLWIN_OPEN 4

/* Whether windows adapt ($PVMNG_POLL_ADAPT, read once; default yes). */
int pvmw_pollwin_adaptive(void);

/* The input the window waits for arrived at now (ns, monotonic); the
 * window was us long from w->since: a win (+1) inside it, a loss (-2)
 * after. Returns whether windows of this kind should open. */
int pvmw_pollwin_input(struct pvmw_pollwin *w, uint64_t now, unsigned us);
/* A window of this kind would open at now (a loss first if the previous one
 * ran out unanswered); returns whether to open it. */
int pvmw_pollwin_open(struct pvmw_pollwin *w, uint64_t now, unsigned us);

/* 1 when the runnable threads other than the caller outnumber the online
 * processors (read from /proc/loadavg at most every 20 ms): one more than
 * there are processors, since a pair of tasks and the daemon between them
 * (three, one of them polling) is the common case on two cores and polls
 * well. Once crowded,
 * answers 1 for the next 200 ms without looking, so that the pollers, whose
 * own loops are part of the count, do not all start again at once. 0 when
 * the count cannot be read. now_ns is a monotonic time (uv_hrtime()). */
int pvmw_cpu_crowded(uint64_t now_ns);

/* The rule itself, for the unit test: runnable (the count, including the
 * caller) against ncpu processors. */
int pvmw_crowded_by(long runnable, long ncpu);

#endif
