/* Turning console input into words: shell-like quoting ('...', "...", \),
 * ';' between commands and '#' comments, plus the number and tid parsers
 * every command shares. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "tid.h"

int cons_split(char *line, char **argv, int maxargs, char **rest,
               const char **err) {
  char *in = line, *out = line;
  int argc = 0;

  *rest = NULL;
  *err = NULL;
  for (;;) {
    while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
      in++;
    if (*in == '\0' || *in == '#')
      break;
    if (*in == ';') {
      *rest = in + 1;
      break;
    }
    if (argc >= maxargs) {
      *err = "too many arguments";
      return -1;
    }
    /* out never overtakes in, so the word is built in place. */
    char *word = out;
    char quote = 0;
    while (*in != '\0') {
      char c = *in;
      if (quote) {
        if (c == quote) {
          quote = 0;
          in++;
        } else if (c == '\\' && quote == '"' &&
                   (in[1] == '"' || in[1] == '\\')) {
          *out++ = in[1];
          in += 2;
        } else {
          *out++ = c;
          in++;
        }
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';')
        break;
      if (c == '\'' || c == '"') {
        quote = c;
        in++;
      } else if (c == '\\' && in[1] != '\0') {
        *out++ = in[1];
        in += 2;
      } else {
        *out++ = c;
        in++;
      }
    }
    if (quote) {
      *err = quote == '"' ? "unmatched \"" : "unmatched '";
      return -1;
    }
    char stop = *in;
    *out++ = '\0';
    argv[argc++] = word;
    if (stop == ';') {
      *rest = in + 1;
      break;
    }
    if (stop == '\0')
      break;
    in++;
  }
  argv[argc] = NULL;
  return argc;
}

int cons_parse_tid(const char *s, int *tid) {
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    s += 2;
  return pvmw_tid_parse(s, tid);
}

int cons_parse_int(const char *s, int *v) {
  char *end;
  long l;

  if (*s == '\0')
    return -1;
  errno = 0;
  l = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || l < INT_MIN || l > INT_MAX)
    return -1;
  *v = (int)l;
  return 0;
}

const char *cons_printable(const char *s, char *out, size_t len) {
  size_t n = 0;
  if (len == 0)
    return "";
  for (; *s && n + 5 < len; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f)
      n += (size_t)snprintf(out + n, len - n, "\\x%02x", c);
    else
      out[n++] = (char)c;
  }
  if (*s && n + 4 <= len) {
    memcpy(out + n, "...", 3);
    n += 3;
  }
  out[n] = '\0';
  return out;
}
