/* The command table (PVM 3.4's commands and help texts), alias expansion,
 * and the small commands kept here: alias/unalias, echo, export/unexport,
 * halt, help, id, put, quit, setenv, tickle, version. The others live
 * beside their kind: kill, sig and reset (taskcmd.c), jobs (job.c),
 * getopt/setopt (opts.c), conf, add, delete, ps, pstat, mstat and names
 * (show.c), spawn (spawn.c), groups (groups.c), trace (trace.c). */
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "pvm3.h"

#ifndef PVMNG_VERSION
#define PVMNG_VERSION "unknown"
#endif

extern char **environ;

const char *cons_errstr(int code) {
  static char buf[48];

  if (code <= 0 && -code < pvm_nerr && pvm_errlist[-code])
    return pvm_errlist[-code];
  snprintf(buf, sizeof buf, "Unknown error %d", code);
  return buf;
}

int cons_usage(const char *cmd, const char *syntax) {
  printf("%s: wrong #args; usage: %s\n", cmd, syntax);
  return 1;
}

/* ---- aliases ------------------------------------------------------------- */

struct alias {
  char *name;
  char **words; /* NULL-terminated, each strdup'd */
  struct alias *next;
};

static struct alias *aliases;

static struct alias *alias_find(const char *name) {
  for (struct alias *a = aliases; a; a = a->next)
    if (strcmp(a->name, name) == 0)
      return a;
  return NULL;
}

static void alias_free(struct alias *a) {
  for (char **w = a->words; w && *w; w++)
    free(*w);
  free(a->words);
  free(a->name);
  free(a);
}

static void alias_print(const struct alias *a) {
  printf("%s\t", a->name);
  for (char **w = a->words; *w; w++)
    printf("%s%s", w == a->words ? "" : " ", *w);
  printf("\n");
}

static int unalias_one(const char *name) {
  for (struct alias **pp = &aliases; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0) {
      struct alias *a = *pp;
      *pp = a->next;
      alias_free(a);
      return 0;
    }
  }
  return -1;
}

static int c_alias(int argc, char **argv) {
  if (argc == 1) {
    for (struct alias *a = aliases; a; a = a->next)
      alias_print(a);
    return 0;
  }
  if (argc == 2) {
    struct alias *a = alias_find(argv[1]);
    if (a)
      alias_print(a);
    return 0;
  }
  struct alias *a = calloc(1, sizeof *a);
  if (!a || !(a->words = calloc((size_t)argc - 1, sizeof *a->words)) ||
      !(a->name = strdup(argv[1]))) {
    printf("alias: out of memory\n");
    if (a)
      alias_free(a);
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    if (!(a->words[i - 2] = strdup(argv[i]))) {
      printf("alias: out of memory\n");
      alias_free(a);
      return 1;
    }
  }
  unalias_one(argv[1]);
  a->next = aliases;
  aliases = a;
  return 0;
}

static int c_unalias(int argc, char **argv) {
  if (argc < 2)
    return cons_usage(argv[0], "unalias name ...");
  for (int i = 1; i < argc; i++)
    unalias_one(argv[i]);
  return 0;
}

/* ---- simple commands ----------------------------------------------------- */

static int c_echo(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    printf("%s%s", i > 1 ? " " : "", argv[i]);
  printf("\n");
  return 0;
}

static int c_id(int argc, char **argv) {
  if (argc != 1)
    return cons_usage(argv[0], "id");
  printf("t%x\n", (unsigned)cons.mytid);
  return 0;
}

static int c_version(int argc, char **argv) {
  if (argc != 1)
    return cons_usage(argv[0], "version");
  printf("%s\n", pvm_version());
  printf("PVM-NG %s\n", PVMNG_VERSION);
  return 0;
}

static int c_setenv(int argc, char **argv) {
  if (argc == 1) {
    for (char **e = environ; e && *e; e++)
      printf("%s\n", *e);
    return 0;
  }
  char *eq = strchr(argv[1], '=');
  if (argc == 2 && !eq) {
    const char *v = getenv(argv[1]);
    if (v)
      printf("%s\n", v);
    return 0;
  }
  /* setenv name value ...  or  setenv name=value ... */
  char *name = argv[1];
  const char *parts[CONS_MAXARGS + 1];
  int nparts = 0;
  size_t len = 1;
  if (eq) {
    *eq = '\0';
    parts[nparts++] = eq + 1;
  }
  if (*name == '\0') {
    printf("setenv: empty variable name; usage: setenv [name [value]]\n");
    return 1;
  }
  for (int i = 2; i < argc; i++)
    parts[nparts++] = argv[i];
  for (int i = 0; i < nparts; i++)
    len += strlen(parts[i]) + 1;
  char *value = calloc(1, len);
  if (!value) {
    printf("setenv: out of memory\n");
    return 1;
  }
  for (int i = 0; i < nparts; i++) {
    if (i > 0)
      strcat(value, " ");
    strcat(value, parts[i]);
  }
  int rc = setenv(name, value, 1);
  free(value);
  if (rc != 0) {
    printf("setenv: cannot set '%s'\n", name);
    return 1;
  }
  return 0;
}

static void print_export(void) {
  const char *v = getenv("PVM_EXPORT");
  printf("PVM_EXPORT=%s\n", v ? v : "");
}

static int c_export(int argc, char **argv) {
  int failed = 0;
  int unexport = strcmp(argv[0], "unexport") == 0;

  if (argc == 1) {
    print_export();
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    int rc = unexport ? pvm_unexport(argv[i]) : pvm_export(argv[i]);
    if (rc < 0) {
      printf("%s %s: %s\n", argv[0], argv[i], cons_errstr(rc));
      failed = 1;
    }
  }
  return failed;
}

static int c_tickle(int argc, char **argv) {
  int args[16], nres = 0, res[64];

  if (argc < 2 || argc - 1 > 16)
    return cons_usage(argv[0], "tickle how [arg ...]");
  for (int i = 1; i < argc; i++) {
    if (cons_parse_int(argv[i], &args[i - 1]) < 0) {
      printf("tickle: '%s' is not a number\n", argv[i]);
      return 1;
    }
  }
  int rc = pvm_tickle(argc - 1, args, &nres, res);
  if (rc < 0) {
    printf("tickle: %s\n", cons_errstr(rc));
    return 1;
  }
  printf("(");
  for (int i = 0; i < nres && i < 64; i++)
    printf(" %d", res[i]);
  printf(" )\n");
  return 0;
}

static int c_halt(int argc, char **argv) {
  if (argc != 1)
    return cons_usage(argv[0], "halt");
  fflush(stdout);
  int rc = pvm_halt();
  /* The link dropping before the answer arrives is the daemon going away,
   * which is what halt asked for. */
  if (rc < 0 && rc != PvmSysErr) {
    printf("halt: %s\n", cons_errstr(rc));
    return 1;
  }
  cons.quitting = 1;
  cons.halted = 1;
  return 0;
}

static int c_quit(int argc, char **argv) {
  if (argc != 1)
    return cons_usage(argv[0], "quit");
  printf("pvmd still running.\n");
  cons.quitting = 1;
  return 0;
}

/* put name flags: an entry of one int (0), owned by this console, as PVM
 * 3.4.6's console makes it. PVM 3.4.6 insists on a third word, which it
 * ignores; it is taken here too. Errors print as PVM 3.4.6 prints them. */
static int c_put(int argc, char **argv) {
  int flags, zero = 0, bufid, old, rc;

  if (argc != 3 && argc != 4)
    return cons_usage(argv[0], "put name flags");
  if (cons_parse_int(argv[2], &flags) < 0) {
    printf("put: '%s' is not a number\n", argv[2]);
    return 1;
  }
  bufid = pvm_mkbuf(PvmDataDefault);
  if (bufid < 0) {
    printf("%s\n", cons_errstr(bufid));
    return 1;
  }
  old = pvm_setsbuf(bufid);
  pvm_pkint(&zero, 1, 1);
  pvm_setsbuf(old);
  rc = pvm_putinfo(argv[1], bufid, flags);
  pvm_freebuf(bufid);
  if (rc < 0) {
    printf("%s\n", cons_errstr(rc));
    return 1;
  }
  return 0;
}

static int c_help(int argc, char **argv);

/* ---- the table
 * --------------------------------------------------------------- */

struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *brief;
  const char *detail; /* the lines after the name line, '\n'-separated */
  int hidden;         /* not in the help list (as in PVM 3.4) */
};

static const struct command commands[] = {
    {"add", cons_add, "Add hosts to virtual machine",
     "Syntax:  add hostname ...\n"
     "  or     add 'hostname <option>=<value>...' ...\n"
     "(Host options are those of a host file line; see man pvmd, HOST FILE.)\n",
     0},
    {"alias", c_alias, "Define/list command aliases",
     "Syntax:  alias [name command args ...]\n", 0},
    {"conf", cons_conf, "List virtual machine configuration",
     "Syntax:  conf [ --json ]\n"
     "Options:  --json   one JSON object (nhost, narch, hosts) for scripts\n"
     "Output fields:\n"
     "  HOST    host name\n"
     "  DTID    tid base of pvmd\n"
     "  ARCH    host architecture\n"
     "  SPEED   host relative speed\n"
     "  DSIG    data format signature\n",
     0},
    {"delete", cons_delete, "Delete hosts from virtual machine",
     "Syntax:  delete hostname ...\n", 0},
    {"echo", c_echo, "Echo arguments", "Syntax:  echo [ arg ... ]\n", 0},
    {"export", c_export, "Add environment variables to spawn export list",
     "Syntax:  export [ varname ... ]\n"
     "With no argument, shows PVM_EXPORT.\n",
     0},
    {"getopt", cons_getopt, "Display PVM options for the console task",
     "Syntax:  getopt [ what ]\n", 0},
    {"groups", cons_groups, "List dynamic groups and their members",
     "Syntax:  groups [ --json ] [ group ]\n"
     "Output fields:\n"
     "  GROUP    group name\n"
     "  SIZE     number of members\n"
     "  FROZEN   yes after pvm_freezegroup (left: a member has left since)\n"
     "  MEMBERS  instance:tid of each member\n",
     0},
    {"halt", c_halt, "Stop pvmds",
     "Syntax:  halt\n"
     "Kills every task, stops every pvmd of the virtual machine and leaves "
     "the console.\n",
     0},
    {"help", c_help, "Print helpful information about a command",
     "Syntax:  help [ command ]\n", 0},
    {"id", c_id, "Print console task id", "Syntax:  id\n", 0},
    {"jobs", cons_jobs, "Display list of running jobs",
     "Syntax:  jobs [ options ]\n"
     "Options:  -l   give long listing\n",
     0},
    {"kill", cons_kill, "Terminate tasks",
     "Syntax:  kill [ options ] tid ...\n"
     "Options:  -c   kill children of tid\n",
     0},
    {"mstat", cons_mstat, "Show status of hosts",
     "Syntax:  mstat [ --json ] name ...\n", 0},
    {"names", cons_names, "List message mailbox names",
     "Syntax:  names [ --json ] [ pattern ]\n", 0},
    {"ps", cons_ps, "List tasks",
     "Syntax:  ps [ -axl ] [ -hhost ] [ -nname ] [ --json ]\n"
     "Options:  -a       all hosts (default is local)\n"
     "          -hhost   specific host tid\n"
     "          -nhost   specific host name\n"
     "          -l       long (show process id)\n"
     "          -x       show all tasks (including this console)\n"
     "          --json   one JSON object (tasks) for scripts\n"
     "Output fields:\n"
     "  HOST    host name\n"
     "  TID     task id\n"
     "  PTID    parent task id\n"
     "  PID     task process id\n"
     "  FLAG    status\n"
     "  COMMAND executable name\n"
     "FLAG values:\n"
     "  f   task process is child of pvmd\n"
     "  c   task connected to pvmd\n"
     "  a   task waiting authorization\n"
     "  o   task connection being closed\n"
     "  s   task needs too many shared pages, is deadlocked\n"
     "  H   hoster task\n"
     "  R   resource manager task\n"
     "  T   tasker task\n",
     0},
    {"pstat", cons_pstat, "Show status of tasks", "Syntax:  pstat tid ...\n",
     0},
    {"put", c_put, "Add entry to message mailbox",
     "Syntax:  put name flags\n"
     "Stores an entry holding the integer 0 under name, owned by this\n"
     "console (flags as for pvm_putinfo: 1 persistent, 2 multi-instance,\n"
     "4 overwritable, added; in decimal).\n",
     0},
    {"quit", c_quit, "Exit console",
     "Syntax:  quit\n"
     "Leaves the console; the virtual machine keeps running.\n",
     0},
    {"reset", cons_reset, "Kill all tasks, delete leftover mboxes",
     "Syntax:  reset\n"
     "Kills every task except consoles and tasks that set PvmNoReset, and\n"
     "deletes the mailbox entries of the tasks killed and those left\n"
     "without an owner.\n"
     "\n"
     "reset info    Delete orphaned persistent mbox entries\n"
     "Syntax:  reset info [ class [ index ] ]\n",
     0},
    {"setenv", c_setenv, "Display or set environment variables",
     "Syntax:  setenv [ name [ value ] ]\n"
     "    or   setenv name=value\n",
     0},
    {"setopt", cons_setopt, "Set PVM options - for the console task *only*!",
     "Syntax:  setopt what value\n"
     "('getopt' lists the options.)\n",
     0},
    {"sig", cons_sig, "Send signal to task",
     "Syntax:  sig signum task ...\n"
     "signum is a number (15) or a name (TERM, SIGTERM).\n",
     0},
    {"spawn", cons_spawn, "Spawn task",
     "Syntax:  spawn [ options ] file [ arg ... ]\n"
     "Options:  -(count)         number of tasks, default is 1\n"
     "          -(host)          spawn on host, default is any\n"
     "          -(host):(wd)     spawn on host, in directory 'wd'\n"
     "          --host=(IP)      spawn on host with given IP addr\n"
     "          --host=(IP):(wd) spawn on IP, in directory 'wd'\n"
     "          -(ARCH)          spawn on hosts of ARCH\n"
     "          -(ARCH):(wd)     spawn on hosts of ARCH, in 'wd'\n"
     "          -:(wd)           spawn in working directory 'wd'\n"
     "          -?               enable debugging\n"
     "          ->               redirect job output to console\n"
     "          ->(file)         redirect output of job to file\n"
     "          ->>(file)        append output of job to file\n"
     "          -@               trace job, output to terminal\n"
     "          -@(file)         trace job, output to file\n",
     0},
    {"tickle", c_tickle, "Tickle pvmd",
     "Syntax:  tickle how [ arg ... ]\n"
     "How:\n"
     "  0   write the daemon's counters and memory to its log\n"
     "  1   write the host table to the log\n"
     "  2   write the task table to the log\n"
     "  5   get debugmask\n"
     "  6   (mask) set debugmask (nonzero: debug lines in the log)\n",
     1},
    {"trace", cons_trace_cmd, "Set/display trace event mask",
     "Syntax:  trace\n"
     "         trace [+] name ...\n"
     "         trace - name ...\n"
     "         trace [+] *\n"
     "         trace - *\n"
     "         trace xpvm (default mask for XPVM display)\n"
     "         trace buf nbytes\n"
     "         trace buf\n"
     "         trace opt < full | time | count >\n"
     "         trace opt\n",
     0},
    {"unalias", c_unalias, "Undefine command alias",
     "Syntax:  unalias name ...\n", 0},
    {"unexport", c_export,
     "Remove environment variables from spawn export list",
     "Syntax:  unexport [ varname ... ]\n", 0},
    {"version", c_version, "Show libpvm version", "Syntax:  version\n", 0},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

const char *cons_command_name(int i) {
  for (int k = 0; k < NCOMMANDS; k++)
    if (!commands[k].hidden && i-- == 0)
      return commands[k].name;
  return NULL;
}

static const struct command *command_find(const char *name) {
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static int c_help(int argc, char **argv) {
  const struct command *c;

  if (argc > 2)
    return cons_usage(argv[0], "help [command]");
  if (argc == 2) {
    if (!(c = command_find(argv[1]))) {
      char shown[256];
      printf("help: no command '%s'; 'help' lists them\n",
             cons_printable(argv[1], shown, sizeof shown));
      return 1;
    }
    printf("%-11s %s\n%s", c->name, c->brief, c->detail);
    return 0;
  }
  c = command_find("help");
  printf("%-11s %s\n%s", c->name, c->brief, c->detail);
  printf("Commands are:\n");
  for (int i = 0; i < NCOMMANDS; i++)
    if (!commands[i].hidden)
      printf("  %-11s %s\n", commands[i].name, commands[i].brief);
  return 0;
}

/* ---- running lines
 * ------------------------------------------------------------ */

/* Replaces an alias in argv[0] by its words (nested aliases expand too, each
 * at most once). The result points into aliases and the old argv. */
static int expand_aliases(int argc, char **argv, char **out) {
  const struct alias *seen[16];
  int nseen = 0;

  for (int i = 0; i <= argc; i++)
    out[i] = argv[i];
  while (argc > 0 && nseen < 16) {
    const struct alias *a = alias_find(out[0]);
    int k, nw = 0;
    if (!a)
      break;
    for (k = 0; k < nseen && seen[k] != a; k++)
      ;
    if (k < nseen)
      break;
    seen[nseen++] = a;
    while (a->words[nw])
      nw++;
    if (argc - 1 + nw > CONS_MAXARGS)
      break;
    memmove(out + nw, out + 1, (size_t)argc * sizeof *out); /* with NULL */
    memcpy(out, a->words, (size_t)nw * sizeof *out);
    argc = argc - 1 + nw;
  }
  return argc;
}

static int run_one(int argc, char **argv) {
  char *words[CONS_MAXARGS + 1];
  const struct command *c;
  int rc;

  argc = expand_aliases(argc, argv, words);
  if (argc == 0)
    return 0;
  if (!(c = command_find(words[0]))) {
    char shown[256];
    printf("unknown command '%s'; try help\n",
           cons_printable(words[0], shown, sizeof shown));
    return 1;
  }
  /* Commands may edit their words in place; alias words must stay intact,
   * so the command gets private copies. */
  size_t len = 0;
  for (int i = 0; i < argc; i++)
    len += strlen(words[i]) + 1;
  char *copy = malloc(len ? len : 1), *p = copy;
  if (!copy) {
    printf("%s: out of memory\n", words[0]);
    return 1;
  }
  for (int i = 0; i < argc; i++) {
    size_t n = strlen(words[i]) + 1;
    memcpy(p, words[i], n);
    words[i] = p;
    p += n;
  }
  rc = c->fn(argc, words);
  free(copy);
  /* A script waits for the output of what it spawned before going on. */
  if (c->fn == cons_spawn && !cons.interactive && cons_jobs_running() > 0) {
    fflush(stdout);
    if (cons_wait_jobs(CONS_JOB_WAIT_SECONDS) != 0)
      rc = 1;
  }
  fflush(stdout);
  return rc;
}

int cons_run_line(char *line) {
  char *argv[CONS_MAXARGS + 1];
  int failed = 0;

  while (line && !cons.quitting) {
    char *rest;
    const char *err;
    int argc = cons_split(line, argv, CONS_MAXARGS, &rest, &err);
    if (argc < 0) {
      printf("syntax error: %s; nothing was run\n", err);
      return 1;
    }
    if (argc > 0 && run_one(argc, argv) != 0)
      failed = 1;
    line = rest;
  }
  return failed;
}
