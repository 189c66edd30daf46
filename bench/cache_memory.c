/* cache_memory.c - how much heap the operator's caches take per DevServer.
 *
 *   bench_cache_memory [-n DEVSERVERS] [-j] FILE...
 *
 * Each FILE holds objects as the API server returns them (one object, or a
 * List such as `kubectl get deploy,svc,pvc,cm,secret,pod,devserver -o json`
 * of one DevServer's family; the first DevServer in it names the family).
 * For every one of DEVSERVERS copies, each object is made distinct the way
 * real ones are (every string naming the DevServer, every UID, version,
 * timestamp, address and message, every value of a Secret's or ConfigMap's
 * data is stamped with the copy's number, keeping its length, so sizes do
 * not drift and nothing is shared that would differ on a cluster), encoded
 * and parsed again (what a watch event costs) and stored in a cache with
 * the operator's projection for its kind (operator/projection.h), the way
 * the informers do. It prints the heap in use (glibc's mallinfo2: bytes handed
 * out plus the allocator's headers) per kind and per DevServer, the RSS
 * growth, and the JSON-encoded size the caches report (cache_bytes), so a
 * change to the document model or a projection is measured without a
 * cluster and without its noise: the numbers repeat to the byte.
 *
 * What it does not measure: the HTTP buffers, watch queues, Lua states and
 * the fragmentation that a long run of updates leaves (bench/run measures
 * the process's RSS for those).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "bench_args.h"
#include "core/file.h"
#include "json/json.h"
#include "kube/cache.h"
#include "operator/projection.h"

#define BENCH_MAX_KINDS 16
#define BENCH_MAX_FILE_BYTES (8u * 1024 * 1024)

struct kind_cache {
	char kind[64];
	struct cache cache;
	size_t heap_bytes;  /* mallinfo2 growth while this kind was filled */
	size_t objects;
};

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void (*projection_for(const char *kind))(struct json *)
{
	if (strcmp(kind, API_KIND_DEVSERVER) == 0)
		return projection_devserver;
	if (strcmp(kind, "Pod") == 0)
		return projection_pod;
	if (strcmp(kind, "Secret") == 0)
		return projection_secret;
	return projection_child;
}

/* Overwrites the last digits of s (in place, same length) with i, so every
 * copy is distinct and exactly as long as the original. */
static void stamp(struct json *s, unsigned i)
{
	char digits[16];
	size_t n;

	if (!s || s->type != JSON_STRING)
		return;
	n = (size_t)snprintf(digits, sizeof(digits), "%06u", i);
	if (s->u.str.len < n)
		return;
	memcpy(s->u.str.ptr + s->u.str.len - n, digits, n);
}

/* Keys whose values differ from one object to the next on a real cluster. */
static bool per_object_key(const char *key)
{
	static const char *const keys[] = {
		"uid", "resourceVersion", "creationTimestamp", "lastTransitionTime", "lastUpdateTime",
		"lastProbeTime", "startedAt", "finishedAt", "podIP", "ip", "hostIP", "nodeName",
		"clusterIP", "volumeName", "containerID", "imageID", "hostKey", "hostKeyFingerprint",
		"message", NULL,
	};
	size_t n = strlen(key);

	for (const char *const *k = keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return n > 4 && strcmp(key + n - 4, "Time") == 0;
}

/* Makes copy i of an object as distinct as a real one: every string that
 * names the DevServer (the template's name) or carries a per-object value
 * (UIDs, versions, timestamps, addresses; every value of a Secret's or
 * ConfigMap's data: keys and host keys differ per DevServer) is stamped
 * with i, so only what truly repeats between DevServers can be shared. */
static void stamp_tree(struct json *v, const char *key, const char *ds_name, bool data, unsigned i)
{
	if (v->type == JSON_STRING) {
		if (data || (key && per_object_key(key)) || (ds_name && strstr(v->u.str.ptr, ds_name)))
			stamp(v, i);
	} else if (v->type == JSON_ARRAY) {
		for (size_t k = 0; k < v->u.arr.len; k++)
			stamp_tree(v->u.arr.items[k], key, ds_name, data, i);
	} else if (v->type == JSON_OBJECT) {
		for (size_t k = 0; k < v->u.obj.len; k++) {
			const char *child = v->u.obj.items[k].key;

			stamp_tree(v->u.obj.items[k].value, child, ds_name,
				   data || strcmp(child, "data") == 0 || strcmp(child, "binaryData") == 0, i);
		}
	}
}

static struct json *load(const char *path)
{
	struct error err = { 0 };
	struct buf text;
	struct json *v;

	if (file_read_bounded(path, BENCH_MAX_FILE_BYTES, FILE_READ_REGULAR, &text, &err) != 0) {
		fprintf(stderr, "bench_cache_memory: %s\n", err.msg);
		exit(1);
	}
	v = json_parse(text.data, text.len, &err);
	buf_cleanup(&text);
	if (!v) {
		fprintf(stderr, "bench_cache_memory: %s: %s\n", path, err.msg);
		exit(1);
	}
	return v;
}

static struct kind_cache *kind_slot(struct kind_cache *kinds, size_t *nkinds, const char *kind)
{
	for (size_t k = 0; k < *nkinds; k++)
		if (strcmp(kinds[k].kind, kind) == 0)
			return &kinds[k];
	if (*nkinds == BENCH_MAX_KINDS) {
		fprintf(stderr, "bench_cache_memory: more than %d kinds\n", BENCH_MAX_KINDS);
		exit(1);
	}
	struct kind_cache *kc = &kinds[(*nkinds)++];

	memset(kc, 0, sizeof(*kc));
	snprintf(kc->kind, sizeof(kc->kind), "%s", kind);
	cache_init(&kc->cache, &(struct cache_handlers){ 0 });
	if (strcmp(kind, "Pod") == 0)
		cache_index_by_label(&kc->cache, API_LABEL_NAME);
	cache_set_transform(&kc->cache, projection_for(kind));
	return kc;
}

/* Copies of template, each through the encoder and parser, into kc. */
static void fill(struct kind_cache *kc, const struct json *template, const char *ds_name, unsigned n)
{
	size_t before = heap_in_use();

	for (unsigned i = 0; i < n; i++) {
		struct json *copy = json_clone(template);
		struct error err = { 0 };
		struct buf text;
		struct json *parsed;

		stamp_tree(copy, NULL, ds_name, false, i);
		buf_init(&text, BENCH_MAX_FILE_BYTES);
		if (json_encode(copy, &text, 0) != 0) {
			fprintf(stderr, "bench_cache_memory: an object over %u bytes\n", BENCH_MAX_FILE_BYTES);
			exit(1);
		}
		json_free(copy);
		parsed = json_parse(text.data, text.len, &err);
		buf_cleanup(&text);
		if (!parsed) {
			fprintf(stderr, "bench_cache_memory: %s\n", err.msg);
			exit(1);
		}
		cache_apply(&kc->cache, WATCH_ADDED, parsed);
	}
	kc->heap_bytes += heap_in_use() - before;
	kc->objects += n;
}

int main(int argc, char **argv)
{
	struct kind_cache kinds[BENCH_MAX_KINDS];
	size_t nkinds = 0, heap_total = 0, encoded_total = 0;
	unsigned n = 1000;
	bool as_json = false;
	struct json_frozen_stats frozen;
	long rss_before;
	int opt;

	while ((opt = getopt(argc, argv, "n:j")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)bench_int_arg("-n", optarg, 1, 1000000);
			break;
		case 'j':
			as_json = true;
			break;
		default:
			fprintf(stderr, "usage: bench_cache_memory [-n DEVSERVERS] [-j] FILE...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: bench_cache_memory [-n DEVSERVERS] [-j] FILE...\n");
		return 2;
	}
	rss_before = rss_kib();
	for (int a = optind; a < argc; a++) {
		struct json *doc = load(argv[a]);
		const struct json *items = json_get(doc, "items");
		size_t count = items && items->type == JSON_ARRAY ? items->u.arr.len : 1;

		const char *ds_name = NULL;

		for (size_t k = 0; k < count && !ds_name; k++) {
			const struct json *obj = items && items->type == JSON_ARRAY ? items->u.arr.items[k] : doc;
			const char *kind = json_get_string(obj, "kind");

			if (kind && strcmp(kind, API_KIND_DEVSERVER) == 0)
				ds_name = json_get_string(json_get(obj, "metadata"), "name");
		}
		for (size_t k = 0; k < count; k++) {
			const struct json *obj = items && items->type == JSON_ARRAY ? items->u.arr.items[k] : doc;
			const char *kind = json_get_string(obj, "kind");

			if (!kind) {
				fprintf(stderr, "bench_cache_memory: %s: an object without a kind\n", argv[a]);
				return 1;
			}
			fill(kind_slot(kinds, &nkinds, kind), obj, ds_name, n);
		}
		json_free(doc);
	}
	for (size_t k = 0; k < nkinds; k++) {
		heap_total += kinds[k].heap_bytes;
		encoded_total += cache_bytes(&kinds[k].cache);
	}
	json_frozen_stats(&frozen);
	if (as_json) {
		printf("{\"devservers\":%u,\"heap_bytes\":%zu,\"heap_bytes_per_devserver\":%zu,"
		       "\"encoded_bytes\":%zu,\"rss_growth_kib\":%ld,\"frozen_nodes\":%zu,"
		       "\"frozen_bytes\":%zu,\"kinds\":{",
		       n, heap_total, heap_total / n, encoded_total, rss_kib() - rss_before, frozen.nodes,
		       frozen.bytes);
		for (size_t k = 0; k < nkinds; k++)
			printf("%s\"%s\":{\"objects\":%zu,\"heap_bytes\":%zu,\"encoded_bytes\":%zu}",
			       k ? "," : "", kinds[k].kind, kinds[k].objects, kinds[k].heap_bytes,
			       cache_bytes(&kinds[k].cache));
		printf("}}\n");
	} else {
		printf("%-24s %8s %12s %14s %14s\n", "kind", "objects", "heap/object", "encoded/object",
		       "heap/encoded");
		for (size_t k = 0; k < nkinds; k++) {
			const struct kind_cache *kc = &kinds[k];
			size_t enc = cache_bytes(&kc->cache);

			printf("%-24s %8zu %12zu %14zu %14.2f\n", kc->kind, kc->objects,
			       kc->heap_bytes / kc->objects, enc / kc->objects,
			       enc ? (double)kc->heap_bytes / (double)enc : 0.0);
		}
		printf("heap per DevServer: %zu bytes (%.1f MB for %u); encoded %zu bytes; RSS grew %ld KiB\n",
		       heap_total / n, (double)heap_total / 1e6, n, encoded_total / n, rss_kib() - rss_before);
		printf("frozen store: %zu distinct values (%zu per DevServer), %zu bytes in their blocks\n",
		       frozen.nodes, frozen.nodes / n, frozen.bytes);
	}
	for (size_t k = 0; k < nkinds; k++)
		cache_cleanup(&kinds[k].cache);
	return 0;
}
