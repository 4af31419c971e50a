/* The spawn command: PVM 3.4's option syntax (-count, -host, -ARCH, -:wd,
 * -?, ->, ->file, ->>file, -@, -@file) turned into one pvm_spawn call, with the
 * children's output routed to the console as a numbered job when asked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "pvm3.h"
#include "pvmng.h"
#include "pvmtev.h"

struct spawn_opts {
  int count;
  int flags;
  const char *where; /* host or architecture, NULL for anywhere */
  const char *wd;    /* working directory, NULL for the default */
  int redirect;      /* output to a job */
  const char *file;  /* ... written to this file, NULL for the terminal */
  int append;
  int trace;
  const char *trace_file; /* -@file: events to this file */
};

/* Is name an architecture of some host (rather than a host name)? */
static int is_arch(const char *name) {
  int nhost = 0, narch = 0;
  struct pvmhostinfo *hosts = NULL;

  if (pvm_config(&nhost, &narch, &hosts) < 0)
    return 0;
  for (int i = 0; i < nhost; i++)
    if (strcmp(hosts[i].hi_name, name) == 0)
      return 0;
  for (int i = 0; i < nhost; i++)
    if (strcmp(hosts[i].hi_arch, name) == 0)
      return 1;
  return 0;
}

/* Parses options up to the file name; returns the index of the file name or
 * -1 after printing what is wrong. The strings stay in argv. */
static int parse_opts(int argc, char **argv, struct spawn_opts *o) {
  int i;

  memset(o, 0, sizeof *o);
  o->count = 1;
  /* As in PVM's console: the console is nobody's parent, so a task asking
   * pvm_parent() learns it was started by hand. */
  o->flags = PvmNoSpawnParent;
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    char *a = argv[i] + 1;
    if (*a == '\0') {
      printf("spawn: empty option '-'; try 'help spawn'\n");
      return -1;
    }
    if (a[0] == '>') {
      o->redirect = 1;
      if (a[1] == '>') {
        o->append = 1;
        a++;
      }
      o->file = a[1] ? a + 1 : NULL;
      if (o->append && !o->file) {
        printf("spawn: '->>' needs a file name, as in ->>out.txt\n");
        return -1;
      }
    } else if (a[0] == '?' && a[1] == '\0') {
      o->flags |= PvmTaskDebug;
    } else if (a[0] == '@') {
      o->trace = 1;
      o->trace_file = a[1] ? a + 1 : NULL;
    } else if (a[0] >= '0' && a[0] <= '9') {
      if (cons_parse_int(a, &o->count) < 0 || o->count < 1) {
        printf("spawn: bad count '-%s'; give a number of tasks of at least "
               "1, as in -4\n",
               a);
        return -1;
      }
    } else {
      /* -host, -ARCH, -host:wd, -:wd, --host=IP[:wd] */
      if (strncmp(a, "-host=", 6) == 0)
        a += 6;
      char *colon = strchr(a, ':');
      if (colon) {
        *colon = '\0';
        o->wd = colon + 1;
        if (*o->wd == '\0') {
          printf("spawn: empty working directory after ':'\n");
          return -1;
        }
      }
      if (*a) {
        o->where = a;
        o->flags &= ~(PvmTaskHost | PvmTaskArch);
        o->flags |= is_arch(a) ? PvmTaskArch : PvmTaskHost;
      }
    }
  }
  if (i >= argc) {
    printf("spawn: wrong #args; usage: spawn [options] file [arg ...] "
           "(try 'help spawn')\n");
    return -1;
  }
  return i;
}

/* Sets an environment variable for the duration of one spawn and puts the
 * old value back afterwards. */
struct env_save {
  const char *name;
  char *old; /* strdup'd old value, NULL if it was unset */
  int active;
};

static void env_push(struct env_save *s, const char *name, const char *val) {
  const char *old = getenv(name);
  s->name = name;
  s->old = old ? strdup(old) : NULL;
  s->active = setenv(name, val, 1) == 0;
}

static void env_pop(struct env_save *s) {
  if (!s->active)
    return;
  if (s->old)
    setenv(s->name, s->old, 1);
  else
    unsetenv(s->name);
  free(s->old);
  s->active = 0;
}

int cons_spawn(int argc, char **argv) {
  struct spawn_opts o;
  int first = parse_opts(argc, argv, &o);
  int job = 0, *tids, n, ok = 0;
  int old_tid = 0, old_code = 0;
  FILE *out = stdout;
  struct env_save wd = {0};

  if (first < 0)
    return 1;
  if (o.trace && cons_trace_output(o.trace_file) < 0) {
    printf("spawn: cannot open %s: %s; nothing was spawned\n", o.trace_file,
           strerror(errno));
    return 1;
  }
  if (o.redirect) {
    if (o.file) {
      out = fopen(o.file, o.append ? "a" : "w");
      if (!out) {
        printf("spawn: cannot open %s: %s; nothing was spawned\n", o.file,
               strerror(errno));
        return 1;
      }
    }
    job = cons_job_new(out);
    if (job < 0) {
      printf("spawn: too many jobs running; wait for some to finish "
             "(jobs lists them)\n");
      if (out != stdout)
        fclose(out);
      return 1;
    }
    printf("[%d]\n", job);
    old_tid = pvm_setopt(PvmOutputTid, cons.mytid);
    old_code = pvm_setopt(PvmOutputCode, cons_job_tag(job));
  }
  tids = calloc((size_t)o.count, sizeof *tids);
  if (!tids) {
    printf("spawn: out of memory\n");
    if (job > 0)
      cons_job_drop(job);
    return 1;
  }
  if (o.wd)
    env_push(&wd, "PVM_WD", o.wd);
  fflush(stdout);
  /* -@: the children send their events to the console, with the mask
   * the trace command keeps. */
  int old_trc = 0, old_trcode = 0, old_buf = 0, old_opt = 0;
  Pvmtmask old_mask;
  if (o.trace) {
    pvm_gettmask(PvmTaskChild, old_mask);
    pvm_settmask(PvmTaskChild, (char *)cons_trace_mask());
    old_trc = pvm_setopt(PvmTraceTid, cons.mytid);
    old_trcode = pvm_setopt(PvmTraceCode, CONS_TRACE_TAG);
    old_buf = pvm_setopt(PvmTraceBuffer, cons_trace_buffer());
    old_opt = pvm_setopt(PvmTraceOptions, cons_trace_options());
    o.flags |= PvmTaskTrace;
  }
  n = pvm_spawn(argv[first], argv + first + 1, o.flags, (char *)o.where,
                o.count, tids);
  if (o.trace) {
    pvm_setopt(PvmTraceTid, old_trc);
    pvm_setopt(PvmTraceCode, old_trcode);
    pvm_setopt(PvmTraceBuffer, old_buf);
    pvm_setopt(PvmTraceOptions, old_opt);
    pvm_settmask(PvmTaskChild, old_mask);
  }
  env_pop(&wd);
  if (o.redirect) {
    pvm_setopt(PvmOutputTid, old_tid);
    pvm_setopt(PvmOutputCode, old_code);
  }
  if (n < 0) {
    printf("spawn: %s\n", cons_errstr(n));
    if (job > 0)
      cons_job_drop(job);
    free(tids);
    return 1;
  }
  for (int i = 0; i < o.count; i++)
    if (tids[i] > 0)
      ok++;
  printf("%d successful\n", ok);
  /* One line per requested task: its tid, or why it did not start. */
  int nerr = 0;
  for (int i = 0; i < o.count; i++) {
    if (tids[i] > 0) {
      printf("t%x\n", (unsigned)tids[i]);
      if (job > 0)
        cons_job_add_task(job, tids[i]);
    } else if (tids[i] < 0) {
      printf("%s\n", cons_errstr(tids[i]));
      nerr++;
    }
  }
  if (ok < o.count && nerr == 0)
    printf("spawn: only %d of %d tasks started\n", ok, o.count);
  if (nerr > 0) {
    char why[1536];
    if (pvmng_lasterror(why, sizeof why) < 0 && why[0])
      printf("spawn: %s\n", why);
  }
  if (job > 0 && ok == 0)
    cons_job_drop(job);
  free(tids);
  return ok == o.count ? 0 : 1;
}
