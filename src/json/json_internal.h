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

#endif
