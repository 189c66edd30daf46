/* skipped.c - log, Event and status for objects the operator skips (see
 * skipped.h).
 *
 * Why here and not in reconcile: reconcile works from the cache, and a
 * skipped object is not in it (that is the point: its spec could not be
 * read, so nothing may be rendered, applied or pruned for it). What can be
 * said comes from its stub: identity, generation, resourceVersion and, when
 * small, its status. The status patch carries the stub's uid and
 * resourceVersion, so it never lands on a namesake created since and loses
 * to any newer change (409: the next event reports again), and it asks for
 * no response body - the response would be the very object that could not
 * be read.
 *
 * What it does not do: expire a skipped DevServer (the TTL needs its spec)
 * or touch its children, which stay as they were until the object fits.
 */
#include "operator/skipped.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "kube/object.h"
#include "operator/conditions.h"
#include "operator/controller_internal.h"

static const char *skipped_str(const struct json *obj, const char *key)
{
	const char *v = json_get_string(json_get(obj, "metadata"), key);

	return v ? v : "";
}

void skipped_message(const struct json *stub, char out[SKIPPED_MESSAGE_MAX_BYTES])
{
	const char *kind = json_get_string(stub, "kind");

	snprintf(out, SKIPPED_MESSAGE_MAX_BYTES,
		 "the operator cannot read this %s and skips it: %s; it and its children are left as "
		 "they are until the object fits the operator's limits again",
		 kind ? kind : "object", kube_object_skipped(stub) ? kube_object_skipped(stub) : "unknown");
}

struct json *skipped_devserver_status(const struct json *stub, int64_t now)
{
	char msg[SKIPPED_MESSAGE_MAX_BYTES];
	int64_t gen = json_get_int(json_get(stub, "metadata"), "generation", 0);
	struct json *st = json_new_object(), *conds = json_new_array();

	skipped_message(stub, msg);
	json_object_set_take(st, "phase", json_new_string("Failed"));
	json_object_set_take(st, "message", json_new_string(msg));
	json_object_set_take(st, "observedGeneration", json_new_int(gen));
	condition_append(conds, json_path(stub, "status", "conditions", NULL), "Ready", false, SKIPPED_REASON,
			 msg, gen, now);
	json_object_set_take(st, "conditions", conds);
	return st;
}

bool skipped_status_current(const struct json *stub, const struct json *want)
{
	const struct json *have = json_get(stub, "status");

	for (size_t i = 0; want && i < want->u.obj.len; i++)
		if (!json_equal(want->u.obj.items[i].value, json_get(have, want->u.obj.items[i].key)))
			return false;
	return have != NULL;
}

static void skipped_status_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct controller *c = ud;

	json_free(obj);
	metrics_count_request(&c->m, "PATCH", rc);
	if (rc == ERR_CONFLICT || rc == ERR_NOT_FOUND)
		log_msg(LOG_DEBUG, "skipped object changed before its status was written",
			"error", err ? err->msg : "", NULL);
	else if (rc < 0)
		log_msg(LOG_WARN, "cannot write the status of a skipped DevServer", "error",
			err ? err->msg : "", NULL);
}

static void skipped_write_status(struct controller *c, const struct json *stub)
{
	struct json *want = skipped_devserver_status(stub, clock_wall_ms() / 1000);
	struct json *patch, *meta;
	struct error err;

	if (skipped_status_current(stub, want)) {
		json_free(want);
		return;
	}
	patch = kube_status_patch_take(want, NULL);
	meta = json_new_object();
	/* preconditions: this very object, as the stub saw it */
	json_object_set_take(meta, "uid", json_new_string(skipped_str(stub, "uid")));
	json_object_set_take(meta, "resourceVersion", json_new_string(skipped_str(stub, "resourceVersion")));
	json_object_set_take(patch, "metadata", meta);
	{
		struct kube_call_spec spec = {
			.method = "PATCH",
			.res = c->devservers.res,
			.ns = skipped_str(stub, "namespace"),
			.name = skipped_str(stub, "name"),
			.subresource = "status",
			.body = patch,
			.content_type = "application/merge-patch+json",
			.discard_body = true,
		};

		c->m.writes++;
		c->m.status_writes++;
		if (kube_call_submit(&c->client, &spec, skipped_status_done, c, &err) == 0)
			log_msg(LOG_WARN, "cannot write the status of a skipped DevServer", "error", err.msg, NULL);
	}
	json_free(patch);
}

void skipped_tell(struct controller *c, const struct json *stub)
{
	char msg[SKIPPED_MESSAGE_MAX_BYTES];
	const char *kind = json_get_string(stub, "kind");

	skipped_message(stub, msg);
	events_record(c->events, stub, EVENT_WARNING, SKIPPED_REASON, msg, clock_mono_ms());
	if (kind && strcmp(kind, "DevServer") == 0 && skipped_str(stub, "uid")[0])
		skipped_write_status(c, stub);
}

/* The same object in the same state as before: uid, generation, reason. */
static bool skipped_same(const struct json *a, const struct json *b)
{
	const char *ra = kube_object_skipped(a), *rb = kube_object_skipped(b);

	return a && b && strcmp(skipped_str(a, "uid"), skipped_str(b, "uid")) == 0 &&
	       json_get_int(json_get(a, "metadata"), "generation", -1) ==
		       json_get_int(json_get(b, "metadata"), "generation", -1) &&
	       ra && rb && strcmp(ra, rb) == 0;
}

void skipped_report(struct controller *c, const struct json *previous, const struct json *stub,
		    bool may_write)
{
	char key[CACHE_MAX_KEY_BYTES];
	const char *kind = json_get_string(stub, "kind");
	const char *ns = skipped_str(stub, "namespace");

	if (previous && skipped_same(previous, stub))
		return; /* a status-only change (ours among them): said already */
	cache_key_format(key, ns, skipped_str(stub, "name"));
	log_msg(LOG_WARN, "object skipped", "kind", kind ? kind : "", "object", key,
		"uid", skipped_str(stub, "uid"), "reason", kube_object_skipped(stub), NULL);
	if (may_write)
		skipped_tell(c, stub);
}
