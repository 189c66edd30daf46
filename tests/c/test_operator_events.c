/* test_operator_events.c - Event shape, deduplication and rate limiting
 * (no client: decisions only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "json/json.h"
#include "operator/events.h"

static struct json *ds(const char *uid)
{
	char text[256];
	struct error err;

	snprintf(text, sizeof(text), "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
		 "\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"%s\"}}", uid);
	return json_parse(text, strlen(text), &err);
}

static void test_events_shape(void **state)
{
	struct json *obj = ds("u1");
	struct json *e = events_build(obj, EVENT_WARNING, "FlavorNotFound", "no flavor \"x\"",
				      "devserver-operator", 0);

	assert_string_equal(json_get_string(e, "kind"), "Event");
	assert_string_equal(json_get_string(e, "type"), "Warning");
	assert_string_equal(json_get_string(json_get(e, "metadata"), "generateName"), "box.");
	assert_string_equal(json_get_string(json_get(e, "metadata"), "namespace"), "dev");
	assert_string_equal(json_get_string(json_get(e, "involvedObject"), "kind"), "DevServer");
	assert_string_equal(json_get_string(json_get(e, "involvedObject"), "uid"), "u1");
	assert_string_equal(json_get_string(e, "firstTimestamp"), "1970-01-01T00:00:00Z");
	assert_string_equal(json_get_string(json_get(e, "source"), "component"), "devserver-operator");
	json_free(e);
	json_free(obj);
}

static void test_events_dedupe_and_rate_limit(void **state)
{
	struct events *ev = events_new(NULL, "devserver-operator");
	struct json *a = ds("a"), *b = ds("b");
	struct events_stats st;
	char msg[32];
	int sent = 0;

	assert_true(events_record(ev, a, EVENT_NORMAL, "Created", "children applied", 0));
	assert_false(events_record(ev, a, EVENT_NORMAL, "Created", "children applied", 1000));
	/* another object is independent */
	assert_true(events_record(ev, b, EVENT_NORMAL, "Created", "children applied", 1000));
	/* after the window the same event may go again */
	assert_true(events_record(ev, a, EVENT_NORMAL, "Created", "children applied",
				  EVENTS_DEDUPE_WINDOW_MS + 1));
	/* a burst of distinct events on one object is capped */
	for (int i = 0; i < 50; i++) {
		snprintf(msg, sizeof(msg), "change %d", i);
		sent += events_record(ev, b, EVENT_NORMAL, "Updated", msg, 2000);
	}
	assert_int_equal(sent, EVENTS_BURST - 1);
	/* tokens come back with time */
	assert_true(events_record(ev, b, EVENT_NORMAL, "Updated", "later", 2000 + EVENTS_REFILL_MS));
	events_stats(ev, &st);
	assert_int_equal(st.deduplicated, 1);
	assert_int_equal(st.rate_limited, 50 - (EVENTS_BURST - 1));
	json_free(a);
	json_free(b);
	events_free(ev);
}

static void test_events_tracking_is_bounded(void **state)
{
	struct events *ev = events_new(NULL, "devserver-operator");
	char uid[32];

	for (int i = 0; i < EVENTS_MAX_TRACKED + 100; i++) {
		struct json *o;

		snprintf(uid, sizeof(uid), "u%d", i);
		o = ds(uid);
		assert_true(events_record(ev, o, EVENT_NORMAL, "Created", "x", i));
		json_free(o);
	}
	events_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_shape),
		cmocka_unit_test(test_events_dedupe_and_rate_limit),
		cmocka_unit_test(test_events_tracking_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
