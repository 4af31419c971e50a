/* it_tasker: a task starter registered with pvm_reg_tasker starts the
 * tasks spawned on its host, with PVM 3.4's SM_STTASK and SM_TASKX
 * messages (man pvm_reg_tasker):
 *  - a second task asking to be the tasker (itself started by the
 *    tasker) gets PvmAlready; pvm_tasks flags the tasker 0x400;
 *  - three tasks spawned with arguments and an exported variable are
 *    started by the tasker (it records their tids), run with their
 *    arguments and environment, enrol under the tids pvm_spawn returned
 *    and talk to their parent;
 *  - their exits, reported by the tasker with SM_TASKX, reach a
 *    pvm_notify(PvmTaskExit) watcher, after their messages;
 *  - once the tasker has gone, the daemon starts tasks itself again. */
#include <sys/wait.h>

#include "it_common.h"

#define SM_STTASK ((int)0x80040011)
#define SM_TASKX ((int)0x8004000b)
#define TAG_READY 31
#define TAG_STARTED 32
#define TAG_KID 33
#define TAG_EXIT 34
#define TAG_QUIT 35
#define NKID 3

/* The tasker: starts what the daemon asks for, reports each exit. */
static void tasker(void) {
  int parent = pvm_parent(), rc, started = 0;
  pvm_setopt(PvmResvTids, 1);
  rc = pvm_reg_tasker();
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&rc, 1, 1);
  pvm_send(parent, TAG_READY);
  for (;;) {
    int b = pvm_recv(-1, -1), len, tag, src, tid, flags, argc, nenv;
    char path[4096], buf[8192], *av[16], *ev[512];
    pid_t pid;
    IT_CHECK(b > 0, "tasker: receive failed");
    pvm_bufinfo(b, &len, &tag, &src);
    if (tag == TAG_QUIT)
      break;
    IT_CHECK(tag == SM_STTASK, "tasker: unexpected tag %x", tag);
    IT_CHECK(src == pvm_tidtohost(pvm_mytid()), "SM_STTASK from t%x", src);
    pvm_upkint(&tid, 1, 1);
    pvm_upkint(&flags, 1, 1);
    pvm_upkstr(path);
    pvm_upkint(&argc, 1, 1);
    IT_CHECK(argc >= 1 && argc < 16, "argc %d", argc);
    for (int i = 0; i < argc; i++) {
      pvm_upkstr(buf);
      av[i] = strdup(buf);
    }
    av[argc] = NULL;
    IT_CHECK(strcmp(av[0], path) == 0, "argv[0] %s is not the path %s", av[0],
             path);
    pvm_upkint(&nenv, 1, 1);
    IT_CHECK(nenv >= 0 && nenv < 512, "nenv %d", nenv);
    for (int i = 0; i < nenv; i++) {
      pvm_upkstr(buf);
      ev[i] = strdup(buf);
    }
    ev[nenv] = NULL;
    /* Tell the parent which tid it was asked to start. */
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&tid, 1, 1);
    pvm_send(parent, TAG_STARTED);
    pid = fork();
    if (pid == 0) {
      execve(path, av, ev);
      _exit(127);
    }
    int st = 0, r[6] = {tid, 0, 0, 0, 0, 0};
    waitpid(pid, &st, 0);
    r[1] = st;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(r, 6, 1);
    IT_CHECK(pvm_send(pvm_tidtohost(pvm_mytid()), SM_TASKX) == 0,
             "tasker: SM_TASKX not sent");
    for (int i = 0; i < argc; i++)
      free(av[i]);
    for (int i = 0; i < nenv; i++)
      free(ev[i]);
    started++;
  }
  pvm_exit();
  exit(started == NKID + 1 ? 0 : 1);
}

/* A task the tasker starts: says what it got. */
static void kid(int argc, char **argv) {
  const char *mark = getenv("IT_TASKER_MARK");
  int v[2] = {argc == 4 && strcmp(argv[3], "two words") == 0,
              mark != NULL && strcmp(mark, "set") == 0};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 2, 1);
  pvm_send(pvm_parent(), TAG_KID);
  pvm_exit();
}

int main(int argc, char **argv) {
  int tk, other, rc, kids[NKID], started[NKID];
  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    if (strcmp(argv[2], "tasker") == 0)
      tasker();
    else if (strcmp(argv[2], "other") == 0) {
      rc = pvm_reg_tasker();
      pvm_initsend(PvmDataDefault);
      pvm_pkint(&rc, 1, 1);
      pvm_send(pvm_parent(), TAG_READY);
      pvm_exit();
    } else
      kid(argc, argv);
    return 0;
  }
  it_set_name(argv[0], NULL);
  it_guard(90);
  IT_CHECK(pvm_mytid() > 0, "enrol");

  tk = it_spawn_self("tasker", (char *)NULL);
  IT_CHECK(pvm_recv(tk, TAG_READY) > 0, "no word from the tasker");
  pvm_upkint(&rc, 1, 1);
  IT_CHECK(rc == 0, "pvm_reg_tasker returned %d", rc);
  /* Spawned after the registration: the tasker starts it too. */
  other = it_spawn_self("other", (char *)NULL);
  IT_CHECK(pvm_recv(tk, TAG_STARTED) > 0, "the tasker was not asked");
  pvm_upkint(&rc, 1, 1);
  IT_CHECK(rc == other, "the tasker started t%x, spawn gave t%x", rc, other);
  IT_CHECK(pvm_recv(other, TAG_READY) > 0, "no word from the other task");
  pvm_upkint(&rc, 1, 1);
  IT_CHECK(rc == PvmAlready, "a second tasker got %d, not PvmAlready", rc);
  {
    /* pvm_tasks flags the tasker as PVM 3.4 does (the console's T). */
    struct pvmtaskinfo *ti;
    int nt = 0;
    IT_CHECK(pvm_tasks(tk, &nt, &ti) == 0 && nt == 1, "pvm_tasks(tasker)");
    IT_CHECK(ti[0].ti_flag & 0x400, "the tasker's flags are 0x%x",
             (unsigned)ti[0].ti_flag);
    IT_CHECK(pvm_tasks(pvm_mytid(), &nt, &ti) == 0 && nt == 1 &&
                 !(ti[0].ti_flag & 0x400),
             "another task flagged as the tasker");
  }
  it_note("pvm_reg_tasker: 0, then PvmAlready for a second task; flag T");

  /* Spawned through the tasker, one at a time (it runs one at a time). */
  setenv("IT_TASKER_MARK", "set", 1);
  setenv("PVM_EXPORT", "IT_TASKER_MARK", 1);
  for (int k = 0; k < NKID; k++) {
    char *args[] = {"--child", "kid", "two words", NULL};
    int v[2];
    IT_CHECK(pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1,
                       &kids[k]) == 1,
             "spawn %d through the tasker: %d", k, kids[k]);
    IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &kids[k]) == 0, "notify");
    IT_CHECK(pvm_recv(tk, TAG_STARTED) > 0, "the tasker was not asked");
    pvm_upkint(&started[k], 1, 1);
    IT_CHECK(started[k] == kids[k], "the tasker started t%x, spawn gave t%x",
             started[k], kids[k]);
    IT_CHECK(pvm_recv(kids[k], TAG_KID) > 0, "no word from t%x", kids[k]);
    pvm_upkint(v, 2, 1);
    IT_CHECK(v[0], "t%x lost its arguments", kids[k]);
    IT_CHECK(v[1], "t%x lost the exported variable", kids[k]);
    IT_CHECK(pvm_recv(-1, TAG_EXIT) > 0, "no exit notice for t%x", kids[k]);
    pvm_upkint(&rc, 1, 1);
    IT_CHECK(rc == kids[k], "exit notice for t%x, not t%x", rc, kids[k]);
  }
  it_note("%d tasks started by the tasker, with their arguments and "
          "environment; exits reported",
          NKID);

  /* The tasker goes: the daemon starts tasks itself again. */
  pvm_initsend(PvmDataDefault);
  pvm_send(tk, TAG_QUIT);
  pvm_notify(PvmTaskExit, TAG_EXIT, 1, &tk);
  IT_CHECK(pvm_recv(-1, TAG_EXIT) > 0, "the tasker did not leave");
  {
    char *args[] = {"--child", "kid", "two words", NULL};
    int v[2], t;
    IT_CHECK(
        pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &t) == 1,
        "spawn without a tasker: %d", t);
    IT_CHECK(pvm_recv(t, TAG_KID) > 0, "no word from t%x", t);
    pvm_upkint(v, 2, 1);
    IT_CHECK(v[0] && v[1], "t%x lost its arguments or environment", t);
  }
  it_note("without a tasker, the daemon starts tasks again");
  pvm_exit();
  it_note("OK");
  return 0;
}
