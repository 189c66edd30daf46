/* memtrim.h - handing freed heap memory back to the system.
 *
 * glibc keeps freed memory in the process: after a relist, or after many
 * large objects are deleted, the operator's resident size stays at its peak
 * unless something calls malloc_trim(0), which returns the free pages in the
 * middle of the heap too. The loop calls memtrim_note once per iteration
 * with what it knows; a trim happens when something probably freed a lot - a
 * (re)list finished, an object was skipped (its text and partial tree are
 * gone), the caches shrank by MEMTRIM_MIN_DROP_BYTES since the last trim -
 * and otherwise every MEMTRIM_PERIOD_MS, never more often than every
 * MEMTRIM_INTERVAL_MS.
 *
 * The state is process-wide on purpose: there is one heap per process.
 * Only the event loop's thread calls memtrim_note.
 */
#ifndef DEVSERVER_OPERATOR_MEMTRIM_H
#define DEVSERVER_OPERATOR_MEMTRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMTRIM_INTERVAL_MS 1000              /* at most one trim per second */
#define MEMTRIM_PERIOD_MS (60 * 1000)         /* and one a minute anyway */
#define MEMTRIM_MIN_DROP_BYTES (1u << 20)     /* cache bytes freed that make one worth it */

struct memtrim_state {
	size_t high;          /* cache bytes high-water mark since the last trim */
	uint64_t marks;       /* lists + skips seen at the last trim */
	int64_t last_ms;      /* when it last trimmed (monotonic) */
	bool started;
};

/* Whether a trim is due now (pure: tests drive it with their own state).
 * cache_bytes: everything the caches hold; marks: a counter that moves when
 * memory was probably freed (lists finished + objects skipped). */
bool memtrim_due(const struct memtrim_state *s, size_t cache_bytes, uint64_t marks, int64_t now_ms);
/* Records a trim (or the first observation) in s. */
void memtrim_done(struct memtrim_state *s, size_t cache_bytes, uint64_t marks, int64_t now_ms);

/* The loop's call: trims the process heap when due. Returns true when it did. */
bool memtrim_note(size_t cache_bytes, uint64_t marks, int64_t now_ms);
/* Trims done by memtrim_note so far. */
uint64_t memtrim_count(void);

#endif
