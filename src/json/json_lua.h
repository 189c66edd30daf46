/* json_lua.h - converting between struct json trees and Lua values.
 *
 * Mapping: null <-> json.null (a unique light userdata exposed to Lua),
 * bool <-> boolean, int <-> integer, float <-> float, string <-> string,
 * array <-> table carrying the array metatable, object <-> table.
 * From Lua to JSON a table is an array when it has the array metatable or
 * when its keys are exactly 1..n (n >= 1); an empty plain table is an object;
 * a table mixing both kinds of keys, a non-string non-sequence key, a
 * function, a userdata other than null, a NaN or infinity, a cycle, or depth
 * beyond JSON_MAX_DEPTH is an error naming the path ("spec.containers[2].x").
 * A float with an integral value (3.0) converts to JSON_INT, because Lua
 * arithmetic turns integers into floats easily and Kubernetes rejects 3.0 for
 * an integer field.
 *
 * Array indices in error paths are Lua's (1-based), since the message is read
 * by the author of the Lua table; keys that are not plain identifiers are
 * bracketed and escaped (quotes, backslashes, control characters and bytes
 * that are not UTF-8 as \xNN), so a message is always one line of valid
 * UTF-8: metadata.labels["app.kubernetes.io/name"]. Paths longer than
 * JSON_LUA_PATH_MAX_BYTES keep their start and end around "...". Strings must
 * be valid UTF-8 and keys must not contain NUL. Tables are read raw (no
 * metamethods).
 *
 * Lua -> JSON is bounded while it converts, not after: values, a lower bound
 * of the encoded text, and the C heap of the tree being built are counted
 * as each node is made, and the first limit of struct json_lua_limits that
 * would be passed stops the conversion with ERR_LIMIT before allocating.
 *
 * Both directions use lua_checkstack and may raise Lua errors (memory), so
 * call them inside a protected call; they report conversion problems through
 * err rather than lua_error. JSON -> Lua allocates only Lua objects, so the
 * Lua state's allocator (the policy's memory cap) counts all of it.
 */
#ifndef DEVSERVER_JSON_JSON_LUA_H
#define DEVSERVER_JSON_JSON_LUA_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

/* Registry keys; the null sentinel is a light userdata. */
#define JSON_LUA_ARRAY_MT "devserver.json.array"

/* Limits of one Lua -> JSON conversion. Lua values can share subtables and
 * strings, so a small table can stand for a huge tree ({t, t} doubled 60
 * times, one string referenced a million times): what the conversion would
 * create is counted, not what Lua holds. The defaults match a policy render
 * (at most POLICY_RENDER_MAX_BYTES of JSON, validate.h).
 *  - nodes: every value, and every object key;
 *  - text bytes: a lower bound of the compact encoding of everything below
 *    the root (strings and keys with their quotes, integers' digits, literals,
 *    brackets, commas and colons; escapes and float digits are not counted),
 *    so a value refused here could not have passed an encoded-size check;
 *  - alloc bytes: the C heap the tree takes, each allocation rounded up as
 *    glibc's malloc does (JSON_LUA_CHUNK_BYTES), checked before allocating. */
#define JSON_LUA_MAX_NODES 50000
#define JSON_LUA_MAX_TEXT_BYTES (1024u * 1024)
#define JSON_LUA_MAX_ALLOC_BYTES (8u * 1024 * 1024)
#define JSON_LUA_PATH_MAX_BYTES 160   /* error paths are shortened past this */

struct json_lua_limits {
	size_t max_nodes;
	size_t max_text_bytes;
	size_t max_alloc_bytes;
};

/* What one conversion counted, whether it succeeded or not. */
struct json_lua_usage {
	size_t nodes;
	size_t text_bytes;
	size_t alloc_bytes;
	bool alloc_exceeded;   /* it stopped on max_alloc_bytes */
};

/* Fills l with the JSON_LUA_MAX_* defaults. */
void json_lua_limits_default(struct json_lua_limits *l);

/* Creates the array metatable in the registry (idempotent). Call once per state. */
void json_lua_init(lua_State *L);
/* Pushes the null sentinel / the array metatable. */
void json_lua_push_null(lua_State *L);
void json_lua_push_array_mt(lua_State *L);

/* Pushes v as a Lua value. Returns 0, or ERR_LIMIT (nothing pushed) when the
 * stack cannot grow. */
int json_lua_push(lua_State *L, const struct json *v, struct error *err) DS_MUST_USE;

/* Converts the value at idx within the default limits; returns a new tree
 * or NULL with err set. */
struct json *json_lua_to_json(lua_State *L, int idx, struct error *err) DS_MUST_USE;

/* The same within limits (NULL: the defaults); usage (may be NULL) gets what
 * was counted. A limit error is ERR_LIMIT naming the path where it hit. */
struct json *json_lua_to_json_limited(lua_State *L, int idx, const struct json_lua_limits *limits,
				      struct json_lua_usage *usage, struct error *err);

#endif
