/* test_operator_render.c - src/operator/render: the one render step reconcile
 * and the policy trial share. The shipped (embedded) policy renders a
 * DevServer into stamped children; a DevServer it refuses, and a policy
 * whose child the host refuses, give ERR_POLICY with the reason and no
 * children. */
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
#include "operator/children.h"
#include "operator/render.h"
#include "policy/bundle.h"
#include "policy/engine.h"
#include "policy/validate.h"
#include "support/testutil.h"

/* Budgets are the sandbox tests' business; here a slow run (valgrind,
 * sanitizers) must not turn into a false failure. */
static void slow_run_limits(struct policy_limits *l)
{
	policy_limits_default(l);
	l->time_budget_ms = 20000;
	l->load_budget_ms = 20000;
}

/* The embedded bundle, as the operator builds its built-in policy. */
static struct policy_engine *embedded_engine(void)
{
	struct policy_bundle b;
	struct policy_engine *e = NULL;
	struct policy_limits limits;
	struct error err;

	slow_run_limits(&limits);
	policy_bundle_init(&b);
	if (policy_bundle_load_embedded(&b, &err) < 0)
		fail_msg("embedded bundle: %s", err.msg);
	if (policy_engine_new(&b, &limits, &e, &err) < 0)
		fail_msg("embedded engine: %s", err.msg);
	policy_bundle_cleanup(&b);
	return e;
}

static const char ds_text[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
	"\"metadata\":{\"name\":\"alice\",\"namespace\":\"dev\",\"uid\":\"u-1\"},"
	"\"spec\":{\"flavor\":\"small\",\"image\":\"ghcr.io/example/dev:1\","
	"\"ssh\":{\"publicKeys\":[\"ssh-ed25519 AAAA alice\"]}}}";
static const char flavor_text[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"Flavor\","
	"\"metadata\":{\"name\":\"small\",\"generation\":3},"
	"\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}}";
static const struct render_options opts = {
	"example.invalid/default:1", "example.invalid/tools:1", "policy=rev-a flavor=small/3",
};

static const struct json *find_kind(const struct json *list, const char *kind)
{
	for (size_t i = 0; i < list->u.arr.len; i++)
		if (strcmp(json_get_string(list->u.arr.items[i], "kind") ?: "", kind) == 0)
			return list->u.arr.items[i];
	return NULL;
}

static void test_good_render_is_stamped(void **state)
{
	struct policy_engine *e = embedded_engine();
	struct json *ds = tu_json(ds_text), *flavor = tu_json(flavor_text), *out = NULL;
	const struct json *d, *ann;
	struct error err;
	char *text;

	if (render_children(e, ds, flavor, "dev", &opts, &out, &err) < 0)
		fail_msg("render: %s", err.msg);
	assert_non_null(out);
	assert_int_equal(out->type, JSON_ARRAY);
	assert_true(out->u.arr.len > 0);
	for (size_t i = 0; i < out->u.arr.len; i++) {
		const struct json *obj = out->u.arr.items[i];
		const struct json *owners = json_path(obj, "metadata", "ownerReferences", NULL);

		/* the host's stamps (children_prepare), on every child */
		assert_string_equal(json_get_string(json_get(obj, "metadata"), "namespace"), "dev");
		assert_non_null(children_render_hash(obj));
		assert_non_null(owners);
		assert_int_equal(owners->u.arr.len, 1);
		assert_string_equal(json_get_string(owners->u.arr.items[0], "uid"), "u-1");
		assert_string_equal(json_get_string(json_path(obj, "metadata", "labels", NULL),
						    API_LABEL_MANAGED_BY), API_MANAGER_NAME);
	}
	d = find_kind(out, "Deployment");
	assert_non_null(d);
	ann = json_path(d, "metadata", "annotations", NULL);
	assert_string_equal(json_get_string(ann, API_ANNOTATION_INPUTS), opts.inputs);
	assert_non_null(json_get_string(ann, API_ANNOTATION_TEMPLATE_HASH));
	assert_string_equal(json_get_string(json_path(d, "spec", "template", "metadata", "labels", NULL),
					    API_LABEL_NAME), "alice");
	/* ctx carried the options: the tools image reaches the pod */
	text = json_encode_str(d, 1 << 20, 0);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"example.invalid/tools:1\""));
	free(text);
	json_free(out);
	json_free(ds);
	json_free(flavor);
	policy_engine_free(e);
}

/* The shipped policy refuses the DevServer: its message, ERR_POLICY, no
 * children. */
static void test_policy_error(void **state)
{
	struct policy_engine *e = embedded_engine();
	struct json *ds = tu_json(ds_text), *flavor = tu_json(flavor_text), dummy, *out = &dummy;
	struct error err;

	json_object_set_take(json_get(ds, "spec"), "mode", json_new_string("bogus"));
	assert_int_equal(render_children(e, ds, flavor, "dev", &opts, &out, &err), ERR_POLICY);
	assert_int_equal(err.code, ERR_POLICY);
	assert_null(out); /* set, not left as it was */
	assert_non_null(strstr(err.msg, "spec.mode"));
	assert_non_null(strstr(err.msg, "bogus"));
	/* and so does an operator without a tools image (ctx from the options) */
	{
		struct render_options no_tools = { opts.default_image, NULL, NULL };
		struct json *good = tu_json(ds_text);

		assert_int_equal(render_children(e, good, flavor, "dev", &no_tools, &out, &err), ERR_POLICY);
		assert_null(out);
		assert_non_null(strstr(err.msg, "no tools image"));
		json_free(good);
	}
	json_free(ds);
	json_free(flavor);
	policy_engine_free(e);
}

/* The policy renders, but a child breaks the host's rules (a kind the
 * operator may not own): ERR_POLICY naming it, no children. */
static void test_child_fails_validation(void **state)
{
	static const char main_src[] =
		"return {api = 1, render = function(ds, flavor, ctx)\n"
		"  return {\n"
		"    {apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = ds.metadata.name}},\n"
		"    {apiVersion = 'rbac.authorization.k8s.io/v1', kind = 'ClusterRoleBinding',\n"
		"     metadata = {name = ds.metadata.name .. '-admin'}},\n"
		"  }\n"
		"end}\n";
	struct policy_bundle b;
	struct policy_engine *e = NULL;
	struct json *ds = tu_json(ds_text), *out = NULL;
	struct policy_limits limits;
	struct error err;

	slow_run_limits(&limits);
	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_add(&b, POLICY_MAIN_PATH, main_src, strlen(main_src), &err), 0);
	if (policy_engine_new(&b, &limits, &e, &err) < 0)
		fail_msg("engine: %s", err.msg);
	policy_bundle_cleanup(&b);
	assert_int_equal(render_children(e, ds, NULL, "dev", &opts, &out, &err), ERR_POLICY);
	assert_null(out);
	assert_non_null(strstr(err.msg, "ClusterRoleBinding"));
	json_free(ds);
	policy_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_render_is_stamped),
		cmocka_unit_test(test_policy_error),
		cmocka_unit_test(test_child_fails_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
