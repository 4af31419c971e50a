/* Conformance: the message mailbox (man pvm_putinfo, pvm_recvinfo,
 * pvm_delinfo, pvm_getmboxinfo) with PVM 3.4.6's flags semantics: indices,
 * owners and locks, PvmMboxMultiInstance, PvmMboxFirstAvail,
 * PvmMboxReadAndDelete, PvmMboxPersistent, PvmMboxWaitForInfo, patterns,
 * and PVM 3.3's pvm_insert / pvm_lookup / pvm_delete. */
#include "conf.h"

#define TAG_DONE 81

static int put_int(const char *name, int v, int flags) {
  int b = pvm_mkbuf(PvmDataDefault), old = pvm_setsbuf(b);
  pvm_pkint(&v, 1, 1);
  pvm_setsbuf(old);
  int rc = pvm_putinfo((char *)name, b, flags);
  pvm_freebuf(b);
  return rc;
}

/* The int of an entry, or the error of pvm_recvinfo. */
static int get_int(const char *name, int index, int flags) {
  int b = pvm_recvinfo((char *)name, index, flags), v = -999;
  if (b < 0)
    return b;
  pvm_upkint(&v, 1, 1);
  return v;
}

/* argv[2]: "plain" puts conf_mb_child, "persist" conf_mb_persist, "late"
 * waits a second then puts conf_mb_late. Then tells the parent and exits. */
static int child(const char *what) {
  int rc = 0;
  /* "first": pvm_putinfo is the task's first call (it enrols the task, as
   * every call does); the others enrol first. */
  if (strcmp(what, "first") != 0)
    pvm_mytid();
  if (strcmp(what, "first") == 0)
    rc = put_int("conf_mb_first", 6, PvmMboxDefault);
  else if (strcmp(what, "plain") == 0)
    rc = put_int("conf_mb_child", 7, PvmMboxDefault);
  else if (strcmp(what, "persist") == 0)
    rc = put_int("conf_mb_persist", 8, PvmMboxPersistent);
  else if (strcmp(what, "late") == 0) {
    sleep(1);
    rc = put_int("conf_mb_late", 9, PvmMboxDefault);
  }
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&rc, 1, 1);
  pvm_send(pvm_parent(), TAG_DONE);
  /* Stay until told, so an entry of ours outlives the report. */
  pvm_recv(pvm_parent(), TAG_DONE);
  pvm_exit();
  return 0;
}

static int run_child(const char *what, int *tid, int xfail) {
  if (conf_spawn_self("child", what, 1, tid) != 1)
    return 0;
  int rc = -999;
  if (pvm_trecv(*tid, TAG_DONE, &(struct timeval){20, 0}) > 0)
    pvm_upkint(&rc, 1, 1);
  (void)xfail;
  CHECK_INT(rc, 0, "the child's pvm_putinfo (%s) stores at index 0", what);
  return rc == 0;
}

static void end_child(int tid) {
  pvm_initsend(PvmDataDefault);
  pvm_send(tid, TAG_DONE);
  for (int i = 0; i < 100 && pvm_pstat(tid) == PvmOk; i++)
    usleep(50000);
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "child") == 0)
    return child(argv[2]);
  conf_begin("conf_mbox");
  int me = pvm_mytid();
  CONF_REQUIRE(me > 0, "pvm_mytid() enrols");

  CHECK_INT(put_int("conf_mb_a", 1, PvmMboxDefault), 0,
            "pvm_putinfo(PvmMboxDefault) stores at index 0");
  CHECK_INT(get_int("conf_mb_a", 0, PvmMboxDefault), 1,
            "pvm_recvinfo reads the entry");
  CHECK_INT(put_int("conf_mb_a", 2, PvmMboxDefault), 0,
            "the owner's second put replaces index 0");
  CHECK_INT(get_int("conf_mb_a", 0, PvmMboxDefault), 2,
            "... with the new value");
  CHECK_INT(put_int("conf_mb_a", 3, PvmMboxMultiInstance), 1,
            "PvmMboxMultiInstance takes the next free index (1)");
  CHECK_INT(put_int("conf_mb_a", 4, PvmMboxMultiInstance), 2,
            "... and the next (2)");
  CHECK_INT(get_int("conf_mb_a", 2, PvmMboxDefault), 4,
            "pvm_recvinfo(index 2)");
  CHECK_INT(pvm_delinfo("conf_mb_a", 0, PvmMboxDefault), 0,
            "pvm_delinfo(index 0) returns the index");
  CHECK_INT(get_int("conf_mb_a", 0, PvmMboxFirstAvail), 3,
            "PvmMboxFirstAvail reads the first entry at or above the "
            "index");
  CHECK_INT(get_int("conf_mb_a", 1, PvmMboxReadAndDelete), 3,
            "PvmMboxReadAndDelete reads the entry");
  CHECK_INT(get_int("conf_mb_a", 1, PvmMboxDefault), PvmNotFound,
            "... and deletes it");
  CHECK_INT(pvm_delinfo("conf_mb_a", 1, PvmMboxDefault), PvmNotFound,
            "pvm_delinfo of a missing entry is PvmNotFound");
  CHECK_INT(get_int("conf_mb_none", 0, PvmMboxDefault), PvmNotFound,
            "pvm_recvinfo of a missing class is PvmNotFound");

  /* pvm_getmboxinfo */
  put_int("conf_mb_b", 5, PvmMboxDefault);
  struct pvmmboxinfo *cl = NULL;
  int ncl = -1;
  CHECK_INT(pvm_getmboxinfo("conf_mb_", &ncl, &cl), 0, "pvm_getmboxinfo is 0");
  int fa = 0, fb = 0;
  for (int i = 0; i < ncl; i++) {
    if (strcmp(cl[i].mi_name, "conf_mb_a") == 0 && cl[i].mi_nentries == 1 &&
        cl[i].mi_indices[0] == 2)
      fa = 1;
    if (strcmp(cl[i].mi_name, "conf_mb_b") == 0 && cl[i].mi_nentries == 1 &&
        cl[i].mi_owners[0] == me)
      fb = 1;
  }
  CHECK(ncl == 2 && fa && fb,
        "pvm_getmboxinfo lists both classes, indices and owners (%d)", ncl);
  CHECK_INT(pvm_getmboxinfo("conf_nothing_like_this", &ncl, &cl), 0,
            "pvm_getmboxinfo with no match is 0");
  CHECK_INT(ncl, 0, "... and lists nothing");

  /* Another task's entry: locked; gone when it exits. */
  int tid = 0;
  if (run_child("first", &tid, 1))
    CHECK_INT(get_int("conf_mb_first", 0, PvmMboxDefault), 6,
              "... and the entry is there");
  end_child(tid);
  CONF_REQUIRE(run_child("plain", &tid, 0), "a child puts an entry");
  CHECK_INT(get_int("conf_mb_child", 0, PvmMboxDefault), 7,
            "another task's entry is readable");
  CHECK_INT(put_int("conf_mb_child", 1, PvmMboxDefault), PvmDenied,
            "replacing another task's entry is PvmDenied");
  CHECK_INT(pvm_delinfo("conf_mb_child", 0, PvmMboxDefault), PvmDenied,
            "deleting another task's entry is PvmDenied");
  end_child(tid);
  CHECK_INT(get_int("conf_mb_child", 0, PvmMboxDefault), PvmNotFound,
            "an entry goes when its owner exits");
  CONF_REQUIRE(run_child("persist", &tid, 0), "a child puts a persistent "
                                              "entry");
  end_child(tid);
  CHECK_INT(get_int("conf_mb_persist", 0, PvmMboxDefault), 8,
            "a PvmMboxPersistent entry outlives its owner");

  /* PvmMboxWaitForInfo */
  CONF_REQUIRE(conf_spawn_self("child", "late", 1, &tid) == 1,
               "a child that puts an entry a second later");
  CHECK_INT(get_int("conf_mb_late", 0, PvmMboxWaitForInfo), 9,
            "PvmMboxWaitForInfo waits for the entry");
  pvm_trecv(tid, TAG_DONE, &(struct timeval){20, 0});
  end_child(tid);

  /* PVM 3.3's database calls. */
  CHECK_INT(pvm_insert("conf_db", -1, 77), 0,
            "pvm_insert(name, -1, data) takes the first free index");
  CHECK_INT(pvm_insert("conf_db", 0, 78), PvmDupEntry,
            "pvm_insert at a taken index is PvmDupEntry");
  int data = 0;
  CHECK_INT(pvm_lookup("conf_db", -1, &data), 0,
            "pvm_lookup(name, -1) returns the index found");
  CHECK_INT(data, 77, "... and the data");
  CHECK_INT(pvm_delete("conf_db", 0), 0, "pvm_delete returns the index");
  CHECK_INT(pvm_lookup("conf_db", 0, &data), PvmNoEntry,
            "pvm_lookup after pvm_delete is PvmNoEntry");

  pvm_exit();
  return conf_end();
}
