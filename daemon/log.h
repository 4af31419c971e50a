/* The daemon's log: one line per event, "YYYY-mm-dd HH:MM:SS pvmd[pid] text",
 * appended to the VM's log file and, in the foreground, copied to stderr.
 * Debug lines are written only when debugging is on (-d). */
#ifndef PVMD_LOG_H
#define PVMD_LOG_H

/* Opens (creates, mode 0600) the log file at path; with to_stderr, lines are
 * also written to stderr. Returns 0, or -1 with errno set. Until this is
 * called, lines go to stderr only. */
int pvmd_log_open(const char *path, int to_stderr);
/* Stops copying lines to stderr (after stderr is redirected to /dev/null). */
void pvmd_log_quiet(void);
void pvmd_log_set_debug(unsigned mask);
unsigned pvmd_log_debug_mask(void);
/* Call after fork: lines carry the new pid. */
void pvmd_log_set_pid(void);
void pvmd_log_close(void);

void pvmd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pvmd_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
