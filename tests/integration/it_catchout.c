/* it_catchout: pvm_catchout collects a child's stdout and stderr into the
 * parent's file, and a grandchild's too. With PvmShowTids (the default) each
 * line is tagged "[t<tid>] ", framed by a BEGIN and an EOF line per task
 * (PVM 3.4.6's output; its man page says END); after the parent's pvm_exit
 * the file holds it all. pvm_exit with a caught task still running says
 * "libpvm [t<tid>]: child task(s) still running.  waiting..." on stderr, as
 * PVM 3.4.6 does; after pvm_catchout(NULL) it neither says it nor waits. */
#include "it_common.h"

#define TAG_GRAND 81

static int child(const char *role) {
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  if (strcmp(role, "sleeper") == 0) {
    it_sleep_ms(3000);
    pvm_exit();
    return 0;
  }
  if (strcmp(role, "grand") == 0) {
    /* Still running when its parent has ended: the catcher must wait. */
    it_sleep_ms(500);
    printf("grandchild line\n");
    pvm_exit();
    return 0;
  }
  {
    int grand = it_spawn_self("grand", (char *)NULL);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&grand, 1, 1);
    IT_CHECK(pvm_send(pvm_parent(), TAG_GRAND) == 0, "pvm_send failed");
  }
  printf("catchout line one\n");
  printf("catchout line two with  spaces\n");
  fprintf(stderr, "catchout line on stderr\n");
  printf("catchout line three\n");
  /* Left in stdio's buffer: it leaves at exit, after pvm_exit. */
  pvm_exit();
  return 0;
}

/* Checks the lines of one task in the file: BEGIN, the stdout lines in
 * order with the stderr line (if any) anywhere between, EOF. */
static void check_task(FILE *f, int tid, const char **out, int nout,
                       const char *err) {
  char line[1024], prefix[32];
  int begin = -1, end = -1, n = 0, next_out = 0, err_at = -1;

  rewind(f);
  snprintf(prefix, sizeof prefix, "[t%x] ", tid);
  while (fgets(line, sizeof line, f) != NULL) {
    size_t len = strlen(line);
    const char *text;
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    if (strncmp(line, prefix, strlen(prefix)) != 0)
      continue;
    text = line + strlen(prefix);
    if (strcmp(text, "BEGIN") == 0) {
      IT_CHECK(begin < 0, "two BEGIN lines for t%x", tid);
      begin = n;
    } else if (strcmp(text, "EOF") == 0) {
      IT_CHECK(end < 0, "two EOF lines for t%x", tid);
      end = n;
    } else if (err != NULL && strcmp(text, err) == 0) {
      IT_CHECK(err_at < 0, "the stderr line of t%x came twice", tid);
      err_at = n;
    } else {
      IT_CHECK(next_out < nout && strcmp(text, out[next_out]) == 0,
               "t%x: unexpected or out-of-order line \"%s\" (expected \"%s\")",
               tid, text, next_out < nout ? out[next_out] : "nothing more");
      next_out++;
    }
    n++;
  }
  IT_CHECK(begin == 0, "t%x: BEGIN is line %d of its output, want the first",
           tid, begin);
  IT_CHECK(next_out == nout, "t%x: %d of the %d stdout lines arrived", tid,
           next_out, nout);
  IT_CHECK(err == NULL || err_at > begin, "t%x: the stderr line is missing",
           tid);
  IT_CHECK(end == n - 1 && n == nout + (err ? 1 : 0) + 2,
           "t%x: EOF is line %d of %d, want the last of %d", tid, end, n,
           nout + (err ? 1 : 0) + 2);
}

/* Runs pvm_exit with stderr going to a file; returns what it printed there
 * (static storage) and its duration in *secs. */
static const char *exit_capturing_stderr(double *secs) {
  static char text[1024];
  FILE *cap = tmpfile();
  int saved;
  size_t n;
  double t0;

  IT_CHECK(cap != NULL, "tmpfile() failed");
  fflush(stderr);
  saved = dup(2);
  IT_CHECK(saved >= 0 && dup2(fileno(cap), 2) == 2, "cannot redirect stderr");
  t0 = it_now();
  IT_CHECK(pvm_exit() == 0, "pvm_exit() failed");
  *secs = it_now() - t0;
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(cap);
  n = fread(text, 1, sizeof text - 1, cap);
  text[n] = '\0';
  fclose(cap);
  fputs(text, stderr); /* still shown in the test's log */
  return text;
}

int main(int argc, char **argv) {
  static const char *kid_out[] = {"catchout line one",
                                  "catchout line two with  spaces",
                                  "catchout line three"};
  static const char *grand_out[] = {"grandchild line"};
  char path[PATH_MAX], line[1024], want[128];
  const char *tmp = getenv("PVM_TMP"), *said;
  FILE *f;
  int kid, grand = 0, nlines = 0, me;
  double secs;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    return child(argv[2]);
  }
  it_set_name(argv[0], NULL);
  it_guard(100);
  IT_CHECK(tmp != NULL, "PVM_TMP is not set (run under vm.sh)");
  snprintf(path, sizeof path, "%s/catchout.txt", tmp);
  f = fopen(path, "w+");
  IT_CHECK(f != NULL, "cannot create %s", path);

  IT_CHECK((me = pvm_mytid()) > 0, "pvm_mytid() failed");
  IT_CHECK(pvm_getopt(PvmShowTids) != 0, "PvmShowTids is off by default");
  IT_CHECK(pvm_catchout(f) == 0, "pvm_catchout(f) failed");
  kid = it_spawn_self("print", (char *)NULL);
  IT_CHECK(pvm_recv(kid, TAG_GRAND) > 0 && pvm_upkint(&grand, 1, 1) == 0 &&
               grand > 0,
           "no grandchild tid from t%x", kid);
  /* pvm_exit waits until every output (EOF lines included) is in f; the
   * grandchild sleeps, so it says that it waits. */
  said = exit_capturing_stderr(&secs);
  snprintf(want, sizeof want,
           "libpvm [t%x]: child task(s) still running.  waiting...\n", me);
  IT_CHECK(strcmp(said, want) == 0,
           "pvm_exit printed \"%s\" on stderr, want \"%s\"", said, want);

  fflush(f);
  rewind(f);
  while (fgets(line, sizeof line, f) != NULL) {
    printf("  | %s", line);
    nlines++;
  }
  check_task(f, kid, kid_out, 3, "catchout line on stderr");
  check_task(f, grand, grand_out, 1, NULL);
  IT_CHECK(nlines == 6 + 3, "the file has %d lines, want 9", nlines);
  fclose(f);
  printf("%s: output of t%x and grandchild t%x tagged, framed by BEGIN/EOF, "
         "pvm_exit said it waits: OK\n",
         it_name, kid, grand);

  /* Collection turned off again before pvm_exit: no wait, no message. */
  IT_CHECK((me = pvm_mytid()) > 0, "pvm_mytid() after pvm_exit failed");
  IT_CHECK(pvm_catchout(stdout) == 0, "pvm_catchout(stdout) failed");
  kid = it_spawn_self("sleeper", (char *)NULL);
  IT_CHECK(pvm_catchout(NULL) == 0, "pvm_catchout(NULL) failed");
  said = exit_capturing_stderr(&secs);
  IT_CHECK(said[0] == '\0', "pvm_exit after pvm_catchout(NULL) printed \"%s\"",
           said);
  IT_CHECK(secs < 2.0,
           "pvm_exit after pvm_catchout(NULL) waited %.1f s for "
           "t%x",
           secs, kid);
  printf("%s: after pvm_catchout(NULL) pvm_exit took %.2f s, silent: OK\n",
         it_name, secs);
  return 0;
}
