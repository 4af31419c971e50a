/* it_joiner: joins the group named by argv[1] and waits (at most a
 * minute), so that the console's `groups` view has a member to show. */
#include <unistd.h>

#include "pvm3.h"

int main(int argc, char **argv) {
  if (argc != 2 || pvm_mytid() < 0 || pvm_joingroup(argv[1]) < 0)
    return 1;
  for (int i = 0; i < 600; i++)
    usleep(100000);
  pvm_exit();
  return 0;
}
