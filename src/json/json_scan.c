/* json_scan.c - finding values, members and items in JSON text without
 * building them (see json_scan.h).
 *
 * Why this way: the reflector must read a list page or a watch event whose
 * objects were written by users, and one of them may nest 10,000 levels or
 * hold a million keys. json_parse refuses such a document as a whole (its
 * depth and node limits keep the C stack and the heap bounded), which used
 * to fail the whole page. The scanner only finds boundaries, so each object
 * can be parsed, and refused, on its own.
 *
 * The walk is iterative: each open container pushes the byte that closes it
 * on a stack that lives in a small array and moves to the heap past
 * JSON_SCAN_STACK_BYTES levels (it never outgrows the text: one byte per
 * level). Strings are stepped over (a backslash skips the next byte), not
 * decoded, except object keys handed to a callback, which go through
 * json_parse when they hold escapes or non-ASCII bytes.
 *
 * What it does not do: validate contents (UTF-8, escapes, numbers beyond
 * their characters) - json_parse does when the piece is parsed.
 */
#include "json/json_scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "json/json.h"

#define JSON_SCAN_STACK_BYTES 256   /* nesting levels tracked without the heap */
#define JSON_SCAN_KEY_BYTES 256     /* plain keys decoded in place up to this */

struct scan {
	const unsigned char *start, *p, *end;
	struct error *err;
};

static int scan_fail(struct scan *s, const char *what)
{
	return error_set(s->err, ERR_INVALID, "JSON at byte %zu: %s", (size_t)(s->p - s->start), what);
}

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* s->p on the opening quote; leaves it after the closing one. */
static int scan_string(struct scan *s)
{
	const unsigned char *p = s->p + 1;

	for (;;) {
		const unsigned char *q = p;

		while (q < s->end && *q != '"' && *q != '\\')
			q++;
		if (q >= s->end) {
			return scan_fail(s, "unterminated string");
		}
		if (*q == '"') {
			s->p = q + 1;
			return 0;
		}
		if (q + 1 >= s->end)
			return scan_fail(s, "unterminated string");
		p = q + 2; /* the escaped byte, whatever it is */
	}
}

static bool scan_number_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* A scalar at s->p that is not a string. */
static int scan_bare(struct scan *s)
{
	static const char *const lits[] = { "true", "false", "null" };
	unsigned char c = *s->p;
	bool digit = false;

	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		size_t n = strlen(lits[i]);

		if (c == (unsigned char)lits[i][0]) {
			if ((size_t)(s->end - s->p) < n || memcmp(s->p, lits[i], n) != 0)
				return scan_fail(s, "invalid literal");
			s->p += n;
			return 0;
		}
	}
	if (c != '-' && (c < '0' || c > '9'))
		return scan_fail(s, "unexpected character");
	while (s->p < s->end && scan_number_char(*s->p)) {
		digit = digit || (*s->p >= '0' && *s->p <= '9');
		s->p++;
	}
	return digit ? 0 : scan_fail(s, "invalid number");
}

struct scan_stack {
	unsigned char small[JSON_SCAN_STACK_BYTES];
	unsigned char *items;
	size_t len, cap;
};

static void stack_push(struct scan_stack *st, unsigned char close)
{
	if (st->len == st->cap) {
		size_t cap = st->cap * 2;

		if (st->items == st->small) {
			st->items = mem_alloc(cap);
			memcpy(st->items, st->small, st->len);
		} else {
			st->items = mem_realloc(st->items, cap);
		}
		st->cap = cap;
	}
	st->items[st->len++] = close;
}

/* One value from s->p (whitespace first); leaves s->p right after it. */
static int scan_one(struct scan *s)
{
	struct scan_stack st;
	int rc = 0;

	st.items = st.small;
	st.len = 0;
	st.cap = sizeof(st.small);
	scan_ws(s);
	for (;;) {
		/* a value is expected at s->p */
		if (s->p >= s->end) {
			rc = scan_fail(s, "value expected");
			break;
		}
		if (*s->p == '{' || *s->p == '[') {
			unsigned char close = *s->p == '{' ? '}' : ']';

			stack_push(&st, close);
			s->p++;
			scan_ws(s);
			if (s->p < s->end && *s->p == close) {
				s->p++;
				st.len--;
			} else if (close == '}') {
				if (s->p >= s->end || *s->p != '"') {
					rc = scan_fail(s, "object key (string) expected");
					break;
				}
				if ((rc = scan_string(s)) < 0)
					break;
				scan_ws(s);
				if (s->p >= s->end || *s->p != ':') {
					rc = scan_fail(s, "':' expected");
					break;
				}
				s->p++;
				scan_ws(s);
				continue; /* the member's value */
			} else {
				continue; /* the first item */
			}
		} else if (*s->p == '"') {
			if ((rc = scan_string(s)) < 0)
				break;
		} else if ((rc = scan_bare(s)) < 0) {
			break;
		}
		/* a value ended: close containers, or find the next value */
		while (st.len) {
			unsigned char top = st.items[st.len - 1];

			scan_ws(s);
			if (s->p >= s->end) {
				rc = scan_fail(s, top == '}' ? "unterminated object" : "unterminated array");
				goto out;
			}
			if (*s->p == top) {
				s->p++;
				st.len--;
				continue;
			}
			if (*s->p != ',') {
				rc = scan_fail(s, top == '}' ? "',' or '}' expected" : "',' or ']' expected");
				goto out;
			}
			s->p++;
			scan_ws(s);
			if (top == '}') {
				if (s->p >= s->end || *s->p != '"') {
					rc = scan_fail(s, "object key (string) expected");
					goto out;
				}
				if ((rc = scan_string(s)) < 0)
					goto out;
				scan_ws(s);
				if (s->p >= s->end || *s->p != ':') {
					rc = scan_fail(s, "':' expected");
					goto out;
				}
				s->p++;
				scan_ws(s);
			}
			break; /* the next value */
		}
		if (!st.len)
			break;
	}
out:
	if (st.items != st.small)
		free(st.items);
	return rc;
}

int json_scan_value(const char *text, size_t len, size_t *start, size_t *end, struct error *err)
{
	struct scan s;
	int rc;

	s.start = s.p = (const unsigned char *)(text ? text : "");
	s.end = s.start + (text ? len : 0);
	s.err = err;
	scan_ws(&s);
	*start = (size_t)(s.p - s.start);
	rc = scan_one(&s);
	*end = (size_t)(s.p - s.start);
	return rc;
}

/* The key whose text (quotes included) is raw[0..n), decoded into buf
 * (JSON_SCAN_KEY_BYTES) or *heap; NULL when it is not a valid key. */
static const char *scan_key(const unsigned char *raw, size_t n, char *buf, char **heap)
{
	bool plain = n - 2 < JSON_SCAN_KEY_BYTES;
	struct json *v;
	struct error err;

	*heap = NULL;
	for (size_t i = 1; plain && i + 1 < n; i++)
		plain = raw[i] >= 0x20 && raw[i] < 0x80 && raw[i] != '\\';
	if (plain) {
		memcpy(buf, raw + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	v = json_parse((const char *)raw, n, &err);
	/* a copy: a string's bytes may live in its node's block (json.c) */
	if (v && v->type == JSON_STRING && !memchr(v->u.str.ptr, '\0', v->u.str.len))
		*heap = mem_strndup(v->u.str.ptr, v->u.str.len);
	json_free(v);
	return *heap;
}

/* Shared walk of an object's members (fn_m) or an array's items (fn_i). */
static int scan_container(const char *text, size_t len, bool object, json_scan_member_fn fn_m,
			  json_scan_item_fn fn_i, void *ud, struct error *err)
{
	unsigned char close = object ? '}' : ']';
	struct scan s;
	size_t index = 0;
	int rc;

	s.start = s.p = (const unsigned char *)(text ? text : "");
	s.end = s.start + (text ? len : 0);
	s.err = err;
	scan_ws(&s);
	if (s.p >= s.end || *s.p != (object ? '{' : '['))
		return scan_fail(&s, object ? "object expected" : "array expected");
	s.p++;
	scan_ws(&s);
	if (s.p < s.end && *s.p == close) {
		s.p++;
	} else {
		for (;;) {
			const unsigned char *key = NULL, *value;
			char keybuf[JSON_SCAN_KEY_BYTES], *heap = NULL;
			size_t keylen = 0;

			if (object) {
				if (s.p >= s.end || *s.p != '"')
					return scan_fail(&s, "object key (string) expected");
				key = s.p;
				if ((rc = scan_string(&s)) < 0)
					return rc;
				keylen = (size_t)(s.p - key);
				scan_ws(&s);
				if (s.p >= s.end || *s.p != ':')
					return scan_fail(&s, "':' expected");
				s.p++;
				scan_ws(&s);
			}
			value = s.p;
			if ((rc = scan_one(&s)) < 0)
				return rc;
			if (object) {
				const char *k = scan_key(key, keylen, keybuf, &heap);

				rc = fn_m(ud, k, (const char *)value, (size_t)(s.p - value), err);
				free(heap);
			} else {
				rc = fn_i(ud, index++, (const char *)value, (size_t)(s.p - value), err);
			}
			if (rc < 0)
				return rc;
			scan_ws(&s);
			if (s.p < s.end && *s.p == close) {
				s.p++;
				break;
			}
			if (s.p >= s.end || *s.p != ',')
				return scan_fail(&s, object ? "',' or '}' expected" : "',' or ']' expected");
			s.p++;
			scan_ws(&s);
		}
	}
	scan_ws(&s);
	if (s.p != s.end)
		return scan_fail(&s, "trailing characters after the document");
	return 0;
}

int json_scan_object(const char *text, size_t len, json_scan_member_fn fn, void *ud, struct error *err)
{
	return scan_container(text, len, true, fn, NULL, ud, err);
}

int json_scan_array(const char *text, size_t len, json_scan_item_fn fn, void *ud, struct error *err)
{
	return scan_container(text, len, false, NULL, fn, ud, err);
}
