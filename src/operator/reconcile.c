/* reconcile.c - bring one DevServer's children and status in line.
 *
 * Steps: read the DevServer from the cache -> take the predecessor's (kopf's)
 * finalizer off, if it has one (finalizer.h; that write ends the round and
 * the next one goes on) -> TTL (delete when expired, else
 * a queue timer for the expiry) -> resolve the flavor -> render with the
 * active policy, stamped and validated (render.c) -> plan the writes from
 * the render and the cached children (plan.h: apply what changed or
 * drifted, hold a running box's Deployment, prune what is no longer
 * rendered) and carry the plan out -> when every call has answered, compute the
 * status from the cache (observed objects, never the desired ones) and patch
 * /status only when it differs -> at the end, an Event of what was written
 * (after the writes, so that its POST does not compete with them).
 *
 * The API calls run concurrently on the HTTP loop; a task counts the answers
 * it waits for. Cache pointers are only valid until the loop delivers the
 * next event, so nothing borrowed from the cache is kept across calls: the
 * finishing step reads the cache afresh. The key stays "in flight" in the
 * queue until the task ends, so one DevServer is never reconciled twice at
 * once, and a change that arrives meanwhile runs it again right after.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/adopt.h"
#include "operator/children.h"
#include "operator/controller_internal.h"
#include "operator/drift.h"
#include "operator/finalizer.h"
#include "operator/rollout.h"
#include "operator/flavor.h"
#include "kube/cache.h"
#include "operator/hostkey.h"
#include "operator/lifecycle.h"
#include "operator/plan.h"
#include "operator/render.h"
#include "operator/status.h"
#include "policy/validate.h"

struct reconcile_task {
	struct controller *c;
	char key[QUEUE_KEY_MAX_BYTES];
	char ns[CACHE_KEY_NS_MAX_BYTES];
	char name[256];
	char uid[64];
	int pending;               /* API calls not answered yet */
	bool status_sent;
	int applied, deleted;      /* writes issued, for the Event */
	bool created;              /* the Deployment did not exist before */
	bool announce;             /* children written: an Event when the round ends */
	char flavor_name[256];
	char flavor_replaced[256];  /* the deprecated flavor spec.flavor names, or "" */
	struct error flavor_err;
	struct error render_err;
	struct error apply_err;    /* first apply/delete failure */
	bool rendered;             /* render_err is meaningful */
	bool apply_attempted;      /* apply_err is meaningful */
	bool refused;              /* the host refused to write anything (see refusal) */
	const char *refusal;       /* its condition reason: ChildConflict, VolumeNotAllowed */
	struct json *flavor_claims; /* claimNames of the flavor's volumes: the admin's consent */
	struct json *desired;      /* the stamped render, owned until the task ends */
	int checks;                /* ownership lookups not answered yet */
	bool hostkey_missing;      /* the host-key Secret must be created first */
	bool hostkey_early;        /* it is being created beside the ownership checks */
	/* taking over from the predecessor (adopt.h) */
	bool marked;               /* the DevServer carries kopf's annotations */
	int leftovers;             /* the predecessor's objects found, owned by this DevServer */
	char leftover_uid[ADOPT_LEFTOVER_COUNT][64]; /* each one's uid, "" when absent */
	struct json *pred_hostkeys; /* the predecessor's host-key Secret, when one was found */
	bool replace_deployment;   /* a Deployment it controls has another selector */
	bool deployment_replaced;  /* ...and was deleted this round: the apply creates it */
	char replace_name[254], replace_uid[64];
	bool idle_enabled;         /* an idle timeout applies (spec or flavor) */
	int64_t idle_timeout_s;
	bool idle_done;            /* the activity was read (or not due) this round */
	bool hold_restarts;        /* flavor/policy changes wait for a restart (rollout OnRestart) */
	bool restart_held;         /* ...and one is waiting now */
	char held_changes[256];    /* what changed, for status.pendingRestart */
	char inputs[320];          /* "policy=REV flavor=NAME/GEN", stamped on the Deployment */
	char revision[32];
	struct lifecycle lc;
	int worst;                 /* the error that decides the requeue */
	int64_t started_ns;
};

struct informer *controller_child_informer(struct controller *c, const char *api_version,
					   const char *kind)
{
	for (int i = 0; i < CHILD_KIND_COUNT; i++) {
		const struct kube_resource *r = c->children[i].res;
		char av[96];

		if (r->group[0])
			snprintf(av, sizeof(av), "%s/%s", r->group, r->version);
		else
			snprintf(av, sizeof(av), "%s", r->version);
		if (strcmp(av, api_version) == 0 && strcmp(r->kind, kind) == 0)
			return &c->children[i];
	}
	return NULL;
}

/* The DevServer this task reconciles, from the cache, or NULL when it was
 * deleted or replaced (another uid) since the task began. The pointer is
 * valid until the loop delivers the next event. */
static const struct json *reconcile_current_ds(const struct reconcile_task *t)
{
	const struct json *ds = cache_get(&t->c->devservers.cache, t->ns, t->name);

	if (!ds || strcmp(json_get_string(json_get(ds, "metadata"), "uid") ?: "", t->uid) != 0)
		return NULL;
	return ds;
}

static bool reconcile_retryable(int code)
{
	return error_retry_class(code) >= ERROR_RETRY_LATER;
}

/* The Created/Updated Event of a round whose writes all succeeded (a
 * failure is in the status, and retried). */
static void reconcile_announce(struct reconcile_task *t)
{
	const struct json *ds = reconcile_current_ds(t);
	char msg[160];

	if (!t->announce || t->apply_err.code != 0 || !ds)
		return;
	snprintf(msg, sizeof(msg), "%d children applied, %d removed (policy %s)", t->applied, t->deleted,
		 t->revision);
	events_record(t->c->events, ds, EVENT_NORMAL, t->created ? "Created" : "Updated", msg, clock_mono_ms());
}

static void reconcile_end(struct reconcile_task *t)
{
	struct controller *c = t->c;
	int64_t now = clock_mono_ms();

	reconcile_announce(t);

	metrics_observe_reconcile(&c->m, (double)(clock_mono_ns() - t->started_ns) / 1e9);
	if (t->worst < 0) {
		int64_t delay = queue_add_backoff(c->queue, t->key, now);

		c->m.reconcile_errors[t->worst < 0 && -t->worst < METRICS_ERROR_CODES ? -t->worst : METRICS_ERROR_CODES - 1]++;
		log_printf(reconcile_retryable(t->worst) ? LOG_INFO : LOG_WARN,
			   "reconcile %s: %s; retrying in %" PRId64 " ms", t->key,
			   error_code_name(t->worst), delay);
	} else {
		queue_forget(c->queue, t->key);
	}
	queue_done(c->queue, t->key);
	json_free(t->desired);
	json_free(t->flavor_claims);
	hostkey_secret_free(t->pred_hostkeys); /* wipes its private key */
	free(t);
}

static void reconcile_note_error(struct reconcile_task *t, int code)
{
	/* a retryable failure outranks a permanent one: it may heal by itself */
	if (t->worst == 0 || (reconcile_retryable(code) && !reconcile_retryable(t->worst)))
		t->worst = code;
}

/* --- status ---------------------------------------------------------------- */

static const struct json *reconcile_newest(const struct json **objs, size_t n)
{
	const struct json *best = NULL;
	const char *best_ts = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct json *meta = json_get(objs[i], "metadata");
		const char *ts = json_get_string(meta, "creationTimestamp");

		if (json_get(meta, "deletionTimestamp"))
			continue;
		if (!best || (ts && best_ts && strcmp(ts, best_ts) > 0)) {
			best = objs[i];
			best_ts = ts;
		}
	}
	return best;
}

static void reconcile_status_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;

	/* our own write, now in the cache: the next reconcile compares with it
	 * even while the watch trails */
	if (rc == 0)
		cache_store_newer(&t->c->devservers.cache, obj);
	else
		json_free(obj);
	metrics_count_request(&t->c->m, "PATCH", rc);
	if (rc == ERR_NOT_FOUND) {
		/* deleted while we computed its status: the watch will say so */
		log_msg(LOG_DEBUG, "status not written: the DevServer is gone", "devserver", t->key, NULL);
	} else if (rc < 0) {
		log_msg(LOG_WARN, "status update failed", "devserver", t->key, "error", err->msg, NULL);
		reconcile_note_error(t, rc);
	}
	reconcile_end(t);
}

static bool reconcile_idle(struct reconcile_task *t, const struct json *ds, const struct json *pod);

/* Whether every claim the Deployment's pods mount is Bound or being
 * provisioned, as far as the PVC cache shows (status.h). */
#define RECONCILE_MAX_CLAIMS 32
static bool reconcile_volumes_provisioning(struct controller *c, const char *ns, const struct json *deployment,
					   int64_t now)
{
	const struct json *vols = json_path(deployment, "spec", "template", "spec", "volumes", NULL);
	const struct json *claims[RECONCILE_MAX_CLAIMS];
	size_t n = 0;

	for (size_t i = 0; vols && vols->type == JSON_ARRAY && i < vols->u.arr.len; i++) {
		const char *claim = json_get_string(json_get(vols->u.arr.items[i], "persistentVolumeClaim"),
						    "claimName");

		if (!claim)
			continue;
		if (n == RECONCILE_MAX_CLAIMS)
			return false; /* more than status can vouch for: report the wait */
		claims[n++] = cache_get(&c->children[CHILD_PVC].cache, ns, claim);
	}
	return status_volumes_provisioning(claims, n, now);
}

/* The children of kind k this DevServer controls that the operator made
 * (they carry its managed-by label). With --child-watch all, the cache
 * also holds objects others made with an ownerReference to the DevServer
 * (the predecessor's, adopt.h): those are neither read for status nor
 * pruned. */
static size_t reconcile_owned(struct controller *c, int k, const char *uid, const struct json ***out)
{
	size_t n = cache_by_owner(&c->children[k].cache, uid, out), kept = 0;

	for (size_t i = 0; i < n; i++) {
		const char *by = json_get_string(json_path((*out)[i], "metadata", "labels", NULL),
						 API_LABEL_MANAGED_BY);

		if (by && strcmp(by, API_MANAGER_NAME) == 0)
			(*out)[kept++] = (*out)[i];
	}
	return kept;
}

static void reconcile_finish(struct reconcile_task *t)
{
	struct controller *c = t->c;
	const struct json *ds = reconcile_current_ds(t);
	const struct json **objs = NULL;
	const struct json *deployment = NULL, *service = NULL, *pod = NULL;
	struct status_inputs in;
	struct json *st, *patch;
	struct error err;
	char host_key[SSHKEY_PUBLIC_LINE_MAX_BYTES], host_key_fp[SSHKEY_FINGERPRINT_BYTES];
	char ttl_cap[LIFECYCLE_CAP_TEXT_BYTES];
	size_t n;

	if (!ds) {
		idle_tracker_forget(c->idle, t->key);
		reconcile_end(t); /* deleted (or replaced) meanwhile: nothing to report */
		return;
	}
	n = reconcile_owned(c, CHILD_DEPLOYMENT, t->uid, &objs);
	deployment = n ? objs[0] : NULL;
	free(objs);
	n = reconcile_owned(c, CHILD_SERVICE, t->uid, &objs);
	service = n ? objs[0] : NULL;
	free(objs);
	/* indexed by devserver.io/name: no scan of every pod */
	n = cache_by_label(&c->pods.cache, t->ns, t->name, &objs);
	pod = reconcile_newest(objs, n);
	free(objs);
	if (!t->idle_done) {
		t->idle_done = true;
		if (reconcile_idle(t, ds, pod))
			return; /* reading the activity log; this runs again when done */
	}

	/* An event arrived while this round ran: the next round starts right
	 * after this one with newer observations and computes the status again;
	 * writing this one would only put an intermediate phase on the wire.
	 * Not the first status, though: that next round waits in the second
	 * lane, behind every new DevServer of a burst (minutes at 10,000), and
	 * until then the developer sees no status at all. */
	if (json_get(ds, "status") && queue_rerun_pending(c->queue, t->key)) {
		c->m.status_deferred++;
		reconcile_end(t);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.ds = ds;
	in.flavor_name = t->flavor_err.code ? NULL : t->flavor_name;
	in.flavor_replaced = t->flavor_err.code || !t->flavor_replaced[0] ? NULL : t->flavor_replaced;
	in.flavor_err = &t->flavor_err;
	in.render_err = t->rendered ? &t->render_err : NULL;
	in.apply_err = t->apply_attempted ? &t->apply_err : NULL;
	in.apply_reason = t->refused ? t->refusal : NULL;
	in.policy_revision = t->revision[0] ? t->revision : NULL;
	in.deployment = deployment;
	in.pod = pod;
	if (service) {
		const struct json *ports = json_path(service, "spec", "ports", NULL);

		in.ssh_service = json_get_string(json_get(service, "metadata"), "name");
		in.ssh_port = ports && ports->type == JSON_ARRAY && ports->u.arr.len
			? json_get_int(ports->u.arr.items[0], "port", 22) : 22;
	}
	{
		char secret_name[HOSTKEY_SECRET_NAME_MAX_BYTES];
		const struct json *secret;

		hostkey_secret_name(t->name, secret_name);
		secret = cache_get(&c->children[CHILD_SECRET].cache, t->ns, secret_name);
		if (secret && cache_controlled_by(secret, t->uid) &&
		    hostkey_public(secret, host_key, host_key_fp, &err) == 0) {
			in.ssh_host_key = host_key;
			in.ssh_host_key_fingerprint = host_key_fp;
		} else if (secret && cache_controlled_by(secret, t->uid)) {
			log_msg(LOG_WARN, "unusable host-key Secret", "devserver", t->key,
				"secret", secret_name, "error", err.msg, NULL);
		}
	}
	in.expires = t->lc.expires;
	in.expires_at = t->lc.expires_at;
	lifecycle_cap_text(&t->lc, ttl_cap);
	in.ttl_cap = ttl_cap;
	in.expiry_warning_s = c->opt.expiry_warning_s;
	in.pending_restart = t->restart_held ? t->held_changes : NULL;
	{
		const struct idle_entry *ie = t->idle_enabled ? idle_tracker_get(c->idle, t->key, false) : NULL;
		const char *by = json_get_string(json_path(ds, "metadata", "annotations", NULL),
						 IDLE_STOPPED_BY_ANNOTATION);

		in.last_activity = ie ? ie->last_activity : 0;
		in.stopped_idle = by && strcmp(by, IDLE_STOPPED_BY_IDLE) == 0;
		in.idle_timeout_s = t->idle_enabled ? t->idle_timeout_s : 0;
	}
	in.now = clock_wall_ms() / 1000;
	in.volumes_provisioning = reconcile_volumes_provisioning(c, t->ns, deployment, in.now);
	{
		int64_t until;

		/* status calls a wait for volumes Provisioning for so long; look
		 * again then, so a claim that never binds is reported */
		if (pod && in.volumes_provisioning && status_volume_wait(pod, in.now, &until))
			queue_add_after(c->queue, t->key, (until - in.now) * 1000 + 50, clock_mono_ms());
	}
	st = status_compute(&in);

	if (json_equal(st, json_get(ds, "status"))) {
		c->m.status_unchanged++;
		json_free(st);
		reconcile_end(t);
		return;
	}
	if (json_get(st, "pendingRestart") && !json_path(ds, "status", "pendingRestart", NULL)) {
		char msg[400];

		snprintf(msg, sizeof(msg), "a change waits for a restart (%s): devctl restart %s applies it",
			 t->held_changes, t->name);
		events_record(c->events, ds, EVENT_NORMAL, "RestartPending", msg, clock_mono_ms());
	}
	if (status_condition_became_true(json_get(ds, "status"), st, "ExpiringSoon")) {
		log_msg(LOG_INFO, "expiring soon", "devserver", t->key, NULL);
		events_record(c->events, ds, EVENT_WARNING, "ExpiringSoon",
			      status_condition_message(st, "ExpiringSoon"), clock_mono_ms());
	}
	{
		const char *old_phase = json_get_string(json_get(ds, "status"), "phase");
		const char *phase = json_get_string(st, "phase");

		if (!old_phase || strcmp(old_phase, phase) != 0) {
			log_msg(LOG_INFO, "phase", "devserver", t->key, "phase", phase,
				"message", json_get_string(st, "message"), NULL);
			if (strcmp(phase, "Running") == 0)
				events_record(c->events, ds, EVENT_NORMAL, "Running", "the DevServer is ready",
					      clock_mono_ms());
			else if (strcmp(phase, "Failed") == 0)
				events_record(c->events, ds, EVENT_WARNING, "Failed",
					      json_get_string(st, "message"), clock_mono_ms());
		}
	}
	/* names null what the status dropped (pendingRestart after the restart,
	 * expiresAt after the TTL went) */
	patch = kube_status_patch_take(st, json_get(ds, "status"));
	{
		struct kube_call_spec spec = {
			.method = "PATCH",
			.res = c->devservers.res,
			.ns = t->ns,
			.name = t->name,
			.subresource = "status",
			.body = patch,
			.content_type = "application/merge-patch+json",
		};

		c->m.status_writes++;
		c->m.writes++;
		if (kube_call_submit(&c->client, &spec, reconcile_status_done, t, &err) == 0) {
			json_free(patch);
			reconcile_note_error(t, err.code);
			reconcile_end(t);
			return;
		}
	}
	json_free(patch);
}

/* --- idle shutdown (see idle.h) --------------------------------------------- */

static bool reconcile_pod_ready(const struct json *pod)
{
	const struct json *conds = json_path(pod, "status", "conditions", NULL);

	for (size_t i = 0; conds && conds->type == JSON_ARRAY && i < conds->u.arr.len; i++) {
		const struct json *cd = conds->u.arr.items[i];

		if (strcmp(json_get_string(cd, "type") ?: "", "Ready") == 0)
			return strcmp(json_get_string(cd, "status") ?: "", "True") == 0;
	}
	return false;
}

static void reconcile_idle_stopped(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;
	struct controller *c = t->c;

	metrics_count_request(&c->m, "PATCH", rc);
	if (rc == 0) {
		char msg[200];

		snprintf(msg, sizeof(msg), "stopped after %" PRId64 "m without an SSH session or a process "
			 "of its user; devctl start resumes it (the home is kept)", t->idle_timeout_s / 60);
		log_msg(LOG_INFO, "idle: stopped", "devserver", t->key, NULL);
		if (obj)
			events_record(c->events, obj, EVENT_NORMAL, "Idle", msg, clock_mono_ms());
		cache_store_newer(&c->devservers.cache, obj);
	} else {
		json_free(obj);
		/* 409: the user changed it meanwhile; their change wins, look again */
		log_msg(rc == ERR_CONFLICT ? LOG_INFO : LOG_WARN, "idle: could not stop", "devserver", t->key,
			"error", err->msg, NULL);
		queue_add_after(c->queue, t->key, IDLE_RECHECK_MIN_S * 1000, clock_mono_ms());
	}
	reconcile_finish(t);
}

/* Stops the DevServer: spec.stopped=true and the reason, guarded by its
 * resourceVersion. Returns true when the call is under way. */
static bool reconcile_idle_stop(struct reconcile_task *t)
{
	struct controller *c = t->c;
	const struct json *ds = reconcile_current_ds(t);
	struct json *patch, *meta, *ann, *spec;
	struct error err;
	uint64_t id;
	struct kube_call_spec call = {
		.method = "PATCH", .res = c->devservers.res, .ns = t->ns, .name = t->name,
		.content_type = "application/merge-patch+json",
	};

	if (!ds)
		return false;
	patch = json_new_object();
	meta = json_new_object();
	ann = json_new_object();
	spec = json_new_object();
	json_object_set_take(meta, "resourceVersion",
			     json_new_string(json_get_string(json_get(ds, "metadata"), "resourceVersion") ?: ""));
	json_object_set_take(ann, IDLE_STOPPED_BY_ANNOTATION, json_new_string(IDLE_STOPPED_BY_IDLE));
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(patch, "metadata", meta);
	json_object_set_take(spec, "stopped", json_new_bool(true));
	json_object_set_take(patch, "spec", spec);
	call.body = patch;
	c->m.writes++;
	id = kube_call_submit(&c->client, &call, reconcile_idle_stopped, t, &err);
	json_free(patch);
	if (id == 0)
		log_msg(LOG_WARN, "idle: could not stop", "devserver", t->key, "error", err.msg, NULL);
	return id != 0;
}

static void reconcile_idle_read_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct reconcile_task *t = ud;
	struct controller *c = t->c;
	struct idle_entry *e = idle_tracker_get(c->idle, t->key, true);
	int64_t now = clock_wall_ms() / 1000;
	struct idle_reading r = { IDLE_UNKNOWN, 0 };
	struct idle_decision d;

	metrics_count_request(&c->m, "GET", rc);
	if (rc == 0)
		idle_parse_log(buf_str(&resp->body), resp->body.len, &r);
	else
		log_msg(LOG_DEBUG, "idle: activity log not readable yet", "devserver", t->key,
			"error", err ? err->msg : "?", NULL);
	idle_decide(&r, t->idle_timeout_s, now, &d);
	if (e) {
		e->next_check = d.next_check;
		if (d.last_activity)
			e->last_activity = d.last_activity;
	}
	if (d.stop && reconcile_idle_stop(t))
		return; /* continues in reconcile_idle_stopped */
	queue_add_after(c->queue, t->key, (d.next_check - now) * 1000 + 50, clock_mono_ms());
	reconcile_finish(t);
}

/* Reads the activity log when it is due. Returns true when the read is
 * under way (reconcile_finish runs again when it is done). */
static bool reconcile_idle(struct reconcile_task *t, const struct json *ds, const struct json *pod)
{
	struct controller *c = t->c;
	const struct json *pmeta = json_get(pod, "metadata");
	const char *pod_uid = json_get_string(pmeta, "uid"), *pod_name = json_get_string(pmeta, "name");
	int64_t now = clock_wall_ms() / 1000;
	struct kube_http_request r = { 0 };
	struct idle_entry *e;
	struct error err;
	struct buf path;
	uint64_t id;

	if (!t->idle_enabled || json_get_bool(json_get(ds, "spec"), "stopped", false) || !pod ||
	    !pod_uid || !pod_name || !reconcile_pod_ready(pod)) {
		if (!t->idle_enabled)
			idle_tracker_forget(c->idle, t->key);
		return false;
	}
	e = idle_tracker_get(c->idle, t->key, true);
	if (e && strcmp(e->pod_uid, pod_uid) != 0) {
		/* a new pod: read it now, whatever the old one said */
		snprintf(e->pod_uid, sizeof(e->pod_uid), "%s", pod_uid);
		e->next_check = 0;
	}
	if (e && now < e->next_check) {
		queue_add_after(c->queue, t->key, (e->next_check - now) * 1000 + 50, clock_mono_ms());
		return false;
	}
	buf_init(&path, KUBE_URL_PART_MAX_BYTES);
	buf_append_str(&path, "/api/v1/namespaces/");
	kube_escape(&path, t->ns);
	buf_append_str(&path, "/pods/");
	kube_escape(&path, pod_name);
	buf_appendf(&path, "/log?container=%s&tailLines=%d&timestamps=true", IDLE_ACTIVITY_CONTAINER,
		    IDLE_LOG_TAIL_LINES);
	r.method = "GET";
	r.path = buf_str(&path);
	r.accept = "*/*";
	r.max_body_bytes = IDLE_LOG_MAX_BYTES;
	r.done = reconcile_idle_read_done;
	r.ud = t;
	id = kube_http_submit(c->client.http, &r, &err);
	buf_cleanup(&path);
	if (id == 0) {
		log_msg(LOG_WARN, "idle: cannot read the activity log", "devserver", t->key, "error", err.msg, NULL);
		queue_add_after(c->queue, t->key, IDLE_RECHECK_MIN_S * 1000, clock_mono_ms());
		return false;
	}
	return true;
}

/* --- applying and pruning -------------------------------------------------- */

struct reconcile_call {
	struct reconcile_task *t;
	struct informer *inf;     /* applies: the cache the result goes to */
	const char *verb;
	char what[160];   /* "apply Deployment box", for messages */
};

static void reconcile_call_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_call *call = ud;
	struct reconcile_task *t = call->t;

	if (rc == 0 && call->inf && (strcmp(call->verb, "PATCH") == 0 || strcmp(call->verb, "POST") == 0))
		cache_store_newer(&call->inf->cache, obj); /* write-through, as for status */
	else
		json_free(obj);
	metrics_count_request(&t->c->m, call->verb, rc);
	if (rc < 0 && !(rc == ERR_NOT_FOUND && strncmp(call->what, "delete", 6) == 0)) {
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, rc, "%s: %s", call->what, err->msg);
		reconcile_note_error(t, rc);
	}
	free(call);
	if (--t->pending == 0)
		reconcile_finish(t);
}

static void reconcile_submit(struct reconcile_task *t, struct informer *inf,
			     struct kube_call_spec *spec, const char *what)
{
	struct reconcile_call *call = mem_calloc(1, sizeof(*call));
	struct error err;

	call->t = t;
	call->inf = inf;
	call->verb = spec->method;
	snprintf(call->what, sizeof(call->what), "%s", what);
	t->c->m.writes++;
	t->pending++;
	if (kube_call_submit(&t->c->client, spec, reconcile_call_done, call, &err) == 0) {
		t->pending--;
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, err.code, "%s: %s", what, err.msg);
		reconcile_note_error(t, err.code);
		free(call);
	}
}

/* The plan's inputs from the cache: each desired child beside what is
 * observed under its name, and every child the DevServer owns. */
static void reconcile_plan(struct reconcile_task *t, const struct json *desired, struct plan *plan)
{
	struct controller *c = t->c;
	struct plan_child *children = mem_calloc(desired->u.arr.len + 1, sizeof(*children));
	struct plan_owned *owned = NULL;
	size_t nowned = 0;

	for (size_t i = 0; i < desired->u.arr.len; i++) {
		struct json *d = desired->u.arr.items[i];
		const char *kind = json_get_string(d, "kind");
		struct informer *inf = controller_child_informer(c, json_get_string(d, "apiVersion"), kind);
		bool replaced = t->deployment_replaced && strcmp(kind, "Deployment") == 0;

		/* the policy's kinds are the child kinds (policy/validate.c) */
		children[i] = (struct plan_child){
			.desired = d,
			.kind = inf->res->kind,
			.kind_index = (int)(inf - c->children),
			.observed = replaced ? NULL : cache_get(&inf->cache, t->ns,
							       json_get_string(json_get(d, "metadata"), "name")),
		};
	}
	for (int k = 0; k < CHILD_KIND_COUNT; k++) {
		const struct json **objs = NULL;
		size_t n = reconcile_owned(c, k, t->uid, &objs);

		owned = mem_realloc(owned, (nowned + n + 1) * sizeof(*owned));
		for (size_t i = 0; i < n; i++)
			owned[nowned++] = (struct plan_owned){objs[i], c->children[k].res->kind, k};
		free(objs);
	}
	plan_writes(children, desired->u.arr.len, owned, nowned, t->hold_restarts, plan);
	free(children);
	free(owned);
}

/* Carries the plan out: one API call per apply and prune. */
static void reconcile_execute(struct reconcile_task *t, const struct plan *plan)
{
	struct controller *c = t->c;

	c->m.applies_unchanged += (uint64_t)plan->unchanged;
	t->created = plan->creates_deployment;
	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_action *a = &plan->actions[i];
		struct informer *inf = &c->children[a->kind_index];
		char what[160];

		switch (a->verb) {
		case PLAN_HOLD:
			t->restart_held = true;
			snprintf(t->held_changes, sizeof(t->held_changes), "%s", plan->held_changes);
			break;
		case PLAN_APPLY: {
			struct kube_call_spec spec = {
				.method = "PATCH",
				.res = inf->res,
				.ns = t->ns,
				.name = a->name,
				.query = "fieldManager=" KUBE_FIELD_MANAGER "&force=true",
				.body = a->desired,
				.content_type = "application/apply-patch+yaml",
			};

			if (a->why == PLAN_DRIFT)
				log_msg(LOG_INFO, "repairing drift", "devserver", t->key, "child", a->name,
					"field", a->drift_path, NULL);
			snprintf(what, sizeof(what), "apply %s %s", a->kind, a->name);
			c->m.applies++;
			t->applied++;
			reconcile_submit(t, inf, &spec, what);
			break;
		}
		case PLAN_PRUNE: {
			/* precondition on the uid: never delete a namesake created since */
			struct json *opts = kube_delete_options(
				json_get_string(json_get(a->observed, "metadata"), "uid") ?: "", "Background");
			struct kube_call_spec spec = {
				.method = "DELETE",
				.res = inf->res,
				.ns = t->ns,
				.name = a->name,
				.body = opts,
			};

			snprintf(what, sizeof(what), "delete %s %s", a->kind, a->name);
			log_msg(LOG_INFO, "pruning", "devserver", t->key, "child", what + 7, NULL);
			c->m.prunes++;
			t->deleted++;
			reconcile_submit(t, NULL, &spec, what);
			json_free(opts);
			break;
		}
		}
	}
}

/* --- ownership: never write over an object we do not control ------------- */

/* A child name may already be taken by an object the operator does not
 * control: an admin's ConfigMap "web-ssh", a PVC "db-home". With
 * --child-watch all (auto's choice when the operator is scoped to
 * namespaces) the child caches see every object of their kind, those we
 * do not own as stubs, so the cache answers; with labelled they only see
 * objects with our labels, and every desired child missing from them is
 * looked up first. Only when each one is absent or controlled by this
 * DevServer is anything applied (a Deployment must never mount a PVC
 * that belongs to someone else). Children in the cache but controlled by
 * another object are refused without a lookup. */

struct reconcile_check {
	struct reconcile_task *t;
	char what[160];           /* "ConfigMap web-ssh" */
	bool claim;               /* a PVC the pod mounts but this render does not create */
	int leftover;             /* an index in adopt_leftovers, or -1 */
	const struct json *desired; /* the rendered child (in t->desired), or NULL */
	char name[254];
};

static void reconcile_judge_claim(struct reconcile_task *t, const char *claim, const struct json *pvc);

/* Records a refusal: nothing of this render is written. The first refusal's
 * message wins; it replaces a transient error (a refusal needs the user). */
static void reconcile_refuse(struct reconcile_task *t, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reconcile_refuse(struct reconcile_task *t, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (!t->refused) {
		t->refused = true;
		t->refusal = reason;
		va_start(ap, fmt);
		t->apply_err.code = ERR_PERMANENT;
		vsnprintf(t->apply_err.msg, sizeof(t->apply_err.msg), fmt, ap);
		va_end(ap);
	}
	reconcile_note_error(t, ERR_PERMANENT);
}

static void reconcile_not_owned(struct reconcile_task *t, const char *what, const char *owner)
{
	reconcile_refuse(t, "ChildConflict",
			 "%s already exists and is not controlled by this DevServer%s%s%s; nothing was "
			 "applied: delete or rename that object, or give the DevServer another name",
			 what, owner ? " (its controller is " : "", owner ? owner : "", owner ? ")" : "");
}

static void reconcile_apply_phase(struct reconcile_task *t);
static void reconcile_create_hostkey(struct reconcile_task *t);

/* A Deployment this DevServer controls whose selector is not the rendered
 * one: the predecessor's (adopt.h), or a policy's that changed it. */
static void reconcile_note_selector(struct reconcile_task *t, const struct json *desired,
				    const struct json *observed)
{
	const struct json *meta = json_get(observed, "metadata");

	if (!desired || !adopt_selector_differs(desired, observed))
		return;
	t->replace_deployment = true;
	snprintf(t->replace_name, sizeof(t->replace_name), "%s", json_get_string(meta, "name") ?: "");
	snprintf(t->replace_uid, sizeof(t->replace_uid), "%s", json_get_string(meta, "uid") ?: "");
}

/* The answer to a leftover's lookup: one owned by this DevServer is
 * remembered (its uid guards the delete); the predecessor's host-key
 * Secret is kept whole until the task ends, for reconcile_create_hostkey. */
static void reconcile_leftover_found(struct reconcile_task *t, int i, int rc, struct json *obj,
				     const struct error *err)
{
	if (rc == 0 && adopt_owned_by(obj, t->uid)) {
		snprintf(t->leftover_uid[i], sizeof(t->leftover_uid[i]), "%s",
			 json_get_string(json_get(obj, "metadata"), "uid") ?: "");
		t->leftovers++;
		if (i == ADOPT_LEFTOVER_HOSTKEYS) {
			t->pred_hostkeys = obj;
			return;
		}
	} else if (rc < 0 && rc != ERR_NOT_FOUND) {
		log_msg(LOG_WARN, "cannot look up the predecessor's object", "devserver", t->key,
			"error", err->msg, NULL);
		reconcile_note_error(t, rc); /* not in the way of the apply: retried with backoff */
	}
	if (i == ADOPT_LEFTOVER_HOSTKEYS)
		hostkey_secret_free(obj);
	else
		json_free(obj);
}

static void reconcile_check_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_check *chk = ud;
	struct reconcile_task *t = chk->t;

	metrics_count_request(&t->c->m, "GET", rc);
	if (chk->leftover >= 0) {
		reconcile_leftover_found(t, chk->leftover, rc, obj, err);
		obj = NULL;
	} else if (chk->claim) {
		if (rc == 0 || rc == ERR_NOT_FOUND)
			reconcile_judge_claim(t, chk->name, rc == 0 ? obj : NULL);
		else if (t->apply_err.code == 0)
			error_set(&t->apply_err, rc, "look up %s: %s", chk->what, err->msg);
		if (rc < 0 && rc != ERR_NOT_FOUND)
			reconcile_note_error(t, rc);
	} else if (rc == 0 && !cache_controlled_by(obj, t->uid)) {
		reconcile_not_owned(t, chk->what, cache_controller_uid(obj));
	} else if (rc == 0) {
		reconcile_note_selector(t, chk->desired, obj);
	} else if (rc < 0 && rc != ERR_NOT_FOUND) {
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, rc, "look up %s: %s", chk->what, err->msg);
		reconcile_note_error(t, rc);
	}
	json_free(obj);
	free(chk);
	if (--t->checks == 0)
		reconcile_apply_phase(t);
}

/* Checks one name: from the cache when it is there, else with a GET.
 * desired is the rendered child of that name (NULL for the host key, a
 * claim or a leftover); leftover is an index in adopt_leftovers or -1. */
static void reconcile_check_one(struct reconcile_task *t, struct informer *inf, const char *kind,
				const char *name, bool claim, const struct json *desired,
				int leftover)
{
	const struct json *observed = cache_get(&inf->cache, t->ns, name);
	/* resourceVersion=0: from the API server's watch cache, not etcd. The
	 * answer may trail by the watch's delay, which the check already
	 * allows (a name taken between this GET and the apply is the same
	 * race); a burst of new DevServers makes five of these each. */
	struct kube_call_spec spec = { .method = "GET", .res = inf->res, .ns = t->ns, .name = name,
				       .query = "resourceVersion=0" };
	struct reconcile_check *chk;
	struct error err;
	char what[160];

	snprintf(what, sizeof(what), "%s %s", kind, name);
	if (observed && claim) {
		reconcile_judge_claim(t, name, observed);
		return;
	}
	if (observed && leftover < 0) {
		if (!cache_controlled_by(observed, t->uid))
			reconcile_not_owned(t, what, cache_controller_uid(observed));
		else
			reconcile_note_selector(t, desired, observed);
		return;
	}
	/* An informer without a label selector has seen every object of its
	 * kind: a name it lacks is free, as a GET would say (both may trail
	 * the API server by the watch's delay). A claim the pod mounts is
	 * still looked up: a missing one refuses the DevServer, and the PVC
	 * may have been created a moment ago. */
	if (!observed && inf->sees_all && !claim && leftover < 0) {
		t->c->m.name_checks_cached++;
		return;
	}
	chk = mem_calloc(1, sizeof(*chk));
	chk->t = t;
	chk->claim = claim;
	chk->leftover = leftover;
	chk->desired = desired;
	snprintf(chk->name, sizeof(chk->name), "%s", name);
	snprintf(chk->what, sizeof(chk->what), "%s", what);
	t->checks++;
	if (kube_call_submit(&t->c->client, &spec, reconcile_check_done, chk, &err) == 0) {
		t->checks--;
		free(chk);
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, err.code, "look up %s: %s", what, err.msg);
		reconcile_note_error(t, err.code);
	}
}

/* --- volumes: a PVC the pod mounts needs its owner's consent -------------- */

/* A DevServer's spec.volumes[].claimName would otherwise let anyone who may
 * create a DevServer mount any PVC of the namespace - another developer's
 * home among them - with the operator's rights. Every claim the rendered pod
 * mounts that the render does not create itself must be: not a DevServer's
 * home and not controlled by another DevServer, and either named by the
 * flavor's spec.volumes (the admin's consent) or labelled
 * devserver.io/shareable=true (its owner's). Kubernetes does not record who
 * created a DevServer, so asking the API server whether the creator may use
 * the PVC (a SubjectAccessReview) is not possible without an admission
 * webhook; the label is the consent instead. */

static const char *reconcile_controller_kind(const struct json *obj)
{
	const struct json *refs = json_path(obj, "metadata", "ownerReferences", NULL);

	for (size_t i = 0; refs && refs->type == JSON_ARRAY && i < refs->u.arr.len; i++)
		if (json_get_bool(refs->u.arr.items[i], "controller", false))
			return json_get_string(refs->u.arr.items[i], "kind");
	return NULL;
}

static bool reconcile_flavor_names_claim(const struct reconcile_task *t, const char *claim)
{
	const struct json *l = t->flavor_claims;

	for (size_t i = 0; l && i < l->u.arr.len; i++)
		if (strcmp(l->u.arr.items[i]->u.str.ptr, claim) == 0)
			return true;
	return false;
}

static void reconcile_judge_claim(struct reconcile_task *t, const char *claim, const struct json *pvc)
{
	const struct json *labels = json_path(pvc, "metadata", "labels", NULL);
	const char *home = json_get_string(labels, API_LABEL_HOME);
	const char *shareable = json_get_string(labels, API_LABEL_SHAREABLE);
	const char *kind = reconcile_controller_kind(pvc);

	if (!pvc) {
		reconcile_refuse(t, "VolumeNotAllowed", "PersistentVolumeClaim %s (spec.volumes) does not "
				 "exist in namespace %s", claim, t->ns);
	} else if (cache_controlled_by(pvc, t->uid)) {
		return; /* this DevServer's own */
	} else if ((home && strcmp(home, "true") == 0) || (kind && strcmp(kind, API_KIND_DEVSERVER) == 0)) {
		reconcile_refuse(t, "VolumeNotAllowed", "PersistentVolumeClaim %s belongs to another "
				 "DevServer (%s); a DevServer may not mount it", claim,
				 json_get_string(labels, API_LABEL_NAME) ?: "its home");
	} else if (!reconcile_flavor_names_claim(t, claim) &&
		   !(shareable && strcmp(shareable, "true") == 0)) {
		reconcile_refuse(t, "VolumeNotAllowed", "PersistentVolumeClaim %s may not be mounted by "
				 "a DevServer: its owner can allow it with the label %s=true, or an admin "
				 "can list it in the flavor's spec.volumes", claim, API_LABEL_SHAREABLE);
	}
}

static bool reconcile_desired_pvc(const struct json *desired, const char *name)
{
	for (size_t i = 0; i < desired->u.arr.len; i++) {
		const struct json *d = desired->u.arr.items[i];

		if (strcmp(json_get_string(d, "kind"), "PersistentVolumeClaim") == 0 &&
		    strcmp(json_get_string(json_get(d, "metadata"), "name"), name) == 0)
			return true;
	}
	return false;
}

static void reconcile_check_claims(struct reconcile_task *t)
{
	const struct json *desired = t->desired;

	for (size_t i = 0; i < desired->u.arr.len; i++) {
		const struct json *d = desired->u.arr.items[i];
		const struct json *vols = json_path(d, "spec", "template", "spec", "volumes", NULL);

		if (strcmp(json_get_string(d, "kind"), "Deployment") != 0)
			continue;
		for (size_t k = 0; vols && vols->type == JSON_ARRAY && k < vols->u.arr.len; k++) {
			const char *claim = json_get_string(json_get(vols->u.arr.items[k], "persistentVolumeClaim"),
							    "claimName");

			if (claim && !reconcile_desired_pvc(desired, claim))
				reconcile_check_one(t, &t->c->children[CHILD_PVC], "PersistentVolumeClaim", claim,
						    true, NULL, -1);
		}
	}
}

/* While the DevServer carries the predecessor's marks, each of its
 * leftover names is looked up (adopt.h); afterwards none is. */
static void reconcile_check_leftovers(struct reconcile_task *t)
{
	static const int informer_of[] = {
		[ADOPT_CONFIGMAP] = CHILD_CONFIGMAP, [ADOPT_SERVICE] = CHILD_SERVICE, [ADOPT_SECRET] = CHILD_SECRET,
	};
	const struct json *ds = reconcile_current_ds(t);

	t->marked = ds && adopt_is_marked(ds);
	for (int i = 0; t->marked && i < ADOPT_LEFTOVER_COUNT; i++) {
		struct informer *inf = &t->c->children[informer_of[adopt_leftovers[i].kind]];
		char name[320];

		snprintf(name, sizeof(name), "%s%s", t->name, adopt_leftovers[i].suffix);
		reconcile_check_one(t, inf, inf->res->kind, name, false, NULL, i);
	}
}

static void reconcile_check_ownership(struct reconcile_task *t)
{
	struct controller *c = t->c;
	const struct json *desired = t->desired;
	char hostkey[HOSTKEY_SECRET_NAME_MAX_BYTES];

	t->checks = 1; /* held while submitting */
	for (size_t i = 0; i < desired->u.arr.len; i++) {
		const struct json *d = desired->u.arr.items[i];
		const char *kind = json_get_string(d, "kind");
		struct informer *inf = controller_child_informer(c, json_get_string(d, "apiVersion"), kind);

		/* policy_finish_render allows only kinds with an informer */
		if (inf)
			reconcile_check_one(t, inf, kind, json_get_string(json_get(d, "metadata"), "name"),
					    false, d, -1);
	}
	hostkey_secret_name(t->name, hostkey);
	reconcile_check_claims(t);
	reconcile_check_leftovers(t);
	if (cache_get(&c->children[CHILD_SECRET].cache, t->ns, hostkey)) {
		/* cached: judged from the cache, no request */
		reconcile_check_one(t, &c->children[CHILD_SECRET], "Secret", hostkey, false, NULL, -1);
	} else if (t->marked) {
		/* no GET: the create is the check (reconcile_hostkey_created),
		 * after the lookups, which may find the predecessor's key */
		t->hostkey_missing = true;
	} else {
		/* nothing to wait for: made beside the other lookups, one
		 * round trip sooner; a conflict found by them leaves it in
		 * place (it is this DevServer's, and goes with it) */
		t->hostkey_early = true;
		t->checks++;
		reconcile_create_hostkey(t);
	}
	if (--t->checks == 0)
		reconcile_apply_phase(t);
}

/* The predecessor's objects found this round are deleted, each guarded by
 * its uid, and the key comes back right after this round; a round that
 * finds none takes the marks off (adopt.h). */
static void reconcile_adopt_leftovers(struct reconcile_task *t, const struct json *ds)
{
	static const int informer_of[] = {
		[ADOPT_CONFIGMAP] = CHILD_CONFIGMAP, [ADOPT_SERVICE] = CHILD_SERVICE, [ADOPT_SECRET] = CHILD_SECRET,
	};
	struct controller *c = t->c;

	if (!t->marked)
		return;
	if (t->leftovers == 0 && !t->replace_deployment) {
		struct json *patch = adopt_unmark_patch(ds);
		struct kube_call_spec spec = {
			.method = "PATCH", .res = c->devservers.res, .ns = t->ns, .name = t->name,
			.body = patch, .content_type = ADOPT_PATCH_CONTENT_TYPE,
		};

		if (!patch)
			return;
		log_msg(LOG_INFO, "taken over from the predecessor: removing its annotations", "devserver",
			t->key, NULL);
		reconcile_submit(t, &c->devservers, &spec, "remove the predecessor's annotations");
		json_free(patch);
		return;
	}
	for (int i = 0; i < ADOPT_LEFTOVER_COUNT; i++) {
		const struct kube_resource *res = c->children[informer_of[adopt_leftovers[i].kind]].res;
		char name[320], what[400];
		struct json *opts;
		struct kube_call_spec spec = { .method = "DELETE", .res = res, .ns = t->ns, .name = name };

		if (!t->leftover_uid[i][0])
			continue;
		snprintf(name, sizeof(name), "%s%s", t->name, adopt_leftovers[i].suffix);
		snprintf(what, sizeof(what), "delete %s %s", res->kind, name);
		opts = kube_delete_options(t->leftover_uid[i], "Background");
		spec.body = opts;
		log_msg(LOG_INFO, "removing the predecessor's object", "devserver", t->key, "object", what + 7, NULL);
		t->deleted++;
		reconcile_submit(t, NULL, &spec, what);
		json_free(opts);
	}
	if (t->leftovers) {
		char msg[200];

		snprintf(msg, sizeof(msg), "removed %d object%s the predecessor (kopf) operator made for this "
			 "DevServer", t->leftovers, t->leftovers == 1 ? "" : "s");
		events_record(c->events, ds, EVENT_NORMAL, ADOPT_LEFTOVER_REMOVED_REASON, msg, clock_mono_ms());
	}
	queue_add(c->queue, t->key); /* the next round finds none and takes the marks off */
}

static void reconcile_apply_all(struct reconcile_task *t)
{
	const struct json *ds = reconcile_current_ds(t);

	if (!ds)
		return; /* deleted or replaced meanwhile */
	{
		struct plan plan;

		reconcile_plan(t, t->desired, &plan);
		reconcile_execute(t, &plan);
		plan_free(&plan);
	}
	reconcile_adopt_leftovers(t, ds);
	/* told when the round ends (reconcile_end), not beside the applies: the
	 * Event's POST would compete with them for the API server */
	t->announce = t->applied || t->deleted;
}

/* --- a Deployment whose selector cannot change -------------------------------- */

static void reconcile_replaced(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;
	struct controller *c = t->c;

	json_free(obj);
	metrics_count_request(&c->m, "DELETE", rc);
	if (rc == 0 || rc == ERR_NOT_FOUND) {
		const struct json *ds = reconcile_current_ds(t);
		char msg[600];

		t->deployment_replaced = true;
		snprintf(msg, sizeof(msg), "Deployment %s had another selector (it was made by the predecessor "
			 "operator or an earlier policy) and a selector cannot change: it was deleted and is "
			 "created anew, so the pod restarts once", t->replace_name);
		log_msg(LOG_INFO, "replacing a Deployment whose selector cannot change", "devserver", t->key,
			"deployment", t->replace_name, NULL);
		if (ds)
			events_record(c->events, ds, EVENT_NORMAL, ADOPT_REPLACED_REASON, msg, clock_mono_ms());
		reconcile_apply_all(t);
	} else {
		/* 409: a namesake with another uid; the next round looks again */
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, rc, "delete Deployment %s: %s", t->replace_name, err->msg);
		reconcile_note_error(t, rc);
	}
	if (--t->pending == 0)
		reconcile_finish(t);
}

/* Deletes the Deployment noted by reconcile_note_selector (guarded by its
 * uid) before anything is applied; the apply then creates it. Takes a task
 * reference while the call is under way. */
static void reconcile_replace_deployment(struct reconcile_task *t)
{
	struct controller *c = t->c;
	struct json *opts = kube_delete_options(t->replace_uid, "Background");
	struct kube_call_spec spec = {
		.method = "DELETE", .res = c->children[CHILD_DEPLOYMENT].res, .ns = t->ns,
		.name = t->replace_name, .body = opts,
	};
	struct error err;
	uint64_t id;

	c->m.writes++;
	t->pending++;
	id = kube_call_submit(&c->client, &spec, reconcile_replaced, t, &err);
	json_free(opts);
	if (id == 0) {
		t->pending--;
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, err.code, "delete Deployment %s: %s", t->replace_name, err.msg);
		reconcile_note_error(t, err.code);
	}
}

/* Applies, unless a Deployment must first be replaced (that step applies
 * when it is done). */
static void reconcile_write(struct reconcile_task *t)
{
	if (t->replace_deployment && !t->deployment_replaced) {
		reconcile_replace_deployment(t);
		return;
	}
	reconcile_apply_all(t);
}

/* A refusal (reconcile_refuse) told as a Warning Event and a log line. */
static void reconcile_report_refusal(struct reconcile_task *t)
{
	const struct json *ds = reconcile_current_ds(t);

	if (ds)
		events_record(t->c->events, ds, EVENT_WARNING, t->refusal, t->apply_err.msg, clock_mono_ms());
	log_msg(LOG_WARN, "nothing written", "devserver", t->key, "reason", t->refusal,
		"error", t->apply_err.msg, NULL);
}

/* Every lookup answered: apply and prune unless something is in the way. */
static void reconcile_apply_phase(struct reconcile_task *t)
{
	if (t->refused) {
		reconcile_report_refusal(t);
	} else if (t->apply_err.code == 0 && t->hostkey_missing) {
		reconcile_create_hostkey(t); /* continues with reconcile_apply_all */
		return;
	} else if (t->apply_err.code == 0) {
		reconcile_write(t);
	}
	if (--t->pending == 0)
		reconcile_finish(t);
}

/* --- the SSH host key ------------------------------------------------------ */

/* --- the host-key Secret: created with POST, never applied ----------------
 *
 * The create is the ownership check: a Secret of that name, ours but not
 * yet seen or someone else's, makes it fail with AlreadyExists, and only
 * then a GET says whose it is (reconcile_hostkey_found) - it is never taken
 * over. A new DevServer's Secret is created beside the other ownership
 * lookups (reconcile_check_ownership), so the first round costs one round
 * trip and one request less than a GET, then a POST, then the applies.
 * The children are applied only once the Secret exists and is ours, so the
 * pod never mounts a Secret that is not this DevServer's. */

/* The host-key Secret's create (and its lookup after AlreadyExists) has
 * settled; ok: the Secret is this DevServer's. Made during the ownership
 * checks (t->hostkey_early), it holds one of t->checks, and the apply phase
 * follows the last check; made after them, it holds the apply phase's
 * reference and goes on to the applies. */
static void reconcile_hostkey_settled(struct reconcile_task *t, bool ok)
{
	if (t->hostkey_early) {
		if (--t->checks == 0)
			reconcile_apply_phase(t);
		return;
	}
	if (ok)
		reconcile_write(t);
	if (--t->pending == 0)
		reconcile_finish(t);
}

/* The Secret of the host key's name exists though the cache did not hold
 * it: this DevServer's (made by an earlier round whose watch event has not
 * arrived), or someone else's. */
static void reconcile_hostkey_found(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;
	char what[HOSTKEY_SECRET_NAME_MAX_BYTES + 16];
	bool ok = false;

	metrics_count_request(&t->c->m, "GET", rc);
	snprintf(what, sizeof(what), "Secret %s" HOSTKEY_SECRET_SUFFIX, t->name);
	if (rc == 0 && cache_controlled_by(obj, t->uid)) {
		cache_store_newer(&t->c->children[CHILD_SECRET].cache, obj);
		ok = true;
	} else if (rc == 0) {
		reconcile_not_owned(t, what, cache_controller_uid(obj));
		if (!t->hostkey_early)
			reconcile_report_refusal(t); /* else the apply phase does */
		json_free(obj);
	} else {
		json_free(obj);
		/* gone again, or unreadable: the next round looks afresh */
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, rc, "look up %s: %s", what, err->msg);
		reconcile_note_error(t, rc);
	}
	reconcile_hostkey_settled(t, ok);
}

static void reconcile_hostkey_created(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;
	char what[HOSTKEY_SECRET_NAME_MAX_BYTES + 16];

	metrics_count_request(&t->c->m, "POST", rc);
	if (rc == 0) {
		cache_store_newer(&t->c->children[CHILD_SECRET].cache, obj); /* write-through */
		reconcile_hostkey_settled(t, true);
		return;
	}
	json_free(obj);
	snprintf(what, sizeof(what), "Secret %s" HOSTKEY_SECRET_SUFFIX, t->name);
	if (rc == ERR_CONFLICT) {
		char name[HOSTKEY_SECRET_NAME_MAX_BYTES];
		struct kube_call_spec spec = { .method = "GET", .res = t->c->children[CHILD_SECRET].res,
					       .ns = t->ns, .name = name };
		struct error e2;

		/* AlreadyExists: whose is it? (the task's reference passes to
		 * the lookup) */
		hostkey_secret_name(t->name, name);
		if (kube_call_submit(&t->c->client, &spec, reconcile_hostkey_found, t, &e2) != 0)
			return;
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, e2.code, "look up %s: %s", what, e2.msg);
		reconcile_note_error(t, e2.code);
	} else {
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, rc, "create %s: %s", what, err->msg);
		reconcile_note_error(t, rc);
	}
	reconcile_hostkey_settled(t, false);
}

static void reconcile_create_hostkey(struct reconcile_task *t)
{
	struct controller *c = t->c;
	const struct json *ds = reconcile_current_ds(t);
	struct json *secret = NULL;
	struct error err;
	struct kube_call_spec spec = {
		.method = "POST", .res = c->children[CHILD_SECRET].res, .ns = t->ns,
	};

	if (ds && t->pred_hostkeys) {
		/* the key users pinned while the predecessor ran stays valid */
		if (hostkey_secret_from_predecessor(ds, t->pred_hostkeys, &secret, &err) == 0)
			log_msg(LOG_INFO, "reusing the predecessor's SSH host key", "devserver", t->key, NULL);
		else
			log_msg(LOG_WARN, "the predecessor's host key is not usable; generating a new one",
				"devserver", t->key, "error", err.msg, NULL);
	}
	if (ds && !secret && hostkey_secret_new(ds, &secret, &err) < 0) {
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, err.code, "%s", err.msg);
		reconcile_note_error(t, err.code);
	}
	if (!secret) { /* deleted meanwhile, or no key could be made */
		reconcile_hostkey_settled(t, false);
		return;
	}
	spec.body = secret;
	log_msg(LOG_INFO, "creating the SSH host key", "devserver", t->key, NULL);
	c->m.writes++;
	t->applied++;
	if (kube_call_submit(&c->client, &spec, reconcile_hostkey_created, t, &err) == 0) {
		if (t->apply_err.code == 0)
			error_set(&t->apply_err, err.code, "create the host-key Secret: %s", err.msg);
		reconcile_note_error(t, err.code);
		reconcile_hostkey_settled(t, false);
	}
	hostkey_secret_free(secret);
}

/* --- TTL --------------------------------------------------------------------- */

static void reconcile_expired_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;

	json_free(obj);
	metrics_count_request(&t->c->m, "DELETE", rc);
	if (rc < 0 && rc != ERR_NOT_FOUND && rc != ERR_CONFLICT) {
		log_msg(LOG_WARN, "deleting an expired DevServer failed", "devserver", t->key,
			"error", err->msg, NULL);
		reconcile_note_error(t, rc);
	}
	reconcile_end(t);
}

static void reconcile_expire(struct reconcile_task *t, const struct json *ds)
{
	struct controller *c = t->c;
	struct json *opts = kube_delete_options(t->uid, "Background");
	char at[CLOCK_RFC3339_BYTES], cap[LIFECYCLE_CAP_TEXT_BYTES];
	char msg[CLOCK_RFC3339_BYTES + LIFECYCLE_CAP_TEXT_BYTES + 64];
	struct error err;
	struct kube_call_spec spec = {
		.method = "DELETE", .res = c->devservers.res, .ns = t->ns, .name = t->name, .body = opts,
	};

	clock_format_rfc3339(t->lc.expires_at, at);
	lifecycle_cap_text(&t->lc, cap);
	/* which cap ended it, if one did: the user's own timeToLive may be longer */
	snprintf(msg, sizeof(msg), "time-to-live ran out at %s%s%s%s; deleting", at,
		 *cap ? " (" : "", cap, *cap ? ")" : "");
	log_msg(LOG_INFO, "expired", "devserver", t->key, "expiresAt", at,
		*cap ? "cap" : NULL, cap, NULL);
	events_record(c->events, ds, EVENT_NORMAL, "Expired", msg, clock_mono_ms());
	c->m.expired++;
	c->m.writes++;
	if (kube_call_submit(&c->client, &spec, reconcile_expired_done, t, &err) == 0) {
		reconcile_note_error(t, err.code);
		reconcile_end(t);
	}
	json_free(opts);
}

/* --- the predecessor's finalizer -------------------------------------------- */

static void reconcile_finalizer_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct reconcile_task *t = ud;
	struct controller *c = t->c;

	metrics_count_request(&c->m, "PATCH", rc);
	if (rc == 0) {
		log_msg(LOG_INFO, "removed the predecessor's finalizer", "devserver", t->key, NULL);
		if (obj)
			events_record(c->events, obj, EVENT_NORMAL, FINALIZER_REMOVED_REASON,
				      "removed the finalizer of the predecessor (kopf) operator: "
				      "devserver-operator has taken this DevServer over and needs no "
				      "finalizer, so it can be deleted", clock_mono_ms());
		cache_store_newer(&c->devservers.cache, obj);
		queue_add(c->queue, t->key); /* go on with the object as it is now */
	} else {
		json_free(obj);
		/* 422 from a failed test: the list changed meanwhile; the watch
		 * brings the newer object and the retry patches that */
		log_msg(LOG_WARN, "could not remove the predecessor's finalizer", "devserver", t->key,
			"error", err->msg, NULL);
		reconcile_note_error(t, rc);
	}
	reconcile_end(t);
}

/* Takes kopf's finalizer off ds (finalizer.h), whether or not it is being
 * deleted: a DevServer deleted while it carried that finalizer waits for
 * this. Returns true when the call is under way; the task then ends in its
 * callback and the next reconcile sees the result. */
static bool reconcile_release_finalizer(struct reconcile_task *t, const struct json *ds)
{
	struct controller *c = t->c;
	struct json *patch = finalizer_removal_patch(ds);
	char names[FINALIZER_NAMES_MAX_BYTES];
	struct error err;
	uint64_t id;
	struct kube_call_spec call = {
		.method = "PATCH", .res = c->devservers.res, .ns = t->ns, .name = t->name,
		.content_type = FINALIZER_PATCH_CONTENT_TYPE,
	};

	if (!patch)
		return false;
	finalizer_predecessor_names(ds, names);
	log_msg(LOG_INFO, "removing the predecessor's finalizer", "devserver", t->key, "finalizers", names, NULL);
	call.body = patch;
	c->m.writes++;
	id = kube_call_submit(&c->client, &call, reconcile_finalizer_done, t, &err);
	json_free(patch);
	if (id == 0) {
		log_msg(LOG_WARN, "could not remove the predecessor's finalizer", "devserver", t->key,
			"error", err.msg, NULL);
		reconcile_note_error(t, err.code);
		reconcile_end(t);
	}
	return true;
}

/* --- the entry point ------------------------------------------------------- */

void reconcile_start(struct controller *c, const char *key)
{
	struct reconcile_task *t = mem_calloc(1, sizeof(*t));
	const struct json *ds, *flavor = NULL, *named_flavor = NULL, *spec;
	const struct json **flavors = NULL;
	struct json *desired = NULL;
	struct policy_engine *engine;
	const char *mode;
	size_t nflavors;
	struct error err;
	int64_t now_s;
	int rc;

	c->m.reconciles++;
	t->c = c;
	t->started_ns = clock_mono_ns();
	snprintf(t->key, sizeof(t->key), "%s", key);
	if (!cache_key_split(key, t->ns, sizeof(t->ns), t->name, sizeof(t->name))) {
		reconcile_end(t);
		return;
	}
	ds = cache_get(&c->devservers.cache, t->ns, t->name);
	if (ds) {
		snprintf(t->uid, sizeof(t->uid), "%s", json_get_string(json_get(ds, "metadata"), "uid") ?: "");
		if (reconcile_release_finalizer(t, ds))
			return;
	}
	if (!ds || json_path(ds, "metadata", "deletionTimestamp", NULL)) {
		reconcile_end(t); /* gone or going: garbage collection removes the children */
		return;
	}
	spec = json_get(ds, "spec");

	/* flavor */
	nflavors = cache_list(&c->flavors.cache, NULL, NULL, &flavors);
	if (flavor_resolve_via(ds, flavors, nflavors, &named_flavor, &flavor, &t->flavor_err) == 0) {
		const struct json *fv = json_path(flavor, "spec", "volumes", NULL);

		snprintf(t->flavor_name, sizeof(t->flavor_name), "%s",
			 json_get_string(json_get(flavor, "metadata"), "name"));
		if (named_flavor != flavor)
			snprintf(t->flavor_replaced, sizeof(t->flavor_replaced), "%s",
				 json_get_string(json_get(named_flavor, "metadata"), "name"));
		t->flavor_claims = json_new_array();
		for (size_t i = 0; fv && fv->type == JSON_ARRAY && i < fv->u.arr.len; i++) {
			const char *claim = json_get_string(fv->u.arr.items[i], "claimName");

			if (claim)
				json_array_push_take(t->flavor_claims, json_new_string(claim));
		}
	}
	else
		events_record(c->events, ds, EVENT_WARNING, "FlavorNotResolved", t->flavor_err.msg,
			      clock_mono_ms());

	/* time-to-live: a queue timer for the expiry, never polling */
	now_s = clock_wall_ms() / 1000;
	if (lifecycle_compute(ds, flavor, c->opt.max_ttl_s, &t->lc, &err) < 0) {
		log_msg(LOG_WARN, "cannot compute the time-to-live", "devserver", key, "error", err.msg, NULL);
	} else if (t->lc.expires && now_s >= t->lc.expires_at) {
		free(flavors);
		reconcile_expire(t, ds);
		return;
	} else if (t->lc.expires) {
		int64_t warn_at = t->lc.expires_at - c->opt.expiry_warning_s;

		queue_add_after(c->queue, key, (t->lc.expires_at - now_s) * 1000 + 50, clock_mono_ms());
		/* and one for the warning, so ExpiringSoon appears on time */
		if (c->opt.expiry_warning_s > 0 && warn_at > now_s)
			queue_add_after(c->queue, key, (warn_at - now_s) * 1000 + 50, clock_mono_ms());
	}

	/* the rollout of the flavor the DevServer names: a deprecated one's
	 * decides how its DevServers move to the replacement */
	t->hold_restarts = c->opt.hold_restarts &&
		strcmp(json_get_string(json_path(named_flavor ? named_flavor : flavor, "spec", NULL), "rollout") ?:
		       "OnRestart", "Immediate") != 0;
	if (idle_timeout(ds, flavor, &t->idle_timeout_s, &t->idle_enabled, &err) < 0)
		log_msg(LOG_WARN, "cannot read the idle timeout", "devserver", key, "error", err.msg, NULL);

	if (t->flavor_err.code)
		goto finish;

	/* render */
	t->rendered = true;
	engine = policy_source_engine(&c->policy);
	snprintf(t->revision, sizeof(t->revision), "%s", policy_engine_revision(engine));
	mode = json_get_string(spec, "mode");
	if (mode && strcmp(mode, "distributed") == 0) {
		error_set(&t->render_err, ERR_POLICY, "spec.mode distributed is not supported yet; "
			  "use standalone");
		events_record(c->events, ds, EVENT_WARNING, "Unsupported", t->render_err.msg, clock_mono_ms());
		goto finish;
	}
	snprintf(t->inputs, sizeof(t->inputs), "policy=%s flavor=%s/%lld", t->revision, t->flavor_name,
		 (long long)json_get_int(json_get(flavor, "metadata"), "generation", 0));
	{
		struct render_options ro = { c->opt.default_image, c->opt.tools_image, t->inputs };

		rc = render_children(engine, ds, flavor, t->ns, &ro, &desired, &t->render_err);
	}
	metrics_observe_render(&c->m, (double)policy_engine_last_render_ns(engine) / 1e9);
	if (rc < 0) {
		log_msg(LOG_WARN, "policy failed", "devserver", key, "revision", t->revision,
			"error", t->render_err.msg, NULL);
		events_record(c->events, ds, EVENT_WARNING, "PolicyError", t->render_err.msg, clock_mono_ms());
		goto finish;
	}

	/* ownership, then apply and prune */
	t->apply_attempted = true;
	t->desired = desired;
	t->pending = 1; /* held until the apply phase has submitted everything */
	free(flavors);
	reconcile_check_ownership(t);
	return;
finish:
	free(flavors);
	reconcile_finish(t);
}
