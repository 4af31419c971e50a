/* Error text helpers shared by the wire code that talks to OpenSSL (tls.c,
 * pki.c): formatting a reason into a caller's buffer, and taking the most
 * specific reason from OpenSSL's error queue. Internal to wire/. */
#ifndef PVMW_OSSLERR_H
#define PVMW_OSSLERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/err.h>

static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* The most specific OpenSSL reason in the error queue, then clears it. */
static inline const char *ossl_reason(void) {
  unsigned long e = ERR_peek_last_error();
  const char *s = e ? ERR_reason_error_string(e) : NULL;
  ERR_clear_error();
  return s ? s : "unknown error";
}

#endif
