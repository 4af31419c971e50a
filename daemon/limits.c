/* The daemon's limits: every bound on what a task may ask of the daemon is
 * a field of struct pvmd_limits, set here to its default. Later options and
 * configuration files override these fields, nothing else. */
#include <limits.h>
#include <stdlib.h>

#include "frame.h"
#include "pvmd.h"

void pvmd_limits_default(struct pvmd_limits *lim) {
  lim->max_frame = PVMW_MAX_FRAME;
  lim->max_message = PVMW_MAX_MESSAGE;
  lim->high_water = (size_t)64 << 20;
  lim->low_water = (size_t)16 << 20;
  lim->max_tasks = 16384;
  lim->spawn_max_ntask = PVMW_SPAWN_MAX_NTASK;
  lim->spawn_max_argv = PVMW_SPAWN_MAX_ARGV;
  lim->spawn_max_argv_bytes = (size_t)1 << 20;
  lim->spawn_max_env = 4096;
  lim->out_line_max = 4096;
  lim->hello_timeout_ms = 10000;
  lim->halt_grace_ms = 1000;
  lim->halt_reap_ms = 500;
  lim->spin_us = 50;
  /* A message sent to another host is answered after a network round trip
   * and two more daemon hops: a longer window catches that answer too. */
  lim->peer_spin_us = 300;
  const char *ps = getenv("PVMNG_PEER_SPIN_US");
  if (ps != NULL && *ps != '\0') {
    long v = strtol(ps, NULL, 10);
    lim->peer_spin_us = v < 0 ? 0 : v > 100000 ? 100000 : (unsigned)v;
  }
  lim->heartbeat_ms = 1000;
  lim->dead_ms = 5000;
  /* Join credentials live 2 minutes; $PVMNG_JOIN_TTL (seconds, 1 to 3600)
   * for slow remote shells, or for tests of expiry. */
  const char *t = getenv("PVMNG_JOIN_TTL");
  long ttl = t != NULL ? strtol(t, NULL, 10) : 0;
  lim->join_ttl_s = ttl >= 1 && ttl <= 3600 ? (unsigned)ttl : 120;
  /* The dead-host timeout is the one limit users tune (a slow network, or
   * tests that want failures noticed quickly): $PVMNG_DEAD_MS, at least
   * 500; heartbeats go at a third of it, at most once a second. */
  const char *e = getenv("PVMNG_DEAD_MS");
  long v = e != NULL ? strtol(e, NULL, 10) : 0;
  if (v >= 500 && v <= 3600000) {
    lim->dead_ms = (unsigned)v;
    lim->heartbeat_ms = lim->dead_ms / 3 < 1000 ? lim->dead_ms / 3 : 1000;
  }
}
