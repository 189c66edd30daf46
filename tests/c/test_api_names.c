/* test_api_names.c - the Kubernetes name rules against the shared cases in
 * tests/fixtures/names.txt (the Lua rule is tested against the same file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/names.h"

#define NAMES_CASES DEVSERVER_SOURCE_DIR "/tests/fixtures/names.txt"
#define NAMES_LINE_MAX 1024

struct name_rule {
	const char *id;
	bool (*valid)(const char *s, size_t len);
};

/* A username is valid when it has a namespace (api_user_namespace). */
static bool is_username(const char *s, size_t len)
{
	char name[API_DNS_LABEL_MAX + 8], ns[API_DNS_LABEL_MAX + 8];

	if (len >= sizeof(name))
		return false;
	memcpy(name, s, len);
	name[len] = '\0';
	return api_user_namespace(name, ns, sizeof(ns));
}

static const struct name_rule rules[] = {
	{"dns1123-label", api_is_dns1123_label},
	{"dns1035-label", api_is_dns1035_label},
	{"dns1123-subdomain", api_is_dns1123_subdomain},
	{"label-value", api_is_label_value},
	{"label-key", api_is_label_key},
	{"devserver-name", api_is_devserver_name},
	{"username", is_username},
};

static const struct name_rule *rule_find(const char *id)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

static void test_shared_cases(void **state)
{
	FILE *f = fopen(NAMES_CASES, "r");
	char line[NAMES_LINE_MAX], rule[64], expect[8], name[NAMES_LINE_MAX];
	int cases = 0, wrong = 0;
	bool seen[sizeof(rules) / sizeof(rules[0])] = {0};

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const struct name_rule *r;
		bool want, got;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%63s %7s %1023s", rule, expect, name), 3);
		r = rule_find(rule);
		if (!r)
			fail_msg("unknown rule %s in %s", rule, NAMES_CASES);
		seen[r - rules] = true;
		if (strcmp(name, "<empty>") == 0)
			name[0] = '\0';
		want = strcmp(expect, "yes") == 0;
		got = r->valid(name, strlen(name));
		if (got != want) {
			print_error("%s \"%s\": want %s, got %s\n", rule, name, expect, got ? "yes" : "no");
			wrong++;
		}
		cases++;
	}
	fclose(f);
	assert_int_equal(wrong, 0);
	assert_true(cases >= 60);
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		assert_true(seen[i]);
}

/* The len-taking forms read only len bytes: a slice of a longer string. */
static void test_slices(void **state)
{
	(void)state;
	assert_true(api_is_dns1123_label("box.example", 3));
	assert_true(api_is_label_key("app=x", 3));
	assert_false(api_is_dns1123_label("box-", 4));
	assert_true(api_is_dns1123_label("box-", 3));
}

static void test_user_namespace(void **state)
{
	char ns[API_DNS_LABEL_MAX + 1];

	(void)state;
	assert_true(api_user_namespace("Alice", ns, sizeof(ns)));
	assert_string_equal(ns, "dev-alice");
	assert_false(api_user_namespace("alice", ns, 9));   /* "dev-alice" and its NUL need 10 */
	assert_false(api_user_namespace(NULL, ns, sizeof(ns)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_cases),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_user_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
