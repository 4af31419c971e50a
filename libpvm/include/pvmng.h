/* PVM-NG extensions beyond PVM 3.4. Everything PVM-NG adds to the task
 * library's public interface is declared here, never in pvm3.h, so a pure
 * PVM 3.4 program never meets a name it did not ask for. */
#ifndef PVMNG_H
#define PVMNG_H

#include "pvm3.h"

#endif /* PVMNG_H */
