/* Element types and their encodings (internal): the layout of each PVM
 * type natively and in XDR, the conversions between packed and unpacking
 * types, and the byte-order loops of PvmDataDefault (pack_conv.c). The
 * packing and unpacking themselves are pack.c's. */
#ifndef LPVM_PACK_CONV_H
#define LPVM_PACK_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

/* How one element type is laid out: in XDR an element is `words` words of
 * `wsize` bytes, each big-endian (a complex number is two words); natively
 * it is nsize bytes. The two sizes differ only for long where long has 32
 * bits; XDR always carries 64. */
struct lpvm_elem {
  uint32_t code;
  uint8_t wsize, words, nsize, is_signed;
};

/* How an item packed as one type unpacks as another (pack_conv.c, "Unpacking
 * with another type"): not at all, as it is, word by word, or as integers
 * of another width. */
enum lpvm_conv { CONV_NONE, CONV_SAME, CONV_WORDS, CONV_INT };

/* The layout of each enum lpvm_ptype (buffer.h), and XDR bytes per element by
 * item type code (for checking received items). */
extern const struct lpvm_elem lpvm_elems[];
extern const uint8_t lpvm_xt_size[];

/* Words per element, by type code: a complex number is two. */
uint32_t lpvm_xt_words(uint32_t code);

/* The conversion from items of type code have to elements of type code
 * want. */
enum lpvm_conv lpvm_conversion(uint32_t have, uint32_t want);

/* Converts k integers of ws bytes each (XDR) at s to type t, stored dstep
 * bytes apart at d; with d NULL only checks that every value fits. */
int lpvm_int_convert(const struct lpvm_elem *t, uint8_t *d, size_t dstep,
                     const uint8_t *s, size_t ws, size_t k);

/* XDR bytes per element of t. */
size_t lpvm_esize_of(const struct lpvm_elem *t);

/* Converts n contiguous words of wsize bytes between native and XDR order
 * (the lpvm_conversion is its own inverse). */
void lpvm_swap_n(uint8_t *restrict d, const uint8_t *restrict s, size_t n,
                 size_t wsize);

/* Copies k elements of `size` bytes between strided locations. */
void lpvm_copy_strided(uint8_t *restrict d, size_t dstep,
                       const uint8_t *restrict s, size_t sstep, size_t k,
                       size_t size);

/* Native -> XDR: k elements from s (sstep bytes apart) to contiguous d. */
void lpvm_xdr_encode(const struct lpvm_elem *t, uint8_t *restrict d,
                     const uint8_t *restrict s, size_t sstep, size_t k);

/* XDR -> native: k elements from contiguous s to d (dstep bytes apart).
 * Fails only when a 64-bit long does not fit a 32-bit long. */
int lpvm_xdr_decode(const struct lpvm_elem *t, uint8_t *restrict d,
                    size_t dstep, const uint8_t *restrict s, size_t k);

#endif
