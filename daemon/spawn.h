/* pvm_spawn on this host: validating the request, finding the executable,
 * building the child's environment and starting the processes with
 * uv_spawn. Each started process gets a task entry at once (state
 * "starting") and is adopted by its hello later. */
#ifndef PVMD_SPAWN_H
#define PVMD_SPAWN_H

#include <stddef.h>
#include <stdint.h>

#include "pvm.pb-c.h"

struct pvmd;
struct pvmd_conn;
struct pvmd_hosts;
struct pvmd_limits;
struct pvmd_task;

/* Handles a spawn request from c and sends the SpawnReply. */
void pvmd_spawn(struct pvmd_conn *c, uint32_t req_id,
                const Pvmng__SpawnRequest *r);

/* Closes the process handle of a spawned task that is still running (at
 * halt); the process itself is not waited for. */
void pvmd_spawn_close(struct pvmd_task *t);

/* Checks sizes and shapes against the limits. Returns 0, or PvmBadParam
 * with a reason in err. */
int pvmd_spawn_check(const struct pvmd_limits *lim,
                     const Pvmng__SpawnRequest *r, char *err, size_t errlen);
/* Whether flags/where select this host: 0, or PvmNoHost. */
int pvmd_spawn_where(const struct pvmd_hosts *hosts,
                     const Pvmng__SpawnRequest *r);
/* Finds the executable for file (see pvm_spawn): a name with '/' is used as
 * is; otherwise each directory of $PVM_PATH ($PVM_ARCH expanded, leading ~
 * as $HOME), then $HOME/pvm3/bin/LINUX64, $PVM_ROOT/bin/LINUX64 and each
 * directory of $PATH. Returns 0 with the path in out, or PvmNoFile. */
int pvmd_spawn_find(const char *file, char *out, size_t outlen);
/* The same with ep (this host's ep=, or NULL): when set, its directories
 * (expanded as those of $PVM_PATH) are searched instead of $PVM_PATH and
 * the two PVM directories, then $PATH. */
int pvmd_spawn_find_in(const char *file, const char *ep, char *out,
                       size_t outlen);
/* pvmd_spawn_find_in, and on failure the directories it looked in, comma
 * separated, in why (whylen bytes; "" for a path with a slash). */
int pvmd_spawn_find_why(const char *file, const char *ep, char *out,
                        size_t outlen, char *why, size_t whylen);
/* The child's environment: base (NULL-terminated) with each NAME=value of
 * over[0..nover) replacing the entry of the same name or appended, in that
 * order. Returns a malloc'd NULL-terminated array of pointers into base and
 * over (the strings are not copied), or NULL when out of memory. */
char **pvmd_spawn_env(char *const *base, char *const *over, size_t nover);

#endif
