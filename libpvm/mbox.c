/* The message mailbox, the library's side: pvm_putinfo, pvm_recvinfo,
 * pvm_delinfo, pvm_getmboxinfo and PVM 3.3's pvm_insert, pvm_lookup and
 * pvm_delete on top of them. Each call is one MboxRequest to the daemon,
 * which keeps the mailbox (on the master daemon of a VM of several hosts).
 * An entry is a message body with its encoding: pvm_putinfo sends the
 * buffer's body as it is, and pvm_recvinfo makes what comes back a new
 * receive buffer, unpacked as usual. Argument checks and results follow
 * PVM 3.4.6 (see docs/compatibility.md, "Mailbox"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"
#include "pvmng.h"

/* Sends an MboxRequest; returns the reply's code (an index or an error)
 * and the reply in *out when out is given and the code is >= 0. A task
 * whose first call this is enrols first, as with any PVM call. */
static int mbox_request(const char *fn, Pvmng__MboxRequest *r,
                        Pvmng__Control **out) {
  Pvmng__Control req = PVMNG__CONTROL__INIT, *rep = NULL;
  int rc;

  if ((rc = lpvm_connect(fn)) < 0)
    return rc;
  req.body_case = PVMNG__CONTROL__BODY_MBOX;
  req.mbox = r;
  rc = lpvm_request(&req, &rep);
  if (rc < 0)
    return rc;
  if (rep->body_case == PVMNG__CONTROL__BODY_MBOX_REPLY)
    rc = rep->mbox_reply->code;
  else if (rep->body_case == PVMNG__CONTROL__BODY_STATUS)
    rc = rep->status->code < 0 ? rep->status->code : PvmSysErr;
  else
    rc = PvmSysErr;
  if (rc >= 0 && out != NULL) {
    *out = rep;
    return rc;
  }
  pvmng__control__free_unpacked(rep, NULL);
  return rc;
}

/* A class name the daemon will take, else PvmBadParam. */
static int name_ok(const char *name) {
  if (name == NULL || name[0] == '\0' ||
      strlen(name) > PVMNG__MBOX_LIMIT__MBOX_NAME_MAX)
    return PvmBadParam;
  return 0;
}

/* Stores the body of buffer bufid under <name, index> (index -1: from the
 * flags, as pvm_putinfo does). */
static int put(const char *fn, const char *name, int index, int bufid,
               int flags) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  struct lpvm_buf *b;
  uint8_t *body;
  size_t len;
  int rc;

  if (name_ok(name) < 0)
    return lpvm_err(fn, PvmBadParam);
  if ((b = lpvm_buf_get(bufid)) == NULL)
    return lpvm_err(fn, bufid <= 0 ? PvmBadParam : PvmNoSuchBuf);
  len = lpvm_buf_length(b);
  if (len > PVMNG__MBOX_LIMIT__MBOX_ENTRY_MAX)
    return lpvm_err_hint(fn, PvmBadParam,
                         "a mailbox entry holds at most 1044480 bytes");
  if ((body = malloc(len ? len : 1)) == NULL)
    return lpvm_err(fn, PvmNoMem);
  lpvm_buf_gather(b, body);
  r.op = PVMNG__MBOX_OP__MBOX_PUT;
  r.name = (char *)name;
  r.index = index;
  r.flags = flags;
  r.encoding = b->enc == PvmDataDefault ? PvmDataDefault : PvmDataRaw;
  r.body.data = body;
  r.body.len = len;
  rc = mbox_request(fn, &r, NULL);
  free(body);
  if (rc == PvmOutOfRes)
    return lpvm_err_hint(fn, rc,
                         "the mailbox is full (at most 2048 entries and 64 "
                         "MiB in the virtual machine)");
  return lpvm_err(fn, rc);
}

int pvm_putinfo(char *name, int bufid, int flags) {
  return put("pvm_putinfo", name, -1, bufid, flags);
}

/* Reads <name, index> into a new buffer: its id in *bufid (not made the
 * receive buffer); returns the entry's index or an error. */
static int get(const char *fn, const char *name, int index, int flags,
               int *bufid) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  Pvmng__Control *rep = NULL;
  const Pvmng__MboxReply *mr;
  char *copy;
  int rc, id;

  r.op = PVMNG__MBOX_OP__MBOX_GET;
  r.name = (char *)name;
  r.index = index;
  r.flags = flags;
  rc = mbox_request(fn, &r, &rep);
  if (rc < 0)
    return rc;
  mr = rep->mbox_reply;
  copy = malloc(mr->body.len ? mr->body.len : 1);
  if (copy == NULL) {
    pvmng__control__free_unpacked(rep, NULL);
    return PvmNoMem;
  }
  if (mr->body.len > 0)
    memcpy(copy, mr->body.data, mr->body.len);
  id = lpvm_buf_adopt(mr->encoding == PvmDataRaw ? PvmDataRaw : PvmDataDefault,
                      copy, mr->body.len, copy, free);
  if (id < 0) {
    free(copy);
    pvmng__control__free_unpacked(rep, NULL);
    return id;
  }
  struct lpvm_buf *b = lpvm_buf_get(id);
  b->src = (int)mr->src;
  b->dst = pvm_mytid();
  b->tag = 0;
  b->ctx = 0;
  pvmng__control__free_unpacked(rep, NULL);
  *bufid = id;
  return rc;
}

int lpvm_mbox_get(const char *name, int index, int *bufid) {
  return get("pvm_recvinfo", name, index, PvmMboxDefault, bufid);
}

int pvm_recvinfo(char *name, int index, int flags) {
  int bufid = 0, rc, old;

  if (name_ok(name) < 0 || index < 0)
    return lpvm_err("pvm_recvinfo", PvmBadParam);
  rc = get("pvm_recvinfo", name, index, flags, &bufid);
  if (rc < 0)
    return lpvm_err("pvm_recvinfo", rc);
  /* As a receive does: the new buffer replaces the receive buffer, which
   * is freed. */
  old = pvm_setrbuf(bufid);
  if (old > 0 && old != bufid)
    pvm_freebuf(old);
  return bufid;
}

int pvm_delinfo(char *name, int index, int flags) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;

  if (name_ok(name) < 0 || index < 0)
    return lpvm_err("pvm_delinfo", PvmBadParam);
  r.op = PVMNG__MBOX_OP__MBOX_DELETE;
  r.name = name;
  r.index = index;
  r.flags = flags;
  return lpvm_err("pvm_delinfo", mbox_request("pvm_delinfo", &r, NULL));
}

/* The array pvm_getmboxinfo returned last; freed by the next call. */
static struct {
  struct pvmmboxinfo *v;
  int n;
} last;

static void free_last(void) {
  for (int i = 0; i < last.n; i++) {
    free(last.v[i].mi_name);
    free(last.v[i].mi_indices);
    free(last.v[i].mi_owners);
    free(last.v[i].mi_flags);
  }
  free(last.v);
  last.v = NULL;
  last.n = 0;
}

/* Copies the reply's classes into `last`; 0 or PvmNoMem. */
static int keep_classes(const Pvmng__MboxReply *mr) {
  size_t n = mr->n_classes;

  last.v = calloc(n ? n : 1, sizeof *last.v);
  if (last.v == NULL)
    return PvmNoMem;
  for (size_t i = 0; i < n; i++) {
    const Pvmng__MboxClass *k = mr->classes[i];
    struct pvmmboxinfo *o = &last.v[i];
    size_t ne = k->n_entries;
    last.n++;
    o->mi_name = strdup(k->name ? k->name : "");
    o->mi_indices = malloc((ne ? ne : 1) * sizeof(int));
    o->mi_owners = malloc((ne ? ne : 1) * sizeof(int));
    o->mi_flags = malloc((ne ? ne : 1) * sizeof(int));
    if (!o->mi_name || !o->mi_indices || !o->mi_owners || !o->mi_flags)
      return PvmNoMem;
    o->mi_nentries = (int)ne;
    for (size_t j = 0; j < ne; j++) {
      o->mi_indices[j] = k->entries[j]->index;
      o->mi_owners[j] = (int)k->entries[j]->owner;
      o->mi_flags[j] = k->entries[j]->flags;
    }
  }
  return 0;
}

int pvm_getmboxinfo(char *pattern, int *nclasses,
                    struct pvmmboxinfo **classes) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  Pvmng__Control *rep = NULL;
  int rc;

  r.op = PVMNG__MBOX_OP__MBOX_LIST;
  r.name = pattern ? pattern : "";
  free_last();
  rc = mbox_request("pvm_getmboxinfo", &r, &rep);
  if (rc < 0)
    return lpvm_err("pvm_getmboxinfo", rc);
  rc = keep_classes(rep->mbox_reply);
  pvmng__control__free_unpacked(rep, NULL);
  if (rc < 0) {
    free_last();
    return lpvm_err("pvm_getmboxinfo", rc);
  }
  if (nclasses)
    *nclasses = last.n;
  if (classes)
    *classes = last.v;
  return PvmOk;
}

/* ---- PVM 3.3's database, on the mailbox -------------------------------- */

/* PVM 3.4.6 stores the integer as a persistent entry of a class that may
 * hold many (so any task may add to it, and it outlives its task). */
int pvm_insert(char *name, int req, int data) {
  int bufid, sbuf, rc;

  if (name == NULL || name[0] == '\0' || req < -1)
    return lpvm_err("pvm_insert", PvmBadParam);
  bufid = pvm_mkbuf(PvmDataDefault);
  if (bufid < 0)
    return lpvm_err("pvm_insert", bufid);
  sbuf = pvm_setsbuf(bufid);
  rc = lpvm_pack(LPVM_T_INT, &data, 1, 1);
  pvm_setsbuf(sbuf);
  if (rc == 0)
    rc = put("pvm_insert", name, req, bufid,
             PvmMboxMultiInstance | PvmMboxPersistent);
  pvm_freebuf(bufid);
  return rc < 0 ? lpvm_err("pvm_insert", rc) : rc;
}

int pvm_lookup(char *name, int req, int *datap) {
  int bufid = 0, rc, flags = PvmMboxDefault, rbuf, data = 0;

  if (name_ok(name) < 0 || req < -1)
    return lpvm_err("pvm_lookup", PvmBadParam);
  if (req < 0) {
    flags |= PvmMboxFirstAvail;
    req = 0;
  }
  rc = get("pvm_lookup", name, req, flags, &bufid);
  if (rc < 0)
    return lpvm_err("pvm_lookup", rc);
  rbuf = pvm_setrbuf(bufid);
  if (lpvm_unpack(LPVM_T_INT, &data, 1, 1) == 0 && datap != NULL)
    *datap = data;
  pvm_setrbuf(rbuf);
  pvm_freebuf(bufid);
  return rc;
}

int pvm_delete(char *name, int req) {
  if (name_ok(name) < 0 || req < 0)
    return lpvm_err("pvm_delete", PvmBadParam);
  return pvm_delinfo(name, req, 0);
}

/* ---- the console's reset ------------------------------------------------ */

int pvmng_mbox_reset(const char *name, int index, const int *tids, int ntid) {
  Pvmng__MboxRequest r = PVMNG__MBOX_REQUEST__INIT;
  uint32_t *v = NULL;
  int rc;

  if (ntid < 0 || (ntid > 0 && tids == NULL) || index < -1)
    return lpvm_err("pvmng_mbox_reset", PvmBadParam);
  if (ntid > 0 && (v = malloc((size_t)ntid * sizeof *v)) == NULL)
    return lpvm_err("pvmng_mbox_reset", PvmNoMem);
  for (int i = 0; i < ntid; i++)
    v[i] = (uint32_t)tids[i];
  r.op = PVMNG__MBOX_OP__MBOX_RESET;
  r.name = (char *)(name ? name : "");
  r.index = index;
  r.n_tids = (size_t)ntid;
  r.tids = v;
  rc = mbox_request("pvmng_mbox_reset", &r, NULL);
  free(v);
  return lpvm_err("pvmng_mbox_reset", rc < 0 ? rc : 0);
}
