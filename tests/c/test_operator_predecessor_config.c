/* test_operator_predecessor_config.c - the predecessor's config.yaml: the
 * keys we map and the ones we name as ignored, bad input of every kind, the
 * file loader, and the precedence of the five sources. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "operator/options.h"
#include "operator/predecessor_config.h"
#include "policy/context.h"
#include "support/testutil.h"

static const char *const *fake_env;

static const char *env_lookup(const char *name)
{
	for (size_t i = 0; fake_env && fake_env[i]; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

static int parse_text(struct predecessor_config *pc, const char *text, struct error *err)
{
	predecessor_config_init(pc);
	return predecessor_config_parse(pc, text, strlen(text), err);
}

static void test_good_file(void **state)
{
	/* every key the predecessor knew, as its ConfigMap would hold them */
	static const char text[] =
		"# the predecessor's settings\n"
		"defaultPersistentHomeSize: 20Gi\n"
		"expirationInterval: 60\n"
		"flavorReconciliationInterval: 60\n"
		"workerLimit: 4\n"
		"postingEnabled: false\n"
		"defaultDevserverImage: registry.example/dev/base:2\n"
		"staticDependenciesImage: registry.example/dev/static:2\n";
	struct predecessor_config pc;
	struct error err;

	(void)state;
	assert_int_equal(parse_text(&pc, text, &err), 0);
	assert_true(pc.found);
	assert_int_equal(pc.bad_keys, 0);
	assert_string_equal(pc.default_image, "registry.example/dev/base:2");
	assert_string_equal(pc.default_image_from, "defaultDevserverImage");
	assert_false(pc.default_image_from_env);
	/* every other key is named with why, in the file's order */
	assert_string_equal(buf_str(&pc.ignored),
			    "defaultPersistentHomeSize (the policy's lib/pvc.lua sets it, 10Gi as before), "
			    "expirationInterval (expiry is a timer per DevServer, not a poll), "
			    "flavorReconciliationInterval (flavors are watched, not polled), "
			    "workerLimit (kopf's worker count; --concurrency is ours), "
			    "postingEnabled (kopf's logs-as-Events; our Events are always on and rate-capped), "
			    "staticDependenciesImage (its image has another layout; --tools-image is ours)");
	assert_int_equal(pc.used.len, 0); /* apply fills it */
	predecessor_config_cleanup(&pc);
}

static void test_empty_file(void **state)
{
	static const char *const empties[] = { "", "\n\n", "# only a comment\n", "~\n", "null", "---\n" };
	struct predecessor_config pc;
	struct error err;

	(void)state;
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		assert_int_equal(parse_text(&pc, empties[i], &err), 0);
		assert_false(pc.found);
		assert_string_equal(pc.default_image, "");
		assert_int_equal(pc.ignored.len, 0);
		predecessor_config_cleanup(&pc);
	}
	/* an empty mapping was read, and holds nothing */
	assert_int_equal(parse_text(&pc, "{}\n", &err), 0);
	assert_true(pc.found);
	assert_string_equal(pc.default_image, "");
	predecessor_config_cleanup(&pc);
}

static void test_unknown_keys(void **state)
{
	struct predecessor_config pc;
	struct error err;

	(void)state;
	assert_int_equal(parse_text(&pc, "defaultImage: a/b\nnested: {x: 1}\n", &err), 0);
	assert_true(pc.found);
	assert_string_equal(pc.default_image, "");
	assert_int_equal(pc.bad_keys, 0);
	assert_string_equal(buf_str(&pc.ignored), "defaultImage (unknown), nested (unknown)");
	predecessor_config_cleanup(&pc);
	/* a key cannot forge a log line, nor make it endless */
	assert_int_equal(parse_text(&pc, "\"a\\nlevel=error\": 1\n"
				    "k123456789k123456789k123456789k123456789k123456789k123456789kkkkTAIL: 1\n",
				    &err), 0);
	assert_string_equal(buf_str(&pc.ignored),
			    "a?level=error (unknown), "
			    "k123456789k123456789k123456789k123456789k123456789k123456789kkkk... (unknown)");
	predecessor_config_cleanup(&pc);
}

static void test_bad_types(void **state)
{
	static const struct { const char *text, *why; } cases[] = {
		{ "defaultDevserverImage: 5\n", "want a string, got an integer" },
		{ "defaultDevserverImage: true\n", "want a string, got a boolean" },
		{ "defaultDevserverImage: [a, b]\n", "want a string, got a list" },
		{ "defaultDevserverImage: {a: b}\n", "want a string, got a mapping" },
		{ "defaultDevserverImage:\n", "want a string, got empty" },
		{ "defaultDevserverImage: \"\"\n", "empty" },
		{ "defaultDevserverImage: \"a b\"\n", "has spaces or control characters" },
		{ "defaultDevserverImage: \"a\\nb\"\n", "has spaces or control characters" },
	};
	struct predecessor_config pc;
	struct error err;
	char want[128], *long_image;
	size_t n = PREDECESSOR_CONFIG_VALUE_MAX_BYTES + 32;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_text(&pc, cases[i].text, &err), 0);
		assert_string_equal(pc.default_image, "");
		assert_int_equal(pc.bad_keys, 1);
		snprintf(want, sizeof(want), "defaultDevserverImage (%s)", cases[i].why);
		assert_string_equal(buf_str(&pc.ignored), want);
		predecessor_config_cleanup(&pc);
	}
	/* past the named limit */
	long_image = malloc(n + 64);
	memcpy(long_image, "defaultDevserverImage: ", 23);
	memset(long_image + 23, 'a', n);
	memcpy(long_image + 23 + n, "\n", 2);
	assert_int_equal(parse_text(&pc, long_image, &err), 0);
	assert_string_equal(pc.default_image, "");
	assert_string_equal(buf_str(&pc.ignored), "defaultDevserverImage (too long)");
	predecessor_config_cleanup(&pc);
	free(long_image);
}

static void test_oversized(void **state)
{
	size_t n = PREDECESSOR_CONFIG_MAX_BYTES + 1;
	char *text = malloc(n + 1);
	struct predecessor_config pc;
	struct error err;

	(void)state;
	/* a comment just past the limit: refused before any parsing */
	memset(text, ' ', n);
	text[0] = '#';
	text[n] = '\0';
	predecessor_config_init(&pc);
	assert_int_equal(predecessor_config_parse(&pc, text, n, &err), ERR_LIMIT);
	assert_non_null(strstr(err.msg, "65536-byte limit"));
	assert_false(pc.found);
	/* at the limit it is read */
	assert_int_equal(predecessor_config_parse(&pc, text, n - 1, &err), 0);
	predecessor_config_cleanup(&pc);
	free(text);
}

static void test_not_a_mapping(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "- defaultDevserverImage: a/b\n", "want a mapping of settings, got a list" },
		{ "just a string\n", "want a mapping of settings, got a string" },
		{ "42\n", "want a mapping of settings, got an integer" },
		{ "a: 1\n---\nb: 2\n", "2 YAML documents, want one mapping" },
	};
	struct predecessor_config pc;
	struct error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_text(&pc, cases[i].text, &err), ERR_INVALID);
		assert_string_equal(err.msg, cases[i].msg);
		assert_false(pc.found);
		predecessor_config_cleanup(&pc);
	}
	/* not YAML at all, or a key twice */
	assert_int_equal(parse_text(&pc, "a: [\n", &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "not valid YAML"));
	predecessor_config_cleanup(&pc);
	assert_int_equal(parse_text(&pc, "a: 1\na: 2\n", &err), ERR_INVALID);
	predecessor_config_cleanup(&pc);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/test_predecessor_XXXXXX", path[128], big[128];
	struct predecessor_config pc;
	struct error err;
	size_t n = PREDECESSOR_CONFIG_MAX_BYTES + 100;
	char *text = malloc(n);

	(void)state;
	assert_int_equal(tu_tmpdir_make(dir), 0);
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	snprintf(big, sizeof(big), "%s/big.yaml", dir);
	predecessor_config_init(&pc);
	assert_int_equal(predecessor_config_load(&pc, path, &err), ERR_NOT_FOUND);
	assert_int_equal(predecessor_config_load(&pc, dir, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "not a regular file"));
	tu_write_bytes(path, "defaultDevserverImage: a/b:1\n", 29);
	assert_int_equal(predecessor_config_load(&pc, path, &err), 0);
	assert_string_equal(pc.default_image, "a/b:1");
	predecessor_config_cleanup(&pc);
	tu_write_bytes(path, "- a\n", 4);
	predecessor_config_init(&pc);
	assert_int_equal(predecessor_config_load(&pc, path, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "config.yaml: want a mapping"));
	memset(text, '#', n);
	tu_write_bytes(big, text, n);
	assert_int_equal(predecessor_config_load(&pc, big, &err), ERR_LIMIT);
	assert_non_null(strstr(err.msg, "big.yaml: larger than the 65536-byte limit"));
	predecessor_config_cleanup(&pc);
	assert_int_equal(tu_tmpdir_remove(dir), 0);
	free(text);
}

static void test_environment_over_file(void **state)
{
	static const char *const env[] = {
		"DEVSERVER_DEFAULT_DEVSERVER_IMAGE", "env/img:3", "DEVSERVER_WORKER_LIMIT", "2", NULL,
	};
	static const char *const bad_env[] = { "DEVSERVER_DEFAULT_DEVSERVER_IMAGE", "a b", NULL };
	static const char *const empty_env[] = { "DEVSERVER_DEFAULT_DEVSERVER_IMAGE", "", NULL };
	struct predecessor_config pc;
	struct error err;

	(void)state;
	assert_int_equal(parse_text(&pc, "defaultDevserverImage: file/img:2\n", &err), 0);
	fake_env = env;
	predecessor_config_env(&pc, env_lookup);
	assert_string_equal(pc.default_image, "env/img:3");
	assert_true(pc.default_image_from_env);
	assert_string_equal(buf_str(&pc.ignored),
			    "defaultDevserverImage ($DEVSERVER_DEFAULT_DEVSERVER_IMAGE wins), "
			    "$DEVSERVER_WORKER_LIMIT (kopf's worker count; --concurrency is ours)");
	predecessor_config_cleanup(&pc);
	/* an unusable variable leaves the file's value; an empty one is unset */
	assert_int_equal(parse_text(&pc, "defaultDevserverImage: file/img:2\n", &err), 0);
	fake_env = bad_env;
	predecessor_config_env(&pc, env_lookup);
	assert_string_equal(pc.default_image, "file/img:2");
	assert_int_equal(pc.bad_keys, 1);
	fake_env = empty_env;
	predecessor_config_env(&pc, env_lookup);
	assert_string_equal(pc.default_image, "file/img:2");
	predecessor_config_cleanup(&pc);
	/* no file at all: the variable alone */
	predecessor_config_init(&pc);
	fake_env = env;
	predecessor_config_env(&pc, env_lookup);
	assert_true(pc.found);
	assert_string_equal(pc.default_image, "env/img:3");
	predecessor_config_cleanup(&pc);
	fake_env = NULL;
}

/* flag > our variable > the predecessor's variable > its file > built-in */
static int resolve(const char *file, const char *const *env, const char *flag,
		   struct operator_options *o, struct predecessor_config *pc)
{
	char *argv[] = { "devserver-operator", (char *)flag, NULL };
	struct error err;

	fake_env = env;
	if (options_parse(o, flag ? 2 : 1, argv, env_lookup, &err) < 0)
		return err.code;
	predecessor_config_init(pc);
	if (file && predecessor_config_parse(pc, file, strlen(file), &err) < 0)
		return err.code;
	predecessor_config_env(pc, env_lookup);
	predecessor_config_apply(pc, o);
	return 0;
}

static void test_precedence(void **state)
{
	static const char file[] = "defaultDevserverImage: file/img\n";
	static const char *const theirs[] = { "DEVSERVER_DEFAULT_DEVSERVER_IMAGE", "their-env/img", NULL };
	static const char *const both[] = {
		"DEVSERVER_DEFAULT_DEVSERVER_IMAGE", "their-env/img", "DEVSERVER_DEFAULT_IMAGE", "our-env/img", NULL,
	};
	struct operator_options o;
	struct predecessor_config pc;

	(void)state;
	assert_int_equal(resolve(NULL, NULL, NULL, &o, &pc), 0);
	assert_string_equal(o.default_image, POLICY_DEFAULT_IMAGE);
	assert_false(pc.applied);
	predecessor_config_cleanup(&pc);
	assert_int_equal(resolve(file, NULL, NULL, &o, &pc), 0);
	assert_string_equal(o.default_image, "file/img");
	assert_true(pc.applied);
	assert_string_equal(buf_str(&pc.used), "defaultDevserverImage -> --default-image");
	predecessor_config_cleanup(&pc);
	assert_int_equal(resolve(file, theirs, NULL, &o, &pc), 0);
	assert_string_equal(o.default_image, "their-env/img");
	assert_string_equal(buf_str(&pc.used), "$DEVSERVER_DEFAULT_DEVSERVER_IMAGE -> --default-image");
	predecessor_config_cleanup(&pc);
	assert_int_equal(resolve(file, both, NULL, &o, &pc), 0);
	assert_string_equal(o.default_image, "our-env/img");
	assert_false(pc.applied);
	assert_non_null(strstr(buf_str(&pc.ignored),
			       "$DEVSERVER_DEFAULT_DEVSERVER_IMAGE (--default-image or $DEVSERVER_DEFAULT_IMAGE wins)"));
	predecessor_config_cleanup(&pc);
	assert_int_equal(resolve(file, both, "--default-image=flag/img", &o, &pc), 0);
	assert_string_equal(o.default_image, "flag/img");
	assert_false(pc.applied);
	predecessor_config_cleanup(&pc);
	fake_env = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_bad_types),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_not_a_mapping),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_environment_over_file),
		cmocka_unit_test(test_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
