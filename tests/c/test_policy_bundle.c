/* test_policy_bundle.c - src/policy/bundle.c: layouts, limits, the
 * ConfigMap key mapping and content revisions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "json/json.h"
#include "policy/bundle.h"
#include "support/testutil.h"

static void test_add_get_and_paths(void **state)
{
	static const char *const bad[] = {
		"devserver.lua", "/policies/x.lua", "policies/../x.lua", "lib/.hidden.lua",
		"lib//x.lua", "policies/x.txt", "policies/sub/x.lua", "other/x.lua", "lib/x y.lua", "",
	};
	struct policy_bundle b;
	struct error err;
	size_t len, i;

	policy_bundle_init(&b);
	assert_string_equal(b.revision, "");
	assert_int_equal(policy_bundle_add(&b, "policies/devserver.lua", "return 1", 8, &err), 0);
	assert_int_equal(policy_bundle_add(&b, "lib/k8s/util.lua", "x", 1, &err), 0);
	assert_string_equal(policy_bundle_get(&b, "policies/devserver.lua", &len), "return 1");
	assert_int_equal(len, 8);
	assert_null(policy_bundle_get(&b, "lib/nope.lua", NULL));
	assert_int_equal(strlen(b.revision), POLICY_REVISION_HEX_CHARS);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (policy_bundle_add(&b, bad[i], "x", 1, &err) != ERR_INVALID)
			fail_msg("accepted '%s'", bad[i]);
	/* replacing a file keeps one entry and changes the revision */
	{
		char before[POLICY_REVISION_HEX_CHARS + 1];

		memcpy(before, b.revision, sizeof(before));
		assert_int_equal(policy_bundle_add(&b, "lib/k8s/util.lua", "y", 1, &err), 0);
		assert_int_equal(b.n, 2);
		assert_string_not_equal(before, b.revision);
	}
	policy_bundle_cleanup(&b);
}

static void test_revision_is_order_independent(void **state)
{
	struct policy_bundle a, b, c;
	struct error err;

	policy_bundle_init(&a);
	policy_bundle_init(&b);
	policy_bundle_init(&c);
	assert_int_equal(policy_bundle_add(&a, "policies/devserver.lua", "A", 1, &err), 0);
	assert_int_equal(policy_bundle_add(&a, "lib/m.lua", "M", 1, &err), 0);
	assert_int_equal(policy_bundle_add(&b, "lib/m.lua", "M", 1, &err), 0);
	assert_int_equal(policy_bundle_add(&b, "policies/devserver.lua", "A", 1, &err), 0);
	assert_string_equal(a.revision, b.revision);
	/* moving bytes between path and content must change the revision */
	assert_int_equal(policy_bundle_add(&c, "policies/devserver.lua", "AM", 2, &err), 0);
	assert_string_not_equal(a.revision, c.revision);
	policy_bundle_copy(&c, &a);
	assert_string_equal(c.revision, a.revision);
	assert_string_equal(policy_bundle_get(&c, "lib/m.lua", NULL), "M");
	policy_bundle_cleanup(&a);
	policy_bundle_cleanup(&b);
	policy_bundle_cleanup(&c);
}

static void test_limits(void **state)
{
	struct policy_bundle b;
	struct error err;
	char *big = calloc(1, POLICY_FILE_MAX_BYTES + 1);
	char path[64];
	int i, rc = 0;

	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_add(&b, "lib/big.lua", big, POLICY_FILE_MAX_BYTES + 1, &err),
			 ERR_LIMIT);
	for (i = 0; i < 4 && rc == 0; i++) {
		snprintf(path, sizeof(path), "lib/f%d.lua", i);
		rc = policy_bundle_add(&b, path, big, POLICY_FILE_MAX_BYTES, &err);
	}
	assert_int_equal(rc, 0);   /* exactly POLICY_BUNDLE_MAX_BYTES */
	assert_int_equal(policy_bundle_add(&b, "lib/one-more.lua", "x", 1, &err), ERR_LIMIT);
	policy_bundle_cleanup(&b);
	policy_bundle_init(&b);
	for (i = 0; i < POLICY_BUNDLE_MAX_FILES; i++) {
		snprintf(path, sizeof(path), "lib/f%d.lua", i);
		assert_int_equal(policy_bundle_add(&b, path, "x", 1, &err), 0);
	}
	assert_int_equal(policy_bundle_add(&b, "lib/extra.lua", "x", 1, &err), ERR_LIMIT);
	policy_bundle_cleanup(&b);
	free(big);
}

static void test_configmap(void **state)
{
	static const char text[] =
		"{\"devserver.lua\":\"return 1\",\"lib.merge.lua\":\"M\",\"lib.k8s.util.lua\":\"U\","
		"\"README\":\"ignored\",\"fixture.basic.yaml\":\"ignored\"}";
	struct error err;
	struct json *data = json_parse(text, strlen(text), &err), *bad;
	struct policy_bundle b;
	char path[POLICY_PATH_MAX_BYTES];

	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_load_configmap(&b, data, &err), 0);
	assert_int_equal(b.n, 3);
	assert_string_equal(policy_bundle_get(&b, "policies/devserver.lua", NULL), "return 1");
	assert_string_equal(policy_bundle_get(&b, "lib/merge.lua", NULL), "M");
	assert_string_equal(policy_bundle_get(&b, "lib/k8s/util.lua", NULL), "U");
	policy_bundle_cleanup(&b);
	json_free(data);

	assert_int_equal(policy_bundle_configmap_path("lib.a.lua", path, sizeof(path), &err), 0);
	assert_string_equal(path, "lib/a.lua");
	assert_int_equal(policy_bundle_configmap_path("notes.txt", path, sizeof(path), &err), 1);
	assert_int_equal(policy_bundle_configmap_path("lib..x.lua", path, sizeof(path), &err),
			 ERR_INVALID);

	bad = json_parse("{\"devserver.lua\": 3}", 19, &err);
	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_load_configmap(&b, bad, &err), ERR_INVALID);
	policy_bundle_cleanup(&b);
	json_free(bad);
	bad = json_parse("{\"README\": \"x\"}", 15, &err);
	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_load_configmap(&b, bad, &err), ERR_INVALID);
	policy_bundle_cleanup(&b);
	json_free(bad);
}

static void test_load_dir_layouts(void **state)
{
	char root[] = "/tmp/policy-bundle-XXXXXX", sub[600];
	struct policy_bundle a, b;
	struct error err;
	int rc;

	assert_int_equal(tu_tmpdir_make(root), 0);
	/* nested layout */
	snprintf(sub, sizeof(sub), "%s/nested", root);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/nested/policies", root);
	mkdir(sub, 0700);
	tu_write_in(sub, "devserver.lua", "return 1");
	snprintf(sub, sizeof(sub), "%s/nested/lib", root);
	mkdir(sub, 0700);
	tu_write_in(sub, "merge.lua", "M");
	tu_write_in(sub, "notes.txt", "ignored");
	/* flat layout, as a mounted ConfigMap looks */
	snprintf(sub, sizeof(sub), "%s/flat", root);
	mkdir(sub, 0700);
	tu_write_in(sub, "devserver.lua", "return 1");
	tu_write_in(sub, "lib.merge.lua", "M");
	tu_write_in(sub, ".hidden.lua", "ignored");

	policy_bundle_init(&a);
	policy_bundle_init(&b);
	snprintf(sub, sizeof(sub), "%s/nested", root);
	rc = policy_bundle_load_dir(&a, sub, &err);
	if (rc)
		fail_msg("%s", err.msg);
	snprintf(sub, sizeof(sub), "%s/flat", root);
	rc = policy_bundle_load_dir(&b, sub, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2);
	assert_string_equal(a.revision, b.revision);
	policy_bundle_cleanup(&a);
	policy_bundle_cleanup(&b);

	policy_bundle_init(&a);
	assert_int_equal(policy_bundle_load_dir(&a, "/nonexistent/policies", &err), ERR_IO);
	policy_bundle_cleanup(&a);
	assert_int_equal(tu_tmpdir_remove(root), 0);
}

static void test_embedded_and_source_tree_agree(void **state)
{
	struct policy_bundle a, b;
	struct error err;

	policy_bundle_init(&a);
	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_load_embedded(&a, &err), 0);
	assert_non_null(policy_bundle_get(&a, POLICY_MAIN_PATH, NULL));
	assert_int_equal(policy_bundle_load_dir(&b, DEVSERVER_SOURCE_DIR "/lua", &err), 0);
	/* the build embeds exactly what is in lua/ */
	assert_string_equal(a.revision, b.revision);
	policy_bundle_cleanup(&a);
	policy_bundle_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get_and_paths),
		cmocka_unit_test(test_revision_is_order_independent),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_configmap),
		cmocka_unit_test(test_load_dir_layouts),
		cmocka_unit_test(test_embedded_and_source_tree_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
