/* test_policy_sandbox.c - src/policy/engine.c: every escape a hostile policy
 * might try is contained within its budget, fails with the right code, and
 * leaves the engine able to render again.
 *
 * Each attack is the body of a function that render calls when ds.attack is
 * set; the same engine then renders once more without it and must succeed.
 * Budgets are small (40 ms, 4 MiB) so the whole file runs in about a second.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "json/json.h"
#include "policy/bundle.h"
#include "policy/engine.h"

#define TEST_BUDGET_MS 40
#define TEST_MEM_BYTES (4u * 1024 * 1024)
/* generous: the point is "bounded", not "exact" (valgrind is slow); an
 * attack must end within its time budget plus this */
#define TEST_MAX_ELAPSED_MS 2000
/* Budget for the memory tests: far above what filling TEST_MEM_BYTES takes
 * natively, so the cap stops them even under valgrind on a loaded machine
 * (1500 ms was not enough there: the bomb ran out of time instead). */
#define TEST_MEM_BUDGET_MS 10000

/* Memory tests raise the time budget so that, even under valgrind, the cap
 * is what stops them. */
static int64_t test_budget_ms = TEST_BUDGET_MS;

static void test_limits(struct policy_limits *l)
{
	policy_limits_default(l);
	l->time_budget_ms = test_budget_ms;
	l->load_budget_ms = 200;
	l->mem_limit_bytes = TEST_MEM_BYTES;
}

/* Builds an engine from NULL-terminated (path, text) pairs. */
static int engine_from(struct policy_engine **e, struct error *err, ...)
{
	struct policy_bundle b;
	struct policy_limits l;
	const char *path;
	va_list ap;
	int rc = 0;

	policy_bundle_init(&b);
	va_start(ap, err);
	while (rc == 0 && (path = va_arg(ap, const char *)) != NULL) {
		const char *text = va_arg(ap, const char *);

		rc = policy_bundle_add(&b, path, text, strlen(text), err);
	}
	va_end(ap);
	assert_int_equal(rc, 0);
	test_limits(&l);
	rc = policy_engine_new(&b, &l, e, err);
	policy_bundle_cleanup(&b);
	return rc;
}

#define POLICY_WITH_ATTACK(body) \
	"local function attack(ds, ctx)\n" body "\nend\n" \
	"return {api = 1, render = function(ds, flavor, ctx)\n" \
	"  if ds.attack then attack(ds, ctx) end\n" \
	"  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'ok'}}}\n" \
	"end}\n"

static int render_ds(struct policy_engine *e, const char *ds_text, struct json **out,
		     struct error *err)
{
	struct error perr;
	struct json *ds = json_parse(ds_text, strlen(ds_text), &perr);
	int rc;

	assert_non_null(ds);
	rc = policy_engine_render(e, ds, NULL, NULL, out, err);
	json_free(ds);
	return rc;
}

/* Renders the attack (expecting code and a message containing want), then a
 * normal render on the same engine. */
static void check_attack_src(const char *src, int code, const char *want)
{
	struct policy_engine *e;
	struct error err;
	struct json *out = NULL;
	int64_t start, ms;
	int rc;

	error_clear(&err);
	rc = engine_from(&e, &err, POLICY_MAIN_PATH, src, NULL);
	if (rc != 0)
		fail_msg("engine_new: %s", err.msg);
	start = clock_mono_ns();
	rc = render_ds(e, "{\"attack\": true}", &out, &err);
	ms = (clock_mono_ns() - start) / 1000000;
	if (rc != code || !strstr(err.msg, want))
		fail_msg("want %d '%s', got %d '%s'", code, want, rc, err.msg);
	assert_null(out);
	assert_true(ms < test_budget_ms + TEST_MAX_ELAPSED_MS);
	/* the state survives */
	rc = render_ds(e, "{\"attack\": false}", &out, &err);
	if (rc != 0)
		fail_msg("render after the attack failed: %s", err.msg);
	assert_int_equal(out->type, JSON_ARRAY);
	assert_int_equal(out->u.arr.len, 1);
	json_free(out);
	/* memory went back to roughly what an idle state uses */
	assert_true(policy_engine_mem_bytes(e) < TEST_MEM_BYTES / 2);
	policy_engine_free(e);
}

#define check_attack(body, code, want) check_attack_src(POLICY_WITH_ATTACK(body), code, want)

/* ---- time ---- */

static void test_infinite_loop(void **state)
{
	check_attack("while true do end", ERR_TIMEOUT, "time budget");
}

static void test_loop_inside_pcall(void **state)
{
	check_attack("while true do pcall(function() while true do end end) end",
		     ERR_TIMEOUT, "time budget");
	/* swallow the error once and carry on as if nothing happened */
	check_attack("local ok = pcall(function() while true do end end)\n"
		     "for i = 1, 10 do local x = i end", ERR_TIMEOUT, "time budget");
	/* xpcall whose handler also loops */
	check_attack("xpcall(function() while true do end end, function() while true do end end)",
		     ERR_TIMEOUT, "time budget");
	/* error() inside pcall in a loop (no long-running body at all) */
	check_attack("while true do pcall(error, 'x') end", ERR_TIMEOUT, "time budget");
}

static void test_loop_inside_coroutine(void **state)
{
	check_attack("coroutine.wrap(function() while true do end end)()",
		     ERR_TIMEOUT, "time budget");
	check_attack("while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
		     ERR_TIMEOUT, "time budget");
	check_attack("local co = coroutine.create(function() pcall(function() while true do end end) end)\n"
		     "while true do coroutine.resume(co) end", ERR_TIMEOUT, "time budget");
	/* a coroutine created while the main chunk ran, resumed during render */
	check_attack_src(
		"local co = coroutine.create(function() while true do end end)\n"
		"return {api = 1, render = function(ds)\n"
		"  if ds.attack then coroutine.resume(co); while true do end end\n"
		"  return {{kind = 'ConfigMap'}}\n"
		"end}\n", ERR_TIMEOUT, "time budget");
}

static void test_loop_at_load_time(void **state)
{
	struct policy_engine *e = NULL;
	struct error err;

	assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH, "while true do end", NULL),
			 ERR_TIMEOUT);
	assert_null(e);
}

/* ---- memory ---- */

static void test_memory_bomb(void **state)
{
	test_budget_ms = TEST_MEM_BUDGET_MS;
	check_attack("local t, s = {}, ('x'):rep(4096)\n"
		     "while true do t[#t + 1] = s .. #t end",
		     ERR_LIMIT, "memory limit");
	/* caught by pcall: still fails the render */
	check_attack("pcall(function() local t = {} while true do t[#t + 1] = ('x'):rep(4096) .. #t end end)\n"
		     "for i = 1, 10 do local x = i end", ERR_LIMIT, "memory limit");
	test_budget_ms = TEST_BUDGET_MS;
}

static void test_string_rep_bomb(void **state)
{
	test_budget_ms = TEST_MEM_BUDGET_MS;
	/* beyond what Lua allows at all: a plain error */
	check_attack("local s = string.rep('x', 2^40)", ERR_POLICY, "resulting string too large");
	/* allowed by Lua, refused by the allocator cap, and not swallowable */
	check_attack("local s = string.rep('x', 2^30)", ERR_LIMIT, "memory limit");
	check_attack("local ok = pcall(string.rep, 'x', 2^30)\nlocal y = 1", ERR_LIMIT, "memory limit");
	check_attack("local s = ('abc'):rep(1e7, ',')", ERR_LIMIT, "memory limit");
	test_budget_ms = TEST_BUDGET_MS;
}

/* ---- slow C functions ---- */

static void test_pattern_bomb(void **state)
{
	check_attack("string.rep('a', 50000):find('.-.-.-.-.-.-b')", ERR_TIMEOUT, "time budget");
	check_attack("local s = ('a'):rep(50000); s:match('(.-)(.-)(.-)(.-)(.-)b')",
		     ERR_TIMEOUT, "time budget");
	check_attack("local s = ('a'):rep(50000); s:gsub('a*a*a*a*a*b', 'x')",
		     ERR_TIMEOUT, "time budget");
	check_attack("local s = ('a'):rep(50000)\n"
		     "for w in s:gmatch('.-.-.-.-b') do end", ERR_TIMEOUT, "time budget");
	/* swallowed by pcall: still fails */
	check_attack("pcall(string.find, ('a'):rep(50000), '.-.-.-.-.-.-b')\nlocal y = 1",
		     ERR_TIMEOUT, "time budget");
}

static void test_table_functions_with_metamethods(void **state)
{
	/* __index = table.concat makes every missing element "" from C */
	check_attack("local t = setmetatable({}, {__index = table.concat})\n"
		     "table.concat(t, '', 1, 2^40)", ERR_POLICY, "__index metamethod");
	check_attack("table.remove(setmetatable({}, {__len = function() return math.maxinteger end}), 1)",
		     ERR_POLICY, "__len metamethod");
	check_attack("table.move({}, 1, math.maxinteger - 1, 1)", ERR_POLICY, "table.move");
	test_budget_ms = TEST_MEM_BUDGET_MS;   /* filling the table is slow under valgrind */
	check_attack("local t = {} for i = 1, 30000 do t[i] = i end table.sort(t)",
		     ERR_POLICY, "table.sort");
	test_budget_ms = TEST_BUDGET_MS;
}

static void test_gc_metamethod_refused(void **state)
{
	check_attack("setmetatable({}, {__gc = function() while true do end end})",
		     ERR_POLICY, "__gc");
}

/* What the guards of setmetatable, string.format and coroutine.close still
 * allow: the checks pass with stock behaviour, then error('reached'). */
static void test_guarded_functions_still_work(void **state)
{
	/* setmetatable sets a snapshot of the metamethods: methods are still
	 * found live through __index, and every kind of metamethod works */
	check_attack("local Class = {} Class.__index = Class\n"
		     "local obj = setmetatable({}, Class)\n"
		     "function Class:name() return 'late method' end\n"
		     "assert(obj:name() == 'late method')\n"
		     "local v = setmetatable({x = 1}, {__add = function(a, b) return a.x + b end,\n"
		     "  __call = function(self, y) return self.x + y end, __len = function() return 7 end,\n"
		     "  __tostring = function() return 'V' end, __eq = function() return true end,\n"
		     "  __concat = function(a, b) return 'cat' end, __index = function(t, k) return k end})\n"
		     "assert(v + 2 == 3 and v(4) == 5 and #v == 7 and tostring(v) == 'V')\n"
		     "assert(v .. 'x' == 'cat' and v.foo == 'foo')\n"
		     "do local closed = false\n"
		     "  do local c <close> = setmetatable({}, {__close = function() closed = true end}) end\n"
		     "  assert(closed) end\n"
		     "local weak = setmetatable({}, {__mode = 'k'})\n"
		     "local p = setmetatable({}, {__pairs = function(t) return function(_, k)\n"
		     "  if not k then return 1, 'one' end end, t, nil end})\n"
		     "for k, val in pairs(p) do assert(k == 1 and val == 'one') end\n"
		     "local locked = setmetatable({}, {__metatable = 'locked'})\n"
		     "assert(not pcall(setmetatable, locked, {}))\n"
		     "assert(setmetatable(obj, nil) == obj)\n"
		     "error('reached')", ERR_POLICY, "reached");
	/* a metamethod assigned to the table after setmetatable does not reach
	 * the objects it was set on (documented) */
	check_attack("local mt = {} local t = setmetatable({}, mt)\n"
		     "mt.__index = function() return 1 end\n"
		     "assert(t.x == nil)\n"
		     "error('reached')", ERR_POLICY, "reached");
	check_attack("setmetatable({}, {__call = {}})", ERR_POLICY, "__call must be a function");
	check_attack("setmetatable({}, {__close = 'x'})", ERR_POLICY, "__close must be a function");
	/* string.format below its bound is the stock function */
	check_attack("assert(string.format('%5.2f|%d|%s|%q|%%|%x|%-3s|', 3.14159, 42, 'hi', 'a\\nb', "
		     "255, 'z') == ' 3.14|42|hi|\"a\\\\\\nb\"|%|ff|z  |')\n"
		     "assert(('%d-%s'):format(7, 'x') == '7-x')\n"
		     "assert(#string.format('%s', ('y'):rep(900000)) == 900000)\n"
		     "assert(select(2, pcall(string.format, '%y', 1)):find('invalid conversion'))\n"
		     "assert(select(2, pcall(string.format, '%d', 'x')):find('number expected'))\n"
		     "assert(select(2, pcall(string.format, ('%d'):rep(3000), 1)):find('POLICY_FORMAT_MAX_BYTES'))\n"
		     "error('reached')", ERR_POLICY, "reached");
	/* coroutine.close of ordinary coroutines */
	check_attack("local closed = 0\n"
		     "local co = coroutine.create(function()\n"
		     "  local c <close> = setmetatable({}, {__close = function() closed = closed + 1 end})\n"
		     "  coroutine.yield() end)\n"
		     "coroutine.resume(co)\n"
		     "assert(coroutine.close(co) == true and closed == 1)\n"
		     "local bad = coroutine.create(function()\n"
		     "  local c <close> = setmetatable({}, {__close = function() closed = closed + 1 end})\n"
		     "  error('inside') end)\n"
		     "assert(not coroutine.resume(bad))\n"
		     "local ok, msg = coroutine.close(bad)\n"
		     "assert(not ok and msg:find('inside') and closed == 2)\n"
		     "assert(not pcall(coroutine.close, coroutine.running()))\n"
		     "assert(not pcall(coroutine.close, 42))\n"
		     "error('reached')", ERR_POLICY, "reached");
}

/* ---- environment ---- */

static void test_global_write_refused(void **state)
{
	struct policy_engine *e = NULL;
	struct error err;

	check_attack("x = 1", ERR_POLICY, "attempt to write global x");
	check_attack("_ENV.y = 2", ERR_POLICY, "attempt to write global y");
	check_attack("setmetatable(_ENV, nil)", ERR_POLICY, "protected metatable");
	check_attack("ctx.array(_ENV)", ERR_POLICY, "already has a metatable");
	check_attack("string.find = nil", ERR_POLICY, "read-only table 'string'");
	check_attack("table.insert = print", ERR_POLICY, "read-only table 'table'");
	/* at load time too */
	assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH,
				     "function helper() end\nreturn {api = 1, render = helper}", NULL),
			 ERR_POLICY);
	assert_non_null(strstr(err.msg, "policies/devserver.lua:1: attempt to write global helper"));
}

static void test_undefined_globals_refused(void **state)
{
	static const char *const names[] = {
		"os", "io", "load", "loadstring", "dofile", "loadfile", "debug", "getmetatable",
		"collectgarbage", "rawset", "package", "warn", "_G", "undefined_thing",
	};
	char body[128], want[96];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char src[512];

		snprintf(body, sizeof(body), "local x = %s", names[i]);
		snprintf(want, sizeof(want), "attempt to read undefined global %s", names[i]);
		snprintf(src, sizeof(src),
			 "local function attack(ds, ctx)\n%s\nend\n"
			 "return {api = 1, render = function(ds, flavor, ctx)\n"
			 "  if ds.attack then attack(ds, ctx) end\n"
			 "  return {{kind = 'ConfigMap'}}\nend}\n", body);
		check_attack_src(src, ERR_POLICY, want);
	}
	check_attack("require('os')", ERR_POLICY, "not in the policy bundle");
	check_attack("require('string')", ERR_POLICY, "not in the policy bundle");
	check_attack("require('lib.missing')", ERR_POLICY, "not in the policy bundle");
	check_attack("string.dump(print)", ERR_POLICY, "dump");
	check_attack("assert(('x').dump == nil and string.pack == nil and math.random == nil)\n"
		     "error('reached')", ERR_POLICY, "reached");
}

/* ---- loading ---- */

static int write_chunk(lua_State *L, const void *p, size_t sz, void *ud)
{
	return buf_append(ud, p, sz);
}

static void test_bytecode_refused(void **state)
{
	struct policy_engine *e = NULL;
	struct error err;
	struct buf bc;
	lua_State *L = luaL_newstate();

	/* real bytecode of a valid policy: only the text-only mode stops it */
	buf_init(&bc, 1 << 20);
	assert_int_equal(luaL_loadstring(L, "return {api = 1, render = function() return {} end}"), 0);
	assert_int_equal(lua_dump(L, write_chunk, &bc, 0), 0);
	lua_close(L);
	assert_memory_equal(bc.data, "\x1bLua", 4);
	assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH, bc.data, NULL), ERR_POLICY);
	assert_null(e);
	assert_non_null(strstr(err.msg, "binary chunk"));
	/* the same through require */
	assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH,
				     "local m = require('lib.bc')\nreturn {api = 1, render = m}",
				     "lib/bc.lua", bc.data, NULL), ERR_POLICY);
	assert_non_null(strstr(err.msg, "binary chunk"));
	buf_cleanup(&bc);
}

static void test_error_messages_carry_file_and_line(void **state)
{
	struct policy_engine *e;
	struct error err;
	struct json *out;

	assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH,
		"local h = require('lib.helper')\n"
		"return {api = 1, render = function(ds)\n"
		"  if ds.case == 'lib' then h.boom() end\n"
		"  if ds.case == 'level0' then error('plain', 0) end\n"
		"  if ds.case == 'index' then local t = nil; return t.x end\n"
		"  if ds.case == 'table' then error({code = 1}) end\n"
		"  return {}\n"
		"end}\n",
		"lib/helper.lua",
		"local M = {}\n"
		"function M.boom()\n"
		"  error('boom')\n"
		"end\n"
		"return M\n", NULL), 0);
	assert_int_equal(render_ds(e, "{\"case\":\"lib\"}", &out, &err), ERR_POLICY);
	assert_non_null(strstr(err.msg, "lib/helper.lua:3: boom"));
	assert_non_null(strstr(err.msg, "policies/devserver.lua:3"));   /* traceback */
	assert_int_equal(render_ds(e, "{\"case\":\"level0\"}", &out, &err), ERR_POLICY);
	assert_true(strncmp(err.msg, "policies/devserver.lua:4: plain", 31) == 0);
	assert_int_equal(render_ds(e, "{\"case\":\"index\"}", &out, &err), ERR_POLICY);
	assert_true(strncmp(err.msg, "policies/devserver.lua:5: attempt to index a nil value", 54) == 0);
	assert_int_equal(render_ds(e, "{\"case\":\"table\"}", &out, &err), ERR_POLICY);
	assert_non_null(strstr(err.msg, "policies/devserver.lua:6: (error object is a table value)"));
	assert_int_equal(render_ds(e, "{}", &out, &err), 0);
	assert_int_equal(out->type, JSON_ARRAY);
	json_free(out);
	policy_engine_free(e);

	/* syntax errors name the file and line too */
	assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH, "return {\napi = 1,\nrender = ", NULL),
			 ERR_POLICY);
	assert_non_null(strstr(err.msg, "policies/devserver.lua:3:"));
}

static void test_contract(void **state)
{
	static const struct {
		const char *src;
		const char *want;
	} bad[] = {
		{ "return {api = 2, render = function() return {} end}", "api must be 1 (got 2)" },
		{ "return {render = function() return {} end}", "api must be 1 (got nil)" },
		{ "return {api = '1', render = function() return {} end}", "api must be 1" },
		{ "return {api = 1}", "render must be a function" },
		{ "return {api = 1, render = 'x'}", "render must be a function" },
		{ "return 42", "must return a table" },
		{ "local x = 1", "must return a table" },
	};
	struct policy_engine *e = NULL;
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(engine_from(&e, &err, POLICY_MAIN_PATH, bad[i].src, NULL), ERR_POLICY);
		assert_null(e);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("%s: got '%s'", bad[i].src, err.msg);
	}
	assert_int_equal(engine_from(&e, &err, "policies/other.lua", "return {}", NULL), ERR_POLICY);
	assert_non_null(strstr(err.msg, "no policies/devserver.lua"));
}

static void test_render_must_return_a_list(void **state)
{
	check_attack_src("return {api = 1, render = function(ds)\n"
			 "  if ds.attack then return 'nope' end return {{kind = 'A'}}\nend}", ERR_POLICY,
			 "list of objects, not a string");
	check_attack_src("return {api = 1, render = function(ds)\n"
			 "  if ds.attack then return {kind = 'ConfigMap'} end return {{kind = 'A'}}\nend}", ERR_POLICY,
			 "list of objects, not a map");
	check_attack_src("return {api = 1, render = function(ds)\n"
			 "  if ds.attack then return {{kind = 'A'}, 3} end return {{kind = 'A'}}\nend}", ERR_POLICY,
			 "item 2 is not an object");
	check_attack_src("return {api = 1, render = function(ds)\n"
			 "  if ds.attack then return {{f = print}} end return {{kind = 'A'}}\nend}", ERR_POLICY,
			 "render result");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_infinite_loop),
		cmocka_unit_test(test_loop_inside_pcall),
		cmocka_unit_test(test_loop_inside_coroutine),
		cmocka_unit_test(test_loop_at_load_time),
		cmocka_unit_test(test_memory_bomb),
		cmocka_unit_test(test_string_rep_bomb),
		cmocka_unit_test(test_pattern_bomb),
		cmocka_unit_test(test_table_functions_with_metamethods),
		cmocka_unit_test(test_gc_metamethod_refused),
		cmocka_unit_test(test_guarded_functions_still_work),
		cmocka_unit_test(test_global_write_refused),
		cmocka_unit_test(test_undefined_globals_refused),
		cmocka_unit_test(test_bytecode_refused),
		cmocka_unit_test(test_error_messages_carry_file_and_line),
		cmocka_unit_test(test_contract),
		cmocka_unit_test(test_render_must_return_a_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
