/* Small calls of the PVM 3.4 API that need no daemon support: PVM 3.3's
 * wait ids and the like. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "buffer.h"
#include "lpvm.h"
#include "pvm3.h"
#include "tid.h"

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
