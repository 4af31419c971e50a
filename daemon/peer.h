/* Links between daemons: TCP carrying TLS 1.3 with mutual authentication
 * (sec/tls_*.c, through the stream of sec/stream.h), framed like task
 * connections. The master listens and starts slaves through $PVM_RSH;
 * slaves connect back, say PeerHello and receive their host number and the
 * host table. Routing is a star: slaves reach one another through the
 * master. A one-host daemon never calls into here beyond pvmd_peer_*
 * checks that find no links. */
#ifndef PVMD_PEER_H
#define PVMD_PEER_H

#include <stdint.h>

#include "flow.h"
#include "frame.h"
#include "pvm.pb-c.h"

struct pvmd;
struct pvmd_conn;
struct pvmw_join_cred;

/* Where an answer goes: a task on this host, or (a request forwarded from
 * another daemon) back to that daemon, which hands it to its task. Plain
 * data: an answer may be sent long after the request (a group barrier). */
struct pvmd_reply_to {
  int origin_tid;
  uint32_t req_id;
  int from_host; /* 0: the task is here */
  uint32_t fwd_id;
};

/* The reply address of request req_id arriving on c (a task's connection
 * or the stand-in of a forwarded request). */
struct pvmd_reply_to pvmd_peer_reply_to_of(struct pvmd_conn *c,
                                           uint32_t req_id);

/* Sends answer m (its req_id set here) to rt, whether or not this daemon
 * has links; dropped quietly when the task or its host is gone. */
void pvmd_peer_answer(struct pvmd *d, const struct pvmd_reply_to *rt,
                      Pvmng__Control *m);

/* Request m of a task (rt) goes to the resource manager on host to_host,
 * through that host's daemon (PeerForward.for_rm). Takes nothing. */
void pvmd_peer_forward_rm(struct pvmd *d, const struct pvmd_reply_to *rt,
                          int to_host, const Pvmng__Control *m);

/* Runs request m for the task rt names (on another host) as the daemons
 * serve it, over the whole VM; the answer goes to rt. Takes m. */
void pvmd_peer_run_for(struct pvmd *d, const struct pvmd_reply_to *rt,
                       Pvmng__Control *m);

/* This host's RM is now rm_tid (0: it left): recorded as the VM's and
 * told to the master, which tells every daemon. */
void pvmd_peer_rm_announce(struct pvmd *d, int rm_tid);

/* Whether this daemon holds the VM's shared state (the group registry):
 * the master, or a daemon alone. */
int pvmd_peer_is_master(const struct pvmd *d);

/* Certificate directory: $PVM_CERTDIR, else ~/.pvm. */
void pvmd_peer_certdir(char *out, size_t len);

/* Slave start: connects to the master; the task listener starts once the
 * master has given this daemon its host number. Returns 0, or -1 after
 * logging why. */
int pvmd_peer_join(struct pvmd *d, const char *master);

/* Slave start: the join credential read from stdin (copied), used when the
 * certificate directory holds no usable certificate for this host. */
int pvmd_peer_set_credential(struct pvmd *d, const struct pvmw_join_cred *c);

/* SIGHUP: reloads this daemon's certificate and key from the certificate
 * directory, for new links; a bad replacement is refused (logged) and the
 * current one kept. Returns 0 or -1. */
int pvmd_peer_reload(struct pvmd *d);

/* Master: starts every host of its host file (d->hostfile) but its own
 * line and the '&' lines, each with its options. */
void pvmd_peer_hostfile(struct pvmd *d);

/* Whether this daemon is part of a VM spanning hosts. */
int pvmd_peer_active(const struct pvmd *d);

/* The IPv4 address the other hosts reach this host at (for its tasks'
 * direct links): a slave's end of its link to the master, the master's
 * daemons' address once it listens. Writes it to out (at least
 * INET_ADDRSTRLEN bytes) and returns 0, or -1 when neither is known. */
int pvmd_peer_self_addr(const struct pvmd *d, char *out, size_t len);

/* A message frame for a tid on another host. Takes f. Returns a
 * pvmd_route_result: OK when queued on the link toward that host, FULL when
 * queued but the link holds more than the high-water mark (producer, if not
 * NULL, is parked until it drains), NONE when no link leads there. */
int pvmd_peer_route(struct pvmd *d, int dst, pvmw_frame *f,
                    struct pvmd_waiter *producer);

/* Requests that may need another host. Each returns 1 when it took the
 * request (the answer comes later), 0 when the caller handles it here. */
int pvmd_peer_request(struct pvmd_conn *c, uint32_t req_id,
                      const Pvmng__Control *m);

/* pvm_addhosts from a task; pvm_delhosts. */
void pvmd_peer_add_hosts(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__HostsRequest *r);
void pvmd_peer_del_hosts(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__HostsRequest *r);

/* Halt: tells the other daemons (pvmd_halt calls it), and closes every
 * link and the listener at the end of a halt. */
void pvmd_peer_halt(struct pvmd *d, const char *why);
/* A local task left: tell the other daemons, whose tasks may watch it. */
void pvmd_peer_task_gone(struct pvmd *d, int tid);
/* A PvmTaskExit request here watches tid on another host: ask its daemon,
 * which answers with the exit at once if tid has already gone. */
void pvmd_peer_task_query(struct pvmd *d, int tid);
void pvmd_peer_close_all(struct pvmd *d);

#endif
