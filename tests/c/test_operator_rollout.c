/* test_operator_rollout.c - src/operator/rollout and the annotations
 * children_prepare stamps for it: a flavor or policy change to a running
 * DevServer's pod is held for a restart; the user's own spec change, a
 * restart request, a stopped or not yet available box, and a change that
 * leaves the pod alone are not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "operator/children.h"
#include "operator/rollout.h"
#include "support/testutil.h"

/* A DevServer and the Deployment a policy would render for it. */
static const char ds_json[] =
	"{\"metadata\":{\"name\":\"box\",\"namespace\":\"team\",\"uid\":\"u-1\"},"
	"\"spec\":{\"image\":\"img:1\",\"lifecycle\":{\"timeToLive\":\"4h\"}}}";

static struct json *deployment(const char *ds_text, const char *image, const char *cpu,
			       const char *label, const char *inputs)
{
	struct json *ds = tu_json(ds_text), *out = NULL;
	char text[2048];
	struct error err;

	snprintf(text, sizeof(text),
		 "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"box\","
		 "\"labels\":{\"x\":\"%s\"}},\"spec\":{\"replicas\":1,\"template\":{\"spec\":{"
		 "\"automountServiceAccountToken\":false,\"securityContext\":{\"runAsNonRoot\":true,"
		 "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
		 "\"containers\":[{\"name\":\"main\",\"image\":\"%s\",\"securityContext\":{"
		 "\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}},"
		 "\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}}}]",
		 label, image, cpu);
	if (children_prepare(ds, tu_json(text), inputs, &out, &err) < 0)
		fail_msg("children_prepare: %s", err.msg);
	json_free(ds);
	{
		struct json *d = json_clone(out->u.arr.items[0]);

		json_free(out);
		return d;
	}
}

/* What the API server would hand back: the applied object, running. */
static struct json *running(struct json *d, int available)
{
	json_object_set_take(d, "status", json_new_object());
	json_object_set_take(json_get(d, "status"), "availableReplicas", json_new_int(available));
	return d;
}

static const char inputs_a[] = "policy=rev-a flavor=cpu-small/3";
static const char inputs_b[] = "policy=rev-a flavor=cpu-small/4";

static void test_flavor_change_to_running_pod_is_held(void **state)
{
	struct json *obs = running(deployment(ds_json, "img:1", "1", "a", inputs_a), 1);
	struct json *want = deployment(ds_json, "img:1", "2", "a", inputs_b);
	char changes[256];

	assert_true(rollout_should_hold(want, obs, changes, sizeof(changes)));
	assert_string_equal(changes, "flavor cpu-small changed (generation 3 -> 4)");
	/* not yet available: nothing to lose */
	json_free(obs);
	obs = running(deployment(ds_json, "img:1", "1", "a", inputs_a), 0);
	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(obs);
	json_free(want);
}

static void test_change_outside_the_pod_goes_through(void **state)
{
	struct json *obs = running(deployment(ds_json, "img:1", "1", "a", inputs_a), 1);
	struct json *want = deployment(ds_json, "img:1", "1", "b", inputs_b);
	char changes[256];

	/* a Deployment label: the template hash is the same */
	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(obs);
	json_free(want);
}

static void test_the_users_own_change_goes_through(void **state)
{
	static const char ds_new_image[] =
		"{\"metadata\":{\"name\":\"box\",\"namespace\":\"team\",\"uid\":\"u-1\"},"
		"\"spec\":{\"image\":\"img:2\",\"lifecycle\":{\"timeToLive\":\"4h\"}}}";
	static const char ds_new_ttl[] =
		"{\"metadata\":{\"name\":\"box\",\"namespace\":\"team\",\"uid\":\"u-1\"},"
		"\"spec\":{\"image\":\"img:1\",\"lifecycle\":{\"timeToLive\":\"8h\"}}}";
	static const char ds_restart[] =
		"{\"metadata\":{\"name\":\"box\",\"namespace\":\"team\",\"uid\":\"u-1\","
		"\"annotations\":{\"" API_ANNOTATION_RESTART "\":\"2026-12-02T10:00:00Z\"}},"
		"\"spec\":{\"image\":\"img:1\",\"lifecycle\":{\"timeToLive\":\"4h\"}}}";
	struct json *obs = running(deployment(ds_json, "img:1", "1", "a", inputs_a), 1);
	struct json *want;
	char changes[256];

	/* a new image in the DevServer's spec, along with a flavor change */
	want = deployment(ds_new_image, "img:2", "2", "a", inputs_b);
	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(want);
	/* a TTL change is not the user's change to the pod: the flavor's waits */
	want = deployment(ds_new_ttl, "img:1", "2", "a", inputs_b);
	assert_true(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(want);
	/* a restart request: on the pod template, so the pod is replaced */
	want = deployment(ds_restart, "img:1", "2", "a", inputs_b);
	assert_string_equal(json_get_string(json_path(want, "spec", "template", "metadata", "annotations", NULL),
					    API_ANNOTATION_RESTART), "2026-12-02T10:00:00Z");
	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	/* ...and once applied, the same request does not restart it again */
	json_free(obs);
	obs = running(deployment(ds_restart, "img:1", "2", "a", inputs_b), 1);
	json_free(want);
	want = deployment(ds_restart, "img:1", "3", "a", inputs_b);
	assert_true(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(want);
	json_free(obs);
}

static void test_stopped_boxes_take_changes_at_once(void **state)
{
	struct json *obs = running(deployment(ds_json, "img:1", "1", "a", inputs_a), 1);
	struct json *want = deployment(ds_json, "img:1", "2", "a", inputs_b);
	char changes[256];

	json_object_set_take(json_get(obs, "spec"), "replicas", json_new_int(0));
	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_object_set_take(json_get(obs, "spec"), "replicas", json_new_int(1));
	json_object_set_take(json_get(want, "spec"), "replicas", json_new_int(0));
	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(obs);
	json_free(want);
}

/* A Deployment of an operator without these annotations is not held: there
 * is nothing to tell the user's changes from the admin's by. */
static void test_unannotated_deployment_is_not_held(void **state)
{
	struct json *obs = running(tu_json("{\"metadata\":{\"name\":\"box\"},\"spec\":{\"replicas\":1}}"), 1);
	struct json *want = deployment(ds_json, "img:1", "2", "a", inputs_b);
	char changes[256];

	assert_false(rollout_should_hold(want, obs, changes, sizeof(changes)));
	json_free(obs);
	json_free(want);
}

/* The inputs annotation is outside the render hash, and an unchanged
 * Deployment keeps the inputs it was written from. */
static void test_inputs_do_not_cause_writes(void **state)
{
	struct json *obs = deployment(ds_json, "img:1", "1", "a", inputs_a);
	struct json *want = deployment(ds_json, "img:1", "1", "a", "policy=rev-b flavor=cpu-small/9");

	assert_string_equal(children_render_hash(obs), children_render_hash(want));
	rollout_keep_recorded_inputs(want, obs);
	assert_true(json_equal(want, obs));
	json_free(obs);
	json_free(want);
}

static void test_describe_changes(void **state)
{
	char out[256];

	rollout_describe_changes("policy=a flavor=f/1", "policy=b flavor=f/1", out, sizeof(out));
	assert_string_equal(out, "policy revision a -> b");
	rollout_describe_changes("policy=a flavor=f/1", "policy=b flavor=f/2", out, sizeof(out));
	assert_string_equal(out, "policy revision a -> b; flavor f changed (generation 1 -> 2)");
	rollout_describe_changes("policy=a flavor=f/1", "policy=a flavor=g/1", out, sizeof(out));
	assert_string_equal(out, "flavor f/1 -> g/1");
	rollout_describe_changes(NULL, "policy=a flavor=g/1", out, sizeof(out));
	assert_string_equal(out, "the pod template changed");
	rollout_describe_changes("garbage", "policy=a flavor=g/1", out, sizeof(out));
	assert_string_equal(out, "the pod template changed");
	/* same inputs, other template (an operator upgrade's rendering) */
	rollout_describe_changes("policy=a flavor=f/1", "policy=a flavor=f/1", out, sizeof(out));
	assert_string_equal(out, "the pod template changed");
	/* truncation stays inside the buffer */
	rollout_describe_changes("policy=aaaaaaaa flavor=f/1", "policy=bbbbbbbb flavor=f/2", out, 12);
	assert_int_equal(strlen(out), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flavor_change_to_running_pod_is_held),
		cmocka_unit_test(test_change_outside_the_pod_goes_through),
		cmocka_unit_test(test_the_users_own_change_goes_through),
		cmocka_unit_test(test_stopped_boxes_take_changes_at_once),
		cmocka_unit_test(test_unannotated_deployment_is_not_held),
		cmocka_unit_test(test_inputs_do_not_cause_writes),
		cmocka_unit_test(test_describe_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
