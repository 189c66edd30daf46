/* json_lua.c - struct json <-> Lua values (see json_lua.h for the mapping).
 *
 * Why this way: policies build manifests as Lua tables, and Lua cannot tell
 * [] from {} or 1 from 1.0 on its own. Arrays carry one shared metatable
 * from the registry and null is one light userdata, so both survive a round
 * trip; an empty plain table is an object, which is what Kubernetes wants
 * for `{}` and what a policy writing `labels = {}` means.
 *
 * Lua -> JSON walks each table twice: once to classify its keys (sequence,
 * string keys, or a mix, which is an error) and count them, and once to
 * convert. It keeps the path of keys and indices as it descends so errors
 * can say exactly where the bad value is, and the tables on that path for
 * cycle detection (at most JSON_MAX_DEPTH pointers, a linear scan is
 * cheapest). Shared subtables that are not cycles are legal and are copied
 * once per place, but can make a tiny Lua value stand for an enormous tree,
 * so every node is charged before it is made: one value, its minimal JSON
 * text, and the malloc chunks it takes (containers are sized exactly from
 * the first pass, so the count is what the tree really holds). Each node is
 * one malloc: a string with its bytes, an array with its items, an object
 * with its members and the text of its keys (json_internal.h), because a
 * malloc and a free per key and per string were a fifth of the
 * conversion. The first
 * pass already charges a table's entries, so a table of a million entries
 * stops after the first JSON_LUA_MAX_NODES of them instead of being walked
 * whole. Before this the limits were checked on strings and nodes only, at
 * 64 MiB and 10^6: a policy within its 32 MiB Lua cap could make the bridge
 * allocate about 150 MB of C heap.
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

#include "core/utf8.h"
#include "json/json_internal.h"

/* The null sentinel is the address of this byte: unique per process, and
 * the same in every Lua state. */
static const char json_lua_null_tag;

/* A quoted key in a message, quotes and "..." included: every path segment
 * fits in half of JSON_LUA_PATH_MAX_BYTES */
#define JSON_LUA_PATH_KEY_MAX_BYTES 64
#define JSON_LUA_SEG_MAX_BYTES (JSON_LUA_PATH_KEY_MAX_BYTES + 8)   /* [], the NUL */

/* What malloc takes for n bytes on 64-bit glibc: 8 bytes of header, rounded
 * up to 16, at least 32. An estimate on other allocators, but the limit is
 * about orders of magnitude, not bytes. */
#define JSON_LUA_CHUNK_BYTES(n) ((n) + 8 <= 32 ? (size_t)32 : ((size_t)(n) + 8 + 15) & ~(size_t)15)

void json_lua_limits_default(struct json_lua_limits *l)
{
	l->max_nodes = JSON_LUA_MAX_NODES;
	l->max_text_bytes = JSON_LUA_MAX_TEXT_BYTES;
	l->max_alloc_bytes = JSON_LUA_MAX_ALLOC_BYTES;
}

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
	struct json_lua_limits lim;
	struct json_lua_usage *use;
	int mt;                 /* stack index of the array metatable */
	int depth;              /* segments in path[] */
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

/* Writes key into out (JSON_LUA_PATH_KEY_MAX_BYTES + 1) as quoted, escaped,
 * valid UTF-8 text, shortened with "..." to fit. Returns the length. */
static size_t quote_key(const char *key, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	/* room for the piece being added plus the closing ..." */
	const size_t stop = JSON_LUA_PATH_KEY_MAX_BYTES - 4;
	size_t n = 0, i = 0;

	out[n++] = '"';
	while (i < len) {
		unsigned char ch = (unsigned char)key[i];
		size_t seq = ch >= 0x80 ? utf8_seq_len(key + i, len - i) : 1;
		char piece[4];
		size_t plen;

		if (ch >= 0x80 && seq > 1) {
			plen = seq;
			memcpy(piece, key + i, seq);
		} else if (ch == '"' || ch == '\\') {
			plen = 2;
			piece[0] = '\\';
			piece[1] = (char)ch;
		} else if (ch == '\n' || ch == '\t' || ch == '\r') {
			plen = 2;
			piece[0] = '\\';
			piece[1] = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
		} else if (ch < 0x20 || ch == 0x7f || ch >= 0x80) {
			plen = 4;
			piece[0] = '\\';
			piece[1] = 'x';
			piece[2] = hex[ch >> 4];
			piece[3] = hex[ch & 15];
			seq = 1;
		} else {
			plen = 1;
			piece[0] = (char)ch;
		}
		if (n + plen > stop) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(out + n, piece, plen);
		n += plen;
		i += ch >= 0x80 ? seq : 1;
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

/* Writes segment s into out (JSON_LUA_SEG_MAX_BYTES); first: no leading dot
 * before an identifier. Returns the length. */
static size_t seg_text(const struct path_seg *s, bool first, char *out)
{
	int n;

	if (!s->key)
		n = snprintf(out, JSON_LUA_SEG_MAX_BYTES, "[%lld]", (long long)s->index);
	else if (key_is_ident(s->key, s->key_len) && s->key_len < JSON_LUA_PATH_KEY_MAX_BYTES)
		n = snprintf(out, JSON_LUA_SEG_MAX_BYTES, "%s%.*s", first ? "" : ".",
			     (int)s->key_len, s->key);
	else {
		out[0] = '[';
		n = (int)quote_key(s->key, s->key_len, out + 1) + 1;
		out[n++] = ']';
		out[n] = '\0';
	}
	return n > 0 ? (size_t)n : 0;
}

/* Writes the current path ("spec.containers[2].image") into out (at least
 * JSON_LUA_PATH_MAX_BYTES + 1 bytes). A longer path keeps as many whole
 * segments from its start and its end as fit in half the room each, joined
 * by "...": [1].data[1][1][1]...[1][1].name. */
static void format_path(const struct to_json_ctx *c, char *out)
{
	char seg[JSON_LUA_SEG_MAX_BYTES];
	size_t len = 0, total = 0, half = JSON_LUA_PATH_MAX_BYTES / 2, tail = 0;
	int i, head_end = 0, tail_start = c->depth;

	if (!c->depth) {
		snprintf(out, JSON_LUA_PATH_MAX_BYTES + 1, "(root)");
		return;
	}
	for (i = 0; i < c->depth; i++)
		total += seg_text(&c->path[i], i == 0, seg);
	if (total <= JSON_LUA_PATH_MAX_BYTES) {
		head_end = c->depth;
	} else {
		for (size_t head = 0; head_end < c->depth; head_end++) {
			size_t n = seg_text(&c->path[head_end], head_end == 0, seg);

			if (head + n > half)
				break;
			head += n;
		}
		/* measured with its dot: printed, only the tail's first segment
		 * goes without one */
		while (tail_start > head_end) {
			size_t n = seg_text(&c->path[tail_start - 1], false, seg);

			if (tail + n + 3 > half)
				break;
			tail += n;
			tail_start--;
		}
	}
	out[0] = '\0';
	for (i = 0; i < head_end; i++) {
		size_t n = seg_text(&c->path[i], i == 0, seg);

		memcpy(out + len, seg, n + 1);
		len += n;
	}
	if (head_end < c->depth) {
		memcpy(out + len, "...", 4);
		len += 3;
		for (i = tail_start; i < c->depth; i++) {
			size_t n = seg_text(&c->path[i], i == tail_start, seg);

			memcpy(out + len, seg, n + 1);
			len += n;
		}
	}
}

static struct json *conv_fail(struct to_json_ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct json *conv_fail(struct to_json_ctx *c, int code, const char *fmt, ...)
{
	char path[JSON_LUA_PATH_MAX_BYTES + 1], msg[ERROR_MSG_MAX_BYTES];
	va_list ap;

	format_path(c, path);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(c->err, code, "%s: %s", path, msg);
	return NULL;
}

/* Charges one node that takes text bytes of JSON and alloc bytes of C heap
 * (already rounded to chunks); false (err set) when a limit would pass. */
static bool charge(struct to_json_ctx *c, size_t text, size_t alloc)
{
	struct json_lua_usage *u = c->use;

	if (u->nodes >= c->lim.max_nodes) {
		conv_fail(c, ERR_LIMIT, "more than %zu values", c->lim.max_nodes);
		return false;
	}
	if (text > c->lim.max_text_bytes - u->text_bytes) {
		conv_fail(c, ERR_LIMIT, "more than %zu bytes of JSON", c->lim.max_text_bytes);
		return false;
	}
	if (alloc > c->lim.max_alloc_bytes - u->alloc_bytes) {
		u->alloc_exceeded = true;
		conv_fail(c, ERR_LIMIT, "the converted tree needs more than %zu bytes of memory",
			  c->lim.max_alloc_bytes);
		return false;
	}
	u->nodes++;
	u->text_bytes += text;
	u->alloc_bytes += alloc;
	return true;
}

#define NODE_BYTES JSON_LUA_CHUNK_BYTES(sizeof(struct json))

static size_t int_digits(lua_Integer i)
{
	lua_Unsigned u = i < 0 ? 0u - (lua_Unsigned)i : (lua_Unsigned)i;
	size_t n = i < 0 ? 2 : 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
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
	struct json *arr = json__new_array_sized((size_t)n);

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

/* key_bytes: the keys' lengths plus their NULs, from the first pass. */
static struct json *object_to_json(struct to_json_ctx *c, int idx, size_t n, size_t key_bytes)
{
	lua_State *L = c->L;
	char *keys;
	struct json *obj = json__new_object_sized(n, key_bytes, &keys);

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
		if (!utf8_valid(key, klen)) {
			conv_fail(c, ERR_INVALID, "object key is not valid UTF-8");
			goto fail;
		}
		/* the key's quotes and colon; its copy, unless it went into
		 * the object's block (charged with the object) */
		if (!charge(c, klen + 3, keys ? 0 : JSON_LUA_CHUNK_BYTES(klen + 1)))
			goto fail;
		value = to_json(c, lua_gettop(L));
		if (!value)
			goto fail;
		c->depth--;
		/* keys of one Lua table are distinct: no lookup needed */
		json__object_append_key(obj, &keys, key, klen, value);
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
	size_t n_str = 0, key_bytes = 0, room, n, text, alloc;
	const char *first_str = NULL;
	size_t first_len = 0;

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

	/* First pass: what kind of keys, and how many. Each entry will make
	 * at least one node (two for a key and its value), so a table with
	 * more entries than the nodes left is refused without walking it all. */
	room = c->lim.max_nodes - c->use->nodes;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		int kt = lua_type(L, -2);

		if (kt == LUA_TSTRING) {
			size_t klen;
			const char *k = lua_tolstring(L, -2, &klen);

			if (!n_str++) {
				first_str = k;
				first_len = klen;
			}
			key_bytes += klen + 1;
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
		if ((size_t)n_int + 2 * n_str > room) {
			lua_pop(L, 1);
			return conv_fail(c, ERR_LIMIT, "more than %zu values", c->lim.max_nodes);
		}
	}

	if (n_str && (n_int || has_array_mt)) {
		char k[JSON_LUA_SEG_MAX_BYTES];

		/* first_str is still a key of the table, so still valid */
		quote_key(first_str, first_len, k);
		return conv_fail(c, ERR_INVALID, "table mixes array and object keys "
				 "(%s next to %s)", k,
				 n_int ? "integer keys" : "the array metatable");
	}
	if (n_int && (has_bad_int || max_int != n_int)) {
		if (has_bad_int)
			return conv_fail(c, ERR_INVALID, "array key %lld is not in 1..n",
					 (long long)bad_int);
		return conv_fail(c, ERR_INVALID, "array has holes (%lld values, largest index %lld)",
				 (long long)n_int, (long long)max_int);
	}
	/* the table's node: brackets and commas (not the root's: an
	 * encoded-size check counts the objects of a list one by one), and its
	 * item or member array */
	/* the node and its items, or its members and their keys, are one
	 * block (json__new_array_sized, json__new_object_sized) */
	n = n_int ? (size_t)n_int : n_str;
	text = c->depth ? 2 + (n ? n - 1 : 0) : 0;
	if (!n)
		alloc = NODE_BYTES;
	else if (n_int)
		alloc = JSON_LUA_CHUNK_BYTES(json__node_block_bytes(JSON_ARRAY, n, 0));
	else if (json__node_block_bytes(JSON_OBJECT, n, key_bytes) <= JSON__OBJECT_BLOCK_MAX_BYTES)
		alloc = JSON_LUA_CHUNK_BYTES(json__node_block_bytes(JSON_OBJECT, n, key_bytes));
	else    /* too big for one block: the keys are charged one by one */
		alloc = NODE_BYTES + JSON_LUA_CHUNK_BYTES(n * sizeof(struct json_member));
	if (!charge(c, text, alloc))
		return NULL;
	if (n_int || has_array_mt)
		return array_to_json(c, idx, n_int);
	return object_to_json(c, idx, n_str, key_bytes);
}

static struct json *to_json(struct to_json_ctx *c, int idx)
{
	lua_State *L = c->L;
	const char *s;
	size_t len;
	double d;

	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		if (!charge(c, lua_toboolean(L, idx) ? 4 : 5, NODE_BYTES))
			return NULL;
		return json_new_bool(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			if (!charge(c, int_digits(lua_tointeger(L, idx)), NODE_BYTES))
				return NULL;
			return json_new_int((int64_t)lua_tointeger(L, idx));
		}
		d = (double)lua_tonumber(L, idx);
		if (isnan(d))
			return conv_fail(c, ERR_INVALID, "NaN cannot be converted to JSON");
		if (isinf(d))
			return conv_fail(c, ERR_INVALID, "infinity cannot be converted to JSON");
		if (!charge(c, 1, NODE_BYTES))
			return NULL;
		/* 3.0 -> 3: Kubernetes rejects 3.0 for an integer field */
		if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
			return json_new_int((int64_t)d);
		return json_new_float(d);
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if (!utf8_valid(s, len))
			return conv_fail(c, ERR_INVALID, "string is not valid UTF-8");
		if (!charge(c, len + 2, JSON_LUA_CHUNK_BYTES(json__node_block_bytes(JSON_STRING, 0, len))))
			return NULL;
		return json_new_stringn(s, len);
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == (void *)&json_lua_null_tag) {
			if (!charge(c, 4, NODE_BYTES))
				return NULL;
			return json_new_null();
		}
		/* fall through */
	case LUA_TUSERDATA:
		return conv_fail(c, ERR_INVALID, "userdata cannot be converted to JSON "
				 "(only json.null)");
	case LUA_TTABLE:
		return table_to_json(c, idx);
	case LUA_TNIL:
		return conv_fail(c, ERR_INVALID, "nil cannot be converted to JSON (use json.null)");
	default:
		return conv_fail(c, ERR_INVALID, "%s cannot be converted to JSON",
				 luaL_typename(L, idx));
	}
}

struct json *json_lua_to_json_limited(lua_State *L, int idx, const struct json_lua_limits *limits,
				      struct json_lua_usage *usage, struct error *err)
{
	struct json_lua_usage local;
	struct to_json_ctx c;
	struct json *v;
	int base = lua_gettop(L);

	idx = lua_absindex(L, idx);
	c.L = L;
	c.err = err;
	if (limits)
		c.lim = *limits;
	else
		json_lua_limits_default(&c.lim);
	c.use = usage ? usage : &local;
	memset(c.use, 0, sizeof(*c.use));
	c.depth = 0;
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

struct json *json_lua_to_json(lua_State *L, int idx, struct error *err)
{
	return json_lua_to_json_limited(L, idx, NULL, NULL, err);
}
