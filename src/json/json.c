/* json.c - the JSON document model: strict parser, canonical encoder, tree
 * helpers (see json.h for the contract).
 *
 * Why this way: the host needs three things no off-the-shelf decoder in our
 * stack gives together - integers kept apart from floats, empty arrays kept
 * apart from empty objects, and one canonical byte form per document so a
 * render can be hashed and compared. The parser is a recursive descent over
 * a length-delimited buffer (the text need not be NUL-terminated) with the
 * depth bounded by JSON_MAX_DEPTH, so the C stack use is bounded too;
 * json_parse_limited also bounds the number of values built, so a document
 * of a million small keys is refused after that many nodes instead of
 * costing a hundred bytes of heap per key. (json_scan.c finds the pieces of
 * a document that is too large to build whole.) Strings
 * are validated as UTF-8 while they are copied; \u escapes are decoded,
 * surrogate pairs joined and lone surrogates rejected. Duplicate keys are
 * resolved after the object closes with a sort, so a hostile object with many
 * keys costs O(n log n), not O(n^2).
 *
 * The encoder writes through a small sink that either appends to a bounded
 * buffer or feeds FNV-1a, so json_hash never materialises the encoding.
 * Numbers are formatted and parsed in the C locale through a locale_t, so a
 * program that calls setlocale() still gets '.' as the decimal point.
 *
 * What it does not do: streaming/incremental parsing (watch lines are parsed
 * one complete line at a time), comments, NaN/Infinity, or preserving the
 * original number text.
 */
#include "json/json.h"

#include <assert.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "json/json_internal.h"

/* ---- locale-independent number text ---------------------------------- */

static locale_t json_c_locale;
static pthread_once_t json_c_locale_once = PTHREAD_ONCE_INIT;

static void json_c_locale_init(void)
{
	json_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!json_c_locale) {
		fprintf(stderr, "fatal: cannot create the C locale\n");
		abort();
	}
}

static locale_t json_locale(void)
{
	pthread_once(&json_c_locale_once, json_c_locale_init);
	return json_c_locale;
}

double json__strtod(const char *s, char **end)
{
	return strtod_l(s, end, json_locale());
}

size_t json__format_double(double d, char out[JSON__NUMBER_BYTES])
{
	locale_t old = uselocale(json_locale());
	int n = 0;

	/* The shortest of %.15g/%.16g/%.17g that reads back exactly; %.17g
	 * always does for a binary64. */
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, JSON__NUMBER_BYTES, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	uselocale(old);
	/* "3" would read back as an integer: keep the type with "3.0". */
	if (!strpbrk(out, ".eE")) {
		out[n++] = '.';
		out[n++] = '0';
		out[n] = '\0';
	}
	return (size_t)n;
}

/* ---- UTF-8 ------------------------------------------------------------ */

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

/* ---- constructors and containers ------------------------------------- */

static struct json *json_node(enum json_type type)
{
	struct json *v = mem_calloc(1, sizeof(*v));

	v->type = type;
	return v;
}

struct json *json_new_null(void)
{
	return json_node(JSON_NULL);
}

struct json *json_new_bool(bool b)
{
	struct json *v = json_node(JSON_BOOL);

	v->u.b = b;
	return v;
}

struct json *json_new_int(int64_t i)
{
	struct json *v = json_node(JSON_INT);

	v->u.i = i;
	return v;
}

struct json *json_new_float(double f)
{
	struct json *v = json_node(JSON_FLOAT);

	assert(isfinite(f));
	v->u.f = f;
	return v;
}

struct json *json_new_stringn(const char *s, size_t len)
{
	struct json *v = json_node(JSON_STRING);

	v->u.str.ptr = mem_strndup(s, len);
	v->u.str.len = len;
	return v;
}

struct json *json_new_string(const char *s)
{
	return json_new_stringn(s, strlen(s));
}

/* Takes ownership of ptr (heap, NUL-terminated at len). */
static struct json *json_new_string_take(char *ptr, size_t len)
{
	struct json *v = json_node(JSON_STRING);

	v->u.str.ptr = ptr;
	v->u.str.len = len;
	return v;
}

struct json *json_new_array(void)
{
	return json_node(JSON_ARRAY);
}

struct json *json_new_object(void)
{
	return json_node(JSON_OBJECT);
}

void json_free(struct json *v)
{
	if (!v)
		return;
	switch (v->type) {
	case JSON_STRING:
		free(v->u.str.ptr);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.len; i++)
			json_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.len; i++) {
			free(v->u.obj.items[i].key);
			json_free(v->u.obj.items[i].value);
		}
		free(v->u.obj.items);
		break;
	default:
		break;
	}
	free(v);
}

void json_array_push_take(struct json *arr, struct json *item)
{
	assert(arr && arr->type == JSON_ARRAY && item);
	if (arr->u.arr.len == arr->u.arr.cap) {
		size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;

		arr->u.arr.items = mem_realloc(arr->u.arr.items, cap * sizeof(*arr->u.arr.items));
		arr->u.arr.cap = cap;
	}
	arr->u.arr.items[arr->u.arr.len++] = item;
}

void json_array_reserve(struct json *arr, size_t n)
{
	assert(arr && arr->type == JSON_ARRAY);
	if (n <= arr->u.arr.cap)
		return;
	arr->u.arr.items = mem_realloc(arr->u.arr.items, n * sizeof(*arr->u.arr.items));
	arr->u.arr.cap = n;
}

void json_object_reserve(struct json *obj, size_t n)
{
	assert(obj && obj->type == JSON_OBJECT);
	if (n <= obj->u.obj.cap)
		return;
	obj->u.obj.items = mem_realloc(obj->u.obj.items, n * sizeof(*obj->u.obj.items));
	obj->u.obj.cap = n;
}

/* Appends a member whose key the caller already allocated (ownership of both
 * moves to obj). */
static void json_object_append_raw(struct json *obj, char *key, struct json *value)
{
	if (obj->u.obj.len == obj->u.obj.cap) {
		size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 4;

		obj->u.obj.items = mem_realloc(obj->u.obj.items, cap * sizeof(*obj->u.obj.items));
		obj->u.obj.cap = cap;
	}
	obj->u.obj.items[obj->u.obj.len].key = key;
	obj->u.obj.items[obj->u.obj.len].value = value;
	obj->u.obj.len++;
}

void json_object_append_take(struct json *obj, const char *key, struct json *value)
{
	assert(obj && obj->type == JSON_OBJECT && key && value);
	json_object_append_raw(obj, mem_strdup(key), value);
}

static struct json_member *json_find(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	for (size_t i = 0; i < obj->u.obj.len; i++)
		if (strcmp(obj->u.obj.items[i].key, key) == 0)
			return &obj->u.obj.items[i];
	return NULL;
}

void json_object_set_take(struct json *obj, const char *key, struct json *value)
{
	struct json_member *m;

	assert(obj && obj->type == JSON_OBJECT && key && value);
	m = json_find(obj, key);
	if (m) {
		json_free(m->value);
		m->value = value;
		return;
	}
	json_object_append_raw(obj, mem_strdup(key), value);
}

bool json_object_remove(struct json *obj, const char *key)
{
	struct json_member *m = json_find(obj, key);
	size_t i;

	if (!m)
		return false;
	i = (size_t)(m - obj->u.obj.items);
	free(m->key);
	json_free(m->value);
	memmove(m, m + 1, (obj->u.obj.len - i - 1) * sizeof(*m));
	obj->u.obj.len--;
	return true;
}

/* ---- lookups ---------------------------------------------------------- */

struct json *json_get(const struct json *obj, const char *key)
{
	struct json_member *m = json_find(obj, key);

	return m ? m->value : NULL;
}

struct json *json_path(const struct json *v, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, v);
	while (v && (key = va_arg(ap, const char *)) != NULL)
		v = json_get(v, key);
	va_end(ap);
	return (struct json *)v;
}

const char *json_get_string(const struct json *obj, const char *key)
{
	struct json *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->u.str.ptr : NULL;
}

int64_t json_get_int(const struct json *obj, const char *key, int64_t fallback)
{
	struct json *v = json_get(obj, key);

	return v && v->type == JSON_INT ? v->u.i : fallback;
}

bool json_get_bool(const struct json *obj, const char *key, bool fallback)
{
	struct json *v = json_get(obj, key);

	return v && v->type == JSON_BOOL ? v->u.b : fallback;
}

/* ---- sorting members -------------------------------------------------- */

/* strcmp compares as unsigned char, which is bytewise UTF-8 order. Ties (only
 * while looking for duplicates) fall back to the position in the array, so
 * the sort is deterministic and "first"/"last" mean what they say. */
static int member_cmp(const void *a, const void *b)
{
	const struct json_member *ma = *(const struct json_member *const *)a;
	const struct json_member *mb = *(const struct json_member *const *)b;
	int c = strcmp(ma->key, mb->key);

	if (c)
		return c;
	return ma < mb ? -1 : ma > mb;
}

void json__sort_members(const struct json *obj, const struct json_member **out)
{
	size_t n = obj->u.obj.len;
	bool sorted = true;

	for (size_t i = 0; i < n; i++) {
		out[i] = &obj->u.obj.items[i];
		if (i && sorted && strcmp(out[i - 1]->key, out[i]->key) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(out, n, sizeof(*out), member_cmp);
}

const char *json__object_find_duplicate(const struct json *obj)
{
	size_t n = obj->u.obj.len;
	const struct json_member **sorted;
	const char *dup = NULL;

	if (n < 2)
		return NULL;
	if (n <= 8) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (strcmp(obj->u.obj.items[i].key, obj->u.obj.items[j].key) == 0)
					return obj->u.obj.items[i].key;
		return NULL;
	}
	sorted = mem_alloc(n * sizeof(*sorted));
	json__sort_members(obj, sorted);
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0)
			dup = sorted[i]->key;
	free(sorted);
	return dup;
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
				mem_free_ptr(&sorted[k]->key); /* NULL key marks removal */
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

/* ---- clone and equality ----------------------------------------------- */

struct json *json_clone(const struct json *v)
{
	struct json *c;

	if (!v)
		return NULL;
	switch (v->type) {
	case JSON_STRING:
		return json_new_stringn(v->u.str.ptr, v->u.str.len);
	case JSON_ARRAY:
		c = json_new_array();
		if (v->u.arr.len) {
			c->u.arr.items = mem_alloc(v->u.arr.len * sizeof(*c->u.arr.items));
			c->u.arr.cap = v->u.arr.len;
			for (size_t i = 0; i < v->u.arr.len; i++)
				c->u.arr.items[i] = json_clone(v->u.arr.items[i]);
			c->u.arr.len = v->u.arr.len;
		}
		return c;
	case JSON_OBJECT:
		c = json_new_object();
		if (v->u.obj.len) {
			c->u.obj.items = mem_alloc(v->u.obj.len * sizeof(*c->u.obj.items));
			c->u.obj.cap = v->u.obj.len;
			for (size_t i = 0; i < v->u.obj.len; i++) {
				c->u.obj.items[i].key = mem_strdup(v->u.obj.items[i].key);
				c->u.obj.items[i].value = json_clone(v->u.obj.items[i].value);
			}
			c->u.obj.len = v->u.obj.len;
		}
		return c;
	default:
		c = json_node(v->type);
		c->u = v->u;
		return c;
	}
}

static bool json_object_equal(const struct json *a, const struct json *b)
{
	size_t n = a->u.obj.len;
	const struct json_member **sa, **sb;
	bool eq = true;

	if (n != b->u.obj.len)
		return false;
	if (n <= 8) {
		for (size_t i = 0; i < n; i++) {
			const struct json *bv = json_get(b, a->u.obj.items[i].key);

			if (!bv || !json_equal(a->u.obj.items[i].value, bv))
				return false;
		}
		return true;
	}
	sa = mem_alloc(n * sizeof(*sa));
	sb = mem_alloc(n * sizeof(*sb));
	json__sort_members(a, sa);
	json__sort_members(b, sb);
	for (size_t i = 0; i < n && eq; i++)
		eq = strcmp(sa[i]->key, sb[i]->key) == 0 && json_equal(sa[i]->value, sb[i]->value);
	free(sa);
	free(sb);
	return eq;
}

bool json_equal(const struct json *a, const struct json *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->u.b == b->u.b;
	case JSON_INT:
		return a->u.i == b->u.i;
	case JSON_FLOAT:
		/* -0.0 and 0.0 encode differently, so they are not equal here:
		 * equal documents must hash equal. */
		return a->u.f == b->u.f && signbit(a->u.f) == signbit(b->u.f);
	case JSON_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
	case JSON_ARRAY:
		if (a->u.arr.len != b->u.arr.len)
			return false;
		for (size_t i = 0; i < a->u.arr.len; i++)
			if (!json_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case JSON_OBJECT:
		return json_object_equal(a, b);
	}
	return false;
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
};

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

static struct json *parse_array(struct json_parser *ps)
{
	struct json *arr = json_new_array(), *item;

	ps->p++; /* [ */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return arr;
	}
	for (;;) {
		item = parse_value(ps);
		if (!item)
			goto fail;
		json_array_push_take(arr, item);
		skip_ws(ps);
		if (ps->p >= ps->end) {
			parse_fail(ps, ERR_INVALID, "unterminated array");
			goto fail;
		}
		if (*ps->p == ']') {
			ps->p++;
			return arr;
		}
		if (*ps->p != ',') {
			parse_fail(ps, ERR_INVALID, "',' or ']' expected");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
	}
fail:
	json_free(arr);
	return NULL;
}

static struct json *parse_object(struct json_parser *ps)
{
	struct json *obj = json_new_object(), *value;
	char *key;

	ps->p++; /* { */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return obj;
	}
	for (;;) {
		if (ps->p >= ps->end || *ps->p != '"') {
			parse_fail(ps, ERR_INVALID, "object key (string) expected");
			goto fail;
		}
		const unsigned char *key_at = ps->p;

		if (parse_string_raw(ps) < 0)
			goto fail;
		if (memchr(ps->tmp, '\0', ps->tmp_len)) {
			ps->p = key_at;
			parse_fail(ps, ERR_INVALID, "object key contains NUL");
			goto fail;
		}
		key = mem_strndup(ps->tmp, ps->tmp_len);
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			free(key);
			parse_fail(ps, ERR_INVALID, "':' expected");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
		value = parse_value(ps);
		if (!value) {
			free(key);
			goto fail;
		}
		json_object_append_raw(obj, key, value);
		skip_ws(ps);
		if (ps->p >= ps->end) {
			parse_fail(ps, ERR_INVALID, "unterminated object");
			goto fail;
		}
		if (*ps->p == '}') {
			ps->p++;
			json_object_dedup(obj);
			return obj;
		}
		if (*ps->p != ',') {
			parse_fail(ps, ERR_INVALID, "',' or '}' expected");
			goto fail;
		}
		ps->p++;
		skip_ws(ps);
	}
fail:
	json_free(obj);
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
		return json_new_string_take(mem_strndup(ps->tmp, ps->tmp_len), ps->tmp_len);
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
	return v;
}

/* ---- encoder ---------------------------------------------------------- */

#define JSON_SORT_STACK_MEMBERS 16

/* Output sink: a bounded buffer, or (out == NULL) an FNV-1a hash, or a
 * byte count (count set: nothing is written and keys need no sorting). */
struct json_writer {
	struct buf *out;
	uint64_t hash;
	bool count;
	size_t size;
	int flags;
	int rc;
};

static void w_put(struct json_writer *w, const void *p, size_t n)
{
	if (w->rc)
		return;
	if (w->count) {
		w->size += n;
		return;
	}
	if (w->out) {
		w->rc = buf_append(w->out, p, n);
		return;
	}
	w->hash = hash_fnv1a64_update(w->hash, p, n);
}

static void w_str(struct json_writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_indent(struct json_writer *w, int depth)
{
	static const char spaces[] = "                                ";

	if (!(w->flags & JSON_ENCODE_PRETTY))
		return;
	w_put(w, "\n", 1);
	for (size_t n = (size_t)depth * 2; n > 0;) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		w_put(w, spaces, k);
		n -= k;
	}
}

/* Minimal escaping; bytes that are not valid UTF-8 (possible only in trees
 * built from C) become U+FFFD so the output is always valid JSON. */
static void w_string(struct json_writer *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len, *run = p;

	w_put(w, "\"", 1);
	while (p < end) {
		unsigned char c = *p;
		char esc[6];
		size_t k;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0x80 && (k = utf8_seq_len((const char *)p, (size_t)(end - p))) != 0) {
			p += k;
			continue;
		}
		w_put(w, run, (size_t)(p - run));
		switch (c) {
		case '"': w_put(w, "\\\"", 2); break;
		case '\\': w_put(w, "\\\\", 2); break;
		case '\b': w_put(w, "\\b", 2); break;
		case '\f': w_put(w, "\\f", 2); break;
		case '\n': w_put(w, "\\n", 2); break;
		case '\r': w_put(w, "\\r", 2); break;
		case '\t': w_put(w, "\\t", 2); break;
		default:
			if (c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				w_put(w, esc, 6);
			} else {
				w_put(w, "\xef\xbf\xbd", 3);
			}
			break;
		}
		run = ++p;
	}
	w_put(w, run, (size_t)(p - run));
	w_put(w, "\"", 1);
}

static void w_value(struct json_writer *w, const struct json *v, int depth)
{
	char num[JSON__NUMBER_BYTES];

	if (w->rc)
		return;
	switch (v->type) {
	case JSON_NULL:
		w_put(w, "null", 4);
		break;
	case JSON_BOOL:
		w_str(w, v->u.b ? "true" : "false");
		break;
	case JSON_INT:
		w_put(w, num, (size_t)snprintf(num, sizeof(num), "%lld", (long long)v->u.i));
		break;
	case JSON_FLOAT:
		/* constructors forbid non-finite values; never write invalid JSON
		 * if a release build let one through */
		if (!isfinite(v->u.f))
			w_put(w, "null", 4);
		else
			w_put(w, num, json__format_double(v->u.f, num));
		break;
	case JSON_STRING:
		w_string(w, v->u.str.ptr, v->u.str.len);
		break;
	case JSON_ARRAY:
		if (!v->u.arr.len) {
			w_put(w, "[]", 2);
			break;
		}
		if (depth >= JSON_MAX_DEPTH) {
			w->rc = ERR_LIMIT;
			break;
		}
		w_put(w, "[", 1);
		for (size_t i = 0; i < v->u.arr.len; i++) {
			if (i)
				w_put(w, ",", 1);
			w_indent(w, depth + 1);
			w_value(w, v->u.arr.items[i], depth + 1);
		}
		w_indent(w, depth);
		w_put(w, "]", 1);
		break;
	case JSON_OBJECT: {
		const struct json_member *stack_sorted[JSON_SORT_STACK_MEMBERS];
		const struct json_member **sorted = stack_sorted;
		size_t n = v->u.obj.len;

		if (!n) {
			w_put(w, "{}", 2);
			break;
		}
		if (depth >= JSON_MAX_DEPTH) {
			w->rc = ERR_LIMIT;
			break;
		}
		if (w->count) { /* the size does not depend on the order */
			w_put(w, "{", 1);
			for (size_t i = 0; i < n && !w->rc; i++) {
				const struct json_member *m = &v->u.obj.items[i];

				if (i)
					w_put(w, ",", 1);
				w_string(w, m->key, strlen(m->key));
				w_put(w, ":", 1);
				w_value(w, m->value, depth + 1);
			}
			w_put(w, "}", 1);
			break;
		}
		if (n > JSON_SORT_STACK_MEMBERS)
			sorted = mem_alloc(n * sizeof(*sorted));
		json__sort_members(v, sorted);
		w_put(w, "{", 1);
		for (size_t i = 0; i < n && !w->rc; i++) {
			if (i)
				w_put(w, ",", 1);
			w_indent(w, depth + 1);
			w_string(w, sorted[i]->key, strlen(sorted[i]->key));
			w_put(w, ": ", (w->flags & JSON_ENCODE_PRETTY) ? 2 : 1);
			w_value(w, sorted[i]->value, depth + 1);
		}
		w_indent(w, depth);
		w_put(w, "}", 1);
		if (sorted != stack_sorted)
			free(sorted);
		break;
	}
	}
}

int json_encode(const struct json *v, struct buf *out, int flags)
{
	struct json_writer w = { .out = out, .flags = flags };
	size_t mark = out->len;

	w_value(&w, v, 0);
	if (w.rc) {
		/* leave out as it was */
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return w.rc;
}

char *json_encode_str(const struct json *v, size_t max_bytes, int flags)
{
	struct buf b;

	buf_init(&b, max_bytes);
	if (json_encode(v, &b, flags) < 0) {
		buf_cleanup(&b);
		return NULL;
	}
	return buf_take(&b);
}

size_t json_encoded_size(const struct json *v)
{
	struct json_writer w = { .count = true };

	w_value(&w, v, 0);
	return w.rc ? SIZE_MAX : w.size;
}

uint64_t json_hash(const struct json *v)
{
	struct json_writer w = { .out = NULL, .hash = HASH_FNV1A64_OFFSET };

	w_value(&w, v, 0);
	return w.hash;
}

/* ---- shape -------------------------------------------------------------- */

static void json_shape_walk(const struct json *v, int depth, struct json_shape *out)
{
	out->nodes++;
	if (v->type != JSON_ARRAY && v->type != JSON_OBJECT)
		return;
	if (depth + 1 > out->depth)
		out->depth = depth + 1;
	if (depth + 1 > JSON_MAX_DEPTH)
		return; /* deeper than any parse: stop here, depth says so */
	if (v->type == JSON_ARRAY)
		for (size_t i = 0; i < v->u.arr.len; i++)
			json_shape_walk(v->u.arr.items[i], depth + 1, out);
	else
		for (size_t i = 0; i < v->u.obj.len; i++)
			json_shape_walk(v->u.obj.items[i].value, depth + 1, out);
}

void json_shape(const struct json *v, struct json_shape *out)
{
	out->nodes = 0;
	out->depth = 0;
	if (v)
		json_shape_walk(v, 0, out);
}
