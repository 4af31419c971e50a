/* The daemon's state: one struct pvmd owned by main and reached from every
 * handle (handle->data leads back to it). Limits are configuration, set once
 * at start; counters live in one place so a statistics request can report
 * them. Everything runs on one libuv loop in one thread: no locks. */
#ifndef PVMD_H
#define PVMD_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "context.h"
#include "flow.h"
#include "host.h"
#include "list.h"
#include "pollwin.h"
#include "rundir.h"
#include "task.h"

struct pvmd_limits {
  uint32_t max_frame;          /* largest frame payload read from a task */
  uint64_t max_message;        /* largest whole message body */
  size_t high_water;           /* a destination's queued bytes above which
                                  senders to it stop being read */
  size_t low_water;            /* ... and below which they resume */
  size_t mem_budget;           /* what every queued message may cost the
                                  daemon together, bookkeeping included
                                  ($PVMNG_MEM_BUDGET): above it senders
                                  stop being read */
  int mem_budget_set;          /* mem_budget came from the environment */
  int max_tasks;               /* task table entries, in every state */
  int spawn_max_ntask;         /* pvm_spawn's ntask */
  int spawn_max_argv;          /* arguments per spawn */
  size_t spawn_max_argv_bytes; /* their total size, NULs included */
  int spawn_max_env;           /* environment entries per spawn */
  size_t out_line_max;         /* task output is cut into lines this long */
  unsigned hello_timeout_ms;   /* a connection must say hello within this */
  unsigned halt_grace_ms;      /* SIGTERM to SIGKILL at halt */
  unsigned halt_reap_ms;       /* SIGKILL to closing everything */
  unsigned spin_us;            /* polling window after input, 0 = none */
  unsigned peer_spin_us;       /* ... after a message left for another host
                                  ($PVMNG_PEER_SPIN_US), 0 = none */
  unsigned heartbeat_ms;       /* heartbeat interval on daemon links */
  unsigned dead_ms;            /* silence after which a host is dead */
  unsigned join_ttl_s;         /* lifetime of a join credential */
};

/* Counters since start (cur: current values). */
struct pvmd_stats {
  uint64_t conns_accepted;
  uint64_t conns_refused; /* wrong uid, accept failures */
  uint64_t conns_cur;
  uint64_t conns_closed_bad; /* closed for a protocol violation */
  uint64_t tasks_cur;        /* task table entries */
  uint64_t tasks_spawned;
  uint64_t spawn_failed;
  uint64_t frames_in;
  uint64_t frames_rejected; /* malformed, oversized, out of place */
  uint64_t msgs_forwarded;
  uint64_t msgs_dropped; /* no such destination */
  uint64_t output_lines;
  uint64_t bytes_in;
  uint64_t bytes_out;
  uint64_t bytes_queued_cur; /* written with uv_write, not yet completed */
  uint64_t bytes_queued_peak;
  uint64_t senders_paused; /* times a sender was paused by backpressure */
  uint64_t mem_queued;     /* what queued messages cost now (pvmd_mem_*) */
  uint64_t mem_queued_peak;
  uint64_t mem_paused;  /* times a sender was paused by the memory budget */
  uint64_t mem_refused; /* messages refused for lack of memory */
};

struct pvmd {
  uv_loop_t loop;
  struct pvmd_limits lim;
  struct pvmd_stats st;

  char vmid[PVMW_VMID_MAX + 1];
  char sock_path[PATH_MAX];
  char lock_path[PATH_MAX];
  char log_path[PATH_MAX];
  uid_t uid;
  int host_no;
  int tid; /* this daemon's tid */

  struct pvmd_hosts hosts;
  struct pvmd_tasks tasks;
  struct pvmd_contexts contexts; /* context.c: pvm_newcontext */
  int tasker_tid;                /* tasker.c: pvm_reg_tasker, or 0 */
  int hoster_tid;                /* hoster.c: pvm_reg_hoster (master), or 0 */
  int rm_tid;                    /* rm.c: pvm_reg_rm, or 0 */
  int vm_rm_tid; /* rm.c: the virtual machine's RM, on any host, or 0 */
  struct pvmd_list rm_pending;    /* rm.c: requests the RM has to answer */
  struct pvmd_list conns;         /* struct pvmd_conn.node */
  struct pvmd_list mem_waiters;   /* producers paused by the memory budget */
  int mem_trim;                   /* queues grew large: trim when drained */
  int nomem_warned;               /* "out of memory" logged, not yet over */
  void *mem_reserve;              /* freed when memory runs out, so that
                                     the senders can still be told */
  uint64_t mem_wake_at;           /* producers paused for memory resume
                                     when queues cost this much or less */
  struct pvmd_list notifies;      /* notify.c: pvm_notify requests */
  struct pvmd_peers *peers;       /* peer.c: links to other daemons, or NULL */
  struct pvmd_hostfile *hostfile; /* the master's host file (hostopts.h),
                                     or NULL */
  int slurm; /* -S: the hosts are a Slurm allocation's nodes, each daemon
                a job step (started with srun) */
  /* This host's options from the host file (its own line on the master,
   * -e/-w/-b from the master on the others), expanded; NULL when unset. */
  char *ep;        /* ep=: where spawned programs are looked for */
  char *wd;        /* wd=: working directory of spawned tasks */
  char *bx;        /* bx=: debugger (kept for PvmTaskDebug) */
  char *listen_ip; /* ip= of the master's own line: the address other
                      daemons reach it at */

  int fd_limit;  /* RLIMIT_NOFILE (soft, raised to the hard limit) */
  int fd_warned; /* "out of descriptors" logged, none accepted since */
  int listen_fd; /* bound and listening before the loop */
  uv_pipe_t listener;
  int listener_open;
  int emfile_warned;
  uv_pipe_t reject; /* takes a connection that cannot be served */
  int reject_busy;
  uv_signal_t sig[3];
  int sig_open;
  uv_timer_t hello_timer; /* sweeps connections that never said hello */
  int hello_timer_open;
  uv_idle_t spin; /* spin.c: polling window after traffic */
  int spin_open;
  uint64_t spin_until;           /* uv_hrtime() at which the window closes */
  struct pvmw_pollwin spin_in;   /* did input follow input in the window? */
  struct pvmw_pollwin spin_peer; /* ... follow a message to another host? */

  /* halt */
  int halting;
  int halt_phase;     /* 0 none, 1 SIGTERM sent, 2 SIGKILL sent,
                         3 closing */
  int halt_requester; /* tid that asked, 0 for a signal */
  pid_t halt_req_pid; /* its process, -1 if none */
  uv_timer_t halt_timer;
  int halt_timer_open;
};

/* Descriptors (limits.c): the last PVMD_FD_RESERVE below the limit are
 * kept for serving what is there (logging, replies, refusals); a spawned
 * task takes PVMD_FDS_PER_TASK (its output pipes and its connection). */
#define PVMD_FD_RESERVE 16
#define PVMD_FDS_PER_TASK 3
/* Raises the soft descriptor limit to the hard one; sets d->fd_limit. */
void pvmd_fd_limit_raise(struct pvmd *d);
/* The descriptor limit now (read again: it may be changed from outside,
 * prlimit); updates d->fd_limit. */
int pvmd_fd_limit(struct pvmd *d);
/* How many more tasks can be spawned with descriptors to serve them. */
int pvmd_fd_room(struct pvmd *d);

/* Default limits. */
void pvmd_limits_default(struct pvmd_limits *lim);

/* The memory budget (limits.c). A queued frame costs its bytes plus its
 * frame struct, its queue entry and a malloc header for each
 * (PVMD_MALLOC_CHUNK); pvmd_mem_charge/release keep d->st.mem_queued. */
#define PVMD_MALLOC_CHUNK 16u
void pvmd_mem_charge(struct pvmd *d, size_t cost);
/* Releases cost; wakes the producers paused by the budget once the queues
 * are below three quarters of it, and gives memory back to the system
 * after a large drain. */
void pvmd_mem_release(struct pvmd *d, size_t cost);
/* Whether queued messages cost more than the budget. */
static inline int pvmd_mem_over(const struct pvmd *d) {
  return d->st.mem_queued > d->lim.mem_budget;
}
/* Memory ran out with what is queued now: paused producers resume once
 * queues have shrunk by a quarter. tell: frees the reserve kept so that
 * senders can still be told. */
void pvmd_mem_exhausted(struct pvmd *d, int tell);
/* Whether the producers paused for memory may resume. */
static inline int pvmd_mem_may_resume(const struct pvmd *d) {
  return d->st.mem_queued <= d->mem_wake_at;
}
/* Parks producer on the budget's waiters (see flow.h). */
void pvmd_mem_park(struct pvmd *d, struct pvmd_waiter *producer);
/* Sizes the budget to the address-space limit when it was not set (called
 * once at start, after the limits are read). */
void pvmd_mem_fit(struct pvmd *d);

/* Milliseconds on the loop's clock. */
static inline uint64_t pvmd_now(struct pvmd *d) { return uv_now(&d->loop); }

/* halt.c: stops the virtual machine (pvm_halt, or SIGTERM/INT to the
 * daemon). requester is the tid that asked, or 0. Safe to call twice. */
void pvmd_halt(struct pvmd *d, int requester, const char *why);
/* halt.c: called when a task entry is freed, to finish a halt early. */
void pvmd_halt_check(struct pvmd *d);

#endif
