/* test_json_lua.c - src/json/json_lua.c: JSON <-> Lua mapping, round trips,
 * and the path-naming errors policies see. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "core/error.h"
#include "json/json.h"
#include "json/json_lua.h"

static int setup(void **state)
{
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	json_lua_init(L);
	json_lua_init(L); /* idempotent */
	json_lua_push_null(L);
	lua_setglobal(L, "null");
	json_lua_push_array_mt(L);
	lua_setglobal(L, "array_mt");
	*state = L;
	return 0;
}

static int teardown(void **state)
{
	lua_close(*state);
	return 0;
}

/* Runs chunk (which returns one value) and leaves the value on the stack. */
static void eval(lua_State *L, const char *chunk)
{
	if (luaL_loadstring(L, chunk) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK)
		fail_msg("lua: %s", lua_tostring(L, -1));
}

/* Converts the result of chunk to canonical JSON text (caller frees), or
 * NULL with err set. The Lua stack is left as it was. */
static char *lua_json(lua_State *L, const char *chunk, struct error *err)
{
	int top = lua_gettop(L);
	struct json *v;
	char *out = NULL;

	eval(L, chunk);
	error_clear(err);
	v = json_lua_to_json(L, -1, err);
	assert_int_equal(lua_gettop(L), top + 1); /* conversion is stack-neutral */
	lua_pop(L, 1);
	if (v) {
		out = json_encode_str(v, 1 << 24, 0);
		assert_non_null(out);
		json_free(v);
	}
	return out;
}

static void assert_lua_json(lua_State *L, const char *chunk, const char *expected)
{
	struct error err;
	char *out = lua_json(L, chunk, &err);

	if (!out)
		fail_msg("%s: conversion failed: %s", chunk, err.msg);
	assert_string_equal(out, expected);
	free(out);
}

static void assert_lua_error(lua_State *L, const char *chunk, int code, const char *msg)
{
	struct error err;
	char *out = lua_json(L, chunk, &err);

	if (out) {
		fail_msg("%s: expected an error, got %s", chunk, out);
		free(out);
	}
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
}

static void test_lua_scalars(void **state)
{
	lua_State *L = *state;

	assert_lua_json(L, "return 1", "1");
	assert_lua_json(L, "return -7", "-7");
	assert_lua_json(L, "return math.maxinteger", "9223372036854775807");
	assert_lua_json(L, "return math.mininteger", "-9223372036854775808");
	assert_lua_json(L, "return 1.5", "1.5");
	assert_lua_json(L, "return 0.1 + 0.2", "0.30000000000000004");
	/* integral floats become integers (Kubernetes rejects 3.0 for int fields) */
	assert_lua_json(L, "return 3.0", "3");
	assert_lua_json(L, "return 6 / 2", "3");
	assert_lua_json(L, "return -0.0", "0");
	assert_lua_json(L, "return -2.0^63", "-9223372036854775808");
	/* ... unless they do not fit int64 */
	assert_lua_json(L, "return 2.0^63", "9.223372036854776e+18");
	assert_lua_json(L, "return 1e300", "1e+300");
	assert_lua_json(L, "return true", "true");
	assert_lua_json(L, "return false", "false");
	assert_lua_json(L, "return null", "null");
	assert_lua_json(L, "return 'caf\\u{e9}\\n\"'", "\"caf\xc3\xa9\\n\\\"\"");
	assert_lua_json(L, "return 'a\\0b'", "\"a\\u0000b\"");
}

static void test_lua_tables(void **state)
{
	lua_State *L = *state;

	assert_lua_json(L, "return {}", "{}");
	assert_lua_json(L, "return setmetatable({}, array_mt)", "[]");
	assert_lua_json(L, "return {1, 'two', 3.5, null, false}", "[1,\"two\",3.5,null,false]");
	assert_lua_json(L, "return {b = 1, a = {c = {}}, d = setmetatable({}, array_mt)}",
			"{\"a\":{\"c\":{}},\"b\":1,\"d\":[]}");
	assert_lua_json(L, "return {[1] = 'a', [2] = 'b', [3.0] = 'c'}", "[\"a\",\"b\",\"c\"]");
	assert_lua_json(L, "return setmetatable({1, 2}, array_mt)", "[1,2]");
	/* shared subtables that are not cycles are fine */
	assert_lua_json(L, "local x = {1} return {a = x, b = {x, x}}",
			"{\"a\":[1],\"b\":[[1],[1]]}");
	/* metamethods are ignored: the raw contents count */
	assert_lua_json(L, "return setmetatable({a = 1}, {__index = function() return 2 end, "
			   "__pairs = function() error('no') end})", "{\"a\":1}");
	/* canonical order whatever the hash order */
	assert_lua_json(L, "local t = {} for i = 20, 1, -1 do t['k' .. string.format('%02d', i)] = i end "
			   "return t",
			"{\"k01\":1,\"k02\":2,\"k03\":3,\"k04\":4,\"k05\":5,\"k06\":6,\"k07\":7,"
			"\"k08\":8,\"k09\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,"
			"\"k15\":15,\"k16\":16,\"k17\":17,\"k18\":18,\"k19\":19,\"k20\":20}");
}

static void test_lua_errors_name_the_path(void **state)
{
	lua_State *L = *state;

	assert_lua_error(L, "return {spec = {containers = {{image = 'a'}, {image = print}}}}",
			 ERR_INVALID, "spec.containers[2].image: function cannot be converted to JSON");
	assert_lua_error(L, "return {spec = {ports = {1, 2, name = 'x'}}}", ERR_INVALID,
			 "spec.ports: table mixes array and object keys (\"name\" next to integer keys)");
	assert_lua_error(L, "return {x = setmetatable({k = 1}, array_mt)}", ERR_INVALID,
			 "x: table mixes array and object keys (\"k\" next to the array metatable)");
	assert_lua_error(L, "return {a = {[1] = 1, [3] = 3}}", ERR_INVALID,
			 "a: array has holes (2 values, largest index 3)");
	assert_lua_error(L, "return {a = setmetatable({[2] = 1}, array_mt)}", ERR_INVALID,
			 "a: array has holes (1 values, largest index 2)");
	assert_lua_error(L, "return {a = {[0] = 'z', 'x'}}", ERR_INVALID,
			 "a: array key 0 is not in 1..n");
	assert_lua_error(L, "return {a = {[true] = 1}}", ERR_INVALID,
			 "a: table key of type boolean is not allowed (object keys are strings, "
			 "array keys 1..n)");
	assert_lua_error(L, "return {[1.5] = 1}", ERR_INVALID,
			 "(root): table key of type number (non-integral) is not allowed (object "
			 "keys are strings, array keys 1..n)");
	assert_lua_error(L, "return {x = {y = 0/0}}", ERR_INVALID,
			 "x.y: NaN cannot be converted to JSON");
	assert_lua_error(L, "return {x = {1, math.huge}}", ERR_INVALID,
			 "x[2]: infinity cannot be converted to JSON");
	assert_lua_error(L, "return {x = {-math.huge}}", ERR_INVALID,
			 "x[1]: infinity cannot be converted to JSON");
	assert_lua_error(L, "return {f = io.stdout}", ERR_INVALID,
			 "f: userdata cannot be converted to JSON (only json.null)");
	assert_lua_error(L, "return {co = coroutine.create(print)}", ERR_INVALID,
			 "co: thread cannot be converted to JSON");
	assert_lua_error(L, "return {metadata = {labels = {['app.kubernetes.io/name'] = print}}}",
			 ERR_INVALID,
			 "metadata.labels[\"app.kubernetes.io/name\"]: function cannot be converted to JSON");
	assert_lua_error(L, "return {['say \"hi\"'] = {[2] = 1}}", ERR_INVALID,
			 "[\"say \\\"hi\\\"\"]: array has holes (1 values, largest index 2)");
	assert_lua_error(L, "return {s = {'ok', '\\xff'}}", ERR_INVALID,
			 "s[2]: string is not valid UTF-8");
	/* keys in messages are escaped: one line of valid UTF-8 */
	assert_lua_error(L, "return {['a\\0b'] = 1}", ERR_INVALID,
			 "[\"a\\x00b\"]: object key contains NUL");
	assert_lua_error(L, "return {['\\xc0'] = 1}", ERR_INVALID,
			 "[\"\\xc0\"]: object key is not valid UTF-8");
	assert_lua_error(L, "return {['a\\nb\\t\\27'] = print}", ERR_INVALID,
			 "[\"a\\nb\\t\\x1b\"]: function cannot be converted to JSON");
	assert_lua_error(L, "return {['caf\\u{e9}'] = {[2] = 1}}", ERR_INVALID,
			 "[\"caf\xc3\xa9\"]: array has holes (1 values, largest index 2)");
	assert_lua_error(L, "return {1, ['x\\ny'] = 2}", ERR_INVALID,
			 "(root): table mixes array and object keys (\"x\\ny\" next to integer keys)");
	assert_lua_error(L, "return nil", ERR_INVALID,
			 "(root): nil cannot be converted to JSON (use json.null)");
	assert_lua_error(L, "return print", ERR_INVALID,
			 "(root): function cannot be converted to JSON");
}

static void test_lua_cycles(void **state)
{
	lua_State *L = *state;

	assert_lua_error(L, "local t = {a = {}} t.a.b = t return t", ERR_INVALID,
			 "a.b: cycle: the table contains itself");
	assert_lua_error(L, "local t = {} t[1] = t return t", ERR_INVALID,
			 "[1]: cycle: the table contains itself");
	assert_lua_error(L, "local t = {x = {y = {}}} t.x.y.z = t.x return t", ERR_INVALID,
			 "x.y.z: cycle: the table contains itself");
}

static void test_lua_depth_limit(void **state)
{
	lua_State *L = *state;
	char chunk[256];
	struct error err;
	char *out;

	/* JSON_MAX_DEPTH nested tables are fine ... */
	snprintf(chunk, sizeof(chunk),
		 "local t = setmetatable({}, array_mt) for i = 2, %d do t = {t} end return t",
		 JSON_MAX_DEPTH);
	out = lua_json(L, chunk, &err);
	assert_non_null(out);
	assert_int_equal(strlen(out), 2 * JSON_MAX_DEPTH);
	free(out);
	/* ... one more is not */
	snprintf(chunk, sizeof(chunk),
		 "local t = setmetatable({}, array_mt) for i = 2, %d do t = {t} end return t",
		 JSON_MAX_DEPTH + 1);
	assert_null(lua_json(L, chunk, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "nesting deeper than JSON_MAX_DEPTH (128)"));
	assert_true(strncmp(err.msg, "[1][1][1]", 9) == 0);
}

static void test_lua_shared_table_bomb_is_bounded(void **state)
{
	lua_State *L = *state;
	struct error err;

	/* 2^60 nodes described by 60 tables */
	assert_null(lua_json(L, "local t = {1} for i = 1, 60 do t = {t, t} end return t", &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "more than 50000 values"));
	/* one 1 MiB string referenced 100 times is 100 MiB of JSON */
	assert_null(lua_json(L, "local s = string.rep('x', 1 << 20) local t = {} "
				"for i = 1, 100 do t[i] = s end return t", &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_string_equal(err.msg, "[1]: more than 1048576 bytes of JSON");
	/* a table with a million entries is refused after the first pass has
	 * seen more entries than nodes are left, at the table itself */
	assert_null(lua_json(L, "local t = {} for i = 1, 1e6 do t[i] = i end return {x = {y = t}}",
			     &err));
	assert_string_equal(err.msg, "x.y: more than 50000 values");
	assert_null(lua_json(L, "local t = {} for i = 1, 3e4 do t['k' .. i] = i end return t", &err));
	assert_string_equal(err.msg, "(root): more than 50000 values");
}

/* Runs chunk and converts its result within lim; usage into *use. */
static struct json *convert_limited(lua_State *L, const char *chunk,
				    const struct json_lua_limits *lim, struct json_lua_usage *use,
				    struct error *err)
{
	struct json *v;

	eval(L, chunk);
	error_clear(err);
	v = json_lua_to_json_limited(L, -1, lim, use, err);
	lua_pop(L, 1);
	return v;
}

static void test_limits_are_counted_while_converting(void **state)
{
	lua_State *L = *state;
	static const char doc[] =
		"return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'x', "
		"labels = {a = 'b'}}, data = {k = 'caf\\u{e9}', n = '12345'}, list = {1, -20, 3.5, "
		"true, false, null, {}, setmetatable({}, array_mt)}}, {kind = 'Service'}}";
	struct json_lua_limits lim;
	struct json_lua_usage use;
	struct error err;
	struct json *v;
	size_t encoded = 0;

	json_lua_limits_default(&lim);
	assert_int_equal(lim.max_nodes, JSON_LUA_MAX_NODES);
	assert_int_equal(lim.max_text_bytes, JSON_LUA_MAX_TEXT_BYTES);
	assert_int_equal(lim.max_alloc_bytes, JSON_LUA_MAX_ALLOC_BYTES);

	v = convert_limited(L, doc, NULL, &use, &err);
	assert_non_null(v);
	/* the text count is a lower bound of what an encoded-size check of the
	 * list's objects sees, and close to it without escapes and floats */
	for (size_t i = 0; i < v->u.arr.len; i++)
		encoded += json_encoded_size(v->u.arr.items[i]);
	assert_true(use.text_bytes <= encoded);
	assert_true(use.text_bytes + 8 >= encoded);
	assert_true(use.nodes > 20 && use.nodes < 40);
	assert_true(use.alloc_bytes > use.nodes * sizeof(struct json));
	assert_false(use.alloc_exceeded);
	json_free(v);

	/* each limit, exactly: the count that passed converts, one less fails */
	lim.max_nodes = use.nodes;
	v = convert_limited(L, doc, &lim, NULL, &err);
	assert_non_null(v);
	json_free(v);
	lim.max_nodes = use.nodes - 1;
	assert_null(convert_limited(L, doc, &lim, NULL, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "more than"));

	json_lua_limits_default(&lim);
	lim.max_text_bytes = use.text_bytes;
	v = convert_limited(L, doc, &lim, NULL, &err);
	assert_non_null(v);
	json_free(v);
	lim.max_text_bytes = use.text_bytes - 1;
	assert_null(convert_limited(L, doc, &lim, NULL, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "bytes of JSON"));

	json_lua_limits_default(&lim);
	lim.max_alloc_bytes = use.alloc_bytes;
	v = convert_limited(L, doc, &lim, NULL, &err);
	assert_non_null(v);
	json_free(v);
	lim.max_alloc_bytes = use.alloc_bytes - 1;
	{
		struct json_lua_usage u2;

		assert_null(convert_limited(L, doc, &lim, &u2, &err));
		assert_true(u2.alloc_exceeded);
		assert_true(u2.alloc_bytes < use.alloc_bytes);
	}
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "bytes of memory"));
}

static void test_long_paths_are_shortened(void **state)
{
	lua_State *L = *state;
	char chunk[256];
	const char *colon;
	struct error err;

	/* 128 levels: the start and the end of the path, the message whole */
	snprintf(chunk, sizeof(chunk),
		 "local t = {leaf = print} for i = 1, %d do t = {t} end return {spec = t}",
		 JSON_MAX_DEPTH - 3);
	assert_null(lua_json(L, chunk, &err));
	assert_true(strncmp(err.msg, "spec[1][1][1]", 13) == 0);
	assert_non_null(strstr(err.msg, "[1]...[1]"));
	assert_non_null(strstr(err.msg, "[1][1].leaf: function cannot be converted to JSON"));
	assert_true(strlen(err.msg) < JSON_LUA_PATH_MAX_BYTES + 60);
	/* a long key is shortened inside its brackets */
	assert_null(lua_json(L, "return {[string.rep('k', 200) .. '!'] = print}", &err));
	assert_true(strncmp(err.msg, "[\"kkkk", 6) == 0);
	assert_non_null(strstr(err.msg, "k...\"]: function cannot be converted to JSON"));
	assert_true(strlen(err.msg) < 64 + 60); /* keys are shown in 64 bytes */
	/* named fields: every segment of the end but its first carries a dot,
	 * and the path still fits (it overran its buffer by a byte each) */
	snprintf(chunk, sizeof(chunk),
		 "local t = {leaf = print} for i = 1, %d do t = {abcdefghi = t} end return {spec = t}",
		 JSON_MAX_DEPTH - 3);
	assert_null(lua_json(L, chunk, &err));
	assert_true(strncmp(err.msg, "spec.abcdefghi.abcdefghi", 24) == 0);
	assert_non_null(strstr(err.msg, ".abcdefghi.leaf: function cannot be converted to JSON"));
	colon = strstr(err.msg, ": function");
	assert_true(colon && (size_t)(colon - err.msg) <= JSON_LUA_PATH_MAX_BYTES);
}

/* JSON text -> tree -> Lua -> tree -> canonical text. */
static char *round_trip(lua_State *L, const char *text)
{
	struct error err;
	struct json *v = json_parse(text, strlen(text), &err), *back;
	int top = lua_gettop(L);
	char *out;

	if (!v)
		fail_msg("parse: %s", err.msg);
	assert_int_equal(json_lua_push(L, v, &err), 0);
	assert_int_equal(lua_gettop(L), top + 1);
	json_free(v);
	back = json_lua_to_json(L, -1, &err);
	if (!back)
		fail_msg("to_json: %s", err.msg);
	lua_pop(L, 1);
	out = json_encode_str(back, 1 << 20, 0);
	json_free(back);
	return out;
}

static void test_round_trip_json_lua_json(void **state)
{
	lua_State *L = *state;
	static const char *same[] = {
		"{\"a\":[],\"b\":{},\"c\":[[],{},[{}]],\"d\":{\"e\":[]}}",
		"[]",
		"{}",
		"[null,true,false,0,-1,9223372036854775807,-9223372036854775808,1.5,-2.5e-07]",
		"{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"x\"},\"name\":\"box\"},"
		"\"spec\":{\"ports\":[{\"port\":22,\"protocol\":\"TCP\"}],\"replicas\":1}}",
		"\"\\u0000 nul and caf\xc3\xa9 \xf0\x9f\x98\x80\"",
		"{\"n\":null,\"nested\":[null,[null]]}",
		"1e+300",
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *out = round_trip(L, same[i]);

		assert_string_equal(out, same[i]);
		free(out);
	}
	/* documented lossy case: an integral float comes back as an integer */
	{
		char *out = round_trip(L, "[1.0,2.5,-0.0]");

		assert_string_equal(out, "[1,2.5,0]");
		free(out);
	}
}

static void test_pushed_values_from_lua(void **state)
{
	lua_State *L = *state;
	const char *text = "{\"i\":3,\"f\":3.5,\"one\":1.0,\"n\":null,\"arr\":[1,2,3],\"empty\":[],"
			   "\"obj\":{},\"s\":\"a\\u0000b\"}";
	struct error err;
	struct json *v = json_parse(text, strlen(text), &err);
	static const char *checks =
		"local d = ... "
		"assert(math.type(d.i) == 'integer', 'i') "
		"assert(math.type(d.f) == 'float', 'f') "
		"assert(math.type(d.one) == 'float', 'one') "
		"assert(d.n == null, 'n') "
		"assert(getmetatable(d.arr) == array_mt and #d.arr == 3 and d.arr[3] == 3, 'arr') "
		"assert(getmetatable(d.empty) == array_mt and #d.empty == 0, 'empty') "
		"assert(getmetatable(d.obj) == nil and next(d.obj) == nil, 'obj') "
		"assert(#d.s == 3, 's') "
		"table.insert(d.empty, 'x') "
		"for k in pairs(d.arr) do d.arr[k] = nil end "
		"return d";
	char *out;
	struct json *back;

	assert_non_null(v);
	assert_int_equal(luaL_loadstring(L, checks), LUA_OK);
	assert_int_equal(json_lua_push(L, v, &err), 0);
	json_free(v);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)
		fail_msg("%s", lua_tostring(L, -1));
	back = json_lua_to_json(L, -1, &err);
	lua_pop(L, 1);
	assert_non_null(back);
	out = json_encode_str(back, 1024, 0);
	/* the emptied array is still an array, the filled one kept its items */
	assert_string_equal(out, "{\"arr\":[],\"empty\":[\"x\"],\"f\":3.5,\"i\":3,\"n\":null,"
				 "\"obj\":{},\"one\":1,\"s\":\"a\\u0000b\"}");
	free(out);
	json_free(back);
	assert_int_equal(lua_gettop(L), 0);
}

static void test_push_depth_limit(void **state)
{
	lua_State *L = *state;
	struct json *root = json_new_object(), *cur = root;
	struct error err;
	int top = lua_gettop(L);

	for (int i = 0; i < JSON_MAX_DEPTH + 3; i++) {
		struct json *next = json_new_object();

		json_object_set_take(cur, "k", next);
		cur = next;
	}
	assert_int_equal(json_lua_push(L, root, &err), ERR_LIMIT);
	assert_int_equal(lua_gettop(L), top); /* nothing pushed */
	json_free(root);
}

static void test_null_is_one_light_userdata(void **state)
{
	lua_State *L = *state;
	lua_State *L2 = luaL_newstate();

	json_lua_push_null(L);
	json_lua_push_null(L);
	assert_int_equal(lua_type(L, -1), LUA_TLIGHTUSERDATA);
	assert_true(lua_rawequal(L, -1, -2));
	json_lua_push_null(L2);
	assert_ptr_equal(lua_touserdata(L, -1), lua_touserdata(L2, -1));
	lua_pop(L, 2);
	/* any other light userdata is rejected */
	lua_pushlightuserdata(L, L);
	{
		struct error err;

		assert_null(json_lua_to_json(L, -1, &err));
		assert_string_equal(err.msg, "(root): userdata cannot be converted to JSON (only json.null)");
	}
	lua_pop(L, 1);
	/* push_array_mt works on a state where init was never called */
	json_lua_push_array_mt(L2);
	assert_int_equal(lua_type(L2, -1), LUA_TTABLE);
	lua_close(L2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lua_scalars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lua_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lua_errors_name_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lua_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lua_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lua_shared_table_bomb_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_are_counted_while_converting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_paths_are_shortened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_json_lua_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pushed_values_from_lua, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_is_one_light_userdata, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
