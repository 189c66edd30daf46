/* test_json.c - src/json/json_parse.c, json_encode.c and json.c: strict
 * parsing, canonical encoding, tree helpers, per-parse limits;
 * src/json/json_scan.c: finding values, members and items in text without
 * building them. Every case asserts concrete values so a regression
 * fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"
#include "json/json_internal.h"
#include "json/json_scan.h"
#include "support/testutil.h"

/* Parses s, which must fail with code; returns the message. */
static void parse_fails(const char *s, size_t len, int code)
{
	struct error err;
	struct json *v;

	error_clear(&err);
	v = json_parse(s, len, &err);
	if (v) {
		json_free(v);
		fail_msg("parse of \"%.*s\" succeeded, expected an error", (int)len, s);
	}
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, "JSON at byte"));
}

static void parse_fails_str(const char *s)
{
	parse_fails(s, strlen(s), ERR_INVALID);
}

/* Canonical compact encoding of a parse (caller frees). */
static char *canon(const char *s)
{
	struct json *v = tu_json(s);
	char *out = json_encode_str(v, 1 << 20, 0);

	json_free(v);
	assert_non_null(out);
	return out;
}

static void assert_canon(const char *in, const char *expected)
{
	char *out = canon(in);

	assert_string_equal(out, expected);
	free(out);
}

static void test_scalars(void **state)
{
	struct json *v;

	v = tu_json(" null ");
	assert_int_equal(v->type, JSON_NULL);
	json_free(v);
	v = tu_json("true");
	assert_int_equal(v->type, JSON_BOOL);
	assert_true(v->u.b);
	json_free(v);
	v = tu_json("\t\r\nfalse\n");
	assert_int_equal(v->type, JSON_BOOL);
	assert_false(v->u.b);
	json_free(v);
	v = tu_json("\"hi\"");
	assert_int_equal(v->type, JSON_STRING);
	assert_string_equal(v->u.str.ptr, "hi");
	assert_int_equal(v->u.str.len, 2);
	json_free(v);
}

static void test_integers_exact(void **state)
{
	struct json *v;

	v = tu_json("9223372036854775807");
	assert_int_equal(v->type, JSON_INT);
	assert_true(v->u.i == INT64_MAX);
	json_free(v);
	v = tu_json("-9223372036854775808");
	assert_int_equal(v->type, JSON_INT);
	assert_true(v->u.i == INT64_MIN);
	json_free(v);
	v = tu_json("-0");
	assert_int_equal(v->type, JSON_INT);
	assert_int_equal(v->u.i, 0);
	json_free(v);
	assert_canon("[9223372036854775807,-9223372036854775808,0,-1,42]",
		     "[9223372036854775807,-9223372036854775808,0,-1,42]");
}

static void test_integer_overflow_becomes_float(void **state)
{
	struct json *v;

	v = tu_json("9223372036854775808");
	assert_int_equal(v->type, JSON_FLOAT);
	assert_true(v->u.f == 9223372036854775808.0);
	json_free(v);
	v = tu_json("-9223372036854775809");
	assert_int_equal(v->type, JSON_FLOAT);
	assert_true(v->u.f == -9223372036854775808.0);
	json_free(v);
	v = tu_json("123456789012345678901234567890");
	assert_int_equal(v->type, JSON_FLOAT);
	assert_true(v->u.f == 1.2345678901234568e29);
	json_free(v);
	assert_canon("18446744073709551616", "1.8446744073709552e+19");
}

static void test_one_vs_one_point_zero(void **state)
{
	struct json *a = tu_json("1"), *b = tu_json("1.0"), *c = tu_json("1e0");

	assert_int_equal(a->type, JSON_INT);
	assert_int_equal(b->type, JSON_FLOAT);
	assert_int_equal(c->type, JSON_FLOAT);
	assert_false(json_equal(a, b));
	assert_true(json_equal(b, c));
	assert_true(json_hash(a) != json_hash(b));
	json_free(a);
	json_free(b);
	json_free(c);
	/* integral floats keep a ".0" so the type survives re-parsing */
	assert_canon("[1.0,1e2,-3.0,0.0,-0.0,1E+2]", "[1.0,100.0,-3.0,0.0,-0.0,100.0]");
}

static void test_float_shortest_round_trip(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "0.1", "0.1" },
		{ "0.3333333333333333", "0.3333333333333333" },
		{ "3.141592653589793", "3.141592653589793" },
		{ "1e300", "1e+300" },
		{ "1.5e-10", "1.5e-10" },
		{ "5e-324", "4.94065645841247e-324" },
		{ "1.7976931348623157e308", "1.7976931348623157e+308" },
		{ "2.5", "2.5" },
		{ "100000000000000000000.0", "1e+20" },
		{ "0.30000000000000004", "0.30000000000000004" },
	};
	double samples[] = { 0.1, 0.2, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 1e-7, 123456.789,
			     4.35, 9007199254740993.0, 1e23, 5e-324, -2.2250738585072014e-308 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_canon(cases[i].in, cases[i].out);
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct json *f = json_new_float(samples[i]), *back;
		char *s = json_encode_str(f, 64, 0);

		back = tu_json(s);
		assert_int_equal(back->type, JSON_FLOAT);
		assert_memory_equal(&back->u.f, &samples[i], sizeof(double));
		assert_true(json_equal(f, back));
		/* no longer than %.17g */
		assert_true(strlen(s) <= 25);
		free(s);
		json_free(f);
		json_free(back);
	}
}

static void test_number_syntax_is_strict(void **state)
{
	static const char *bad[] = {
		"01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity",
		"-Infinity", "1.5.2", "--1", "1_000", "- 1", "nan",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails_str(bad[i]);
	/* out of double range: never produce an infinity */
	parse_fails_str("1e400");
	parse_fails_str("-1e400");
	/* underflow is fine */
	assert_canon("1e-400", "0.0");
}

static void test_string_escapes(void **state)
{
	struct json *v;

	v = tu_json("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	assert_string_equal(v->u.str.ptr, "a\"b\\c/d\b\f\n\r\t");
	json_free(v);
	v = tu_json("\"caf\\u00e9 \\u20AC \\ud83d\\ude00\"");
	assert_string_equal(v->u.str.ptr, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_free(v);
	/* raw UTF-8 passes through and re-encodes unescaped */
	assert_canon("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* minimal escaping on output: '/' and DEL are not escaped, controls are */
	assert_canon("\"\\u0001/\\u007f\\u001f\\\"\\\\\\n\"", "\"\\u0001/\x7f\\u001f\\\"\\\\\\n\"");
	assert_canon("\"\\b\\f\\r\\t\"", "\"\\b\\f\\r\\t\"");
}

static void test_bad_escapes_and_surrogates(void **state)
{
	static const char *bad[] = {
		"\"\\ud800\"",            /* lone high */
		"\"\\udc00\"",            /* lone low */
		"\"\\ud800\\u0041\"",     /* high + non-low */
		"\"\\ud800x\"",
		"\"\\ude00\\ud83d\"",     /* reversed pair */
		"\"\\u12\"",
		"\"\\u12g4\"",
		"\"\\x41\"",
		"\"\\a\"",
		"\"\\'\"",
		"\"abc",
		"\"abc\\",
		"\"tab\there\"",          /* raw control character */
		"\"line\nbreak\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails_str(bad[i]);
}

static void test_invalid_utf8_rejected(void **state)
{
	static const char *bad[] = {
		"\"\xff\"",
		"\"\x80\"",                   /* stray continuation */
		"\"\xc0\xaf\"",               /* overlong '/' */
		"\"\xc1\xbf\"",
		"\"\xe0\x80\xaf\"",           /* overlong 3-byte */
		"\"\xed\xa0\x80\"",           /* UTF-8 encoded surrogate */
		"\"\xf0\x80\x80\xaf\"",       /* overlong 4-byte */
		"\"\xf4\x90\x80\x80\"",       /* > U+10FFFF */
		"\"\xf5\x80\x80\x80\"",
		"\"\xc3\"",                   /* truncated */
		"\"\xe2\x82\"",
		"\"\xc3\x28\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails_str(bad[i]);
	/* the boundaries that are valid */
	assert_canon("\"\xf4\x8f\xbf\xbf\xef\xbf\xbf\xed\x9f\xbf\"",
		     "\"\xf4\x8f\xbf\xbf\xef\xbf\xbf\xed\x9f\xbf\"");
}

static void test_nul_in_strings(void **state)
{
	struct json *v = tu_json("{\"k\":\"a\\u0000b\"}");
	struct json *s = json_get(v, "k");
	char *out;

	assert_non_null(s);
	assert_int_equal(s->u.str.len, 3);
	assert_memory_equal(s->u.str.ptr, "a\0b", 4);
	out = json_encode_str(v, 64, 0);
	assert_string_equal(out, "{\"k\":\"a\\u0000b\"}");
	free(out);
	json_free(v);
	/* keys are C strings: a NUL in a key is rejected */
	parse_fails_str("{\"a\\u0000b\":1}");
	/* a raw NUL byte anywhere is rejected */
	parse_fails("\"a\0b\"", 5, ERR_INVALID);
	parse_fails("[1]\0", 4, ERR_INVALID);
	/* strings built in C with NUL encode it escaped */
	v = json_new_stringn("x\0y", 3);
	out = json_encode_str(v, 64, 0);
	assert_string_equal(out, "\"x\\u0000y\"");
	free(out);
	json_free(v);
}

static void test_invalid_utf8_from_c_is_replaced_on_output(void **state)
{
	struct json *v = json_new_string("ok\xff" "end\xc3");
	char *out = json_encode_str(v, 64, 0);

	assert_string_equal(out, "\"ok\xef\xbf\xbd" "end\xef\xbf\xbd\"");
	free(out);
	json_free(v);
}

static void test_structure_errors(void **state)
{
	static const char *bad[] = {
		"", "   ", "[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}",
		"{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "[1]]",
		"1 2", "{}x", "[] []", "tru", "nul", "falsee", "truex", "[1]//c",
		"/* c */ 1", "\xef\xbb\xbf{}", "[1,\n]", "{1:2}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails_str(bad[i]);
}

static void test_error_reports_offset(void **state)
{
	struct error err;
	struct json *v;

	v = json_parse("{\"a\": [1, 2,, 3]}", 17, &err);
	assert_null(v);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.msg, "JSON at byte 12: unexpected character");
	v = json_parse("[1] x", 5, &err);
	assert_null(v);
	assert_string_equal(err.msg, "JSON at byte 4: trailing characters after the document");
}

static void test_length_is_respected(void **state)
{
	/* the text need not be NUL-terminated; bytes past len are ignored */
	const char text[] = "[1,2]garbage";
	struct error err;
	struct json *v = json_parse(text, 5, &err);

	assert_non_null(v);
	assert_int_equal(v->u.arr.len, 2);
	json_free(v);
	v = json_parse(text, 4, &err);
	assert_null(v);
	assert_int_equal(err.code, ERR_INVALID);
	/* a number ending exactly at len is not read past */
	v = json_parse("12345", 3, &err);
	assert_non_null(v);
	assert_int_equal(v->u.i, 123);
	json_free(v);
}

static char *nested(int depth, char open, char close)
{
	char *s = malloc((size_t)depth * 2 + 1);

	memset(s, open, (size_t)depth);
	memset(s + depth, close, (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

static void test_depth_limit(void **state)
{
	struct error err;
	char *s = nested(JSON_MAX_DEPTH, '[', ']');
	struct json *v = json_parse(s, strlen(s), &err);
	struct buf b;

	assert_non_null(v);
	buf_init(&b, 1 << 20);
	assert_int_equal(json_encode(v, &b, 0), 0);
	assert_string_equal(buf_str(&b), s);
	buf_cleanup(&b);
	json_free(v);
	free(s);

	s = nested(JSON_MAX_DEPTH + 1, '[', ']');
	v = json_parse(s, strlen(s), &err);
	assert_null(v);
	assert_int_equal(err.code, ERR_LIMIT);
	free(s);

	/* deep objects too, and a hostile 100k-deep input fails cleanly */
	{
		size_t n = 100000;
		char *deep = malloc(n * 6 + 1);

		for (size_t i = 0; i < n; i++)
			memcpy(deep + i * 6, "{\"a\":[", 6);
		deep[n * 6] = '\0';
		v = json_parse(deep, n * 6, &err);
		assert_null(v);
		assert_int_equal(err.code, ERR_LIMIT);
		free(deep);
	}
}

static void test_huge_string(void **state)
{
	size_t n = 8u << 20;
	char *text = malloc(n + 3), *out;
	struct json *v;

	text[0] = '"';
	for (size_t i = 0; i < n; i++)
		text[i + 1] = (char)('a' + i % 26);
	text[n + 1] = '"';
	text[n + 2] = '\0';
	v = tu_json(text);
	assert_int_equal(v->u.str.len, n);
	assert_int_equal(v->u.str.ptr[n - 1], 'a' + (n - 1) % 26);
	out = json_encode_str(v, n + 2, 0);
	assert_non_null(out);
	assert_string_equal(out, text);
	free(out);
	/* one byte short of the encoding: ERR_LIMIT, no partial string */
	assert_null(json_encode_str(v, n + 1, 0));
	json_free(v);
	free(text);
}

static void test_doc_size_limit(void **state)
{
	struct error err;
	/* only the length is checked before reading, so a dummy pointer works */
	struct json *v = json_parse("", (size_t)JSON_MAX_DOC_BYTES + 1, &err);

	assert_null(v);
	assert_int_equal(err.code, ERR_LIMIT);
}

static void test_duplicate_keys_last_wins(void **state)
{
	struct json *v = tu_json("{\"a\":1,\"b\":2,\"a\":{\"x\":[]},\"a\":3}");

	assert_int_equal(v->u.obj.len, 2);
	/* position of the first occurrence, value of the last */
	assert_string_equal(v->u.obj.items[0].key, "a");
	assert_int_equal(v->u.obj.items[0].value->u.i, 3);
	assert_string_equal(v->u.obj.items[1].key, "b");
	json_free(v);

	/* many keys (the sorting path) */
	v = tu_json("{\"k9\":9,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,"
		     "\"k7\":7,\"k8\":8,\"k1\":10,\"k9\":90,\"k1\":100}");
	assert_int_equal(v->u.obj.len, 9);
	assert_int_equal(json_get_int(v, "k1", -1), 100);
	assert_int_equal(json_get_int(v, "k9", -1), 90);
	assert_string_equal(v->u.obj.items[0].key, "k9");
	assert_string_equal(v->u.obj.items[1].key, "k1");
	assert_string_equal(v->u.obj.items[8].key, "k8");
	json_free(v);
}

static void test_many_distinct_keys(void **state)
{
	struct buf b;
	struct json *v;
	char *out;

	buf_init(&b, 1 << 24);
	buf_append_char(&b, '{');
	for (int i = 50000; i > 0; i--)
		buf_appendf(&b, "%s\"key%06d\":%d", i == 50000 ? "" : ",", i, i);
	buf_append_char(&b, '}');
	v = tu_json(buf_str(&b));
	assert_int_equal(v->u.obj.len, 50000);
	out = json_encode_str(v, 1 << 24, 0);
	assert_non_null(out);
	assert_memory_equal(out, "{\"key000001\":1,\"key000002\":2,", 29);
	free(out);
	json_free(v);
	buf_cleanup(&b);
}

static void test_canonical_key_order(void **state)
{
	/* bytewise: uppercase before lowercase, prefix first, UTF-8 last */
	assert_canon("{\"b\":1,\"a\":2,\"B\":3,\"\xc3\xa9\":4,\"aa\":5,\"\":6,\"a/b\":7}",
		     "{\"\":6,\"B\":3,\"a\":2,\"a/b\":7,\"aa\":5,\"b\":1,\"\xc3\xa9\":4}");
	/* nested objects sorted too; arrays keep their order */
	assert_canon("{\"z\":{\"y\":1,\"x\":2},\"a\":[3,1,2]}",
		     "{\"a\":[3,1,2],\"z\":{\"x\":2,\"y\":1}}");
}

static void test_empty_containers_survive(void **state)
{
	assert_canon("{\"a\":[],\"b\":{},\"c\":[[],{}]}", "{\"a\":[],\"b\":{},\"c\":[[],{}]}");
	assert_canon("[]", "[]");
	assert_canon("{}", "{}");
	assert_canon(" [ ] ", "[]");
}

static void test_pretty(void **state)
{
	struct json *v = tu_json("{\"spec\":{\"b\":[1,{\"x\":null}],\"a\":\"s\",\"e\":[],\"o\":{}},"
				  "\"f\":1.5,\"t\":true}");
	char *out = json_encode_str(v, 4096, JSON_ENCODE_PRETTY);

	assert_string_equal(out,
		"{\n"
		"  \"f\": 1.5,\n"
		"  \"spec\": {\n"
		"    \"a\": \"s\",\n"
		"    \"b\": [\n"
		"      1,\n"
		"      {\n"
		"        \"x\": null\n"
		"      }\n"
		"    ],\n"
		"    \"e\": [],\n"
		"    \"o\": {}\n"
		"  },\n"
		"  \"t\": true\n"
		"}");
	free(out);
	json_free(v);
	v = json_new_int(7);
	out = json_encode_str(v, 16, JSON_ENCODE_PRETTY);
	assert_string_equal(out, "7");
	free(out);
	json_free(v);
}

static void test_encode_ceiling_leaves_buffer_unchanged(void **state)
{
	struct json *v = tu_json("{\"key\":\"a long enough value\"}");
	struct buf b;

	buf_init(&b, 20);
	buf_append_str(&b, "pre:");
	assert_int_equal(json_encode(v, &b, 0), ERR_LIMIT);
	assert_string_equal(buf_str(&b), "pre:");
	assert_int_equal(b.len, 4);
	buf_cleanup(&b);
	json_free(v);
}

static void test_build_and_lookup(void **state)
{
	struct json *o = json_new_object(), *meta = json_new_object(), *arr = json_new_array();
	char *out;

	json_object_set_take(meta, "name", json_new_string("box"));
	json_object_set_take(meta, "generation", json_new_int(3));
	json_object_set_take(o, "metadata", meta);
	json_object_set_take(o, "ready", json_new_bool(true));
	json_object_set_take(o, "ratio", json_new_float(0.5));
	json_array_push_take(arr, json_new_null());
	json_array_push_take(arr, json_new_stringn("a\"b", 3));
	json_object_set_take(o, "list", arr);
	json_object_append_take(o, "zz", json_new_int(-1));

	assert_string_equal(json_get_string(meta, "name"), "box");
	assert_null(json_get_string(meta, "generation"));
	assert_int_equal(json_get_int(meta, "generation", -1), 3);
	assert_int_equal(json_get_int(meta, "name", -1), -1);
	assert_int_equal(json_get_int(o, "ratio", -7), -7); /* a float is not an int */
	assert_true(json_get_bool(o, "ready", false));
	assert_true(json_get_bool(o, "missing", true));
	assert_ptr_equal(json_path(o, "metadata", "name", NULL), json_get(meta, "name"));
	assert_null(json_path(o, "metadata", "name", "deeper", NULL));
	assert_null(json_path(o, "nope", "name", NULL));
	assert_ptr_equal(json_path(o, NULL), o);
	assert_null(json_get(arr, "x"));
	assert_null(json_get(NULL, "x"));

	/* replacing keeps one member and frees the old value (valgrind) */
	json_object_set_take(meta, "name", json_new_string("box2"));
	assert_int_equal(meta->u.obj.len, 2);
	assert_string_equal(json_get_string(meta, "name"), "box2");

	out = json_encode_str(o, 1024, 0);
	assert_string_equal(out, "{\"list\":[null,\"a\\\"b\"],\"metadata\":{\"generation\":3,"
				 "\"name\":\"box2\"},\"ratio\":0.5,\"ready\":true,\"zz\":-1}");
	free(out);

	assert_true(json_object_remove(o, "ready"));
	assert_false(json_object_remove(o, "ready"));
	assert_false(json_object_remove(arr, "x"));
	assert_int_equal(o->u.obj.len, 4);
	assert_string_equal(o->u.obj.items[0].key, "metadata");
	assert_string_equal(o->u.obj.items[1].key, "ratio");
	assert_string_equal(o->u.obj.items[3].key, "zz");
	json_free(o);
	json_free(NULL);
}

static void test_clone_and_equal(void **state)
{
	struct json *a = tu_json("{\"a\":[1,2.5,\"x\",null,true,{}],\"b\":{\"c\":[]}}");
	struct json *b = tu_json("{\"b\":{\"c\":[]},\"a\":[1,2.5,\"x\",null,true,{}]}");
	struct json *c = json_clone(a), *d;

	assert_true(json_equal(a, b));   /* objects are unordered */
	assert_true(json_equal(a, c));
	assert_ptr_not_equal(a, c);
	assert_ptr_not_equal(a->u.obj.items[0].key, c->u.obj.items[0].key);
	assert_int_equal(json_hash(a), json_hash(b));
	assert_int_equal(json_hash(a), json_hash(c));
	json_free(c);
	assert_null(json_clone(NULL));

	d = tu_json("{\"b\":{\"c\":[]},\"a\":[1,2.5,\"x\",null,true,[]]}");
	assert_false(json_equal(a, d));  /* {} vs [] */
	assert_true(json_hash(a) != json_hash(d));
	json_free(d);
	d = tu_json("{\"b\":{\"c\":[]},\"a\":[1,2.5,\"x\",null,true,{}],\"e\":1}");
	assert_false(json_equal(a, d));
	assert_false(json_equal(d, a));
	json_free(d);
	d = tu_json("{\"b\":{\"c\":[]},\"a\":[2.5,1,\"x\",null,true,{}]}");
	assert_false(json_equal(a, d));  /* arrays are ordered */
	json_free(d);
	json_free(a);
	json_free(b);

	/* large objects compare through the sorted path */
	a = tu_json("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10}");
	b = tu_json("{\"j\":10,\"i\":9,\"h\":8,\"g\":7,\"f\":6,\"e\":5,\"d\":4,\"c\":3,\"b\":2,\"a\":1}");
	c = tu_json("{\"j\":10,\"i\":9,\"h\":8,\"g\":7,\"f\":6,\"e\":5,\"d\":4,\"c\":3,\"b\":2,\"z\":1}");
	assert_true(json_equal(a, b));
	assert_false(json_equal(a, c));
	json_free(a);
	json_free(b);
	json_free(c);

	/* strings with NUL compare by length, -0.0 differs from 0.0 */
	a = json_new_stringn("a\0b", 3);
	b = json_new_stringn("a\0c", 3);
	assert_false(json_equal(a, b));
	json_free(a);
	json_free(b);
	a = json_new_float(0.0);
	b = json_new_float(-0.0);
	assert_false(json_equal(a, b));
	json_free(a);
	json_free(b);
}

static void test_hash_is_fnv1a_of_canonical_encoding(void **state)
{
	struct json *v = tu_json("{\"b\":[1,2],\"a\":\"x\"}");
	const char *canonical = "{\"a\":\"x\",\"b\":[1,2]}";
	uint64_t h = 14695981039346656037ull;

	for (const char *p = canonical; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	assert_true(json_hash(v) == h);
	json_free(v);
}

static void test_deep_tree_built_in_c_fails_to_encode(void **state)
{
	struct json *root = json_new_array(), *cur = root;
	struct buf b;

	for (int i = 0; i < JSON_MAX_DEPTH + 5; i++) {
		struct json *next = json_new_array();

		json_array_push_take(cur, next);
		cur = next;
	}
	buf_init(&b, 1 << 20);
	assert_int_equal(json_encode(root, &b, 0), ERR_LIMIT);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
	json_free(root);
}

static void test_encoded_size_matches_encoding(void **state)
{
	static const char *const docs[] = {
		"{}", "[]", "null", "1.5", "-7", "\"\"",
		"{\"b\":[1,2,{\"z\":null,\"a\":\"x\\ny\\u0001\\\"q\"}],\"a\":true,\"\u00e9\":1e300}",
		"[\"\\u20ac \\t tab\",[],{},[[[]]],0.1,12345678901234]",
	};
	struct error err;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct json *v = json_parse(docs[i], strlen(docs[i]), &err);
		char *text;

		assert_non_null(v);
		text = json_encode_str(v, 1 << 20, 0);
		assert_non_null(text);
		assert_int_equal(json_encoded_size(v), strlen(text));
		free(text);
		json_free(v);
	}
}

/* ---- per-parse limits and shapes ------------------------------------------ */

static void test_parse_limited_depth(void **state)
{
	struct json_limits lim = {.max_depth = 10};
	struct error err;
	size_t nodes = 0;
	char *s = nested(10, '[', ']');
	struct json *v = json_parse_limited(s, strlen(s), &lim, &nodes, &err);

	assert_non_null(v);
	assert_int_equal(nodes, 10);
	json_free(v);
	free(s);
	s = nested(11, '[', ']');
	assert_null(json_parse_limited(s, strlen(s), &lim, NULL, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "JSON at byte 10"));
	/* a limit above the parser's own, or none, means JSON_MAX_DEPTH */
	lim.max_depth = JSON_MAX_DEPTH + 50;
	v = json_parse_limited(s, strlen(s), &lim, NULL, &err);
	assert_non_null(v);
	json_free(v);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, '[', ']');
	assert_null(json_parse_limited(s, strlen(s), NULL, NULL, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	free(s);
}

static void test_parse_limited_nodes(void **state)
{
	struct json_limits lim = {.max_nodes = 6};
	const char *doc = "{\"a\":[1,2],\"b\":{\"c\":null}}"; /* 6 values */
	struct error err;
	size_t nodes = 0;
	struct json *v = json_parse_limited(doc, strlen(doc), &lim, &nodes, &err);

	assert_non_null(v);
	assert_int_equal(nodes, 6);
	json_free(v);
	lim.max_nodes = 5;
	assert_null(json_parse_limited(doc, strlen(doc), &lim, &nodes, &err));
	assert_int_equal(err.code, ERR_LIMIT);
	assert_non_null(strstr(err.msg, "more than 5 values"));
	/* the many-small-keys document is refused early, not built whole */
	{
		size_t n = 200000, len = 0;
		char *big = malloc(n * 14 + 3);

		big[len++] = '{';
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(big + len, "%s\"k%07zu\":1", i ? "," : "", i);
		big[len++] = '}';
		lim.max_nodes = 1000;
		assert_null(json_parse_limited(big, len, &lim, &nodes, &err));
		assert_int_equal(err.code, ERR_LIMIT);
		lim.max_nodes = 0; /* no limit: the whole thing */
		v = json_parse_limited(big, len, &lim, &nodes, &err);
		assert_non_null(v);
		assert_int_equal(nodes, n + 1);
		json_free(v);
		free(big);
	}
	/* plain json_parse has no node limit and counts the same way */
	v = json_parse(doc, strlen(doc), &err);
	assert_non_null(v);
	json_free(v);
}

static void test_shape(void **state)
{
	struct json_shape sh;
	struct json *v = tu_json("{\"a\":[1,[2,{}]],\"b\":\"x\"}");

	json_shape(v, &sh);
	assert_int_equal(sh.nodes, 7);
	assert_int_equal(sh.depth, 4);
	json_free(v);
	v = tu_json("3");
	json_shape(v, &sh);
	assert_int_equal(sh.nodes, 1);
	assert_int_equal(sh.depth, 0);
	json_free(v);
	json_shape(NULL, &sh);
	assert_int_equal(sh.nodes, 0);
	/* a tree built in C deeper than any parse: counting stops */
	{
		struct json *root = json_new_array(), *cur = root;

		for (int i = 0; i < JSON_MAX_DEPTH + 20; i++) {
			struct json *next = json_new_array();

			json_array_push_take(cur, next);
			cur = next;
		}
		json_shape(root, &sh);
		assert_int_equal(sh.depth, JSON_MAX_DEPTH + 1);
		json_free(root);
	}
}

/* ---- scanning without building --------------------------------------------- */

static void scan_extent(const char *s, size_t want_start, size_t want_end)
{
	struct error err;
	size_t start = 99, end = 99;

	if (json_scan_value(s, strlen(s), &start, &end, &err) < 0)
		fail_msg("scan of %s failed: %s", s, err.msg);
	assert_int_equal(start, want_start);
	assert_int_equal(end, want_end);
}

static void test_scan_value_extents(void **state)
{
	scan_extent("  {\"a\":[1,2]}  ", 2, 13);
	scan_extent("[]", 0, 2);
	scan_extent("\"a\\\"b\\\\\" tail", 0, 8);   /* "a\"b\\" */
	scan_extent("-1.5e+3,", 0, 7);
	scan_extent("true]", 0, 4);
	scan_extent("null", 0, 4);
	scan_extent("{\"k\":\"}\",\"l\":\"]\"} x", 0, 17); /* brackets in strings */
	/* contents are not judged: invalid UTF-8 and bad escapes pass */
	scan_extent("[\"\xff\xfe\",\"\\q\"]", 0, 11);
}

static void test_scan_value_errors(void **state)
{
	static const char *const bad[] = {
		"", "   ", "[}", "{]", "[1,2", "{\"a\":1", "\"abc", "\"ab\\", "tru", "nul", "-",
		"x", "}", "]", ",", "[1}]",
	};
	struct error err;
	size_t start, end;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear(&err);
		if (json_scan_value(bad[i], strlen(bad[i]), &start, &end, &err) == 0)
			fail_msg("scan of \"%s\" succeeded", bad[i]);
		assert_int_equal(err.code, ERR_INVALID);
		assert_non_null(strstr(err.msg, "JSON at byte"));
	}
}

static void test_scan_value_any_depth(void **state)
{
	/* 100k levels: far past what json_parse builds, and no recursion */
	size_t n = 100000, len = n * 6 + 1 + n * 2;
	char *deep = malloc(len + 1), *p = deep;
	struct error err;
	size_t start, end;

	for (size_t i = 0; i < n; i++, p += 6)
		memcpy(p, "{\"a\":[", 6);
	*p++ = '1';
	for (size_t i = 0; i < n; i++, p += 2)
		memcpy(p, "]}", 2);
	*p = '\0';
	assert_int_equal(json_scan_value(deep, len, &start, &end, &err), 0);
	assert_int_equal(start, 0);
	assert_int_equal(end, len);
	/* one bracket off at the bottom is found */
	deep[n * 6 + 1] = '}';
	assert_int_equal(json_scan_value(deep, len, &start, &end, &err), ERR_INVALID);
	free(deep);
}

struct scanned {
	int n;
	char keys[8][32];
	char values[8][64];
	int stop_at;   /* return an error on this member (1-based); 0 never */
};

static int scanned_member(void *ud, const char *key, const char *value, size_t len, struct error *err)
{
	struct scanned *sc = ud;

	assert_true(sc->n < 8);
	snprintf(sc->keys[sc->n], sizeof(sc->keys[0]), "%s", key ? key : "(null)");
	snprintf(sc->values[sc->n], sizeof(sc->values[0]), "%.*s", (int)len, value);
	sc->n++;
	if (sc->stop_at && sc->n == sc->stop_at)
		return error_set(err, ERR_PERMANENT, "stop");
	return 0;
}

static int scanned_item(void *ud, size_t index, const char *value, size_t len, struct error *err)
{
	struct scanned *sc = ud;

	assert_int_equal(index, (size_t)sc->n);
	snprintf(sc->keys[sc->n], sizeof(sc->keys[0]), "%zu", index);
	return scanned_member(ud, sc->keys[sc->n], value, len, err);
}

static void test_scan_object_members(void **state)
{
	const char *doc = " { \"kind\" : \"List\", \"a\\u0062\":[1, {\"x\":2}] ,\"bad\\ud800\":3,"
			  "\"kind\":null,\"deep\":[[[[]]]] } ";
	struct scanned sc = {0};
	struct error err;

	assert_int_equal(json_scan_object(doc, strlen(doc), scanned_member, &sc, &err), 0);
	assert_int_equal(sc.n, 5);
	assert_string_equal(sc.keys[0], "kind");
	assert_string_equal(sc.values[0], "\"List\"");
	assert_string_equal(sc.keys[1], "ab");                 /* decoded */
	assert_string_equal(sc.values[1], "[1, {\"x\":2}]");
	assert_string_equal(sc.keys[2], "(null)");             /* a lone surrogate */
	assert_string_equal(sc.values[2], "3");
	assert_string_equal(sc.keys[3], "kind");               /* duplicates are handed out */
	assert_string_equal(sc.values[3], "null");
	assert_string_equal(sc.values[4], "[[[[]]]]");

	memset(&sc, 0, sizeof(sc));
	assert_int_equal(json_scan_object("{}", 2, scanned_member, &sc, &err), 0);
	assert_int_equal(sc.n, 0);
	/* the callback's error ends the walk */
	memset(&sc, 0, sizeof(sc));
	sc.stop_at = 2;
	assert_int_equal(json_scan_object(doc, strlen(doc), scanned_member, &sc, &err), ERR_PERMANENT);
	assert_int_equal(sc.n, 2);
	/* not one object */
	{
		static const char *const bad[] = {
			"[1]", "{\"a\":1} {}", "{\"a\" 1}", "{\"a\":1,}", "{1:2}", "{\"a\":1", "\"x\"", "",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&sc, 0, sizeof(sc));
			assert_int_equal(json_scan_object(bad[i], strlen(bad[i]), scanned_member, &sc, &err),
					 ERR_INVALID);
		}
	}
}

static void test_scan_array_items(void **state)
{
	const char *doc = "[ {\"a\":1}, \"s\" ,[[]], 7 ]";
	struct scanned sc = {0};
	struct error err;

	assert_int_equal(json_scan_array(doc, strlen(doc), scanned_item, &sc, &err), 0);
	assert_int_equal(sc.n, 4);
	assert_string_equal(sc.values[0], "{\"a\":1}");
	assert_string_equal(sc.values[1], "\"s\"");
	assert_string_equal(sc.values[2], "[[]]");
	assert_string_equal(sc.values[3], "7");
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(json_scan_array(" [ ] ", 5, scanned_item, &sc, &err), 0);
	assert_int_equal(sc.n, 0);
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(json_scan_array("[1,]", 4, scanned_item, &sc, &err), ERR_INVALID);
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(json_scan_array("{}", 2, scanned_item, &sc, &err), ERR_INVALID);
}

/* Nodes made in one block (json_internal.h, what the Lua bridge builds):
 * they read, encode, grow, lose members and free like any other; ASan and
 * valgrind check that no inline part is freed or realloc'd on its own. */
/* Whether every container in v holds its items (members and their keys) in
 * its own block with no spare room, and every string its bytes. */
static bool tree_is_compact(const struct json *v)
{
	switch (v->type) {
	case JSON_STRING:
		return v->u.str.ptr == (const char *)(v + 1);
	case JSON_ARRAY:
		if (v->u.arr.len && (v->u.arr.items != (struct json **)(void *)(v + 1) ||
				     v->u.arr.cap != v->u.arr.len))
			return false;
		for (size_t i = 0; i < v->u.arr.len; i++)
			if (!tree_is_compact(v->u.arr.items[i]))
				return false;
		return true;
	case JSON_OBJECT:
		if (v->u.obj.len && (v->u.obj.items != (struct json_member *)(void *)(v + 1) ||
				     v->u.obj.cap != v->u.obj.len))
			return false;
		for (size_t i = 0; i < v->u.obj.len; i++) {
			const char *k = v->u.obj.items[i].key;

			if ((uintptr_t)k - (uintptr_t)v >= v->inline_bytes)
				return false;
			if (!tree_is_compact(v->u.obj.items[i].value))
				return false;
		}
		return true;
	default:
		return true;
	}
}

/* A parsed (or cloned) tree is built one block per node with no slack:
 * the caches keep parsed objects for the life of the process, and a
 * separate allocation per key, per string's bytes and per member array
 * (grown by doubling) was most of their heap. Such trees still take every
 * edit. */
static void test_parse_builds_compact_blocks(void **state)
{
	const char *text = "{\"metadata\":{\"name\":\"box\",\"labels\":{\"a\":\"1\",\"b\":\"2\"},"
			   "\"finalizers\":[\"x\",\"y\",\"z\"]},\"spec\":{\"n\":1,\"f\":1.5,"
			   "\"t\":true,\"z\":null,\"e\":{},\"l\":[]},\"k1\":1,\"k2\":2,\"k3\":3,"
			   "\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9}";
	struct json *v = tu_json(text), *copy, *dup;
	char *out;

	(void)state;
	assert_true(tree_is_compact(v));
	copy = json_clone(v);
	assert_true(tree_is_compact(copy));
	assert_true(json_equal(copy, v));

	/* duplicates resolved inside a block: still the last value wins */
	dup = tu_json("{\"a\":\"first\",\"b\":[1],\"a\":\"second\",\"c\":{\"a\":1,\"a\":2}}");
	assert_int_equal(dup->u.obj.len, 3);
	assert_string_equal(dup->u.obj.items[0].key, "a");
	assert_string_equal(json_get_string(dup, "a"), "second");
	assert_int_equal(json_get_int(json_get(dup, "c"), "a", 0), 2);
	json_free(dup);

	/* edits: remove, replace, grow past the block, then free (ASan and
	 * valgrind see any key or item array freed that the block owns) */
	assert_true(json_object_remove(json_get(v, "metadata"), "labels"));
	json_object_set_take(json_get(v, "spec"), "n", json_new_int(2));
	for (int i = 0; i < 20; i++) {
		char key[16];

		snprintf(key, sizeof(key), "new%d", i);
		json_object_set_take(v, key, json_new_int(i));
		json_array_push_take(json_path(v, "metadata", "finalizers", NULL), json_new_string(key));
	}
	assert_int_equal(json_get_int(json_get(v, "spec"), "n", 0), 2);
	assert_int_equal(json_get_int(v, "new19", -1), 19);
	assert_int_equal(json_get_int(v, "k9", -1), 9);
	out = json_encode_str(json_get(v, "metadata"), 4096, 0);
	assert_non_null(strstr(out, "\"name\":\"box\""));
	assert_null(strstr(out, "labels"));
	free(out);
	json_free(v);
	/* the copy did not share anything with the edited original */
	assert_string_equal(json_get_string(json_get(copy, "metadata"), "name"), "box");
	json_free(copy);
}

/* Runs fn(v) in a child process and reports whether it aborted. */
static bool aborts(void (*fn)(struct json *), struct json *v)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		/* the message on stderr is expected; keep the test output clean */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn(v);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* (nothing allocated before the abort: the child leaks nothing) */
static void set_member(struct json *v) { json_object_set_take(v, "x", v); }
static void remove_member(struct json *v) { (void)json_object_remove(v, "metadata"); }
static void push_item(struct json *v)
{
	json_array_push_take(json_path(v, "metadata", "finalizers", NULL), v);
}

/* A frozen tree reads like the tree it was made from, shares its equal
 * subtrees with every other frozen tree, is freed reference by reference
 * (valgrind and ASan see a leak or a bad free otherwise), and refuses every
 * change loudly. */
static void test_freeze(void **state)
{
	const char *text = "{\"metadata\":{\"name\":\"box\",\"labels\":{\"a\":\"1\"},"
			   "\"finalizers\":[\"x\",\"y\"]},\"spec\":{\"n\":-7,\"f\":1.5,\"t\":true,"
			   "\"z\":null,\"e\":{},\"l\":[],\"s\":\"a\\u0000b\"},\"k\":\"\"}";
	struct json *orig = tu_json(text), *v = tu_json(text), *copy, *again, *other, *third;
	struct json_frozen_stats before, after;
	char *a, *b;

	(void)state;
	json_frozen_stats(&before);
	assert_false(json_is_frozen(v));
	v = json_freeze_take(v);
	assert_true(json_is_frozen(v));
	assert_true(json_is_frozen(json_path(v, "spec", "l", NULL)));
	assert_true(json_equal(v, orig));
	assert_int_equal(json_hash(v), json_hash(orig));
	a = json_encode_str(v, 4096, 0);
	b = json_encode_str(orig, 4096, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(json_get_int(json_get(v, "spec"), "n", 0), -7);
	assert_int_equal(json_get(json_get(v, "spec"), "s")->u.str.len, 3);
	assert_string_equal(json_get_string(v, "k"), "");
	/* freezing a frozen tree is the same tree */
	again = json_freeze_take(v);
	assert_ptr_equal(again, v);
	/* a clone is ordinary again, and takes changes */
	copy = json_clone(v);
	assert_false(json_is_frozen(copy));
	json_object_set_take(copy, "x", json_new_int(1));

	/* another tree with the same spec and a different name: the spec,
	 * the labels and the finalizers are the first tree's nodes */
	other = json_freeze_take(tu_json("{\"metadata\":{\"name\":\"other\",\"labels\":{\"a\":\"1\"},"
					 "\"finalizers\":[\"x\",\"y\"]},\"spec\":{\"n\":-7,\"f\":1.5,"
					 "\"t\":true,\"z\":null,\"e\":{},\"l\":[],\"s\":\"a\\u0000b\"},"
					 "\"k\":\"\"}"));
	assert_ptr_equal(json_get(other, "spec"), json_get(v, "spec"));
	assert_ptr_equal(json_path(other, "metadata", "labels", NULL), json_path(v, "metadata", "labels", NULL));
	assert_ptr_not_equal(json_get(other, "metadata"), json_get(v, "metadata"));
	assert_string_equal(json_get_string(json_get(other, "metadata"), "name"), "other");
	/* the same keys in another order are another node, equal by value */
	third = json_freeze_take(tu_json("{\"labels\":{\"a\":\"1\"},\"name\":\"box\","
					 "\"finalizers\":[\"x\",\"y\"]}"));
	assert_ptr_not_equal(third, json_get(v, "metadata"));
	assert_true(json_equal(third, json_get(v, "metadata")));
	json_free(third);
	/* a thawed tree may hold a frozen subtree, and frees it with itself */
	json_object_set_take(copy, "frozen", json_freeze_take(tu_json("{\"e\":{}}")));
	json_free(copy);
	/* the first tree goes; what the other shares with it stays */
	json_free(v);
	assert_int_equal(json_get_int(json_get(other, "spec"), "n", 0), -7);
	assert_string_equal(json_get_string(json_path(other, "metadata", "labels", NULL), "a"), "1");
	v = other;

	assert_true(aborts(set_member, v));
	assert_true(aborts(remove_member, v));
	assert_true(aborts(push_item, v));
	/* a missing key changes nothing, so it is allowed */
	assert_false(json_object_remove(v, "absent"));
	json_free(v);

	/* scalars and empty containers freeze too */
	v = json_freeze_take(json_new_int(5));
	assert_true(json_is_frozen(v));
	assert_int_equal(v->u.i, 5);
	json_free(v);
	v = json_freeze_take(json_new_string(""));
	assert_string_equal(v->u.str.ptr, "");
	json_free(v);
	v = json_freeze_take(json_new_object());
	assert_int_equal(v->u.obj.len, 0);
	json_free(v);
	assert_null(json_freeze_take(NULL));
	json_free(orig);
	/* every block went with its last reference */
	json_frozen_stats(&after);
	assert_int_equal(after.nodes, before.nodes);
	assert_int_equal(after.bytes, before.bytes);
}

static void test_node_blocks(void **state)
{
	struct json *obj, *arr, *s, *inner, *copy;
	char *keys, *text;

	(void)state;
	s = json_new_stringn("a\0b", 3);
	assert_ptr_equal(s->u.str.ptr, (char *)(s + 1));
	assert_int_equal(s->u.str.len, 3);
	assert_memory_equal(s->u.str.ptr, "a\0b", 4);
	json_free(s);

	/* the block's size is what a builder charges */
	assert_int_equal(json__node_block_bytes(JSON_STRING, 0, 5), sizeof(struct json) + 6);
	assert_int_equal(json__node_block_bytes(JSON_ARRAY, 3, 0), sizeof(struct json) + 3 * sizeof(struct json *));
	assert_int_equal(json__node_block_bytes(JSON_OBJECT, 2, 7),
			 sizeof(struct json) + 2 * sizeof(struct json_member) + 7);
	assert_int_equal(json__node_block_bytes(JSON_INT, 9, 9), sizeof(struct json));

	/* an object with its keys in its block, filled exactly ... */
	obj = json__new_object_sized(2, strlen("zeta") + 1 + strlen("alpha") + 1, &keys);
	assert_non_null(keys);
	assert_int_equal(obj->u.obj.cap, 2);
	assert_int_equal(obj->u.obj.len, 0);
	json__object_append_key(obj, &keys, "zeta", 4, json_new_int(1));
	json__object_append_key(obj, &keys, "alpha", 5, json_new_string("x"));
	assert_int_equal(json_get_int(obj, "zeta", 0), 1);
	assert_string_equal(json_get_string(obj, "alpha"), "x");
	text = json_encode_str(obj, 1024, 0);
	assert_string_equal(text, "{\"alpha\":\"x\",\"zeta\":1}");
	free(text);
	/* ... then grown past it (members move to the heap, keys stay),
	 * with a key removed and a value replaced */
	json_object_set_take(obj, "beta", json_new_bool(true));
	json_object_set_take(obj, "gamma", json_new_null());
	json_object_set_take(obj, "zeta", json_new_int(2));
	assert_true(json_object_remove(obj, "alpha"));
	assert_false(json_object_remove(obj, "alpha"));
	assert_int_equal(obj->u.obj.len, 3);
	assert_int_equal(json_get_int(obj, "zeta", 0), 2);
	text = json_encode_str(obj, 1024, 0);
	assert_string_equal(text, "{\"beta\":true,\"gamma\":null,\"zeta\":2}");
	free(text);
	copy = json_clone(obj);
	assert_true(json_equal(copy, obj));
	json_free(copy);

	/* an array in its block, grown past it and reserved again */
	arr = json__new_array_sized(2);
	assert_int_equal(arr->u.arr.cap, 2);
	json_array_push_take(arr, json_new_int(1));
	json_array_push_take(arr, json_new_int(2));
	json_array_push_take(arr, json_new_int(3));
	json_array_reserve(arr, 64);
	assert_int_equal(arr->u.arr.len, 3);
	assert_int_equal(arr->u.arr.items[2]->u.i, 3);
	json_object_set_take(obj, "list", arr);
	inner = json__new_object_sized(1, 2, &keys);
	json_object_reserve(inner, 8); /* grown before any member */
	json__object_append_key(inner, &keys, "k", 1, json_new_int(7));
	assert_int_equal(json_get_int(inner, "k", 0), 7);
	json_object_set_take(obj, "inner", inner);
	text = json_encode_str(obj, 1024, 0);
	assert_string_equal(text, "{\"beta\":true,\"gamma\":null,\"inner\":{\"k\":7},\"list\":[1,2,3],\"zeta\":2}");
	free(text);
	json_free(obj);

	/* empty sizes are plain nodes */
	arr = json__new_array_sized(0);
	assert_null(arr->u.arr.items);
	json_free(arr);
	obj = json__new_object_sized(0, 0, &keys);
	assert_null(keys);
	json_free(obj);

	/* past JSON__OBJECT_BLOCK_MAX_BYTES: members on the heap, keys copied */
	obj = json__new_object_sized(2, JSON__OBJECT_BLOCK_MAX_BYTES, &keys);
	assert_null(keys);
	assert_int_equal(obj->u.obj.cap, 2);
	assert_int_equal(obj->inline_bytes, 0);
	json__object_append_key(obj, &keys, "a", 1, json_new_int(1));
	json__object_append_key(obj, &keys, "b", 1, json_new_int(2));
	json__object_append_key(obj, &keys, "c", 1, json_new_int(3));
	assert_int_equal(json_get_int(obj, "c", 0), 3);
	json_free(obj);
}

/* Keys come out sorted however many there are (insertion sort up to 16
 * members, qsort past that), and the hash does not depend on the order. */
static void test_sort_small_and_large(void **state)
{
	(void)state;
	for (int n = 1; n <= 40; n++) {
		struct json *fwd, *rev;
		char key[16], *a, *b;

		/* (i * 7) % n visits every key when 7 does not divide n */
		if (n % 7 == 0)
			continue;
		fwd = json_new_object();
		rev = json_new_object();
		for (int i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "k%02d", (i * 7) % n);
			json_object_set_take(fwd, key, json_new_int((i * 7) % n - 20));
		}
		for (int i = n - 1; i >= 0; i--) {
			snprintf(key, sizeof(key), "k%02d", (i * 7) % n);
			json_object_set_take(rev, key, json_new_int((i * 7) % n - 20));
		}
		a = json_encode_str(fwd, 4096, 0);
		b = json_encode_str(rev, 4096, 0);
		assert_string_equal(a, b);
		for (int i = 1; i < n; i++) {
			char prev[8], cur[8];

			snprintf(prev, sizeof(prev), "\"k%02d\"", i - 1);
			snprintf(cur, sizeof(cur), "\"k%02d\"", i);
			assert_true(strstr(a, prev) < strstr(a, cur));
		}
		assert_true(json_hash(fwd) == json_hash(rev));
		assert_int_equal(json_encoded_size(fwd), strlen(a));
		free(a);
		free(b);
		json_free(fwd);
		json_free(rev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_integers_exact),
		cmocka_unit_test(test_integer_overflow_becomes_float),
		cmocka_unit_test(test_one_vs_one_point_zero),
		cmocka_unit_test(test_float_shortest_round_trip),
		cmocka_unit_test(test_number_syntax_is_strict),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_bad_escapes_and_surrogates),
		cmocka_unit_test(test_invalid_utf8_rejected),
		cmocka_unit_test(test_nul_in_strings),
		cmocka_unit_test(test_invalid_utf8_from_c_is_replaced_on_output),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_error_reports_offset),
		cmocka_unit_test(test_length_is_respected),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_huge_string),
		cmocka_unit_test(test_doc_size_limit),
		cmocka_unit_test(test_duplicate_keys_last_wins),
		cmocka_unit_test(test_many_distinct_keys),
		cmocka_unit_test(test_canonical_key_order),
		cmocka_unit_test(test_empty_containers_survive),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_encode_ceiling_leaves_buffer_unchanged),
		cmocka_unit_test(test_build_and_lookup),
		cmocka_unit_test(test_clone_and_equal),
		cmocka_unit_test(test_hash_is_fnv1a_of_canonical_encoding),
		cmocka_unit_test(test_deep_tree_built_in_c_fails_to_encode),
		cmocka_unit_test(test_encoded_size_matches_encoding),
		cmocka_unit_test(test_parse_limited_depth),
		cmocka_unit_test(test_parse_limited_nodes),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_scan_value_extents),
		cmocka_unit_test(test_scan_value_errors),
		cmocka_unit_test(test_scan_value_any_depth),
		cmocka_unit_test(test_scan_object_members),
		cmocka_unit_test(test_scan_array_items),
		cmocka_unit_test(test_node_blocks),
		cmocka_unit_test(test_parse_builds_compact_blocks),
		cmocka_unit_test(test_freeze),
		cmocka_unit_test(test_sort_small_and_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
