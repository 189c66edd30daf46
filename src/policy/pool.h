/* pool.h - a bounded small-block allocator for one Lua state.
 *
 * The policy engine's allocator (engine.c) takes Lua's small blocks (tables,
 * strings, closures: a few hundred per render, most freed by the next GC
 * sweep) from here instead of malloc. It does not count or limit what Lua
 * uses: the engine's memory budget does that, unchanged; this only decides
 * where the bytes live.
 *
 * One region of POLICY_POOL_BYTES is taken from malloc when the pool is
 * initialised (its pages are touched only as blocks are first used), carved
 * by a bump pointer, and blocks come back on one free list per 16-byte size
 * class; nothing is returned to malloc before policy_pool_cleanup. A
 * request larger than POLICY_POOL_MAX_BLOCK_BYTES, or one the region can no
 * longer serve, gets NULL: the caller uses malloc for it, and
 * policy_pool_owns tells the two kinds of block apart on free. So the pool
 * never makes an allocation fail, and the memory it holds is at most
 * POLICY_POOL_BYTES per engine.
 *
 * Under AddressSanitizer the region is empty (every block goes to malloc),
 * so ASan still sees each Lua block.
 */
#ifndef DEVSERVER_POLICY_POOL_H
#define DEVSERVER_POLICY_POOL_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_POOL_BYTES (1024u * 1024)       /* one engine's region */
#define POLICY_POOL_MAX_BLOCK_BYTES 256         /* larger blocks: malloc */
#define POLICY_POOL_ALIGN_BYTES 16              /* class width and alignment */
#define POLICY_POOL_CLASSES (POLICY_POOL_MAX_BLOCK_BYTES / POLICY_POOL_ALIGN_BYTES)

struct policy_pool {
	char *base, *next, *end;                /* region; next: the bump pointer */
	void *free[POLICY_POOL_CLASSES];        /* one list per class */
};

/* Takes a region of bytes (0: a pool that serves nothing, as under ASan or
 * when malloc refuses the region). */
void policy_pool_init(struct policy_pool *p, size_t bytes);
/* Frees the region; every block from it becomes invalid. Accepts a pool
 * that was initialised with 0 bytes; calling it twice is harmless. */
void policy_pool_cleanup(struct policy_pool *p);

/* A block of at least size bytes, aligned to POLICY_POOL_ALIGN_BYTES, or
 * NULL (size 0, past POLICY_POOL_MAX_BLOCK_BYTES, or the region is used
 * up for that class): then the caller mallocs. */
void *policy_pool_alloc(struct policy_pool *p, size_t size);
/* Whether ptr is a block of this pool (false for NULL). */
bool policy_pool_owns(const struct policy_pool *p, const void *ptr);
/* Whether a block of this pool allocated for old bytes holds new_size
 * bytes as it is (same class). */
bool policy_pool_fits(size_t old, size_t new_size);
/* Returns ptr (owned, allocated for at least size bytes, 1..MAX) to its
 * class's list. A block may be freed with a size smaller than it was
 * allocated with (Lua shrinks in place): it then serves the smaller class. */
void policy_pool_free(struct policy_pool *p, void *ptr, size_t size);

#endif
