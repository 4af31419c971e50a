/* `--json` forms of the console's listings (json.c). */
#ifndef CONS_JSON_H
#define CONS_JSON_H

#include <jansson.h>

#include "pvm3.h"

/* Removes every "--json" from argv (argc and argv updated, argv[argc] =
 * NULL); returns whether there was one. */
int cons_take_json(int *argc, char **argv);

int cons_conf_json(void);
int cons_mstat_json(int argc, char **argv);
int cons_groups_json(const char *group);
int cons_names_json(const char *pattern);

/* One task of ps, as an object (a new reference, NULL without memory). */
json_t *cons_json_task(const struct pvmtaskinfo *t, const char *host,
                       const char *flags);
/* Prints root (stealing it) and a newline; 0, or 1 if root is NULL. */
int cons_json_print(json_t *root, const char *cmd);

#endif
