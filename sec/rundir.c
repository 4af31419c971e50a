/* The runtime directory that holds a virtual machine's local endpoints. It
 * must be private to the user: we refuse to use (or write through) a path
 * that is a symlink, not a directory, owned by someone else or open to group
 * or others, and say which path and why. */
#include "rundir.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const char *pvmw_vmid(char *err, size_t errlen) {
  const char *v = getenv("PVM_VMID");
  size_t n;
  if (v == NULL)
    return "";
  n = strlen(v);
  if (n > PVMW_VMID_MAX) {
    snprintf(err, errlen, "PVM_VMID is longer than %d characters",
             PVMW_VMID_MAX);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      snprintf(err, errlen,
               "PVM_VMID \"%s\" may contain only letters, digits, '.', '_' "
               "and '-'",
               v);
      return NULL;
    }
  }
  return v;
}

/* Checks that path is a private directory of ours; creates it if asked. */
static int check_dir(const char *path, int create, char *err, size_t errlen) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno != ENOENT || !create) {
      snprintf(err, errlen, "runtime directory %s: %s", path, strerror(errno));
      return -1;
    }
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
      snprintf(err, errlen, "cannot create runtime directory %s: %s", path,
               strerror(errno));
      return -1;
    }
    if (lstat(path, &st) < 0) {
      snprintf(err, errlen, "runtime directory %s: %s", path, strerror(errno));
      return -1;
    }
  }
  if (S_ISLNK(st.st_mode)) {
    snprintf(err, errlen,
             "runtime directory %s is a symbolic link; refusing to use it",
             path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "runtime path %s is not a directory", path);
    return -1;
  }
  if (st.st_uid != geteuid()) {
    snprintf(err, errlen,
             "runtime directory %s belongs to uid %u, not to you (uid %u)",
             path, (unsigned)st.st_uid, (unsigned)geteuid());
    return -1;
  }
  if ((st.st_mode & 077) != 0) {
    snprintf(err, errlen,
             "runtime directory %s is open to others (mode %03o); it must "
             "be 0700 (chmod 700 %s)",
             path, (unsigned)(st.st_mode & 0777), path);
    return -1;
  }
  return 0;
}

int pvmw_rundir(char *out, size_t outlen, int create, char *err,
                size_t errlen) {
  const char *base = getenv("PVM_TMP");
  int n;
  unsigned uid = (unsigned)geteuid();

  if (base != NULL && *base != '\0')
    n = snprintf(out, outlen, "%s/pvm-%u", base, uid);
  else if ((base = getenv("XDG_RUNTIME_DIR")) != NULL && *base != '\0')
    n = snprintf(out, outlen, "%s/pvm", base);
  else
    n = snprintf(out, outlen, "/tmp/pvm-%u", uid);
  if (n < 0 || (size_t)n >= outlen) {
    snprintf(err, errlen, "runtime directory path is too long");
    return -1;
  }
  return check_dir(out, create, err, errlen);
}

int pvmw_runpath(char *out, size_t outlen, const char *vmid, const char *kind,
                 int create, char *err, size_t errlen) {
  char dir[512];
  int n;
  if (pvmw_rundir(dir, sizeof(dir), create, err, errlen) < 0)
    return -1;
  n = snprintf(out, outlen, "%s/pvmd.%s.%s", dir,
               (vmid != NULL && *vmid != '\0') ? vmid : "default", kind);
  if (n < 0 || (size_t)n >= outlen) {
    snprintf(err, errlen, "path for %s in %s is too long (at most %zu bytes)",
             kind, dir, outlen - 1);
    return -1;
  }
  return 0;
}

/* ---- shared-memory segment names ------------------------------------ */

void pvmw_shm_prefix(const char *sock, char *out, size_t len) {
  uint64_t h = 1469598103934665603u;
  for (const char *p = sock ? sock : ""; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  snprintf(out, len, "pvmng.%u.%016llx.", (unsigned)getuid(),
           (unsigned long long)h);
}

int pvmw_shm_sweep(const char *sock) {
  char prefix[64];
  size_t plen;
  struct dirent *e;
  int n = 0;
  DIR *dir = opendir("/dev/shm");
  if (dir == NULL)
    return 0;
  pvmw_shm_prefix(sock, prefix, sizeof prefix);
  plen = strlen(prefix);
  while ((e = readdir(dir)) != NULL) {
    char name[300];
    if (strncmp(e->d_name, prefix, plen) != 0)
      continue;
    snprintf(name, sizeof name, "/%s", e->d_name);
    if (shm_unlink(name) == 0)
      n++;
  }
  closedir(dir);
  return n;
}

/* Length of sock without a trailing ".sock". */
static size_t sock_base_len(const char *sock) {
  size_t n = strlen(sock);
  return n > 5 && strcmp(sock + n - 5, ".sock") == 0 ? n - 5 : n;
}

int pvmw_task_sock_path(const char *sock, int tid, char *out, size_t len) {
  int n = snprintf(out, len, "%.*s.t%x", (int)sock_base_len(sock), sock,
                   (unsigned)tid);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

int pvmw_task_sock_sweep(const char *sock) {
  const char *slash = strrchr(sock, '/');
  char dirpath[4096], path[4096 + 256];
  size_t dlen, blen;
  const char *base;
  struct dirent *e;
  int n = 0;
  DIR *dir;

  if (slash == NULL || (dlen = (size_t)(slash - sock)) >= sizeof dirpath)
    return 0;
  if (dlen == 0) {
    strcpy(dirpath, "/");
  } else {
    memcpy(dirpath, sock, dlen);
    dirpath[dlen] = '\0';
  }
  base = slash + 1;
  blen = sock_base_len(sock) - dlen - 1; /* "pvmd.<vmid>" */
  if ((dir = opendir(dirpath)) == NULL)
    return 0;
  while ((e = readdir(dir)) != NULL) {
    const char *h = e->d_name + blen + 2;
    size_t hl;
    struct stat st;
    if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.' ||
        e->d_name[blen + 1] != 't')
      continue;
    hl = strlen(h);
    if (hl == 0 || hl > 8 || strspn(h, "0123456789abcdef") != hl)
      continue;
    if (snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name) >=
            (int)sizeof path ||
        lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) ||
        st.st_uid != geteuid())
      continue;
    if (unlink(path) == 0)
      n++;
  }
  closedir(dir);
  return n;
}
