/* status.c - status from observation (see status.h).
 *
 * Phase, in order of precedence: Failed (flavor, policy or apply error, or a
 * pod problem that needs the user), Stopped (spec.stopped), Running (the
 * Deployment has an available replica), Pending (nothing observed yet, or the
 * pod cannot be scheduled), Provisioning (everything else). Conditions:
 * FlavorResolved, PolicyRendered, Applied, Available and their conjunction
 * Ready, in metav1.Condition shape. Text from outside (error messages, the
 * pod's) is cut with core/utf8, never inside a character: the API server
 * would store U+FFFD instead and the status would differ on every reconcile.
 */
#include "operator/status.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "operator/conditions.h"

/* the ExpiringSoon message: its wording, a timestamp, a DevServer name (at
 * most 253 bytes) or a cap text (LIFECYCLE_CAP_TEXT_BYTES) */
#define STATUS_EXPIRY_MSG_BYTES 512

static const char *const status_hard_reasons[] = {
	"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff",
	"CreateContainerConfigError", "CreateContainerError", "RunContainerError",
};

bool status_pod_problem(const struct json *pod, const char **reason, const char **message,
			bool *hard)
{
	const struct json *st = json_get(pod, "status"), *list, *c;

	*hard = false;
	/* init containers first: while one fails, the main container only
	 * waits in PodInitializing */
	for (int pass = 0; pass < 2; pass++) {
		list = json_get(st, pass == 0 ? "initContainerStatuses" : "containerStatuses");
		for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++) {
			const struct json *waiting = json_path(list->u.arr.items[i], "state", "waiting", NULL);
			const char *r = json_get_string(waiting, "reason");

			if (!r || strcmp(r, "ContainerCreating") == 0 || strcmp(r, "PodInitializing") == 0)
				continue;
			*reason = r;
			*message = json_get_string(waiting, "message");
			for (size_t k = 0; k < sizeof(status_hard_reasons) / sizeof(status_hard_reasons[0]); k++)
				if (strcmp(r, status_hard_reasons[k]) == 0)
					*hard = true;
			return true;
		}
	}
	list = json_get(st, "conditions");
	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++) {
		c = list->u.arr.items[i];
		if (json_get_string(c, "type") && strcmp(json_get_string(c, "type"), "PodScheduled") == 0 &&
		    json_get_string(c, "status") && strcmp(json_get_string(c, "status"), "False") == 0) {
			*reason = json_get_string(c, "reason") ? json_get_string(c, "reason") : "Unschedulable";
			*message = json_get_string(c, "message");
			return true;
		}
	}
	return false;
}

/* Whether a claim's creationTimestamp is less than STATUS_CLAIM_YOUNG_S
 * before now. */
static bool claim_young(const struct json *claim, int64_t now)
{
	const char *created = json_get_string(json_get(claim, "metadata"), "creationTimestamp");
	int64_t t;

	return created && clock_parse_rfc3339(created, &t) == 0 && now - t < STATUS_CLAIM_YOUNG_S;
}

bool status_volumes_provisioning(const struct json *const *claims, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		const char *phase = json_get_string(json_get(claims[i], "status"), "phase");
		const struct json *ann = json_path(claims[i], "metadata", "annotations", NULL);

		if (!claims[i] || !phase)
			return false;
		if (strcmp(phase, "Bound") == 0)
			continue;
		if (strcmp(phase, "Pending") != 0)
			return false;
		if (!json_get_string(ann, STATUS_PROVISIONER_ANNOTATION) &&
		    !json_get_string(ann, STATUS_PROVISIONER_ANNOTATION_BETA) && !claim_young(claims[i], now))
			return false;
	}
	return n > 0;
}

bool status_volume_wait(const struct json *pod, int64_t now, int64_t *until)
{
	const struct json *list = json_path(pod, "status", "conditions", NULL);

	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++) {
		const struct json *c = list->u.arr.items[i];
		const char *type = json_get_string(c, "type"), *st = json_get_string(c, "status");
		const char *msg = json_get_string(c, "message");
		const char *since = json_get_string(c, "lastTransitionTime");
		int64_t t;

		if (!type || strcmp(type, "PodScheduled") != 0)
			continue;
		if (!st || strcmp(st, "False") != 0 || !msg || !strstr(msg, STATUS_UNBOUND_CLAIMS_TEXT) ||
		    !since || clock_parse_rfc3339(since, &t) != 0)
			return false;
		*until = t + STATUS_VOLUME_WAIT_MAX_S;
		return now < *until;
	}
	return false;
}

static void status_add_condition(struct json *list, const struct status_inputs *in,
				 const char *type, bool ok, const char *reason, const char *message)
{
	condition_append(list, json_path(in->ds, "status", "conditions", NULL), type, ok, reason,
			 message, json_get_int(json_get(in->ds, "metadata"), "generation", 0), in->now);
}

static bool status_failed(const struct error *e)
{
	return e && e->code != 0;
}

struct json *status_compute(const struct status_inputs *in)
{
	const struct json *spec = json_get(in->ds, "spec");
	const char *name = json_get_string(json_get(in->ds, "metadata"), "name");
	const char *ns = json_get_string(json_get(in->ds, "metadata"), "namespace");
	bool stopped = json_get_bool(spec, "stopped", false);
	bool flavor_ok = !status_failed(in->flavor_err);
	bool render_ok = flavor_ok && in->render_err && !status_failed(in->render_err);
	bool applied = render_ok && in->apply_err && !status_failed(in->apply_err);
	int64_t available = json_get_int(json_get(in->deployment, "status"), "availableReplicas", 0);
	const char *pod_reason = NULL, *pod_message = NULL;
	bool pod_hard = false, pod_problem = false, is_available;
	const char *phase, *avail_reason;
	char message[512], avail_msg[512];
	struct json *st = json_new_object(), *conds = json_new_array();

	if (in->pod)
		pod_problem = status_pod_problem(in->pod, &pod_reason, &pod_message, &pod_hard);
	if (pod_problem && !pod_hard) {
		int64_t until;

		/* its home is being provisioned: Provisioning, as before the pod */
		if (in->volumes_provisioning && status_volume_wait(in->pod, in->now, &until))
			pod_problem = false;
	}
	is_available = applied && !stopped && in->deployment && available > 0;

	/* Available: what the Deployment and its pod say. */
	if (stopped && in->stopped_idle) {
		avail_reason = "Idle";
		snprintf(avail_msg, sizeof(avail_msg), "stopped after %lldm without an SSH session or a "
			 "process of its user: scaled to zero, home kept; devctl start resumes it",
			 (long long)(in->idle_timeout_s / 60));
	} else if (stopped) {
		avail_reason = "Stopped";
		snprintf(avail_msg, sizeof(avail_msg), "spec.stopped is true: scaled to zero, home kept");
	} else if (is_available) {
		avail_reason = "MinimumReplicasAvailable";
		snprintf(avail_msg, sizeof(avail_msg), "the DevServer's pod is ready");
	} else if (pod_problem) {
		avail_reason = pod_reason;
		utf8_format(avail_msg, sizeof(avail_msg), "%s%s%s", pod_reason,
			 pod_message ? ": " : "", pod_message ? pod_message : "");
	} else if (!in->deployment) {
		avail_reason = "NotCreated";
		snprintf(avail_msg, sizeof(avail_msg), "the Deployment does not exist yet");
	} else {
		avail_reason = "Progressing";
		snprintf(avail_msg, sizeof(avail_msg), "waiting for the pod to become ready");
	}

	if (flavor_ok && in->flavor_replaced) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s (DevServerFlavor %s is deprecated and replaced by it)",
			 in->flavor_name, in->flavor_replaced);
		status_add_condition(conds, in, "FlavorResolved", true, "Replaced", msg);
	} else {
		status_add_condition(conds, in, "FlavorResolved", flavor_ok, flavor_ok ? "Resolved" :
				     (in->flavor_err->code == ERR_NOT_FOUND ? "FlavorNotFound" : "FlavorInvalid"),
				     flavor_ok ? in->flavor_name : in->flavor_err->msg);
	}
	if (!flavor_ok)
		status_add_condition(conds, in, "PolicyRendered", false, "FlavorNotResolved",
				     "waiting for the flavor");
	else
		status_add_condition(conds, in, "PolicyRendered", render_ok,
				     render_ok ? "Rendered" : "PolicyError",
				     render_ok ? in->policy_revision : in->render_err->msg);
	if (!render_ok)
		status_add_condition(conds, in, "Applied", false, "NotRendered", "nothing to apply");
	else
		status_add_condition(conds, in, "Applied", applied,
				     applied ? "Applied" : in->apply_reason ? in->apply_reason : "ApplyFailed",
				     applied ? "all children applied" : in->apply_err->msg);
	status_add_condition(conds, in, "Available", is_available, avail_reason, avail_msg);

	if (!flavor_ok) {
		phase = "Failed";
		utf8_format(message, sizeof(message), "%s", in->flavor_err->msg);
	} else if (!render_ok) {
		phase = "Failed";
		utf8_format(message, sizeof(message), "policy: %s", in->render_err ? in->render_err->msg : "not run");
	} else if (!applied) {
		phase = "Failed";
		utf8_format(message, sizeof(message), "apply: %s", in->apply_err ? in->apply_err->msg : "not run");
	} else if (stopped) {
		phase = "Stopped";
		snprintf(message, sizeof(message), "%s", avail_msg);
	} else if (is_available) {
		phase = "Running";
		snprintf(message, sizeof(message), "ready");
	} else if (pod_problem && pod_hard) {
		phase = "Failed";
		snprintf(message, sizeof(message), "%s", avail_msg);
	} else if (pod_problem || !in->deployment) {
		phase = "Pending";
		snprintf(message, sizeof(message), "%s", avail_msg);
	} else {
		phase = "Provisioning";
		snprintf(message, sizeof(message), "%s", avail_msg);
	}
	status_add_condition(conds, in, "Ready", strcmp(phase, "Running") == 0,
			     strcmp(phase, "Running") == 0 ? "Ready" : phase, message);
	if (in->expires && in->expiry_warning_s > 0) {
		/* warned a configurable time ahead; devctl extend clears it */
		bool soon = in->now >= in->expires_at - in->expiry_warning_s;
		bool capped = in->ttl_cap && *in->ttl_cap;
		char at[CLOCK_RFC3339_BYTES], msg[STATUS_EXPIRY_MSG_BYTES];

		/* no "in 25m": the message must not change while nothing else does.
		 * A capped TTL names its cap, and extending it would not help. */
		clock_format_rfc3339(in->expires_at, at);
		if (soon && capped)
			snprintf(msg, sizeof(msg), "the time-to-live runs out at %s (%s): the DevServer is "
				 "then deleted", at, in->ttl_cap);
		else if (soon)
			snprintf(msg, sizeof(msg), "the time-to-live runs out at %s: the DevServer is then "
				 "deleted; devctl extend %s --by DURATION keeps it longer", at,
				 name ? name : "NAME");
		else if (capped)
			snprintf(msg, sizeof(msg), "the time-to-live runs out at %s (%s)", at, in->ttl_cap);
		else
			snprintf(msg, sizeof(msg), "the time-to-live runs out at %s", at);
		status_add_condition(conds, in, "ExpiringSoon", soon, soon ? "TimeToLiveEnding" : "NotSoon",
				     msg);
	}

	json_object_set_take(st, "phase", json_new_string(phase));
	json_object_set_take(st, "message", json_new_string(message));
	json_object_set_take(st, "conditions", conds);
	json_object_set_take(st, "observedGeneration",
			     json_new_int(json_get_int(json_get(in->ds, "metadata"), "generation", 0)));
	if (in->flavor_name)
		json_object_set_take(st, "flavor", json_new_string(in->flavor_name));
	if (in->policy_revision && render_ok) {
		struct json *p = json_new_object();

		json_object_set_take(p, "revision", json_new_string(in->policy_revision));
		json_object_set_take(st, "policy", p);
	}
	if (in->expires) {
		char at[CLOCK_RFC3339_BYTES];

		clock_format_rfc3339(in->expires_at, at);
		json_object_set_take(st, "expiresAt", json_new_string(at));
	}
	if (in->pending_restart) {
		struct json *pr = json_new_object();
		const char *since = json_get_string(json_path(in->ds, "status", "pendingRestart", NULL), "since");
		char at[CLOCK_RFC3339_BYTES];

		json_object_set_take(pr, "changes", json_new_string(in->pending_restart));
		if (!since) {
			clock_format_rfc3339(in->now, at);
			since = at;
		}
		json_object_set_take(pr, "since", json_new_string(since));
		json_object_set_take(st, "pendingRestart", pr);
	}
	if (in->last_activity > 0) {
		char at[CLOCK_RFC3339_BYTES];

		clock_format_rfc3339(in->last_activity, at);
		json_object_set_take(st, "lastActivityTime", json_new_string(at));
	} else if (json_get_string(json_get(in->ds, "status"), "lastActivityTime")) {
		/* what an earlier reading said (this operator may just have started) */
		json_object_set_take(st, "lastActivityTime",
				     json_new_string(json_get_string(json_get(in->ds, "status"), "lastActivityTime")));
	}
	if ((in->ssh_service || in->ssh_host_key) && name && ns) {
		struct json *ssh = json_new_object();

		if (in->ssh_service) {
			json_object_set_take(ssh, "service", json_new_string(in->ssh_service));
			json_object_set_take(ssh, "port", json_new_int(in->ssh_port));
		}
		if (in->ssh_host_key) {
			json_object_set_take(ssh, "hostKey", json_new_string(in->ssh_host_key));
			json_object_set_take(ssh, "hostKeyFingerprint",
					     json_new_string(in->ssh_host_key_fingerprint));
		}
		json_object_set_take(st, "ssh", ssh);
	}
	if (in->ssh_service && name && ns) {
		struct json *conn = json_new_object();
		char text[512];

		snprintf(text, sizeof(text), "devctl ssh %s -n %s", name, ns);
		json_object_set_take(conn, "ssh", json_new_string(text));
		snprintf(text, sizeof(text), "kubectl -n %s exec -it deploy/%s -c devserver -- /bin/sh -l",
			 ns, name);
		json_object_set_take(conn, "shell", json_new_string(text));
		json_object_set_take(st, "connection", conn);
	}
	return st;
}

static const struct json *status_find_condition(const struct json *status, const char *type)
{
	const struct json *list = json_get(status, "conditions");

	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++)
		if (strcmp(json_get_string(list->u.arr.items[i], "type") ?: "", type) == 0)
			return list->u.arr.items[i];
	return NULL;
}

bool status_condition_became_true(const struct json *old_status, const struct json *new_status,
				  const char *type)
{
	const char *now = json_get_string(status_find_condition(new_status, type), "status");
	const char *before = json_get_string(status_find_condition(old_status, type), "status");

	return now && strcmp(now, "True") == 0 && !(before && strcmp(before, "True") == 0);
}

const char *status_condition_message(const struct json *status, const char *type)
{
	return json_get_string(status_find_condition(status, type), "message") ?: "";
}
