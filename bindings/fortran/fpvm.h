/* Internal declarations shared by libfpvm3's C files: the Fortran string
 * conventions (fstr.c). Never installed; programs see fpvm3.h and the
 * `pvm` module only. */
#ifndef FPVM_H
#define FPVM_H

#include <stddef.h>

/* Marks a Fortran routine of libfpvm3's interface (pvmf*_, and the
 * reduction functions pvmsum_ etc.). The library's C code is built with
 * hidden visibility: only what carries this mark is exported, with the
 * `pvm` module's procedures. */
#define FPVM_PUBLIC __attribute__((visibility("default")))

/* gfortran passes every CHARACTER argument's length as a hidden size_t
 * after all the visible arguments, in the order of the CHARACTER
 * arguments. */
typedef size_t fpvm_len;

/* Length of Fortran string f (flen characters) without its trailing blanks
 * (and without anything from a NUL on, for strings built with char(0)). */
size_t fpvm_ftrim_len(const char *f, fpvm_len flen);

/* A NUL-terminated malloc'd copy of Fortran string f with trailing blanks
 * removed. The caller frees it. NULL when memory runs out. */
char *fpvm_f2c(const char *f, fpvm_len flen);

/* Stores C string c in Fortran string f of flen characters: truncated when
 * longer, blank-padded when shorter; a NULL c leaves f all blanks. */
void fpvm_c2f(const char *c, char *f, fpvm_len flen);

/* Splits Fortran string f at blanks into a NULL-terminated argument vector
 * (pvmfstartpvmd). *argc gets the count. One malloc'd block: the caller
 * frees the returned pointer only. NULL when memory runs out. */
char **fpvm_f2argv(const char *f, fpvm_len flen, int *argc);

#endif
