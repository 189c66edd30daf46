/* test_operator_policy_source.c - src/operator/policy_source without a
 * cluster: the built-in policy serves first; a ConfigMap's policy goes on
 * trial and, with no DevServers to break, goes live, which policy_source_step
 * reports (the caller enqueues; nothing here does); a policy that does not
 * compile is rejected once and the active one keeps serving; deleting the
 * ConfigMap returns to the built-in policy, reported by
 * policy_source_changed. The client points at a port nothing listens on and
 * its loop never runs: the annotation and Event writes are only queued. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "operator/events.h"
#include "operator/metrics.h"
#include "operator/policy_source.h"

struct fx {
	struct kube_config cfg;
	struct kube_client client;
	struct events *events;
	struct metrics m;
	struct cache devservers, flavors;
	struct policy_source ps;
};

static int setup(void **state)
{
	struct fx *f = mem_calloc(1, sizeof(*f));
	struct error err;
	struct policy_source_deps deps;

	f->cfg.server = mem_strdup("http://127.0.0.1:9");
	f->cfg.namespace = mem_strdup("ops");
	if (kube_client_init(&f->client, &f->cfg, &err) < 0)
		return -1;
	f->events = events_new(&f->client, "test");
	cache_init(&f->devservers, NULL);
	cache_init(&f->flavors, NULL);
	deps = (struct policy_source_deps){
		.client = &f->client, .events = f->events, .m = &f->m,
		.devservers = &f->devservers, .flavors = &f->flavors,
		.cm_namespace = "ops", .cm_name = "devserver-policy",
		.default_image = "example.invalid/default:1", .tools_image = "example.invalid/tools:1",
	};
	if (policy_source_init(&f->ps, &deps, &err) < 0) {
		print_error("policy_source_init: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	policy_source_cleanup(&f->ps);
	cache_cleanup(&f->devservers);
	cache_cleanup(&f->flavors);
	events_free(f->events);
	kube_client_cleanup(&f->client);
	kube_config_cleanup(&f->cfg);
	free(f);
	return 0;
}

/* The policy ConfigMap with devserver.lua = src. */
static struct json *configmap(const char *src)
{
	struct json *cm = json_new_object(), *meta = json_new_object(), *data = json_new_object();

	json_object_set_take(meta, "name", json_new_string("devserver-policy"));
	json_object_set_take(meta, "namespace", json_new_string("ops"));
	json_object_set_take(cm, "metadata", meta);
	json_object_set_take(data, "devserver.lua", json_new_string(src));
	json_object_set_take(cm, "data", data);
	return cm;
}

static const char good_src[] =
	"return {api = 1, render = function(ds, flavor, ctx)\n"
	"  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = ds.metadata.name}}}\n"
	"end}\n";

static void test_trial_activates_and_reports_it(void **state)
{
	struct fx *f = *state;
	struct policy_engine *builtin = policy_source_engine(&f->ps);
	struct json *cm = configmap(good_src);

	assert_non_null(builtin);
	assert_int_equal(policy_source_step(&f->ps), POLICY_STEP_IDLE); /* nothing on trial */
	/* on trial: nothing changes yet */
	assert_false(policy_source_changed(&f->ps, cm));
	assert_ptr_equal(policy_source_engine(&f->ps), builtin);
	/* no DevServers to break: it goes live, and says so once */
	assert_int_equal(policy_source_step(&f->ps), POLICY_STEP_ACTIVATED);
	assert_ptr_not_equal(policy_source_engine(&f->ps), builtin);
	assert_int_equal(policy_source_step(&f->ps), POLICY_STEP_IDLE);
	assert_int_equal(f->m.writes, 1); /* the status annotation */
	assert_int_equal(f->m.policy_rejections, 0);
	/* the same revision again (our own annotation changed the object): nothing */
	assert_false(policy_source_changed(&f->ps, cm));
	assert_int_equal(policy_source_step(&f->ps), POLICY_STEP_IDLE);
	/* deleted: back to the built-in policy at once, reported */
	assert_true(policy_source_changed(&f->ps, NULL));
	assert_ptr_equal(policy_source_engine(&f->ps), builtin);
	assert_false(policy_source_changed(&f->ps, NULL));
	json_free(cm);
}

static void test_broken_policy_is_rejected_once(void **state)
{
	struct fx *f = *state;
	struct policy_engine *builtin = policy_source_engine(&f->ps);
	struct json *cm = configmap("return {api = 1, render = function(ds\n");

	assert_false(policy_source_changed(&f->ps, cm));
	assert_int_equal(policy_source_step(&f->ps), POLICY_STEP_IDLE);
	assert_ptr_equal(policy_source_engine(&f->ps), builtin);
	assert_int_equal(f->m.policy_rejections, 1);
	assert_int_equal(f->m.writes, 1); /* "rejected ..." on the ConfigMap */
	/* rejected before, still rejected: no second report */
	assert_false(policy_source_changed(&f->ps, cm));
	assert_int_equal(f->m.policy_rejections, 1);
	/* nothing to go back from */
	assert_false(policy_source_changed(&f->ps, NULL));
	json_free(cm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trial_activates_and_reports_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_policy_is_rejected_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
