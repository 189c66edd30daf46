/* test_operator_idle.c - src/operator/idle: the timeout from the DevServer or
 * its flavor, the activity log parsed as the kubelet returns it (timestamps,
 * several lines, noise, garbage), the decision for each state, and the
 * schedule's map (grow, forget, bound). Plus core/hash's known values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/hash.h"
#include "operator/idle.h"
#include "support/testutil.h"

static void test_idle_timeout_from_spec_then_flavor(void **state)
{
	struct json *ds = tu_json("{\"spec\":{\"lifecycle\":{\"idleTimeout\":\"30m\"}}}");
	struct json *plain = tu_json("{\"spec\":{}}");
	struct json *flavor = tu_json("{\"spec\":{\"lifecycle\":{\"idleTimeout\":\"2h\"}}}");
	struct json *bad = tu_json("{\"spec\":{\"lifecycle\":{\"idleTimeout\":\"soon\"}}}");
	int64_t secs = 0;
	bool on = false;
	struct error err;

	assert_int_equal(idle_timeout(ds, flavor, &secs, &on, &err), 0);
	assert_true(on);
	assert_int_equal(secs, 1800);
	assert_int_equal(idle_timeout(plain, flavor, &secs, &on, &err), 0);
	assert_true(on);
	assert_int_equal(secs, 7200);
	assert_int_equal(idle_timeout(plain, NULL, &secs, &on, &err), 0);
	assert_false(on);
	assert_int_equal(idle_timeout(bad, NULL, &secs, &on, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "DevServer.spec.lifecycle.idleTimeout"));
	json_free(ds);
	json_free(plain);
	json_free(flavor);
	json_free(bad);
}

static void test_idle_parse_log(void **state)
{
	struct idle_reading r;
	int64_t t;
	const char *log =
		"2026-12-02T10:00:00.000000001Z devserver-activity idle\n"
		"2026-12-02T10:05:00.5Z devserver-activity active sessions=1 processes=2\n"
		"2026-12-02T10:07:30Z devserver-activity idle\n";

	assert_int_equal(clock_parse_rfc3339("2026-12-02T10:07:30Z", &t), 0);
	idle_parse_log(log, strlen(log), &r);
	assert_int_equal(r.state, IDLE_IDLE);
	assert_int_equal(r.at, t);
	/* the last line is active: without a trailing newline too */
	idle_parse_log(log, strlen(log) - strlen("2026-12-02T10:07:30Z devserver-activity idle\n") - 1, &r);
	assert_int_equal(r.state, IDLE_ACTIVE);
	/* noise after the last activity line does not hide it */
	{
		const char *noisy = "2026-12-02T10:00:00Z devserver-activity active sessions=0 processes=1\n"
				    "2026-12-02T10:00:01Z something else entirely\n"
				    "garbage without a stamp\n";

		idle_parse_log(noisy, strlen(noisy), &r);
		assert_int_equal(r.state, IDLE_ACTIVE);
	}
	idle_parse_log("", 0, &r);
	assert_int_equal(r.state, IDLE_UNKNOWN);
	idle_parse_log("2026-12-02T10:00:00Z devserver-activity unknown\n", 48, &r);
	assert_int_equal(r.state, IDLE_UNKNOWN);
	idle_parse_log("not-a-time devserver-activity idle\n", 35, &r);
	assert_int_equal(r.state, IDLE_UNKNOWN);
	idle_parse_log("2026-12-02T10:00:00Z devserver-activity activeX\n", 48, &r);
	assert_int_equal(r.state, IDLE_UNKNOWN);
	{
		char big[IDLE_LOG_MAX_BYTES];

		memset(big, 'x', sizeof(big));
		idle_parse_log(big, sizeof(big), &r);
		assert_int_equal(r.state, IDLE_UNKNOWN);
	}
}

static void test_idle_decide(void **state)
{
	struct idle_reading active = { IDLE_ACTIVE, 1000 }, idle = { IDLE_IDLE, 1000 }, unknown = { IDLE_UNKNOWN, 0 };
	struct idle_decision d;

	/* active now: look again a whole timeout later */
	idle_decide(&active, 600, 5000, &d);
	assert_false(d.stop);
	assert_int_equal(d.next_check, 5600);
	assert_int_equal(d.last_activity, 5000);
	/* idle since 1000, timeout 600: at 1300 wait until 1600; at 1600 stop */
	idle_decide(&idle, 600, 1300, &d);
	assert_false(d.stop);
	assert_int_equal(d.next_check, 1600);
	assert_int_equal(d.last_activity, 1000);
	idle_decide(&idle, 600, 1600, &d);
	assert_true(d.stop);
	/* unknown: never stop, look again soon (at least IDLE_RECHECK_MIN_S) */
	idle_decide(&unknown, 600, 5000, &d);
	assert_false(d.stop);
	assert_int_equal(d.next_check, 5000 + 150);
	idle_decide(&unknown, 10, 5000, &d);
	assert_int_equal(d.next_check, 5010);
}

static void test_idle_tracker(void **state)
{
	struct idle_tracker *t = idle_tracker_new();
	char key[64];

	assert_null(idle_tracker_get(t, "ns/a", false));
	for (int i = 0; i < 1000; i++) {
		struct idle_entry *e;

		snprintf(key, sizeof(key), "ns/box-%d", i);
		e = idle_tracker_get(t, key, true);
		assert_non_null(e);
		e->next_check = i;
	}
	assert_int_equal(idle_tracker_count(t), 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "ns/box-%d", i);
		assert_int_equal(idle_tracker_get(t, key, false)->next_check, i);
	}
	idle_tracker_forget(t, "ns/box-7");
	idle_tracker_forget(t, "ns/never");
	assert_null(idle_tracker_get(t, "ns/box-7", false));
	assert_int_equal(idle_tracker_count(t), 999);
	idle_tracker_free(t);
	idle_tracker_free(NULL);
}

static void test_hash_fnv1a64(void **state)
{
	/* the published FNV-1a 64 test values */
	assert_true(hash_fnv1a64_str("") == 0xcbf29ce484222325ull);
	assert_true(hash_fnv1a64_str("a") == 0xaf63dc4c8601ec8cull);
	assert_true(hash_fnv1a64_str("foobar") == 0x85944171f73967e8ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_timeout_from_spec_then_flavor),
		cmocka_unit_test(test_idle_parse_log),
		cmocka_unit_test(test_idle_decide),
		cmocka_unit_test(test_idle_tracker),
		cmocka_unit_test(test_hash_fnv1a64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
