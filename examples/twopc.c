/* twopc: two-phase commit among n participants, surviving one
 * participant's failure.
 *
 * Phase 1: the coordinator asks every participant to PREPARE; each votes
 * YES (it can commit) or NO. Phase 2: the coordinator decides COMMIT only
 * if every participant voted YES, ABORT otherwise, and tells everyone; each
 * applies the decision and acknowledges it.
 *
 * A participant may die instead of voting. The coordinator learns of it
 * through pvm_notify(PvmTaskExit): the daemon sends it a message with the
 * dead task's tid. A participant that died before voting counts as a NO,
 * so the transaction aborts and nobody waits forever for the missing vote;
 * one that dies after voting is reported instead of acknowledged.
 *
 *   twopc [nparticipants [crash k [vote-no k]]]     default: 4 -1 -1
 * crash k: participant k dies (exits without pvm_exit) on PREPARE;
 * vote-no k: participant k votes NO; -1: nobody. The coordinator checks
 * that the decision is the one the rules demand and that every surviving
 * participant applied it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "sibling.h"

#define MAXPART 32
#define TAG_PREPARE 1  /* coordinator -> all: int transaction id */
#define TAG_VOTE 2     /* participant -> coordinator: int index, int yes */
#define TAG_DECISION 3 /* coordinator -> all who voted: int commit */
#define TAG_ACK 4      /* participant -> coordinator: int index, int applied */
#define TAG_EXIT 5     /* daemon -> coordinator (pvm_notify): int dead tid */
#define TAG_DONE 6     /* coordinator -> all: you may go */

static const char *verdict(int commit) { return commit ? "COMMIT" : "ABORT"; }

/* argv: --participant <index> <yes|no|crash> */
static int participant(int idx, const char *how) {
  int coord = pvm_parent(), txn, v[2];

  pvm_recv(coord, TAG_PREPARE);
  pvm_upkint(&txn, 1, 1);
  if (strcmp(how, "crash") == 0) {
    /* A crash: gone without a word, no pvm_exit. Only the daemon notices
     * (the task's connection closes) and tells whoever asked. */
    fprintf(stderr, "twopc: participant %d crashes before voting\n", idx);
    _Exit(3);
  }
  v[0] = idx;
  v[1] = strcmp(how, "no") != 0;
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 2, 1);
  pvm_send(coord, TAG_VOTE);
  /* Now uncertain: having voted YES, it may neither commit nor abort on
   * its own. It waits for the decision. */
  pvm_recv(coord, TAG_DECISION);
  pvm_upkint(&v[1], 1, 1);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 2, 1);
  pvm_send(coord, TAG_ACK);
  /* Stay until the coordinator has all acknowledgements: then an exit
   * notice it gets before that always means a failure. */
  pvm_recv(coord, TAG_DONE);
  pvm_exit();
  return 0;
}

static int coordinator(int n, int crash, int voteno, const char *argv0) {
  char path[PATH_MAX], idx[16];
  int tids[MAXPART], vote[MAXPART], txn = 1;

  if (pvm_mytid() < 0) {
    pvm_perror("twopc: is pvmd running?");
    return 1;
  }
  example_sibling("twopc", argv0, path, sizeof path);
  for (int i = 0; i < n; i++) {
    char *args[] = {"--participant", idx,
                    i == crash    ? "crash"
                    : i == voteno ? "no"
                                  : "yes",
                    NULL};
    snprintf(idx, sizeof idx, "%d", i);
    if (pvm_spawn(path, args, PvmTaskDefault, "", 1, &tids[i]) != 1) {
      fprintf(stderr, "twopc: could not start participant %d (%s)\n", i, path);
      for (int j = 0; j < i; j++)
        pvm_kill(tids[j]);
      return 1;
    }
    vote[i] = -1; /* not yet voted */
  }
  /* Ask the daemon to tell us when any participant exits. */
  pvm_notify(PvmTaskExit, TAG_EXIT, n, tids);

  printf("twopc: coordinator t%x -> %d participants: PREPARE transaction %d\n",
         pvm_mytid(), n, txn);
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&txn, 1, 1);
  pvm_mcast(tids, n, TAG_PREPARE);

  /* Phase 1: wait until every participant has voted or died. */
  int pending = n, commit = 1, dead = -1;
  while (pending > 0) {
    int bufid = pvm_recv(-1, -1), tag, v[2];
    pvm_bufinfo(bufid, NULL, &tag, NULL);
    if (tag == TAG_VOTE) {
      pvm_upkint(v, 2, 1);
      if (v[0] < 0 || v[0] >= n || vote[v[0]] != -1)
        continue;
      vote[v[0]] = v[1];
      printf("twopc: participant %d (t%x) votes %s\n", v[0], tids[v[0]],
             v[1] ? "YES" : "NO");
      commit &= v[1];
      pending--;
    } else if (tag == TAG_EXIT) {
      int tid, i;
      pvm_upkint(&tid, 1, 1);
      for (i = 0; i < n && tids[i] != tid; i++)
        ;
      if (i < n && vote[i] == -1) {
        printf("twopc: participant %d (t%x) died before voting: counts as NO\n",
               i, tid);
        vote[i] = 0;
        dead = i;
        commit = 0;
        pending--;
      }
    }
  }

  /* Phase 2: tell every participant that is still there. */
  int alive[MAXPART], nalive = 0;
  for (int i = 0; i < n; i++)
    if (i != dead)
      alive[nalive++] = tids[i];
  printf("twopc: coordinator -> %d participants: %s\n", nalive,
         verdict(commit));
  pvm_initsend(PvmDataDefault);
  pvm_pkint(&commit, 1, 1);
  pvm_mcast(alive, nalive, TAG_DECISION);
  /* Wait for each to acknowledge, or to die after all. */
  int acks = 0, agree = 0, lost = 0;
  while (acks + lost < nalive) {
    int bufid = pvm_recv(-1, -1), tag, v[2];
    pvm_bufinfo(bufid, NULL, &tag, NULL);
    if (tag == TAG_ACK) {
      pvm_upkint(v, 2, 1);
      acks++;
      agree += v[1] == commit;
      printf("twopc: participant %d applied %s\n", v[0], verdict(v[1]));
    } else if (tag == TAG_EXIT) {
      int tid, i;
      pvm_upkint(&tid, 1, 1);
      for (i = 0; i < n && tids[i] != tid; i++)
        ;
      if (i < n && i != dead) {
        printf("twopc: participant %d (t%x) died after voting, before "
               "acknowledging\n",
               i, tid);
        lost++;
      }
    }
  }
  pvm_initsend(PvmDataDefault);
  pvm_mcast(alive, nalive, TAG_DONE);

  /* The rules: COMMIT if and only if nobody crashed and nobody voted NO. */
  int expected = crash < 0 && voteno < 0;
  /* A participant lost in phase 2 has not applied anything we know of;
   * every one still there must have applied the decision. */
  int ok = commit == expected && agree == acks && acks == nalive - lost;
  printf("twopc: %d participants, %s: decision %s, %d of %d live participants "
         "applied it: %s\n",
         n,
         crash >= 0    ? "one crashed before voting"
         : voteno >= 0 ? "one voted NO"
                       : "all voted YES",
         verdict(commit), agree, nalive - lost, ok ? "OK" : "WRONG");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc > 3 && strcmp(argv[1], "--participant") == 0)
    return participant(atoi(argv[2]), argv[3]);
  int n = argc > 1 ? atoi(argv[1]) : 4;
  int crash = argc > 2 ? atoi(argv[2]) : -1,
      voteno = argc > 3 ? atoi(argv[3]) : -1;
  if (n < 1 || n > MAXPART || crash < -1 || crash >= n || voteno < -1 ||
      voteno >= n || (crash >= 0 && crash == voteno)) {
    fprintf(stderr,
            "usage: twopc [nparticipants 1..%d [crash k|-1 [vote-no k|-1]]]\n",
            MAXPART);
    return 2;
  }
  int status = coordinator(n, crash, voteno, argv[0]);
  pvm_exit();
  return status;
}
