/* The collective extensions of PVM-NG (pvmng.h): pvmng_allreduce,
 * pvmng_allgather, pvmng_alltoall and pvmng_scan, run by the members
 * themselves like the PVM 3.4 collectives (group_coll.c): recursive
 * doubling for all-reduce and the inclusive scan, pairwise exchange for
 * all-to-all, on a frozen group's view, or after an agreement through the
 * registry on a group that is not frozen. */
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "conn.h"
#include "group.h"
#include "group_coll.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"
#include "tid.h"

/* Recursive doubling over the largest power of two p2 <= n; the members
 * past p2 first fold their data into rank - p2 and get the result back at
 * the end. Each pair combines lower rank first, so every member ends with
 * the same bits. */
static int allreduce(const struct lpvm_coll *c, lpvm_redfn func, void *data,
                     int count, int datatype) {
  size_t len = (size_t)count * lpvm_gtype_size(datatype), n = (size_t)count;
  int p2 = 1, rc = 0, frc = 0;
  int tag_fold = lpvm_gtag(c->g, LPVM_GOP_ALLREDUCE, 0);
  char *tmp;

  while (p2 * 2 <= c->n)
    p2 *= 2;
  if (c->me >= p2) {
    rc = lpvm_coll_send(c, c->me - p2, tag_fold, data, n, datatype);
    return rc < 0 ? rc
                  : lpvm_coll_recv(c, c->me - p2, tag_fold, data, n, datatype);
  }
  if ((tmp = malloc(len + 1)) == NULL)
    return PvmNoMem;
  if (c->me + p2 < c->n) {
    rc = lpvm_coll_recv(c, c->me + p2, tag_fold, tmp, n, datatype);
    if (rc == 0)
      frc = lpvm_coll_combine(func, datatype, data, tmp, count);
  }
  int mask = 1, step = 1, looped = 0;
  for (; mask < p2 && rc == 0; mask <<= 1, step++) {
    looped = 1;
    int peer = c->me ^ mask, tag = lpvm_gtag(c->g, LPVM_GOP_ALLREDUCE, step);
    rc = lpvm_coll_send(c, peer, tag, data, n, datatype);
    if (rc == 0)
      rc = lpvm_coll_recv(c, peer, tag, tmp, n, datatype);
    if (rc < 0)
      break;
    if (rc == 0 && frc == 0) {
      if (peer < c->me) { /* lower rank's value first */
        frc = lpvm_coll_combine(func, datatype, tmp, data, count);
        memcpy(data, tmp, len);
      } else {
        frc = lpvm_coll_combine(func, datatype, data, tmp, count);
      }
    }
  }
  /* After a failure, the partners of the steps left and the folded member
   * are told instead of left waiting. */
  if (rc < 0 && looped)
    mask <<= 1, step++;
  if (rc < 0)
    for (; mask < p2; mask <<= 1, step++)
      lpvm_gabort(c->r[c->me ^ mask],
                  lpvm_gtag(c->g, LPVM_GOP_ALLREDUCE, step));
  if (c->me + p2 < c->n) {
    if (rc == 0)
      rc = lpvm_coll_send(c, c->me + p2, tag_fold, data, n, datatype);
    else
      lpvm_gabort(c->r[c->me + p2], tag_fold);
  }
  free(tmp);
  return rc < 0 ? rc : frc;
}

int pvmng_allreduce(void (*func)(int *datatype, void *x, void *y, int *num,
                                 int *info),
                    void *data, int count, int datatype, char *group) {
  struct lpvm_coll c;
  int rc;
  if ((rc = lpvm_connect("pvmng_allreduce")) < 0)
    return rc;
  if ((rc = lpvm_coll_check_reduce(func, datatype, count)) < 0 || data == NULL)
    return lpvm_err("pvmng_allreduce", rc < 0 ? rc : PvmBadParam);
  if ((rc = lpvm_coll_begin(group, PvmNoInst, &c)) < 0)
    return lpvm_err("pvmng_allreduce", rc);
  if ((rc = lpvm_coll_agree(group, &c)) < 0) {
    lpvm_coll_end(&c);
    return lpvm_err("pvmng_allreduce", rc);
  }
  rc = allreduce(&c, func, data, count, datatype);
  lpvm_coll_end(&c);
  return rc < 0 ? lpvm_err("pvmng_allreduce", rc) : 0;
}

int pvmng_allgather(void *result, void *data, int count, int datatype,
                    char *group) {
  struct lpvm_coll c;
  size_t sz = lpvm_gtype_size(datatype);
  int rc;
  if ((rc = lpvm_connect("pvmng_allgather")) < 0)
    return rc;
  if (sz == 0 || count < 1 || result == NULL || data == NULL)
    return lpvm_err("pvmng_allgather", PvmBadParam);
  if ((rc = lpvm_coll_begin(group, PvmNoInst, &c)) < 0)
    return lpvm_err("pvmng_allgather", rc);
  if ((rc = lpvm_coll_agree(group, &c)) < 0) {
    lpvm_coll_end(&c);
    return lpvm_err("pvmng_allgather", rc);
  }
  /* Gather to rank 0, then a tree broadcast of the whole result. */
  rc = lpvm_coll_gather_tree(&c, result, data, (size_t)count, datatype, 0,
                             lpvm_gtag(c.g, LPVM_GOP_GATHER, 1));
  if (rc == 0)
    rc = lpvm_coll_bcast_tree(&c, 0, lpvm_gtag(c.g, LPVM_GOP_BCAST, 1), result,
                              (size_t)c.ninst * (size_t)count, datatype);
  lpvm_coll_end(&c);
  return rc < 0 ? lpvm_err("pvmng_allgather", rc) : 0;
}

int pvmng_alltoall(void *result, void *data, int count, int datatype,
                   char *group) {
  struct lpvm_coll c;
  size_t sz = lpvm_gtype_size(datatype), blk;
  int rc;
  if ((rc = lpvm_connect("pvmng_alltoall")) < 0)
    return rc;
  if (sz == 0 || count < 1 || result == NULL || data == NULL)
    return lpvm_err("pvmng_alltoall", PvmBadParam);
  if ((rc = lpvm_coll_begin(group, PvmNoInst, &c)) < 0)
    return lpvm_err("pvmng_alltoall", rc);
  if ((rc = lpvm_coll_agree(group, &c)) < 0) {
    lpvm_coll_end(&c);
    return lpvm_err("pvmng_alltoall", rc);
  }
  blk = (size_t)count * sz;
  memcpy((char *)result + (size_t)c.inst[c.me] * blk,
         (const char *)data + (size_t)c.inst[c.me] * blk, blk);
  /* Step k: send to rank + k, receive from rank - k. */
  int tag = lpvm_gtag(c.g, LPVM_GOP_ALLTOALL, 0);
  for (int k = 1; k < c.n && rc == 0; k++) {
    int to = (c.me + k) % c.n, from = (c.me - k + c.n) % c.n;
    rc = lpvm_coll_send(&c, to, tag,
                        (const char *)data + (size_t)c.inst[to] * blk,
                        (size_t)count, datatype);
    if (rc == 0)
      rc = lpvm_coll_recv(&c, from, tag,
                          (char *)result + (size_t)c.inst[from] * blk,
                          (size_t)count, datatype);
    if (rc < 0)
      for (int k2 = k + 1; k2 < c.n; k2++)
        lpvm_gabort(c.r[(c.me + k2) % c.n], tag);
  }
  lpvm_coll_end(&c);
  return rc < 0 ? lpvm_err("pvmng_alltoall", rc) : 0;
}

/* Inclusive scan by recursive doubling (Hillis-Steele): in step k each
 * member passes what it has, the reduction of ranks [me-2^k+1, me], to
 * rank + 2^k and folds in what comes from rank - 2^k, lower ranks first. */
int pvmng_scan(void (*func)(int *datatype, void *x, void *y, int *num,
                            int *info),
               void *data, int count, int datatype, char *group) {
  struct lpvm_coll c;
  int rc, frc = 0;
  char *tmp;
  if ((rc = lpvm_connect("pvmng_scan")) < 0)
    return rc;
  if ((rc = lpvm_coll_check_reduce(func, datatype, count)) < 0 || data == NULL)
    return lpvm_err("pvmng_scan", rc < 0 ? rc : PvmBadParam);
  if ((rc = lpvm_coll_begin(group, PvmNoInst, &c)) < 0)
    return lpvm_err("pvmng_scan", rc);
  if ((rc = lpvm_coll_agree(group, &c)) < 0) {
    lpvm_coll_end(&c);
    return lpvm_err("pvmng_scan", rc);
  }
  size_t len = (size_t)count * lpvm_gtype_size(datatype);
  if ((tmp = malloc(len + 1)) == NULL)
    rc = PvmNoMem;
  for (int k = 1, step = 0; k < c.n && rc == 0; k <<= 1, step++) {
    int tag = lpvm_gtag(c.g, LPVM_GOP_SCAN, step);
    if (c.me + k < c.n)
      rc = lpvm_coll_send(&c, c.me + k, tag, data, (size_t)count, datatype);
    if (rc == 0 && c.me - k >= 0) {
      rc = lpvm_coll_recv(&c, c.me - k, tag, tmp, (size_t)count, datatype);
      if (rc == 0 && frc == 0) {
        frc = lpvm_coll_combine(func, datatype, tmp, data, count);
        memcpy(data, tmp, len);
      }
      for (int k2 = k << 1, s2 = step + 1; rc < 0 && k2 < c.n; k2 <<= 1, s2++)
        if (c.me + k2 < c.n)
          lpvm_gabort(c.r[c.me + k2], lpvm_gtag(c.g, LPVM_GOP_SCAN, s2));
    }
  }
  free(tmp);
  lpvm_coll_end(&c);
  if (rc == 0)
    rc = frc;
  return rc < 0 ? lpvm_err("pvmng_scan", rc) : 0;
}
