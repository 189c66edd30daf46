/* latency.c - the operator run's driver and stopwatch: creates DevServers
 * and times, from watch events with millisecond resolution, when each one's
 * children appear, when its status is first written and when it is Running;
 * or rolls a flavor change out and times it.
 *
 *   bench_latency create -N NAMESPACE -f FLAVOR [-n COUNT] [-c PARALLEL]
 *                        [-T TIMEOUT_S] [-t TIMELINE.csv]
 *                        [-o OFFSET] [-s]
 *   bench_latency rollout -N NAMESPACE -f FLAVOR -v CPU [-n COUNT] [-T TIMEOUT_S]
 *                        [-t TIMELINE.csv]
 *
 * create: watches NAMESPACE's DevServers and the operator's children
 * (Deployments, Services, ConfigMaps, PVCs with the managed-by label), waits
 * for the watches to be established, then POSTs COUNT DevServers ds-00000...
 * with PARALLEL (default 64) in flight - the same spec as bench/ceiling.c -
 * and waits until every DevServer is Running (or TIMEOUT_S, default 300).
 * -s creates them one at a time, each once the previous one is fully
 * applied: the latency of a single create on an idle operator. -o numbers
 * the DevServers from OFFSET (ds-01000... next to an existing set).
 * Per DevServer it records the DevServer's ADDED event, the first event of
 * each child carrying the devserver.io/render-hash annotation, the first
 * status write and the first phase Running. A DevServer is "applied" when
 * all its children are seen; "fully applied" when its status has been
 * written too (what the ceiling's DevServers/s counts).
 *
 * rollout: watches the Deployments, merge-patches the flavor's
 * spec.resources.requests.cpu to CPU, and times until COUNT Deployments run
 * a container requesting CPU.
 *
 * Prints one JSON object on stdout; -t writes a timeline (every 100 ms:
 * seconds,created,applied,status,running).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "bench_args.h"
#include "bench_devserver.h"
#include "core/clock.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"

#define MANAGED API_LABEL_MANAGED_BY "=" API_MANAGER_NAME

enum { K_DEPLOYMENT, K_SERVICE, K_CONFIGMAP, K_PVC, NKINDS };
static const char *const kind_names[NKINDS][2] = {
	{ "apps/v1", "Deployment" }, { "v1", "Service" }, { "v1", "ConfigMap" }, { "v1", "PersistentVolumeClaim" },
};

/* Milliseconds since t0 (the first create); 0 = not seen yet. */
struct rec {
	double created;          /* POST answered */
	double added;            /* DevServer ADDED seen */
	double child[NKINDS];
	double status;           /* first status */
	double running;
	double rolled;           /* rollout: new cpu seen */
};

static struct {
	struct kube_client c;
	const char *ns;
	int n, offset;
	struct rec *r;
	int64_t t0;
	bool started;            /* t0 set */
	int synced;              /* watches that listed */
	const char *want_cpu;    /* rollout */
	int ncreated, napplied, nfull, nstatus, nrunning, nrolled;
	double last_applied, last_full, last_status, last_running, last_rolled, first_added;
} g;

static void die(const char *what, const struct error *err)
{
	fprintf(stderr, "bench_latency: %s: %s\n", what, err->msg);
	exit(1);
}

/* One turn of the event loop; a failing loop (curl's multi interface) would
 * otherwise spin until the deadline. */
static void loop_once(struct kube_http *h, int timeout_ms)
{
	if (kube_http_run_once(h, timeout_ms) < 0) {
		fprintf(stderr, "bench_latency: event loop failed\n");
		exit(1);
	}
}

static double now_ms(void)
{
	return (double)(clock_mono_ns() - g.t0) / 1e6;
}

/* "ds-00042" -> 42, or -1 */
static int index_of(const char *name)
{
	char *end;
	long i;

	if (!name || strncmp(name, "ds-", 3) != 0)
		return -1;
	i = strtol(name + 3, &end, 10) - g.offset;
	if (*end || i < 0 || i >= g.n)
		return -1;
	return (int)i;
}

static void note_child(int i, int k, double t)
{
	struct rec *r = &g.r[i];
	bool before = true, after = true;

	for (int j = 0; j < NKINDS; j++)
		before = before && r->child[j] > 0;
	if (r->child[k] > 0)
		return;
	r->child[k] = t;
	for (int j = 0; j < NKINDS; j++)
		after = after && r->child[j] > 0;
	if (!before && after) {
		g.napplied++;
		g.last_applied = t;
		if (r->status > 0) {
			g.nfull++;
			g.last_full = t;
		}
	}
}

static void note_status(int i, double t)
{
	struct rec *r = &g.r[i];
	bool applied = true;

	if (r->status > 0)
		return;
	r->status = t;
	g.nstatus++;
	g.last_status = t;
	for (int j = 0; j < NKINDS; j++)
		applied = applied && r->child[j] > 0;
	if (applied) {
		g.nfull++;
		g.last_full = t;
	}
}

/* --- watch sinks ----------------------------------------------------------- */

static void sink_replace(void *ud, struct json *items)
{
	g.synced++;
	json_free(items);
}

static void ds_event(void *ud, enum watch_event_type type, struct json *obj)
{
	double t = now_ms();
	int i = index_of(json_get_string(json_get(obj, "metadata"), "name"));
	const char *phase = json_get_string(json_get(obj, "status"), "phase");

	if (i >= 0 && g.started && type != WATCH_DELETED) {
		struct rec *r = &g.r[i];

		if (r->added <= 0) {
			r->added = t;
			if (g.first_added <= 0 || t < g.first_added)
				g.first_added = t;
		}
		if (phase)
			note_status(i, t);
		if (phase && strcmp(phase, "Running") == 0 && r->running <= 0) {
			r->running = t;
			g.nrunning++;
			g.last_running = t;
		}
	}
	json_free(obj);
}

static void child_event(void *ud, enum watch_event_type type, struct json *obj)
{
	int k = (int)(intptr_t)ud;
	double t = now_ms();
	const struct json *meta = json_get(obj, "metadata");
	int i = index_of(json_get_string(json_get(meta, "labels"), API_LABEL_NAME));

	if (i >= 0 && g.started && type != WATCH_DELETED) {
		if (json_get_string(json_get(meta, "annotations"), API_ANNOTATION_RENDER_HASH))
			note_child(i, k, t);
		if (g.want_cpu && k == K_DEPLOYMENT && g.r[i].rolled <= 0) {
			const struct json *cs = json_path(obj, "spec", "template", "spec", "containers", NULL);
			const char *cpu = cs && cs->type == JSON_ARRAY && cs->u.arr.len
				? json_get_string(json_path(cs->u.arr.items[0], "resources", "requests", NULL), "cpu")
				: NULL;

			if (cpu && strcmp(cpu, g.want_cpu) == 0) {
				g.r[i].rolled = t;
				g.nrolled++;
				g.last_rolled = t;
			}
		}
	}
	json_free(obj);
}

static struct watch *start_watch(const char *api_version, const char *kind, const char *selector,
				 void (*event)(void *, enum watch_event_type, struct json *), void *ud)
{
	const struct kube_resource *res;
	struct watch *w = calloc(1, sizeof(*w));
	struct watch_options wo = { .ns = g.ns, .label_selector = selector };
	struct watch_sink sink = { .replace = sink_replace, .event = event, .ud = ud };
	struct error err;

	if (kube_client_resource(&g.c, api_version, kind, &res, &err) < 0)
		die(kind, &err);
	watch_init(w, &g.c, res, &wo, &sink);
	if (watch_start(w, &err) < 0)
		die("watch", &err);
	return w;
}

/* --- creating -------------------------------------------------------------- */

struct create_ctx {
	int i;
	int *inflight, *failed;
	struct error *err;
};

static void create_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct create_ctx *cc = ud;

	(*cc->inflight)--;
	if (rc < 0) {
		(*cc->failed)++;
		*cc->err = *err;
	} else {
		g.r[cc->i].created = now_ms();
		g.ncreated++;
	}
	json_free(obj);
	free(cc);
}

/* The benchmark DevServer (bench_devserver.c); dies on an impossible error. */
static struct json *make_devserver(const char *name, const char *flavor)
{
	struct error err;
	struct json *j = bench_devserver(name, flavor, &err);

	if (!j)
		die("devserver JSON", &err);
	return j;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* p50/p99 of f(rec) over the records where it is defined. */
static void percentiles(double (*f)(const struct rec *), double *p50, double *p99, int *count)
{
	double *v = calloc((size_t)g.n, sizeof(double));
	int m = 0;

	for (int i = 0; i < g.n; i++) {
		double x = f(&g.r[i]);

		if (x >= 0)
			v[m++] = x;
	}
	qsort(v, (size_t)m, sizeof(double), cmp_double);
	*p50 = m ? v[(m - 1) / 2] : -1;
	*p99 = m ? v[(int)(0.99 * (m - 1) + 0.5)] : -1;
	*count = m;
	free(v);
}

static double children_done(const struct rec *r)
{
	double t = 0;

	for (int k = 0; k < NKINDS; k++) {
		if (r->child[k] <= 0)
			return -1;
		if (r->child[k] > t)
			t = r->child[k];
	}
	return t;
}

static double lat_deployment(const struct rec *r)
{
	return r->added > 0 && r->child[K_DEPLOYMENT] > 0 ? r->child[K_DEPLOYMENT] - r->added : -1;
}

static double lat_children(const struct rec *r)
{
	double t = children_done(r);

	return r->added > 0 && t > 0 ? t - r->added : -1;
}

static double lat_status(const struct rec *r)
{
	return r->added > 0 && r->status > 0 ? r->status - r->added : -1;
}

static double lat_running(const struct rec *r)
{
	return r->added > 0 && r->running > 0 ? r->running - r->added : -1;
}

static void tick(FILE *tl, double *next)
{
	double t = now_ms();

	while (tl && t >= *next) {
		if (g.want_cpu)
			fprintf(tl, "%.1f,%d\n", *next / 1000, g.nrolled);
		else
			fprintf(tl, "%.1f,%d,%d,%d,%d,%d\n", *next / 1000, g.ncreated, g.napplied, g.nfull, g.nstatus,
				g.nrunning);
		*next += 100;
	}
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct error err;
	const char *mode, *flavor = NULL, *timeline = NULL;
	int parallel = 64, timeout_s = 300, opt, nwatches = 0, sequential = 0;
	struct watch *w[NKINDS + 1];
	FILE *tl = NULL;
	double next_tick = 0, deadline;

	if (argc < 2 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "rollout") != 0)) {
		fprintf(stderr, "usage: bench_latency create|rollout -N NAMESPACE -f FLAVOR [-n COUNT] [-c PARALLEL] "
			"[-v CPU] [-T TIMEOUT_S] [-t TIMELINE.csv]\n");
		return 2;
	}
	mode = argv[1];
	g.n = 100;
	optind = 2;
	while ((opt = getopt(argc, argv, "n:c:N:f:v:T:t:o:s")) != -1) {
		switch (opt) {
		case 'n': g.n = bench_int_arg("-n", optarg, 1, 1000000); break;
		case 'c': parallel = bench_int_arg("-c", optarg, 1, 4096); break;
		case 'N': g.ns = optarg; break;
		case 'f': flavor = optarg; break;
		case 'v': g.want_cpu = optarg; break;
		case 'T': timeout_s = bench_int_arg("-T", optarg, 1, 86400); break;
		case 't': timeline = optarg; break;
		case 'o': g.offset = bench_int_arg("-o", optarg, 0, 100000000); break;
		case 's': sequential = 1; parallel = 1; break;
		default: return 2;
		}
	}
	if (g.n < 1 || !g.ns || !flavor || (strcmp(mode, "rollout") == 0 && !g.want_cpu)) {
		fprintf(stderr, "bench_latency: -N NAMESPACE and -f FLAVOR are required (rollout: -v CPU)\n");
		return 2;
	}
	if (strcmp(mode, "create") == 0)
		g.want_cpu = NULL;
	g.r = calloc((size_t)g.n, sizeof(*g.r));
	if (kube_config_load(&cfg, NULL, &err) < 0)
		die("config", &err);
	if (kube_client_init(&g.c, &cfg, &err) < 0)
		die("client", &err);
	g.t0 = clock_mono_ns();

	if (!g.want_cpu)
		w[nwatches++] = start_watch("devserver.io/v1", "DevServer", NULL, ds_event, NULL);
	for (int k = 0; k < NKINDS; k++) {
		if (g.want_cpu && k != K_DEPLOYMENT)
			continue;
		w[nwatches++] = start_watch(kind_names[k][0], kind_names[k][1], MANAGED, child_event,
					    (void *)(intptr_t)k);
	}
	while (g.synced < nwatches)
		loop_once(g.c.http, 100);
	/* the list is done; give the watch requests a moment to be established so
	 * no event between list and watch is lost (they resume from the list's
	 * resourceVersion anyway) */
	for (int i = 0; i < 5; i++)
		loop_once(g.c.http, 20);
	if (timeline) {
		tl = fopen(timeline, "w");
		if (tl)
			fprintf(tl, g.want_cpu ? "seconds,rolled\n" : "seconds,created,applied,full,status,running\n");
	}
	g.t0 = clock_mono_ns();
	g.started = true;
	deadline = timeout_s * 1000.0;

	if (!g.want_cpu) {
		int started = 0, inflight = 0, failed = 0;
		double create_ms;

		while (g.ncreated + failed < g.n && now_ms() < deadline) {
			while (started < g.n && inflight < parallel && (!sequential || g.nfull >= started)) {
				char name[32];
				struct json *body;
				struct create_ctx *cc = calloc(1, sizeof(*cc));
				struct kube_call_spec s = { .method = "POST", .res = w[0]->res, .ns = g.ns };

				snprintf(name, sizeof(name), "ds-%05d", g.offset + started);
				body = make_devserver(name, flavor);
				s.body = body;
				cc->i = started;
				cc->inflight = &inflight;
				cc->failed = &failed;
				cc->err = &err;
				if (kube_call_submit(&g.c, &s, create_done, cc, &err) == 0)
					die("submit", &err);
				json_free(body);
				inflight++;
				started++;
			}
			loop_once(g.c.http, 20);
			tick(tl, &next_tick);
		}
		if (failed)
			die("create", &err);
		create_ms = now_ms();
		/* one at a time measures latency only: no wait for Running */
		while ((g.nfull < g.n || (!sequential && g.nrunning < g.n)) && now_ms() < deadline) {
			loop_once(g.c.http, 20);
			tick(tl, &next_tick);
		}
		{
			double d50, d99, c50, c99, s50, s99, r50, r99;
			int dn, cn, sn, rn;
			double span = (g.last_full - g.first_added) / 1000;

			percentiles(lat_deployment, &d50, &d99, &dn);
			percentiles(lat_children, &c50, &c99, &cn);
			percentiles(lat_status, &s50, &s99, &sn);
			percentiles(lat_running, &r50, &r99, &rn);
			printf("{\"devservers\":%d,\"create_parallel\":%d,\"create_s\":%.3f,\"timed_out\":%s,"
			       "\"applied\":%d,\"fully_applied\":%d,\"running\":%d,"
			       "\"children_applied_all_s\":%.3f,\"fully_applied_all_s\":%.3f,\"status_all_s\":%.3f,"
			       "\"running_all_s\":%.3f,\"devservers_per_s\":%.2f,"
			       "\"latency_deployment_p50_ms\":%.1f,\"latency_deployment_p99_ms\":%.1f,"
			       "\"latency_children_p50_ms\":%.1f,\"latency_children_p99_ms\":%.1f,"
			       "\"latency_status_p50_ms\":%.1f,\"latency_status_p99_ms\":%.1f,"
			       "\"latency_running_p50_ms\":%.1f,\"latency_running_p99_ms\":%.1f}\n",
			       g.n, parallel, create_ms / 1000, g.nfull < g.n || (!sequential && g.nrunning < g.n) ? "true" : "false",
			       g.napplied, g.nfull, g.nrunning, g.last_applied / 1000, g.last_full / 1000,
			       g.last_status / 1000, g.last_running / 1000, span > 0 ? g.nfull / span : 0, d50, d99, c50,
			       c99, s50, s99, r50, r99);
		}
	} else {
		const struct kube_resource *fres;
		char text[256];
		struct json *patch;

		/* only events after the patch count: CPU must differ from the
		 * flavor's current value (bench/run alternates two values) */
		if (kube_client_resource(&g.c, "devserver.io/v1", "DevServerFlavor", &fres, &err) < 0)
			die("flavor resource", &err);
		snprintf(text, sizeof(text), "{\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}}", g.want_cpu);
		patch = json_parse(text, strlen(text), &err);
		if (!patch || kube_patch_merge(&g.c, fres, NULL, flavor, patch, NULL, &err) < 0)
			die("patch flavor", &err);
		json_free(patch);
		while (g.nrolled < g.n && now_ms() < deadline) {
			loop_once(g.c.http, 20);
			tick(tl, &next_tick);
		}
		{
			double first = -1;

			for (int i = 0; i < g.n; i++)
				if (g.r[i].rolled > 0 && (first < 0 || g.r[i].rolled < first))
					first = g.r[i].rolled;
			printf("{\"devservers\":%d,\"cpu\":\"%s\",\"rolled\":%d,\"timed_out\":%s,\"first_s\":%.3f,"
			       "\"all_s\":%.3f,\"devservers_per_s\":%.2f}\n",
			       g.n, g.want_cpu, g.nrolled, g.nrolled < g.n ? "true" : "false", first / 1000,
			       g.last_rolled / 1000, g.last_rolled > 0 ? g.nrolled / (g.last_rolled / 1000) : 0);
		}
	}
	if (tl) {
		tick(tl, &next_tick);
		fclose(tl);
	}
	for (int i = 0; i < nwatches; i++) {
		watch_stop(w[i]);
		watch_cleanup(w[i]);
		free(w[i]);
	}
	free(g.r);
	kube_client_cleanup(&g.c);
	kube_config_cleanup(&cfg);
	return 0;
}
