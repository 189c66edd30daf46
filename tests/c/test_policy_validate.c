/* test_policy_validate.c - src/policy/validate.c: the host's checks on
 * rendered objects and the stamping of namespace, owner and labels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "json/json.h"
#include "policy/validate.h"
#include "support/testutil.h"

static const char ds_text[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
	"\"metadata\":{\"name\":\"alice\",\"namespace\":\"dev\",\"uid\":\"u-123\"}}";

/* Validates a one-object list; returns the code and leaves err set. */
static int validate_one(const char *obj_text, struct error *err)
{
	struct json *ds = tu_json(ds_text), *list = json_new_array();
	int rc;

	json_array_push_take(list, tu_json(obj_text));
	rc = policy_validate_render(list, ds, err);
	json_free(list);
	json_free(ds);
	return rc;
}

static void expect_invalid(const char *obj_text, const char *want)
{
	struct error err;

	error_clear(&err);
	if (validate_one(obj_text, &err) != ERR_POLICY || !strstr(err.msg, want))
		fail_msg("%s: want '%s', got '%s'", obj_text, want, err.msg);
}

static void test_allowed_objects_pass_and_get_namespace(void **state)
{
	struct json *ds = tu_json(ds_text);
	struct json *list = tu_json(
		"[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"alice\"},"
		"  \"spec\":{\"template\":{\"spec\":{\"automountServiceAccountToken\":false,"
		"  \"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
		"  \"containers\":[{\"name\":\"c\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
		"  \"capabilities\":{\"drop\":[\"ALL\"]}}}]}}}},"
		" {\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"alice-ssh\",\"namespace\":\"dev\"}},"
		" {\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"alice.home\"}},"
		" {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"alice\",\"labels\":{\"a\":\"b\",\"x.io/y\":\"\"}}},"
		" {\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"alice\",\"annotations\":{\"note\":\"any text: here\"}}}]");
	struct error err;
	size_t i;

	assert_int_equal(policy_validate_render(list, ds, &err), 0);
	for (i = 0; i < list->u.arr.len; i++)
		assert_string_equal(json_get_string(json_get(list->u.arr.items[i], "metadata"),
						    "namespace"), "dev");
	json_free(list);
	json_free(ds);
}

static void test_rejections(void **state)
{
	expect_invalid("{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\","
		       "\"metadata\":{\"name\":\"x\"}}", "not a kind policies may create");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\"}}",
		       "not a kind");
	expect_invalid("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}", "apiVersion and kind");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", "metadata must be an object");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}", "metadata.name");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Bad_Name\"}}",
		       "DNS-1123 subdomain");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		       "\"a234567890123456789012345678901234567890123456789012345678901234\"}}",
		       "at most 63");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a.b\"}}",
		       "DNS-1035 label");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"1ssh\"}}",
		       "DNS-1035 label");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
		       "\"namespace\":\"kube-system\"}}", "namespace must be the DevServer's");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
		       "\"ownerReferences\":[]}}", "ownerReferences are set by the operator");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
		       "\"labels\":{\"a\":1}}}", "labels.a must be a string");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
		       "\"labels\":{\"a\":\"has space\"}}}", "invalid value for label");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
		       "\"annotations\":{\"a\":true}}}", "annotations.a must be a string");
	expect_invalid("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
		       "\"labels\":[]}}", "map of strings");
}

static void test_size_limits(void **state)
{
	size_t n = POLICY_OBJECT_MAX_BYTES + 10;
	char *big = malloc(n + 200);
	struct json *ds = tu_json(ds_text), *list = json_new_array();
	struct error err;
	int i;

	snprintf(big, 200, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
		 "\"data\":{\"k\":\"");
	memset(big + strlen(big), 'x', n);
	big[strlen("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},\"data\":{\"k\":\"") + n] = '\0';
	strcat(big, "\"}}");
	expect_invalid(big, "larger than");
	free(big);

	/* too many objects */
	for (i = 0; i <= POLICY_RENDER_MAX_OBJECTS; i++) {
		char obj[160];

		snprintf(obj, sizeof(obj), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
			 "\"metadata\":{\"name\":\"c%d\"}}", i);
		json_array_push_take(list, tu_json(obj));
	}
	assert_int_equal(policy_validate_render(list, ds, &err), ERR_POLICY);
	assert_non_null(strstr(err.msg, "objects (at most"));
	json_free(list);
	json_free(ds);
}

static void test_duplicates(void **state)
{
	struct json *ds = tu_json(ds_text);
	struct json *list = tu_json(
		"[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}},"
		" {\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"a\"}},"
		" {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}]");
	struct error err;

	assert_int_equal(policy_validate_render(list, ds, &err), ERR_POLICY);
	assert_non_null(strstr(err.msg, "objects 1 and 3 are both ConfigMap/a"));
	json_free(list);
	json_free(ds);
}

static void test_stamp(void **state)
{
	struct json *ds = tu_json(ds_text);
	struct json *obj = tu_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
				 "{\"name\":\"a\",\"labels\":{\"mine\":\"yes\",\"devserver.io/name\":\"fake\"}}}");
	struct json *want = tu_json(
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"namespace\":\"dev\","
		"\"labels\":{\"mine\":\"yes\",\"devserver.io/name\":\"alice\","
		"\"app.kubernetes.io/managed-by\":\"devserver-operator\",\"app.kubernetes.io/instance\":\"alice\"},"
		"\"ownerReferences\":[{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"name\":\"alice\","
		"\"uid\":\"u-123\",\"controller\":true,\"blockOwnerDeletion\":true}]}}");
	struct json *no_uid = tu_json("{\"metadata\":{\"name\":\"alice\"}}");
	struct error err;

	assert_int_equal(policy_stamp(obj, ds, &err), 0);
	assert_true(json_equal(obj, want));
	/* idempotent */
	assert_int_equal(policy_stamp(obj, ds, &err), 0);
	assert_true(json_equal(obj, want));
	assert_int_equal(policy_stamp(obj, no_uid, &err), ERR_INVALID);
	json_free(obj);
	json_free(want);
	json_free(no_uid);
	json_free(ds);
}

static void test_finish_render(void **state)
{
	struct json *ds = tu_json(ds_text);
	struct json *list = tu_json("[{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"alice\"}}]");
	struct error err;

	assert_int_equal(policy_finish_render(list, ds, &err), 0);
	assert_string_equal(json_get_string(json_path(list->u.arr.items[0], "metadata", "labels", NULL),
					    "app.kubernetes.io/managed-by"), "devserver-operator");
	assert_non_null(json_path(list->u.arr.items[0], "metadata", "ownerReferences", NULL));
	json_free(list);
	json_free(ds);
}

static void test_name_rules(void **state)
{
	assert_true(policy_name_valid("a", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_true(policy_name_valid("0abc-d.e9", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_false(policy_name_valid("", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_false(policy_name_valid("-a", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_false(policy_name_valid("a-", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_false(policy_name_valid("a..b", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_false(policy_name_valid("a.-b", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_false(policy_name_valid("A", POLICY_NAME_DNS1123_SUBDOMAIN));
	assert_true(policy_name_valid("ssh-1", POLICY_NAME_DNS1035_LABEL));
	assert_false(policy_name_valid("1ssh", POLICY_NAME_DNS1035_LABEL));
	assert_true(policy_label_value_valid(""));
	assert_true(policy_label_value_valid("A_b.c-9"));
	assert_false(policy_label_value_valid("_a"));
	assert_false(policy_label_value_valid("a/b"));
	assert_non_null(policy_kind_find("apps/v1", "Deployment"));
	assert_null(policy_kind_find("v1", "Pod"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed_objects_pass_and_get_namespace),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_finish_render),
		cmocka_unit_test(test_name_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
