/* Joining without a shared certificate directory. The master hands each
 * host it adds a one-time join credential on the remote shell's stdin
 * (never its command line): a random secret, the master's name and the
 * SHA-256 of the VM's CA, valid for that host name only and for
 * lim.join_ttl_s seconds. A new daemon whose directory holds no usable
 * certificate opens a join connection (TLS 1.3 without a client
 * certificate, the master checked against the pinned CA), sends the secret
 * with a certificate request for a key it made itself, stores what comes
 * back in its own directory and then connects as every daemon does. The
 * master accepts a credential once, for its host, before it expires; every
 * refusal is logged with its reason and ends that connection only. */

#include <errno.h>
#include <fcntl.h>
#include <pvm3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "peer_int.h"
#include "pvmd.h"

#define CRED_KEEP_S 600 /* a used or expired credential is remembered */

/* ---- the master: credentials ----------------------------------------- */

int pvmd_join_stdin(struct pvmd_peers *ps, const char *name,
                    uv_stdio_container_t *in) {
  struct pvmd *d = ps->d;
  struct pvmd_cred *cr;
  char line[PVMW_JOIN_LINE_MAX], err[256];
  uint8_t fp[32];
  int fds[2], n;

  if (!ps->ctx || pvmw_tls_ctx_ca_fingerprint(ps->ctx, fp) != 0) {
    pvmd_log("adding host %s: no CA to make a join credential with", name);
    return -1;
  }
  cr = calloc(1, sizeof *cr);
  if (!cr) {
    pvmd_log("adding host %s: out of memory", name);
    return -1;
  }
  if (pvmw_join_cred_new(&cr->c, name, pvmd_host_self(&d->hosts)->name, fp,
                         (long)time(NULL) + (long)d->lim.join_ttl_s, err,
                         sizeof err) != 0) {
    pvmd_log("adding host %s: cannot make a join credential: %s", name, err);
    free(cr);
    return -1;
  }
  n = pvmw_join_cred_encode(&cr->c, line, sizeof line);
  /* The line is far below the pipe's buffer: written before the shell
   * starts, it waits there; the write end closes at once. */
  if (n < 0 || pipe2(fds, O_CLOEXEC) != 0) {
    pvmd_log("adding host %s: cannot pass the join credential: %s", name,
             n < 0 ? "too long" : strerror(errno));
    OPENSSL_cleanse(cr, sizeof *cr);
    free(cr);
    return -1;
  }
  if (write(fds[1], line, (size_t)n) != n) {
    pvmd_log("adding host %s: cannot pass the join credential: %s", name,
             strerror(errno));
    close(fds[0]);
    close(fds[1]);
    OPENSSL_cleanse(cr, sizeof *cr);
    free(cr);
    OPENSSL_cleanse(line, sizeof line);
    return -1;
  }
  close(fds[1]);
  OPENSSL_cleanse(line, sizeof line);
  pvmd_list_add_tail(&ps->creds, &cr->node);
  in->flags = UV_INHERIT_FD;
  in->data.fd = fds[0];
  return fds[0];
}

void pvmd_join_spend(struct pvmd_peers *ps, const char *name) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->creds) {
    struct pvmd_cred *cr = pvmd_container_of(pos, struct pvmd_cred, node);
    if (strcasecmp(cr->c.host, name) == 0)
      cr->used = 1;
  }
}

void pvmd_join_sweep(struct pvmd_peers *ps) {
  struct pvmd_list *pos, *tmp;
  long now = (long)time(NULL);
  pvmd_list_each_safe(pos, tmp, &ps->creds) {
    struct pvmd_cred *cr = pvmd_container_of(pos, struct pvmd_cred, node);
    if (now > cr->c.expires + CRED_KEEP_S) {
      pvmd_list_remove(&cr->node);
      OPENSSL_cleanse(cr, sizeof *cr);
      free(cr);
    }
  }
}

void pvmd_join_free(struct pvmd_peers *ps) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->creds) {
    struct pvmd_cred *cr = pvmd_container_of(pos, struct pvmd_cred, node);
    pvmd_list_remove(&cr->node);
    OPENSSL_cleanse(cr, sizeof *cr);
    free(cr);
  }
  if (ps->cred) {
    OPENSSL_cleanse(ps->cred, sizeof *ps->cred);
    free(ps->cred);
    ps->cred = NULL;
  }
  pvmw_pki_free_secret(ps->join_key);
  ps->join_key = NULL;
  if (ps->join_ctx) {
    pvmw_tls_ctx_free(ps->join_ctx);
    ps->join_ctx = NULL;
  }
}

/* ---- the master: a join request -------------------------------------- */

static void join_refuse(struct pvmd_link *l, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void join_refuse(struct pvmd_link *l, int code, const char *fmt, ...) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__JoinReply r = PVMNG__JOIN_REPLY__INIT;
  char why[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  r.code = code;
  r.reason = why;
  m.body_case = PVMNG__CONTROL__BODY_JOIN_REPLY;
  m.join_reply = &r;
  pvmd_link_send_control(l, &m);
  pvmd_link_fail(l, "%s", why);
}

static struct pvmd_add *add_named(struct pvmd_peers *ps, const char *name) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->adds) {
    struct pvmd_add *a = pvmd_container_of(pos, struct pvmd_add, node);
    if (strcasecmp(a->name, name) == 0)
      return a;
  }
  return NULL;
}

/* A credential was spent without a certificate: the add it was made for
 * cannot finish through it, so it fails now rather than at its timeout. */
static void fail_add(struct pvmd_peers *ps, const char *name) {
  struct pvmd_add *a = add_named(ps, name);
  if (a) {
    pvmd_log("adding host %s: its join credential was refused", name);
    pvmd_peer_add_done(a, PvmCantStart);
  }
}

void pvmd_join_on_request(struct pvmd_link *l, Pvmng__Control *m) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  const Pvmng__JoinRequest *r;
  struct pvmd_list *pos, *tmp;
  struct pvmd_cred *cr = NULL;
  struct pvmd_add *a;
  enum pvmw_join_check res = PVMW_JOIN_WRONG;
  Pvmng__Control rm = PVMNG__CONTROL__INIT;
  Pvmng__JoinReply rep = PVMNG__JOIN_REPLY__INIT;
  char err[512], ca[PATH_MAX + 16], *cert = NULL, *capem = NULL;
  long now = (long)time(NULL);
  size_t calen = 0;

  if (m->body_case != PVMNG__CONTROL__BODY_JOIN_REQUEST) {
    d->st.frames_rejected++;
    pvmd_link_fail(l,
                   "join connection: only a join request is accepted here "
                   "(got body %d)",
                   (int)m->body_case);
    return;
  }
  r = m->join_request;
  if (r->proto_version != PVMW_VERSION) {
    join_refuse(l, PvmBadVersion,
                "join request: protocol version %u, this daemon speaks %u",
                r->proto_version, PVMW_VERSION);
    return;
  }
  if (!pvmw_pki_name_ok(r->host)) {
    join_refuse(l, PvmBadParam, "join request: unusable host name");
    return;
  }
  pvmd_list_each_safe(pos, tmp, &ps->creds) {
    struct pvmd_cred *x = pvmd_container_of(pos, struct pvmd_cred, node);
    res = pvmw_join_cred_check(&x->c, r->secret.data, r->secret.len, r->host,
                               now);
    if (res != PVMW_JOIN_WRONG) {
      cr = x;
      break;
    }
  }
  if (!cr) {
    join_refuse(l, PvmDenied,
                "wrong join credential from host %s (it matches none this "
                "master issued)",
                r->host);
    return;
  }
  if (cr->used) {
    join_refuse(l, PvmDenied,
                "join credential for host %s already used (replayed)",
                cr->c.host);
    return;
  }
  cr->used = 1;
  if (res == PVMW_JOIN_EXPIRED) {
    fail_add(ps, cr->c.host);
    join_refuse(l, PvmDenied, "join credential for host %s expired %ld s ago",
                cr->c.host, now - cr->c.expires);
    return;
  }
  if (res == PVMW_JOIN_OTHER_HOST) {
    fail_add(ps, cr->c.host);
    join_refuse(l, PvmDenied,
                "join credential was made for host %s, not for %s", cr->c.host,
                r->host);
    return;
  }
  if ((a = add_named(ps, cr->c.host)) == NULL) {
    join_refuse(l, PvmDenied, "host %s is not being added to this VM",
                cr->c.host);
    return;
  }
  /* The VM id that host's daemon runs with: the master's, or its id=. */
  if (strcmp(r->vmid, a->vmid) != 0) {
    fail_add(ps, cr->c.host);
    join_refuse(l, PvmBadVersion,
                "join request: VM id \"%.64s\", host %s should run with \"%s\"",
                r->vmid, cr->c.host, a->vmid);
    return;
  }
  if (pvmw_pki_sign_csr(ps->certdir, r->csr.data, r->csr.len, cr->c.host,
                        now - 300, now + CERT_DAYS * 86400L, &cert, err,
                        sizeof err) != 0) {
    fail_add(ps, cr->c.host);
    join_refuse(l, PvmDenied, "certificate request of host %s refused: %s",
                cr->c.host, err);
    return;
  }
  snprintf(ca, sizeof ca, "%s/" PVMW_PKI_CA ".pem", ps->certdir);
  capem = pvmw_pki_read_file(ca, &calen, err, sizeof err);
  if (!capem) {
    free(cert);
    fail_add(ps, cr->c.host);
    join_refuse(l, PvmSysErr, "cannot read the CA for host %s: %s", cr->c.host,
                err);
    return;
  }
  rep.cert.data = (uint8_t *)cert;
  rep.cert.len = strlen(cert);
  rep.ca.data = (uint8_t *)capem;
  rep.ca.len = calen;
  rm.body_case = PVMNG__CONTROL__BODY_JOIN_REPLY;
  rm.join_reply = &rep;
  if (pvmd_link_send_control(l, &rm) == 0) {
    l->join_done = 1;
    pvmd_log("host %s: issued its certificate for its join credential (its "
             "key stays on that host)",
             cr->c.host);
  }
  free(cert);
  free(capem);
}

/* ---- a new daemon: asking for a certificate ----------------------------- */

void pvmd_join_send_request(struct pvmd_link *l) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__JoinRequest r = PVMNG__JOIN_REQUEST__INIT;
  const char *self = pvmd_host_self(&d->hosts)->name;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  char err[512];

  pvmw_pki_free_secret(ps->join_key);
  ps->join_key = NULL;
  if (pvmw_pki_make_csr(self, &ps->join_key, &csr, &csr_len, err, sizeof err) !=
      0) {
    pvmd_link_fail(l, "%s", err);
    return;
  }
  r.proto_version = PVMW_VERSION;
  r.vmid = d->vmid;
  r.host = (char *)self;
  r.secret.data = ps->cred->secret;
  r.secret.len = sizeof ps->cred->secret;
  r.csr.data = csr;
  r.csr.len = csr_len;
  m.body_case = PVMNG__CONTROL__BODY_JOIN_REQUEST;
  m.join_request = &r;
  pvmd_link_send_control(l, &m);
  free(csr);
}

void pvmd_join_on_reply(struct pvmd_link *l, Pvmng__Control *m) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  const Pvmng__JoinReply *r;
  const char *self = pvmd_host_self(&d->hosts)->name;
  char err[512];

  if (m->body_case != PVMNG__CONTROL__BODY_JOIN_REPLY) {
    pvmd_link_fail(l, "join connection: the master sent body %d",
                   (int)m->body_case);
    return;
  }
  r = m->join_reply;
  if (r->code != 0) {
    pvmd_log("the master refused the join credential: %s", r->reason);
    ps->master = NULL;
    pvmd_link_close(l);
    pvmd_halt(d, 0, "join credential refused by the master");
    return;
  }
  if (pvmw_pki_store_joined(ps->certdir, self, ps->cred->ca_sha256,
                            (const char *)r->ca.data, r->ca.len,
                            (const char *)r->cert.data, r->cert.len,
                            ps->join_key, err, sizeof err) != 0) {
    pvmd_link_fail(l, "cannot keep the certificate from the master: %s", err);
    return;
  }
  pvmw_pki_free_secret(ps->join_key);
  ps->join_key = NULL;
  pvmd_log("stored this host's certificate %s/%s.pem (issued by the master "
           "for the join credential); joining",
           ps->certdir, self);
  /* The credential is spent: from here on this daemon is like any other. */
  ps->master = NULL;
  l->join_done = 1;
  pvmd_link_close(l);
  pvmw_tls_ctx_free(ps->join_ctx); /* the closing link holds its own ref */
  ps->join_ctx = NULL;
  OPENSSL_cleanse(ps->cred->secret, sizeof ps->cred->secret);
  if (pvmd_peer_connect_master(ps, 0) != 0)
    pvmd_halt(d, 0, "cannot join the master");
}
