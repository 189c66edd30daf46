/* test_api_policy_status.c - the policy status annotation: the operator's
 * encoding round-trips through devctl's parser, older operators' text is
 * still read, and bad input is an error, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/policy_status.h"

static void test_active_round_trip(void **state)
{
	struct api_policy_status in = {.state = API_POLICY_ACTIVE}, out;
	struct error err;
	char *text;

	(void)state;
	snprintf(in.revision, sizeof(in.revision), "%s", "0123456789ab");
	text = api_policy_status_encode(&in, &err);
	assert_non_null(text);
	assert_string_equal(text, "{\"revision\":\"0123456789ab\",\"state\":\"active\"}");
	assert_int_equal(api_policy_status_parse(text, &out, &err), 0);
	assert_int_equal(out.state, API_POLICY_ACTIVE);
	assert_string_equal(out.revision, "0123456789ab");
	assert_string_equal(out.reason, "");
	free(text);
}

/* A reason with the characters the free text could not carry. */
static void test_rejected_round_trip(void **state)
{
	struct api_policy_status in = {.state = API_POLICY_REJECTED}, out;
	struct error err;
	char *text;

	(void)state;
	snprintf(in.revision, sizeof(in.revision), "%s", "ffff00001111");
	snprintf(in.active, sizeof(in.active), "%s", "0123456789ab");
	snprintf(in.reason, sizeof(in.reason), "%s", "devserver.lua:3: bad \"x\": (active: no)\nsecond line");
	text = api_policy_status_encode(&in, &err);
	assert_non_null(text);
	assert_int_equal(api_policy_status_parse(text, &out, &err), 0);
	assert_int_equal(out.state, API_POLICY_REJECTED);
	assert_string_equal(out.revision, in.revision);
	assert_string_equal(out.active, in.active);
	assert_string_equal(out.reason, in.reason);
	free(text);
}

static void test_same_status_same_bytes(void **state)
{
	struct api_policy_status a = {.state = API_POLICY_REJECTED}, b;
	struct error err;
	char *x, *y;

	(void)state;
	snprintf(a.revision, sizeof(a.revision), "%s", "r1");
	snprintf(a.reason, sizeof(a.reason), "%s", "why");
	b = a;
	x = api_policy_status_encode(&a, &err);
	y = api_policy_status_encode(&b, &err);
	assert_non_null(x);
	assert_non_null(y);
	assert_string_equal(x, y); /* the operator skips the write on equal bytes */
	free(x);
	free(y);
}

static void test_legacy_text(void **state)
{
	struct api_policy_status st;
	struct error err;

	(void)state;
	assert_int_equal(api_policy_status_parse("active 0123456789ab", &st, &err), 0);
	assert_int_equal(st.state, API_POLICY_ACTIVE);
	assert_string_equal(st.revision, "0123456789ab");

	assert_int_equal(api_policy_status_parse("rejected ffff00001111: devserver.lua:3: boom (active: 0123456789ab)",
						 &st, &err), 0);
	assert_int_equal(st.state, API_POLICY_REJECTED);
	assert_string_equal(st.revision, "ffff00001111");
	assert_string_equal(st.reason, "devserver.lua:3: boom");
	assert_string_equal(st.active, "0123456789ab");

	/* the reason quoting the marker: the last one is the active revision */
	assert_int_equal(api_policy_status_parse("rejected r2: x (active: y) z (active: r1)", &st, &err), 0);
	assert_string_equal(st.reason, "x (active: y) z");
	assert_string_equal(st.active, "r1");
}

static void test_bad_input(void **state)
{
	static const char *bad[] = {
		"", "ok", "{", "{\"state\":\"active\"}", "{\"revision\":\"r\"}",
		"{\"state\":\"sleeping\",\"revision\":\"r\"}", "[1,2]", "{\"state\":1,\"revision\":\"r\"}",
	};
	struct api_policy_status st;
	struct error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(api_policy_status_parse(bad[i], &st, &err), ERR_INVALID);
		assert_non_null(strstr(err.msg, "policy status"));
	}
}

/* Overlong fields are cut to their buffers, never overrun. */
static void test_long_fields(void **state)
{
	struct api_policy_status st;
	struct error err;
	char text[4096];
	char reason[2000];

	(void)state;
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"state\":\"rejected\",\"revision\":\"r\",\"reason\":\"%s\"}", reason);
	assert_int_equal(api_policy_status_parse(text, &st, &err), 0);
	assert_int_equal(strlen(st.reason), API_POLICY_REASON_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_round_trip),
		cmocka_unit_test(test_rejected_round_trip),
		cmocka_unit_test(test_same_status_same_bytes),
		cmocka_unit_test(test_legacy_text),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_long_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
