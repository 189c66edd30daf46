/* test_kube_client.c - src/kube/client without a server: the resource
 * table, URL paths for every scope, and percent-escaping of names and
 * selectors. (Calls against a real API server: tests/integration.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kube/client.h"
#include "support/testutil.h"

static void test_resource_table(void **state)
{
	const struct kube_resource *r;

	r = kube_resource_find("devserver.io/v1", "DevServer");
	assert_non_null(r);
	assert_string_equal(r->plural, "devservers");
	assert_true(r->namespaced);
	r = kube_resource_find("devserver.io/v1", "DevServerFlavor");
	assert_false(r->namespaced);
	assert_string_equal(kube_resource_find("apps/v1", "Deployment")->plural, "deployments");
	assert_string_equal(kube_resource_find("v1", "PersistentVolumeClaim")->plural, "persistentvolumeclaims");
	assert_string_equal(kube_resource_find("events.k8s.io/v1", "Event")->group, "events.k8s.io");
	assert_string_equal(kube_resource_find("v1", "Event")->group, "");
	assert_string_equal(kube_resource_find("coordination.k8s.io/v1", "Lease")->plural, "leases");
	assert_false(kube_resource_find("v1", "Node")->namespaced);
	assert_null(kube_resource_find("apps/v1beta1", "Deployment"));
	assert_null(kube_resource_find("v1", "Gadget"));
	assert_string_equal(kube_resource_find_name("devserver")->kind, "DevServer");
	assert_string_equal(kube_resource_find_name("DevServerFlavors")->kind, "DevServerFlavor");
	assert_string_equal(kube_resource_find_name("cm") ? "x" : "none", "none");
}

static void check_path(const struct kube_resource *r, const char *ns, const char *name, const char *sub,
		       const char *want)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(kube_path(&b, r, ns, name, sub), 0);
	assert_string_equal(buf_str(&b), want);
	buf_cleanup(&b);
}

static void test_paths(void **state)
{
	const struct kube_resource *ds = kube_resource_find("devserver.io/v1", "DevServer");
	const struct kube_resource *fl = kube_resource_find("devserver.io/v1", "DevServerFlavor");
	const struct kube_resource *cm = kube_resource_find("v1", "ConfigMap");
	const struct kube_resource *node = kube_resource_find("v1", "Node");

	check_path(ds, "team-a", "box", NULL, "/apis/devserver.io/v1/namespaces/team-a/devservers/box");
	check_path(ds, "team-a", "box", "status", "/apis/devserver.io/v1/namespaces/team-a/devservers/box/status");
	check_path(ds, NULL, NULL, NULL, "/apis/devserver.io/v1/devservers");
	check_path(fl, "ignored", "small", NULL, "/apis/devserver.io/v1/devserverflavors/small");
	check_path(cm, "kube-system", NULL, NULL, "/api/v1/namespaces/kube-system/configmaps");
	check_path(node, NULL, "n1", NULL, "/api/v1/nodes/n1");
	/* names are escaped */
	check_path(cm, "ns", "a b/c", NULL, "/api/v1/namespaces/ns/configmaps/a%20b%2Fc");
}

static void test_escape_selectors(void **state)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(kube_escape(&b, "app.kubernetes.io/managed-by=devserver-operator,tier in (a,b),!x"), 0);
	assert_string_equal(buf_str(&b),
			    "app.kubernetes.io%2Fmanaged-by%3Ddevserver-operator%2Ctier%20in%20%28a%2Cb%29%2C%21x");
	buf_reset(&b);
	assert_int_equal(kube_escape(&b, "h\xc3\xa9~_.-"), 0);
	assert_string_equal(buf_str(&b), "h%C3%A9~_.-");
	buf_cleanup(&b);
	buf_init(&b, 4);
	assert_int_equal(kube_escape(&b, "a b"), ERR_LIMIT);
	buf_cleanup(&b);
}

static void test_selector_query(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(kube_selector_query(&b, "app=x,tier in (a,b)", "spec.nodeName=n1"), 0);
	assert_string_equal(buf_str(&b),
			    "&labelSelector=app%3Dx%2Ctier%20in%20%28a%2Cb%29&fieldSelector=spec.nodeName%3Dn1");
	/* NULL and "" add nothing: an empty selector selects everything anyway */
	buf_reset(&b);
	assert_int_equal(kube_selector_query(&b, NULL, ""), 0);
	assert_int_equal(b.len, 0);
	buf_reset(&b);
	assert_int_equal(kube_selector_query(&b, "", "metadata.name=a"), 0);
	assert_string_equal(buf_str(&b), "&fieldSelector=metadata.name%3Da");
	buf_cleanup(&b);
	/* past the ceiling: ERR_LIMIT, and nothing cut short is left looking whole */
	buf_init(&b, 20);
	assert_int_equal(kube_selector_query(&b, "app=x", "a=b"), ERR_LIMIT);
	buf_cleanup(&b);
}

static void expect_patch(struct json *patch, const char *want)
{
	char *got = json_encode_str(patch, 4096, 0);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	json_free(patch);
}

static void test_status_patch(void **state)
{
	struct json *old = tu_json("{\"phase\":\"Running\",\"pendingRestart\":true,\"expiresAt\":\"x\"}");

	(void)state;
	/* what the new status dropped is named null; what it keeps is not */
	expect_patch(kube_status_patch_take(tu_json("{\"phase\":\"Stopped\",\"expiresAt\":\"y\"}"), old),
		     "{\"status\":{\"expiresAt\":\"y\",\"pendingRestart\":null,\"phase\":\"Stopped\"}}");
	/* no stored status (or not an object): the new status as it is */
	expect_patch(kube_status_patch_take(tu_json("{\"phase\":\"Pending\"}"), NULL),
		     "{\"status\":{\"phase\":\"Pending\"}}");
	json_free(old);
	old = tu_json("\"weird\"");
	expect_patch(kube_status_patch_take(tu_json("{}"), old), "{\"status\":{}}");
	json_free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource_table),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_escape_selectors),
		cmocka_unit_test(test_selector_query),
		cmocka_unit_test(test_status_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
