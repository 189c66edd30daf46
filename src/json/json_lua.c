/* json_lua.c - struct json <-> Lua values (see json_lua.h for the mapping).
 *
 * Why this way: policies build manifests as Lua tables, and Lua cannot tell
 * [] from {} or 1 from 1.0 on its own. Arrays carry one shared metatable
 * from the registry and null is one light userdata, so both survive a round
 * trip; an empty plain table is an object, which is what Kubernetes wants
 * for `{}` and what a policy writing `labels = {}` means.
 *
 * Lua -> JSON walks the table twice: once to classify its keys (sequence,
 * string keys, or a mix, which is an error) and once to convert. It keeps
 * the path of keys and indices as it descends so errors can say exactly
 * where the bad value is, and the tables on that path for cycle detection
 * (at most JSON_MAX_DEPTH pointers, a linear scan is cheapest). Shared
 * subtables that are not cycles are legal but can make a tiny Lua value
 * stand for an enormous tree, so nodes and string bytes are counted.
 *
 * After fetching the array metatable, the Lua -> JSON direction makes no Lua
 * call that can allocate (raw gets, lua_next over existing keys, tolstring
 * only on strings), so a Lua error can never unwind past a half-built C
 * tree and leak it. JSON -> Lua allocates Lua objects and may raise a memory
 * error, but only reads the borrowed tree, so there is nothing to leak.
 *
 * What it does not do: honour __index/__pairs metamethods, or accept
 * integral-float keys as anything but the integer Lua already made of them.
 */
#include "json/json_lua.h"

#include <lauxlib.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json/json_internal.h"

/* The null sentinel is the address of this byte: unique per process, and
 * the same in every Lua state. */
static const char json_lua_null_tag;

#define JSON_LUA_PATH_KEY_MAX_BYTES 64 /* longer keys are shortened in messages */

void json_lua_init(lua_State *L)
{
	luaL_newmetatable(L, JSON_LUA_ARRAY_MT);
	lua_pop(L, 1);
}

void json_lua_push_null(lua_State *L)
{
	lua_pushlightuserdata(L, (void *)&json_lua_null_tag);
}

void json_lua_push_array_mt(lua_State *L)
{
	/* creates it when json_lua_init was not called: never pushes nil */
	luaL_newmetatable(L, JSON_LUA_ARRAY_MT);
}

/* ---- JSON -> Lua ------------------------------------------------------ */

static int push_value(lua_State *L, const struct json *v, int mt, int depth, struct error *err)
{
	if (!lua_checkstack(L, 4))
		return error_set(err, ERR_LIMIT, "Lua stack cannot grow (depth %d)", depth);
	switch (v->type) {
	case JSON_NULL:
		json_lua_push_null(L);
		return 0;
	case JSON_BOOL:
		lua_pushboolean(L, v->u.b);
		return 0;
	case JSON_INT:
		lua_pushinteger(L, (lua_Integer)v->u.i);
		return 0;
	case JSON_FLOAT:
		lua_pushnumber(L, (lua_Number)v->u.f);
		return 0;
	case JSON_STRING:
		lua_pushlstring(L, v->u.str.ptr, v->u.str.len);
		return 0;
	case JSON_ARRAY:
		if (depth >= JSON_MAX_DEPTH)
			return error_set(err, ERR_LIMIT, "nesting deeper than JSON_MAX_DEPTH (%d)",
					 JSON_MAX_DEPTH);
		lua_createtable(L, v->u.arr.len <= INT_MAX ? (int)v->u.arr.len : 0, 0);
		lua_pushvalue(L, mt);
		lua_setmetatable(L, -2);
		for (size_t i = 0; i < v->u.arr.len; i++) {
			int rc = push_value(L, v->u.arr.items[i], mt, depth + 1, err);

			if (rc < 0) {
				lua_pop(L, 1);
				return rc;
			}
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return 0;
	case JSON_OBJECT:
		if (depth >= JSON_MAX_DEPTH)
			return error_set(err, ERR_LIMIT, "nesting deeper than JSON_MAX_DEPTH (%d)",
					 JSON_MAX_DEPTH);
		lua_createtable(L, 0, v->u.obj.len <= INT_MAX ? (int)v->u.obj.len : 0);
		for (size_t i = 0; i < v->u.obj.len; i++) {
			int rc;

			lua_pushstring(L, v->u.obj.items[i].key);
			rc = push_value(L, v->u.obj.items[i].value, mt, depth + 1, err);
			if (rc < 0) {
				lua_pop(L, 2);
				return rc;
			}
			lua_rawset(L, -3);
		}
		return 0;
	}
	return error_set(err, ERR_INVALID, "unknown JSON node type %d", (int)v->type);
}

int json_lua_push(lua_State *L, const struct json *v, struct error *err)
{
	int base = lua_gettop(L), rc;

	if (!lua_checkstack(L, 4))
		return error_set(err, ERR_LIMIT, "Lua stack cannot grow");
	json_lua_push_array_mt(L);
	rc = push_value(L, v, base + 1, 0, err);
	if (rc < 0) {
		lua_settop(L, base);
		return rc;
	}
	lua_remove(L, base + 1); /* the metatable, below the value */
	return 0;
}

/* ---- Lua -> JSON ------------------------------------------------------ */

struct path_seg {
	const char *key;        /* NULL for an array index; valid while on the Lua stack */
	size_t key_len;
	lua_Integer index;
};

struct to_json_ctx {
	lua_State *L;
	struct error *err;
	int mt;                 /* stack index of the array metatable */
	int depth;              /* segments in path[] */
	size_t nodes, bytes;
	const void *tables[JSON_MAX_DEPTH + 1];
	struct path_seg path[JSON_MAX_DEPTH + 1];
};

static bool key_is_ident(const char *k, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (i && ((c >= '0' && c <= '9') || c == '-'))))
			return false;
	}
	return true;
}

/* Writes the current path ("spec.containers[2].image") into out. */
static void format_path(const struct to_json_ctx *c, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	if (!c->depth) {
		snprintf(out, size, "(root)");
		return;
	}
	for (int i = 0; i < c->depth && len < size; i++) {
		const struct path_seg *s = &c->path[i];
		int n;

		if (!s->key) {
			n = snprintf(out + len, size - len, "[%lld]", (long long)s->index);
		} else if (key_is_ident(s->key, s->key_len)) {
			n = snprintf(out + len, size - len, "%s%.*s", i ? "." : "",
				     (int)s->key_len, s->key);
		} else {
			/* bracketed, with quotes and backslashes escaped, shortened */
			char k[JSON_LUA_PATH_KEY_MAX_BYTES * 2 + 4];
			size_t kl = 0;

			for (size_t j = 0; j < s->key_len && j < JSON_LUA_PATH_KEY_MAX_BYTES; j++) {
				char ch = s->key[j];

				if (ch == '"' || ch == '\\')
					k[kl++] = '\\';
				k[kl++] = ch == '\0' ? '?' : ch;
			}
			if (s->key_len > JSON_LUA_PATH_KEY_MAX_BYTES) {
				memcpy(k + kl, "...", 3);
				kl += 3;
			}
			k[kl] = '\0';
			n = snprintf(out + len, size - len, "[\"%s\"]", k);
		}
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static struct json *conv_fail(struct to_json_ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct json *conv_fail(struct to_json_ctx *c, int code, const char *fmt, ...)
{
	char path[ERROR_MSG_MAX_BYTES / 2], msg[ERROR_MSG_MAX_BYTES];
	va_list ap;

	format_path(c, path, sizeof(path));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(c->err, code, "%s: %s", path, msg);
	return NULL;
}

static bool count_node(struct to_json_ctx *c, size_t bytes)
{
	if (++c->nodes > JSON_LUA_MAX_NODES) {
		conv_fail(c, ERR_LIMIT, "more than JSON_LUA_MAX_NODES (%d) values",
			  JSON_LUA_MAX_NODES);
		return false;
	}
	if (bytes > JSON_LUA_MAX_STRING_BYTES - c->bytes) {
		conv_fail(c, ERR_LIMIT, "strings exceed JSON_LUA_MAX_STRING_BYTES (%zu) in total",
			  (size_t)JSON_LUA_MAX_STRING_BYTES);
		return false;
	}
	c->bytes += bytes;
	return true;
}

static struct json *to_json(struct to_json_ctx *c, int idx);

static void path_push_key(struct to_json_ctx *c, const char *key, size_t len)
{
	c->path[c->depth].key = key;
	c->path[c->depth].key_len = len;
	c->path[c->depth].index = 0;
	c->depth++;
}

static void path_push_index(struct to_json_ctx *c, lua_Integer i)
{
	c->path[c->depth].key = NULL;
	c->path[c->depth].key_len = 0;
	c->path[c->depth].index = i;
	c->depth++;
}

static struct json *array_to_json(struct to_json_ctx *c, int idx, lua_Integer n)
{
	lua_State *L = c->L;
	struct json *arr = json_new_array();

	for (lua_Integer i = 1; i <= n; i++) {
		struct json *item;

		lua_rawgeti(L, idx, i);
		path_push_index(c, i);
		item = to_json(c, lua_gettop(L));
		c->depth--;
		lua_pop(L, 1);
		if (!item) {
			json_free(arr);
			return NULL;
		}
		json_array_push_take(arr, item);
	}
	return arr;
}

static struct json *object_to_json(struct to_json_ctx *c, int idx)
{
	lua_State *L = c->L;
	struct json *obj = json_new_object();

	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t klen;
		const char *key = lua_tolstring(L, -2, &klen); /* a string: classified */
		struct json *value;

		path_push_key(c, key, klen);
		if (memchr(key, '\0', klen)) {
			conv_fail(c, ERR_INVALID, "object key contains NUL");
			goto fail;
		}
		if (!json__utf8_valid(key, klen)) {
			conv_fail(c, ERR_INVALID, "object key is not valid UTF-8");
			goto fail;
		}
		if (!count_node(c, klen))
			goto fail;
		value = to_json(c, lua_gettop(L));
		if (!value)
			goto fail;
		c->depth--;
		/* keys of one Lua table are distinct: no lookup needed */
		json_object_append_take(obj, key, value);
		lua_pop(L, 1);
	}
	return obj;
fail:
	c->depth--;
	lua_pop(L, 2);
	json_free(obj);
	return NULL;
}

static struct json *table_to_json(struct to_json_ctx *c, int idx)
{
	lua_State *L = c->L;
	const void *self = lua_topointer(L, idx);
	bool has_array_mt = false;
	lua_Integer n_int = 0, max_int = 0, bad_int = 0;
	bool has_bad_int = false;
	size_t n_str = 0;
	char first_str[40] = "";

	for (int i = 0; i < c->depth; i++)
		if (c->tables[i] == self)
			return conv_fail(c, ERR_INVALID, "cycle: the table contains itself");
	if (c->depth >= JSON_MAX_DEPTH)
		return conv_fail(c, ERR_LIMIT, "nesting deeper than JSON_MAX_DEPTH (%d)",
				 JSON_MAX_DEPTH);
	if (!lua_checkstack(L, 4))
		return conv_fail(c, ERR_LIMIT, "Lua stack cannot grow");
	c->tables[c->depth] = self;

	if (lua_getmetatable(L, idx)) {
		has_array_mt = lua_rawequal(L, -1, c->mt);
		lua_pop(L, 1);
	}

	/* First pass: what kind of keys? */
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		int kt = lua_type(L, -2);

		if (kt == LUA_TSTRING) {
			if (!n_str++)
				snprintf(first_str, sizeof(first_str), "%s", lua_tostring(L, -2));
		} else if (kt == LUA_TNUMBER && lua_isinteger(L, -2)) {
			lua_Integer k = lua_tointeger(L, -2);

			n_int++;
			if (k < 1 && !has_bad_int) {
				has_bad_int = true;
				bad_int = k;
			}
			if (k > max_int)
				max_int = k;
		} else {
			const char *tn = luaL_typename(L, -2);

			lua_pop(L, 2);
			return conv_fail(c, ERR_INVALID, "table key of type %s%s is not allowed "
					 "(object keys are strings, array keys 1..n)", tn,
					 kt == LUA_TNUMBER ? " (non-integral)" : "");
		}
		lua_pop(L, 1);
	}

	if (n_str && (n_int || has_array_mt))
		return conv_fail(c, ERR_INVALID, "table mixes array and object keys "
				 "(\"%s\" next to %s)", first_str,
				 n_int ? "integer keys" : "the array metatable");
	if (n_int && (has_bad_int || max_int != n_int)) {
		if (has_bad_int)
			return conv_fail(c, ERR_INVALID, "array key %lld is not in 1..n",
					 (long long)bad_int);
		return conv_fail(c, ERR_INVALID, "array has holes (%lld values, largest index %lld)",
				 (long long)n_int, (long long)max_int);
	}
	if (n_int || has_array_mt)
		return array_to_json(c, idx, n_int);
	return object_to_json(c, idx);
}

static struct json *to_json(struct to_json_ctx *c, int idx)
{
	lua_State *L = c->L;
	struct json *v;
	const char *s;
	size_t len;
	double d;

	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		if (!count_node(c, 0))
			return NULL;
		return json_new_bool(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (!count_node(c, 0))
			return NULL;
		if (lua_isinteger(L, idx))
			return json_new_int((int64_t)lua_tointeger(L, idx));
		d = (double)lua_tonumber(L, idx);
		if (isnan(d))
			return conv_fail(c, ERR_INVALID, "NaN cannot be converted to JSON");
		if (isinf(d))
			return conv_fail(c, ERR_INVALID, "infinity cannot be converted to JSON");
		/* 3.0 -> 3: Kubernetes rejects 3.0 for an integer field */
		if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
			return json_new_int((int64_t)d);
		return json_new_float(d);
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if (!json__utf8_valid(s, len))
			return conv_fail(c, ERR_INVALID, "string is not valid UTF-8");
		if (!count_node(c, len))
			return NULL;
		return json_new_stringn(s, len);
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == (void *)&json_lua_null_tag) {
			if (!count_node(c, 0))
				return NULL;
			return json_new_null();
		}
		/* fall through */
	case LUA_TUSERDATA:
		return conv_fail(c, ERR_INVALID, "userdata cannot be converted to JSON "
				 "(only json.null)");
	case LUA_TTABLE:
		if (!count_node(c, 0))
			return NULL;
		v = table_to_json(c, idx);
		return v;
	case LUA_TNIL:
		return conv_fail(c, ERR_INVALID, "nil cannot be converted to JSON (use json.null)");
	default:
		return conv_fail(c, ERR_INVALID, "%s cannot be converted to JSON",
				 luaL_typename(L, idx));
	}
}

struct json *json_lua_to_json(lua_State *L, int idx, struct error *err)
{
	struct to_json_ctx c;
	struct json *v;
	int base = lua_gettop(L);

	idx = lua_absindex(L, idx);
	c.L = L;
	c.err = err;
	c.depth = 0;
	c.nodes = c.bytes = 0;
	if (!lua_checkstack(L, 4)) {
		error_set(err, ERR_LIMIT, "Lua stack cannot grow");
		return NULL;
	}
	json_lua_push_array_mt(L);
	c.mt = lua_gettop(L);
	v = to_json(&c, idx);
	lua_settop(L, base);
	return v;
}
