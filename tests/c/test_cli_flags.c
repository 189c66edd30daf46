/* test_cli_flags.c - cli/flags: the flag grammar, value checks and messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "command.h"
#include "flags.h"

struct opts {
	bool b;
	const char *s;
	struct flag_duration d;
	int64_t i;
	struct flag_list kv, vol;
	const char *q;
};

static const struct flag_spec spec[] = {
	{ "bool", 'b', FLAG_BOOL, 0, offsetof(struct opts, b), NULL },
	{ "str", 's', FLAG_STRING, 0, offsetof(struct opts, s), "X" },
	{ "dur", 0, FLAG_DURATION, 0, offsetof(struct opts, d), "DURATION" },
	{ "alias", 0, FLAG_DURATION, 0, offsetof(struct opts, d), "DURATION" },
	{ "int", 0, FLAG_INT, 0, offsetof(struct opts, i), "N" },
	{ "env", 'e', FLAG_KEYVALUE, FLAG_REPEATABLE, offsetof(struct opts, kv), "K=V" },
	{ "volume", 'v', FLAG_VOLUME, FLAG_REPEATABLE, offsetof(struct opts, vol), "V" },
	{ "size", 0, FLAG_QUANTITY, 0, offsetof(struct opts, q), "SIZE" },
	{ NULL, 0, 0, 0, 0, NULL },
};

struct parsed {
	struct opts o;
	struct global_opts g;
	const char *pos[8];
	int npos;
	bool help;
	struct error err;
	int rc;
};

/* Parses the NULL-terminated words with at most max_pos positionals. */
static struct parsed *parse(struct parsed *p, int max_pos, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *w;

	memset(p, 0, sizeof(*p));
	va_start(ap, max_pos);
	while ((w = va_arg(ap, char *)))
		argv[argc++] = w;
	va_end(ap);
	p->rc = flags_parse(spec, &p->o, &p->g, argc, argv, p->pos, max_pos, &p->npos, false,
			    NULL, &p->help, &p->err);
	return p;
}

static void test_flags_forms(void **state)
{
	struct parsed p;

	parse(&p, 4, "--str=a", "--dur", "4h", "-b", "pos1", "--int=12", "--size", "20Gi", NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.s, "a");
	assert_string_equal(p.o.d.text, "4h");
	assert_int_equal(p.o.d.seconds, 14400);
	assert_true(p.o.b);
	assert_int_equal(p.o.i, 12);
	assert_string_equal(p.o.q, "20Gi");
	assert_int_equal(p.npos, 1);
	assert_string_equal(p.pos[0], "pos1");

	/* the value of --str may start with '-' and an '=' inside stays */
	parse(&p, 0, "--str", "-x", NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.o.s, "-x");
	parse(&p, 0, "--str=a=b", NULL);
	assert_string_equal(p.o.s, "a=b");
	parse(&p, 0, "-s", "v", NULL);
	assert_string_equal(p.o.s, "v");

	/* booleans: bare, =true, =false; a bare one never eats the next word */
	parse(&p, 1, "--bool", "false", NULL);
	assert_int_equal(p.rc, 0);
	assert_true(p.o.b);
	assert_string_equal(p.pos[0], "false");
	parse(&p, 0, "--bool=false", NULL);
	assert_false(p.o.b);
	parse(&p, 0, "--bool=yes", NULL);
	assert_int_equal(p.rc, ERR_INVALID);
	assert_string_equal(p.err.msg, "--bool: invalid value \"yes\" (true or false)");
}

static void test_flags_positionals_and_dashdash(void **state)
{
	struct parsed p;

	parse(&p, 4, "a", "--", "--str", "-b", NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.npos, 3);
	assert_string_equal(p.pos[1], "--str");
	assert_string_equal(p.pos[2], "-b");
	assert_null(p.o.s);
	assert_false(p.o.b);

	parse(&p, 1, "a", "b", NULL);
	assert_int_equal(p.rc, ERR_INVALID);
	assert_string_equal(p.err.msg, "too many arguments (at most 1)");
	parse(&p, 0, "a", NULL);
	assert_string_equal(p.err.msg, "unexpected argument \"a\"");
	/* a lone "-" is an argument (stdin), not a flag */
	parse(&p, 1, "-", NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.pos[0], "-");
}

static void test_flags_errors(void **state)
{
	static const struct { const char *a, *b, *msg; } cases[] = {
		{ "--nope", NULL, "unknown flag --nope" },
		{ "--nope=1", NULL, "unknown flag --nope" },
		{ "-x", NULL, "unknown flag -x" },
		{ "-sval", NULL, "unknown flag \"-sval\" (short flags stand alone: -n NS, not -nNS)" },
		{ "-nns", NULL, "unknown flag \"-nns\" (short flags stand alone: -n NS, not -nNS)" },
		{ "--str", NULL, "--str needs a value" },
		{ "-s", NULL, "-s needs a value" },
		{ "--str=", NULL, "--str: empty value" },
		{ "--dur", "4x", "--dur: invalid duration \"4x\" (use e.g. 4h, 1h30m, 2d)" },
		{ "--dur", "1.5h", "--dur: invalid duration \"1.5h\" (use e.g. 4h, 1h30m, 2d)" },
		{ "--dur", "99999999999d", "--dur: duration \"99999999999d\" is too long (at most 36600d)" },
		{ "--int", "-1", "--int: invalid number \"-1\" (a whole number >= 0)" },
		{ "--int", "12x", "--int: invalid number \"12x\" (a whole number >= 0)" },
		{ "--int", "99999999999999999999", "--int: invalid number \"99999999999999999999\" (a whole number >= 0)" },
		{ "--size", "20GB", "--size: invalid quantity \"20GB\" (use e.g. 20Gi, 500Mi, 1Ti)" },
		{ "--env", "NOEQUALS", "--env: invalid value \"NOEQUALS\" (use NAME=VALUE)" },
		{ "--env", "1A=b", "--env: invalid variable name \"1A\" (letters, digits and _, not starting with a digit)" },
		{ "-v", "data", "-v: invalid volume \"data\" (use CLAIM:/path or CLAIM:/path:ro)" },
		/* invalid UTF-8 is refused whatever the type, naming the flag
		 * (it used to fail later as "string is not valid UTF-8") */
		{ "--str", "img\xff", "--str: value is not valid UTF-8" },
		{ "--env", "A=\xc0\xaf", "--env: value is not valid UTF-8" },
		{ "-n", "te\xed\xa0\x80" "am", "-n: value is not valid UTF-8" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed p;

		parse(&p, 0, cases[i].a, cases[i].b, NULL);
		assert_int_equal(p.rc, ERR_INVALID);
		assert_string_equal(p.err.msg, cases[i].msg);
	}
}

static void test_flags_repeat(void **state)
{
	struct parsed p;

	parse(&p, 0, "-e", "A=1", "--env=B_2=x=y", "--env", "C=", NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.o.kv.n, 3);
	assert_string_equal(p.o.kv.items[1], "B_2=x=y");
	assert_string_equal(p.o.kv.items[2], "C=");

	parse(&p, 0, "--str", "a", "--str", "b", NULL);
	assert_int_equal(p.rc, ERR_INVALID);
	assert_string_equal(p.err.msg, "--str given more than once");
	/* an alias shares the field, so it counts as the same flag */
	parse(&p, 0, "--dur", "1h", "--alias", "2h", NULL);
	assert_int_equal(p.rc, ERR_INVALID);
	assert_string_equal(p.err.msg, "--alias given more than once");
}

static void test_flags_help_and_globals(void **state)
{
	struct parsed p;

	parse(&p, 2, "x", "-n", "ns", "--context=c", "-A", "--kubeconfig", "/k", "-o", "wide", "-h",
	      NULL);
	assert_int_equal(p.rc, 0);
	assert_true(p.help);
	assert_string_equal(p.g.namespace, "ns");
	assert_string_equal(p.g.context, "c");
	assert_true(p.g.all_namespaces);
	assert_string_equal(p.g.kubeconfig, "/k");
	assert_string_equal(p.g.output, "wide");
	parse(&p, 0, "--namespace=x", "--all-namespaces", "--output=json", "--help", NULL);
	assert_string_equal(p.g.namespace, "x");
	assert_true(p.g.all_namespaces);
	assert_string_equal(p.g.output, "json");
	assert_true(p.help);
}

static void test_flags_stop_at_positional(void **state)
{
	char *argv[] = { "-n", "x", "list", "-o", "wide" };
	struct global_opts g = { 0 };
	struct error err;
	bool help = false;
	int npos, consumed;

	assert_int_equal(flags_parse(NULL, NULL, &g, 5, argv, NULL, 0, &npos, true, &consumed,
				     &help, &err), 0);
	assert_int_equal(consumed, 2);
	assert_string_equal(g.namespace, "x");
	assert_null(g.output);
}

static void test_flags_volume(void **state)
{
	static const struct { const char *in, *claim, *path; bool ro; } good[] = {
		{ "data:/data", "data", "/data", false },
		{ "data:/data:ro", "data", "/data", true },
		{ "data:/data:rw", "data", "/data", false },
		{ "my.claim-1:/a/b c", "my.claim-1", "/a/b c", false },
	};
	static const struct { const char *in, *msg; } bad[] = {
		{ "data", "invalid volume \"data\" (use CLAIM:/path or CLAIM:/path:ro)" },
		{ "Data:/x", "invalid volume \"Data:/x\": claim \"Data\" is not a valid PVC name" },
		{ ":/x", "invalid volume \":/x\": claim \"\" is not a valid PVC name" },
		{ "data:x", "invalid volume \"data:x\": the mount path must be absolute" },
		{ "data:", "invalid volume \"data:\": the mount path must be absolute" },
		{ "data:/x:rx", "invalid volume \"data:/x:rx\": suffix \"rx\" must be ro or rw" },
		{ "data:/x:ro:ro", "invalid volume \"data:/x:ro:ro\": suffix \"ro:ro\" must be ro or rw" },
		/* a newline or tab in the path used to be accepted */
		{ "data:/d\n", "invalid volume \"data:/d\n\": the mount path has a control character" },
		{ "data:/a\tb:ro", "invalid volume \"data:/a\tb:ro\": the mount path has a control character" },
	};
	struct volume_spec v;
	struct error err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(flags_parse_volume(good[i].in, &v, &err), 0);
		assert_string_equal(v.claim, good[i].claim);
		assert_string_equal(v.path, good[i].path);
		assert_int_equal(v.read_only, good[i].ro);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(flags_parse_volume(bad[i].in, &v, &err), ERR_INVALID);
		assert_string_equal(err.msg, bad[i].msg);
	}
}

static void test_flags_quantity(void **state)
{
	static const char *const good[] = { "1", "20Gi", "500Mi", "1.5Gi", ".5", "100m", "1e3",
					    "+1Ki", "2T", "1E" };
	static const char *const bad[] = { "", "20GB", "20 Gi", "-1", "Gi", "1.5.5", "1Gib",
					   "1e", "0x10" };
	struct error err;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(flags_check_quantity(good[i], &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(flags_check_quantity(bad[i], &err), ERR_INVALID);
}

static void test_flags_env_name(void **state)
{
	struct error err;

	assert_int_equal(flags_check_env_name("_A1", 3, &err), 0);
	assert_int_equal(flags_check_env_name("a", 1, &err), 0);
	assert_int_equal(flags_check_env_name("", 0, &err), ERR_INVALID);
	assert_int_equal(flags_check_env_name("A-B", 3, &err), ERR_INVALID);
	assert_int_equal(flags_check_env_name("A.B", 3, &err), ERR_INVALID);
	assert_int_equal(flags_check_env_name("9", 1, &err), ERR_INVALID);
}

static void test_flags_output_format(void **state)
{
	enum output_format f;
	struct error err;

	assert_int_equal(cli_parse_format("wide", OUT_TABLE | OUT_WIDE, &f, &err), 0);
	assert_int_equal(f, OUT_WIDE);
	/* a bogus value must never be accepted, whatever the command allows */
	assert_int_equal(cli_parse_format("bogus", ~0u, &f, &err), ERR_INVALID);
	assert_string_equal(err.msg,
			    "-o: invalid output format \"bogus\" (use table, wide, json, yaml or name)");
	assert_int_equal(cli_parse_format("wide", OUT_YAML | OUT_JSON, &f, &err), ERR_INVALID);
	assert_string_equal(err.msg, "-o: invalid output format \"wide\" (use json or yaml)");
	assert_int_equal(cli_parse_format("JSON", OUT_JSON, &f, &err), ERR_INVALID);
	assert_string_equal(err.msg, "-o: invalid output format \"JSON\" (use json)");
	assert_int_equal(cli_parse_format("json", 0, &f, &err), ERR_INVALID);
	assert_string_equal(err.msg, "-o: this command takes no output format");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_forms),
		cmocka_unit_test(test_flags_positionals_and_dashdash),
		cmocka_unit_test(test_flags_errors),
		cmocka_unit_test(test_flags_repeat),
		cmocka_unit_test(test_flags_help_and_globals),
		cmocka_unit_test(test_flags_stop_at_positional),
		cmocka_unit_test(test_flags_volume),
		cmocka_unit_test(test_flags_quantity),
		cmocka_unit_test(test_flags_env_name),
		cmocka_unit_test(test_flags_output_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
