/* Unit tests for daemon/hostopts.c: the host file of pvmd3(1PVM) parsed
 * into a table (every option, '*' defaults, '&' lines, comments and blank
 * lines, errors naming the file and line, $VAR expansion, overlong lines
 * and values), the options of a host named to pvm_addhosts, and the
 * command and $PVM_RSH arguments that start a host, and the host list of
 * a Slurm allocation (pvmd -S). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "hostopts.h"

/* Parses text as host file "test.hosts"; returns the loader's result. */
static int parse(struct pvmd_hostfile *hf, const char *text, char *err,
                 size_t errlen) {
  FILE *fp = fmemopen((void *)text, strlen(text), "r");
  int rc;
  assert_non_null(fp);
  err[0] = '\0';
  rc = pvmd_hostfile_read(hf, fp, "test.hosts", err, errlen);
  fclose(fp);
  return rc;
}

static void setup_env(void) {
  setenv("HF_USER", "guest", 1);
  setenv("HF_DIR", "/opt/pvm", 1);
  setenv("HF_ID", "vm7", 1);
  unsetenv("HF_UNSET");
  unsetenv("PVM_ARCH");
}

static void test_every_option(void **state) {
  struct pvmd_hostfile hf;
  char err[512];
  const struct pvmd_hostent *e;
  (void)state;
  setup_env();
  assert_int_equal(
      parse(&hf,
            "alpha lo=$HF_USER so=ms dx=${HF_DIR}/bin/pvmd ep=$HOME/bin:/b "
            "wd=/tmp/w sp=2500 bx=/usr/bin/gdb ip=10.1.2.3 id=${HF_ID}x\n",
            err, sizeof err),
      0);
  assert_int_equal(hf.n, 1);
  e = &hf.v[0];
  assert_string_equal(e->name, "alpha");
  assert_int_equal(e->line, 1);
  assert_false(e->deferred);
  assert_int_equal(e->opts.set, PVMD_HO_LO | PVMD_HO_SO | PVMD_HO_DX |
                                    PVMD_HO_EP | PVMD_HO_WD | PVMD_HO_SP |
                                    PVMD_HO_BX | PVMD_HO_IP | PVMD_HO_ID);
  /* the master's values are expanded as they are read ... */
  assert_string_equal(e->opts.lo, "guest");
  assert_int_equal(e->opts.so, PVMD_SO_MS);
  assert_string_equal(e->opts.dx, "/opt/pvm/bin/pvmd");
  assert_int_equal(e->opts.sp, 2500);
  assert_string_equal(e->opts.ip, "10.1.2.3");
  assert_string_equal(e->opts.id, "vm7x");
  /* ... those of the host's own daemon are kept for it to expand */
  assert_string_equal(e->opts.ep, "$HOME/bin:/b");
  assert_string_equal(e->opts.wd, "/tmp/w");
  assert_string_equal(e->opts.bx, "/usr/bin/gdb");
  pvmd_hostfile_free(&hf);

  /* A host line with no options has none set. */
  assert_int_equal(parse(&hf, "beta\n", err, sizeof err), 0);
  assert_int_equal(hf.v[0].opts.set, 0u);
  assert_null(hf.v[0].opts.lo);
  assert_int_equal(hf.v[0].opts.sp, 0);
  pvmd_hostfile_free(&hf);
}

static void test_defaults(void **state) {
  struct pvmd_hostfile hf;
  struct pvmd_hostopts o;
  char err[512], name[PVMD_HOSTNAME_MAX];
  const struct pvmd_hostent *e;
  (void)state;
  setup_env();
  assert_int_equal(parse(&hf,
                         "h0\n"
                         "* lo=a sp=5\n"
                         "h1\n"
                         "h2 lo=b\n"
                         "*\tdx=/x ep=/e\n"
                         "h3\n"
                         "h4 sp=9 dx=rel/pvmd\n",
                         err, sizeof err),
                   0);
  assert_int_equal(hf.n, 5);
  /* before any '*' line: nothing */
  assert_int_equal(pvmd_hostfile_find(&hf, "h0")->opts.set, 0u);
  /* the defaults apply to the lines that follow ... */
  e = pvmd_hostfile_find(&hf, "h1");
  assert_string_equal(e->opts.lo, "a");
  assert_int_equal(e->opts.sp, 5);
  /* ... under the line's own options */
  e = pvmd_hostfile_find(&hf, "h2");
  assert_string_equal(e->opts.lo, "b");
  assert_int_equal(e->opts.sp, 5);
  /* a '*' line replaces the defaults before it */
  e = pvmd_hostfile_find(&hf, "h3");
  assert_null(e->opts.lo);
  assert_int_equal(e->opts.sp, 0);
  assert_string_equal(e->opts.dx, "/x");
  assert_string_equal(e->opts.ep, "/e");
  e = pvmd_hostfile_find(&hf, "h4");
  assert_int_equal(e->opts.sp, 9);
  assert_string_equal(e->opts.dx, "rel/pvmd");
  assert_string_equal(e->opts.ep, "/e");

  /* The last '*' line applies to hosts added later without a line ... */
  assert_int_equal(pvmd_hostfile_resolve(&hf, "newhost", name, sizeof name, &o,
                                         err, sizeof err),
                   0);
  assert_string_equal(name, "newhost");
  assert_string_equal(o.dx, "/x");
  assert_string_equal(o.ep, "/e");
  assert_null(o.lo);
  pvmd_hostopts_free(&o);
  /* ... a host with a line gets its line's options, then those given */
  assert_int_equal(pvmd_hostfile_resolve(&hf, "  h1   sp=7 wd=/w ", name,
                                         sizeof name, &o, err, sizeof err),
                   0);
  assert_string_equal(name, "h1");
  assert_string_equal(o.lo, "a");
  assert_int_equal(o.sp, 7);
  assert_string_equal(o.wd, "/w");
  assert_null(o.dx);
  pvmd_hostopts_free(&o);
  pvmd_hostfile_free(&hf);

  /* Without a host file, only the options given. */
  assert_int_equal(pvmd_hostfile_resolve(NULL, "solo lo=x", name, sizeof name,
                                         &o, err, sizeof err),
                   0);
  assert_string_equal(name, "solo");
  assert_int_equal(o.set, PVMD_HO_LO);
  assert_string_equal(o.lo, "x");
  pvmd_hostopts_free(&o);
}

static void test_deferred(void **state) {
  struct pvmd_hostfile hf;
  struct pvmd_hostopts o;
  char err[512], name[PVMD_HOSTNAME_MAX];
  (void)state;
  setup_env();
  assert_int_equal(parse(&hf,
                         "now1\n"
                         "&later1 ep=/a\n"
                         "  &   later2.example.org sp=3\n",
                         err, sizeof err),
                   0);
  assert_int_equal(hf.n, 3);
  assert_false(hf.v[0].deferred);
  assert_true(hf.v[1].deferred);
  assert_string_equal(hf.v[1].name, "later1");
  assert_true(hf.v[2].deferred);
  assert_string_equal(hf.v[2].name, "later2.example.org");
  /* pvm_addhosts takes a '&' line's options, by full or short name */
  assert_int_equal(pvmd_hostfile_resolve(&hf, "later1", name, sizeof name, &o,
                                         err, sizeof err),
                   0);
  assert_string_equal(o.ep, "/a");
  pvmd_hostopts_free(&o);
  assert_int_equal(pvmd_hostfile_resolve(&hf, "LATER2", name, sizeof name, &o,
                                         err, sizeof err),
                   0);
  assert_string_equal(name, "LATER2");
  assert_int_equal(o.sp, 3);
  pvmd_hostopts_free(&o);
  pvmd_hostfile_free(&hf);
}

static void test_comments_blank(void **state) {
  struct pvmd_hostfile hf;
  char err[512];
  (void)state;
  assert_int_equal(parse(&hf,
                         "# my first host file\n"
                         "\n"
                         "   \t \n"
                         "  # indented comment lo=bad=\n"
                         "thud\r\n"
                         "fred   # not a comment here: a bad option\n",
                         err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "test.hosts line 6:"));
  pvmd_hostfile_free(&hf);
  assert_int_equal(parse(&hf,
                         "# my first host file\n"
                         "\n"
                         "   \t \n"
                         "  # indented comment lo=bad=\n"
                         "thud\r\n"
                         "fred\n"
                         "wilma", /* no newline at the end */
                         err, sizeof err),
                   0);
  assert_int_equal(hf.n, 3);
  assert_string_equal(hf.v[0].name, "thud");
  assert_int_equal(hf.v[0].line, 5);
  assert_string_equal(hf.v[2].name, "wilma");
  assert_int_equal(hf.v[2].line, 7);
  pvmd_hostfile_free(&hf);
  /* an empty file is a table without hosts */
  assert_int_equal(parse(&hf, "", err, sizeof err), 0);
  assert_int_equal(hf.n, 0);
  pvmd_hostfile_free(&hf);
}

struct bad {
  const char *text;
  int line;
  const char *why;
};

static void test_bad_lines(void **state) {
  static const struct bad bad[] = {
      {"a\nb zz=1\n", 2, "unknown option \"zz=\""},
      {"a lo\n", 1, "\"lo\" is not an option=value"},
      {"a b\n", 1, "\"b\" is not an option=value"},
      {"a lo=\n", 1, "lo= has no value"},
      {"a sp=0\n", 1, "sp=0: want a speed from 1 to 1000000"},
      {"a sp=1000001\n", 1, "want a speed"},
      {"a sp=12x\n", 1, "want a speed"},
      {"a sp=-5\n", 1, "want a speed"},
      {"#\n* lo=x so=pw\n", 2, "so=pw (password prompting) is not supported"},
      {"a so=pw\n", 1, "ssh key"},
      {"a so=xx\n", 1, "so=xx: want so=ms"},
      {"a lo=-oProxyCommand=x\n", 1, "not a login name"},
      {"a ip=-x\n", 1, "not a host name or address"},
      {"a id=a/b\n", 1, "not a VM id"},
      {"a dx=/it's/pvmd\n", 1, "holds a quote"},
      {"bad/name\n", 1, "is not a usable host name"},
      {"-a\n", 1, "is not a usable host name"},
      {"a\n\nA lo=x\n", 3, "host A is already named on line 1"},
      {"$a\n", 1, "overloading"},
      {"*lo=x\n", 1, "'*' (option defaults) must stand alone"},
      {"&\n", 1, "'&' without a host name"},
      {"a lo=$HF_UNSET\n", 1, "$HF_UNSET is not set"},
      {"a ep=${HF_DIR\n", 1, "bad variable reference"},
      {"a wd=${}\n", 1, "bad variable reference"},
  };
  struct pvmd_hostfile hf;
  char err[1024], want[64];
  (void)state;
  setup_env();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = parse(&hf, bad[i].text, err, sizeof err);
    snprintf(want, sizeof want, "host file test.hosts line %d: ", bad[i].line);
    if (rc != -1 || strncmp(err, want, strlen(want)) != 0 ||
        !strstr(err, bad[i].why))
      fail_msg("%s: got %d \"%s\", want \"%s%s\"", bad[i].text, rc, err, want,
               bad[i].why);
    /* a failed load leaves nothing to free, and may be freed again */
    assert_int_equal(hf.n, 0);
    pvmd_hostfile_free(&hf);
  }
}

static void test_expand(void **state) {
  char out[64], small[8], err[256];
  (void)state;
  setup_env();
  assert_int_equal(pvmd_hostopts_expand("$HF_DIR/x:${HF_USER}y", out,
                                        sizeof out, err, sizeof err),
                   0);
  assert_string_equal(out, "/opt/pvm/x:guesty");
  /* $PVM_ARCH is this daemon's architecture when not set */
  assert_int_equal(
      pvmd_hostopts_expand("bin/$PVM_ARCH", out, sizeof out, err, sizeof err),
      0);
  assert_string_equal(out, "bin/" PVMD_ARCH);
  setenv("PVM_ARCH", "OTHER", 1);
  assert_int_equal(
      pvmd_hostopts_expand("${PVM_ARCH}", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "OTHER");
  unsetenv("PVM_ARCH");
  /* a '$' before anything but a name or '{' stands for itself */
  assert_int_equal(
      pvmd_hostopts_expand("a$ $1 $-$", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "a$ $1 $-$");
  assert_int_equal(
      pvmd_hostopts_expand("$HF_UNSET", out, sizeof out, err, sizeof err), -1);
  assert_non_null(strstr(err, "$HF_UNSET is not set"));
  /* the result must fit, and nothing is written past the end */
  memset(small, 'Z', sizeof small);
  assert_int_equal(
      pvmd_hostopts_expand("$HF_DIR", small, sizeof small - 1, err, sizeof err),
      -1);
  assert_int_equal(small[sizeof small - 1], 'Z');
  assert_non_null(strstr(err, "longer than 6 bytes once expanded"));
  assert_int_equal(
      pvmd_hostopts_expand("1234567", small, sizeof small, err, sizeof err), 0);
  assert_int_equal(
      pvmd_hostopts_expand("12345678", small, sizeof small, err, sizeof err),
      -1);
}

static void test_overlong(void **state) {
  struct pvmd_hostfile hf;
  struct pvmd_hostopts o;
  char err[1024], name[PVMD_HOSTNAME_MAX];
  size_t big = 3 * PVMD_HF_LINE_MAX;
  char *text = malloc(big + 64), *val = malloc(big);
  (void)state;
  assert_non_null(text);
  assert_non_null(val);
  setup_env();

  /* a line longer than the limit, even a comment */
  memset(val, 'x', big - 1);
  val[big - 1] = '\0';
  snprintf(text, big + 64, "ok\n#%s\n", val);
  assert_int_equal(parse(&hf, text, err, sizeof err), -1);
  assert_non_null(strstr(err, "host file test.hosts line 2: longer than"));
  pvmd_hostfile_free(&hf);
  /* the longest line that fits */
  memset(val, 'x', PVMD_HF_LINE_MAX - 2);
  val[PVMD_HF_LINE_MAX - 2] = '\0';
  snprintf(text, big + 64, "#%s\nok\n", val);
  assert_int_equal(strlen(text), PVMD_HF_LINE_MAX + 3);
  assert_int_equal(parse(&hf, text, err, sizeof err), 0);
  assert_int_equal(hf.v[0].line, 2);
  pvmd_hostfile_free(&hf);

  /* values longer than their option allows */
  memset(val, 'u', PVMD_HF_LOGIN_MAX);
  val[PVMD_HF_LOGIN_MAX] = '\0';
  snprintf(text, big + 64, "a lo=%s\n", val);
  assert_int_equal(parse(&hf, text, err, sizeof err), -1);
  assert_non_null(strstr(err, "lo= value"));
  assert_non_null(strstr(err, "is longer than 63 bytes"));
  pvmd_hostfile_free(&hf);
  memset(val, 'h', PVMD_HOSTNAME_MAX);
  val[PVMD_HOSTNAME_MAX] = '\0';
  snprintf(text, big + 64, "a ip=%s\n", val);
  assert_int_equal(parse(&hf, text, err, sizeof err), -1);
  assert_non_null(strstr(err, "ip= value"));
  pvmd_hostfile_free(&hf);
  snprintf(text, big + 64, "%s\n", val);
  assert_int_equal(parse(&hf, text, err, sizeof err), -1);
  assert_non_null(strstr(err, "host name of 256 bytes is too long"));
  pvmd_hostfile_free(&hf);
  /* ... and once expanded: 3 x 600 bytes from a short line */
  memset(val, 'd', 600);
  val[600] = '\0';
  setenv("HF_BIG", val, 1);
  assert_int_equal(
      parse(&hf, "a dx=/$HF_BIG/$HF_BIG/$HF_BIG\n", err, sizeof err), -1);
  assert_non_null(strstr(err, "once expanded"));
  pvmd_hostfile_free(&hf);
  /* a value kept for the remote daemon is checked by its own length */
  assert_int_equal(parse(&hf, "a ep=$HF_BIG/$HF_BIG\n", err, sizeof err), 0);
  pvmd_hostfile_free(&hf);

  /* a host spec for pvm_addhosts */
  memset(val, 's', big - 1);
  val[big - 1] = '\0';
  assert_int_equal(
      pvmd_hostfile_resolve(NULL, val, name, sizeof name, &o, err, sizeof err),
      -1);
  assert_non_null(strstr(err, "is longer than"));
  assert_int_equal(
      pvmd_hostfile_resolve(NULL, "  ", name, sizeof name, &o, err, sizeof err),
      -1);
  assert_int_equal(pvmd_hostfile_resolve(NULL, "x so=pw", name, sizeof name, &o,
                                         err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "ssh key"));
  assert_int_equal(
      pvmd_hostfile_resolve(NULL, "abcdef", name, 4, &o, err, sizeof err), -1);
  free(text);
  free(val);
}

static void test_command(void **state) {
  struct pvmd_hostopts o = {0};
  char out[512], err[256], tiny[32];
  char *argv[6];
  (void)state;

  assert_int_equal(pvmd_hostopts_command(&o, "h2", "vm1", NULL, "/usr/lib/pvmd",
                                         "10.0.0.1:4000", 0, out, sizeof out,
                                         err, sizeof err),
                   0);
  assert_string_equal(out,
                      "PVM_VMID='vm1' '/usr/lib/pvmd' -s 10.0.0.1:4000 -n h2");
  /* dx= relative to the remote home, id=, options for that daemon */
  o.dx = strdup("pvm/bin/pvmd");
  o.id = strdup("other");
  o.ep = strdup("$HOME/bin:/b");
  o.wd = strdup("/w d");
  o.bx = strdup("/gdb");
  assert_int_equal(pvmd_hostopts_command(&o, "h2", "vm1", "/c", "/self", "a:1",
                                         1, out, sizeof out, err, sizeof err),
                   0);
  assert_string_equal(out, "PVM_VMID='other' PVM_CERTDIR='/c' "
                           "\"$HOME\"/'pvm/bin/pvmd' -s a:1 -n h2 -d "
                           "-e '$HOME/bin:/b' -w '/w d' -b '/gdb'");
  /* a simple name is found in the PATH over there; absolute as it is */
  free(o.dx);
  o.dx = strdup("pvmd3");
  assert_int_equal(pvmd_hostopts_command(&o, "h2", "", NULL, "/self", "a:1", 0,
                                         out, sizeof out, err, sizeof err),
                   0);
  assert_non_null(strstr(out, "PVM_VMID='other' 'pvmd3' -s"));
  free(o.dx);
  o.dx = strdup("/abs/pvmd");
  assert_int_equal(pvmd_hostopts_command(&o, "h2", "", NULL, "/self", "a:1", 0,
                                         out, sizeof out, err, sizeof err),
                   0);
  assert_non_null(strstr(out, " '/abs/pvmd' -s"));
  /* too long for the buffer, or a quote */
  assert_int_equal(pvmd_hostopts_command(&o, "h2", "", NULL, "/self", "a:1", 0,
                                         tiny, sizeof tiny, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "longer than 31 bytes"));
  assert_int_equal(pvmd_hostopts_command(&o, "h2", "", "/it's", "/self", "a:1",
                                         0, out, sizeof out, err, sizeof err),
                   -1);

  /* $PVM_RSH's arguments: -l login, the ip= name as the target */
  pvmd_hostopts_rsh_argv(&o, "h2", "ssh", "CMD", argv);
  assert_string_equal(argv[0], "ssh");
  assert_string_equal(argv[1], "h2");
  assert_string_equal(argv[2], "CMD");
  assert_null(argv[3]);
  o.lo = strdup("guest");
  o.ip = strdup("h2-fast");
  pvmd_hostopts_rsh_argv(&o, "h2", "ssh", "CMD", argv);
  assert_string_equal(argv[1], "-l");
  assert_string_equal(argv[2], "guest");
  assert_string_equal(argv[3], "h2-fast");
  assert_string_equal(argv[4], "CMD");
  assert_null(argv[5]);
  pvmd_hostopts_free(&o);
}

static void test_merge_copy(void **state) {
  struct pvmd_hostopts a = {0}, b = {0};
  char err[256];
  (void)state;
  assert_int_equal(pvmd_hostopts_parse(&a, "lo=x sp=3 lo=y", err, sizeof err),
                   0);
  assert_string_equal(a.lo, "y"); /* the last one given wins */
  assert_int_equal(pvmd_hostopts_parse(&b, " sp=4\tep=/e ", err, sizeof err),
                   0);
  assert_int_equal(pvmd_hostopts_merge(&a, &b), 0);
  assert_string_equal(a.lo, "y");
  assert_int_equal(a.sp, 4);
  assert_string_equal(a.ep, "/e");
  assert_int_equal(pvmd_hostopts_copy(&b, &a), 0);
  assert_ptr_not_equal(a.ep, b.ep);
  assert_string_equal(b.ep, "/e");
  assert_int_equal(b.set, PVMD_HO_LO | PVMD_HO_SP | PVMD_HO_EP);
  pvmd_hostopts_free(&a);
  pvmd_hostopts_free(&b);
}

/* The example host file of deploy/ is a valid one. */
static void test_example(void **state) {
  struct pvmd_hostfile hf;
  const struct pvmd_hostent *e;
  char err[1024];
  (void)state;
  setenv("HOME", "/home/u", 1);
  if (pvmd_hostfile_load(&hf, HOSTFILE_EXAMPLE, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_int_equal(hf.n, 7);
  e = pvmd_hostfile_find(&hf, "node4");
  assert_string_equal(e->opts.lo, "pvmuser");
  assert_int_equal(e->opts.sp, 4000);
  e = pvmd_hostfile_find(&hf, "gpu1");
  assert_null(e->opts.lo);
  assert_string_equal(e->opts.ip, "gpu1-ib0");
  assert_true(pvmd_hostfile_find(&hf, "bignode")->deferred);
  assert_int_equal(pvmd_hostfile_find(&hf, "dmz1")->opts.so, PVMD_SO_MS);
  pvmd_hostfile_free(&hf);
  /* and a missing file is named */
  assert_int_equal(
      pvmd_hostfile_load(&hf, "/nonexistent/hosts", err, sizeof err), -1);
  assert_non_null(strstr(err, "cannot read host file /nonexistent/hosts"));
}

/* pvmd -S: the allocation's nodes from a stand-in scontrol on PATH, each
 * with 1000 per CPU of SLURM_JOB_CPUS_PER_NODE as its speed; a node list
 * with shell characters, a missing one and a failing scontrol refused. */
static void test_slurm(void **state) {
  struct pvmd_hostfile hf;
  char dir[] = "/tmp/test_slurm.XXXXXX", path[64], err[512], *old;
  const char *oldpath = getenv("PATH");
  FILE *fp;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/scontrol", dir);
  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("#!/bin/sh\n[ \"$1 $2 $3\" = \"show hostnames n[1-3]\" ] || "
        "{ echo \"scontrol: error: bad list $3\"; exit 1; }\n"
        "printf 'n1\\nn2\\nn3\\n'\n",
        fp);
  fclose(fp);
  chmod(path, 0755);
  old = strdup(oldpath ? oldpath : "/usr/bin:/bin");
  assert_non_null(old);
  {
    char np[4096];
    snprintf(np, sizeof np, "%s:%s", dir, old);
    setenv("PATH", np, 1);
  }
  setenv("SLURM_JOB_NODELIST", "n[1-3]", 1);
  setenv("SLURM_JOB_CPUS_PER_NODE", "2(x2),1", 1);
  assert_int_equal(pvmd_hostfile_slurm(&hf, err, sizeof err), 0);
  assert_int_equal(hf.n, 3);
  assert_string_equal(hf.v[0].name, "n1");
  assert_int_equal(hf.v[0].opts.sp, 2000);
  assert_int_equal(hf.v[1].opts.sp, 2000);
  assert_string_equal(hf.v[2].name, "n3");
  assert_int_equal(hf.v[2].opts.sp, 1000);
  pvmd_hostfile_free(&hf);
  /* Counts that do not parse leave the speeds alone. */
  setenv("SLURM_JOB_CPUS_PER_NODE", "2(y2)", 1);
  assert_int_equal(pvmd_hostfile_slurm(&hf, err, sizeof err), 0);
  assert_int_equal(hf.v[0].opts.sp, 0);
  pvmd_hostfile_free(&hf);
  setenv("SLURM_JOB_NODELIST", "n[4-5]", 1);
  assert_int_equal(pvmd_hostfile_slurm(&hf, err, sizeof err), -1);
  assert_non_null(strstr(err, "bad list n[4-5]"));
  setenv("SLURM_JOB_NODELIST", "n1;reboot", 1);
  assert_int_equal(pvmd_hostfile_slurm(&hf, err, sizeof err), -1);
  assert_non_null(strstr(err, "is not a node list"));
  unsetenv("SLURM_JOB_NODELIST");
  assert_int_equal(pvmd_hostfile_slurm(&hf, err, sizeof err), -1);
  assert_non_null(strstr(err, "SLURM_JOB_NODELIST is not set"));
  unsetenv("SLURM_JOB_CPUS_PER_NODE");
  setenv("PATH", old, 1);
  free(old);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_option),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_deferred),
      cmocka_unit_test(test_comments_blank),
      cmocka_unit_test(test_bad_lines),
      cmocka_unit_test(test_expand),
      cmocka_unit_test(test_overlong),
      cmocka_unit_test(test_command),
      cmocka_unit_test(test_merge_copy),
      cmocka_unit_test(test_example),
      cmocka_unit_test(test_slurm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
