/* Loading the TLS engine for direct links between hosts (tls_api.h):
 * libpvm3tls from the directory libpvm3 itself was loaded from, else by
 * the dynamic linker's search; and that directory for whoever else looks
 * for files beside the library (lpvm_lib_path). */
#include "tlsload.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const struct pvmw_tls_api *api;
static char why[300];

int lpvm_lib_path(const char *rel, char *out, size_t len) {
  Dl_info info;
  const char *slash;
  if (dladdr((void *)lpvm_lib_path, &info) == 0 || info.dli_fname == NULL ||
      (slash = strrchr(info.dli_fname, '/')) == NULL)
    return -1;
  return snprintf(out, len, "%.*s/%s", (int)(slash - info.dli_fname),
                  info.dli_fname, rel) < (int)len
             ? 0
             : -1;
}

const struct pvmw_tls_api *lpvm_tls_api(const char **err) {
  char path[PATH_MAX];
  void *h = NULL;
  if (api != NULL || why[0] != '\0') {
    *err = why;
    return api;
  }
  if (lpvm_lib_path(PVMW_TLS_API_LIB, path, sizeof path) == 0)
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    h = dlopen(PVMW_TLS_API_LIB, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *e = dlerror();
    snprintf(why, sizeof why, "cannot load %s: %s", PVMW_TLS_API_LIB,
             e ? e : "not found");
  } else if ((api = dlsym(h, PVMW_TLS_API_SYMBOL)) == NULL) {
    snprintf(why, sizeof why, "%s has no %s", PVMW_TLS_API_LIB,
             PVMW_TLS_API_SYMBOL);
  }
  *err = why;
  return api;
}
