/* Join credentials: generation, the one-line text form passed on the
 * remote shell's stdin, and the master's check of what a joiner presents.
 * Whether a credential was already used is the master's state, not here. */
#include "join.h"

#include "osslerr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

void pvmw_hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

static int unhex(const char *s, size_t slen, uint8_t *out, size_t n) {
  if (slen != 2 * n)
    return -1;
  for (size_t i = 0; i < 2 * n; i++) {
    char c = s[i];
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      return -1;
    if (i % 2 == 0)
      out[i / 2] = (uint8_t)(v << 4);
    else
      out[i / 2] |= (uint8_t)v;
  }
  return 0;
}

int pvmw_join_cred_new(pvmw_join_cred *c, const char *host, const char *master,
                       const uint8_t ca_sha256[32], long expires, char *err,
                       size_t errlen) {
  memset(c, 0, sizeof *c);
  if (!pvmw_pki_name_ok(host) || !pvmw_pki_name_ok(master)) {
    set_err(err, errlen, "\"%s\" / \"%s\" are not usable host names",
            host ? host : "", master ? master : "");
    return -1;
  }
  if (RAND_bytes(c->secret, sizeof c->secret) != 1) {
    set_err(err, errlen, "no random bytes for a join credential: %s",
            ossl_reason());
    return -1;
  }
  snprintf(c->host, sizeof c->host, "%s", host);
  snprintf(c->master, sizeof c->master, "%s", master);
  memcpy(c->ca_sha256, ca_sha256, sizeof c->ca_sha256);
  c->expires = expires;
  return 0;
}

int pvmw_join_cred_encode(const pvmw_join_cred *c, char *out, size_t len) {
  char fp[65], sec[65];
  int n;
  pvmw_hex(c->ca_sha256, sizeof c->ca_sha256, fp);
  pvmw_hex(c->secret, sizeof c->secret, sec);
  n = snprintf(out, len,
               PVMW_JOIN_TAG " host=%s master=%s ca-sha256=%s secret=%s "
                             "expires=%ld\n",
               c->host, c->master, fp, sec, c->expires);
  OPENSSL_cleanse(sec, sizeof sec);
  if (n < 0 || (size_t)n >= len)
    return -1;
  return n;
}

int pvmw_join_cred_parse(const char *line, pvmw_join_cred *c, char *err,
                         size_t errlen) {
  enum { F_HOST = 1, F_MASTER = 2, F_FP = 4, F_SECRET = 8, F_EXP = 16 };
  const char *p = line, *tag = PVMW_JOIN_TAG;
  size_t taglen = strlen(tag), len = strnlen(line, PVMW_JOIN_LINE_MAX + 1);
  unsigned seen = 0;
  memset(c, 0, sizeof *c);
  if (len > PVMW_JOIN_LINE_MAX) {
    set_err(err, errlen, "join credential longer than %d bytes",
            PVMW_JOIN_LINE_MAX);
    return -1;
  }
  if (strncmp(p, tag, taglen) != 0 || (p[taglen] != ' ')) {
    set_err(err, errlen,
            "not a join credential (it must start with \"%s \"); is the "
            "master a PVM-NG pvmd of the same version?",
            tag);
    return -1;
  }
  p += taglen;
  while (*p == ' ')
    p++;
  while (*p != '\0' && *p != '\n' && *p != '\r') {
    const char *eq = strchr(p, '='), *end = p + strcspn(p, " \r\n");
    size_t klen, vlen;
    unsigned bit;
    if (eq == NULL || eq > end) {
      set_err(err, errlen, "join credential: field without '=' at \"%.20s\"",
              p);
      return -1;
    }
    klen = (size_t)(eq - p);
    vlen = (size_t)(end - eq - 1);
    const char *v = eq + 1;
    if (klen == 4 && strncmp(p, "host", 4) == 0) {
      bit = F_HOST;
      if (vlen == 0 || vlen > PVMW_PKI_NAME_MAX)
        goto bad;
      memcpy(c->host, v, vlen);
      if (!pvmw_pki_name_ok(c->host))
        goto bad;
    } else if (klen == 6 && strncmp(p, "master", 6) == 0) {
      bit = F_MASTER;
      if (vlen == 0 || vlen > PVMW_PKI_NAME_MAX)
        goto bad;
      memcpy(c->master, v, vlen);
      if (!pvmw_pki_name_ok(c->master))
        goto bad;
    } else if (klen == 9 && strncmp(p, "ca-sha256", 9) == 0) {
      bit = F_FP;
      if (unhex(v, vlen, c->ca_sha256, sizeof c->ca_sha256) != 0)
        goto bad;
    } else if (klen == 6 && strncmp(p, "secret", 6) == 0) {
      bit = F_SECRET;
      if (unhex(v, vlen, c->secret, sizeof c->secret) != 0)
        goto bad;
    } else if (klen == 7 && strncmp(p, "expires", 7) == 0) {
      char num[24], *e;
      bit = F_EXP;
      if (vlen == 0 || vlen >= sizeof num)
        goto bad;
      memcpy(num, v, vlen);
      num[vlen] = '\0';
      c->expires = strtol(num, &e, 10);
      if (*e != '\0' || c->expires <= 0)
        goto bad;
    } else {
      set_err(err, errlen, "join credential: unknown field \"%.*s\"",
              (int)(klen > 20 ? 20 : klen), p);
      return -1;
    }
    if (seen & bit) {
      set_err(err, errlen, "join credential: field \"%.*s\" twice", (int)klen,
              p);
      return -1;
    }
    seen |= bit;
    p = end;
    while (*p == ' ')
      p++;
    continue;
  bad:
    set_err(err, errlen, "join credential: bad value for \"%.*s\"", (int)klen,
            p);
    return -1;
  }
  if (seen != (F_HOST | F_MASTER | F_FP | F_SECRET | F_EXP)) {
    set_err(err, errlen,
            "join credential: missing field(s) (host, master, ca-sha256, "
            "secret and expires are required)");
    return -1;
  }
  return 0;
}

enum pvmw_join_check pvmw_join_cred_check(const pvmw_join_cred *c,
                                          const uint8_t *secret, size_t len,
                                          const char *host, long now) {
  if (secret == NULL || len != sizeof c->secret ||
      CRYPTO_memcmp(secret, c->secret, sizeof c->secret) != 0)
    return PVMW_JOIN_WRONG;
  if (now > c->expires)
    return PVMW_JOIN_EXPIRED;
  if (host == NULL || strcasecmp(host, c->host) != 0)
    return PVMW_JOIN_OTHER_HOST;
  return PVMW_JOIN_OK;
}
