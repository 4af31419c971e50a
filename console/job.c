/* Jobs: output of tasks spawned with `spawn ->` (or ->file), one output tag
 * per job, printed line by line as "[job:tid] text", then "[job:tid] EOF" per
 * task and "[job] finished" once every task of the job has ended. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "pvm3.h"
#include "tid.h"

/* One task of a job: its partial last line is kept until the newline. */
struct jtask {
  int tid;
  int ended; /* EOF seen */
  char *part;
  size_t partlen;
};

struct job {
  int num;
  FILE *out; /* stdout or a file the job owns */
  struct jtask *tasks;
  int ntask, cap;
  int given_up; /* a non-interactive wait stopped waiting for it */
  struct job *next;
};

/* Running jobs, oldest first. */
static struct job *jobs;
static int next_job = 1;

static struct job *job_find(int num) {
  for (struct job *j = jobs; j; j = j->next)
    if (j->num == num)
      return j;
  return NULL;
}

int cons_job_tag(int job) { return CONS_OUT_TAG_BASE + job; }

int cons_job_new(FILE *out) {
  struct job *j, **pp;
  int num = next_job;

  /* Job numbers run 1..CONS_MAXJOBS, then wrap, skipping live jobs. */
  for (int tries = 0; job_find(num); tries++) {
    if (tries > CONS_MAXJOBS)
      return -1;
    num = num % CONS_MAXJOBS + 1;
  }
  j = calloc(1, sizeof *j);
  if (!j)
    return -1;
  j->num = num;
  j->out = out;
  next_job = num % CONS_MAXJOBS + 1;
  for (pp = &jobs; *pp; pp = &(*pp)->next)
    ;
  *pp = j;
  return num;
}

static struct jtask *task_find(struct job *j, int tid) {
  for (int i = 0; i < j->ntask; i++)
    if (j->tasks[i].tid == tid)
      return &j->tasks[i];
  return NULL;
}

static struct jtask *task_add(struct job *j, int tid) {
  struct jtask *t = task_find(j, tid);

  if (t)
    return t;
  if (j->ntask == j->cap) {
    int cap = j->cap ? j->cap * 2 : 8;
    struct jtask *n = realloc(j->tasks, (size_t)cap * sizeof *n);
    if (!n)
      return NULL;
    j->tasks = n;
    j->cap = cap;
  }
  t = &j->tasks[j->ntask++];
  memset(t, 0, sizeof *t);
  t->tid = tid;
  return t;
}

void cons_job_add_task(int job, int tid) {
  struct job *j = job_find(job);
  if (j)
    task_add(j, tid);
}

static void job_free(struct job *j) {
  struct job **pp;

  for (pp = &jobs; *pp && *pp != j; pp = &(*pp)->next)
    ;
  if (*pp)
    *pp = j->next;
  for (int i = 0; i < j->ntask; i++)
    free(j->tasks[i].part);
  free(j->tasks);
  if (j->out && j->out != stdout)
    fclose(j->out);
  free(j);
}

void cons_job_drop(int job) {
  struct job *j = job_find(job);
  if (j)
    job_free(j);
}

static int job_done(const struct job *j) {
  for (int i = 0; i < j->ntask; i++)
    if (!j->tasks[i].ended)
      return 0;
  return 1;
}

int cons_jobs_running(void) {
  int n = 0;
  for (struct job *j = jobs; j; j = j->next)
    n++;
  return n;
}

/* Writes one line of a task's output to the job's destination. */
static void put_line(struct job *j, int tid, const char *text, size_t len) {
  if (j->out == stdout)
    cons_before_async();
  fprintf(j->out, "[%d:t%x] %.*s\n", j->num, (unsigned)tid, (int)len, text);
  fflush(j->out);
}

/* Text from a task: complete lines go out now, the rest waits. */
static void task_text(struct job *j, struct jtask *t, const char *buf,
                      size_t n) {
  const char *nl;

  while (n > 0 && (nl = memchr(buf, '\n', n)) != NULL) {
    size_t len = (size_t)(nl - buf);
    if (t->partlen > 0) {
      char *line = realloc(t->part, t->partlen + len);
      if (line) {
        memcpy(line + t->partlen, buf, len);
        put_line(j, t->tid, line, t->partlen + len);
        t->part = line;
      }
      t->partlen = 0;
    } else {
      put_line(j, t->tid, buf, len);
    }
    n -= len + 1;
    buf = nl + 1;
  }
  if (n > 0) {
    char *p = realloc(t->part, t->partlen + n);
    if (p) {
      memcpy(p + t->partlen, buf, n);
      t->part = p;
      t->partlen += n;
    }
  }
}

static void task_eof(struct job *j, struct jtask *t) {
  if (t->ended)
    return;
  if (t->partlen > 0) {
    put_line(j, t->tid, t->part, t->partlen);
    t->partlen = 0;
  }
  if (j->out == stdout)
    cons_before_async();
  fprintf(j->out, "[%d:t%x] EOF\n", j->num, (unsigned)t->tid);
  fflush(j->out);
  t->ended = 1;
}

/* Handles the message in the active receive buffer as output of job j. The
 * daemons send: int tid, int n, then n bytes; n == -1 says the task started
 * (for grandchildren, the first the console hears of them), n == 0 that its
 * output ended. */
static void job_message(struct job *j) {
  int tid = 0, n = 0;
  struct jtask *t;

  if (pvm_upkint(&tid, 1, 1) < 0 || pvm_upkint(&n, 1, 1) < 0)
    return;
  t = task_add(j, tid);
  if (!t)
    return;
  if (n > 0) {
    char *buf = malloc((size_t)n);
    if (!buf)
      return;
    if (pvm_upkbyte(buf, n, 1) >= 0)
      task_text(j, t, buf, (size_t)n);
    free(buf);
  } else if (n == 0) {
    task_eof(j, t);
    if (job_done(j)) {
      if (j->out == stdout)
        cons_before_async();
      /* The finished line always goes to the terminal, even for ->file. */
      printf("[%d] finished\n", j->num);
      fflush(stdout);
      job_free(j);
    }
  }
  /* n == -1: the task started; task_add above recorded it. */
}

/* A message the console did not ask for: say so once per message. */
static void stray_message(int bufid) {
  int bytes = 0, tag = 0, src = 0;

  pvm_bufinfo(bufid, &bytes, &tag, &src);
  cons_before_async();
  printf("[console] ignored a message from t%x (tag %d, %d bytes)\n",
         (unsigned)src, tag, bytes);
  fflush(stdout);
}

int cons_drain(void) {
  int bufid, any = 0;

  while ((bufid = pvm_nrecv(-1, -1)) > 0) {
    int bytes = 0, tag = 0, src = 0;
    struct job *j = NULL;

    pvm_bufinfo(bufid, &bytes, &tag, &src);
    if (tag > CONS_OUT_TAG_BASE && tag <= CONS_OUT_TAG_BASE + CONS_MAXJOBS)
      j = job_find(tag - CONS_OUT_TAG_BASE);
    if (tag == CONS_TRACE_TAG)
      cons_trace_message(bufid);
    else if (j)
      job_message(j);
    else if (!(tag > CONS_OUT_TAG_BASE &&
               tag <= CONS_OUT_TAG_BASE + CONS_MAXJOBS))
      stray_message(bufid);
    /* Output of a job already finished or dropped is discarded quietly. */
    pvm_freebuf(bufid);
    any = 1;
  }
  if (any)
    cons_after_async();
  return bufid < 0 ? bufid : 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is there a job the non-interactive console still waits for? */
static int waiting_for_any(void) {
  for (struct job *j = jobs; j; j = j->next)
    if (!j->given_up)
      return 1;
  return 0;
}

int cons_wait_jobs(int seconds) {
  double deadline = now() + seconds;
  int rc;

  for (;;) {
    if ((rc = cons_drain()) < 0)
      return rc;
    if (!waiting_for_any())
      return 0;
    double left = deadline - now();
    if (left <= 0)
      break;
    int *fds = NULL;
    int nfd = pvm_getfds(&fds);
    if (nfd <= 0)
      return nfd < 0 ? nfd : PvmSysErr;
    struct pollfd pfd[64];
    if (nfd > 64)
      nfd = 64;
    for (int i = 0; i < nfd; i++) {
      pfd[i].fd = fds[i];
      pfd[i].events = POLLIN;
      pfd[i].revents = 0;
    }
    /* Wake at least every 200 ms: the library may hold whole messages it
     * read during an earlier call, which poll cannot see. */
    int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
    poll(pfd, (nfds_t)nfd, ms);
  }
  for (struct job *j = jobs; j; j = j->next) {
    if (j->given_up)
      continue;
    j->given_up = 1;
    printf("[%d] output still open after %d s; going on without waiting "
           "(the tasks keep running; 'jobs' lists them)\n",
           j->num, seconds);
  }
  fflush(stdout);
  return 1;
}

/* Prints the tids of job j's tasks that are still running. */
int cons_jobs(int argc, char **argv) {
  int longfmt = 0;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-l") == 0) {
      longfmt = 1;
    } else {
      printf("jobs: unknown option '%s'; usage: jobs [-l]\n", argv[i]);
      return 1;
    }
  }
  if (cons_drain() < 0)
    return 1;
  if (longfmt)
    cons_ps_header(0);
  for (struct job *j = jobs; j; j = j->next) {
    printf("%2d:", j->num);
    if (!longfmt) {
      for (int i = 0; i < j->ntask; i++)
        if (!j->tasks[i].ended)
          printf(" t%x", (unsigned)j->tasks[i].tid);
      printf("\n");
      continue;
    }
    printf("\n");
    for (int i = 0; i < j->ntask; i++)
      if (!j->tasks[i].ended)
        cons_ps_one(j->tasks[i].tid, 0);
  }
  return 0;
}

void cons_jobs_close(void) {
  while (jobs) {
    struct job *j = jobs;
    for (int i = 0; i < j->ntask; i++) {
      struct jtask *t = &j->tasks[i];
      if (t->partlen > 0)
        put_line(j, t->tid, t->part, t->partlen);
      t->partlen = 0;
    }
    job_free(j);
  }
}
