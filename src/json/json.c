/* json.c - the JSON document model: constructors, containers, lookups,
 * clone, equality, shape, free (see json.h for the contract), and the
 * number-text and UTF-8 helpers the parser, the encoder, json_lua.c and
 * yaml_doc.c share through json_internal.h.
 *
 * Why this way: the host needs three things no off-the-shelf decoder in our
 * stack gives together - integers kept apart from floats, empty arrays kept
 * apart from empty objects, and one canonical byte form per document so a
 * render can be hashed and compared. The tree is the one type all of them
 * share; reading text into it is json_parse.c, writing it out (and hashing
 * it) is json_encode.c. Numbers are formatted and parsed in the C locale
 * through a locale_t, so a program that calls setlocale() still gets '.' as
 * the decimal point.
 *
 * What it does not do: parsing or encoding (json_parse.c, json_encode.c).
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

#include "core/mem.h"
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

/* The string's bytes follow the node in its block: one allocation, which
 * json_free recognises by the pointer. */
struct json *json_new_stringn(const char *s, size_t len)
{
	struct json *v = mem_alloc(json__node_block_bytes(JSON_STRING, 0, len));

	memset(v, 0, sizeof(*v));
	v->type = JSON_STRING;
	v->u.str.ptr = (char *)(v + 1);
	memcpy(v->u.str.ptr, s, len);
	v->u.str.ptr[len] = '\0';
	v->u.str.len = len;
	return v;
}

struct json *json_new_string(const char *s)
{
	return json_new_stringn(s, strlen(s));
}

/* Takes ownership of ptr (heap, NUL-terminated at len). */
struct json *json__new_string_take(char *ptr, size_t len)
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

/* ---- one block per node (json_internal.h) ----------------------------- */

size_t json__node_block_bytes(enum json_type type, size_t n, size_t extra_bytes)
{
	switch (type) {
	case JSON_STRING:
		return sizeof(struct json) + extra_bytes + 1;
	case JSON_ARRAY:
		return sizeof(struct json) + n * sizeof(struct json *);
	case JSON_OBJECT:
		return sizeof(struct json) + n * sizeof(struct json_member) + extra_bytes;
	default:
		return sizeof(struct json);
	}
}

/* Whether the items (members) array is the one in the node's block. */
static bool items_inline(const struct json *v)
{
	return (const void *)v->u.arr.items == (const void *)(v + 1);
}

/* Every change to a container goes through here first. */
static void thawed_or_abort(const struct json *v, const char *what)
{
	if (v->inline_bytes & JSON__FROZEN) {
		fprintf(stderr, "json: %s on a frozen tree (json_freeze_take): a bug\n", what);
		abort();
	}
}

/* Whether key is text in obj's own block (json__new_object_sized). */
static bool key_inline(const struct json *obj, const char *key)
{
	return (uintptr_t)key - (uintptr_t)obj < obj->inline_bytes;
}

void json__key_free(const struct json *obj, char *key)
{
	if (!key_inline(obj, key))
		free(key);
}

struct json *json__new_array_sized(size_t n)
{
	struct json *v;

	if (!n)
		return json_new_array();
	v = mem_alloc(json__node_block_bytes(JSON_ARRAY, n, 0));
	memset(v, 0, sizeof(*v));
	v->type = JSON_ARRAY;
	v->u.arr.items = (struct json **)(v + 1);
	v->u.arr.cap = n;
	return v;
}

struct json *json__new_object_sized(size_t n, size_t key_bytes, char **keys)
{
	size_t bytes = json__node_block_bytes(JSON_OBJECT, n, key_bytes);
	struct json *v;

	*keys = NULL;
	if (!n || bytes > JSON__OBJECT_BLOCK_MAX_BYTES) {
		v = json_new_object();
		json_object_reserve(v, n);
		return v;
	}
	v = mem_alloc(bytes);
	memset(v, 0, sizeof(*v));
	v->type = JSON_OBJECT;
	v->inline_bytes = (uint32_t)bytes;
	v->u.obj.items = (struct json_member *)(v + 1);
	v->u.obj.cap = n;
	*keys = (char *)(v->u.obj.items + n);
	return v;
}

void json__object_append_key(struct json *obj, char **keys, const char *key, size_t klen,
			     struct json *value)
{
	char *k;

	assert(obj && obj->type == JSON_OBJECT && key && value);
	if (*keys) {
		k = *keys;
		assert(key_inline(obj, k + klen));
		memcpy(k, key, klen);
		k[klen] = '\0';
		*keys += klen + 1;
	} else {
		k = mem_strndup(key, klen);
	}
	json__object_append_raw(obj, k, value);
}

void json_free(struct json *v)
{
	if (!v)
		return;
	if (v->inline_bytes & JSON__FROZEN) {
		json__frozen_release(v);
		return;
	}
	switch (v->type) {
	case JSON_STRING:
		if (v->u.str.ptr != (char *)(v + 1))
			free(v->u.str.ptr);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.len; i++)
			json_free(v->u.arr.items[i]);
		if (!items_inline(v))
			free(v->u.arr.items);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.len; i++) {
			json__key_free(v, v->u.obj.items[i].key);
			json_free(v->u.obj.items[i].value);
		}
		if (!items_inline(v))
			free(v->u.obj.items);
		break;
	default:
		break;
	}
	free(v);
}

/* Grows a container's items (members) array to cap entries of size bytes
 * each; one in the node's block is copied out, never realloc'd. */
static void *items_grow(struct json *v, size_t cap, size_t size)
{
	void *items;

	if (!items_inline(v))
		return mem_realloc(v->u.arr.items, cap * size);
	items = mem_alloc(cap * size);
	memcpy(items, v->u.arr.items, v->u.arr.len * size);
	return items;
}

void json_array_push_take(struct json *arr, struct json *item)
{
	assert(arr && arr->type == JSON_ARRAY && item);
	thawed_or_abort(arr, "json_array_push_take");
	if (arr->u.arr.len == arr->u.arr.cap) {
		size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;

		arr->u.arr.items = items_grow(arr, cap, sizeof(*arr->u.arr.items));
		arr->u.arr.cap = cap;
	}
	arr->u.arr.items[arr->u.arr.len++] = item;
}

void json_array_reserve(struct json *arr, size_t n)
{
	assert(arr && arr->type == JSON_ARRAY);
	thawed_or_abort(arr, "json_array_reserve");
	if (n <= arr->u.arr.cap)
		return;
	arr->u.arr.items = items_grow(arr, n, sizeof(*arr->u.arr.items));
	arr->u.arr.cap = n;
}

void json_object_reserve(struct json *obj, size_t n)
{
	assert(obj && obj->type == JSON_OBJECT);
	thawed_or_abort(obj, "json_object_reserve");
	if (n <= obj->u.obj.cap)
		return;
	obj->u.obj.items = items_grow(obj, n, sizeof(*obj->u.obj.items));
	obj->u.obj.cap = n;
}

/* Appends a member whose key the caller already allocated (ownership of both
 * moves to obj). */
void json__object_append_raw(struct json *obj, char *key, struct json *value)
{
	thawed_or_abort(obj, "an object append");
	if (obj->u.obj.len == obj->u.obj.cap) {
		size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 4;

		obj->u.obj.items = items_grow(obj, cap, sizeof(*obj->u.obj.items));
		obj->u.obj.cap = cap;
	}
	obj->u.obj.items[obj->u.obj.len].key = key;
	obj->u.obj.items[obj->u.obj.len].value = value;
	obj->u.obj.len++;
}

void json_object_append_take(struct json *obj, const char *key, struct json *value)
{
	assert(obj && obj->type == JSON_OBJECT && key && value);
	json__object_append_raw(obj, mem_strdup(key), value);
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
	thawed_or_abort(obj, "json_object_set_take");
	m = json_find(obj, key);
	if (m) {
		json_free(m->value);
		m->value = value;
		return;
	}
	json__object_append_raw(obj, mem_strdup(key), value);
}

bool json_object_remove(struct json *obj, const char *key)
{
	struct json_member *m = json_find(obj, key);
	size_t i;

	if (m)
		thawed_or_abort(obj, "json_object_remove");

	if (!m)
		return false;
	i = (size_t)(m - obj->u.obj.items);
	json__key_free(obj, m->key);
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

/* Up to this many members are sorted in place by insertion. */
#define JSON_SORT_INSERTION_MAX_MEMBERS 16

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
	if (sorted)
		return;
	if (n > JSON_SORT_INSERTION_MAX_MEMBERS) {
		qsort(out, n, sizeof(*out), member_cmp);
		return;
	}
	/* the objects a render hashes and encodes have a handful of keys:
	 * an insertion sort with the same order beats qsort's setup and its
	 * call per comparison */
	for (size_t i = 1; i < n; i++) {
		const struct json_member *m = out[i];
		size_t j = i;

		while (j > 0 && member_cmp(&out[j - 1], &m) > 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = m;
	}
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

/* ---- clone and equality ----------------------------------------------- */

/* One block per node, no spare room (json_internal.h): a clone is usually
 * kept (a cache entry, a render's input), so it is built the compact way. */
struct json *json_clone(const struct json *v)
{
	struct json *c;
	char *keys;
	size_t key_bytes = 0;

	if (!v)
		return NULL;
	switch (v->type) {
	case JSON_STRING:
		return json_new_stringn(v->u.str.ptr, v->u.str.len);
	case JSON_ARRAY:
		c = json__new_array_sized(v->u.arr.len);
		for (size_t i = 0; i < v->u.arr.len; i++)
			c->u.arr.items[i] = json_clone(v->u.arr.items[i]);
		c->u.arr.len = v->u.arr.len;
		return c;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.len; i++)
			key_bytes += strlen(v->u.obj.items[i].key) + 1;
		c = json__new_object_sized(v->u.obj.len, key_bytes, &keys);
		for (size_t i = 0; i < v->u.obj.len; i++) {
			const char *k = v->u.obj.items[i].key;

			json__object_append_key(c, &keys, k, strlen(k), json_clone(v->u.obj.items[i].value));
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
		return true; /* (frozen trees share their equal subtrees) */
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

