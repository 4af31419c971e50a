/* libgpvm3: PVM 3.4's group library, by name only. PVM 3.4 programs link
 * groups with -lgpvm3 -lpvm3; in PVM-NG the group calls (group*.c) are part
 * of libpvm3, which they share the connection, buffers and message queue
 * with, so nothing internal has to be exported between two libraries. This
 * library depends on libpvm3 and defines nothing of its own. */
typedef int lpvm_gpvm3_is_empty; /* ISO C wants a declaration */
