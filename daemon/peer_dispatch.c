/* The frames of a link between daemons, once the hello is done: messages
 * routed on (or to local tasks), control frames by kind (hosts, forwarded
 * requests and their answers, acknowledgements, heartbeats, task exits),
 * and telling watchers on other hosts that a task has gone. */

#include "groupreg.h"
#include "mbox.h"
#include "msgroute.h"
#include "notifytab.h"
#include "peer_int.h"
#include "pvmd.h"
#include "tid.h"
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pvm3.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- frames from a link ---------------------------------------------- */

static void route_in(struct pvmd_link *l, pvmw_frame *f) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  const uint8_t *body;
  uint32_t blen;
  struct pvmd_link *to;
  int dst, rc;

  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0) {
    pvmw_frame_free(f);
    pvmd_link_fail(l, "message frame with an undecodable header");
    return;
  }
  dst = (int)h.dst;
  if (!ps->master && pvmw_tid_host((int)h.src) != l->host_no) {
    char sb[16];
    pvmw_frame_free(f);
    pvmd_link_fail(l, "message source %s is not on that host",
                   pvmw_tid_str((int)h.src, sb, sizeof sb));
    return;
  }
  if (pvmw_tid_host(dst) == d->host_no) {
    rc = pvmd_route_deliver(d, dst, f, &l->wait);
  } else if (!ps->master && (to = pvmd_link_to_host(ps, pvmw_tid_host(dst)))) {
    rc = pvmd_link_send_flow(to, f, &l->wait);
  } else {
    pvmw_frame_free(f);
    rc = PVMD_ROUTE_NONE;
  }
  if (rc < 0) { /* no such task, or no memory (logged once by taskconn.c) */
    d->st.msgs_dropped++;
    return;
  }
  d->st.msgs_forwarded++;
  if (rc == PVMD_ROUTE_FULL)
    l->pause_wanted = 1;
}

int pvmd_link_on_frame(void *ctx, pvmw_frame *f) {
  struct pvmd_link *l = ctx;
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  Pvmng__Control *m;
  size_t raw_len = f->raw_len;
  int ack_due = 0;

  if (pvmd_link_gone(l)) {
    pvmw_frame_free(f);
    return 1;
  }
  d->st.frames_in++;
  if (l->state == L_UP && f->type == PVMW_FT_MESSAGE) {
    ack_due = pvmd_rel_received(&l->rel, raw_len);
    route_in(l, f);
    if (ack_due && l->state == L_UP)
      pvmd_link_send_ack(l);
    return pvmd_link_gone(l);
  }
  if (f->type != PVMW_FT_CONTROL) {
    pvmw_frame_free(f);
    d->st.frames_rejected++;
    pvmd_link_fail(l, "message frame before the hello");
    return 1;
  }
  m = pvmw_control_parse(f);
  pvmw_frame_free(f);
  if (!m) {
    d->st.frames_rejected++;
    pvmd_link_fail(l, "undecodable control frame");
    return 1;
  }
  if (l->state == L_HELLO && l->join_done) {
    ps->d->st.frames_rejected++;
    pvmd_link_fail(l, "join connection: frame after the join exchange");
  } else if (l->state == L_HELLO && l->join) {
    if (l->accepted)
      pvmd_join_on_request(l, m);
    else
      pvmd_join_on_reply(l, m);
  } else if (l->state == L_HELLO) {
    if (l->accepted)
      pvmd_peer_on_hello(l, m);
    else
      pvmd_peer_on_welcome(l, m);
  } else {
    if (m->body_case != PVMNG__CONTROL__BODY_PEER_PING &&
        m->body_case != PVMNG__CONTROL__BODY_PEER_ACK)
      ack_due = pvmd_rel_received(&l->rel, raw_len);
    switch (m->body_case) {
    case PVMNG__CONTROL__BODY_PEER_HOSTS:
      if (ps->master == l)
        pvmd_peer_take_hosts(ps, m->peer_hosts->hosts, m->peer_hosts->n_hosts);
      break;
    case PVMNG__CONTROL__BODY_PEER_FORWARD:
      pvmd_peer_on_forward(l, m->peer_forward);
      break;
    case PVMNG__CONTROL__BODY_PEER_PING: /* its arrival is the point too */
      pvmd_link_on_ack(l, m->peer_ping->received);
      break;
    case PVMNG__CONTROL__BODY_PEER_ACK:
      pvmd_link_on_ack(l, m->peer_ack->received);
      break;
    case PVMNG__CONTROL__BODY_PEER_RM:
      pvmd_peer_on_rm(l, m->peer_rm);
      break;
    case PVMNG__CONTROL__BODY_PEER_TASK_GONE:
      if (m->peer_task_gone->query) {
        pvmd_peer_task_query_in(l, (int)m->peer_task_gone->tid);
        break;
      }
      pvmd_notify_remote_task_gone(d, (int)m->peer_task_gone->tid);
      if (ps->master == NULL) { /* the master passes it on */
        pvmd_peer_task_gone_to_links(ps, (int)m->peer_task_gone->tid, l);
        /* ... and, owning the group registry, drops it from its groups
         * (only a task of the host that reports it). */
        if (pvmw_tid_host((int)m->peer_task_gone->tid) == l->host_no) {
          pvmd_group_task_gone(d, (int)m->peer_task_gone->tid);
          pvmd_mbox_task_gone(d, (int)m->peer_task_gone->tid);
        }
      }
      break;
    case PVMNG__CONTROL__BODY_PEER_HALT: {
      char why[640];
      snprintf(why, sizeof why, "%s (from %s)", m->peer_halt->why, l->who);
      pvmd_halt(d, 0, why);
      break;
    }
    default:
      pvmd_link_fail(l, "unexpected control message (body %d)",
                     (int)m->body_case);
      break;
    }
    if (ack_due && l->state == L_UP)
      pvmd_link_send_ack(l);
  }
  pvmng__control__free_unpacked(m, NULL);
  return pvmd_link_gone(l);
}

/* ---- task exits for watchers on other hosts ---------------------------- */

/* Sends PeerTaskGone for tid (a query when asked) on link l. */
static void task_gone_send(struct pvmd_link *l, int tid, int query) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerTaskGone g = PVMNG__PEER_TASK_GONE__INIT;
  g.tid = (uint32_t)tid;
  g.query = query != 0;
  m.body_case = PVMNG__CONTROL__BODY_PEER_TASK_GONE;
  m.peer_task_gone = &g;
  pvmd_link_send_control(l, &m);
}

/* Sends PeerTaskGone for tid on every link that is up but `except`. */
void pvmd_peer_task_gone_to_links(struct pvmd_peers *ps, int tid,
                                  struct pvmd_link *except) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    if (l != except && pvmd_link_usable(l))
      task_gone_send(l, tid, 0);
  }
}

/* A query from link l: is tid gone? Answered on l by tid's own daemon (an
 * answer that reaches the master is passed on to every daemon, as any
 * exit is); the master passes a query for another host on to it. A task
 * that still lives gets no answer: its exit is announced when it comes. */
void pvmd_peer_task_query_in(struct pvmd_link *l, int tid) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  struct pvmd_link *to;

  if (pvmw_tid_host(tid) == d->host_no) {
    if (pvmd_task_live(&d->tasks, tid) == NULL)
      task_gone_send(l, tid, 0);
  } else if (ps->master == NULL &&
             (to = pvmd_link_to_host(ps, pvmw_tid_host(tid))) != NULL &&
             to != l) {
    task_gone_send(to, tid, 1);
  }
}

void pvmd_peer_task_query(struct pvmd *d, int tid) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_link *to;
  if (ps == NULL || d->halting)
    return;
  /* A slave asks the master, which passes the query on; the master asks
   * the host itself. */
  to = ps->master ? ps->master : pvmd_link_to_host(ps, pvmw_tid_host(tid));
  if (to != NULL && pvmd_link_usable(to))
    task_gone_send(to, tid, 1);
}

void pvmd_peer_task_gone(struct pvmd *d, int tid) {
  struct pvmd_peers *ps = d->peers;
  if (ps == NULL || d->hosts.n < 2 || d->halting)
    return;
  /* A slave's only link is to the master, which passes it on. */
  pvmd_peer_task_gone_to_links(ps, tid, NULL);
}
