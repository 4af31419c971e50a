/* Loading the TLS engine for direct links between hosts (tls_api.h):
 * libpvm3tls from the directory libpvm3 itself was loaded from, else by
 * the dynamic linker's search. */
#include "tlsload.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const struct pvmw_tls_api *api;
static char why[300];

const struct pvmw_tls_api *lpvm_tls_api(const char **err) {
  Dl_info info;
  void *h = NULL;
  if (api != NULL || why[0] != '\0') {
    *err = why;
    return api;
  }
  if (dladdr((void *)lpvm_tls_api, &info) != 0 && info.dli_fname != NULL) {
    char path[PATH_MAX];
    const char *slash = strrchr(info.dli_fname, '/');
    if (slash != NULL &&
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - info.dli_fname),
                 info.dli_fname, PVMW_TLS_API_LIB) < (int)sizeof path)
      h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  }
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
