/* hello: the classic first PVM program. It enrolls in the virtual machine,
 * spawns one hello_other, and prints the greeting that task sends back.
 * Run with a daemon up:  ./build/bin/hello   (or: spawn -> hello  in pvm). */
#include <stdio.h>

#include "pvm3.h"
#include "sibling.h"

int main(int argc, char **argv) {
  char path[PATH_MAX];
  char buf[256];
  int cc, tid, status = 1;

  printf("i'm t%x\n", pvm_mytid());

  /* hello_other is spawned by its absolute path, next to this program. */
  example_sibling(argc > 1 ? argv[1] : "hello_other", argv[0], path,
                  sizeof path);
  cc = pvm_spawn(path, (char **)0, PvmTaskDefault, "", 1, &tid);
  if (cc == 1) {
    cc = pvm_recv(-1, -1);
    pvm_bufinfo(cc, (int *)0, (int *)0, &tid);
    pvm_upkstr(buf);
    printf("from t%x: %s\n", tid, buf);
    status = 0;
  } else {
    printf("can't start %s (error %d)\n", path, cc < 0 ? cc : tid);
  }

  pvm_exit();
  return status;
}
