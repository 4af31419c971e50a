/* cl_silent: opens N TCP connections to ADDR:PORT at once, sends nothing,
 * and watches when the other end closes each (end of file or reset), for at
 * most WAIT_MS. Prints one line:
 *   cl_silent: opened N at_once K later M first_ms A last_ms B open S
 * where at_once counts those closed within 300 ms of their own opening,
 * later the rest that were closed (A and B the shortest and longest time
 * from opening to close among those), and open those still open at the
 * end. A connection refused counts as closed at once. Times count from
 * each connection's own opening, because the kernel may hold an opening
 * back (a full accept queue drops its first SYN, and it comes again a
 * second later). Exits 0 unless it cannot run.
 * Usage: cl_silent ADDR PORT N WAIT_MS */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 256
#define AT_ONCE_MS 300

enum { CONNECTING, OPEN, CLOSED };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  struct pollfd pf[MAX_CONN];
  int state[MAX_CONN];
  double opened_at[MAX_CONN], closed_at[MAX_CONN], t0, first = -1, last = -1;
  int n, wait_ms, at_once = 0, later = 0, open_left = 0;

  if (argc != 5 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
      (n = atoi(argv[3])) < 1 || n > MAX_CONN ||
      (wait_ms = atoi(argv[4])) < 1) {
    fprintf(stderr, "usage: cl_silent ADDR PORT N WAIT_MS (N at most %d)\n",
            MAX_CONN);
    return 2;
  }
  sa.sin_port = htons((uint16_t)atoi(argv[2]));
  t0 = now_ms();
  for (int i = 0; i < n; i++) {
    state[i] = CONNECTING;
    pf[i].events = POLLOUT;
    pf[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (pf[i].fd < 0) {
      perror("cl_silent: socket");
      return 2;
    }
    if (connect(pf[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
        errno != EINPROGRESS && errno != ECONNREFUSED) {
      perror("cl_silent: connect");
      return 2;
    }
  }
  for (;;) {
    int busy = 0;
    for (int i = 0; i < n; i++)
      busy += state[i] != CLOSED;
    if (busy == 0 || now_ms() - t0 >= wait_ms)
      break;
    if (poll(pf, (nfds_t)n, 20) < 0 && errno != EINTR) {
      perror("cl_silent: poll");
      return 2;
    }
    for (int i = 0; i < n; i++) {
      double t = now_ms();
      char c;
      int err = 0;
      socklen_t el = sizeof err;
      if (state[i] == CLOSED || pf[i].revents == 0)
        continue;
      if (state[i] == CONNECTING) {
        getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
        opened_at[i] = t;
        if (err == 0 && !(pf[i].revents & (POLLERR | POLLHUP))) {
          state[i] = OPEN;
          pf[i].events = POLLIN;
          continue;
        }
      } else if (read(pf[i].fd, &c, 1) > 0) {
        continue; /* the peer sends nothing before our hello: not expected */
      }
      /* Refused, or closed by the other end. */
      closed_at[i] = t;
      state[i] = CLOSED;
      close(pf[i].fd);
      pf[i].fd = -1;
    }
  }
  for (int i = 0; i < n; i++) {
    if (state[i] != CLOSED) {
      open_left++;
      close(pf[i].fd);
    } else if (closed_at[i] - opened_at[i] < AT_ONCE_MS) {
      at_once++;
    } else {
      double d = closed_at[i] - opened_at[i];
      later++;
      first = first < 0 || d < first ? d : first;
      last = d > last ? d : last;
    }
  }
  printf("cl_silent: opened %d at_once %d later %d first_ms %.0f last_ms %.0f "
         "open %d\n",
         n, at_once, later, first, last, open_left);
  return 0;
}
