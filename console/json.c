/* `--json` forms of the console's listings (conf, ps, mstat, groups,
 * names), so that scripts read fields instead of parsing columns. Each
 * prints one JSON object (jansson) on stdout; task and daemon ids come as
 * numbers ("tid") and as PVM prints them ("tid_name": "t40001"). Errors
 * stay plain text, as in the column forms. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "json.h"
#include "pvm3.h"
#include "pvmng.h"

int cons_take_json(int *argc, char **argv) {
  int found = 0, k = 1;
  for (int i = 1; i < *argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      found = 1;
    else
      argv[k++] = argv[i];
  }
  argv[k] = NULL;
  *argc = k;
  return found;
}

static json_t *tid_name(int tid) {
  char b[16];
  snprintf(b, sizeof b, "t%x", (unsigned)tid);
  return json_string(b);
}

/* Prints root and releases it; 0, or 1 if it could not be built. */
static int emit(json_t *root, const char *cmd) {
  if (root == NULL ||
      json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0) {
    printf("%s: out of memory\n", cmd);
    json_decref(root);
    return 1;
  }
  putchar('\n');
  json_decref(root);
  return 0;
}

int cons_conf_json(void) {
  int nhost = 0, narch = 0, rc;
  struct pvmhostinfo *hosts = NULL;
  json_t *list, *root;

  rc = pvm_config(&nhost, &narch, &hosts);
  if (rc < 0) {
    printf("conf: %s\n", cons_errstr(rc));
    return 1;
  }
  list = json_array();
  for (int i = 0; i < nhost && list; i++) {
    char dsig[16];
    snprintf(dsig, sizeof dsig, "0x%08x", (unsigned)hosts[i].hi_dsig);
    json_array_append_new(
        list, json_pack("{s:s, s:i, s:o, s:s, s:i, s:s}", "name",
                        hosts[i].hi_name, "tid", hosts[i].hi_tid, "tid_name",
                        tid_name(hosts[i].hi_tid), "arch", hosts[i].hi_arch,
                        "speed", hosts[i].hi_speed, "dsig", dsig));
  }
  root = json_pack("{s:i, s:i, s:o}", "nhost", nhost, "narch", narch, "hosts",
                   list);
  return emit(root, "conf");
}

json_t *cons_json_task(const struct pvmtaskinfo *t, const char *host,
                       const char *flags) {
  return json_pack("{s:s, s:i, s:o, s:i, s:o, s:i, s:i, s:s, s:s, s:b}", "host",
                   host, "tid", t->ti_tid, "tid_name", tid_name(t->ti_tid),
                   "ptid", t->ti_ptid, "ptid_name", tid_name(t->ti_ptid), "pid",
                   t->ti_pid, "flag", t->ti_flag, "flags", flags, "command",
                   t->ti_a_out && t->ti_a_out[0] ? t->ti_a_out : "", "console",
                   t->ti_tid == cons.mytid);
}

int cons_json_print(json_t *root, const char *cmd) { return emit(root, cmd); }

int cons_mstat_json(int argc, char **argv) {
  json_t *list = json_array();
  int failed = 0;
  for (int i = 1; i < argc && list; i++) {
    int rc = pvm_mstat(argv[i]);
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:i}", "name", argv[i], "status",
                        rc == PvmOk ? "ok" : cons_errstr(rc), "code", rc));
    failed |= rc != PvmOk;
  }
  return emit(json_pack("{s:o}", "hosts", list), "mstat") || failed;
}

int cons_groups_json(const char *group) {
  struct pvmng_gstat *st = NULL;
  int n = 0, rc;
  json_t *list;

  rc = pvmng_gstat(group, &st, &n);
  if (rc < 0) {
    printf("groups: %s\n", cons_errstr(rc));
    return 1;
  }
  list = json_array();
  for (int i = 0; i < n && list; i++) {
    json_t *members = json_array();
    for (int k = 0; k < st[i].ninst && members; k++)
      if (st[i].tids[k] > 0)
        json_array_append_new(members,
                              json_pack("{s:i, s:i, s:o}", "instance", k, "tid",
                                        st[i].tids[k], "tid_name",
                                        tid_name(st[i].tids[k])));
    json_array_append_new(
        list, json_pack("{s:s, s:i, s:b, s:b, s:o, s:i, s:i}", "name",
                        st[i].name, "size", st[i].size, "frozen", st[i].frozen,
                        "left", st[i].frozen && st[i].defunct, "members",
                        members, "barrier_waiting", st[i].barrier_waiting,
                        "barrier_count", st[i].barrier_count));
  }
  pvmng_gstat_free(st, n);
  return emit(json_pack("{s:o}", "groups", list), "groups");
}

int cons_names_json(const char *pattern) {
  int nclass = 0, rc;
  struct pvmmboxinfo *classes = NULL;
  json_t *list;

  rc = pvm_getmboxinfo((char *)pattern, &nclass, &classes);
  if (rc < 0) {
    printf("names: %s\n", cons_errstr(rc));
    return 1;
  }
  list = json_array();
  for (int i = 0; i < nclass && list; i++) {
    json_t *entries = json_array();
    for (int k = 0; k < classes[i].mi_nentries && entries; k++)
      json_array_append_new(entries,
                            json_pack("{s:i, s:i, s:o, s:i}", "index",
                                      classes[i].mi_indices[k], "owner",
                                      classes[i].mi_owners[k], "owner_name",
                                      tid_name(classes[i].mi_owners[k]),
                                      "flags", classes[i].mi_flags[k]));
    json_array_append_new(list,
                          json_pack("{s:s, s:o}", "name", classes[i].mi_name,
                                    "entries", entries));
  }
  return emit(json_pack("{s:o}", "classes", list), "names");
}
