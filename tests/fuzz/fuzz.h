/* Shared by the fuzz targets and make_seeds.c: the layout of each target's
 * input (the leading bytes with which an input steers its target: limits,
 * chunking, the unpack calls to make) and the check that reports a failure. */
#ifndef PVMNG_FUZZ_H
#define PVMNG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A property that must hold. Unlike assert() it stays in release builds,
 * where the corpora are replayed too. */
#define FZ_CHECK(cond)                                                         \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* ---- fuzz_frame ----------------------------------------------------------
 * byte 0: index (mod FZ_FRAME_NCAPS) into fz_frame_caps, the reader's
 *         max_payload; small caps keep every frame in the staging buffer,
 *         the caps above 64 KiB reach the reader's direct-read path.
 * byte 1: flags (FZ_FRAME_*).
 * byte 2: stop after this many frames (0: never stop).
 * bytes 3..6: chunk pattern: the stream is read in chunks of these sizes,
 *         cycling; 0 means "everything that is left".
 * the rest: the byte stream. */
#define FZ_FRAME_PREFIX 7u
enum {
  FZ_FRAME_FEED = 1,  /* use pvmw_reader_feed instead of space/commit */
  FZ_FRAME_FILL = 2,  /* complete a pending large frame with filler bytes */
  FZ_FRAME_SHORT = 4, /* space/commit: commit fewer bytes than handed out */
};
static const uint32_t fz_frame_caps[] = {1,     12,    64,    300,   4096,
                                         65523, 65524, 65525, 70000, 131072};
#define FZ_FRAME_NCAPS (sizeof fz_frame_caps / sizeof fz_frame_caps[0])

/* ---- fuzz_control --------------------------------------------------------
 * The whole input is a Control payload. */

/* ---- fuzz_unpack ---------------------------------------------------------
 * byte 0: bit 0 selects the encoding (0 PvmDataDefault, 1 PvmDataRaw);
 *         bits 1..7 the number of operations n.
 * bytes 1..2n: operations, two bytes each: the call (FZ_OP_*, mod
 *         FZ_OP_COUNT), then the count (bits 0..4, 0..31) and the stride
 *         (bits 5..7, plus 1: 1..8).
 * the rest: the received body. */
enum {
  FZ_OP_BYTE,
  FZ_OP_SHORT,
  FZ_OP_USHORT,
  FZ_OP_INT,
  FZ_OP_UINT,
  FZ_OP_LONG,
  FZ_OP_ULONG,
  FZ_OP_FLOAT,
  FZ_OP_DOUBLE,
  FZ_OP_CPLX,
  FZ_OP_DCPLX,
  FZ_OP_STR,
  FZ_OP_MESG, /* pvm_upkmesg; later calls read the unpacked message */
  FZ_OP_BACK, /* back to the outer buffer after FZ_OP_MESG */
  FZ_OP_COUNT
};
#define FZ_UNPACK_MAXCOUNT 31u
#define FZ_UNPACK_MAXSTRIDE 8u
#define FZ_UNPACK_SLOTS (FZ_UNPACK_MAXCOUNT * FZ_UNPACK_MAXSTRIDE)

/* ---- fuzz_rmanswer -------------------------------------------------------
 * byte 0: which request the resource manager answers (mod FZ_RM_NKINDS):
 *         SM_SPAWN of 2 tasks, SM_TASK, SM_CONFIG, SM_ADDHOST of 2 hosts,
 *         SM_DELHOST of 2 hosts, SM_SCHED.
 * byte 1: flags (FZ_RM_*).
 * the rest: the answer's body, as the RM's message carries it. */
#define FZ_RM_PREFIX 2u
#define FZ_RM_NKINDS 6
enum {
  FZ_RM_RAW = 1,     /* the answer says PvmDataRaw */
  FZ_RM_PARTIAL = 2, /* the answer is the first of several fragments */
};

#endif
