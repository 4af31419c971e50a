/* The task side of the allocation-failure sweep (sweep.sh): runs one
 * request of a scenario (connect, send, spawn, addhost) with an injected
 * allocation failure in this task or in the daemon, then checks that only
 * that request failed: it retries it once (the hook fails one allocation
 * only) and the retry must succeed. Role `check` is the second client that
 * proves the daemon still serves everyone; role `child` is what spawn
 * starts. Usage: af_client <scenario> <self|daemon pid> <hook log>
 * Exit: 0 the request succeeded, 3 it failed with a PVM error and its retry
 * succeeded, 2 anything else (a hang is ended by the caller's timeout). */
#include "pvm3.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

void pvmng_allocfail_arm(void);
int pvmng_allocfail_hit(void);

#define TAG_SELF 11
#define TAG_CHILD 12

static char self_path[4096];

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Arms the hook in this task, or in the daemon (SIGUSR2), waiting for the
 * daemon's "armed <pid>" line in the log so that the request follows. */
static int arm(const char *target, const char *log) {
  if (strcmp(target, "self") == 0) {
    pvmng_allocfail_arm();
    return 0;
  }
  pid_t pid = (pid_t)atol(target);
  char want[64];
  snprintf(want, sizeof want, "armed %ld\n", (long)pid);
  FILE *f = fopen(log, "r");
  long start = 0;
  if (f) {
    fseek(f, 0, SEEK_END);
    start = ftell(f);
    fclose(f);
  }
  if (kill(pid, SIGUSR2) != 0) {
    perror("af_client: kill");
    return -1;
  }
  for (int i = 0; i < 400; i++) {
    f = fopen(log, "r");
    if (f) {
      char line[256];
      fseek(f, start, SEEK_SET);
      while (fgets(line, sizeof line, f))
        if (strcmp(line, want) == 0) {
          fclose(f);
          return 0;
        }
      fclose(f);
    }
    nap_ms(5);
  }
  fprintf(stderr, "af_client: daemon %ld never armed\n", (long)pid);
  return -1;
}

/* A message to ourselves through the daemon, and back: 0 if intact. */
static int op_send(void) {
  static int data[4096];
  for (int i = 0; i < 4096; i++)
    data[i] = i * 7;
  int me = pvm_mytid();
  if (me < 0)
    return me;
  if (pvm_initsend(PvmDataDefault) < 0)
    return PvmNoMem;
  int rc = pvm_pkint(data, 4096, 1);
  if (rc < 0)
    return rc;
  if ((rc = pvm_pkstr("allocfail")) < 0)
    return rc;
  if ((rc = pvm_send(me, TAG_SELF)) < 0)
    return rc;
  struct timeval tmo = {10, 0};
  int bufid = pvm_trecv(me, TAG_SELF, &tmo);
  if (bufid <= 0) {
    fprintf(stderr, "af_client: no message back (%d)\n", bufid);
    return bufid < 0 ? bufid : PvmSysErr;
  }
  int got[4096];
  char s[32];
  if ((rc = pvm_upkint(got, 4096, 1)) < 0 || (rc = pvm_upkstr(s)) < 0)
    return rc;
  if (memcmp(got, data, sizeof got) != 0 || strcmp(s, "allocfail") != 0) {
    fprintf(stderr, "af_client: message corrupted\n");
    return PvmSysErr;
  }
  return 0;
}

/* Spawns one child, which must report in: 0 if it did. */
static int op_spawn(void) {
  char *args[] = {"child", NULL};
  int tid = 0;
  if (pvm_mytid() < 0)
    return PvmSysErr;
  int n = pvm_spawn(self_path, args, PvmTaskDefault, "", 1, &tid);
  if (n < 1)
    return tid < 0 ? tid : (n < 0 ? n : PvmSysErr);
  struct timeval tmo = {10, 0};
  int bufid = pvm_trecv(tid, TAG_CHILD, &tmo);
  if (bufid <= 0) {
    fprintf(stderr, "af_client: spawned t%x never reported (%d)\n", tid, bufid);
    return PvmSysErr;
  }
  return 0;
}

/* Adds a host that cannot start (its shell command fails): the request
 * must come back with a per-host error, whatever allocation fails. */
static int op_addhost(void) {
  char *hosts[] = {"af-nohost", NULL};
  int info = 0;
  if (pvm_mytid() < 0)
    return PvmSysErr;
  int n = pvm_addhosts(hosts, 1, &info);
  if (n < 0)
    return n;
  if (n == 0 && info < 0)
    return 1; /* the expected refusal */
  fprintf(stderr, "af_client: addhosts gave %d (info %d)\n", n, info);
  return PvmSysErr;
}

static int run(const char *scenario) {
  if (strcmp(scenario, "connect") == 0) {
    int me = pvm_mytid();
    return me < 0 ? me : 0;
  }
  if (strcmp(scenario, "send") == 0)
    return op_send();
  if (strcmp(scenario, "spawn") == 0)
    return op_spawn();
  if (strcmp(scenario, "addhost") == 0)
    return op_addhost();
  fprintf(stderr, "af_client: unknown scenario %s\n", scenario);
  return -1000;
}

int main(int argc, char **argv) {
  ssize_t len = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (len <= 0)
    return 2;
  self_path[len] = '\0';
  if (argc >= 2 && strcmp(argv[1], "child") == 0) {
    int parent = pvm_parent();
    if (parent < 0)
      return 2;
    pvm_initsend(PvmDataDefault);
    pvm_send(parent, TAG_CHILD);
    pvm_exit();
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "check") == 0) {
    int rc = op_send();
    if (rc == 0)
      rc = op_spawn();
    pvm_exit();
    if (rc != 0)
      fprintf(stderr, "af_client: check failed (%d)\n", rc);
    return rc == 0 ? 0 : 2;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: af_client <connect|send|spawn|addhost> "
                    "<self|daemon pid> <hook log>\n");
    return 2;
  }
  const char *scenario = argv[1];
  /* What comes before the request is not under test. */
  if (strcmp(scenario, "connect") != 0 && pvm_mytid() < 0) {
    fprintf(stderr, "af_client: cannot connect before the request\n");
    return 2;
  }
  int ok = strcmp(scenario, "addhost") == 0 ? 1 : 0;
  if (arm(argv[2], argv[3]) != 0)
    return 2;
  int rc = run(scenario);
  if (rc == -1000)
    return 2;
  if (rc == ok) {
    pvm_exit();
    return 0;
  }
  printf("af_client: %s failed: %d\n", scenario, rc);
  /* The hook fails once: the same request again must work. */
  int again = run(scenario);
  pvm_exit();
  if (again != ok) {
    fprintf(stderr, "af_client: %s failed again: %d\n", scenario, again);
    return 2;
  }
  return 3;
}
