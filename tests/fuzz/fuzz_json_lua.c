/* fuzz_json_lua.c - JSON -> Lua -> JSON through the bridge policies use.
 *
 * For every input json_parse accepts, the tree is pushed into a fresh Lua
 * state and converted back, both inside one protected call (as the policy
 * engine does). Property: the result equals the input after the documented
 * normalisation - a float with an integral value that fits int64 becomes an
 * integer (json_lua.h: "3.0 converts to JSON_INT"). The only allowed failure
 * is ERR_LIMIT for a tree nested deeper than JSON_MAX_DEPTH containers, or
 * (Lua -> JSON) one with more than JSON_LUA_MAX_NODES values and keys or more
 * than JSON_LUA_MAX_TEXT_BYTES of encoding. The Lua stack must be back
 * where it started, and closing the state must free everything (LeakSanitizer).
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"
#include "json/json_lua.h"

struct trip {
	const struct json *in;
	struct json *out;
	int push_rc;
	struct error err;
};

/* Containers on the deepest path (a scalar is 0, [] is 1). */
static size_t depth_of(const struct json *v)
{
	size_t d = 0, c;

	if (v->type == JSON_ARRAY)
		for (size_t i = 0; i < v->u.arr.len; i++)
			d = (c = depth_of(v->u.arr.items[i])) > d ? c : d;
	else if (v->type == JSON_OBJECT)
		for (size_t i = 0; i < v->u.obj.len; i++)
			d = (c = depth_of(v->u.obj.items[i].value)) > d ? c : d;
	else
		return 0;
	return d + 1;
}

/* Values plus object keys: what json_lua counts against JSON_LUA_MAX_NODES. */
static size_t nodes_of(const struct json *v)
{
	size_t n = 1;

	if (v->type == JSON_ARRAY)
		for (size_t i = 0; i < v->u.arr.len; i++)
			n += nodes_of(v->u.arr.items[i]);
	else if (v->type == JSON_OBJECT)
		for (size_t i = 0; i < v->u.obj.len; i++)
			n += 1 + nodes_of(v->u.obj.items[i].value);
	return n;
}

/* The documented 1.0 -> 1 rule, applied to a copy. */
static void normalise(struct json *v)
{
	switch (v->type) {
	case JSON_FLOAT:
		if (v->u.f == floor(v->u.f) && v->u.f >= -9223372036854775808.0 &&
		    v->u.f < 9223372036854775808.0) {
			int64_t i = (int64_t)v->u.f;

			v->type = JSON_INT;
			v->u.i = i;
		}
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.len; i++)
			normalise(v->u.arr.items[i]);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.len; i++)
			normalise(v->u.obj.items[i].value);
		break;
	default:
		break;
	}
}

static int trip_run(lua_State *L)
{
	struct trip *t = lua_touserdata(L, 1);
	int top = lua_gettop(L);

	json_lua_init(L);
	t->push_rc = json_lua_push(L, t->in, &t->err);
	if (t->push_rc < 0) {
		FUZZ_CHECK(lua_gettop(L) == top, "failed push left values on the stack");
		return 0;
	}
	FUZZ_CHECK(lua_gettop(L) == top + 1, "push left %d values", lua_gettop(L) - top);
	t->out = json_lua_to_json(L, -1, &t->err);
	FUZZ_CHECK(lua_gettop(L) == top + 1, "to_json is not stack-neutral");
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct error err;
	struct trip t = {0};
	struct json *in, *want;
	lua_State *L;
	int rc;

	error_clear(&err);
	in = json_parse((const char *)data, size, &err);
	if (!in)
		return 0;
	L = luaL_newstate();
	FUZZ_CHECK(L != NULL, "luaL_newstate");
	t.in = in;
	error_clear(&t.err);
	lua_pushcfunction(L, trip_run);
	lua_pushlightuserdata(L, &t);
	rc = lua_pcall(L, 1, 0, 0);
	FUZZ_CHECK(rc == LUA_OK, "protected call failed: %s", lua_tostring(L, -1));
	if (t.push_rc < 0) {
		FUZZ_CHECK(t.push_rc == ERR_LIMIT && depth_of(in) > JSON_MAX_DEPTH,
			   "push failed at depth %zu: %s", depth_of(in), t.err.msg);
	} else if (!t.out) {
		FUZZ_CHECK(t.err.code == ERR_LIMIT &&
			   (depth_of(in) > JSON_MAX_DEPTH || nodes_of(in) > JSON_LUA_MAX_NODES ||
			    json_encoded_size(in) > JSON_LUA_MAX_TEXT_BYTES),
			   "Lua -> JSON failed at depth %zu, %zu nodes: %s", depth_of(in),
			   nodes_of(in), t.err.msg);
	} else {
		want = json_clone(in);
		normalise(want);
		if (!json_equal(want, t.out)) {
			char *a = json_encode_str(want, 1 << 20, 0);
			char *b = json_encode_str(t.out, 1 << 20, 0);

			FUZZ_CHECK(0, "JSON -> Lua -> JSON changed the tree:\n%s\n%s", a, b);
		}
		json_free(want);
	}
	json_free(t.out);
	json_free(in);
	lua_close(L);
	return 0;
}
