/* Unit tests for libpvm/buffer.c and libpvm/pack.c: buffer ids and header
 * fields, every pvm_pk* / pvm_upk* in every encoding, the PvmDataDefault
 * wire form, malformed bodies, InPlace semantics and pvm_pkmesg. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"
#include "unit_recv.h"
#include "xdr.h"

static const int encodings[] = {PvmDataDefault, PvmDataRaw, PvmDataInPlace};

/* ---- Helpers ------------------------------------------------------------- */

/* Adopts a hand-made body (copied into an exact-size block). */
static int adopt_bytes(int enc, const void *p, size_t len) {
  char *block = malloc(len ? len : 1);
  int id;

  assert_non_null(block);
  memcpy(block, p, len);
  id = lpvm_buf_adopt(enc, block, len, block, free);
  assert_true(id > 0);
  pvm_setrbuf(id);
  return id;
}

static int nsegs(int bufid) {
  int n = 0;
  for (struct lpvm_seg *s = lpvm_buf_get(bufid)->head; s; s = s->next)
    n++;
  return n;
}

static int teardown(void **state) {
  (void)state;
  lpvm_buf_free_all();
  return 0;
}

/* ---- Generic round trips over every type --------------------------------- */

/* The public calls of one element type, reached through void pointers. */
struct tdesc {
  const char *name;
  size_t size;
  int (*pk)(void *, int, int);
  int (*upk)(void *, int, int);
};

#define WRAP(name, T)                                                          \
  static int pk_##name(void *p, int n, int s) {                                \
    return pvm_pk##name((T *)p, n, s);                                         \
  }                                                                            \
  static int upk_##name(void *p, int n, int s) {                               \
    return pvm_upk##name((T *)p, n, s);                                        \
  }
WRAP(byte, char)
WRAP(short, short)
WRAP(ushort, unsigned short)
WRAP(int, int)
WRAP(uint, unsigned int)
WRAP(long, long)
WRAP(ulong, unsigned long)
WRAP(float, float)
WRAP(double, double)
WRAP(cplx, float)
WRAP(dcplx, double)

static const struct tdesc types[] = {
    {"byte", 1, pk_byte, upk_byte},
    {"short", sizeof(short), pk_short, upk_short},
    {"ushort", sizeof(short), pk_ushort, upk_ushort},
    {"int", sizeof(int), pk_int, upk_int},
    {"uint", sizeof(int), pk_uint, upk_uint},
    {"long", sizeof(long), pk_long, upk_long},
    {"ulong", sizeof(long), pk_ulong, upk_ulong},
    {"float", sizeof(float), pk_float, upk_float},
    {"double", sizeof(double), pk_double, upk_double},
    {"cplx", 2 * sizeof(float), pk_cplx, upk_cplx},
    {"dcplx", 2 * sizeof(double), pk_dcplx, upk_dcplx},
};
#define NTYPES (sizeof types / sizeof types[0])

/* Fills with a byte pattern that is a valid value of every type (no
 * signalling NaN surprises: bytes are compared, never values). */
static void fill(uint8_t *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

/* Packs n elements (stride s) of every type between two marker ints,
 * receives, and unpacks with the same stride, checking that the gaps of
 * the destination are untouched. */
static void roundtrip(int enc, const struct tdesc *t, int n, int s) {
  size_t span = (size_t)(n > 0 ? n : 1) * (size_t)s * t->size;
  uint8_t *src = malloc(span), *dst = malloc(span);
  int before = 0x5eed, after = -77, got;

  assert_non_null(src);
  assert_non_null(dst);
  fill(src, span, (unsigned)n + (unsigned)s);
  memset(dst, 0xa5, span);
  assert_true(pvm_initsend(enc) > 0);
  assert_int_equal(pvm_pkint(&before, 1, 1), 0);
  assert_int_equal(t->pk(src, n, s), 0);
  assert_int_equal(pvm_pkint(&after, 1, 1), 0);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(&got, 1, 1), 0);
  assert_int_equal(got, before);
  assert_int_equal(t->upk(dst, n, s), 0);
  assert_int_equal(pvm_upkint(&got, 1, 1), 0);
  assert_int_equal(got, after);
  assert_int_equal(pvm_upkint(&got, 1, 1), PvmNoData);
  for (int i = 0; i < n; i++) {
    size_t off = (size_t)i * (size_t)s * t->size;
    if (memcmp(src + off, dst + off, t->size) != 0)
      fail_msg("%s enc %d n %d stride %d: element %d differs", t->name, enc, n,
               s, i);
    for (size_t g = t->size; g < (size_t)s * t->size; g++)
      if (dst[off + g] != 0xa5)
        fail_msg("%s: gap after element %d written", t->name, i);
  }
  free(src);
  free(dst);
  pvm_freebuf(pvm_getrbuf());
}

static void test_roundtrip_all(void **state) {
  static const int counts[] = {0, 1, 2, 7, 1000};
  static const int strides[] = {1, 3};
  (void)state;
  for (size_t e = 0; e < 3; e++)
    for (size_t t = 0; t < NTYPES; t++)
      for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        for (size_t s = 0; s < 2; s++)
          roundtrip(encodings[e], &types[t], counts[c], strides[s]);
}

static void test_large_counts(void **state) {
  const int n = 1000000;
  int *a = malloc(sizeof(int) * (size_t)n),
      *b = malloc(sizeof(int) * (size_t)n);
  (void)state;
  for (int i = 0; i < n; i++)
    a[i] = i * 2654435761u > INT_MAX ? -i : i;
  for (size_t e = 0; e < 3; e++) {
    int sb = pvm_initsend(encodings[e]);
    assert_int_equal(pvm_pkint(a, n, 1), 0);
    if (encodings[e] != PvmDataInPlace) {
      /* Owned segments stay within the cap, so 4 MB spans several. */
      assert_true(nsegs(sb) >= 4);
      for (struct lpvm_seg *s = lpvm_buf_get(sb)->head; s; s = s->next)
        assert_true(s->cap <= LPVM_SEG_MAX);
    }
    pvmt_receive_sbuf();
    memset(b, 0, sizeof(int) * (size_t)n);
    /* In pieces that do not line up with the segments. */
    assert_int_equal(pvm_upkint(b, 12345, 1), 0);
    assert_int_equal(pvm_upkint(b + 12345, n - 12345, 1), 0);
    assert_memory_equal(a, b, sizeof(int) * (size_t)n);
    pvm_freebuf(pvm_getrbuf());
  }
  /* Doubles with a stride: 500000 of 1000000. */
  double *d = malloc(sizeof(double) * (size_t)n),
         *d2 = calloc((size_t)n, sizeof(double));
  for (int i = 0; i < n; i++)
    d[i] = i * 0.5;
  pvm_initsend(PvmDataDefault);
  assert_int_equal(pvm_pkdouble(d, n / 2, 2), 0);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkdouble(d2, n / 2, 1), 0);
  for (int i = 0; i < n / 2; i++)
    assert_true(d2[i] == d[2 * i]);
  free(a);
  free(b);
  free(d);
  free(d2);
}

/* ---- Values at the limits ------------------------------------------------ */

static void test_edge_values(void **state) {
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    int iv[] = {INT_MIN, INT_MAX, 0, -1};
    unsigned uv[] = {UINT_MAX, 0, 1u << 31};
    short sv[] = {SHRT_MIN, SHRT_MAX, -1};
    unsigned short usv[] = {USHRT_MAX, 0};
    long lv[] = {LONG_MIN, LONG_MAX, -1, 0};
    unsigned long ulv[] = {ULONG_MAX, 0};
    float fv[] = {NAN,     INFINITY, -INFINITY,   -0.0f,
                  FLT_MIN, FLT_MAX,  FLT_TRUE_MIN};
    double dv[] = {NAN,     INFINITY, -INFINITY,   -0.0,
                   DBL_MIN, DBL_MAX,  DBL_TRUE_MIN};
    char bv[] = {CHAR_MIN, CHAR_MAX, 0};
    int iv2[4];
    unsigned uv2[3];
    short sv2[3];
    unsigned short usv2[2];
    long lv2[4];
    unsigned long ulv2[2];
    float fv2[7];
    double dv2[7];
    char bv2[3];

    pvm_initsend(encodings[e]);
    assert_int_equal(pvm_pkint(iv, 4, 1), 0);
    assert_int_equal(pvm_pkuint(uv, 3, 1), 0);
    assert_int_equal(pvm_pkshort(sv, 3, 1), 0);
    assert_int_equal(pvm_pkushort(usv, 2, 1), 0);
    assert_int_equal(pvm_pklong(lv, 4, 1), 0);
    assert_int_equal(pvm_pkulong(ulv, 2, 1), 0);
    assert_int_equal(pvm_pkfloat(fv, 7, 1), 0);
    assert_int_equal(pvm_pkdouble(dv, 7, 1), 0);
    assert_int_equal(pvm_pkbyte(bv, 3, 1), 0);
    pvmt_receive_sbuf();
    assert_int_equal(pvm_upkint(iv2, 4, 1), 0);
    assert_int_equal(pvm_upkuint(uv2, 3, 1), 0);
    assert_int_equal(pvm_upkshort(sv2, 3, 1), 0);
    assert_int_equal(pvm_upkushort(usv2, 2, 1), 0);
    assert_int_equal(pvm_upklong(lv2, 4, 1), 0);
    assert_int_equal(pvm_upkulong(ulv2, 2, 1), 0);
    assert_int_equal(pvm_upkfloat(fv2, 7, 1), 0);
    assert_int_equal(pvm_upkdouble(dv2, 7, 1), 0);
    assert_int_equal(pvm_upkbyte(bv2, 3, 1), 0);
    assert_memory_equal(iv, iv2, sizeof iv);
    assert_memory_equal(uv, uv2, sizeof uv);
    assert_memory_equal(sv, sv2, sizeof sv);
    assert_memory_equal(usv, usv2, sizeof usv);
    assert_true(lv2[0] == LONG_MIN && lv2[1] == LONG_MAX && lv2[2] == -1);
    assert_true(ulv2[0] == ULONG_MAX && ulv2[1] == 0);
    assert_true(isnan(fv2[0]) && isinf(fv2[1]) && fv2[1] > 0);
    assert_true(isinf(fv2[2]) && fv2[2] < 0);
    assert_true(fv2[3] == 0 && signbit(fv2[3]));
    assert_true(fv2[4] == FLT_MIN && fv2[5] == FLT_MAX);
    assert_true(fv2[6] == FLT_TRUE_MIN);
    assert_true(isnan(dv2[0]) && isinf(dv2[1]) && dv2[1] > 0);
    assert_true(isinf(dv2[2]) && dv2[2] < 0);
    assert_true(dv2[3] == 0 && signbit(dv2[3]));
    assert_true(dv2[4] == DBL_MIN && dv2[5] == DBL_MAX);
    assert_true(dv2[6] == DBL_TRUE_MIN);
    assert_memory_equal(bv, bv2, sizeof bv);
    pvm_freebuf(pvm_getrbuf());
  }
}

/* ---- The PvmDataDefault wire form ---------------------------------------- */

static void test_default_wire_form(void **state) {
  int i = 0x01020304;
  long l = -2;
  float f = 1.0f;
  double d = -2.0;
  float c[2] = {1.0f, -1.0f};
  short s = 0x0102;
  char str[] = "hi";
  static const uint8_t want[] = {
      0,    0,    0,    3,    0, 0, 0, 1, 1,    2,    3,    4, /* int */
      0,    0,    0,    4,    0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xfe,                                  /* long */
      0,    0,    0,    5,    0, 0, 0, 1, 0x3f, 0x80, 0,    0, /* float */
      0,    0,    0,    6,    0, 0, 0, 1, 0xc0, 0,    0,    0,
      0,    0,    0,    0, /* double */
      0,    0,    0,    7,    0, 0, 0, 1, 0x3f, 0x80, 0,    0,
      0xbf, 0x80, 0,    0,                               /* cplx */
      0,    0,    0,    2,    0, 0, 0, 1, 1,    2,       /* short */
      0,    0,    0,    9,    0, 0, 0, 3, 'h',  'i',  0, /* str */
      0,    0,    0,    3,    0, 0, 0, 0,                /* 0 ints */
  };
  uint8_t got[sizeof want];
  int sb;
  (void)state;

  sb = pvm_initsend(PvmDataDefault);
  pvm_pkint(&i, 1, 1);
  pvm_pklong(&l, 1, 1);
  pvm_pkfloat(&f, 1, 1);
  pvm_pkdouble(&d, 1, 1);
  pvm_pkcplx(c, 1, 1);
  pvm_pkshort(&s, 1, 1);
  pvm_pkstr(str);
  pvm_pkint(&i, 0, 1);
  assert_int_equal(lpvm_buf_length(lpvm_buf_get(sb)), sizeof want);
  lpvm_buf_gather(lpvm_buf_get(sb), got);
  assert_memory_equal(got, want, sizeof want);

  /* Raw is the native bytes and nothing else. */
  sb = pvm_initsend(PvmDataRaw);
  pvm_pkint(&i, 1, 1);
  pvm_pkstr(str);
  assert_int_equal(lpvm_buf_length(lpvm_buf_get(sb)), sizeof i + 3);
  lpvm_buf_gather(lpvm_buf_get(sb), got);
  assert_memory_equal(got, &i, sizeof i);
  assert_memory_equal(got + sizeof i, "hi", 3);
}

/* ---- Unpacking in other pieces than packed ------------------------------- */

static void test_split_and_merge(void **state) {
  int a[10], b[10] = {0};
  (void)state;
  for (int i = 0; i < 10; i++)
    a[i] = i * 11;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(a, 10, 1); /* one item of 10 */
  pvm_pkint(a, 2, 1);  /* three items of 2 */
  pvm_pkint(a + 2, 2, 1);
  pvm_pkint(a + 4, 2, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(b, 3, 1), 0);
  assert_int_equal(pvm_upkint(b + 3, 3, 1), 0);
  assert_int_equal(pvm_upkint(b + 6, 4, 1), 0);
  assert_memory_equal(a, b, sizeof a);
  memset(b, 0, sizeof b);
  assert_int_equal(pvm_upkint(b, 6, 1), 0); /* across three items */
  assert_memory_equal(a, b, 6 * sizeof(int));
  assert_int_equal(pvm_upkint(b, 1, 1), PvmNoData);
}

static void test_empty_items(void **state) {
  int x = 5, y = 0;
  double d = 1.5, e = 0;
  (void)state;
  pvm_initsend(PvmDataDefault);
  assert_int_equal(pvm_pkint(&x, 0, 1), 0);
  assert_int_equal(pvm_pkdouble(&d, 0, 1), 0);
  assert_int_equal(pvm_pkdouble(&d, 1, 1), 0);
  assert_int_equal(pvm_pkint(NULL, 0, 1), 0);
  assert_int_equal(pvm_pkint(&x, 1, 1), 0);
  pvmt_receive_sbuf();
  /* Empty items are passed over, whether unpacked or not. */
  assert_int_equal(pvm_upkint(&y, 0, 1), 0);
  assert_int_equal(pvm_upkdouble(&e, 1, 1), 0);
  assert_true(e == 1.5);
  assert_int_equal(pvm_upkint(&y, 1, 1), 0);
  assert_int_equal(y, 5);
  assert_int_equal(pvm_upkint(&y, 0, 1), 0);
  assert_int_equal(pvm_upkint(&y, 1, 1), PvmNoData);
}

/* ---- Errors while unpacking ---------------------------------------------- */

static void test_past_the_end(void **state) {
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    int a[3] = {1, 2, 3}, b[5] = {-1, -1, -1, -1, -1};
    char s[8] = "xxxxxxx";
    pvm_initsend(encodings[e]);
    pvm_pkint(a, 3, 1);
    pvmt_receive_sbuf();
    assert_int_equal(pvm_upkint(b, 5, 1), PvmNoData);
    /* Nothing beyond what was there was written (here: nothing at all),
     * and the cursor did not move. */
    for (int i = 3; i < 5; i++)
      assert_int_equal(b[i], -1);
    assert_int_equal(pvm_upkint(b, 3, 1), 0);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(b[3], -1);
    assert_int_equal(pvm_upkint(b, 1, 1), PvmNoData);
    assert_int_equal(pvm_upkstr(s), PvmNoData);
    assert_string_equal(s, "xxxxxxx");
    assert_int_equal(pvm_upkbyte(s, 1, 1), PvmNoData);
    pvm_freebuf(pvm_getrbuf());
  }
}

static void test_wrong_type(void **state) {
  int i = 42, j = 0;
  unsigned u = 0;
  float f = 0;
  char s[8];
  long l = -5;
  unsigned long ul = 0;
  short sh = -3;
  unsigned short us = 0;
  (void)state;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&i, 1, 1);
  pvm_pkint(&i, 1, 1);
  pvm_pklong(&l, 1, 1);
  pvm_pkshort(&sh, 1, 1);
  pvm_pkstr("ab");
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkfloat(&f, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkstr(s), PvmBadMsg);
  assert_int_equal(pvm_upkbyte(s, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkdouble((double *)&ul, 1, 1), PvmBadMsg);
  /* The failures consumed nothing. Signed and unsigned are compatible. */
  assert_int_equal(pvm_upkint(&j, 1, 1), 0);
  assert_int_equal(j, 42);
  assert_int_equal(pvm_upkuint(&u, 1, 1), 0);
  assert_int_equal(u, 42);
  assert_int_equal(pvm_upkulong(&ul, 1, 1), 0);
  assert_true(ul == (unsigned long)-5);
  assert_int_equal(pvm_upkushort(&us, 1, 1), 0);
  assert_int_equal(us, (unsigned short)-3);
  assert_int_equal(pvm_upkbyte(s, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkstr(s), 0);
  assert_string_equal(s, "ab");

  /* Inside a partly unpacked item, another type is refused too. */
  int a[4] = {1, 2, 3, 4};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(a, 4, 1);
  pvm_pkfloat(&f, 1, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(a, 2, 1), 0);
  assert_int_equal(pvm_upkfloat(&f, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkstr(s), PvmBadMsg);
  assert_int_equal(pvm_upkint(a, 3, 1), PvmBadMsg); /* 2 ints, then float */
  assert_int_equal(pvm_upkint(a, 2, 1), 0);
  assert_int_equal(pvm_upkfloat(&f, 1, 1), 0);
}

/* Unpacking with another type where PVM 3.4.6's untyped XDR reads the same
 * numbers: integers of any width and sign (PvmOverflow for a value the
 * destination cannot hold), float <-> cplx and double <-> dcplx by words.
 * Everything that would misread stays PvmBadMsg. */
static void test_converted_types(void **state) {
  short sh[4] = {1, -2, 300, 7000}, sh2[4];
  unsigned short us[4];
  int in[4] = {1, -2, 300, 70000}, in2[4];
  unsigned ui[4];
  long lo[4] = {1, -2, 300, 5000000000L}, lo2[4];
  unsigned long ul[4];
  float fl[6] = {1.5f, -2.25f, 3, 4, 5, 6}, fl2[8];
  double db[4] = {1.5, -2.25, 3, 4}, db2[8];
  char by[4];
  (void)state;

  /* short -> every wider type; signed destinations sign-extend. */
  pvm_initsend(PvmDataDefault);
  for (int k = 0; k < 4; k++)
    pvm_pkshort(sh, 4, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(in2, 4, 1), 0);
  assert_int_equal(in2[1], -2);
  assert_int_equal(in2[3], 7000);
  assert_int_equal(pvm_upklong(lo2, 4, 1), 0);
  assert_true(lo2[1] == -2 && lo2[2] == 300);
  assert_int_equal(pvm_upkuint(ui, 4, 1), 0);
  assert_true(ui[1] == 65534u && ui[3] == 7000u);
  assert_int_equal(pvm_upkulong(ul, 4, 1), 0);
  assert_true(ul[1] == 65534ul);

  /* int -> short: what fits, else PvmOverflow that writes and consumes
   * nothing; int -> long and ulong. */
  pvm_initsend(PvmDataDefault);
  pvm_pkint(in, 4, 1);
  pvm_pkint(in, 4, 1);
  pvm_pkint(in, 4, 1);
  pvmt_receive_sbuf();
  memset(sh2, 0x55, sizeof sh2);
  assert_int_equal(pvm_upkshort(sh2, 4, 1), PvmOverflow);
  assert_int_equal(sh2[0], 0x5555);
  assert_int_equal(pvm_upkshort(sh2, 3, 1), 0);
  assert_true(sh2[0] == 1 && sh2[1] == -2 && sh2[2] == 300);
  assert_int_equal(pvm_upkushort(us, 1, 1), PvmOverflow); /* 70000 */
  assert_int_equal(pvm_upkint(in2, 1, 1), 0);
  assert_int_equal(in2[0], 70000);
  assert_int_equal(pvm_upklong(lo2, 4, 1), 0);
  assert_true(lo2[1] == -2 && lo2[3] == 70000);
  assert_int_equal(pvm_upkulong(ul, 4, 1), 0);
  assert_true(ul[1] == 4294967294ul && ul[3] == 70000ul);

  /* long -> int: what fits. */
  pvm_initsend(PvmDataDefault);
  pvm_pklong(lo, 4, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(in2, 4, 1), PvmOverflow);
  assert_int_equal(pvm_upkint(in2, 3, 1), 0);
  assert_true(in2[0] == 1 && in2[1] == -2 && in2[2] == 300);
  assert_int_equal(pvm_upkuint(ui, 1, 1), PvmOverflow); /* 5e9 */
  assert_int_equal(pvm_upklong(lo2, 1, 1), 0);
  assert_true(lo2[0] == 5000000000L);

  /* Negative values do not fit unsigned narrower types. */
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&in[1], 1, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkushort(us, 1, 1), PvmOverflow);
  assert_int_equal(pvm_upkuint(ui, 1, 1), 0); /* same width: as PVM 3.4.6 */
  assert_true(ui[0] == 4294967294u);

  /* cplx <-> float, also across items and with a stride. */
  pvm_initsend(PvmDataDefault);
  pvm_pkcplx(fl, 2, 1);
  pvm_pkfloat(fl, 3, 1);
  pvm_pkfloat(fl + 3, 3, 1);
  pvm_pkcplx(fl, 1, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkfloat(fl2, 4, 1), 0);
  assert_true(fl2[0] == 1.5f && fl2[1] == -2.25f && fl2[2] == 3 && fl2[3] == 4);
  assert_int_equal(pvm_upkcplx(fl2, 3, 1), 0); /* 3 + 3 floats */
  for (int k = 0; k < 6; k++)
    assert_true(fl2[k] == fl[k]);
  memset(fl2, 0, sizeof fl2);
  assert_int_equal(pvm_upkfloat(fl2, 2, 2), 0);
  assert_true(fl2[0] == 1.5f && fl2[1] == 0 && fl2[2] == -2.25f);

  /* dcplx <-> double, an element split between items. */
  pvm_initsend(PvmDataDefault);
  pvm_pkdcplx(db, 1, 1);
  pvm_pkdouble(db, 1, 1);
  pvm_pkdouble(db + 1, 3, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkdouble(db2, 1, 1), 0);
  assert_true(db2[0] == 1.5);
  assert_int_equal(pvm_upkdcplx(db2, 2, 1), 0); /* -2.25 | 1.5 -2.25 3 */
  assert_true(db2[0] == -2.25 && db2[1] == 1.5 && db2[2] == -2.25 &&
              db2[3] == 3);
  assert_int_equal(pvm_upkdcplx(db2, 1, 1), PvmNoData); /* half left */
  assert_int_equal(pvm_upkdouble(db2, 1, 1), 0);
  assert_true(db2[0] == 4);

  /* Still refused: what would misread. */
  pvm_initsend(PvmDataDefault);
  pvm_pkfloat(fl, 2, 1);
  pvm_pkdouble(db, 1, 1);
  pvm_pkint(in, 1, 1);
  pvm_pkbyte("abcd", 4, 1);
  pvm_pkstr("xyz");
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkdouble(db2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkdcplx(db2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkint(in2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkbyte(by, 4, 1), PvmBadMsg);
  assert_int_equal(pvm_upkfloat(fl2, 2, 1), 0);
  assert_int_equal(pvm_upkfloat(fl2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkcplx(fl2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upklong(lo2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkdouble(db2, 1, 1), 0);
  assert_int_equal(pvm_upkfloat(fl2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkbyte(by, 4, 1), PvmBadMsg);
  assert_int_equal(pvm_upkint(in2, 1, 1), 0);
  assert_int_equal(pvm_upkint(in2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkshort(sh2, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkbyte(by, 4, 1), 0);
  assert_int_equal(pvm_upkbyte(by, 1, 1), PvmBadMsg);
  assert_int_equal(pvm_upkint(in2, 1, 1), PvmBadMsg);
}

static void test_corrupt_headers(void **state) {
  int x = 7;
  char s[16] = "untouched";
  (void)state;
  /* A count far beyond the body. */
  {
    uint8_t body[16];
    pvmw_xdr_item(body, PVMW_XT_INT, 0xffffffffu);
    memset(body + 8, 1, 8);
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkint(&x, 1, 1), PvmBadMsg);
    assert_int_equal(x, 7);
    pvmw_xdr_item(body, PVMW_XT_INT, 3); /* 12 bytes, 8 there */
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkint(&x, 1, 1), PvmBadMsg);
    pvmw_xdr_item(body, PVMW_XT_STR, 0x7fffffffu);
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkstr(s), PvmBadMsg);
    pvmw_xdr_item(body, PVMW_XT_MSG, 0xfffffff0u);
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkmesg(), PvmBadMsg);
  }
  /* Unknown type codes. */
  {
    uint8_t body[12];
    pvmw_xdr_item(body, 0, 1);
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkint(&x, 1, 1), PvmBadMsg);
    pvmw_xdr_item(body, 99, 1);
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkint(&x, 1, 1), PvmBadMsg);
  }
  /* A truncated header. */
  {
    uint8_t body[5] = {0, 0, 0, 3, 0};
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkint(&x, 1, 1), PvmBadMsg);
  }
  /* Strings without a NUL, or with no bytes at all. */
  {
    uint8_t body[12];
    pvmw_xdr_item(body, PVMW_XT_STR, 4);
    memcpy(body + 8, "abcd", 4);
    adopt_bytes(PvmDataDefault, body, sizeof body);
    assert_int_equal(pvm_upkstr(s), PvmBadMsg);
    assert_string_equal(s, "untouched");
    pvmw_xdr_item(body, PVMW_XT_STR, 0);
    adopt_bytes(PvmDataDefault, body, 8);
    assert_int_equal(pvm_upkstr(s), PvmBadMsg);
    adopt_bytes(PvmDataRaw, "abcd", 4);
    assert_int_equal(pvm_upkstr(s), PvmNoData);
    assert_string_equal(s, "untouched");
  }
  /* An empty body. */
  adopt_bytes(PvmDataDefault, "", 0);
  assert_int_equal(pvm_upkint(&x, 1, 1), PvmNoData);
  assert_int_equal(pvm_upkstr(s), PvmNoData);
  assert_int_equal(pvm_upkmesg(), PvmNoData);
  adopt_bytes(PvmDataRaw, "", 0);
  assert_int_equal(pvm_upkint(&x, 1, 1), PvmNoData);
  assert_int_equal(pvm_upkint(&x, 0, 1), 0);
  assert_int_equal(pvm_upkmesg(), PvmNoData);
}

/* ---- Parameters ---------------------------------------------------------- */

static void test_bad_params(void **state) {
  int a[4] = {0};
  char s[4];
  (void)state;
  assert_int_equal(pvm_pkint(a, 1, 1), PvmNoBuf);
  assert_int_equal(pvm_pkstr("x"), PvmNoBuf);
  assert_int_equal(pvm_upkint(a, 1, 1), PvmNoBuf);
  assert_int_equal(pvm_upkstr(s), PvmNoBuf);
  assert_int_equal(pvm_upkmesg(), PvmNoBuf);
  for (size_t e = 0; e < 3; e++) {
    int sb = pvm_initsend(encodings[e]);
    assert_int_equal(pvm_pkint(a, -1, 1), PvmBadParam);
    assert_int_equal(pvm_pkint(a, 1, 0), PvmBadParam);
    assert_int_equal(pvm_pkint(a, 1, -1), PvmBadParam);
    assert_int_equal(pvm_pkint(NULL, 1, 1), PvmBadParam);
    assert_int_equal(pvm_pkstr(NULL), PvmBadParam);
    assert_int_equal(pvm_pkdouble((double *)a, 0, 5), 0);
    pvm_pkint(a, 4, 1);
    pvmt_receive_sbuf();
    assert_int_equal(pvm_upkint(a, -1, 1), PvmBadParam);
    assert_int_equal(pvm_upkint(a, 1, 0), PvmBadParam);
    assert_int_equal(pvm_upkint(a, 1, -2), PvmBadParam);
    assert_int_equal(pvm_upkint(NULL, 1, 1), PvmBadParam);
    assert_int_equal(pvm_upkstr(NULL), PvmBadParam);
    assert_int_equal(pvm_upkint(a, 4, 1), 0);
    (void)sb;
  }
}

/* A body may not pass PVMW_MAX_MESSAGE; the check comes before any data
 * is read, and a refused pack leaves the buffer as it was. */
static void test_message_cap(void **state) {
  char c = 0;
  double z[2] = {0, 0};
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    int sb = pvm_initsend(encodings[e]);
    pvm_pkbyte(&c, 1, 1);
    size_t len = lpvm_buf_length(lpvm_buf_get(sb));
    assert_int_equal(pvm_pkbyte(&c, INT_MAX, 1), PvmNoMem);
    assert_int_equal(pvm_pkdcplx(z, INT_MAX / 4, 1), PvmNoMem);
    assert_int_equal(lpvm_buf_length(lpvm_buf_get(sb)), len);
  }
}

/* ---- PvmDataInPlace ------------------------------------------------------ */

static void test_inplace_reads_at_send_time(void **state) {
  int a[4] = {1, 2, 3, 4}, b[8] = {10, 11, 20, 21, 30, 31, 40, 41};
  int got[6];
  int sb;
  struct lpvm_seg *s;
  (void)state;
  sb = pvm_initsend(PvmDataInPlace);
  assert_int_equal(pvm_pkint(a, 4, 1), 0); /* referenced */
  assert_int_equal(pvm_pkint(b, 2, 4), 0); /* strided: copied */
  s = lpvm_buf_get(sb)->head;
  assert_non_null(s);
  assert_int_equal(s->owned, 0);
  assert_ptr_equal(s->data, (char *)a);
  assert_int_equal(s->len, sizeof a);
  a[0] = 100;
  a[3] = 400;
  b[0] = -1;
  b[4] = -1;
  int rb = pvmt_received_copy(sb); /* what leaves is read now */
  pvm_setrbuf(rb);
  assert_int_equal(pvm_upkint(got, 6, 1), 0);
  assert_int_equal(got[0], 100);
  assert_int_equal(got[3], 400);
  assert_int_equal(got[4], 10);
  assert_int_equal(got[5], 30);
  /* A received InPlace message is Raw. */
  assert_int_equal(lpvm_buf_get(rb)->enc, PvmDataRaw);
}

/* ---- Buffer ids ---------------------------------------------------------- */

static void test_buffer_ids(void **state) {
  int a, b, c, old, bytes, tag, tid;
  (void)state;
  assert_int_equal(pvm_getsbuf(), 0);
  assert_int_equal(pvm_getrbuf(), 0);
  assert_int_equal(pvm_mkbuf(3), PvmBadParam);
  assert_int_equal(pvm_mkbuf(-1), PvmBadParam);
  assert_int_equal(pvm_mkbuf(PvmDataTrace), PvmBadParam);
  assert_int_equal(pvm_initsend(99), PvmBadParam);
  a = pvm_mkbuf(PvmDataDefault);
  b = pvm_mkbuf(PvmDataRaw);
  c = pvm_mkbuf(PvmDataInPlace);
  assert_true(a >= 1 && b >= 1 && c >= 1);
  assert_true(a != b && b != c && a != c);
  assert_int_equal(pvm_getsbuf(), 0); /* mkbuf does not activate */

  assert_int_equal(pvm_setsbuf(a), 0);
  assert_int_equal(pvm_getsbuf(), a);
  assert_int_equal(pvm_setsbuf(b), a);
  assert_int_equal(pvm_setsbuf(0), b);
  assert_int_equal(pvm_getsbuf(), 0);
  assert_int_equal(pvm_setsbuf(-1), PvmBadParam);
  assert_int_equal(pvm_setsbuf(12345), PvmNoSuchBuf);
  assert_int_equal(pvm_setrbuf(-1), PvmBadParam);
  assert_int_equal(pvm_setrbuf(12345), PvmNoSuchBuf);
  assert_int_equal(pvm_setrbuf(c), 0);
  assert_int_equal(pvm_getrbuf(), c);
  assert_int_equal(pvm_setrbuf(a), c);
  assert_int_equal(pvm_setrbuf(0), a);

  /* A buffer is active in one role at a time. */
  pvm_setrbuf(a);
  pvm_setsbuf(a);
  assert_int_equal(pvm_getrbuf(), 0);
  assert_int_equal(pvm_getsbuf(), a);
  pvm_setrbuf(a);
  assert_int_equal(pvm_getsbuf(), 0);
  assert_int_equal(pvm_getrbuf(), a);

  /* Freeing an active buffer clears it. */
  pvm_setsbuf(b);
  assert_int_equal(pvm_freebuf(b), 0);
  assert_int_equal(pvm_getsbuf(), 0);
  assert_int_equal(pvm_freebuf(a), 0);
  assert_int_equal(pvm_getrbuf(), 0);
  assert_int_equal(pvm_freebuf(a), PvmNoSuchBuf);
  assert_int_equal(pvm_freebuf(-3), PvmBadParam);
  assert_int_equal(pvm_freebuf(0),
                   0); /* no buffer: nothing to do (PVM 3.4.6) */
  assert_int_equal(pvm_freebuf(99999), PvmNoSuchBuf);
  assert_null(lpvm_buf_get(a));
  assert_null(lpvm_buf_get(0));
  assert_null(lpvm_buf_get(-1));

  /* pvm_initsend replaces the active send buffer. */
  old = pvm_initsend(PvmDataDefault);
  assert_true(old > 0);
  assert_int_equal(pvm_getsbuf(), old);
  int x = 1;
  pvm_pkint(&x, 1, 1);
  int nw = pvm_initsend(PvmDataRaw);
  assert_true(nw > 0);
  assert_int_equal(pvm_getsbuf(), nw);
  assert_int_equal(pvm_bufinfo(nw, &bytes, NULL, NULL), 0);
  assert_int_equal(bytes, 0);
  assert_int_equal(lpvm_buf_get(nw)->enc, PvmDataRaw);
  if (nw != old)
    assert_null(lpvm_buf_get(old));

  /* bufinfo */
  pvm_pkint(&x, 1, 1);
  assert_int_equal(pvm_bufinfo(nw, &bytes, &tag, &tid), 0);
  assert_int_equal(bytes, sizeof(int));
  assert_int_equal(pvm_bufinfo(-1, &bytes, &tag, &tid), PvmBadParam);
  assert_int_equal(pvm_bufinfo(4242, &bytes, &tag, &tid), PvmNoSuchBuf);
  int r = adopt_bytes(PvmDataRaw, "abcdef", 6);
  lpvm_buf_get(r)->tag = 17;
  lpvm_buf_get(r)->src = 0x40003;
  assert_int_equal(pvm_bufinfo(r, &bytes, &tag, &tid), 0);
  assert_int_equal(bytes, 6);
  assert_int_equal(tag, 17);
  assert_int_equal(tid, 0x40003);
  assert_int_equal(pvm_bufinfo(r, NULL, NULL, NULL), 0);
  assert_int_equal(lpvm_buf_adopt(7, "x", 1, NULL, NULL), PvmBadParam);
}

static void test_id_reuse_and_many(void **state) {
  enum { N = 3000 };
  static int ids[N];
  (void)state;
  for (int i = 0; i < N; i++) {
    ids[i] = pvm_mkbuf(PvmDataRaw);
    assert_true(ids[i] > 0);
    lpvm_buf_get(ids[i])->tag = i;
  }
  for (int i = 0; i < N; i++)
    assert_int_equal(lpvm_buf_get(ids[i])->tag, i);
  int maxid = 0;
  for (int i = 0; i < N; i++)
    if (ids[i] > maxid)
      maxid = ids[i];
  assert_int_equal(maxid, N); /* dense */
  assert_int_equal(pvm_freebuf(ids[10]), 0);
  assert_int_equal(pvm_freebuf(ids[20]), 0);
  /* Freed ids are reused, oldest first, before the table grows. */
  assert_int_equal(pvm_mkbuf(PvmDataRaw), ids[10]);
  assert_int_equal(pvm_mkbuf(PvmDataRaw), ids[20]);
  assert_int_equal(pvm_mkbuf(PvmDataRaw), N + 1);
  /* The initsend cycle keeps reusing one id. */
  int first = pvm_initsend(PvmDataDefault);
  for (int i = 0; i < 100; i++)
    assert_int_equal(pvm_initsend(PvmDataDefault), first);
}

static void test_minfo(void **state) {
  struct pvmminfo mi, m2;
  int x[3] = {1, 2, 3};
  (void)state;
  int sb = pvm_initsend(PvmDataDefault);
  pvm_pkint(x, 3, 1);
  assert_int_equal(pvm_getminfo(sb, NULL), PvmBadParam);
  assert_int_equal(pvm_setminfo(sb, NULL), PvmBadParam);
  assert_int_equal(pvm_getminfo(-2, &mi), PvmBadParam);
  assert_int_equal(pvm_getminfo(777, &mi), PvmNoSuchBuf);
  assert_int_equal(pvm_setminfo(777, &mi), PvmNoSuchBuf);
  assert_int_equal(pvm_getminfo(sb, &mi), 0);
  assert_int_equal(mi.len, 8 + 12);
  assert_int_equal(mi.enc, 0x10000000);
  mi.ctx = 5;
  mi.tag = 6;
  mi.wid = 7;
  mi.src = 0x40001;
  mi.dst = 0x80002;
  mi.len = 999;  /* not settable */
  mi.crc = 1234; /* not settable */
  mi.enc = 3;    /* not settable */
  assert_int_equal(pvm_setminfo(sb, &mi), 0);
  assert_int_equal(pvm_getminfo(sb, &m2), 0);
  assert_int_equal(m2.ctx, 5);
  assert_int_equal(m2.tag, 6);
  assert_int_equal(m2.wid, 7);
  assert_int_equal(m2.src, 0x40001);
  assert_int_equal(m2.dst, 0x80002);
  assert_int_equal(m2.len, 20);
  assert_int_equal(m2.crc, 0);
  assert_int_equal(m2.enc, 0x10000000);
  int rb = pvm_mkbuf(PvmDataRaw);
  assert_int_equal(pvm_getminfo(rb, &m2), 0);
  assert_int_not_equal(m2.enc, 0x10000000);
}

/* ---- Buffers in both roles ----------------------------------------------- */

/* A packed buffer made the receive buffer unpacks, even across segments;
 * packing more after unpacking began is seen by later unpacks. */
static void test_unpack_own_send_buffer(void **state) {
  enum { N = 400000 };
  int *a = malloc(N * sizeof(int)), *b = malloc(N * sizeof(int));
  int x = 99, y = 0;
  (void)state;
  for (int i = 0; i < N; i++)
    a[i] = -i;
  for (size_t e = 0; e < 3; e++) {
    int sb = pvm_initsend(encodings[e]);
    pvm_pkint(&x, 1, 1);
    pvm_setrbuf(sb);
    assert_int_equal(pvm_getsbuf(), 0);
    assert_int_equal(pvm_upkint(&y, 1, 1), 0);
    assert_int_equal(y, 99);
    pvm_setsbuf(sb);
    pvm_pkint(a, N, 1);
    pvm_pkint(&x, 1, 1);
    pvm_setrbuf(sb);
    assert_int_equal(pvm_upkint(b, N, 1), 0);
    assert_memory_equal(a, b, N * sizeof(int));
    y = 0;
    assert_int_equal(pvm_upkint(&y, 1, 1), 0);
    assert_int_equal(y, 99);
    assert_int_equal(pvm_upkint(&y, 1, 1), PvmNoData);
    pvm_freebuf(sb);
  }
  free(a);
  free(b);
}

/* A received buffer can be sent on, and extended by packing. */
static void test_forward_received(void **state) {
  int x = 3, y = 4, got[2];
  (void)state;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&x, 1, 1);
  int rb = pvmt_receive_sbuf();
  pvm_freebuf(pvm_getsbuf());
  assert_int_equal(pvm_setsbuf(rb), 0);
  assert_int_equal(pvm_getrbuf(), 0);
  assert_int_equal(pvm_pkint(&y, 1, 1), 0);
  assert_int_equal(lpvm_buf_length(lpvm_buf_get(rb)), 24);
  assert_int_equal(nsegs(rb), 2);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(got, 2, 1), 0);
  assert_int_equal(got[0], 3);
  assert_int_equal(got[1], 4);
  /* And the forwarded buffer itself unpacks everything. */
  pvm_setrbuf(rb);
  got[0] = got[1] = 0;
  assert_int_equal(pvm_upkint(got, 2, 1), 0);
  assert_int_equal(got[1], 4);
}

/* ---- Messages in messages ------------------------------------------------ */

static void pkmesg_case(int outer_enc, int inner_enc) {
  struct pvmminfo mi = {0}, m2;
  double d[3] = {1.5, -2.5, 1e300}, d2[3];
  int k = 1234, k2 = 0;
  char s[32];

  int inner = pvm_mkbuf(inner_enc);
  pvm_setsbuf(inner);
  pvm_pkdouble(d, 3, 1);
  pvm_pkstr("inner");
  mi.ctx = 11;
  mi.tag = 22;
  mi.wid = 33;
  mi.src = 0x40005;
  mi.dst = 0x40006;
  pvm_setminfo(inner, &mi);
  pvm_setsbuf(0); /* so that pvm_initsend does not free it */
  pvm_initsend(outer_enc);
  assert_non_null(lpvm_buf_get(inner));
  pvm_pkstr("outer");
  assert_int_equal(pvm_pkmesg(inner), 0);
  pvm_pkint(&k, 1, 1);
  assert_int_equal(pvm_pkmesg(pvm_getsbuf()), PvmBadParam);
  pvm_freebuf(inner);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkstr(s), 0);
  assert_string_equal(s, "outer");
  int nb = pvm_upkmesg();
  assert_true(nb > 0);
  assert_int_equal(pvm_getminfo(nb, &m2), 0);
  assert_int_equal(m2.ctx, 11);
  assert_int_equal(m2.tag, 22);
  assert_int_equal(m2.wid, 33);
  assert_int_equal(m2.src, 0x40005);
  assert_int_equal(m2.dst, 0x40006);
  assert_int_equal(lpvm_buf_get(nb)->enc,
                   inner_enc == PvmDataDefault ? PvmDataDefault : PvmDataRaw);
  assert_int_equal(pvm_upkint(&k2, 1, 1), 0);
  assert_int_equal(k2, 1234);
  int outer = pvm_setrbuf(nb);
  assert_int_equal(pvm_upkdouble(d2, 3, 1), 0);
  assert_memory_equal(d, d2, sizeof d);
  assert_int_equal(pvm_upkstr(s), 0);
  assert_string_equal(s, "inner");
  pvm_setrbuf(outer);
  assert_int_equal(pvm_upkmesg(), PvmNoData);
  pvm_freebuf(nb);
  pvm_freebuf(outer);
}

static void test_pkmesg(void **state) {
  (void)state;
  for (size_t o = 0; o < 3; o++)
    for (size_t i = 0; i < 3; i++)
      pkmesg_case(encodings[o], encodings[i]);
}

static void test_pkmesg_errors(void **state) {
  int x = 5;
  (void)state;
  int inner = pvm_mkbuf(PvmDataDefault);
  assert_int_equal(pvm_pkmesg(inner), PvmNoBuf);
  assert_int_equal(pvm_pkmesgbody(inner), PvmNoBuf);
  pvm_initsend(PvmDataDefault);
  assert_int_equal(pvm_pkmesg(-1), PvmBadParam);
  assert_int_equal(pvm_pkmesg(5555), PvmNoSuchBuf);
  assert_int_equal(pvm_pkmesgbody(5555), PvmNoSuchBuf);
  assert_int_equal(pvm_pkmesgbody(pvm_getsbuf()), PvmBadParam);
  int raw = pvm_mkbuf(PvmDataRaw);
  assert_int_equal(pvm_pkmesgbody(raw), PvmMismatch);
  /* An empty message packs and unpacks. */
  assert_int_equal(pvm_pkmesg(inner), 0);
  pvm_pkint(&x, 1, 1);
  pvmt_receive_sbuf();
  assert_int_equal(pvm_upkint(&x, 1, 1), PvmBadMsg);
  int nb = pvm_upkmesg();
  assert_true(nb > 0);
  int bytes = -1;
  pvm_bufinfo(nb, &bytes, NULL, NULL);
  assert_int_equal(bytes, 0);
  assert_int_equal(pvm_upkmesg(), PvmBadMsg); /* an int comes next */
  /* Raw: a truncated packed message. */
  pvm_setsbuf(raw);
  pvm_pkint(&x, 1, 1);
  pvm_setsbuf(0);
  pvm_initsend(PvmDataRaw);
  pvm_pkmesg(raw);
  int sb = pvm_getsbuf();
  struct lpvm_buf *b = lpvm_buf_get(sb);
  char *block = malloc(b->len - 1);
  char *full = malloc(b->len);
  lpvm_buf_gather(b, full);
  memcpy(block, full, b->len - 1);
  free(full);
  pvm_setrbuf(lpvm_buf_adopt(PvmDataRaw, block, b->len - 1, block, free));
  assert_int_equal(pvm_upkmesg(), PvmNoData);
}

static void test_pkmesgbody(void **state) {
  int a[3] = {1, 2, 3}, b[5] = {0};
  (void)state;
  for (size_t e = 0; e < 3; e++) {
    int inner = pvm_mkbuf(encodings[e]);
    pvm_setsbuf(inner);
    pvm_pkint(a, 3, 1);
    int enc = encodings[e] == PvmDataInPlace ? PvmDataRaw : encodings[e];
    pvm_setsbuf(0);
    pvm_initsend(enc);
    pvm_pkint(a, 1, 1);
    assert_int_equal(pvm_pkmesgbody(inner), 0);
    pvm_pkint(a + 2, 1, 1);
    pvmt_receive_sbuf();
    assert_int_equal(pvm_upkint(b, 5, 1), 0);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1], 1);
    assert_int_equal(b[3], 3);
    assert_int_equal(b[4], 3);
    pvm_freebuf(inner);
    pvm_freebuf(pvm_getrbuf());
  }
}

/* ---- Bulk copies and rollback -------------------------------------------- */

/* Byte data at every small misalignment against the item header, large
 * enough for the bulk-copy paths, in Default and Raw. */
static void test_bulk_copy_offsets(void **state) {
  enum { N = 70000 };
  uint8_t *src = malloc(N + 64), *dst = malloc(N + 64);
  (void)state;
  fill(src, N + 64, 3);
  for (size_t e = 0; e < 2; e++)
    for (int off = 0; off < 40; off += 3) {
      pvm_initsend(encodings[e]);
      assert_int_equal(pvm_pkbyte((char *)src + off, N, 1), 0);
      pvmt_receive_sbuf();
      memset(dst, 0, N + 64);
      assert_int_equal(pvm_upkbyte((char *)dst + (off * 7) % 41, N, 1), 0);
      assert_memory_equal(dst + (off * 7) % 41, src + off, N);
      pvm_freebuf(pvm_getrbuf());
    }
  /* lpvm_copy itself, at the relative offsets it treats specially. */
  for (size_t rel = 0; rel < 40; rel++)
    for (size_t n = 2040; n < 2060; n += 3) {
      memset(dst, 0, N + 64);
      lpvm_copy(dst + rel, src, n);
      assert_memory_equal(dst + rel, src, n);
      assert_int_equal(dst[rel + n], 0);
    }
  free(src);
  free(dst);
}

static void test_mark_rollback(void **state) {
  static int a[300000];
  (void)state;
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
    a[i] = (int)i;
  for (size_t e = 0; e < 3; e++) {
    int sb = pvm_initsend(encodings[e]);
    struct lpvm_buf *b = lpvm_buf_get(sb);
    struct lpvm_buf_mark m;
    pvm_pkint(a, 5, 1);
    pvm_pkint(a, 5, 2);
    size_t len = b->len;
    int segs = nsegs(sb);
    lpvm_buf_mark(b, &m);
    pvm_pkint(a, 300000, 1);
    pvm_pkint(a, 7, 3);
    pvm_pkstr("abc");
    assert_true(b->len > len);
    lpvm_buf_rollback(b, &m);
    assert_int_equal(b->len, len);
    assert_int_equal(nsegs(sb), segs);
    pvm_pkint(a + 1, 1, 1);
    pvmt_receive_sbuf();
    int got[11];
    assert_int_equal(pvm_upkint(got, 10, 1), 0);
    assert_int_equal(got[9], 8);
    assert_int_equal(pvm_upkint(got + 10, 1, 1), 0);
    assert_int_equal(got[10], 1);
    assert_int_equal(pvm_upkint(got, 1, 1), PvmNoData);
    pvm_freebuf(pvm_getrbuf());
  }
  /* Back to empty. */
  int sb = pvm_initsend(PvmDataDefault);
  struct lpvm_buf_mark m;
  lpvm_buf_mark(lpvm_buf_get(sb), &m);
  pvm_pkint(a, 1000, 1);
  lpvm_buf_rollback(lpvm_buf_get(sb), &m);
  assert_null(lpvm_buf_get(sb)->head);
  assert_int_equal(lpvm_buf_length(lpvm_buf_get(sb)), 0);
}

/* ---- Strings ------------------------------------------------------------- */

static void test_strings(void **state) {
  char big[5000], out[5000];
  (void)state;
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = 0;
  for (size_t e = 0; e < 3; e++) {
    char tmp[16];
    strcpy(tmp, "temporary");
    pvm_initsend(encodings[e]);
    assert_int_equal(pvm_pkstr(""), 0);
    assert_int_equal(pvm_pkstr(tmp), 0);
    assert_int_equal(pvm_pkstr(big), 0);
    strcpy(tmp, "changed!"); /* strings are copied, InPlace too */
    pvmt_receive_sbuf();
    out[0] = 'x';
    assert_int_equal(pvm_upkstr(out), 0);
    assert_string_equal(out, "");
    assert_int_equal(pvm_upkstr(out), 0);
    assert_string_equal(out, "temporary");
    assert_int_equal(pvm_upkstr(out), 0);
    assert_string_equal(out, big);
    assert_int_equal(pvm_upkstr(out), PvmNoData);
    pvm_freebuf(pvm_getrbuf());
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_roundtrip_all, teardown),
      cmocka_unit_test_teardown(test_large_counts, teardown),
      cmocka_unit_test_teardown(test_edge_values, teardown),
      cmocka_unit_test_teardown(test_default_wire_form, teardown),
      cmocka_unit_test_teardown(test_split_and_merge, teardown),
      cmocka_unit_test_teardown(test_empty_items, teardown),
      cmocka_unit_test_teardown(test_past_the_end, teardown),
      cmocka_unit_test_teardown(test_wrong_type, teardown),
      cmocka_unit_test_teardown(test_converted_types, teardown),
      cmocka_unit_test_teardown(test_corrupt_headers, teardown),
      cmocka_unit_test_teardown(test_bad_params, teardown),
      cmocka_unit_test_teardown(test_message_cap, teardown),
      cmocka_unit_test_teardown(test_inplace_reads_at_send_time, teardown),
      cmocka_unit_test_teardown(test_buffer_ids, teardown),
      cmocka_unit_test_teardown(test_id_reuse_and_many, teardown),
      cmocka_unit_test_teardown(test_minfo, teardown),
      cmocka_unit_test_teardown(test_unpack_own_send_buffer, teardown),
      cmocka_unit_test_teardown(test_forward_received, teardown),
      cmocka_unit_test_teardown(test_pkmesg, teardown),
      cmocka_unit_test_teardown(test_pkmesg_errors, teardown),
      cmocka_unit_test_teardown(test_pkmesgbody, teardown),
      cmocka_unit_test_teardown(test_strings, teardown),
      cmocka_unit_test_teardown(test_bulk_copy_offsets, teardown),
      cmocka_unit_test_teardown(test_mark_rollback, teardown),
  };
  lpvm_opts.autoerr = 0; /* the failures below are expected */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
