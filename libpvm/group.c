/* libgpvm3: PVM's dynamic groups and collective operations. Programs link
 * it with -lgpvm3 as under PVM 3.4. The group registry and the collective
 * algorithms are not in this release yet: every call reports PvmNotImpl,
 * so a program that needs groups learns it at the first call, clearly. */
#include "lpvm.h"
#include "pvm3.h"

#define GROUPS_HINT "groups are not available in this release of PVM-NG yet"

int pvm_joingroup(char *group) {
  (void)group;
  return lpvm_err_hint("pvm_joingroup", PvmNotImpl, GROUPS_HINT);
}
int pvm_lvgroup(char *group) {
  (void)group;
  return lpvm_err_hint("pvm_lvgroup", PvmNotImpl, GROUPS_HINT);
}
int pvm_gsize(char *group) {
  (void)group;
  return lpvm_err_hint("pvm_gsize", PvmNotImpl, GROUPS_HINT);
}
int pvm_gettid(char *group, int inst) {
  (void)group, (void)inst;
  return lpvm_err_hint("pvm_gettid", PvmNotImpl, GROUPS_HINT);
}
int pvm_getinst(char *group, int tid) {
  (void)group, (void)tid;
  return lpvm_err_hint("pvm_getinst", PvmNotImpl, GROUPS_HINT);
}
int pvm_barrier(char *group, int count) {
  (void)group, (void)count;
  return lpvm_err_hint("pvm_barrier", PvmNotImpl, GROUPS_HINT);
}
int pvm_bcast(char *group, int msgtag) {
  (void)group, (void)msgtag;
  return lpvm_err_hint("pvm_bcast", PvmNotImpl, GROUPS_HINT);
}
int pvm_freezegroup(char *group, int size) {
  (void)group, (void)size;
  return lpvm_err_hint("pvm_freezegroup", PvmNotImpl, GROUPS_HINT);
}
int pvm_gather(void *result, void *data, int count, int datatype, int msgtag,
               char *gname, int rootinst) {
  (void)result, (void)data, (void)count, (void)datatype, (void)msgtag;
  (void)gname, (void)rootinst;
  return lpvm_err_hint("pvm_gather", PvmNotImpl, GROUPS_HINT);
}
int pvm_scatter(void *result, void *data, int count, int datatype, int msgtag,
                char *gname, int rootinst) {
  (void)result, (void)data, (void)count, (void)datatype, (void)msgtag;
  (void)gname, (void)rootinst;
  return lpvm_err_hint("pvm_scatter", PvmNotImpl, GROUPS_HINT);
}
int pvm_reduce(void (*func)(int *datatype, void *x, void *y, int *num,
                            int *info),
               void *data, int count, int datatype, int msgtag, char *gname,
               int rootinst) {
  (void)func, (void)data, (void)count, (void)datatype, (void)msgtag;
  (void)gname, (void)rootinst;
  return lpvm_err_hint("pvm_reduce", PvmNotImpl, GROUPS_HINT);
}
/* The predefined reductions have PVM's signature; with no reduce available
 * they report through info. */
void PvmMax(int *datatype, void *x, void *y, int *num, int *info) {
  (void)datatype, (void)x, (void)y, (void)num;
  *info = PvmNotImpl;
}
void PvmMin(int *datatype, void *x, void *y, int *num, int *info) {
  (void)datatype, (void)x, (void)y, (void)num;
  *info = PvmNotImpl;
}
void PvmSum(int *datatype, void *x, void *y, int *num, int *info) {
  (void)datatype, (void)x, (void)y, (void)num;
  *info = PvmNotImpl;
}
void PvmProduct(int *datatype, void *x, void *y, int *num, int *info) {
  (void)datatype, (void)x, (void)y, (void)num;
  *info = PvmNotImpl;
}
