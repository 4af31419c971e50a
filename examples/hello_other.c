/* hello_other: the task that hello spawns. It finds its parent's tid and
 * sends it one string, a greeting that names the host it runs on.
 * Not run by hand: hello starts it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvm3.h"

int main(void) {
  int ptid;
  char buf[256];

  ptid = pvm_parent();

  strcpy(buf, "hello, world from ");
  gethostname(buf + strlen(buf), sizeof buf - strlen(buf) - 1);
  buf[sizeof buf - 1] = '\0';

  pvm_initsend(PvmDataDefault);
  pvm_pkstr(buf);
  pvm_send(ptid, 1);

  pvm_exit();
  return 0;
}
