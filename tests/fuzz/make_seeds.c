/* Writes the seed corpora (fuzz_make_seeds <dir>: <dir>/frame, control,
 * unpack, rmanswer): frames of each type in several chunkings, a Control of
 * every body, bodies packed by every pvm_pk* call in both encodings, and a
 * resource manager's answers to each kind of request. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buffer.h"
#include "frame.h"
#include "fuzz.h"
#include "pvm3.h"
#include "xdr.h"

static const char *root;

static void write_seed(const char *dir, const char *name, const void *p,
                       size_t n) {
  char path[1024];
  FILE *fp;

  snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
  fp = fopen(path, "wb");
  if (fp == NULL || fwrite(p, 1, n, fp) != n || fclose(fp) != 0) {
    fprintf(stderr, "make_seeds: cannot write %s\n", path);
    exit(1);
  }
}

/* ---- A growing byte string ------------------------------------------------
 */

struct bytes {
  uint8_t *p;
  size_t n, cap;
};

static void put(struct bytes *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    FZ_CHECK(b->p != NULL);
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

/* ---- Controls -------------------------------------------------------------
 */

/* Fills c with body `which` (a PVMNG__CONTROL__BODY_* value) made of the
 * static submessages below. Returns 0, or -1 for a value with no body. */
static int make_control(Pvmng__Control *c, int which) {
  static char *argv[] = {"-v", "", "a b"}, *env[] = {"A=1", "PVM_X=y"};
  static char *names[] = {"hostA", "hostB:22"};
  static uint32_t tids[] = {0x40001, 0x80002, 0};
  static int32_t stids[] = {0x40003, -6, 0x40004};
  static uint8_t binding[32] = {1, 2, 3};
  static uint8_t csr[64] = {0x30, 0x3e, 0x30, 0x20};
  static char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END "
                      "CERTIFICATE-----\n";
  static Pvmng__JoinRequest join_req = PVMNG__JOIN_REQUEST__INIT;
  static Pvmng__JoinReply join_rep = PVMNG__JOIN_REPLY__INIT;
  static Pvmng__Hello hello = PVMNG__HELLO__INIT;
  static Pvmng__HelloReply hello_reply = PVMNG__HELLO_REPLY__INIT;
  static Pvmng__SpawnRequest spawn = PVMNG__SPAWN_REQUEST__INIT;
  static Pvmng__SpawnReply spawn_reply = PVMNG__SPAWN_REPLY__INIT;
  static Pvmng__KillRequest kill = PVMNG__KILL_REQUEST__INIT;
  static Pvmng__SignalRequest sig = PVMNG__SIGNAL_REQUEST__INIT;
  static Pvmng__PstatRequest pstat = PVMNG__PSTAT_REQUEST__INIT;
  static Pvmng__MstatRequest mstat = PVMNG__MSTAT_REQUEST__INIT;
  static Pvmng__ConfigRequest config = PVMNG__CONFIG_REQUEST__INIT;
  static Pvmng__HostInfo host = PVMNG__HOST_INFO__INIT;
  static Pvmng__HostInfo *hosts[] = {&host, &host};
  static Pvmng__ConfigReply config_reply = PVMNG__CONFIG_REPLY__INIT;
  static Pvmng__TasksRequest tasks = PVMNG__TASKS_REQUEST__INIT;
  static Pvmng__TaskInfo task = PVMNG__TASK_INFO__INIT;
  static Pvmng__TaskInfo *taskv[] = {&task};
  static Pvmng__TasksReply tasks_reply = PVMNG__TASKS_REPLY__INIT;
  static Pvmng__HaltRequest halt = PVMNG__HALT_REQUEST__INIT;
  static Pvmng__ExitRequest exit_ = PVMNG__EXIT_REQUEST__INIT;
  static Pvmng__Status status = PVMNG__STATUS__INIT;
  static Pvmng__NotifyRequest notify = PVMNG__NOTIFY_REQUEST__INIT;
  static Pvmng__TaskOptions opts = PVMNG__TASK_OPTIONS__INIT;
  static Pvmng__GroupRequest group = PVMNG__GROUP_REQUEST__INIT;
  static Pvmng__GroupInfo ginfo = PVMNG__GROUP_INFO__INIT;
  static Pvmng__GroupInfo *ginfov[] = {&ginfo};
  static Pvmng__GroupReply group_reply = PVMNG__GROUP_REPLY__INIT;
  static Pvmng__PeerHello peer_hello = PVMNG__PEER_HELLO__INIT;
  static Pvmng__PeerWelcome welcome = PVMNG__PEER_WELCOME__INIT;
  static Pvmng__PeerHosts peer_hosts = PVMNG__PEER_HOSTS__INIT;
  static Pvmng__PeerForward fwd = PVMNG__PEER_FORWARD__INIT;
  static Pvmng__PeerHalt peer_halt = PVMNG__PEER_HALT__INIT;
  static Pvmng__HostsRequest hreq = PVMNG__HOSTS_REQUEST__INIT;
  static Pvmng__HostsReply hrep = PVMNG__HOSTS_REPLY__INIT;
  static uint8_t inner[64];

  pvmng__control__init(c);
  c->req_id = 7;
  c->body_case = which;
  switch (which) {
  case PVMNG__CONTROL__BODY_HELLO:
    hello.proto_version = PVMW_VERSION;
    hello.vmid = "vm1";
    hello.pid = 4242;
    hello.spawned_tid = 0x40002;
    hello.name = "worker";
    hello.link_nonce = 0x123456789abcULL;
    c->hello = &hello;
    break;
  case PVMNG__CONTROL__BODY_HELLO_REPLY:
    hello_reply.code = 0;
    hello_reply.reason = "";
    hello_reply.tid = 0x40002;
    hello_reply.parent_tid = 0x40001;
    hello_reply.daemon_tid = 0x40000;
    hello_reply.max_frame = PVMW_MAX_FRAME;
    hello_reply.max_message = PVMW_MAX_MESSAGE;
    hello_reply.out_code = -3;
    c->hello_reply = &hello_reply;
    break;
  case PVMNG__CONTROL__BODY_SPAWN:
    spawn.file = "/bin/echo";
    spawn.n_argv = 3;
    spawn.argv = argv;
    spawn.flags = PvmTaskHost;
    spawn.where = "hostA";
    spawn.ntask = 2;
    spawn.n_env = 2;
    spawn.env = env;
    spawn.wd = "/tmp";
    c->spawn = &spawn;
    break;
  case PVMNG__CONTROL__BODY_SPAWN_REPLY:
    spawn_reply.n_tids = 3;
    spawn_reply.tids = stids;
    c->spawn_reply = &spawn_reply;
    break;
  case PVMNG__CONTROL__BODY_KILL:
    kill.tid = 0x40005;
    c->kill = &kill;
    break;
  case PVMNG__CONTROL__BODY_SIGNAL:
    sig.tid = 0x40005;
    sig.signum = 15;
    c->signal = &sig;
    break;
  case PVMNG__CONTROL__BODY_PSTAT:
    pstat.tid = 0x40005;
    c->pstat = &pstat;
    break;
  case PVMNG__CONTROL__BODY_MSTAT:
    mstat.host = "hostB";
    c->mstat = &mstat;
    break;
  case PVMNG__CONTROL__BODY_CONFIG:
    c->config = &config;
    break;
  case PVMNG__CONTROL__BODY_CONFIG_REPLY:
    host.tid = 0x40000;
    host.name = "hostA";
    host.arch = "LINUX64";
    host.speed = 1000;
    host.dsig = 0x408841;
    config_reply.n_hosts = 2;
    config_reply.hosts = hosts;
    config_reply.narch = 1;
    c->config_reply = &config_reply;
    break;
  case PVMNG__CONTROL__BODY_TASKS:
    tasks.where = 0x40000;
    c->tasks = &tasks;
    break;
  case PVMNG__CONTROL__BODY_TASKS_REPLY:
    task.tid = 0x40002;
    task.ptid = 0x40001;
    task.host = 0x40000;
    task.flag = 4;
    task.name = "worker";
    task.pid = 99;
    task.no_reset = 1;
    tasks_reply.n_tasks = 1;
    tasks_reply.tasks = taskv;
    c->tasks_reply = &tasks_reply;
    break;
  case PVMNG__CONTROL__BODY_HALT:
    c->halt = &halt;
    break;
  case PVMNG__CONTROL__BODY_EXIT:
    c->exit = &exit_;
    break;
  case PVMNG__CONTROL__BODY_STATUS:
    status.code = PvmNoTask;
    status.value = -1;
    status.reason = "no such task";
    c->status = &status;
    break;
  case PVMNG__CONTROL__BODY_NOTIFY:
    notify.kind = PvmTaskExit;
    notify.tag = 77;
    notify.ctx = 3;
    notify.count = -1;
    notify.n_tids = 3;
    notify.tids = tids;
    c->notify = &notify;
    break;
  case PVMNG__CONTROL__BODY_TASK_OPTIONS:
    opts.no_reset = 1;
    c->task_options = &opts;
    break;
  case PVMNG__CONTROL__BODY_GROUP:
    group.op = PVMNG__GROUP_OP__GROUP_BARRIER;
    group.group = "workers";
    group.count = 4;
    c->group = &group;
    break;
  case PVMNG__CONTROL__BODY_GROUP_REPLY:
    ginfo.name = "workers";
    ginfo.version = 3;
    ginfo.frozen = 1;
    ginfo.n_tids = 3;
    ginfo.tids = tids;
    ginfo.left = 0x80002;
    ginfo.barrier_waiting = 1;
    ginfo.barrier_count = 3;
    group_reply.value = 2;
    group_reply.n_groups = 1;
    group_reply.groups = ginfov;
    c->group_reply = &group_reply;
    break;
  case PVMNG__CONTROL__BODY_PEER_HELLO:
    peer_hello.proto_version = PVMW_VERSION;
    peer_hello.vmid = "vm1";
    peer_hello.host = "hostB";
    peer_hello.binding.len = sizeof binding;
    peer_hello.binding.data = binding;
    c->peer_hello = &peer_hello;
    break;
  case PVMNG__CONTROL__BODY_PEER_WELCOME:
    welcome.host_tid = 0x80000;
    welcome.n_hosts = 2;
    welcome.hosts = hosts;
    c->peer_welcome = &welcome;
    break;
  case PVMNG__CONTROL__BODY_PEER_HOSTS:
    peer_hosts.n_hosts = 2;
    peer_hosts.hosts = hosts;
    c->peer_hosts = &peer_hosts;
    break;
  case PVMNG__CONTROL__BODY_PEER_FORWARD: {
    /* Carries a kill request, encoded. */
    Pvmng__Control k;
    make_control(&k, PVMNG__CONTROL__BODY_KILL);
    FZ_CHECK(pvmng__control__get_packed_size(&k) <= sizeof inner);
    fwd.control.len = pvmng__control__pack(&k, inner);
    fwd.control.data = inner;
    fwd.to_host = 2;
    fwd.from_host = 1;
    fwd.fwd_id = 9;
    fwd.origin_tid = 0x40002;
    c->peer_forward = &fwd;
    c->body_case = which;
    c->req_id = 7;
    break;
  }
  case PVMNG__CONTROL__BODY_PEER_HALT:
    peer_halt.why = "master halting";
    c->peer_halt = &peer_halt;
    break;
  case PVMNG__CONTROL__BODY_ADD_HOSTS:
  case PVMNG__CONTROL__BODY_DEL_HOSTS:
    hreq.n_hosts = 2;
    hreq.hosts = names;
    if (which == PVMNG__CONTROL__BODY_ADD_HOSTS)
      c->add_hosts = &hreq;
    else
      c->del_hosts = &hreq;
    break;
  case PVMNG__CONTROL__BODY_HOSTS_REPLY:
    hrep.n_results = 3;
    hrep.results = stids;
    c->hosts_reply = &hrep;
    break;
  case PVMNG__CONTROL__BODY_JOIN_REQUEST:
    join_req.proto_version = PVMW_VERSION;
    join_req.vmid = "vm1";
    join_req.host = "hostB";
    join_req.secret.len = sizeof binding;
    join_req.secret.data = binding;
    join_req.csr.len = sizeof csr;
    join_req.csr.data = csr;
    c->join_request = &join_req;
    break;
  case PVMNG__CONTROL__BODY_JOIN_REPLY:
    join_rep.cert.len = sizeof pem - 1;
    join_rep.cert.data = (uint8_t *)pem;
    join_rep.ca.len = sizeof pem - 1;
    join_rep.ca.data = (uint8_t *)pem;
    c->join_reply = &join_rep;
    break;
  default:
    return -1;
  }
  return 0;
}

/* The frame of a Control with body `which`, appended to b. */
static void put_control_frame(struct bytes *b, int which) {
  Pvmng__Control c;
  pvmw_frame *f;

  FZ_CHECK(make_control(&c, which) == 0);
  f = pvmw_control_frame(&c);
  FZ_CHECK(f != NULL);
  put(b, f->raw, f->raw_len);
  pvmw_frame_free(f);
}

/* A message frame carrying body[0..n), appended to out. */
static void put_message_frame(struct bytes *out, const void *body, size_t n,
                              uint32_t flags) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  uint8_t hdr[PVMW_HDR_LEN], mh[PVMW_MAX_MSGHDR + 2];
  size_t k;

  h.src = 0x40002;
  h.dst = 0x80003;
  h.tag = -5;
  h.ctx = 0x7ffffff0;
  h.encoding = PvmDataDefault;
  h.flags = flags;
  h.total_len = n;
  h.wid = 1;
  k = pvmw_msghdr_encode(&h, mh);
  FZ_CHECK(k > 0);
  pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, (uint32_t)(k + n));
  put(out, hdr, sizeof hdr);
  put(out, mh, k);
  put(out, body, n);
}

static void control_seeds(void) {
  /* Bodies up to HOSTS_REPLY, then the join exchange. */
  static const int join[] = {PVMNG__CONTROL__BODY_JOIN_REQUEST,
                             PVMNG__CONTROL__BODY_JOIN_REPLY};
  for (int i = 0; i <= PVMNG__CONTROL__BODY_HOSTS_REPLY + 2; i++) {
    int which = i <= PVMNG__CONTROL__BODY_HOSTS_REPLY
                    ? i
                    : join[i - PVMNG__CONTROL__BODY_HOSTS_REPLY - 1];
    Pvmng__Control c;
    uint8_t buf[1024];
    char name[64];
    size_t n;

    if (make_control(&c, which) != 0)
      continue;
    n = pvmng__control__get_packed_size(&c);
    FZ_CHECK(n <= sizeof buf);
    pvmng__control__pack(&c, buf);
    snprintf(name, sizeof name, "%s",
             protobuf_c_message_descriptor_get_field(
                 &pvmng__control__descriptor, (unsigned)which)
                 ->name);
    write_seed("control", name, buf, n);
  }
}

/* Writes a frame-target input: prefix bytes, then the stream. */
static void frame_seed(const char *name, uint8_t cap_index, uint8_t flags,
                       uint8_t stop, const uint8_t chunks[4],
                       const struct bytes *stream) {
  struct bytes s = {0};
  uint8_t pre[FZ_FRAME_PREFIX] = {cap_index, flags,     stop,     chunks[0],
                                  chunks[1], chunks[2], chunks[3]};
  put(&s, pre, sizeof pre);
  if (stream->n)
    put(&s, stream->p, stream->n);
  write_seed("frame", name, s.p, s.n);
  free(s.p);
}

static void frame_seeds(void) {
  static const uint8_t whole[4] = {0, 0, 0, 0}, ones[4] = {1, 1, 1, 1},
                       mixed[4] = {5, 13, 1, 40}, hdrs[4] = {12, 3, 12, 9};
  struct bytes mixed_stream = {0}, one = {0}, big = {0}, bad = {0};
  uint8_t hdr[PVMW_HDR_LEN], body[300];

  for (size_t i = 0; i < sizeof body; i++)
    body[i] = (uint8_t)(i * 7);
  /* Every control body and message frames of several sizes, one stream. */
  for (int which = 0; which <= PVMNG__CONTROL__BODY_HOSTS_REPLY; which++) {
    Pvmng__Control c;
    if (make_control(&c, which) == 0)
      put_control_frame(&mixed_stream, which);
  }
  put_message_frame(&mixed_stream, body, 0, PVMW_MF_FIRST | PVMW_MF_LAST);
  put_message_frame(&mixed_stream, body, 20, PVMW_MF_FIRST);
  put_message_frame(&mixed_stream, body, sizeof body, PVMW_MF_LAST);
  frame_seed("stream-whole", 4, 0, 0, whole, &mixed_stream);
  frame_seed("stream-bytewise", 4, 0, 0, ones, &mixed_stream);
  frame_seed("stream-mixed-feed", 4, FZ_FRAME_FEED, 0, mixed, &mixed_stream);
  frame_seed("stream-headers-short", 3, FZ_FRAME_SHORT, 0, hdrs, &mixed_stream);
  frame_seed("stream-stop-3", 9, 0, 3, mixed, &mixed_stream);
  /* A tiny cap: the first frame is refused. */
  frame_seed("stream-cap-12", 1, 0, 0, mixed, &mixed_stream);

  put_control_frame(&one, PVMNG__CONTROL__BODY_SPAWN);
  frame_seed("control-spawn", 3, 0, 0, whole, &one);
  one.n = 0;
  put_message_frame(&one, body, 40, PVMW_MF_FIRST | PVMW_MF_LAST);
  frame_seed("message-40", 2, 0, 0, mixed, &one);

  /* Frames above the 64 KiB staging buffer, read directly, completed with
   * filler; one at the cap, one just above the staging size. */
  pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, 70000);
  put(&big, hdr, sizeof hdr);
  put(&big, "\x00\x04\x08\x02\x10\x03", 6);
  frame_seed("direct-70000-fill", 8, FZ_FRAME_FILL, 0, mixed, &big);
  frame_seed("direct-70000-fill-short", 8, FZ_FRAME_FILL | FZ_FRAME_SHORT, 0,
             hdrs, &big);
  big.n = 0;
  pvmw_hdr_put(hdr, PVMW_FT_CONTROL, 65525);
  put(&big, hdr, sizeof hdr);
  put_message_frame(&big, body, 10, PVMW_MF_FIRST | PVMW_MF_LAST);
  frame_seed("direct-65525-then-message", 7, FZ_FRAME_FILL | FZ_FRAME_FEED, 0,
             whole, &big);

  /* Headers that must be refused: magic, version, reserved bits, type,
   * zero length, length over the cap. */
  pvmw_hdr_put(hdr, PVMW_FT_CONTROL, 4);
  hdr[0] ^= 0x20;
  put(&bad, hdr, sizeof hdr);
  frame_seed("bad-magic", 4, 0, 0, whole, &bad);
  bad.n = 0;
  pvmw_hdr_put(hdr, PVMW_FT_CONTROL, 4);
  hdr[4] = 2;
  put(&bad, hdr, sizeof hdr);
  frame_seed("bad-version", 4, 0, 0, whole, &bad);
  bad.n = 0;
  pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, 4);
  hdr[7] = 1;
  put(&bad, hdr, sizeof hdr);
  frame_seed("bad-reserved", 4, 0, 0, whole, &bad);
  bad.n = 0;
  pvmw_hdr_put(hdr, 3, 4);
  put(&bad, hdr, sizeof hdr);
  frame_seed("bad-type", 4, 0, 0, whole, &bad);
  bad.n = 0;
  pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, 0);
  put(&bad, hdr, sizeof hdr);
  frame_seed("bad-empty", 4, 0, 0, whole, &bad);
  bad.n = 0;
  pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, 4097);
  put(&bad, hdr, sizeof hdr);
  frame_seed("bad-over-cap", 4, 0, 0, ones, &bad);
  free(mixed_stream.p);
  free(one.p);
  free(big.p);
  free(bad.p);
}

/* ---- Packed bodies --------------------------------------------------------
 */

/* Writes an unpack-target input: the encoding, the calls, then the body of
 * the active send buffer. */
static void unpack_seed(const char *name, int enc, const uint8_t *ops,
                        size_t nops) {
  struct lpvm_buf *b = lpvm_buf_get(pvm_getsbuf());
  struct bytes s = {0};
  size_t n = lpvm_buf_length(b);
  uint8_t first = (uint8_t)((enc == PvmDataRaw ? 1 : 0) | (nops << 1));
  uint8_t *body = malloc(n ? n : 1);

  FZ_CHECK(body != NULL && nops < 128);
  lpvm_buf_gather(b, body);
  put(&s, &first, 1);
  put(&s, ops, 2 * nops);
  put(&s, body, n);
  write_seed("unpack", name, s.p, s.n);
  free(s.p);
  free(body);
}

static uint8_t op_arg(int count, int stride) {
  return (uint8_t)(count | ((stride - 1) << 5));
}

static void unpack_seeds(void) {
  static const int encs[] = {PvmDataDefault, PvmDataRaw};
  char c[8] = "bytes!?";
  short s[4] = {1, -2, 300, -32768};
  int i[4] = {7, -1, 1 << 30, INT32_MIN};
  long l[4] = {1L << 40, -3, 0, 5};
  float f[4] = {1.5f, -0.25f, 3e30f, 0};
  double d[4] = {2.5, -1e300, 0.125, 9};

  for (int e = 0; e < 2; e++) {
    int enc = encs[e];
    const char *tag = enc == PvmDataRaw ? "raw" : "xdr";
    char name[64];
    /* One item of each type, read back with the matching calls. */
    uint8_t ops[] = {FZ_OP_BYTE,   op_arg(7, 1), FZ_OP_SHORT,
                     op_arg(4, 1), FZ_OP_INT,    op_arg(4, 1),
                     FZ_OP_LONG,   op_arg(4, 1), FZ_OP_FLOAT,
                     op_arg(4, 1), FZ_OP_DOUBLE, op_arg(4, 1),
                     FZ_OP_CPLX,   op_arg(2, 1), FZ_OP_DCPLX,
                     op_arg(2, 1), FZ_OP_STR,    0,
                     FZ_OP_UINT,   op_arg(2, 2)};
    /* The same read in pieces, with strides, and past the end. */
    uint8_t split[] = {FZ_OP_BYTE,   op_arg(3, 2),
                       FZ_OP_BYTE,   op_arg(4, 1),
                       FZ_OP_USHORT, op_arg(4, 3),
                       FZ_OP_INT,    op_arg(1, 1),
                       FZ_OP_UINT,   op_arg(3, 8),
                       FZ_OP_ULONG,  op_arg(4, 2),
                       FZ_OP_FLOAT,  op_arg(4, 4),
                       FZ_OP_DOUBLE, op_arg(4, 1),
                       FZ_OP_CPLX,   op_arg(2, 2),
                       FZ_OP_DCPLX,  op_arg(2, 5),
                       FZ_OP_STR,    0,
                       FZ_OP_INT,    op_arg(2, 1),
                       FZ_OP_STR,    0};
    /* Wrong types first: each must fail and leave the cursor. */
    uint8_t wrong[] = {
        FZ_OP_INT, op_arg(1, 1), FZ_OP_STR,    0,           FZ_OP_MESG,
        0,         FZ_OP_BYTE,   op_arg(8, 1), FZ_OP_SHORT, op_arg(1, 1)};
    uint8_t mops[] = {
        FZ_OP_INT, op_arg(1, 1), FZ_OP_MESG,   0,          FZ_OP_STR,
        0,         FZ_OP_DOUBLE, op_arg(2, 1), FZ_OP_BACK, 0,
        FZ_OP_INT, op_arg(1, 1), FZ_OP_MESG,   0};

    pvm_initsend(enc);
    pvm_pkbyte(c, 7, 1);
    pvm_pkshort(s, 4, 1);
    pvm_pkint(i, 4, 1);
    pvm_pklong(l, 4, 1);
    pvm_pkfloat(f, 4, 1);
    pvm_pkdouble(d, 4, 1);
    pvm_pkcplx(f, 2, 1);
    pvm_pkdcplx(d, 2, 1);
    pvm_pkstr("hello, world");
    pvm_pkint(i, 2, 2);
    snprintf(name, sizeof name, "%s-every-type", tag);
    unpack_seed(name, enc, ops, sizeof ops / 2);
    snprintf(name, sizeof name, "%s-split-strided", tag);
    unpack_seed(name, enc, split, sizeof split / 2);
    snprintf(name, sizeof name, "%s-wrong-first", tag);
    unpack_seed(name, enc, wrong, sizeof wrong / 2);

    /* Empty items, an empty string and the empty body. */
    pvm_initsend(enc);
    pvm_pkint(i, 0, 1);
    pvm_pkstr("");
    pvm_pkdouble(d, 0, 1);
    {
      uint8_t eops[] = {FZ_OP_INT,    0,          FZ_OP_STR,   0, FZ_OP_DOUBLE,
                        op_arg(1, 1), FZ_OP_BYTE, op_arg(1, 1)};
      snprintf(name, sizeof name, "%s-empty-items", tag);
      unpack_seed(name, enc, eops, sizeof eops / 2);
      pvm_initsend(enc);
      snprintf(name, sizeof name, "%s-empty-body", tag);
      unpack_seed(name, enc, eops, sizeof eops / 2);
    }

    /* A message packed inside a message (pvm_pkmesg), in each pairing. */
    for (int ie = 0; ie < 2; ie++) {
      int nested = pvm_mkbuf(encs[ie]);
      int prev = pvm_setsbuf(nested);
      pvm_pkstr("inner");
      pvm_pkdouble(d, 2, 1);
      pvm_setsbuf(prev);
      pvm_initsend(enc); /* replaces prev; nested stays */
      pvm_pkint(i, 1, 1);
      pvm_pkmesg(nested);
      pvm_pkint(i, 1, 1);
      pvm_pkmesg(nested);
      snprintf(name, sizeof name, "%s-pkmesg-%s", tag,
               encs[ie] == PvmDataRaw ? "raw" : "xdr");
      unpack_seed(name, enc, mops, sizeof mops / 2);
      pvm_freebuf(nested);
    }
  }
  lpvm_buf_free_all();
}

/* ---- A resource manager's answers (fuzz_rmanswer) -------------------------
 */

static void rm_int(struct bytes *b, int v) {
  uint8_t item[12];
  pvmw_xdr_put_int(item, v);
  put(b, item, sizeof item);
}

static void rm_str(struct bytes *b, const char *s) {
  uint8_t item[64];
  FZ_CHECK(pvmw_xdr_str_size(s) <= sizeof item);
  pvmw_xdr_put_str(item, s);
  put(b, item, pvmw_xdr_str_size(s));
}

static void rm_host(struct bytes *b, int tid, const char *name) {
  rm_int(b, tid);
  rm_str(b, name);
  rm_str(b, "LINUX64");
  rm_int(b, 1000);
  rm_int(b, 0x408c41);
}

/* One seed: kind and flags (fuzz.h), then the body in b (freed here). */
static void rm_seed(const char *name, int kind, uint8_t flags,
                    struct bytes *b) {
  struct bytes in = {NULL, 0, 0};
  uint8_t prefix[FZ_RM_PREFIX] = {(uint8_t)kind, flags};
  put(&in, prefix, sizeof prefix);
  if (b->n)
    put(&in, b->p, b->n);
  write_seed("rmanswer", name, in.p, in.n);
  free(in.p);
  free(b->p);
  memset(b, 0, sizeof *b);
}

static void rmanswer_seeds(void) {
  struct bytes b = {NULL, 0, 0};
  rm_int(&b, 2); /* spawn: two tids, one an error */
  rm_int(&b, 0x40009);
  rm_int(&b, PvmNoFile);
  rm_seed("spawn", 0, 0, &b);
  rm_int(&b, PvmNoHost); /* spawn: an error for the whole request */
  rm_seed("spawn-error", 0, 0, &b);
  rm_int(&b, 9); /* spawn: more tids than asked for */
  rm_seed("spawn-too-many", 0, 0, &b);
  rm_int(&b, 0); /* tasks: one task */
  rm_int(&b, 0x40009);
  rm_int(&b, 0x40001);
  rm_int(&b, 0x40000);
  rm_int(&b, 4);
  rm_str(&b, "prog");
  rm_int(&b, 4242);
  rm_seed("tasks", 1, 0, &b);
  rm_int(&b, 1); /* config: one host */
  rm_int(&b, 1);
  rm_host(&b, 0x40000, "alpha");
  rm_seed("config", 2, 0, &b);
  rm_int(&b, 1); /* config, raw */
  rm_int(&b, 1);
  rm_seed("config-raw", 2, FZ_RM_RAW, &b);
  rm_int(&b, 0); /* config, first of several fragments */
  rm_int(&b, 1);
  rm_seed("config-partial", 2, FZ_RM_PARTIAL, &b);
  rm_int(&b, 2); /* addhosts: one added, one refused */
  rm_int(&b, 1);
  rm_host(&b, 0x80000, "h1");
  rm_host(&b, PvmDupHost, "h2");
  rm_seed("addhosts", 3, 0, &b);
  rm_int(&b, 2); /* delhosts */
  rm_int(&b, 0);
  rm_int(&b, PvmNoHost);
  rm_seed("delhosts", 4, 0, &b);
  rm_int(&b, 0); /* sched: hand over */
  rm_int(&b, 0x40000);
  rm_str(&b, "master");
  rm_str(&b, "LINUX64");
  rm_int(&b, 1000);
  rm_seed("sched", 5, 0, &b);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  root = argv[1];
  for (int i = 0; i < 4; i++) {
    static const char *const sub[] = {"frame", "control", "unpack", "rmanswer"};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, sub[i]);
    mkdir(root, 0777);
    mkdir(path, 0777); /* or it exists; writing a seed reports a failure */
  }
  control_seeds();
  frame_seeds();
  unpack_seeds();
  rmanswer_seeds();
  return 0;
}
