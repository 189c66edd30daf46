/* json_scan.h - walking JSON text without building it.
 *
 * json_parse builds a whole document or fails as a whole. A Kubernetes list
 * or watch event is an envelope around objects written by anyone allowed to
 * create them, so one object that is too deep or too large must not sink
 * the envelope. The scanner finds where a value ends at any depth (nesting
 * is tracked in a heap bit stack, never on the C stack) and hands out the
 * text of each member of an object or item of an array, so that the caller
 * can parse each one on its own, within limits of its own, and skip the one
 * that fails.
 *
 * The scanner checks structure only: brackets balance and match, strings
 * end (escapes are stepped over, not decoded), literals and numbers are made
 * of the right characters. That is enough to find boundaries in any text the
 * API server sends; the contents (UTF-8, escapes, number ranges) are judged
 * by json_parse when the piece is parsed. Texts are length-delimited and
 * need not be NUL-terminated. Nothing here allocates per value.
 */
#ifndef DEVSERVER_JSON_JSON_SCAN_H
#define DEVSERVER_JSON_JSON_SCAN_H

#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"

/* Finds the JSON value at the start of text[0..len) (leading whitespace
 * skipped): it spans text[*start..*end). What follows it is not looked at.
 * 0, or ERR_INVALID with the byte offset in err. */
int json_scan_value(const char *text, size_t len, size_t *start, size_t *end, struct error *err) DS_MUST_USE;

/* key: the member's name decoded (NUL-terminated, valid during the call), or
 * NULL when it is not a valid JSON string (invalid UTF-8, a lone surrogate,
 * a NUL); value, len: the member's value as text. Return 0 to go on, or a
 * negative code (with err filled) to stop the walk with it. */
typedef int (*json_scan_member_fn)(void *ud, const char *key, const char *value, size_t len,
				   struct error *err);
/* index: the item's position; value, len: its text. Same return rule. */
typedef int (*json_scan_item_fn)(void *ud, size_t index, const char *value, size_t len,
				 struct error *err);

/* Calls fn for each member of the object that text[0..len) must consist of
 * (whitespace around it allowed), in text order, duplicates included.
 * 0, ERR_INVALID (not one object, or malformed), or fn's code. */
int json_scan_object(const char *text, size_t len, json_scan_member_fn fn, void *ud, struct error *err) DS_MUST_USE;
/* The same for the items of an array. */
int json_scan_array(const char *text, size_t len, json_scan_item_fn fn, void *ud, struct error *err) DS_MUST_USE;

#endif
