/* render_bench.c - how long one policy render takes with the shipped
 * (embedded) bundle, over a few DevServer shapes.
 *
 *   bench_render [-n RENDERS] [-w WARMUP] [-j]
 *
 * Times policy_engine_render (what the operator's
 * devserver_policy_render_duration_seconds histogram observes: JSON -> Lua,
 * the policy, Lua -> JSON) and, separately, the host-side finishing step the
 * operator runs next (policy_finish_render: validation, namespace, owner
 * reference, labels; plus the canonical hash it stamps as the render-hash
 * annotation). The shapes cycle so every shape gets RENDERS/3 renders. -j
 * prints one JSON object instead of the text lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_args.h"
#include "core/clock.h"
#include "json/json.h"
#include "policy/bundle.h"
#include "policy/context.h"
#include "policy/engine.h"
#include "policy/validate.h"

struct shape {
	const char *name;
	const char *ds;
};

/* The DevServer as the operator's cache holds it (metadata from the server). */
#define DS_META(name) \
	"\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\",\"metadata\":{\"name\":\"" name "\"," \
	"\"namespace\":\"bench\",\"uid\":\"6f1c2b1e-0d7a-4a51-9d0e-1a2b3c4d5e6f\",\"generation\":1," \
	"\"resourceVersion\":\"12345\",\"creationTimestamp\":\"2025-01-01T00:00:00Z\"}"

static const struct shape shapes[] = {
	{ "minimal", "{" DS_META("tiny") ",\"spec\":{\"flavor\":\"bench\",\"image\":\"example.invalid/dev:1\"}}" },
	{ "example",
	  "{" DS_META("mybox") ",\"spec\":{\"flavor\":\"bench\",\"owner\":\"alice\",\"image\":\"debian:bookworm\","
	  "\"ssh\":{\"publicKeys\":[\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
	  "alice@laptop\"]},\"lifecycle\":{\"timeToLive\":\"8h\"},\"home\":{\"size\":\"20Gi\"},"
	  "\"env\":[{\"name\":\"EDITOR\",\"value\":\"vim\"}]}}" },
	{ "large",
	  "{" DS_META("big") ",\"spec\":{\"flavor\":\"bench\",\"owner\":\"bob\",\"image\":\"example.invalid/dev:2\","
	  "\"ssh\":{\"publicKeys\":["
	  "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bob@a\","
	  "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt9xqZ0l6bQ1QY8rL1v2m3n4o5p6q7r8s9t0u1v2w3x bob@b\","
	  "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC1d2e3f4g5h6i7j8k9l0m1n2o3p4q5r6s7t8u9v0w1x bob@c\"]},"
	  "\"home\":{\"size\":\"100Gi\"},"
	  "\"env\":[{\"name\":\"EDITOR\",\"value\":\"vim\"},{\"name\":\"LANG\",\"value\":\"C.UTF-8\"},"
	  "{\"name\":\"GOPATH\",\"value\":\"/home/dev/go\"},{\"name\":\"HISTSIZE\",\"value\":\"100000\"},"
	  "{\"name\":\"PAGER\",\"value\":\"less\"},{\"name\":\"TZ\",\"value\":\"UTC\"}],"
	  "\"volumes\":[{\"claimName\":\"data\",\"mountPath\":\"/data\"},"
	  "{\"claimName\":\"cache\",\"mountPath\":\"/cache\",\"readOnly\":true}]}}" },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static const char flavor_text[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServerFlavor\",\"metadata\":{\"name\":\"bench\"},"
	"\"spec\":{\"default\":true,\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"4Gi\"},"
	"\"limits\":{\"cpu\":\"2\",\"memory\":\"4Gi\"}},"
	"\"lifecycle\":{\"defaultTimeToLive\":\"8h\",\"maxTimeToLive\":\"7d\"}}}";

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(int64_t *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i] / 1000.0;
}

static struct json *parse(const char *text)
{
	struct error err;
	struct json *j = json_parse(text, strlen(text), &err);

	if (!j) {
		fprintf(stderr, "bench_render: bad built-in JSON: %s\n", err.msg);
		exit(1);
	}
	return j;
}

int main(int argc, char **argv)
{
	int n = 10000, warmup = 200, as_json = 0, opt;
	struct policy_bundle bundle;
	struct policy_engine *e;
	struct json *ds[NSHAPES], *flavor, *ctx;
	int64_t *render_ns, *finish_ns, *shape_ns[NSHAPES];
	int shape_n[NSHAPES] = { 0 };
	struct error err;

	while ((opt = getopt(argc, argv, "n:w:j")) != -1) {
		switch (opt) {
		case 'n': n = bench_int_arg("-n", optarg, 1, 100000000); break;
		case 'w': warmup = bench_int_arg("-w", optarg, 0, 100000000); break;
		case 'j': as_json = 1; break;
		default:
			fprintf(stderr, "usage: bench_render [-n RENDERS] [-w WARMUP] [-j]\n");
			return 2;
		}
	}
	if (n < (int)NSHAPES || warmup < 0)
		return 2;
	policy_bundle_init(&bundle);
	if (policy_bundle_load_embedded(&bundle, &err) < 0 || policy_engine_new(&bundle, NULL, &e, &err) < 0) {
		fprintf(stderr, "bench_render: %s\n", err.msg);
		return 1;
	}
	for (size_t s = 0; s < NSHAPES; s++) {
		ds[s] = parse(shapes[s].ds);
		shape_ns[s] = calloc((size_t)n, sizeof(int64_t));
	}
	flavor = parse(flavor_text);
	{
		struct policy_context_config cc = { "example.invalid/default:1", "example.invalid/tools:1" };

		ctx = policy_context_new(&cc, "bench");
	}
	render_ns = calloc((size_t)n, sizeof(int64_t));
	finish_ns = calloc((size_t)n, sizeof(int64_t));

	for (int i = -warmup; i < n; i++) {
		size_t s = (size_t)(i < 0 ? -i : i) % NSHAPES;
		struct json *out = NULL;
		int64_t t0, t1, t2;

		t0 = clock_mono_ns();
		if (policy_engine_render(e, ds[s], flavor, ctx, &out, &err) < 0) {
			fprintf(stderr, "bench_render: render %s: %s\n", shapes[s].name, err.msg);
			return 1;
		}
		t1 = clock_mono_ns();
		if (policy_finish_render(out, ds[s], &err) < 0) {
			fprintf(stderr, "bench_render: finish %s: %s\n", shapes[s].name, err.msg);
			return 1;
		}
		for (size_t k = 0; k < out->u.arr.len; k++)
			(void)json_hash(out->u.arr.items[k]);
		t2 = clock_mono_ns();
		json_free(out);
		if (i < 0)
			continue;
		render_ns[i] = t1 - t0;
		finish_ns[i] = t2 - t1;
		shape_ns[s][shape_n[s]++] = t1 - t0;
	}
	qsort(render_ns, (size_t)n, sizeof(int64_t), cmp_i64);
	qsort(finish_ns, (size_t)n, sizeof(int64_t), cmp_i64);
	for (size_t s = 0; s < NSHAPES; s++)
		qsort(shape_ns[s], (size_t)shape_n[s], sizeof(int64_t), cmp_i64);

	if (as_json) {
		printf("{\"renders\":%d,\"render_p50_us\":%.1f,\"render_p99_us\":%.1f,\"render_max_us\":%.1f,"
		       "\"finish_p50_us\":%.1f,\"finish_p99_us\":%.1f,\"lua_mem_bytes\":%zu,\"shapes\":{",
		       n, pct_us(render_ns, n, 0.5), pct_us(render_ns, n, 0.99), render_ns[n - 1] / 1000.0,
		       pct_us(finish_ns, n, 0.5), pct_us(finish_ns, n, 0.99), policy_engine_mem_bytes(e));
		for (size_t s = 0; s < NSHAPES; s++)
			printf("%s\"%s\":{\"p50_us\":%.1f,\"p99_us\":%.1f}", s ? "," : "", shapes[s].name,
			       pct_us(shape_ns[s], shape_n[s], 0.5), pct_us(shape_ns[s], shape_n[s], 0.99));
		printf("}}\n");
	} else {
		printf("render  %d renders (policy %s): p50 %.1f us  p99 %.1f us  max %.1f us\n", n,
		       policy_engine_revision(e), pct_us(render_ns, n, 0.5), pct_us(render_ns, n, 0.99),
		       render_ns[n - 1] / 1000.0);
		for (size_t s = 0; s < NSHAPES; s++)
			printf("  %-8s p50 %.1f us  p99 %.1f us\n", shapes[s].name, pct_us(shape_ns[s], shape_n[s], 0.5),
			       pct_us(shape_ns[s], shape_n[s], 0.99));
		printf("finish  (validate, stamp, hash) p50 %.1f us  p99 %.1f us; Lua state %zu KiB\n",
		       pct_us(finish_ns, n, 0.5), pct_us(finish_ns, n, 0.99), policy_engine_mem_bytes(e) / 1024);
	}
	for (size_t s = 0; s < NSHAPES; s++) {
		json_free(ds[s]);
		free(shape_ns[s]);
	}
	json_free(flavor);
	json_free(ctx);
	free(render_ns);
	free(finish_ns);
	policy_engine_free(e);
	policy_bundle_cleanup(&bundle);
	return 0;
}
