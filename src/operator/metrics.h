/* metrics.h - the operator's counters and histograms, and their Prometheus
 * text form.
 *
 * The event loop owns a struct metrics and updates it without locks; once per
 * loop iteration it publishes a copy to the health server's thread (see
 * health.h), which formats /metrics from that copy. Everything here is plain
 * data, so a copy is a memcpy.
 */
#ifndef DEVSERVER_OPERATOR_METRICS_H
#define DEVSERVER_OPERATOR_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/buf.h"

#define METRICS_ERROR_CODES 16   /* -ERR_* codes 0..15 */
#define METRICS_RECONCILE_BUCKETS 12
#define METRICS_RENDER_BUCKETS 10
#define METRICS_VERBS 5          /* GET POST PUT PATCH DELETE */
#define METRICS_CACHES 16        /* informers whose caches are reported */
#define METRICS_CACHE_NAME_BYTES 32

/* One informer's cache, for devserver_cache_* and devserver_objects_skipped*. */
struct metrics_cache {
	char name[METRICS_CACHE_NAME_BYTES];   /* label value: "devservers", "pods", ... */
	uint64_t bytes;          /* JSON-encoded size of what it holds (cache_bytes) */
	uint64_t objects;
	uint64_t skipped;        /* stubs held now */
	uint64_t skipped_total;  /* objects that arrived as stubs */
};

struct metrics_histogram {
	uint64_t buckets[METRICS_RECONCILE_BUCKETS]; /* cumulative at format time */
	uint64_t count;
	double sum_seconds;
};

struct metrics {
	uint64_t reconciles;
	uint64_t reconcile_errors[METRICS_ERROR_CODES]; /* by -code */
	struct metrics_histogram reconcile_seconds;
	struct metrics_histogram render_seconds;
	uint64_t api_requests[METRICS_VERBS][METRICS_ERROR_CODES]; /* by verb and result */
	uint64_t applies, applies_unchanged, prunes, status_writes, status_unchanged, status_deferred, expired;
	uint64_t name_checks_cached;  /* child names found free in a cache that sees all */
	uint64_t writes;       /* every POST/PUT/PATCH/DELETE except Events */
	uint64_t watch_lists, watch_relists, watch_restarts, watch_events;
	uint64_t queue_depth, queue_in_flight;
	uint64_t devservers;
	uint64_t policy_rejections;
	char policy_revision[32];
	bool synced;
	bool leading;
	int64_t heartbeat_ms;  /* monotonic time of the last loop iteration */
	struct metrics_cache caches[METRICS_CACHES];
	int ncaches;
	uint64_t heap_trims;   /* malloc_trim calls (memory given back after relists, deletions) */
};

/* Bucket bounds, in seconds. */
extern const double metrics_reconcile_bounds[METRICS_RECONCILE_BUCKETS];
extern const double metrics_render_bounds[METRICS_RENDER_BUCKETS];

void metrics_observe_reconcile(struct metrics *m, double seconds);
void metrics_observe_render(struct metrics *m, double seconds);
/* verb: "GET", "POST", ...; rc: 0 or an ERR_* code. */
void metrics_count_request(struct metrics *m, const char *verb, int rc);

/* Appends the Prometheus text exposition (format 0.0.4). 0 or ERR_LIMIT. */
int metrics_format(const struct metrics *m, struct buf *out) DS_MUST_USE;

#endif
