/* The host table. Lookups are linear: a virtual machine has at most a few
 * thousand hosts and the table is consulted per request, not per message
 * (messages route on the host bits of the destination tid). */
#include "host.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tid.h"

void pvmd_hostname(char *out, unsigned outlen) {
  if (outlen == 0)
    return;
  if (gethostname(out, outlen) != 0 || out[0] == '\0') {
    strncpy(out, "localhost", outlen - 1);
    out[outlen - 1] = '\0';
    return;
  }
  out[outlen - 1] = '\0';
}

int pvmd_hosts_init(struct pvmd_hosts *h, int host_no, const char *name,
                    const char *alias) {
  struct pvmd_host *self;

  memset(h, 0, sizeof *h);
  h->v = calloc(1, sizeof *h->v);
  if (!h->v)
    return -1;
  h->n = 1;
  h->self = 0;
  self = &h->v[0];
  self->tid = pvmw_tid_make(host_no, 0);
  strncpy(self->name, name, sizeof self->name - 1);
  if (alias && strcasecmp(alias, name) != 0)
    strncpy(self->alias, alias, sizeof self->alias - 1);
  strcpy(self->arch, PVMD_ARCH);
  self->speed = PVMD_SPEED;
  self->dsig = PVMD_DSIG;
  self->self = 1;
  return 0;
}

void pvmd_hosts_free(struct pvmd_hosts *h) {
  free(h->v);
  memset(h, 0, sizeof *h);
}

const struct pvmd_host *pvmd_host_self(const struct pvmd_hosts *h) {
  return &h->v[h->self];
}

const struct pvmd_host *pvmd_host_by_tid(const struct pvmd_hosts *h, int tid) {
  for (int i = 0; i < h->n; i++)
    if (h->v[i].tid == tid)
      return &h->v[i];
  return NULL;
}

/* name equals full, or equals full's part before the first '.'. */
static int name_matches(const char *full, const char *name) {
  const char *dot;
  if (strcasecmp(full, name) == 0)
    return 1;
  dot = strchr(full, '.');
  return dot && strlen(name) == (size_t)(dot - full) &&
         strncasecmp(full, name, (size_t)(dot - full)) == 0;
}

const struct pvmd_host *pvmd_host_by_name(const struct pvmd_hosts *h,
                                          const char *name) {
  if (!name || !*name)
    return NULL;
  if (strcmp(name, ".") == 0 || strcasecmp(name, "localhost") == 0)
    return pvmd_host_self(h);
  for (int i = 0; i < h->n; i++)
    if (name_matches(h->v[i].name, name) ||
        (h->v[i].alias[0] && name_matches(h->v[i].alias, name)))
      return &h->v[i];
  return NULL;
}
