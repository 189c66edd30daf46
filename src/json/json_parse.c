/* json_parse.c - the strict JSON parser behind json_parse and
 * json_parse_limited (see json.h for the contract).
 *
 * Why this way: the parser is a recursive descent over a length-delimited
 * buffer (the text need not be NUL-terminated) with the depth bounded by
 * JSON_MAX_DEPTH, so the C stack use is bounded too; json_parse_limited also
 * bounds the number of values built, so a document of a million small keys
 * is refused after that many nodes instead of costing a hundred bytes of
 * heap per key. (json_scan.c finds the pieces of a document that is too
 * large to build whole.) Strings are validated as UTF-8 while they are
 * copied; \u escapes are decoded, surrogate pairs joined and lone surrogates
 * rejected. Duplicate keys are resolved after the object closes with a
 * sort, so a hostile object with many keys costs O(n log n), not O(n^2).
 * A container is built when it closes, from scratch stacks shared by the
 * whole parse, as one block of its final size (json_internal.h): an object
 * with its members and their keys, an array with its items, a string with
 * its bytes. Parsed trees are what the caches keep, and a malloc per key
 * and per string plus member arrays grown by doubling were about half of
 * their heap.
 *
 * What it does not do: streaming/incremental parsing (watch lines are parsed
 * one complete line at a time), comments, NaN/Infinity, or preserving the
 * original number text.
 */
#include "json/json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/utf8.h"
#include "json/json_internal.h"

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Resolves duplicate keys the JSON way: the last value wins, kept at the
 * position of the first occurrence (as json_object_set_take would). */
static void json_object_dedup(struct json *obj)
{
	size_t n = obj->u.obj.len, w = 0;
	struct json_member **sorted;
	struct json_member *items = obj->u.obj.items;

	if (!json__object_find_duplicate(obj))
		return;
	sorted = mem_alloc(n * sizeof(*sorted));
	json__sort_members(obj, (const struct json_member **)sorted);
	/* With ties ordered by position, each run of equal keys is
	 * first..last occurrence. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && strcmp(sorted[i]->key, sorted[j]->key) == 0)
			j++;
		if (j - i > 1) {
			json_free(sorted[i]->value);
			sorted[i]->value = sorted[j - 1]->value;
			sorted[j - 1]->value = NULL;
			for (size_t k = i + 1; k < j; k++) {
				json_free(sorted[k]->value);
				json__key_free(obj, sorted[k]->key);
				sorted[k]->key = NULL; /* marks removal */
			}
		}
		i = j;
	}
	free(sorted);
	for (size_t i = 0; i < n; i++)
		if (items[i].key)
			items[w++] = items[i];
	obj->u.obj.len = w;
}

/* ---- parser ----------------------------------------------------------- */

struct json_parser {
	const unsigned char *start, *p, *end;
	int depth, max_depth;
	size_t nodes, max_nodes;   /* values built; max 0: no limit */
	struct error *err;
	/* scratch for decoding strings, reused across strings */
	char *tmp;
	size_t tmp_len, tmp_cap;
	/* The open containers' items and members so far, as stacks: a
	 * container is built when it closes, in one block of its final size
	 * (json_internal.h), from the top of these. Keys are offsets into
	 * keys, which may move as it grows. */
	struct json **items;
	size_t items_len, items_cap;
	struct parse_member { size_t key_at, key_len; struct json *value; } *members;
	size_t members_len, members_cap;
	char *keys;
	size_t keys_len, keys_cap;
};

/* Grows a scratch stack of elem-byte entries to hold one more (len + need
 * bytes for the key text). Doubling from 16: amortized O(1) per push. */
static void *stack_reserve(void *ptr, size_t *cap, size_t len, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;

	if (len + need <= *cap)
		return ptr;
	while (c < len + need)
		c *= 2;
	*cap = c;
	return mem_realloc(ptr, c * elem);
}

static struct json *parse_fail(struct json_parser *ps, int code, const char *what)
{
	error_set(ps->err, code, "JSON at byte %zu: %s", (size_t)(ps->p - ps->start), what);
	return NULL;
}

static void skip_ws(struct json_parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void tmp_reserve(struct json_parser *ps, size_t extra)
{
	size_t need = ps->tmp_len + extra + 1;

	if (need <= ps->tmp_cap)
		return;
	size_t cap = ps->tmp_cap ? ps->tmp_cap : 64;
	while (cap < need)
		cap *= 2;
	ps->tmp = mem_realloc(ps->tmp, cap);
	ps->tmp_cap = cap;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Decodes the string at ps->p (on the opening quote) into ps->tmp. Returns 0
 * or -1 with the error set. */
static int parse_string_raw(struct json_parser *ps)
{
	ps->tmp_len = 0;
	ps->p++; /* opening quote */
	for (;;) {
		const unsigned char *run = ps->p;

		/* copy the longest run of plain ASCII in one go */
		while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 &&
		       *ps->p != '"' && *ps->p != '\\')
			ps->p++;
		if (ps->p > run) {
			tmp_reserve(ps, (size_t)(ps->p - run));
			memcpy(ps->tmp + ps->tmp_len, run, (size_t)(ps->p - run));
			ps->tmp_len += (size_t)(ps->p - run);
		}
		if (ps->p >= ps->end) {
			parse_fail(ps, ERR_INVALID, "unterminated string");
			return -1;
		}
		unsigned char c = *ps->p;

		if (c == '"') {
			ps->p++;
			tmp_reserve(ps, 0);
			ps->tmp[ps->tmp_len] = '\0';
			return 0;
		}
		if (c < 0x20) {
			parse_fail(ps, ERR_INVALID, "control character in string");
			return -1;
		}
		if (c >= 0x80) {
			size_t k = utf8_seq_len((const char *)ps->p, (size_t)(ps->end - ps->p));

			if (!k) {
				parse_fail(ps, ERR_INVALID, "invalid UTF-8 in string");
				return -1;
			}
			tmp_reserve(ps, k);
			memcpy(ps->tmp + ps->tmp_len, ps->p, k);
			ps->tmp_len += k;
			ps->p += k;
			continue;
		}
		/* backslash escape */
		if (ps->end - ps->p < 2) {
			parse_fail(ps, ERR_INVALID, "unterminated string");
			return -1;
		}
		c = ps->p[1];
		tmp_reserve(ps, 4);
		switch (c) {
		case '"': case '\\': case '/':
			ps->tmp[ps->tmp_len++] = (char)c;
			break;
		case 'b': ps->tmp[ps->tmp_len++] = '\b'; break;
		case 'f': ps->tmp[ps->tmp_len++] = '\f'; break;
		case 'n': ps->tmp[ps->tmp_len++] = '\n'; break;
		case 'r': ps->tmp[ps->tmp_len++] = '\r'; break;
		case 't': ps->tmp[ps->tmp_len++] = '\t'; break;
		case 'u': {
			uint32_t cp, lo;

			if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0) {
				parse_fail(ps, ERR_INVALID, "invalid \\u escape");
				return -1;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				parse_fail(ps, ERR_INVALID, "lone low surrogate in \\u escape");
				return -1;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' ||
				    hex4(ps->p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					parse_fail(ps, ERR_INVALID, "lone high surrogate in \\u escape");
					return -1;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				ps->p += 6;
			}
			ps->tmp_len += utf8_put(ps->tmp + ps->tmp_len, cp);
			ps->p += 4;
			break;
		}
		default:
			parse_fail(ps, ERR_INVALID, "invalid escape in string");
			return -1;
		}
		ps->p += 2;
	}
}

static struct json *parse_number(struct json_parser *ps)
{
	const unsigned char *s = ps->p, *p = ps->p;
	bool neg = false, integral = true;
	char stackbuf[64], *text;
	size_t n;
	double d;

	if (p < ps->end && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= ps->end || *p < '0' || *p > '9') {
		ps->p = p;
		return parse_fail(ps, ERR_INVALID, "invalid number");
	}
	if (*p == '0') {
		p++;
		if (p < ps->end && *p >= '0' && *p <= '9') {
			ps->p = p;
			return parse_fail(ps, ERR_INVALID, "leading zero in number");
		}
	} else {
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && *p == '.') {
		integral = false;
		p++;
		if (p >= ps->end || *p < '0' || *p > '9') {
			ps->p = p;
			return parse_fail(ps, ERR_INVALID, "digit expected after '.'");
		}
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		integral = false;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || *p < '0' || *p > '9') {
			ps->p = p;
			return parse_fail(ps, ERR_INVALID, "digit expected in exponent");
		}
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	ps->p = p;
	if (integral) {
		/* Accumulate the magnitude; -2^63 fits only when negative. */
		uint64_t mag = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		bool overflow = false;

		for (const unsigned char *q = s + neg; q < p; q++) {
			unsigned d1 = (unsigned)(*q - '0');

			if (mag > (lim - d1) / 10) {
				overflow = true;
				break;
			}
			mag = mag * 10 + d1;
		}
		if (!overflow) {
			if (neg)
				return json_new_int(mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
										  : -(int64_t)mag);
			return json_new_int((int64_t)mag);
		}
	}
	/* strtod needs a terminated copy: the input may not be. */
	n = (size_t)(p - s);
	text = n < sizeof(stackbuf) ? stackbuf : mem_alloc(n + 1);
	memcpy(text, s, n);
	text[n] = '\0';
	d = json__strtod(text, NULL);
	if (text != stackbuf)
		free(text);
	if (!isfinite(d)) {
		ps->p = s;
		return parse_fail(ps, ERR_INVALID, "number out of range");
	}
	return json_new_float(d);
}

static struct json *parse_value(struct json_parser *ps);

/* Frees what an unfinished container pushed since base. */
static void drop_items(struct json_parser *ps, size_t base)
{
	while (ps->items_len > base)
		json_free(ps->items[--ps->items_len]);
}

static void drop_members(struct json_parser *ps, size_t base, size_t key_base)
{
	while (ps->members_len > base)
		json_free(ps->members[--ps->members_len].value);
	ps->keys_len = key_base;
}

static struct json *parse_array(struct json_parser *ps)
{
	size_t base = ps->items_len, n;
	struct json *arr, *item;

	ps->p++; /* [ */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return json_new_array();
	}
	for (;;) {
		item = parse_value(ps);
		if (!item)
			goto fail;
		ps->items = stack_reserve(ps->items, &ps->items_cap, ps->items_len, 1, sizeof(*ps->items));
		ps->items[ps->items_len++] = item;
		skip_ws(ps);
		if (ps->p >= ps->end) {
			parse_fail(ps, ERR_INVALID, "unterminated array");
			goto fail;
		}
		if (*ps->p == ']')
			break;
		if (*ps->p != ',') {
			parse_fail(ps, ERR_INVALID, "',' or ']' expected");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
	}
	ps->p++;
	n = ps->items_len - base;
	arr = json__new_array_sized(n);
	memcpy(arr->u.arr.items, ps->items + base, n * sizeof(*ps->items));
	arr->u.arr.len = n;
	ps->items_len = base;
	return arr;
fail:
	drop_items(ps, base);
	return NULL;
}

static struct json *parse_object(struct json_parser *ps)
{
	size_t base = ps->members_len, key_base = ps->keys_len, n;
	struct json *obj, *value;
	char *keys;

	ps->p++; /* { */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return json_new_object();
	}
	for (;;) {
		if (ps->p >= ps->end || *ps->p != '"') {
			parse_fail(ps, ERR_INVALID, "object key (string) expected");
			goto fail;
		}
		const unsigned char *key_at = ps->p;
		size_t key_off = ps->keys_len, key_len;

		if (parse_string_raw(ps) < 0)
			goto fail;
		if (memchr(ps->tmp, '\0', ps->tmp_len)) {
			ps->p = key_at;
			parse_fail(ps, ERR_INVALID, "object key contains NUL");
			goto fail;
		}
		ps->keys = stack_reserve(ps->keys, &ps->keys_cap, ps->keys_len, ps->tmp_len + 1, 1);
		memcpy(ps->keys + key_off, ps->tmp, ps->tmp_len);
		ps->keys[key_off + ps->tmp_len] = '\0';
		ps->keys_len += ps->tmp_len + 1;
		key_len = ps->tmp_len;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			parse_fail(ps, ERR_INVALID, "':' expected");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
		value = parse_value(ps);
		if (!value)
			goto fail;
		ps->members = stack_reserve(ps->members, &ps->members_cap, ps->members_len, 1,
					    sizeof(*ps->members));
		ps->members[ps->members_len++] =
			(struct parse_member){ .key_at = key_off, .key_len = key_len, .value = value };
		skip_ws(ps);
		if (ps->p >= ps->end) {
			parse_fail(ps, ERR_INVALID, "unterminated object");
			goto fail;
		}
		if (*ps->p == '}')
			break;
		if (*ps->p != ',') {
			parse_fail(ps, ERR_INVALID, "',' or '}' expected");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
	}
	ps->p++;
	n = ps->members_len - base;
	obj = json__new_object_sized(n, ps->keys_len - key_base, &keys);
	for (size_t i = base; i < ps->members_len; i++)
		json__object_append_key(obj, &keys, ps->keys + ps->members[i].key_at,
					ps->members[i].key_len, ps->members[i].value);
	ps->members_len = base;
	ps->keys_len = key_base;
	json_object_dedup(obj);
	return obj;
fail:
	drop_members(ps, base, key_base);
	return NULL;
}

static bool match_lit(struct json_parser *ps, const char *lit, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static struct json *parse_value(struct json_parser *ps)
{
	struct json *v;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return parse_fail(ps, ERR_INVALID, "value expected");
	if (ps->max_nodes && ps->nodes >= ps->max_nodes) {
		error_set(ps->err, ERR_LIMIT, "JSON at byte %zu: more than %zu values",
			  (size_t)(ps->p - ps->start), ps->max_nodes);
		return NULL;
	}
	ps->nodes++;
	switch (*ps->p) {
	case '{':
	case '[':
		if (ps->depth >= ps->max_depth) {
			if (ps->max_depth == JSON_MAX_DEPTH)
				return parse_fail(ps, ERR_LIMIT, "nesting deeper than JSON_MAX_DEPTH");
			error_set(ps->err, ERR_LIMIT, "JSON at byte %zu: nesting deeper than %d levels",
				  (size_t)(ps->p - ps->start), ps->max_depth);
			return NULL;
		}
		ps->depth++;
		v = *ps->p == '{' ? parse_object(ps) : parse_array(ps);
		ps->depth--;
		return v;
	case '"':
		if (parse_string_raw(ps) < 0)
			return NULL;
		return json_new_stringn(ps->tmp, ps->tmp_len);
	case 't':
		if (match_lit(ps, "true", 4))
			return json_new_bool(true);
		break;
	case 'f':
		if (match_lit(ps, "false", 5))
			return json_new_bool(false);
		break;
	case 'n':
		if (match_lit(ps, "null", 4))
			return json_new_null();
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
		break;
	}
	return parse_fail(ps, ERR_INVALID, "unexpected character");
}

struct json *json_parse(const char *text, size_t len, struct error *err)
{
	return json_parse_limited(text, len, NULL, NULL, err);
}

struct json *json_parse_limited(const char *text, size_t len, const struct json_limits *lim,
				size_t *nodes, struct error *err)
{
	struct json_parser ps = { 0 };
	struct json *v;

	if (nodes)
		*nodes = 0;
	if (len > JSON_MAX_DOC_BYTES) {
		error_set(err, ERR_LIMIT, "JSON document of %zu bytes exceeds JSON_MAX_DOC_BYTES", len);
		return NULL;
	}
	ps.start = ps.p = (const unsigned char *)(text ? text : "");
	ps.end = ps.start + (text ? len : 0);
	ps.err = err;
	ps.max_depth = lim && lim->max_depth > 0 && lim->max_depth < JSON_MAX_DEPTH ? lim->max_depth
									       : JSON_MAX_DEPTH;
	ps.max_nodes = lim ? lim->max_nodes : 0;
	v = parse_value(&ps);
	if (nodes)
		*nodes = ps.nodes;
	if (v) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			parse_fail(&ps, ERR_INVALID, "trailing characters after the document");
			json_free(v);
			v = NULL;
		}
	}
	free(ps.tmp);
	free(ps.items);
	free(ps.members);
	free(ps.keys);
	return v;
}

