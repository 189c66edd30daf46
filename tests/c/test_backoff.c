/* test_backoff.c - src/kube/backoff and status: which responses are retried,
 * after how long (the shared exponential, full jitter for the client, the
 * queue's half jitter, cap, attempts), and Retry-After in both forms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kube/backoff.h"
#include "kube/status.h"

/* A scripted random source: returns *ud each time. */
static uint64_t fixed_rand(void *ud)
{
	return *(uint64_t *)ud;
}

static void test_full_jitter_bounds_and_cap(void **state)
{
	struct backoff_policy p;
	uint64_t r = UINT64_MAX; /* the largest value: the delay hits the ceiling */
	uint64_t s = 0;

	backoff_policy_default(&p);
	/* ceiling doubles from the base and stops at the cap */
	assert_int_equal(backoff_delay_ms(&p, 0, fixed_rand, &r), UINT64_MAX % (BACKOFF_BASE_MS + 1));
	r = BACKOFF_BASE_MS;
	assert_int_equal(backoff_delay_ms(&p, 0, fixed_rand, &r), BACKOFF_BASE_MS);
	r = 2 * BACKOFF_BASE_MS;
	assert_int_equal(backoff_delay_ms(&p, 1, fixed_rand, &r), 2 * BACKOFF_BASE_MS);
	r = BACKOFF_CAP_MS;
	assert_int_equal(backoff_delay_ms(&p, 40, fixed_rand, &r), BACKOFF_CAP_MS);
	r = 0;
	assert_int_equal(backoff_delay_ms(&p, 3, fixed_rand, &r), 0); /* full jitter reaches 0 */
	/* the default source stays inside [0, ceiling] */
	for (int retry = 0; retry < 20; retry++)
		for (int i = 0; i < 100; i++) {
			int64_t d = backoff_delay_ms(&p, retry, backoff_rand_default, &s);
			int64_t ceil = BACKOFF_BASE_MS;

			for (int k = 0; k < retry && ceil < BACKOFF_CAP_MS; k++)
				ceil *= 2;
			if (ceil > BACKOFF_CAP_MS)
				ceil = BACKOFF_CAP_MS;
			assert_in_range(d, 0, ceil);
		}
}

/* The one exponential the client, the watch and the queue share. */
static void test_ceiling_sequence_and_cap(void **state)
{
	/* the queue's values in test_queue.c, and the client's defaults */
	int64_t queue[] = { 100, 200, 400, 800, 1000, 1000 };
	int64_t client[] = { 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000 };

	for (int n = 0; n < (int)(sizeof(queue) / sizeof(queue[0])); n++)
		assert_int_equal(backoff_ceiling_ms(100, 1000, n), queue[n]);
	for (int n = 0; n < (int)(sizeof(client) / sizeof(client[0])); n++)
		assert_int_equal(backoff_ceiling_ms(BACKOFF_BASE_MS, BACKOFF_CAP_MS, n), client[n]);
	/* the queue's production values: 250 ms up to five minutes */
	assert_int_equal(backoff_ceiling_ms(250, 5 * 60 * 1000, 0), 250);
	assert_int_equal(backoff_ceiling_ms(250, 5 * 60 * 1000, 10), 256000);
	assert_int_equal(backoff_ceiling_ms(250, 5 * 60 * 1000, 11), 5 * 60 * 1000);
	/* no overflow however many failures, and a negative count is the first */
	assert_int_equal(backoff_ceiling_ms(250, 5 * 60 * 1000, 61), 5 * 60 * 1000);
	assert_int_equal(backoff_ceiling_ms(INT64_MAX / 4, INT64_MAX / 2, 1000), INT64_MAX / 2);
	assert_int_equal(backoff_ceiling_ms(100, 1000, -3), 100);
	/* a base above the cap is capped */
	assert_int_equal(backoff_ceiling_ms(5000, 1000, 0), 1000);
}

/* The queue's jitter: into [ceiling / 2, ceiling), the ceiling itself
 * without a random source (r = 1), never 0. */
static void test_half_jitter_range(void **state)
{
	uint64_t s = 0;

	assert_int_equal(backoff_half_jitter_ms(1000, 0.0), 500);
	assert_int_equal(backoff_half_jitter_ms(1000, 0.5), 750);
	assert_in_range(backoff_half_jitter_ms(1000, 0.999999), 999, 999);
	assert_int_equal(backoff_half_jitter_ms(1000, 1.0), 1000);
	assert_int_equal(backoff_half_jitter_ms(1, 0.0), 1);
	assert_int_equal(backoff_half_jitter_ms(0, 1.0), 1);
	for (int n = 0; n < 12; n++)
		for (int i = 0; i < 100; i++) {
			int64_t c = backoff_ceiling_ms(100, 60000, n);
			double r = (double)(backoff_rand_default(&s) >> 11) / 9007199254740992.0; /* [0, 1) */
			int64_t d = backoff_half_jitter_ms(c, r);

			assert_true(d >= c / 2);
			assert_true(d < c);
		}
}

static void test_retry_decisions(void **state)
{
	struct backoff_policy p;
	uint64_t r = 50;

	backoff_policy_default(&p);
	/* only transient failures are retried */
	assert_true(backoff_next(&p, ERR_RETRY, 1, -1, fixed_rand, &r) >= 0);
	assert_int_equal(backoff_next(&p, ERR_CONFLICT, 1, -1, fixed_rand, &r), -1);
	assert_int_equal(backoff_next(&p, ERR_GONE, 1, -1, fixed_rand, &r), -1);
	assert_int_equal(backoff_next(&p, ERR_NOT_FOUND, 1, -1, fixed_rand, &r), -1);
	assert_int_equal(backoff_next(&p, ERR_PERMANENT, 1, -1, fixed_rand, &r), -1);
	assert_int_equal(backoff_next(&p, ERR_UNAUTHORIZED, 1, -1, fixed_rand, &r), -1);
	assert_int_equal(backoff_next(&p, ERR_INVALID, 1, -1, fixed_rand, &r), -1);
	/* attempts run out */
	assert_true(backoff_next(&p, ERR_RETRY, BACKOFF_MAX_ATTEMPTS - 1, -1, fixed_rand, &r) >= 0);
	assert_int_equal(backoff_next(&p, ERR_RETRY, BACKOFF_MAX_ATTEMPTS, -1, fixed_rand, &r), -1);
	/* Retry-After replaces the jittered delay, capped */
	assert_int_equal(backoff_next(&p, ERR_RETRY, 1, 3000, fixed_rand, &r), 3000);
	assert_int_equal(backoff_next(&p, ERR_RETRY, 1, 0, fixed_rand, &r), 0);
	assert_int_equal(backoff_next(&p, ERR_RETRY, 1, 3600 * 1000, fixed_rand, &r),
			 BACKOFF_RETRY_AFTER_MAX_MS);
	/* but never past the attempt limit */
	assert_int_equal(backoff_next(&p, ERR_RETRY, BACKOFF_MAX_ATTEMPTS, 1000, fixed_rand, &r), -1);
}

static void test_retry_after_parsing(void **state)
{
	int64_t d;
	/* 1994-11-06T08:49:37Z */
	const int64_t t = 784111777;

	assert_int_equal(backoff_parse_retry_after("120", t, &d), 0);
	assert_int_equal(d, 120000);
	assert_int_equal(backoff_parse_retry_after(" 0\r\n", t, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(backoff_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 5, &d), 0);
	assert_int_equal(d, 5000);
	assert_int_equal(backoff_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", t - 7, &d), 0);
	assert_int_equal(d, 7000);
	assert_int_equal(backoff_parse_retry_after("Sun Nov  6 08:49:37 1994", t - 1, &d), 0);
	assert_int_equal(d, 1000);
	/* a date in the past means now */
	assert_int_equal(backoff_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t + 100, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(backoff_parse_retry_after("Thu, 26 Nov 2026 10:00:00 GMT", 1795687200 - 60, &d), 0);
	assert_int_equal(d, 60000);
	/* garbage */
	assert_int_equal(backoff_parse_retry_after("", t, &d), ERR_INVALID);
	assert_int_equal(backoff_parse_retry_after("soon", t, &d), ERR_INVALID);
	assert_int_equal(backoff_parse_retry_after("12s", t, &d), ERR_INVALID);
	assert_int_equal(backoff_parse_retry_after("-5", t, &d), ERR_INVALID);
	assert_int_equal(backoff_parse_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", t, &d), ERR_INVALID);
	assert_int_equal(backoff_parse_retry_after("Sun, 06 Nov 1994 08:49:37 CET", t, &d), ERR_INVALID);
	assert_int_equal(backoff_parse_retry_after("99999999999999999999999", t, &d), ERR_INVALID);
}

static void test_status_classification(void **state)
{
	static const struct { long http; int code; } cases[] = {
		{200, 0}, {201, 0}, {204, 0}, {409, ERR_CONFLICT}, {410, ERR_GONE},
		{404, ERR_NOT_FOUND}, {401, ERR_UNAUTHORIZED}, {403, ERR_UNAUTHORIZED},
		{429, ERR_RETRY}, {500, ERR_RETRY}, {502, ERR_RETRY}, {503, ERR_RETRY},
		{504, ERR_RETRY}, {408, ERR_RETRY}, {400, ERR_PERMANENT}, {422, ERR_PERMANENT},
		{415, ERR_PERMANENT}, {301, ERR_PERMANENT},
	};
	struct error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(kube_status_classify(cases[i].http, NULL, 0, &err), cases[i].code);
}

static void test_status_message_is_carried(void **state)
{
	const char *body =
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
		"\"message\":\"DevServer.devserver.io \\\"x\\\" is invalid: spec.flavor: Required value\","
		"\"reason\":\"Invalid\",\"code\":422}";
	struct error err;
	struct json *st;

	assert_int_equal(kube_status_classify(422, body, strlen(body), &err), ERR_PERMANENT);
	assert_non_null(strstr(err.msg, "spec.flavor: Required value"));
	assert_non_null(strstr(err.msg, "Invalid"));
	/* non-JSON bodies are quoted */
	assert_int_equal(kube_status_classify(502, "<html>bad gateway</html>", 24, &err), ERR_RETRY);
	assert_non_null(strstr(err.msg, "bad gateway"));
	/* a Status from a watch ERROR event */
	st = json_parse("{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"too old resource version\"}",
			84, &err);
	assert_non_null(st);
	assert_int_equal(kube_status_from_object(st, &err), ERR_GONE);
	assert_non_null(strstr(err.msg, "too old"));
	json_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_jitter_bounds_and_cap),
		cmocka_unit_test(test_ceiling_sequence_and_cap),
		cmocka_unit_test(test_half_jitter_range),
		cmocka_unit_test(test_retry_decisions),
		cmocka_unit_test(test_retry_after_parsing),
		cmocka_unit_test(test_status_classification),
		cmocka_unit_test(test_status_message_is_carried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
