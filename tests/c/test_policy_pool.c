/* test_policy_pool.c - src/policy/pool.c: the small-block allocator under
 * the policy engine's Lua allocator. Classes, reuse, alignment, the region
 * running out (NULL, so the caller mallocs), blocks past the largest class,
 * ownership, shrinking in place, and a pool with no region. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy/pool.h"

static void test_pool_classes_and_reuse(void **state)
{
	struct policy_pool p;
	void *a, *b, *c, *d;

	(void)state;
	policy_pool_init(&p, 4096);
	if (!p.base) {  /* an ASan build: no region, everything is malloc's */
		assert_null(policy_pool_alloc(&p, 16));
		policy_pool_cleanup(&p);
		skip();
	}
	assert_null(policy_pool_alloc(&p, 0));
	assert_null(policy_pool_alloc(&p, POLICY_POOL_MAX_BLOCK_BYTES + 1));
	a = policy_pool_alloc(&p, 1);
	b = policy_pool_alloc(&p, 16);
	c = policy_pool_alloc(&p, 17);
	d = policy_pool_alloc(&p, POLICY_POOL_MAX_BLOCK_BYTES);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	/* bump order: 16, 16, 32, 256 bytes; all aligned */
	assert_int_equal((char *)b - (char *)a, 16);
	assert_int_equal((char *)c - (char *)b, 16);
	assert_int_equal((char *)d - (char *)c, 32);
	assert_int_equal((uintptr_t)d % POLICY_POOL_ALIGN_BYTES, 0);
	memset(d, 0x5a, POLICY_POOL_MAX_BLOCK_BYTES);
	assert_true(policy_pool_owns(&p, a));
	assert_true(policy_pool_owns(&p, (char *)d + POLICY_POOL_MAX_BLOCK_BYTES - 1));
	assert_false(policy_pool_owns(&p, (char *)d + POLICY_POOL_MAX_BLOCK_BYTES)); /* not carved yet */
	assert_false(policy_pool_owns(&p, NULL));
	assert_false(policy_pool_owns(&p, &p));

	/* a freed block comes back for its class only, last in first out */
	policy_pool_free(&p, c, 17);
	policy_pool_free(&p, b, 16);
	policy_pool_free(&p, a, 1);
	assert_ptr_equal(policy_pool_alloc(&p, 30), c);
	assert_ptr_equal(policy_pool_alloc(&p, 5), a);
	assert_ptr_equal(policy_pool_alloc(&p, 16), b);

	/* what stays put: the same class or a smaller one */
	assert_true(policy_pool_fits(17, 32));
	assert_true(policy_pool_fits(32, 1));
	assert_false(policy_pool_fits(16, 17));
	assert_false(policy_pool_fits(0, 1));
	assert_false(policy_pool_fits(POLICY_POOL_MAX_BLOCK_BYTES, POLICY_POOL_MAX_BLOCK_BYTES + 1));
	/* a block shrunk in place and freed at its new size serves that class */
	policy_pool_free(&p, d, 20);
	assert_ptr_equal(policy_pool_alloc(&p, 32), d);
	policy_pool_cleanup(&p);
	policy_pool_cleanup(&p);  /* twice is harmless */
}

static void test_pool_runs_out(void **state)
{
	struct policy_pool p;
	void *blocks[8];

	(void)state;
	policy_pool_init(&p, 4 * 64 + 8);  /* rounded down to the alignment */
	if (!p.base)
		skip();
	assert_int_equal(p.end - p.base, 4 * 64);
	for (int i = 0; i < 4; i++)
		assert_non_null(blocks[i] = policy_pool_alloc(&p, 64));
	/* the region is used up: NULL for every class, and the caller mallocs */
	assert_null(policy_pool_alloc(&p, 64));
	assert_null(policy_pool_alloc(&p, 1));
	/* a freed block is still served, but only for its class or smaller */
	policy_pool_free(&p, blocks[2], 64);
	assert_null(policy_pool_alloc(&p, 65));
	assert_ptr_equal(policy_pool_alloc(&p, 64), blocks[2]);
	assert_null(policy_pool_alloc(&p, 64));
	policy_pool_cleanup(&p);
}

static void test_pool_without_region(void **state)
{
	struct policy_pool p;
	int x;

	(void)state;
	policy_pool_init(&p, 0);
	assert_null(p.base);
	assert_null(policy_pool_alloc(&p, 16));
	assert_false(policy_pool_owns(&p, &x));
	assert_false(policy_pool_owns(&p, NULL));
	policy_pool_cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_classes_and_reuse),
		cmocka_unit_test(test_pool_runs_out),
		cmocka_unit_test(test_pool_without_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
