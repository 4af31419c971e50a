/* Conformance: pvm_catchout (man pvm_catchout): a child's stdout and
 * stderr lines reach the parent's file tagged with the child's tid,
 * between a BEGIN line and a trailer line; raw output with PvmShowTids 0;
 * pvm_catchout(NULL) turns it off for later children. */
#include "conf.h"

static int child(const char *word) {
  pvm_mytid();
  printf("out %s\n", word);
  fflush(stdout);
  fprintf(stderr, "err %s\n", word);
  pvm_exit();
  return 0;
}

static int file_has(FILE *f, const char *line) {
  char buf[512];
  fflush(f);
  rewind(f);
  while (fgets(buf, sizeof buf, f))
    if (strcmp(buf, line) == 0)
      return 1;
  fseek(f, 0, SEEK_END);
  return 0;
}

/* Waits up to secs for one of two lines to appear in f: output is
 * written inside library calls, so wait inside one. */
static int wait_line(FILE *f, const char *a, const char *b, int secs) {
  for (int i = 0; i < secs * 10; i++) {
    if (file_has(f, a) || (b && file_has(f, b)))
      return 1;
    pvm_trecv(-1, 99999, &(struct timeval){0, 100000});
  }
  return 0;
}

/* Spawns one child that prints word and waits until it has gone. */
static int run_child(const char *word) {
  int tid = 0;
  if (conf_spawn_self("child", word, 1, &tid) != 1)
    return 0;
  for (int i = 0; i < 200 && pvm_pstat(tid) == PvmOk; i++)
    usleep(50000);
  return tid;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "child") == 0)
    return child(argv[2]);
  conf_begin("conf_catchout");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");
  FILE *f = tmpfile();
  CONF_REQUIRE(f != NULL, "a temporary file");

  CHECK_INT(pvm_catchout(f), 0, "pvm_catchout(file) is 0");
  int tid = run_child("one");
  CHECK(tid > 0, "a child ran");
  char line[128], end[64], eof[64];
  snprintf(end, sizeof end, "[t%x] END\n", tid);
  snprintf(eof, sizeof eof, "[t%x] EOF\n", tid);
  CHECK(wait_line(f, end, eof, 20), "a trailer line comes");
  snprintf(line, sizeof line, "[t%x] BEGIN\n", tid);
  CHECK(file_has(f, line), "the BEGIN line: %.*s", (int)strlen(line) - 1, line);
  snprintf(line, sizeof line, "[t%x] out one\n", tid);
  CHECK(file_has(f, line), "the child's stdout line, tagged");
  snprintf(line, sizeof line, "[t%x] err one\n", tid);
  CHECK(file_has(f, line), "the child's stderr line, tagged");
  /* The man page says END; PVM 3.4.6 prints EOF, and programs and scripts
   * were written against that. */
  snprintf(line, sizeof line, "[t%x] EOF\n", tid);
  CHECK(file_has(f, line), "the trailer line is PVM 3.4.6's [t%x] EOF", tid);

  /* PvmShowTids 0: raw output. */
  pvm_setopt(PvmShowTids, 0);
  run_child("two");
  CHECK(wait_line(f, "out two\n", NULL, 20),
        "with PvmShowTids 0 the line is raw");
  pvm_setopt(PvmShowTids, 1);

  /* pvm_catchout(NULL): later children's output is not caught. */
  CHECK_INT(pvm_catchout(NULL), 0, "pvm_catchout(NULL) is 0");
  tid = run_child("three");
  wait_line(f, "out three\n", NULL, 1);
  snprintf(line, sizeof line, "[t%x] out three\n", tid);
  CHECK(!file_has(f, line) && !file_has(f, "out three\n"),
        "after pvm_catchout(NULL) a new child's output is not caught");
  pvm_exit();
  fclose(f);
  return conf_end();
}
