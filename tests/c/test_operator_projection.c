/* test_operator_projection.c - src/operator/projection: what each cache
 * keeps. Every projection keeps exactly what the operator reads, is
 * idempotent, and drops kubectl's last-applied copy; a child without our
 * ownerReference is reduced to a stub however large it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "operator/finalizer.h"
#include "operator/projection.h"
#include "support/testutil.h"

#define FULL_META \
	"\"metadata\":{\"name\":\"box\",\"namespace\":\"dev\",\"uid\":\"u1\",\"generation\":4," \
	"\"resourceVersion\":\"77\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"," \
	"\"deletionTimestamp\":\"2026-01-02T00:00:00Z\",\"labels\":{\"team\":\"ml\"}," \
	"\"annotations\":{\"note\":\"keep\",\"kubectl.kubernetes.io/last-applied-configuration\":\"{...}\"}," \
	"\"finalizers\":[\"x\"],\"generateName\":\"bo\",\"selfLink\":\"/x\"," \
	"\"ownerReferences\":[{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"name\":\"box\"," \
	"\"uid\":\"ds-uid\",\"controller\":true}]}"

/* Applies fn twice, checking the second pass changes nothing. */
static void project(void (*fn)(struct json *), struct json *obj)
{
	struct json *once;

	fn(obj);
	once = json_clone(obj);
	fn(obj);
	assert_true(json_equal(once, obj));
	json_free(once);
}

static void test_devserver_keeps_what_reconcile_reads(void **state)
{
	struct json *ds = tu_json("{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\"," FULL_META ","
				"\"spec\":{\"flavor\":\"f\",\"distributed\":{\"ncclSettings\":{\"A\":\"1\"}}},"
				"\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\"}]},"
				"\"extra\":1}");
	const struct json *m;

	project(projection_devserver, ds);
	m = json_get(ds, "metadata");
	assert_string_equal(json_get_string(m, "name"), "box");
	assert_string_equal(json_get_string(m, "namespace"), "dev");
	assert_string_equal(json_get_string(m, "uid"), "u1");
	assert_int_equal(json_get_int(m, "generation", 0), 4);
	assert_string_equal(json_get_string(m, "resourceVersion"), "77");
	assert_non_null(json_get(m, "creationTimestamp"));
	assert_non_null(json_get(m, "deletionTimestamp"));
	assert_string_equal(json_get_string(json_get(m, "labels"), "team"), "ml");
	assert_string_equal(json_get_string(json_get(m, "annotations"), "note"), "keep");
	assert_null(json_get(json_get(m, "annotations"), PROJECTION_LAST_APPLIED));
	assert_null(json_get(m, "finalizers"));
	assert_null(json_get(m, "ownerReferences"));
	assert_null(json_get(m, "selfLink"));
	assert_non_null(json_path(ds, "spec", "distributed", "ncclSettings", NULL)); /* policies read spec */
	assert_string_equal(json_path(ds, "status", "conditions", NULL)->u.arr.items[0]->u.obj.items[0].value->u.str.ptr,
			    "Ready");
	assert_null(json_get(ds, "extra"));
	assert_string_equal(json_get_string(ds, "kind"), "DevServer");
	json_free(ds);
	/* an annotations map holding only the last-applied copy goes entirely */
	ds = tu_json("{\"metadata\":{\"name\":\"a\",\"annotations\":{\"" PROJECTION_LAST_APPLIED "\":\"x\"}}}");
	project(projection_devserver, ds);
	assert_null(json_path(ds, "metadata", "annotations", NULL));
	json_free(ds);
	/* finalizers stay, whole, only while kopf's is among them: reconcile
	 * removes it by index (operator/finalizer.h) */
	ds = tu_json("{\"metadata\":{\"name\":\"a\",\"finalizers\":[\"x\",\"" FINALIZER_KOPF "\"]}}");
	project(projection_devserver, ds);
	assert_int_equal(json_path(ds, "metadata", "finalizers", NULL)->u.arr.len, 2);
	json_free(ds);
}

static void test_flavor(void **state)
{
	struct json *f = tu_json("{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServerFlavor\"," FULL_META ","
			       "\"spec\":{\"default\":true},\"status\":{\"schedulable\":\"Yes\"}}");

	project(projection_flavor, f);
	assert_true(json_get_bool(json_get(f, "spec"), "default", false));
	assert_string_equal(json_get_string(json_get(f, "status"), "schedulable"), "Yes");
	assert_null(json_path(f, "metadata", "ownerReferences", NULL));
	assert_null(json_path(f, "metadata", "annotations", PROJECTION_LAST_APPLIED, NULL));
	json_free(f);
}

static void test_owned_child_kept_whole_but_trimmed(void **state)
{
	struct json *d = tu_json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"," FULL_META ","
			       "\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}},"
			       "\"status\":{\"availableReplicas\":1}}");

	assert_true(projection_owned_by_devserver(d));
	project(projection_child, d);
	assert_non_null(json_path(d, "spec", "template", "spec", "containers", NULL)); /* drift reads it */
	assert_int_equal(json_get_int(json_get(d, "status"), "availableReplicas", 0), 1);
	assert_non_null(json_path(d, "metadata", "ownerReferences", NULL));
	assert_non_null(json_path(d, "metadata", "labels", NULL));
	assert_string_equal(json_get_string(json_path(d, "metadata", "annotations", NULL), "note"), "keep");
	assert_null(json_path(d, "metadata", "annotations", PROJECTION_LAST_APPLIED, NULL));
	assert_null(json_path(d, "metadata", "finalizers", NULL));
	json_free(d);
}

static void test_labelled_child_that_is_not_ours_is_a_stub(void **state)
{
	struct buf b;
	struct json *cm;
	const struct json *m;

	/* a 1 MB ConfigMap anyone may label managed-by=devserver-operator */
	buf_init(&b, 4 << 20);
	buf_append_str(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"web-ssh\","
		       "\"namespace\":\"dev\",\"uid\":\"cm1\",\"resourceVersion\":\"5\","
		       "\"labels\":{\"app.kubernetes.io/managed-by\":\"devserver-operator\",\"devserver.io/home\":\"true\"},"
		       "\"annotations\":{\"big\":\"");
	for (int i = 0; i < 1000; i++)
		buf_append_str(&b, "0123456789");
	buf_append_str(&b, "\"},\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"p\","
		       "\"uid\":\"pod-uid\",\"controller\":true}]},\"data\":{\"blob\":\"");
	for (int i = 0; i < 100000; i++)
		buf_append_str(&b, "0123456789");
	buf_append_str(&b, "\"}}");
	cm = json_parse(buf_str(&b), b.len, NULL);
	assert_non_null(cm);
	assert_false(projection_owned_by_devserver(cm));
	project(projection_child, cm);
	assert_null(json_get(cm, "data"));
	m = json_get(cm, "metadata");
	assert_string_equal(json_get_string(m, "name"), "web-ssh");
	assert_string_equal(json_get_string(m, "uid"), "cm1");
	assert_string_equal(json_get_string(m, "resourceVersion"), "5");
	/* what reconcile reads of someone else's object: its labels and owner */
	assert_string_equal(json_get_string(json_get(m, "labels"), "devserver.io/home"), "true");
	assert_string_equal(json_get_string(json_get(m, "ownerReferences")->u.arr.items[0], "uid"), "pod-uid");
	assert_null(json_get(m, "annotations"));
	assert_string_equal(json_get_string(cm, "kind"), "ConfigMap");
	assert_true(json_encoded_size(cm) < 1024);
	json_free(cm);
	buf_cleanup(&b);
	/* an ownerReference of another kind or version is not ours */
	cm = tu_json("{\"metadata\":{\"name\":\"x\",\"ownerReferences\":[{\"apiVersion\":\"devserver.io/v2\","
		   "\"kind\":\"DevServer\",\"uid\":\"u\"},{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"Other\","
		   "\"uid\":\"v\"}]},\"data\":{}}");
	assert_false(projection_owned_by_devserver(cm));
	json_free(cm);
	/* a non-controller reference to a DevServer still is */
	cm = tu_json("{\"metadata\":{\"name\":\"x\",\"ownerReferences\":[{\"apiVersion\":\"devserver.io/v1\","
		   "\"kind\":\"DevServer\",\"uid\":\"u\"}]},\"data\":{\"k\":\"v\"}}");
	assert_true(projection_owned_by_devserver(cm));
	projection_child(cm);
	assert_non_null(json_get(cm, "data"));
	json_free(cm);
}

static void test_secret_keeps_only_the_public_host_key(void **state)
{
	struct json *s = tu_json("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"box-hostkey\","
			       "\"namespace\":\"dev\",\"labels\":{\"devserver.io/role\":\"ssh-host-key\"},"
			       "\"ownerReferences\":[{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
			       "\"uid\":\"u\",\"controller\":true}]},"
			       "\"data\":{\"ssh_host_ed25519_key\":\"c2VjcmV0\",\"ssh_host_ed25519_key.pub\":\"cHVi\"}}");

	project(projection_secret, s);
	assert_null(json_path(s, "data", "ssh_host_ed25519_key", NULL));
	assert_non_null(json_path(s, "data", "ssh_host_ed25519_key.pub", NULL));
	json_free(s);
}

static void test_pod(void **state)
{
	struct json *p = tu_json("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"box-1\","
			       "\"namespace\":\"dev\",\"labels\":{\"devserver.io/name\":\"box\"},"
			       "\"annotations\":{\"a\":\"b\"},\"ownerReferences\":[]},"
			       "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
			       "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\",\"qosClass\":\"Burstable\","
			       "\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"t1\"},"
			       "{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"ContainersNotReady\","
			       "\"lastTransitionTime\":\"t2\",\"lastProbeTime\":null},"
			       "{\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\","
			       "\"message\":\"m\",\"lastTransitionTime\":\"t3\",\"lastProbeTime\":null}],"
			       "\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,\"image\":\"i\",\"restartCount\":3,"
			       "\"state\":{\"running\":{\"startedAt\":\"t4\"}}},{\"name\":\"d\",\"state\":{\"waiting\":"
			       "{\"reason\":\"ImagePullBackOff\",\"message\":\"no\"}},\"lastState\":{}}]}}");
	const struct json *conds, *cs;

	project(projection_pod, p);
	/* nothing of the spec: status computation reads none of it */
	assert_null(json_get(p, "spec"));
	assert_null(json_path(p, "status", "qosClass", NULL));
	assert_null(json_path(p, "status", "podIP", NULL));
	assert_string_equal(json_get_string(json_get(p, "status"), "phase"), "Running");
	/* the conditions status and idle read, with what they read of them */
	conds = json_path(p, "status", "conditions", NULL);
	assert_int_equal(conds->u.arr.len, 2);
	assert_string_equal(json_get_string(conds->u.arr.items[0], "type"), "Ready");
	assert_string_equal(json_get_string(conds->u.arr.items[0], "status"), "False");
	assert_null(json_get(conds->u.arr.items[0], "lastTransitionTime"));
	assert_string_equal(json_get_string(conds->u.arr.items[1], "type"), "PodScheduled");
	assert_string_equal(json_get_string(conds->u.arr.items[1], "reason"), "Unschedulable");
	assert_string_equal(json_get_string(conds->u.arr.items[1], "message"), "m");
	assert_string_equal(json_get_string(conds->u.arr.items[1], "lastTransitionTime"), "t3");
	assert_null(json_get(conds->u.arr.items[1], "lastProbeTime"));
	/* container states: only a waiting one's reason and message matter */
	cs = json_path(p, "status", "containerStatuses", NULL);
	assert_int_equal(cs->u.arr.len, 2);
	assert_string_equal(json_get_string(cs->u.arr.items[0], "name"), "c");
	assert_null(json_get(cs->u.arr.items[0], "image"));
	assert_null(json_get(cs->u.arr.items[0], "ready"));
	assert_null(json_get(cs->u.arr.items[0], "restartCount"));
	assert_null(json_path(cs->u.arr.items[0], "state", "running", NULL));
	assert_string_equal(json_get_string(json_path(cs->u.arr.items[1], "state", "waiting", NULL), "reason"),
			    "ImagePullBackOff");
	assert_null(json_get(cs->u.arr.items[1], "lastState"));
	assert_null(json_path(p, "metadata", "annotations", NULL));
	assert_string_equal(json_get_string(json_path(p, "metadata", "labels", NULL), "devserver.io/name"), "box");
	json_free(p);
}

/* A Deployment's status is written by its controller many times per
 * rollout (conditions with timestamps, counters); the operator reads only
 * availableReplicas, so that is all the cache keeps, and an update that
 * changes nothing else is no reason to reconcile. */
static void test_deployment_status_keeps_available_replicas(void **state)
{
	struct json *d = tu_json("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"," FULL_META ","
			       "\"spec\":{\"replicas\":1},\"status\":{\"availableReplicas\":1,\"replicas\":1,"
			       "\"observedGeneration\":4,\"conditions\":[{\"type\":\"Available\","
			       "\"lastUpdateTime\":\"t\"}]}}");

	project(projection_child, d);
	assert_int_equal(json_get_int(json_get(d, "status"), "availableReplicas", 0), 1);
	assert_int_equal(json_get(d, "status")->u.obj.len, 1);
	assert_int_equal(json_get_int(json_get(d, "spec"), "replicas", 0), 1);
	json_free(d);
}

/* Two versions of a projected object that differ only in
 * metadata.resourceVersion are the same to the operator: an update like
 * that (a status field the projection dropped, a managedFields entry)
 * requeues nothing. */
static void test_same_but_version(void **state)
{
	struct json *a = tu_json("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"1\","
			       "\"labels\":{\"x\":\"1\"}},\"status\":{\"phase\":\"Pending\"}}");
	struct json *b = tu_json("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"2\","
			       "\"labels\":{\"x\":\"1\"}},\"status\":{\"phase\":\"Pending\"}}");
	struct json *c = tu_json("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"3\","
			       "\"labels\":{\"x\":\"1\"}},\"status\":{\"phase\":\"Running\"}}");
	struct json *d = tu_json("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"4\","
			       "\"labels\":{\"x\":\"2\"}},\"status\":{\"phase\":\"Pending\"}}");
	struct json *e = tu_json("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"5\","
			       "\"labels\":{\"x\":\"1\"}},\"status\":{\"phase\":\"Pending\"},\"spec\":{}}");

	(void)state;
	assert_true(projection_same_but_version(a, b));
	assert_true(projection_same_but_version(a, a));
	assert_false(projection_same_but_version(a, c));
	assert_false(projection_same_but_version(a, d));
	assert_false(projection_same_but_version(a, e));
	assert_false(projection_same_but_version(e, a));
	assert_false(projection_same_but_version(a, NULL));
	json_free(a);
	json_free(b);
	json_free(c);
	json_free(d);
	json_free(e);
}

static void test_policy_configmap(void **state)
{
	struct json *cm = tu_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"devserver-policy\","
				"\"namespace\":\"ops\",\"resourceVersion\":\"3\",\"annotations\":{"
				"\"devserver.io/policy-status\":\"ok\",\"" PROJECTION_LAST_APPLIED "\":\"{copy}\"}},"
				"\"data\":{\"devserver.lua\":\"return {}\"}}");

	project(projection_policy_configmap, cm);
	assert_non_null(json_path(cm, "data", "devserver.lua", NULL));
	assert_non_null(json_path(cm, "metadata", "annotations", "devserver.io/policy-status", NULL));
	assert_null(json_path(cm, "metadata", "annotations", PROJECTION_LAST_APPLIED, NULL));
	json_free(cm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devserver_keeps_what_reconcile_reads),
		cmocka_unit_test(test_flavor),
		cmocka_unit_test(test_owned_child_kept_whole_but_trimmed),
		cmocka_unit_test(test_labelled_child_that_is_not_ours_is_a_stub),
		cmocka_unit_test(test_secret_keeps_only_the_public_host_key),
		cmocka_unit_test(test_pod),
		cmocka_unit_test(test_deployment_status_keeps_available_replicas),
		cmocka_unit_test(test_same_but_version),
		cmocka_unit_test(test_policy_configmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
