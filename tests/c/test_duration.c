/* test_duration.c - src/core/duration: the accepted language and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/duration.h"
#include "core/error.h"

static void test_duration_valid(void **state)
{
	static const struct { const char *in; int64_t secs; } cases[] = {
		{ "4h", 14400 }, { "1h30m", 5400 }, { "90s", 90 }, { "2d", 172800 },
		{ "1d2h3m4s", 93784 }, { "0s", 0 }, { "45m", 2700 }, { "007m", 420 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t s = -1;

		assert_int_equal(duration_parse(cases[i].in, &s), 0);
		assert_int_equal(s, cases[i].secs);
	}
}

static void test_duration_invalid(void **state)
{
	static const char *const bad[] = {
		"", "h", "4", "4x", "-1h", "1.5h", "30m1h", "1h1h", " 1h", "1h ", "1H", "1h30", "d",
	};
	int64_t s;

	assert_int_equal(duration_parse(NULL, &s), ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(duration_parse(bad[i], &s), ERR_INVALID);
}

static void test_duration_limits(void **state)
{
	int64_t s;

	assert_int_equal(duration_parse("99999999999999999999s", &s), ERR_LIMIT);
	assert_int_equal(duration_parse("36600d1s", &s), ERR_LIMIT);
	assert_int_equal(duration_parse("36600d", &s), 0);
}

static void test_duration_format(void **state)
{
	char out[DURATION_TEXT_BYTES];

	duration_format(0, out);
	assert_string_equal(out, "0s");
	duration_format(90, out);
	assert_string_equal(out, "1m30s");
	duration_format(93784, out);
	assert_string_equal(out, "1d2h3m4s");
	duration_format(7200, out);
	assert_string_equal(out, "2h");
	duration_format(DURATION_MAX_SECONDS, out);
	assert_string_equal(out, "36600d");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_limits),
		cmocka_unit_test(test_duration_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
