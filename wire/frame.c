/* Frame header checks, the incremental frame reader and the protobuf glue.
 * Every length read from a peer is compared with a limit before anything is
 * allocated for it, so a hostile peer cannot make us allocate more than the
 * configured cap, however it chunks its bytes. */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdr.h"

/* PVM error codes used here (values fixed by pvm3.h). */
#define W_PvmBadMsg (-12)
#define W_PvmBadVersion (-26)

#define STAGE_CAP (64u * 1024u)

void pvmw_hdr_put(uint8_t out[PVMW_HDR_LEN], int type, uint32_t len) {
  pvmw_put_be32(out, PVMW_MAGIC);
  out[4] = (uint8_t)PVMW_VERSION;
  out[5] = (uint8_t)type;
  out[6] = 0;
  out[7] = 0;
  pvmw_put_be32(out + 8, len);
}

int pvmw_hdr_check(const uint8_t in[PVMW_HDR_LEN], uint32_t max_payload,
                   uint8_t *type, uint32_t *len, char *err, size_t errlen) {
  uint32_t magic = pvmw_get_be32(in);
  uint32_t n = pvmw_get_be32(in + 8);
  uint32_t cap;

  if (magic != PVMW_MAGIC) {
    snprintf(err, errlen, "bad frame magic 0x%08x", (unsigned)magic);
    return W_PvmBadMsg;
  }
  if (in[4] != PVMW_VERSION) {
    snprintf(err, errlen, "protocol version %u, expected %u", (unsigned)in[4],
             (unsigned)PVMW_VERSION);
    return W_PvmBadVersion;
  }
  if (in[6] != 0 || in[7] != 0) {
    snprintf(err, errlen, "reserved header bits set");
    return W_PvmBadMsg;
  }
  switch (in[5]) {
  case PVMW_FT_CONTROL:
    cap = max_payload < PVMW_MAX_CONTROL ? max_payload : PVMW_MAX_CONTROL;
    break;
  case PVMW_FT_MESSAGE:
    cap = max_payload;
    break;
  case PVMW_FT_ACK:
    if (n != PVMW_ACK_LEN) {
      snprintf(err, errlen, "acknowledgement of %u bytes", (unsigned)n);
      return W_PvmBadMsg;
    }
    cap = PVMW_ACK_LEN;
    break;
  default:
    snprintf(err, errlen, "unknown frame type %u", (unsigned)in[5]);
    return W_PvmBadMsg;
  }
  if (n > cap) {
    snprintf(err, errlen, "frame length %u over the limit of %u", (unsigned)n,
             (unsigned)cap);
    return W_PvmBadMsg;
  }
  if (n == 0) {
    snprintf(err, errlen, "empty frame");
    return W_PvmBadMsg;
  }
  *type = in[5];
  *len = n;
  return 0;
}

pvmw_frame *pvmw_frame_alloc(int type, uint32_t len) {
  pvmw_frame *f = malloc(sizeof(*f) + PVMW_HDR_LEN + (size_t)len);
  if (f == NULL)
    return NULL;
  f->type = (uint8_t)type;
  f->len = len;
  f->raw = (uint8_t *)(f + 1);
  f->payload = f->raw + PVMW_HDR_LEN;
  f->raw_len = PVMW_HDR_LEN + (size_t)len;
  pvmw_hdr_put(f->raw, type, len);
  return f;
}

void pvmw_frame_free(pvmw_frame *f) { free(f); }

int pvmw_reader_init(pvmw_reader *r, uint32_t max_payload) {
  memset(r, 0, sizeof(*r));
  r->max_payload = max_payload;
  r->stage = malloc(STAGE_CAP);
  if (r->stage == NULL)
    return -1;
  r->stage_cap = STAGE_CAP;
  return 0;
}

void pvmw_reader_free(pvmw_reader *r) {
  free(r->stage);
  pvmw_frame_free(r->cur);
  r->stage = NULL;
  r->cur = NULL;
}

void pvmw_reader_space(pvmw_reader *r, char **base, size_t *len) {
  /* While a large frame's payload is being filled and nothing else is
   * staged, read straight into the frame. */
  if (r->cur != NULL && r->stage_len == 0) {
    r->direct = 1;
    *base = (char *)r->cur->payload + r->cur_have;
    *len = r->cur->len - r->cur_have;
    return;
  }
  r->direct = 0;
  *base = (char *)r->stage + r->stage_len;
  *len = r->stage_cap - r->stage_len;
}

/* Parses whole frames out of the staging buffer. A frame too large to fit
 * in the staging buffer becomes `cur` and is completed by direct reads. */
static int drain_stage(pvmw_reader *r, pvmw_frame_cb cb, void *ctx) {
  size_t off = 0;
  int rc = 0;

  while (rc == 0 && r->stage_len - off >= PVMW_HDR_LEN) {
    uint8_t type;
    uint32_t len;
    size_t avail;
    pvmw_frame *f;
    int e = pvmw_hdr_check(r->stage + off, r->max_payload, &type, &len, r->err,
                           sizeof(r->err));
    if (e < 0)
      return e;
    avail = r->stage_len - off - PVMW_HDR_LEN;
    if (avail < len && len <= r->stage_cap - PVMW_HDR_LEN)
      break; /* small frame, wait for the rest in the stage */
    f = pvmw_frame_alloc(type, len);
    if (f == NULL) {
      /* The frame stays staged: a later commit (of 0 bytes) tries again. */
      snprintf(r->err, sizeof(r->err), "out of memory for a %u-byte frame",
               (unsigned)len);
      rc = -10; /* PvmNoMem */
      break;
    }
    if (avail >= len) {
      memcpy(f->payload, r->stage + off + PVMW_HDR_LEN, len);
      off += PVMW_HDR_LEN + len;
      rc = cb(ctx, f) ? 1 : 0;
    } else {
      memcpy(f->payload, r->stage + off + PVMW_HDR_LEN, avail);
      off += PVMW_HDR_LEN + avail;
      r->cur = f;
      r->cur_have = avail;
      break;
    }
  }
  if (off > 0) {
    memmove(r->stage, r->stage + off, r->stage_len - off);
    r->stage_len -= off;
  }
  return rc;
}

/* Hands the completed direct frame to the callback. */
static int finish_cur(pvmw_reader *r, pvmw_frame_cb cb, void *ctx) {
  pvmw_frame *f = r->cur;
  r->cur = NULL;
  r->cur_have = 0;
  return cb(ctx, f) ? 1 : 0;
}

int pvmw_reader_commit(pvmw_reader *r, size_t n, pvmw_frame_cb cb, void *ctx) {
  if (r->direct) {
    r->direct = 0;
    r->cur_have += n;
    return r->cur_have < r->cur->len ? 0 : finish_cur(r, cb, ctx);
  }
  r->stage_len += n;
  if (r->cur != NULL) {
    /* Bytes staged while a direct frame was pending: complete it first. */
    size_t need = r->cur->len - r->cur_have;
    size_t take = r->stage_len < need ? r->stage_len : need;
    memcpy(r->cur->payload + r->cur_have, r->stage, take);
    r->cur_have += take;
    memmove(r->stage, r->stage + take, r->stage_len - take);
    r->stage_len -= take;
    if (r->cur_have < r->cur->len)
      return 0;
    if (finish_cur(r, cb, ctx))
      return 1;
  }
  return drain_stage(r, cb, ctx);
}

int pvmw_reader_feed(pvmw_reader *r, const void *data, size_t n,
                     pvmw_frame_cb cb, void *ctx) {
  const char *p = data;
  while (n > 0) {
    char *base;
    size_t space;
    int rc;
    pvmw_reader_space(r, &base, &space);
    if (space == 0) /* cannot happen: the stage is drained on every commit */
      return -12;
    if (space > n)
      space = n;
    memcpy(base, p, space);
    p += space;
    n -= space;
    rc = pvmw_reader_commit(r, space, cb, ctx);
    if (rc != 0)
      return rc;
  }
  return 0;
}

pvmw_frame *pvmw_control_frame(const Pvmng__Control *c) {
  size_t n = pvmng__control__get_packed_size(c);
  pvmw_frame *f;
  if (n == 0 || n > PVMW_MAX_CONTROL)
    return NULL;
  f = pvmw_frame_alloc(PVMW_FT_CONTROL, (uint32_t)n);
  if (f == NULL)
    return NULL;
  pvmng__control__pack(c, f->payload);
  return f;
}

/* protobuf-c accepts a key for field number 0 when it is written in more
 * than one byte, and keeps it as an unknown field that it then cannot
 * encode again. Such a message is malformed: refuse it, at any depth. */
static int has_field_zero(const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const char *base = (const char *)m;

  for (unsigned i = 0; i < m->n_unknown_fields; i++)
    if (m->unknown_fields[i].tag == 0)
      return 1;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &d->fields[i];
    if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(const void *)(base + fd->quantifier_offset);
      ProtobufCMessage *const *v =
          *(ProtobufCMessage *const *const *)(const void *)(base + fd->offset);
      for (size_t k = 0; k < n; k++)
        if (v[k] != NULL && has_field_zero(v[k]))
          return 1;
      continue;
    }
    if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        *(const uint32_t *)(const void *)(base + fd->quantifier_offset) !=
            fd->id)
      continue;
    const ProtobufCMessage *sub =
        *(ProtobufCMessage *const *)(const void *)(base + fd->offset);
    if (sub != NULL && has_field_zero(sub))
      return 1;
  }
  return 0;
}

Pvmng__Control *pvmw_control_parse(const pvmw_frame *f) {
  Pvmng__Control *c;
  if (f->type != PVMW_FT_CONTROL)
    return NULL;
  c = pvmng__control__unpack(NULL, f->len, f->payload);
  if (c != NULL && has_field_zero(&c->base)) {
    pvmng__control__free_unpacked(c, NULL);
    return NULL;
  }
  return c;
}

size_t pvmw_msghdr_encode(const Pvmng__MsgHeader *h, uint8_t *out) {
  size_t n = pvmng__msg_header__get_packed_size(h);
  if (n > PVMW_MAX_MSGHDR)
    return 0;
  out[0] = (uint8_t)(n >> 8);
  out[1] = (uint8_t)n;
  pvmng__msg_header__pack(h, out + 2);
  return n + 2;
}

pvmw_frame *pvmw_message_frame(Pvmng__MsgHeader *h, size_t body_len,
                               uint8_t **body) {
  uint8_t hdr[2 + PVMW_MAX_MSGHDR];
  size_t hl;
  pvmw_frame *f;
  h->flags = PVMW_MF_FIRST | PVMW_MF_LAST;
  h->total_len = body_len;
  hl = pvmw_msghdr_encode(h, hdr);
  if (hl == 0 || body_len > UINT32_MAX - hl ||
      (f = pvmw_frame_alloc(PVMW_FT_MESSAGE, (uint32_t)(hl + body_len))) ==
          NULL)
    return NULL;
  memcpy(f->payload, hdr, hl);
  *body = f->payload + hl;
  return f;
}

pvmw_frame *pvmw_abort_frame(int src, int dst) {
  Pvmng__MsgHeader h = PVMNG__MSG_HEADER__INIT;
  uint8_t hdr[2 + PVMW_MAX_MSGHDR];
  size_t hl;
  pvmw_frame *f;
  h.src = (uint32_t)src;
  h.dst = (uint32_t)dst;
  h.flags = PVMW_MF_LAST | PVMW_MF_ABORT;
  hl = pvmw_msghdr_encode(&h, hdr);
  if (hl == 0 || (f = pvmw_frame_alloc(PVMW_FT_MESSAGE, (uint32_t)hl)) == NULL)
    return NULL;
  memcpy(f->payload, hdr, hl);
  return f;
}

/* MsgHeader is small and sits on the message path, so it is decoded here by
 * hand (protobuf varint wire format) into caller storage, without the
 * allocations of the generic unpacker. Unknown fields are skipped as the
 * protobuf rules require. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  int shift = 0;
  while (*p < end && shift < 64) {
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = x;
      return 0;
    }
    shift += 7;
  }
  return -1;
}

static int32_t zigzag32(uint64_t v) {
  uint32_t u = (uint32_t)v;
  return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int pvmw_msghdr_decode(const uint8_t *payload, uint32_t len,
                       Pvmng__MsgHeader *h, const uint8_t **body,
                       uint32_t *body_len) {
  static const Pvmng__MsgHeader init = PVMNG__MSG_HEADER__INIT;
  const uint8_t *p, *end;
  uint32_t hlen;

  if (len < 2)
    return W_PvmBadMsg;
  hlen = ((uint32_t)payload[0] << 8) | payload[1];
  if (hlen > PVMW_MAX_MSGHDR || hlen > len - 2)
    return W_PvmBadMsg;
  *h = init;
  p = payload + 2;
  end = p + hlen;
  while (p < end) {
    uint64_t key, v;
    if (get_varint(&p, end, &key) < 0)
      return W_PvmBadMsg;
    uint32_t field = (uint32_t)(key >> 3), wt = (uint32_t)(key & 7);
    if (wt == 0) {
      if (get_varint(&p, end, &v) < 0)
        return W_PvmBadMsg;
      switch (field) {
      case 1:
        h->src = (uint32_t)v;
        break;
      case 2:
        h->dst = (uint32_t)v;
        break;
      case 3:
        h->tag = zigzag32(v);
        break;
      case 4:
        h->ctx = zigzag32(v);
        break;
      case 5:
        h->encoding = (uint32_t)v;
        break;
      case 6:
        h->flags = (uint32_t)v;
        break;
      case 7:
        h->total_len = v;
        break;
      case 8:
        h->wid = (uint32_t)v;
        break;
      default:
        break;
      }
    } else if (wt == 1) {
      if (end - p < 8)
        return W_PvmBadMsg;
      p += 8;
    } else if (wt == 5) {
      if (end - p < 4)
        return W_PvmBadMsg;
      p += 4;
    } else if (wt == 2) {
      if (get_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
        return W_PvmBadMsg;
      p += v;
    } else {
      return W_PvmBadMsg;
    }
  }
  *body = payload + 2 + hlen;
  *body_len = len - 2 - hlen;
  return 0;
}
