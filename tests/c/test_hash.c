/* test_hash.c - core/hash: FNV-1a against the published test vectors, and the
 * compatibility seed that the cache, queue and Event de-duplicator use (their
 * own loops, which these replaced, are kept here as the reference). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/hash.h"

static void test_hash_vectors(void **state)
{
	(void)state;
	/* from the FNV reference (draft-eastlake-fnv), 64-bit FNV-1a */
	assert_true(hash_fnv1a64_str("") == 0xcbf29ce484222325ull);
	assert_true(hash_fnv1a64_str("a") == 0xaf63dc4c8601ec8cull);
	assert_true(hash_fnv1a64_str("foobar") == 0x85944171f73967e8ull);
}

static void test_hash_update_continues(void **state)
{
	uint64_t h;

	(void)state;
	h = hash_fnv1a64_update(HASH_FNV1A64_OFFSET, "foo", 3);
	h = hash_fnv1a64_update(h, "bar", 3);
	assert_true(h == hash_fnv1a64_str("foobar"));
	assert_true(hash_fnv1a64_update(HASH_FNV1A64_OFFSET, "", 0) == HASH_FNV1A64_OFFSET);
	/* bytes, not a C string: a NUL counts */
	assert_true(hash_fnv1a64_update(HASH_FNV1A64_OFFSET, "a\0b", 3) !=
		    hash_fnv1a64_update(HASH_FNV1A64_OFFSET, "a", 1));
}

/* The loop src/kube/cache.c and src/kube/queue.c carried. */
static uint64_t old_compat_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void test_hash_compat_seed(void **state)
{
	static const char *const keys[] = { "", "a", "default/box", "team-a/dev-1", "\xc3\xa4\xff" };

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_true(hash_fnv1a64_update(HASH_FNV1A64_SEED_COMPAT, keys[i], strlen(keys[i])) ==
			    old_compat_hash(keys[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_hash_update_continues),
		cmocka_unit_test(test_hash_compat_seed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
