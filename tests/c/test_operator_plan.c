/* test_operator_plan.c - reconcile's decisions (operator/plan.h), one case
 * per behaviour the integration suites show on a cluster: create, leave
 * alone, update, repair drift, hold a running box's Deployment for its
 * restart, prune, and the children a prune never touches. Objects are
 * written as the cache and children_prepare leave them: render, template,
 * spec hashes and inputs as annotations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "operator/plan.h"
#include "support/testutil.h"

enum { K_DEPLOYMENT, K_SERVICE, K_CONFIGMAP, K_PVC, K_SECRET };

static const char *kinds[] = {"Deployment", "Service", "ConfigMap", "PersistentVolumeClaim", "Secret"};

/* Every object a test makes, freed after it (teardown), pass or fail. */
#define PLAN_TEST_MAX_OBJECTS 16
static struct json *made[PLAN_TEST_MAX_OBJECTS];
static size_t nmade;

static struct json *keep(struct json *v)
{
	assert_true(nmade < PLAN_TEST_MAX_OBJECTS);
	made[nmade++] = v;
	return v;
}

static int free_made(void **state)
{
	(void)state;
	while (nmade)
		json_free(made[--nmade]);
	return 0;
}

/* A child of kind k named name, stamped with render hash rh; extra is more
 * metadata members (",..." or ""), spec its spec. */
static struct json *child(int k, const char *name, const char *rh, const char *extra, const char *spec)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"v1\",\"kind\":\"%s\",\"metadata\":{\"name\":\"%s\",\"uid\":\"u-%s\","
		 "\"annotations\":{\"devserver.io/render-hash\":\"%s\"}%s},\"spec\":%s}",
		 kinds[k], name, name, rh, extra, spec);
	return keep(tu_json(text));
}

/* A Deployment as children_prepare stamps it; available: status replicas. */
static struct json *deployment(const char *rh, const char *template_hash, const char *spec_hash,
			       const char *inputs, const char *image, int available)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"box\",\"uid\":\"u-box\","
		 "\"annotations\":{\"devserver.io/render-hash\":\"%s\",\"devserver.io/template-hash\":\"%s\","
		 "\"devserver.io/spec-hash\":\"%s\",\"devserver.io/inputs\":\"%s\"}},"
		 "\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"dev\",\"image\":\"%s\"}]}}},"
		 "\"status\":{\"availableReplicas\":%d}}",
		 rh, template_hash, spec_hash, inputs, image, available);
	return keep(tu_json(text));
}

static struct plan_child want(struct json *d, int k, const struct json *observed)
{
	return (struct plan_child){d, kinds[k], k, observed};
}

static struct plan_owned have(const struct json *o, int k)
{
	return (struct plan_owned){o, kinds[k], k};
}

static void test_new_devserver_creates_every_child(void **state)
{
	struct json *d = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 0);
	struct json *svc = child(K_SERVICE, "box-ssh", "r2", "", "{\"ports\":[{\"port\":22}]}");
	struct json *pvc = child(K_PVC, "box-home", "r3", "", "{}");
	struct plan_child c[] = {want(d, K_DEPLOYMENT, NULL), want(svc, K_SERVICE, NULL), want(pvc, K_PVC, NULL)};
	struct plan p;

	(void)state;
	plan_writes(c, 3, NULL, 0, true, &p);
	assert_int_equal(p.count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(p.actions[i].verb, PLAN_APPLY);
		assert_int_equal(p.actions[i].why, PLAN_CREATE);
		assert_ptr_equal(p.actions[i].desired, c[i].desired); /* desired's order */
		assert_int_equal(p.actions[i].kind_index, c[i].kind_index);
	}
	assert_string_equal(p.actions[1].name, "box-ssh");
	assert_true(p.creates_deployment);
	assert_int_equal(p.unchanged, 0);
	plan_free(&p);
}

/* A second round over an unchanged cluster writes nothing (the steady
 * state the benchmark's "PATCH per DevServer" counts). */
static void test_unchanged_children_are_left_alone(void **state)
{
	struct json *d = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct json *od = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct json *svc = child(K_SERVICE, "box-ssh", "r2", "", "{\"ports\":[{\"port\":22}]}");
	/* the server adds fields of its own: not a drift */
	struct json *osvc = child(K_SERVICE, "box-ssh", "r2", ",\"resourceVersion\":\"7\"",
				  "{\"ports\":[{\"port\":22,\"protocol\":\"TCP\"}],\"clusterIP\":\"10.0.0.1\"}");
	struct plan_child c[] = {want(d, K_DEPLOYMENT, od), want(svc, K_SERVICE, osvc)};
	struct plan_owned o[] = {have(od, K_DEPLOYMENT), have(osvc, K_SERVICE)};
	struct plan p;

	(void)state;
	plan_writes(c, 2, o, 2, true, &p);
	assert_int_equal(p.count, 0);
	assert_int_equal(p.unchanged, 2);
	assert_false(p.creates_deployment);
	plan_free(&p);
}

/* Same render, but someone edited the server's copy: apply it back. */
static void test_drift_is_repaired(void **state)
{
	struct json *svc = child(K_SERVICE, "box-ssh", "r2", "", "{\"ports\":[{\"port\":22}]}");
	struct json *osvc = child(K_SERVICE, "box-ssh", "r2", "", "{\"ports\":[{\"port\":2222}]}");
	struct plan_child c[] = {want(svc, K_SERVICE, osvc)};
	struct plan p;

	(void)state;
	plan_writes(c, 1, NULL, 0, true, &p);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.actions[0].verb, PLAN_APPLY);
	assert_int_equal(p.actions[0].why, PLAN_DRIFT);
	assert_non_null(strstr(p.actions[0].drift_path, "port"));
	assert_ptr_equal(p.actions[0].observed, osvc);
	plan_free(&p);
}

/* A changed render of a child that replaces no pod is applied at once. */
static void test_changed_render_is_applied(void **state)
{
	struct json *svc = child(K_SERVICE, "box-ssh", "r9", "", "{\"ports\":[{\"port\":2200}]}");
	struct json *osvc = child(K_SERVICE, "box-ssh", "r2", "", "{\"ports\":[{\"port\":22}]}");
	struct plan_child c[] = {want(svc, K_SERVICE, osvc)};
	struct plan p;

	(void)state;
	plan_writes(c, 1, NULL, 0, true, &p);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.actions[0].verb, PLAN_APPLY);
	assert_int_equal(p.actions[0].why, PLAN_CHANGE);
	plan_free(&p);
}

/* test_rollout.sh: a flavor change to a running box waits for its restart;
 * with holding off (--rollout immediate), or no pod running, it goes now. */
static void test_running_deployment_is_held_for_restart(void **state)
{
	struct json *d = deployment("r2", "t2", "s1", "policy=a flavor=f/2", "img:2", 0);
	struct json *od = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct json *idle = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 0);
	struct plan_child c[] = {want(d, K_DEPLOYMENT, od)};
	struct plan p;

	(void)state;
	plan_writes(c, 1, NULL, 0, true, &p);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.actions[0].verb, PLAN_HOLD);
	assert_int_equal(plan_count(&p, PLAN_APPLY), 0);
	assert_non_null(strstr(p.held_changes, "flavor"));
	plan_free(&p);

	plan_writes(c, 1, NULL, 0, false, &p); /* Immediate */
	assert_int_equal(p.count, 1);
	assert_int_equal(p.actions[0].verb, PLAN_APPLY);
	assert_string_equal(p.held_changes, "");
	plan_free(&p);

	c[0].observed = idle; /* nothing running to lose */
	plan_writes(c, 1, NULL, 0, true, &p);
	assert_int_equal(p.actions[0].verb, PLAN_APPLY);
	plan_free(&p);
}

/* The user's own change (another spec hash) is never held. */
static void test_users_change_is_not_held(void **state)
{
	struct json *d = deployment("r2", "t2", "s2", "policy=a flavor=f/1", "img:2", 0);
	struct json *od = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct plan_child c[] = {want(d, K_DEPLOYMENT, od)};
	struct plan p;

	(void)state;
	plan_writes(c, 1, NULL, 0, true, &p);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.actions[0].verb, PLAN_APPLY);
	assert_int_equal(p.actions[0].why, PLAN_CHANGE);
	plan_free(&p);
}

/* A new policy revision that renders the same Deployment does not write
 * it: desired keeps the inputs the Deployment was written from. */
static void test_same_render_keeps_recorded_inputs(void **state)
{
	struct json *d = deployment("r1", "t1", "s1", "policy=b flavor=f/1", "img:1", 1);
	struct json *od = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct plan_child c[] = {want(d, K_DEPLOYMENT, od)};
	struct plan p;

	(void)state;
	plan_writes(c, 1, NULL, 0, true, &p);
	assert_int_equal(p.count, 0);
	assert_string_equal(json_get_string(json_path(d, "metadata", "annotations", NULL), "devserver.io/inputs"),
			    "policy=a flavor=f/1");
	plan_free(&p);
}

/* test_operator.sh: a child the policy stops rendering is deleted; the
 * home, the host keys, and what is already going are not. */
static void test_prune_and_what_it_never_touches(void **state)
{
	struct json *d = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct json *od = deployment("r1", "t1", "s1", "policy=a flavor=f/1", "img:1", 1);
	struct json *oldcm = child(K_CONFIGMAP, "box-motd", "r5", "", "{}");
	struct json *home = child(K_PVC, "box-home", "r3", ",\"labels\":{\"devserver.io/home\":\"true\"}", "{}");
	struct json *scratch = child(K_PVC, "box-scratch", "r4", "", "{}");
	struct json *keys = child(K_SECRET, "box-hostkey", "r6", ",\"labels\":{\"devserver.io/role\":\"ssh-host-key\"}",
				  "{}");
	struct json *going = child(K_CONFIGMAP, "box-old", "r7", ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"",
				   "{}");
	/* the same name under another kind is not the desired child */
	struct json *svc_named_box = child(K_SERVICE, "box", "r8", "", "{}");
	struct plan_child c[] = {want(d, K_DEPLOYMENT, od)};
	struct plan_owned o[] = {have(od, K_DEPLOYMENT), have(oldcm, K_CONFIGMAP), have(home, K_PVC),
				 have(scratch, K_PVC), have(keys, K_SECRET), have(going, K_CONFIGMAP),
				 have(svc_named_box, K_SERVICE)};
	struct plan p;

	(void)state;
	plan_writes(c, 1, o, sizeof(o) / sizeof(o[0]), true, &p);
	assert_int_equal(plan_count(&p, PLAN_PRUNE), 3);
	assert_int_equal(p.count, 3);
	assert_string_equal(p.actions[0].name, "box-motd");
	assert_ptr_equal(p.actions[0].observed, oldcm);
	assert_int_equal(p.actions[0].kind_index, K_CONFIGMAP);
	assert_int_equal(p.actions[0].why, PLAN_ORPHAN);
	assert_string_equal(p.actions[1].name, "box-scratch");
	assert_string_equal(p.actions[2].name, "box");
	assert_string_equal(p.actions[2].kind, "Service");
	plan_free(&p);
}

/* A stopped DevServer renders no Deployment (replicas 0 is the policy's
 * choice) - but with nothing desired at all, every owned child except the
 * kept ones goes: the plan has no special case for "empty". */
static void test_nothing_desired_prunes_all_but_kept(void **state)
{
	struct json *cm = child(K_CONFIGMAP, "box-ssh", "r5", "", "{}");
	struct json *home = child(K_PVC, "box-home", "r3", ",\"labels\":{\"devserver.io/home\":\"true\"}", "{}");
	struct plan_owned o[] = {have(cm, K_CONFIGMAP), have(home, K_PVC)};
	struct plan p;

	(void)state;
	plan_writes(NULL, 0, o, 2, true, &p);
	assert_int_equal(p.count, 1);
	assert_string_equal(p.actions[0].name, "box-ssh");
	assert_false(p.creates_deployment);
	plan_free(&p);
	plan_free(&p); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_new_devserver_creates_every_child, free_made),
		cmocka_unit_test_teardown(test_unchanged_children_are_left_alone, free_made),
		cmocka_unit_test_teardown(test_drift_is_repaired, free_made),
		cmocka_unit_test_teardown(test_changed_render_is_applied, free_made),
		cmocka_unit_test_teardown(test_running_deployment_is_held_for_restart, free_made),
		cmocka_unit_test_teardown(test_users_change_is_not_held, free_made),
		cmocka_unit_test_teardown(test_same_render_keeps_recorded_inputs, free_made),
		cmocka_unit_test_teardown(test_prune_and_what_it_never_touches, free_made),
		cmocka_unit_test_teardown(test_nothing_desired_prunes_all_but_kept, free_made),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
