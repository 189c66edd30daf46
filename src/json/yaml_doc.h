/* yaml_doc.h - YAML (1.2 core schema) <-> struct json, via libyaml.
 *
 * Plain scalars resolve by the YAML 1.2 core schema: null, ~ and empty ->
 * null; true/false (and True/TRUE, False/FALSE) -> bool; decimal, 0o octal and
 * 0x hex integers -> int; decimal floats -> float; .inf/.nan -> error (JSON
 * cannot carry them); everything else, and every quoted scalar, is a string
 * ("yes", "on", "0755" stay strings). Mapping keys must be scalars and become
 * strings. Anchors and aliases are expanded with a limit on the number of
 * expanded nodes (YAML_DOC_MAX_NODES), which stops "billion laughs" input.
 * The emitter writes block style, keys sorted, strings quoted whenever a
 * plain scalar would resolve to something else.
 */
#ifndef DEVSERVER_JSON_YAML_DOC_H
#define DEVSERVER_JSON_YAML_DOC_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"

#define YAML_DOC_MAX_NODES 1000000
#define YAML_DOC_MAX_DOCS 10000

/* Parses exactly one document (an empty stream is an error). */
struct json *yaml_doc_parse(const char *text, size_t len, struct error *err);

/* Parses every document of a stream ("---" separated); empty documents are
 * skipped. On success *docs is a heap array of *n trees (free each with
 * json_free, then free the array). */
int yaml_doc_parse_all(const char *text, size_t len, struct json ***docs, size_t *n,
		       struct error *err);

/* Appends v as a YAML document (no leading "---"). 0 or ERR_LIMIT. */
int yaml_doc_encode(const struct json *v, struct buf *out, struct error *err);

#endif
