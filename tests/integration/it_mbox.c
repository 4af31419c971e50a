/* The message mailbox (pvm_putinfo, pvm_recvinfo, pvm_delinfo,
 * pvm_getmboxinfo, pvm_insert/lookup/delete), one case per run:
 *   flags   every flag and error code, the index each put returns, what
 *           getmboxinfo reports, and the rules for a task that does not own
 *           an entry (a child tries them);
 *   owner   a task's entries go when it exits, persistent ones stay with
 *           owner 0 and then refuse other tasks;
 *   wait    PvmMboxWaitForInfo blocks until the entry appears and returns
 *           it (a child puts them later);
 *   insert  PVM 3.3's pvm_insert, pvm_lookup, pvm_delete;
 *   limits  PVM-NG's bounds: entry size, entries and bytes in the VM;
 * and, with several hosts (tests/cluster):
 *   remote H   owner and wait with the child on host H (it puts there, this
 *              task reads here);
 *   hostdel H  a task on host H holds entries; deleting H drops them, except
 *              the persistent one, which loses its owner.
 * The expected values are PVM 3.4.6's, observed by running the same calls
 * there: the program builds against Debian's PVM 3.4.6 as well (without
 * IT_PVMNG, which adds the checks where PVM-NG differs on purpose). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_common.h"
#include "pvm3.h"

#define TAG_DONE 41
#define TAG_EXIT 42

static int me;

/* A send buffer holding one int (PvmDataDefault). */
static int mk(int v) {
  int b = pvm_initsend(PvmDataDefault);
  pvm_pkint(&v, 1, 1);
  return b;
}

/* The int in receive buffer bufid. */
static int val(int bufid) {
  int v = -999;
  IT_CHECK(bufid > 0, "expected a buffer, got %d", bufid);
  IT_CHECK(pvm_getrbuf() == bufid,
           "recvinfo's buffer %d is not the receive "
           "buffer (%d)",
           bufid, pvm_getrbuf());
  IT_CHECK(pvm_upkint(&v, 1, 1) == 0, "unpacking the entry failed");
  return v;
}

#define EQ(expr, want)                                                         \
  do {                                                                         \
    int got_ = (expr);                                                         \
    IT_CHECK(got_ == (want), "%s = %d, expected %d", #expr, got_,              \
             (int)(want));                                                     \
  } while (0)

/* recvinfo(name, index, flags) must return an entry holding `want`. */
#define GETS(name, index, flags, want)                                         \
  do {                                                                         \
    int b_ = pvm_recvinfo(name, index, flags);                                 \
    IT_CHECK(b_ > 0, "pvm_recvinfo(%s, %d, %d) = %d", name, index, flags, b_); \
    EQ(val(b_), want);                                                         \
  } while (0)

/* getmboxinfo(pattern) as a string: "<name>idx:owner:flags,...;..." with
 * owner written as me, 0 or other. */
static const char *info(const char *pattern) {
  static char out[4096];
  struct pvmmboxinfo *c = NULL;
  int n = -1, rc = pvm_getmboxinfo((char *)pattern, &n, &c);
  size_t len = 0;

  IT_CHECK(rc == 0, "pvm_getmboxinfo(%s) = %d", pattern ? pattern : "NULL", rc);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (strncmp(c[i].mi_name, "###", 3) == 0)
      continue; /* PVM 3.4.6's own PvmNoReset class */
    len += (size_t)snprintf(out + len, sizeof out - len, "<%s>", c[i].mi_name);
    for (int k = 0; k < c[i].mi_nentries; k++) {
      int o = c[i].mi_owners[k];
      len += (size_t)snprintf(out + len, sizeof out - len, "%s%d:%s:%d",
                              k ? "," : "", c[i].mi_indices[k],
                              o == me  ? "me"
                              : o == 0 ? "0"
                                       : "other",
                              c[i].mi_flags[k]);
    }
    len += (size_t)snprintf(out + len, sizeof out - len, ";");
  }
  return out;
}

#define INFO(pattern, want)                                                    \
  do {                                                                         \
    const char *got_ = info(pattern);                                          \
    IT_CHECK(strcmp(got_, want) == 0,                                          \
             "getmboxinfo(%s) = \"%s\", expected "                             \
             "\"%s\"",                                                         \
             pattern ? pattern : "NULL", got_, want);                          \
  } while (0)

/* Host the children go to ("" or NULL: PvmTaskDefault). */
static const char *child_host;

static int spawn_child(const char *role) {
  char *args[] = {"--child", (char *)role, NULL};
  int tid = 0, cc;

  if (child_host == NULL || child_host[0] == '\0')
    return it_spawn_self(role, NULL);
  cc = pvm_spawn((char *)it_self_path(), args, PvmTaskHost, (char *)child_host,
                 1, &tid);
  IT_CHECK(cc == 1 && tid > 0, "spawn %s on %s: %d (tid %d)", role, child_host,
           cc, tid);
  IT_CHECK(pvm_tidtohost(tid) != pvm_tidtohost(me),
           "child %s runs on this "
           "host",
           role);
  return tid;
}

/* Runs a child role and waits for it to report success and exit. */
static void run_child(const char *role) {
  int tid = spawn_child(role), src = 0, tag = 0, bytes;
  int b;

  pvm_notify(PvmTaskExit, TAG_EXIT, 1, &tid);
  b = pvm_recv(-1, -1);
  IT_CHECK(b > 0, "no word from child %s", role);
  pvm_bufinfo(b, &bytes, &tag, &src);
  IT_CHECK(tag == TAG_DONE, "child %s exited without success (see the log)",
           role);
  pvm_recv(-1, TAG_EXIT);
}

/* A child's success: one message to its parent before it leaves. */
static void child_done(void) {
  pvm_initsend(PvmDataDefault);
  pvm_send(pvm_parent(), TAG_DONE);
}

/* ---- flags ------------------------------------------------------------- */

static void child_nonowner(void) {
  /* The parent owns def (locked), ow and rdow (overwritable), multi 0..2
   * (locked). */
  EQ(pvm_putinfo("def", mk(50), PvmMboxDefault), PvmDenied);
  EQ(pvm_putinfo("def", mk(50), PvmMboxOverWritable), PvmDenied);
  EQ(pvm_delinfo("def", 0, 0), PvmDenied);
  EQ(pvm_recvinfo("def", 0, PvmMboxReadAndDelete), PvmDenied);
  GETS("def", 0, 0, 10);
  EQ(pvm_putinfo("multi", mk(52), PvmMboxMultiInstance), 3);
  EQ(pvm_putinfo("multi", mk(52), PvmMboxDefault), PvmDenied);
  EQ(pvm_putinfo("multi", mk(53), PvmMboxDirectIndex(1)), PvmDenied);
  EQ(pvm_putinfo("multi", mk(53), PvmMboxDirectIndex(7)), 7);
  /* an overwritable entry: replaced, and the child owns it then */
  EQ(pvm_putinfo("ow", mk(51), PvmMboxDefault), 0);
  INFO("ow", "<ow>0:me:0;");
  EQ(pvm_delinfo("ow", 0, 0), 0);
  EQ(pvm_putinfo("ow2", mk(55), PvmMboxDefault), 0);
  /* read-and-delete of someone's overwritable entry */
  GETS("rdq", 0, PvmMboxReadAndDelete, 56);
  EQ(pvm_recvinfo("rdq", 0, 0), PvmNotFound);
  child_done();
}

static void case_flags(void) {
  int b, r0;

  /* arguments */
  EQ(pvm_putinfo(NULL, mk(1), 0), PvmBadParam);
  EQ(pvm_putinfo("", mk(1), 0), PvmBadParam);
  EQ(pvm_recvinfo(NULL, 0, 0), PvmBadParam);
  EQ(pvm_recvinfo("", 0, 0), PvmBadParam);
  EQ(pvm_recvinfo("a", -1, 0), PvmBadParam);
  EQ(pvm_delinfo(NULL, 0, 0), PvmBadParam);
  EQ(pvm_delinfo("", 0, 0), PvmBadParam);
  EQ(pvm_delinfo("a", -1, 0), PvmBadParam);
  EQ(pvm_recvinfo("nothere", 0, 0), PvmNotFound);
  EQ(pvm_delinfo("nothere", 0, 0), PvmNotFound);
#ifdef IT_PVMNG
  /* PVM 3.4.6 never answers these (the call hangs) */
  EQ(pvm_putinfo("a", 0, 0), PvmBadParam);
  EQ(pvm_putinfo("a", -1, 0), PvmBadParam);
  EQ(pvm_putinfo("a", 9999, 0), PvmNoSuchBuf);
  {
    char big[300];
    memset(big, 'n', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    EQ(pvm_putinfo(big, mk(1), 0), PvmBadParam);
  }
#endif
  INFO("*", "");

  /* default: locked, replaced by its owner, always index 0 */
  EQ(pvm_putinfo("def", mk(9), PvmMboxDefault), 0);
  EQ(pvm_putinfo("def", mk(10), PvmMboxDefault), 0);
  GETS("def", 0, 0, 10);
  EQ(pvm_recvinfo("def", 1, 0), PvmNotFound);
  GETS("def", 0, PvmMboxFirstAvail, 10);

  /* overwritable */
  EQ(pvm_putinfo("ow", mk(20), PvmMboxOverWritable), 0);
  EQ(pvm_putinfo("ow", mk(21), PvmMboxOverWritable), 0);
  GETS("ow", 0, 0, 21);
  EQ(pvm_putinfo("rdq", mk(56), PvmMboxOverWritable), 0);

  /* multi-instance: the first free index, holes filled */
  EQ(pvm_putinfo("multi", mk(30), PvmMboxMultiInstance), 0);
  EQ(pvm_putinfo("multi", mk(31), PvmMboxMultiInstance), 1);
  EQ(pvm_putinfo("multi", mk(32), PvmMboxMultiInstance), 2);
  EQ(pvm_delinfo("multi", 1, 0), 1); /* the index, not PvmOk */
  EQ(pvm_putinfo("multi", mk(33), PvmMboxMultiInstance), 1);
  GETS("multi", 1, 0, 33);
  EQ(pvm_delinfo("multi", 1, 0), 1);
  EQ(pvm_recvinfo("multi", 1, 0), PvmNotFound);
  GETS("multi", 1, PvmMboxFirstAvail, 32);
  EQ(pvm_recvinfo("multi", 3, PvmMboxFirstAvail), PvmNotFound);
  INFO("multi", "<multi>0:me:2,2:me:2;");
  /* a plain put replaces index 0 (its owner), even in a multi class */
  EQ(pvm_putinfo("multi", mk(34), PvmMboxDefault), 0);
  GETS("multi", 0, 0, 34);
  EQ(pvm_putinfo("multi", mk(30), PvmMboxMultiInstance), 1);

  /* direct index */
  EQ(pvm_putinfo("di", mk(40), PvmMboxDirectIndex(3)), 3);
  EQ(pvm_putinfo("di", mk(41), PvmMboxDirectIndex(3) | PvmMboxMultiInstance),
     4);
  EQ(pvm_putinfo("di", mk(42), PvmMboxDirectIndex(0) | PvmMboxMultiInstance),
     0);
  EQ(pvm_putinfo("di", mk(43), PvmMboxMultiInstance), 1);
  EQ(pvm_putinfo("di", mk(44), PvmMboxMultiInstance), 2);
  EQ(pvm_putinfo("di", mk(45), PvmMboxMultiInstance), 5);
  EQ(pvm_putinfo("di", mk(46), PvmMboxDirectIndex(3)), 3);
  GETS("di", 3, 0, 46);
  INFO("di", "<di>0:me:2,1:me:2,2:me:2,3:me:3072,4:me:3074,5:me:2;");

  /* read and delete */
  EQ(pvm_putinfo("rd", mk(70), PvmMboxDefault), 0);
  r0 = pvm_getrbuf();
  b = pvm_recvinfo("rd", 0, PvmMboxReadAndDelete);
  EQ(val(b), 70);
  IT_CHECK(r0 != b, "a new buffer was expected");
  {
    int bytes, tag, src;
    EQ(pvm_bufinfo(b, &bytes, &tag, &src), 0);
    EQ(src, me);
    EQ(tag, 0);
  }
  EQ(pvm_recvinfo("rd", 0, PvmMboxReadAndDelete), PvmNotFound);
  /* the put leaves the send buffer alone */
  {
    int sb = mk(77), bytes, tag, src;
    EQ(pvm_putinfo("keep", sb, 0), 0);
    EQ(pvm_getsbuf(), sb);
    EQ(pvm_bufinfo(sb, &bytes, &tag, &src), 0);
  }

  /* a raw body keeps its encoding */
  {
    int v = 0x01020304, w = 0;
    pvm_initsend(PvmDataRaw);
    pvm_pkint(&v, 1, 1);
    pvm_pkstr("raw entry");
    EQ(pvm_putinfo("raw", pvm_getsbuf(), 0), 0);
    b = pvm_recvinfo("raw", 0, 0);
    IT_CHECK(b > 0, "recvinfo(raw) = %d", b);
    char s[32];
    EQ(pvm_upkint(&w, 1, 1), 0);
    EQ(pvm_upkstr(s), 0);
    EQ(w, v);
    IT_CHECK(strcmp(s, "raw entry") == 0, "raw entry read back as %s", s);
  }

  /* patterns: '*' anywhere, everything else literal, anywhere in the name */
  EQ(pvm_putinfo("abc", mk(1), 0), 0);
  EQ(pvm_putinfo("abd", mk(1), 0), 0);
  EQ(pvm_putinfo("xabc", mk(1), 0), 0);
  INFO("ab*", "<abc>0:me:0;<abd>0:me:0;<xabc>0:me:0;");
  INFO("b*c", "<abc>0:me:0;<xabc>0:me:0;");
  INFO("abc", "<abc>0:me:0;<xabc>0:me:0;");
  INFO("x*", "<xabc>0:me:0;");
  INFO("ab.", "");
  INFO("^ab", "");
  INFO("[ab]bc", "");
  INFO("*bd", "<abd>0:me:0;");

  /* the rules for another task */
  EQ(pvm_putinfo("def", mk(10), PvmMboxDefault), 0);
  run_child("nonowner");
  /* the child's non-persistent entries went with it */
  INFO("ow", "");
  INFO("multi", "<multi>0:me:0,1:me:2,2:me:2;");
  INFO("rdq", "");
  /* everything else is listed in the order the classes were made */
  INFO("*", "<def>0:me:0;<multi>0:me:0,1:me:2,2:me:2;<di>0:me:2,1:me:2,2:me:2,"
            "3:me:3072,4:me:3074,5:me:2;<keep>0:me:0;<raw>0:me:0;"
            "<abc>0:me:0;<abd>0:me:0;<xabc>0:me:0;");
  {
    char *all = strdup(info("*"));
    IT_CHECK(all != NULL, "out of memory");
    INFO(NULL, all);
    INFO("", all);
    free(all);
  }
}

/* ---- owner ------------------------------------------------------------- */

static void child_kid(void) {
  EQ(pvm_putinfo("kid", mk(60), PvmMboxDefault), 0);
  EQ(pvm_putinfo("kidp", mk(61), PvmMboxPersistent), 0);
  EQ(pvm_putinfo("kidm", mk(62), PvmMboxMultiInstance), 0);
  EQ(pvm_putinfo("kidm", mk(63), PvmMboxMultiInstance | PvmMboxPersistent), 1);
  EQ(pvm_putinfo("kidpow", mk(64), PvmMboxPersistent | PvmMboxOverWritable), 0);
  child_done();
}

static void case_owner(void) {
  run_child("kid");
  /* wait until the daemon has seen the exit: the entries change then */
  for (int i = 0; i < 200 && pvm_recvinfo("kid", 0, 0) > 0; i++)
    it_sleep_ms(10);
  INFO("kid*", "<kidp>0:0:1;<kidm>1:0:3;<kidpow>0:0:5;");
  EQ(pvm_recvinfo("kid", 0, 0), PvmNotFound);
  GETS("kidp", 0, 0, 61);
  GETS("kidm", 0, PvmMboxFirstAvail, 63);
  EQ(pvm_recvinfo("kidm", 0, 0), PvmNotFound);
  /* an entry without an owner is locked against everyone */
  EQ(pvm_delinfo("kidp", 0, 0), PvmDenied);
  EQ(pvm_putinfo("kidp", mk(90), 0), PvmDenied);
  EQ(pvm_recvinfo("kidp", 0, PvmMboxReadAndDelete), PvmDenied);
  /* ... unless overwritable */
  EQ(pvm_putinfo("kidpow", mk(91), PvmMboxPersistent), 0);
  INFO("kidpow", "<kidpow>0:me:1;");
  EQ(pvm_delinfo("kidpow", 0, 0), 0);
}

/* ---- wait -------------------------------------------------------------- */

static void child_putter(void) {
  it_sleep_ms(300);
  EQ(pvm_putinfo("w1", mk(7), PvmMboxMultiInstance), 0);
  EQ(pvm_putinfo("w1", mk(8), PvmMboxMultiInstance), 1);
  it_sleep_ms(300);
  EQ(pvm_putinfo("w2", mk(9), PvmMboxDirectIndex(2)), 2);
  it_sleep_ms(300);
  EQ(pvm_putinfo("w3", mk(11), PvmMboxPersistent), 0);
  it_sleep_ms(300);
  EQ(pvm_putinfo("w4", mk(12), PvmMboxOverWritable | PvmMboxPersistent), 0);
  child_done();
}

static void case_wait(void) {
  int tid = spawn_child("putter"), b;
  double t0 = it_now();

  pvm_notify(PvmTaskExit, TAG_EXIT, 1, &tid);
  /* index 1 appears after index 0: the wait goes on until it is there */
  GETS("w1", 1, PvmMboxWaitForInfo, 8);
  IT_CHECK(it_now() - t0 > 0.2, "recvinfo(w1) returned before the put");
  GETS("w2", 1, PvmMboxWaitForInfo | PvmMboxFirstAvail, 9);
  /* an entry that appears but may not be deleted: PvmDenied */
  EQ(pvm_recvinfo("w3", 0, PvmMboxWaitForInfo | PvmMboxReadAndDelete),
     PvmDenied);
  GETS("w3", 0, 0, 11);
  GETS("w4", 0, PvmMboxWaitForInfo | PvmMboxReadAndDelete, 12);
  EQ(pvm_recvinfo("w4", 0, 0), PvmNotFound);
  /* an entry that is there already: at once */
  GETS("w3", 0, PvmMboxWaitForInfo, 11);
  EQ(pvm_recvinfo("w5", -1, PvmMboxWaitForInfo), PvmBadParam);
  b = pvm_recv(-1, -1);
  {
    int bytes, tag = 0, src;
    pvm_bufinfo(b, &bytes, &tag, &src);
    IT_CHECK(tag == TAG_DONE, "the putter exited without success");
  }
  pvm_recv(-1, TAG_EXIT);
}

/* ---- insert ------------------------------------------------------------ */

static void case_insert(void) {
  int d = -5;

  EQ(pvm_insert(NULL, 0, 1), PvmBadParam);
  EQ(pvm_insert("", 0, 1), PvmBadParam);
  EQ(pvm_insert("i", -2, 1), PvmBadParam);
  EQ(pvm_insert("i", -1, 100), 0);
  EQ(pvm_insert("i", -1, 101), 1);
  EQ(pvm_insert("i", 5, 105), 5);
  EQ(pvm_insert("i", 5, 106), PvmDupEntry);
  EQ(pvm_insert("i", 0, 107), PvmDupEntry);
  EQ(pvm_lookup("i", -1, &d), 0);
  EQ(d, 100);
  EQ(pvm_lookup("i", 5, &d), 5);
  EQ(d, 105);
  d = -5;
  EQ(pvm_lookup("i", 3, &d), PvmNoEntry);
  EQ(d, -5);
  EQ(pvm_lookup("i", -2, &d), PvmBadParam);
  EQ(pvm_lookup(NULL, 0, &d), PvmBadParam);
  EQ(pvm_lookup("nx", 0, &d), PvmNoEntry);
  EQ(pvm_lookup("i", 0, NULL), 0);
  EQ(pvm_delete("i", 5), 5);
  EQ(pvm_delete("i", 5), PvmNoEntry);
  EQ(pvm_delete("i", -1), PvmBadParam);
  EQ(pvm_delete(NULL, 0), PvmBadParam);
  EQ(pvm_delete("i", 0), 0);
  EQ(pvm_lookup("i", -1, &d), 1);
  EQ(d, 101);
  INFO("i", "<i>1:me:3;");
  /* lookup reads any entry whose body starts with an int */
  EQ(pvm_putinfo("s", mk(3), 0), 0);
  EQ(pvm_lookup("s", 0, &d), 0);
  EQ(d, 3);
  /* and leaves the receive buffer alone */
  {
    int v = 5, rb;
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&v, 1, 1);
    pvm_send(me, 1);
    rb = pvm_recv(me, 1);
    EQ(pvm_lookup("s", 0, &d), 0);
    EQ(pvm_getrbuf(), rb);
  }
}

/* ---- hostdel (several hosts) ------------------------------------------ */

static void child_holder(void) {
  EQ(pvm_putinfo("held", mk(1), PvmMboxDefault), 0);
  EQ(pvm_putinfo("heldp", mk(2), PvmMboxPersistent), 0);
  child_done();
  pvm_recv(-1, -1); /* until its host goes */
}

static void case_hostdel(void) {
  int tid = spawn_child("holder"), b, st = 0;
  char *hosts[] = {(char *)child_host};

  b = pvm_recv(tid, TAG_DONE);
  IT_CHECK(b > 0, "no word from the holder");
  INFO("held*", "<held>0:other:0;<heldp>0:other:1;");
  EQ(pvm_delhosts(hosts, 1, &st), 1);
  for (int i = 0; i < 300 && pvm_recvinfo("held", 0, 0) > 0; i++)
    it_sleep_ms(10);
  INFO("held*", "<heldp>0:0:1;");
  GETS("heldp", 0, 0, 2);
}

/* ---- limits (PVM-NG's own) ---------------------------------------------- */

#ifdef IT_PVMNG
#define ENTRY_MAX 1044480 /* MBOX_ENTRY_MAX in pvm.proto */
#define ENTRIES_MAX 2048  /* MBOX_ENTRIES_MAX */

/* A raw buffer of n bytes, byte i holding (i * 7 + seed) & 0xff. */
static int mkraw(char *scratch, int n, int seed) {
  for (int i = 0; i < n; i++)
    scratch[i] = (char)((i * 7 + seed) & 0xff);
  int b = pvm_initsend(PvmDataRaw);
  IT_CHECK(pvm_pkbyte(scratch, n, 1) == 0, "packing %d bytes failed", n);
  return b;
}

static void case_limits(void) {
  char *buf = malloc(ENTRY_MAX + 1), *back = malloc(ENTRY_MAX);
  int n = 0, b;

  IT_CHECK(buf != NULL && back != NULL, "out of memory");
  /* the largest entry goes in and comes back byte for byte */
  EQ(pvm_putinfo("big", mkraw(buf, ENTRY_MAX, 1), 0), 0);
  b = pvm_recvinfo("big", 0, 0);
  IT_CHECK(b > 0, "recvinfo(big) = %d", b);
  {
    int bytes, tag, src;
    EQ(pvm_bufinfo(b, &bytes, &tag, &src), 0);
    EQ(bytes, ENTRY_MAX);
  }
  EQ(pvm_upkbyte(back, ENTRY_MAX, 1), 0);
  IT_CHECK(memcmp(buf, back, ENTRY_MAX) == 0, "the big entry came back "
                                              "changed");
  /* one byte more is refused, and nothing is stored */
  EQ(pvm_putinfo("big2", mkraw(buf, ENTRY_MAX + 1, 2), 0), PvmBadParam);
  EQ(pvm_recvinfo("big2", 0, 0), PvmNotFound);
  /* 64 MiB of entries in the VM: the 65th big entry does not fit */
  for (int i = 1; i < 64; i++)
    EQ(pvm_putinfo("big", mkraw(buf, ENTRY_MAX, i), PvmMboxMultiInstance), i);
  EQ(pvm_putinfo("big", mkraw(buf, ENTRY_MAX, 64), PvmMboxMultiInstance),
     PvmOutOfRes);
  /* ... a replacement of the same size does */
  EQ(pvm_putinfo("big", mkraw(buf, ENTRY_MAX, 65), PvmMboxDirectIndex(5)), 5);
  for (int i = 0; i < 64; i++)
    EQ(pvm_delinfo("big", i, 0), i);
  INFO("big", "");
  /* at most 2048 entries */
  for (int i = 0; i < ENTRIES_MAX; i++, n++)
    EQ(pvm_putinfo("many", mk(i), PvmMboxMultiInstance), i);
  EQ(pvm_putinfo("many", mk(n), PvmMboxMultiInstance), PvmOutOfRes);
  EQ(pvm_putinfo("other", mk(n), 0), PvmOutOfRes);
  /* replacing one is not adding one */
  EQ(pvm_putinfo("many", mk(7), PvmMboxDirectIndex(7)), 7);
  EQ(pvm_delinfo("many", 100, 0), 100);
  EQ(pvm_putinfo("other", mk(n), 0), 0);
  {
    struct pvmmboxinfo *c = NULL;
    int nc = 0;
    EQ(pvm_getmboxinfo("many", &nc, &c), 0);
    EQ(nc, 1);
    EQ(c[0].mi_nentries, ENTRIES_MAX - 1);
  }
  free(buf);
  free(back);
}
#endif

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "flags";

  it_set_name(argv[0], it_is_child(argc, argv) ? argv[2] : which);
  it_guard(60);
  me = pvm_mytid();
  IT_CHECK(me > 0, "pvm_mytid() = %d", me);
  pvm_setopt(PvmAutoErr, 0);
  if (it_is_child(argc, argv)) {
    if (strcmp(argv[2], "nonowner") == 0)
      child_nonowner();
    else if (strcmp(argv[2], "kid") == 0)
      child_kid();
    else if (strcmp(argv[2], "putter") == 0)
      child_putter();
    else if (strcmp(argv[2], "holder") == 0)
      child_holder();
    pvm_exit();
    return 0;
  }
  child_host = argc > 2 ? argv[2] : NULL;
  if (strcmp(which, "flags") == 0)
    case_flags();
  else if (strcmp(which, "remote") == 0 && child_host != NULL) {
    case_owner();
    case_wait();
  } else if (strcmp(which, "hostdel") == 0 && child_host != NULL)
    case_hostdel();
  else if (strcmp(which, "owner") == 0)
    case_owner();
  else if (strcmp(which, "wait") == 0)
    case_wait();
  else if (strcmp(which, "insert") == 0)
    case_insert();
#ifdef IT_PVMNG
  else if (strcmp(which, "limits") == 0)
    case_limits();
#endif
  else
    IT_FAIL("unknown case %s", which);
  it_note("%s: OK", which);
  pvm_exit();
  return 0;
}
