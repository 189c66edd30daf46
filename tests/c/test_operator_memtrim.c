/* test_operator_memtrim.c - src/operator/memtrim: when freed memory is handed
 * back. After a list or a skip, after the caches shrank by a MiB, once a
 * minute anyway; never twice within a second; and the process-wide call
 * really trims (malloc_trim), counted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "operator/memtrim.h"

static void test_due(void **state)
{
	struct memtrim_state s = {0};

	assert_false(memtrim_due(&s, 0, 0, 100000)); /* nothing observed yet */
	memtrim_done(&s, 10 << 20, 5, 100000);
	/* nothing happened */
	assert_false(memtrim_due(&s, 10 << 20, 5, 101500));
	/* a list finished or an object was skipped: due, but not within a second */
	assert_false(memtrim_due(&s, 10 << 20, 6, 100500));
	assert_true(memtrim_due(&s, 10 << 20, 6, 101000));
	/* the caches shrank by a MiB since the high-water mark */
	assert_false(memtrim_due(&s, (10 << 20) - (MEMTRIM_MIN_DROP_BYTES - 1), 5, 102000));
	assert_true(memtrim_due(&s, (10 << 20) - MEMTRIM_MIN_DROP_BYTES, 5, 102000));
	s.high = 30 << 20; /* grew meanwhile, then fell back */
	assert_true(memtrim_due(&s, 20 << 20, 5, 102000));
	s.high = 10 << 20;
	/* once a minute regardless */
	assert_true(memtrim_due(&s, 10 << 20, 5, 100000 + MEMTRIM_PERIOD_MS));
	memtrim_done(&s, 10 << 20, 6, 200000);
	assert_false(memtrim_due(&s, 10 << 20, 6, 200999));
}

static void test_note_trims_the_heap(void **state)
{
	uint64_t before = memtrim_count();
	void *p[256];

	assert_false(memtrim_note(1 << 20, 1, 5000)); /* the first call only observes */
	for (int i = 0; i < 256; i++)
		p[i] = malloc(4096);
	for (int i = 0; i < 256; i++)
		free(p[i]);
	assert_false(memtrim_note(1 << 20, 1, 5500));
	assert_true(memtrim_note(1 << 20, 2, 6000));
	assert_int_equal(memtrim_count(), before + 1);
	assert_false(memtrim_note(0, 3, 6100)); /* within the interval */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_note_trims_the_heap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
