/* Helper shared by the examples: the absolute path of a program that sits in
 * the same directory as the running executable. A master spawns its worker by
 * that path, so the examples run straight from the build tree, uninstalled. */
#ifndef EXAMPLES_SIBLING_H
#define EXAMPLES_SIBLING_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fills out with "<dir of this executable>/<name>" and returns out. When name
 * already contains a '/', or the executable's directory cannot be found, name
 * is copied as it is: pvm_spawn then searches PVM's path for it. argv0 is the
 * program's argv[0], used when /proc/self/exe is not readable. */
static inline char *example_sibling(const char *name, const char *argv0,
                                    char *out, size_t outlen) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
  } else if (!argv0 || !realpath(argv0, self)) {
    self[0] = '\0';
  }
  char *slash = strrchr(self, '/');
  if (strchr(name, '/') || !slash) {
    snprintf(out, outlen, "%s", name);
  } else {
    *slash = '\0';
    snprintf(out, outlen, "%s/%s", self, name);
  }
  return out;
}

#endif
