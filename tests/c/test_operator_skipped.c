/* test_operator_skipped.c - src/operator/skipped: what a skipped object is
 * told. The message names the kind and the limit, the status of a skipped
 * DevServer is Failed with Ready=False/ObjectSkipped, and writing it again
 * is recognised as unnecessary (so reporting never loops on its own
 * status writes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "operator/skipped.h"

static struct json *make_stub(const char *status)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"metadata\":{\"name\":\"deep\","
		 "\"namespace\":\"dev\",\"uid\":\"u1\",\"resourceVersion\":\"9\",\"generation\":2},"
		 "\"spec\":{\"x\":1}%s%s}", status ? ",\"status\":" : "", status ? status : "");
	return kube_object_stub(text, strlen(text), "spec: nesting deeper than 64 levels (KUBE_OBJECT_MAX_DEPTH)");
}

static void test_message(void **state)
{
	struct json *stub = make_stub(NULL);
	char msg[SKIPPED_MESSAGE_MAX_BYTES];

	skipped_message(stub, msg);
	assert_non_null(strstr(msg, "DevServer"));
	assert_non_null(strstr(msg, "spec: nesting deeper than 64 levels (KUBE_OBJECT_MAX_DEPTH)"));
	assert_non_null(strstr(msg, "skips"));
	json_free(stub);
}

static void test_status_of_a_skipped_devserver(void **state)
{
	struct json *stub = make_stub(NULL), *st, *again;
	const struct json *ready;

	st = skipped_devserver_status(stub, 1700000000);
	assert_string_equal(json_get_string(st, "phase"), "Failed");
	assert_int_equal(json_get_int(st, "observedGeneration", 0), 2);
	ready = json_get(st, "conditions")->u.arr.items[0];
	assert_string_equal(json_get_string(ready, "type"), "Ready");
	assert_string_equal(json_get_string(ready, "status"), "False");
	assert_string_equal(json_get_string(ready, "reason"), SKIPPED_REASON);
	assert_string_equal(json_get_string(ready, "lastTransitionTime"), "2023-11-14T22:13:20Z");
	/* no status yet: a write is needed */
	assert_false(skipped_status_current(stub, st));
	json_free(stub);

	/* the stub after that write: nothing more to write, later too */
	{
		char *text = json_encode_str(st, 1 << 16, 0);

		stub = make_stub(text);
		free(text);
	}
	again = skipped_devserver_status(stub, 1700009999);
	assert_true(json_equal(again, st)); /* the transition time stays */
	assert_true(skipped_status_current(stub, again));
	json_free(again);
	json_free(stub);

	/* a Running DevServer that turned hostile: the write is needed, and
	 * Ready moves to False now */
	stub = make_stub("{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
			 "\"reason\":\"PodReady\",\"message\":\"\",\"lastTransitionTime\":\"2020-01-01T00:00:00Z\"}]}");
	json_free(st);
	st = skipped_devserver_status(stub, 1700000000);
	assert_false(skipped_status_current(stub, st));
	ready = json_get(st, "conditions")->u.arr.items[0];
	assert_string_equal(json_get_string(ready, "lastTransitionTime"), "2023-11-14T22:13:20Z");
	json_free(st);
	json_free(stub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_status_of_a_skipped_devserver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
