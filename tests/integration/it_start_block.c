/* it_start_block: pvm_start_pvmd(argc, argv, block) with a host file. With
 * block 0 it returns as soon as the new pvmd accepts tasks; with block set
 * it returns once the host file's other hosts have been added or have
 * failed (man pvm_start_pvmd), as PVM 3.4.6 does. The other host here is
 * started through a PVM_RSH that takes two seconds and fails; then
 * pvm_addhosts of another host through it gets PvmCantStart with the remote
 * shell's last line and exit status, reported under PvmAutoErr. Runs with
 * no daemon (vm.sh --no-daemon): it starts and halts its own. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "it_common.h"

#define RSH_SECONDS 2

static pid_t daemon_pid;

/* The daemon started here must not outlive the test, however it ends. */
static void stop_daemon(void) {
  if (daemon_pid > 0)
    kill(daemon_pid, SIGTERM);
}

static void on_alarm(int sig) {
  static const char msg[] = "it_start_block: FAIL: guard timer expired\n";
  ssize_t r = write(2, msg, sizeof msg - 1);
  (void)r;
  (void)sig;
  stop_daemon();
  _exit(3);
}

static void write_file(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  IT_CHECK(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0,
           "cannot write %s", path);
  IT_CHECK(chmod(path, mode) == 0, "cannot chmod %s", path);
}

/* Starts a daemon with the host file under VM id vmid; returns seconds. */
static double start(const char *vmid, char *hostfile, int block) {
  char lock[PATH_MAX];
  char *argv[] = {hostfile, NULL};
  double t0;
  int rc, nhost = 0, narch;
  struct pvmhostinfo *hip;
  FILE *f;

  setenv("PVM_VMID", vmid, 1);
  t0 = it_now();
  rc = pvm_start_pvmd(1, argv, block);
  t0 = it_now() - t0;
  snprintf(lock, sizeof lock, "%s/pvm-%d/pvmd.%s.lock", getenv("PVM_TMP"),
           (int)getuid(), vmid);
  if ((f = fopen(lock, "r")) != NULL) {
    long pid = 0;
    if (fscanf(f, "%ld", &pid) == 1)
      daemon_pid = (pid_t)pid;
    fclose(f);
  }
  IT_CHECK(rc == 0, "pvm_start_pvmd(block %d) returned %d", block, rc);
  IT_CHECK(pvm_config(&nhost, &narch, &hip) == 0 && nhost == 1,
           "pvm_config: %d hosts, want 1 (the other one cannot start)", nhost);
  return t0;
}

/* pvm_addhosts of a host the remote shell cannot start: PvmCantStart in
 * infos, and under PvmAutoErr one line on stderr with what the shell said
 * and its exit status (stderr is caught in a file for the check). */
static void check_reason(const char *tmp) {
  char path[PATH_MAX], line[1024], *hosts[] = {(char *)"127.0.0.3"};
  const char *want = "pvm_addhosts(): Can't start pvmd: 127.0.0.3: "
                     "slow-rsh: cannot reach 127.0.0.3 (slow-rsh exited "
                     "with status 1)";
  int fd, saved, rc, info = 0, found = 0;
  FILE *f;

  snprintf(path, sizeof path, "%s/addhosts.err", tmp);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  IT_CHECK(fd >= 0, "cannot create %s", path);
  fflush(stderr);
  saved = dup(2);
  IT_CHECK(saved >= 0 && dup2(fd, 2) == 2, "cannot redirect stderr");
  close(fd);
  pvm_setopt(PvmAutoErr, 1);
  rc = pvm_addhosts(hosts, 1, &info);
  pvm_setopt(PvmAutoErr, 0);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  IT_CHECK(rc == 0 && info == PvmCantStart,
           "pvm_addhosts: %d, info %d; want 0 and PvmCantStart", rc, info);
  f = fopen(path, "r");
  IT_CHECK(f != NULL, "cannot read %s", path);
  while (fgets(line, sizeof line, f))
    found += strstr(line, want) != NULL;
  fclose(f);
  IT_CHECK(found == 1, "no single line \"%s\" under PvmAutoErr", want);
  printf("%s: pvm_addhosts reports the remote shell's reason: OK\n", it_name);
}

static void halt(void) {
  IT_CHECK(pvm_halt() == 0, "pvm_halt failed");
  for (int i = 0; i < 100 && daemon_pid > 0 && kill(daemon_pid, 0) == 0; i++)
    it_sleep_ms(50);
  IT_CHECK(daemon_pid <= 0 || kill(daemon_pid, 0) != 0,
           "pvmd %ld still runs after pvm_halt", (long)daemon_pid);
  daemon_pid = 0;
}

int main(int argc, char **argv) {
  const char *tmp = getenv("PVM_TMP"), *vmid = getenv("PVM_VMID");
  char hosts[PATH_MAX], rsh[PATH_MAX], certs[PATH_MAX], text[512], self[256],
      id[128];
  double secs;

  (void)argc;
  it_set_name(argv[0], NULL);
  signal(SIGALRM, on_alarm);
  alarm(60);
  atexit(stop_daemon);
  IT_CHECK(tmp != NULL && vmid != NULL, "run under vm.sh --no-daemon");
  IT_CHECK(gethostname(self, sizeof self) == 0, "gethostname failed");
  self[sizeof self - 1] = '\0';
  snprintf(hosts, sizeof hosts, "%s/hosts", tmp);
  snprintf(rsh, sizeof rsh, "%s/slow-rsh", tmp);
  snprintf(certs, sizeof certs, "%s/certs", tmp);
  snprintf(text, sizeof text, "%s\n127.0.0.2\n", self);
  write_file(hosts, text, 0600);
  snprintf(text, sizeof text,
           "#!/bin/sh\nsleep %d\necho \"slow-rsh: cannot reach $1\" >&2\n"
           "exit 1\n",
           RSH_SECONDS);
  write_file(rsh, text, 0700);
  setenv("PVM_RSH", rsh, 1);
  setenv("PVM_CERTDIR", certs, 1);

  snprintf(id, sizeof id, "%.60s-0", vmid);
  secs = start(id, hosts, 0);
  IT_CHECK(secs < RSH_SECONDS - 0.5,
           "pvm_start_pvmd(block 0) took %.2f s: it waited for the hosts",
           secs);
  printf("%s: block 0 returned after %.2f s: OK\n", it_name, secs);
  halt();

  snprintf(id, sizeof id, "%.60s-1", vmid);
  secs = start(id, hosts, 1);
  IT_CHECK(secs >= RSH_SECONDS - 0.2,
           "pvm_start_pvmd(block 1) returned after %.2f s, before the host "
           "file's host had failed (%d s)",
           secs, RSH_SECONDS);
  printf("%s: block 1 returned after %.2f s, once the other host had "
         "failed: OK\n",
         it_name, secs);
  check_reason(tmp);
  halt();
  return 0;
}
