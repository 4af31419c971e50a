/* Printing and parsing task ids the way PVM shows them ("t40001"). */
#include "tid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *pvmw_tid_str(int tid, char *buf, size_t len) {
  snprintf(buf, len, "t%x", (unsigned)tid);
  return buf;
}

int pvmw_tid_parse(const char *s, int *tid) {
  char *end;
  unsigned long v;
  if (s == NULL)
    return -1;
  if (*s == 't' || *s == 'T')
    s++;
  if (*s == '\0' || *s == '-' || *s == '+')
    return -1;
  errno = 0;
  v = strtoul(s, &end, 16);
  if (errno != 0 || *end != '\0' || v > 0x7fffffffUL)
    return -1;
  *tid = (int)v;
  return 0;
}
