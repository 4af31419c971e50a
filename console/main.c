/* `pvm`, the console: joins the virtual machine (starting a pvmd if none
 * runs), then runs commands from a terminal (prompt, task output shown as it
 * arrives), from a pipe, or from `-c 'cmd; cmd'` (status 0 if all succeed). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "pvm3.h"

struct cons cons;

static const char prompt[] = "pvm> ";

static void usage(FILE *f) {
  fprintf(f,
          "usage: pvm [-n<hostname>] [-d<mask>] [-S | hostfile]\n"
          "       pvm [-n<hostname>] [-d<mask>] [-S | hostfile] -c 'command; "
          "...'\n"
          "       pvm trace [-o FILE] PROGRAM [ARG...]\n"
          "  -n<hostname>  name the master host (passed to pvmd)\n"
          "  -d<mask>      pvmd debug mask, hexadecimal (passed to pvmd)\n"
          "  -c commands   run the commands, then exit: status 0 if all "
          "succeeded\n"
          "  hostfile      hosts for a new virtual machine (see man pvmd)\n"
          "  -S            inside a Slurm allocation: a new virtual machine on "
          "its nodes (pvmd -S)\n"
          "  trace         run PROGRAM traced and write its timeline to FILE "
          "(Trace Event Format JSON, for Perfetto; default pvm-trace.json)\n"
          "Without -c, commands come from the terminal (prompt 'pvm> ') or, "
          "when stdin is not a terminal, one per line from stdin.\n");
}

void cons_before_async(void) {
  if (cons.at_prompt) {
    fputc('\n', stdout);
    cons.at_prompt = 0;
  }
}

void cons_after_async(void) {
  fflush(stdout);
  if (cons.interactive && cons.reading && !cons.at_prompt) {
    cons_edit_redraw();
    fflush(stdout);
    cons.at_prompt = 1;
  }
}

/* ---- joining the virtual machine ---------------------------------------- */

/* Enrols the console, starting a pvmd with the given arguments when none is
 * running. Returns the tid or a negative PVM error (already reported). */
static int join_vm(int dargc, char **dargv, int *started) {
  int tid;

  *started = 0;
  /* The first try may fail because no pvmd runs yet: not worth a message. */
  pvm_setopt(PvmAutoErr, 0);
  tid = pvm_mytid();
  /* From here on the library's own reasons (with its hints) are shown. */
  pvm_setopt(PvmAutoErr, 1);
  if (tid == PvmSysErr) {
    int rc = pvm_start_pvmd(dargc, dargv, 1);
    if (rc < 0 && rc != PvmDupHost) {
      const char *vmid = getenv("PVM_VMID");
      fprintf(stderr,
              "pvm: could not start a pvmd for this virtual machine "
              "(PVM_VMID=%s); PVM_DPATH names the pvmd to run\n",
              vmid && *vmid ? vmid : "(default)");
      return rc;
    }
    *started = rc >= 0;
    tid = pvm_mytid();
  }
  if (tid < 0) {
    fprintf(stderr, "pvm: cannot join the virtual machine: %s\n",
            cons_errstr(tid));
    return tid;
  }
  /* The console reports errors itself, with what to do next. */
  pvm_setopt(PvmAutoErr, 0);
  /* Direct routes would add descriptors behind the console's back; the
   * console talks only to its pvmd. A reset spares it. */
  pvm_setopt(PvmRoute, PvmDontRoute);
  pvm_setopt(PvmNoReset, 1);
  return tid;
}

/* ---- reading commands ------------------------------------------------------
 */

/* Input read from fd 0 by hand, so that poll() sees exactly what stdio would
 * otherwise have swallowed into its buffer. */
static struct {
  char *buf;
  size_t len, cap;
  int eof;
} in;

/* Takes the next complete line out of the buffer (NUL-terminated, without
 * the newline) into *line, which the caller frees. At end of input the last
 * partial line counts as complete. Returns 1, or 0 if no line is ready. */
static int take_line(char **line) {
  char *nl = in.len ? memchr(in.buf, '\n', in.len) : NULL;
  size_t n;

  if (!nl && !(in.eof && in.len > 0))
    return 0;
  n = nl ? (size_t)(nl - in.buf) : in.len;
  *line = malloc(n + 1);
  if (!*line)
    return 0;
  memcpy(*line, in.buf, n);
  (*line)[n] = '\0';
  if (nl)
    n++;
  memmove(in.buf, in.buf + n, in.len - n);
  in.len -= n;
  return 1;
}

static int fill_input(void) {
  if (in.cap - in.len < 512) {
    size_t cap = in.cap ? in.cap * 2 : 4096;
    char *b = realloc(in.buf, cap);
    if (!b)
      return -1;
    in.buf = b;
    in.cap = cap;
  }
  ssize_t n = read(0, in.buf + in.len, in.cap - in.len);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN ? 0 : -1;
  if (n == 0)
    in.eof = 1;
  in.len += (size_t)n;
  return 0;
}

/* Waits for a command line while showing task output. Returns 1 with a line,
 * 0 at end of input, -1 if the daemon went away. */
static int next_line(char **line) {
  for (;;) {
    if (!cons.interactive && take_line(line)) {
      cons.reading = 0;
      cons.at_prompt = 0;
      return 1;
    }
    if (in.eof)
      return 0;
    cons.reading = 1;
    if (cons.interactive && !cons.at_prompt) {
      fflush(stdout);
      cons_edit_prompt(); /* the line editor shows the prompt */
      cons.at_prompt = 1;
    }
    fflush(stdout);
    if (cons_drain() == PvmSysErr)
      return -1;

    struct pollfd pfd[65];
    int *fds = NULL, nfd = pvm_getfds(&fds);
    if (nfd < 0)
      return -1;
    if (nfd > 64)
      nfd = 64;
    pfd[0].fd = 0;
    pfd[0].events = POLLIN;
    for (int i = 0; i < nfd; i++) {
      pfd[i + 1].fd = fds[i];
      pfd[i + 1].events = POLLIN;
    }
    for (int i = 0; i <= nfd; i++)
      pfd[i].revents = 0;
    /* The timeout only guards against data the library buffered unseen. */
    int rc = poll(pfd, (nfds_t)nfd + 1, 500);
    if (rc < 0 && errno != EINTR)
      return -1;
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (cons.interactive) {
        int r = cons_edit_read(line);
        if (r != 0) {
          cons.reading = 0;
          cons.at_prompt = 0;
          if (r > 0)
            return 1;
          in.eof = 1;
        }
      } else if (fill_input() < 0) {
        in.eof = 1;
      }
    }
    if (nfd > 0 && (pfd[1].revents & (POLLHUP | POLLERR)) &&
        cons_drain() == PvmSysErr)
      return -1;
  }
}

/* Runs $HOME/.pvmrc, as PVM's console does before reading commands. Its
 * failures are shown but do not count toward the exit status. */
static void run_pvmrc(void) {
  const char *home = getenv("HOME");
  char path[4096];
  FILE *f;
  char *line = NULL;
  size_t cap = 0;

  if (!home ||
      snprintf(path, sizeof path, "%s/.pvmrc", home) >= (int)sizeof path)
    return;
  if (!(f = fopen(path, "r")))
    return;
  while (!cons.quitting && getline(&line, &cap, f) > 0)
    cons_run_line(line);
  free(line);
  fclose(f);
}

static int command_loop(void) {
  int failed = 0;
  char *line;
  int rc;

  while (!cons.quitting && (rc = next_line(&line)) != 0) {
    if (rc < 0) {
      cons_before_async();
      fprintf(stderr, "pvm: lost the connection to pvmd (halted or failed); "
                      "leaving the console\n");
      cons.halted = 1;
      return 1;
    }
    if (cons_run_line(line) != 0)
      failed = 1;
    free(line);
  }
  if (!cons.quitting && cons.interactive) {
    /* End of input at the prompt (^D) leaves like quit. */
    printf("\n");
    cons_run_line((char[]){"quit"});
  }
  return failed;
}

int main(int argc, char **argv) {
  char *dargv[8];
  int dargc = 0, started = 0;
  const char *script = NULL;
  const char *hostfile = NULL;
  int status;

  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && strcmp(argv[1], "doctor") == 0)
    return cons_doctor(argc - 1, argv + 1);
  /* pvm trace [-o FILE] PROGRAM ARGS...: a traced run and its timeline. */
  if (argc > 1 && strcmp(argv[1], "trace") == 0) {
    cons.mytid = join_vm(0, dargv, &started);
    if (cons.mytid < 0)
      return 1;
    status = cons_timeline_run(argc - 1, argv + 1);
    pvm_exit();
    return status;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-c") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "pvm: -c needs commands, as in pvm -c 'conf'\n");
        return 2;
      }
      script = argv[++i];
    } else if (strncmp(a, "-c", 2) == 0) {
      script = a + 2;
    } else if (strncmp(a, "-n", 2) == 0 && a[2]) {
      if (dargc < 6)
        dargv[dargc++] = argv[i];
    } else if (strncmp(a, "-d", 2) == 0 && a[2]) {
      if (dargc < 6)
        dargv[dargc++] = argv[i];
    } else if (strcmp(a, "-S") == 0) {
      if (dargc < 6)
        dargv[dargc++] = argv[i];
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-') {
      fprintf(stderr, "pvm: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else if (hostfile) {
      fprintf(stderr,
              "pvm: only one host file may be given ('%s' and "
              "'%s')\n",
              hostfile, a);
      return 2;
    } else {
      hostfile = a;
      dargv[dargc++] = argv[i];
    }
  }
  dargv[dargc] = NULL;
  if (hostfile && access(hostfile, R_OK) != 0) {
    fprintf(stderr, "pvm: cannot read host file %s: %s\n", hostfile,
            strerror(errno));
    return 2;
  }

  cons.interactive = !script && isatty(0);
  cons.mytid = join_vm(dargc, dargv, &started);
  if (cons.mytid < 0)
    return 1;
  if (!started) {
    if (cons.interactive)
      printf("pvmd already running.\n");
    if (dargc > 0)
      fprintf(stderr, "pvm: pvmd already running; the host file and -n/-d "
                      "options were not used\n");
  }

  if (cons.interactive)
    cons_edit_start(prompt);
  if (script) {
    char *copy = strdup(script);
    status = copy ? cons_run_line(copy) : 1;
    free(copy);
  } else {
    run_pvmrc();
    status = command_loop();
  }

  cons_edit_stop();
  if (!cons.halted)
    cons_drain();
  cons_jobs_close();
  fflush(stdout);
  if (!cons.halted)
    pvm_exit();
  return status ? 1 : 0;
}
