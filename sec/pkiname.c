/* Certificate names (pki.h), apart from the rest of the PKI code so that
 * libpvm3 can check a name without linking OpenSSL. */
#include <string.h>

#include "pki.h"

int pvmw_pki_name_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > PVMW_PKI_NAME_MAX || name[0] == '.' || name[0] == '-')
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}
