/* `pvm doctor HOSTFILE`: a pre-flight check of a host file, run before any
 * daemon. For each host it runs one command through $PVM_RSH, as the master
 * will, and reads back whether pvmd is at the path the master will use, its
 * release, the host's clock, the checksum of its CA and whether it reaches
 * this host on a TCP port that doctor opens meanwhile. Certificates are
 * checked here, in the certificate directory. Every failure is said with
 * what to do about it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

#define LINE_MAX_LEN 1024
#define RSH_TIMEOUT_S 20
#define CLOCK_BOUND_S 2.0 /* clocks further apart than this fail */
#define EXPIRY_WARN_DAYS 30

char *pvmgetpvmd(void); /* libpvm3, undeclared as in PVM 3.4 */

struct dhost {
  char name[256];
  char lo[128], dx[1024], ip[256];
  int later; /* an `&` line: added later, checked all the same */
};

static int failures;
/* The certificate directory and its CA (NULL when there is none yet). */
static char certdir[1024];
static X509 *ca;

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...) {
  va_list ap;
  fputs("  ok    ", stdout);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

/* A failure and, on the next line, what to do. */
static void bad(const char *todo, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bad(const char *todo, const char *fmt, ...) {
  va_list ap;
  failures++;
  fputs("  FAIL  ", stdout);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n        -> %s\n", todo);
}

static double now_s(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- host file ---------------------------------------------------------- */

/* Sets the options of one "key=value" word in h (unknown keys are left to
 * pvmd's own check). */
static void take_option(struct dhost *h, const char *w) {
  if (strncmp(w, "lo=", 3) == 0)
    snprintf(h->lo, sizeof h->lo, "%s", w + 3);
  else if (strncmp(w, "dx=", 3) == 0)
    snprintf(h->dx, sizeof h->dx, "%s", w + 3);
  else if (strncmp(w, "ip=", 3) == 0)
    snprintf(h->ip, sizeof h->ip, "%s", w + 3);
}

/* Reads the host file's hosts (with `*` defaults applied) into *out.
 * Returns their number, or -1 with the reason printed. */
static int read_hostfile(const char *path, struct dhost **out) {
  FILE *f = fopen(path, "r");
  char line[LINE_MAX_LEN];
  struct dhost defaults, *v = NULL;
  int n = 0;

  if (f == NULL) {
    fprintf(stderr, "pvm doctor: cannot read %s: %s\n", path, strerror(errno));
    return -1;
  }
  memset(&defaults, 0, sizeof defaults);
  while (fgets(line, sizeof line, f) != NULL) {
    char *save = NULL, *w = strtok_r(line, " \t\r\n", &save);
    struct dhost h = defaults;
    if (w == NULL || w[0] == '#')
      continue;
    if (strcmp(w, "*") == 0) {
      memset(&defaults, 0, sizeof defaults);
      while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL)
        take_option(&defaults, w);
      continue;
    }
    if (strcmp(w, "&") == 0) {
      h.later = 1;
      if ((w = strtok_r(NULL, " \t\r\n", &save)) == NULL)
        continue;
    }
    snprintf(h.name, sizeof h.name, "%s", w);
    while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL)
      take_option(&h, w);
    struct dhost *nv = realloc(v, (size_t)(n + 1) * sizeof *v);
    if (nv == NULL) {
      fclose(f);
      free(v);
      fprintf(stderr, "pvm doctor: out of memory\n");
      return -1;
    }
    v = nv;
    v[n++] = h;
  }
  fclose(f);
  *out = v;
  return n;
}

/* ---- running the remote shell ------------------------------------------ */

/* Runs argv with stdout and stderr into out (NUL-terminated, truncated),
 * killing it after timeout_s. Returns its exit status, 255 for a signal,
 * or -1 when it could not be started or timed out (*timed_out set). */
static int run(char **argv, char *out, size_t outlen, int timeout_s,
               int *timed_out) {
  int fd[2], status = 0;
  size_t used = 0;
  pid_t pid;
  double end = now_s() + timeout_s;

  *timed_out = 0;
  out[0] = '\0';
  if (pipe(fd) != 0)
    return -1;
  fflush(NULL);
  pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    return -1;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(fd[1], 1);
    dup2(fd[1], 2);
    close(fd[0]);
    close(fd[1]);
    setpgid(0, 0);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fd[1]);
  for (;;) {
    struct pollfd p = {fd[0], POLLIN, 0};
    int left = (int)((end - now_s()) * 1000);
    if (left <= 0) {
      *timed_out = 1;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    if (poll(&p, 1, left) < 0 && errno != EINTR)
      break;
    if (p.revents) {
      char buf[4096];
      ssize_t r = read(fd[0], buf, sizeof buf);
      if (r <= 0)
        break;
      if (used + 1 < outlen) {
        size_t k =
            (size_t)r < outlen - 1 - used ? (size_t)r : outlen - 1 - used;
        memcpy(out + used, buf, k);
        used += k;
        out[used] = '\0';
      }
    }
  }
  close(fd[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (*timed_out)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* The value after "KEY " on a line of out, into val; 0 if found. */
static int field(const char *out, const char *key, char *val, size_t len) {
  size_t k = strlen(key);
  for (const char *p = out; p && *p;
       p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (strncmp(p, key, k) == 0 && p[k] == ' ') {
      const char *e = strchr(p, '\n');
      size_t n = e ? (size_t)(e - p - (ptrdiff_t)k - 1) : strlen(p + k + 1);
      snprintf(val, len, "%.*s", (int)n, p + k + 1);
      return 0;
    }
  }
  return -1;
}

/* ---- certificates ------------------------------------------------------- */

static X509 *read_cert(const char *path) {
  FILE *f = fopen(path, "r");
  X509 *x = NULL;
  if (f != NULL) {
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
  }
  return x;
}

/* Days from now until x expires (negative: expired). */
static int days_left(X509 *x) {
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x));
  return days;
}

/* SHA-256 of a file's bytes in hex, as sha256sum prints it; 0 on success. */
static int file_sha256(const char *path, char *hex, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE], buf[4096];
  unsigned mdlen = 0;
  size_t r;
  FILE *f = fopen(path, "r");
  EVP_MD_CTX *c;
  if (f == NULL)
    return -1;
  c = EVP_MD_CTX_new();
  if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(c);
    fclose(f);
    return -1;
  }
  while ((r = fread(buf, 1, sizeof buf, f)) > 0)
    EVP_DigestUpdate(c, buf, r);
  fclose(f);
  EVP_DigestFinal_ex(c, md, &mdlen);
  EVP_MD_CTX_free(c);
  for (unsigned i = 0; i < mdlen && 2 * i + 2 < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return 0;
}

/* Checks one certificate of the certificate directory: present (when
 * required), from the CA, not expired nor near expiry. */
static void check_cert(const char *dir, const char *name, X509 *cacert,
                       int required) {
  char path[2048], todo[512];
  X509 *x;
  int days;

  snprintf(path, sizeof path, "%s/%s.pem", dir, name);
  x = read_cert(path);
  if (x == NULL) {
    if (required)
      bad("run pvm (or pvmd) once on this host: the first start makes the "
          "CA and this host's certificate",
          "no certificate %s", path);
    else
      ok("no %s.pem in %s: the host gets its certificate with a join "
         "credential when it is added",
         name, dir);
    return;
  }
  days = days_left(x);
  if (cacert != NULL && X509_verify(x, X509_get0_pubkey(cacert)) != 1) {
    snprintf(todo, sizeof todo,
             "pvmcert renew %s makes one from this CA; or remove it and let "
             "the host join again",
             name);
    bad(todo, "certificate %s is not signed by the CA in %s", path, dir);
  } else if (days < 0) {
    snprintf(todo, sizeof todo, "pvmcert renew %s (then SIGHUP its pvmd)",
             name);
    bad(todo, "certificate %s expired %d days ago", path, -days);
  } else if (days < EXPIRY_WARN_DAYS) {
    snprintf(todo, sizeof todo,
             "pvmcert renew %s before it expires (then SIGHUP its pvmd)", name);
    bad(todo, "certificate %s expires in %d days", path, days);
  } else {
    ok("certificate %s.pem valid for %d more days", name, days);
  }
  X509_free(x);
}

/* ---- the port a remote host must reach ---------------------------------- */

/* The address of this host toward host (the source address of a UDP
 * "connection" there); 0 on success. */
static int addr_toward(const char *host, char *out, size_t len) {
  struct addrinfo hints = {0}, *res = NULL;
  struct sockaddr_in me;
  socklen_t ml = sizeof me;
  int s, rc = -1;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  if (getaddrinfo(host, "9", &hints, &res) != 0)
    return -1;
  s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s >= 0 && connect(s, res->ai_addr, res->ai_addrlen) == 0 &&
      getsockname(s, (struct sockaddr *)&me, &ml) == 0 &&
      inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)len) != NULL)
    rc = 0;
  if (s >= 0)
    close(s);
  freeaddrinfo(res);
  return rc;
}

/* This host's IPv4 address by its name, as the master's daemon takes it;
 * -1 when the name does not resolve or resolves to a loopback address (the
 * daemon then takes its address toward each host). */
static int own_addr(char *out, size_t len) {
  struct addrinfo hints = {0}, *res = NULL;
  char name[256];
  int rc = -1;
  if (gethostname(name, sizeof name) != 0)
    return -1;
  name[sizeof name - 1] = '\0';
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(name, NULL, &hints, &res) != 0)
    return -1;
  const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
  if (ntohl(sin->sin_addr.s_addr) >> 24 != 127 &&
      inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)len) != NULL)
    rc = 0;
  freeaddrinfo(res);
  return rc;
}

/* A listening TCP socket on $PVMNG_PEER_PORT, else any port; its port in
 * *port. -1 on failure. */
static int open_listener(int *port) {
  struct sockaddr_in a = {0};
  socklen_t al = sizeof a;
  const char *fixed = getenv("PVMNG_PEER_PORT");
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (s < 0)
    return -1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  a.sin_family = AF_INET;
  a.sin_port = htons(fixed ? (uint16_t)strtol(fixed, NULL, 10) : 0);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
    a.sin_port = 0; /* the fixed port is taken (a running daemon?) */
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
      close(s);
      return -1;
    }
  }
  if (listen(s, 16) != 0 || getsockname(s, (struct sockaddr *)&a, &al) != 0) {
    close(s);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return s;
}

/* Accepts (and closes) whatever connected to the listener meanwhile. */
static void drain(int ls) {
  int fl = fcntl(ls, F_GETFL);
  fcntl(ls, F_SETFL, fl | O_NONBLOCK);
  for (int c; (c = accept(ls, NULL, NULL)) >= 0;)
    close(c);
  fcntl(ls, F_SETFL, fl);
}

/* ---- one host ----------------------------------------------------------- */

/* The remote command: one line per fact, read back with field(). */
static void remote_script(const char *pvmd, const char *addr, int port,
                          char *out, size_t len) {
  snprintf(out, len,
           "echo \"CLOCK $(date +%%s.%%N)\"; echo RSH ok; P='%s'; "
           "if [ -x \"$P\" ] || command -v \"$P\" >/dev/null 2>&1; then "
           "echo PVMD ok; echo \"VERSION $(\"$P\" -V 2>&1 | head -n 1)\"; "
           "else echo PVMD missing; fi; "
           "if [ -r \"${PVM_CERTDIR:-$HOME/.pvm}/ca.pem\" ]; then "
           "echo \"CA $(sha256sum < \"${PVM_CERTDIR:-$HOME/.pvm}/ca.pem\" "
           "| cut -c1-64)\"; else echo CA none; fi; "
           "if timeout 5 bash -c 'exec 3<>/dev/tcp/%s/%d' 2>/dev/null; then "
           "echo PORT ok; else echo PORT fail; fi; "
           "echo \"CLOCKEND $(date +%%s.%%N)\"",
           pvmd, addr, port);
}

static void check_host(const struct dhost *h, char **rsh, int nrsh,
                       const char *local_pvmd, const char *local_version,
                       const char *ca_sum, const char *own_ip, int ls,
                       int port) {
  const char *target = h->ip[0] ? h->ip : h->name;
  const char *pvmd = h->dx[0] ? h->dx : local_pvmd;
  char *argv[64], script[4096], out[8192], val[512], addr[INET_ADDRSTRLEN];
  int n = 0, rc, timed_out;
  double t0, t1, remote;

  printf("%s%s:\n", h->name, h->later ? " (& line: added later)" : "");
  if (ca != NULL)
    check_cert(certdir, h->name, ca, 0);
  if (own_ip && own_ip[0])
    snprintf(addr, sizeof addr, "%s", own_ip);
  else if (own_addr(addr, sizeof addr) != 0 &&
           addr_toward(target, addr, sizeof addr) != 0) {
    bad("check the name (DNS or /etc/hosts), or give ip= on its line",
        "cannot resolve %s", target);
    return;
  }
  for (int i = 0; i < nrsh && n < 58; i++)
    argv[n++] = rsh[i];
  if (h->lo[0]) {
    argv[n++] = "-l";
    argv[n++] = (char *)h->lo;
  }
  argv[n++] = (char *)target;
  remote_script(pvmd, addr, port, script, sizeof script);
  argv[n++] = script;
  argv[n] = NULL;

  t0 = now_s();
  rc = run(argv, out, sizeof out, RSH_TIMEOUT_S, &timed_out);
  t1 = now_s();
  drain(ls);
  if (rc != 0 || field(out, "RSH", val, sizeof val) != 0) {
    char last[256] = "";
    const char *p = out, *nl;
    while ((nl = strchr(p, '\n')) != NULL && nl[1] != '\0')
      p = nl + 1;
    snprintf(last, sizeof last, "%.*s", (int)strcspn(p, "\n"), p);
    if (timed_out)
      bad("check that the host is up and that $PVM_RSH logs in without a "
          "prompt (ssh -o BatchMode=yes host true)",
          "%s %s did not answer within %d s", rsh[0], target, RSH_TIMEOUT_S);
    else
      bad("make `$PVM_RSH host true` work without a password or prompt "
          "(ssh-copy-id, known_hosts, lo= for another login)",
          "%s %s failed (status %d)%s%s", rsh[0], target, rc,
          last[0] ? ": " : "", last);
    return;
  }
  ok("reached through %s in %.2f s", rsh[0], t1 - t0);

  if (field(out, "PVMD", val, sizeof val) == 0 && strcmp(val, "ok") == 0) {
    char ver[256] = "";
    field(out, "VERSION", ver, sizeof ver);
    /* Compare "pvmd PVM-NG <release> protocol <n>", not the architecture. */
    size_t cmp = strlen(local_version);
    const char *sp = local_version;
    for (int words = 0; *sp && words < 5; sp++)
      if (*sp == ' ' && ++words == 5)
        cmp = (size_t)(sp - local_version);
    if (strncmp(ver, "pvmd PVM-NG ", 12) != 0)
      bad("install this PVM-NG release there, or point dx= at its pvmd",
          "%s there is not PVM-NG's pvmd (it says: %s)", pvmd,
          ver[0] ? ver : "nothing");
    else if (strncmp(ver, local_version, cmp) != 0)
      bad("install the same PVM-NG release on every host",
          "%s there is %s; here: %s", pvmd, ver + 5, local_version + 5);
    else
      ok("pvmd at %s, %s", pvmd, ver + 5);
  } else {
    bad("install PVM-NG there, or give its path with dx= on the host's line",
        "no pvmd at %s on %s (the path the master will run)", pvmd, target);
  }

  if (field(out, "CLOCK", val, sizeof val) == 0 &&
      (remote = strtod(val, NULL)) > 0) {
    /* The remote clock was read at its command's start; the time the
     * command ran there (to CLOCKEND) is not network time, so only the
     * rest of the round trip counts: half before, half after. */
    double ran = 0, net;
    if (field(out, "CLOCKEND", val, sizeof val) == 0)
      ran = strtod(val, NULL) - remote;
    if (ran < 0 || ran > t1 - t0)
      ran = 0;
    net = t1 - t0 - ran;
    double off = remote - (t0 + net / 2), err = net / 2;
    if (off - err > CLOCK_BOUND_S || off + err < -CLOCK_BOUND_S)
      bad("synchronise the clocks (systemd-timesyncd, chrony or ntpd): "
          "certificates and join credentials carry times",
          "clock %+.1f s from this host's (bound %.0f s)", off, CLOCK_BOUND_S);
    else
      ok("clock %+.2f s from this host's (measured to %.2f s)", off, err);
  } else {
    bad("check that `date` works there", "could not read the clock");
  }

  if (field(out, "CA", val, sizeof val) == 0 && strcmp(val, "none") != 0 &&
      ca_sum[0] && strcmp(val, ca_sum) != 0)
    bad("remove ~/.pvm (or $PVM_CERTDIR) on that host, or copy this host's "
        "ca.pem there: it holds another virtual machine's CA",
        "the CA there is not this virtual machine's");
  else if (field(out, "CA", val, sizeof val) == 0 && strcmp(val, "none") != 0)
    ok("same CA as this host");
  else
    ok("no CA there yet: it is handed over when the host joins");

  if (field(out, "PORT", val, sizeof val) == 0 && strcmp(val, "ok") == 0)
    ok("reaches this host at %s:%d", addr, port);
  else
    bad("open TCP from that host to this one (firewall), set the port with "
        "PVMNG_PEER_PORT, or give this host's reachable address with ip= on "
        "its own line",
        "cannot connect to %s:%d from there (the master's daemon port)", addr,
        port);
}

/* ---- the command -------------------------------------------------------- */

int cons_doctor(int argc, char **argv) {
  struct dhost *hosts = NULL;
  char *rsh[32], rshbuf[1024], hostname[256], path[2048];
  char local_version[256] = "", ca_sum[80] = "", own_ip[256] = "";
  const char *local_pvmd, *env;
  int n, nrsh = 0, ls, port = 0, timed_out;

  if (argc != 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: pvm doctor HOSTFILE\n"
                    "Checks each host of HOSTFILE before a virtual machine is "
                    "started from it.\n");
    return 2;
  }
  if ((n = read_hostfile(argv[1], &hosts)) < 0)
    return 2;
  env = getenv("PVM_RSH");
  snprintf(rshbuf, sizeof rshbuf, "%s", env && *env ? env : "ssh");
  for (char *save = NULL, *w = strtok_r(rshbuf, " \t", &save); w && nrsh < 31;
       w = strtok_r(NULL, " \t", &save))
    rsh[nrsh++] = w;
  rsh[nrsh] = NULL;
  if (gethostname(hostname, sizeof hostname) != 0)
    snprintf(hostname, sizeof hostname, "localhost");
  hostname[sizeof hostname - 1] = '\0';

  /* This host: the pvmd the master runs, and its release. */
  local_pvmd = pvmgetpvmd();
  printf("this host (%s):\n", hostname);
  {
    char *av[] = {(char *)local_pvmd, "-V", NULL};
    if (run(av, local_version, sizeof local_version, 10, &timed_out) != 0 ||
        strncmp(local_version, "pvmd PVM-NG ", 12) != 0) {
      bad("install PVM-NG completely, or set PVM_DPATH to its pvmd",
          "%s -V did not answer as PVM-NG's pvmd", local_pvmd);
      local_version[0] = '\0';
    } else {
      local_version[strcspn(local_version, "\n")] = '\0';
      ok("pvmd at %s, %s", local_pvmd, local_version + 5);
    }
  }
  /* Certificates: the CA and this host's, and each host's if it is here
   * (a shared home directory). */
  env = getenv("PVM_CERTDIR");
  if (env && *env)
    snprintf(certdir, sizeof certdir, "%s", env);
  else
    snprintf(certdir, sizeof certdir, "%s/.pvm",
             getenv("HOME") ? getenv("HOME") : "");
  snprintf(path, sizeof path, "%s/ca.pem", certdir);
  ca = read_cert(path);
  if (ca == NULL) {
    ok("no CA in %s yet: the master's first start makes it", certdir);
  } else {
    int days = days_left(ca);
    if (days < 0)
      bad("pvmcert rotate makes a new CA (halt the virtual machine first)",
          "the CA %s expired %d days ago", path, -days);
    else if (days < EXPIRY_WARN_DAYS)
      bad("pvmcert rotate before it expires (halt the virtual machine first)",
          "the CA %s expires in %d days", path, days);
    else
      ok("CA %s valid for %d more days", path, days);
    file_sha256(path, ca_sum, sizeof ca_sum);
    check_cert(certdir, hostname, ca, 0);
  }
  for (int i = 0; i < n; i++)
    if (strcmp(hosts[i].name, hostname) == 0) /* the master's own line */
      snprintf(own_ip, sizeof own_ip, "%s", hosts[i].ip);

  ls = open_listener(&port);
  if (ls < 0) {
    bad("check that this host may listen on TCP ports",
        "cannot open a TCP port here: %s", strerror(errno));
    X509_free(ca);
    free(hosts);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    if (strcmp(hosts[i].name, hostname) == 0)
      continue; /* the master's own line */
    check_host(&hosts[i], rsh, nrsh, local_pvmd, local_version, ca_sum, own_ip,
               ls, port);
  }
  close(ls);
  X509_free(ca);
  free(hosts);
  if (failures)
    printf("%d problem%s found.\n", failures, failures == 1 ? "" : "s");
  else
    printf("No problem found.\n");
  return failures ? 1 : 0;
}
