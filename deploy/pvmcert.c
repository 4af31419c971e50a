/* pvmcert: the virtual machine's certificates for the people who run it.
 * Shows the CA and host certificates with their expiry, issues or renews a
 * host's certificate, rotates the CA (re-issuing the host certificates),
 * and installs a CA or host certificates of the user's own. It works on
 * the certificate directory the daemons use ($PVM_CERTDIR, else ~/.pvm, or
 * -d DIR) with the same code (sec/pki.c); running daemons take a renewed
 * host certificate on SIGHUP, a new CA at their next start. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "join.h"
#include "pki.h"

#define DAY 86400L
#define BACKDATE 3600L
#define PATHLEN (PATH_MAX + 128)

static char dir[PATH_MAX];

static void usage(void) {
  fprintf(stderr,
          "usage: pvmcert [-d DIR] show\n"
          "       pvmcert [-d DIR] issue HOST [DAYS]     (or renew)\n"
          "       pvmcert [-d DIR] rotate [DAYS]\n"
          "       pvmcert [-d DIR] import-ca CA.pem CA.key\n"
          "       pvmcert [-d DIR] import-host HOST CERT.pem KEY.pem\n"
          "DIR is $PVM_CERTDIR, else ~/.pvm. See the README, \"Running on "
          "several hosts\".\n");
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...) {
  va_list ap;
  fputs("pvmcert: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}

static void path(char *out, const char *name, const char *ext) {
  snprintf(out, PATHLEN, "%s/%s%s", dir, name, ext);
}

static X509 *read_cert(const char *p) {
  FILE *f = fopen(p, "re");
  X509 *x = NULL;
  if (f) {
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
  }
  ERR_clear_error();
  return x;
}

static EVP_PKEY *read_key(const char *p) {
  FILE *f = fopen(p, "re");
  EVP_PKEY *k = NULL;
  if (f) {
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
  }
  ERR_clear_error();
  return k;
}

static void fmt_time(const ASN1_TIME *t, char *out, size_t len) {
  struct tm tm;
  if (!ASN1_TIME_to_tm(t, &tm) ||
      strftime(out, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
    snprintf(out, len, "?");
}

/* Days from now to t (negative: past). */
static long days_left(const ASN1_TIME *t) {
  int d = 0, s = 0;
  if (!ASN1_TIME_diff(&d, &s, NULL, t))
    return 0;
  return d;
}

/* Verifies x against the CA certificate(s) of dir now; "" or a reason. */
static const char *check_against_ca(X509 *x, const char *name) {
  static char why[PATHLEN + 64];
  char ca[PATHLEN];
  X509_STORE *st = X509_STORE_new();
  X509_STORE_CTX *xs = X509_STORE_CTX_new();
  path(ca, PVMW_PKI_CA, ".pem");
  why[0] = '\0';
  if (!st || !xs || !X509_STORE_load_file(st, ca) ||
      !X509_STORE_CTX_init(xs, st, x, NULL)) {
    snprintf(why, sizeof why, "cannot load %s", ca);
  } else {
    X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(xs) != 1) {
      int e = X509_STORE_CTX_get_error(xs);
      snprintf(why, sizeof why, "%s",
               e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                       e == X509_V_ERR_CERT_SIGNATURE_FAILURE ||
                       e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
                   ? "not issued by this CA"
                   : X509_verify_cert_error_string(e));
    } else if (name && X509_check_host(x, name, 0, X509_CHECK_FLAG_NO_WILDCARDS,
                                       NULL) != 1) {
      snprintf(why, sizeof why, "not a certificate for %s", name);
    }
  }
  ERR_clear_error();
  X509_STORE_CTX_free(xs);
  X509_STORE_free(st);
  return why;
}

/* Host names that have NAME.pem in dir (not the CA), sorted. */
static int host_names(char ***out) {
  DIR *dp = opendir(dir);
  struct dirent *e;
  char **v = NULL;
  int n = 0;
  if (!dp)
    return -1;
  while ((e = readdir(dp)) != NULL) {
    size_t l = strlen(e->d_name);
    char name[PVMW_PKI_NAME_MAX + 1], **nv;
    if (l < 5 || strcmp(e->d_name + l - 4, ".pem") != 0 ||
        l - 4 > PVMW_PKI_NAME_MAX)
      continue;
    memcpy(name, e->d_name, l - 4);
    name[l - 4] = '\0';
    if (strcmp(name, PVMW_PKI_CA) == 0 || !pvmw_pki_name_ok(name))
      continue;
    nv = realloc(v, (size_t)(n + 1) * sizeof *v);
    if (!nv || !(nv[n] = strdup(name))) {
      free(nv ? nv : v);
      closedir(dp);
      return -1;
    }
    v = nv;
    n++;
  }
  closedir(dp);
  for (int i = 1; i < n; i++) /* few names: insertion sort */
    for (int j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
      char *t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  *out = v;
  return n;
}

static void free_names(char **v, int n) {
  for (int i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* ---- show ------------------------------------------------------------ */

static int cmd_show(void) {
  char p[PATHLEN], when[40], fp[65], cn[128] = "?";
  uint8_t d[32];
  char **names = NULL;
  X509 *ca;
  int n, bad = 0;
  long left;
  path(p, PVMW_PKI_CA, ".pem");
  ca = read_cert(p);
  if (!ca)
    return die("no CA certificate %s: start a virtual machine once (pvmd) "
               "to make one, or bring your own with `pvmcert import-ca`",
               p);
  printf("certificates in %s\n", dir);
  printf("%-5s %-24s %-21s %s\n", "KIND", "NAME", "NOT AFTER", "STATUS");
  X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn,
                            sizeof cn);
  fmt_time(X509_get0_notAfter(ca), when, sizeof when);
  left = days_left(X509_get0_notAfter(ca));
  if (pvmw_pki_fingerprint(p, d, NULL, 0) == 0)
    pvmw_hex(d, 32, fp);
  else
    snprintf(fp, sizeof fp, "?");
  path(p, PVMW_PKI_CA, ".key");
  printf("%-5s %-24s %-21s %s, %ld days left; %s; sha256 %s\n", "ca", cn, when,
         left < 0 ? "EXPIRED" : "valid", left,
         access(p, F_OK) == 0 ? "key here" : "no key here (cannot issue)", fp);
  bad |= left < 0;
  n = host_names(&names);
  if (n < 0)
    return die("cannot list %s: %s", dir, strerror(errno));
  for (int i = 0; i < n; i++) {
    X509 *x;
    const char *why;
    path(p, names[i], ".pem");
    x = read_cert(p);
    if (!x) {
      printf("%-5s %-24s %-21s %s\n", "host", names[i], "?",
             "unreadable certificate");
      bad = 1;
      continue;
    }
    fmt_time(X509_get0_notAfter(x), when, sizeof when);
    left = days_left(X509_get0_notAfter(x));
    why = check_against_ca(x, names[i]);
    path(p, names[i], ".key");
    if (why[0] == '\0' && access(p, F_OK) != 0)
      why = "no key beside it";
    printf("%-5s %-24s %-21s %s, %ld days left\n", "host", names[i], when,
           why[0] ? why : "valid", left);
    bad |= why[0] != '\0';
    X509_free(x);
  }
  free_names(names, n);
  X509_free(ca);
  return bad ? 2 : 0;
}

/* ---- issue / renew --------------------------------------------------- */

/* Issues name's key and certificate from the CA in ca_dir into
 * out_dir/name.{pem,key}, replacing what is there (new files first, then
 * renamed over the old ones). */
static int issue_into(const char *ca_dir, const char *out_dir, const char *name,
                      long days) {
  char tmp[PATHLEN], a[PATHLEN + 8], b[PATHLEN + 8], err[512];
  long now = (long)time(NULL);
  snprintf(tmp, sizeof tmp, "%s/.%s.new-%ld", out_dir, name, (long)getpid());
  snprintf(a, sizeof a, "%s.pem", tmp);
  unlink(a);
  snprintf(a, sizeof a, "%s.key", tmp);
  unlink(a);
  if (pvmw_pki_make_cert(ca_dir, tmp, name, now - BACKDATE, now + days * DAY,
                         err, sizeof err) != 0)
    return die("cannot issue a certificate for %s: %s", name, err);
  snprintf(a, sizeof a, "%s.key", tmp);
  snprintf(b, sizeof b, "%s/%s.key", out_dir, name);
  if (rename(a, b) != 0)
    return die("cannot replace %s: %s", b, strerror(errno));
  snprintf(a, sizeof a, "%s.pem", tmp);
  snprintf(b, sizeof b, "%s/%s.pem", out_dir, name);
  if (rename(a, b) != 0)
    return die("cannot replace %s: %s", b, strerror(errno));
  return 0;
}

static long parse_days(const char *s) {
  char *e;
  long v = s ? strtol(s, &e, 10) : 730;
  if (s && (*e != '\0' || v < 1 || v > 36500))
    return -1;
  return v;
}

static int cmd_issue(const char *name, const char *days_s) {
  char p[PATHLEN];
  long days = parse_days(days_s);
  if (days < 0)
    return die("DAYS must be a number from 1 to 36500, not \"%s\"", days_s);
  if (!pvmw_pki_name_ok(name) || strcmp(name, PVMW_PKI_CA) == 0)
    return die("\"%s\" is not a usable host name (1 to %d of A-Z a-z 0-9 . "
               "- _, not \"ca\")",
               name, PVMW_PKI_NAME_MAX);
  path(p, PVMW_PKI_CA, ".key");
  if (access(p, F_OK) != 0)
    return die("no CA key %s: only the directory holding the CA can issue "
               "(or bring a certificate with `pvmcert import-host`)",
               p);
  if (issue_into(dir, dir, name, days) != 0)
    return 1;
  printf("issued %s/%s.pem (new key %s/%s.key), valid for %ld days.\n"
         "A running daemon on %s uses it for new links after `kill -HUP` of "
         "its pid (pvmd.<vmid>.lock names it).\n",
         dir, name, dir, name, days, name);
  return 0;
}

/* ---- rotating or replacing the CA ------------------------------------ */

static int copy_file(const char *from, const char *to, mode_t mode) {
  char buf[8192], tmp[PATHLEN + 16];
  int in, out, ok = 1;
  ssize_t n;
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", to, (long)getpid());
  in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return die("cannot open %s: %s", from, strerror(errno));
  unlink(tmp);
  out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (out < 0) {
    close(in);
    return die("cannot create %s: %s", tmp, strerror(errno));
  }
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n)
      ok = 0;
  if (n < 0 || fchmod(out, mode) != 0 || fsync(out) != 0)
    ok = 0;
  close(in);
  if (close(out) != 0)
    ok = 0;
  if (!ok || rename(tmp, to) != 0) {
    unlink(tmp);
    return die("cannot write %s: %s", to, strerror(errno));
  }
  return 0;
}

/* Moves the CA and every host certificate of dir into dir/old-STAMP and
 * puts the new CA from new_dir in their place, re-issuing the hosts'
 * certificates from it when it has a key. */
static int switch_ca(const char *new_dir, long days, int have_key) {
  char old[PATHLEN], a[PATHLEN + 80], b[PATHLEN + 80], stamp[32];
  char **names = NULL;
  time_t now = time(NULL);
  struct tm tm;
  int n = host_names(&names), rc = 1;
  if (n < 0)
    return die("cannot list %s: %s", dir, strerror(errno));
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(old, sizeof old, "%s/old-%s", dir, stamp);
  for (int k = 2; mkdir(old, 0700) != 0 && errno == EEXIST && k < 100; k++)
    snprintf(old, sizeof old, "%s/old-%s-%d", dir, stamp, k);
  if (access(old, F_OK) != 0) {
    die("cannot create %s: %s", old, strerror(errno));
    goto out;
  }
  /* New host certificates are made beside the new CA first: nothing in
   * dir changes until all of them exist. */
  if (have_key)
    for (int i = 0; i < n; i++)
      if (issue_into(new_dir, new_dir, names[i], days) != 0)
        goto out;
  for (int i = -1; i < n; i++) {
    const char *nm = i < 0 ? PVMW_PKI_CA : names[i];
    for (int k = 0; k < 2; k++) {
      const char *ext = k ? ".key" : ".pem";
      snprintf(a, sizeof a, "%s/%s%s", dir, nm, ext);
      snprintf(b, sizeof b, "%s/%s%s", old, nm, ext);
      if (rename(a, b) != 0 && errno != ENOENT) {
        die("cannot move %s to %s: %s", a, b, strerror(errno));
        goto out;
      }
    }
  }
  for (int i = -1; i < (have_key ? n : 0); i++) {
    const char *nm = i < 0 ? PVMW_PKI_CA : names[i];
    for (int k = 0; k < 2; k++) {
      const char *ext = k ? ".key" : ".pem";
      snprintf(a, sizeof a, "%s/%s%s", new_dir, nm, ext);
      snprintf(b, sizeof b, "%s/%s%s", dir, nm, ext);
      if (rename(a, b) != 0 && !(errno == ENOENT && k == 1 && !have_key)) {
        die("cannot move %s to %s: %s", a, b, strerror(errno));
        goto out;
      }
    }
  }
  printf("the old CA and host certificates are in %s\n", old);
  if (have_key && n > 0) {
    printf("re-issued for the new CA:");
    for (int i = 0; i < n; i++)
      printf(" %s", names[i]);
    printf("\n");
  } else if (n > 0) {
    printf("no CA key: bring each host's certificate with `pvmcert "
           "import-host`\n");
  }
  printf("Halt the virtual machine and start it again: running daemons "
         "trust the old CA until they restart. Hosts without a shared home "
         "join again with a new credential when added.\n");
  rc = 0;
out:
  free_names(names, n);
  return rc;
}

static int make_tmpdir(char *out) {
  snprintf(out, PATHLEN, "%s/.new-ca-%ld", dir, (long)getpid());
  if (mkdir(out, 0700) != 0)
    return die("cannot create %s: %s", out, strerror(errno));
  return 0;
}

static void rm_tmpdir(const char *t) {
  DIR *dp = opendir(t);
  struct dirent *e;
  char p[PATHLEN + 300];
  if (!dp)
    return;
  while ((e = readdir(dp)) != NULL) {
    if (e->d_name[0] == '.' &&
        (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
      continue;
    snprintf(p, sizeof p, "%s/%s", t, e->d_name);
    unlink(p);
  }
  closedir(dp);
  rmdir(t);
}

static int cmd_rotate(const char *days_s) {
  char t[PATHLEN], p[PATHLEN], cn[PVMW_PKI_NAME_MAX + 1], host[64] = "",
                                                          err[512];
  long days = parse_days(days_s), now = (long)time(NULL);
  uint8_t d[32];
  char fp[65];
  int rc;
  if (days < 0)
    return die("DAYS must be a number from 1 to 36500, not \"%s\"", days_s);
  path(p, PVMW_PKI_CA, ".pem");
  if (access(p, F_OK) != 0)
    return die("no CA %s to rotate (a first start of pvmd makes one)", p);
  if (make_tmpdir(t) != 0)
    return 1;
  gethostname(host, sizeof host - 1);
  {
    time_t tt = (time_t)now;
    struct tm tm;
    char day[16];
    gmtime_r(&tt, &tm);
    strftime(day, sizeof day, "%Y%m%d%H%M%S", &tm);
    snprintf(cn, sizeof cn, "PVM-NG CA %.30s %s", host, day);
  }
  if (pvmw_pki_make_ca(t, cn, now - BACKDATE, now + 3652 * DAY, err,
                       sizeof err) != 0) {
    rm_tmpdir(t);
    return die("cannot make the new CA: %s", err);
  }
  rc = switch_ca(t, days, 1);
  rm_tmpdir(t);
  if (rc == 0 && pvmw_pki_fingerprint(p, d, NULL, 0) == 0) {
    pvmw_hex(d, 32, fp);
    printf("new CA %s, sha256 %s\n", p, fp);
  }
  return rc;
}

static int cmd_import_ca(const char *pem, const char *key) {
  char t[PATHLEN], a[PATHLEN + 16];
  X509 *x = read_cert(pem);
  EVP_PKEY *k = NULL;
  struct stat st;
  int rc = 1;
  if (!x)
    return die("%s holds no PEM certificate", pem);
  if (X509_check_ca(x) < 1 || X509_self_signed(x, 0) != 1) {
    X509_free(x);
    return die("%s is not a self-signed CA certificate (basicConstraints "
               "CA:TRUE)",
               pem);
  }
  k = read_key(key);
  if (!k || X509_check_private_key(x, k) != 1) {
    X509_free(x);
    EVP_PKEY_free(k);
    return die("%s holds no private key matching %s", key, pem);
  }
  X509_free(x);
  EVP_PKEY_free(k);
  if (lstat(dir, &st) != 0 && mkdir(dir, 0700) != 0)
    return die("cannot create %s: %s", dir, strerror(errno));
  if (make_tmpdir(t) != 0)
    return 1;
  snprintf(a, sizeof a, "%s/ca.pem", t);
  if (copy_file(pem, a, 0644) != 0)
    goto out;
  snprintf(a, sizeof a, "%s/ca.key", t);
  if (copy_file(key, a, 0600) != 0)
    goto out;
  rc = switch_ca(t, 730, 1);
  if (rc == 0)
    printf("installed your CA %s as %s/ca.pem (key %s/ca.key)\n", pem, dir,
           dir);
out:
  rm_tmpdir(t);
  return rc;
}

static int cmd_import_host(const char *name, const char *pem, const char *key) {
  char a[PATHLEN];
  const char *why;
  X509 *x = read_cert(pem);
  EVP_PKEY *k = read_key(key);
  int ok;
  if (!pvmw_pki_name_ok(name) || strcmp(name, PVMW_PKI_CA) == 0) {
    X509_free(x);
    EVP_PKEY_free(k);
    return die("\"%s\" is not a usable host name", name);
  }
  if (!x || !k) {
    X509_free(x);
    EVP_PKEY_free(k);
    return die("%s", !x ? "the certificate file holds no PEM certificate"
                        : "the key file holds no PEM private key");
  }
  ok = X509_check_private_key(x, k) == 1;
  why = check_against_ca(x, name);
  X509_free(x);
  EVP_PKEY_free(k);
  if (!ok)
    return die("%s does not match the key in %s", pem, key);
  if (why[0])
    return die("%s refused: %s (the daemons verify it against %s/ca.pem)", pem,
               why, dir);
  path(a, name, ".key");
  if (copy_file(key, a, 0600) != 0)
    return 1;
  path(a, name, ".pem");
  if (copy_file(pem, a, 0644) != 0)
    return 1;
  printf("installed %s/%s.pem and %s/%s.key; `kill -HUP` a running daemon "
         "on %s to use it\n",
         dir, name, dir, name, name);
  return 0;
}

int main(int argc, char **argv) {
  const char *e = getenv("PVM_CERTDIR"), *home = getenv("HOME");
  int i = 1;
  if (e && *e)
    snprintf(dir, sizeof dir, "%s", e);
  else
    snprintf(dir, sizeof dir, "%s/.pvm", home && *home ? home : ".");
  if (i + 1 < argc && strcmp(argv[i], "-d") == 0) {
    snprintf(dir, sizeof dir, "%s", argv[i + 1]);
    i += 2;
  }
  if (i >= argc) {
    usage();
    return 1;
  }
  const char *cmd = argv[i++];
  int left = argc - i;
  if (strcmp(cmd, "show") == 0 && left == 0)
    return cmd_show();
  if ((strcmp(cmd, "issue") == 0 || strcmp(cmd, "renew") == 0) &&
      (left == 1 || left == 2))
    return cmd_issue(argv[i], left == 2 ? argv[i + 1] : NULL);
  if (strcmp(cmd, "rotate") == 0 && left <= 1)
    return cmd_rotate(left == 1 ? argv[i] : NULL);
  if (strcmp(cmd, "import-ca") == 0 && left == 2)
    return cmd_import_ca(argv[i], argv[i + 1]);
  if (strcmp(cmd, "import-host") == 0 && left == 3)
    return cmd_import_host(argv[i], argv[i + 1], argv[i + 2]);
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
      strcmp(cmd, "help") == 0) {
    usage();
    return 0;
  }
  usage();
  return 1;
}
