/* Output collection (pvm_catchout). Children spawned while collection is on
 * send their stdout and stderr, line by line, through their daemon to this
 * task as system messages (reserved context); the library prints each line
 * to the catch file as it arrives, tagged "[t40002] " when PvmShowTids is
 * on, with a BEGIN and an EOF line per task (PVM 3.4.6 prints EOF; its man
 * page says END). pvm_exit, while collection is on, waits until every task
 * whose output is caught has ended, saying so on stderr as PVM 3.4.6 does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "conn.h"
#include "lpvm.h"
#include "pvm3.h"

static FILE *catch_file;

/* Tasks whose output is being caught and has not ended: the children we
 * spawned with collection on, plus every task whose BEGIN arrived
 * (grandchildren inherit the destination). A task's BEGIN always reaches us
 * before the EOF of the task that spawned it, so an empty set means that
 * all output has been printed. */
struct tidset {
  int *v;
  int n, cap;
};

/* live: caught tasks not ended yet. early: tasks whose EOF was read before
 * pvm_spawn returned their tid (one read can carry the spawn reply and the
 * child's whole output), so that the spawn does not count them again. */
static struct tidset live, early;
static int spawning; /* a pvm_spawn is waiting for its reply */

static int set_find(const struct tidset *s, int tid) {
  for (int i = 0; i < s->n; i++)
    if (s->v[i] == tid)
      return i;
  return -1;
}

static void set_add(struct tidset *s, int tid) {
  if (set_find(s, tid) >= 0)
    return;
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 16;
    int *n = realloc(s->v, sizeof(*n) * (size_t)cap);
    if (n == NULL)
      return; /* only the wait at pvm_exit is lost, not output */
    s->v = n;
    s->cap = cap;
  }
  s->v[s->n++] = tid;
}

static int set_remove(struct tidset *s, int tid) {
  int i = set_find(s, tid);
  if (i < 0)
    return 0;
  s->v[i] = s->v[--s->n];
  return 1;
}

static void set_free(struct tidset *s) {
  free(s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

static int collecting(void) {
  return catch_file != NULL && lpvm_opts.out_tid == lpvm_conn.mytid &&
         lpvm_opts.out_code == LPVM_TAG_OUTPUT &&
         lpvm_opts.out_ctx == LPVM_SYSCTX;
}

int pvm_catchout(FILE *ff) {
  if (ff == NULL) {
    if (collecting()) {
      lpvm_opts.out_tid = 0;
      lpvm_opts.out_code = 0;
      lpvm_opts.out_ctx = 0;
    }
    /* Output already on its way is still printed, to the last file. */
    return 0;
  }
  if (lpvm_connect("pvm_catchout") < 0)
    return 0; /* pvm_catchout always returns 0 (man pvm_catchout) */
  catch_file = ff;
  lpvm_opts.out_tid = lpvm_conn.mytid;
  lpvm_opts.out_code = LPVM_TAG_OUTPUT;
  lpvm_opts.out_ctx = LPVM_SYSCTX;
  return 0;
}

void lpvm_output_spawning(void) { spawning = 1; }

void lpvm_output_spawned(const int *tids, int n) {
  if (collecting())
    for (int i = 0; i < n; i++)
      if (set_find(&early, tids[i]) < 0)
        set_add(&live, tids[i]);
  spawning = 0;
  early.n = 0;
}

/* Caught tasks whose output has not ended, while collection is on. As in
 * PVM 3.4.6, pvm_catchout(NULL) stops the wait at pvm_exit too: the output
 * still on its way then goes to the last file only until the task exits. */
int lpvm_output_pending(void) { return collecting() ? live.n : 0; }

void lpvm_output_flush(void) {
  if (catch_file != NULL)
    fflush(catch_file);
  catch_file = NULL;
  set_free(&live);
  set_free(&early);
}

/* Body: int tid, int n, then n bytes when n > 0; n == -1 marks the start of
 * the task's output and n == 0 its end. */
void lpvm_output_message(int bufid) {
  int saved = pvm_setrbuf(bufid);
  int tid = 0, n = 0;
  char line[4097];
  FILE *f = catch_file ? catch_file : stdout;

  if (pvm_upkint(&tid, 1, 1) < 0 || pvm_upkint(&n, 1, 1) < 0)
    goto done;
  if (n > 0) {
    int len = n < (int)sizeof(line) - 1 ? n : (int)sizeof(line) - 1;
    if (pvm_upkbyte(line, len, 1) < 0)
      goto done;
    line[len] = '\0';
    if (lpvm_opts.show_tids) {
      fprintf(f, "[t%x] %s", (unsigned)tid, line);
      if (len == 0 || line[len - 1] != '\n')
        fputc('\n', f);
    } else {
      fwrite(line, 1, (size_t)len, f);
    }
  } else if (n == -1) {
    set_add(&live, tid);
    if (lpvm_opts.show_tids)
      fprintf(f, "[t%x] BEGIN\n", (unsigned)tid);
  } else if (n == 0) {
    if (lpvm_opts.show_tids)
      fprintf(f, "[t%x] EOF\n", (unsigned)tid);
    set_remove(&live, tid);
    if (spawning)
      set_add(&early, tid);
  }
  fflush(f);
done:
  pvm_setrbuf(saved);
  pvm_freebuf(bufid);
}
