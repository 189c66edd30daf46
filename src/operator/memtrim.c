/* memtrim.c - malloc_trim when memory was probably freed (see memtrim.h).
 *
 * Measured on the local cluster (docs/reliability.md, "Hostile objects"):
 * after eight 1.6 MB DevServers were listed and deleted the resident size
 * stayed at its peak without a trim; with one after the relist and one after
 * the deletions it comes back to within a few MiB of the start. A trim of a
 * heap of tens of MiB takes well under a millisecond to a few.
 *
 * Without glibc (no malloc_trim) memtrim_note only keeps its books.
 */
#include "operator/memtrim.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static struct memtrim_state memtrim_process;
static uint64_t memtrim_trims;

bool memtrim_due(const struct memtrim_state *s, size_t cache_bytes, uint64_t marks, int64_t now_ms)
{
	size_t high = s->high > cache_bytes ? s->high : cache_bytes;

	if (!s->started || now_ms - s->last_ms < MEMTRIM_INTERVAL_MS)
		return false;
	return marks != s->marks || high - cache_bytes >= MEMTRIM_MIN_DROP_BYTES ||
	       now_ms - s->last_ms >= MEMTRIM_PERIOD_MS;
}

void memtrim_done(struct memtrim_state *s, size_t cache_bytes, uint64_t marks, int64_t now_ms)
{
	s->high = cache_bytes;
	s->marks = marks;
	s->last_ms = now_ms;
	s->started = true;
}

bool memtrim_note(size_t cache_bytes, uint64_t marks, int64_t now_ms)
{
	struct memtrim_state *s = &memtrim_process;

	if (!s->started) {
		memtrim_done(s, cache_bytes, marks, now_ms);
		return false;
	}
	if (!memtrim_due(s, cache_bytes, marks, now_ms)) {
		if (cache_bytes > s->high)
			s->high = cache_bytes;
		return false;
	}
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	memtrim_trims++;
	memtrim_done(s, cache_bytes, marks, now_ms);
	return true;
}

uint64_t memtrim_count(void)
{
	return memtrim_trims;
}
