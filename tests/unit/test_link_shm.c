/* Unit tests for the shared-memory transport of links on one host
 * (libpvm/link_shm.c), across two processes: the segment made by one and
 * mapped by the other, a stream of checksummed writes of many sizes (ring
 * and pulls) in order, and a writer blocked on a full ring or on a pull
 * that is released with an error once the reader's process is gone (its
 * end of a socket pair, standing for the link's socket, closes); another
 * user cannot map a segment. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "link_shm.h"
#include "pvm3.h"

/* One end's view: its segment and its end of the socket pair. */
struct end {
  struct lpvm_shm *s;
  int sock;
};

/* Waits as the library would: sleep (here on the socket, 100 ms at most)
 * once the other end promised to wake us; <0 once the peer is gone. */
static int wait_cb(void *ctx, struct lpvm_shm *s) {
  struct end *e = ctx;
  struct pollfd p = {e->sock, POLLIN, 0};
  char b[64];
  int armed = lpvm_shm_writer_arm(s);
  if (poll(&p, 1, armed ? 100 : 0) > 0) {
    ssize_t n = recv(e->sock, b, sizeof(b), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return -1;
  }
  return 0;
}

static void wake_cb(void *ctx) {
  struct end *e = ctx;
  (void)!send(e->sock, "w", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The reader's sink: a buffer. It asks to stop every seventh commit (as
 * the library's does when it holds too much), halfway through pulls and
 * records: what is left must come after, in order. */
struct sink {
  unsigned char *buf;
  size_t len, cap;
  unsigned commits;
};

static void space_cb(void *ctx, char **base, size_t *len) {
  struct sink *k = ctx;
  *base = (char *)k->buf + k->len;
  *len = k->cap - k->len < 65536 ? k->cap - k->len : 65536;
}

static int commit_cb(void *ctx, size_t n) {
  struct sink *k = ctx;
  k->len += n;
  return ++k->commits % 7 == 0;
}

static uint32_t fnv(const unsigned char *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static size_t size_of(int i) {
  static const size_t big[] = {0, 1, 7, 4095, 40000, 65536, 300000, 3 << 20};
  return i < 8 ? big[i] : (size_t)(i * 7919) % 100000;
}

#define MSGS 200

/* The child reads MSGS writes (each: length, checksum, bytes) and exits
 * 0 if all came in order and intact. */
static int child_reader(pid_t parent, int fd, int sock) {
  const char *why = NULL;
  struct end e = {lpvm_shm_attach(parent, fd, &why), sock};
  struct lpvm_shm_io io = {wait_cb, wake_cb, &e};
  struct sink k = {malloc(8u << 20), 0, 8u << 20, 0};
  struct lpvm_shm_sink sk = {space_cb, commit_cb, &k};
  size_t at = 0;
  if (e.s == NULL || k.buf == NULL)
    return 2;
  for (int i = 0; i < MSGS; i++) {
    size_t want = size_of(i);
    uint64_t hdr[2];
    while (k.len - at < sizeof(hdr) + want) {
      struct pollfd p = {sock, POLLIN, 0};
      if (lpvm_shm_drain(e.s, &sk, &io) < 0)
        return 3;
      if (k.len - at >= sizeof(hdr) + want)
        break;
      if (lpvm_shm_reader_arm(e.s) && poll(&p, 1, 1000) <= 0)
        return 4;
      (void)!recv(sock, hdr, sizeof(hdr), MSG_DONTWAIT);
      lpvm_shm_reader_disarm(e.s);
    }
    memcpy(hdr, k.buf + at, sizeof(hdr));
    if (hdr[0] != want || hdr[1] != fnv(k.buf + at + 16, want))
      return 5;
    at += sizeof(hdr) + want;
    if (k.cap - k.len < (4u << 20)) { /* start again at the front */
      memmove(k.buf, k.buf + at, k.len - at);
      k.len -= at;
      at = 0;
    }
  }
  return 0;
}

static void test_stream(void **state) {
  const char *why = NULL;
  int sv[2];
  pid_t pid;
  struct end e;
  unsigned char *data = malloc(3u << 20);
  (void)state;
  assert_non_null(data);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  e.s = lpvm_shm_create(&why);
  assert_non_null(e.s);
  e.sock = sv[0];
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    _exit(child_reader(getppid(), lpvm_shm_fd(e.s), sv[1]));
  }
  close(sv[1]);
  lpvm_shm_set_peer(e.s, pid);
  struct lpvm_shm_io io = {wait_cb, wake_cb, &e};
  for (int i = 0; i < MSGS; i++) {
    size_t len = size_of(i);
    uint64_t hdr[2];
    for (size_t j = 0; j < len; j++)
      data[j] = (unsigned char)(i * 13 + j);
    hdr[0] = len;
    hdr[1] = fnv(data, len);
    struct iovec v[2] = {{hdr, sizeof(hdr)}, {data, len}};
    assert_int_equal(lpvm_shm_write(e.s, v, 2, &io), 0);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  lpvm_shm_free(e.s);
  close(sv[0]);
  free(data);
}

/* The reader maps the segment, then dies without reading (SIGKILL). A
 * writer blocked on the full ring, and one waiting for its pull, get an
 * error instead of waiting for ever. */
static void dead_reader(size_t len) {
  const char *why = NULL;
  int sv[2];
  pid_t pid;
  struct end e;
  unsigned char *data = calloc(1, len);
  assert_non_null(data);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  e.s = lpvm_shm_create(&why);
  assert_non_null(e.s);
  e.sock = sv[0];
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(sv[0]);
    struct lpvm_shm *m = lpvm_shm_attach(getppid(), lpvm_shm_fd(e.s), &why);
    (void)!write(sv[1], m != NULL ? "y" : "n", 1);
    pause();
    _exit(0);
  }
  close(sv[1]);
  char ok = 0;
  assert_int_equal(read(sv[0], &ok, 1), 1);
  assert_int_equal(ok, 'y');
  lpvm_shm_set_peer(e.s, pid);
  struct lpvm_shm_io io = {wait_cb, wake_cb, &e};
  kill(pid, SIGKILL);
  struct iovec v[1] = {{data, len}};
  int rc = 0;
  for (int i = 0; i < 100 && rc == 0; i++) /* more than the ring holds */
    rc = lpvm_shm_write(e.s, v, 1, &io);
  assert_int_equal(rc, PvmSysErr);
  waitpid(pid, NULL, 0);
  lpvm_shm_free(e.s);
  close(sv[0]);
  free(data);
}

static void test_dead_reader_full_ring(void **state) {
  (void)state;
  dead_reader(LPVM_SHM_PULL_MIN - 1); /* through the ring */
}

static void test_dead_reader_pull(void **state) {
  (void)state;
  dead_reader(1u << 20); /* pulled */
}

/* Another user cannot map a segment: a child that becomes nobody is
 * refused by the kernel (/proc/<pid>/fd of another user's process).
 * Needs root to change users; skipped otherwise. */
static void test_other_user(void **state) {
  const char *why = NULL;
  struct lpvm_shm *s;
  pid_t pid;
  int st;
  (void)state;
  if (geteuid() != 0)
    skip();
  s = lpvm_shm_create(&why);
  assert_non_null(s);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0)
      _exit(2);
    _exit(lpvm_shm_attach(getppid(), lpvm_shm_fd(s), &why) == NULL ? 0 : 1);
  }
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  lpvm_shm_free(s);
}

/* A descriptor that is not a segment of ours is refused. */
static void test_attach_refuses(void **state) {
  const char *why = NULL;
  int sv[2];
  (void)state;
  assert_null(lpvm_shm_attach(getpid(), -1, &why));
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_null(lpvm_shm_attach(getpid(), sv[0], &why)); /* a socket */
  assert_non_null(why);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stream),
      cmocka_unit_test(test_dead_reader_full_ring),
      cmocka_unit_test(test_dead_reader_pull),
      cmocka_unit_test(test_attach_refuses),
      cmocka_unit_test(test_other_user),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
