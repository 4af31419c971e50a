/* PVM-NG extensions beyond PVM 3.4. Everything PVM-NG adds to the task
 * library's public interface is declared here, never in pvm3.h, so a pure
 * PVM 3.4 program never meets a name it did not ask for. */
#ifndef PVMNG_H
#define PVMNG_H

#include "pvm3.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libpvm3 like pvm3.h's declarations (see there). */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

/* pvmng_route(tid): how messages from this task to task `tid` travel now.
 * Returns PvmRouteDirect when a direct link to tid is open and in use,
 * PvmDontRoute when they go through the daemons, or a negative PVM error
 * (PvmBadParam for a tid that is not a task, PvmSysErr without a daemon).
 * Asking opens nothing: a link opens on the first message when this task
 * has set pvm_setopt(PvmRoute, PvmRouteDirect). */
int pvmng_route(int tid);

/* pvmng_route_transport(tid): what carries this task's messages to task
 * `tid` now: PVMNG_VIA_DAEMON (the daemons), PVMNG_VIA_SOCKET (a direct
 * link on one host over a Unix socket), PVMNG_VIA_SHM (a direct link on one
 * host through shared memory) or PVMNG_VIA_TLS (a direct link to another
 * host). Returns one of them, or a negative PVM error as pvmng_route. */
#define PVMNG_VIA_DAEMON 0
#define PVMNG_VIA_SOCKET 1
#define PVMNG_VIA_SHM 2
#define PVMNG_VIA_TLS 3
int pvmng_route_transport(int tid);

/* pvmng_route_cipher(tid, name, len): what protects the records of this
 * task's direct link to task `tid` on another host, as an OpenSSL cipher
 * name ("AES-128-OCB", "AES-128-GCM", ...; $PVMNG_BULK_AEAD chooses), into
 * name (len bytes). "" when there is no such link: messages go through the
 * daemons, whose links are TLS 1.3, or over a Unix socket on one host.
 * Returns 0 or a negative PVM error, as pvmng_route. */
int pvmng_route_cipher(int tid, char *name, int len);

/* pvmng_lasterror(buf, len): the code of the last failure a PVM call
 * reported (as PvmAutoErr prints it, whether or not PvmAutoErr is set), and
 * in buf (len bytes, NUL-terminated) the reason the library knows beyond the
 * code: e.g. for pvm_spawn's PvmNoFile the directories the daemon searched,
 * or "" if none. Returns 0 if no call has failed. */
int pvmng_lasterror(char *buf, int len);

/* pvmng_mbox_reset(name, index, tids, ntid): what the console's reset does
 * to the message mailbox. Removes the entries left without an owner
 * (persistent entries whose task has exited) and every entry of the ntid
 * tasks in tids (those the reset kills), persistent ones included; a
 * non-NULL, non-empty name keeps to that class and an index >= 0 to that
 * index. Returns 0 or a negative PVM error. */
int pvmng_mbox_reset(const char *name, int index, const int *tids, int ntid);

/* ---- System messages of resource managers, hosters and taskers --------
 * PVM 3.4's tags (its pvmproto.h, which PVM-NG does not install), for
 * programs that register with pvm_reg_rm, pvm_reg_hoster or pvm_reg_tasker.
 * Bodies are PvmDataDefault, each value packed and unpacked in order with
 * pvm_pkint/pvm_pkstr (several ints may share one pvm_pkint call); a task
 * must set pvm_setopt(PvmResvTids, 1) to send them. See
 * docs/compatibility.md.
 *
 * Resource manager (pvm_reg_rm), one for the virtual machine: the daemons
 * of every host pass the other tasks' requests to it, from the requesting
 * task (pvm_bufinfo's source) in context 0, and its answer, sent to that
 * task with the same tag, becomes the task's result:
 *   SM_SPAWN   file, flags, where, count, nargs, argv[nargs], out_tid,
 *              out_ctx, out_tag, trace_tid, trace_ctx, trace_tag (0),
 *              nenv, env[nenv]
 *              answer: n (or a negative error), then n tids or errors
 *   SM_TASK    where            answer: 0 (or an error), then per task:
 *              tid, ptid, host, flag, name, pid
 *   SM_CONFIG  (empty)          answer: nhost, narch, then per host: tid,
 *              name, arch, speed, dsig
 *   SM_ADDHOST count, name[count]  answer: count (or an error), narch,
 *              then per host: tid (or an error), name, arch, speed, dsig
 *   SM_DELHOST count, name[count]  answer: count (or an error), then count
 *              results (0 or an error)
 *   SM_NOTIFY  what, ctx, tag, count, tids[count] (none for PvmHostAdd);
 *              no answer
 *   SM_SCHED   (empty; pvm_reg_rm of another task)  answer: the old RM's
 *              tid (>= 0 hands the host's RM role to that task) or an
 *              error, master tid, name, arch, speed[, dsig]
 * The RM to any host's daemon (its host tid, e.g. pvm_tidtohost(tid) or a
 * pvm_config hi_tid; PVM 3.4's `tid | 0x80000000` accepted too):
 *   SM_EXEC    ptid, file, flags, count, nargs, argv[nargs], out_tid,
 *              out_ctx, out_tag[, trace_tid, trace_ctx, trace_tag, nenv,
 *              env[nenv]]: start count tasks here, ptid their parent
 *              answer SM_EXECACK: count, then count tids or errors
 *              (PvmNoHost for each when no such host is in the VM)
 * The daemons to the RM: SM_TASKX (tid, status, 0, 0, 0, 0) when a task
 * started by SM_EXEC leaves (from that task's daemon); SM_HOSTX (the
 * daemon tid) when a host leaves. SM_ADD is answered at once with
 * PvmNotImpl for each host (SM_ADDACK: count, 0, then per host PvmNotImpl,
 * name, "", 0, 0): the RM adds hosts with pvm_addhosts. SM_HANDOFF is
 * ignored.
 * Tasker (pvm_reg_tasker): SM_STTASK from the daemon (tid, flags, path,
 * argc, argv[argc], nenv, env[nenv]); SM_TASKX to it (tid, status, user
 * sec, usec, system sec, usec). Hoster (pvm_reg_hoster): SM_STHOST from the
 * master (nhost, then per host: tid, so= option, [login@]host, command);
 * SM_STHOSTACK to it (per host: tid, result line or PVM error name). */
#ifndef SM_FIRST
#define SM_FIRST ((int)0x80040001)
#define SM_SPAWN (SM_FIRST + 0)
#define SM_EXEC (SM_FIRST + 1)
#define SM_EXECACK (SM_FIRST + 2)
#define SM_TASK (SM_FIRST + 3)
#define SM_CONFIG (SM_FIRST + 4)
#define SM_ADDHOST (SM_FIRST + 5)
#define SM_DELHOST (SM_FIRST + 6)
#define SM_ADD (SM_FIRST + 7)
#define SM_ADDACK (SM_FIRST + 8)
#define SM_NOTIFY (SM_FIRST + 9)
#define SM_TASKX (SM_FIRST + 10)
#define SM_HOSTX (SM_FIRST + 11)
#define SM_HANDOFF (SM_FIRST + 12)
#define SM_SCHED (SM_FIRST + 13)
#define SM_STHOST (SM_FIRST + 14)
#define SM_STHOSTACK (SM_FIRST + 15)
#define SM_STTASK (SM_FIRST + 16)
#define SM_LAST (SM_FIRST + 16)
#endif

/* ---- Groups (libgpvm3; link with -lgpvm3 -lpvm3) ----------------------
 * Collectives MPI users expect, over a PVM group's members in instance
 * order. Every member calls them with the same arguments; they return 0 or
 * a negative PVM error (PvmNoGroup, PvmNoInst for a caller outside the
 * group, PvmBadParam for a type the operation does not take). Data types
 * and reduction functions are pvm_reduce's (PvmMax, PvmMin, PvmSum,
 * PvmProduct or a function of the same signature, assumed associative and
 * commutative). Blocks are laid out by instance number: a group whose
 * instances are 0..n-1 uses n blocks of count items. See docs/groups.md. */

/* pvmng_allreduce: like pvm_reduce, but every member ends with the result
 * in data (recursive doubling: log2(n) exchange steps). */
int pvmng_allreduce(void (*func)(int *datatype, void *x, void *y, int *num,
                                 int *info),
                    void *data, int count, int datatype, char *group);
/* pvmng_allgather: every member's count items of data end in every
 * member's result, member i's at result + i*count items. */
int pvmng_allgather(void *result, void *data, int count, int datatype,
                    char *group);
/* pvmng_alltoall: data holds one block of count items per member (block j
 * for instance j); member i's block j ends in member j's result at block i. */
int pvmng_alltoall(void *result, void *data, int count, int datatype,
                   char *group);
/* pvmng_scan: inclusive prefix reduction: instance i ends with the
 * reduction of the data of instances 0..i, in data. */
int pvmng_scan(void (*func)(int *datatype, void *x, void *y, int *num,
                            int *info),
               void *data, int count, int datatype, char *group);

/* One group as the registry knows it (pvmng_gstat). */
struct pvmng_gstat {
  char name[256];
  int size;            /* members */
  int ninst;           /* highest instance + 1 */
  int *tids;           /* ninst entries, by instance; 0 = free instance */
  int frozen;          /* pvm_freezegroup done */
  int defunct;         /* a member left after the freeze */
  int barrier_waiting; /* tasks in a barrier arbitrated by the registry */
  int barrier_count;   /* ... and the count they wait for */
  unsigned version;    /* grows with every change */
};
/* pvmng_gstat(group, &st, &n): the state of one group, or of every group
 * when group is NULL. Returns the number of groups described (also in *n);
 * free *st with pvmng_gstat_free(*st, n). PvmNoGroup for an unknown group. */
int pvmng_gstat(const char *group, struct pvmng_gstat **st, int *n);
void pvmng_gstat_free(struct pvmng_gstat *st, int n);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* PVMNG_H */
