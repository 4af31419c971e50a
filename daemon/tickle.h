/* pvm_tickle's requests, served by the local daemon (tickle.c). */
#ifndef PVMD_TICKLE_H
#define PVMD_TICKLE_H

#include <stddef.h>
#include <stdint.h>

struct pvmd;

/* At most this many results (res must have room for them). */
#define PVMD_TICKLE_MAXRES 8

/* Runs tickle args[0] with the arguments after it; fills res[0..*nres).
 * Returns 0 or PvmBadParam for a code it does not serve. */
int pvmd_tickle(struct pvmd *d, const int32_t *args, size_t nargs, int32_t *res,
                size_t *nres);

#endif
