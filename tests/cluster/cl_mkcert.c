/* cl_mkcert: makes the certificates that the refusal tests present, with
 * the PKI code the daemon uses (sec/pki.c).
 *   cl_mkcert ca DIR          a CA of its own in DIR (ca.pem, ca.key)
 *   cl_mkcert cert CADIR PREFIX NAME DAYS_FROM DAYS_TO
 *                             PREFIX.pem/.key for NAME, valid between now
 *                             plus DAYS_FROM and now plus DAYS_TO days */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki.h"

int main(int argc, char **argv) {
  char err[512];
  long now = (long)time(NULL);
  if (argc == 3 && strcmp(argv[1], "ca") == 0) {
    if (pvmw_pki_make_ca(argv[2], "rogue CA", now - 86400, now + 86400L * 365,
                         err, sizeof err) != 0) {
      fprintf(stderr, "cl_mkcert: %s\n", err);
      return 1;
    }
    return 0;
  }
  if (argc == 7 && strcmp(argv[1], "cert") == 0) {
    if (pvmw_pki_make_cert(
            argv[2], argv[3], argv[4], now + atol(argv[5]) * 86400L,
            now + atol(argv[6]) * 86400L, err, sizeof err) != 0) {
      fprintf(stderr, "cl_mkcert: %s\n", err);
      return 1;
    }
    return 0;
  }
  fprintf(stderr, "usage: cl_mkcert ca DIR | cl_mkcert cert CADIR PREFIX "
                  "NAME DAYS_FROM DAYS_TO\n");
  return 2;
}
