/* it_selfoutput: a spawned task that sets PvmSelfOutputCode and
 * PvmSelfOutputTid at run time sends its output from then on to the new
 * destination, as PVM 3.4.6 does: the new destination gets a BEGIN message
 * (count -1), the lines printed after the change (stdout and stderr), and
 * the task's end of output (count 0); what was printed before the change
 * does not go there. Message body: int tid, int count, count bytes. The
 * same source passes against PVM 3.4.6. */
#include "it_common.h"

#define TAG_OUT 77

static int child(void) {
  int parent = pvm_parent();
  IT_CHECK(parent > 0, "pvm_parent() = %d", parent);
  printf("before the change\n");
  fflush(stdout);
  it_sleep_ms(200);
  /* The tid first: PVM 3.4.6 redirects nothing when the code is set
   * before the tid. */
  IT_CHECK(pvm_setopt(PvmSelfOutputTid, parent) == 0, "setopt tid");
  IT_CHECK(pvm_setopt(PvmSelfOutputCode, TAG_OUT) >= 0, "setopt code");
  IT_CHECK(pvm_getopt(PvmOutputTid) == parent,
           "PvmOutputTid did not follow PvmSelfOutputTid");
  printf("after the change\n");
  fflush(stdout);
  fprintf(stderr, "after the change, on stderr\n");
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  int kid, begin = 0, end = 0, out = 0, err = 0;
  char all[1024] = "";

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    return child();
  }
  it_set_name(argv[0], NULL);
  it_guard(60);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  /* A task started by hand: accepted, and nothing to redirect. */
  IT_CHECK(pvm_setopt(PvmSelfOutputTid, 0) == 0, "setopt on a hand task");
  kid = it_spawn_self("redirect", (char *)NULL);
  while (!end) {
    struct timeval tv = {10, 0};
    int bufid = pvm_trecv(-1, TAG_OUT, &tv), tid = 0, n = 0;
    char line[256] = "";
    IT_CHECK(bufid > 0, "no output message from t%x within 10 s (%d)", kid,
             bufid);
    IT_CHECK(pvm_upkint(&tid, 1, 1) == 0 && pvm_upkint(&n, 1, 1) == 0,
             "bad output message");
    IT_CHECK(tid == kid, "output message for t%x, want t%x", tid, kid);
    if (n > 0) {
      IT_CHECK(n < (int)sizeof line && pvm_upkbyte(line, n, 1) == 0,
               "bad output line of %d bytes", n);
      line[n] = '\0';
    }
    printf("  t%x %d '%s'\n", tid, n, line);
    if (n == -1) {
      IT_CHECK(!begin && all[0] == '\0', "BEGIN not first, or twice");
      begin = 1;
    } else if (n < -1) {
      /* PVM 3.4.6 also sends a count of -2 after the BEGIN. */
      IT_CHECK(begin && all[0] == '\0', "count %d not after BEGIN", n);
    } else if (n == 0) {
      end = 1;
    } else {
      IT_CHECK(begin, "output before BEGIN");
      IT_CHECK(strlen(all) + strlen(line) < sizeof all, "too much output");
      strcat(all, line);
    }
  }
  /* PVM-NG sends a message per line, PVM 3.4.6 what one read returned. */
  out = strstr(all, "after the change\n") != NULL;
  err = strstr(all, "after the change, on stderr\n") != NULL;
  IT_CHECK(begin && out && err && strstr(all, "before") == NULL &&
               strlen(all) == strlen("after the change\n") +
                                  strlen("after the change, on stderr\n"),
           "BEGIN %d; output after BEGIN: '%s'", begin, all);
  printf("%s: t%x's output after PvmSelfOutputTid came here, framed by "
         "BEGIN and its end: OK\n",
         it_name, kid);
  pvm_exit();
  return 0;
}
