/* test_policy_engine.c - src/policy/engine.c on well-behaved policies: the
 * contract, the ctx helpers, require, print capture, metrics, and the
 * shipped default bundle. (Hostile policies: test_policy_sandbox.c.) */
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
#include "policy/bundle.h"
#include "policy/context.h"
#include "policy/engine.h"
#include "support/testutil.h"

static struct policy_engine *engine_from(const char *main_src, const char *lib_path,
					 const char *lib_src)
{
	struct policy_bundle b;
	struct policy_engine *e = NULL;
	struct error err;

	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_add(&b, POLICY_MAIN_PATH, main_src, strlen(main_src), &err), 0);
	if (lib_path)
		assert_int_equal(policy_bundle_add(&b, lib_path, lib_src, strlen(lib_src), &err), 0);
	if (policy_engine_new(&b, NULL, &e, &err) != 0)
		fail_msg("engine_new: %s", err.msg);
	assert_string_equal(policy_engine_revision(e), b.revision);
	policy_bundle_cleanup(&b);
	return e;
}

static void test_render_converts_both_ways(void **state)
{
	struct policy_engine *e = engine_from(
		"local util = require('lib.util')\n"
		"return {api = 1, render = function(ds, flavor, ctx)\n"
		"  print('rendering', ds.metadata.name, ctx.now)\n"
		"  return {{\n"
		"    apiVersion = 'v1', kind = 'ConfigMap',\n"
		"    metadata = {name = util.name(ds)},\n"
		"    data = {port = 'port-' .. flavor.port, replicas = flavor.port // 1000},\n"
		"    empty = ctx.array({}), nothing = ctx.null,\n"
		"    same_module = require('lib.util') == util,\n"
		"    is_array = ctx.is_array(ctx.array({})), not_array = ctx.is_array({}),\n"
		"  }}\n"
		"end}\n",
		"lib/util.lua",
		"local M = {}\n"
		"function M.name(ds) return ds.metadata.name .. '-cfg' end\n"
		"return M\n");
	struct json *ds = tu_json("{\"metadata\":{\"name\":\"alice\"}}");
	struct json *flavor = tu_json("{\"port\":2222}");
	struct json *ctx = tu_json("{\"now\":\"2026-01-01T00:00:00Z\"}");
	struct json *want = tu_json(
		"[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"alice-cfg\"},"
		"\"data\":{\"port\":\"port-2222\",\"replicas\":2},\"empty\":[],\"nothing\":null,"
		"\"same_module\":true,\"is_array\":true,\"not_array\":false}]");
	struct json *out = NULL;
	struct error err;
	int i;

	for (i = 0; i < 3; i++) {
		if (policy_engine_render(e, ds, flavor, ctx, &out, &err) != 0)
			fail_msg("render: %s", err.msg);
		if (!json_equal(out, want)) {
			char *got = json_encode_str(out, 1 << 16, 0);

			fail_msg("got %s", got);
		}
		json_free(out);
	}
	assert_string_equal(policy_engine_log(e), "rendering\talice\t2026-01-01T00:00:00Z\n");
	assert_true(policy_engine_last_render_ns(e) > 0);
	assert_true(policy_engine_mem_bytes(e) > 0);
	assert_true(policy_engine_mem_bytes(e) < POLICY_MEM_LIMIT_BYTES);
	json_free(ds);
	json_free(flavor);
	json_free(ctx);
	json_free(want);
	policy_engine_free(e);
}

static void test_empty_render_and_missing_inputs(void **state)
{
	struct policy_engine *e = engine_from(
		"return {api = 1, render = function(ds, flavor, ctx)\n"
		"  assert(type(flavor) == 'table' and type(ctx.array) == 'function')\n"
		"  return {}\nend}\n", NULL, NULL);
	struct json *ds = tu_json("{}"), *out = NULL, *arr = tu_json("[1]");
	struct error err;

	assert_int_equal(policy_engine_render(e, ds, NULL, NULL, &out, &err), 0);
	assert_int_equal(out->type, JSON_ARRAY);
	assert_int_equal(out->u.arr.len, 0);
	json_free(out);
	assert_int_equal(policy_engine_render(e, NULL, NULL, NULL, &out, &err), ERR_INVALID);
	assert_int_equal(policy_engine_render(e, arr, NULL, NULL, &out, &err), ERR_INVALID);
	assert_null(out);
	json_free(arr);
	json_free(ds);
	policy_engine_free(e);
	policy_engine_free(NULL);
}

static void test_require_errors_do_not_stick(void **state)
{
	/* a module that fails once must be retried, not reported as a cycle */
	struct policy_engine *e = engine_from(
		"return {api = 1, render = function(ds)\n"
		"  local ok, m = pcall(require, 'lib.flaky')\n"
		"  if ds.again then return {{kind = 'x', err = tostring(m)}} end\n"
		"  return {}\nend}\n",
		"lib/flaky.lua", "error('flaky module')\n");
	struct json *ds = tu_json("{\"again\":true}"), *out;
	struct error err;

	assert_int_equal(policy_engine_render(e, ds, NULL, NULL, &out, &err), 0);
	assert_non_null(strstr(json_get_string(out->u.arr.items[0], "err"), "lib/flaky.lua:1: flaky module"));
	json_free(out);
	assert_int_equal(policy_engine_render(e, ds, NULL, NULL, &out, &err), 0);
	assert_non_null(strstr(json_get_string(out->u.arr.items[0], "err"), "flaky module"));
	json_free(out);
	json_free(ds);
	policy_engine_free(e);
}

static void test_library_surface(void **state)
{
	/* what policies can rely on: patterns, utf8, coroutines, sorting, read-only libs */
	struct policy_engine *e = engine_from(
		"return {api = 1, render = function()\n"
		"  local words = {}\n"
		"  for w in ('b a c'):gmatch('%a') do words[#words + 1] = w end\n"
		"  table.sort(words)\n"
		"  local gen = coroutine.wrap(function() coroutine.yield(1); coroutine.yield(2) end)\n"
		"  local n = 0; for k in pairs(string) do n = n + 1 end\n"
		"  return {{\n"
		"    joined = table.concat(words, ','),\n"
		"    sub = ('key=value'):gsub('(%w+)=(%w+)', '%2=%1'),\n"
		"    found = select(2, ('hello'):find('l+')),\n"
		"    len = utf8.len('h\\u{e9}'), floor = math.floor(3.7), gen = gen() + gen(),\n"
		"    string_fns = n > 10, fmt = string.format('%05d', 42),\n"
		"  }}\nend}\n", NULL, NULL);
	struct json *ds = tu_json("{}"), *out;
	struct json *want = tu_json("[{\"joined\":\"a,b,c\",\"sub\":\"value=key\",\"found\":4,\"len\":2,"
				  "\"floor\":3,\"gen\":3,\"string_fns\":true,\"fmt\":\"00042\"}]");
	struct error err;

	if (policy_engine_render(e, ds, NULL, NULL, &out, &err) != 0)
		fail_msg("%s", err.msg);
	if (!json_equal(out, want))
		fail_msg("got %s", json_encode_str(out, 4096, 0));
	json_free(out);
	json_free(want);
	json_free(ds);
	policy_engine_free(e);
}

/* The shipped bundle compiles; report what one state costs and how long a
 * render takes, for the closing note. */
static void test_default_bundle(void **state)
{
	static const char ds_text[] =
		"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
		"\"metadata\":{\"name\":\"alice\",\"namespace\":\"dev\",\"uid\":\"u-1\"},"
		"\"spec\":{\"flavor\":\"small\",\"image\":\"ghcr.io/example/dev:1\","
		"\"ssh\":{\"publicKeys\":[\"ssh-ed25519 AAAA alice\"]}}}";
	static const char flavor_text[] =
		"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"Flavor\",\"metadata\":{\"name\":\"small\"},"
		"\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}}";
	struct policy_bundle b;
	struct policy_engine *e = NULL;
	struct json *ds = tu_json(ds_text), *flavor = tu_json(flavor_text), *out = NULL;
	/* the context the operator passes: the shipped policy needs the tools image */
	struct policy_context_config cc = { "example.invalid/default:1", "example.invalid/tools:1" };
	struct json *ctx = policy_context_new(&cc, "dev");
	struct error err;
	int64_t ns[50], tmp;
	int i, j, ok = 0;

	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_load_embedded(&b, &err), 0);
	if (policy_engine_new(&b, NULL, &e, &err) != 0)
		fail_msg("default bundle: %s", err.msg);
	printf("# default bundle %s: %zu bytes of Lua memory after loading\n",
	       policy_engine_revision(e), policy_engine_mem_bytes(e));
	for (i = 0; i < 50; i++) {
		if (policy_engine_render(e, ds, flavor, ctx, &out, &err) == 0)
			ok++;
		json_free(out);
		ns[i] = policy_engine_last_render_ns(e);
	}
	for (i = 1; i < 50; i++)
		for (j = i; j > 0 && ns[j - 1] > ns[j]; j--) {
			tmp = ns[j];
			ns[j] = ns[j - 1];
			ns[j - 1] = tmp;
		}
	printf("# default render: %d/50 ok, p50 %lld us, p99 %lld us, %zu bytes after renders\n",
	       ok, (long long)ns[25] / 1000, (long long)ns[49] / 1000, policy_engine_mem_bytes(e));
	/* the timings above are of successful renders */
	assert_int_equal(ok, 50);
	json_free(ds);
	json_free(flavor);
	json_free(ctx);
	policy_engine_free(e);
	policy_bundle_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_converts_both_ways),
		cmocka_unit_test(test_empty_render_and_missing_inputs),
		cmocka_unit_test(test_require_errors_do_not_stick),
		cmocka_unit_test(test_library_surface),
		cmocka_unit_test(test_default_bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
