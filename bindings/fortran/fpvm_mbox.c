/* libfpvm3, the mailbox (pvmfputinfo, pvmfrecvinfo, pvmfdelinfo,
 * pvmfgetmboxinfo) and message handlers (pvmfaddmhf, pvmfdelmhf). */
#include <stdlib.h>
#include <string.h>

#include "fpvm.h"
#include "pvm3.h"

FPVM_PUBLIC void pvmfputinfo_(char *name, int *bufid, int *flags, int *index,
                              fpvm_len lname) {
  char *c = fpvm_f2c(name, lname);

  *index = c != NULL ? pvm_putinfo(c, *bufid, *flags) : PvmNoMem;
  free(c);
}

FPVM_PUBLIC void pvmfrecvinfo_(char *name, int *index, int *flags, int *bufid,
                               fpvm_len lname) {
  char *c = fpvm_f2c(name, lname);

  *bufid = c != NULL ? pvm_recvinfo(c, *index, *flags) : PvmNoMem;
  free(c);
}

FPVM_PUBLIC void pvmfdelinfo_(char *name, int *index, int *flags, int *info,
                              fpvm_len lname) {
  char *c = fpvm_f2c(name, lname);

  *info = c != NULL ? pvm_delinfo(c, *index, *flags) : PvmNoMem;
  free(c);
}

/* pvmfgetmboxinfo reports one entry per call, class by class, from a
 * snapshot taken at the first call; past the last entry info is
 * PvmNotFound and the next call starts over. info = -1 on entry resets, as
 * the man page says, and so does nclasses = -1, PVM 3.4.6's own reset. */
struct mbox_entry {
  char *name;
  int nentries, index, owner, flags;
};

static struct {
  struct mbox_entry *v; /* names owned here */
  int n, nclasses, next, live;
} mbox_cycle;

static void mbox_cycle_reset(void) {
  for (int i = 0; i < mbox_cycle.n; i++)
    free(mbox_cycle.v[i].name);
  free(mbox_cycle.v);
  memset(&mbox_cycle, 0, sizeof mbox_cycle);
}

static int mbox_cycle_start(const char *pattern) {
  struct pvmmboxinfo *cl;
  int ncl = 0, total = 0, cc;

  mbox_cycle_reset();
  cc = pvm_getmboxinfo((char *)pattern, &ncl, &cl);
  if (cc < 0)
    return cc;
  for (int i = 0; i < ncl; i++)
    total += cl[i].mi_nentries;
  mbox_cycle.v = calloc(total > 0 ? (size_t)total : 1, sizeof *mbox_cycle.v);
  if (mbox_cycle.v == NULL)
    return PvmNoMem;
  for (int i = 0; i < ncl; i++) {
    for (int j = 0; j < cl[i].mi_nentries; j++) {
      struct mbox_entry *e = &mbox_cycle.v[mbox_cycle.n++];
      e->name = strdup(cl[i].mi_name ? cl[i].mi_name : "");
      e->nentries = cl[i].mi_nentries;
      e->index = cl[i].mi_indices[j];
      e->owner = cl[i].mi_owners[j];
      e->flags = cl[i].mi_flags[j];
      if (e->name == NULL) {
        mbox_cycle_reset();
        return PvmNoMem;
      }
    }
  }
  mbox_cycle.nclasses = ncl;
  mbox_cycle.live = 1;
  return 0;
}

FPVM_PUBLIC void pvmfgetmboxinfo_(char *pattern, char *name, int *nclasses,
                                  int *nentries, int *index, int *owner,
                                  int *flags, int *info, fpvm_len lpattern,
                                  fpvm_len lname) {
  struct mbox_entry *e;

  if (*info == -1 || *nclasses == -1)
    mbox_cycle_reset();
  if (!mbox_cycle.live) {
    char *c = fpvm_f2c(pattern, lpattern);
    int cc = c != NULL ? mbox_cycle_start(c) : PvmNoMem;
    free(c);
    if (cc < 0) {
      *info = cc;
      return;
    }
  }
  *nclasses = mbox_cycle.nclasses;
  if (mbox_cycle.next >= mbox_cycle.n) {
    mbox_cycle_reset();
    *info = PvmNotFound;
    return;
  }
  e = &mbox_cycle.v[mbox_cycle.next++];
  fpvm_c2f(e->name, name, lname);
  *nentries = e->nentries;
  *index = e->index;
  *owner = e->owner;
  *flags = e->flags;
  *info = 0;
}

/* Message handlers. A Fortran handler is INTEGER FUNCTION F(MID), MID by
 * reference, so each gets a table slot; one C handler finds the slot whose
 * (src, tag, ctx) matches the message (-1 matches anything). */
typedef int (*fhandler)(int *mid);

#define MAX_FHANDLERS 64

static struct {
  int src, tag, ctx, mhid;
  fhandler func;
} handlers[MAX_FHANDLERS];
static int nhandlers;

static int dispatch(int mid) {
  struct pvmminfo mi;

  memset(&mi, 0, sizeof mi);
  if (pvm_getminfo(mid, &mi) < 0)
    return 0;
  for (int i = 0; i < nhandlers; i++) {
    if ((handlers[i].src == -1 || handlers[i].src == mi.src) &&
        (handlers[i].tag == -1 || handlers[i].tag == mi.tag) &&
        (handlers[i].ctx == -1 || handlers[i].ctx == mi.ctx))
      return handlers[i].func(&mid);
  }
  return 0;
}

FPVM_PUBLIC void pvmfaddmhf_(int *src, int *tag, int *ctx, fhandler func,
                             int *mhid) {
  if (nhandlers == MAX_FHANDLERS) {
    *mhid = PvmOutOfRes;
    return;
  }
  *mhid = pvm_addmhf(*src, *tag, *ctx, dispatch);
  if (*mhid < 0)
    return;
  handlers[nhandlers].src = *src;
  handlers[nhandlers].tag = *tag;
  handlers[nhandlers].ctx = *ctx;
  handlers[nhandlers].mhid = *mhid;
  handlers[nhandlers].func = func;
  nhandlers++;
}

FPVM_PUBLIC void pvmfdelmhf_(int *mhid, int *info) {
  *info = pvm_delmhf(*mhid);
  if (*info < 0)
    return;
  for (int i = 0; i < nhandlers; i++) {
    if (handlers[i].mhid == *mhid) {
      handlers[i] = handlers[--nhandlers];
      break;
    }
  }
}
