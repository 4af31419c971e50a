/* worker: the worker half of the master/worker example. It waits for one
 * range [lo, hi) from its parent, counts the primes in it, and sends back
 * the range, the count and its host name. master starts it; started without
 * a PVM parent (from the console's `spawn`, which like PVM's sets no parent,
 * or from the shell) it takes its range from whichever task sends one first
 * and answers that task. */
#include <stdio.h>
#include <unistd.h>

#include "pvm3.h"

#define TAG_WORK 1   /* master -> worker: int lo, int hi */
#define TAG_RESULT 2 /* worker -> master: int lo, int hi, int count, host */

static int is_prime(int n) {
  if (n < 2)
    return 0;
  if (n % 2 == 0)
    return n == 2;
  for (int d = 3; d <= n / d; d += 2)
    if (n % d == 0)
      return 0;
  return 1;
}

int main(void) {
  int range[2], count = 0;
  char host[256];
  int master = pvm_parent();
  int bufid;

  /* Spawned by a master: only it may hand out work, receive from it alone.
   * Otherwise (PvmParentNotSet, PvmNoParent) wait for work from anyone. */
  bufid = pvm_recv(master > 0 ? master : -1, TAG_WORK);
  if (bufid < 0 || pvm_upkint(range, 2, 1) < 0) {
    pvm_exit();
    return 1;
  }
  if (master <= 0)
    pvm_bufinfo(bufid, NULL, NULL, &master);

  for (int n = range[0]; n < range[1]; n++)
    count += is_prime(n);

  if (gethostname(host, sizeof host) != 0)
    host[0] = '\0';
  host[sizeof host - 1] = '\0';

  pvm_initsend(PvmDataDefault);
  pvm_pkint(range, 2, 1);
  pvm_pkint(&count, 1, 1);
  pvm_pkstr(host);
  pvm_send(master, TAG_RESULT);

  pvm_exit();
  return 0;
}
