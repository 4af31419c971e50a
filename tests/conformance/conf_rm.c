/* Conformance: pvm_reg_rm (man pvm_reg_rm). The program registers as the
 * resource manager and spawns a client (started after the registration, so
 * that in PVM 3.4.6 too it knows the RM); the client's pvm_config,
 * pvm_spawn, pvm_addhosts, pvm_delhosts, pvm_tasks and pvm_notify come to
 * the RM as SM_* messages in PVM 3.4's layout, and the RM's made-up answers
 * must be what the client's calls return. The RM's own calls are served by
 * the daemon. */
#include "conf.h"

#ifdef CONF_PVM346
#include <pvmproto.h>
#else
#include <pvmng.h>
#endif

enum { TAG_RESULT = 10, NRES = 24 };

#define RM_ARCH "RMARCH"

/* The client: every call the RM decides, results back to the RM. */
static int client(void) {
  struct pvmhostinfo *hosts = NULL;
  struct pvmtaskinfo *tasks = NULL;
  char *args[] = {"arg1", NULL};
  char *add[] = {"rm-new-a", "rm-new-b"};
  char *del[] = {"rm-old-a", "rm-old-b"};
  int res[NRES] = {0}, nhost = 0, narch = 0, ntask = 0, tids[2] = {0, 0};
  int infos[2] = {0, 0}, parent = pvm_parent();

  pvm_setopt(PvmAutoErr, 0);
  res[0] = pvm_config(&nhost, &narch, &hosts);
  res[1] = nhost;
  res[2] = narch;
  if (res[0] == 0 && nhost == 2) {
    res[3] = hosts[0].hi_tid;
    res[4] = strcmp(hosts[0].hi_name, "rm-alpha") == 0 &&
             strcmp(hosts[1].hi_arch, RM_ARCH) == 0;
    res[5] = hosts[1].hi_speed;
  }
  res[6] = pvm_spawn("rm-no-such-program", args, PvmTaskDefault, "", 2, tids);
  res[7] = tids[0];
  res[8] = tids[1];
  res[9] = pvm_addhosts(add, 2, infos);
  res[10] = infos[0];
  res[11] = infos[1];
  infos[0] = infos[1] = 0;
  res[12] = pvm_delhosts(del, 2, infos);
  res[13] = infos[0];
  res[14] = infos[1];
  res[15] = pvm_tasks(0, &ntask, &tasks);
  res[16] = ntask;
  if (res[15] == 0 && ntask == 1) {
    res[17] = tasks[0].ti_tid;
    res[18] = tasks[0].ti_pid;
    res[19] = strcmp(tasks[0].ti_a_out, "rm-task") == 0;
  }
  res[20] = pvm_notify(PvmTaskExit, 55, 1, &parent);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(res, NRES, 1);
  pvm_send(parent, TAG_RESULT);
  pvm_exit();
  return 0;
}

/* What the RM saw of the requests. */
struct seen {
  int config, spawn, add, del, task, notify;
  char file[64], where[64], arg0[64], host[64];
  int flags, count, nargs, nadd, ndel, task_where;
  int n_what, n_code, n_count, n_tid;
};

static void answer(int src, int tag, struct seen *s, int self) {
  int i, n, v, dsig = 0x408841;
  char buf[256];

  pvm_initsend(PvmDataDefault);
  if (tag == SM_CONFIG) {
    int nh = 2, na = 1, t0 = 0x1c0000, t1 = 0x200000, sp0 = 1234, sp1 = 99;
    s->config++;
    pvm_pkint(&nh, 1, 1);
    pvm_pkint(&na, 1, 1);
    pvm_pkint(&t0, 1, 1);
    pvm_pkstr("rm-alpha");
    pvm_pkstr(RM_ARCH);
    pvm_pkint(&sp0, 1, 1);
    pvm_pkint(&dsig, 1, 1);
    pvm_pkint(&t1, 1, 1);
    pvm_pkstr("rm-beta");
    pvm_pkstr(RM_ARCH);
    pvm_pkint(&sp1, 1, 1);
    pvm_pkint(&dsig, 1, 1);
  } else if (tag == SM_SPAWN) {
    int out[3], trc[3], nenv, r[2] = {PvmNoHost, 0x1c0007}, two = 2;
    s->spawn++;
    pvm_upkstr(s->file);
    pvm_upkint(&s->flags, 1, 1);
    pvm_upkstr(s->where);
    pvm_upkint(&s->count, 1, 1);
    pvm_upkint(&s->nargs, 1, 1);
    for (i = 0; i < s->nargs; i++)
      pvm_upkstr(i == 0 ? s->arg0 : buf);
    pvm_upkint(out, 3, 1);
    pvm_upkint(trc, 3, 1);
    pvm_upkint(&nenv, 1, 1);
    for (i = 0; i < nenv; i++)
      pvm_upkstr(buf);
    pvm_pkint(&two, 1, 1);
    pvm_pkint(r, 2, 1);
  } else if (tag == SM_ADDHOST) {
    int t = 0x240000, e = PvmDupHost, sp = 1000, na = 1;
    s->add++;
    pvm_upkint(&s->nadd, 1, 1);
    for (i = 0; i < s->nadd; i++)
      pvm_upkstr(i == 0 ? s->host : buf);
    pvm_pkint(&s->nadd, 1, 1);
    pvm_pkint(&na, 1, 1);
    for (i = 0; i < s->nadd; i++) {
      pvm_pkint(i == 0 ? &t : &e, 1, 1);
      pvm_pkstr(i == 0 ? "rm-new-a" : "");
      pvm_pkstr(RM_ARCH);
      pvm_pkint(&sp, 1, 1);
      pvm_pkint(&dsig, 1, 1);
    }
  } else if (tag == SM_DELHOST) {
    int r[2] = {0, PvmNoHost};
    s->del++;
    pvm_upkint(&s->ndel, 1, 1);
    for (i = 0; i < s->ndel; i++)
      pvm_upkstr(buf);
    pvm_pkint(&s->ndel, 1, 1);
    pvm_pkint(r, 2, 1);
  } else if (tag == SM_TASK) {
    int zero = 0, t = 0x1c0007, h = 0x1c0000, f = 4, pid = 4242;
    s->task++;
    pvm_upkint(&s->task_where, 1, 1);
    pvm_pkint(&zero, 1, 1);
    pvm_pkint(&t, 1, 1);
    pvm_pkint(&self, 1, 1);
    pvm_pkint(&h, 1, 1);
    pvm_pkint(&f, 1, 1);
    pvm_pkstr("rm-task");
    pvm_pkint(&pid, 1, 1);
  } else if (tag == SM_NOTIFY) {
    s->notify++;
    pvm_upkint(&s->n_what, 1, 1);
    pvm_upkint(&v, 1, 1); /* context */
    pvm_upkint(&s->n_code, 1, 1);
    pvm_upkint(&s->n_count, 1, 1);
    n = s->n_count;
    if (n >= 1)
      pvm_upkint(&s->n_tid, 1, 1);
    return; /* asynchronous: no answer */
  } else {
    return;
  }
  pvm_send(src, tag);
}

int main(int argc, char **argv) {
  struct pvmhostinfo *hip = NULL;
  struct pvmtaskinfo *ti = NULL;
  struct seen s;
  int me, cc, child = 0, res[NRES], got = 0, nt = 0, tid = 0;

  if (argc > 1 && strcmp(argv[1], "client") == 0)
    return client();
  conf_begin("rm");
  memset(&s, 0, sizeof s);
  me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid");
  pvm_setopt(PvmResvTids, 1);

  cc = pvm_reg_rm(&hip);
  CHECK_INT(cc, PvmOk, "pvm_reg_rm returns PvmOk");
  CHECK(hip != NULL && hip->hi_tid == pvm_tidtohost(me) && hip->hi_name &&
            hip->hi_name[0] && hip->hi_arch && hip->hi_arch[0],
        "pvm_reg_rm: *hip describes the master host");
  if (pvm_recvinfo(PVMRMCLASS, 0, PvmMboxDefault) > 0 &&
      pvm_upkint(&tid, 1, 1) == 0)
    CHECK_INT(tid, me, "the RM's tid is in the mailbox under PVMRMCLASS");
  else
    CHECK(0, "the RM's tid is in the mailbox under PVMRMCLASS");
  CHECK(pvm_tasks(me, &nt, &ti) == 0 && nt == 1 && (ti[0].ti_flag & 0x100),
        "pvm_tasks: the RM's own request is served, flag 0x100 (ps: R)");

  CONF_REQUIRE(conf_spawn_self("client", NULL, 1, &child) == 1,
               "the RM's own pvm_spawn is served by the daemon");
  /* Serve the client's requests until its results come. */
  while (!got) {
    int bufid = pvm_trecv(-1, -1, &(struct timeval){30, 0}), len, tag, src;
    if (bufid <= 0)
      break;
    pvm_bufinfo(bufid, &len, &tag, &src);
    if (tag == TAG_RESULT && src == child) {
      pvm_upkint(res, NRES, 1);
      got = 1;
    } else if (src == child) {
      answer(src, tag, &s, me);
    }
  }
  CONF_REQUIRE(got, "the client's results arrive");
  /* SM_NOTIFY needs no answer, so it may come after the results. */
  if (!s.notify && pvm_trecv(child, SM_NOTIFY, &(struct timeval){10, 0}) > 0)
    answer(child, SM_NOTIFY, &s, me);

  CHECK_INT(s.config, 1, "pvm_config came to the RM as SM_CONFIG");
  CHECK_INT(res[0], 0, "pvm_config returns 0 with the RM's answer");
  CHECK_INT(res[1], 2, "pvm_config: nhost from the RM");
  CHECK_INT(res[2], 1, "pvm_config: narch from the RM");
  CHECK_INT(res[3], 0x1c0000, "pvm_config: the first host's tid");
  CHECK_INT(res[4], 1, "pvm_config: host names and architectures");
  CHECK_INT(res[5], 99, "pvm_config: the second host's speed");

  CHECK_INT(s.spawn, 1, "pvm_spawn came to the RM as SM_SPAWN");
  CHECK(strcmp(s.file, "rm-no-such-program") == 0, "SM_SPAWN: the file");
  CHECK_INT(s.flags, PvmTaskDefault, "SM_SPAWN: the flags");
  CHECK_INT(s.count, 2, "SM_SPAWN: the count");
  CHECK_INT(s.nargs, 1, "SM_SPAWN: the number of arguments");
  CHECK(strcmp(s.arg0, "arg1") == 0, "SM_SPAWN: the argument");
  CHECK_INT(res[6], 1, "pvm_spawn returns the RM's started count");
  CHECK_INT(res[7], 0x1c0007, "pvm_spawn: the RM's tid first");
  CHECK_INT(res[8], PvmNoHost, "pvm_spawn: then the RM's error");

  CHECK_INT(s.add, 1, "pvm_addhosts came to the RM as SM_ADDHOST");
  CHECK_INT(s.nadd, 2, "SM_ADDHOST: the count");
  CHECK(strcmp(s.host, "rm-new-a") == 0, "SM_ADDHOST: the first name");
  CHECK_INT(res[9], 1, "pvm_addhosts returns the RM's successes");
  CHECK_INT(res[10], 0x240000, "pvm_addhosts: infos[0] from the RM");
  CHECK_INT(res[11], PvmDupHost, "pvm_addhosts: infos[1] from the RM");

  CHECK_INT(s.del, 1, "pvm_delhosts came to the RM as SM_DELHOST");
  CHECK_INT(s.ndel, 2, "SM_DELHOST: the count");
  CHECK_INT(res[12], 1, "pvm_delhosts returns the RM's successes");
  CHECK_INT(res[13], 0, "pvm_delhosts: infos[0] from the RM");
  CHECK_INT(res[14], PvmNoHost, "pvm_delhosts: infos[1] from the RM");

  CHECK_INT(s.task, 1, "pvm_tasks came to the RM as SM_TASK");
  CHECK_INT(s.task_where, 0, "SM_TASK: where");
  CHECK_INT(res[15], 0, "pvm_tasks returns 0 with the RM's answer");
  CHECK_INT(res[16], 1, "pvm_tasks: the RM's task count");
  CHECK_INT(res[17], 0x1c0007, "pvm_tasks: the RM's tid");
  CHECK_INT(res[18], 4242, "pvm_tasks: the RM's pid");
  CHECK_INT(res[19], 1, "pvm_tasks: the RM's name");

  CHECK_INT(res[20], 0, "pvm_notify returns 0");
  CHECK_INT(s.notify, 1, "pvm_notify came to the RM as SM_NOTIFY");
  CHECK_INT(s.n_what, PvmTaskExit, "SM_NOTIFY: what");
  CHECK_INT(s.n_code, 55, "SM_NOTIFY: the tag");
  CHECK_INT(s.n_count, 1, "SM_NOTIFY: the count");
  CHECK_INT(s.n_tid, me, "SM_NOTIFY: the tid");

  pvm_exit();
  return conf_end();
}
