/* test_quantity.c - src/core/quantity: the API server's rewrites compare
 * equal, different values do not, and bad syntax is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/quantity.h"

static void test_quantity_equalities(void **state)
{
	static const char *const same[][2] = {
		{ "0.5", "500m" }, { "1000m", "1" }, { "1e3", "1k" }, { "1Gi", "1024Mi" },
		{ "1.5Gi", "1536Mi" }, { "2", "2.0" }, { "100M", "1e8" }, { "+1", "1" },
		{ "0", "0m" }, { "1E3", "1000" }, { "12e-3", "12m" },
	};
	static const char *const differ[][2] = {
		{ "1G", "1Gi" }, { "1", "1001m" }, { "1k", "1Ki" }, { "-1", "1" },
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_true(quantity_equal(same[i][0], same[i][1]));
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++)
		assert_false(quantity_equal(differ[i][0], differ[i][1]));
}

static void test_quantity_values(void **state)
{
	quantity_nanos v;

	assert_int_equal(quantity_parse("250m", &v), 0);
	assert_true(v == 250000000);
	assert_int_equal(quantity_parse("1Ki", &v), 0);
	assert_true(v == (quantity_nanos)1024 * 1000000000);
	assert_int_equal(quantity_parse("3n", &v), 0);
	assert_true(v == 3);
}

static void test_quantity_invalid(void **state)
{
	static const char *const bad[] = {
		"", "m", "1.5.5", "1x", "1 Gi", "Gi", "1e", "1e+", "1ee3", "--1", "1Gib", ".", "1i",
	};
	quantity_nanos v;

	assert_int_equal(quantity_parse(NULL, &v), ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(quantity_parse(bad[i], &v), ERR_INVALID);
	assert_int_equal(quantity_parse("1.0000000001", &v), ERR_LIMIT);
	assert_int_equal(quantity_parse("1e60", &v), ERR_LIMIT);
	assert_int_equal(quantity_parse("99999999999999999999999999999999999999999E", &v), ERR_LIMIT);
	assert_false(quantity_equal("1", "junk"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantity_equalities),
		cmocka_unit_test(test_quantity_values),
		cmocka_unit_test(test_quantity_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
