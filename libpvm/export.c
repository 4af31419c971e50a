/* pvm_export and pvm_unexport: the list of environment variables that
 * pvm_spawn hands on to the tasks it starts, kept where PVM 3.4 keeps it,
 * in $PVM_EXPORT (names separated by colons); task.c reads it at spawn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpvm.h"
#include "pvm3.h"

static int export_valid(const char *name) {
  if (name == NULL || *name == '\0')
    return 0;
  for (const char *p = name; *p; p++)
    if (*p == ':' || *p == '=')
      return 0;
  return 1;
}

static int in_list(const char *list, const char *name, const char **at) {
  size_t n = strlen(name);
  const char *p = list;
  while (p && *p) {
    const char *e = strchr(p, ':');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) {
      if (at)
        *at = p;
      return 1;
    }
    p = e ? e + 1 : NULL;
  }
  return 0;
}

int pvm_export(char *name) {
  const char *cur = getenv("PVM_EXPORT");
  char *nv;
  if (!export_valid(name))
    return lpvm_err("pvm_export", PvmBadParam);
  if (cur != NULL && in_list(cur, name, NULL))
    return 0;
  if (cur == NULL || *cur == '\0')
    return setenv("PVM_EXPORT", name, 1) == 0
               ? 0
               : lpvm_err("pvm_export", PvmNoMem);
  if ((nv = malloc(strlen(cur) + strlen(name) + 2)) == NULL)
    return lpvm_err("pvm_export", PvmNoMem);
  sprintf(nv, "%s:%s", cur, name);
  int rc = setenv("PVM_EXPORT", nv, 1);
  free(nv);
  return rc == 0 ? 0 : lpvm_err("pvm_export", PvmNoMem);
}

int pvm_unexport(char *name) {
  const char *cur = getenv("PVM_EXPORT");
  char *nv, *out;
  size_t n;
  if (!export_valid(name))
    return lpvm_err("pvm_unexport", PvmBadParam);
  if (cur == NULL || !in_list(cur, name, NULL))
    return 0;
  n = strlen(name);
  if ((nv = malloc(strlen(cur) + 1)) == NULL)
    return lpvm_err("pvm_unexport", PvmNoMem);
  out = nv;
  /* Rebuild the list without every occurrence of name. */
  for (const char *p = cur; *p;) {
    const char *e = strchr(p, ':');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len > 0 && !(len == n && strncmp(p, name, n) == 0)) {
      if (out != nv)
        *out++ = ':';
      memcpy(out, p, len);
      out += len;
    }
    p += len;
    if (*p == ':')
      p++;
  }
  *out = '\0';
  int rc = *nv ? setenv("PVM_EXPORT", nv, 1) : unsetenv("PVM_EXPORT");
  free(nv);
  return rc == 0 ? 0 : lpvm_err("pvm_unexport", PvmNoMem);
}
