/* The library's process-wide state that every layer reads: the connection
 * state and identity (lpvm_conn, conn.h) and the options (lpvm_opts,
 * lpvm.h). It is defined here, in a file that calls nothing, so that
 * reading it ties no module to the ones that change it (session.c,
 * options.c, inbox.c). Everything else a module keeps is file-static in
 * that module. */
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"

struct lpvm_conn lpvm_conn = {.state = LPVM_DOWN};

/* -1 until the task enrols, then its uid (session.c sets it). */
LPVM_PUBLIC int pvm_useruid = -1;

#define DEFAULT_FRAG_SIZE (1 << 20)
/* Polls before a blocking receive sleeps while direct links are open
 * (PvmPollTime; $PVMNG_POLL sets it for a whole job): about 100 us. */
#define LPVM_POLL_DEFAULT 100
/* How long a blocking receive from a task on another host, over a direct
 * link, polls before it sleeps ($PVMNG_REMOTE_SPIN_US). */
#define LPVM_REMOTE_SPIN_DEFAULT 2000

struct lpvm_opts lpvm_opts = {
    .route = PvmAllowDirect,
    .autoerr = 1,
    .frag_size = DEFAULT_FRAG_SIZE,
    .show_tids = 1,
    .poll_type = PvmPollSleep,
    .poll_time = LPVM_POLL_DEFAULT,
    .remote_spin_us = LPVM_REMOTE_SPIN_DEFAULT,
    .trace_opts = PvmTraceFull,
    .self_trace_opts = PvmTraceFull,
};

int lpvm_tid_or_zero(void) {
  return lpvm_conn.state == LPVM_UP ? lpvm_conn.mytid : 0;
}
