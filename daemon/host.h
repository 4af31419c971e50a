/* The host table: every daemon of the virtual machine, indexed by host
 * number. A one-host VM holds only this daemon's own entry (host 1); peer
 * links and the master's host-number allocation add entries here later. */
#ifndef PVMD_HOST_H
#define PVMD_HOST_H

/* PVM's architecture name of the machine this daemon was built for, as
 * PVM 3.4's pvmgetarch names it (aarch64 and riscv64, which PVM 3.4 predates,
 * get names of the same pattern). */
#if defined(__x86_64__)
#define PVMD_ARCH "LINUX64"
#elif defined(__i386__)
#define PVMD_ARCH "LINUX"
#elif defined(__aarch64__)
#define PVMD_ARCH "LINUXAARCH64"
#elif defined(__arm__)
#define PVMD_ARCH "LINUXARM"
#elif defined(__s390__)
#define PVMD_ARCH "LINUXS390"
#elif defined(__powerpc__)
#define PVMD_ARCH "LINUXPPC"
#elif defined(__sparc__)
#define PVMD_ARCH "LINUXSPARC"
#elif defined(__alpha__)
#define PVMD_ARCH "LINUXALPHA"
#elif defined(__ia64__)
#define PVMD_ARCH "LINUXIA64"
#elif defined(__mips__)
#define PVMD_ARCH "LINUXMIPS"
#elif defined(__riscv)
#define PVMD_ARCH "LINUXRISCV64"
#else
#define PVMD_ARCH "LINUX"
#endif
#define PVMD_SPEED 1000
#define PVMD_HOSTNAME_MAX 256

#include <stddef.h>

#include "pvm.pb-c.h"

struct pvmd_host {
  int tid; /* the daemon's tid: pvmw_tid_make(host number, 0) */
  char name[PVMD_HOSTNAME_MAX];
  char alias[PVMD_HOSTNAME_MAX]; /* another name it answers to, or "" */
  char arch[16];
  int speed;
  int dsig;
  int self; /* this daemon */
};

struct pvmd_hosts {
  struct pvmd_host *v; /* in host-number order, without gaps in v (host
                          numbers may have gaps after a host leaves) */
  int n;
  int self; /* index of this daemon's entry */
};

/* Builds the table with this host only, under name (the -n name, else
 * gethostname); alias (gethostname when -n differs, else NULL) is matched
 * too. Returns 0 or -1 (out of memory). */
int pvmd_hosts_init(struct pvmd_hosts *h, int host_no, const char *name,
                    const char *alias);
void pvmd_hosts_free(struct pvmd_hosts *h);

/* Whether name names host `full`: equal to it, or to its part before the
 * first '.' (case does not matter). */
int pvmd_host_name_matches(const char *full, const char *name);

const struct pvmd_host *pvmd_host_self(const struct pvmd_hosts *h);
const struct pvmd_host *pvmd_host_by_tid(const struct pvmd_hosts *h, int tid);
/* Finds a host by the name a user would type: its full name or the short
 * form before the first '.', case-insensitively; "localhost" and "." name
 * this host. NULL if none. */
const struct pvmd_host *pvmd_host_by_name(const struct pvmd_hosts *h,
                                          const char *name);

/* This machine's data signature in PVM 3.4's layout (pvm_config's hi_dsig,
 * pvm_archcode): for each of short, int and long, log2 of its size (3 bits)
 * then its byte order (2 bits: 0 little-endian, 1 little with halves
 * swapped, 2 big with halves swapped, 3 big-endian), from bit 0, 5 and 10;
 * for float and double, the format (4 bits: 1 IEEE single, 2 IEEE double)
 * then the byte order (2 bits), from bit 15 and 21. x86-64: 0x408c41.
 * 0 if a type matches none of these layouts. */
int pvmd_host_dsig(void);
/* Sets the architecture and data signature of the host with daemon tid, as
 * its daemon reported them (empty arch / 0 dsig: unchanged); -1 if there is
 * no such host. */
int pvmd_hosts_set_format(struct pvmd_hosts *h, int tid, const char *arch,
                          int dsig);
/* Number of distinct data signatures in the table (pvm_config's narch). */
int pvmd_hosts_narch(const struct pvmd_hosts *h);

/* The master adds a host (tid = its daemon tid); copies name. 0 or -1. */
int pvmd_hosts_add(struct pvmd_hosts *h, int tid, const char *name);
/* Sets the speed (sp=) of the host with daemon tid; -1 if there is none. */
int pvmd_hosts_set_speed(struct pvmd_hosts *h, int tid, int speed);
/* Removes the host with daemon tid (not this daemon's own entry). */
void pvmd_hosts_remove(struct pvmd_hosts *h, int tid);
/* A slave takes the master's table: infos in host order, self_tid names
 * this daemon's entry. Returns 0 or -1 (out of memory; table unchanged). */
int pvmd_hosts_replace(struct pvmd_hosts *h, Pvmng__HostInfo **infos, size_t n,
                       int self_tid);

/* Describes every host of hs in infos[0..n) (pointing into hs, so valid
 * while hs is unchanged) and sets ptrs[i] = &infos[i], for a reply. */
void pvmd_hosts_fill_infos(const struct pvmd_hosts *hs, Pvmng__HostInfo *infos,
                           Pvmng__HostInfo **ptrs);

/* This machine's host name (gethostname), "localhost" if unavailable. */
void pvmd_hostname(char *out, unsigned outlen);

#endif
