/* Unit tests for sec/stream.c, the TLS stream over libuv: two streams on
 * the ends of a socket pair, driven by a private loop, with the engine
 * reached through its table of functions as the daemon and the library
 * reach it. Handshake, a megabyte each way (more than the socket buffer
 * holds, so that uv_write carries the rest), close_notify, and a refused
 * handshake reported by kind. No daemon, no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it relies on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "pki.h"
#include "stream.h"
#include "tls.h"
#include "tls_api.h"

#define T1999 915148800L
#define T2020 1577836800L
#define T2040 2208988800L
#define T2100 4102444800L
#define BIG ((size_t)1 << 20)

static char root[64];

static const char *P(const char *rel) {
  static char bufs[8][512];
  static int i;
  char *b = bufs[i++ % 8];
  snprintf(b, 512, "%s/%s", root, rel);
  return b;
}

static int setup(void **state) {
  char err[256];
  (void)state;
  snprintf(root, sizeof root, "/tmp/pvmng-stream-XXXXXX");
  if (mkdtemp(root) == NULL || mkdir(P("ca1"), 0700) < 0 ||
      mkdir(P("ca2"), 0700) < 0)
    return -1;
  if (pvmw_pki_make_ca(P("ca1"), "PVM test CA", T1999, T2100, err, sizeof err) <
          0 ||
      pvmw_pki_make_ca(P("ca2"), "PVM test CA", T1999, T2100, err, sizeof err) <
          0 ||
      pvmw_pki_make_cert(P("ca1"), P("hosta"), "hosta", T2020, T2040, err,
                         sizeof err) < 0 ||
      pvmw_pki_make_cert(P("ca1"), P("hostb"), "hostb", T2020, T2040, err,
                         sizeof err) < 0 ||
      pvmw_pki_make_cert(P("ca2"), P("hostb-ca2"), "hostb", T2020, T2040, err,
                         sizeof err) < 0) {
    fprintf(stderr, "PKI: %s\n", err);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  char cmd[128];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  return system(cmd) == 0 ? 0 : -1;
}

/* One end: its stream over one socket of the pair, and what came out. */
struct end {
  uv_pipe_t pipe;
  pvmw_stream s;
  char *buf;
  size_t len, cap;
  int established;
  int failed; /* 0, or 1 + enum pvmw_stream_fail */
  char why[256];
  int eof;
  size_t flushed;
};

static int on_established(pvmw_stream *s) {
  struct end *e = s->data;
  e->established = 1;
  return 0;
}

static void space(pvmw_stream *s, char **base, size_t *len) {
  struct end *e = s->data;
  if (e->cap - e->len < 65536) {
    size_t cap = e->cap * 2 + 65536;
    char *b = realloc(e->buf, cap);
    assert_non_null(b);
    e->buf = b;
    e->cap = cap;
  }
  *base = e->buf + e->len;
  *len = e->cap - e->len;
}

static int deliver(pvmw_stream *s, size_t n) {
  struct end *e = s->data;
  e->len += n;
  return 0;
}

static void on_fail(pvmw_stream *s, int what, const char *why) {
  struct end *e = s->data;
  e->failed = 1 + what;
  snprintf(e->why, sizeof e->why, "%s", why);
  uv_read_stop((uv_stream_t *)&e->pipe);
}

static void on_flushed(pvmw_stream *s, size_t sent) {
  struct end *e = s->data;
  e->flushed += sent;
}

static const struct pvmw_stream_cb cb = {
    .on_established = on_established,
    .space = space,
    .deliver = deliver,
    .on_fail = on_fail,
    .on_flushed = on_flushed,
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct end *e = h->data;
  (void)suggested;
  pvmw_stream_alloc(&e->s, 0, buf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct end *e = st->data;
  (void)buf;
  if (n < 0) {
    e->eof = 1;
    uv_read_stop(st);
    return;
  }
  if (n > 0)
    pvmw_stream_input(&e->s, (size_t)n);
}

static void on_closed(uv_handle_t *h) {
  struct end *e = h->data;
  pvmw_stream_release(&e->s);
  free(e->buf);
  e->buf = NULL;
}

/* The two ends over a socket pair: the client (hosta, expecting hostb)
 * and the server (its certificate and CA as given). */
static void open_pair(uv_loop_t *loop, struct end *c, struct end *s,
                      const char *server_ca, const char *server_who,
                      pvmw_tls_ctx **cctx, pvmw_tls_ctx **sctx) {
  const struct pvmw_tls_api *api = &pvm3tls_api_v3;
  char err[256] = "", pem[64], key[64];
  int fds[2];

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  *cctx = api->ctx_new(0, P("ca1/ca.pem"), P("hosta.pem"), P("hosta.key"), err,
                       sizeof err);
  snprintf(pem, sizeof pem, "%s.pem", server_who);
  snprintf(key, sizeof key, "%s.key", server_who);
  *sctx = api->ctx_new(PVMW_TLS_SERVER_NOJOIN, P(server_ca), P(pem), P(key),
                       err, sizeof err);
  if (*cctx == NULL || *sctx == NULL)
    fprintf(stderr, "ctx_new: %s\n", err);
  assert_non_null(*cctx);
  assert_non_null(*sctx);
  memset(c, 0, sizeof *c);
  memset(s, 0, sizeof *s);
  assert_int_equal(uv_pipe_init(loop, &c->pipe, 0), 0);
  assert_int_equal(uv_pipe_init(loop, &s->pipe, 0), 0);
  assert_int_equal(uv_pipe_open(&c->pipe, fds[0]), 0);
  assert_int_equal(uv_pipe_open(&s->pipe, fds[1]), 0);
  c->pipe.data = c;
  s->pipe.data = s;
  assert_int_equal(pvmw_stream_init(&c->s, api, *cctx, "hostb",
                                    (uv_stream_t *)&c->pipe, &cb, c),
                   0);
  assert_int_equal(pvmw_stream_init(&s->s, api, *sctx, NULL,
                                    (uv_stream_t *)&s->pipe, &cb, s),
                   0);
  assert_int_equal(uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read),
                   0);
  assert_int_equal(uv_read_start((uv_stream_t *)&s->pipe, on_alloc, on_read),
                   0);
}

static void close_pair(uv_loop_t *loop, struct end *c, struct end *s,
                       pvmw_tls_ctx *cctx, pvmw_tls_ctx *sctx) {
  uv_close((uv_handle_t *)&c->pipe, on_closed);
  uv_close((uv_handle_t *)&s->pipe, on_closed);
  uv_run(loop, UV_RUN_DEFAULT);
  assert_null(c->s.tls);
  assert_null(s->s.tls);
  pvm3tls_api_v3.ctx_free(cctx);
  pvm3tls_api_v3.ctx_free(sctx);
}

/* A stream that stalls fails the test instead of hanging it: the guard
 * wakes the loop now and then, and run_until gives up after many turns. */
static void on_guard(uv_timer_t *t) { (void)t; }

static void run_until(uv_loop_t *loop, const int *flag) {
  uv_timer_t guard;
  assert_int_equal(uv_timer_init(loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 100, 100), 0);
  for (int i = 0; i < 100000 && !*flag; i++)
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  assert_true(*flag);
}

/* The same until *n reaches want. */
static void run_until_len(uv_loop_t *loop, const size_t *n, size_t want) {
  int done = 0;
  uv_timer_t guard;
  assert_int_equal(uv_timer_init(loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 100, 100), 0);
  for (int i = 0; i < 100000 && *n < want; i++)
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  done = *n == want;
  assert_true(done);
}

static void test_handshake_data_close(void **state) {
  uv_loop_t loop;
  struct end c, s;
  pvmw_tls_ctx *cctx, *sctx;
  char *big = malloc(BIG);
  (void)state;

  assert_non_null(big);
  for (size_t i = 0; i < BIG; i++)
    big[i] = (char)(i * 131 + (i >> 12));
  assert_int_equal(uv_loop_init(&loop), 0);
  open_pair(&loop, &c, &s, "ca1/ca.pem", "hostb", &cctx, &sctx);

  pvmw_stream_pump(&c.s); /* the client speaks first */
  run_until(&loop, &c.established);
  run_until(&loop, &s.established);
  assert_int_equal(c.failed, 0);
  assert_int_equal(s.failed, 0);
  assert_string_equal(pvmw_tls_peer_name(c.s.tls), "hostb");

  /* A megabyte: more than the socket pair holds, so part of it leaves
   * through uv_write. */
  assert_int_equal(pvmw_stream_write(&c.s, big, BIG), 0);
  pvmw_stream_flush(&c.s);
  run_until_len(&loop, &s.len, BIG);
  assert_memory_equal(s.buf, big, BIG);
  assert_int_equal(pvmw_stream_pending(&c.s), 0);
  assert_true(c.flushed >= BIG);

  /* And back. */
  assert_int_equal(pvmw_stream_write(&s.s, big, BIG), 0);
  pvmw_stream_flush(&s.s);
  run_until_len(&loop, &c.len, BIG);
  assert_memory_equal(c.buf, big, BIG);

  /* The client ends with close_notify: the server hears it as such. */
  pvmw_stream_close(&c.s, 1);
  assert_true(c.s.stopped);
  run_until(&loop, &s.failed);
  assert_int_equal(s.failed, 1 + PVMW_STREAM_CLOSED);
  /* Stopped streams do nothing more. */
  assert_int_equal(s.s.stopped, 1);
  pvmw_stream_pump(&s.s);
  pvmw_stream_flush(&s.s);

  close_pair(&loop, &c, &s, cctx, sctx);
  assert_int_equal(uv_loop_close(&loop), 0);
  free(big);
}

/* The server's certificate comes from another CA: the client's handshake
 * fails, reported as such with the engine's reason. */
static void test_handshake_refused(void **state) {
  uv_loop_t loop;
  struct end c, s;
  pvmw_tls_ctx *cctx, *sctx;
  (void)state;

  assert_int_equal(uv_loop_init(&loop), 0);
  open_pair(&loop, &c, &s, "ca2/ca.pem", "hostb-ca2", &cctx, &sctx);
  pvmw_stream_pump(&c.s);
  run_until(&loop, &c.failed);
  assert_int_equal(c.failed, 1 + PVMW_STREAM_HANDSHAKE);
  assert_false(c.established);
  assert_true(c.why[0] != '\0');
  assert_string_equal(c.why, pvmw_stream_reason(&c.s));
  /* The server hears the alert: never an established link. */
  run_until(&loop, &s.failed);
  assert_false(s.established);
  close_pair(&loop, &c, &s, cctx, sctx);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_data_close),
      cmocka_unit_test(test_handshake_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
