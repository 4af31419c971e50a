/* Replays a fuzz target's corpus without libFuzzer: calls the target's
 * LLVMFuzzerTestOneInput on every file named, or found in a directory
 * named, on the command line. Built for every target as ctest fuzz.replay.*. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one input file. Returns 0, or -1 if it cannot be read. */
static int run_file(const char *path) {
  FILE *fp = fopen(path, "rb");
  struct stat st;
  uint8_t *buf;
  size_t n;

  if (fp == NULL || fstat(fileno(fp), &st) != 0) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    if (fp)
      fclose(fp);
    return -1;
  }
  /* Exactly the file's size, so that a sanitizer sees any overread. */
  buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
  if (buf == NULL) {
    fclose(fp);
    return -1;
  }
  n = fread(buf, 1, (size_t)st.st_size, fp);
  fclose(fp);
  if (n != (size_t)st.st_size) {
    fprintf(stderr, "replay: short read on %s\n", path);
    free(buf);
    return -1;
  }
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e) { return e->d_name[0] != '.'; }

int main(int argc, char **argv) {
  int count = 0;

  for (int i = 1; i < argc; i++) {
    struct stat st;
    struct dirent **names;
    int n;

    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (run_file(argv[i]) != 0)
        return 1;
      count++;
      continue;
    }
    n = scandir(argv[i], &names, skip_dots, by_name);
    if (n < 0) {
      fprintf(stderr, "replay: cannot list %s\n", argv[i]);
      return 1;
    }
    for (int k = 0; k < n; k++) {
      char path[4096];
      int rc = 0;
      snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        rc = run_file(path);
        count++;
      }
      free(names[k]);
      if (rc != 0) {
        for (k++; k < n; k++)
          free(names[k]);
        free(names);
        return 1;
      }
    }
    free(names);
  }
  if (count == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  fprintf(stderr, "replay: %d inputs passed\n", count);
  return 0;
}
