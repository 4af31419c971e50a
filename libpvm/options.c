/* Library options (pvm_setopt / pvm_getopt), and what the routing option
 * gave (pvmng_route, pvmng_route_cipher, pvmng_route_transport). Values are
 * kept in lpvm_opts (state.c); pvm_setopt returns the previous value as PVM
 * does. Routing and fragment size are remembered and used by the message path;
 * trace options are read by trace.c (PvmSelfTraceTid turns this task's tracing
 * on or off). */
#include <stdio.h>

#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "route.h"
#include "tid.h"
#include "trace.h"

/* Returns a pointer to the option's storage, or NULL if unknown. */
static int *slot(int what) {
  switch (what) {
  case PvmRoute:
    return &lpvm_opts.route;
  case PvmDebugMask:
    return &lpvm_opts.debugmask;
  case PvmAutoErr:
    return &lpvm_opts.autoerr;
  case PvmOutputTid:
    return &lpvm_opts.out_tid;
  case PvmOutputCode:
    return &lpvm_opts.out_code;
  case PvmOutputContext:
    return &lpvm_opts.out_ctx;
  case PvmSelfOutputTid:
    return &lpvm_opts.self_out_tid;
  case PvmSelfOutputCode:
    return &lpvm_opts.self_out_code;
  case PvmSelfOutputContext:
    return &lpvm_opts.self_out_ctx;
  case PvmTraceTid:
    return &lpvm_opts.trace_tid;
  case PvmTraceCode:
    return &lpvm_opts.trace_code;
  case PvmTraceBuffer:
    return &lpvm_opts.trace_buffer;
  case PvmTraceOptions:
    return &lpvm_opts.trace_opts;
  case PvmTraceContext:
    return &lpvm_opts.trace_ctx;
  case PvmSelfTraceTid:
    return &lpvm_opts.self_trace_tid;
  case PvmSelfTraceCode:
    return &lpvm_opts.self_trace_code;
  case PvmSelfTraceBuffer:
    return &lpvm_opts.self_trace_buffer;
  case PvmSelfTraceOptions:
    return &lpvm_opts.self_trace_opts;
  case PvmSelfTraceContext:
    return &lpvm_opts.self_trace_ctx;
  case PvmFragSize:
    return &lpvm_opts.frag_size;
  case PvmResvTids:
    return &lpvm_opts.resv_tids;
  case PvmShowTids:
    return &lpvm_opts.show_tids;
  case PvmPollType:
    return &lpvm_opts.poll_type;
  case PvmPollTime:
    return &lpvm_opts.poll_time;
  case PvmNoReset:
    return &lpvm_opts.no_reset;
  default:
    return NULL;
  }
}

static int valid(int what, int val) {
  switch (what) {
  case PvmRoute:
    return val == PvmDontRoute || val == PvmAllowDirect ||
           val == PvmRouteDirect;
  case PvmAutoErr:
    return val >= 0 && val <= 3;
  case PvmFragSize:
    return val >= 4096 && val <= (64 << 20);
  case PvmPollType:
    return val == PvmPollConstant || val == PvmPollSleep;
  case PvmOutputTid:
  case PvmSelfOutputTid:
  case PvmTraceTid:
  case PvmSelfTraceTid:
  case PvmTraceBuffer:
  case PvmSelfTraceBuffer:
  case PvmPollTime:
    return val >= 0;
  default:
    return 1;
  }
}

int pvm_setopt(int what, int val) {
  int *p = slot(what), old;
  if (p == NULL || !valid(what, val))
    return lpvm_err("pvm_setopt", PvmBadParam);
  old = *p;
  *p = val;
  /* Setting the task's own output or trace destination also sets the one
   * its children inherit (man pvm_setopt). */
  switch (what) {
  case PvmSelfOutputTid:
    lpvm_opts.out_tid = val;
    lpvm_send_task_options(1);
    break;
  case PvmSelfOutputCode:
    lpvm_opts.out_code = val;
    lpvm_send_task_options(1);
    break;
  case PvmSelfOutputContext:
    lpvm_opts.out_ctx = val;
    lpvm_send_task_options(1);
    break;
  case PvmSelfTraceTid:
    lpvm_opts.trace_tid = val;
    lpvm_tev_update();
    break;
  case PvmSelfTraceCode:
    lpvm_opts.trace_code = val;
    break;
  case PvmSelfTraceContext:
    lpvm_opts.trace_ctx = val;
    break;
  case PvmRoute:
    lpvm_route_policy(val);
    break;
  case PvmNoReset:
    lpvm_send_task_options(0);
    break;
  default:
    break;
  }
  return old;
}

int pvm_getopt(int what) {
  int *p = slot(what);
  if (p == NULL)
    return lpvm_err("pvm_getopt", PvmBadParam);
  return *p;
}

/* pvmng_route and pvmng_route_cipher (pvmng.h): what the routing option
 * gave for one destination, read from the router. */
int pvmng_route_cipher(int tid, char *name, int len) {
  int rc = pvmng_route(tid);
  if (rc < 0)
    return rc;
  if (name == NULL || len <= 0)
    return lpvm_err("pvmng_route_cipher", PvmBadParam);
  snprintf(name, (size_t)len, "%s",
           rc == PvmRouteDirect ? lpvm_route_cipher(tid) : "");
  return 0;
}

int pvmng_route_transport(int tid) {
  int rc = pvmng_route(tid);
  if (rc < 0)
    return rc;
  return rc == PvmRouteDirect ? lpvm_route_via(tid) : PVMNG_VIA_DAEMON;
}

int pvmng_route(int tid) {
  int rc = lpvm_connect("pvmng_route");
  if (rc < 0)
    return rc;
  if (!pvmw_tid_is_task(tid))
    return lpvm_err("pvmng_route", PvmBadParam);
  return lpvm_route_direct(tid) ? PvmRouteDirect : PvmDontRoute;
}
