/* The host file (pvmd3(1PVM), HOST FILE FORMAT), parsed once into a table,
 * and the host options of one host. A line is a '#' comment, a blank line,
 * a '*' line of option defaults, or a host line "[&]name [option=value ...]"
 * ('&': stored, started only by pvm_addhosts). The defaults in force at a
 * host line apply to it before its own options; a '*' line replaces the
 * defaults before it, and the last one also applies to hosts added later
 * that have no line of their own.
 *
 * Options: lo= login name, so=ms manual startup (so=pw is refused: there is
 * no password prompting with ssh), dx= the daemon's path, ep= the search
 * path for spawned programs, wd= their working directory, sp= speed
 * (1..1000000), bx= debugger, ip= the name or address the host is reached
 * at, id= the VM id of its daemon.
 *
 * "$NAME" and "${NAME}" in a value are environment variables, expanded by
 * the daemon that uses the value: lo=, so=, dx=, sp=, ip= and id= by the
 * master when it reads them; ep=, wd= and bx= are kept as written and
 * expanded by the daemon of that host (pvmd_hostopts_expand). $PVM_ARCH is
 * LINUX64 when it is not set. An unset variable is an error. */
#ifndef PVMD_HOSTOPTS_H
#define PVMD_HOSTOPTS_H

#include <stddef.h>
#include <stdio.h>

#define PVMD_HF_LINE_MAX 1024 /* longest host file line, newline included */
#define PVMD_HF_LOGIN_MAX 64  /* lo= (with its NUL) */
#define PVMD_HF_VALUE_MAX                                                      \
  1024 /* dx=, ep=, wd=, bx= (with its NUL), also                              \
          after expansion */

enum pvmd_so { PVMD_SO_NONE = 0, PVMD_SO_MS = 1, PVMD_SO_PW = 2 };

/* Bits of pvmd_hostopts.set: which options were given. */
enum {
  PVMD_HO_LO = 1 << 0,
  PVMD_HO_SO = 1 << 1,
  PVMD_HO_DX = 1 << 2,
  PVMD_HO_EP = 1 << 3,
  PVMD_HO_WD = 1 << 4,
  PVMD_HO_SP = 1 << 5,
  PVMD_HO_BX = 1 << 6,
  PVMD_HO_IP = 1 << 7,
  PVMD_HO_ID = 1 << 8,
};

/* One host's options. The strings are owned (malloc'd) and NULL when the
 * option is not set; sp is 0 when not set (use PVMD_SPEED). */
struct pvmd_hostopts {
  unsigned set;
  char *lo, *dx, *ep, *wd, *bx, *ip, *id;
  int sp;
  int so;
};

struct pvmd_hostent {
  char *name;
  int line;
  int deferred;              /* '&': not started with the file */
  struct pvmd_hostopts opts; /* the defaults at its line, then its own */
};

struct pvmd_hostfile {
  char *path;
  struct pvmd_hostent *v;
  size_t n;
  struct pvmd_hostopts defaults; /* the last '*' line */
};

void pvmd_hostopts_free(struct pvmd_hostopts *o);
/* dst = copy of src (dst's old strings freed). 0 or -1 (out of memory). */
int pvmd_hostopts_copy(struct pvmd_hostopts *dst,
                       const struct pvmd_hostopts *src);
/* Every option set in over replaces dst's. 0 or -1 (out of memory). */
int pvmd_hostopts_merge(struct pvmd_hostopts *dst,
                        const struct pvmd_hostopts *over);

/* Parses whitespace-separated "opt=value" words of text into o (options
 * given twice: the last wins). Returns 0, or -1 with the reason in err. */
int pvmd_hostopts_parse(struct pvmd_hostopts *o, const char *text, char *err,
                        size_t errlen);

/* Expands $NAME and ${NAME} of in from the environment into out. Returns 0,
 * or -1 with the reason in err (unset variable, bad syntax, result longer
 * than outlen - 1 bytes). */
int pvmd_hostopts_expand(const char *in, char *out, size_t outlen, char *err,
                         size_t errlen);

/* Reads the host file at path into hf. Returns 0, or -1 with the reason in
 * err ("host file PATH line N: ..." for a bad line). */
int pvmd_hostfile_load(struct pvmd_hostfile *hf, const char *path, char *err,
                       size_t errlen);
/* The same from an open stream; path names it in errors. */
int pvmd_hostfile_read(struct pvmd_hostfile *hf, FILE *fp, const char *path,
                       char *err, size_t errlen);
void pvmd_hostfile_free(struct pvmd_hostfile *hf);
/* Inside a Slurm allocation: the nodes of $SLURM_JOB_NODELIST, expanded by
 * `scontrol show hostnames`, read into hf as a host file of one name per
 * line (pvmd -S). Returns 0, or -1 with the reason in err. */
int pvmd_hostfile_slurm(struct pvmd_hostfile *hf, char *err, size_t errlen);

/* The entry for name (case-insensitive; the short name before the first '.'
 * matches too), or NULL. */
const struct pvmd_hostent *pvmd_hostfile_find(const struct pvmd_hostfile *hf,
                                              const char *name);

/* A host named to pvm_addhosts: spec is "name [opt=value ...]". Puts the
 * name in name[] and into o the options of its host file line (hf may be
 * NULL), else the last '*' defaults, then those of spec. Returns 0, or -1
 * with the reason in err. */
int pvmd_hostfile_resolve(const struct pvmd_hostfile *hf, const char *spec,
                          char *name, size_t namelen, struct pvmd_hostopts *o,
                          char *err, size_t errlen);

/* The shell command that starts host name's daemon (run by $PVM_RSH, or
 * typed by hand for so=ms):
 *   [PVM_VMID='id'] [PVM_CERTDIR='dir'] DAEMON -s MASTER -n NAME [-d]
 *   [-e 'ep'] [-w 'wd'] [-b 'bx']
 * DAEMON is dx= (a simple name is looked up in the remote PATH, a relative
 * path starts at the remote $HOME) or else self_exe. vmid is the master's
 * VM id (replaced by id=), certdir may be NULL. Returns 0, or -1 with the
 * reason in err (too long, or a value holds a quote). */
int pvmd_hostopts_command(const struct pvmd_hostopts *o, const char *name,
                          const char *vmid, const char *certdir,
                          const char *self_exe, const char *master, int debug,
                          char *out, size_t outlen, char *err, size_t errlen);

/* argv for $PVM_RSH: rsh [-l lo] target command, target being ip= or name;
 * argv must have room for 6 pointers (pointing into o, name, rsh, command). */
void pvmd_hostopts_rsh_argv(const struct pvmd_hostopts *o, const char *name,
                            const char *rsh, const char *command, char **argv);

#endif
