/* Acknowledged delivery on direct links: nothing is lost when a link
 * breaks, however it breaks. Messages are numbered per link and direction
 * by their order on the stream (nothing on the wire); the receiver
 * acknowledges the count of whole messages it has taken (an ACK frame:
 * piggy-backed on its own next message, or after ACK_EVERY messages or
 * ACK_BYTES bytes, at once for a large message, and when it is about to
 * wait). A message under LPVM_ROUTE_RDV_MIN is sent as frames built whole
 * in memory and kept until acknowledged; a larger one goes from the
 * caller's memory and pvm_send waits for its acknowledgement (the memory
 * may change once pvm_send returns: PvmDataInPlace points at the user's).
 * When a link we send on closes for any reason, we send through the
 * daemon a resume marker (the link's nonce, the number of the first
 * unacknowledged message), then the kept messages; the peer ends the link
 * on its side if it has not yet (what it holds unread there is in the
 * resume), and drops as many of the re-sent messages as it had taken
 * beyond that number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "failpoint.h"
#include "link.h"
#include "lpvm.h"
#include "pvm3.h"
#include "route.h"
#include "route_peer.h"
#include "tid.h"
#include "xdr.h"

/* A receiver acknowledges at once a message of LPVM_ROUTE_RDV_MIN bytes or
 * more (its sender waits), else once ACK_EVERY messages or ACK_BYTES bytes
 * are unacknowledged, with its own next message on the link, or when it is
 * about to wait. A sender that keeps KEEP_BYTES or KEEP_COUNT
 * unacknowledged messages waits for acknowledgements before it sends more
 * on the link. */
#define ACK_EVERY 64u
#define ACK_BYTES (256u << 10)
#define KEEP_BYTES (8u << 20)
#define KEEP_COUNT 1024u
/* An acknowledgement frame: header and count. */
#define ACK_FRAME (PVMW_HDR_LEN + PVMW_ACK_LEN)

void lpvm_put_be64(uint8_t *p, uint64_t v) {
  pvmw_put_be32(p, (uint32_t)(v >> 32));
  pvmw_put_be32(p + 4, (uint32_t)v);
}

uint64_t lpvm_get_be64(const uint8_t *p) {
  return (uint64_t)pvmw_get_be32(p) << 32 | pvmw_get_be32(p + 4);
}

/* ---- what the sender keeps ----------------------------------------------- */

void lpvm_kept_drop(struct lpvm_peer *p, uint64_t acked) {
  while (p->kept != NULL && p->kept->seq < acked) {
    struct lpvm_kept *k = p->kept;
    p->kept = k->next;
    if (p->kept == NULL)
      p->kept_tail = NULL;
    p->kept_bytes -= k->len;
    p->kept_n--;
    free(k->data);
    free(k);
  }
}

uint64_t lpvm_rx_hist_get(const struct lpvm_peer *p, uint64_t nonce) {
  for (int i = 0; i < LPVM_RX_HIST; i++)
    if (p->rx_hist[i].nonce == nonce)
      return p->rx_hist[i].count;
  return 0;
}

void lpvm_rx_hist_put(struct lpvm_peer *p, uint64_t nonce, uint64_t count) {
  for (int i = 0; i < LPVM_RX_HIST; i++)
    if (p->rx_hist[i].nonce == nonce) {
      p->rx_hist[i].count = count;
      return;
    }
  p->rx_hist[p->rx_hist_next].nonce = nonce;
  p->rx_hist[p->rx_hist_next].count = count;
  p->rx_hist_next = (p->rx_hist_next + 1) % LPVM_RX_HIST;
}

/* ---- the resume through the daemon --------------------------------------- */

/* Our link to p broke: tells p, through the daemon, from which message of
 * that link on we send again (its nonce and the number of the first
 * message it did not acknowledge), then sends the kept messages after it,
 * as they went on the link. The peer drops those it had taken from the
 * link already. Everything we send p later goes behind them. */
void lpvm_fallback_flush(struct lpvm_peer *p, int quiet) {
  uint8_t body[16];
  unsigned n = 0;
  if (!p->fb_pending)
    return;
  p->fb_pending = 0;
  lpvm_kept_drop(p, p->fb_from); /* acknowledged (none should be left) */
  if (lpvm_conn.state != LPVM_UP) {
    if (p->kept_n > 0)
      fprintf(stderr,
              "libpvm [t%x]: %u message(s) to t%x were lost with the direct "
              "link: the daemon is gone too\n",
              (unsigned)lpvm_conn.mytid, p->kept_n, (unsigned)p->tid);
    lpvm_kept_drop(p, UINT64_MAX);
    return;
  }
  lpvm_put_be64(body, p->fb_nonce);
  lpvm_put_be64(body + 8, p->fb_from);
  lpvm_send_sys_async(p->tid, LPVM_TAG_ROUTE_RESUME, body, sizeof(body));
  while (p->kept != NULL) {
    struct lpvm_kept *k = p->kept;
    p->kept = k->next;
    lpvm_daemon_put(k->data, k->len, k->data);
    free(k);
    n++;
  }
  p->kept_tail = NULL;
  p->kept_bytes = 0;
  p->kept_n = 0;
  if (n > 0 && (!quiet || lpvm_opts.debugmask))
    fprintf(stderr,
            "libpvm [t%x]: %u message(s) to t%x that the direct link had not "
            "acknowledged go again through the daemon\n",
            (unsigned)lpvm_conn.mytid, n, (unsigned)p->tid);
}

/* A peer's link broke on its side: it sends again, through the daemon,
 * every message of that link from number `from` on. We end the link here
 * too (what it still holds unread comes in the resume) and drop as many of
 * the re-sent messages as we had taken from the link beyond `from`. */
void lpvm_resume_received(int src, const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  uint64_t nonce, from, taken;
  struct lpvm_peer *p;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) != 0 ||
      blen != 16 || !pvmw_tid_is_task(src) || (p = lpvm_peer_get(src)) == NULL)
    return;
  nonce = lpvm_get_be64(body);
  from = lpvm_get_be64(body + 8);
  if (p->link != NULL && p->link->nonce == nonce)
    lpvm_link_close(p->link, "the peer resumed through the daemon");
  taken = lpvm_rx_hist_get(p, nonce);
  p->skip = taken > from ? taken - from : 0;
  if (!lpvm_peer_holding_daemon(p))
    lpvm_peer_release_daemon_held(p);
}

/* ---- acknowledgements ---------------------------------------------------- */

static void ack_fill(uint8_t out[ACK_FRAME], uint64_t v) {
  pvmw_hdr_put(out, PVMW_FT_ACK, PVMW_ACK_LEN);
  lpvm_put_be64(out + PVMW_HDR_LEN, v);
}

/* Acknowledges on l what we have taken from it, without waiting (usable in
 * callbacks); after the message being written, if one is. */
void lpvm_ack_now(struct lpvm_link *l) {
  pvmw_frame *f;
  if (l->closing || l->rx_seq == l->rx_acked)
    return;
  if (l->tx_busy) {
    l->ack_due = 1;
    return;
  }
  if ((f = pvmw_frame_alloc(PVMW_FT_ACK, PVMW_ACK_LEN)) == NULL)
    return; /* the next occasion tries again */
  lpvm_put_be64(f->payload, l->rx_seq);
  l->rx_acked = l->rx_seq;
  l->rx_unacked_bytes = 0;
  l->ack_due = 0;
  l->ops->send_async(l, f);
}

/* Puts our pending acknowledgement in front of a message we write on l
 * (out: ACK_FRAME bytes). Returns whether there was one. */
static int ack_piggyback(struct lpvm_link *l, uint8_t *out) {
  if (l->rx_seq == l->rx_acked)
    return 0;
  ack_fill(out, l->rx_seq);
  l->rx_acked = l->rx_seq;
  l->rx_unacked_bytes = 0;
  l->ack_due = 0;
  return 1;
}

int lpvm_ack_received(struct lpvm_link *l, const pvmw_frame *f) {
  uint64_t v = lpvm_get_be64(f->payload);
  struct lpvm_peer *p = l->peer;
  if (p == NULL || p->link != l || v < l->tx_acked || v > l->tx_seq)
    return -1;
  l->tx_acked = v;
  lpvm_kept_drop(p, v);
  return 0;
}

void lpvm_ack_count(struct lpvm_link *l, const pvmw_frame *f) {
  Pvmng__MsgHeader h;
  const uint8_t *body;
  uint32_t blen;
  if (pvmw_msghdr_decode(f->payload, f->len, &h, &body, &blen) < 0)
    return; /* the delivery reports it */
  if (h.flags & PVMW_MF_FIRST)
    l->rx_total = h.total_len;
  l->rx_unacked_bytes += f->raw_len;
  if (!(h.flags & PVMW_MF_LAST))
    return;
  l->rx_seq++;
  if (lpvm_failpoint_shut(l->rx_seq)) {
    uv_os_fd_t fd;
    fprintf(stderr,
            "libpvm [t%x]: failpoint: direct link with t%x shut down after "
            "%llu messages\n",
            (unsigned)lpvm_conn.mytid, (unsigned)lpvm_link_peer_tid(l),
            (unsigned long long)l->rx_seq);
    /* Test: this end stops reading and writing, with whatever the peer
     * wrote after this message unread (lost to the link). */
    if (uv_fileno(&l->io.handle, &fd) == 0)
      shutdown(fd, SHUT_RDWR);
  }
  if (l->ops->kind == LPVM_LINK_REMOTE && lpvm_failpoint_fin())
    l->fin_inject = 1;
  if (l->rx_total >= LPVM_ROUTE_RDV_MIN ||
      l->rx_seq - l->rx_acked >= ACK_EVERY || l->rx_unacked_bytes >= ACK_BYTES)
    lpvm_ack_now(l);
}

void lpvm_route_idle(void) {
  for (struct lpvm_link *l = lpvm_router.links; l != NULL; l = l->next)
    if (l->rx_seq != l->rx_acked && l->peer != NULL && !l->closing)
      lpvm_ack_now(l);
}

/* ---- sending ------------------------------------------------------------- */

/* Waits (pumping) while p keeps too much unacknowledged on l. */
static void keep_wait(struct lpvm_link *l, struct lpvm_peer *p) {
  while ((p->kept_bytes > KEEP_BYTES || p->kept_n > KEEP_COUNT) &&
         !l->closing && p->link == l && lpvm_conn.state == LPVM_UP)
    lpvm_pump(-1);
}

int lpvm_route_send_kept(struct lpvm_link *l, uint8_t *data, size_t len) {
  struct lpvm_peer *p = l->peer;
  struct lpvm_kept *k;
  uint8_t ack[ACK_FRAME];
  uv_buf_t b[2];
  unsigned n = 0;
  int rc;
  if (l->closing || p == NULL || p->link != l) {
    free(data);
    return PvmSysErr;
  }
  if ((k = malloc(sizeof(*k))) == NULL) {
    free(data);
    return PvmNoMem;
  }
  k->next = NULL;
  k->seq = l->tx_seq++;
  k->len = len;
  k->data = data;
  if (p->kept_tail != NULL)
    p->kept_tail->next = k;
  else
    p->kept = k;
  p->kept_tail = k;
  p->kept_bytes += len;
  p->kept_n++;
  if (ack_piggyback(l, ack))
    b[n++] = uv_buf_init((char *)ack, ACK_FRAME);
  b[n++] = uv_buf_init((char *)data, (unsigned)len);
  l->tx_busy = 1;
  rc = l->ops->write(l, b, n);
  l->tx_busy = 0;
  if (rc == 0 && l->ack_due)
    lpvm_ack_now(l);
  if (rc == 0)
    keep_wait(l, p);
  if (rc < 0 || l->closing) {
    /* The message is kept: the resume through the daemon carries it. */
    lpvm_route_broken(p->tid);
  }
  return 0;
}

void lpvm_route_rdv_begin(struct lpvm_link *l) {
  uint8_t ack[ACK_FRAME];
  l->tx_seq++;
  l->tx_busy = 1;
  if (ack_piggyback(l, ack)) {
    uv_buf_t b = uv_buf_init((char *)ack, ACK_FRAME);
    if (l->ops->put != NULL)
      l->ops->put(l, ack, ACK_FRAME); /* joins the first record */
    else
      l->ops->write(l, &b, 1);
  }
}

int lpvm_route_rdv_end(struct lpvm_link *l, int rc) {
  uint64_t seq = l->tx_seq - 1;
  l->tx_busy = 0;
  if (rc == 0 && l->ack_due)
    lpvm_ack_now(l);
  /* The acknowledgement follows the message's last bytes closely: poll a
   * little first, as a receive does (PvmPollTime), then sleep. */
  int polls = lpvm_opts.poll_time > 0 ? lpvm_opts.poll_time : 0;
  while (rc == 0 && !l->closing && l->tx_acked <= seq) {
    if (lpvm_conn.state != LPVM_UP)
      rc = PvmSysErr;
    else
      lpvm_pump(polls-- > 0 ? 0 : -1);
  }
  /* Acknowledged: delivered, whatever became of the link since. */
  if (l->tx_acked > seq)
    return 0;
  return rc < 0 ? rc : PvmSysErr;
}
