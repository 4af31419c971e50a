/* it_group_reduce N [SIZES]: every collective's result against a serial
 * computation for groups of 1 to N tasks (or only the sizes in the comma
 * list SIZES, e.g. 1,3,8,16), spread over the virtual machine's hosts by
 * PvmTaskDefault (one host: all here). For each size n the first n
 * tasks form group "g<n>" and run, for every data type and predefined
 * operation (and a user function), pvm_reduce to a varying root,
 * pvmng_allreduce and pvmng_scan; then pvm_gather, pvm_scatter, pvm_bcast,
 * pvmng_allgather and pvmng_alltoall; all of it once more after freezing
 * the group (the members' trees). Values are chosen so that every result
 * is exact in every type (the order of operations cannot change it), so a
 * result must equal the serial one bit for bit. */
#include "it_common.h"
#include "pvmng.h"

#define TAG_GO 81
#define TAG_DONE 82
#define TAG_BC 83
#define COUNT 5

typedef void (*redfn)(int *, void *, void *, int *, int *);

static const int types[] = {PVM_BYTE,  PVM_SHORT,  PVM_INT,  PVM_LONG,
                            PVM_FLOAT, PVM_DOUBLE, PVM_CPLX, PVM_DCPLX};
static const char *tnames[] = {"byte",  "short",  "int",  "long",
                               "float", "double", "cplx", "dcplx"};
static const redfn fns[] = {PvmMax, PvmMin, PvmSum, PvmProduct};
static const char *fnames[] = {"max", "min", "sum", "product"};

static int failures;

#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      failures++;                                                              \
      fprintf(stderr, "%s: ", it_name);                                        \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

static size_t tsize(int t) {
  switch (t) {
  case PVM_BYTE:
    return 1;
  case PVM_SHORT:
    return sizeof(short);
  case PVM_INT:
    return sizeof(int);
  case PVM_LONG:
    return sizeof(long);
  case PVM_FLOAT:
    return sizeof(float);
  case PVM_DOUBLE:
    return sizeof(double);
  case PVM_CPLX:
    return 2 * sizeof(float);
  default:
    return 2 * sizeof(double);
  }
}

static int is_cplx(int t) { return t == PVM_CPLX || t == PVM_DCPLX; }

/* Element i of instance inst for operation op, as (re, im). */
static void value(int op, int inst, int i, double *re, double *im) {
  if (op == 3) { /* product: magnitudes stay small and exact */
    static const double pr[5] = {2, -1, 1, 1, -1}, pi[5] = {0, 0, 1, 0, 1};
    int k = (inst + 2 * i) % 5;
    *re = pr[k];
    *im = pi[k];
    return;
  }
  *re = (double)((inst * 7 + i * 3) % 23 - 11);
  *im = (double)((inst * 5 + i) % 13 - 6);
}

static void put(int t, void *buf, int i, double re, double im) {
  long long v = (long long)re;
  switch (t) {
  case PVM_BYTE:
    ((signed char *)buf)[i] = (signed char)v;
    break;
  case PVM_SHORT:
    ((short *)buf)[i] = (short)(unsigned short)v;
    break;
  case PVM_INT:
    ((int *)buf)[i] = (int)(unsigned)v;
    break;
  case PVM_LONG:
    ((long *)buf)[i] = (long)v;
    break;
  case PVM_FLOAT:
    ((float *)buf)[i] = (float)re;
    break;
  case PVM_DOUBLE:
    ((double *)buf)[i] = re;
    break;
  case PVM_CPLX:
    ((float *)buf)[2 * i] = (float)re;
    ((float *)buf)[2 * i + 1] = (float)im;
    break;
  default:
    ((double *)buf)[2 * i] = re;
    ((double *)buf)[2 * i + 1] = im;
    break;
  }
}

static void fill(int t, int op, int inst, void *buf) {
  for (int i = 0; i < COUNT; i++) {
    double re, im;
    value(op, inst, i, &re, &im);
    put(t, buf, i, re, is_cplx(t) ? im : 0);
  }
}

/* The serial reduction over instances lo..hi, lowest first; complex max and
 * min keep the first operand of the largest / smallest modulus. */
static void serial(int t, int op, int lo, int hi, void *out) {
  for (int i = 0; i < COUNT; i++) {
    double ar, ai;
    value(op, lo, i, &ar, &ai);
    if (!is_cplx(t))
      ai = 0;
    for (int k = lo + 1; k <= hi; k++) {
      double br, bi;
      value(op, k, i, &br, &bi);
      if (!is_cplx(t))
        bi = 0;
      double ma = ar * ar + ai * ai, mb = br * br + bi * bi;
      switch (op) {
      case 0:
        if (is_cplx(t) ? mb > ma : br > ar)
          ar = br, ai = bi;
        break;
      case 1:
        if (is_cplx(t) ? mb < ma : br < ar)
          ar = br, ai = bi;
        break;
      case 2:
        ar += br, ai += bi;
        break;
      default: {
        double r = ar * br - ai * bi, m = ar * bi + ai * br;
        ar = r, ai = m;
        break;
      }
      }
    }
    put(t, out, i, ar, ai);
  }
}

/* A user function of PVM's signature: element-wise sum of ints. */
static void user_isum(int *dt, void *x, void *y, int *num, int *info) {
  if (*dt != PVM_INT) {
    *info = PvmBadParam;
    return;
  }
  for (int i = 0; i < *num; i++)
    ((int *)x)[i] += ((int *)y)[i];
  *info = 0;
}

/* Equal values: bytes for integers, == for floating point (the order of
 * operations may give 0 or -0, which are the same number). */
static int same(int t, const void *a, const void *b) {
  int n = is_cplx(t) ? 2 * COUNT : COUNT;
  if (t == PVM_FLOAT || t == PVM_CPLX) {
    for (int i = 0; i < n; i++)
      if (((const float *)a)[i] != ((const float *)b)[i])
        return 0;
    return 1;
  }
  if (t == PVM_DOUBLE || t == PVM_DCPLX) {
    for (int i = 0; i < n; i++)
      if (((const double *)a)[i] != ((const double *)b)[i])
        return 0;
    return 1;
  }
  return memcmp(a, b, COUNT * tsize(t)) == 0;
}

static void check_reductions(char *g, int me, int n) {
  char buf[COUNT * 16], want[COUNT * 16];
  int rc;
  for (int ti = 0; ti < 8; ti++) {
    int t = types[ti];
    for (int op = 0; op < 4; op++) {
      int bad = t == PVM_BYTE && op >= 2;
      int root = (ti + op) % n;
      fill(t, op, me, buf);
      rc = pvm_reduce(fns[op], buf, COUNT, t, 7, g, root);
      if (bad) {
        EXPECT(rc == PvmBadParam, "n=%d reduce %s %s: %d, want PvmBadParam", n,
               fnames[op], tnames[ti], rc);
        continue;
      }
      EXPECT(rc == 0, "n=%d reduce %s %s: %d", n, fnames[op], tnames[ti], rc);
      serial(t, op, 0, n - 1, want);
      if (me == root)
        EXPECT(same(t, buf, want), "n=%d reduce %s %s: wrong result", n,
               fnames[op], tnames[ti]);
      fill(t, op, me, buf);
      rc = pvmng_allreduce(fns[op], buf, COUNT, t, g);
      EXPECT(rc == 0 && same(t, buf, want),
             "n=%d allreduce %s %s: rc %d or wrong result", n, fnames[op],
             tnames[ti], rc);
      fill(t, op, me, buf);
      rc = pvmng_scan(fns[op], buf, COUNT, t, g);
      serial(t, op, 0, me, want);
      EXPECT(rc == 0 && same(t, buf, want),
             "n=%d scan %s %s: rc %d or wrong result", n, fnames[op],
             tnames[ti], rc);
    }
  }
  /* A user function. */
  int iv[COUNT], iw[COUNT];
  for (int i = 0; i < COUNT; i++)
    iv[i] = me * 100 + i;
  rc = pvm_reduce(user_isum, iv, COUNT, PVM_INT, 7, g, n - 1);
  EXPECT(rc == 0, "n=%d reduce user: %d", n, rc);
  for (int i = 0; i < COUNT; i++)
    iw[i] = 100 * n * (n - 1) / 2 + n * i;
  if (me == n - 1)
    EXPECT(memcmp(iv, iw, sizeof iv) == 0, "n=%d reduce user: wrong", n);
}

static void check_data_movement(char *g, int me, int n) {
  int mine[3], all[16 * 3], want[16 * 3], rc;
  double dsend[16 * 2], drecv[16 * 2], dmine[2];
  for (int k = 0; k < 3; k++)
    mine[k] = me * 10 + k;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 3; k++)
      want[i * 3 + k] = i * 10 + k;
  int root = n / 2;
  memset(all, 0, sizeof all);
  rc = pvm_gather(all, mine, 3, PVM_INT, 9, g, root);
  EXPECT(rc == 0, "n=%d gather: %d", n, rc);
  if (me == root)
    EXPECT(memcmp(all, want, (size_t)n * 3 * sizeof(int)) == 0,
           "n=%d gather: wrong result", n);
  memset(all, 0, sizeof all);
  rc = pvmng_allgather(all, mine, 3, PVM_INT, g);
  EXPECT(rc == 0 && memcmp(all, want, (size_t)n * 3 * sizeof(int)) == 0,
         "n=%d allgather: rc %d or wrong result", n, rc);
  /* Scatter: block i = {i * 1.5, -i}. */
  for (int i = 0; i < n; i++)
    dsend[2 * i] = i * 1.5, dsend[2 * i + 1] = -i;
  rc = pvm_scatter(dmine, me == root ? dsend : NULL, 2, PVM_DOUBLE, 9, g, root);
  EXPECT(rc == 0 && dmine[0] == me * 1.5 && dmine[1] == -me,
         "n=%d scatter: rc %d, got %g %g", n, rc, dmine[0], dmine[1]);
  /* All-to-all: block j from member i is i * 100 + j. */
  for (int j = 0; j < n; j++)
    dsend[j] = me * 100 + j;
  rc = pvmng_alltoall(drecv, dsend, 1, PVM_DOUBLE, g);
  int ok = rc == 0;
  for (int i = 0; ok && i < n; i++)
    ok = drecv[i] == i * 100 + me;
  EXPECT(ok, "n=%d alltoall: rc %d or wrong result", n, rc);
  /* pvm_bcast from instance 0 reaches everyone else, not the sender; the
   * group's only member has nobody to send to (PvmNoInst, as PVM 3.4.6). */
  if (me == 0) {
    int v = 1000 + n, rc;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&v, 1, 1);
    rc = pvm_bcast(g, TAG_BC);
    EXPECT(rc == (n == 1 ? PvmNoInst : 0), "n=%d bcast: %d", n, rc);
  } else {
    struct timeval tmo = {10, 0};
    int v = 0, b = pvm_trecv(-1, TAG_BC, &tmo);
    EXPECT(b > 0 && pvm_upkint(&v, 1, 1) == 0 && v == 1000 + n,
           "n=%d bcast: got %d (%d)", n, v, b);
  }
  EXPECT(pvm_barrier(g, n) == 0, "n=%d barrier", n);
  struct timeval zero = {0, 0};
  EXPECT(me != 0 || pvm_trecv(-1, TAG_BC, &zero) == 0,
         "n=%d bcast came back to the sender", n);
}

/* Whether group size n is one to run (sizes: a comma list, or NULL). */
static int wanted(const char *sizes, int n) {
  if (sizes == NULL)
    return 1;
  for (const char *p = sizes; *p;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p)
      return 0;
    if (v == n)
      return 1;
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

/* What every task of the run does; inst is its instance in "all". */
static void run(int inst, int ntask, const char *sizes) {
  char g[16];
  for (int n = 1; n <= ntask; n++) {
    if (!wanted(sizes, n))
      continue;
    snprintf(g, sizeof g, "g%d", n);
    if (inst < n) {
      int me = pvm_joingroup(g);
      IT_CHECK(me >= 0 && me < n, "join %s: %d", g, me);
      double t0 = it_now();
      while (pvm_gsize(g) < n) {
        IT_CHECK(it_now() - t0 < 20, "%s does not fill up", g);
        it_sleep_ms(2);
      }
      /* Not frozen: stars and the registry's agreement; frozen: the
       * members' trees on the view every member holds. */
      check_reductions(g, me, n);
      check_data_movement(g, me, n);
      EXPECT(pvm_freezegroup(g, n) == 0, "n=%d freeze", n);
      check_reductions(g, me, n);
      check_data_movement(g, me, n);
      EXPECT(pvm_barrier(g, -1) == 0, "n=%d final barrier", n);
      EXPECT(pvm_lvgroup(g) == 0, "n=%d lvgroup", n);
    }
    IT_CHECK(pvm_barrier("all", ntask) == 0, "barrier on all");
  }
}

int main(int argc, char **argv) {
  int ntask, inst;
  it_guard(200);
  pvm_setopt(PvmAutoErr, 0);
  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], "member");
    ntask = atoi(argv[3]);
    inst = pvm_joingroup("all");
    IT_CHECK(inst > 0, "join all: %d", inst);
    IT_CHECK(pvm_recv(pvm_parent(), TAG_GO) > 0, "no go");
    run(inst, ntask, argc > 4 ? argv[4] : NULL);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&failures, 1, 1);
    pvm_send(pvm_parent(), TAG_DONE);
    pvm_exit();
    return 0;
  }
  it_set_name(argv[0], NULL);
  ntask = argc > 1 ? atoi(argv[1]) : 8;
  IT_CHECK(ntask >= 1 && ntask <= 16, "ntask 1..16");
  char *sizes = argc > 2 ? argv[2] : NULL;
  IT_CHECK(pvm_joingroup("all") == 0, "parent join");
  int kids[16];
  char nb[8];
  snprintf(nb, sizeof nb, "%d", ntask);
  for (int i = 0; i < ntask - 1; i++)
    kids[i] = it_spawn_self("member", nb, sizes, (char *)NULL);
  double t0 = it_now();
  while (pvm_gsize("all") < ntask) {
    IT_CHECK(it_now() - t0 < 20, "group all does not fill up");
    it_sleep_ms(5);
  }
  pvm_initsend(PvmDataDefault);
  pvm_mcast(kids, ntask - 1, TAG_GO);
  run(0, ntask, sizes);
  int total = failures;
  for (int i = 0; i < ntask - 1; i++) {
    int f = 0;
    IT_CHECK(pvm_recv(kids[i], TAG_DONE) > 0, "no result from t%x", kids[i]);
    pvm_upkint(&f, 1, 1);
    total += f;
  }
  int hosts[17], nh = 0;
  kids[ntask - 1] = pvm_mytid();
  for (int i = 0; i < ntask; i++) {
    int h = pvm_tidtohost(kids[i]), k = 0;
    while (k < nh && hosts[k] != h)
      k++;
    if (k == nh)
      hosts[nh++] = h;
  }
  it_note("%d tasks on %d host(s), groups of %s: %d failures, %.1f s", ntask,
          nh, sizes ? sizes : "1 to N", total, it_now() - t0);
  IT_CHECK(total == 0, "%d checks failed", total);
  pvm_exit();
  return 0;
}
