/* test_policy_fixtures.c - every case under tests/fixtures/render through the
 * C engine with the embedded bundle: the same data busted runs against the
 * Lua files, so both engines must agree. Also checks that the differ and the
 * checker can fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/bundle.h"
#include "policy/engine.h"
#include "policy/fixture.h"

#define FIXTURE_ROOT DEVSERVER_SOURCE_DIR "/tests/fixtures/render"

static struct policy_engine *embedded_engine(void)
{
	struct policy_bundle b;
	struct policy_engine *e = NULL;
	struct policy_limits limits;
	struct error err;

	/* budgets are the sandbox tests' business; here a slow run (valgrind,
	 * sanitizers) must not turn into a false mismatch */
	policy_limits_default(&limits);
	limits.time_budget_ms = 20000;
	limits.load_budget_ms = 20000;
	policy_bundle_init(&b);
	if (policy_bundle_load_embedded(&b, &err) < 0)
		fail_msg("embedded bundle: %s", err.msg);
	if (policy_engine_new(&b, &limits, &e, &err) < 0)
		fail_msg("engine: %s", err.msg);
	policy_bundle_cleanup(&b);
	return e;
}

static void test_every_fixture_passes_in_the_c_engine(void **state)
{
	struct policy_engine *e = embedded_engine();
	struct policy_fixture *cases;
	struct error err;
	size_t n, failed = 0, errors = 0;

	if (policy_fixture_load_all(FIXTURE_ROOT, &cases, &n, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		if (cases[i].error_substring)
			errors++;
		if (policy_fixture_check(e, &cases[i], &err) < 0) {
			print_error("FAIL %s\n", err.msg);
			failed++;
		}
	}
	print_message("%zu fixture cases (%zu expecting an error), %zu failed\n", n, errors, failed);
	assert_int_equal(failed, 0);
	assert_true(errors > 0);
	policy_fixture_free_all(cases, n);
	policy_engine_free(e);
}

static void test_checker_detects_a_wrong_expectation(void **state)
{
	struct policy_engine *e = embedded_engine();
	struct policy_fixture f;
	struct error err;
	struct json *replicas;

	if (policy_fixture_load(FIXTURE_ROOT "/minimal", NULL, &f, &err) < 0)
		fail_msg("%s", err.msg);
	/* the shared ctx is not loaded here, so give the case its image */
	json_object_set_take(f.ctx, "default_image", json_new_string("img:1"));
	json_object_set_take(f.ctx, "tools_image", json_new_string("tools:1"));
	/* break the expectation: the Deployment's replicas */
	for (size_t i = 0; i < f.expected->u.arr.len; i++) {
		const char *kind = json_get_string(f.expected->u.arr.items[i], "kind");

		if (kind && strcmp(kind, "Deployment") == 0) {
			replicas = json_path(f.expected->u.arr.items[i], "spec", "replicas", NULL);
			assert_non_null(replicas);
			replicas->u.i = 7;
		}
	}
	assert_int_equal(policy_fixture_check(e, &f, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "spec.replicas: expected 7, got 1"));
	policy_fixture_cleanup(&f);
	policy_engine_free(e);
}

static void test_diff_reports_paths_and_types(void **state)
{
	struct error err;
	struct json *a = json_parse("{\"x\":[1,{\"y\":1}]}", 17, &err);
	struct json *b = json_parse("{\"x\":[1,{\"y\":1.0}]}", 19, &err);
	struct json *c = json_parse("{\"x\":[1,{\"y\":1}],\"z\":true}", 26, &err);

	assert_int_equal(policy_fixture_diff(a, a, &err), 0);
	assert_int_equal(policy_fixture_diff(a, b, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "x[1].y: expected 1, got 1.0"));
	assert_int_equal(policy_fixture_diff(a, c, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "z: expected nothing, got true"));
	json_free(a);
	json_free(b);
	json_free(c);
}

static void test_configmap_fixtures(void **state)
{
	static const char data_text[] =
		"{\"devserver.lua\":\"ignored here\","
		"\"fixtures.ctx.yaml\":\"namespace: team\\ndefault_image: img:1\\n\","
		"\"fixture.ok.devserver.yaml\":\"metadata: {name: box, uid: u1}\\nspec: {}\\n\","
		"\"fixture.ok.error.txt\":\"nothing\\n\","
		"\"fixture.bad.devserver.yaml\":\"metadata: {name: bad}\\n\"}";
	struct policy_fixture *cases;
	struct error err;
	struct json *data = json_parse(data_text, sizeof(data_text) - 1, &err);
	size_t n;

	assert_non_null(data);
	/* the "bad" case has neither expected.yaml nor error.txt */
	assert_int_equal(policy_fixture_load_configmap(data, NULL, &cases, &n, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "fixture bad: needs exactly one of expected.yaml and error.txt"));
	json_object_remove(data, "fixture.bad.devserver.yaml");
	assert_int_equal(policy_fixture_load_configmap(data, NULL, &cases, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(cases[0].name, "ok");
	assert_string_equal(cases[0].error_substring, "nothing");
	assert_string_equal(json_get_string(cases[0].ctx, "namespace"), "team");
	policy_fixture_free_all(cases, n);
	json_free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_fixture_passes_in_the_c_engine),
		cmocka_unit_test(test_checker_detects_a_wrong_expectation),
		cmocka_unit_test(test_diff_reports_paths_and_types),
		cmocka_unit_test(test_configmap_fixtures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
