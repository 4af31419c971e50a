/* getopt and setopt: the console's own libpvm options, by their PVM names
 * (PvmRoute, PvmAutoErr, ...), printed the way PVM 3.4's console does. */
#include <string.h>
#include <strings.h>

#include "console.h"
#include "pvm3.h"

static const struct {
  const char *name;
  int what;
} options[] = {
    {"PvmRoute", PvmRoute},
    {"PvmDebugMask", PvmDebugMask},
    {"PvmAutoErr", PvmAutoErr},
    {"PvmOutputTid", PvmOutputTid},
    {"PvmOutputCode", PvmOutputCode},
    {"PvmTraceTid", PvmTraceTid},
    {"PvmTraceCode", PvmTraceCode},
    {"PvmTraceBuffer", PvmTraceBuffer},
    {"PvmTraceOptions", PvmTraceOptions},
    {"PvmFragSize", PvmFragSize},
    {"PvmResvTids", PvmResvTids},
    {"PvmSelfOutputTid", PvmSelfOutputTid},
    {"PvmSelfOutputCode", PvmSelfOutputCode},
    {"PvmSelfTraceTid", PvmSelfTraceTid},
    {"PvmSelfTraceCode", PvmSelfTraceCode},
    {"PvmSelfTraceBuffer", PvmSelfTraceBuffer},
    {"PvmSelfTraceOptions", PvmSelfTraceOptions},
    {"PvmShowTids", PvmShowTids},
    {"PvmPollType", PvmPollType},
    {"PvmPollTime", PvmPollTime},
    {"PvmOutputContext", PvmOutputContext},
    {"PvmTraceContext", PvmTraceContext},
    {"PvmSelfOutputContext", PvmSelfOutputContext},
    {"PvmSelfTraceContext", PvmSelfTraceContext},
    {"PvmNoReset", PvmNoReset},
};
#define NOPTIONS ((int)(sizeof options / sizeof options[0]))

/* Symbolic values accepted by setopt besides numbers. */
static const struct {
  const char *name;
  int value;
} option_values[] = {
    {"PvmDontRoute", PvmDontRoute},       {"PvmAllowDirect", PvmAllowDirect},
    {"PvmRouteDirect", PvmRouteDirect},   {"PvmTraceFull", PvmTraceFull},
    {"PvmTraceTime", PvmTraceTime},       {"PvmTraceCount", PvmTraceCount},
    {"PvmPollConstant", PvmPollConstant}, {"PvmPollSleep", PvmPollSleep},
};

/* Finds an option by its PVM name; "Route" and "pvmroute" are accepted
 * too. Returns its index or -1. */
static int option_find(const char *name) {
  for (int i = 0; i < NOPTIONS; i++) {
    if (strcasecmp(options[i].name, name) == 0 ||
        strcasecmp(options[i].name + 3, name) == 0)
      return i;
  }
  return -1;
}

static int option_unknown(const char *name) {
  printf("PVM Option \"%s\" Unknown. ('getopt' lists the options)\n", name);
  return 1;
}

int cons_getopt(int argc, char **argv) {
  if (argc > 2)
    return cons_usage(argv[0], "getopt [what]");
  if (argc == 2) {
    int i = option_find(argv[1]);
    if (i < 0)
      return option_unknown(argv[1]);
    printf("%s Currently Set to %d\n", options[i].name,
           pvm_getopt(options[i].what));
    return 0;
  }
  for (int i = 0; i < NOPTIONS; i++) {
    /* PVM's console leaves out the shared-memory polling options. */
    if (options[i].what == PvmPollType || options[i].what == PvmPollTime)
      continue;
    printf("%s Currently Set to %d\n", options[i].name,
           pvm_getopt(options[i].what));
  }
  return 0;
}

int cons_setopt(int argc, char **argv) {
  int i, val, old;

  if (argc != 3)
    return cons_usage(argv[0], "setopt what value");
  if ((i = option_find(argv[1])) < 0)
    return option_unknown(argv[1]);
  if (cons_parse_int(argv[2], &val) < 0 && cons_parse_tid(argv[2], &val) < 0) {
    size_t k;
    for (k = 0; k < sizeof option_values / sizeof option_values[0]; k++)
      if (strcasecmp(option_values[k].name, argv[2]) == 0)
        break;
    if (k == sizeof option_values / sizeof option_values[0]) {
      printf("setopt: bad value '%s'; give a number (or a name such as "
             "PvmRouteDirect)\n",
             argv[2]);
      return 1;
    }
    val = option_values[k].value;
  }
  old = pvm_getopt(options[i].what);
  int rc = pvm_setopt(options[i].what, val);
  if (rc < 0 && pvm_getopt(options[i].what) != val) {
    printf("setopt %s: %s\n", options[i].name, cons_errstr(rc));
    return 1;
  }
  printf("%s Changed from %d to %d\n", options[i].name, old,
         pvm_getopt(options[i].what));
  return 0;
}
