/* The host table across daemons: the master adds a host by issuing its
 * certificate (shared home) and starting `$PVM_RSH host pvmd -s ...`, gives
 * it a host number when its hello is accepted, and sends the table to every
 * daemon after each change; pvm_delhosts tells a host to halt. */
#include "peer.h"

#include "conn.h"
#include "group.h"
#include "host.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "peer_int.h"
#include "pki.h"
#include "pvmd.h"
#include "request.h"
#include "route.h"
#include "task.h"
#include "tid.h"
#include "tls.h"
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

/* ---- host table ------------------------------------------------------ */

void pvmd_peer_send_hosts(struct pvmd_link *l, uint32_t host_tid, int welcome) {
  const struct pvmd_hosts *hs = &l->ps->d->hosts;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__PeerWelcome w = PVMNG__PEER_WELCOME__INIT;
  Pvmng__PeerHosts ph = PVMNG__PEER_HOSTS__INIT;
  Pvmng__HostInfo *infos = calloc((size_t)hs->n, sizeof *infos);
  Pvmng__HostInfo **ptrs = calloc((size_t)hs->n, sizeof *ptrs);
  if (infos && ptrs) {
    pvmd_hosts_fill_infos(hs, infos, ptrs);
    if (welcome) {
      w.host_tid = host_tid;
      w.n_hosts = (size_t)hs->n;
      w.hosts = ptrs;
      m.body_case = PVMNG__CONTROL__BODY_PEER_WELCOME;
      m.peer_welcome = &w;
    } else {
      ph.n_hosts = (size_t)hs->n;
      ph.hosts = ptrs;
      m.body_case = PVMNG__CONTROL__BODY_PEER_HOSTS;
      m.peer_hosts = &ph;
    }
    pvmd_link_send_control(l, &m);
  }
  free(infos);
  free(ptrs);
}

void pvmd_peer_broadcast_hosts(struct pvmd_peers *ps) {
  struct pvmd_list *pos, *tmp;
  pvmd_list_each_safe(pos, tmp, &ps->links) {
    struct pvmd_link *l = pvmd_container_of(pos, struct pvmd_link, node);
    if (l->state == L_UP)
      pvmd_peer_send_hosts(l, 0, 0);
  }
  pvmd_notify_hosts_changed(ps->d);
}

/* Slave: takes the master's table as it is. */
void pvmd_peer_take_hosts(struct pvmd_peers *ps, Pvmng__HostInfo **hosts,
                       size_t n) {
  struct pvmd *d = ps->d;
  if (pvmd_hosts_replace(&d->hosts, hosts, n, d->tid) != 0)
    pvmd_log("out of memory for the host table");
  pvmd_notify_hosts_changed(d);
}

/* A host's link is gone: the master drops it from the table. */
void pvmd_peer_lost_host(struct pvmd_link *l) {
  struct pvmd_peers *ps = l->ps;
  struct pvmd *d = ps->d;
  char tb[16];
  if (ps->master == l) {
    ps->master = NULL;
    if (!d->halting)
      pvmd_halt(d, 0, "lost the link to the master");
    return;
  }
  if (l->host_no > 0) {
    int tid = pvmw_tid_make(l->host_no, 0);
    struct pvmd_list *pos, *tmp_;
    /* Requests sent there will get no answer: answer them here. */
    pvmd_list_each_safe(pos, tmp_, &ps->fwds) {
      struct pvmd_fwd *fw = pvmd_container_of(pos, struct pvmd_fwd, node);
      if (fw->to_host != l->host_no)
        continue;
      pvmd_list_remove(&fw->node);
      if (fw->g)
        pvmd_peer_gather_part(ps, fw->g, fw->slot, fw->count, NULL);
      else
        pvmd_peer_reply_status(ps, &fw->rt, PvmHostFail);
      free(fw);
    }
    pvmd_log("host %s (%s) left the virtual machine", l->who,
             pvmw_tid_str(tid, tb, sizeof tb));
    pvmd_hosts_remove(&d->hosts, tid);
    if (!d->halting)
      pvmd_group_host_gone(d, l->host_no); /* its tasks leave their groups */
    l->host_no = 0;
    if (!d->halting)
      pvmd_peer_broadcast_hosts(ps);
  }
}

/* ---- adding and deleting hosts ------------------------------------- */

static void on_add_closed(uv_handle_t *h) {
  struct pvmd_add *a = h->data;
  free(a);
}

static void free_add(struct pvmd_add *a) {
  pvmd_list_remove(&a->node);
  if (a->proc_open) {
    a->proc_open = 0;
    uv_close((uv_handle_t *)&a->proc, on_add_closed);
  } else {
    free(a);
  }
}

static void hostsreq_part(struct pvmd_peers *ps, struct pvmd_hostsreq *r, int slot,
                          int result) {
  r->res[slot] = result;
  if (--r->left > 0)
    return;
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HostsReply hr = PVMNG__HOSTS_REPLY__INIT;
  hr.n_results = r->n;
  hr.results = r->res;
  m.body_case = PVMNG__CONTROL__BODY_HOSTS_REPLY;
  m.hosts_reply = &hr;
  pvmd_peer_reply_send(ps, &r->rt, &m);
  free(r->res);
  free(r);
}

void pvmd_peer_add_done(struct pvmd_add *a, int result) {
  struct pvmd_peers *ps = a->ps;
  struct pvmd_hostsreq *r = a->req;
  int slot = a->slot;
  if (result < 0)
    pvmd_log("adding host %s failed (%d)", a->name, result);
  a->req = NULL;
  if (a->proc_open && result < 0)
    uv_process_kill(&a->proc, SIGTERM);
  free_add(a);
  if (r)
    hostsreq_part(ps, r, slot, result);
}

/* The remote shell ends once the new daemon has put itself in the
 * background; a failure there fails the add at once. */
static void on_rsh_exit(uv_process_t *p, int64_t status, int sig) {
  struct pvmd_add *a = p->data;
  if (status != 0 || sig != 0) {
    pvmd_log("adding host %s: %s exited with status %d%s", a->name,
             getenv("PVM_RSH") ? getenv("PVM_RSH") : "ssh", (int)status,
             sig ? " (signal)" : "");
    pvmd_peer_add_done(a, PvmCantStart);
  }
}

/* Appends "NAME='value' " to cmd when value is set; -1 if the value holds
 * a quote or does not fit. */
static int append_env(char *cmd, size_t len, const char *name,
                      const char *value) {
  size_t have = strlen(cmd);
  int n;
  if (!value || !*value)
    return 0;
  if (strchr(value, '\''))
    return -1;
  n = snprintf(cmd + have, len - have, "%s='%s' ", name, value);
  return n < 0 || (size_t)n >= len - have ? -1 : 0;
}

/* Starts one host: certificate, then $PVM_RSH host 'pvmd -s ...'. */
static int start_add(struct pvmd_peers *ps, const char *name,
                     struct pvmd_hostsreq *r, int slot) {
  struct pvmd *d = ps->d;
  char prefix[PATH_MAX + 300], pem[PATH_MAX + 310], err[512],
      exe[PATH_MAX] = "pvmd", cmd[2 * PATH_MAX + 600];
  const char *rsh = getenv("PVM_RSH");
  char *args[4];
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  struct pvmd_add *a;
  struct stat st;
  ssize_t n;
  long now = (long)time(NULL);

  if (pvmd_host_by_name(&d->hosts, name))
    return PvmDupHost;
  {
    struct pvmd_list *pos, *tmp_;
    pvmd_list_each_safe(pos, tmp_, &ps->adds) {
      if (strcasecmp(pvmd_container_of(pos, struct pvmd_add, node)->name, name) ==
          0)
        return PvmDupHost;
    }
  }
  if (!pvmw_pki_name_ok(name) || strlen(name) >= PVMD_HOSTNAME_MAX)
    return PvmBadParam;
  if (pvmd_peer_listen(ps) != 0)
    return PvmSysErr;
  snprintf(prefix, sizeof prefix, "%s/%s", ps->certdir, name);
  snprintf(pem, sizeof pem, "%s.pem", prefix);
  if (stat(pem, &st) != 0 &&
      pvmw_pki_make_cert(ps->certdir, prefix, name, now - 300,
                         now + CERT_DAYS * 86400L, err, sizeof err) != 0) {
    pvmd_log("adding host %s: cannot issue its certificate: %s", name, err);
    return PvmSysErr;
  }
  n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0)
    exe[n] = '\0';
  /* ssh passes no environment: what the new daemon must share with this
   * one goes on its command line (values are single-quoted). */
  cmd[0] = '\0';
  if (append_env(cmd, sizeof cmd, "PVM_VMID", d->vmid) != 0 ||
      append_env(cmd, sizeof cmd, "PVM_CERTDIR", getenv("PVM_CERTDIR")) != 0)
    return PvmBadParam;
  snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s -s %s:%d -n %s%s",
           exe, ps->addr, ps->port, name, pvmd_log_debug_mask() ? " -d" : "");
  a = calloc(1, sizeof *a);
  if (!a)
    return PvmNoMem;
  a->ps = ps;
  a->host_no = pvmd_peer_free_host_no(ps);
  if (a->host_no < 0) {
    free(a);
    return PvmOutOfRes;
  }
  snprintf(a->name, sizeof a->name, "%s", name);
  a->deadline = pvmd_now(d) + ADD_TIMEOUT_MS;
  a->req = r;
  a->slot = slot;
  args[0] = (char *)(rsh && *rsh ? rsh : "ssh");
  args[1] = a->name;
  args[2] = cmd;
  args[3] = NULL;
  memset(&o, 0, sizeof o);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  o.file = args[0];
  o.args = args;
  o.exit_cb = on_rsh_exit;
  o.stdio = stdio;
  o.stdio_count = 3;
  a->proc.data = a;
  if (uv_spawn(&d->loop, &a->proc, &o) != 0) {
    pvmd_log("adding host %s: cannot run %s", name, args[0]);
    uv_close((uv_handle_t *)&a->proc, NULL);
    free(a);
    return PvmCantStart;
  }
  a->proc_open = 1;
  pvmd_list_add_tail(&ps->adds, &a->node);
  pvmd_log("adding host %s: %s %s '%s'", name, args[0], name, cmd);
  return 0;
}

void pvmd_peer_add_hosts(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__HostsRequest *hr) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = pvmd_peer_state(d);
  struct pvmd_reply_to rt = pvmd_peer_reply_to_of(c, req_id);
  struct pvmd_hostsreq *r;

  if (!ps) {
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, NULL);
    return;
  }
  if (ps->master) { /* only the master adds hosts */
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    m.req_id = req_id;
    m.body_case = PVMNG__CONTROL__BODY_ADD_HOSTS;
    m.add_hosts = (Pvmng__HostsRequest *)hr;
    pvmd_peer_forward(ps, &rt, 1, &m, NULL, 0, 0);
    return;
  }
  if (hr->n_hosts == 0) {
    pvmd_reply_status(c, req_id, PvmBadParam, PvmBadParam, NULL);
    return;
  }
  r = calloc(1, sizeof *r);
  if (r)
    r->res = calloc(hr->n_hosts, sizeof *r->res);
  if (!r || !r->res) {
    if (r)
      free(r);
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, NULL);
    return;
  }
  r->rt = rt;
  r->n = hr->n_hosts;
  r->left = (int)hr->n_hosts + 1; /* +1 until every add has started */
  for (size_t i = 0; i < hr->n_hosts; i++) {
    int rc = start_add(ps, hr->hosts[i], r, (int)i);
    if (rc != 0)
      hostsreq_part(ps, r, (int)i, rc);
  }
  r->left--;
  if (r->left == 0) {
    r->left = 1;
    hostsreq_part(ps, r, 0, r->res[0]);
  }
}

void pvmd_peer_del_hosts(struct pvmd_conn *c, uint32_t req_id,
                         const Pvmng__HostsRequest *hr) {
  struct pvmd *d = c->d;
  struct pvmd_peers *ps = pvmd_peer_state(d);
  struct pvmd_reply_to rt = pvmd_peer_reply_to_of(c, req_id);
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__HostsReply rep = PVMNG__HOSTS_REPLY__INIT;
  int32_t *res;

  if (!ps || hr->n_hosts == 0) {
    pvmd_reply_status(c, req_id, ps ? PvmBadParam : PvmNoMem, 0, NULL);
    return;
  }
  if (ps->master) {
    m.req_id = req_id;
    m.body_case = PVMNG__CONTROL__BODY_DEL_HOSTS;
    m.del_hosts = (Pvmng__HostsRequest *)hr;
    pvmd_peer_forward(ps, &rt, 1, &m, NULL, 0, 0);
    return;
  }
  res = calloc(hr->n_hosts, sizeof *res);
  if (!res) {
    pvmd_reply_status(c, req_id, PvmNoMem, PvmNoMem, NULL);
    return;
  }
  for (size_t i = 0; i < hr->n_hosts; i++) {
    const struct pvmd_host *h = pvmd_host_by_name(&d->hosts, hr->hosts[i]);
    struct pvmd_link *l;
    if (!h) {
      res[i] = PvmNoHost;
      continue;
    }
    if (h->self) {
      res[i] = PvmBadParam;
      continue;
    }
    l = pvmd_link_to_host(ps, pvmw_tid_host(h->tid));
    res[i] = 0;
    if (l) {
      Pvmng__Control hm = PVMNG__CONTROL__INIT;
      Pvmng__PeerHalt ph = PVMNG__PEER_HALT__INIT;
      ph.why = (char *)"deleted from the virtual machine";
      hm.body_case = PVMNG__CONTROL__BODY_PEER_HALT;
      hm.peer_halt = &ph;
      pvmd_link_send_control(l, &hm);
      pvmd_log("deleting host %s", l->who);
      pvmd_peer_lost_host(l);
      pvmd_link_close(l);
    }
  }
  rep.n_results = hr->n_hosts;
  rep.results = res;
  m.body_case = PVMNG__CONTROL__BODY_HOSTS_REPLY;
  m.hosts_reply = &rep;
  pvmd_peer_reply_send(ps, &rt, &m);
  free(res);
}

/* Names from a host file: each host line not marked '&' is added. */
void pvmd_peer_hostfile(struct pvmd *d, const char *path) {
  char line[1024];
  struct pvmd_peers *ps;
  FILE *fp = fopen(path, "re");
  if (!fp)
    return;
  while (fgets(line, sizeof line, fp)) {
    char *p = line + strspn(line, " \t");
    size_t n;
    int rc;
    if (*p == '#' || *p == '*' || *p == '&' || *p == '\n' || *p == '\0')
      continue;
    n = strcspn(p, " \t\r\n");
    p[n] = '\0';
    if (n == 0 || pvmd_host_by_name(&d->hosts, p))
      continue;
    ps = pvmd_peer_state(d);
    if (!ps)
      break;
    rc = start_add(ps, p, NULL, 0);
    if (rc != 0)
      pvmd_log("host file %s: cannot add %s (%d)", path, p, rc);
  }
  fclose(fp);
}

