/* json_encode.c - the canonical encoder behind json_encode,
 * json_encode_str, json_encoded_size and json_hash (see json.h for the
 * contract).
 *
 * Why this way: one canonical byte form per document (sorted keys, shortest
 * round-tripping numbers) so a render can be hashed and compared. The
 * encoder writes through a small sink that either appends to a bounded
 * buffer, feeds FNV-1a (so json_hash never materialises the encoding) or
 * only counts bytes.
 *
 * What it does not do: pretty-printing beyond what the flags in json.h
 * select, or preserving the original number text.
 */
#include "json/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "json/json_internal.h"

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

/* "%lld" without snprintf, which was a seventh of hashing and measuring a
 * render (every port, mode and count of it). Returns the length. */
static size_t format_int(int64_t i, char out[JSON__NUMBER_BYTES])
{
	char tmp[24];
	uint64_t u = i < 0 ? 0u - (uint64_t)i : (uint64_t)i;
	size_t n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
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
		w_put(w, num, format_int(v->u.i, num));
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

