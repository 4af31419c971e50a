/* libfpvm3, messages: buffers, pvmfpack/pvmfunpack with every type selector
 * of fpvm3.h, sending and receiving, pvmfpsend/pvmfprecv, message headers
 * and messages packed inside messages. STRING items travel as C strings
 * (pvm_pkstr), so a C task reads them with pvm_upkstr and the other way
 * round: trailing blanks are dropped on the way out and the receiving
 * variable is blank-padded on the way in. */
#include <stdlib.h>
#include <string.h>

#include "fpvm.h"
#include "pvm3.h"

/* fpvm3.h's type selectors. Apart from STRING they have the values of the
 * C element types (BYTE1 = PVM_BYTE ... COMPLEX16 = PVM_DCPLX, INTEGER8 =
 * PVM_LONG), which pvmfpsend and the group calls rely on. */
enum {
  F_STRING = 0,
  F_BYTE1,
  F_INTEGER2,
  F_INTEGER4,
  F_REAL4,
  F_COMPLEX8,
  F_REAL8,
  F_COMPLEX16,
  F_INTEGER8
};

_Static_assert(sizeof(long) == 8, "INTEGER8 is packed as a C long");
_Static_assert(sizeof(short) == 2 && sizeof(int) == 4, "INTEGER2/INTEGER4");

FPVM_PUBLIC void pvmfinitsend_(int *encoding, int *bufid) {
  *bufid = pvm_initsend(*encoding);
}

FPVM_PUBLIC void pvmfmkbuf_(int *encoding, int *bufid) {
  *bufid = pvm_mkbuf(*encoding);
}

FPVM_PUBLIC void pvmffreebuf_(int *bufid, int *info) {
  *info = pvm_freebuf(*bufid);
}

FPVM_PUBLIC void pvmfgetsbuf_(int *bufid) { *bufid = pvm_getsbuf(); }

FPVM_PUBLIC void pvmfgetrbuf_(int *bufid) { *bufid = pvm_getrbuf(); }

FPVM_PUBLIC void pvmfsetsbuf_(int *bufid, int *oldbuf) {
  *oldbuf = pvm_setsbuf(*bufid);
}

FPVM_PUBLIC void pvmfsetrbuf_(int *bufid, int *oldbuf) {
  *oldbuf = pvm_setrbuf(*bufid);
}

FPVM_PUBLIC void pvmfbufinfo_(int *bufid, int *bytes, int *msgtag, int *tid,
                              int *info) {
  *info = pvm_bufinfo(*bufid, bytes, msgtag, tid);
}

/* Packs nitem characters of xp as one C string. The hidden length of xp
 * bounds nitem: the selector says xp is CHARACTER. */
static int pack_string(const char *xp, int nitem, fpvm_len lxp) {
  size_t n = nitem < 0 ? 0 : (size_t)nitem;
  char *c;
  int cc;

  if (nitem < 0)
    return PvmBadParam;
  if (n > lxp)
    n = lxp;
  c = fpvm_f2c(xp, n);
  if (c == NULL)
    return PvmNoMem;
  cc = pvm_pkstr(c);
  free(c);
  return cc;
}

/* Unpacks one C string into the first nitem characters of xp, blank-padded
 * or truncated. A string can be no longer than the message body, which
 * bounds the scratch buffer. */
static int unpack_string(char *xp, int nitem, fpvm_len lxp) {
  size_t n = nitem < 0 ? 0 : (size_t)nitem;
  int bytes = 0, tag, tid, cc;
  char *c;

  if (nitem < 0)
    return PvmBadParam;
  cc = pvm_bufinfo(pvm_getrbuf(), &bytes, &tag, &tid);
  if (cc < 0)
    return cc;
  c = malloc((size_t)bytes + 1);
  if (c == NULL)
    return PvmNoMem;
  c[0] = '\0';
  cc = pvm_upkstr(c);
  if (cc >= 0)
    fpvm_c2f(c, xp, n < lxp ? n : lxp);
  free(c);
  return cc;
}

/* The sixth argument exists only when xp is CHARACTER (STRING, or BYTE1
 * given a CHARACTER variable); it is read for STRING only. */
FPVM_PUBLIC void pvmfpack_(int *what, void *xp, int *nitem, int *stride,
                           int *info, fpvm_len lxp) {
  int n = *nitem, s = *stride;

  switch (*what) {
  case F_STRING:
    *info = pack_string(xp, n, lxp);
    break;
  case F_BYTE1:
    *info = pvm_pkbyte(xp, n, s);
    break;
  case F_INTEGER2:
    *info = pvm_pkshort(xp, n, s);
    break;
  case F_INTEGER4:
    *info = pvm_pkint(xp, n, s);
    break;
  case F_REAL4:
    *info = pvm_pkfloat(xp, n, s);
    break;
  case F_COMPLEX8:
    *info = pvm_pkcplx(xp, n, s);
    break;
  case F_REAL8:
    *info = pvm_pkdouble(xp, n, s);
    break;
  case F_COMPLEX16:
    *info = pvm_pkdcplx(xp, n, s);
    break;
  case F_INTEGER8:
    *info = pvm_pklong(xp, n, s);
    break;
  default:
    *info = PvmBadParam;
    break;
  }
}

FPVM_PUBLIC void pvmfunpack_(int *what, void *xp, int *nitem, int *stride,
                             int *info, fpvm_len lxp) {
  int n = *nitem, s = *stride;

  switch (*what) {
  case F_STRING:
    *info = unpack_string(xp, n, lxp);
    break;
  case F_BYTE1:
    *info = pvm_upkbyte(xp, n, s);
    break;
  case F_INTEGER2:
    *info = pvm_upkshort(xp, n, s);
    break;
  case F_INTEGER4:
    *info = pvm_upkint(xp, n, s);
    break;
  case F_REAL4:
    *info = pvm_upkfloat(xp, n, s);
    break;
  case F_COMPLEX8:
    *info = pvm_upkcplx(xp, n, s);
    break;
  case F_REAL8:
    *info = pvm_upkdouble(xp, n, s);
    break;
  case F_COMPLEX16:
    *info = pvm_upkdcplx(xp, n, s);
    break;
  case F_INTEGER8:
    *info = pvm_upklong(xp, n, s);
    break;
  default:
    *info = PvmBadParam;
    break;
  }
}

FPVM_PUBLIC void pvmfsend_(int *tid, int *msgtag, int *info) {
  *info = pvm_send(*tid, *msgtag);
}

FPVM_PUBLIC void pvmfmcast_(int *ntask, int *tids, int *msgtag, int *info) {
  *info = pvm_mcast(tids, *ntask, *msgtag);
}

FPVM_PUBLIC void pvmfrecv_(int *tid, int *msgtag, int *bufid) {
  *bufid = pvm_recv(*tid, *msgtag);
}

FPVM_PUBLIC void pvmfnrecv_(int *tid, int *msgtag, int *bufid) {
  *bufid = pvm_nrecv(*tid, *msgtag);
}

FPVM_PUBLIC void pvmfprobe_(int *tid, int *msgtag, int *bufid) {
  *bufid = pvm_probe(*tid, *msgtag);
}

/* A negative sec waits without a time limit. */
FPVM_PUBLIC void pvmftrecv_(int *tid, int *msgtag, int *sec, int *usec,
                            int *bufid) {
  struct timeval tv = {*sec, *usec};

  *bufid = pvm_trecv(*tid, *msgtag, *sec < 0 ? NULL : &tv);
}

/* psend/precv: STRING means characters, one byte each. */
static int psend_type(int what) { return what == F_STRING ? PVM_BYTE : what; }

FPVM_PUBLIC void pvmfpsend_(int *tid, int *msgtag, void *buf, int *len,
                            int *datatype, int *info) {
  *info = pvm_psend(*tid, *msgtag, buf, *len, psend_type(*datatype));
}

FPVM_PUBLIC void pvmfprecv_(int *tid, int *msgtag, void *buf, int *len,
                            int *datatype, int *atid, int *atag, int *alen,
                            int *info) {
  *info = pvm_precv(*tid, *msgtag, buf, *len, psend_type(*datatype), atid, atag,
                    alen);
}

FPVM_PUBLIC void pvmfgetminfo_(int *bufid, int *len, int *ctx, int *tag,
                               int *wid, int *enc, int *crc, int *src, int *dst,
                               int *info) {
  struct pvmminfo mi;

  memset(&mi, 0, sizeof mi);
  *info = pvm_getminfo(*bufid, &mi);
  if (*info < 0)
    return;
  *len = mi.len;
  *ctx = mi.ctx;
  *tag = mi.tag;
  *wid = mi.wid;
  *enc = mi.enc;
  *crc = mi.crc;
  *src = mi.src;
  *dst = mi.dst;
}

/* Sets the fields pvmfsetminfo names and keeps the others. */
FPVM_PUBLIC void pvmfsetminfo_(int *bufid, int *ctx, int *tag, int *wid,
                               int *src, int *dst, int *info) {
  struct pvmminfo mi;

  memset(&mi, 0, sizeof mi);
  *info = pvm_getminfo(*bufid, &mi);
  if (*info < 0)
    return;
  mi.ctx = *ctx;
  mi.tag = *tag;
  mi.wid = *wid;
  mi.src = *src;
  mi.dst = *dst;
  *info = pvm_setminfo(*bufid, &mi);
}

FPVM_PUBLIC void pvmfpkmesg_(int *bufid, int *info) {
  *info = pvm_pkmesg(*bufid);
}

FPVM_PUBLIC void pvmfpkmesgbody_(int *bufid, int *info) {
  *info = pvm_pkmesgbody(*bufid);
}

/* Unpacks a message from the active receive buffer into a new buffer, as
 * pvm_upkmesg does; bufid is accepted for the man page's argument list. */
FPVM_PUBLIC void pvmfupkmesg_(int *bufid, int *newbufid) {
  (void)bufid;
  *newbufid = pvm_upkmesg();
}
