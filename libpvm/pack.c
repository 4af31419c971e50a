/* Packing and unpacking: the pvm_pk* / pvm_upk* calls in the three
 * encodings (PvmDataDefault's tagged XDR items, PvmDataRaw's native bytes,
 * PvmDataInPlace's references to the caller's memory) and the packing of
 * whole messages (pvm_pkmesg, pvm_pkmesgbody, pvm_upkmesg). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "frame.h"
#include "lpvm.h"
#include "pack_conv.h"
#include "pvm3.h"
#include "xdr.h"

/* The fixed part of a packed message after its item header (Default) or
 * its native u32 length (Raw): encoding, ctx, tag, wid, crc, src, dst. */
#define MSG_FIELDS 7
#define MSG_FIXED (MSG_FIELDS * 4u)

/* ---- Packing ------------------------------------------------------------- */

/* Whether `more` bytes still fit in a message body (PVMW_MAX_MESSAGE).
 * A pack that would pass the cap fails with PvmNoMem, as PVM reports a
 * message too big to hold. */
static int fits(const struct lpvm_buf *b, uint64_t more) {
  if (b->len <= PVMW_MAX_MESSAGE && more <= PVMW_MAX_MESSAGE - b->len)
    return 1;
  /* The reason, for the report of the pvm_* call. */
  lpvm_msg_too_big((uint64_t)b->len + more, PVMW_MAX_MESSAGE);
  return 0;
}

/* Appends n bytes copied from p, across segments as needed. */
static int put_bytes(struct lpvm_buf *b, const void *p, size_t n) {
  const uint8_t *s = p;

  while (n > 0) {
    size_t avail;
    char *d = lpvm_buf_reserve(b, 1, n, &avail);
    if (!d)
      return PvmNoMem;
    if (avail > n)
      avail = n;
    lpvm_copy(d, s, avail);
    lpvm_buf_commit(b, avail);
    s += avail;
    n -= avail;
  }
  return 0;
}

/* Appends a Default item header; `want` is the whole item's size, so that
 * a new segment is made big enough for the data that follows. */
static int put_item(struct lpvm_buf *b, uint32_t code, uint32_t count,
                    size_t want) {
  size_t avail;
  char *d = lpvm_buf_reserve(b, PVMW_XDR_ITEM_HDR, want, &avail);

  if (!d)
    return PvmNoMem;
  pvmw_xdr_item((uint8_t *)d, code, count);
  lpvm_buf_commit(b, PVMW_XDR_ITEM_HDR);
  return 0;
}

static int pack_xdr(struct lpvm_buf *b, const struct lpvm_elem *t,
                    const uint8_t *s, size_t n, size_t sstep) {
  size_t es = lpvm_esize_of(t);
  struct lpvm_buf_mark m;
  int rc;

  if (!fits(b, PVMW_XDR_ITEM_HDR + (uint64_t)n * es))
    return PvmNoMem;
  lpvm_buf_mark(b, &m);
  if ((rc = put_item(b, t->code, (uint32_t)n, PVMW_XDR_ITEM_HDR + n * es)) < 0)
    goto fail;
  while (n > 0) {
    size_t avail, k;
    char *d = lpvm_buf_reserve(b, es, n * es, &avail);
    if (!d) {
      rc = PvmNoMem;
      goto fail;
    }
    k = avail / es;
    if (k > n)
      k = n;
    lpvm_xdr_encode(t, (uint8_t *)d, s, sstep, k);
    lpvm_buf_commit(b, k * es);
    s += k * sstep;
    n -= k;
  }
  return 0;
fail:
  lpvm_buf_rollback(b, &m);
  return rc;
}

static int pack_raw(struct lpvm_buf *b, const struct lpvm_elem *t,
                    const uint8_t *s, size_t n, size_t sstep) {
  size_t ns = t->nsize;
  struct lpvm_buf_mark m;

  if (!fits(b, (uint64_t)n * ns))
    return PvmNoMem;
  lpvm_buf_mark(b, &m);
  if (sstep == ns) {
    if (put_bytes(b, s, n * ns) < 0)
      goto fail;
    return 0;
  }
  while (n > 0) {
    size_t avail, k;
    char *d = lpvm_buf_reserve(b, ns, n * ns, &avail);
    if (!d)
      goto fail;
    k = avail / ns;
    if (k > n)
      k = n;
    lpvm_copy_strided((uint8_t *)d, ns, s, sstep, k, ns);
    lpvm_buf_commit(b, k * ns);
    s += k * sstep;
    n -= k;
  }
  return 0;
fail:
  lpvm_buf_rollback(b, &m);
  return PvmNoMem;
}

/* copy: copy the data even under InPlace (values living on a stack). */
static int pack_any(enum lpvm_ptype ty, const void *src, int nitem, int stride,
                    int copy) {
  struct lpvm_buf *b = lpvm_buf_sbuf();
  const struct lpvm_elem *t = &lpvm_elems[ty];
  size_t n, sstep;

  if (!b)
    return PvmNoBuf;
  if (nitem < 0 || stride <= 0 || (!src && nitem > 0))
    return PvmBadParam;
  n = (size_t)nitem;
  sstep = (size_t)stride * t->nsize;
  switch (b->enc) {
  case PvmDataDefault:
    return pack_xdr(b, t, src, n, sstep);
  case PvmDataInPlace:
    /* Dense data stays where it is until the message leaves; strided data
     * has no single region to point at and is copied. */
    if (stride == 1 && n > 0 && !copy) {
      if (!fits(b, (uint64_t)n * t->nsize))
        return PvmNoMem;
      return lpvm_buf_append_ref(b, src, n * t->nsize);
    }
    return pack_raw(b, t, src, n, sstep);
  default:
    return pack_raw(b, t, src, n, sstep);
  }
}

int lpvm_pack(enum lpvm_ptype ty, const void *src, int nitem, int stride) {
  return pack_any(ty, src, nitem, stride, 0);
}

int lpvm_pack_copy(enum lpvm_ptype ty, const void *src, int nitem, int stride) {
  return pack_any(ty, src, nitem, stride, 1);
}

/* A string is copied in every encoding, InPlace included: its length is
 * only known now, and callers routinely pack strings from temporaries. */
int lpvm_pack_str(const char *str) {
  struct lpvm_buf *b = lpvm_buf_sbuf();
  struct lpvm_buf_mark m;
  size_t n;
  int rc;

  if (!b)
    return PvmNoBuf;
  if (!str)
    return PvmBadParam;
  n = strlen(str) + 1;
  if (!fits(b, (uint64_t)n + PVMW_XDR_ITEM_HDR))
    return PvmNoMem;
  lpvm_buf_mark(b, &m);
  if (b->enc == PvmDataDefault &&
      (rc = put_item(b, PVMW_XT_STR, (uint32_t)n, PVMW_XDR_ITEM_HDR + n)) < 0)
    goto fail;
  if ((rc = put_bytes(b, str, n)) < 0)
    goto fail;
  return 0;
fail:
  lpvm_buf_rollback(b, &m);
  return rc;
}

/* ---- Unpacking ----------------------------------------------------------- */

/* Where unpacking stands in a Default body: at byte pos, inside an item of
 * type `type` with `left` elements not yet unpacked. Unpacking works on a
 * copy and stores it back only on success, so a failed call leaves the
 * buffer as it was. */
struct cursor {
  size_t pos;
  uint32_t type, left;
};

static void cursor_load(const struct lpvm_buf *b, struct cursor *c) {
  c->pos = b->rpos;
  c->type = b->item_type;
  c->left = b->item_left;
}

static void cursor_store(struct lpvm_buf *b, const struct cursor *c) {
  b->rpos = c->pos;
  b->item_type = c->type;
  b->item_left = c->left;
}

/* Moves onto the next item, which must lie wholly inside the body: a header
 * whose count reaches past the end is malformed. Empty numeric items are
 * passed over. On return c->left is the item's count (bytes for strings and
 * messages). */
static int next_item(const struct lpvm_buf *b, struct cursor *c) {
  for (;;) {
    size_t rem = b->blen - c->pos;
    const uint8_t *h = (const uint8_t *)b->body + c->pos;
    uint32_t type, count;
    uint64_t bytes;

    if (rem == 0)
      return PvmNoData;
    if (rem < PVMW_XDR_ITEM_HDR)
      return PvmBadMsg;
    type = pvmw_get_be32(h);
    count = pvmw_get_be32(h + 4);
    if (type < PVMW_XT_BYTE || type > PVMW_XT_MSG)
      return PvmBadMsg;
    bytes = (uint64_t)count * lpvm_xt_size[type];
    if (type == PVMW_XT_MSG)
      bytes += MSG_FIXED;
    if (bytes > rem - PVMW_XDR_ITEM_HDR)
      return PvmBadMsg;
    c->pos += PVMW_XDR_ITEM_HDR;
    if (count == 0 && type != PVMW_XT_STR && type != PVMW_XT_MSG)
      continue;
    c->type = type;
    c->left = count * lpvm_xt_words(type); /* fits: bytes <= rem */
    return 0;
  }
}

/* Takes n elements of type t at the cursor, possibly from several items
 * and converted as described above, writing them dstep bytes apart at d;
 * with d NULL only checks that they are there (and, converted, fit). */
static int xdr_take(const struct lpvm_buf *b, struct cursor *c,
                    const struct lpvm_elem *t, uint8_t *d, size_t dstep,
                    size_t n) {
  size_t need = n * t->words, w = 0; /* words wanted, words taken */
  int rc;

  while (need > 0) {
    const uint8_t *s;
    enum lpvm_conv cv;
    size_t k, ws;
    if (c->left == 0 && (rc = next_item(b, c)) < 0)
      return rc;
    if ((cv = lpvm_conversion(c->type, t->code)) == CONV_NONE)
      return PvmBadMsg;
    k = c->left < need ? c->left : need;
    ws = lpvm_xt_size[c->type] / lpvm_xt_words(c->type);
    s = (const uint8_t *)b->body + c->pos;
    if (cv == CONV_INT) {
      rc = lpvm_int_convert(t, d ? d + w * dstep : NULL, dstep, s, ws, k);
      if (rc < 0)
        return rc;
    } else if (d != NULL && w % t->words == 0 && k % t->words == 0) {
      rc = lpvm_xdr_decode(t, d + w / t->words * dstep, dstep, s, k / t->words);
      if (rc < 0)
        return rc;
    } else if (d != NULL) {
      /* An element split between two items: word by word. */
      for (size_t i = 0; i < k; i++) {
        size_t j = w + i;
        lpvm_swap_n(d + j / t->words * dstep + j % t->words * ws, s + i * ws, 1,
                    ws);
      }
    }
    c->pos += k * ws;
    c->left -= (uint32_t)k;
    need -= k;
    w += k;
  }
  return 0;
}

/* The active receive buffer, ready to read. */
static int rbuf_ready(struct lpvm_buf **out) {
  struct lpvm_buf *b = lpvm_buf_rbuf();

  if (!b)
    return PvmNoBuf;
  *out = b;
  return lpvm_buf_readable(b);
}

int lpvm_unpack(enum lpvm_ptype ty, void *dst, int nitem, int stride) {
  const struct lpvm_elem *t = &lpvm_elems[ty];
  struct lpvm_buf *b;
  struct cursor c;
  size_t n, dstep;
  int rc;

  if ((rc = rbuf_ready(&b)) < 0)
    return rc;
  if (nitem < 0 || stride <= 0 || (!dst && nitem > 0))
    return PvmBadParam;
  n = (size_t)nitem;
  dstep = (size_t)stride * t->nsize;
  if (b->enc != PvmDataDefault) {
    size_t need = n * t->nsize;
    if (n > SIZE_MAX / t->nsize || need > b->blen - b->rpos)
      return PvmNoData;
    if (n == 0)
      return 0;
    if (stride == 1)
      lpvm_copy(dst, b->body + b->rpos, need);
    else
      lpvm_copy_strided(dst, dstep, (const uint8_t *)b->body + b->rpos,
                        t->nsize, n, t->nsize);
    b->rpos += need;
    return 0;
  }
  /* Check first, then copy: the destination is written only on success. */
  cursor_load(b, &c);
  if ((rc = xdr_take(b, &c, t, NULL, 0, n)) < 0)
    return rc;
  cursor_load(b, &c);
  if ((rc = xdr_take(b, &c, t, dst, dstep, n)) < 0)
    return rc;
  cursor_store(b, &c);
  return 0;
}

int lpvm_unpack_str(char *str) {
  struct lpvm_buf *b;
  const char *s, *nul;
  struct cursor c;
  int rc;

  if ((rc = rbuf_ready(&b)) < 0)
    return rc;
  if (!str)
    return PvmBadParam;
  if (b->enc != PvmDataDefault) {
    if (b->rpos == b->blen)
      return PvmNoData;
    s = b->body + b->rpos;
    nul = memchr(s, 0, b->blen - b->rpos);
    if (!nul)
      return PvmNoData;
    memcpy(str, s, (size_t)(nul - s) + 1);
    b->rpos += (size_t)(nul - s) + 1;
    return 0;
  }
  cursor_load(b, &c);
  if (c.left != 0) /* inside an item of another type */
    return PvmBadMsg;
  if ((rc = next_item(b, &c)) < 0)
    return rc;
  if (c.type != PVMW_XT_STR || c.left == 0)
    return PvmBadMsg;
  s = b->body + c.pos;
  nul = memchr(s, 0, c.left);
  if (!nul)
    return PvmBadMsg;
  memcpy(str, s, (size_t)(nul - s) + 1);
  c.pos += c.left;
  c.left = 0;
  cursor_store(b, &c);
  return 0;
}

/* ---- Messages inside messages -------------------------------------------- */

/* The encoding recorded for a packed message: an InPlace body is Raw. */
static int body_enc(const struct lpvm_buf *b) {
  return b->enc == PvmDataInPlace ? PvmDataRaw : b->enc;
}

/* Finds the buffer bufid to pack into the active send buffer. */
static int pkmesg_args(int bufid, struct lpvm_buf **sb, struct lpvm_buf **in) {
  if (bufid < 0)
    return PvmBadParam;
  if (!(*in = lpvm_buf_get(bufid)))
    return PvmNoSuchBuf;
  if (!(*sb = lpvm_buf_sbuf()))
    return PvmNoBuf;
  if (*sb == *in)
    return PvmBadParam;
  return 0;
}

static int put_segments(struct lpvm_buf *b, const struct lpvm_buf *in) {
  for (const struct lpvm_seg *s = in->head; s; s = s->next)
    if (put_bytes(b, s->data, s->len) < 0)
      return PvmNoMem;
  return 0;
}

int pvm_pkmesg(int bufid) {
  struct lpvm_buf *sb, *in;
  struct lpvm_buf_mark m;
  int32_t f[MSG_FIELDS];
  uint8_t hdr[PVMW_XDR_ITEM_HDR + MSG_FIXED];
  size_t hlen;
  int rc;

  if ((rc = pkmesg_args(bufid, &sb, &in)) < 0)
    return lpvm_err("pvm_pkmesg", rc);
  if (in->len > UINT32_MAX || !fits(sb, sizeof hdr + (uint64_t)in->len))
    return lpvm_err("pvm_pkmesg", PvmNoMem);
  f[0] = body_enc(in);
  f[1] = in->ctx;
  f[2] = in->tag;
  f[3] = in->wid;
  f[4] = in->crc;
  f[5] = in->src;
  f[6] = in->dst;
  if (sb->enc == PvmDataDefault) {
    pvmw_xdr_item(hdr, PVMW_XT_MSG, (uint32_t)in->len);
    for (int i = 0; i < MSG_FIELDS; i++)
      pvmw_put_be32(hdr + PVMW_XDR_ITEM_HDR + 4 * i, (uint32_t)f[i]);
    hlen = PVMW_XDR_ITEM_HDR + MSG_FIXED;
  } else {
    uint32_t len = (uint32_t)in->len;
    memcpy(hdr, &len, 4);
    memcpy(hdr + 4, f, MSG_FIXED);
    hlen = 4 + MSG_FIXED;
  }
  lpvm_buf_mark(sb, &m);
  if (put_bytes(sb, hdr, hlen) < 0 || put_segments(sb, in) < 0) {
    lpvm_buf_rollback(sb, &m);
    return lpvm_err("pvm_pkmesg", PvmNoMem);
  }
  return PvmOk;
}

int pvm_pkmesgbody(int bufid) {
  struct lpvm_buf *sb, *in;
  struct lpvm_buf_mark m;
  int rc;

  if ((rc = pkmesg_args(bufid, &sb, &in)) < 0)
    return lpvm_err("pvm_pkmesgbody", rc);
  /* Raw and InPlace bodies have the same form; Default's differs. */
  if ((sb->enc == PvmDataDefault) != (in->enc == PvmDataDefault))
    return lpvm_err("pvm_pkmesgbody", PvmMismatch);
  if (!fits(sb, in->len))
    return lpvm_err("pvm_pkmesgbody", PvmNoMem);
  lpvm_buf_mark(sb, &m);
  if (put_segments(sb, in) < 0) {
    lpvm_buf_rollback(sb, &m);
    return lpvm_err("pvm_pkmesgbody", PvmNoMem);
  }
  return PvmOk;
}

int pvm_upkmesg(void) {
  struct lpvm_buf *b, *nb;
  struct cursor c;
  int32_t f[MSG_FIELDS];
  const char *body;
  size_t len;
  char *copy;
  int rc, id;

  if ((rc = rbuf_ready(&b)) < 0)
    return lpvm_err("pvm_upkmesg", rc);
  cursor_load(b, &c);
  if (b->enc == PvmDataDefault) {
    if (c.left != 0)
      return lpvm_err("pvm_upkmesg", PvmBadMsg);
    if ((rc = next_item(b, &c)) < 0)
      return lpvm_err("pvm_upkmesg", rc);
    if (c.type != PVMW_XT_MSG)
      return lpvm_err("pvm_upkmesg", PvmBadMsg);
    len = c.left;
    for (int i = 0; i < MSG_FIELDS; i++)
      f[i] = (int32_t)pvmw_get_be32((const uint8_t *)b->body + c.pos + 4 * i);
    c.pos += MSG_FIXED;
    c.left = 0;
  } else {
    uint32_t l;
    if (b->blen - c.pos < 4 + MSG_FIXED)
      return lpvm_err("pvm_upkmesg", PvmNoData);
    memcpy(&l, b->body + c.pos, 4);
    memcpy(f, b->body + c.pos + 4, MSG_FIXED);
    c.pos += 4 + MSG_FIXED;
    if (l > b->blen - c.pos)
      return lpvm_err("pvm_upkmesg", PvmNoData);
    len = l;
  }
  if (f[0] != PvmDataDefault && f[0] != PvmDataRaw)
    return lpvm_err("pvm_upkmesg", PvmBadMsg);
  body = b->body + c.pos;
  c.pos += len;
  copy = malloc(len ? len : 1);
  if (!copy)
    return lpvm_err("pvm_upkmesg", PvmNoMem);
  if (len)
    memcpy(copy, body, len);
  id = lpvm_buf_adopt(f[0], copy, len, copy, free);
  if (id < 0) {
    free(copy);
    return lpvm_err("pvm_upkmesg", id);
  }
  nb = lpvm_buf_get(id);
  nb->ctx = f[1];
  nb->tag = f[2];
  nb->wid = f[3];
  nb->crc = f[4];
  nb->src = f[5];
  nb->dst = f[6];
  cursor_store(b, &c);
  return id;
}

/* ---- The PVM calls ------------------------------------------------------- */

static int report(const char *fn, int rc) {
  return rc < 0 ? lpvm_err(fn, rc) : rc;
}

int pvm_pkbyte(char *xp, int nitem, int stride) {
  return report("pvm_pkbyte", lpvm_pack(LPVM_T_BYTE, xp, nitem, stride));
}
int pvm_pkcplx(float *cp, int nitem, int stride) {
  return report("pvm_pkcplx", lpvm_pack(LPVM_T_CPLX, cp, nitem, stride));
}
int pvm_pkdcplx(double *zp, int nitem, int stride) {
  return report("pvm_pkdcplx", lpvm_pack(LPVM_T_DCPLX, zp, nitem, stride));
}
int pvm_pkdouble(double *dp, int nitem, int stride) {
  return report("pvm_pkdouble", lpvm_pack(LPVM_T_DOUBLE, dp, nitem, stride));
}
int pvm_pkfloat(float *fp, int nitem, int stride) {
  return report("pvm_pkfloat", lpvm_pack(LPVM_T_FLOAT, fp, nitem, stride));
}
int pvm_pkint(int *ip, int nitem, int stride) {
  return report("pvm_pkint", lpvm_pack(LPVM_T_INT, ip, nitem, stride));
}
int pvm_pkuint(unsigned int *ip, int nitem, int stride) {
  return report("pvm_pkuint", lpvm_pack(LPVM_T_UINT, ip, nitem, stride));
}
int pvm_pklong(long *ip, int nitem, int stride) {
  return report("pvm_pklong", lpvm_pack(LPVM_T_LONG, ip, nitem, stride));
}
int pvm_pkulong(unsigned long *ip, int nitem, int stride) {
  return report("pvm_pkulong", lpvm_pack(LPVM_T_ULONG, ip, nitem, stride));
}
int pvm_pkshort(short *ip, int nitem, int stride) {
  return report("pvm_pkshort", lpvm_pack(LPVM_T_SHORT, ip, nitem, stride));
}
int pvm_pkushort(unsigned short *ip, int nitem, int stride) {
  return report("pvm_pkushort", lpvm_pack(LPVM_T_USHORT, ip, nitem, stride));
}
int pvm_pkstr(char *sp) { return report("pvm_pkstr", lpvm_pack_str(sp)); }

int pvm_upkbyte(char *xp, int nitem, int stride) {
  return report("pvm_upkbyte", lpvm_unpack(LPVM_T_BYTE, xp, nitem, stride));
}
int pvm_upkcplx(float *cp, int nitem, int stride) {
  return report("pvm_upkcplx", lpvm_unpack(LPVM_T_CPLX, cp, nitem, stride));
}
int pvm_upkdcplx(double *zp, int nitem, int stride) {
  return report("pvm_upkdcplx", lpvm_unpack(LPVM_T_DCPLX, zp, nitem, stride));
}
int pvm_upkdouble(double *dp, int nitem, int stride) {
  return report("pvm_upkdouble", lpvm_unpack(LPVM_T_DOUBLE, dp, nitem, stride));
}
int pvm_upkfloat(float *fp, int nitem, int stride) {
  return report("pvm_upkfloat", lpvm_unpack(LPVM_T_FLOAT, fp, nitem, stride));
}
int pvm_upkint(int *ip, int nitem, int stride) {
  return report("pvm_upkint", lpvm_unpack(LPVM_T_INT, ip, nitem, stride));
}
int pvm_upkuint(unsigned int *ip, int nitem, int stride) {
  return report("pvm_upkuint", lpvm_unpack(LPVM_T_UINT, ip, nitem, stride));
}
int pvm_upklong(long *ip, int nitem, int stride) {
  return report("pvm_upklong", lpvm_unpack(LPVM_T_LONG, ip, nitem, stride));
}
int pvm_upkulong(unsigned long *ip, int nitem, int stride) {
  return report("pvm_upkulong", lpvm_unpack(LPVM_T_ULONG, ip, nitem, stride));
}
int pvm_upkshort(short *ip, int nitem, int stride) {
  return report("pvm_upkshort", lpvm_unpack(LPVM_T_SHORT, ip, nitem, stride));
}
int pvm_upkushort(unsigned short *ip, int nitem, int stride) {
  return report("pvm_upkushort", lpvm_unpack(LPVM_T_USHORT, ip, nitem, stride));
}
int pvm_upkstr(char *sp) { return report("pvm_upkstr", lpvm_unpack_str(sp)); }
