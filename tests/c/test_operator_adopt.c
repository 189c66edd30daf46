/* test_operator_adopt.c - src/operator/adopt: recognising a DevServer the
 * predecessor (kopf) operator ran and the objects it left, the Deployment
 * whose selector forces a replacement, and the JSON Patch that takes kopf's
 * annotations off (only kopf's, RFC 6901 escapes, guarded by the uid). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "operator/adopt.h"
#include "support/testutil.h"

static void test_marks(void **state)
{
	struct json *kopf = tu_json("{\"metadata\":{\"uid\":\"u1\",\"annotations\":{\"a\":\"b\","
			      "\"kopf.zalando.org/last-handled-configuration\":\"{}\"}}}");
	struct json *ours = tu_json("{\"metadata\":{\"uid\":\"u1\",\"annotations\":{\"kopf.zalando.orgx/y\":\"1\","
			      "\"devserver.io/stopped-by\":\"idle\"}}}");
	struct json *bad = tu_json("{\"metadata\":{\"annotations\":[\"kopf.zalando.org/x\"]}}");

	(void)state;
	assert_true(adopt_is_marked(kopf));
	assert_false(adopt_is_marked(ours));
	assert_false(adopt_is_marked(bad));
	assert_false(adopt_is_marked(NULL));
	json_free(kopf);
	json_free(ours);
	json_free(bad);
}

static void test_owned_by(void **state)
{
	struct json *ctl = tu_json("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"u0\"},{\"uid\":\"u1\",\"controller\":true}]}}");
	struct json *plain = tu_json("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"u1\"}]}}");
	struct json *none = tu_json("{\"metadata\":{}}");

	(void)state;
	assert_true(adopt_owned_by(ctl, "u1"));
	assert_true(adopt_owned_by(ctl, "u0"));
	assert_true(adopt_owned_by(plain, "u1")); /* the predecessor set controller on some, not all */
	assert_false(adopt_owned_by(plain, "u2"));
	assert_false(adopt_owned_by(none, "u1"));
	assert_false(adopt_owned_by(plain, ""));
	assert_false(adopt_owned_by(plain, NULL));
	json_free(ctl);
	json_free(plain);
	json_free(none);
}

static void test_selector(void **state)
{
	struct json *want = tu_json("{\"kind\":\"Deployment\",\"spec\":{\"selector\":{\"matchLabels\":"
			      "{\"devserver.io/name\":\"box\"}}}}");
	struct json *same = tu_json("{\"kind\":\"Deployment\",\"spec\":{\"selector\":{\"matchLabels\":"
			      "{\"devserver.io/name\":\"box\"}}}}");
	struct json *kopf = tu_json("{\"kind\":\"Deployment\",\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"box\"}}}}");
	struct json *cached = tu_json("{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"box\"}}}}");
	struct json *svc = tu_json("{\"kind\":\"Service\",\"spec\":{\"selector\":{\"app\":\"box\"}}}");

	(void)state;
	assert_false(adopt_selector_differs(want, same));
	assert_true(adopt_selector_differs(want, kopf));
	assert_true(adopt_selector_differs(want, cached)); /* a cached object may lack its kind */
	assert_false(adopt_selector_differs(svc, kopf));  /* only a Deployment is replaced */
	assert_false(adopt_selector_differs(want, svc));
	assert_false(adopt_selector_differs(want, NULL));
	json_free(want);
	json_free(same);
	json_free(kopf);
	json_free(cached);
	json_free(svc);
}

static void test_unmark_patch(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"uid\":\"u1\",\"annotations\":{\"keep\":\"1\","
			    "\"kopf.zalando.org/last-handled-configuration\":\"{}\","
			    "\"kopf.zalando.org/create_fn~x\":\"{}\"}}}");
	struct json *plain = tu_json("{\"metadata\":{\"uid\":\"u1\",\"annotations\":{\"keep\":\"1\"}}}");
	struct json *nouid = tu_json("{\"metadata\":{\"annotations\":{\"kopf.zalando.org/a\":\"1\"}}}");
	struct json *patch = adopt_unmark_patch(ds);
	char *text;

	(void)state;
	assert_non_null(patch);
	text = json_encode_str(patch, 1 << 16, 0);
	assert_string_equal(text,
			    "[{\"op\":\"test\",\"path\":\"/metadata/uid\",\"value\":\"u1\"},"
			    "{\"op\":\"remove\",\"path\":\"/metadata/annotations/kopf.zalando.org~1last-handled-configuration\"},"
			    "{\"op\":\"remove\",\"path\":\"/metadata/annotations/kopf.zalando.org~1create_fn~0x\"}]");
	free(text);
	json_free(patch);
	assert_null(adopt_unmark_patch(plain));
	assert_null(adopt_unmark_patch(nouid));
	json_free(ds);
	json_free(plain);
	json_free(nouid);
}

static void test_leftover_names(void **state)
{
	(void)state;
	/* the host-key Secret's index is what reconcile.c keeps the object for */
	assert_int_equal(adopt_leftovers[ADOPT_LEFTOVER_HOSTKEYS].kind, ADOPT_SECRET);
	assert_string_equal(adopt_leftovers[ADOPT_LEFTOVER_HOSTKEYS].suffix, "-host-keys");
	for (int i = 0; i < ADOPT_LEFTOVER_COUNT; i++)
		assert_true(adopt_leftovers[i].suffix[0] == '-');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_owned_by),
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_unmark_patch),
		cmocka_unit_test(test_leftover_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
