/* The console's `groups` command: the dynamic groups of the virtual
 * machine as the group registry knows them (pvmng_gstat): name, size,
 * whether frozen, and each member as instance:tid. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "json.h"
#include "pvm3.h"
#include "pvmng.h"

int cons_groups(int argc, char **argv) {
  struct pvmng_gstat *st = NULL;
  int n = 0, rc;

  int json = cons_take_json(&argc, argv);

  if (argc > 2)
    return cons_usage(argv[0], "groups [--json] [group]");
  if (json)
    return cons_groups_json(argc == 2 ? argv[1] : NULL);
  rc = pvmng_gstat(argc == 2 ? argv[1] : NULL, &st, &n);
  if (rc < 0) {
    printf("groups: %s\n", cons_errstr(rc));
    return 1;
  }
  if (n == 0) {
    printf("no groups\n");
    pvmng_gstat_free(st, n);
    return 0;
  }
  printf("%-20s %5s %6s  %s\n", "GROUP", "SIZE", "FROZEN",
         "MEMBERS (instance:tid)");
  for (int i = 0; i < n; i++) {
    printf("%-20s %5d %6s ", st[i].name, st[i].size,
           st[i].frozen ? (st[i].defunct ? "left" : "yes") : "no");
    for (int k = 0; k < st[i].ninst; k++)
      if (st[i].tids[k] > 0)
        printf(" %d:t%x", k, (unsigned)st[i].tids[k]);
    if (st[i].barrier_waiting > 0)
      printf("  (%d in a barrier for %d)", st[i].barrier_waiting,
             st[i].barrier_count);
    printf("\n");
  }
  pvmng_gstat_free(st, n);
  return 0;
}
