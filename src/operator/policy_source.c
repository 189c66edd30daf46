/* policy_source.c - which policy renders: the built-in one, or an override
 * from the policy ConfigMap once it has proven itself.
 *
 * The ConfigMap's Lua keys ("devserver.lua", "lib.merge.lua") are laid over
 * the built-in bundle, so an admin may replace one file and keep the rest. A
 * new revision is compiled in a fresh state, must pass the fixtures the
 * ConfigMap bundles (fixture.<case>.<file> keys, see policy/fixture.h), and
 * is trial-rendered against every DevServer in the cache (each with its
 * resolved flavor), within
 * POLICY_TRIAL_BUDGET_MS; it goes live only if it renders, and passes the
 * host's checks, for every DevServer the active policy can render. Otherwise
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
#include "operator/children.h"
#include "operator/controller_internal.h"
#include "policy/context.h"
#include "operator/flavor.h"
#include "policy/bundle.h"
#include "policy/fixture.h"

#define POLICY_TRIAL_BUDGET_MS 10000
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

/* Renders ds with e; 0 or the error. */
static int policy_trial_one(struct controller *c, struct policy_engine *e, const struct json *ds,
			    const struct json *flavor, struct error *err)
{
	const char *ns = json_get_string(json_get(ds, "metadata"), "namespace");
	struct policy_context_config cc = { c->opt.default_image, c->opt.tools_image };
	struct json *ctx = policy_context_new(&cc, ns), *out = NULL, *desired = NULL;
	int rc;

	rc = policy_engine_render(e, ds, flavor, ctx, &out, err);
	if (rc == 0)
		rc = children_prepare(ds, out, NULL, &desired, err);
	json_free(desired);
	json_free(ctx);
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

/* Trial-renders every DevServer; 0, or ERR_POLICY naming the first one the
 * candidate breaks. */
static int policy_trial(struct controller *c, struct policy_engine *candidate, int *tried,
			struct error *err)
{
	const struct json **servers = NULL, **flavors = NULL;
	size_t n = cache_list(&c->devservers.cache, NULL, NULL, &servers);
	size_t nf = cache_list(&c->flavors.cache, NULL, NULL, &flavors);
	int64_t deadline = clock_mono_ms() + POLICY_TRIAL_BUDGET_MS;
	int rc = 0;

	*tried = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct json *flavor;
		struct error old_err, new_err;
		char key[CACHE_MAX_KEY_BYTES];

		if (flavor_resolve(servers[i], flavors, nf, &flavor, &old_err) < 0)
			continue; /* nothing renders it today either */
		if (policy_trial_one(c, c->engine, servers[i], flavor, &old_err) < 0)
			continue; /* the active policy fails it too: not the candidate's fault */
		(*tried)++;
		if (policy_trial_one(c, candidate, servers[i], flavor, &new_err) < 0) {
			cache_key(servers[i], key);
			rc = error_set(err, ERR_POLICY, "fails on DevServer %s: %s", key, new_err.msg);
		} else if (clock_mono_ms() > deadline) {
			rc = error_set(err, ERR_TIMEOUT, "trial render of %zu DevServers exceeded %d ms", n,
				       POLICY_TRIAL_BUDGET_MS);
		}
	}
	free(servers);
	free(flavors);
	return rc;
}

void policy_source_changed(struct controller *c, const struct json *cm)
{
	struct policy_bundle b;
	struct policy_engine *candidate = NULL;
	const struct json *data = cm ? json_get(cm, "data") : NULL;
	char text[768];
	struct error err;
	int tried = 0, fixtures = 0, rc;

	if (!cm || !data || data->type != JSON_OBJECT || data->u.obj.len == 0) {
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
	if (rc == 0)
		rc = policy_trial(c, candidate, &tried, &err);
	if (rc < 0) {
		c->m.policy_rejections++;
		snprintf(c->policy_rejected, sizeof(c->policy_rejected), "%s", err.msg);
		snprintf(c->policy_rejected_revision, sizeof(c->policy_rejected_revision), "%s",
			 b.revision[0] ? b.revision : "invalid");
		log_msg(LOG_WARN, "policy rejected; the active one keeps serving",
			"rejected", c->policy_rejected_revision,
			"active", policy_engine_revision(c->engine), "reason", err.msg, NULL);
		events_record(c->events, cm, EVENT_WARNING, "PolicyRejected", err.msg, clock_mono_ms());
		snprintf(text, sizeof(text), "rejected %s: %s (active: %s)", c->policy_rejected_revision,
			 err.msg, policy_engine_revision(c->engine));
		policy_annotate(c, cm, text);
		policy_engine_free(candidate);
		policy_bundle_cleanup(&b);
		return;
	}
	log_msg(LOG_INFO, "policy activated", "revision", b.revision,
		"previous", policy_engine_revision(c->engine), NULL);
	snprintf(text, sizeof(text), "revision %s passed %d bundled fixtures and trial-rendered %d DevServers",
		 b.revision, fixtures, tried);
	events_record(c->events, cm, EVENT_NORMAL, "PolicyActivated", text, clock_mono_ms());
	if (c->engine != c->builtin)
		policy_engine_free(c->engine);
	c->engine = candidate;
	c->policy_rejected[0] = '\0';
	c->policy_rejected_revision[0] = '\0';
	snprintf(text, sizeof(text), "active %s", b.revision);
	policy_annotate(c, cm, text);
	policy_bundle_cleanup(&b);
	controller_enqueue_all_paced(c);
}
