/* it_nodaemon: with no daemon running, pvm_mytid() returns PvmSysErr and
 * prints exactly one line on stderr that says how to start a daemon; with
 * PvmAutoErr set to 0 beforehand it prints nothing. Each case runs in a
 * forked process whose stderr goes to a file. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "it_common.h"

/* Runs pvm_mytid() in a child with stderr in a file; returns its result and
 * fills text with what it printed. */
static int mytid_in_child(int autoerr, char *text, size_t textlen) {
  char path[PATH_MAX];
  const char *tmp = getenv("PVM_TMP");
  int fd, status;
  pid_t pid;
  ssize_t n;

  snprintf(path, sizeof path, "%s/stderr-%d.txt", tmp, autoerr);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  IT_CHECK(fd >= 0, "cannot create %s", path);
  fflush(NULL);
  pid = fork();
  IT_CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    int rc;
    dup2(fd, 2);
    if (autoerr >= 0)
      pvm_setopt(PvmAutoErr, autoerr);
    rc = pvm_mytid();
    _exit(rc < 0 && rc > -128 ? -rc : 200);
  }
  close(fd);
  IT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid failed");
  IT_CHECK(WIFEXITED(status), "the child died of signal %d",
           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  fd = open(path, O_RDONLY);
  IT_CHECK(fd >= 0, "cannot read %s", path);
  n = read(fd, text, textlen - 1);
  close(fd);
  text[n > 0 ? n : 0] = '\0';
  return WEXITSTATUS(status) == 200 ? 1 : -WEXITSTATUS(status);
}

int main(int argc, char **argv) {
  char text[4096];
  const char *tmp = getenv("PVM_TMP");
  int rc, lines = 0;

  (void)argc;
  it_set_name(argv[0], NULL);
  it_guard(60);
  IT_CHECK(tmp != NULL, "PVM_TMP is not set (run under vm.sh --no-daemon)");

  /* First with no runtime directory at all, then with an empty one. */
  for (int round = 0; round < 2; round++) {
    if (round == 1) {
      char dir[PATH_MAX];
      snprintf(dir, sizeof dir, "%s/pvm-%u", tmp, (unsigned)geteuid());
      IT_CHECK(mkdir(dir, 0700) == 0, "mkdir %s failed", dir);
    }
    rc = mytid_in_child(-1, text, sizeof text);
    IT_CHECK(rc == PvmSysErr,
             "pvm_mytid() with no daemon = %d, want PvmSysErr (round %d)", rc,
             round);
    lines = 0;
    for (const char *p = text; *p; p++)
      lines += *p == '\n';
    printf("%s: stderr was: %s", it_name, text);
    IT_CHECK(lines == 1 && text[strlen(text) - 1] == '\n',
             "pvm_mytid() printed %d lines on stderr, want exactly 1", lines);
    IT_CHECK(strstr(text, "pvmd") != NULL && strstr(text, "start") != NULL,
             "the message does not say how to start a daemon: %s", text);
  }

  rc = mytid_in_child(0, text, sizeof text);
  IT_CHECK(rc == PvmSysErr,
           "pvm_mytid() with PvmAutoErr 0 = %d, want "
           "PvmSysErr",
           rc);
  IT_CHECK(text[0] == '\0', "with PvmAutoErr 0 pvm_mytid() printed: %s", text);

  /* In-process too: a second call fails the same way, and quietly. */
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK(pvm_mytid() == PvmSysErr && pvm_mytid() == PvmSysErr,
           "repeated pvm_mytid() without a daemon did not give PvmSysErr");
  printf("%s: PvmSysErr, one line that says how to start pvmd; silent with "
         "PvmAutoErr 0: OK\n",
         it_name);
  return 0;
}
