/* ceiling.c - the raw write rate this API server accepts for exactly what the
 * operator writes per DevServer, from a plain parallel client: the ceiling
 * the operator's throughput is compared with (docs/performance.md).
 *
 *   bench_ceiling -N NAMESPACE -f FLAVOR [-n COUNT] [-c CONCURRENCY]
 *                 [-t TIMELINE.csv] [-j]
 *
 * Setup (not timed): creates COUNT DevServers ds-00000... in NAMESPACE (no
 * operator watches it), reads the flavor, and renders every DevServer's
 * children with the same embedded policy, the same host-side stamping
 * (policy_finish_render: namespace, controller ownerReference, managed
 * labels) and the same additions the operator makes (pod template labels,
 * the render-hash annotation) - so the bodies are the operator's, byte for
 * byte, apart from the hash value. It also makes each DevServer's host-key
 * Secret (hostkey_secret_new, a fresh ed25519 key: the object the operator
 * creates next to the policy's children) and builds a status of the
 * operator's shape (phase, five conditions, flavor, policy, ssh, connection).
 *
 * Timed: CONCURRENCY DevServers in flight (the operator's --concurrency,
 * default 16). For each: the server-side applies of its children (ConfigMap,
 * PVC, Deployment, Service: PATCH application/apply-patch+yaml,
 * fieldManager=devserver-operator, force) and the POST of its host-key
 * Secret all at once, then, when all have answered, a merge patch of its
 * /status - the order the operator uses. The
 * program is the project's own client (kube_call_submit on one event loop).
 *
 * Output: one line (or with -j one JSON object): writes/s, DevServers/s,
 * per-DevServer latency; -t writes "seconds,done" rows every 100 ms.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_args.h"
#include "bench_devserver.h"
#include "core/clock.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "operator/hostkey.h"
#include "policy/bundle.h"
#include "policy/context.h"
#include "policy/engine.h"
#include "policy/validate.h"

#define RENDER_HASH_ANNOTATION "devserver.io/render-hash"
#define MAX_CHILDREN 8

struct item {
	char name[32];
	struct json *ds;                    /* as created (server's answer) */
	struct json *children[MAX_CHILDREN];
	const struct kube_resource *res[MAX_CHILDREN];
	int nchildren;
	struct json *secret;                /* the host-key Secret, POSTed */
	struct json *status_patch;
	int pending;
	int64_t start_ns, done_ns;
};

struct run {
	struct kube_client *c;
	const struct kube_resource *ds_res;
	const struct kube_resource *secret_res;
	const char *ns;
	struct item *items;
	int n, inflight, done, failed, writes;
	struct error err;
};

static void die(const char *what, const struct error *err)
{
	fprintf(stderr, "bench_ceiling: %s: %s\n", what, err->msg);
	exit(1);
}

/* One turn of the event loop; a failing loop (curl's multi interface) would
 * otherwise spin until the deadline. */
static void loop_once(struct kube_http *h, int timeout_ms)
{
	if (kube_http_run_once(h, timeout_ms) < 0) {
		fprintf(stderr, "bench_ceiling: event loop failed\n");
		exit(1);
	}
}

static struct json *object_field(struct json *obj, const char *key)
{
	struct json *v = json_get(obj, key);

	if (!v || v->type != JSON_OBJECT) {
		v = json_new_object();
		json_object_set_take(obj, key, v);
	}
	return v;
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

/* --- setup: create the DevServers ------------------------------------------ */

struct create_ctx {
	struct run *r;
	int i;
};

static void create_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct create_ctx *cc = ud;
	struct run *r = cc->r;

	r->inflight--;
	r->done++;
	if (rc < 0) {
		r->failed++;
		r->err = *err;
		json_free(obj);
	} else {
		r->items[cc->i].ds = obj;
	}
	free(cc);
}

static void create_all(struct run *r, const char *flavor, int parallel)
{
	int started = 0;
	struct error err;

	r->done = r->failed = 0;
	while (r->done < r->n) {
		while (started < r->n && r->inflight < parallel) {
			struct json *body = make_devserver(r->items[started].name, flavor);
			struct kube_call_spec s = { .method = "POST", .res = r->ds_res, .ns = r->ns, .body = body };
			struct create_ctx *cc = calloc(1, sizeof(*cc));

			cc->r = r;
			cc->i = started;
			if (kube_call_submit(r->c, &s, create_done, cc, &err) == 0)
				die("submit create", &err);
			json_free(body);
			r->inflight++;
			started++;
		}
		loop_once(r->c->http, 100);
	}
	if (r->failed)
		die("create DevServers", &r->err);
}

/* --- setup: render what the operator would apply --------------------------- */

static void stamp_like_operator(struct json *obj, const char *name)
{
	char hash[24];

	json_object_remove(obj, "status");
	if (strcmp(json_get_string(obj, "kind"), "Deployment") == 0) {
		struct json *tmpl = object_field(object_field(obj, "spec"), "template");
		struct json *labels = object_field(object_field(tmpl, "metadata"), "labels");

		json_object_set_take(labels, API_LABEL_MANAGED_BY, json_new_string(API_MANAGER_NAME));
		json_object_set_take(labels, API_LABEL_INSTANCE, json_new_string(name));
		json_object_set_take(labels, API_LABEL_NAME, json_new_string(name));
	}
	snprintf(hash, sizeof(hash), "%016" PRIx64, json_hash(obj));
	json_object_set_take(object_field(object_field(obj, "metadata"), "annotations"), RENDER_HASH_ANNOTATION,
			     json_new_string(hash));
}

static void add_condition(struct json *list, const char *type, const char *status, const char *reason,
			  const char *message, const char *now)
{
	struct json *c = json_new_object();

	json_object_set_take(c, "type", json_new_string(type));
	json_object_set_take(c, "status", json_new_string(status));
	json_object_set_take(c, "reason", json_new_string(reason));
	json_object_set_take(c, "message", json_new_string(message));
	json_object_set_take(c, "observedGeneration", json_new_int(1));
	json_object_set_take(c, "lastTransitionTime", json_new_string(now));
	json_array_push_take(list, c);
}

/* The status the operator writes right after applying (Provisioning). */
static struct json *make_status(const char *name, const char *ns, const char *flavor, const char *revision)
{
	struct json *patch = json_new_object(), *st = json_new_object(), *conds = json_new_array();
	struct json *p = json_new_object(), *ssh = json_new_object(), *conn = json_new_object();
	char now[CLOCK_RFC3339_BYTES], text[512];

	clock_format_rfc3339(clock_wall_ms() / 1000, now);
	add_condition(conds, "FlavorResolved", "True", "Resolved", flavor, now);
	add_condition(conds, "PolicyRendered", "True", "Rendered", revision, now);
	add_condition(conds, "Applied", "True", "Applied", "all children applied", now);
	add_condition(conds, "Available", "False", "Progressing", "waiting for the pod to become ready", now);
	add_condition(conds, "Ready", "False", "Provisioning", "waiting for the pod to become ready", now);
	json_object_set_take(st, "phase", json_new_string("Provisioning"));
	json_object_set_take(st, "message", json_new_string("waiting for the pod to become ready"));
	json_object_set_take(st, "conditions", conds);
	json_object_set_take(st, "observedGeneration", json_new_int(1));
	json_object_set_take(st, "flavor", json_new_string(flavor));
	json_object_set_take(p, "revision", json_new_string(revision));
	json_object_set_take(st, "policy", p);
	snprintf(text, sizeof(text), "%s-ssh", name);
	json_object_set_take(ssh, "service", json_new_string(text));
	json_object_set_take(ssh, "port", json_new_int(22));
	json_object_set_take(st, "ssh", ssh);
	snprintf(text, sizeof(text), "devctl ssh %s -n %s", name, ns);
	json_object_set_take(conn, "ssh", json_new_string(text));
	snprintf(text, sizeof(text), "kubectl -n %s exec -it deploy/%s -- /bin/bash", ns, name);
	json_object_set_take(conn, "shell", json_new_string(text));
	json_object_set_take(st, "connection", conn);
	json_object_set_take(patch, "status", st);
	return patch;
}

static void render_all(struct run *r, const struct json *flavor, const char *flavor_name)
{
	struct policy_bundle bundle;
	struct policy_engine *e;
	struct policy_context_config cc = { POLICY_DEFAULT_IMAGE, POLICY_DEFAULT_TOOLS_IMAGE };
	struct json *ctx = policy_context_new(&cc, r->ns);
	struct error err;

	policy_bundle_init(&bundle);
	if (policy_bundle_load_embedded(&bundle, &err) < 0 || policy_engine_new(&bundle, NULL, &e, &err) < 0)
		die("policy", &err);
	for (int i = 0; i < r->n; i++) {
		struct item *it = &r->items[i];
		struct json *out = NULL;

		if (policy_engine_render(e, it->ds, flavor, ctx, &out, &err) < 0)
			die("render", &err);
		if (policy_finish_render(out, it->ds, &err) < 0)
			die("finish render", &err);
		if (out->u.arr.len > MAX_CHILDREN) {
			fprintf(stderr, "bench_ceiling: the policy rendered %zu objects\n", out->u.arr.len);
			exit(1);
		}
		for (size_t k = 0; k < out->u.arr.len; k++) {
			struct json *obj = out->u.arr.items[k];

			stamp_like_operator(obj, it->name);
			if (kube_client_resource(r->c, json_get_string(obj, "apiVersion"), json_get_string(obj, "kind"),
						 &it->res[k], &err) < 0)
				die("resource", &err);
			it->children[k] = json_clone(obj);
		}
		it->nchildren = (int)out->u.arr.len;
		json_free(out);
		if (hostkey_secret_new(it->ds, &it->secret, &err) < 0)
			die("host key", &err);
		it->status_patch = make_status(it->name, r->ns, flavor_name, policy_engine_revision(e));
	}
	json_free(ctx);
	policy_engine_free(e);
	policy_bundle_cleanup(&bundle);
}

/* --- timed: apply children, then status ------------------------------------ */

struct call {
	struct run *r;
	struct item *it;
};

static void status_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct call *cl = ud;

	json_free(obj);
	if (rc < 0) {
		cl->r->failed++;
		cl->r->err = *err;
	}
	cl->it->done_ns = clock_mono_ns();
	cl->r->inflight--;
	cl->r->done++;
	free(cl);
}

static void apply_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct call *cl = ud;
	struct run *r = cl->r;
	struct item *it = cl->it;
	struct error e2;

	json_free(obj);
	if (rc < 0) {
		r->failed++;
		r->err = *err;
	}
	if (--it->pending == 0) {
		struct kube_call_spec s = {
			.method = "PATCH", .res = r->ds_res, .ns = r->ns, .name = it->name,
			.subresource = "status", .body = it->status_patch,
			.content_type = "application/merge-patch+json",
		};

		r->writes++;
		if (kube_call_submit(r->c, &s, status_done, cl, &e2) == 0)
			die("submit status", &e2);
		return;
	}
	free(cl);
}

/* One of an item's first writes; apply_done counts it off. */
static void submit_write(struct run *r, struct item *it, const struct kube_call_spec *s, const char *what)
{
	struct call *cl = calloc(1, sizeof(*cl));
	struct error err;

	cl->r = r;
	cl->it = it;
	r->writes++;
	if (kube_call_submit(r->c, s, apply_done, cl, &err) == 0)
		die(what, &err);
}

static void start_item(struct run *r, struct item *it)
{
	it->start_ns = clock_mono_ns();
	it->pending = it->nchildren + 1;
	submit_write(r, it, &(struct kube_call_spec){
		.method = "POST", .res = r->secret_res, .ns = r->ns, .body = it->secret,
	}, "submit secret");
	for (int k = 0; k < it->nchildren; k++)
		submit_write(r, it, &(struct kube_call_spec){
			.method = "PATCH", .res = it->res[k], .ns = r->ns,
			.name = json_get_string(json_get(it->children[k], "metadata"), "name"),
			.query = "fieldManager=" KUBE_FIELD_MANAGER "&force=true", .body = it->children[k],
			.content_type = "application/apply-patch+yaml",
		}, "submit apply");
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct kube_client c;
	struct error err;
	struct run r = { 0 };
	int n = 100, parallel = 16, as_json = 0, opt, started = 0;
	const char *ns = NULL, *flavor_name = NULL, *timeline = NULL;
	struct json *flavor = NULL;
	const struct kube_resource *flavor_res;
	int64_t t0, t_create, t1;
	double secs, create_secs;

	while ((opt = getopt(argc, argv, "n:c:N:f:t:j")) != -1) {
		switch (opt) {
		case 'n': n = bench_int_arg("-n", optarg, 1, 1000000); break;
		case 'c': parallel = bench_int_arg("-c", optarg, 1, 4096); break;
		case 'N': ns = optarg; break;
		case 'f': flavor_name = optarg; break;
		case 't': timeline = optarg; break;
		case 'j': as_json = 1; break;
		default:
			fprintf(stderr, "usage: bench_ceiling -N NAMESPACE -f FLAVOR [-n COUNT] [-c CONCURRENCY] "
				"[-t TIMELINE.csv] [-j]\n");
			return 2;
		}
	}
	if (n < 1 || parallel < 1 || !ns || !flavor_name) {
		fprintf(stderr, "bench_ceiling: -N NAMESPACE and -f FLAVOR are required\n");
		return 2;
	}
	if (kube_config_load(&cfg, NULL, &err) < 0)
		die("config", &err);
	if (kube_client_init(&c, &cfg, &err) < 0)
		die("client", &err);
	r.c = &c;
	r.ns = ns;
	r.n = n;
	r.items = calloc((size_t)n, sizeof(*r.items));
	for (int i = 0; i < n; i++)
		snprintf(r.items[i].name, sizeof(r.items[i].name), "ds-%05d", i);
	if (kube_client_resource(&c, "devserver.io/v1", "DevServer", &r.ds_res, &err) < 0 ||
	    kube_client_resource(&c, "devserver.io/v1", "DevServerFlavor", &flavor_res, &err) < 0 ||
	    kube_client_resource(&c, "v1", "Secret", &r.secret_res, &err) < 0)
		die("CRDs", &err);
	if (kube_get(&c, flavor_res, NULL, flavor_name, &flavor, &err) < 0)
		die("flavor", &err);

	t_create = clock_mono_ns();
	create_all(&r, flavor_name, 64);
	create_secs = (double)(clock_mono_ns() - t_create) / 1e9;
	render_all(&r, flavor, flavor_name);

	r.done = r.failed = r.inflight = r.writes = 0;
	t0 = clock_mono_ns();
	{
		FILE *tl = timeline ? fopen(timeline, "w") : NULL;
		int64_t next_tick = t0;

		if (tl)
			fprintf(tl, "seconds,done\n");
		while (r.done < n) {
			int64_t now;

			while (started < n && r.inflight < parallel) {
				start_item(&r, &r.items[started++]);
				r.inflight++;
			}
			loop_once(c.http, 20);
			now = clock_mono_ns();
			while (tl && now >= next_tick) {
				fprintf(tl, "%.1f,%d\n", (double)(next_tick - t0) / 1e9, r.done);
				next_tick += 100000000;
			}
		}
		t1 = clock_mono_ns();
		if (tl) {
			fprintf(tl, "%.3f,%d\n", (double)(t1 - t0) / 1e9, r.done);
			fclose(tl);
		}
	}
	if (r.failed)
		die("writes", &r.err);
	secs = (double)(t1 - t0) / 1e9;
	{
		int64_t *lat = calloc((size_t)n, sizeof(int64_t));
		struct kube_http_stats st;
		double p50, p99;

		for (int i = 0; i < n; i++)
			lat[i] = r.items[i].done_ns - r.items[i].start_ns;
		qsort(lat, (size_t)n, sizeof(int64_t), cmp_i64);
		p50 = lat[(n - 1) / 2] / 1e6;
		p99 = lat[(int)(0.99 * (n - 1) + 0.5)] / 1e6;
		kube_http_stats(c.http, &st);
		if (as_json)
			printf("{\"devservers\":%d,\"concurrency\":%d,\"writes\":%d,\"children_per_devserver\":%d,"
			       "\"seconds\":%.3f,\"writes_per_s\":%.1f,\"devservers_per_s\":%.2f,"
			       "\"latency_p50_ms\":%.1f,\"latency_p99_ms\":%.1f,\"setup_create_s\":%.3f,"
			       "\"http_requests\":%llu,\"http2_requests\":%llu,\"retries\":%llu}\n",
			       n, parallel, r.writes, r.items[0].nchildren, secs, r.writes / secs, n / secs, p50, p99,
			       create_secs, (unsigned long long)st.requests, (unsigned long long)st.http2,
			       (unsigned long long)st.retries);
		else
			printf("ceiling %d DevServers x (%d applies + 1 Secret + 1 status) = %d writes in %.2f s: "
			       "%.0f writes/s, %.1f DevServers/s (%d in flight; per DevServer p50 %.1f ms p99 %.1f ms)\n",
			       n, r.items[0].nchildren, r.writes, secs, r.writes / secs, n / secs, parallel, p50, p99);
		free(lat);
	}
	for (int i = 0; i < n; i++) {
		json_free(r.items[i].ds);
		json_free(r.items[i].status_patch);
		hostkey_secret_free(r.items[i].secret);
		for (int k = 0; k < r.items[i].nchildren; k++)
			json_free(r.items[i].children[k]);
	}
	free(r.items);
	json_free(flavor);
	kube_client_cleanup(&c);
	kube_config_cleanup(&cfg);
	return 0;
}
