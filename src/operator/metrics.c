/* metrics.c - counters, histograms and the Prometheus text format (see
 * metrics.h). Histogram buckets are stored per bucket and made cumulative
 * only when formatted. Error codes are reported by name (error_code_name),
 * which says what happened in terms the operator acts on (retry, conflict,
 * gone, permanent, ...). */
#include "operator/metrics.h"

#include <string.h>

#include "core/error.h"
#include "json/json.h"

const double metrics_reconcile_bounds[METRICS_RECONCILE_BUCKETS] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const double metrics_render_bounds[METRICS_RENDER_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1,
};

static const char *const metrics_verbs[METRICS_VERBS] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

static void metrics_observe(struct metrics_histogram *h, const double *bounds, int n, double s)
{
	for (int i = 0; i < n; i++) {
		if (s <= bounds[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum_seconds += s;
}

void metrics_observe_reconcile(struct metrics *m, double seconds)
{
	metrics_observe(&m->reconcile_seconds, metrics_reconcile_bounds, METRICS_RECONCILE_BUCKETS, seconds);
}

void metrics_observe_render(struct metrics *m, double seconds)
{
	metrics_observe(&m->render_seconds, metrics_render_bounds, METRICS_RENDER_BUCKETS, seconds);
}

static int metrics_code_index(int rc)
{
	int i = rc < 0 ? -rc : 0;

	return i < METRICS_ERROR_CODES ? i : METRICS_ERROR_CODES - 1;
}

void metrics_count_request(struct metrics *m, const char *verb, int rc)
{
	for (int v = 0; v < METRICS_VERBS; v++)
		if (strcmp(verb, metrics_verbs[v]) == 0)
			m->api_requests[v][metrics_code_index(rc)]++;
}

static void metrics_histogram_format(struct buf *out, const char *name, const char *help,
				     const struct metrics_histogram *h, const double *bounds, int n)
{
	uint64_t cumulative = 0;

	buf_appendf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < n; i++) {
		cumulative += h->buckets[i];
		buf_appendf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cumulative);
	}
	buf_appendf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
		    (unsigned long long)h->count, name, h->sum_seconds, name, (unsigned long long)h->count);
}

static void metrics_counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
	buf_appendf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
		    (unsigned long long)v);
}

static void metrics_gauge(struct buf *out, const char *name, const char *help, uint64_t v)
{
	buf_appendf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
		    (unsigned long long)v);
}

/* One line per cache for each of the cache families. */
static void metrics_caches_format(struct buf *out, const struct metrics *m)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "devserver_cache_bytes", "gauge",
		  "JSON-encoded size of the objects each cache holds, after projection (the heap holds a few times this)." },
		{ "devserver_cache_objects", "gauge", "Objects each cache holds." },
		{ "devserver_objects_skipped", "gauge",
		  "Objects each informer skips now: too large, too deep or unreadable (a Warning Event says which)." },
		{ "devserver_objects_skipped_total", "counter", "Objects that arrived too large, too deep or unreadable." },
	};

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help, fam[f].name, fam[f].type);
		for (int i = 0; i < m->ncaches && i < METRICS_CACHES; i++) {
			const struct metrics_cache *mc = &m->caches[i];
			uint64_t v = f == 0 ? mc->bytes : f == 1 ? mc->objects : f == 2 ? mc->skipped : mc->skipped_total;

			buf_appendf(out, "%s{cache=\"%s\"} %llu\n", fam[f].name, mc->name, (unsigned long long)v);
		}
	}
	metrics_counter(out, "devserver_heap_trims_total",
			"Times freed memory was handed back to the system (after relists and large deletions).",
			m->heap_trims);
	{
		struct json_frozen_stats fs;

		/* the caches' objects, equal subtrees stored once (json.h) */
		json_frozen_stats(&fs);
		metrics_gauge(out, "devserver_cache_heap_bytes",
			      "Heap the caches' objects take, their equal subtrees shared between objects.",
			      fs.bytes);
		metrics_gauge(out, "devserver_cache_nodes",
			      "Distinct JSON values the caches hold (a value shared by many objects counts once).",
			      fs.nodes);
	}
}

int metrics_format(const struct metrics *m, struct buf *out)
{
	size_t start = out->len;

	metrics_counter(out, "devserver_reconcile_total", "DevServer reconciles started.", m->reconciles);
	buf_appendf(out, "# HELP devserver_reconcile_errors_total Reconciles that ended in an error, by reason.\n"
		    "# TYPE devserver_reconcile_errors_total counter\n");
	for (int i = 1; i < METRICS_ERROR_CODES; i++)
		if (m->reconcile_errors[i])
			buf_appendf(out, "devserver_reconcile_errors_total{reason=\"%s\"} %llu\n",
				    error_code_name(-i), (unsigned long long)m->reconcile_errors[i]);
	metrics_histogram_format(out, "devserver_reconcile_duration_seconds",
				 "Time from taking a DevServer off the queue to finishing it.",
				 &m->reconcile_seconds, metrics_reconcile_bounds, METRICS_RECONCILE_BUCKETS);
	metrics_histogram_format(out, "devserver_policy_render_duration_seconds",
				 "Time one policy render took, conversions included.",
				 &m->render_seconds, metrics_render_bounds, METRICS_RENDER_BUCKETS);
	buf_appendf(out, "# HELP devserver_api_requests_total API requests by verb and result.\n"
		    "# TYPE devserver_api_requests_total counter\n");
	for (int v = 0; v < METRICS_VERBS; v++)
		for (int i = 0; i < METRICS_ERROR_CODES; i++)
			if (m->api_requests[v][i])
				buf_appendf(out, "devserver_api_requests_total{verb=\"%s\",result=\"%s\"} %llu\n",
					    metrics_verbs[v], error_code_name(-i),
					    (unsigned long long)m->api_requests[v][i]);
	metrics_counter(out, "devserver_writes_total",
			"Writes to the API server (apply, status, delete, annotations; Events excluded).", m->writes);
	metrics_counter(out, "devserver_applies_total", "Children written with server-side apply.", m->applies);
	metrics_counter(out, "devserver_applies_unchanged_total",
			"Children left alone because they were unchanged and had not drifted.",
			m->applies_unchanged);
	metrics_counter(out, "devserver_prunes_total", "Children deleted because no longer rendered.", m->prunes);
	metrics_counter(out, "devserver_status_writes_total", "DevServer status patches.", m->status_writes);
	metrics_counter(out, "devserver_status_unchanged_total", "Status computations that needed no write.",
			m->status_unchanged);
	metrics_counter(out, "devserver_status_deferred_total",
			"Status writes left to the round that runs right after (an event arrived meanwhile).",
			m->status_deferred);
	metrics_counter(out, "devserver_name_checks_cached_total",
			"New child names found free in a cache that sees every object of the kind "
			"(--child-watch all): lookups not made.", m->name_checks_cached);
	metrics_counter(out, "devserver_expired_total", "DevServers deleted when their TTL ran out.", m->expired);
	metrics_counter(out, "devserver_watch_lists_total", "Full lists by the informers.", m->watch_lists);
	metrics_counter(out, "devserver_watch_relists_total", "Relists after 410 Gone.", m->watch_relists);
	metrics_counter(out, "devserver_watch_restarts_total", "Watch streams (re)started.", m->watch_restarts);
	metrics_counter(out, "devserver_watch_events_total", "Watch events received.", m->watch_events);
	metrics_gauge(out, "devserver_queue_depth", "Keys ready to reconcile.", m->queue_depth);
	metrics_gauge(out, "devserver_queue_in_flight", "Keys being reconciled.", m->queue_in_flight);
	metrics_gauge(out, "devserver_devservers", "DevServers in the cache.", m->devservers);
	metrics_counter(out, "devserver_policy_rejections_total", "Policy versions rejected.", m->policy_rejections);
	buf_appendf(out, "# HELP devserver_policy_info The active policy revision.\n"
		    "# TYPE devserver_policy_info gauge\ndevserver_policy_info{revision=\"%s\"} 1\n",
		    m->policy_revision);
	metrics_gauge(out, "devserver_caches_synced", "1 once every informer has listed.", m->synced);
	metrics_caches_format(out, m);
	metrics_gauge(out, "devserver_leader", "1 while this replica may reconcile (leader, or no election).",
		      m->leading);
	if (out->len == start || out->len >= out->max)
		return ERR_LIMIT;
	return 0;
}
