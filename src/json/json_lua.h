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
 * bracketed: metadata.labels["app.kubernetes.io/name"]. Strings must be valid
 * UTF-8 and keys must not contain NUL. Tables are read raw (no metamethods).
 *
 * Both directions use lua_checkstack and may raise Lua errors (memory), so
 * call them inside a protected call; they report conversion problems through
 * err rather than lua_error.
 */
#ifndef DEVSERVER_JSON_JSON_LUA_H
#define DEVSERVER_JSON_JSON_LUA_H

#include <lua.h>

#include "core/error.h"
#include "json/json.h"

/* Registry keys; the null sentinel is a light userdata. */
#define JSON_LUA_ARRAY_MT "devserver.json.array"

/* Lua values can share subtables and strings, so a small table can stand for
 * a huge tree ({t, t} doubled 60 times). Converting to JSON counts what it
 * creates and stops with ERR_LIMIT past these. */
#define JSON_LUA_MAX_NODES 1000000
#define JSON_LUA_MAX_STRING_BYTES JSON_MAX_DOC_BYTES

/* Creates the array metatable in the registry (idempotent). Call once per state. */
void json_lua_init(lua_State *L);
/* Pushes the null sentinel / the array metatable. */
void json_lua_push_null(lua_State *L);
void json_lua_push_array_mt(lua_State *L);

/* Pushes v as a Lua value. Returns 0, or ERR_LIMIT (nothing pushed) when the
 * stack cannot grow. */
int json_lua_push(lua_State *L, const struct json *v, struct error *err);

/* Converts the value at idx; returns a new tree or NULL with err set. */
struct json *json_lua_to_json(lua_State *L, int idx, struct error *err);

#endif
