/* it_order: 10,000 messages from a child to its parent, of sizes from 0 to
 * 64 KiB plus a few over 4 MiB (more than one fragment), each with sequence
 * number, length and checksum; the parent checks strict order, lengths and
 * checksums. Once per encoding (Default, Raw with 16 KiB fragments,
 * InPlace), with pvm_psend/pvm_precv, over a direct route, and with two
 * senders interleaved. */
#include <stdint.h>

#include "it_common.h"

#define NMSG 10000
#define TAG_DATA 21
#define TAG_EMPTY 22
#define TAG_END 23
#define BIG (4 << 20)
#define MAXLEN (BIG + 4096 + 16)
#define HDR 12 /* seq, len, checksum as native ints (psend mode) */

static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

/* Length of message i, known to both sides: every 1000th is empty, four are
 * over 4 MiB, the rest spread over 0..64 KiB. */
static int msg_len(int i) {
  if (i % 1000 == 0)
    return 0;
  if (i % 2500 == 1250)
    return BIG + 4097 + i % 7;
  return (int)(mix((uint32_t)i * 2654435761U) % 65537U);
}

static void fill(unsigned char *p, int len, int i) {
  uint32_t s = mix((uint32_t)i + 12345U);
  for (int j = 0; j < len; j++) {
    if ((j & 3) == 0)
      s = s * 1664525U + 1013904223U;
    p[j] = (unsigned char)(s >> (8 * (j & 3)));
  }
}

/* Modes: the three encodings; "psend" (pvm_psend/pvm_precv); "direct"
 * (PvmDataDefault with PvmRouteDirect on both sides); "pair" (two senders
 * at once, PvmDataDefault, interleaved at the receiver). */
static int mode_enc(const char *mode) {
  if (strcmp(mode, "default") == 0 || strcmp(mode, "direct") == 0 ||
      strcmp(mode, "pair") == 0)
    return PvmDataDefault;
  if (strcmp(mode, "raw") == 0)
    return PvmDataRaw;
  if (strcmp(mode, "inplace") == 0)
    return PvmDataInPlace;
  return -1; /* psend */
}

static int sender(const char *mode) {
  int parent = pvm_parent(), enc = mode_enc(mode), n = NMSG;
  unsigned char *buf = malloc(HDR + MAXLEN);

  IT_CHECK(parent > 0, "pvm_parent() = %d", parent);
  IT_CHECK(buf != NULL, "out of memory");
  if (strcmp(mode, "direct") == 0)
    pvm_setopt(PvmRoute, PvmRouteDirect);
  /* Raw also runs with small fragments: most messages span several. */
  if (strcmp(mode, "raw") == 0)
    IT_CHECK(pvm_setopt(PvmFragSize, 16384) >= 0, "PvmFragSize refused");
  for (int i = 0; i < NMSG; i++) {
    int len = msg_len(i), seq = i;
    unsigned char *body = buf + HDR;
    unsigned int sum;
    fill(body, len, i);
    sum = pvmt_fnv1a(body, len, 0);
    if (enc < 0) {
      memcpy(buf, &seq, 4);
      memcpy(buf + 4, &len, 4);
      memcpy(buf + 8, &sum, 4);
      if (len == 0)
        IT_CHECK(pvm_psend(parent, TAG_EMPTY, NULL, 0, PVM_BYTE) == 0,
                 "pvm_psend of empty message %d failed", i);
      else
        IT_CHECK(pvm_psend(parent, TAG_DATA, buf, HDR + len, PVM_BYTE) == 0,
                 "pvm_psend of message %d (%d bytes) failed", i, HDR + len);
      continue;
    }
    IT_CHECK(pvm_initsend(enc) > 0, "pvm_initsend(%d) failed", enc);
    if (len == 0) {
      IT_CHECK(pvm_send(parent, TAG_EMPTY) == 0, "send of empty %d failed", i);
      continue;
    }
    if (enc == PvmDataInPlace) {
      /* In place, the items are read at pvm_send: what is written between
       * packing and sending is what must arrive. */
      memset(body, 0xee, (size_t)len);
      sum = 0;
    }
    IT_CHECK(pvm_pkint(&seq, 1, 1) == 0 && pvm_pkint(&len, 1, 1) == 0 &&
                 pvm_pkuint(&sum, 1, 1) == 0 &&
                 pvm_pkbyte((char *)body, len, 1) == 0,
             "packing message %d failed", i);
    if (enc == PvmDataInPlace) {
      fill(body, len, i);
      sum = pvmt_fnv1a(body, len, 0);
    }
    IT_CHECK(pvm_send(parent, TAG_DATA) == 0, "pvm_send of message %d failed",
             i);
  }
  if (enc < 0) {
    IT_CHECK(pvm_psend(parent, TAG_END, &n, 1, PVM_INT) == 0,
             "pvm_psend(TAG_END) failed");
  } else {
    pvm_initsend(enc);
    pvm_pkint(&n, 1, 1);
    IT_CHECK(pvm_send(parent, TAG_END) == 0, "pvm_send(TAG_END) failed");
  }
  free(buf);
  pvm_exit();
  return 0;
}

/* Receives NMSG + 1 messages from each of nkid senders, interleaved as
 * they come, and checks each against that sender's sequence. */
static void receive_run(const char *mode, const int *kids, int nkid,
                        unsigned char *rbuf) {
  int psend = mode_enc(mode) < 0, next[2] = {0, 0}, ended = 0;
  double t0 = it_now();
  long long total = 0;

  while (ended < nkid) {
    int src = -1, tag = -1, bytes = -1, seq = -1, len = -1, n = -1, k, i;
    int want_len, want_tag;
    unsigned int sum = 0;

    if (psend) {
      int rc =
          pvm_precv(-1, -1, rbuf, HDR + MAXLEN, PVM_BYTE, &src, &tag, &bytes);
      IT_CHECK(rc == 0, "%s: pvm_precv returned %d", mode, rc);
    } else {
      int b = pvm_recv(-1, -1);
      IT_CHECK(b > 0, "%s: pvm_recv returned %d", mode, b);
      IT_CHECK(pvm_bufinfo(b, &bytes, &tag, &src) == 0, "pvm_bufinfo failed");
    }
    for (k = 0; k < nkid && kids[k] != src; k++)
      ;
    IT_CHECK(k < nkid, "%s: message from t%x, a task that sends nothing", mode,
             src);
    i = next[k]++;
    IT_CHECK(i <= NMSG, "%s: t%x sent more than it should", mode, src);
    want_len = i < NMSG ? msg_len(i) : 0;
    want_tag = i == NMSG ? TAG_END : want_len == 0 ? TAG_EMPTY : TAG_DATA;
    IT_CHECK(tag == want_tag,
             "%s: message %d from t%x has tag %d, want %d (out of order or "
             "lost?)",
             mode, i, src, tag, want_tag);
    if (tag == TAG_END) {
      if (psend) {
        IT_CHECK(bytes == (int)sizeof(int), "%s: end marker of %d bytes", mode,
                 bytes);
        memcpy(&n, rbuf, sizeof n);
      } else {
        IT_CHECK(pvm_upkint(&n, 1, 1) == 0, "unpacking the end marker failed");
      }
      IT_CHECK(n == NMSG, "%s: end marker says %d messages", mode, n);
      ended++;
      continue;
    }
    if (tag == TAG_EMPTY) {
      IT_CHECK(bytes == 0, "%s: empty message %d has %d bytes", mode, i, bytes);
      continue;
    }
    if (psend) {
      IT_CHECK(bytes == HDR + want_len, "%s: message %d has %d bytes, want %d",
               mode, i, bytes, HDR + want_len);
      memcpy(&seq, rbuf, 4);
      memcpy(&len, rbuf + 4, 4);
      memcpy(&sum, rbuf + 8, 4);
    } else {
      IT_CHECK(bytes >= 12 + want_len && bytes <= 12 + want_len + 64,
               "%s: message %d is %d bytes for a %d-byte body", mode, i, bytes,
               want_len);
      IT_CHECK(pvm_upkint(&seq, 1, 1) == 0 && pvm_upkint(&len, 1, 1) == 0 &&
                   pvm_upkuint(&sum, 1, 1) == 0,
               "%s: unpacking the header of message %d failed", mode, i);
    }
    IT_CHECK(seq == i, "%s: got sequence number %d from t%x where %d was due",
             mode, seq, src, i);
    IT_CHECK(len == want_len, "%s: message %d says length %d, want %d", mode, i,
             len, want_len);
    if (psend) {
      memmove(rbuf, rbuf + HDR, (size_t)len);
    } else {
      IT_CHECK(pvm_upkbyte((char *)rbuf, len, 1) == 0,
               "%s: unpacking %d bytes of message %d failed", mode, len, i);
    }
    IT_CHECK(pvmt_fnv1a(rbuf, len, 0) == sum,
             "%s: message %d (%d bytes): checksum %08x, sender said %08x", mode,
             i, len, pvmt_fnv1a(rbuf, len, 0), sum);
    total += len;
  }
  it_note("%s: %d x %d messages, %lld body bytes in strict order, intact "
          "(%.2f s)",
          mode, nkid, NMSG, total, it_now() - t0);
}

int main(int argc, char **argv) {
  static const char *modes[] = {"default", "raw",    "inplace",
                                "psend",   "direct", "pair"};
  unsigned char *rbuf;

  if (it_is_child(argc, argv)) {
    it_set_name(argv[0], argv[2]);
    it_guard(110);
    return sender(argv[2]);
  }
  it_set_name(argv[0], NULL);
  it_guard(115);
  IT_CHECK(pvm_mytid() > 0, "pvm_mytid() failed");
  rbuf = malloc(HDR + MAXLEN);
  IT_CHECK(rbuf != NULL, "out of memory");
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    int kids[2], nkid = strcmp(modes[m], "pair") == 0 ? 2 : 1;
    int direct = strcmp(modes[m], "direct") == 0;
    if (direct)
      pvm_setopt(PvmRoute, PvmRouteDirect);
    for (int k = 0; k < nkid; k++)
      kids[k] = it_spawn_self(modes[m], (char *)NULL);
    receive_run(modes[m], kids, nkid, rbuf);
    if (direct)
      pvm_setopt(PvmRoute, PvmAllowDirect);
  }
  free(rbuf);
  it_note("all modes: OK");
  pvm_exit();
  return 0;
}
