/* Internal declarations of `pvm`, the console: a plain PVM task that runs
 * commands through the public libpvm3 API and prints the results in PVM
 * 3.4's formats. Internal names start with cons_. */
#ifndef CONS_CONSOLE_H
#define CONS_CONSOLE_H

#include <stdio.h>

/* Most arguments one command line may have. */
#define CONS_MAXARGS 256

/* Tags the console reserves for children's output: job n's output arrives
 * with tag CONS_OUT_TAG_BASE + n, so output is matched to its job even for
 * grandchildren the console never spawned itself. */
#define CONS_OUT_TAG_BASE 0x7ffe0000
#define CONS_MAXJOBS 0xffff

/* How long the non-interactive console waits for a job's output to end
 * before it goes on to the next command. */
#ifndef CONS_JOB_WAIT_SECONDS
#define CONS_JOB_WAIT_SECONDS 60
#endif

/* State of the one console process; main.c owns it. */
struct cons {
  int mytid;       /* the console's own tid */
  int interactive; /* reading a terminal: prompts, async output */
  int at_prompt;   /* a prompt is on screen, output must redraw it */
  int reading;     /* waiting for a command line */
  int quitting;    /* quit or halt ran: leave the command loop */
  int halted;      /* halt ran: the daemon is gone, do not pvm_exit */
};

extern struct cons cons;

/* ---- edit.c: line editing at a terminal -------------------------------- */

/* Loads the history (~/.pvm_history) and sets up completion; prompt must
 * stay valid. */
void cons_edit_start(const char *prompt);
/* Shows the prompt (and the line being typed) if it is not shown. */
void cons_edit_prompt(void);
/* Feeds the characters waiting on stdin to the line editor: 1 with a
 * finished line in *line (malloc'd; the caller frees it), 0 if none is
 * finished yet, -1 at end of input (^D on an empty line). */
int cons_edit_read(char **line);
/* Draws the prompt and the line being typed again, after output. */
void cons_edit_redraw(void);
/* Saves the history and gives the terminal back. */
void cons_edit_stop(void);

/* ---- parse.c: words and command lines ---------------------------------- */

/* Splits line into words (argv needs maxargs + 1 slots; it ends with NULL),
 * honouring '...' and "..." quoting and backslash escapes, stopping at an
 * unquoted ';' (the rest is returned in *rest, NULL at end of line) or at an
 * unquoted '#' that starts a word. The words are written into line itself (it
 * is modified); argv[] points into it. Returns the number of words, or -1 with
 * a reason in err. */
int cons_split(char *line, char **argv, int maxargs, char **rest,
               const char **err);

/* Parses a task id ("t40002", "40002"); 0 or -1. Prints no message. */
int cons_parse_tid(const char *s, int *tid);

/* Parses a whole decimal integer (with optional sign); 0 or -1. */
int cons_parse_int(const char *s, int *v);

/* ---- cmd.c: the command table ------------------------------------------ */

/* Runs one command line (possibly several commands separated by ';').
 * Returns 0 when every command succeeded, 1 otherwise. */
int cons_run_line(char *line);

/* The name of the i-th command shown by help (i from 0), or NULL after the
 * last: for completion. */
const char *cons_command_name(int i);

/* Copies s into out (len bytes) with control characters and bytes that are
 * not printable shown as \xNN, so that input is never echoed back raw. */
const char *cons_printable(const char *s, char *out, size_t len);

/* Text of a PVM error code, never NULL. */
const char *cons_errstr(int code);

/* Prints "cmd: wrong #args; usage: syntax" and returns 1 (failure). */
int cons_usage(const char *cmd, const char *syntax);

/* ---- opts.c, taskcmd.c: commands with more than a few lines ---------------
 */

int cons_getopt(int argc, char **argv);
int cons_setopt(int argc, char **argv);
int cons_kill(int argc, char **argv);
int cons_sig(int argc, char **argv);
int cons_reset(int argc, char **argv);

/* ---- show.c: listings ---------------------------------------------------- */

int cons_conf(int argc, char **argv);
int cons_ps(int argc, char **argv);
int cons_mstat(int argc, char **argv);
int cons_pstat(int argc, char **argv);
int cons_add(int argc, char **argv);
int cons_delete(int argc, char **argv);
int cons_names(int argc, char **argv);
int cons_groups(int argc, char **argv);

/* Header of a task listing, and one row per task; used by ps and jobs -l. */
void cons_ps_header(int longfmt);
/* Prints the task tid (all hosts looked up by pvm_tasks); 0 or error. */
int cons_ps_one(int tid, int longfmt);

/* ---- spawn.c ---------------------------------------------------------------
 */

int cons_spawn(int argc, char **argv);

/* ---- trace.c: the console as a tracer ------------------------------------ */

/* Tag of the trace messages sent to the console (no job has it). */
#define CONS_TRACE_TAG CONS_OUT_TAG_BASE
/* Most fields one event may have. */
#define CONS_TEV_FIELDS 32

/* One field of a decoded event: its data identifier and type, an int value
 * (scalars), a string (s, malloc'd) or an int array (a, n entries). */
struct cons_tev_field {
  int did, type, i, n;
  char *s;
  int *a;
};

/* One decoded trace event of task tid (sent by src), kind a TEV_* id. */
struct cons_tev {
  int src, tid, kind, entry, exit;
  int sec, usec;
  int n;
  struct cons_tev_field f[CONS_TEV_FIELDS];
};

/* The trace command, and what it sets for spawn -@: the mask (a
 * Pvmtmask), the trace buffering in bytes and the PvmTrace* option. */
int cons_trace_cmd(int argc, char **argv);
const char *cons_trace_mask(void);
int cons_trace_buffer(void);
int cons_trace_options(void);
/* Events of traced tasks go to file from now on (appended), or to the
 * terminal with NULL. Returns 0, or -1 (errno set) if file cannot be
 * opened. */
int cons_trace_output(const char *file);
/* Decodes the active receive buffer, a trace message from src, calling fn
 * for each event (the event is valid during the call only). Returns the
 * number of events or -1 if the message could not be read. */
int cons_tev_decode(int src, void (*fn)(const struct cons_tev *, void *),
                    void *arg);
/* The field with data identifier did, or NULL. */
const struct cons_tev_field *cons_tev_field(const struct cons_tev *e, int did);
/* Names of an event kind and of a data identifier. */
const char *cons_tev_name(int kind);
const char *cons_tev_did(int did);
/* Frees what an event's fields hold. */
void cons_tev_clear(struct cons_tev *e);
/* Prints the events of a trace message (the active receive buffer). */
void cons_trace_message(int bufid);

/* ---- timeline.c: pvm trace -o FILE PROGRAM ------------------------------ */

/* Runs `pvm trace [-o FILE] PROGRAM ARGS...` (argv[0] is "trace"): the
 * program traced over the virtual machine, a Trace Event Format file
 * written at its end. Returns the exit status for main. */
int cons_timeline_run(int argc, char **argv);

/* ---- job.c: output collection -------------------------------------------- */

/* Opens a new job whose output goes to out (stdout, or a file the job then
 * owns). Returns the job number (1, 2, ...) or -1 when the table is full. */
int cons_job_new(FILE *out);
/* Adds a task to a job (from a spawn result). */
void cons_job_add_task(int job, int tid);
/* Forgets a job that ended up with no tasks (spawn failed). */
void cons_job_drop(int job);
/* Output tag for job n. */
int cons_job_tag(int job);

/* Receives and handles every message that has arrived, without blocking.
 * Returns 0, or a negative PVM error if the link to the daemon is gone. */
int cons_drain(void);
/* Blocks until every job has finished or `seconds` have passed, handling
 * output meanwhile. On timeout it says so and stops waiting for the jobs
 * still open (later waits skip them). Returns 0 when all finished, 1 on
 * timeout, a negative PVM error if the daemon went away. */
int cons_wait_jobs(int seconds);
/* Number of jobs still running. */
int cons_jobs_running(void);
/* The jobs command. */
int cons_jobs(int argc, char **argv);
/* Flushes partial output lines of every job (before the console exits). */
void cons_jobs_close(void);

/* Called before printing anything asynchronously: if a prompt is on screen,
 * starts a fresh line. After the output, cons_after_async() redraws it. */
void cons_before_async(void);
void cons_after_async(void);

/* ---- doctor.c: `pvm doctor HOSTFILE` ------------------------------------ */

/* Checks each host of a host file before a virtual machine is started from
 * it (argv[0] is "doctor"). Returns the exit status: 0 all well, 1 problems
 * found, 2 usage. */
int cons_doctor(int argc, char **argv);

#endif
