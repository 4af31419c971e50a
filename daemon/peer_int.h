/* Internals shared by the files of the links between daemons (peer.c
 * lists them with their jobs). Not used outside them. */
#ifndef PVMD_PEER_INT_H
#define PVMD_PEER_INT_H

#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

#include "flow.h"
#include "frame.h"
#include "host.h"
#include "join.h"
#include "list.h"
#include "peer.h"
#include "pvm.pb-c.h"
#include "rundir.h"
#include "stream.h"
#include "tls.h"

struct pvmd;
struct pvmd_conn;

#define SWEEP_MS 250
#define ADD_TIMEOUT_MS 30000
#define CERT_DAYS 730
#define JOIN_MAX_FRAME 16384u /* frames on a join connection */
/* A receiver acknowledges after this many frames or bytes (and on every
 * heartbeat and sweep when it received anything since). */
#define REL_ACK_FRAMES 128u
#define REL_ACK_BYTES ((size_t)2 << 20)
/* A slave's reconnection attempts: the first at once, then after a pause
 * doubling from REL_RETRY_MIN_MS to REL_RETRY_MAX_MS; each attempt gets
 * at most REL_ATTEMPT_MS for its TCP connect, TLS handshake and hello. */
#define REL_RETRY_MIN_MS 100u
#define REL_RETRY_MAX_MS 1000u
#define REL_ATTEMPT_MS 2000u

/* L_DOWN: a link between daemons whose connection broke; it keeps its
 * host, its sequence state and the frames not yet acknowledged until a
 * new connection resumes it, or for the dead-host timeout. */
enum link_state { L_TLS, L_HELLO, L_UP, L_DOWN, L_CLOSING };

/* The sequence state of a link (peer_rel.c). Sequenced frames are numbered
 * 1, 2, ... in the order they are written to the link, in each direction. */
struct pvmd_rel {
  uint64_t tx_seq;   /* sequenced frames sent */
  uint64_t tx_acked; /* ... of which the other side has acknowledged */
  pvmw_frame **q;    /* ring of the tx_seq - tx_acked kept, oldest at head */
  size_t cap, head;
  size_t bytes;      /* their raw size (charged to the memory budget) */
  uint64_t rx_seq;   /* sequenced frames received and acted on */
  uint64_t rx_acked; /* the count last sent to the other side */
  size_t rx_bytes;   /* bytes received since */
};

struct pvmd_link {
  uv_tcp_t tcp; /* tcp.data = this */
  struct pvmd_peers *ps;
  pvmw_stream st; /* TLS over tcp; st.tls is the engine's connection */
  pvmw_reader rd;
  int rd_ready;
  enum link_state state;
  int accepted;  /* the master's side */
  int join;      /* a join connection: nothing but the join exchange */
  int join_done; /* the exchange is over; the other side closes */
  int host_no;   /* once up */
  uint64_t since;
  uint64_t last_rx;   /* loop time of the last bytes read */
  uint64_t last_ping; /* loop time of the last heartbeat sent */
  size_t mem_charged; /* unsent ciphertext counted in the memory budget */
  uv_connect_t creq;
  struct pvmd_waiter wait;        /* parked here while a destination of
                                     its frames is congested */
  int pause_wanted;               /* stop reading after this chunk */
  struct pvmd_list drain_waiters; /* producers waiting for this link */
  struct pvmd_list node;
  char who[PVMD_HOSTNAME_MAX + 64];
  int tcp_closing;              /* down: its connection's handle closes */
  struct pvmd_rel rel;          /* once up */
  char vmid[PVMW_VMID_MAX + 1]; /* master: the VM id of the host's hello */
  struct pvmd_link *resume_of;  /* a reconnection: the link it resumes */
  struct pvmd_link *attempt;    /* a slave's down link: its reconnection */
  uint64_t next_try;            /* ... the next one not before */
  unsigned backoff;
};

/* A request split over hosts (spawn spread round-robin, pvm_tasks(0)). */
struct pvmd_gather {
  struct pvmd_reply_to rt;
  int is_spawn;
  int left;
  int32_t *tids; /* spawn: one slot per instance */
  size_t ntids;
  char *reason; /* spawn: the first part's reason for its failures, or NULL
                   (malloc'd) */
  Pvmng__Control **parts; /* tasks: each host's reply */
  size_t nparts;
};

/* A request sent to another daemon, waiting for its answer. */
struct pvmd_fwd {
  struct pvmd_list node;
  uint32_t id;
  struct pvmd_reply_to rt;
  struct pvmd_gather *g; /* or NULL */
  int slot, count;
  int to_host;
};

/* A host being added: started through $PVM_RSH (or by hand, so=ms),
 * waiting for its hello. What the remote shell says on stderr goes to the
 * log. */
struct pvmd_hostsreq;
struct pvmd_add {
  struct pvmd_list node;
  struct pvmd_peers *ps;
  char name[PVMD_HOSTNAME_MAX];
  char vmid[PVMW_VMID_MAX + 1]; /* the VM id its hello must carry (id=) */
  int speed;                    /* sp= */
  int host_no; /* reserved when the add starts, so numbers follow the
                  order in which hosts were named */
  uint64_t deadline;
  struct pvmd_hostsreq *req; /* or NULL (host file) */
  int slot;
  uv_process_t proc;
  int proc_open;
  uv_pipe_t out; /* the remote shell's stderr, read into the log */
  int out_open;
  char obuf[512];
  size_t olen;
  int rsh_exited, rsh_status, rsh_signal;
  char why[200]; /* the shell's last line on stderr, then why the add
                    failed: sent back with the result */
  int handles;   /* closes pending; freed at 0 once done */
  int done;
};

struct pvmd_hostsreq {
  struct pvmd_reply_to rt;
  int left;
  int32_t *res;
  char **why; /* per host: why its add failed (malloc'd) or NULL */
  size_t n;
};

struct pvmd_sinkctx {
  struct pvmd_peers *ps;
  struct pvmd_reply_to rt; /* forward answers */
  struct pvmd_gather *g;   /* local part of a gather */
  int slot, count;
  int vm; /* run as the daemons serve a task: spread over the hosts */
};

/* Master: a join credential handed to a host being added. Kept until well
 * after it expires, so that a late or repeated use is refused with the
 * right reason. */
struct pvmd_cred {
  struct pvmd_list node;
  pvmw_join_cred c;
  int used; /* presented once, whatever the outcome */
};

struct pvmd_peers {
  struct pvmd *d;
  pvmw_tls_ctx *ctx;
  struct pvmd_list creds; /* master: struct pvmd_cred.node */
  /* A slave started with a join credential: */
  pvmw_join_cred *cred;
  pvmw_tls_ctx *join_ctx;
  char *join_key; /* PEM of the key made for the request; wiped */
  struct sockaddr_in master_sa;
  char certdir[PATH_MAX];
  uv_tcp_t listener;
  int listening;
  char addr[64];
  int port;
  char self_addr[64]; /* slave: this host's address as the master sees it */
  struct pvmd_list links;
  struct pvmd_link *master; /* slave: the link to the master */
  struct pvmd_list adds;
  struct pvmd_list fwds;
  uint32_t next_fwd;
  int next_host_no; /* where the search for a free host number starts */
  unsigned rr;
  uv_timer_t timer;
  int timer_open;
  int closing;
  int handles_open; /* closes pending at the end */
};

/* peer.c: the state (made on first use), and its end. */
struct pvmd_peers *pvmd_peer_state(struct pvmd *d);
/* Makes ps->ctx from the certificate directory (server: the accepting
 * side's context). 0, or -1 (logged). */
int pvmd_peer_load_ctx(struct pvmd_peers *ps, int server);
/* Frees ps once it is closing and its last handle and link are gone. */
void pvmd_peer_maybe_free(struct pvmd_peers *ps);

/* peer_link.c: one link. A new link over a fresh TCP handle, with a TLS
 * stream from ctx (expect: the peer's certificate name, or NULL); NULL
 * when out of memory. */
struct pvmd_link *pvmd_link_new(struct pvmd_peers *ps, int accepted,
                                pvmw_tls_ctx *ctx, const char *expect);
/* Its TCP connection is up: reads, and the connecting side starts TLS. */
void pvmd_link_start(struct pvmd_link *l);
/* The up link toward host_no (a slave: always the master), or NULL. */
struct pvmd_link *pvmd_link_to_host(struct pvmd_peers *ps, int host_no);
/* Encodes and sends; -1 when the link is closing or failed. */
int pvmd_link_send_control(struct pvmd_link *l, const Pvmng__Control *m);
/* Sends message frame f (taken); a pvmd_route_result, parking producer
 * (if not NULL) while the link holds more than the high-water mark. */
int pvmd_link_send_flow(struct pvmd_link *l, pvmw_frame *f,
                        struct pvmd_waiter *producer);
/* Sends what l's TLS stream holds (unless l is gone). */
void pvmd_link_flush(struct pvmd_link *l);
/* Tells the other side how many sequenced frames arrived; the other
 * side's count of ours arrived (a count above what was sent fails l). */
void pvmd_link_send_ack(struct pvmd_link *l);
void pvmd_link_on_ack(struct pvmd_link *l, uint64_t received);
/* Logs why, forgets the host if it was up, closes. */
void pvmd_link_fail(struct pvmd_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The connection of l broke: an up link goes down (keeping its host and
 * unacknowledged frames) and a slave reconnects; any other fails. */
void pvmd_link_break(struct pvmd_link *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pvmd_link_close(struct pvmd_link *l);
/* The close callback of a link's TCP handle: frees l, or keeps a link
 * that is down with a fresh handle. */
void pvmd_link_on_closed(uv_handle_t *h);
/* Whether l has no connection to use (closing, or down). */
int pvmd_link_gone(const struct pvmd_link *l);
/* Whether producers parked on l may go on (up, below the low-water mark). */
int pvmd_link_drained(const struct pvmd_link *l);
/* The timer of every link: handshake and add timeouts, heartbeats. */
void pvmd_peer_on_sweep(uv_timer_t *tm);

/* Whether l carries frames for its host: up, or down and waiting to
 * resume (frames are kept for it meanwhile). */
static inline int pvmd_link_usable(const struct pvmd_link *l) {
  return l->state == L_UP || l->state == L_DOWN;
}

/* peer_hello.c: the connecting side's PeerHello (resuming when
 * l->resume_of); the master's check of one (m: the first frame on l); the
 * slave's check of the PeerWelcome that answers it. */
void pvmd_peer_send_hello(struct pvmd_link *l);
void pvmd_peer_on_hello(struct pvmd_link *l, Pvmng__Control *m);
void pvmd_peer_on_welcome(struct pvmd_link *l, Pvmng__Control *m);
/* The lowest host number neither in the table nor reserved, or -1. */
int pvmd_peer_free_host_no(struct pvmd_peers *ps);

/* peer_connect.c: the master's port toward address toward (0 or -1,
 * logged); a slave's connection to the master (ps->master_sa): a join
 * connection (with ps->cred) or the usual mutually authenticated one, 0
 * or -1 (logged); a slave's next attempt to resume its down link o. */
int pvmd_peer_listen(struct pvmd_peers *ps, const char *toward);
int pvmd_peer_connect_master(struct pvmd_peers *ps, int join);
void pvmd_peer_reconnect(struct pvmd_link *o);

/* peer_dispatch.c: a frame of l (taken), for the link's pvmw_reader: 0
 * to read on, nonzero once l is gone (failed, closed or down). Task tid exited:
 * tells the links that watch it (except `except`); another host asks whether
 * tid still lives. */
int pvmd_link_on_frame(void *ctx, pvmw_frame *f);
void pvmd_peer_task_gone_to_links(struct pvmd_peers *ps, int tid,
                                  struct pvmd_link *except);
void pvmd_peer_task_query_in(struct pvmd_link *l, int tid);

/* peer_rel.c: acknowledged delivery. Keeps frame f (taken) as the next
 * sequenced frame; 0, or -1 without memory (f not taken). */
int pvmd_rel_keep(struct pvmd *d, struct pvmd_rel *r, pvmw_frame *f);
/* The kept frame numbered seq, or NULL. */
pvmw_frame *pvmd_rel_at(const struct pvmd_rel *r, uint64_t seq);
/* The other side has received `received` frames: frees those. 0, or -1
 * when it claims more than were sent. */
int pvmd_rel_ack(struct pvmd *d, struct pvmd_rel *r, uint64_t received);
/* Counts a sequenced frame of len bytes received; 1 when an ack is due. */
int pvmd_rel_received(struct pvmd_rel *r, size_t len);
/* Frees every frame kept. */
void pvmd_rel_free(struct pvmd *d, struct pvmd_rel *r);

/* peer_join.c: join credentials. Master: makes a credential for host name
 * and sets *in (the remote shell's stdin) to a pipe that holds it; returns
 * the pipe's read end for the caller to close once the shell started, or
 * -1 (logged). */
int pvmd_join_stdin(struct pvmd_peers *ps, const char *name,
                    uv_stdio_container_t *in);
/* Master: the frame on a join connection (only a JoinRequest is taken);
 * slave: the master's JoinReply. Each ends the join connection. */
void pvmd_join_on_request(struct pvmd_link *l, Pvmng__Control *m);
void pvmd_join_on_reply(struct pvmd_link *l, Pvmng__Control *m);
/* Slave: sends the JoinRequest once the join connection is up. */
void pvmd_join_send_request(struct pvmd_link *l);
/* Master: an add of host name ended (joined or failed): its credentials
 * are spent, whether or not they were presented. */
void pvmd_join_spend(struct pvmd_peers *ps, const char *name);
/* Drops credentials long expired; frees everything at the end. */
void pvmd_join_sweep(struct pvmd_peers *ps);
void pvmd_join_free(struct pvmd_peers *ps);

/* peer_fwd.c: answers and forwarded requests (pvmd_peer_reply_to_of is
 * in peer.h). */
/* Sends answer m to rt (sets m->req_id). */
/* PeerRm from link from: the master records the VM's resource manager and
 * tells every daemon; a slave takes the master's word (peer_fwd.c). */
void pvmd_peer_on_rm(struct pvmd_link *from, const Pvmng__PeerRm *r);

/* A host just welcomed: the master tells it who the VM's RM is. */
void pvmd_peer_rm_welcome(struct pvmd_link *l);

void pvmd_peer_reply_send(struct pvmd_peers *ps, const struct pvmd_reply_to *rt,
                          Pvmng__Control *m);
void pvmd_peer_reply_status(struct pvmd_peers *ps,
                            const struct pvmd_reply_to *rt, int code);
/* Sends request m to to_host; its answer goes to rt, or into part slot of
 * g (count instances for a spawn). */
void pvmd_peer_forward(struct pvmd_peers *ps, const struct pvmd_reply_to *rt,
                       int to_host, const Pvmng__Control *m,
                       struct pvmd_gather *g, int slot, int count);
/* One part of g answered (m taken; NULL: the host was unreachable). */
void pvmd_peer_gather_part(struct pvmd_peers *ps, struct pvmd_gather *g,
                           int slot, int count, Pvmng__Control *m);
void pvmd_peer_on_forward(struct pvmd_link *from, const Pvmng__PeerForward *pf);

/* peer_hosts.c: the host table and host additions. */
void pvmd_peer_send_hosts(struct pvmd_link *l, uint32_t host_tid, int welcome);
void pvmd_peer_broadcast_hosts(struct pvmd_peers *ps);
void pvmd_peer_take_hosts(struct pvmd_peers *ps, Pvmng__HostInfo **hosts,
                          size_t n);
/* A link is gone: the master drops its host (and answers what was
 * forwarded there); a slave that lost the master halts. */
void pvmd_peer_lost_host(struct pvmd_link *l);
/* An add finished: result is the daemon tid or an error; frees a. */
void pvmd_peer_add_done(struct pvmd_add *a, int result);

#endif
