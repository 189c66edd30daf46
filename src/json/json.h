/* json.h - a small JSON document model, strict parser and canonical encoder.
 *
 * Every Kubernetes object the host handles (API responses, watch events, the
 * cache, rendered manifests) is a `struct json` tree. Integers and floats are
 * distinct (JSON_INT keeps int64 exactly; a number with a fraction or exponent
 * is JSON_FLOAT). Objects keep insertion order in memory; the encoder writes
 * keys sorted bytewise, so equal documents encode to identical bytes and a
 * render can be hashed. NaN and infinities are never produced or accepted.
 *
 * Ownership: a node owns its children. Functions named `_take` take ownership
 * of their node argument; everything else borrows. json_free accepts NULL.
 * A node's string bytes, item array and member keys may live in the node's
 * own allocation (the Lua bridge builds them so): move whole nodes between
 * containers, never a string pointer, an item array or a key.
 */
#ifndef DEVSERVER_JSON_JSON_H
#define DEVSERVER_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"

#define JSON_MAX_DEPTH 128                       /* nesting levels */
#define JSON_MAX_DOC_BYTES (64u * 1024 * 1024)   /* one parsed document */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,
	JSON_FLOAT,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json;

struct json_member {
	char *key;          /* NUL-terminated; JSON keys with NUL are rejected */
	struct json *value;
};

struct json {
	enum json_type type;
	/* Bytes from the node's address that its own allocation covers: 0, or
	 * the size of a node made with its string, items, or members and keys
	 * in the same block (json_internal.h); its high bit marks a frozen
	 * node (json_freeze_take). Read by src/json only. */
	uint32_t inline_bytes;
	union {
		bool b;
		int64_t i;
		double f;
		struct { char *ptr; size_t len; } str; /* NUL-terminated, may contain NUL */
		struct { struct json **items; size_t len, cap; } arr;
		struct { struct json_member *items; size_t len, cap; } obj;
	} u;
};

/* Parsing. Returns a new tree or NULL with err set (ERR_INVALID with the byte
 * offset, ERR_LIMIT past JSON_MAX_DEPTH / JSON_MAX_DOC_BYTES). Strict RFC 8259:
 * no trailing commas, comments, NaN; invalid UTF-8 and lone surrogates are
 * rejected; duplicate keys: the last one wins. Integers that overflow int64
 * become JSON_FLOAT. */
struct json *json_parse(const char *text, size_t len, struct error *err) DS_MUST_USE;

/* Limits of one parse, tighter than the defaults. */
struct json_limits {
	int max_depth;      /* nesting levels; <= 0 or > JSON_MAX_DEPTH: JSON_MAX_DEPTH */
	size_t max_nodes;   /* values built (objects, arrays, scalars); 0: no limit */
};

/* json_parse within lim (NULL: the defaults). *nodes (may be NULL) receives
 * the number of values built. ERR_LIMIT past either limit, with the byte
 * offset: a caller that must survive hostile documents sets max_nodes, so
 * that a document of many small keys costs at most that many nodes before
 * it is refused. */
struct json *json_parse_limited(const char *text, size_t len, const struct json_limits *lim,
				size_t *nodes, struct error *err) DS_MUST_USE;

/* The number of values in a tree and its nesting depth (a scalar is depth
 * 0, [] and [1] are 1), for limits on trees that were not just parsed.
 * Counting stops descending past JSON_MAX_DEPTH (depth then reads
 * JSON_MAX_DEPTH + 1). */
struct json_shape {
	size_t nodes;
	int depth;
};
void json_shape(const struct json *v, struct json_shape *out);

void json_free(struct json *v);
struct json *json_clone(const struct json *v) DS_MUST_USE;

/* Frozen trees: read-only, and equal subtrees stored once per process.
 * json_freeze_take moves the tree v (ownership passes) into the process's
 * store of frozen nodes and returns its frozen copy: every subtree equal to
 * one already frozen (the same scalar; the same keys in the same order over
 * equal children) is that one, shared. The caches keep their objects this
 * way: a thousand DevServers' children differ in a few names and UIDs. A
 * frozen tree is read, cloned, encoded, hashed and compared like any other;
 * json_free releases the caller's reference, on the root it was given only
 * (a subtree's references belong to its parent). Changing a frozen node
 * aborts with a message: such a call is a bug, and it would change every
 * tree that shares the node. json_clone of a frozen tree is an ordinary
 * tree. Returns v itself when it is already frozen. Thread-safe. */
struct json *json_freeze_take(struct json *v) DS_MUST_USE;
bool json_is_frozen(const struct json *v);

/* The store's distinct nodes and the bytes of their blocks. */
struct json_frozen_stats {
	size_t nodes;
	size_t bytes;
};
void json_frozen_stats(struct json_frozen_stats *out);
/* Structural equality; objects compare as unordered maps, 1 and 1.0 differ. */
bool json_equal(const struct json *a, const struct json *b);

/* Constructors (never NULL; abort on out-of-memory like mem_alloc). */
struct json *json_new_null(void);
struct json *json_new_bool(bool b);
struct json *json_new_int(int64_t i);
struct json *json_new_float(double f);   /* caller guarantees finite */
struct json *json_new_string(const char *s);
struct json *json_new_stringn(const char *s, size_t len);
struct json *json_new_array(void);
struct json *json_new_object(void);

/* Containers. */
void json_array_push_take(struct json *arr, struct json *item);
/* Sets key (replacing and freeing an existing value). */
void json_object_set_take(struct json *obj, const char *key, struct json *value);
/* Appends key without looking for an existing one, for builders that already
 * know the keys are distinct (a Lua table, a checked YAML mapping); O(1)
 * amortized where json_object_set_take is O(n). A duplicate added this way
 * breaks json_get and json_equal, so only use it when keys are unique. */
void json_object_append_take(struct json *obj, const char *key, struct json *value);
/* Grow the capacity to at least n items/members in one allocation, for
 * builders that know the final size (json_lua counts what it allocates). */
void json_array_reserve(struct json *arr, size_t n);
void json_object_reserve(struct json *obj, size_t n);
/* Removes key if present; returns true if it was there. */
bool json_object_remove(struct json *obj, const char *key);

/* Lookups; NULL when absent or when v is not an object. */
struct json *json_get(const struct json *obj, const char *key);
/* Walks NULL-terminated keys: json_path(o, "metadata", "name", NULL). */
struct json *json_path(const struct json *v, ...) __attribute__((sentinel));
/* Typed lookups: NULL / the fallback when absent or of another type. */
const char *json_get_string(const struct json *obj, const char *key);
int64_t json_get_int(const struct json *obj, const char *key, int64_t fallback);
bool json_get_bool(const struct json *obj, const char *key, bool fallback);

/* Encoding. Canonical: keys sorted bytewise, no insignificant whitespace,
 * shortest round-trip floats ("%.17g" trimmed), integral floats written with
 * ".0" so the type survives a round trip, strings escaped minimally (", \,
 * control characters; non-ASCII UTF-8 passes through). JSON_ENCODE_PRETTY
 * indents by two spaces. Returns 0 or ERR_LIMIT when out's ceiling is hit. */
enum { JSON_ENCODE_PRETTY = 1 };
int json_encode(const struct json *v, struct buf *out, int flags) DS_MUST_USE;
/* Convenience: heap string (caller frees) or NULL past max_bytes. */
char *json_encode_str(const struct json *v, size_t max_bytes, int flags) DS_MUST_USE;

/* The length of json_encode's compact output, counted without building it
 * (SIZE_MAX past JSON_MAX_DEPTH): for size limits. */
size_t json_encoded_size(const struct json *v);

/* 64-bit FNV-1a of the canonical encoding: a cheap change detector used to
 * skip writing objects that did not change. */
uint64_t json_hash(const struct json *v);

#endif
