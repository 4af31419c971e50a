/* Calls of the PVM 3.4 API that this release does not provide yet: the
 * tracer registration. It links, and at run time reports PvmNotImpl
 * (printed under PvmAutoErr) with a line saying what is missing, so a
 * program learns it at the first call instead of misbehaving later. Small
 * helpers that need no daemon support are implemented here as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"
#include "tid.h"

#define NOT_YET "not available in this release of PVM-NG yet"

int pvm_reg_tracer(int tctx, int ttag, int octx, int otag, char *tmask,
                   int tbuf, int topt) {
  (void)tctx, (void)ttag, (void)octx, (void)otag, (void)tmask, (void)tbuf;
  (void)topt;
  return lpvm_err_hint("pvm_reg_tracer", PvmNotImpl, NOT_YET);
}

/* Wait ids of PVM 3.3, kept in the buffer's header (declared in pvm3.h
 * under PVM33COMPAT only, exported always). */
LPVM_PUBLIC int pvm_getmwid(int bufid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return lpvm_err("pvm_getmwid", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  return b->wid;
}

LPVM_PUBLIC int pvm_setmwid(int bufid, int waitid) {
  struct lpvm_buf *b = lpvm_buf_get(bufid);
  if (b == NULL)
    return lpvm_err("pvm_setmwid", bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  b->wid = waitid;
  return 0;
}
