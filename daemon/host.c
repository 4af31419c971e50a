/* The host table. Lookups are linear: a virtual machine has at most a few
 * thousand hosts and the table is consulted per request, not per message
 * (messages route on the host bits of the destination tid). */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pvm.pb-c.h"
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
  self->dsig = pvmd_host_dsig();
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

int pvmd_host_name_matches(const char *full, const char *name) {
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
    if (pvmd_host_name_matches(h->v[i].name, name) ||
        (h->v[i].alias[0] && pvmd_host_name_matches(h->v[i].alias, name)))
      return &h->v[i];
  return NULL;
}

static void fill(struct pvmd_host *e, int tid, const char *name) {
  memset(e, 0, sizeof *e);
  e->tid = tid;
  strncpy(e->name, name, sizeof e->name - 1);
  strcpy(e->arch, PVMD_ARCH);
  e->speed = PVMD_SPEED;
  e->dsig = pvmd_host_dsig(); /* until its daemon's hello says */
}

int pvmd_hosts_add(struct pvmd_hosts *h, int tid, const char *name) {
  struct pvmd_host *v = realloc(h->v, (size_t)(h->n + 1) * sizeof *v);
  int i;
  if (!v)
    return -1;
  h->v = v;
  for (i = h->n; i > 0 && v[i - 1].tid > tid; i--)
    v[i] = v[i - 1];
  fill(&v[i], tid, name);
  if (i <= h->self)
    h->self++;
  h->n++;
  return 0;
}

int pvmd_hosts_set_speed(struct pvmd_hosts *h, int tid, int speed) {
  for (int i = 0; i < h->n; i++) {
    if (h->v[i].tid == tid) {
      h->v[i].speed = speed;
      return 0;
    }
  }
  return -1;
}

int pvmd_hosts_set_format(struct pvmd_hosts *h, int tid, const char *arch,
                          int dsig) {
  for (int i = 0; i < h->n; i++) {
    if (h->v[i].tid != tid)
      continue;
    if (arch && *arch)
      snprintf(h->v[i].arch, sizeof h->v[i].arch, "%s", arch);
    if (dsig != 0)
      h->v[i].dsig = dsig;
    return 0;
  }
  return -1;
}

int pvmd_hosts_narch(const struct pvmd_hosts *h) {
  int n = 0;
  for (int i = 0; i < h->n; i++) {
    int seen = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = h->v[j].dsig == h->v[i].dsig;
    n += !seen;
  }
  return n;
}

/* Which byte of a value sits at each address, for the four orders of the
 * signature: 0 little, 1 little with big-endian halves, 2 big with
 * little-endian halves, 3 big. n is 1, 2, 4 or 8. */
static unsigned byte_at(unsigned order, unsigned k, unsigned n) {
  unsigned half = n / 2 ? n / 2 : 1, in = k % half, which = k / half;
  switch (order) {
  case 0:
    return k;
  case 1:
    return which * half + (half - 1 - in);
  case 2:
    return (n / half - 1 - which) * half + in;
  default:
    return n - 1 - k;
  }
}

/* The order (0..3) in which mem holds the n bytes of value, whose byte k
 * (counting from the least significant) is want[k]; -1 if none fits. Tried
 * in PVM 3.4's preference, plain orders first: a 2-byte big-endian short
 * fits both 2 and 3, and PVM calls it 3 (so does the dsig of a big-endian
 * host that PVM 3.4 would report). */
static int order_of(const unsigned char *mem, const unsigned char *want,
                    unsigned n) {
  static const unsigned pref[4] = {0, 3, 2, 1};
  for (unsigned o = 0; o < 4; o++) {
    unsigned order = pref[o], k = 0;
    while (k < n && mem[k] == want[byte_at(order, k, n)])
      k++;
    if (k == n)
      return (int)order;
  }
  return -1;
}

static int int_sig(const void *mem, unsigned n, unsigned shift) {
  static const unsigned char idx[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  int order = order_of(mem, idx, n), lg = 0;
  while ((1u << lg) < n)
    lg++;
  return order < 0 ? -1 : (int)(((unsigned)lg | (unsigned)order << 3) << shift);
}

/* 1.0 in IEEE single (format 1) or double (format 2), least significant
 * byte first. */
static int float_sig(const void *mem, unsigned n, unsigned shift) {
  static const unsigned char one4[4] = {0x00, 0x00, 0x80, 0x3f};
  static const unsigned char one8[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
  int order = order_of(mem, n == 4 ? one4 : one8, n);
  unsigned fmt = n == 4 ? 1 : 2;
  return order < 0 ? -1 : (int)((fmt | (unsigned)order << 4) << shift);
}

int pvmd_host_dsig(void) {
  short s = 0;
  int i = 0;
  long l = 0;
  float f = 1.0f;
  double d = 1.0;
  int part[5], sig = 0;
  for (unsigned k = 0; k < sizeof s; k++)
    s = (short)(s | (short)(k << (8 * k)));
  for (unsigned k = 0; k < sizeof i; k++)
    i |= (int)(k << (8 * k));
  for (unsigned k = 0; k < sizeof l; k++)
    l |= (long)k << (8 * k);
  part[0] = int_sig(&s, sizeof s, 0);
  part[1] = int_sig(&i, sizeof i, 5);
  part[2] = int_sig(&l, sizeof l, 10);
  part[3] = float_sig(&f, sizeof f, 15);
  part[4] = float_sig(&d, sizeof d, 21);
  for (int k = 0; k < 5; k++) {
    if (part[k] < 0)
      return 0;
    sig |= part[k];
  }
  return sig;
}

void pvmd_hosts_remove(struct pvmd_hosts *h, int tid) {
  for (int i = 0; i < h->n; i++) {
    if (h->v[i].tid != tid || i == h->self)
      continue;
    memmove(&h->v[i], &h->v[i + 1], (size_t)(h->n - i - 1) * sizeof *h->v);
    h->n--;
    if (i < h->self)
      h->self--;
    return;
  }
}

int pvmd_hosts_replace(struct pvmd_hosts *h, Pvmng__HostInfo **infos, size_t n,
                       int self_tid) {
  struct pvmd_host *v = calloc(n ? n : 1, sizeof *v), old = h->v[h->self];
  int self = -1;
  if (!v)
    return -1;
  for (size_t i = 0; i < n; i++) {
    fill(&v[i], (int)infos[i]->tid, infos[i]->name);
    if (infos[i]->arch && *infos[i]->arch)
      snprintf(v[i].arch, sizeof v[i].arch, "%s", infos[i]->arch);
    v[i].speed = infos[i]->speed;
    v[i].dsig = infos[i]->dsig;
    if (v[i].tid == self_tid) {
      self = (int)i;
      v[i].self = 1;
      memcpy(v[i].alias, old.alias, sizeof old.alias);
    }
  }
  if (self < 0) {
    free(v);
    return -1;
  }
  free(h->v);
  h->v = v;
  h->n = (int)n;
  h->self = self;
  return 0;
}

void pvmd_hosts_fill_infos(const struct pvmd_hosts *hs, Pvmng__HostInfo *infos,
                           Pvmng__HostInfo **ptrs) {
  for (int i = 0; i < hs->n; i++) {
    Pvmng__HostInfo init = PVMNG__HOST_INFO__INIT;
    infos[i] = init;
    infos[i].tid = (uint32_t)hs->v[i].tid;
    infos[i].name = (char *)hs->v[i].name;
    infos[i].arch = (char *)hs->v[i].arch;
    infos[i].speed = hs->v[i].speed;
    infos[i].dsig = hs->v[i].dsig;
    ptrs[i] = &infos[i];
  }
}
