/* it_noreset: a task that sets PvmNoReset and waits, so that a console
 * reset must spare it (used by test_console.sh's reset case). */
#include <unistd.h>

#include "pvm3.h"

int main(void) {
  if (pvm_mytid() < 0)
    return 1;
  pvm_setopt(PvmNoReset, 1);
  for (int i = 0; i < 600; i++) /* at most a minute */
    usleep(100000);
  pvm_exit();
  return 0;
}
