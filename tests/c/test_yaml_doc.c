/* test_yaml_doc.c - src/json/yaml_doc.c: YAML 1.2 core-schema resolution,
 * aliases and their limits, streams, and the sorted, safely quoted emitter.
 *
 * Decision recorded here: "0755" follows the YAML 1.2 core regex
 * [-+]?[0-9]+ and is the decimal integer 755 (YAML 1.1 readers would say
 * octal 493; 1.2 spells octal 0o755). The emitter quotes the string "0755"
 * so that neither reader turns it into a number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"
#include "json/yaml_doc.h"
#include "support/testutil.h"

static void yparse_fails(const char *s, int code, const char *msg_part)
{
	struct error err;
	struct json *v;

	error_clear(&err);
	v = yaml_doc_parse(s, strlen(s), &err);
	if (v) {
		char *j = json_encode_str(v, 4096, 0);

		fail_msg("YAML parse of <<%s>> succeeded with %s", s, j);
	}
	assert_int_equal(err.code, code);
	if (msg_part && !strstr(err.msg, msg_part))
		fail_msg("error <<%s>> does not contain <<%s>>", err.msg, msg_part);
}

static char *to_json_text(const struct json *v)
{
	char *s = json_encode_str(v, 1 << 24, 0);

	assert_non_null(s);
	return s;
}

static void assert_yaml_json(const char *yaml, const char *json)
{
	struct json *v = tu_yaml(yaml);
	char *s = to_json_text(v);

	if (strcmp(s, json) != 0)
		fail_msg("YAML <<%s>> gave %s, expected %s", yaml, s, json);
	free(s);
	json_free(v);
}

static char *yemit(const struct json *v)
{
	struct error err;
	struct buf b;

	buf_init(&b, 1 << 24);
	if (yaml_doc_encode(v, &b, &err) != 0)
		fail_msg("emit failed: %s", err.msg);
	return buf_take(&b);
}

/* The core-schema table: each plain scalar and the JSON it resolves to. */
static void test_core_schema_resolution(void **state)
{
	static const struct { const char *plain, *json; } table[] = {
		/* null */
		{ "null", "null" }, { "Null", "null" }, { "NULL", "null" }, { "~", "null" },
		{ "", "null" }, { "nULL", "\"nULL\"" },
		/* bool: only the six spellings; YAML 1.1 words stay strings */
		{ "true", "true" }, { "True", "true" }, { "TRUE", "true" },
		{ "false", "false" }, { "False", "false" }, { "FALSE", "false" },
		{ "tRUE", "\"tRUE\"" }, { "yes", "\"yes\"" }, { "no", "\"no\"" },
		{ "on", "\"on\"" }, { "off", "\"off\"" }, { "y", "\"y\"" }, { "n", "\"n\"" },
		{ "Yes", "\"Yes\"" }, { "OFF", "\"OFF\"" },
		/* int */
		{ "0", "0" }, { "-0", "0" }, { "+12", "12" }, { "-17", "-17" },
		{ "0755", "755" }, { "007", "7" },        /* 1.2 core: decimal */
		{ "0o755", "493" }, { "0o0", "0" }, { "0x1F", "31" }, { "0xff", "255" },
		{ "0x7fffffffffffffff", "9223372036854775807" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "9223372036854775808", "9.223372036854776e+18" }, /* past int64: float */
		{ "0X1F", "\"0X1F\"" }, { "0o8", "\"0o8\"" }, { "0o", "\"0o\"" },
		{ "0x", "\"0x\"" }, { "0b101", "\"0b101\"" }, { "1_000", "\"1_000\"" },
		{ "-0x1", "\"-0x1\"" }, { "+0o7", "\"+0o7\"" },
		/* float */
		{ "1.5", "1.5" }, { "1.", "1.0" }, { ".5", "0.5" }, { "-.5", "-0.5" },
		{ "+1.5e+3", "1500.0" }, { "1e3", "1000.0" }, { "1E-2", "0.01" },
		{ "-0.0", "-0.0" }, { "3.14159", "3.14159" },
		{ ".", "\".\"" }, { "1e", "\"1e\"" }, { "e3", "\"e3\"" }, { "1.2.3", "\"1.2.3\"" },
		{ "1,000", "\"1,000\"" }, { ".e3", "\".e3\"" }, { "+", "\"+\"" }, { "-a", "\"-a\"" },
		/* everything else is a string */
		{ "12:30", "\"12:30\"" }, { "2024-01-01", "\"2024-01-01\"" },
		{ ".infinity", "\".infinity\"" }, { "nan", "\"nan\"" }, { "inf", "\"inf\"" },
		{ "hello world", "\"hello world\"" }, { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "<<", "\"<<\"" },
	};
	char doc[128];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		char expected[128];

		snprintf(doc, sizeof(doc), "v: %s\n", table[i].plain);
		snprintf(expected, sizeof(expected), "{\"v\":%s}", table[i].json);
		assert_yaml_json(doc, expected);
	}
}

static void test_inf_nan_rejected(void **state)
{
	static const char *bad[] = { ".inf", "-.Inf", "+.INF", ".nan", ".NaN", ".NAN", "1e400",
				     "-1e999" };
	char doc[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "v: %s\n", bad[i]);
		yparse_fails(doc, ERR_INVALID, "YAML line 1 column 4");
	}
	yparse_fails("v: 0x8000000000000000\n", ERR_INVALID, "out of range");
}

static void test_quoted_scalars_and_tags(void **state)
{
	assert_yaml_json("a: 'true'\nb: \"1\"\nc: ''\nd: \"null\"\ne: '0o7'\n",
			 "{\"a\":\"true\",\"b\":\"1\",\"c\":\"\",\"d\":\"null\",\"e\":\"0o7\"}");
	assert_yaml_json("a: !!str 1\nb: !!int \"42\"\nc: !!float 1\nd: !!null ''\n"
			 "e: ! 12\nf: !!bool true\ng: !!str\nh: !!seq []\ni: !!map {}\n"
			 "j: !!float 2.5\nk: !!int 0x10\n",
			 "{\"a\":\"1\",\"b\":42,\"c\":1.0,\"d\":null,\"e\":\"12\",\"f\":true,"
			 "\"g\":\"\",\"h\":[],\"i\":{},\"j\":2.5,\"k\":16}");
	yparse_fails("a: !!int 1.5\n", ERR_INVALID, "\"1.5\" is not a valid int");
	yparse_fails("a: !!bool yes\n", ERR_INVALID, "is not a valid bool");
	yparse_fails("a: !!float abc\n", ERR_INVALID, "is not a valid float");
	yparse_fails("a: !!binary aGk=\n", ERR_INVALID, "unsupported tag tag:yaml.org,2002:binary");
	yparse_fails("a: !Ref x\n", ERR_INVALID, "unsupported tag !Ref");
	yparse_fails("a: !!map [1]\n", ERR_INVALID, "unsupported tag");
	/* block scalars are strings whatever they contain */
	assert_yaml_json("a: |\n  true\nb: >-\n  12\n  34\nc: |+\n  x\n\n",
			 "{\"a\":\"true\\n\",\"b\":\"12 34\",\"c\":\"x\\n\\n\"}");
}

static void test_structures(void **state)
{
	assert_yaml_json("apiVersion: v1\nkind: Pod\nmetadata:\n  name: box\n  labels:\n"
			 "    app.kubernetes.io/name: box\nspec:\n  containers:\n  - name: main\n"
			 "    image: debian:12\n    ports:\n    - containerPort: 22\n"
			 "    args: [\"-D\", -e]\n",
			 "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":"
			 "{\"app.kubernetes.io/name\":\"box\"},\"name\":\"box\"},\"spec\":"
			 "{\"containers\":[{\"args\":[\"-D\",\"-e\"],\"image\":\"debian:12\","
			 "\"name\":\"main\",\"ports\":[{\"containerPort\":22}]}]}}");
	assert_yaml_json("{a: [1, {b: []}], c: {}}", "{\"a\":[1,{\"b\":[]}],\"c\":{}}");
	assert_yaml_json("- a\n- - b\n  - []\n- {}\n", "[\"a\",[\"b\",[]],{}]");
	/* a top-level scalar is a document too */
	assert_yaml_json("42\n", "42");
	assert_yaml_json("--- hello\n", "\"hello\"");
}

static void test_keys(void **state)
{
	/* keys keep the text as written, whatever it would resolve to */
	assert_yaml_json("1: a\ntrue: b\nnull: c\n~: d\n0x10: e\n'q': f\n? long\n: g\n",
			 "{\"0x10\":\"e\",\"1\":\"a\",\"long\":\"g\",\"null\":\"c\",\"q\":\"f\","
			 "\"true\":\"b\",\"~\":\"d\"}");
	assert_yaml_json("? \n: empty key\n", "{\"\":\"empty key\"}");
	yparse_fails("[1]: x\n", ERR_INVALID, "mapping keys must be scalars");
	yparse_fails("? {a: 1}\n: x\n", ERR_INVALID, "mapping keys must be scalars");
	yparse_fails("\"a\\0b\": 1\n", ERR_INVALID, "mapping key contains NUL");
	/* NUL is fine inside a value */
	{
		struct json *v = tu_yaml("k: \"a\\0b\"\n");
		struct json *s = json_get(v, "k");

		assert_int_equal(s->u.str.len, 3);
		assert_memory_equal(s->u.str.ptr, "a\0b", 3);
		json_free(v);
	}
}

static void test_duplicate_keys_rejected(void **state)
{
	yparse_fails("a: 1\nb: 2\na: 3\n", ERR_INVALID, "YAML line 1 column 1: duplicate key \"a\"");
	yparse_fails("top:\n  x: 1\n  x: 2\n", ERR_INVALID, "line 2 column 3: duplicate key \"x\"");
	/* same text written differently is the same key */
	yparse_fails("'a': 1\n\"a\": 2\n", ERR_INVALID, "duplicate key");
	yparse_fails("k1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\nk5: 10\n",
		     ERR_INVALID, "duplicate key \"k5\"");
}

static void test_aliases(void **state)
{
	assert_yaml_json("base: &b {cpu: 1, tags: [x]}\nother: *b\n",
			 "{\"base\":{\"cpu\":1,\"tags\":[\"x\"]},\"other\":{\"cpu\":1,\"tags\":[\"x\"]}}");
	assert_yaml_json("a: &n 42\nb: *n\nc: [*n, *n]\n", "{\"a\":42,\"b\":42,\"c\":[42,42]}");
	/* alias as a key, anchored key reused as a value */
	assert_yaml_json("name: &k app\n*k : 1\n", "{\"app\":1,\"name\":\"app\"}");
	assert_yaml_json("&k key: v\nother: *k\n", "{\"key\":\"v\",\"other\":\"key\"}");
	assert_yaml_json("n: &i 7\n*i : seven\n", "{\"7\":\"seven\",\"n\":7}");
	/* a later anchor of the same name wins from there on */
	assert_yaml_json("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "{\"a\":1,\"b\":1,\"c\":2,\"d\":2}");
	yparse_fails("a: *nope\n", ERR_INVALID, "unknown anchor *nope");
	/* recursive: the anchor is not defined until its node closes */
	yparse_fails("a: &r [1, *r]\n", ERR_INVALID, "unknown anchor *r");
	yparse_fails("m: &m {x: 1}\n*m : 2\n", ERR_INVALID, "mapping keys must be scalars");
	/* anchors do not leak across documents */
	{
		struct json **docs;
		size_t n;
		struct error err;
		const char *s = "a: &x 1\n---\nb: *x\n";

		assert_int_equal(yaml_doc_parse_all(s, strlen(s), &docs, &n, &err), ERR_INVALID);
		assert_non_null(strstr(err.msg, "unknown anchor *x"));
		assert_null(docs);
		assert_int_equal(n, 0);
	}
}

static void test_billion_laughs_rejected(void **state)
{
	const char *bomb =
		"a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct json *v;

	yparse_fails(bomb, ERR_LIMIT, "YAML_DOC_MAX_NODES");
	/* the first levels alone are fine: 9^4 strings */
	v = tu_yaml("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		      "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
	assert_int_equal(json_get(v, "d")->u.arr.len, 9);
	assert_int_equal(json_get(v, "d")->u.arr.items[8]->u.arr.items[8]->u.arr.len, 9);
	json_free(v);
}

static void test_alias_string_bytes_bounded(void **state)
{
	/* a 1 MiB string aliased 100 times: few nodes, 100 MiB of copies */
	size_t big = 1u << 20;
	struct buf b;

	buf_init(&b, 4u << 20);
	buf_append_str(&b, "s: &s ");
	for (size_t i = 0; i < big; i++)
		buf_append_char(&b, 'x');
	buf_append_str(&b, "\nl: [");
	for (int i = 0; i < 100; i++)
		buf_append_str(&b, i ? ", *s" : "*s");
	buf_append_str(&b, "]\n");
	yparse_fails(buf_str(&b), ERR_LIMIT, "YAML_DOC_MAX_ALIAS_BYTES");
	buf_cleanup(&b);
}

static void test_multi_document_streams(void **state)
{
	const char *s = "# leading comment\na: 1\n---\nb: [2]\n---\n---\n# only a comment\n...\n"
			"--- null\n--- |\n  text\n";
	struct json **docs;
	size_t n;
	struct error err;
	char *j;

	assert_int_equal(yaml_doc_parse_all(s, strlen(s), &docs, &n, &err), 0);
	/* empty documents are skipped, an explicit null is kept */
	assert_int_equal(n, 4);
	j = to_json_text(docs[0]);
	assert_string_equal(j, "{\"a\":1}");
	free(j);
	j = to_json_text(docs[1]);
	assert_string_equal(j, "{\"b\":[2]}");
	free(j);
	assert_int_equal(docs[2]->type, JSON_NULL);
	j = to_json_text(docs[3]);
	assert_string_equal(j, "\"text\\n\"");
	free(j);
	for (size_t i = 0; i < n; i++)
		json_free(docs[i]);
	free(docs);

	/* an empty stream has no documents; yaml_doc_parse wants exactly one */
	assert_int_equal(yaml_doc_parse_all("", 0, &docs, &n, &err), 0);
	assert_int_equal(n, 0);
	free(docs);
	assert_int_equal(yaml_doc_parse_all("# nothing\n---\n", 14, &docs, &n, &err), 0);
	assert_int_equal(n, 0);
	free(docs);
	yparse_fails("", ERR_INVALID, "no document");
	yparse_fails("# just a comment\n", ERR_INVALID, "no document");
	yparse_fails("a: 1\n---\nb: 2\n", ERR_INVALID, "expected one document, found 2");
	/* an error in a later document fails the whole stream */
	assert_int_equal(yaml_doc_parse_all("a: 1\n---\nb: [\n", 14, &docs, &n, &err), ERR_INVALID);
	assert_null(docs);
}

static void test_too_many_documents(void **state)
{
	struct buf b;
	struct json **docs;
	size_t n;
	struct error err;

	buf_init(&b, 1 << 20);
	for (int i = 0; i <= YAML_DOC_MAX_DOCS; i++)
		buf_append_str(&b, "--- 1\n");
	assert_int_equal(yaml_doc_parse_all(b.data, b.len, &docs, &n, &err), ERR_LIMIT);
	assert_non_null(strstr(err.msg, "YAML_DOC_MAX_DOCS"));
	buf_cleanup(&b);
}

static void test_syntax_errors_have_positions(void **state)
{
	yparse_fails("a: [1, 2\nb: 3\n", ERR_INVALID, "YAML line ");
	yparse_fails("a: b: c\n", ERR_INVALID, "YAML line 1 column 5");
	yparse_fails("a:\n  - 1\n - 2\n", ERR_INVALID, "YAML line 3");
	yparse_fails("a: \"unterminated\n", ERR_INVALID, "YAML line");
	yparse_fails("\tx: 1\n", ERR_INVALID, "YAML line 1");
	/* invalid UTF-8 is rejected by libyaml's reader, with the offset */
	yparse_fails("a: \xff\xfe\n", ERR_INVALID, "YAML at byte 3");
	yparse_fails("a: \xc0\xaf\n", ERR_INVALID, "YAML at byte 3");
	{
		struct error err;

		assert_null(yaml_doc_parse("", (size_t)JSON_MAX_DOC_BYTES + 1, &err));
		assert_int_equal(err.code, ERR_LIMIT);
	}
}

static void test_depth_limit(void **state)
{
	char s[2 * (JSON_MAX_DEPTH + 1) + 2];
	struct json *v;
	int d;

	d = JSON_MAX_DEPTH;
	memset(s, '[', (size_t)d);
	memset(s + d, ']', (size_t)d);
	s[2 * d] = '\0';
	v = tu_yaml(s);
	json_free(v);
	d = JSON_MAX_DEPTH + 1;
	memset(s, '[', (size_t)d);
	memset(s + d, ']', (size_t)d);
	s[2 * d] = '\0';
	yparse_fails(s, ERR_LIMIT, "JSON_MAX_DEPTH");
}

static void test_emitter_exact_output(void **state)
{
	const char *in = "{\"spec\":{\"zeta\":1,\"alpha\":[\"true\",\"1\",\"null\",\"0o7\",\"\","
			 "\" lead\",\"trail \",\"a: b\",\"yes\",\"0755\",\"plain text\",1.0,-2,"
			 "null,false],\"script\":\"#!/bin/sh\\necho hi\\n\",\"empty\":[],\"obj\":{}},"
			 "\"apiVersion\":\"v1\",\"1\":\"one\"}";
	struct error err;
	struct json *v = json_parse(in, strlen(in), &err);
	char *out;

	assert_non_null(v);
	out = yemit(v);
	assert_string_equal(out,
		"'1': one\n"
		"apiVersion: v1\n"
		"spec:\n"
		"  alpha:\n"
		"  - 'true'\n"
		"  - '1'\n"
		"  - 'null'\n"
		"  - '0o7'\n"
		"  - ''\n"
		"  - ' lead'\n"
		"  - 'trail '\n"
		"  - 'a: b'\n"
		"  - 'yes'\n"
		"  - '0755'\n"
		"  - plain text\n"
		"  - 1.0\n"
		"  - -2\n"
		"  - null\n"
		"  - false\n"
		"  empty: []\n"
		"  obj: {}\n"
		"  script: |\n"
		"    #!/bin/sh\n"
		"    echo hi\n"
		"  zeta: 1\n");
	free(out);
	json_free(v);
}

static void test_emitter_appends_and_respects_ceiling(void **state)
{
	struct json *v = json_new_object();
	struct buf b;
	struct error err;

	json_object_set_take(v, "key", json_new_string("a value that is long enough"));
	buf_init(&b, 1 << 10);
	buf_append_str(&b, "---\n");
	assert_int_equal(yaml_doc_encode(v, &b, &err), 0);
	assert_string_equal(buf_str(&b), "---\nkey: a value that is long enough\n");
	buf_cleanup(&b);

	buf_init(&b, 16);
	buf_append_str(&b, "pre\n");
	assert_int_equal(yaml_doc_encode(v, &b, &err), ERR_LIMIT);
	assert_string_equal(buf_str(&b), "pre\n");
	buf_cleanup(&b);
	json_free(v);

	/* strings built in C that are not UTF-8 are refused, not mangled */
	v = json_new_string("bad\xff");
	buf_init(&b, 1 << 10);
	assert_int_equal(yaml_doc_encode(v, &b, &err), ERR_INVALID);
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
	json_free(v);
}

/* Strings a YAML 1.1 reader (kubectl) would take for bools or numbers are
 * quoted even though the 1.2 core schema reads them as strings; ordinary
 * words stay plain. */
static void test_emitter_quotes_yaml11_specials(void **state)
{
	static const char *quoted[] = {
		"yes", "No", "on", "OFF", "y", "N", "=", "<<", "12:30", "1_000", "0b101",
		"2024-01-01", "0755", "+.5", "-1x", ".5",
	};
	static const char *plain[] = {
		"hello", "deadbeef", "x1", "abc-1", "v1.2.3", "yess", "onion", "a=b", "-x",
		"gpu-small", "nvidia.com/gpu",
	};
	char expected[64];

	for (size_t i = 0; i < sizeof(quoted) / sizeof(quoted[0]); i++) {
		struct json *v = json_new_array();
		char *y;

		json_array_push_take(v, json_new_string(quoted[i]));
		y = yemit(v);
		snprintf(expected, sizeof(expected), "- '%s'\n", quoted[i]);
		assert_string_equal(y, expected);
		free(y);
		json_free(v);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		struct json *v = json_new_array();
		char *y;

		json_array_push_take(v, json_new_string(plain[i]));
		y = yemit(v);
		snprintf(expected, sizeof(expected), "- %s\n", plain[i]);
		assert_string_equal(y, expected);
		free(y);
		json_free(v);
	}
}

/* Every string must come back as the same string. */
static void test_emitter_quoting_round_trips(void **state)
{
	static const char *strings[] = {
		"true", "True", "FALSE", "1", "-1", "+1", "0755", "0o7", "0x1F", "1.5", "1.", ".5",
		"1e3", "null", "Null", "~", "", " ", " lead", "trail ", "a: b", "a #b", "#c",
		"- x", "-", "--", "---", "...", "? x", "?", ":", "x:", "@at", "`tick", "!bang",
		"&amp", "*star", "%pct", "|pipe", ">gt", "'single'", "\"double\"", "[x]", "{x}",
		",comma", "yes", "no", "on", "off", "y", "n", "=", "<<", "12:30", "1_000",
		"0b101", "2024-01-01", ".inf", "-.inf", ".nan", "multi\nline", "ends\n",
		"keep\n\n", "\n", "\nlead", "  indented\nx", "trailing \nspace", "tab\there",
		"nul\0x", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "a\"b'c\\d", "\x7f", "\x01ctl",
		"a\r\nb", "line\xe2\x80\xa8sep",
	};
	size_t lens[sizeof(strings) / sizeof(strings[0])];

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		lens[i] = strcmp(strings[i], "nul") == 0 ? 5 : strlen(strings[i]); /* "nul\0x" */

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		struct json *arr = json_new_array(), *obj = json_new_object(), *back;
		char *y;

		json_array_push_take(arr, json_new_stringn(strings[i], lens[i]));
		/* as a key too (keys cannot hold NUL) */
		if (!memchr(strings[i], '\0', lens[i]))
			json_object_set_take(obj, strings[i], json_new_int((int64_t)i));
		json_array_push_take(arr, obj);
		y = yemit(arr);
		back = tu_yaml(y);
		if (!json_equal(arr, back))
			fail_msg("string #%zu did not round-trip; YAML was:\n%s", i, y);
		free(y);
		json_free(back);
		json_free(arr);
	}
}

static void test_round_trip_json_yaml_json(void **state)
{
	static const char *docs[] = {
		"{\"a\":[],\"b\":{},\"c\":[[],{},[{}]],\"d\":{\"e\":[]}}",
		"[]",
		"{}",
		"[null,true,false,0,-1,9223372036854775807,-9223372036854775808,1.5,-2.5e-07,1.0,"
		"-0.0,1e+300,4.94065645841247e-324]",
		"{\"metadata\":{\"annotations\":{\"x/y\":\"a: b\"},\"labels\":{\"app.kubernetes.io/"
		"name\":\"x\"},\"name\":\"box\"},\"spec\":{\"ports\":[{\"port\":22}],\"replicas\":1}}",
		"\"plain\"",
		"42",
		"{\"cfg\":\"line one\\nline two\\n\\n  indented\\n\",\"x\":\"\"}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct error err;
		struct json *v = json_parse(docs[i], strlen(docs[i]), &err), *back;
		char *y, *j;

		assert_non_null(v);
		y = yemit(v);
		back = tu_yaml(y);
		j = to_json_text(back);
		if (strcmp(j, docs[i]) != 0)
			fail_msg("%s -> YAML\n%s-> %s", docs[i], y, j);
		free(j);
		free(y);
		json_free(back);
		json_free(v);
	}
}

static void test_round_trip_yaml_json_yaml(void **state)
{
	const char *in = "kind: ConfigMap\n"
			 "data:\n"
			 "  z: \"1\"\n"
			 "  a: \"yes\"\n"
			 "  script: |\n"
			 "    set -e\n"
			 "    run\n"
			 "metadata:\n"
			 "  name: cfg\n"
			 "  labels: {}\n"
			 "  finalizers: []\n"
			 "spec:\n"
			 "  ratio: 0.5\n"
			 "  count: 3\n";
	const char *canonical = "data:\n"
				"  a: 'yes'\n"
				"  script: |\n"
				"    set -e\n"
				"    run\n"
				"  z: '1'\n"
				"kind: ConfigMap\n"
				"metadata:\n"
				"  finalizers: []\n"
				"  labels: {}\n"
				"  name: cfg\n"
				"spec:\n"
				"  count: 3\n"
				"  ratio: 0.5\n";
	struct json *v = tu_yaml(in), *v2, *via_json;
	char *y = yemit(v), *y2, *j;
	struct error err;

	assert_string_equal(y, canonical);
	/* through JSON text and back: same YAML, byte for byte */
	j = to_json_text(v);
	via_json = json_parse(j, strlen(j), &err);
	assert_non_null(via_json);
	y2 = yemit(via_json);
	assert_string_equal(y2, canonical);
	/* and the emitted YAML is a fixed point */
	v2 = tu_yaml(y);
	assert_true(json_equal(v, v2));
	free(y2);
	y2 = yemit(v2);
	assert_string_equal(y2, y);
	free(y2);
	free(y);
	free(j);
	json_free(v);
	json_free(v2);
	json_free(via_json);
}

static void test_fixture_file(void **state)
{
	/* the CRD-like sample under tests/fixtures/json survives a round trip */
	char path[1024];
	char *text;
	struct json *v, *back;
	char *y;

	snprintf(path, sizeof(path), "%s/tests/fixtures/json/devserver.yaml", DEVSERVER_SOURCE_DIR);
	text = tu_read_file(path, NULL);
	v = tu_yaml(text);
	free(text);
	assert_string_equal(json_get_string(v, "kind"), "DevServer");
	assert_int_equal(json_get_int(json_path(v, "spec", "distributed", NULL), "worldSize", -1), 2);
	assert_string_equal(json_get_string(json_path(v, "spec", "lifecycle", NULL), "timeToLive"),
			    "4h");
	assert_int_equal(json_path(v, "spec", "volumes", NULL)->u.arr.len, 2);
	assert_true(json_get_bool(json_path(v, "spec", "volumes", NULL)->u.arr.items[1],
				  "readOnly", false));
	assert_int_equal(json_path(v, "spec", "env", NULL)->u.arr.len, 0);
	assert_int_equal(json_path(v, "metadata", "annotations", NULL)->type, JSON_OBJECT);
	y = yemit(v);
	back = tu_yaml(y);
	assert_true(json_equal(v, back));
	free(y);
	json_free(back);
	json_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_schema_resolution),
		cmocka_unit_test(test_inf_nan_rejected),
		cmocka_unit_test(test_quoted_scalars_and_tags),
		cmocka_unit_test(test_structures),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_duplicate_keys_rejected),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_billion_laughs_rejected),
		cmocka_unit_test(test_alias_string_bytes_bounded),
		cmocka_unit_test(test_multi_document_streams),
		cmocka_unit_test(test_too_many_documents),
		cmocka_unit_test(test_syntax_errors_have_positions),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_emitter_exact_output),
		cmocka_unit_test(test_emitter_appends_and_respects_ceiling),
		cmocka_unit_test(test_emitter_quotes_yaml11_specials),
		cmocka_unit_test(test_emitter_quoting_round_trips),
		cmocka_unit_test(test_round_trip_json_yaml_json),
		cmocka_unit_test(test_round_trip_yaml_json_yaml),
		cmocka_unit_test(test_fixture_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
