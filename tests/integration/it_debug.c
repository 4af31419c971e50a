/* it_debug: tasks spawned with PvmTaskDebug start under a debugger, which
 * is given the program's path and its arguments (PVM 3.4's convention):
 *  1. $PVM_DEBUGGER passed by the spawner (PVM_EXPORT): a script that
 *     records what it was given and runs it; the task enrols and answers;
 *  2. a debugger that does not exist: the spawn fails with PvmNoFile;
 *  3. the default one (pvmdebugger beside pvmd: gdb in batch mode without a
 *     display): the task runs under it and answers. */
#include <sys/stat.h>

#include "it_common.h"

#define TAG_HI 51

static void child(void) {
  int v = 7;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  pvm_send(pvm_parent(), TAG_HI);
  pvm_exit();
}

/* Spawns this program with PvmTaskDebug and one argument; it must answer. */
static void spawn_debugged(const char *what) {
  char *argv[] = {"child", "second arg", NULL};
  int tid, v = 0, rc;
  rc = pvm_spawn((char *)it_self_path(), argv, PvmTaskDebug, "", 1, &tid);
  IT_CHECK(rc == 1, "%s: spawn with PvmTaskDebug: %d (%d)", what, rc, tid);
  struct timeval tmo = {30, 0};
  IT_CHECK(pvm_trecv(tid, TAG_HI, &tmo) > 0, "%s: no answer from t%x", what,
           tid);
  pvm_upkint(&v, 1, 1);
  IT_CHECK(v == 7, "%s: answer %d", what, v);
}

int main(int argc, char **argv) {
  char dir[512], script[600], record[600], line[1024];
  FILE *f;
  int tid, rc;

  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    it_set_name(argv[0], "child");
    it_guard(60);
    IT_CHECK(argc == 3 && strcmp(argv[2], "second arg") == 0,
             "arguments lost under the debugger");
    child();
    return 0;
  }
  it_set_name(argv[0], NULL);
  it_guard(120);
  IT_CHECK(pvm_mytid() > 0, "enrol");
  snprintf(dir, sizeof dir, "%s",
           getenv("PVM_TMP") ? getenv("PVM_TMP") : "/tmp");

  /* 1. The spawner's debugger. */
  snprintf(script, sizeof script, "%s/it_debugger.sh", dir);
  snprintf(record, sizeof record, "%s/it_debugger.args", dir);
  f = fopen(script, "w");
  IT_CHECK(f != NULL, "cannot write %s", script);
  fprintf(f, "#!/bin/sh\nprintf '%%s|' \"$@\" > '%s'\nexec \"$@\"\n", record);
  fclose(f);
  chmod(script, 0700);
  setenv("PVM_DEBUGGER", script, 1);
  setenv("PVM_EXPORT", "PVM_DEBUGGER", 1);
  spawn_debugged("PVM_DEBUGGER");
  f = fopen(record, "r");
  IT_CHECK(f != NULL, "the debugger did not run");
  IT_CHECK(fgets(line, sizeof line, f) != NULL, "empty record");
  fclose(f);
  snprintf(script, sizeof script, "%s|child|second arg|", it_self_path());
  IT_CHECK(strcmp(line, script) == 0, "the debugger got \"%s\", not \"%s\"",
           line, script);
  it_note("PVM_DEBUGGER: started with the program's path and arguments");

  /* 2. No such debugger. */
  setenv("PVM_DEBUGGER", "/nonexistent/debugger", 1);
  pvm_setopt(PvmAutoErr, 0);
  rc = pvm_spawn((char *)it_self_path(), NULL, PvmTaskDebug, "", 1, &tid);
  IT_CHECK(rc == 0 && tid == PvmNoFile, "missing debugger: %d (%d)", rc, tid);
  pvm_setopt(PvmAutoErr, 1);
  it_note("a missing debugger: PvmNoFile");

  /* 3. The default debugger. */
  unsetenv("PVM_DEBUGGER");
  unsetenv("DISPLAY");
  setenv("PVM_EXPORT", "", 1);
  spawn_debugged("pvmdebugger");
  it_note("the default debugger runs the task");
  pvm_exit();
  it_note("OK");
  return 0;
}
