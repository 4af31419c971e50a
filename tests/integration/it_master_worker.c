/* it_master_worker: 8 workers each sum a range and send it back; the master
 * compares with a serial sum. pvm_tasks(0, ...) must list the workers with
 * the master as parent, and a pvm_mcast must reach every worker once. */
#include "it_common.h"

#define NWORK 8
#define N 1000000L
#define TAG_WORK 1
#define TAG_SUM 2
#define TAG_MCAST 3
#define TAG_ACK 4

/* The sum the workers compute: small terms so it fits in any long. */
static long term(long i) { return (i * 7919L) % 10007L; }

static long range_sum(long lo, long hi) {
  long s = 0;
  for (long i = lo; i < hi; i++)
    s += term(i);
  return s;
}

static int worker(void) {
  int parent = pvm_parent(), me = pvm_mytid(), idx, ptid, token;
  long lo, hi, sum;

  IT_CHECK(me > 0 && parent > 0, "mytid %d parent %d", me, parent);
  IT_CHECK(pvm_recv(parent, TAG_WORK) > 0, "pvm_recv(TAG_WORK) failed");
  IT_CHECK(pvm_upkint(&idx, 1, 1) == 0 && pvm_upkint(&ptid, 1, 1) == 0 &&
               pvm_upklong(&lo, 1, 1) == 0 && pvm_upklong(&hi, 1, 1) == 0,
           "unpacking the work failed");
  IT_CHECK(ptid == parent, "pvm_parent() t%x, master says it is t%x", parent,
           ptid);
  sum = range_sum(lo, hi);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&idx, 1, 1);
  pvm_pklong(&sum, 1, 1);
  IT_CHECK(pvm_send(parent, TAG_SUM) == 0, "pvm_send(TAG_SUM) failed");

  /* The broadcast: answer with token + index, then leave. */
  IT_CHECK(pvm_recv(parent, TAG_MCAST) > 0, "pvm_recv(TAG_MCAST) failed");
  IT_CHECK(pvm_upkint(&token, 1, 1) == 0, "unpacking the token failed");
  token += idx;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&idx, 1, 1);
  pvm_pkint(&token, 1, 1);
  IT_CHECK(pvm_send(parent, TAG_ACK) == 0, "pvm_send(TAG_ACK) failed");
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  int me, tids[NWORK], got[NWORK], cc, ntask = 0, token = 4242;
  struct pvmtaskinfo *ti = NULL;
  long total = 0, serial;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(90);
    return worker();
  }
  it_set_name(argv[0], NULL);
  it_guard(100);

  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid() = %d", me);
  {
    char *args[] = {"--child", "worker", NULL};
    cc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, NULL, NWORK,
                   tids);
  }
  IT_CHECK(cc == NWORK, "pvm_spawn of %d workers started %d (tids[last]=%d)",
           NWORK, cc, tids[NWORK - 1]);
  for (int i = 0; i < NWORK; i++)
    for (int j = 0; j < i; j++)
      IT_CHECK(tids[i] != tids[j] && tids[i] > 0, "bad or repeated tid t%x",
               tids[i]);

  /* pvm_tasks(0) lists every task of the VM: the master and its workers. */
  IT_CHECK(pvm_tasks(0, &ntask, &ti) == 0, "pvm_tasks(0) failed");
  IT_CHECK(ntask >= NWORK + 1, "pvm_tasks(0) lists %d tasks, want >= %d", ntask,
           NWORK + 1);
  for (int i = 0; i < NWORK; i++) {
    int found = 0;
    for (int k = 0; k < ntask; k++)
      if (ti[k].ti_tid == tids[i]) {
        found = 1;
        IT_CHECK(ti[k].ti_ptid == me, "worker t%x has parent t%x, want t%x",
                 tids[i], ti[k].ti_ptid, me);
        IT_CHECK(ti[k].ti_host == pvm_tidtohost(me),
                 "worker t%x on host t%x, want t%x", tids[i], ti[k].ti_host,
                 pvm_tidtohost(me));
        IT_CHECK(ti[k].ti_a_out != NULL &&
                     strstr(ti[k].ti_a_out, "it_master_worker") != NULL,
                 "worker t%x's ti_a_out is \"%s\"", tids[i],
                 ti[k].ti_a_out ? ti[k].ti_a_out : "(null)");
        IT_CHECK(ti[k].ti_pid > 0, "worker t%x's ti_pid is %d", tids[i],
                 ti[k].ti_pid);
      }
    IT_CHECK(found, "worker t%x missing from pvm_tasks(0)", tids[i]);
  }
  {
    int found = 0;
    for (int k = 0; k < ntask; k++)
      found |= ti[k].ti_tid == me;
    IT_CHECK(found, "the master t%x is missing from pvm_tasks(0)", me);
  }
  /* where = the host's pvmd tid: the tasks of that host, ours included. */
  {
    int nhost_tasks = 0;
    struct pvmtaskinfo *hti = NULL;
    IT_CHECK(pvm_tasks(pvm_tidtohost(me), &nhost_tasks, &hti) == 0 &&
                 nhost_tasks >= NWORK + 1,
             "pvm_tasks(host t%x) lists %d tasks", pvm_tidtohost(me),
             nhost_tasks);
  }
  /* where = a task's tid: that task only. */
  IT_CHECK(pvm_tasks(tids[3], &ntask, &ti) == 0 && ntask == 1 &&
               ti[0].ti_tid == tids[3],
           "pvm_tasks(t%x) did not return exactly that task", tids[3]);

  for (int i = 0; i < NWORK; i++) {
    long lo = N * i / NWORK, hi = N * (i + 1) / NWORK;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&i, 1, 1);
    pvm_pkint(&me, 1, 1);
    pvm_pklong(&lo, 1, 1);
    pvm_pklong(&hi, 1, 1);
    IT_CHECK(pvm_send(tids[i], TAG_WORK) == 0, "pvm_send to t%x failed",
             tids[i]);
  }
  memset(got, 0, sizeof got);
  for (int n = 0; n < NWORK; n++) {
    int idx, src;
    long sum;
    int b = pvm_recv(-1, TAG_SUM);
    IT_CHECK(b > 0, "pvm_recv(-1, TAG_SUM) = %d", b);
    pvm_bufinfo(b, NULL, NULL, &src);
    IT_CHECK(pvm_upkint(&idx, 1, 1) == 0 && pvm_upklong(&sum, 1, 1) == 0,
             "unpacking a sum failed");
    IT_CHECK(idx >= 0 && idx < NWORK && !got[idx], "bad or repeated index %d",
             idx);
    IT_CHECK(src == tids[idx], "sum %d came from t%x, want t%x", idx, src,
             tids[idx]);
    IT_CHECK(sum == range_sum(N * idx / NWORK, N * (idx + 1) / NWORK),
             "worker %d sum %ld is wrong", idx, sum);
    got[idx] = 1;
    total += sum;
  }
  serial = range_sum(0, N);
  IT_CHECK(total == serial, "total %ld != serial %ld", total, serial);

  /* One multicast, one answer from each worker. */
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&token, 1, 1);
  IT_CHECK(pvm_mcast(tids, NWORK, TAG_MCAST) == 0, "pvm_mcast failed");
  memset(got, 0, sizeof got);
  for (int n = 0; n < NWORK; n++) {
    int idx, val, src;
    struct timeval tmo = {20, 0};
    int b = pvm_trecv(-1, TAG_ACK, &tmo);
    IT_CHECK(b > 0, "only %d of %d workers answered the multicast (%d)", n,
             NWORK, b);
    pvm_bufinfo(b, NULL, NULL, &src);
    pvm_upkint(&idx, 1, 1);
    pvm_upkint(&val, 1, 1);
    IT_CHECK(idx >= 0 && idx < NWORK && !got[idx] && src == tids[idx],
             "unexpected multicast answer %d from t%x", idx, src);
    IT_CHECK(val == token + idx, "worker %d answered %d, want %d", idx, val,
             token + idx);
    got[idx] = 1;
  }
  {
    struct timeval tmo = {0, 300000};
    IT_CHECK(pvm_trecv(-1, TAG_ACK, &tmo) == 0,
             "a worker answered the multicast twice");
  }
  /* The workers leave once they have answered. */
  {
    double t0 = it_now();
    for (;;) {
      int left = 0;
      IT_CHECK(pvm_tasks(0, &ntask, &ti) == 0, "pvm_tasks(0) failed");
      for (int k = 0; k < ntask; k++)
        left += ti[k].ti_ptid == me;
      if (left == 0)
        break;
      IT_CHECK(it_now() - t0 < 10.0,
               "%d workers still listed 10 s after "
               "their pvm_exit",
               left);
      it_sleep_ms(20);
    }
  }
  it_note("%d workers, total %ld = serial %ld; multicast reached all: OK",
          NWORK, total, serial);
  pvm_exit();
  return 0;
}
