/* events.c - rate-limited Event recording (see events.h).
 *
 * Tracked objects sit in a small array searched linearly by uid: bounded at
 * EVENTS_MAX_TRACKED and touched only when something happens, which at steady
 * state is never. Each entry remembers the last few event signatures for
 * deduplication.
 */
#include "operator/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/utf8.h"

#define EVENTS_SIGNATURES 4

struct events_entry {
	char uid[64];
	int64_t last_used_ms;
	double tokens;
	int64_t refill_at_ms;
	uint64_t signatures[EVENTS_SIGNATURES];
	int64_t signature_ms[EVENTS_SIGNATURES];
};

struct events {
	struct kube_client *client;
	char *component;
	struct events_entry *entries;
	size_t len;
	uint64_t counter;
	struct events_stats stats;
};

struct events *events_new(struct kube_client *client, const char *component)
{
	struct events *ev = mem_calloc(1, sizeof(*ev));

	ev->client = client;
	ev->component = mem_strdup(component);
	ev->entries = mem_calloc(EVENTS_MAX_TRACKED, sizeof(*ev->entries));
	return ev;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	free(ev->component);
	free(ev->entries);
	free(ev);
}

void events_stats(const struct events *ev, struct events_stats *out)
{
	*out = ev->stats;
}

static uint64_t events_signature(int type, const char *reason, const char *message)
{
	uint64_t h = HASH_FNV1A64_SEED_COMPAT ^ (uint64_t)type;
	const char *parts[2] = { reason, message };

	for (int i = 0; i < 2; i++) {
		if (parts[i])
			h = hash_fnv1a64_update(h, parts[i], strlen(parts[i]));
		h = hash_fnv1a64_update(h, "\xff", 1); /* ends each part */
	}
	return h;
}

static struct events_entry *events_entry(struct events *ev, const char *uid, int64_t now_ms)
{
	struct events_entry *oldest = NULL;

	for (size_t i = 0; i < ev->len; i++) {
		if (strcmp(ev->entries[i].uid, uid) == 0)
			return &ev->entries[i];
		if (!oldest || ev->entries[i].last_used_ms < oldest->last_used_ms)
			oldest = &ev->entries[i];
	}
	if (ev->len < EVENTS_MAX_TRACKED)
		oldest = &ev->entries[ev->len++];
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->uid, sizeof(oldest->uid), "%s", uid);
	oldest->tokens = EVENTS_BURST;
	oldest->refill_at_ms = now_ms;
	return oldest;
}

struct json *events_build(const struct json *obj, enum event_type type, const char *reason,
			  const char *message, const char *component, int64_t wall_s)
{
	const struct json *meta = json_get(obj, "metadata");
	const char *name = json_get_string(meta, "name");
	const char *ns = json_get_string(meta, "namespace");
	struct json *e = json_new_object(), *m = json_new_object(), *io = json_new_object();
	struct json *src = json_new_object();
	char ts[CLOCK_RFC3339_BYTES], text[EVENTS_MESSAGE_MAX_BYTES];
	const char *fields[] = { "apiVersion", "kind" };

	clock_format_rfc3339(wall_s, ts);
	json_object_set_take(e, "apiVersion", json_new_string("v1"));
	json_object_set_take(e, "kind", json_new_string("Event"));
	/* generateName: the server picks a unique suffix, so a restarted
	 * operator cannot collide with its previous self */
	snprintf(text, sizeof(text), "%.200s.", name ? name : "object");
	json_object_set_take(m, "generateName", json_new_string(text));
	json_object_set_take(m, "namespace", json_new_string(ns ? ns : "default"));
	json_object_set_take(e, "metadata", m);
	for (size_t i = 0; i < 2; i++) {
		const char *v = json_get_string(obj, fields[i]);

		if (v)
			json_object_set_take(io, fields[i], json_new_string(v));
	}
	if (name)
		json_object_set_take(io, "name", json_new_string(name));
	if (ns)
		json_object_set_take(io, "namespace", json_new_string(ns));
	if (json_get_string(meta, "uid"))
		json_object_set_take(io, "uid", json_new_string(json_get_string(meta, "uid")));
	if (json_get_string(meta, "resourceVersion"))
		json_object_set_take(io, "resourceVersion",
				     json_new_string(json_get_string(meta, "resourceVersion")));
	json_object_set_take(e, "involvedObject", io);
	json_object_set_take(e, "type", json_new_string(type == EVENT_WARNING ? "Warning" : "Normal"));
	json_object_set_take(e, "reason", json_new_string(reason));
	/* cut on a character boundary: a partial one would reach people as U+FFFD */
	utf8_copy(text, sizeof(text), message);
	json_object_set_take(e, "message", json_new_string(text));
	json_object_set_take(src, "component", json_new_string(component));
	json_object_set_take(e, "source", src);
	json_object_set_take(e, "reportingComponent", json_new_string(component));
	json_object_set_take(e, "firstTimestamp", json_new_string(ts));
	json_object_set_take(e, "lastTimestamp", json_new_string(ts));
	json_object_set_take(e, "count", json_new_int(1));
	return e;
}

static void events_sent(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct events *ev = ud;

	json_free(obj);
	if (rc < 0)
		ev->stats.failed++;
}

bool events_record(struct events *ev, const struct json *obj, enum event_type type,
		   const char *reason, const char *message, int64_t now_ms)
{
	const char *uid = json_get_string(json_get(obj, "metadata"), "uid");
	uint64_t sig = events_signature(type, reason, message);
	struct events_entry *e;
	struct json *event;
	size_t slot = 0;

	e = events_entry(ev, uid ? uid : "", now_ms);
	e->last_used_ms = now_ms;
	for (size_t i = 0; i < EVENTS_SIGNATURES; i++) {
		if (e->signatures[i] == sig && now_ms - e->signature_ms[i] < EVENTS_DEDUPE_WINDOW_MS) {
			ev->stats.deduplicated++;
			return false;
		}
		if (e->signature_ms[i] < e->signature_ms[slot])
			slot = i;
	}
	e->tokens += (double)(now_ms - e->refill_at_ms) / EVENTS_REFILL_MS;
	if (e->tokens > EVENTS_BURST)
		e->tokens = EVENTS_BURST;
	e->refill_at_ms = now_ms;
	if (e->tokens < 1) {
		ev->stats.rate_limited++;
		return false;
	}
	e->tokens -= 1;
	e->signatures[slot] = sig;
	e->signature_ms[slot] = now_ms;
	ev->stats.sent++;
	if (!ev->client)
		return true;
	event = events_build(obj, type, reason, message, ev->component, clock_wall_ms() / 1000);
	{
		struct kube_call_spec spec = {
			.method = "POST",
			.res = kube_resource_find("v1", "Event"),
			.ns = json_get_string(json_get(event, "metadata"), "namespace"),
			.body = event,
		};
		struct error err;

		if (kube_call_submit(ev->client, &spec, events_sent, ev, &err) == 0)
			ev->stats.failed++;
	}
	json_free(event);
	return true;
}
