/* policy_source.c - which policy renders: the built-in one, or an override
 * from the policy ConfigMap once it has proven itself.
 *
 * The ConfigMap's Lua keys ("devserver.lua", "lib.merge.lua") are laid over
 * the built-in bundle, so an admin may replace one file and keep the rest. A
 * new revision is compiled in a fresh state, must pass the fixtures the
 * ConfigMap bundles (fixture.<case>.<file> keys, see policy/fixture.h), and
 * is trial-rendered against every DevServer in the cache (each with its
 * resolved flavor), within POLICY_TRIAL_BUDGET_MS of rendering; it goes
 * live only if it renders, and passes the host's checks, for every
 * DevServer the active policy can render. The trial runs in slices of
 * POLICY_TRIAL_SLICE_MS between turns of the event loop (policy_source_step),
 * so while it renders a thousand DevServers the operator goes on
 * reconciling - new DevServers with the active policy - and answering its
 * health checks; a newer ConfigMap abandons a trial in progress. Otherwise
 * the active policy keeps serving and the rejection is made visible: a log
 * line, a Warning Event and an annotation on the ConfigMap, and
 * `devctl policy status` (which reads that annotation). Deleting the
 * ConfigMap returns to the built-in policy. Going live re-renders every
 * DevServer at opt.policy_rate per second: the controller does that when
 * policy_source_changed or policy_source_step says the active policy
 * changed, so this file needs nothing of the controller's - only what
 * struct policy_source_deps lends it.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/policy_source.h"

#include "api/api.h"
#include "api/policy_status.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/flavor.h"
#include "operator/render.h"
#include "policy/bundle.h"
#include "policy/context.h"
#include "policy/fixture.h"

#define POLICY_TRIAL_BUDGET_MS 10000   /* rendering time a trial may spend, in all */
#define POLICY_TRIAL_SLICE_MS 20       /* rendering per turn of the event loop */

/* A candidate on trial: the DevServers to render (keys, looked up at each
 * slice: the cache changes meanwhile) and what the outcome needs. */
struct policy_trial {
	struct policy_engine *candidate;
	char revision[32];
	struct json *cm;                 /* a copy: Events and the annotation */
	char (*keys)[CACHE_MAX_KEY_BYTES];
	size_t nkeys, next;
	int fixtures, tried;
	int64_t spent_ns;
	int64_t started_ms;
};

static void policy_trial_free(struct policy_trial *t)
{
	if (!t)
		return;
	policy_engine_free(t->candidate);
	json_free(t->cm);
	free(t->keys);
	free(t);
}

int policy_source_init(struct policy_source *ps, const struct policy_source_deps *deps,
		       struct error *err)
{
	struct policy_bundle b;
	int rc;

	memset(ps, 0, sizeof(*ps));
	ps->deps = *deps;
	ps->cm_res = kube_resource_find("v1", "ConfigMap"); /* the built-in table: no API call */
	assert(ps->cm_res);
	policy_bundle_init(&b);
	rc = policy_bundle_load_embedded(&b, err);
	if (rc == 0)
		rc = policy_engine_new(&b, NULL, &ps->builtin, err);
	policy_bundle_cleanup(&b);
	if (rc < 0)
		return error_prefix(err, "built-in policy");
	ps->engine = ps->builtin;
	return 0;
}

void policy_source_cleanup(struct policy_source *ps)
{
	policy_trial_free(ps->trial);
	ps->trial = NULL;
	if (ps->engine != ps->builtin)
		policy_engine_free(ps->engine);
	policy_engine_free(ps->builtin);
	ps->engine = ps->builtin = NULL;
}

struct policy_engine *policy_source_engine(const struct policy_source *ps)
{
	return ps->engine;
}

/* A rejection's reason is an error message: it fits the annotation whole. */
_Static_assert(ERROR_MSG_MAX_BYTES <= API_POLICY_REASON_MAX, "a reason would be cut");

static void policy_annotated(void *ud, int rc, struct json *obj, const struct error *err)
{
	json_free(obj);
	if (rc < 0)
		log_msg(LOG_WARN, "could not annotate the policy ConfigMap", "error", err->msg, NULL);
}

/* Records the outcome on the ConfigMap, unless it already says so (a write
 * only when something changed). */
static void policy_annotate(struct policy_source *ps, const struct json *cm,
			    const struct api_policy_status *st)
{
	const char *old = json_get_string(json_path(cm, "metadata", "annotations", NULL),
					  API_ANNOTATION_POLICY_STATUS);
	struct json *patch, *meta, *ann;
	struct error err;
	char *text = api_policy_status_encode(st, &err);

	if (!text) {
		log_msg(LOG_WARN, "could not annotate the policy ConfigMap", "error", err.msg, NULL);
		return;
	}
	if (old && strcmp(old, text) == 0) {
		free(text);
		return;
	}
	patch = json_new_object();
	meta = json_new_object();
	ann = json_new_object();
	json_object_set_take(ann, API_ANNOTATION_POLICY_STATUS, json_new_string(text));
	free(text);
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(patch, "metadata", meta);
	{
		struct kube_call_spec spec = {
			.method = "PATCH",
			.res = ps->cm_res,
			.ns = ps->deps.cm_namespace,
			.name = ps->deps.cm_name,
			.body = patch,
			.content_type = "application/merge-patch+json",
		};

		ps->deps.m->writes++;
		if (kube_call_submit(ps->deps.client, &spec, policy_annotated, NULL, &err) == 0)
			log_msg(LOG_WARN, "could not annotate the policy ConfigMap", "error", err.msg, NULL);
	}
	json_free(patch);
}

/* Renders ds with e as a reconcile would; 0 or the error. */
static int policy_trial_one(const struct policy_source *ps, struct policy_engine *e,
			    const struct json *ds, const struct json *flavor, struct error *err)
{
	const char *ns = json_get_string(json_get(ds, "metadata"), "namespace");
	struct render_options ro = { ps->deps.default_image, ps->deps.tools_image, NULL };
	struct json *desired = NULL;
	int rc = render_children(e, ds, flavor, ns, &ro, &desired, err);

	json_free(desired);
	return rc;
}

/* Runs the fixtures the ConfigMap bundles (fixture.<case>.* keys); 0 when
 * all pass or there are none. */
static int policy_fixtures(const struct policy_source *ps, struct policy_engine *candidate,
			   const struct json *data, int *ran, struct error *err)
{
	struct policy_fixture *cases = NULL;
	struct policy_context_config cc = { ps->deps.default_image, ps->deps.tools_image };
	struct json *ctx = policy_context_new(&cc, "default");
	size_t n = 0;
	int rc;

	rc = policy_fixture_load_configmap(data, ctx, &cases, &n, err);
	json_free(ctx);
	if (rc < 0) {
		err->code = ERR_POLICY;
		return error_prefix(err, "bundled fixtures");
	}
	*ran = (int)n;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (policy_fixture_check(candidate, &cases[i], err) < 0) {
			err->code = ERR_POLICY;
			rc = error_prefix(err, "bundled fixture");
		}
	policy_fixture_free_all(cases, n);
	return rc;
}

/* Renders the next DevServers of the trial for up to POLICY_TRIAL_SLICE_MS.
 * 1: more to do; 0: all rendered; <0: ERR_POLICY naming the first DevServer
 * the candidate breaks, or ERR_TIMEOUT past the budget. */
static int policy_trial_slice(struct policy_source *ps, struct policy_trial *t, struct error *err)
{
	const struct json **flavors = NULL;
	size_t nf = cache_list(ps->deps.flavors, NULL, NULL, &flavors);
	int64_t slice_end = clock_mono_ns() + (int64_t)POLICY_TRIAL_SLICE_MS * 1000000;
	int rc = 1;

	while (rc == 1 && t->next < t->nkeys) {
		const struct json *ds = cache_get_key(ps->deps.devservers, t->keys[t->next]);
		const struct json *flavor;
		struct error old_err, new_err;
		int64_t t0 = clock_mono_ns();

		t->next++;
		if (!ds || flavor_resolve(ds, flavors, nf, &flavor, &old_err) < 0)
			continue; /* gone, or nothing renders it today either */
		if (policy_trial_one(ps, ps->engine, ds, flavor, &old_err) < 0)
			continue; /* the active policy fails it too: not the candidate's fault */
		t->tried++;
		if (policy_trial_one(ps, t->candidate, ds, flavor, &new_err) < 0)
			rc = error_set(err, ERR_POLICY, "fails on DevServer %s: %s", t->keys[t->next - 1],
				       new_err.msg);
		t->spent_ns += clock_mono_ns() - t0;
		if (rc == 1 && t->spent_ns > (int64_t)POLICY_TRIAL_BUDGET_MS * 1000000)
			rc = error_set(err, ERR_TIMEOUT, "trial render of %zu DevServers exceeded %d ms", t->nkeys,
				       POLICY_TRIAL_BUDGET_MS);
		if (rc == 1 && clock_mono_ns() >= slice_end)
			break;
	}
	free(flavors);
	return rc == 1 && t->next >= t->nkeys ? 0 : rc;
}

/* The candidate failed: the active policy keeps serving, and everyone is told. */
static void policy_reject(struct policy_source *ps, const struct json *cm, const char *revision,
			  const struct error *err)
{

	ps->deps.m->policy_rejections++;
	snprintf(ps->rejected, sizeof(ps->rejected), "%s", err->msg);
	snprintf(ps->rejected_revision, sizeof(ps->rejected_revision), "%s",
		 revision[0] ? revision : "invalid");
	log_msg(LOG_WARN, "policy rejected; the active one keeps serving",
		"rejected", ps->rejected_revision,
		"active", policy_engine_revision(ps->engine), "reason", err->msg, NULL);
	events_record(ps->deps.events, cm, EVENT_WARNING, "PolicyRejected", err->msg, clock_mono_ms());
	{
		struct api_policy_status st = {.state = API_POLICY_REJECTED};

		snprintf(st.revision, sizeof(st.revision), "%s", ps->rejected_revision);
		snprintf(st.active, sizeof(st.active), "%s", policy_engine_revision(ps->engine));
		snprintf(st.reason, sizeof(st.reason), "%s", err->msg);
		policy_annotate(ps, cm, &st);
	}
}

/* The trial passed: the candidate goes live (the caller re-renders every
 * DevServer). */
static void policy_activate(struct policy_source *ps, struct policy_trial *t)
{
	char text[768];

	log_kv(LOG_INFO, "policy activated", LOG_STR("revision", t->revision),
	       LOG_STR("previous", policy_engine_revision(ps->engine)),
	       LOG_MS("trial", clock_mono_ms() - t->started_ms), LOG_INT("fixtures", t->fixtures),
	       LOG_INT("tried", t->tried));
	snprintf(text, sizeof(text), "revision %s passed %d bundled fixtures and trial-rendered %d DevServers",
		 t->revision, t->fixtures, t->tried);
	events_record(ps->deps.events, t->cm, EVENT_NORMAL, "PolicyActivated", text, clock_mono_ms());
	if (ps->engine != ps->builtin)
		policy_engine_free(ps->engine);
	ps->engine = t->candidate;
	t->candidate = NULL;
	ps->rejected[0] = '\0';
	ps->rejected_revision[0] = '\0';
	{
		struct api_policy_status st = {.state = API_POLICY_ACTIVE};

		snprintf(st.revision, sizeof(st.revision), "%s", t->revision);
		policy_annotate(ps, t->cm, &st);
	}
}

enum policy_step policy_source_step(struct policy_source *ps)
{
	struct policy_trial *t = ps->trial;
	enum policy_step step = POLICY_STEP_IDLE;
	struct error err;
	int rc;

	if (!t)
		return POLICY_STEP_IDLE;
	rc = policy_trial_slice(ps, t, &err);
	if (rc == 1)
		return POLICY_STEP_MORE;
	ps->trial = NULL;
	if (rc < 0) {
		policy_reject(ps, t->cm, t->revision, &err);
	} else {
		policy_activate(ps, t);
		step = POLICY_STEP_ACTIVATED;
	}
	policy_trial_free(t);
	return step;
}

/* Starts the trial of candidate (taken) against every cached DevServer. */
static void policy_trial_start(struct policy_source *ps, struct policy_engine *candidate,
			       const char *revision, const struct json *cm, int fixtures)
{
	const struct json **servers = NULL;
	size_t n = cache_list(ps->deps.devservers, NULL, NULL, &servers);
	struct policy_trial *t = mem_calloc(1, sizeof(*t));

	t->candidate = candidate;
	snprintf(t->revision, sizeof(t->revision), "%s", revision);
	t->cm = json_clone(cm);
	t->fixtures = fixtures;
	t->started_ms = clock_mono_ms();
	t->keys = n ? mem_calloc(n, sizeof(*t->keys)) : NULL;
	for (size_t i = 0; i < n; i++)
		if (cache_key(servers[i], t->keys[t->nkeys]))
			t->nkeys++;
	free(servers);
	ps->trial = t;
}

bool policy_source_changed(struct policy_source *ps, const struct json *cm)
{
	struct policy_bundle b;
	struct policy_engine *candidate = NULL;
	const struct json *data = cm ? json_get(cm, "data") : NULL;
	struct error err;
	int fixtures = 0, rc;

	if (!cm || !data || data->type != JSON_OBJECT || data->u.obj.len == 0) {
		policy_trial_free(ps->trial); /* a trial of what is gone */
		ps->trial = NULL;
		if (ps->engine == ps->builtin)
			return false;
		log_msg(LOG_INFO, "policy ConfigMap gone or empty: back to the built-in policy",
			"revision", policy_engine_revision(ps->builtin), NULL);
		policy_engine_free(ps->engine);
		ps->engine = ps->builtin;
		return true;
	}
	policy_bundle_init(&b);
	rc = policy_bundle_load_embedded(&b, &err);
	if (rc == 0)
		rc = policy_bundle_load_configmap(&b, data, &err);
	if (rc == 0 && ps->trial && strcmp(b.revision, ps->trial->revision) == 0) {
		policy_bundle_cleanup(&b);
		return false; /* on trial already */
	}
	policy_trial_free(ps->trial); /* a newer version replaces the one on trial */
	ps->trial = NULL;
	if (rc == 0 && strcmp(b.revision, policy_engine_revision(ps->engine)) == 0) {
		policy_bundle_cleanup(&b);
		return false; /* what runs already (for example our own annotation changed the object) */
	}
	if (rc == 0 && strcmp(b.revision, ps->rejected_revision) == 0) {
		policy_bundle_cleanup(&b);
		return false; /* rejected before; still rejected */
	}
	if (rc == 0)
		rc = policy_engine_new(&b, NULL, &candidate, &err);
	if (rc == 0)
		rc = policy_fixtures(ps, candidate, data, &fixtures, &err);
	if (rc < 0) {
		policy_reject(ps, cm, b.revision, &err);
		policy_engine_free(candidate);
		policy_bundle_cleanup(&b);
		return false;
	}
	log_msg(LOG_INFO, "policy on trial", "revision", b.revision, NULL);
	policy_trial_start(ps, candidate, b.revision, cm, fixtures);
	policy_bundle_cleanup(&b);
	return false;
}
