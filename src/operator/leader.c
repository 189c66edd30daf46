/* leader.c - Lease-based leader election (see leader.h).
 *
 * One cycle every LEADER_RETRY_MS: GET the lease, decide, and CREATE or
 * PUT (with the resourceVersion read, so two candidates cannot both win: the
 * loser gets 409 and waits). Expiry is judged by how long this process has
 * seen the same record, never by comparing timestamps written by another
 * machine's clock.
 */
#include "operator/leader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

struct leader {
	struct kube_client *client;
	const struct kube_resource *res;
	char *ns;
	char *identity;
	leader_change_fn on_change;
	void *ud;
	bool leading;
	bool busy;                 /* a cycle is in flight */
	char observed_rv[64];
	int64_t observed_ms;
	int64_t last_renew_ms;     /* last successful write while leading */
	struct json *last;         /* the lease as last read or written */
	uint64_t timer;
};

enum leader_action leader_decide(const struct json *lease, const char *identity,
				 const char *observed_rv, int64_t observed_ms, int64_t now_ms)
{
	const struct json *spec = json_get(lease, "spec");
	const char *holder = json_get_string(spec, "holderIdentity");
	const char *rv = json_get_string(json_get(lease, "metadata"), "resourceVersion");
	int64_t duration_ms = json_get_int(spec, "leaseDurationSeconds", LEADER_LEASE_MS / 1000) * 1000;

	if (!lease)
		return LEADER_CREATE;
	if (holder && strcmp(holder, identity) == 0)
		return LEADER_RENEW;
	if (!holder || !*holder)
		return LEADER_TAKE;
	/* held by someone else: free only once the record sat unchanged for a
	 * whole lease duration as seen from here */
	if (rv && observed_rv && strcmp(rv, observed_rv) == 0 && now_ms - observed_ms > duration_ms)
		return LEADER_TAKE;
	return LEADER_WAIT;
}

static void leader_micro_time(int64_t wall_us, char *out, size_t size)
{
	char base[CLOCK_RFC3339_BYTES];

	clock_format_rfc3339(wall_us / 1000000, base);
	/* "2026-11-26T10:00:00Z" -> "2026-11-26T10:00:00.123456Z" (MicroTime) */
	snprintf(out, size, "%.19s.%06lldZ", base, (long long)(wall_us % 1000000));
}

struct json *leader_lease_body(const struct json *old, enum leader_action action, const char *ns,
			       const char *identity, int64_t wall_us)
{
	const struct json *old_spec = json_get(old, "spec");
	struct json *lease = json_new_object(), *meta = json_new_object(), *spec = json_new_object();
	const char *rv = json_get_string(json_get(old, "metadata"), "resourceVersion");
	int64_t transitions = json_get_int(old_spec, "leaseTransitions", 0);
	char now[40];

	leader_micro_time(wall_us, now, sizeof(now));
	json_object_set_take(lease, "apiVersion", json_new_string("coordination.k8s.io/v1"));
	json_object_set_take(lease, "kind", json_new_string("Lease"));
	json_object_set_take(meta, "name", json_new_string(LEADER_LEASE_NAME));
	json_object_set_take(meta, "namespace", json_new_string(ns));
	if (rv && action != LEADER_CREATE)
		json_object_set_take(meta, "resourceVersion", json_new_string(rv));
	json_object_set_take(lease, "metadata", meta);
	json_object_set_take(spec, "holderIdentity", json_new_string(identity));
	json_object_set_take(spec, "leaseDurationSeconds", json_new_int(LEADER_LEASE_MS / 1000));
	json_object_set_take(spec, "renewTime", json_new_string(now));
	if (action == LEADER_RENEW && json_get_string(old_spec, "acquireTime")) {
		json_object_set_take(spec, "acquireTime", json_new_string(json_get_string(old_spec, "acquireTime")));
		json_object_set_take(spec, "leaseTransitions", json_new_int(transitions));
	} else {
		json_object_set_take(spec, "acquireTime", json_new_string(now));
		json_object_set_take(spec, "leaseTransitions",
				     json_new_int(action == LEADER_TAKE ? transitions + 1 : transitions));
	}
	json_object_set_take(lease, "spec", spec);
	return lease;
}

struct leader *leader_new(struct kube_client *client, const char *ns, const char *identity,
			  leader_change_fn on_change, void *ud)
{
	struct leader *l = mem_calloc(1, sizeof(*l));

	l->client = client;
	l->res = kube_resource_find("coordination.k8s.io/v1", "Lease");
	l->ns = mem_strdup(ns);
	l->identity = mem_strdup(identity);
	l->on_change = on_change;
	l->ud = ud;
	return l;
}

bool leader_is_leading(const struct leader *l)
{
	return l->leading;
}

static void leader_set(struct leader *l, bool leading)
{
	if (l->leading == leading)
		return;
	l->leading = leading;
	log_msg(LOG_INFO, leading ? "became the leader" : "lost the leadership",
		"lease", LEADER_LEASE_NAME, "identity", l->identity, NULL);
	l->on_change(l->ud, leading);
}

static void leader_cycle(void *ud);

static void leader_schedule(struct leader *l, int64_t delay_ms)
{
	l->busy = false;
	l->timer = kube_http_timer_add(l->client->http, delay_ms, leader_cycle, l);
}

/* Leading but the write failed: step down once the renew deadline passed. */
static void leader_check_deadline(struct leader *l)
{
	if (l->leading && clock_mono_ms() - l->last_renew_ms > LEADER_RENEW_DEADLINE_MS)
		leader_set(l, false);
}

static void leader_written(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct leader *l = ud;

	if (rc == 0 && obj) {
		json_free(l->last);
		l->last = obj;
		l->last_renew_ms = clock_mono_ms();
		leader_set(l, true);
	} else {
		json_free(obj);
		if (rc != ERR_CONFLICT) /* a conflict is just losing the race */
			log_msg(LOG_WARN, "lease write failed", "error", err ? err->msg : "", NULL);
		leader_check_deadline(l);
	}
	leader_schedule(l, LEADER_RETRY_MS);
}

static void leader_read(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct leader *l = ud;
	const char *rv;
	enum leader_action action;
	int64_t now = clock_mono_ms();
	struct error e;

	if (rc < 0 && rc != ERR_NOT_FOUND) {
		json_free(obj);
		log_msg(LOG_WARN, "reading the lease failed", "error", err ? err->msg : "", NULL);
		leader_check_deadline(l);
		leader_schedule(l, LEADER_RETRY_MS);
		return;
	}
	if (rc == ERR_NOT_FOUND) {
		json_free(obj);
		obj = NULL;
	}
	rv = json_get_string(json_get(obj, "metadata"), "resourceVersion");
	if (rv && strcmp(rv, l->observed_rv) != 0) {
		snprintf(l->observed_rv, sizeof(l->observed_rv), "%s", rv);
		l->observed_ms = now;
	}
	action = leader_decide(obj, l->identity, l->observed_rv, l->observed_ms, now);
	if (action == LEADER_WAIT) {
		json_free(obj);
		if (l->leading) /* someone else holds it now: we lost it */
			leader_set(l, false);
		leader_schedule(l, LEADER_RETRY_MS);
		return;
	}
	{
		struct json *body = leader_lease_body(obj, action, l->ns, l->identity,
						      clock_wall_ms() * 1000);
		struct kube_call_spec spec = {
			.method = action == LEADER_CREATE ? "POST" : "PUT",
			.res = l->res,
			.ns = l->ns,
			.name = action == LEADER_CREATE ? NULL : LEADER_LEASE_NAME,
			.body = body,
		};

		if (kube_call_submit(l->client, &spec, leader_written, l, &e) == 0) {
			log_msg(LOG_WARN, "lease write failed to start", "error", e.msg, NULL);
			leader_schedule(l, LEADER_RETRY_MS);
		}
		json_free(body);
	}
	json_free(obj);
}

static void leader_cycle(void *ud)
{
	struct leader *l = ud;
	struct error e;
	struct kube_call_spec spec = {
		.method = "GET", .res = l->res, .ns = l->ns, .name = LEADER_LEASE_NAME,
	};

	l->timer = 0;
	l->busy = true;
	if (kube_call_submit(l->client, &spec, leader_read, l, &e) == 0) {
		log_msg(LOG_WARN, "reading the lease failed to start", "error", e.msg, NULL);
		leader_schedule(l, LEADER_RETRY_MS);
	}
}

void leader_start(struct leader *l)
{
	leader_cycle(l);
}

void leader_release_free(struct leader *l)
{
	if (!l)
		return;
	if (l->timer)
		kube_http_timer_cancel(l->client->http, l->timer);
	if (l->leading && l->last) {
		struct json *body = leader_lease_body(l->last, LEADER_RENEW, l->ns, "", clock_wall_ms() * 1000);
		struct error e;
		struct kube_call_spec spec = {
			.method = "PUT", .res = l->res, .ns = l->ns, .name = LEADER_LEASE_NAME, .body = body,
		};

		/* holder cleared and a 1 s duration: a standby takes over at once */
		json_object_set_take(json_get(body, "spec"), "leaseDurationSeconds", json_new_int(1));
		if (kube_call(l->client, &spec, NULL, &e) == 0)
			log_msg(LOG_INFO, "lease released", "lease", LEADER_LEASE_NAME, NULL);
		else
			log_msg(LOG_WARN, "releasing the lease failed", "error", e.msg, NULL);
		json_free(body);
	}
	json_free(l->last);
	free(l->ns);
	free(l->identity);
	free(l);
}
