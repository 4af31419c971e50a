/* cl_notify: notifications across a virtual machine (man pvm_notify).
 * Watches a task on another host (OTHER) and kills it: one PvmTaskExit;
 * asking again for that task, now gone, is answered at once (as for a
 * local task), while its host stays.
 * Asks for PvmHostAdd, adds the named host and expects one notification
 * with the count and the new daemon's tid; spawns a task there, asks for
 * PvmTaskExit on it and PvmHostDelete on its host, deletes the host and
 * expects both notifications, once each, within seconds.
 * Usage: cl_notify HOST OTHER; exits 0 when all arrived as PVM defines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"

#define TAG_ADD 41
#define TAG_DEL 42
#define TAG_EXIT 43
#define TAG_EXIT_REMOTE 44
#define TAG_GONE_REMOTE 45

static int fail(const char *what) {
  fprintf(stderr, "cl_notify: FAIL: %s\n", what);
  pvm_exit();
  return 1;
}

/* Waits up to 10 s for a message with tag; returns its buffer or 0. */
static int wait_tag(int tag) {
  struct timeval tv = {10, 0};
  return pvm_trecv(-1, tag, &tv);
}

int main(int argc, char **argv) {
  char *hosts[1];
  int info = 0, n = 0, dtid = 0, task = 0, v = 0;
  char *targv[] = {"30", NULL};
  struct timeval none = {0, 300000};

  if (argc != 3 || pvm_mytid() < 0)
    return 2;
  hosts[0] = argv[1];

  /* A task on another host: its exit reaches the watcher here. */
  if (pvm_spawn("/bin/sleep", targv, PvmTaskHost, argv[2], 1, &task) != 1)
    return fail("spawn on the other host");
  if (pvm_notify(PvmTaskExit, TAG_EXIT_REMOTE, 1, &task) != 0)
    return fail("pvm_notify(PvmTaskExit) for a remote task");
  if (pvm_trecv(-1, TAG_EXIT_REMOTE, &none) != 0)
    return fail("PvmTaskExit before the remote task ended");
  if (pvm_kill(task) != 0)
    return fail("pvm_kill of the remote task");
  if (wait_tag(TAG_EXIT_REMOTE) <= 0 || pvm_upkint(&v, 1, 1) != 0 || v != task)
    return fail("no PvmTaskExit for the killed remote task");
  if (pvm_trecv(-1, TAG_EXIT_REMOTE, &none) != 0)
    return fail("PvmTaskExit for the remote task came twice");
  printf("ok: PvmTaskExit for remote t%x\n", (unsigned)task);
  {
    struct timeval two = {2, 0};
    if (pvm_notify(PvmTaskExit, TAG_GONE_REMOTE, 1, &task) != 0)
      return fail("pvm_notify(PvmTaskExit) for a remote task already gone");
    if (pvm_trecv(-1, TAG_GONE_REMOTE, &two) <= 0 ||
        pvm_upkint(&v, 1, 1) != 0 || v != task)
      return fail("no PvmTaskExit within 2 s for a remote task already gone");
    if (pvm_trecv(-1, TAG_GONE_REMOTE, &none) != 0)
      return fail("PvmTaskExit for the gone remote task came twice");
    printf("ok: PvmTaskExit at once for remote t%x, already gone\n",
           (unsigned)task);
  }
  task = 0;
  if (pvm_notify(PvmHostAdd, TAG_ADD, -1, NULL) != 0)
    return fail("pvm_notify(PvmHostAdd)");
  if (pvm_addhosts(hosts, 1, &info) != 1 || info <= 0)
    return fail("pvm_addhosts");
  if (wait_tag(TAG_ADD) <= 0)
    return fail("no PvmHostAdd notification");
  if (pvm_upkint(&n, 1, 1) != 0 || n != 1 || pvm_upkint(&dtid, 1, 1) != 0 ||
      dtid != info)
    return fail("PvmHostAdd body is not {1, new daemon tid}");
  printf("ok: PvmHostAdd for t%x\n", (unsigned)dtid);

  if (pvm_spawn("/bin/sleep", targv, PvmTaskHost, argv[1], 1, &task) != 1 ||
      pvm_tidtohost(task) != dtid)
    return fail("spawn on the new host");
  if (pvm_notify(PvmTaskExit, TAG_EXIT, 1, &task) != 0 ||
      pvm_notify(PvmHostDelete, TAG_DEL, 1, &dtid) != 0)
    return fail("pvm_notify(PvmTaskExit/PvmHostDelete)");
  if (pvm_trecv(-1, TAG_EXIT, &none) != 0 || pvm_trecv(-1, TAG_DEL, &none) != 0)
    return fail("a notification before the host was deleted");
  if (pvm_delhosts(hosts, 1, &info) < 0 || info < 0)
    return fail("pvm_delhosts");
  if (wait_tag(TAG_DEL) <= 0 || pvm_upkint(&v, 1, 1) != 0 || v != dtid)
    return fail("no PvmHostDelete notification naming the host");
  if (wait_tag(TAG_EXIT) <= 0 || pvm_upkint(&v, 1, 1) != 0 || v != task)
    return fail("no PvmTaskExit for the task on the deleted host");
  if (pvm_trecv(-1, TAG_DEL, &none) != 0 || pvm_trecv(-1, TAG_EXIT, &none) != 0)
    return fail("a notification came twice");
  printf("ok: PvmHostDelete for t%x and PvmTaskExit for t%x\n", (unsigned)dtid,
         (unsigned)task);
  pvm_exit();
  printf("cl_notify: PASS\n");
  return 0;
}
