/* it_mhf: message handlers (pvm_addmhf, pvm_delmhf) as PVM 3.4.6 runs
 * them. Handler ids and errors (PvmExists for overlapping patterns,
 * PvmBadParam, PvmNotFound); a matching message is handed to its handler
 * inside a receive call, as the active receive buffer with no send buffer,
 * and is not delivered to pvm_recv; the caller's buffers are restored and
 * the handler's freed; matching on source, tag and context with wildcards;
 * messages queued before the handler was added are not handled; a handler
 * may send; a deleted handler no longer runs; a pvm_notify message (the
 * exit of a spawned child) reaches a handler. */
#include "it_common.h"

#define TAG_H 10     /* handled */
#define TAG_PLAIN 11 /* never handled */
#define TAG_CTX 12   /* handled in context 77 only */
#define TAG_SRC 13   /* handled from the child only */
#define TAG_OLD 14   /* queued before its handler exists */
#define TAG_KEEP 15  /* the handler keeps the message */
#define TAG_BUFS 16  /* the handler leaves buffers active */
#define TAG_ECHO 17  /* the handler sends TAG_ECHOED */
#define TAG_ECHOED 18
#define TAG_EXIT 19 /* pvm_notify(PvmTaskExit) */
#define TAG_GO 20
#define TAG_QUIT 21
#define CTX 77

static int me;

static struct { int calls, mid, rbuf, sbuf, tag, src, ctx, val; } seen;
static int kept, made_s, made_r;

static int on_msg(int mid) {
  struct pvmminfo mi;
  int len;
  seen.calls++;
  seen.mid = mid;
  seen.rbuf = pvm_getrbuf();
  seen.sbuf = pvm_getsbuf();
  memset(&mi, 0, sizeof mi);
  pvm_getminfo(mid, &mi);
  pvm_bufinfo(mid, &len, &seen.tag, &seen.src);
  seen.ctx = mi.ctx;
  seen.val = -1;
  if (len > 0)
    pvm_upkint(&seen.val, 1, 1);
  if (seen.tag == TAG_KEEP) {
    kept = mid;
    pvm_setrbuf(0);
  } else if (seen.tag == TAG_BUFS) {
    made_s = pvm_initsend(PvmDataDefault);
    made_r = pvm_mkbuf(PvmDataDefault);
    pvm_setrbuf(made_r);
  } else if (seen.tag == TAG_ECHO) {
    int v = seen.val + 1;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&v, 1, 1);
    pvm_send(me, TAG_ECHOED);
  }
  return 0;
}

static int other(int mid) {
  (void)mid;
  return 0;
}

static void send_int(int to, int tag, int v) {
  int old = pvm_setsbuf(pvm_mkbuf(PvmDataDefault));
  pvm_pkint(&v, 1, 1);
  IT_CHECK(pvm_send(to, tag) == 0, "pvm_send(t%x, %d) failed", to, tag);
  pvm_freebuf(pvm_setsbuf(old));
}

/* Sends tag to itself, then a TAG_PLAIN marker, and receives the marker:
 * the first message has arrived (handled or queued) when this returns. */
static void self_send(int tag, int v) {
  send_int(me, tag, v);
  send_int(me, TAG_PLAIN, -v);
  IT_CHECK(pvm_recv(me, TAG_PLAIN) > 0, "marker after tag %d not received",
           tag);
}

static int child(void) {
  int parent = pvm_parent();
  IT_CHECK(pvm_recv(parent, TAG_GO) > 0, "no go");
  send_int(parent, TAG_SRC, 2);
  send_int(parent, TAG_PLAIN, 0);
  IT_CHECK(pvm_recv(parent, TAG_QUIT) > 0, "no quit");
  pvm_exit();
  return 0;
}

int main(int argc, char **argv) {
  int id, id2, rb, sb, kid;
  it_set_name(argv[0], it_is_child(argc, argv) ? "child" : NULL);
  it_guard(60);
  if (it_is_child(argc, argv))
    return child();
  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid: %d", me);
  pvm_setopt(PvmAutoErr, 0);

  /* Ids and refusals. */
  id = pvm_addmhf(-1, TAG_H, -1, on_msg);
  IT_CHECK(id > 0, "pvm_addmhf: %d", id);
  IT_CHECK(pvm_addmhf(-1, TAG_H, -1, on_msg) == PvmExists, "duplicate");
  IT_CHECK(pvm_addmhf(me, TAG_H, 0, other) == PvmExists,
           "a pattern covered by wildcards is an overlap");
  IT_CHECK(pvm_addmhf(-1, -1, CTX, other) == PvmExists,
           "wildcards on both sides overlap");
  IT_CHECK(pvm_addmhf(-1, TAG_PLAIN + 100, -1, NULL) == PvmBadParam,
           "NULL function");
  id2 = pvm_addmhf(-1, TAG_CTX, CTX, on_msg);
  IT_CHECK(id2 > 0 && id2 != id, "second id %d (first %d)", id2, id);
  IT_CHECK(pvm_delmhf(-1) == PvmBadParam, "pvm_delmhf(-1)");
  IT_CHECK(pvm_delmhf(id2 + 1000) == PvmNotFound, "unknown id");

  /* A handled message: inside a receive for another tag. */
  send_int(me, TAG_PLAIN, 1);
  IT_CHECK((rb = pvm_recv(me, TAG_PLAIN)) > 0, "recv");
  sb = pvm_initsend(PvmDataDefault);
  memset(&seen, 0, sizeof seen);
  send_int(me, TAG_H, 42);
  send_int(me, TAG_PLAIN, 2);
  {
    struct timeval tv = {20, 0};
    IT_CHECK((rb = pvm_trecv(me, TAG_PLAIN, &tv)) > 0, "marker");
  }
  IT_CHECK(seen.calls == 1, "handler ran %d times", seen.calls);
  IT_CHECK(seen.rbuf == seen.mid && seen.sbuf == 0,
           "inside: rbuf %d sbuf %d, message %d", seen.rbuf, seen.sbuf,
           seen.mid);
  IT_CHECK(seen.tag == TAG_H && seen.src == me && seen.ctx == 0 &&
               seen.val == 42,
           "message tag %d src t%x ctx %d value %d", seen.tag, seen.src,
           seen.ctx, seen.val);
  IT_CHECK(pvm_getrbuf() == rb && pvm_getsbuf() == sb,
           "after: rbuf %d (want %d) sbuf %d (want %d)", pvm_getrbuf(), rb,
           pvm_getsbuf(), sb);
  IT_CHECK(pvm_nrecv(-1, TAG_H) == 0, "a handled message reached pvm_nrecv");
  rb = pvm_getrbuf(); /* PVM 3.4.6's pvm_nrecv frees it on entry */
  it_note("handler called inside a library call, buffers restored");

  /* Within pvm_probe (polled: pvm_probe allocates no buffer until a message
   * is there, so the handled message's id cannot have been handed out
   * again when it is checked to be freed), and pvm_nrecv. */
  memset(&seen, 0, sizeof seen);
  send_int(me, TAG_H, 43);
  for (int i = 0; i < 1000 && seen.calls == 0; i++) {
    IT_CHECK(pvm_probe(-1, TAG_H) == 0, "pvm_probe saw a handled message");
    it_sleep_ms(5);
  }
  IT_CHECK(seen.calls == 1 && seen.val == 43, "pvm_probe: %d calls, %d",
           seen.calls, seen.val);
  IT_CHECK(pvm_bufinfo(seen.mid, NULL, NULL, NULL) == PvmNoSuchBuf,
           "the handled message %d was not freed", seen.mid);
  IT_CHECK(pvm_getrbuf() == rb && pvm_getsbuf() == sb, "buffers not restored");
  memset(&seen, 0, sizeof seen);
  send_int(me, TAG_H, 44);
  for (int i = 0; i < 200 && seen.calls == 0; i++) {
    IT_CHECK(pvm_nrecv(-1, -1) == 0, "pvm_nrecv got a handled message");
    it_sleep_ms(10);
  }
  IT_CHECK(seen.calls == 1 && seen.val == 44, "pvm_nrecv: %d calls, %d",
           seen.calls, seen.val);

  /* Context: a wildcard matches any context; a given context only that. */
  memset(&seen, 0, sizeof seen);
  pvm_setcontext(CTX);
  send_int(me, TAG_H, 45);
  pvm_setcontext(0);
  self_send(TAG_CTX, 46);
  IT_CHECK(seen.calls == 1 && seen.ctx == CTX && seen.val == 45,
           "wildcard context: %d calls, ctx %d, %d", seen.calls, seen.ctx,
           seen.val);
  IT_CHECK(pvm_nrecv(me, TAG_CTX) > 0, "context 0 message not queued");
  pvm_setcontext(CTX);
  send_int(me, TAG_CTX, 47);
  send_int(me, TAG_PLAIN, 0);
  IT_CHECK(pvm_recv(me, TAG_PLAIN) > 0, "marker in context 77");
  pvm_setcontext(0);
  IT_CHECK(seen.calls == 2 && seen.ctx == CTX && seen.val == 47,
           "context 77 handler: %d calls, ctx %d, %d", seen.calls, seen.ctx,
           seen.val);
  it_note("context wildcard and given context");

  /* Messages queued before the handler exists stay in the queue. */
  memset(&seen, 0, sizeof seen);
  self_send(TAG_OLD, 48);
  IT_CHECK((id2 = pvm_addmhf(-1, TAG_OLD, -1, on_msg)) > 0, "add old");
  IT_CHECK(pvm_nrecv(-1, TAG_OLD) > 0 && seen.calls == 0,
           "a message queued before pvm_addmhf was handled");
  self_send(TAG_OLD, 49);
  IT_CHECK(seen.calls == 1 && seen.val == 49, "later one not handled");
  /* Deleted: no longer runs, and the id is gone. */
  IT_CHECK(pvm_delmhf(id2) == 0, "pvm_delmhf");
  IT_CHECK(pvm_delmhf(id2) == PvmNotFound, "second pvm_delmhf");
  self_send(TAG_OLD, 50);
  IT_CHECK(seen.calls == 1, "deleted handler ran");
  IT_CHECK(pvm_nrecv(-1, TAG_OLD) > 0, "message after delete not queued");
  it_note("queued messages untouched, pvm_delmhf");

  /* The handler keeps its message by making no buffer active. */
  IT_CHECK(pvm_addmhf(-1, TAG_KEEP, -1, on_msg) > 0, "add keep");
  self_send(TAG_KEEP, 52);
  IT_CHECK(kept > 0 && pvm_bufinfo(kept, NULL, NULL, NULL) == 0,
           "kept message %d freed", kept);
  pvm_freebuf(kept);
  /* What the handler leaves active is freed; the caller's come back. */
  sb = pvm_getsbuf();
  IT_CHECK(pvm_addmhf(-1, TAG_BUFS, -1, on_msg) > 0, "add bufs");
  /* Polled with pvm_probe, which allocates no buffer until the message is
   * there: the ids the handler had cannot have been handed out again. */
  memset(&seen, 0, sizeof seen);
  send_int(me, TAG_BUFS, 53);
  for (int i = 0; i < 1000 && seen.calls == 0; i++) {
    pvm_probe(-1, TAG_PLAIN);
    it_sleep_ms(5);
  }
  IT_CHECK(made_s > 0 && made_r > 0 &&
               pvm_bufinfo(made_s, NULL, NULL, NULL) == PvmNoSuchBuf &&
               pvm_bufinfo(made_r, NULL, NULL, NULL) == PvmNoSuchBuf,
           "buffers %d %d the handler left active not freed", made_s, made_r);
  IT_CHECK(pvm_getsbuf() == sb, "send buffer %d, want %d", pvm_getsbuf(), sb);
  /* A handler may send. */
  IT_CHECK(pvm_addmhf(-1, TAG_ECHO, -1, on_msg) > 0, "add echo");
  send_int(me, TAG_ECHO, 60);
  IT_CHECK(pvm_recv(me, TAG_ECHOED) > 0, "no echo");
  {
    int v = 0;
    pvm_upkint(&v, 1, 1);
    IT_CHECK(v == 61, "echo %d", v);
  }
  it_note("buffers the handler leaves, sending from a handler");

  /* Source: from the child only. */
  kid = it_spawn_self("child", NULL);
  IT_CHECK(pvm_addmhf(kid, TAG_SRC, -1, on_msg) > 0, "add src");
  memset(&seen, 0, sizeof seen);
  self_send(TAG_SRC, 1);
  IT_CHECK(seen.calls == 0 && pvm_nrecv(me, TAG_SRC) > 0,
           "a message from another source was handled");
  send_int(kid, TAG_GO, 0);
  IT_CHECK(pvm_recv(kid, TAG_PLAIN) > 0, "child marker");
  IT_CHECK(seen.calls == 1 && seen.src == kid && seen.val == 2,
           "child's message: %d calls, src t%x", seen.calls, seen.src);

  /* A notify message. */
  IT_CHECK(pvm_addmhf(-1, TAG_EXIT, -1, on_msg) > 0, "add exit");
  IT_CHECK(pvm_notify(PvmTaskExit, TAG_EXIT, 1, &kid) == 0, "pvm_notify");
  memset(&seen, 0, sizeof seen);
  send_int(kid, TAG_QUIT, 0);
  for (int i = 0; i < 1000 && seen.calls == 0; i++) {
    struct timeval tv = {0, 20000};
    IT_CHECK(pvm_trecv(-1, TAG_EXIT, &tv) == 0,
             "pvm_trecv got the notify message");
  }
  IT_CHECK(seen.calls == 1 && seen.tag == TAG_EXIT && seen.val == kid,
           "notify: %d calls, tag %d, body t%x", seen.calls, seen.tag,
           seen.val);
  it_note("notify message from t%x handled", seen.src);
  IT_CHECK(pvm_delmhf(id) == 0, "pvm_delmhf(first)");
  pvm_exit();
  it_note("OK");
  return 0;
}
