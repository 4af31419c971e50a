/* it_spawn_limits: errors that say what happened at the limits of a spawn
 * and of a message.
 *  - 10,000 tasks (over 4096), 100,000 arguments (over 4096) or a 1 MiB
 *    path in one spawn: PvmBadParam, with the limit in the message.
 *  - An argument over exec's limit for one string (128 KiB) is PvmBadParam,
 *    not a failed spawn (PvmSysErr).
 *  - A message body over the 1 GiB limit is PvmNoMem, refused before
 *    anything is sent, for pvm_psend and when packing.
 *  - With the daemon out of descriptors (run under a low `ulimit -n`, hard
 *    and soft), a spawn it cannot start is PvmOutOfRes, not PvmSysErr; the
 *    tasks already running are untouched, and once they are killed spawns
 *    work again. */
#include <sys/resource.h>

#include "it_common.h"

#define MAX_IDLE 2000

int main(int argc, char **argv) {
  static int idle[MAX_IDLE];
  int nidle = 0, cc, tid, failure = 0;

  if (it_is_child(argc, argv)) {
    /* "idle": holds its daemon's descriptors (output pipes) until killed. */
    it_set_name(argv[0], argv[2]);
    it_guard(60);
    for (;;)
      pause();
  }
  it_set_name(argv[0], NULL);
  it_guard(120);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid failed");

  {
    static char big[200 * 1024 + 1];
    char *args[] = {"--child", "idle", big, NULL};
    memset(big, 'a', sizeof big - 1);
    cc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &tid);
    IT_CHECK(cc == PvmBadParam || (cc == 0 && tid == PvmBadParam),
             "spawn with a 200 KiB argument: cc %d tid %d, expected "
             "PvmBadParam",
             cc, tid);
    it_note("ok: a 200 KiB argument is PvmBadParam");
  }
  {
    /* The test plan's spawn rows: 10,000 tasks, 100,000 arguments, a 1 MiB
     * path: refused before anything starts, every slot PvmBadParam. */
    static int many[10000];
    static char *args[100001], path[1 << 20];
    cc = pvm_spawn((char *)it_self_path(), NULL, PvmTaskDefault, "", 10000,
                   many);
    IT_CHECK(cc == PvmBadParam, "spawn of 10,000 tasks: %d", cc);
    for (int i = 0; i < 10000; i++)
      IT_CHECK(many[i] == PvmBadParam, "slot %d of 10,000: %d", i, many[i]);
    for (int i = 0; i < 100000; i++)
      args[i] = "x";
    cc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &tid);
    IT_CHECK(cc == PvmBadParam, "spawn with 100,000 arguments: %d", cc);
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    cc = pvm_spawn(path, NULL, PvmTaskDefault, "", 1, &tid);
    IT_CHECK(cc == PvmBadParam || (cc == 0 && tid == PvmBadParam),
             "spawn of a 1 MiB path: cc %d tid %d", cc, tid);
    it_note("ok: 10,000 tasks, 100,000 arguments, a 1 MiB path: PvmBadParam");
  }
  {
    size_t n = ((size_t)1 << 30) + 1;
    char *m = malloc(n); /* never touched: no memory is used */
    IT_CHECK(m != NULL, "malloc");
    IT_CHECK(pvm_psend(pvm_mytid(), 1, m, (int)n, PVM_BYTE) == PvmNoMem,
             "pvm_psend of 1 GiB + 1 byte did not give PvmNoMem");
    pvm_initsend(PvmDataRaw);
    IT_CHECK(pvm_pkbyte(m, (int)(n - 1), 1) == 0, "packing 1 GiB raw");
    IT_CHECK(pvm_pkbyte(m, 1, 1) == PvmNoMem,
             "packing one byte past 1 GiB did not give PvmNoMem");
    pvm_initsend(PvmDataDefault);
    /* The 8-byte item header of PvmDataDefault puts a 1 GiB array over. */
    IT_CHECK(pvm_pkbyte(m, (int)(n - 1), 1) == PvmNoMem,
             "packing 1 GiB with PvmDataDefault did not give PvmNoMem");
    pvm_initsend(PvmDataDefault);
    free(m);
    it_note("ok: a message body over 1 GiB is PvmNoMem");
  }

  {
    struct rlimit rl;
    IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
    if (rl.rlim_max > 256) {
      it_note("skipping the descriptor part: run under `ulimit -n 64` "
              "(hard limit %llu)",
              (unsigned long long)rl.rlim_max);
      pvm_exit();
      it_note("PASS");
      return 0;
    }
  }
  for (nidle = 0; nidle < MAX_IDLE; nidle++) {
    char *args[] = {"--child", "idle", NULL};
    cc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &tid);
    if (cc != 1) {
      failure = cc < 0 ? cc : tid;
      break;
    }
    idle[nidle] = tid;
  }
  IT_CHECK(nidle < MAX_IDLE, "%d spawns and no descriptor shortage", nidle);
  IT_CHECK(failure == PvmOutOfRes,
           "spawn %d, out of descriptors, failed with %d, expected "
           "PvmOutOfRes (%d)",
           nidle + 1, failure, PvmOutOfRes);
  it_note("ok: spawn %d, out of descriptors, is PvmOutOfRes", nidle + 1);
  for (int i = 0; i < nidle; i++) {
    int st = pvm_pstat(idle[i]);
    IT_CHECK(st == PvmOk, "idle task %d: pvm_pstat %d", i, st);
  }
  for (int i = 0; i < nidle; i++)
    IT_CHECK(pvm_kill(idle[i]) == 0, "pvm_kill of idle task %d", i);
  /* The daemon gets its descriptors back as the tasks are reaped. */
  {
    double end = it_now() + 20;
    char *args[] = {"--child", "idle", NULL};
    do {
      it_sleep_ms(50);
      cc = pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &tid);
    } while (cc != 1 && it_now() < end);
    IT_CHECK(cc == 1, "no spawn works after the idle tasks were killed (%d)",
             tid);
    pvm_kill(tid);
  }
  it_note("ok: spawns work again once the tasks are gone");
  pvm_exit();
  it_note("PASS");
  return 0;
}
