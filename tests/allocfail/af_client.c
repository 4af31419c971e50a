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

/* Sends the active buffer to ourselves, then an empty marker, and
 * receives. Each call has tags of its own, so that what an earlier,
 * failed call left behind is skipped. Messages from one sender arrive in
 * order: when the marker comes first, or never, the daemon dropped a
 * message (out of memory) and must have told us, which the next send
 * returns. Returns the received buffer, or an error. */
#define TAG_PROBE 9
static int tag_seq;

/* The next message with tag a or b from ourselves (others are dropped);
 * 0 after secs seconds without one. */
static int recv_either(int me, int a, int b, int secs, int *got) {
  for (;;) {
    struct timeval tmo = {secs, 0};
    int bufid = pvm_trecv(me, -1, &tmo), bytes, src;
    if (bufid <= 0 || pvm_bufinfo(bufid, &bytes, got, &src) < 0)
      return bufid;
    if (*got == a || *got == b)
      return bufid;
  }
}

static int roundtrip(int me) {
  int tag = 100 + 2 * tag_seq, mark = tag + 1, got = 0;
  tag_seq++;
  int rc = pvm_send(me, tag);
  if (rc < 0)
    return rc;
  if (pvm_initsend(PvmDataDefault) < 0)
    return PvmNoMem;
  if ((rc = pvm_send(me, mark)) < 0)
    return rc;
  int bufid = recv_either(me, tag, mark, 10, &got);
  if (bufid < 0)
    return bufid;
  if (bufid > 0 && got == tag) {
    int keep = pvm_setrbuf(0);
    int m = recv_either(me, mark, mark, 5, &got);
    if (m == 0) {
      /* Lost, or only late: a drop was told to us by now. */
      pvm_initsend(PvmDataDefault);
      if ((rc = pvm_send(me, TAG_PROBE)) < 0) {
        pvm_freebuf(keep);
        return rc;
      }
      m = recv_either(me, mark, mark, 10, &got);
    }
    if (m <= 0) {
      fprintf(stderr, "af_client: the marker was lost, and no error said "
                      "so\n");
      pvm_freebuf(keep);
      return PvmSysErr;
    }
    pvm_freebuf(pvm_setrbuf(keep));
    return keep;
  }
  /* The marker first, or nothing: the message was dropped. */
  pvm_initsend(PvmDataDefault);
  rc = pvm_send(me, TAG_PROBE);
  if (rc < 0)
    return rc;
  fprintf(stderr,
          "af_client: a message (tag %d) was lost, and no error "
          "said so\n",
          tag);
  return PvmSysErr;
}

/* A message of several frames (3 MiB) to ourselves: 0 if intact. */
static int op_send_big(int me) {
  enum { BIG = 3 << 20 };
  char *big = malloc(BIG);
  if (!big)
    return PvmNoMem;
  for (int i = 0; i < BIG; i++)
    big[i] = (char)(i * 31 + 7);
  int rc = pvm_initsend(PvmDataRaw) < 0 ? PvmNoMem : 0;
  if (rc == 0)
    rc = pvm_pkbyte(big, BIG, 1);
  if (rc == 0) {
    int bufid = roundtrip(me);
    if (bufid < 0)
      rc = bufid;
  }
  if (rc == 0) {
    memset(big, 0, BIG);
    rc = pvm_upkbyte(big, BIG, 1);
    for (int i = 0; rc == 0 && i < BIG; i++)
      if (big[i] != (char)(i * 31 + 7)) {
        fprintf(stderr, "af_client: big message corrupted at %d\n", i);
        rc = PvmSysErr;
      }
  }
  free(big);
  return rc;
}

/* Messages to ourselves through the daemon, and back: 0 if intact. */
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
  int bufid = roundtrip(me);
  if (bufid < 0)
    return bufid;
  int got[4096];
  char s[32];
  if ((rc = pvm_upkint(got, 4096, 1)) < 0 || (rc = pvm_upkstr(s)) < 0)
    return rc;
  if (memcmp(got, data, sizeof got) != 0 || strcmp(s, "allocfail") != 0) {
    fprintf(stderr, "af_client: message corrupted\n");
    return PvmSysErr;
  }
  return op_send_big(me);
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
