/* test_drift.c - src/operator/drift: the rewrites the API server makes are
 * not drift; hand edits are, with the path of the first difference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json/json.h"
#include "operator/drift.h"
#include "support/testutil.h"

static bool drifted(const char *desired, const char *observed, char *path)
{
	struct json *d = tu_json(desired), *o = tu_json(observed);
	bool r = drift_find(d, o, path, DRIFT_PATH_MAX_BYTES);

	json_free(d);
	json_free(o);
	return r;
}

static void test_drift_server_rewrites_are_not_drift(void **state)
{
	char path[DRIFT_PATH_MAX_BYTES];

	/* added defaults and other managers' fields */
	assert_false(drifted("{\"spec\":{\"replicas\":1}}",
			     "{\"spec\":{\"replicas\":1,\"revisionHistoryLimit\":10},\"status\":{}}", path));
	/* omitempty zero values dropped */
	assert_false(drifted("{\"m\":[{\"name\":\"home\",\"readOnly\":false}]}",
			     "{\"m\":[{\"name\":\"home\"}]}", path));
	/* canonical quantities */
	assert_false(drifted("{\"resources\":{\"requests\":{\"cpu\":\"0.5\",\"memory\":\"1024Mi\"}}}",
			     "{\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"}}}", path));
	assert_false(drifted("{\"resources\":{\"limits\":{\"nvidia.com/gpu\":1}}}",
			     "{\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"}}}", path));
	/* another owner next to ours */
	assert_false(drifted("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"a\",\"controller\":true}]}}",
			     "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"b\"},{\"uid\":\"a\",\"controller\":true}]}}",
			     path));
	/* an empty map is kept, not dropped */
	assert_false(drifted("{\"emptyDir\":{}}", "{\"emptyDir\":{}}", path));
}

static void test_drift_hand_edits_are_drift(void **state)
{
	char path[DRIFT_PATH_MAX_BYTES];

	assert_true(drifted("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"a:1\"}]}}}}",
			    "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"a:2\"}]}}}}", path));
	assert_string_equal(path, "spec.template.spec.containers[0].image");
	assert_true(drifted("{\"spec\":{\"replicas\":1}}", "{\"spec\":{\"replicas\":0}}", path));
	assert_string_equal(path, "spec.replicas");
	assert_true(drifted("{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", "{\"metadata\":{\"labels\":{}}}", path));
	assert_string_equal(path, "metadata.labels.a");
	/* a removed list entry, and an added one */
	assert_true(drifted("{\"env\":[{\"name\":\"A\"},{\"name\":\"B\"}]}", "{\"env\":[{\"name\":\"A\"}]}", path));
	assert_true(drifted("{\"env\":[{\"name\":\"A\"}]}", "{\"env\":[{\"name\":\"A\"},{\"name\":\"X\"}]}", path));
	/* quantities compare by value, but only where quantities live */
	assert_true(drifted("{\"resources\":{\"requests\":{\"cpu\":\"1\"}}}",
			    "{\"resources\":{\"requests\":{\"cpu\":\"2\"}}}", path));
	assert_true(drifted("{\"data\":{\"x\":\"0.5\"}}", "{\"data\":{\"x\":\"500m\"}}", path));
	/* a missing owner reference, a changed type */
	assert_true(drifted("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"a\"}]}}",
			    "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"b\"}]}}", path));
	assert_true(drifted("{\"port\":22}", "{\"port\":\"22\"}", path));
	assert_true(drifted("{\"emptyDir\":{}}", "{}", path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drift_server_rewrites_are_not_drift),
		cmocka_unit_test(test_drift_hand_edits_are_drift),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
