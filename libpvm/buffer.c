/* Message buffers: the id table, the active send and receive buffers, and
 * the segment list a body is built in (see buffer.h for the model). Packing
 * and unpacking the items themselves is pack.c's business. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"

/* Ids index `slots` directly, so lookup is O(1). A free slot holds the next
 * free id; freed ids are reused oldest first, which keeps the table dense
 * while making it unlikely that a stale id names a new buffer at once. */
struct slot {
  struct lpvm_buf *b;
  int next_free;
};

static struct slot *slots; /* slots[0] unused: id 0 means "no buffer" */
static int nslots;         /* slots allocated */
static int top = 1;        /* ids >= top have never been used */
static int free_head, free_tail;
static int sbuf_id, rbuf_id;

/* Freed owned segments are kept for the next message (pvm_initsend frees a
 * buffer and makes one per message), up to POOL_MAX bytes of capacity in
 * at most POOL_SEGS segments, so that a steady stream of messages of one
 * size allocates nothing. */
#define SEG_MIN ((size_t)256)
#define POOL_MAX ((size_t)4 << 20)
#define POOL_SEGS 16
static struct lpvm_seg *pool;
static size_t pool_bytes;
static int pool_count;

/* ---- Segments ------------------------------------------------------------ */

static void seg_release(struct lpvm_seg *s) {
  if (s->owned && s->cap <= LPVM_SEG_MAX && pool_count < POOL_SEGS &&
      pool_bytes + s->cap <= POOL_MAX) {
    s->len = 0;
    s->next = pool;
    pool = s;
    pool_bytes += s->cap;
    pool_count++;
    return;
  }
  if (s->owned)
    free(s->data);
  free(s);
}

/* Whether a pooled segment of capacity c suits a request for cap bytes
 * better than one of capacity best: one that fits beats one that does not;
 * among those that fit the smallest wins, among the others the largest. */
static int suits_better(size_t c, size_t best, size_t cap) {
  if ((c >= cap) != (best >= cap))
    return c >= cap;
  return c >= cap ? c < best : c > best;
}

/* Takes the best-suited segment from the pool, or NULL when it is empty. */
static struct lpvm_seg *pool_take(size_t cap) {
  struct lpvm_seg **best = NULL;

  for (struct lpvm_seg **pp = &pool; *pp; pp = &(*pp)->next)
    if (!best || suits_better((*pp)->cap, (*best)->cap, cap))
      best = pp;
  if (!best)
    return NULL;
  struct lpvm_seg *s = *best;
  *best = s->next;
  pool_bytes -= s->cap;
  pool_count--;
  return s;
}

/* An owned, empty segment with room for at least `cap` bytes. */
static struct lpvm_seg *seg_new(size_t cap) {
  struct lpvm_seg *s = pool_take(cap);

  if (s) {
    if (s->cap < cap) {
      char *d = realloc(s->data, cap);
      if (!d) {
        free(s->data);
        free(s);
        return NULL;
      }
      s->data = d;
      s->cap = cap;
    }
  } else {
    s = malloc(sizeof *s);
    if (!s)
      return NULL;
    s->data = malloc(cap);
    if (!s->data) {
      free(s);
      return NULL;
    }
    s->cap = cap;
  }
  s->next = NULL;
  s->len = 0;
  s->owned = 1;
  return s;
}

static void seg_link(struct lpvm_buf *b, struct lpvm_seg *s) {
  if (b->tail)
    b->tail->next = s;
  else
    b->head = s;
  b->tail = s;
}

char *lpvm_buf_reserve(struct lpvm_buf *b, size_t min, size_t want,
                       size_t *avail) {
  struct lpvm_seg *t = b->tail;
  struct lpvm_seg *s;
  size_t cap;

  if (want < min)
    want = min;
  if (t && t->owned) {
    if (t->cap - t->len >= min) {
      *avail = t->cap - t->len;
      return t->data + t->len;
    }
    if (t->len + min <= LPVM_SEG_MAX) {
      /* Grow the tail geometrically, up to the segment cap. */
      cap = t->cap * 2;
      if (cap < t->len + want)
        cap = t->len + want;
      if (cap > LPVM_SEG_MAX)
        cap = LPVM_SEG_MAX;
      char *d = realloc(t->data, cap);
      if (!d)
        return NULL;
      t->data = d;
      t->cap = cap;
      *avail = cap - t->len;
      return t->data + t->len;
    }
  }
  cap = want < SEG_MIN ? SEG_MIN : want;
  if (cap > LPVM_SEG_MAX)
    cap = LPVM_SEG_MAX;
  if (cap < min)
    cap = min;
  s = seg_new(cap);
  if (!s)
    return NULL;
  seg_link(b, s);
  *avail = s->cap;
  return s->data;
}

void lpvm_buf_commit(struct lpvm_buf *b, size_t n) {
  b->tail->len += n;
  b->len += n;
}

int lpvm_buf_append_ref(struct lpvm_buf *b, const void *p, size_t n) {
  struct lpvm_seg *s = malloc(sizeof *s);

  if (!s)
    return PvmNoMem;
  s->next = NULL;
  s->data = (char *)p; /* never written through: owned == 0 */
  s->len = n;
  s->cap = n;
  s->owned = 0;
  seg_link(b, s);
  b->len += n;
  return 0;
}

void lpvm_buf_mark(const struct lpvm_buf *b, struct lpvm_buf_mark *m) {
  m->tail = b->tail;
  m->tail_len = b->tail ? b->tail->len : 0;
  m->len = b->len;
}

void lpvm_buf_rollback(struct lpvm_buf *b, const struct lpvm_buf_mark *m) {
  struct lpvm_seg *s = m->tail ? m->tail->next : b->head;

  while (s) {
    struct lpvm_seg *next = s->next;
    seg_release(s);
    s = next;
  }
  if (m->tail) {
    m->tail->next = NULL;
    m->tail->len = m->tail_len;
  } else {
    b->head = NULL;
  }
  b->tail = m->tail;
  b->len = m->len;
}

void lpvm_buf_gather(const struct lpvm_buf *b, void *out) {
  char *o = out;

  for (const struct lpvm_seg *s = b->head; s; s = s->next) {
    if (s->len)
      lpvm_copy(o, s->data, s->len);
    o += s->len;
  }
}

int lpvm_buf_readable(struct lpvm_buf *b) {
  char *f;

  /* The view is current when it covers the body and still points at live
   * memory: a body only grows, so an earlier gather stays valid for its
   * length, but a lone owned segment may have moved when it grew. */
  if (b->blen == b->len && (b->len == 0 || (b->flat && b->body == b->flat) ||
                            (b->head == b->tail && b->body == b->head->data)))
    return 0;
  /* A single segment is read where it lies; otherwise gather once. */
  if (b->head && b->head == b->tail) {
    b->body = b->head->data;
    b->blen = b->head->len;
    return 0;
  }
  f = malloc(b->len ? b->len : 1);
  if (!f)
    return PvmNoMem;
  lpvm_buf_gather(b, f);
  free(b->flat);
  b->flat = f;
  b->body = f;
  b->blen = b->len;
  return 0;
}

/* ---- The id table -------------------------------------------------------- */

static int valid_enc(int enc) {
  return enc == PvmDataDefault || enc == PvmDataRaw || enc == PvmDataInPlace;
}

/* Gives b an id. Returns the id or PvmNoMem. */
static int id_alloc(struct lpvm_buf *b) {
  int id;

  if (free_head) {
    id = free_head;
    free_head = slots[id].next_free;
    if (!free_head)
      free_tail = 0;
  } else {
    if (top >= nslots) {
      int n = nslots ? nslots * 2 : 64;
      struct slot *ns;
      if (nslots > INT32_MAX / 2)
        return PvmNoMem;
      ns = realloc(slots, (size_t)n * sizeof *ns);
      if (!ns)
        return PvmNoMem;
      memset(ns + nslots, 0, (size_t)(n - nslots) * sizeof *ns);
      slots = ns;
      nslots = n;
    }
    id = top++;
  }
  slots[id].b = b;
  slots[id].next_free = 0;
  b->id = id;
  return id;
}

static void id_release(int id) {
  slots[id].b = NULL;
  slots[id].next_free = 0;
  if (free_tail)
    slots[free_tail].next_free = id;
  else
    free_head = id;
  free_tail = id;
}

struct lpvm_buf *lpvm_buf_get(int bufid) {
  if (bufid <= 0 || bufid >= top)
    return NULL;
  return slots[bufid].b;
}

struct lpvm_buf *lpvm_buf_sbuf(void) {
  return lpvm_buf_get(sbuf_id);
}
struct lpvm_buf *lpvm_buf_rbuf(void) {
  return lpvm_buf_get(rbuf_id);
}

/* A new, empty buffer with an id. Returns the id or a negative error. */
static int buf_new(int enc, struct lpvm_buf **out) {
  struct lpvm_buf *b = calloc(1, sizeof *b);
  int id;

  if (!b)
    return PvmNoMem;
  b->enc = enc;
  id = id_alloc(b);
  if (id < 0) {
    free(b);
    return id;
  }
  *out = b;
  return id;
}

static void buf_destroy(struct lpvm_buf *b) {
  struct lpvm_seg *s = b->head;

  while (s) {
    struct lpvm_seg *next = s->next;
    seg_release(s);
    s = next;
  }
  free(b->flat);
  if (b->release)
    b->release(b->owner);
  free(b);
}

int lpvm_buf_adopt(int enc, const char *body, size_t len, void *owner,
                   void (*release)(void *owner)) {
  struct lpvm_buf *b;
  int id;

  if (!valid_enc(enc))
    return PvmBadParam;
  if (enc == PvmDataInPlace)
    enc = PvmDataRaw;
  id = buf_new(enc, &b);
  if (id < 0)
    return id;
  if (len > 0 && lpvm_buf_append_ref(b, body, len) < 0) {
    id_release(id);
    free(b);
    return PvmNoMem;
  }
  b->body = body;
  b->blen = len;
  b->owner = owner;
  b->release = release;
  return id;
}

size_t lpvm_buf_length(const struct lpvm_buf *b) { return b->len; }

void lpvm_buf_free_all(void) {
  for (int id = 1; id < top; id++)
    if (slots[id].b)
      buf_destroy(slots[id].b);
  free(slots);
  slots = NULL;
  nslots = 0;
  top = 1;
  free_head = free_tail = 0;
  sbuf_id = rbuf_id = 0;
  while (pool) {
    struct lpvm_seg *s = pool;
    pool = s->next;
    free(s->data);
    free(s);
  }
  pool_bytes = 0;
  pool_count = 0;
}

/* ---- PVM calls ----------------------------------------------------------- */

int pvm_mkbuf(int encoding) {
  struct lpvm_buf *b;
  int id;

  if (!valid_enc(encoding))
    return lpvm_err("pvm_mkbuf", PvmBadParam);
  id = buf_new(encoding, &b);
  return id < 0 ? lpvm_err("pvm_mkbuf", id) : id;
}

/* Negative ids are bad parameters; 0 and ids not in use name no buffer. */
static int lookup(const char *fn, int bufid, struct lpvm_buf **out) {
  if (bufid < 0)
    return lpvm_err(fn, PvmBadParam);
  *out = lpvm_buf_get(bufid);
  return *out ? 0 : lpvm_err(fn, PvmNoSuchBuf);
}

int pvm_freebuf(int bufid) {
  struct lpvm_buf *b;
  int rc;

  /* Freeing buffer 0 ("none") does nothing and succeeds, as in PVM 3.4.6:
   * programs free pvm_getrbuf()'s answer without testing it. */
  if (bufid == 0)
    return PvmOk;
  rc = lookup("pvm_freebuf", bufid, &b);

  if (rc < 0)
    return rc;
  if (bufid == sbuf_id)
    sbuf_id = 0;
  if (bufid == rbuf_id)
    rbuf_id = 0;
  id_release(bufid);
  buf_destroy(b);
  return PvmOk;
}

int pvm_initsend(int encoding) {
  struct lpvm_buf *b;
  int id;

  if (!valid_enc(encoding))
    return lpvm_err("pvm_initsend", PvmBadParam);
  if (sbuf_id) {
    b = lpvm_buf_get(sbuf_id);
    id_release(sbuf_id);
    buf_destroy(b);
    sbuf_id = 0;
  }
  id = buf_new(encoding, &b);
  if (id < 0)
    return lpvm_err("pvm_initsend", id);
  sbuf_id = id;
  return id;
}

int pvm_getsbuf(void) { return sbuf_id; }
int pvm_getrbuf(void) { return rbuf_id; }

/* A buffer is active in at most one role: making the receive buffer the
 * send buffer (to forward a message) leaves no active receive buffer, so
 * that the next receive does not free the message being sent on. */
int pvm_setsbuf(int bufid) {
  struct lpvm_buf *b;
  int old = sbuf_id;

  if (bufid < 0)
    return lpvm_err("pvm_setsbuf", PvmBadParam);
  if (bufid > 0) {
    if (!(b = lpvm_buf_get(bufid)))
      return lpvm_err("pvm_setsbuf", PvmNoSuchBuf);
    if (bufid == rbuf_id)
      rbuf_id = 0;
  }
  sbuf_id = bufid;
  return old;
}

int pvm_setrbuf(int bufid) {
  struct lpvm_buf *b;
  int old = rbuf_id;

  if (bufid < 0)
    return lpvm_err("pvm_setrbuf", PvmBadParam);
  if (bufid > 0) {
    if (!(b = lpvm_buf_get(bufid)))
      return lpvm_err("pvm_setrbuf", PvmNoSuchBuf);
    if (bufid == sbuf_id)
      sbuf_id = 0;
  }
  rbuf_id = bufid;
  return old;
}

int pvm_bufinfo(int bufid, int *bytes, int *msgtag, int *tid) {
  struct lpvm_buf *b;
  int rc;

  /* Buffer 0 ("none") is no buffer to describe: PvmBadParam as in PVM
   * 3.4.6, not PvmNoSuchBuf. */
  if (bufid == 0)
    return lpvm_err("pvm_bufinfo", PvmBadParam);
  rc = lookup("pvm_bufinfo", bufid, &b);

  if (rc < 0)
    return rc;
  if (bytes)
    *bytes = (int)b->len;
  if (msgtag)
    *msgtag = b->tag;
  if (tid)
    *tid = b->src;
  return PvmOk;
}

/* pvm_getminfo's `enc`: 0x10000000 for XDR, else this host's data signature
 * (byte order and the widths of the C types), which never has that bit. */
#define XDR_SIGNATURE 0x10000000
static int data_signature(void) {
  const uint16_t one = 1;
  int little = *(const uint8_t *)&one == 1;

  return little | (int)sizeof(short) << 4 | (int)sizeof(int) << 8 |
         (int)sizeof(long) << 12 | (int)sizeof(float) << 16 |
         (int)sizeof(double) << 20;
}

int pvm_getminfo(int bufid, struct pvmminfo *mi) {
  struct lpvm_buf *b;
  int rc;

  if (!mi)
    return lpvm_err("pvm_getminfo", PvmBadParam);
  if ((rc = lookup("pvm_getminfo", bufid, &b)) < 0)
    return rc;
  mi->len = (int)b->len;
  mi->ctx = b->ctx;
  mi->tag = b->tag;
  mi->wid = b->wid;
  mi->enc = b->enc == PvmDataDefault ? XDR_SIGNATURE : data_signature();
  mi->crc = b->crc;
  mi->src = b->src;
  mi->dst = b->dst;
  return PvmOk;
}

/* Only ctx, tag, wid, src and dst may be set. */
int pvm_setminfo(int bufid, struct pvmminfo *mi) {
  struct lpvm_buf *b;
  int rc;

  if (!mi)
    return lpvm_err("pvm_setminfo", PvmBadParam);
  if ((rc = lookup("pvm_setminfo", bufid, &b)) < 0)
    return rc;
  b->ctx = mi->ctx;
  b->tag = mi->tag;
  b->wid = mi->wid;
  b->src = mi->src;
  b->dst = mi->dst;
  return PvmOk;
}

/* Wait ids of PVM 3.3, kept in the buffer's header like pvm_setminfo's
 * (declared in pvm3.h under PVM33COMPAT only, exported always). */
LPVM_PUBLIC int pvm_getmwid(int bufid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return lpvm_err("pvm_getmwid", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  return b->wid;
}

LPVM_PUBLIC int pvm_setmwid(int bufid, int waitid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return lpvm_err("pvm_setmwid", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  b->wid = waitid;
  return 0;
}
