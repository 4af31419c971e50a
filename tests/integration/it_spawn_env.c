/* it_spawn_env: what a spawned task inherits. Variables named in PVM_EXPORT
 * (only those, and PVM_EXPORT itself) reach the child; PVM_WD sets its
 * working directory; argv arrives intact (empty strings, spaces, newlines);
 * a plain program name is found on the daemon's path (vm.sh --path-link
 * puts a link there; its name is this program's first argument). */
#include <sys/stat.h>

#include "it_common.h"

#define TAG_REPORT 71

/* The child reports: argc-3, each extra argument, getcwd and four
 * variables ("" + a flag when unset). */
static int child(int argc, char **argv) {
  static const char *vars[] = {"IT_EXPORTED", "IT_ALSO", "IT_SECRET",
                               "PVM_EXPORT"};
  int parent = pvm_parent(), n = argc - 3;
  char cwd[PATH_MAX];

  IT_CHECK(parent > 0, "pvm_parent() = %d", parent);
  IT_CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd failed");
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&n, 1, 1);
  for (int i = 3; i < argc; i++)
    pvm_pkstr(argv[i]);
  pvm_pkstr(cwd);
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    int set = v != NULL;
    pvm_pkint(&set, 1, 1);
    pvm_pkstr((char *)(v ? v : ""));
  }
  IT_CHECK(pvm_send(parent, TAG_REPORT) == 0, "pvm_send(TAG_REPORT) failed");
  pvm_exit();
  return 0;
}

struct report {
  int nargs;
  char args[8][256];
  char cwd[PATH_MAX];
  int set[4];
  char val[4][256];
};

static void get_report(int kid, struct report *r) {
  int b = pvm_recv(kid, TAG_REPORT);
  IT_CHECK(b > 0, "no report from t%x (%d)", kid, b);
  memset(r, 0, sizeof *r);
  IT_CHECK(pvm_upkint(&r->nargs, 1, 1) == 0 && r->nargs >= 0 && r->nargs <= 8,
           "bad argument count in the report");
  for (int i = 0; i < r->nargs; i++)
    IT_CHECK(pvm_upkstr(r->args[i]) == 0, "unpacking argument %d failed", i);
  IT_CHECK(pvm_upkstr(r->cwd) == 0, "unpacking cwd failed");
  for (int i = 0; i < 4; i++)
    IT_CHECK(pvm_upkint(&r->set[i], 1, 1) == 0 && pvm_upkstr(r->val[i]) == 0,
             "unpacking variable %d failed", i);
}

static int spawn_named(char *name, char **args) {
  int tid = 0, cc = pvm_spawn(name, args, PvmTaskDefault, "", 1, &tid);
  IT_CHECK(cc == 1 && tid > 0, "pvm_spawn(\"%s\") returned %d, tids[0] %d",
           name, cc, tid);
  return tid;
}

int main(int argc, char **argv) {
  char *args[] = {"--child",
                  "report",
                  "plain",
                  "",
                  "two  spaces ",
                  "new\nline\ttab",
                  "",
                  "\"quoted\" 'single' $HOME *",
                  NULL};
  const int nextra = 6;
  struct report r;
  char wd[PATH_MAX], realwd[PATH_MAX], realcwd[PATH_MAX];
  const char *tmp = getenv("PVM_TMP");
  int kid;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    return child(argc, argv);
  }
  it_set_name(argv[0], NULL);
  it_guard(100);
  IT_CHECK(argc == 2, "usage: %s <name of this program on the daemon's path>",
           argv[0]);
  IT_CHECK(tmp != NULL, "PVM_TMP is not set (run under vm.sh)");
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");

  /* Exported variables and working directory come from the parent's
   * environment at spawn time. */
  snprintf(wd, sizeof wd, "%s/it-wd with space", tmp);
  IT_CHECK(mkdir(wd, 0700) == 0, "mkdir %s failed", wd);
  IT_CHECK(realpath(wd, realwd) != NULL, "realpath(%s) failed", wd);
  setenv("IT_EXPORTED", "value with spaces = and : colon-free", 1);
  setenv("IT_ALSO", "", 1);
  setenv("IT_SECRET", "must not be passed", 1);
  setenv("PVM_EXPORT", "IT_EXPORTED:IT_ALSO", 1);
  setenv("PVM_WD", wd, 1);

  kid = spawn_named((char *)it_self_path(), args);
  get_report(kid, &r);
  IT_CHECK(r.nargs == nextra, "child got %d extra arguments, want %d", r.nargs,
           nextra);
  for (int i = 0; i < nextra; i++)
    IT_CHECK(strcmp(r.args[i], args[2 + i]) == 0,
             "argument %d is \"%s\", want \"%s\"", i, r.args[i], args[2 + i]);
  IT_CHECK(realpath(r.cwd, realcwd) != NULL && strcmp(realcwd, realwd) == 0,
           "child's cwd is \"%s\", want PVM_WD \"%s\"", r.cwd, wd);
  IT_CHECK(r.set[0] && strcmp(r.val[0], getenv("IT_EXPORTED")) == 0,
           "IT_EXPORTED in the child: set %d \"%s\"", r.set[0], r.val[0]);
  IT_CHECK(r.set[1] && r.val[1][0] == '\0',
           "IT_ALSO (empty) in the child: set %d \"%s\"", r.set[1], r.val[1]);
  IT_CHECK(!r.set[2], "IT_SECRET (not in PVM_EXPORT) reached the child: \"%s\"",
           r.val[2]);
  IT_CHECK(r.set[3] && strcmp(r.val[3], "IT_EXPORTED:IT_ALSO") == 0,
           "PVM_EXPORT itself in the child: set %d \"%s\"", r.set[3], r.val[3]);
  it_note("PVM_EXPORT, PVM_WD and argv: OK");

  /* Without PVM_WD and PVM_EXPORT nothing of the above is passed. */
  unsetenv("PVM_WD");
  unsetenv("PVM_EXPORT");
  {
    char *noargs[] = {"--child", "report", NULL};
    kid = spawn_named((char *)it_self_path(), noargs);
    get_report(kid, &r);
    IT_CHECK(r.nargs == 0, "child got %d extra arguments, want 0", r.nargs);
    IT_CHECK(!r.set[0] && !r.set[1] && !r.set[3],
             "variables reached the child without PVM_EXPORT");
  }

  /* By plain name, found on the daemon's path. */
  {
    char *pathargs[] = {"--child", "report", "by name", NULL};
    IT_CHECK(strchr(argv[1], '/') == NULL, "%s is not a plain name", argv[1]);
    kid = spawn_named(argv[1], pathargs);
    get_report(kid, &r);
    IT_CHECK(r.nargs == 1 && strcmp(r.args[0], "by name") == 0,
             "child spawned by name got %d args (\"%s\")", r.nargs, r.args[0]);
  }
  it_note("spawn by plain name \"%s\": OK", argv[1]);
  pvm_exit();
  return 0;
}
