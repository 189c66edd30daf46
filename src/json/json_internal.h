/* json_internal.h - helpers shared by json.c, json_lua.c and yaml_doc.c only.
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

#endif
