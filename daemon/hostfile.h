/* The host file given on pvmd's command line (pvmd3(1PVM) syntax). main
 * checks that it can be read and logs the other hosts it names; peer.c then
 * adds them. */
#ifndef PVMD_HOSTFILE_H
#define PVMD_HOSTFILE_H

struct pvmd_hosts;

/* Reads path and logs the hosts it names besides this one. Returns 0, or
 * -1 when the file cannot be read (reason on stderr and in the log). */
int pvmd_hostfile_check(const char *path, const struct pvmd_hosts *hosts);

#endif
