/* libfpvm3, dynamic groups and collectives: the pvmf* forms of libgpvm3's
 * calls (libfpvm3 links libgpvm3, as under PVM 3.4). Whatever libgpvm3
 * returns, PvmNotImpl included, reaches the caller's info unchanged. */
#include <stdlib.h>

#include "fpvm.h"
#include "pvm3.h"

/* Calls op on the trimmed group name; PvmNoMem when it cannot be copied. */
#define WITH_GROUP(result, group, lgroup, call)                                \
  do {                                                                         \
    char *gname = fpvm_f2c(group, lgroup);                                     \
    result = gname != NULL ? (call) : PvmNoMem;                                \
    free(gname);                                                               \
  } while (0)

FPVM_PUBLIC void pvmfjoingroup_(char *group, int *inum, fpvm_len lg) {
  WITH_GROUP(*inum, group, lg, pvm_joingroup(gname));
}

FPVM_PUBLIC void pvmflvgroup_(char *group, int *info, fpvm_len lg) {
  WITH_GROUP(*info, group, lg, pvm_lvgroup(gname));
}

FPVM_PUBLIC void pvmfgsize_(char *group, int *size, fpvm_len lg) {
  WITH_GROUP(*size, group, lg, pvm_gsize(gname));
}

FPVM_PUBLIC void pvmfgettid_(char *group, int *inum, int *tid, fpvm_len lg) {
  WITH_GROUP(*tid, group, lg, pvm_gettid(gname, *inum));
}

FPVM_PUBLIC void pvmfgetinst_(char *group, int *tid, int *inum, fpvm_len lg) {
  WITH_GROUP(*inum, group, lg, pvm_getinst(gname, *tid));
}

FPVM_PUBLIC void pvmfbarrier_(char *group, int *count, int *info, fpvm_len lg) {
  WITH_GROUP(*info, group, lg, pvm_barrier(gname, *count));
}

FPVM_PUBLIC void pvmfbcast_(char *group, int *msgtag, int *info, fpvm_len lg) {
  WITH_GROUP(*info, group, lg, pvm_bcast(gname, *msgtag));
}

FPVM_PUBLIC void pvmffreezegroup_(char *group, int *size, int *info,
                                  fpvm_len lg) {
  WITH_GROUP(*info, group, lg, pvm_freezegroup(gname, *size));
}

/* fpvm3.h's data types have the C element types' values (fpvm_msg.c), so
 * datatype passes through unchanged. */
FPVM_PUBLIC void pvmfgather_(void *result, void *data, int *count,
                             int *datatype, int *msgtag, char *group,
                             int *rootginst, int *info, fpvm_len lg) {
  WITH_GROUP(
      *info, group, lg,
      pvm_gather(result, data, *count, *datatype, *msgtag, gname, *rootginst));
}

FPVM_PUBLIC void pvmfscatter_(void *result, void *data, int *count,
                              int *datatype, int *msgtag, char *group,
                              int *rootginst, int *info, fpvm_len lg) {
  WITH_GROUP(
      *info, group, lg,
      pvm_scatter(result, data, *count, *datatype, *msgtag, gname, *rootginst));
}

/* The predefined reductions as Fortran subroutines: a program declares
 * EXTERNAL PvmSum (gfortran calls it pvmsum_) and passes it to pvmfreduce.
 * A reduction's C signature is all pointers, which is also how Fortran
 * calls CALL FUNC(DATATYPE, X, Y, NUM, INFO), so user subroutines pass
 * through as they are. */
typedef void (*reduce_fn)(int *datatype, void *x, void *y, int *num, int *info);

FPVM_PUBLIC void pvmmax_(int *datatype, void *x, void *y, int *num, int *info) {
  PvmMax(datatype, x, y, num, info);
}
FPVM_PUBLIC void pvmmin_(int *datatype, void *x, void *y, int *num, int *info) {
  PvmMin(datatype, x, y, num, info);
}
FPVM_PUBLIC void pvmsum_(int *datatype, void *x, void *y, int *num, int *info) {
  PvmSum(datatype, x, y, num, info);
}
FPVM_PUBLIC void pvmproduct_(int *datatype, void *x, void *y, int *num,
                             int *info) {
  PvmProduct(datatype, x, y, num, info);
}

/* Maps the Fortran names of the predefined operations to libgpvm3's own
 * functions, which a group implementation may recognise and optimise. */
static reduce_fn c_reduction(reduce_fn f) {
  if (f == pvmmax_)
    return PvmMax;
  if (f == pvmmin_)
    return PvmMin;
  if (f == pvmsum_)
    return PvmSum;
  if (f == pvmproduct_)
    return PvmProduct;
  return f;
}

FPVM_PUBLIC void pvmfreduce_(reduce_fn func, void *data, int *count,
                             int *datatype, int *msgtag, char *group,
                             int *rootginst, int *info, fpvm_len lg) {
  WITH_GROUP(*info, group, lg,
             pvm_reduce(c_reduction(func), data, *count, *datatype, *msgtag,
                        gname, *rootginst));
}
