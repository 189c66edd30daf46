/* test_operator_options.c - flags, environment twins, precedence, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "operator/options.h"

static const char *const *fake_env;

static const char *env_lookup(const char *name)
{
	for (size_t i = 0; fake_env && fake_env[i]; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

static int parse(struct operator_options *o, struct error *err, const char *const *env, ...)
{
	char *argv[32] = { "devserver-operator" };
	int argc = 1;
	va_list ap;
	char *a;

	fake_env = env;
	va_start(ap, env);
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	return options_parse(o, argc, argv, env_lookup, err);
}

static void test_options_defaults(void **state)
{
	struct operator_options o;
	struct error err;

	assert_int_equal(parse(&o, &err, NULL, NULL), 0);
	assert_int_equal(o.concurrency, OPTIONS_DEFAULT_CONCURRENCY);
	assert_int_equal(o.resync_s, 600);
	assert_string_equal(o.policy_configmap, "devserver-policy");
	assert_string_equal(o.operator_namespace, "devserver-system");
	assert_int_equal(o.namespace_count, 0);
	assert_true(o.hold_restarts);
	assert_int_equal(o.child_watch, CHILD_WATCH_AUTO);
	assert_false(options_watch_all_children(&o)); /* cluster-wide */
	assert_null(o.kubeconfig);
	assert_false(o.help);
}

static void test_options_flags_and_env(void **state)
{
	static const char *const env[] = {
		"DEVSERVER_CONCURRENCY", "4", "DEVSERVER_RESYNC", "2m", "DEVSERVER_NAMESPACES", "a,b",
		"POD_NAMESPACE", "ops", "DEVSERVER_LOG_FORMAT", "json", NULL,
	};
	struct operator_options o;
	struct error err;

	assert_int_equal(parse(&o, &err, env, NULL), 0);
	assert_int_equal(o.concurrency, 4);
	assert_int_equal(o.resync_s, 120);
	assert_int_equal(o.namespace_count, 2);
	assert_string_equal(o.namespaces[1], "b");
	assert_string_equal(o.operator_namespace, "ops");
	assert_int_equal(o.log_format, LOG_FORMAT_JSON);
	/* flags win, and flag namespaces replace the environment's */
	assert_int_equal(parse(&o, &err, env, "--concurrency=32", "--namespace", "x", "--namespace=y",
			       "--log-level", "debug", NULL), 0);
	assert_int_equal(o.concurrency, 32);
	assert_int_equal(o.namespace_count, 2);
	assert_string_equal(o.namespaces[0], "x");
	assert_string_equal(o.namespaces[1], "y");
	assert_int_equal(o.log_level, LOG_DEBUG);
	assert_int_equal(parse(&o, &err, NULL, "-h", NULL), 0);
	assert_true(o.help);
}

static void test_options_errors(void **state)
{
	static const char *const bad_env[] = { "DEVSERVER_RESYNC", "soon", NULL };
	struct operator_options o;
	struct error err;

	assert_int_equal(parse(&o, &err, NULL, "--concurrency", "0", NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "--concurrency: want an integer from 1 to 1024"));
	assert_int_equal(parse(&o, &err, NULL, "--bogus", NULL), ERR_INVALID);
	assert_string_equal(err.msg, "unknown flag --bogus (see --help)");
	assert_int_equal(parse(&o, &err, NULL, "--resync", NULL), ERR_INVALID);
	assert_string_equal(err.msg, "--resync needs a value");
	assert_int_equal(parse(&o, &err, NULL, "--resync", "4x", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "stray", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--help=yes", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--namespace", "a,b", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--log-format", "xml", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, bad_env, NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "$DEVSERVER_RESYNC"));
	assert_int_equal(parse(&o, &err, NULL, "--resync", "0s", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--expiry-warning", "0s", NULL), 0);
	assert_int_equal(o.expiry_warning_s, 0);
	assert_int_equal(parse(&o, &err, NULL, "--rollout", "later", NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "want on-restart or immediate, got \"later\""));
	assert_int_equal(parse(&o, &err, NULL, "--rollout", "immediate", NULL), 0);
	assert_false(o.hold_restarts);
}

/* --child-watch: auto (default: all only when scoped to --namespace), all
 * or labelled, from a flag or its twin. */
static void test_options_child_watch(void **state)
{
	static const char *const env[] = { "DEVSERVER_CHILD_WATCH", "labelled", NULL };
	struct operator_options o;
	struct error err;

	(void)state;
	assert_int_equal(parse(&o, &err, NULL, "--namespace", "dev", NULL), 0);
	assert_true(options_watch_all_children(&o));
	assert_int_equal(parse(&o, &err, NULL, "--namespace", "dev", "--namespace-selector", "a=b", NULL), 0);
	assert_false(options_watch_all_children(&o));
	assert_int_equal(parse(&o, &err, env, "--namespace", "dev", NULL), 0);
	assert_false(options_watch_all_children(&o));
	assert_int_equal(parse(&o, &err, env, "--child-watch", "all", NULL), 0);
	assert_true(options_watch_all_children(&o)); /* cluster-wide, asked for */
	assert_int_equal(parse(&o, &err, NULL, "--child-watch", "some", NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "want auto, all or labelled, got \"some\""));
}

static void test_options_scope_and_users(void **state)
{
	static const char *const env[] = { "DEVSERVER_NAMESPACES", "a,b", "DEVSERVER_USERS", "off", NULL };
	struct operator_options o;
	struct error err;

	(void)state;
	assert_int_equal(parse(&o, &err, NULL, NULL), 0);
	assert_true(o.users);
	assert_null(o.namespace_selector);
	assert_int_equal(parse(&o, &err, env, "--namespace-selector", "devserver.io/managed=true", NULL), 0);
	assert_int_equal(o.namespace_count, 2);
	assert_false(o.users);
	assert_string_equal(o.namespace_selector, "devserver.io/managed=true");
	assert_int_equal(parse(&o, &err, NULL, "--users", "maybe", NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "want on or off"));
	assert_int_equal(parse(&o, &err, NULL, "--namespace-selector", "a in (", NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "--namespace-selector"));
	assert_int_equal(parse(&o, &err, NULL, "--users=on", NULL), 0);
	assert_true(o.users);
}

static void test_options_max_ttl(void **state)
{
	static const char *const env[] = { "DEVSERVER_MAX_TTL", "36h", NULL };
	static const char *const env_none[] = { "DEVSERVER_MAX_TTL", "none", NULL };
	static const char *const env_bad[] = { "DEVSERVER_MAX_TTL", "7 days", NULL };
	struct operator_options o;
	struct error err;

	(void)state;
	/* the predecessor's 7 days unless told otherwise */
	assert_int_equal(parse(&o, &err, NULL, NULL), 0);
	assert_int_equal(o.max_ttl_s, 7 * 24 * 3600);
	assert_false(options_given(&o, "max-ttl"));
	assert_int_equal(parse(&o, &err, env, NULL), 0);
	assert_int_equal(o.max_ttl_s, 36 * 3600);
	assert_true(options_given(&o, "max-ttl"));
	assert_false(options_given(&o, "default-image"));
	/* none disables it; a flag beats the environment */
	assert_int_equal(parse(&o, &err, env_none, NULL), 0);
	assert_int_equal(o.max_ttl_s, 0);
	assert_int_equal(parse(&o, &err, env, "--max-ttl", "none", NULL), 0);
	assert_int_equal(o.max_ttl_s, 0);
	assert_int_equal(parse(&o, &err, env_none, "--max-ttl=14d", NULL), 0);
	assert_int_equal(o.max_ttl_s, 14 * 24 * 3600);
	/* bad values: one line naming the source, what is wanted and what came */
	assert_int_equal(parse(&o, &err, NULL, "--max-ttl", "7x", NULL), ERR_INVALID);
	assert_string_equal(err.msg, "--max-ttl: want a duration of at least 1h (e.g. 7d, 36h) or none, "
			    "got \"7x\"");
	assert_int_equal(parse(&o, &err, env_bad, NULL), ERR_INVALID);
	assert_non_null(strstr(err.msg, "$DEVSERVER_MAX_TTL: want a duration"));
	assert_int_equal(parse(&o, &err, NULL, "--max-ttl", "0s", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--max-ttl", "7m", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--max-ttl", "", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--max-ttl", "None", NULL), ERR_INVALID);
	assert_int_equal(parse(&o, &err, NULL, "--max-ttl", "1h", NULL), 0);
	assert_int_equal(o.max_ttl_s, 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_defaults),
		cmocka_unit_test(test_options_flags_and_env),
		cmocka_unit_test(test_options_errors),
		cmocka_unit_test(test_options_child_watch),
		cmocka_unit_test(test_options_scope_and_users),
		cmocka_unit_test(test_options_max_ttl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
