/* events.h - Kubernetes Events about DevServers (and the policy ConfigMap).
 *
 * Events are for people (`kubectl describe`, `devctl describe`), so they are
 * fire-and-forget: a failed write is counted, never retried and never blocks
 * a reconcile. Two limits keep them from becoming load: an identical event
 * (same object, type, reason and message) is sent at most once per
 * EVENTS_DEDUPE_WINDOW_MS, and each object has a token bucket
 * (EVENTS_BURST, one token per EVENTS_REFILL_MS). Tracking is bounded to
 * EVENTS_MAX_TRACKED objects; the oldest is forgotten first.
 */
#ifndef DEVSERVER_OPERATOR_EVENTS_H
#define DEVSERVER_OPERATOR_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"
#include "kube/client.h"

#define EVENTS_DEDUPE_WINDOW_MS (10 * 60 * 1000)
#define EVENTS_BURST 10
#define EVENTS_REFILL_MS (30 * 1000)
#define EVENTS_MAX_TRACKED 4096
#define EVENTS_MESSAGE_MAX_BYTES 1024

enum event_type { EVENT_NORMAL, EVENT_WARNING };

struct events;

/* client may be NULL (tests: decisions are recorded, nothing is sent). */
struct events *events_new(struct kube_client *client, const char *component);
void events_free(struct events *ev);

/* Records an event about obj (any object with apiVersion, kind and metadata).
 * Returns true when it was sent, false when deduplicated or rate-limited. */
bool events_record(struct events *ev, const struct json *obj, enum event_type type,
		   const char *reason, const char *message, int64_t now_ms);

struct events_stats {
	uint64_t sent, deduplicated, rate_limited, failed;
};
void events_stats(const struct events *ev, struct events_stats *out);

/* Builds the core/v1 Event object that events_record sends (exposed for
 * tests). wall_s is the event time in unix seconds. Caller frees. */
struct json *events_build(const struct json *obj, enum event_type type, const char *reason,
			  const char *message, const char *component, int64_t wall_s);

#endif
