/* Line editing for the interactive console, with libedit's readline
 * interface in its callback form, so that the console keeps polling the
 * virtual machine (task output shows while a line is being typed): the
 * arrow keys, history kept in ~/.pvm_history, and completion of command
 * names, then host names and task ids. Only a terminal gets any of this;
 * scripts and pipes are read as before (main.c). */
#include <editline/readline.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "pvm3.h"

/* Lines kept in the history file. */
#define HISTORY_MAX 1000

static struct {
  int on;        /* cons_edit_start ran */
  int installed; /* a prompt is shown and keys go to the line */
  const char *prompt;
  char *line; /* a finished line waiting for cons_edit_read, or NULL */
  int eof;    /* ^D on an empty line */
  char path[4096];
} editor;

/* A finished line. The handler goes until the next cons_edit_prompt, so
 * that the prompt comes back after the command's output, not before. */
static void on_line(char *line) {
  rl_callback_handler_remove();
  editor.installed = 0;
  if (line == NULL) {
    editor.eof = 1;
    return;
  }
  if (*line != '\0') {
    add_history(line);
    if (editor.path[0])
      write_history(editor.path); /* at most HISTORY_MAX lines */
  }
  free(editor.line);
  editor.line = line;
}

/* ---- completion ------------------------------------------------------ */

static char **candidates;
static int ncandidates;

static void candidates_free(void) {
  for (int i = 0; i < ncandidates; i++)
    free(candidates[i]);
  free(candidates);
  candidates = NULL;
  ncandidates = 0;
}

static void candidate_add(const char *s) {
  char **v = realloc(candidates, (size_t)(ncandidates + 1) * sizeof *v);
  char *copy = strdup(s);
  if (v == NULL || copy == NULL) {
    free(copy);
    if (v != NULL)
      candidates = v;
    return;
  }
  candidates = v;
  candidates[ncandidates++] = copy;
}

/* What may follow a command: host names and task ids of the VM now. */
static void candidates_vm(void) {
  struct pvmhostinfo *hosts;
  struct pvmtaskinfo *tasks;
  int nhost, narch, ntask;
  char tid[16];

  if (pvm_config(&nhost, &narch, &hosts) >= 0)
    for (int i = 0; i < nhost; i++)
      candidate_add(hosts[i].hi_name);
  if (pvm_tasks(0, &ntask, &tasks) >= 0)
    for (int i = 0; i < ntask; i++) {
      snprintf(tid, sizeof tid, "t%x", (unsigned)tasks[i].ti_tid);
      candidate_add(tid);
    }
}

static char *next_candidate(const char *text, int state) {
  static int i;
  size_t n = strlen(text);
  if (state == 0)
    i = 0;
  while (i < ncandidates) {
    const char *c = candidates[i++];
    if (strncmp(c, text, n) == 0)
      return strdup(c);
  }
  return NULL;
}

static char **complete(const char *text, int start, int end) {
  (void)end;
  candidates_free();
  /* The first word of a command (at the start, or after a ';'). */
  int first = 1;
  for (int i = start - 1; i >= 0; i--) {
    char ch = rl_line_buffer[i];
    if (ch == ';')
      break;
    if (ch != ' ' && ch != '\t') {
      first = 0;
      break;
    }
  }
  if (first) {
    const char *name;
    for (int i = 0; (name = cons_command_name(i)) != NULL; i++)
      candidate_add(name);
  } else {
    candidates_vm();
  }
  rl_attempted_completion_over = 1; /* never file names */
  return rl_completion_matches(text, next_candidate);
}

/* ---- the console's side -------------------------------------------- */

void cons_edit_start(const char *prompt) {
  const char *home = getenv("HOME");
  rl_readline_name = "pvm";
  rl_attempted_completion_function = complete;
  using_history();
  stifle_history(HISTORY_MAX);
  if (home && *home &&
      snprintf(editor.path, sizeof editor.path, "%s/.pvm_history", home) <
          (int)sizeof editor.path) {
    int fd = open(editor.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) { /* created private to the user if it was not there */
      close(fd);
      read_history(editor.path);
    } else {
      editor.path[0] = '\0';
    }
  }
  editor.prompt = prompt;
  editor.on = 1;
}

void cons_edit_prompt(void) {
  if (editor.on && !editor.installed) {
    rl_callback_handler_install(editor.prompt, on_line);
    editor.installed = 1;
  }
}

int cons_edit_read(char **line) {
  rl_callback_read_char();
  if (editor.line != NULL) {
    *line = editor.line;
    editor.line = NULL;
    return 1;
  }
  return editor.eof ? -1 : 0;
}

void cons_edit_redraw(void) {
  if (editor.installed)
    rl_forced_update_display();
}

void cons_edit_stop(void) {
  if (!editor.on)
    return;
  if (editor.installed)
    rl_callback_handler_remove();
  editor.installed = 0;
  candidates_free();
  free(editor.line);
  editor.line = NULL;
  editor.on = 0;
}
