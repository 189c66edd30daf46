/* mem.h - allocation that never returns NULL.
 *
 * The C host treats running out of memory as fatal: it logs one line and
 * aborts, the pod restarts and the level-triggered reconcile recovers. Memory
 * that untrusted input can grow (Lua states, HTTP bodies) is capped elsewhere
 * and fails softly with ERR_LIMIT long before this point.
 */
#ifndef DEVSERVER_CORE_MEM_H
#define DEVSERVER_CORE_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
/* Frees *pp (may point to NULL) and sets it to NULL. */
void mem_free_ptr(void *pp);

#endif
