/* cl_silent: opens N TCP connections to ADDR:PORT at once, sends nothing,
 * and watches when the other end closes each (end of file or reset), for at
 * most WAIT_MS. Prints one line:
 *   cl_silent: opened N at_once K later M first_ms A last_ms B open S
 * where at_once counts those closed within 300 ms of opening, later the
 * rest that were closed (A and B the first and last of those, from when all
 * were open), and open those still open at the end. A connection refused
 * at connect counts as closed at once. Exits 0 unless it cannot run.
 * Usage: cl_silent ADDR PORT N WAIT_MS */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 256
#define AT_ONCE_MS 300

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  struct pollfd pf[MAX_CONN];
  double closed_at[MAX_CONN], t0, first = -1, last = -1;
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
    closed_at[i] = -1;
    pf[i].events = POLLIN;
    pf[i].fd = socket(AF_INET, SOCK_STREAM, 0);
    if (pf[i].fd < 0) {
      perror("cl_silent: socket");
      return 2;
    }
    if (connect(pf[i].fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
      if (errno != ECONNREFUSED) {
        perror("cl_silent: connect");
        return 2;
      }
      closed_at[i] = now_ms();
      close(pf[i].fd);
      pf[i].fd = -1;
    }
  }
  for (;;) {
    int left = 0;
    double t = now_ms();
    for (int i = 0; i < n; i++)
      left += pf[i].fd >= 0;
    if (left == 0 || t - t0 >= wait_ms)
      break;
    if (poll(pf, (nfds_t)n, 50) < 0 && errno != EINTR) {
      perror("cl_silent: poll");
      return 2;
    }
    for (int i = 0; i < n; i++) {
      char c;
      if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      /* The peer sends nothing before our TLS hello: any readable state
       * is its close. */
      if (read(pf[i].fd, &c, 1) > 0)
        continue;
      closed_at[i] = now_ms();
      close(pf[i].fd);
      pf[i].fd = -1;
    }
  }
  for (int i = 0; i < n; i++) {
    if (pf[i].fd >= 0) {
      open_left++;
      close(pf[i].fd);
    } else if (closed_at[i] - t0 < AT_ONCE_MS) {
      at_once++;
    } else {
      double d = closed_at[i] - t0;
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
