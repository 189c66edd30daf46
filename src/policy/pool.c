/* pool.c - a bounded small-block allocator for one Lua state (see pool.h).
 *
 * Why: the render profile (callgrind, bench_render) spent 14 % of a render
 * in malloc, realloc and free under the engine's Lua allocator, at well
 * over 100 instructions per call: the GC frees blocks in bursts larger
 * than glibc's per-thread cache, so most calls took malloc's slow paths and
 * its consolidation. A free list per size class pops and pushes in a few
 * instructions.
 *
 * What it does not do: coalesce, return memory before cleanup, serve large
 * blocks, or count anything against a budget.
 */
#include "policy/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define POLICY_POOL_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POLICY_POOL_DISABLED 1
#endif
#endif

/* The class of a size in 1..POLICY_POOL_MAX_BLOCK_BYTES. */
static size_t pool_class(size_t size)
{
	return (size - 1) / POLICY_POOL_ALIGN_BYTES;
}

void policy_pool_init(struct policy_pool *p, size_t bytes)
{
	memset(p, 0, sizeof(*p));
#ifdef POLICY_POOL_DISABLED
	bytes = 0;
#endif
	bytes -= bytes % POLICY_POOL_ALIGN_BYTES;
	if (!bytes)
		return;
	/* malloc aligns to 16 on the platforms we build for */
	p->base = malloc(bytes);
	if (!p->base)
		return;  /* no region: every block goes to malloc */
	p->next = p->base;
	p->end = p->base + bytes;
}

void policy_pool_cleanup(struct policy_pool *p)
{
	free(p->base);
	memset(p, 0, sizeof(*p));
}

void *policy_pool_alloc(struct policy_pool *p, size_t size)
{
	size_t c, bytes;
	void *block;

	if (size == 0 || size > POLICY_POOL_MAX_BLOCK_BYTES)
		return NULL;
	c = pool_class(size);
	block = p->free[c];
	if (block) {
		memcpy(&p->free[c], block, sizeof(void *));
		return block;
	}
	bytes = (c + 1) * POLICY_POOL_ALIGN_BYTES;
	if ((size_t)(p->end - p->next) < bytes)
		return NULL;
	block = p->next;
	p->next += bytes;
	return block;
}

bool policy_pool_owns(const struct policy_pool *p, const void *ptr)
{
	return ptr && (uintptr_t)ptr - (uintptr_t)p->base < (uintptr_t)(p->next - p->base);
}

bool policy_pool_fits(size_t old, size_t new_size)
{
	return old >= 1 && old <= POLICY_POOL_MAX_BLOCK_BYTES && new_size >= 1 &&
	       new_size <= POLICY_POOL_MAX_BLOCK_BYTES && pool_class(new_size) <= pool_class(old);
}

void policy_pool_free(struct policy_pool *p, void *ptr, size_t size)
{
	size_t c = pool_class(size > POLICY_POOL_MAX_BLOCK_BYTES ? POLICY_POOL_MAX_BLOCK_BYTES : size ? size : 1);

	memcpy(ptr, &p->free[c], sizeof(void *));
	p->free[c] = ptr;
}
