/* yaml_doc.h - YAML (1.2 core schema) <-> struct json, via libyaml.
 *
 * Plain scalars resolve by the YAML 1.2 core schema: null, ~ and empty ->
 * null; true/false (and True/TRUE, False/FALSE) -> bool; decimal, 0o octal and
 * 0x hex integers -> int; decimal floats -> float; .inf/.nan -> error (JSON
 * cannot carry them); everything else, and every quoted scalar, is a string
 * ("yes", "on", "off" stay strings). Per the 1.2 core regex [-+]?[0-9]+,
 * "0755" is the decimal integer 755 (not YAML 1.1's octal 493): write 0o755
 * or quote it. Decimal integers past int64 become floats, as in json_parse.
 * Explicit tags !!str, !!int, !!float, !!bool, !!null, !!seq, !!map and the
 * non-specific "!" are honoured; any other tag is an error. Mapping keys must
 * be scalars and become strings (their text as written); a key repeated in
 * one mapping is an error. Anchors and aliases are expanded with a limit on
 * the number of expanded nodes (YAML_DOC_MAX_NODES) and on the string bytes
 * that aliases copy (YAML_DOC_MAX_ALIAS_BYTES), which stops "billion laughs"
 * input. Merge keys ("<<") are YAML 1.1 and are not special.
 *
 * The emitter writes block style, keys sorted, strings quoted whenever a
 * plain scalar would resolve to something else under the 1.2 core schema or
 * under YAML 1.1 (yes/no/on/off/y/n, numeric-looking text like 0755, 1_000,
 * 12:30), so YAML 1.1 readers such as kubectl read the same document.
 * Multi-line strings use block literal style when libyaml allows it.
 */
#ifndef DEVSERVER_JSON_YAML_DOC_H
#define DEVSERVER_JSON_YAML_DOC_H

#include <stddef.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"

#define YAML_DOC_MAX_NODES 1000000
#define YAML_DOC_MAX_DOCS 10000
#define YAML_DOC_MAX_ALIAS_BYTES JSON_MAX_DOC_BYTES /* copied by aliases, per stream */

/* Parses exactly one document (an empty stream is an error). */
struct json *yaml_doc_parse(const char *text, size_t len, struct error *err) DS_MUST_USE;

/* Parses every document of a stream ("---" separated); empty documents are
 * skipped. On success *docs is a heap array of *n trees (free each with
 * json_free, then free the array). */
int yaml_doc_parse_all(const char *text, size_t len, struct json ***docs, size_t *n,
		       struct error *err) DS_MUST_USE;

/* Appends v as a YAML document (no leading "---"). 0 or ERR_LIMIT (out's
 * ceiling, or nesting past JSON_MAX_DEPTH); ERR_INVALID for a string that is
 * not valid UTF-8 (possible only in trees built from C). On error out is left
 * as it was. */
int yaml_doc_encode(const struct json *v, struct buf *out, struct error *err) DS_MUST_USE;

#endif
