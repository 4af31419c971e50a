/* Fortran strings in libfpvm3: CHARACTER arguments arrive as a pointer and
 * a hidden length, never NUL-terminated. Names going in lose their trailing
 * blanks; strings coming out are truncated or blank-padded to the caller's
 * variable, as a Fortran assignment would. */
#include <stdlib.h>
#include <string.h>

#include "fpvm.h"

size_t fpvm_ftrim_len(const char *f, fpvm_len flen) {
  size_t n = 0;

  if (f == NULL)
    return 0;
  while (n < flen && f[n] != '\0')
    n++;
  while (n > 0 && f[n - 1] == ' ')
    n--;
  return n;
}

char *fpvm_f2c(const char *f, fpvm_len flen) {
  size_t n = fpvm_ftrim_len(f, flen);
  char *c = malloc(n + 1);

  if (c == NULL)
    return NULL;
  if (n > 0)
    memcpy(c, f, n);
  c[n] = '\0';
  return c;
}

void fpvm_c2f(const char *c, char *f, fpvm_len flen) {
  size_t n = c != NULL ? strlen(c) : 0;

  if (f == NULL)
    return;
  if (n > flen)
    n = flen;
  if (n > 0)
    memcpy(f, c, n);
  if (flen > n)
    memset(f + n, ' ', flen - n);
}

char **fpvm_f2argv(const char *f, fpvm_len flen, int *argc) {
  size_t n = fpvm_ftrim_len(f, flen);
  size_t words = 0, i;
  char **argv;
  char *text;
  int in_word = 0;

  for (i = 0; i < n; i++) {
    if (f[i] != ' ' && !in_word)
      words++;
    in_word = f[i] != ' ';
  }
  /* The vector and the text in one block: words + 1 pointers, then the
   * characters with a NUL after each word. */
  argv = malloc((words + 1) * sizeof *argv + n + 1);
  if (argv == NULL)
    return NULL;
  text = (char *)(argv + words + 1);
  if (n > 0)
    memcpy(text, f, n);
  text[n] = '\0';
  words = 0;
  in_word = 0;
  for (i = 0; i < n; i++) {
    if (text[i] == ' ') {
      text[i] = '\0';
      in_word = 0;
    } else if (!in_word) {
      argv[words++] = text + i;
      in_word = 1;
    }
  }
  argv[words] = NULL;
  *argc = (int)words;
  return argv;
}
