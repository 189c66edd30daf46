/* kube_bench.c - how fast and how big the C client is against a real API
 * server ($KUBECONFIG): create N ConfigMaps, list them (paginated), sync a
 * list+watch cache over them, push updates through the watch, and measure
 * GETs per second, sequential and concurrent. Prints one line per phase.
 *
 *   kube_bench [-n COUNT] [-g GETS] [-p PARALLEL] [-k]
 *
 * It works in a namespace of its own and deletes it at the end (-k keeps it).
 * Memory figures are heap bytes in use (mallinfo2) while the list or the
 * cache is held, and the peak RSS from /proc/self/status.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_args.h"
#include "core/clock.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"

static long rss_kib(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Heap bytes in use (RSS would hide reuse of freed memory). */
static long heap_kib(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

static void die(const char *what, const struct error *err)
{
	fprintf(stderr, "kube_bench: %s: %s\n", what, err->msg);
	exit(1);
}

/* One turn of the event loop; a failing loop (curl's multi interface) would
 * otherwise spin until the deadline. */
static void loop_once(struct kube_http *h, int timeout_ms)
{
	if (kube_http_run_once(h, timeout_ms) < 0) {
		fprintf(stderr, "kube_bench: event loop failed\n");
		exit(1);
	}
}

struct batch {
	int inflight, done, failed;
	struct error err;
};

static void batch_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct batch *b = ud;

	b->inflight--;
	b->done++;
	if (rc < 0) {
		b->failed++;
		b->err = *err;
	}
	json_free(obj);
}

/* Runs n calls built by make(i) with at most parallel in flight. */
typedef void (*make_fn)(int i, const char *ns, struct kube_call_spec *s, struct json **body);

static double run_batch(struct kube_client *c, const char *ns, int n, int parallel, make_fn make)
{
	struct batch b = {0};
	int started = 0;
	int64_t t0 = clock_mono_ns();
	struct error err;

	while (b.done < n) {
		while (started < n && b.inflight < parallel) {
			struct kube_call_spec s = {0};
			struct json *body = NULL;

			make(started, ns, &s, &body);
			if (kube_call_submit(c, &s, batch_done, &b, &err) == 0)
				die("submit", &err);
			json_free(body);
			b.inflight++;
			started++;
		}
		loop_once(c->http, 100);
	}
	if (b.failed)
		die("batch", &b.err);
	return (double)(clock_mono_ns() - t0) / 1e9;
}

static const struct kube_resource *cm_res(void)
{
	return kube_resource_find("v1", "ConfigMap");
}

static void make_create(int i, const char *ns, struct kube_call_spec *s, struct json **body)
{
	char text[512];
	struct error err;

	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%05d\",\"labels\":"
		 "{\"bench\":\"yes\",\"app.kubernetes.io/managed-by\":\"kube-bench\"}},\"data\":{\"index\":\"%d\","
		 "\"payload\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}",
		 i, i);
	*body = json_parse(text, strlen(text), &err);
	s->method = "POST";
	s->res = cm_res();
	s->ns = ns;
	s->body = *body;
}

static void make_patch(int i, const char *ns, struct kube_call_spec *s, struct json **body)
{
	static char name[32];
	char text[128];
	struct error err;

	snprintf(name, sizeof(name), "cm-%05d", i);
	snprintf(text, sizeof(text), "{\"data\":{\"patched\":\"%d\"}}", i);
	*body = json_parse(text, strlen(text), &err);
	s->method = "PATCH";
	s->res = cm_res();
	s->ns = ns;
	s->name = name; /* copied into the URL at submit */
	s->body = *body;
	s->content_type = "application/merge-patch+json";
}

static int get_count;
static void make_get(int i, const char *ns, struct kube_call_spec *s, struct json **body)
{
	static char name[32];

	snprintf(name, sizeof(name), "cm-%05d", i % get_count);
	s->method = "GET";
	s->res = cm_res();
	s->ns = ns;
	s->name = name;
}

static int updates_seen;
static void on_update(void *ud, const struct json *old, const struct json *obj)
{
	if (json_path(obj, "data", "patched", NULL))
		updates_seen++;
}

int main(int argc, char **argv)
{
	struct kube_config cfg;
	struct kube_client c;
	struct error err;
	int n = 10000, gets = 2000, parallel = 32, keep = 0, opt;
	char ns[64];
	double secs;
	long rss0, rss1;

	while ((opt = getopt(argc, argv, "n:g:p:k")) != -1) {
		switch (opt) {
		case 'n': n = bench_int_arg("-n", optarg, 1, 10000000); break;
		case 'g': gets = bench_int_arg("-g", optarg, 0, 10000000); break;
		case 'p': parallel = bench_int_arg("-p", optarg, 1, 4096); break;
		case 'k': keep = 1; break;
		default:
			fprintf(stderr, "usage: kube_bench [-n COUNT] [-g GETS] [-p PARALLEL] [-k]\n");
			return 2;
		}
	}
	if (n < 1 || gets < 1 || parallel < 1)
		return 2;
	get_count = n;
	snprintf(ns, sizeof(ns), "kube-bench-%d", (int)getpid());
	if (kube_config_load(&cfg, NULL, &err) < 0)
		die("config", &err);
	if (kube_client_init(&c, &cfg, &err) < 0)
		die("client", &err);
	{
		char text[256];
		struct json *o;

		snprintf(text, sizeof(text), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
		o = json_parse(text, strlen(text), &err);
		if (kube_create(&c, kube_resource_find("v1", "Namespace"), NULL, o, NULL, &err) < 0)
			die("namespace", &err);
		json_free(o);
	}
	printf("server %s, namespace %s, %d ConfigMaps, %d in flight\n", cfg.server, ns, n, parallel);

	secs = run_batch(&c, ns, n, parallel, make_create);
	printf("create  %6d objects   %7.2f s  %8.0f req/s\n", n, secs, n / secs);

	/* paginated list */
	{
		struct json *list;
		int64_t t0 = clock_mono_ns();
		const struct json *items;

		rss0 = heap_kib();
		struct kube_list_options lo = {.label_selector = "bench=yes"};

		if (kube_list(&c, cm_res(), ns, &lo, &list, &err) < 0)
			die("list", &err);
		secs = (double)(clock_mono_ns() - t0) / 1e9;
		rss1 = heap_kib();
		items = json_get(list, "items");
		printf("list    %6zu items     %7.2f s  %8.0f items/s  heap +%ld KiB (%.1f KiB/object, with managedFields)\n",
		       items->u.arr.len, secs, items->u.arr.len / secs, rss1 - rss0,
		       (double)(rss1 - rss0) / (double)items->u.arr.len);
		json_free(list);
	}

	/* list+watch into a cache, then updates through the watch */
	{
		struct cache_handlers h = {.on_update = on_update};
		struct cache cache;
		struct watch w;
		struct watch_sink sink;
		struct watch_options wo = {.ns = ns, .label_selector = "bench=yes"};
		int64_t t0 = clock_mono_ns();
		int patches = n < 1000 ? n : 1000;

		rss0 = heap_kib();
		cache_init(&cache, &h);
		cache_sink(&cache, &sink);
		watch_init(&w, &c, cm_res(), &wo, &sink);
		if (watch_start(&w, &err) < 0)
			die("watch", &err);
		while (!cache.synced)
			loop_once(c.http, 100);
		secs = (double)(clock_mono_ns() - t0) / 1e9;
		rss1 = heap_kib();
		printf("sync    %6zu cached    %7.2f s  cache heap +%ld KiB (%.1f KiB/object, managedFields stripped)\n",
		       cache_count(&cache), secs, rss1 - rss0, (double)(rss1 - rss0) / (double)cache_count(&cache));
		t0 = clock_mono_ns();
		run_batch(&c, ns, patches, parallel, make_patch);
		while (updates_seen < patches)
			loop_once(c.http, 100);
		secs = (double)(clock_mono_ns() - t0) / 1e9;
		printf("watch   %6d updates   %7.2f s  %8.0f events/s (patch sent to cache updated)\n", patches, secs,
		       patches / secs);
		watch_cleanup(&w);
		cache_cleanup(&cache);
	}

	/* GETs */
	{
		struct json *o;
		int seq = gets < 500 ? gets : 500;
		int64_t t0 = clock_mono_ns();

		for (int i = 0; i < seq; i++) {
			char name[32];

			snprintf(name, sizeof(name), "cm-%05d", i % n);
			if (kube_get(&c, cm_res(), ns, name, &o, &err) < 0)
				die("get", &err);
			json_free(o);
		}
		secs = (double)(clock_mono_ns() - t0) / 1e9;
		printf("get     %6d sequential %6.2f s  %8.0f req/s  (%.2f ms each)\n", seq, secs, seq / secs,
		       1000 * secs / seq);
		secs = run_batch(&c, ns, gets, parallel, make_get);
		printf("get     %6d concurrent %6.2f s  %8.0f req/s  (%d in flight)\n", gets, secs, gets / secs, parallel);
	}
	{
		struct kube_http_stats st;

		kube_http_stats(c.http, &st);
		printf("http    %llu requests (%llu over HTTP/2), %llu retries; peak RSS %ld KiB\n",
		       (unsigned long long)st.requests, (unsigned long long)st.http2,
		       (unsigned long long)st.retries, rss_kib("VmHWM:"));
	}
	if (!keep && kube_delete(&c, kube_resource_find("v1", "Namespace"), NULL, ns, "Background", &err) < 0)
		die("delete namespace", &err);
	kube_client_cleanup(&c);
	kube_config_cleanup(&cfg);
	return 0;
}
