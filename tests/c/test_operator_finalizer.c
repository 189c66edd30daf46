/* test_operator_finalizer.c - src/operator/finalizer: the JSON Patch that
 * takes the predecessor's (kopf's) finalizer off a DevServer. Only kopf's
 * entries go, each removal is guarded by a test of its value at its index
 * (so a list changed meanwhile fails the patch instead of losing someone
 * else's finalizer), the uid is tested too, and an object without kopf's
 * finalizer gets no patch at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "operator/finalizer.h"
#include "support/testutil.h"

static char *encode(const struct json *v)
{
	char *s = json_encode_str(v, 1 << 16, 0);

	assert_non_null(s);
	return s;
}

static void test_no_finalizers_no_patch(void **state)
{
	struct json *a = tu_json("{\"metadata\":{\"name\":\"box\",\"uid\":\"u1\"}}");
	struct json *b = tu_json("{\"metadata\":{\"name\":\"box\",\"uid\":\"u1\",\"finalizers\":[\"x.io/keep\"]}}");
	struct json *c = tu_json("{\"metadata\":{\"name\":\"box\",\"uid\":\"u1\",\"finalizers\":\"bad\"}}");

	(void)state;
	assert_false(finalizer_has_predecessor(a));
	assert_null(finalizer_removal_patch(a));
	assert_false(finalizer_has_predecessor(b));
	assert_null(finalizer_removal_patch(b));
	assert_false(finalizer_has_predecessor(c));
	assert_null(finalizer_removal_patch(c));
	assert_false(finalizer_has_predecessor(NULL));
	assert_null(finalizer_removal_patch(NULL));
	json_free(a);
	json_free(b);
	json_free(c);
}

static void test_removes_only_kopf(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"box\",\"uid\":\"u1\",\"finalizers\":"
				"[\"x.io/keep\",\"kopf.zalando.org/KopfFinalizerMarker\",\"y.io/keep\"]}}");
	struct json *patch;
	char *s;

	(void)state;
	assert_true(finalizer_has_predecessor(ds));
	patch = finalizer_removal_patch(ds);
	assert_non_null(patch);
	s = encode(patch);
	assert_string_equal(s,
		"[{\"op\":\"test\",\"path\":\"/metadata/uid\",\"value\":\"u1\"},"
		"{\"op\":\"test\",\"path\":\"/metadata/finalizers/1\",\"value\":\"kopf.zalando.org/KopfFinalizerMarker\"},"
		"{\"op\":\"remove\",\"path\":\"/metadata/finalizers/1\"}]");
	free(s);
	json_free(patch);
	json_free(ds);
}

/* Both of kopf's spellings (old releases used the bare marker), removed
 * from the highest index down so earlier removals do not shift later ones. */
static void test_both_spellings_highest_index_first(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"uid\":\"u2\",\"finalizers\":"
				"[\"KopfFinalizerMarker\",\"x.io/keep\",\"kopf.zalando.org/KopfFinalizerMarker\"]}}");
	struct json *patch = finalizer_removal_patch(ds);
	char *s;

	(void)state;
	assert_non_null(patch);
	s = encode(patch);
	assert_string_equal(s,
		"[{\"op\":\"test\",\"path\":\"/metadata/uid\",\"value\":\"u2\"},"
		"{\"op\":\"test\",\"path\":\"/metadata/finalizers/2\",\"value\":\"kopf.zalando.org/KopfFinalizerMarker\"},"
		"{\"op\":\"remove\",\"path\":\"/metadata/finalizers/2\"},"
		"{\"op\":\"test\",\"path\":\"/metadata/finalizers/0\",\"value\":\"KopfFinalizerMarker\"},"
		"{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]");
	free(s);
	json_free(patch);
	json_free(ds);
}

/* Without a uid there is nothing to guard the object's identity with: no
 * patch (the reconcile that follows the watch's next event will have it). */
static void test_no_uid_no_patch(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"finalizers\":[\"kopf.zalando.org/KopfFinalizerMarker\"]}}");

	(void)state;
	assert_true(finalizer_has_predecessor(ds));
	assert_null(finalizer_removal_patch(ds));
	json_free(ds);
}

static void test_names(void **state)
{
	struct json *ds = tu_json("{\"metadata\":{\"uid\":\"u\",\"finalizers\":"
				"[\"KopfFinalizerMarker\",\"kopf.zalando.org/KopfFinalizerMarker\",\"z\"]}}");
	char out[FINALIZER_NAMES_MAX_BYTES];

	(void)state;
	finalizer_predecessor_names(ds, out);
	assert_string_equal(out, "KopfFinalizerMarker, kopf.zalando.org/KopfFinalizerMarker");
	json_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_finalizers_no_patch),
		cmocka_unit_test(test_removes_only_kopf),
		cmocka_unit_test(test_both_spellings_highest_index_first),
		cmocka_unit_test(test_no_uid_no_patch),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
