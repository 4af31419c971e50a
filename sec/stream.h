/* One TLS stream over a libuv stream: the pump that both the daemon's peer
 * links and the library's TLS direct links run. Ciphertext read from the
 * transport goes into the engine, plaintext comes out into the owner's
 * buffer (a frame reader's space), and what the engine has to send leaves
 * with uv_try_write, the rest with one uv_write at a time. The engine is
 * reached only through a table of functions (struct pvmw_tls_api), so the
 * library, which loads OpenSSL on first use, runs the same code as the
 * daemon, which links it. Single-threaded: one loop owns the stream. */
#ifndef PVMW_STREAM_H
#define PVMW_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls_api.h"

typedef struct pvmw_stream pvmw_stream;

/* What went wrong, for on_fail. */
enum pvmw_stream_fail {
  PVMW_STREAM_HANDSHAKE, /* the handshake failed; why: the engine's reason */
  PVMW_STREAM_TLS,       /* a record or the input failed after it; reason */
  PVMW_STREAM_CLOSED,    /* the peer's close_notify arrived; why: "" */
  PVMW_STREAM_WRITE      /* the transport refused a write; uv_strerror */
};

/* The owner's side. Called from inside the pvmw_stream_* calls; the owner
 * may stop or close the stream from any of them, but frees it (and its
 * transport) only in the transport's close callback, which libuv runs
 * after every write callback. */
struct pvmw_stream_cb {
  /* The handshake has just completed (called once). Return 0 to go on
   * reading, nonzero when the owner closed or stopped the stream. NULL:
   * go on. */
  int (*on_established)(pvmw_stream *s);
  /* Where the next plaintext goes: *base and *len (len > 0) of the
   * owner's buffer, typically pvmw_reader_space. */
  void (*space)(pvmw_stream *s, char **base, size_t *len);
  /* n plaintext bytes were written there. Return 0 to read on, nonzero to
   * stop this pump (the owner closed the stream, or wants to read no
   * more for now: it pumps again later). */
  int (*deliver)(pvmw_stream *s, size_t n);
  /* The stream failed (see enum pvmw_stream_fail); it is stopped already.
   * The outgoing bytes that carry an alert were flushed before. */
  void (*on_fail)(pvmw_stream *s, int what, const char *why);
  /* After every flush that was not stopped by a failure: sent is the
   * number of bytes the transport took since the last call (possibly 0).
   * For counters, memory accounting and waking producers (compare
   * pvmw_stream_pending with a low-water mark). NULL: nothing. */
  void (*on_flushed)(pvmw_stream *s, size_t sent);
};

/* Embedded in its owner, like a libuv handle; the fields are read-only
 * outside stream.c except data. */
struct pvmw_stream {
  const struct pvmw_tls_api *api; /* the engine's functions */
  pvmw_tls *tls;                  /* the connection (owned: freed by
                                     pvmw_stream_release), NULL after */
  uv_stream_t *io;                /* the transport (owned by the owner) */
  const struct pvmw_stream_cb *cb;
  void *data; /* the owner's */
  uv_write_t wreq;
  size_t wlen;     /* ciphertext bytes in the write in flight, 0: none */
  int established; /* the handshake has completed */
  int stopped;     /* failed or stopped: no more I/O, no more callbacks */
};

/* Makes the engine's connection from ctx (expect_name as pvmw_tls_new)
 * over the transport io, which the owner has initialised and keeps.
 * Returns 0, or -1 when out of memory (nothing to release then). */
int pvmw_stream_init(pvmw_stream *s, const struct pvmw_tls_api *api,
                     pvmw_tls_ctx *ctx, const char *expect_name,
                     uv_stream_t *io, const struct pvmw_stream_cb *cb,
                     void *data);

/* Frees the engine's connection (s->tls = NULL). Call once the transport
 * is closed (its close callback), or when it never opened. */
void pvmw_stream_release(pvmw_stream *s);

/* The transport's alloc callback: room for at least `room` bytes of
 * ciphertext in the engine (0 for the engine's default of 16 KiB), read
 * into without a copy. A zero-length buffer when out of memory (libuv then
 * reports UV_ENOBUFS to the read callback). */
void pvmw_stream_alloc(pvmw_stream *s, size_t room, uv_buf_t *buf);

/* The transport's read callback, for n > 0 bytes read into the buffer of
 * pvmw_stream_alloc: hands them to the engine and pumps. The owner deals
 * with n <= 0 itself (an end of stream without close_notify is a
 * truncation, its call). */
void pvmw_stream_input(pvmw_stream *s, size_t n);

/* Runs the handshake until it is done (the client calls it once to send
 * its first flight), then decrypts what has arrived into the owner's space
 * until the engine needs more input, deliver says stop, or the stream
 * stops. Flushes after every step. Also call it after reading resumed, for
 * records decrypted no further while the owner was not reading. */
void pvmw_stream_pump(pvmw_stream *s);

/* Encrypts n bytes into the engine's outgoing queue (only once
 * established), without sending: call pvmw_stream_flush after one or more.
 * Returns 0, or -1 with the engine's reason in pvmw_stream_reason (the
 * owner decides what a failed write means; on_fail is not called). */
int pvmw_stream_write(pvmw_stream *s, const void *p, size_t n);

/* Sends what the engine holds: straight into the socket while it takes
 * bytes, then one uv_write for the rest (the bytes stay in the engine
 * until written). Never blocks. A failed write calls on_fail
 * (PVMW_STREAM_WRITE). A blocking flush is this and then running the loop
 * until pvmw_stream_pending is 0 or the stream stopped. */
void pvmw_stream_flush(pvmw_stream *s);

/* Queues a close_notify (best effort) when `notify`, then tries once,
 * without waiting, to send what the engine holds (an alert, a last frame)
 * unless a write is in flight; then stops the stream. For the moment
 * before uv_close. */
void pvmw_stream_close(pvmw_stream *s, int notify);

/* Stops the stream: no more I/O through it, no more callbacks (a write in
 * flight completes into nothing). */
void pvmw_stream_stop(pvmw_stream *s);

/* Ciphertext not yet taken by the transport (0 once released). */
size_t pvmw_stream_pending(const pvmw_stream *s);

/* The engine's reason for its last failure ("" when none). */
const char *pvmw_stream_reason(const pvmw_stream *s);

#endif
