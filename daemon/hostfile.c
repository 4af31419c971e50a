/* Host file reading. Lines: '#' comments, blank lines, '*' option defaults,
 * and host lines "[&]name [option=value ...]" ('&': add later). Only the
 * names matter for now (peer.c adds them); options are not used yet. */
#include "hostfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "log.h"

int pvmd_hostfile_check(const char *path, const struct pvmd_hosts *hosts) {
  char line[1024], others[512] = "";
  size_t olen = 0;
  int nothers = 0;
  FILE *fp = fopen(path, "re");

  if (!fp) {
    int e = errno;
    fprintf(stderr, "pvmd: cannot read host file %s: %s\n", path, strerror(e));
    pvmd_log("cannot read host file %s: %s", path, strerror(e));
    return -1;
  }
  while (fgets(line, sizeof line, fp)) {
    char *p = line + strspn(line, " \t"), *name;
    size_t n;
    if (*p == '#' || *p == '*' || *p == '\n' || *p == '\0')
      continue;
    if (*p == '&')
      p++;
    name = p;
    n = strcspn(name, " \t\r\n");
    if (n == 0)
      continue;
    name[n] = '\0';
    if (pvmd_host_by_name(hosts, name))
      continue;
    nothers++;
    if (olen + n + 3 < sizeof others) {
      olen += (size_t)snprintf(others + olen, sizeof others - olen, "%s%s",
                               olen ? ", " : "", name);
    }
  }
  fclose(fp);
  if (nothers > 0)
    pvmd_log("host file %s names %d other host%s (%s): adding them", path,
             nothers, nothers == 1 ? "" : "s", others);
  return 0;
}
