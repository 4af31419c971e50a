/* Calls of the PVM 3.4 API that this release does not provide: stubs only,
 * nothing here works. Each links, and at run time reports PvmNotImpl
 * (printed under PvmAutoErr) with a line saying what is missing, so a
 * program learns it at the first call instead of misbehaving later. Today
 * that is the tracer registration alone. */
#include "lpvm.h"
#include "pvm3.h"

#define NOT_YET "not available in this release of PVM-NG yet"

int pvm_reg_tracer(int tctx, int ttag, int octx, int otag, char *tmask,
                   int tbuf, int topt) {
  (void)tctx, (void)ttag, (void)octx, (void)otag, (void)tmask, (void)tbuf;
  (void)topt;
  return lpvm_err_hint("pvm_reg_tracer", PvmNotImpl, NOT_YET);
}
