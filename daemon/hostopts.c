/* The host file and host options (hostopts.h). Nothing here touches the
 * daemon's state: the master loads the file once at start (main.c) and
 * peer_hosts.c takes each host's options from the table when it starts the
 * host, by the file or by pvm_addhosts. Every limit is checked before a
 * byte is copied; a bad line fails the whole file with its line number. */
#include "hostopts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "host.h"
#include "pki.h"
#include "rundir.h"

#define WS " \t\r\n\v\f"

__attribute__((format(printf, 3, 4))) static void
set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- options ---------------------------------------------------------- */

void pvmd_hostopts_free(struct pvmd_hostopts *o) {
  free(o->lo);
  free(o->dx);
  free(o->ep);
  free(o->wd);
  free(o->bx);
  free(o->ip);
  free(o->id);
  memset(o, 0, sizeof *o);
}

/* *dst = copy of src (NULL stays NULL); 0 or -1. */
static int set_str(char **dst, const char *src) {
  char *s = NULL;
  if (src && !(s = strdup(src)))
    return -1;
  free(*dst);
  *dst = s;
  return 0;
}

int pvmd_hostopts_merge(struct pvmd_hostopts *dst,
                        const struct pvmd_hostopts *over) {
  unsigned s = over->set;
  if (((s & PVMD_HO_LO) && set_str(&dst->lo, over->lo) != 0) ||
      ((s & PVMD_HO_DX) && set_str(&dst->dx, over->dx) != 0) ||
      ((s & PVMD_HO_EP) && set_str(&dst->ep, over->ep) != 0) ||
      ((s & PVMD_HO_WD) && set_str(&dst->wd, over->wd) != 0) ||
      ((s & PVMD_HO_BX) && set_str(&dst->bx, over->bx) != 0) ||
      ((s & PVMD_HO_IP) && set_str(&dst->ip, over->ip) != 0) ||
      ((s & PVMD_HO_ID) && set_str(&dst->id, over->id) != 0))
    return -1;
  if (s & PVMD_HO_SP)
    dst->sp = over->sp;
  if (s & PVMD_HO_SO)
    dst->so = over->so;
  dst->set |= s;
  return 0;
}

int pvmd_hostopts_copy(struct pvmd_hostopts *dst,
                       const struct pvmd_hostopts *src) {
  pvmd_hostopts_free(dst);
  if (pvmd_hostopts_merge(dst, src) != 0) {
    pvmd_hostopts_free(dst);
    return -1;
  }
  return 0;
}

static int name_start(int c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(int c) { return name_start(c) || (c >= '0' && c <= '9'); }

static const char *lookup(const char *name) {
  const char *v = getenv(name);
  if (!v && strcmp(name, "PVM_ARCH") == 0)
    v = PVMD_ARCH;
  return v;
}

/* Expands in into out (outlen bytes with the NUL). check_only: syntax only,
 * every variable standing for "" and nothing written. */
static int expand(const char *in, char *out, size_t outlen, int check_only,
                  char *err, size_t errlen) {
  size_t len = 0;
  for (const char *p = in; *p;) {
    const char *val, *name;
    size_t nlen, vlen;
    char var[128];
    if (*p != '$' || !(name_start(p[1]) || p[1] == '{')) {
      val = p; /* a '$' before anything else is itself */
      vlen = 1;
      p++;
    } else {
      int braced = p[1] == '{';
      name = p + 1 + braced;
      for (nlen = 0; name_char(name[nlen]); nlen++)
        ;
      if (nlen == 0 || !name_start(name[0]) || (braced && name[nlen] != '}')) {
        set_err(err, errlen,
                "bad variable reference in \"%s\" (want $NAME or "
                "${NAME})",
                in);
        return -1;
      }
      if (nlen >= sizeof var) {
        set_err(err, errlen, "variable name of %zu bytes in \"%.40s...\"", nlen,
                in);
        return -1;
      }
      memcpy(var, name, nlen);
      var[nlen] = '\0';
      p = name + nlen + braced;
      if (check_only)
        continue;
      val = lookup(var);
      if (!val) {
        set_err(err, errlen, "$%s is not set (in \"%s\")", var, in);
        return -1;
      }
      vlen = strlen(val);
    }
    if (check_only)
      continue;
    if (len + vlen >= outlen) {
      set_err(err, errlen, "\"%.40s%s\" is longer than %zu bytes once expanded",
              in, strlen(in) > 40 ? "..." : "", outlen - 1);
      return -1;
    }
    memcpy(out + len, val, vlen);
    len += vlen;
  }
  if (!check_only)
    out[len] = '\0';
  return 0;
}

int pvmd_hostopts_expand(const char *in, char *out, size_t outlen, char *err,
                         size_t errlen) {
  if (outlen == 0) {
    set_err(err, errlen, "no room to expand \"%s\"", in);
    return -1;
  }
  return expand(in, out, outlen, 0, err, errlen);
}

/* Letters, digits, and the characters of extra; not starting with '-'
 * (which $PVM_RSH would take for an option). */
static int word_ok(const char *s, const char *extra) {
  if (!*s || *s == '-')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || strchr(extra, *s)))
      return 0;
  return 1;
}

/* A path-like value (dx, ep, wd, bx): no quote (the command quotes values
 * with '), no control characters. */
static int path_ok(const char *s) {
  for (; *s; s++)
    if (*s == '\'' || (unsigned char)*s < 0x20 || *s == 0x7f)
      return 0;
  return 1;
}

struct optdesc {
  const char *key;
  unsigned bit;
  size_t max; /* longest value, NUL included */
  int remote; /* kept as written, expanded by that host's daemon */
};

static const struct optdesc optdescs[] = {
    {"lo", PVMD_HO_LO, PVMD_HF_LOGIN_MAX, 0},
    {"so", PVMD_HO_SO, 8, 0},
    {"dx", PVMD_HO_DX, PVMD_HF_VALUE_MAX, 0},
    {"ep", PVMD_HO_EP, PVMD_HF_VALUE_MAX, 1},
    {"wd", PVMD_HO_WD, PVMD_HF_VALUE_MAX, 1},
    {"sp", PVMD_HO_SP, 16, 0},
    {"bx", PVMD_HO_BX, PVMD_HF_VALUE_MAX, 1},
    {"ip", PVMD_HO_IP, PVMD_HOSTNAME_MAX, 0},
    {"id", PVMD_HO_ID, PVMW_VMID_MAX + 1, 0},
};

/* One "key=value" word (n bytes at w) into o. */
static int parse_word(struct pvmd_hostopts *o, const char *w, size_t n,
                      char *err, size_t errlen) {
  const char *eq = memchr(w, '=', n);
  const struct optdesc *od = NULL;
  char val[PVMD_HF_LINE_MAX];
  size_t klen, vlen;
  char **slot = NULL;

  if (!eq) {
    set_err(err, errlen,
            "\"%.*s\" is not an option=value (a host line names one host)",
            (int)(n > 200 ? 200 : n), w);
    return -1;
  }
  klen = (size_t)(eq - w);
  vlen = n - klen - 1;
  for (size_t i = 0; i < sizeof optdescs / sizeof optdescs[0]; i++)
    if (klen == 2 && memcmp(w, optdescs[i].key, 2) == 0)
      od = &optdescs[i];
  if (!od) {
    set_err(err, errlen,
            "unknown option \"%.*s=\" (known: lo= so= dx= ep= wd= sp= bx= "
            "ip= id=)",
            (int)(klen > 40 ? 40 : klen), w);
    return -1;
  }
  if (vlen == 0) {
    set_err(err, errlen, "%s= has no value", od->key);
    return -1;
  }
  if (vlen >= sizeof val) {
    set_err(err, errlen, "%s= value of %zu bytes is too long", od->key, vlen);
    return -1;
  }
  memcpy(val, eq + 1, vlen);
  val[vlen] = '\0';
  if (od->remote) {
    /* Checked here, expanded by the daemon that uses it. */
    if (expand(val, NULL, 0, 1, err, errlen) != 0)
      return -1;
  } else {
    char raw[PVMD_HF_LINE_MAX];
    memcpy(raw, val, vlen + 1);
    if (expand(raw, val, sizeof val, 0, err, errlen) != 0)
      return -1;
    vlen = strlen(val);
  }
  if (vlen >= od->max) {
    set_err(err, errlen, "%s= value \"%.40s%s\" is longer than %zu bytes",
            od->key, val, vlen > 40 ? "..." : "", od->max - 1);
    return -1;
  }
  switch (od->bit) {
  case PVMD_HO_SO:
    if (strcmp(val, "ms") == 0) {
      o->so = PVMD_SO_MS;
    } else if (strcmp(val, "pw") == 0) {
      set_err(err, errlen,
              "so=pw (password prompting) is not supported: daemons are "
              "started with ssh, which is given no password here; put an ssh "
              "key for the host in ~/.ssh/authorized_keys there (ssh-copy-id) "
              "and remove so=pw");
      return -1;
    } else {
      set_err(err, errlen, "so=%s: want so=ms (manual startup)", val);
      return -1;
    }
    break;
  case PVMD_HO_SP: {
    char *end;
    long v;
    errno = 0;
    v = strtol(val, &end, 10);
    if (val[0] < '0' || val[0] > '9' || *end || errno || v < 1 || v > 1000000) {
      set_err(err, errlen, "sp=%s: want a speed from 1 to 1000000", val);
      return -1;
    }
    o->sp = (int)v;
    break;
  }
  case PVMD_HO_LO:
    if (!word_ok(val, "._-")) {
      set_err(err, errlen, "lo=%s: not a login name (A-Z a-z 0-9 . _ -)", val);
      return -1;
    }
    slot = &o->lo;
    break;
  case PVMD_HO_IP:
    if (!word_ok(val, ".:_-")) {
      set_err(err, errlen,
              "ip=%s: not a host name or address (A-Z a-z 0-9 . : _ -)", val);
      return -1;
    }
    slot = &o->ip;
    break;
  case PVMD_HO_ID:
    if (!word_ok(val, "._-")) {
      set_err(err, errlen, "id=%s: not a VM id (A-Z a-z 0-9 . _ -)", val);
      return -1;
    }
    slot = &o->id;
    break;
  default:
    if (!path_ok(val)) {
      set_err(err, errlen, "%s= value holds a quote (') or a control character",
              od->key);
      return -1;
    }
    slot = od->bit == PVMD_HO_DX   ? &o->dx
           : od->bit == PVMD_HO_EP ? &o->ep
           : od->bit == PVMD_HO_WD ? &o->wd
                                   : &o->bx;
    break;
  }
  if (slot && set_str(slot, val) != 0) {
    set_err(err, errlen, "out of memory");
    return -1;
  }
  o->set |= od->bit;
  return 0;
}

int pvmd_hostopts_parse(struct pvmd_hostopts *o, const char *text, char *err,
                        size_t errlen) {
  const char *p = text;
  for (;;) {
    size_t n;
    p += strspn(p, WS);
    if (!*p)
      return 0;
    n = strcspn(p, WS);
    if (parse_word(o, p, n, err, errlen) != 0)
      return -1;
    p += n;
  }
}

/* ---- the table -------------------------------------------------------- */

void pvmd_hostfile_free(struct pvmd_hostfile *hf) {
  for (size_t i = 0; i < hf->n; i++) {
    free(hf->v[i].name);
    pvmd_hostopts_free(&hf->v[i].opts);
  }
  free(hf->v);
  free(hf->path);
  pvmd_hostopts_free(&hf->defaults);
  memset(hf, 0, sizeof *hf);
}

const struct pvmd_hostent *pvmd_hostfile_find(const struct pvmd_hostfile *hf,
                                              const char *name) {
  if (!hf || !name)
    return NULL;
  for (size_t i = 0; i < hf->n; i++)
    if (pvmd_host_name_matches(hf->v[i].name, name) ||
        pvmd_host_name_matches(name, hf->v[i].name))
      return &hf->v[i];
  return NULL;
}

static int host_name_ok(const char *name, size_t n, char *err, size_t errlen) {
  char tmp[PVMD_HOSTNAME_MAX];
  if (n >= sizeof tmp) {
    set_err(err, errlen, "host name of %zu bytes is too long (at most %zu)", n,
            sizeof tmp - 1);
    return -1;
  }
  memcpy(tmp, name, n);
  tmp[n] = '\0';
  if (!pvmw_pki_name_ok(tmp)) {
    set_err(err, errlen,
            "\"%s\" is not a usable host name (1 to %d of A-Z a-z 0-9 . - _, "
            "not starting with . or -)",
            tmp, PVMW_PKI_NAME_MAX);
    return -1;
  }
  return 0;
}

/* One host file line (NUL-terminated, no newline) into hf. */
static int read_line(struct pvmd_hostfile *hf, char *line, int lineno,
                     char *err, size_t errlen) {
  char *p = line + strspn(line, WS), *name;
  struct pvmd_hostopts own = {0};
  struct pvmd_hostent *e, *v;
  const struct pvmd_hostent *dup;
  size_t n;
  int deferred = 0;

  if (*p == '#' || *p == '\0')
    return 0;
  if (*p == '*') {
    if (p[1] && !strchr(WS, p[1])) {
      set_err(err, errlen,
              "'*' (option defaults) must stand alone before the "
              "options");
      return -1;
    }
    if (pvmd_hostopts_parse(&own, p + 1, err, errlen) != 0) {
      pvmd_hostopts_free(&own);
      return -1;
    }
    pvmd_hostopts_free(&hf->defaults); /* a '*' line replaces the last */
    hf->defaults = own;
    return 0;
  }
  if (*p == '$') {
    set_err(err, errlen, "'$' (overloading a host) is not supported");
    return -1;
  }
  if (*p == '&') {
    deferred = 1;
    p++;
    p += strspn(p, WS);
  }
  name = p;
  n = strcspn(name, WS);
  if (n == 0) {
    set_err(err, errlen, "'&' without a host name");
    return -1;
  }
  if (host_name_ok(name, n, err, errlen) != 0)
    return -1;
  p = name + n;
  if (*p)
    *p++ = '\0';
  if ((dup = pvmd_hostfile_find(hf, name))) {
    set_err(err, errlen, "host %s is already named on line %d", name,
            dup->line);
    return -1;
  }
  if (pvmd_hostopts_parse(&own, p, err, errlen) != 0) {
    pvmd_hostopts_free(&own);
    return -1;
  }
  v = realloc(hf->v, (hf->n + 1) * sizeof *v);
  if (!v) {
    pvmd_hostopts_free(&own);
    set_err(err, errlen, "out of memory");
    return -1;
  }
  hf->v = v;
  e = &v[hf->n];
  memset(e, 0, sizeof *e);
  e->line = lineno;
  e->deferred = deferred;
  if (!(e->name = strdup(name)) ||
      pvmd_hostopts_copy(&e->opts, &hf->defaults) != 0 ||
      pvmd_hostopts_merge(&e->opts, &own) != 0) {
    free(e->name);
    pvmd_hostopts_free(&e->opts);
    pvmd_hostopts_free(&own);
    set_err(err, errlen, "out of memory");
    return -1;
  }
  pvmd_hostopts_free(&own);
  hf->n++;
  return 0;
}

int pvmd_hostfile_read(struct pvmd_hostfile *hf, FILE *fp, const char *path,
                       char *err, size_t errlen) {
  char line[PVMD_HF_LINE_MAX + 1], why[768];
  int lineno = 0;

  memset(hf, 0, sizeof *hf);
  if (!(hf->path = strdup(path))) {
    set_err(err, errlen, "out of memory");
    return -1;
  }
  while (fgets(line, sizeof line, fp)) {
    size_t len = strlen(line);
    lineno++;
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      set_err(err, errlen, "host file %s line %d: longer than %d bytes", path,
              lineno, PVMD_HF_LINE_MAX - 1);
      pvmd_hostfile_free(hf);
      return -1;
    }
    if (read_line(hf, line, lineno, why, sizeof why) != 0) {
      set_err(err, errlen, "host file %s line %d: %s", path, lineno, why);
      pvmd_hostfile_free(hf);
      return -1;
    }
  }
  if (ferror(fp)) {
    set_err(err, errlen, "cannot read host file %s: %s", path, strerror(errno));
    pvmd_hostfile_free(hf);
    return -1;
  }
  return 0;
}

int pvmd_hostfile_load(struct pvmd_hostfile *hf, const char *path, char *err,
                       size_t errlen) {
  FILE *fp = fopen(path, "re");
  int rc;
  memset(hf, 0, sizeof *hf);
  if (!fp) {
    set_err(err, errlen, "cannot read host file %s: %s", path, strerror(errno));
    return -1;
  }
  rc = pvmd_hostfile_read(hf, fp, path, err, errlen);
  fclose(fp);
  return rc;
}

/* The CPUs of the allocation's node i, from $SLURM_JOB_CPUS_PER_NODE
 * ("2(x3),1": counts in node order, repeats in parentheses), or 0. */
static long slurm_cpus_of(int i) {
  const char *p = getenv("SLURM_JOB_CPUS_PER_NODE");
  while (p && *p) {
    char *end;
    long cpus = strtol(p, &end, 10), times = 1;
    if (end == p || cpus < 1 || cpus > 100000)
      return 0;
    p = end;
    if (*p == '(') {
      if (p[1] != 'x')
        return 0;
      times = strtol(p + 2, &end, 10);
      if (end == p + 2 || *end != ')' || times < 1)
        return 0;
      p = end + 1;
    }
    if (i < times)
      return cpus;
    i -= (int)times;
    if (*p == ',')
      p++;
    else if (*p)
      return 0;
  }
  return 0;
}

int pvmd_hostfile_slurm(struct pvmd_hostfile *hf, char *err, size_t errlen) {
  const char *list = getenv("SLURM_JOB_NODELIST");
  char cmd[PVMD_HF_LINE_MAX + 64], line[PVMD_HF_LINE_MAX + 1];
  FILE *p, *t;
  int st, n = 0;

  memset(hf, 0, sizeof *hf);
  if (!list || !*list) {
    set_err(err, errlen,
            "-S: SLURM_JOB_NODELIST is not set (not inside a Slurm "
            "allocation: run in salloc, sbatch or srun)");
    return -1;
  }
  /* Node lists are names, digits and brackets ("node[01-04],gpu1"); the
   * shell gets nothing else. */
  if (strlen(list) > PVMD_HF_LINE_MAX ||
      list[strspn(list, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-_.,[]")] != '\0') {
    set_err(err, errlen, "-S: SLURM_JOB_NODELIST \"%.60s\" is not a node list",
            list);
    return -1;
  }
  snprintf(cmd, sizeof cmd, "scontrol show hostnames '%s' 2>&1", list);
  if (!(t = tmpfile())) {
    set_err(err, errlen, "-S: tmpfile: %s", strerror(errno));
    return -1;
  }
  if (!(p = popen(cmd, "r"))) {
    set_err(err, errlen, "-S: cannot run scontrol: %s", strerror(errno));
    fclose(t);
    return -1;
  }
  /* Each node's speed is 1000 per CPU the job has there: with -S, spawns
   * place tasks in proportion to it. */
  while (fgets(line, sizeof line, p)) {
    long cpus = slurm_cpus_of(n++);
    line[strcspn(line, "\r\n")] = '\0';
    if (cpus > 0 && cpus <= 1000000)
      fprintf(t, "%s sp=%ld\n", line, cpus * 1000);
    else
      fprintf(t, "%s\n", line);
  }
  st = pclose(p);
  if (st != 0 || n == 0) {
    set_err(err, errlen,
            "-S: `scontrol show hostnames %s` failed (status %d)%s%s", list,
            st == -1 ? -1 : WEXITSTATUS(st), n ? ": " : "",
            n ? strtok(line, "\n") : "");
    fclose(t);
    return -1;
  }
  rewind(t);
  st = pvmd_hostfile_read(hf, t, "SLURM_JOB_NODELIST", err, errlen);
  fclose(t);
  return st;
}

int pvmd_hostfile_resolve(const struct pvmd_hostfile *hf, const char *spec,
                          char *name, size_t namelen, struct pvmd_hostopts *o,
                          char *err, size_t errlen) {
  const char *p = spec + strspn(spec, WS);
  const struct pvmd_hostent *e;
  struct pvmd_hostopts own = {0};
  char nm[PVMD_HOSTNAME_MAX];
  size_t n = strcspn(p, WS);

  memset(o, 0, sizeof *o);
  if (strlen(spec) >= PVMD_HF_LINE_MAX) {
    set_err(err, errlen, "host \"%.40s...\" is longer than %d bytes", spec,
            PVMD_HF_LINE_MAX - 1);
    return -1;
  }
  if (n == 0) {
    set_err(err, errlen, "no host name given");
    return -1;
  }
  if (host_name_ok(p, n, err, errlen) != 0)
    return -1;
  if (n >= namelen) {
    set_err(err, errlen, "host name of %zu bytes is too long", n);
    return -1;
  }
  memcpy(nm, p, n);
  nm[n] = '\0';
  if (pvmd_hostopts_parse(&own, p + n, err, errlen) != 0) {
    pvmd_hostopts_free(&own);
    return -1;
  }
  e = pvmd_hostfile_find(hf, nm);
  if ((e && pvmd_hostopts_copy(o, &e->opts) != 0) ||
      (!e && hf && pvmd_hostopts_copy(o, &hf->defaults) != 0) ||
      pvmd_hostopts_merge(o, &own) != 0) {
    pvmd_hostopts_free(o);
    pvmd_hostopts_free(&own);
    set_err(err, errlen, "out of memory");
    return -1;
  }
  pvmd_hostopts_free(&own);
  memcpy(name, nm, n + 1);
  return 0;
}

/* ---- starting a host -------------------------------------------------- */

/* Appends the printf result to out at *len; -1 when it does not fit. */
__attribute__((format(printf, 4, 5))) static int
put(char *out, size_t outlen, size_t *len, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(out + *len, outlen - *len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= outlen - *len)
    return -1;
  *len += (size_t)n;
  return 0;
}

/* Appends "pre'value'"; -1 when value holds a quote or it does not fit. */
static int put_quoted(char *out, size_t outlen, size_t *len, const char *pre,
                      const char *value) {
  if (strchr(value, '\''))
    return -1;
  return put(out, outlen, len, "%s'%s'", pre, value);
}

int pvmd_hostopts_command(const struct pvmd_hostopts *o, const char *name,
                          const char *vmid, const char *certdir,
                          const char *self_exe, const char *master, int debug,
                          char *out, size_t outlen, char *err, size_t errlen) {
  const char *id = o->id ? o->id : vmid;
  size_t len = 0;
  int bad = 0;

  if (outlen == 0)
    return -1;
  out[0] = '\0';
  if (id && *id)
    bad |= put_quoted(out, outlen, &len, "PVM_VMID=", id) ||
           put(out, outlen, &len, " ");
  if (certdir && *certdir)
    bad |= put_quoted(out, outlen, &len, "PVM_CERTDIR=", certdir) ||
           put(out, outlen, &len, " ");
  if (!o->dx)
    bad |= put_quoted(out, outlen, &len, "", self_exe);
  else if (o->dx[0] == '/' || !strchr(o->dx, '/'))
    bad |= put_quoted(out, outlen, &len, "", o->dx);
  else /* relative to the home directory over there */
    bad |= put_quoted(out, outlen, &len, "\"$HOME\"/", o->dx);
  bad |= put(out, outlen, &len, " -s %s -n %s%s", master, name,
             debug ? " -d" : "");
  if (o->ep)
    bad |= put_quoted(out, outlen, &len, " -e ", o->ep);
  if (o->wd)
    bad |= put_quoted(out, outlen, &len, " -w ", o->wd);
  if (o->bx)
    bad |= put_quoted(out, outlen, &len, " -b ", o->bx);
  if (bad) {
    set_err(err, errlen,
            "the command to start %s is longer than %zu bytes or a value "
            "holds a quote (')",
            name, outlen - 1);
    return -1;
  }
  return 0;
}

void pvmd_hostopts_rsh_argv(const struct pvmd_hostopts *o, const char *name,
                            const char *rsh, const char *command, char **argv) {
  int i = 0;
  argv[i++] = (char *)rsh;
  if (o->lo) {
    argv[i++] = (char *)"-l";
    argv[i++] = o->lo;
  }
  argv[i++] = (char *)(o->ip ? o->ip : name);
  argv[i++] = (char *)command;
  argv[i] = NULL;
}
