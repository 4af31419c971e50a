/* The TLS stream over libuv (stream.h): the engine in the middle, the
 * transport below, the owner's buffer and callbacks above. The stream
 * never frees itself nor closes its transport: the owner does, and frees
 * in the transport's close callback, so that a callback that closes the
 * stream leaves it valid until the call that made it returns. */
#include "stream.h"

int pvmw_stream_init(pvmw_stream *s, const struct pvmw_tls_api *api,
                     pvmw_tls_ctx *ctx, const char *expect_name,
                     uv_stream_t *io, const struct pvmw_stream_cb *cb,
                     void *data) {
  *s = (pvmw_stream){0};
  s->api = api;
  s->io = io;
  s->cb = cb;
  s->data = data;
  s->tls = api->tls_new(ctx, expect_name);
  return s->tls ? 0 : -1;
}

void pvmw_stream_release(pvmw_stream *s) {
  if (s->tls)
    s->api->tls_free(s->tls);
  s->tls = NULL;
  s->stopped = 1;
}

/* Stops s and tells the owner why; the owner may close it from there. */
static void stream_fail(pvmw_stream *s, int what, const char *why) {
  s->stopped = 1;
  s->cb->on_fail(s, what, why);
}

void pvmw_stream_alloc(pvmw_stream *s, size_t room, uv_buf_t *buf) {
  char *base = NULL;
  size_t len = 0;
  if (s->tls)
    s->api->in_space_n(s->tls, room, &base, &len);
  *buf = uv_buf_init(base, (unsigned)len);
}

void pvmw_stream_input(pvmw_stream *s, size_t n) {
  if (s->stopped)
    return;
  if (s->api->in_commit(s->tls, n) != 0) {
    stream_fail(s, PVMW_STREAM_TLS, s->api->reason(s->tls));
    return;
  }
  pvmw_stream_pump(s);
}

void pvmw_stream_pump(pvmw_stream *s) {
  const struct pvmw_tls_api *api = s->api;
  int rc;

  if (s->stopped)
    return;
  if (!s->established) {
    rc = api->handshake(s->tls);
    /* Out first: on a failure these bytes are the alert that says why. */
    pvmw_stream_flush(s);
    if (s->stopped)
      return;
    if (rc < 0) {
      stream_fail(s, PVMW_STREAM_HANDSHAKE, api->reason(s->tls));
      return;
    }
    if (rc == 0)
      return;
    s->established = 1;
    if (s->cb->on_established && s->cb->on_established(s) != 0)
      return;
  }
  while (!s->stopped) {
    /* Decrypted straight into the owner's space (a large frame's own
     * allocation), so that no plaintext is copied on the way. */
    char *base;
    size_t space;
    s->cb->space(s, &base, &space);
    rc = api->read(s->tls, base, space);
    /* Reading can queue ciphertext too (a key update's answer). */
    pvmw_stream_flush(s);
    if (s->stopped || rc == 0)
      return;
    if (rc == PVMW_TLS_CLOSED) {
      stream_fail(s, PVMW_STREAM_CLOSED, "");
      return;
    }
    if (rc < 0) {
      stream_fail(s, PVMW_STREAM_TLS, api->reason(s->tls));
      return;
    }
    if (s->cb->deliver(s, (size_t)rc) != 0)
      return;
  }
}

int pvmw_stream_write(pvmw_stream *s, const void *p, size_t n) {
  if (s->tls == NULL)
    return -1;
  return s->api->write(s->tls, p, n) == 0 ? 0 : -1;
}

static void stream_flush(pvmw_stream *s, size_t sent);

static void on_written(uv_write_t *req, int status) {
  pvmw_stream *s = req->data;
  size_t n = s->wlen;
  s->wlen = 0;
  if (s->stopped)
    return;
  if (status < 0) {
    stream_fail(s, PVMW_STREAM_WRITE, uv_strerror(status));
    return;
  }
  s->api->consumed(s->tls, n);
  stream_flush(s, n);
}

/* pvmw_stream_flush, with `sent` bytes already counted for on_flushed. */
static void stream_flush(pvmw_stream *s, size_t sent) {
  const struct pvmw_tls_api *api = s->api;
  const uint8_t *data;
  size_t n = 0;
  uv_buf_t b;
  int rc;

  if (s->stopped)
    return;
  if (s->wlen == 0) {
    /* Straight into the socket while it takes bytes; a write request only
     * for what it does not take now. */
    while ((n = api->outgoing(s->tls, &data)) > 0) {
      b = uv_buf_init((char *)data, (unsigned)n);
      rc = uv_try_write(s->io, &b, 1);
      if (rc == UV_EAGAIN || rc == 0)
        break;
      if (rc < 0) {
        stream_fail(s, PVMW_STREAM_WRITE, uv_strerror(rc));
        return;
      }
      sent += (size_t)rc;
      api->consumed(s->tls, (size_t)rc);
    }
    if (n > 0) {
      n = api->outgoing(s->tls, &data);
      b = uv_buf_init((char *)data, (unsigned)n);
      s->wlen = n;
      s->wreq.data = s;
      rc = uv_write(&s->wreq, s->io, &b, 1, on_written);
      if (rc != 0) {
        s->wlen = 0;
        stream_fail(s, PVMW_STREAM_WRITE, uv_strerror(rc));
        return;
      }
    }
  }
  if (s->cb->on_flushed)
    s->cb->on_flushed(s, sent);
}

void pvmw_stream_flush(pvmw_stream *s) { stream_flush(s, 0); }

void pvmw_stream_close(pvmw_stream *s, int notify) {
  const uint8_t *data;
  size_t n;
  if (s->tls != NULL && s->wlen == 0) {
    if (notify)
      s->api->shutdown(s->tls);
    n = s->api->outgoing(s->tls, &data);
    if (n > 0) {
      uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
      (void)uv_try_write(s->io, &b, 1);
    }
  }
  s->stopped = 1;
}

void pvmw_stream_stop(pvmw_stream *s) { s->stopped = 1; }

size_t pvmw_stream_pending(const pvmw_stream *s) {
  return s->tls ? s->api->pending(s->tls) : 0;
}

const char *pvmw_stream_reason(const pvmw_stream *s) {
  return s->tls ? s->api->reason(s->tls) : "";
}
