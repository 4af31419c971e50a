/* The predefined reductions of pvm_reduce (PvmMax, PvmMin, PvmSum,
 * PvmProduct), element-wise x[i] = x[i] op y[i] with PVM 3.4's rules:
 * every function takes PVM_BYTE (signed char), PVM_SHORT, PVM_INT,
 * PVM_LONG, PVM_FLOAT, PVM_DOUBLE, PVM_CPLX and PVM_DCPLX, except that Sum
 * and Product refuse PVM_BYTE; anything else sets *info = PvmBadParam and
 * leaves x alone. Complex max/min pick the operand of larger/smaller modulus
 * (x on a tie). Integer sums and products wrap as two's complement. Also
 * the checks and the combining step every reduction (pvm_reduce and the
 * pvmng_* collectives) makes with them. */
#include <stddef.h>

#include "group_coll.h"
#include "pvm3.h"

enum { OP_MAX, OP_MIN, OP_SUM, OP_PROD };

/* Integer op in two's-complement arithmetic without signed overflow. */
#define INT_LOOP(T, UT)                                                        \
  do {                                                                         \
    T *a = x;                                                                  \
    const T *b = y;                                                            \
    for (int i = 0; i < n; i++) {                                              \
      switch (op) {                                                            \
      case OP_MAX:                                                             \
        a[i] = b[i] > a[i] ? b[i] : a[i];                                      \
        break;                                                                 \
      case OP_MIN:                                                             \
        a[i] = b[i] < a[i] ? b[i] : a[i];                                      \
        break;                                                                 \
      case OP_SUM:                                                             \
        a[i] = (T)(UT)((UT)a[i] + (UT)b[i]);                                   \
        break;                                                                 \
      default:                                                                 \
        a[i] = (T)(UT)((UT)a[i] * (UT)b[i]);                                   \
        break;                                                                 \
      }                                                                        \
    }                                                                          \
  } while (0)

#define FLT_LOOP(T)                                                            \
  do {                                                                         \
    T *a = x;                                                                  \
    const T *b = y;                                                            \
    for (int i = 0; i < n; i++) {                                              \
      switch (op) {                                                            \
      case OP_MAX:                                                             \
        a[i] = b[i] > a[i] ? b[i] : a[i];                                      \
        break;                                                                 \
      case OP_MIN:                                                             \
        a[i] = b[i] < a[i] ? b[i] : a[i];                                      \
        break;                                                                 \
      case OP_SUM:                                                             \
        a[i] = a[i] + b[i];                                                    \
        break;                                                                 \
      default:                                                                 \
        a[i] = a[i] * b[i];                                                    \
        break;                                                                 \
      }                                                                        \
    }                                                                          \
  } while (0)

#define CPLX_LOOP(T)                                                           \
  do {                                                                         \
    T *a = x;                                                                  \
    const T *b = y;                                                            \
    for (int i = 0; i < n; i++) {                                              \
      T ar = a[2 * i], ai = a[2 * i + 1], br = b[2 * i], bi = b[2 * i + 1];    \
      double ma = (double)ar * ar + (double)ai * ai;                           \
      double mb = (double)br * br + (double)bi * bi;                           \
      switch (op) {                                                            \
      case OP_MAX:                                                             \
        if (mb > ma)                                                           \
          a[2 * i] = br, a[2 * i + 1] = bi;                                    \
        break;                                                                 \
      case OP_MIN:                                                             \
        if (mb < ma)                                                           \
          a[2 * i] = br, a[2 * i + 1] = bi;                                    \
        break;                                                                 \
      case OP_SUM:                                                             \
        a[2 * i] = ar + br;                                                    \
        a[2 * i + 1] = ai + bi;                                                \
        break;                                                                 \
      default:                                                                 \
        a[2 * i] = ar * br - ai * bi;                                          \
        a[2 * i + 1] = ar * bi + ai * br;                                      \
        break;                                                                 \
      }                                                                        \
    }                                                                          \
  } while (0)

static void reduce(int op, const int *datatype, void *x, void *y,
                   const int *num, int *info) {
  int n = *num;
  switch (*datatype) {
  case PVM_BYTE:
    if (op == OP_SUM || op == OP_PROD) {
      *info = PvmBadParam;
      return;
    }
    INT_LOOP(signed char, unsigned char);
    break;
  case PVM_SHORT:
    INT_LOOP(short, unsigned short);
    break;
  case PVM_INT:
    INT_LOOP(int, unsigned int);
    break;
  case PVM_LONG:
    INT_LOOP(long, unsigned long);
    break;
  case PVM_FLOAT:
    FLT_LOOP(float);
    break;
  case PVM_DOUBLE:
    FLT_LOOP(double);
    break;
  case PVM_CPLX:
    CPLX_LOOP(float);
    break;
  case PVM_DCPLX:
    CPLX_LOOP(double);
    break;
  default:
    *info = PvmBadParam;
    return;
  }
  *info = PvmOk;
}

void PvmMax(int *datatype, void *x, void *y, int *num, int *info) {
  reduce(OP_MAX, datatype, x, y, num, info);
}
void PvmMin(int *datatype, void *x, void *y, int *num, int *info) {
  reduce(OP_MIN, datatype, x, y, num, info);
}
void PvmSum(int *datatype, void *x, void *y, int *num, int *info) {
  reduce(OP_SUM, datatype, x, y, num, info);
}
void PvmProduct(int *datatype, void *x, void *y, int *num, int *info) {
  reduce(OP_PROD, datatype, x, y, num, info);
}

/* Checks a reduction's function and type; the predefined functions are
 * checked here so that every member refuses alike, leaves included. */
int lpvm_coll_check_reduce(lpvm_redfn func, int datatype, int count) {
  if (func == NULL || count < 1 || lpvm_gtype_size(datatype) == 0)
    return PvmBadParam;
  if ((func == PvmSum || func == PvmProduct) && datatype == PVM_BYTE)
    return PvmBadParam;
  return 0;
}

/* x = x op y for count items; info < 0 from a user function is returned. */
int lpvm_coll_combine(lpvm_redfn func, int datatype, void *x, void *y,
                      int count) {
  int dt = datatype, num = count, info = 0;
  func(&dt, x, y, &num, &info);
  return info < 0 ? info : 0;
}
