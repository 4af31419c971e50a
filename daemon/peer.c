/* Links between daemons: the module's state and set-up, certificate
 * reload and the end. Each link is a TLS stream (sec/stream.h) over TCP
 * whose plaintext feeds a pvmw_reader; nothing from it is acted on before
 * TLS is up and the hello has been checked. Topology is a star: the
 * master (host 1) holds a link to every slave and relays between them; a
 * slave holds one link. The rooms: peer_link.c (a link: bytes, sending,
 * acknowledgements, heartbeats), peer_hello.c (the hello on both sides,
 * resuming), peer_connect.c (the master's port, a slave's connection and
 * reconnection), peer_dispatch.c (the frames of a link that is up),
 * peer_rel.c (frames kept until acknowledged), peer_fwd.c (requests about
 * other hosts), peer_hosts.c (the host table across daemons), peer_join.c
 * (joining with a credential). */
#include "peer.h"

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

/* ---- set-up ---------------------------------------------------------- */

void pvmd_peer_certdir(char *out, size_t len) {
  const char *e = getenv("PVM_CERTDIR"), *home = getenv("HOME");
  if (e && *e)
    snprintf(out, len, "%s", e);
  else
    snprintf(out, len, "%s/.pvm", home && *home ? home : ".");
}

struct pvmd_peers *pvmd_peer_state(struct pvmd *d) {
  struct pvmd_peers *ps = d->peers;
  if (ps)
    return ps;
  ps = calloc(1, sizeof *ps);
  if (!ps)
    return NULL;
  ps->d = d;
  ps->next_fwd = 1;
  pvmd_list_init(&ps->links);
  pvmd_list_init(&ps->adds);
  pvmd_list_init(&ps->fwds);
  pvmd_list_init(&ps->creds);
  pvmd_peer_certdir(ps->certdir, sizeof ps->certdir);
  uv_timer_init(&d->loop, &ps->timer);
  ps->timer.data = ps;
  ps->timer_open = 1;
  uv_timer_start(&ps->timer, pvmd_peer_on_sweep, SWEEP_MS, SWEEP_MS);
  d->peers = ps;
  return ps;
}

int pvmd_peer_is_master(const struct pvmd *d) {
  return d->peers == NULL || d->peers->master == NULL;
}

int pvmd_peer_active(const struct pvmd *d) {
  return d->peers && !pvmd_list_empty(&d->peers->links);
}

int pvmd_peer_self_addr(const struct pvmd *d, char *out, size_t len) {
  struct pvmd_peers *ps = d->peers;
  struct sockaddr_storage sa;
  int salen = sizeof sa;
  if (ps == NULL || len < INET_ADDRSTRLEN)
    return -1;
  if (ps->master != NULL) {
    /* The master reaches this host at its end of the link, whatever this
     * host's own name resolves to here (127.0.1.1 in many a /etc/hosts);
     * while the link is down, where it reached it last. */
    if (ps->master->state == L_DOWN && ps->self_addr[0] != '\0' &&
        strlen(ps->self_addr) < len) {
      strcpy(out, ps->self_addr);
      return 0;
    }
    if (ps->master->state != L_UP ||
        uv_tcp_getsockname(&ps->master->tcp, (struct sockaddr *)&sa, &salen) !=
            0 ||
        sa.ss_family != AF_INET ||
        uv_ip4_name((struct sockaddr_in *)&sa, out, len) != 0)
      return -1;
    snprintf(ps->self_addr, sizeof ps->self_addr, "%s", out);
    return 0;
  }
  if (!ps->listening || ps->addr[0] == '\0' ||
      strcmp(ps->addr, "0.0.0.0") == 0 || strlen(ps->addr) >= len)
    return -1;
  strcpy(out, ps->addr);
  return 0;
}

/* Loads the TLS context from the certificate directory for this host. */
int pvmd_peer_load_ctx(struct pvmd_peers *ps, int server) {
  char ca[PATH_MAX + 16], cert[PATH_MAX + 300], key[PATH_MAX + 300], err[512];
  const char *self = pvmd_host_self(&ps->d->hosts)->name;
  if (ps->ctx)
    return 0;
  if (server && pvmw_pki_ensure(ps->certdir, self, err, sizeof err) != 0) {
    pvmd_log("cannot set up certificates in %s: %s", ps->certdir, err);
    return -1;
  }
  snprintf(ca, sizeof ca, "%s/" PVMW_PKI_CA ".pem", ps->certdir);
  snprintf(cert, sizeof cert, "%s/%s.pem", ps->certdir, self);
  snprintf(key, sizeof key, "%s/%s.key", ps->certdir, self);
  ps->ctx = pvmw_tls_ctx_new(server, ca, cert, key, err, sizeof err);
  if (!ps->ctx) {
    pvmd_log("cannot load the TLS certificate %s: %s", cert, err);
    return -1;
  }
  if (pvmw_tls_ctx_check(ps->ctx, err, sizeof err) != 0)
    pvmd_log("warning: this daemon's certificate %s: %s", cert, err);
  return 0;
}

int pvmd_peer_reload(struct pvmd *d) {
  struct pvmd_peers *ps = d->peers;
  char cert[PATH_MAX + 300], key[PATH_MAX + 300], err[512];
  const char *self = pvmd_host_self(&d->hosts)->name;
  if (!ps || !ps->ctx) {
    pvmd_log("reload: no certificate in use (one host only); nothing to do");
    return 0;
  }
  snprintf(cert, sizeof cert, "%s/%s.pem", ps->certdir, self);
  snprintf(key, sizeof key, "%s/%s.key", ps->certdir, self);
  if (pvmw_tls_ctx_reload(ps->ctx, cert, key, err, sizeof err) != 0) {
    pvmd_log("reload: keeping the current certificate: %s", err);
    return -1;
  }
  pvmd_log("reload: new links use certificate %s", cert);
  return 0;
}

/* ---- halt ----------------------------------------------------------- */

void pvmd_peer_halt(struct pvmd *d, const char *why) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_list *pos, *tmp;
  if (!ps || ps->master)
    return;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__PeerHalt ph = PVMNG__PEER_HALT__INIT;
    if (l->state != L_UP)
      continue;
    ph.why = (char *)why;
    m.body_case = PVMNG__CONTROL__BODY_PEER_HALT;
    m.peer_halt = &ph;
    pvmd_link_send_control(l, &m);
  }
}

/* The state goes once every handle of it has closed. */
void pvmd_peer_maybe_free(struct pvmd_peers *ps) {
  struct pvmd *d = ps->d;
  if (!ps->closing || ps->handles_open > 0 || !pvmd_list_empty(&ps->links))
    return;
  if (ps->ctx)
    pvmw_tls_ctx_free(ps->ctx);
  pvmd_join_free(ps);
  d->peers = NULL;
  free(ps);
}

static void on_ps_handle_closed(uv_handle_t *h) {
  struct pvmd_peers *ps = h->data;
  ps->handles_open--;
  pvmd_peer_maybe_free(ps);
}

void pvmd_peer_close_all(struct pvmd *d) {
  struct pvmd_peers *ps = d->peers;
  struct pvmd_list *pos, *tmp;
  if (!ps || ps->closing)
    return;
  ps->closing = 1;
  pvmd_list_each_safe(pos, tmp, &ps->adds) {
    pvmd_peer_add_done(pvmd_container_of(pos, struct pvmd_add, node),
                       PvmSysErr);
  }
  pvmd_list_each_safe(pos, tmp, &ps->fwds) {
    struct pvmd_fwd *fw = pvmd_container_of(pos, struct pvmd_fwd, node);
    pvmd_list_remove(&fw->node);
    free(fw);
  }
  ps->master = NULL;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    l->host_no = 0;
    pvmd_link_close(l);
  }
  if (ps->listening) {
    ps->listening = 0;
    ps->handles_open++;
    uv_close((uv_handle_t *)&ps->listener, on_ps_handle_closed);
  }
  if (ps->timer_open) {
    ps->timer_open = 0;
    ps->handles_open++;
    uv_close((uv_handle_t *)&ps->timer, on_ps_handle_closed);
  }
  pvmd_peer_maybe_free(ps);
}
