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
 * DevServer at opt.policy_rate per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/controller_internal.h"
#include "policy/context.h"
#include "operator/flavor.h"
#include "operator/render.h"
#include "policy/bundle.h"
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
#define POLICY_STATUS_ANNOTATION "devserver.io/policy-status"

int policy_source_init(struct controller *c, struct error *err)
{
	struct policy_bundle b;
	int rc;

	policy_bundle_init(&b);
	rc = policy_bundle_load_embedded(&b, err);
	if (rc == 0)
		rc = policy_engine_new(&b, NULL, &c->builtin, err);
	policy_bundle_cleanup(&b);
	if (rc < 0)
		return error_prefix(err, "built-in policy");
	c->engine = c->builtin;
	return 0;
}

void policy_source_cleanup(struct controller *c)
{
	policy_trial_free(c->trial);
	c->trial = NULL;
	if (c->engine != c->builtin)
		policy_engine_free(c->engine);
	policy_engine_free(c->builtin);
	c->engine = c->builtin = NULL;
}

static void policy_annotated(void *ud, int rc, struct json *obj, const struct error *err)
{
	json_free(obj);
	if (rc < 0)
		log_msg(LOG_WARN, "could not annotate the policy ConfigMap", "error", err->msg, NULL);
}

/* Records the outcome on the ConfigMap, unless it already says so (a write
 * only when something changed). */
static void policy_annotate(struct controller *c, const struct json *cm, const char *text)
{
	const char *old = json_get_string(json_path(cm, "metadata", "annotations", NULL),
					  POLICY_STATUS_ANNOTATION);
	struct json *patch, *meta, *ann;
	struct error err;

	if (old && strcmp(old, text) == 0)
		return;
	patch = json_new_object();
	meta = json_new_object();
	ann = json_new_object();
	json_object_set_take(ann, POLICY_STATUS_ANNOTATION, json_new_string(text));
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(patch, "metadata", meta);
	{
		struct kube_call_spec spec = {
			.method = "PATCH",
			.res = c->policy_cm.res,
			.ns = c->opt.operator_namespace,
			.name = c->opt.policy_configmap,
			.body = patch,
			.content_type = "application/merge-patch+json",
		};

		c->m.writes++;
		if (kube_call_submit(&c->client, &spec, policy_annotated, NULL, &err) == 0)
			log_msg(LOG_WARN, "could not annotate the policy ConfigMap", "error", err.msg, NULL);
	}
	json_free(patch);
}

/* Renders ds with e as a reconcile would; 0 or the error. */
static int policy_trial_one(struct controller *c, struct policy_engine *e, const struct json *ds,
			    const struct json *flavor, struct error *err)
{
	const char *ns = json_get_string(json_get(ds, "metadata"), "namespace");
	struct render_options ro = { c->opt.default_image, c->opt.tools_image, NULL };
	struct json *desired = NULL;
	int rc = render_children(e, ds, flavor, ns, &ro, &desired, err);

	json_free(desired);
	return rc;
}

/* Runs the fixtures the ConfigMap bundles (fixture.<case>.* keys); 0 when
 * all pass or there are none. */
static int policy_fixtures(struct controller *c, struct policy_engine *candidate,
			   const struct json *data, int *ran, struct error *err)
{
	struct policy_fixture *cases = NULL;
	struct policy_context_config cc = { c->opt.default_image, c->opt.tools_image };
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
static int policy_trial_slice(struct controller *c, struct policy_trial *t, struct error *err)
{
	const struct json **flavors = NULL;
	size_t nf = cache_list(&c->flavors.cache, NULL, NULL, &flavors);
	int64_t slice_end = clock_mono_ns() + (int64_t)POLICY_TRIAL_SLICE_MS * 1000000;
	int rc = 1;

	while (rc == 1 && t->next < t->nkeys) {
		const struct json *ds = cache_get_key(&c->devservers.cache, t->keys[t->next]);
		const struct json *flavor;
		struct error old_err, new_err;
		int64_t t0 = clock_mono_ns();

		t->next++;
		if (!ds || flavor_resolve(ds, flavors, nf, &flavor, &old_err) < 0)
			continue; /* gone, or nothing renders it today either */
		if (policy_trial_one(c, c->engine, ds, flavor, &old_err) < 0)
			continue; /* the active policy fails it too: not the candidate's fault */
		t->tried++;
		if (policy_trial_one(c, t->candidate, ds, flavor, &new_err) < 0)
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
static void policy_reject(struct controller *c, const struct json *cm, const char *revision,
			  const struct error *err)
{
	char text[768];

	c->m.policy_rejections++;
	snprintf(c->policy_rejected, sizeof(c->policy_rejected), "%s", err->msg);
	snprintf(c->policy_rejected_revision, sizeof(c->policy_rejected_revision), "%s",
		 revision[0] ? revision : "invalid");
	log_msg(LOG_WARN, "policy rejected; the active one keeps serving",
		"rejected", c->policy_rejected_revision,
		"active", policy_engine_revision(c->engine), "reason", err->msg, NULL);
	events_record(c->events, cm, EVENT_WARNING, "PolicyRejected", err->msg, clock_mono_ms());
	snprintf(text, sizeof(text), "rejected %s: %s (active: %s)", c->policy_rejected_revision,
		 err->msg, policy_engine_revision(c->engine));
	policy_annotate(c, cm, text);
}

/* The trial passed: the candidate goes live and every DevServer re-renders. */
static void policy_activate(struct controller *c, struct policy_trial *t)
{
	char text[768], ms[24];

	snprintf(ms, sizeof(ms), "%lld", (long long)(clock_mono_ms() - t->started_ms));
	log_msg(LOG_INFO, "policy activated", "revision", t->revision,
		"previous", policy_engine_revision(c->engine), "trialMs", ms, NULL);
	snprintf(text, sizeof(text), "revision %s passed %d bundled fixtures and trial-rendered %d DevServers",
		 t->revision, t->fixtures, t->tried);
	events_record(c->events, t->cm, EVENT_NORMAL, "PolicyActivated", text, clock_mono_ms());
	if (c->engine != c->builtin)
		policy_engine_free(c->engine);
	c->engine = t->candidate;
	t->candidate = NULL;
	c->policy_rejected[0] = '\0';
	c->policy_rejected_revision[0] = '\0';
	snprintf(text, sizeof(text), "active %s", t->revision);
	policy_annotate(c, t->cm, text);
	controller_enqueue_all_paced(c);
}

bool policy_source_step(struct controller *c)
{
	struct policy_trial *t = c->trial;
	struct error err;
	int rc;

	if (!t)
		return false;
	rc = policy_trial_slice(c, t, &err);
	if (rc == 1)
		return true;
	c->trial = NULL;
	if (rc < 0)
		policy_reject(c, t->cm, t->revision, &err);
	else
		policy_activate(c, t);
	policy_trial_free(t);
	return false;
}

/* Starts the trial of candidate (taken) against every cached DevServer. */
static void policy_trial_start(struct controller *c, struct policy_engine *candidate, const char *revision,
			       const struct json *cm, int fixtures)
{
	const struct json **servers = NULL;
	size_t n = cache_list(&c->devservers.cache, NULL, NULL, &servers);
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
	c->trial = t;
}

void policy_source_changed(struct controller *c, const struct json *cm)
{
	struct policy_bundle b;
	struct policy_engine *candidate = NULL;
	const struct json *data = cm ? json_get(cm, "data") : NULL;
	struct error err;
	int fixtures = 0, rc;

	if (!cm || !data || data->type != JSON_OBJECT || data->u.obj.len == 0) {
		policy_trial_free(c->trial); /* a trial of what is gone */
		c->trial = NULL;
		if (c->engine != c->builtin) {
			log_msg(LOG_INFO, "policy ConfigMap gone or empty: back to the built-in policy",
				"revision", policy_engine_revision(c->builtin), NULL);
			policy_engine_free(c->engine);
			c->engine = c->builtin;
			controller_enqueue_all_paced(c);
		}
		return;
	}
	policy_bundle_init(&b);
	rc = policy_bundle_load_embedded(&b, &err);
	if (rc == 0)
		rc = policy_bundle_load_configmap(&b, data, &err);
	if (rc == 0 && c->trial && strcmp(b.revision, c->trial->revision) == 0) {
		policy_bundle_cleanup(&b);
		return; /* on trial already */
	}
	policy_trial_free(c->trial); /* a newer version replaces the one on trial */
	c->trial = NULL;
	if (rc == 0 && strcmp(b.revision, policy_engine_revision(c->engine)) == 0) {
		policy_bundle_cleanup(&b);
		return; /* what runs already (for example our own annotation changed the object) */
	}
	if (rc == 0 && strcmp(b.revision, c->policy_rejected_revision) == 0) {
		policy_bundle_cleanup(&b);
		return; /* rejected before; still rejected */
	}
	if (rc == 0)
		rc = policy_engine_new(&b, NULL, &candidate, &err);
	if (rc == 0)
		rc = policy_fixtures(c, candidate, data, &fixtures, &err);
	if (rc < 0) {
		policy_reject(c, cm, b.revision, &err);
		policy_engine_free(candidate);
		policy_bundle_cleanup(&b);
		return;
	}
	log_msg(LOG_INFO, "policy on trial", "revision", b.revision, NULL);
	policy_trial_start(c, candidate, b.revision, cm, fixtures);
	policy_bundle_cleanup(&b);
}
