/* Where links between daemons come from: the master's listening port
 * (accepting, then the hello) and the slave's connection to the master,
 * with or without a join credential, and its reconnection with backoff
 * after a break (the new connection resumes the old link). */

#include "log.h"
#include "peer_int.h"
#include "pvmd.h"
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

/* ---- the master: listener and adding hosts -------------------------- */

static void on_peer_connection(uv_stream_t *server, int status) {
  struct pvmd_peers *ps = server->data;
  struct pvmd_link *l;
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  char ip[64] = "?";

  if (status < 0) {
    pvmd_log("cannot accept a daemon connection: %s", uv_strerror(status));
    return;
  }
  l = pvmd_link_new(ps, 1, ps->ctx, NULL);
  if (!l) {
    uv_tcp_t tmp;
    uv_tcp_init(&ps->d->loop, &tmp);
    uv_accept(server, (uv_stream_t *)&tmp);
    uv_close((uv_handle_t *)&tmp, NULL);
    pvmd_log("refusing a daemon connection: out of memory");
    return;
  }
  if (uv_accept(server, (uv_stream_t *)&l->tcp) != 0) {
    pvmd_link_close(l);
    return;
  }
  if (uv_tcp_getpeername(&l->tcp, (struct sockaddr *)&sa, &salen) == 0) {
    if (sa.ss_family == AF_INET)
      uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof ip);
    else
      uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof ip);
  }
  snprintf(l->who, sizeof l->who, "from %s", ip);
  pvmd_debug("daemon connection %s", l->who);
  pvmd_link_start(l);
}

/* The local IPv4 address this host would send from to reach host (the
 * kernel's route; a UDP socket's connect sends nothing), if it is not a
 * loopback address. 0 or -1. */
static int addr_toward(const char *host, struct in_addr *out) {
  struct addrinfo hints, *res = NULL;
  struct sockaddr_in local;
  socklen_t sl = sizeof local;
  int fd, rc = -1;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host, "9", &hints, &res) != 0 || res == NULL)
    return -1;
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
      getsockname(fd, (struct sockaddr *)&local, &sl) == 0 &&
      ntohl(local.sin_addr.s_addr) >> 24 != 127) {
    *out = local.sin_addr;
    rc = 0;
  }
  if (fd >= 0)
    close(fd);
  freeaddrinfo(res);
  return rc;
}

/* Opens the daemons' port on this host's address (first use only). toward
 * is the first host to be added: when this host's name resolves to a
 * loopback address here (127.0.1.1 in many a /etc/hosts) and no ip= names
 * the address, the port opens on the address that reaches that host. */
int pvmd_peer_listen(struct pvmd_peers *ps, const char *toward) {
  struct addrinfo hints, *res = NULL;
  struct sockaddr_storage sa;
  int salen = sizeof sa, rc;
  /* ip= on the master's own host file line: the address to be reached at. */
  const char *self =
      ps->d->listen_ip ? ps->d->listen_ip : pvmd_host_self(&ps->d->hosts)->name;
  const char *port = getenv("PVMNG_PEER_PORT");
  struct sockaddr_in *sin;
  struct in_addr other;

  if (ps->listening)
    return 0;
  if (pvmd_peer_load_ctx(ps, 1) != 0)
    return -1;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(self, port && *port ? port : "0", &hints, &res);
  if (rc != 0 || !res) {
    pvmd_log("cannot find this host's address (%s): %s", self,
             gai_strerror(rc));
    return -1;
  }
  sin = (struct sockaddr_in *)res->ai_addr;
  if (ntohl(sin->sin_addr.s_addr) >> 24 == 127 && !ps->d->listen_ip) {
    char lo[INET_ADDRSTRLEN] = "?", there[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &sin->sin_addr, lo, sizeof lo);
    if (toward && addr_toward(toward, &other) == 0) {
      inet_ntop(AF_INET, &other, there, sizeof there);
      pvmd_log("this host's name %s resolves to %s here, a loopback address "
               "that other hosts cannot reach: the daemons' port opens on %s, "
               "this host's address toward %s (ip= on this host's line of the "
               "host file names another)",
               self, lo, there, toward);
      sin->sin_addr = other;
    } else {
      pvmd_log("this host's name %s resolves to %s here, a loopback address "
               "that other hosts cannot reach: give this host's address with "
               "ip= on its line of the host file, or in /etc/hosts",
               self, lo);
    }
  }
  uv_tcp_init(&ps->d->loop, &ps->listener);
  ps->listener.data = ps;
  rc = uv_tcp_bind(&ps->listener, res->ai_addr, 0);
  freeaddrinfo(res);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&ps->listener, 64, on_peer_connection);
  if (rc == 0)
    rc = uv_tcp_getsockname(&ps->listener, (struct sockaddr *)&sa, &salen);
  if (rc != 0) {
    pvmd_log("cannot listen for daemons on %s: %s", self, uv_strerror(rc));
    uv_close((uv_handle_t *)&ps->listener, NULL);
    return -1;
  }
  uv_ip4_name((struct sockaddr_in *)&sa, ps->addr, sizeof ps->addr);
  ps->port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
  ps->listening = 1;
  pvmd_log("listening for daemons on %s:%d (TLS 1.3, certificates in %s)",
           ps->addr, ps->port, ps->certdir);
  return 0;
}

/* ---- a slave: connecting -------------------------------------------- */

static void on_connect(uv_connect_t *req, int status) {
  struct pvmd_link *l = req->data;
  if (l->state == L_CLOSING)
    return;
  if (status < 0) {
    pvmd_link_fail(l, "cannot connect: %s", uv_strerror(status));
    return;
  }
  pvmd_link_start(l);
}

int pvmd_peer_connect_master(struct pvmd_peers *ps, int join) {
  pvmw_tls_ctx *ctx;
  struct pvmd_link *l;
  char master[64];
  int rc;

  if (join) {
    char err[512];
    if (!ps->join_ctx)
      ps->join_ctx =
          pvmw_tls_ctx_new_join(ps->cred->ca_sha256, err, sizeof err);
    if (!ps->join_ctx) {
      pvmd_log("cannot set up the join connection: %s", err);
      return -1;
    }
    ctx = ps->join_ctx;
  } else {
    if (pvmd_peer_load_ctx(ps, 0) != 0)
      return -1;
    ctx = ps->ctx;
  }
  /* A joiner expects the master named in its credential. */
  l = pvmd_link_new(ps, 0, ctx, join ? ps->cred->master : NULL);
  if (!l)
    return -1;
  l->join = join;
  uv_ip4_name(&ps->master_sa, master, sizeof master);
  snprintf(l->who, sizeof l->who, "to master %s:%d%s", master,
           ntohs(ps->master_sa.sin_port), join ? " (join)" : "");
  ps->master = l;
  l->creq.data = l;
  rc = uv_tcp_connect(&l->creq, &l->tcp, (struct sockaddr *)&ps->master_sa,
                      on_connect);
  if (rc != 0) {
    pvmd_link_fail(l, "cannot connect: %s", uv_strerror(rc));
    return -1;
  }
  return 0;
}

/* Slave: one attempt to resume down link o (the master's) on a new
 * connection to the master's address, with the same mutual TLS; its hello
 * says it resumes (pvmd_peer_send_hello). The next attempt waits o->backoff. */
void pvmd_peer_reconnect(struct pvmd_link *o) {
  struct pvmd_peers *ps = o->ps;
  struct pvmd_link *l;
  char master[64];
  int rc;

  o->backoff = o->backoff == 0                     ? REL_RETRY_MIN_MS
               : o->backoff * 2 > REL_RETRY_MAX_MS ? REL_RETRY_MAX_MS
                                                   : o->backoff * 2;
  o->next_try = pvmd_now(ps->d) + o->backoff;
  if (pvmd_peer_load_ctx(ps, 0) != 0)
    return;
  l = pvmd_link_new(ps, 0, ps->ctx, NULL);
  if (!l) {
    pvmd_log("cannot pvmd_peer_reconnect to the master: out of memory");
    return;
  }
  l->resume_of = o;
  o->attempt = l;
  uv_ip4_name(&ps->master_sa, master, sizeof master);
  snprintf(l->who, sizeof l->who, "to master %s:%d (resuming)", master,
           ntohs(ps->master_sa.sin_port));
  l->creq.data = l;
  rc = uv_tcp_connect(&l->creq, &l->tcp, (struct sockaddr *)&ps->master_sa,
                      on_connect);
  if (rc != 0)
    pvmd_link_fail(l, "cannot connect: %s", uv_strerror(rc));
}

int pvmd_peer_set_credential(struct pvmd *d, const pvmw_join_cred *c) {
  struct pvmd_peers *ps = pvmd_peer_state(d);
  if (!ps)
    return -1;
  if (!ps->cred && !(ps->cred = malloc(sizeof *ps->cred)))
    return -1;
  *ps->cred = *c;
  return 0;
}

int pvmd_peer_join(struct pvmd *d, const char *master) {
  struct pvmd_peers *ps = pvmd_peer_state(d);
  char host[64], why[512];
  const char *colon = master ? strrchr(master, ':') : NULL;
  const char *self = pvmd_host_self(&d->hosts)->name;

  if (!ps)
    return -1;
  if (!colon || (size_t)(colon - master) >= sizeof host) {
    pvmd_log("bad master address \"%s\" (want addr:port)", master);
    return -1;
  }
  memcpy(host, master, (size_t)(colon - master));
  host[colon - master] = '\0';
  if (uv_ip4_addr(host, atoi(colon + 1), &ps->master_sa) != 0) {
    pvmd_log("bad master address \"%s\"", master);
    return -1;
  }
  if (ps->cred) {
    if (strcasecmp(ps->cred->host, self) != 0) {
      pvmd_log("the join credential is for host %s, this daemon is %s",
               ps->cred->host, self);
      return -1;
    }
    if (!pvmw_pki_usable(ps->certdir, self, ps->cred->ca_sha256, why,
                         sizeof why)) {
      pvmd_log("no usable certificate for %s in %s (%s): asking the master "
               "for one with the join credential",
               self, ps->certdir, why);
      return pvmd_peer_connect_master(ps, 1);
    }
    pvmd_debug("using the certificate in %s", ps->certdir);
  }
  return pvmd_peer_connect_master(ps, 0);
}
