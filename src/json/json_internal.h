/* json_internal.h - helpers shared by json.c, json_parse.c, json_encode.c,
 * json_lua.c and yaml_doc.c only.
 *
 * Not part of the module's interface: the double-underscore prefix (libuv's
 * `uv__`) marks them as internal to src/json.
 */
#ifndef DEVSERVER_JSON_JSON_INTERNAL_H
#define DEVSERVER_JSON_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "json/json.h"

/* Big enough for "-1.2345678901234567e-308" plus ".0" and the NUL. */
#define JSON__NUMBER_BYTES 40

/* Writes the shortest text that reads back as exactly d (tries %.15g,
 * %.16g, %.17g in the C locale), with ".0" appended when the text would read
 * back as an integer. d must be finite. Returns the length. */
size_t json__format_double(double d, char out[JSON__NUMBER_BYTES]);

/* strtod in the C locale whatever the process locale is. */
double json__strtod(const char *s, char **end);

/* Fills out[0..obj->u.obj.len) with the members of obj sorted bytewise by
 * key (the canonical order). */
void json__sort_members(const struct json *obj, const struct json_member **out);

/* Returns a key that occurs more than once in obj, or NULL. O(n log n). */
const char *json__object_find_duplicate(const struct json *obj);

/* The model's constructors the parser builds with, not in json.h because
 * they skip a copy or a check. json__new_string_take takes ownership of ptr
 * (heap, NUL-terminated at len); json__object_append_raw appends a member
 * whose key the caller already allocated (ownership of both moves to obj)
 * without looking for an existing key. */
struct json *json__new_string_take(char *ptr, size_t len);
void json__object_append_raw(struct json *obj, char *key, struct json *value);

/* One allocation per node, for builders that know a container's final size
 * (the Lua bridge): the node and its items, or its members and the text of
 * their keys, live in one block, which json_free releases at once (strings
 * made by json_new_stringn always hold their bytes that way). A container
 * made this way still grows (the items move to the heap on the first append
 * past n; keys stay where they are).
 *  - json__new_array_sized: room for n items (len 0).
 *  - json__new_object_sized: room for n members (len 0) and key_bytes of
 *    key text (each key's length plus its NUL); *keys receives where that
 *    text goes. A block past JSON__OBJECT_BLOCK_MAX_BYTES (inline_bytes is
 *    32 bits) is not made: the members go to the heap as before and *keys
 *    is NULL.
 *  - json__object_append_key: appends key (klen bytes, no NUL inside) by
 *    copying it to *keys (advanced past it) when *keys is not NULL, else to
 *    the heap; like json__object_append_raw it does not look for an
 *    existing key, and the caller keeps the key text within key_bytes.
 * json__node_block_bytes(type, n, extra) is the size of the block these
 * constructors take (extra: a string's length, or an object's key_bytes),
 * so a builder can charge it before it builds. */
#define JSON__OBJECT_BLOCK_MAX_BYTES (16u * 1024 * 1024)
size_t json__node_block_bytes(enum json_type type, size_t n, size_t extra_bytes);
struct json *json__new_array_sized(size_t n);
struct json *json__new_object_sized(size_t n, size_t key_bytes, char **keys);
void json__object_append_key(struct json *obj, char **keys, const char *key, size_t klen,
			     struct json *value);

/* Frees a member's key unless it is text in obj's own block (the parser's
 * duplicate-key pass). */
void json__key_free(const struct json *obj, char *key);

/* inline_bytes of every frozen node (json_frozen.c): no thawed node's block
 * comes near 2 GiB (JSON__OBJECT_BLOCK_MAX_BYTES). json_free hands a frozen
 * node to json__frozen_release, which drops one reference to it. */
#define JSON__FROZEN 0x80000000u
void json__frozen_release(struct json *v);

#endif
