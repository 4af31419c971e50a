/* Where a virtual machine's local endpoints live: a private directory (mode
 * 0700, owned by the user) under $PVM_TMP, else $XDG_RUNTIME_DIR, else
 * /tmp/pvm-<uid>, holding per-VM socket, lock and log files. Every check
 * failure names the path and what is wrong with it. */
#ifndef PVMW_RUNDIR_H
#define PVMW_RUNDIR_H

#include <stddef.h>

#define PVMW_VMID_MAX 64

/* The VM id from $PVM_VMID ("" when unset). Returns NULL, with a reason in
 * err, when it contains anything but letters, digits, '.', '_', '-' or is
 * longer than PVMW_VMID_MAX. */
const char *pvmw_vmid(char *err, size_t errlen);

/* Resolves the runtime directory into out. With create, makes it (0700) if
 * missing. Refuses a symlink, a non-directory, another owner or group/other
 * permissions. Returns 0 or -1 with a reason in err. */
int pvmw_rundir(char *out, size_t outlen, int create, char *err, size_t errlen);

/* Path of one of the VM's files in the runtime directory: kind is "sock",
 * "lock" or "log". Returns 0 or -1 with a reason (too long, bad directory). */
int pvmw_runpath(char *out, size_t outlen, const char *vmid, const char *kind,
                 int create, char *err, size_t errlen);

/* Shared-memory segments of one virtual machine (libgpvm3's barrier) are
 * named /dev/shm/<prefix>..., the prefix made from the user and a hash of
 * the daemon socket's path `sock`: "pvmng.<uid>.<hash>.". */
void pvmw_shm_prefix(const char *sock, char *out, size_t len);
/* Removes this user's segments of the VM of daemon socket sock that are
 * left in /dev/shm (the daemon calls it at start and at halt). Returns how
 * many it removed. */
int pvmw_shm_sweep(const char *sock);

/* The socket a task with tid listens on for direct links, beside the
 * daemon socket sock: sock without its ".sock", then ".t<tid in hex>"
 * ("pvmd.<vmid>.t40002"). Returns 0, or -1 when it does not fit in len. */
int pvmw_task_sock_path(const char *sock, int tid, char *out, size_t len);
/* Removes the task sockets of the VM of daemon socket sock that are left in
 * its directory (sockets of this user named as pvmw_task_sock_path makes
 * them; the daemon calls it at start and at halt). Returns how many. */
int pvmw_task_sock_sweep(const char *sock);

#endif
