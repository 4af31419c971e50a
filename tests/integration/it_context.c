/* it_context: message contexts (pvm_newcontext, pvm_freecontext,
 * pvm_setcontext): contexts handed out to tasks of one or several hosts
 * never collide, even after hundreds per task; a freed context can be
 * freed once (PvmNotFound after); a message sent in one context is
 * received only in it; a task's contexts do not outlive it; a task starts
 * in the context its parent had when it spawned it (PVM 3.4.6's inherit
 * examples), and does not hand that on through its environment.
 * `it_context [children]` spawns the children with PvmTaskDefault, so over
 * several hosts they spread. */
#include "it_common.h"

#define PER_TASK 300
#define TAG_CTX 61
#define TAG_PING 62
#define TAG_INHERIT 63

static void child(void) {
  int parent = pvm_parent(), v[PER_TASK];
  for (int i = 0; i < PER_TASK; i++) {
    v[i] = pvm_newcontext();
    IT_CHECK(v[i] > 0, "pvm_newcontext returned %d", v[i]);
  }
  /* Free every second one and take as many again: still all distinct. */
  for (int i = 0; i < PER_TASK; i += 2)
    IT_CHECK(pvm_freecontext(v[i]) == 0, "pvm_freecontext(%x)", v[i]);
  for (int i = 0; i < PER_TASK; i += 2)
    v[i] = pvm_newcontext();
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, PER_TASK, 1);
  pvm_send(parent, TAG_CTX);
  /* A message in the parent's context reaches us only in that context. */
  int ctx;
  IT_CHECK(pvm_recv(parent, TAG_CTX) > 0, "no context from the parent");
  pvm_upkint(&ctx, 1, 1);
  int old = pvm_setcontext(ctx);
  IT_CHECK(pvm_recv(parent, TAG_PING) > 0, "no ping in context %x", ctx);
  pvm_setcontext(old);
  pvm_initsend(PvmDataDefault);
  pvm_send(parent, TAG_PING);
  pvm_exit();
}

static int cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return x < y ? -1 : x > y;
}

/* Spawned in a context: reports the context it started in, sending in it. */
static void inherit_child(void) {
  int ctx = pvm_getcontext(), leak = getenv("PVMNG_CTX") != NULL;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&ctx, 1, 1);
  pvm_pkint(&leak, 1, 1);
  pvm_send(pvm_parent(), TAG_INHERIT);
  pvm_exit();
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3, rc;
  if (pvm_parent() > 0 && argc > 1 && strcmp(argv[1], "inherit") == 0) {
    it_set_name(argv[0], "inherit");
    it_guard(60);
    inherit_child();
    return 0;
  }
  if (pvm_parent() > 0) {
    it_set_name(argv[0], "child");
    it_guard(60);
    child();
    return 0;
  }
  it_set_name(argv[0], NULL);
  it_guard(90);
  IT_CHECK(pvm_mytid() > 0, "enrol");
  int *all = calloc((size_t)(n + 1) * PER_TASK, sizeof *all), *tids;
  tids = calloc((size_t)n, sizeof *tids);
  IT_CHECK(all != NULL && tids != NULL, "out of memory");
  IT_CHECK(
      pvm_spawn((char *)it_self_path(), NULL, PvmTaskDefault, "", n, tids) == n,
      "spawn");
  for (int i = 0; i < PER_TASK; i++)
    IT_CHECK((all[i] = pvm_newcontext()) > 0, "pvm_newcontext");
  for (int k = 0; k < n; k++) {
    IT_CHECK(pvm_recv(tids[k], TAG_CTX) > 0, "no contexts from t%x", tids[k]);
    pvm_upkint(all + (size_t)(k + 1) * PER_TASK, PER_TASK, 1);
  }
  qsort(all, (size_t)(n + 1) * PER_TASK, sizeof *all, cmp);
  for (int i = 1; i < (n + 1) * PER_TASK; i++)
    IT_CHECK(all[i] != all[i - 1], "context %x handed out twice", all[i]);
  IT_CHECK(all[0] > 0 && all[(n + 1) * PER_TASK - 1] != 0x7ffffff0,
           "a context clashes with the base or the library's own");
  it_note("%d contexts of %d tasks on %d host(s): all distinct",
          (n + 1) * PER_TASK, n + 1, n);

  /* Freed once, not twice; an unknown one is not found. */
  int c = pvm_newcontext();
  IT_CHECK(pvm_freecontext(c) == 0, "pvm_freecontext");
  pvm_setopt(PvmAutoErr, 0);
  IT_CHECK((rc = pvm_freecontext(c)) == PvmNotFound, "free twice: %d", rc);
  IT_CHECK((rc = pvm_freecontext(0x12345)) == PvmNotFound, "free unknown: %d",
           rc);
  IT_CHECK((rc = pvm_freecontext(-1)) == PvmBadParam, "free -1: %d", rc);
  pvm_setopt(PvmAutoErr, 1);

  /* A message in a new context, and one in the base context with the same
   * tag: each child takes the one of the context it asks for. */
  c = pvm_newcontext();
  for (int k = 0; k < n; k++) {
    pvm_initsend(PvmDataDefault);
    pvm_pkint(&c, 1, 1);
    pvm_send(tids[k], TAG_CTX);
  }
  int old = pvm_setcontext(c);
  pvm_initsend(PvmDataDefault);
  pvm_mcast(tids, n, TAG_PING);
  pvm_setcontext(old);
  for (int k = 0; k < n; k++)
    IT_CHECK(pvm_recv(tids[k], TAG_PING) > 0, "no answer from t%x", tids[k]);
  it_note("messages in a context reach only receives in that context");

  /* A child spawned while the parent is in context c starts in c: its
   * message, sent without a pvm_setcontext, arrives in c. */
  char *args[] = {"inherit", NULL};
  int kid, got = -1, leak = 1;
  old = pvm_setcontext(c);
  IT_CHECK(
      pvm_spawn((char *)it_self_path(), args, PvmTaskDefault, "", 1, &kid) == 1,
      "spawn in context %x", c);
  IT_CHECK(pvm_recv(kid, TAG_INHERIT) > 0, "no report from t%x", kid);
  pvm_upkint(&got, 1, 1);
  pvm_upkint(&leak, 1, 1);
  pvm_setcontext(old);
  IT_CHECK(got == c, "the child started in context %x, not its parent's %x",
           got, c);
  IT_CHECK(!leak, "PVMNG_CTX left in the child's environment");
  it_note("a spawned task starts in its parent's context");
  free(all);
  free(tids);
  pvm_exit();
  it_note("OK");
  return 0;
}
