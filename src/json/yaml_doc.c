/* yaml_doc.c - YAML streams <-> struct json through libyaml's event API
 * (see yaml_doc.h for the schema and limits).
 *
 * Why events and not libyaml's document loader: the loader replaces a
 * missing tag with !!str, so `!!str 123` and a plain `123` look the same
 * afterwards, and it shares aliased nodes, which we would have to expand
 * ourselves anyway. With events we see the raw tag and style of each
 * scalar, and we build the tree with an explicit stack of open containers
 * (at most JSON_MAX_DEPTH), so there is no recursion on input.
 *
 * Aliases: an anchor is registered when its node closes, with the number of
 * nodes (values: scalars and containers, not keys) and string bytes (keys
 * included) under it; an alias is a deep copy, charged against
 * YAML_DOC_MAX_NODES and YAML_DOC_MAX_ALIAS_BYTES *before* copying, so a
 * "billion laughs" stream fails after a few kilobytes of work. An alias to an
 * anchor still open (a recursive structure) finds no anchor and is an error.
 * Anchors live in a small open-addressing table, reset per document.
 *
 * The emitter feeds libyaml events and lets libyaml pick the final style,
 * asking for quotes when the plain text would read back as another type,
 * and for the literal block style for multi-line strings.
 *
 * What it does not do: merge keys, timestamps, !!binary, complex (non-scalar)
 * keys, comments or the original formatting on output.
 */
#include "json/yaml_doc.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/hash.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "json/json_internal.h"

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

/* ---- scalar resolution (YAML 1.2 core schema) ------------------------- */

enum yaml_kind {
	YAML_KIND_NULL,
	YAML_KIND_BOOL,
	YAML_KIND_INT10,
	YAML_KIND_INT8,     /* 0o17 */
	YAML_KIND_INT16,    /* 0x1F */
	YAML_KIND_FLOAT,
	YAML_KIND_INF_NAN,
	YAML_KIND_STR,
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_chars(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return false;
	return n > 0;
}

static bool equals_any(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(s, *words, n) == 0)
			return true;
	return false;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool is_core_float(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && is_digit(s[i])) {
		i++;
		digits++;
	}
	if (i < n && s[i] == '.') {
		size_t frac = 0;

		i++;
		while (i < n && is_digit(s[i])) {
			i++;
			frac++;
		}
		if (!digits && !frac)
			return false;
	} else if (!digits) {
		return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp = 0;

		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && is_digit(s[i])) {
			i++;
			exp++;
		}
		if (!exp)
			return false;
	}
	return i == n;
}

static enum yaml_kind yaml_classify(const char *s, size_t n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
	static const char *const infnan[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					      "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };
	size_t i = 0;

	if (equals_any(s, n, nulls))
		return YAML_KIND_NULL;
	if (equals_any(s, n, bools))
		return YAML_KIND_BOOL;
	if (n > 2 && s[0] == '0' && s[1] == 'o' && all_chars(s + 2, n - 2, "01234567"))
		return YAML_KIND_INT8;
	if (n > 2 && s[0] == '0' && s[1] == 'x' &&
	    all_chars(s + 2, n - 2, "0123456789abcdefABCDEF"))
		return YAML_KIND_INT16;
	if (n && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (all_chars(s + i, n - i, "0123456789"))
		return YAML_KIND_INT10;
	if (is_core_float(s, n))
		return YAML_KIND_FLOAT;
	if (equals_any(s, n, infnan))
		return YAML_KIND_INF_NAN;
	return YAML_KIND_STR;
}

/* Would a YAML 1.1 reader (kubectl, go-yaml v2) take this plain text for
 * something other than a string? Deliberately broad for numbers: quoting a
 * string that merely looks numeric costs two characters. */
static bool yaml11_special(const char *s, size_t n)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF", "=", "<<", NULL,
	};

	if (equals_any(s, n, words))
		return true;
	if (n && (is_digit(s[0]) ||
		  (n > 1 && (s[0] == '-' || s[0] == '+' || s[0] == '.') && is_digit(s[1]))))
		return all_chars(s, n, "0123456789abcdefABCDEFxXoObB_.:+-eE");
	return false;
}

/* ---- parser ----------------------------------------------------------- */

struct yaml_anchor {
	char *name;             /* NULL: empty slot */
	const struct json *value;
	size_t nodes, bytes;
};

struct yaml_frame {
	struct json *node;      /* borrowed: already attached to its parent */
	char *key;              /* mapping: key waiting for its value */
	char *anchor;           /* registered when the node closes */
	size_t nodes_at_start, bytes_at_start;
	size_t line, column;    /* where it started, for duplicate-key errors */
};

struct yaml_reader {
	yaml_parser_t parser;
	struct error *err;      /* may be NULL */
	int code;               /* the last error code, also when err is NULL */
	/* current document */
	struct json *root;
	bool root_empty;        /* an empty plain scalar with nothing on it */
	struct yaml_frame frames[JSON_MAX_DEPTH];
	int depth;
	struct yaml_anchor *anchors;
	size_t anchors_len, anchors_cap;    /* cap is a power of two */
	struct json **orphans;  /* anchored mapping keys, resolved */
	size_t orphans_len;
	/* whole stream */
	size_t nodes, bytes, alias_bytes;
	struct json **docs;
	size_t ndocs, docs_cap;
};

static int yaml_fail_at(struct yaml_reader *r, const yaml_mark_t *m, int code,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int yaml_fail_at(struct yaml_reader *r, const yaml_mark_t *m, int code,
			const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->code = code;
	return error_set(r->err, code, "YAML line %zu column %zu: %s", m->line + 1,
			 m->column + 1, msg);
}

static int yaml_parser_fail(struct yaml_reader *r)
{
	const yaml_parser_t *p = &r->parser;
	const char *problem = p->problem ? p->problem : "syntax error";

	r->code = p->error == YAML_MEMORY_ERROR ? ERR_LIMIT : ERR_INVALID;
	if (p->error == YAML_READER_ERROR)
		return error_set(r->err, ERR_INVALID, "YAML at byte %zu: %s", p->problem_offset,
				 problem);
	if (p->error == YAML_MEMORY_ERROR)
		return error_set(r->err, ERR_LIMIT, "YAML: out of memory in libyaml");
	if (p->context)
		return error_set(r->err, ERR_INVALID, "YAML line %zu column %zu: %s %s",
				 p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
				 p->context);
	return error_set(r->err, ERR_INVALID, "YAML line %zu column %zu: %s",
			 p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

static struct yaml_anchor *anchor_slot(struct yaml_anchor *tab, size_t cap, const char *name)
{
	size_t i = (size_t)hash_fnv1a64_str(name) & (cap - 1);

	while (tab[i].name && strcmp(tab[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static const struct yaml_anchor *anchor_find(const struct yaml_reader *r, const char *name)
{
	struct yaml_anchor *a;

	if (!r->anchors_cap)
		return NULL;
	a = anchor_slot(r->anchors, r->anchors_cap, name);
	return a->name ? a : NULL;
}

/* A later definition of the same anchor replaces the earlier one. */
static void anchor_set(struct yaml_reader *r, const char *name, const struct json *value,
		       size_t nodes, size_t bytes)
{
	struct yaml_anchor *a;

	if ((r->anchors_len + 1) * 2 > r->anchors_cap) {
		size_t cap = r->anchors_cap ? r->anchors_cap * 2 : 16;
		struct yaml_anchor *tab = mem_calloc(cap, sizeof(*tab));

		for (size_t i = 0; i < r->anchors_cap; i++)
			if (r->anchors[i].name)
				*anchor_slot(tab, cap, r->anchors[i].name) = r->anchors[i];
		free(r->anchors);
		r->anchors = tab;
		r->anchors_cap = cap;
	}
	a = anchor_slot(r->anchors, r->anchors_cap, name);
	if (!a->name) {
		a->name = mem_strdup(name);
		r->anchors_len++;
	}
	a->value = value;
	a->nodes = nodes;
	a->bytes = bytes;
}

/* Drops the per-document state; the root only when free_root. */
static void reader_reset_doc(struct yaml_reader *r, bool free_root)
{
	for (int i = 0; i < r->depth; i++) {
		free(r->frames[i].key);
		free(r->frames[i].anchor);
	}
	r->depth = 0;
	for (size_t i = 0; i < r->anchors_cap; i++)
		free(r->anchors[i].name);
	free(r->anchors);
	r->anchors = NULL;
	r->anchors_len = r->anchors_cap = 0;
	for (size_t i = 0; i < r->orphans_len; i++)
		json_free(r->orphans[i]);
	free(r->orphans);
	r->orphans = NULL;
	r->orphans_len = 0;
	if (free_root)
		json_free(r->root);
	r->root = NULL;
	r->root_empty = false;
}

static bool expecting_key(const struct yaml_reader *r)
{
	const struct yaml_frame *f;

	if (!r->depth)
		return false;
	f = &r->frames[r->depth - 1];
	return f->node->type == JSON_OBJECT && !f->key;
}

static int count(struct yaml_reader *r, const yaml_mark_t *m, size_t nodes, size_t bytes)
{
	if (nodes > YAML_DOC_MAX_NODES - r->nodes)
		return yaml_fail_at(r, m, ERR_LIMIT, "more than YAML_DOC_MAX_NODES (%d) nodes",
				    YAML_DOC_MAX_NODES);
	r->nodes += nodes;
	r->bytes += bytes;
	return 0;
}

/* Attaches v (taking it) where the document currently expects a value. */
static void attach(struct yaml_reader *r, struct json *v)
{
	struct yaml_frame *f;

	if (!r->depth) {
		r->root = v;
		return;
	}
	f = &r->frames[r->depth - 1];
	if (f->node->type == JSON_ARRAY) {
		json_array_push_take(f->node, v);
		return;
	}
	/* duplicates are checked once the mapping closes */
	json_object_append_take(f->node, f->key, v);
	mem_free_ptr(&f->key);
}

static bool tag_is(const char *tag, const char *name)
{
	return strncmp(tag, YAML_TAG_PREFIX, sizeof(YAML_TAG_PREFIX) - 1) == 0 &&
	       strcmp(tag + sizeof(YAML_TAG_PREFIX) - 1, name) == 0;
}

/* Builds the value of a scalar event: resolution by tag, then by the core
 * schema for untagged plain scalars. Returns NULL with the error set. */
static struct json *scalar_value(struct yaml_reader *r, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	const yaml_mark_t *m = &ev->start_mark;
	enum yaml_kind kind;

	if (!tag && ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_new_stringn(s, n);
	if (tag && (strcmp(tag, "!") == 0 || tag_is(tag, "str")))
		return json_new_stringn(s, n);
	kind = yaml_classify(s, n);
	if (kind == YAML_KIND_INF_NAN) {
		yaml_fail_at(r, m, ERR_INVALID, "%.*s cannot be represented in JSON",
			     (int)(n > 16 ? 16 : n), s);
		return NULL;
	}
	if (tag) {
		bool ok;

		if (tag_is(tag, "null"))
			ok = kind == YAML_KIND_NULL;
		else if (tag_is(tag, "bool"))
			ok = kind == YAML_KIND_BOOL;
		else if (tag_is(tag, "int"))
			ok = kind == YAML_KIND_INT10 || kind == YAML_KIND_INT8 ||
			     kind == YAML_KIND_INT16;
		else if (tag_is(tag, "float"))
			ok = kind == YAML_KIND_INT10 || kind == YAML_KIND_FLOAT;
		else {
			yaml_fail_at(r, m, ERR_INVALID, "unsupported tag %.64s", tag);
			return NULL;
		}
		if (!ok) {
			yaml_fail_at(r, m, ERR_INVALID, "\"%.*s\" is not a valid %s",
				     (int)(n > 32 ? 32 : n), s, tag + sizeof(YAML_TAG_PREFIX) - 1);
			return NULL;
		}
		if (tag_is(tag, "float"))
			kind = YAML_KIND_FLOAT;
	}

	switch (kind) {
	case YAML_KIND_NULL:
		return json_new_null();
	case YAML_KIND_BOOL:
		return json_new_bool(s[0] == 't' || s[0] == 'T');
	case YAML_KIND_INT8:
	case YAML_KIND_INT16: {
		unsigned base = kind == YAML_KIND_INT8 ? 8 : 16;
		uint64_t v = 0;

		for (size_t i = 2; i < n; i++) {
			char c = s[i];
			unsigned d = is_digit(c) ? (unsigned)(c - '0')
						 : (unsigned)((c | 0x20) - 'a' + 10);

			if (v > ((uint64_t)INT64_MAX - d) / base) {
				yaml_fail_at(r, m, ERR_INVALID, "integer %.*s out of range",
					     (int)(n > 32 ? 32 : n), s);
				return NULL;
			}
			v = v * base + d;
		}
		return json_new_int((int64_t)v);
	}
	case YAML_KIND_INT10: {
		size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
		bool neg = s[0] == '-';
		uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

		for (; i < n; i++) {
			unsigned d = (unsigned)(s[i] - '0');

			if (v > (lim - d) / 10)
				break;
			v = v * 10 + d;
		}
		if (i == n) {
			if (neg)
				return json_new_int(v == (uint64_t)INT64_MAX + 1 ? INT64_MIN
										: -(int64_t)v);
			return json_new_int((int64_t)v);
		}
		/* past int64: a float, as json_parse does */
	}
		/* fall through */
	case YAML_KIND_FLOAT: {
		char *text = mem_strndup(s, n);
		double d = json__strtod(text, NULL);

		free(text);
		if (!isfinite(d)) {
			yaml_fail_at(r, m, ERR_INVALID, "number %.*s out of range",
				     (int)(n > 32 ? 32 : n), s);
			return NULL;
		}
		return json_new_float(d);
	}
	default:
		return json_new_stringn(s, n);
	}
}

static int on_scalar(struct yaml_reader *r, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	struct json *v;
	/* keys are not nodes of the tree, but their bytes count */
	int rc = count(r, &ev->start_mark, expecting_key(r) ? 0 : 1, n);

	if (rc < 0)
		return rc;
	if (expecting_key(r)) {
		if (memchr(s, '\0', n))
			return yaml_fail_at(r, &ev->start_mark, ERR_INVALID,
					    "mapping key contains NUL");
		if (anchor) {
			v = scalar_value(r, ev);
			if (!v)
				return r->code;
			r->orphans = mem_realloc(r->orphans, (r->orphans_len + 1) * sizeof(*r->orphans));
			r->orphans[r->orphans_len++] = v;
			anchor_set(r, anchor, v, 1, n);
		}
		r->frames[r->depth - 1].key = mem_strndup(s, n);
		return 0;
	}
	v = scalar_value(r, ev);
	if (!v)
		return r->code;
	if (!r->depth && !n && !ev->data.scalar.tag && !anchor &&
	    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		r->root_empty = true;
	attach(r, v);
	if (anchor)
		anchor_set(r, anchor, v, 1, n);
	return 0;
}

static int on_alias(struct yaml_reader *r, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct yaml_anchor *a = anchor_find(r, name);
	struct json *v;

	if (!a)
		return yaml_fail_at(r, &ev->start_mark, ERR_INVALID,
				    "unknown anchor *%.64s (undefined, or used inside itself)", name);
	if (a->bytes > YAML_DOC_MAX_ALIAS_BYTES - r->alias_bytes)
		return yaml_fail_at(r, &ev->start_mark, ERR_LIMIT,
				    "aliases expand to more than YAML_DOC_MAX_ALIAS_BYTES");
	if (count(r, &ev->start_mark, a->nodes, a->bytes) < 0)
		return ERR_LIMIT;
	r->alias_bytes += a->bytes;
	if (expecting_key(r)) {
		const struct json *k = a->value;
		char num[JSON__NUMBER_BYTES];
		char *key;

		switch (k->type) {
		case JSON_STRING:
			if (memchr(k->u.str.ptr, '\0', k->u.str.len))
				return yaml_fail_at(r, &ev->start_mark, ERR_INVALID,
						    "mapping key contains NUL");
			key = mem_strdup(k->u.str.ptr);
			break;
		case JSON_NULL:
			key = mem_strdup("null");
			break;
		case JSON_BOOL:
			key = mem_strdup(k->u.b ? "true" : "false");
			break;
		case JSON_INT:
			snprintf(num, sizeof(num), "%lld", (long long)k->u.i);
			key = mem_strdup(num);
			break;
		case JSON_FLOAT:
			json__format_double(k->u.f, num);
			key = mem_strdup(num);
			break;
		default:
			return yaml_fail_at(r, &ev->start_mark, ERR_INVALID,
					    "mapping keys must be scalars (alias *%.64s is not)", name);
		}
		r->frames[r->depth - 1].key = key;
		return 0;
	}
	v = json_clone(a->value);
	attach(r, v);
	return 0;
}

static int on_start(struct yaml_reader *r, const yaml_event_t *ev, bool is_map)
{
	const char *tag = (const char *)(is_map ? ev->data.mapping_start.tag
						: ev->data.sequence_start.tag);
	const char *anchor = (const char *)(is_map ? ev->data.mapping_start.anchor
						   : ev->data.sequence_start.anchor);
	struct yaml_frame *f;
	struct json *v;

	if (expecting_key(r))
		return yaml_fail_at(r, &ev->start_mark, ERR_INVALID,
				    "mapping keys must be scalars");
	if (tag && strcmp(tag, "!") != 0 && !tag_is(tag, is_map ? "map" : "seq"))
		return yaml_fail_at(r, &ev->start_mark, ERR_INVALID, "unsupported tag %.64s", tag);
	if (r->depth >= JSON_MAX_DEPTH)
		return yaml_fail_at(r, &ev->start_mark, ERR_LIMIT,
				    "nesting deeper than JSON_MAX_DEPTH (%d)", JSON_MAX_DEPTH);
	f = &r->frames[r->depth];
	f->nodes_at_start = r->nodes;
	f->bytes_at_start = r->bytes;
	f->line = ev->start_mark.line;
	f->column = ev->start_mark.column;
	if (count(r, &ev->start_mark, 1, 0) < 0)
		return ERR_LIMIT;
	v = is_map ? json_new_object() : json_new_array();
	attach(r, v);
	f->node = v;
	f->key = NULL;
	f->anchor = anchor ? mem_strdup(anchor) : NULL;
	r->depth++;
	return 0;
}

static int on_end(struct yaml_reader *r)
{
	struct yaml_frame *f = &r->frames[r->depth - 1];

	if (f->node->type == JSON_OBJECT) {
		const char *dup = json__object_find_duplicate(f->node);

		if (dup) {
			yaml_mark_t m = { .line = f->line, .column = f->column };

			return yaml_fail_at(r, &m, ERR_INVALID,
					    "duplicate key \"%.64s\" in mapping", dup);
		}
	}
	if (f->anchor) {
		anchor_set(r, f->anchor, f->node, r->nodes - f->nodes_at_start,
			   r->bytes - f->bytes_at_start);
		mem_free_ptr(&f->anchor);
	}
	r->depth--;
	return 0;
}

static int on_document_end(struct yaml_reader *r, const yaml_event_t *ev)
{
	if (!r->root || r->root_empty) {
		reader_reset_doc(r, true);
		return 0;
	}
	if (r->ndocs >= YAML_DOC_MAX_DOCS)
		return yaml_fail_at(r, &ev->start_mark, ERR_LIMIT,
				    "more than YAML_DOC_MAX_DOCS (%d) documents", YAML_DOC_MAX_DOCS);
	if (r->ndocs == r->docs_cap) {
		r->docs_cap = r->docs_cap ? r->docs_cap * 2 : 4;
		r->docs = mem_realloc(r->docs, r->docs_cap * sizeof(*r->docs));
	}
	r->docs[r->ndocs++] = r->root;
	reader_reset_doc(r, false);
	return 0;
}

int yaml_doc_parse_all(const char *text, size_t len, struct json ***docs, size_t *n,
		       struct error *err)
{
	struct yaml_reader r;
	bool done = false;
	int rc = 0;

	*docs = NULL;
	*n = 0;
	if (len > JSON_MAX_DOC_BYTES)
		return error_set(err, ERR_LIMIT, "YAML document of %zu bytes exceeds "
				 "JSON_MAX_DOC_BYTES", len);
	memset(&r, 0, sizeof(r));
	r.err = err;
	if (!yaml_parser_initialize(&r.parser)) {
		fprintf(stderr, "fatal: out of memory initializing libyaml\n");
		abort();
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)(text ? text : ""),
				     text ? len : 0);
	while (!done && rc == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&r.parser, &ev)) {
			rc = yaml_parser_fail(&r);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			reader_reset_doc(&r, true);
			break;
		case YAML_DOCUMENT_END_EVENT:
			rc = on_document_end(&r, &ev);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&r, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&r, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_start(&r, &ev, false);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_start(&r, &ev, true);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_end(&r);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	reader_reset_doc(&r, true);
	yaml_parser_delete(&r.parser);
	if (rc < 0) {
		for (size_t i = 0; i < r.ndocs; i++)
			json_free(r.docs[i]);
		free(r.docs);
		return rc;
	}
	*docs = r.docs;
	*n = r.ndocs;
	return 0;
}

struct json *yaml_doc_parse(const char *text, size_t len, struct error *err)
{
	struct json **docs, *v;
	size_t n;

	if (yaml_doc_parse_all(text, len, &docs, &n, err) < 0)
		return NULL;
	if (n != 1) {
		for (size_t i = 0; i < n; i++)
			json_free(docs[i]);
		free(docs);
		if (n == 0)
			error_set(err, ERR_INVALID, "YAML: no document in the input");
		else
			error_set(err, ERR_INVALID, "YAML: expected one document, found %zu", n);
		return NULL;
	}
	v = docs[0];
	free(docs);
	return v;
}

/* ---- emitter ---------------------------------------------------------- */

struct yaml_writer {
	yaml_emitter_t emitter;
	struct buf *out;
	struct error *err;
	int rc;
};

static int yaml_write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct yaml_writer *w = data;

	if (buf_append(w->out, buffer, size) < 0) {
		w->rc = error_set(w->err, ERR_LIMIT, "YAML output exceeds the buffer ceiling");
		return 0;
	}
	return 1;
}

/* Emits ev (libyaml owns it from here, also on failure). */
static void emit(struct yaml_writer *w, yaml_event_t *ev)
{
	if (w->rc) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&w->emitter, ev) && !w->rc)
		w->rc = error_set(w->err, ERR_INVALID, "YAML emitter: %s",
				  w->emitter.problem ? w->emitter.problem : "error");
}

static void emit_scalar(struct yaml_writer *w, const char *s, size_t n, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (w->rc)
		return;
	if (n > INT_MAX) {
		w->rc = error_set(w->err, ERR_LIMIT, "string of %zu bytes is too long for YAML", n);
		return;
	}
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s, (int)n, 1, 1,
					  style)) {
		w->rc = error_set(w->err, ERR_INVALID, "YAML emitter: cannot create a scalar");
		return;
	}
	emit(w, &ev);
}

static void emit_string(struct yaml_writer *w, const char *s, size_t n, bool is_key)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (!utf8_valid(s, n)) {
		if (!w->rc)
			w->rc = error_set(w->err, ERR_INVALID, "string is not valid UTF-8");
		return;
	}
	if (memchr(s, '\n', n))
		/* libyaml falls back to double quotes where a block is not allowed */
		style = is_key ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_LITERAL_SCALAR_STYLE;
	else if (yaml_classify(s, n) != YAML_KIND_STR || yaml11_special(s, n))
		style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	/* otherwise libyaml chooses plain unless the text needs quotes for
	 * syntax (": ", " #", leading indicators, surrounding spaces) */
	emit_scalar(w, s, n, style);
}

static void emit_node(struct yaml_writer *w, const struct json *v, int depth)
{
	char num[JSON__NUMBER_BYTES];
	yaml_event_t ev;

	if (w->rc)
		return;
	switch (v->type) {
	case JSON_NULL:
		emit_scalar(w, "null", 4, YAML_PLAIN_SCALAR_STYLE);
		break;
	case JSON_BOOL:
		emit_scalar(w, v->u.b ? "true" : "false", v->u.b ? 4 : 5, YAML_PLAIN_SCALAR_STYLE);
		break;
	case JSON_INT:
		emit_scalar(w, num, (size_t)snprintf(num, sizeof(num), "%lld", (long long)v->u.i),
			    YAML_PLAIN_SCALAR_STYLE);
		break;
	case JSON_FLOAT:
		if (!isfinite(v->u.f)) /* see json_encode.c: never write what reads back as inf */
			emit_scalar(w, "null", 4, YAML_PLAIN_SCALAR_STYLE);
		else
			emit_scalar(w, num, json__format_double(v->u.f, num),
				    YAML_PLAIN_SCALAR_STYLE);
		break;
	case JSON_STRING:
		emit_string(w, v->u.str.ptr, v->u.str.len, false);
		break;
	case JSON_ARRAY:
		if (depth >= JSON_MAX_DEPTH) {
			w->rc = error_set(w->err, ERR_LIMIT, "nesting deeper than JSON_MAX_DEPTH");
			return;
		}
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		emit(w, &ev);
		for (size_t i = 0; i < v->u.arr.len && !w->rc; i++)
			emit_node(w, v->u.arr.items[i], depth + 1);
		yaml_sequence_end_event_initialize(&ev);
		emit(w, &ev);
		break;
	case JSON_OBJECT: {
		const struct json_member **sorted;

		if (depth >= JSON_MAX_DEPTH) {
			w->rc = error_set(w->err, ERR_LIMIT, "nesting deeper than JSON_MAX_DEPTH");
			return;
		}
		sorted = mem_alloc((v->u.obj.len ? v->u.obj.len : 1) * sizeof(*sorted));
		json__sort_members(v, sorted);
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		emit(w, &ev);
		for (size_t i = 0; i < v->u.obj.len && !w->rc; i++) {
			emit_string(w, sorted[i]->key, strlen(sorted[i]->key), true);
			emit_node(w, sorted[i]->value, depth + 1);
		}
		yaml_mapping_end_event_initialize(&ev);
		emit(w, &ev);
		free(sorted);
		break;
	}
	}
}

int yaml_doc_encode(const struct json *v, struct buf *out, struct error *err)
{
	struct yaml_writer w = { .out = out, .err = err };
	size_t mark = out->len;
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&w.emitter)) {
		fprintf(stderr, "fatal: out of memory initializing libyaml\n");
		abort();
	}
	yaml_emitter_set_output(&w.emitter, yaml_write_handler, &w);
	yaml_emitter_set_unicode(&w.emitter, 1);
	yaml_emitter_set_width(&w.emitter, -1);  /* never fold long lines */
	yaml_emitter_set_indent(&w.emitter, 2);

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(&w, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&w, &ev);
	emit_node(&w, v, 0);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&w, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&w, &ev);
	if (!w.rc && !yaml_emitter_flush(&w.emitter) && !w.rc)
		w.rc = error_set(err, ERR_INVALID, "YAML emitter: flush failed");
	yaml_emitter_delete(&w.emitter);
	if (w.rc) {
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return w.rc;
}
