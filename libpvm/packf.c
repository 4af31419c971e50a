/* pvm_packf and pvm_unpackf: printf-like packing, and their va_list forms
 * pvm_vpackf and pvm_vunpackf (exported by PVM 3.4.6 without a declaration
 * in pvm3.h; programs declare them themselves). A format is a sequence of
 * conversions %[count][.stride][h|l|u...]{c,d,f,x,s}, optionally opened by
 * %+ (pvm_initsend with the encoding taken from the arguments). Each
 * conversion is one pvm_pk* / pvm_upk* call; characters between
 * conversions are ignored. */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"

/* One parsed conversion. */
struct conv {
  int has_count, count; /* count given (digits or '*'), else 1 */
  int has_stride, stride;
  int h, l, u; /* modifier counts */
  char letter;
};

/* Reads [0-9]+ or '*' at *pp. Returns 1 if a number was read, 0 if there
 * was none, PvmBadParam if it does not fit an int. */
static int parse_num(const char **pp, va_list *ap, int *out) {
  const char *p = *pp;
  long v = 0;

  if (*p == '*') {
    *out = va_arg(*ap, int);
    *pp = p + 1;
    return 1;
  }
  if (!isdigit((unsigned char)*p))
    return 0;
  while (isdigit((unsigned char)*p)) {
    v = v * 10 + (*p++ - '0');
    if (v > INT_MAX)
      return PvmBadParam;
  }
  *out = (int)v;
  *pp = p;
  return 1;
}

/* Parses the conversion after a '%'. Returns 0 or PvmBadParam. */
static int parse_conv(const char **pp, va_list *ap, struct conv *cv) {
  int rc;

  cv->count = 1;
  cv->stride = 1;
  cv->h = cv->l = cv->u = 0;
  if ((rc = parse_num(pp, ap, &cv->count)) < 0)
    return rc;
  cv->has_count = rc;
  cv->has_stride = 0;
  if (**pp == '.') {
    (*pp)++;
    if ((rc = parse_num(pp, ap, &cv->stride)) <= 0)
      return PvmBadParam;
    cv->has_stride = 1;
  }
  for (;; (*pp)++) {
    if (**pp == 'h')
      cv->h++;
    else if (**pp == 'l')
      cv->l++;
    else if (**pp == 'u')
      cv->u++;
    else
      break;
  }
  cv->letter = **pp;
  if (cv->letter)
    (*pp)++;
  if (cv->h > 1 || cv->l > 1 || cv->u > 1 || (cv->h && cv->l))
    return PvmBadParam;
  switch (cv->letter) {
  case 'c':
    return cv->h || cv->l ? PvmBadParam : 0;
  case 'd':
    return 0;
  case 'f':
  case 'x':
    return cv->h || cv->u ? PvmBadParam : 0;
  case 's':
    /* A string is one item: pvm_pkstr / pvm_upkstr. */
    return cv->h || cv->l || cv->u || cv->has_count || cv->has_stride
               ? PvmBadParam
               : 0;
  default:
    return PvmBadParam;
  }
}

/* The element type of a numeric conversion. */
static enum lpvm_ptype conv_type(const struct conv *cv) {
  switch (cv->letter) {
  case 'c':
    return LPVM_T_BYTE;
  case 'f':
    return cv->l ? LPVM_T_DOUBLE : LPVM_T_FLOAT;
  case 'x':
    return cv->l ? LPVM_T_DCPLX : LPVM_T_CPLX;
  default: /* 'd' */
    if (cv->h)
      return cv->u ? LPVM_T_USHORT : LPVM_T_SHORT;
    if (cv->l)
      return cv->u ? LPVM_T_ULONG : LPVM_T_LONG;
    return cv->u ? LPVM_T_UINT : LPVM_T_INT;
  }
}

/* Packs one value passed by value (after the C default promotions). It is
 * copied whatever the encoding: it lives only as long as this call. */
static int pack_value(const struct conv *cv, va_list *ap) {
  enum lpvm_ptype t = conv_type(cv);

  switch (t) {
  case LPVM_T_BYTE: {
    char v = (char)va_arg(*ap, int);
    return lpvm_pack_copy(t, &v, 1, 1);
  }
  case LPVM_T_SHORT:
  case LPVM_T_USHORT: {
    short v = (short)va_arg(*ap, int);
    return lpvm_pack_copy(t, &v, 1, 1);
  }
  case LPVM_T_LONG: {
    long v = va_arg(*ap, long);
    return lpvm_pack_copy(t, &v, 1, 1);
  }
  case LPVM_T_ULONG: {
    unsigned long v = va_arg(*ap, unsigned long);
    return lpvm_pack_copy(t, &v, 1, 1);
  }
  case LPVM_T_FLOAT: {
    float v = (float)va_arg(*ap, double);
    return lpvm_pack_copy(t, &v, 1, 1);
  }
  case LPVM_T_DOUBLE: {
    double v = va_arg(*ap, double);
    return lpvm_pack_copy(t, &v, 1, 1);
  }
  case LPVM_T_CPLX: { /* two doubles: real, imaginary */
    float v[2];
    v[0] = (float)va_arg(*ap, double);
    v[1] = (float)va_arg(*ap, double);
    return lpvm_pack_copy(t, v, 1, 1);
  }
  case LPVM_T_DCPLX: {
    double v[2];
    v[0] = va_arg(*ap, double);
    v[1] = va_arg(*ap, double);
    return lpvm_pack_copy(t, v, 1, 1);
  }
  default: { /* int, unsigned */
    int v = cv->u ? (int)va_arg(*ap, unsigned) : va_arg(*ap, int);
    return lpvm_pack_copy(LPVM_T_INT, &v, 1, 1);
  }
  }
}

/* Runs the whole format; stops at the first failing conversion. *reported
 * is set when the failing call has already reported its error. */
static int run(const char *fmt, va_list *ap, int unpack, int *reported) {
  const char *p = fmt;
  int first = 1;
  int rc;

  if (!fmt)
    return PvmBadParam;
  while (*p) {
    struct conv cv;
    if (*p++ != '%')
      continue;
    if (*p == '+') {
      /* %+ opens the format: pvm_initsend(how). pvm_unpackf accepts it
       * so that one format serves both directions, and ignores `how`. */
      int how = va_arg(*ap, int);
      p++;
      if (!first)
        return PvmBadParam;
      first = 0;
      if (!unpack && (rc = pvm_initsend(how)) < 0) {
        *reported = 1;
        return rc;
      }
      continue;
    }
    first = 0;
    if ((rc = parse_conv(&p, ap, &cv)) < 0)
      return rc;
    if (cv.letter == 's') {
      char *s = va_arg(*ap, char *);
      rc = unpack ? lpvm_unpack_str(s) : lpvm_pack_str(s);
    } else if (unpack) {
      rc =
          lpvm_unpack(conv_type(&cv), va_arg(*ap, void *), cv.count, cv.stride);
    } else if (cv.has_count || cv.has_stride) {
      rc = lpvm_pack(conv_type(&cv), va_arg(*ap, void *), cv.count, cv.stride);
    } else {
      rc = pack_value(&cv, ap);
    }
    if (rc < 0)
      return rc;
  }
  return PvmOk;
}

int pvm_packf(const char *fmt, ...) {
  va_list ap;
  int reported = 0;
  int rc;

  va_start(ap, fmt);
  rc = run(fmt, &ap, 0, &reported);
  va_end(ap);
  return rc < 0 && !reported ? lpvm_err("pvm_packf", rc) : rc;
}

int pvm_unpackf(const char *fmt, ...) {
  va_list ap;
  int reported = 0;
  int rc;

  va_start(ap, fmt);
  rc = run(fmt, &ap, 1, &reported);
  va_end(ap);
  return rc < 0 && !reported ? lpvm_err("pvm_unpackf", rc) : rc;
}

/* The va_list forms: `ap` is copied, so the caller's list stays where it
 * was (as with vprintf, the caller must not use it afterwards anyway). */
static int vrun(const char *fn, const char *fmt, va_list ap, int unpack) {
  va_list cp;
  int reported = 0;
  int rc;

  va_copy(cp, ap);
  rc = run(fmt, &cp, unpack, &reported);
  va_end(cp);
  return rc < 0 && !reported ? lpvm_err(fn, rc) : rc;
}

int pvm_vpackf(const char *fmt, va_list ap) {
  return vrun("pvm_vpackf", fmt, ap, 0);
}

int pvm_vunpackf(const char *fmt, va_list ap) {
  return vrun("pvm_vunpackf", fmt, ap, 1);
}
