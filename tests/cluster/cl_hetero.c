/* Messages between hosts of unlike architecture, for the hetero.vm_* tests.
 *
 *   cl_hetero ARCH [MESSAGES]
 *
 * Run on one host, it lists the VM (pvm_config, pvm_archcode), spawns a copy
 * of itself with PvmTaskArch ARCH and checks, in both directions, that
 * PvmDataDefault carries every PVM type with exactly the values sent (each
 * side computes the expected values itself, from bit patterns, so that
 * nothing depends on floating-point arithmetic), strided packing included,
 * and that PvmDataRaw carries the bytes unchanged: an int packed raw by a
 * host of the other byte order unpacks byte-swapped, as PVM 3.4 specifies
 * (no conversion); every predefined reduction of every type at either
 * root; then MESSAGES (default 1000) messages of every type each way,
 * through the daemons and over a direct link. Every check prints "ok: ..." or
 * "FAIL: ..."; the child's lines come back to the parent, prefixed "child: ".
 * Exits 0 when every check passed, 1 if one failed, 2 on a usage or PVM error.
 */
#include <pvm3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TAG_DEFAULT 1
#define TAG_RAW 2
#define TAG_REPORT 3
#define TAG_BACK 4
#define TAG_RAWBACK 5
#define TAG_DONE 7
#define N 8

/* The values sent: each side builds them the same way. */
struct vals {
  char b[N];
  short s[N];
  unsigned short us[N];
  int i[N];
  unsigned int ui[N];
  long l[N];
  unsigned long ul[N];
  float f[N];
  double d[N];
  float cx[2 * N];
  double dcx[2 * N];
  int strided[2 * N]; /* packed with stride 2: only the even ones travel */
  char str[64];
};

static const uint32_t fbits[N] = {
    0x3f800000, /* 1.0 */
    0xbfc00000, /* -1.5 */
    0x80000000, /* -0.0 */
    0x7f800000, /* +inf */
    0x00000001, /* smallest denormal */
    0x7f7fffff, /* largest finite */
    0x40490fdb, /* pi */
    0xc2f6e979, /* -123.456 */
};
static const uint64_t dbits[N] = {
    0x3ff0000000000000, 0xbff8000000000000, 0x8000000000000000,
    0xfff0000000000000, 0x0000000000000001, 0x7fefffffffffffff,
    0x400921fb54442d18, 0xc0fedcba98765432,
};

static void fill(struct vals *v) {
  memset(v, 0, sizeof *v);
  for (int k = 0; k < N; k++) {
    uint32_t f32 = fbits[k], f32b = fbits[N - 1 - k];
    uint64_t f64 = dbits[k], f64b = dbits[N - 1 - k];
    v->b[k] = (char)(0x80 + 37 * k);
    v->s[k] = (short)(k % 2 ? -32768 + 4099 * k : 32767 - 77 * k);
    v->us[k] = (unsigned short)(0xfedc - 0x1111 * k);
    v->i[k] = k % 2 ? -2147483647 - 1 + 16777259 * k : 0x12345678 + k;
    v->ui[k] = 0xfedcba98u - 0x01010101u * (unsigned)k;
    /* 64-bit longs on every host here (LP64): values beyond 32 bits */
    v->l[k] = k % 2 ? -(long)0x123456789abcLL * k : (long)0x7edcba9876543210LL;
    v->ul[k] = 0xfedcba9876543210ul - 0x0101010101010101ul * (unsigned long)k;
    memcpy(&v->f[k], &f32, sizeof f32);
    memcpy(&v->d[k], &f64, sizeof f64);
    memcpy(&v->cx[2 * k], &f32, sizeof f32);
    memcpy(&v->cx[2 * k + 1], &f32b, sizeof f32b);
    memcpy(&v->dcx[2 * k], &f64, sizeof f64);
    memcpy(&v->dcx[2 * k + 1], &f64b, sizeof f64b);
  }
  for (int k = 0; k < 2 * N; k++)
    v->strided[k] = k % 2 ? 0 : 1000003 * (k + 1);
  snprintf(v->str, sizeof v->str, "heterogeneous \"%s\" %d", "XDR", 42);
}

static int pack_all(const struct vals *v) {
  struct vals w = *v; /* pvm_pk* take non-const pointers */
  int rc = 0;
  rc |= pvm_pkbyte(w.b, N, 1);
  rc |= pvm_pkshort(w.s, N, 1);
  rc |= pvm_pkushort(w.us, N, 1);
  rc |= pvm_pkint(w.i, N, 1);
  rc |= pvm_pkuint(w.ui, N, 1);
  rc |= pvm_pklong(w.l, N, 1);
  rc |= pvm_pkulong(w.ul, N, 1);
  rc |= pvm_pkfloat(w.f, N, 1);
  rc |= pvm_pkdouble(w.d, N, 1);
  rc |= pvm_pkcplx(w.cx, N, 1);
  rc |= pvm_pkdcplx(w.dcx, N, 1);
  rc |= pvm_pkint(w.strided, N, 2);
  rc |= pvm_pkstr(w.str);
  return rc;
}

/* Unpacks what pack_all packed into v (strided back into its slots). */
static int unpack_all(struct vals *v) {
  int rc = 0;
  memset(v, 0, sizeof *v);
  rc |= pvm_upkbyte(v->b, N, 1);
  rc |= pvm_upkshort(v->s, N, 1);
  rc |= pvm_upkushort(v->us, N, 1);
  rc |= pvm_upkint(v->i, N, 1);
  rc |= pvm_upkuint(v->ui, N, 1);
  rc |= pvm_upklong(v->l, N, 1);
  rc |= pvm_upkulong(v->ul, N, 1);
  rc |= pvm_upkfloat(v->f, N, 1);
  rc |= pvm_upkdouble(v->d, N, 1);
  rc |= pvm_upkcplx(v->cx, N, 1);
  rc |= pvm_upkdcplx(v->dcx, N, 1);
  rc |= pvm_upkint(v->strided, N, 2);
  rc |= pvm_upkstr(v->str);
  return rc;
}

static char report[8192];
static size_t used;
static int failed;

static void say(int ok, const char *what) {
  int n = snprintf(report + used, sizeof report - used, "%s: %s\n",
                   ok ? "ok" : "FAIL", what);
  if (n > 0 && used + (size_t)n < sizeof report)
    used += (size_t)n;
  failed |= !ok;
}

/* Compares field by field (bit for bit: -0.0, infinities and denormals
 * must come through as they are) and says which differ. */
static void compare(const struct vals *got, const struct vals *want,
                    const char *dir) {
  char what[160];
#define CMP(field, name)                                                       \
  do {                                                                         \
    snprintf(what, sizeof what, "%s %s", dir, name);                           \
    say(memcmp(got->field, want->field, sizeof want->field) == 0, what);       \
  } while (0)
  CMP(b, "byte");
  CMP(s, "short");
  CMP(us, "ushort");
  CMP(i, "int");
  CMP(ui, "uint");
  CMP(l, "long");
  CMP(ul, "ulong");
  CMP(f, "float");
  CMP(d, "double");
  CMP(cx, "cplx");
  CMP(dcx, "dcplx");
  CMP(strided, "int stride 2");
  CMP(str, "string");
#undef CMP
}

static uint32_t bswap32(uint32_t x) {
  return x >> 24 | (x >> 8 & 0xff00) | (x << 8 & 0xff0000) | x << 24;
}

static int my_dsig(void) {
  struct pvmhostinfo *hi;
  int nhost, narch, me = pvm_tidtohost(pvm_mytid());
  if (pvm_config(&nhost, &narch, &hi) < 0)
    return 0;
  for (int k = 0; k < nhost; k++)
    if (hi[k].hi_tid == me)
      return hi[k].hi_dsig;
  return 0;
}

/* Raw: 256 bytes 0..255 and one int 0x01020304, as this host stores it. */
static void pack_raw(void) {
  char bytes[256];
  int x = 0x01020304;
  for (int k = 0; k < 256; k++)
    bytes[k] = (char)k;
  pvm_initsend(PvmDataRaw);
  pvm_pkbyte(bytes, 256, 1);
  pvm_pkint(&x, 1, 1);
}

/* Checks a raw message from a host of signature their_dsig. */
static void check_raw(int their_dsig, const char *dir) {
  char bytes[256], what[160];
  int x = 0, same = 1, want;
  pvm_upkbyte(bytes, 256, 1);
  pvm_upkint(&x, 1, 1);
  for (int k = 0; k < 256; k++)
    same &= bytes[k] == (char)k;
  snprintf(what, sizeof what, "%s PvmDataRaw bytes unchanged", dir);
  say(same, what);
  /* PVM 3.4: raw data is not converted; an int from the other byte order
   * reads byte-swapped (the int fields of the dsig: bits 8-9) */
  want = ((their_dsig >> 8 & 3) == (my_dsig() >> 8 & 3))
             ? 0x01020304
             : (int)bswap32(0x01020304u);
  snprintf(what, sizeof what, "%s PvmDataRaw int read as 0x%08x (want 0x%08x)",
           dir, (unsigned)x, (unsigned)want);
  say(x == want, what);
}

/* Collectives between the two tasks: every predefined reduction over every
 * type PVM 3.4 reduces (30 pairs: Sum and Product refuse PVM_BYTE), once
 * with each task as the root, against the result computed here. The values
 * are small multiples of 1/4, so that every result is exact whichever host
 * and in whichever order it is computed. */
#define RN 6
static const int rtypes[] = {PVM_BYTE,  PVM_SHORT,  PVM_INT,  PVM_LONG,
                             PVM_FLOAT, PVM_DOUBLE, PVM_CPLX, PVM_DCPLX};
static const char *const rtype_names[] = {"byte",  "short",  "int",  "long",
                                          "float", "double", "cplx", "dcplx"};
typedef void(reduce_fn)(int *, void *, void *, int *, int *);
static reduce_fn *const rops[] = {PvmMax, PvmMin, PvmSum, PvmProduct};
static const char *const rop_names[] = {"Max", "Min", "Sum", "Product"};

/* Scalar j (of 2 per complex element) that instance g contributes. */
static double contrib(int type, int g, int j) {
  int k = j, fl = type >= 4, cx = type >= 6;
  int mag = k % 2 ? k + 2 + 3 * (1 - g) : k + 2 + 3 * g;
  double v = (k + g) % 2 ? -mag : mag;
  if (cx)
    v = j % 2 ? v * 0.5 : v; /* imaginary parts differ from real ones */
  return fl ? v * 0.25 : v;
}

static int rscalars(int type) { return type >= 6 ? 2 * RN : RN; }

static void rstore(int type, void *buf, int j, double v) {
  switch (rtypes[type]) {
  case PVM_BYTE:
    ((signed char *)buf)[j] = (signed char)v;
    break;
  case PVM_SHORT:
    ((short *)buf)[j] = (short)v;
    break;
  case PVM_INT:
    ((int *)buf)[j] = (int)v;
    break;
  case PVM_LONG:
    ((long *)buf)[j] = (long)v;
    break;
  case PVM_FLOAT:
  case PVM_CPLX:
    ((float *)buf)[j] = (float)v;
    break;
  default:
    ((double *)buf)[j] = v;
    break;
  }
}

static double rload(int type, const void *buf, int j) {
  switch (rtypes[type]) {
  case PVM_BYTE:
    return ((const signed char *)buf)[j];
  case PVM_SHORT:
    return ((const short *)buf)[j];
  case PVM_INT:
    return ((const int *)buf)[j];
  case PVM_LONG:
    return (double)((const long *)buf)[j];
  case PVM_FLOAT:
  case PVM_CPLX:
    return ((const float *)buf)[j];
  default:
    return ((const double *)buf)[j];
  }
}

/* Scalar j of op(instance 0's values, instance 1's). */
static double rexpect(int type, int op, int j) {
  double a = contrib(type, 0, j), b = contrib(type, 1, j);
  if (type >= 6) { /* complex: by modulus for Max/Min */
    int re = j - j % 2;
    double ar = contrib(type, 0, re), ai = contrib(type, 0, re + 1);
    double br = contrib(type, 1, re), bi = contrib(type, 1, re + 1);
    double ma = ar * ar + ai * ai, mb = br * br + bi * bi;
    switch (op) {
    case 0:
      return ma >= mb ? a : b;
    case 1:
      return ma <= mb ? a : b;
    case 2:
      return a + b;
    default:
      return j % 2 ? ar * bi + ai * br : ar * br - ai * bi;
    }
  }
  switch (op) {
  case 0:
    return a > b ? a : b;
  case 1:
    return a < b ? a : b;
  case 2:
    return a + b;
  default:
    return a * b;
  }
}

static void reductions(char *group) {
  int me = pvm_getinst(group, pvm_mytid()), tag = 100;
  char what[160];
  pvm_barrier(group, 2);
  for (int root = 0; root < 2; root++) {
    int exact = 0, tried = 0;
    for (int t = 0; t < 8; t++)
      for (int op = 0; op < 4; op++) {
        double buf[2 * RN];
        int rc, ok = 1;
        if (t == 0 && op >= 2)
          continue; /* Sum and Product refuse PVM_BYTE */
        for (int j = 0; j < rscalars(t); j++)
          rstore(t, buf, j, contrib(t, me, j));
        rc = pvm_reduce(rops[op], buf, RN, rtypes[t], tag++, group, root);
        tried++;
        if (me != root) {
          exact += rc >= 0;
          continue;
        }
        for (int j = 0; j < rscalars(t); j++)
          ok &= rload(t, buf, j) == rexpect(t, op, j);
        if (rc < 0 || !ok) {
          snprintf(what, sizeof what, "pvm_reduce %s %s root %d: %s",
                   rop_names[op], rtype_names[t], root,
                   rc < 0 ? "error" : "wrong result");
          say(0, what);
        }
        exact += rc >= 0 && ok;
      }
    snprintf(what, sizeof what,
             "pvm_reduce root inst %d (this is inst %d): %d of %d type x "
             "operation pairs %s",
             root, me, exact, tried, me == root ? "exact" : "sent");
    say(exact == tried, what);
  }
  pvm_barrier(group, 2);
  pvm_lvgroup(group);
}

/* Many messages each way, each with every type and different values: the
 * round number perturbs every field, floats and doubles rotate through the
 * bit patterns. Sent through the daemons, then over a direct link. */
#define TAG_VOL 6
static void vary(struct vals *v, int round) {
  fill(v);
  for (int k = 0; k < N; k++) {
    uint32_t f32 = fbits[(k + round) % N];
    uint64_t f64 = dbits[(k + 3 * round) % N];
    v->b[k] = (char)(v->b[k] ^ round);
    v->s[k] = (short)(v->s[k] ^ round);
    v->us[k] = (unsigned short)(v->us[k] + round);
    v->i[k] ^= (int)((unsigned)round * 0x9e3779b9u);
    v->ui[k] += (unsigned)round;
    v->l[k] ^= (long)round << 33;
    v->ul[k] -= (unsigned long)round << 40;
    memcpy(&v->f[k], &f32, sizeof f32);
    memcpy(&v->d[k], &f64, sizeof f64);
  }
  snprintf(v->str, sizeof v->str, "round %d of the volume test", round);
}

static int same(const struct vals *a, const struct vals *b) {
  return memcmp(a->b, b->b, sizeof a->b) == 0 &&
         memcmp(a->s, b->s, sizeof a->s) == 0 &&
         memcmp(a->us, b->us, sizeof a->us) == 0 &&
         memcmp(a->i, b->i, sizeof a->i) == 0 &&
         memcmp(a->ui, b->ui, sizeof a->ui) == 0 &&
         memcmp(a->l, b->l, sizeof a->l) == 0 &&
         memcmp(a->ul, b->ul, sizeof a->ul) == 0 &&
         memcmp(a->f, b->f, sizeof a->f) == 0 &&
         memcmp(a->d, b->d, sizeof a->d) == 0 &&
         memcmp(a->cx, b->cx, sizeof a->cx) == 0 &&
         memcmp(a->dcx, b->dcx, sizeof a->dcx) == 0 &&
         memcmp(a->strided, b->strided, sizeof a->strided) == 0 &&
         strcmp(a->str, b->str) == 0;
}

static void vol_send(int to, int count) {
  struct vals v;
  for (int r = 0; r < count; r++) {
    vary(&v, r);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&r, 1, 1);
    pack_all(&v);
    pvm_send(to, TAG_VOL);
  }
}

static void vol_recv(int from, int count, const char *dir) {
  struct vals want, got;
  int good = 0;
  char what[160];
  for (int r = 0; r < count; r++) {
    int seq = -1;
    if (pvm_recv(from, TAG_VOL) < 0)
      break;
    pvm_upkint(&seq, 1, 1);
    vary(&want, r);
    good += seq == r && unpack_all(&got) == 0 && same(&got, &want);
  }
  snprintf(what, sizeof what,
           "%s: %d of %d PvmDataDefault messages of every type exact, in "
           "order",
           dir, good, count);
  say(good == count, what);
}

/* Both sides, in the same order; the parent sends first on each route. */
static void volume(int peer, int count, int parent_side) {
  static const char *const routes[] = {"through the daemons", "direct"};
  char dir[96];
  for (int d = 0; d < 2; d++) {
    if (d == 1)
      pvm_setopt(PvmRoute, PvmRouteDirect);
    for (int turn = 0; turn < 2; turn++) {
      int sending = (turn == 0) == parent_side;
      snprintf(dir, sizeof dir, "%s %s",
               (turn == 0) ? "parent->child" : "child->parent", routes[d]);
      if (sending)
        vol_send(peer, count);
      else
        vol_recv(peer, count, dir);
    }
  }
}

static int child(int count) {
  char group[64];
  struct vals want, got;
  int parent = pvm_parent(), their_dsig = 0;
  char what[128];
  if (pvm_mytid() < 0 || parent < 0)
    return 2;
  fill(&want);
  /* parent -> child, PvmDataDefault */
  pvm_recv(parent, TAG_DEFAULT);
  pvm_upkint(&their_dsig, 1, 1);
  say(unpack_all(&got) == 0, "unpack of the parent's PvmDataDefault message");
  compare(&got, &want, "parent->child PvmDataDefault");
  /* parent -> child, PvmDataRaw */
  pvm_recv(parent, TAG_RAW);
  check_raw(their_dsig, "parent->child");
  snprintf(what, sizeof what, "child dsig 0x%x, parent dsig 0x%x", my_dsig(),
           their_dsig);
  say(1, what);
  /* the machine this process runs as (qemu-user reports the guest's) */
  {
    struct utsname u;
    snprintf(what, sizeof what, "child machine=%s",
             uname(&u) == 0 ? u.machine : "(unknown)");
    say(1, what);
  }
  /* the daemon that started this task sets its own architecture */
  snprintf(what, sizeof what, "child PVM_ARCH=%s",
           getenv("PVM_ARCH") ? getenv("PVM_ARCH") : "(unset)");
  say(1, what);
  /* child -> parent: the same values packed here, and raw bytes */
  pvm_initsend(PvmDataDefault);
  pack_all(&want);
  pvm_send(parent, TAG_BACK);
  pack_raw();
  pvm_send(parent, TAG_RAWBACK);
  snprintf(group, sizeof group, "hetero-t%x", (unsigned)parent);
  pvm_joingroup(group);
  reductions(group);
  volume(parent, count, 0);
  {
    int dsig = my_dsig();
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&dsig, 1, 1);
    pvm_pkstr(report);
    pvm_send(parent, TAG_REPORT);
  }
  /* Leave only once the parent has everything: what this test checks is
   * the data, not a sender's exit under a slow receiver. */
  pvm_recv(parent, TAG_DONE);
  pvm_exit();
  return failed;
}

int main(int argc, char **argv) {
  char *cargs[3] = {"child", NULL, NULL}, what[256], child_report[8192],
       group[64], count_arg[16];
  struct pvmhostinfo *hi;
  struct vals want, got;
  int nhost, narch, tid, rc, host, child_dsig = 0, dsig, count;

  if (argc == 3 && strcmp(argv[1], "child") == 0)
    return child(atoi(argv[2]));
  if (argc < 2 || argc > 3 || (count = argc == 3 ? atoi(argv[2]) : 1000) < 0) {
    fprintf(stderr, "usage: cl_hetero ARCH [MESSAGES]\n");
    return 2;
  }
  if (pvm_mytid() < 0)
    return 2;
  if (pvm_config(&nhost, &narch, &hi) < 0)
    return 2;
  printf("pvm_config: %d hosts, %d data formats\n", nhost, narch);
  for (int k = 0; k < nhost; k++) {
    int code = pvm_archcode(hi[k].hi_arch);
    printf("host %s arch %s dsig 0x%x speed %d archcode 0x%x\n", hi[k].hi_name,
           hi[k].hi_arch, hi[k].hi_dsig, hi[k].hi_speed, code);
    snprintf(what, sizeof what, "pvm_archcode(%s) is the dsig of %s",
             hi[k].hi_arch, hi[k].hi_name);
    say(code == hi[k].hi_dsig, what);
  }
  snprintf(group, sizeof group, "hetero-t%x", (unsigned)pvm_mytid());
  pvm_joingroup(group); /* instance 0, before the child joins */
  snprintf(count_arg, sizeof count_arg, "%d", count);
  cargs[1] = count_arg;
  /* By name: each host finds its own architecture's binary (ep=). */
  rc = pvm_spawn("cl_hetero", cargs, PvmTaskArch, argv[1], 1, &tid);
  if (rc != 1) {
    printf("FAIL: pvm_spawn PvmTaskArch %s: %d (%d)\n", argv[1], rc, tid);
    return 1;
  }
  host = pvm_tidtohost(tid);
  for (int k = 0; k < nhost; k++)
    if (hi[k].hi_tid == host) {
      snprintf(what, sizeof what, "PvmTaskArch %s: task t%x on %s, arch %s",
               argv[1], (unsigned)tid, hi[k].hi_name, hi[k].hi_arch);
      say(strcmp(hi[k].hi_arch, argv[1]) == 0, what);
    }

  fill(&want);
  dsig = my_dsig();
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&dsig, 1, 1);
  pack_all(&want);
  pvm_send(tid, TAG_DEFAULT);
  pack_raw();
  pvm_send(tid, TAG_RAW);

  pvm_recv(tid, TAG_BACK);
  say(unpack_all(&got) == 0, "unpack of the child's PvmDataDefault message");
  compare(&got, &want, "child->parent PvmDataDefault");
  snprintf(group, sizeof group, "hetero-t%x", (unsigned)pvm_mytid());
  reductions(group);
  volume(tid, count, 1);
  pvm_recv(tid, TAG_REPORT);
  pvm_upkint(&child_dsig, 1, 1);
  pvm_upkstr(child_report);
  /* the raw message was sent before the report: it waits in the queue */
  pvm_recv(tid, TAG_RAWBACK);
  check_raw(child_dsig, "child->parent");
  pvm_initsend(PvmDataDefault);
  pvm_send(tid, TAG_DONE);
  /* equal for aarch64 and x86-64: the script checks what it expects */
  printf("dsig: parent 0x%x child 0x%x\n", (unsigned)dsig,
         (unsigned)child_dsig);

  fputs(report, stdout);
  for (char *line = strtok(child_report, "\n"); line;
       line = strtok(NULL, "\n")) {
    printf("child: %s\n", line);
    if (strncmp(line, "FAIL", 4) == 0)
      failed = 1;
  }
  pvm_exit();
  return failed;
}
