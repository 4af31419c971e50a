/* it_fdlimit: the daemon at its descriptor limit.
 *
 * The daemon started with a soft limit below its hard one must have raised
 * it (checked in /proc/<pid>/limits). The parent then sets the daemon's
 * limit, soft and hard, to LIMIT (prlimit), starts a few echo workers, and
 * opens CONNS raw connections to the daemon's socket: those beyond what the
 * daemon can serve are refused with a HelloReply (PvmOutOfRes), the echo
 * workers keep answering, and the daemon logs the refusals once. Then, with
 * the connections closed, a spawn of more tasks than the limit allows:
 * every tid reported is a task that runs (it sends its parent a message),
 * every other slot is PvmOutOfRes, and the log says why.
 *
 * Usage: it_fdlimit [LIMIT [CONNS [NSPAWN]]] (defaults 160 2000 100); with
 * CONNS 0 only the spawn part runs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "it_common.h"

#define TAG_PING 61
#define TAG_HI 62
#define TAG_END 63
#define NWORKERS 6

static void ping_workers(const int *w) {
  for (int i = 0; i < NWORKERS; i++) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&i, 1, 1);
    IT_CHECK(pvm_send(w[i], TAG_PING) == 0, "send to worker %d", i);
  }
  for (int i = 0; i < NWORKERS; i++) {
    int v = -1;
    IT_CHECK(pvm_trecv(w[i], TAG_PING, &(struct timeval){20, 0}) > 0,
             "worker %d does not answer", i);
    pvm_upkint(&v, 1, 1);
    IT_CHECK(v == i, "worker %d answered %d", i, v);
  }
}

static int worker(void) {
  int parent = pvm_parent(), v;
  for (;;) {
    int bid = pvm_recv(parent, -1), tag, len, src;
    pvm_bufinfo(bid, &len, &tag, &src);
    if (tag == TAG_END)
      break;
    pvm_upkint(&v, 1, 1);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&v, 1, 1);
    pvm_send(parent, TAG_PING);
  }
  pvm_exit();
  return 0;
}

static int hi(void) {
  int parent = pvm_parent();
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_HI);
  pvm_recv(parent, TAG_END);
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  int limit = argc > 1 ? atoi(argv[1]) : 160;
  int nconn = argc > 2 ? atoi(argv[2]) : 2000;
  int nspawn = argc > 3 ? atoi(argv[3]) : 100;
  int w[NWORKERS], *fds, *tids, refused = 0, ok = 0, oor = 0;
  struct rlimit rl;
  struct sockaddr_un sa;
  char line[256], path[PATH_MAX];
  long soft = -1, hard = -1;
  pid_t dp;
  FILE *fp;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(200);
    return strcmp(argv[2], "worker") == 0 ? worker() : hi();
  }
  it_set_name(argv[0], NULL);
  it_guard(170);
  IT_CHECK(limit >= 64 && nconn >= 0 && nspawn > 0, "bad arguments");
  pvm_mytid();
  dp = it_daemon_pid();

  /* Raised at start: soft = hard. */
  snprintf(path, sizeof path, "/proc/%ld/limits", (long)dp);
  fp = fopen(path, "r");
  IT_CHECK(fp != NULL, "cannot open %s", path);
  while (fgets(line, sizeof line, fp) != NULL)
    if (strncmp(line, "Max open files", 14) == 0)
      sscanf(line + 14, "%ld %ld", &soft, &hard);
  fclose(fp);
  IT_CHECK(soft > 0 && soft == hard,
           "the daemon's descriptor limit is %ld (soft), %ld (hard)", soft,
           hard);
  it_note("the daemon raised its soft descriptor limit to %ld", soft);

  /* This program needs a descriptor per connection. */
  IT_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
  if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < nconn + 64)
    nconn = (int)rl.rlim_max - 64;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
  IT_CHECK(prlimit(dp, RLIMIT_NOFILE, &rl, NULL) == 0, "prlimit: %s",
           strerror(errno));
  for (int i = 0; i < NWORKERS; i++)
    w[i] = it_spawn_self("worker", NULL);
  ping_workers(w);

  if (nconn > 0) {
    /* Connections that never say hello. */
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    IT_CHECK(pvmt_runtime_path(sa.sun_path, sizeof sa.sun_path, "sock") == 0,
             "no socket path (PVM_TMP and PVM_VMID must be set)");
    fds = calloc((size_t)nconn, sizeof *fds);
    IT_CHECK(fds != NULL, "out of memory");
    for (int i = 0; i < nconn; i++) {
      fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
      IT_CHECK(fds[i] >= 0, "socket: %s", strerror(errno));
      while (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0) {
        /* The backlog is full: the daemon catches up. */
        IT_CHECK(errno == EAGAIN, "connect %d: %s", i, strerror(errno));
        it_sleep_ms(5);
      }
    }
    it_sleep_ms(1000);
    for (int i = 0; i < nconn; i++) {
      struct pollfd p = {fds[i], POLLIN, 0};
      if (poll(&p, 1, 0) == 1)
        refused++; /* a HelloReply, or the end */
    }
    it_note("%d connections, %d refused by the daemon", nconn, refused);
    IT_CHECK(refused > 0 && refused < nconn,
             "%d of %d connections refused: expected some", refused, nconn);
    ping_workers(w);
    for (int i = 0; i < nconn; i++)
      close(fds[i]);
    free(fds);
    IT_CHECK(it_log_count("refusing connections:") == 1,
             "the daemon logged %d refusal warnings, not 1",
             it_log_count("refusing connections:"));
    it_sleep_ms(1000);
  }

  /* A spawn over what the limit allows. */
  tids = calloc((size_t)nspawn, sizeof *tids);
  IT_CHECK(tids != NULL, "out of memory");
  char *args[] = {"--child", "hi", NULL};
  int cc =
      pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", nspawn, tids);
  for (int i = 0; i < nspawn; i++) {
    if (tids[i] > 0)
      ok++;
    else
      IT_CHECK(tids[i] == PvmOutOfRes, "slot %d: %d, not PvmOutOfRes", i,
               tids[i]);
    oor += tids[i] == PvmOutOfRes;
  }
  it_note("pvm_spawn of %d: %d started, %d PvmOutOfRes", nspawn, ok, oor);
  IT_CHECK(cc == ok, "pvm_spawn returned %d, %d tids", cc, ok);
  IT_CHECK(ok > 0 && oor > 0, "expected both started and refused tasks");
  for (int i = 0; i < nspawn; i++)
    if (tids[i] > 0)
      IT_CHECK(pvm_trecv(tids[i], TAG_HI, &(struct timeval){30, 0}) > 0,
               "task %d (t%x), reported started, never ran", i,
               (unsigned)tids[i]);
  for (int i = 0; i < nspawn; i++)
    if (tids[i] > 0) {
      pvm_initsend(PvmDataDefault);
      pvm_send(tids[i], TAG_END);
    }
  IT_CHECK(it_log_count("(PvmOutOfRes): out of descriptors") >= 1,
           "the daemon did not log why it refused tasks");
  ping_workers(w);
  for (int i = 0; i < NWORKERS; i++) {
    pvm_initsend(PvmDataDefault);
    pvm_send(w[i], TAG_END);
  }
  free(tids);
  pvm_exit();
  return 0;
}
