/* backend_kube.c - devctl's cluster seam (backend.h) on the project's own
 * Kubernetes client (src/kube).
 *
 * devctl is one short process, so it opens one connection lazily, on the
 * first call, and keeps it until exit. Waiting uses a real list+watch of the
 * one DevServer (field selector on its name), never polling. ssh and its
 * port-forward are processes, run by cli/ssh.c, not calls of this seam.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/names.h"
#include "api/policy_status.h"
#include "backend.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/file.h"
#include "core/mem.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/watch.h"
#include "policy/fixture.h"

#define BACKEND_POLICY_NAMESPACE "devserver-system"
#define BACKEND_POLICY_CONFIGMAP "devserver-policy"
#define BACKEND_LOG_MAX_LINE_BYTES (1u << 20)

static struct {
	bool ready;
	struct kube_config cfg;
	struct kube_client client;
	bool user_ns_looked_up;
	char user_ns[64];          /* the caller's DevServerUser namespace, "" if none */
} conn;

static void backend_close(void)
{
	if (!conn.ready)
		return;
	kube_client_cleanup(&conn.client);
	kube_config_cleanup(&conn.cfg);
	conn.ready = false;
}

static int backend_connect(const struct global_opts *g, struct error *err)
{
	struct kube_config_options o = {
		.kubeconfig = g->kubeconfig, .context = g->context, .namespace = g->namespace,
	};
	int rc;

	if (conn.ready)
		return 0;
	if ((rc = kube_config_load(&conn.cfg, &o, err)) < 0)
		return rc;
	if ((rc = kube_client_init(&conn.client, &conn.cfg, err)) < 0) {
		kube_config_cleanup(&conn.cfg);
		return rc;
	}
	conn.ready = true;
	atexit(backend_close);
	return 0;
}

/* Who the API server says we are (SelfSubjectReview), into out. */
static bool backend_whoami(char *out, size_t size)
{
	struct json *req = json_new_object(), *resp = NULL;
	struct error err;
	const char *name;
	bool ok = false;

	json_object_set_take(req, "apiVersion", json_new_string("authentication.k8s.io/v1"));
	json_object_set_take(req, "kind", json_new_string("SelfSubjectReview"));
	if (kube_create(&conn.client, kube_resource_find("authentication.k8s.io/v1", "SelfSubjectReview"), NULL,
			req, &resp, &err) == 0) {
		name = json_get_string(json_path(resp, "status", "userInfo", NULL), "username");
		if (name && *name && strlen(name) < size) {
			snprintf(out, size, "%s", name);
			ok = true;
		}
	}
	json_free(req);
	json_free(resp);
	return ok;
}

/* Whether we may list DevServers in ns (SelfSubjectAccessReview). */
static bool backend_may_list_devservers(const char *ns)
{
	struct json *req = json_new_object(), *spec = json_new_object(), *attrs = json_new_object();
	struct json *resp = NULL;
	struct error err;
	bool allowed = false;

	json_object_set_take(req, "apiVersion", json_new_string("authorization.k8s.io/v1"));
	json_object_set_take(req, "kind", json_new_string("SelfSubjectAccessReview"));
	json_object_set_take(attrs, "namespace", json_new_string(ns));
	json_object_set_take(attrs, "verb", json_new_string("list"));
	json_object_set_take(attrs, "group", json_new_string(API_GROUP));
	json_object_set_take(attrs, "resource", json_new_string(API_RESOURCE_DEVSERVERS));
	json_object_set_take(spec, "resourceAttributes", attrs);
	json_object_set_take(req, "spec", spec);
	if (kube_create(&conn.client, kube_resource_find("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
			NULL, req, &resp, &err) == 0)
		allowed = json_get_bool(json_get(resp, "status"), "allowed", false);
	json_free(req);
	json_free(resp);
	return allowed;
}

/* The caller's namespace from their DevServerUser (docs/users.md): the one
 * whose spec.username is who the API server says we are; when we may not
 * read DevServerUsers (developers usually may not), the namespace the
 * operator's rule gives that username, if we may list DevServers there.
 * Looked up once per run; "" when there is none. */
static const char *backend_user_namespace(void)
{
	char me[256], ns[64];
	struct json *list = NULL;
	struct error err;

	if (conn.user_ns_looked_up)
		return conn.user_ns;
	conn.user_ns_looked_up = true;
	if (!backend_whoami(me, sizeof(me)))
		return conn.user_ns;
	if (kube_list(&conn.client, kube_resource_find(API_GROUP_VERSION, API_KIND_USER), NULL, NULL, &list,
		      &err) == 0) {
		const struct json *items = json_get(list, "items");

		for (size_t i = 0; items && items->type == JSON_ARRAY && i < items->u.arr.len; i++) {
			const struct json *u = items->u.arr.items[i];
			const char *want = json_get_string(json_get(u, "status"), "namespace");

			if (strcmp(json_get_string(json_get(u, "spec"), "username") ?: "", me) != 0)
				continue;
			if (want && *want && strlen(want) < sizeof(conn.user_ns))
				snprintf(conn.user_ns, sizeof(conn.user_ns), "%s", want);
			else if (api_user_namespace(me, ns, sizeof(ns)))
				snprintf(conn.user_ns, sizeof(conn.user_ns), "%s", ns);
			break;
		}
		json_free(list);
		return conn.user_ns;
	}
	if (api_user_namespace(me, ns, sizeof(ns)) && backend_may_list_devservers(ns))
		snprintf(conn.user_ns, sizeof(conn.user_ns), "%s", ns);
	return conn.user_ns;
}

/* -n (or the config file's namespace), then the context's, then the
 * caller's DevServerUser namespace, then "default". */
static const char *backend_ns(const struct global_opts *g)
{
	if (g->namespace)
		return g->namespace;
	if (conn.cfg.namespace_defaulted && *backend_user_namespace())
		return conn.user_ns;
	return conn.cfg.namespace;
}

static const struct kube_resource *res_devservers(void)
{
	return kube_resource_find(API_GROUP_VERSION, API_KIND_DEVSERVER);
}

/* A clearer message for the commonest failure: the DevServer is not there. */
static int backend_named(int rc, const struct global_opts *g, const char *name, struct error *err)
{
	if (rc == ERR_NOT_FOUND)
		return error_set(err, ERR_NOT_FOUND, "DevServer \"%s\" not found in namespace \"%s\"",
				 name, backend_ns(g));
	return rc;
}

int backend_create(const struct global_opts *g, const struct json *obj, struct json **out,
		   struct error *err)
{
	int rc = backend_connect(g, err);

	if (rc == 0)
		rc = kube_create(&conn.client, res_devservers(), backend_ns(g), obj, out, err);
	return rc;
}

int backend_get(const struct global_opts *g, const char *name, struct json **out, struct error *err)
{
	int rc = backend_connect(g, err);

	if (rc == 0)
		rc = backend_named(kube_get(&conn.client, res_devservers(), backend_ns(g), name, out, err),
				   g, name, err);
	return rc;
}

/* Takes list's "items" out of it (a new array; the list is freed). */
static struct json *backend_take_items(struct json *list)
{
	struct json *items = json_get(list, "items");
	struct json *copy = items && items->type == JSON_ARRAY ? json_clone(items) : json_new_array();

	json_free(list);
	return copy;
}

int backend_list(const struct global_opts *g, struct json **items, struct json **pods,
		 struct error *err)
{
	const char *ns;
	struct json *list = NULL;
	int rc = backend_connect(g, err);

	*items = NULL;
	if (pods)
		*pods = NULL;
	if (rc < 0)
		return rc;
	ns = g->all_namespaces ? NULL : backend_ns(g);
	if ((rc = kube_list(&conn.client, res_devservers(), ns, NULL, &list, err)) < 0)
		return rc;
	*items = backend_take_items(list);
	if (pods) {
		struct kube_list_options o = { .label_selector = "app.kubernetes.io/managed-by=devserver-operator" };

		list = NULL;
		if (kube_list(&conn.client, kube_resource_find("v1", "Pod"), ns, &o, &list, err) == 0)
			*pods = backend_take_items(list);
		else
			*pods = json_new_array(); /* the wide columns stay empty; the list still stands */
	}
	return 0;
}

int backend_patch(const struct global_opts *g, const char *name, const struct json *patch,
		  struct json **out, struct error *err)
{
	int rc = backend_connect(g, err);

	if (rc == 0)
		rc = backend_named(kube_patch_merge(&conn.client, res_devservers(), backend_ns(g), name,
						    patch, out, err), g, name, err);
	return rc;
}

int backend_delete(const struct global_opts *g, const char *name, struct error *err)
{
	int rc = backend_connect(g, err);

	if (rc == 0)
		rc = backend_named(kube_delete(&conn.client, res_devservers(), backend_ns(g), name,
					       "Background", err), g, name, err);
	return rc;
}

/* --- watching one DevServer ------------------------------------------------ */

struct backend_wait {
	struct cache cache;
	const char *ns, *name;
	backend_done_fn done;
	void *arg;
	bool finished;
};

/* Asks done() about the current state, once the cache has listed. */
static void backend_wait_check(struct backend_wait *w)
{
	if (!w->finished && w->cache.synced && w->done(cache_get(&w->cache, w->ns, w->name), w->arg))
		w->finished = true;
}

static void backend_wait_add(void *ud, const struct json *obj) { backend_wait_check(ud); }
static void backend_wait_update(void *ud, const struct json *o, const struct json *obj) { backend_wait_check(ud); }

int backend_watch(const struct global_opts *g, const char *name, int64_t timeout_ms,
		  backend_done_fn done, void *arg, struct json **last, struct error *err)
{
	struct backend_wait w = { .name = name, .done = done, .arg = arg };
	struct cache_handlers h = { backend_wait_add, backend_wait_update, backend_wait_add, &w };
	struct watch_options o = { 0 };
	struct watch_sink sink;
	struct watch watch;
	char field[320];
	int64_t deadline;
	int rc = backend_connect(g, err);

	if (last)
		*last = NULL;
	if (rc < 0)
		return rc;
	w.ns = backend_ns(g);
	cache_init(&w.cache, &h);
	cache_sink(&w.cache, &sink);
	snprintf(field, sizeof(field), "metadata.name=%s", name);
	o.ns = w.ns;
	o.field_selector = field;
	watch_init(&watch, &conn.client, res_devservers(), &o, &sink);
	if ((rc = watch_start(&watch, err)) < 0) {
		watch_cleanup(&watch);
		cache_cleanup(&w.cache);
		return rc;
	}
	deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - clock_mono_ms();

		backend_wait_check(&w); /* also right after a list that found nothing */
		if (w.finished)
			break;
		if (watch.last_err.code == ERR_UNAUTHORIZED || watch.last_err.code == ERR_PERMANENT) {
			rc = error_set(err, watch.last_err.code, "%s", watch.last_err.msg);
			break;
		}
		if (left <= 0) {
			rc = error_set(err, ERR_TIMEOUT, "timed out after %lld s", (long long)(timeout_ms / 1000));
			break;
		}
		if (kube_http_run_once(conn.client.http, left < 500 ? (int)left : 500) < 0) {
			rc = error_set(err, ERR_IO, "event loop failed");
			break;
		}
	}
	if (last) {
		const struct json *obj = cache_get(&w.cache, w.ns, name);

		*last = obj ? json_clone(obj) : NULL;
	}
	watch_stop(&watch);
	watch_cleanup(&watch);
	cache_cleanup(&w.cache);
	return rc;
}

/* --- events, logs, flavors, version ------------------------------------------ */

static int backend_ts_cmp(const void *a, const void *b)
{
	const struct json *x = *(const struct json *const *)a, *y = *(const struct json *const *)b;
	const char *tx = json_get_string(x, "lastTimestamp") ?: json_get_string(x, "eventTime") ?: "";
	const char *ty = json_get_string(y, "lastTimestamp") ?: json_get_string(y, "eventTime") ?: "";

	return strcmp(tx, ty);
}

/* The newest pod of the DevServer, or NULL (caller frees). */
static struct json *backend_pod(const struct global_opts *g, const char *name, struct error *err)
{
	struct kube_list_options o = { 0 };
	struct json *list = NULL, *items, *best = NULL;
	char sel[320];

	snprintf(sel, sizeof(sel), API_LABEL_NAME "=%s", name);
	o.label_selector = sel;
	if (kube_list(&conn.client, kube_resource_find("v1", "Pod"), backend_ns(g), &o, &list, err) < 0)
		return NULL;
	items = json_get(list, "items");
	for (size_t i = 0; items && i < items->u.arr.len; i++) {
		const struct json *p = items->u.arr.items[i];
		const char *ts = json_get_string(json_get(p, "metadata"), "creationTimestamp");

		if (json_path(p, "metadata", "deletionTimestamp", NULL))
			continue;
		if (!best || (ts && strcmp(ts, json_get_string(json_get(best, "metadata"), "creationTimestamp") ?: "") > 0))
			best = items->u.arr.items[i];
	}
	best = best ? json_clone(best) : NULL;
	json_free(list);
	return best;
}

int backend_devserver_pod(const struct global_opts *g, const char *name, struct json **pod,
			  struct error *err)
{
	int rc = backend_connect(g, err);

	*pod = NULL;
	if (rc < 0)
		return rc;
	err->code = 0;
	*pod = backend_pod(g, name, err);
	if (*pod)
		return 0;
	if (err->code < 0)
		return err->code;
	return error_set(err, ERR_NOT_FOUND, "DevServer \"%s\" has no pod (stopped, or not created yet)",
			 name);
}

int backend_events(const struct global_opts *g, const char *name, struct json **events,
		   struct error *err)
{
	const char *names[2] = { name, NULL };
	struct json *pod, *all;
	size_t n;
	int rc = backend_connect(g, err);

	*events = NULL;
	if (rc < 0)
		return rc;
	pod = backend_pod(g, name, err);
	names[1] = pod ? json_get_string(json_get(pod, "metadata"), "name") : NULL;
	all = json_new_array();
	for (int i = 0; i < 2 && names[i]; i++) {
		struct kube_list_options o = { 0 };
		struct json *list = NULL, *items;
		char sel[320];

		snprintf(sel, sizeof(sel), "involvedObject.name=%s", names[i]);
		o.field_selector = sel;
		if (kube_list(&conn.client, kube_resource_find("v1", "Event"), backend_ns(g), &o, &list, err) < 0)
			continue;
		items = json_get(list, "items");
		for (size_t k = 0; items && k < items->u.arr.len; k++)
			json_array_push_take(all, json_clone(items->u.arr.items[k]));
		json_free(list);
	}
	json_free(pod);
	n = all->u.arr.len;
	qsort(all->u.arr.items, n, sizeof(*all->u.arr.items), backend_ts_cmp);
	*events = all;
	return 0;
}

struct backend_log_stream {
	FILE *out;
	bool done;
	int rc;
	struct error err;
};

static int backend_log_data(void *ud, const char *data, size_t len, struct error *err)
{
	struct backend_log_stream *s = ud;

	if (fwrite(data, 1, len, s->out) != len)
		return error_set(err, ERR_IO, "writing the log: %s", error_errno_text(errno));
	fflush(s->out);
	return 0;
}

static void backend_log_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct backend_log_stream *s = ud;

	s->done = true;
	s->rc = rc;
	if (rc < 0 && err)
		s->err = *err;
}

int backend_logs(const struct global_opts *g, const char *name, bool follow, int64_t tail,
		 FILE *out, struct error *err)
{
	struct backend_log_stream s = { .out = out };
	struct kube_http_request r = { 0 };
	const char *pod_name;
	struct json *pod;
	struct buf path;
	int rc = backend_connect(g, err);

	if (rc < 0)
		return rc;
	pod = backend_pod(g, name, err);
	if (!pod)
		return error_set(err, ERR_NOT_FOUND, "DevServer \"%s\" has no pod (stopped, or not created yet)", name);
	pod_name = json_get_string(json_get(pod, "metadata"), "name");
	buf_init(&path, KUBE_URL_PART_MAX_BYTES);
	buf_append_str(&path, "/api/v1/namespaces/");
	kube_escape(&path, backend_ns(g));
	buf_append_str(&path, "/pods/");
	kube_escape(&path, pod_name);
	buf_appendf(&path, "/log?container=devserver%s", follow ? "&follow=true" : "");
	if (tail >= 0)
		buf_appendf(&path, "&tailLines=%lld", (long long)tail);
	r.method = "GET";
	r.path = buf_str(&path);
	r.accept = "*/*";
	r.on_data = backend_log_data;
	r.done = backend_log_done;
	r.ud = &s;
	if (kube_http_submit(conn.client.http, &r, err) == 0)
		rc = err->code;
	while (rc == 0 && !s.done)
		if (kube_http_run_once(conn.client.http, 1000) < 0)
			rc = error_set(err, ERR_IO, "event loop failed");
	if (rc == 0 && s.rc < 0)
		rc = error_set(err, s.rc, "%s", s.err.msg);
	buf_cleanup(&path);
	json_free(pod);
	return rc;
}

int backend_list_flavors(const struct global_opts *g, struct json **items, struct error *err)
{
	struct json *list = NULL;
	int rc = backend_connect(g, err);

	*items = NULL;
	if (rc == 0)
		rc = kube_list(&conn.client, kube_resource_find(API_GROUP_VERSION, API_KIND_FLAVOR), NULL,
			       NULL, &list, err);
	if (rc == 0)
		*items = backend_take_items(list);
	return rc;
}

int backend_server_version(const struct global_opts *g, char *out, size_t out_size, struct error *err)
{
	struct kube_http_request r = { .method = "GET", .path = "/version" };
	struct kube_response resp;
	struct json *v;
	int rc = backend_connect(g, err);

	if (rc < 0)
		return rc;
	rc = kube_http_do(conn.client.http, &r, &resp, err);
	if (rc == 0) {
		v = json_parse(buf_str(&resp.body), resp.body.len, err);
		if (!v)
			rc = err->code;
		else
			snprintf(out, out_size, "%s", json_get_string(v, "gitVersion") ?: "unknown");
		json_free(v);
	}
	kube_response_cleanup(&resp);
	return rc;
}

/* --- policy --------------------------------------------------------------------- */

static const char *backend_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

/* Adds DIR/<case>/<file> (and DIR/ctx.yaml) to data as ConfigMap keys. */
static int backend_add_fixtures(struct json *data, const char *dir, struct error *err)
{
	static const char *const files[] = { "devserver.yaml", "flavor.yaml", "ctx.yaml", "expected.yaml", "error.txt" };
	struct policy_fixture *cases = NULL;
	size_t n = 0;
	int rc;

	/* load (and so validate) them first: a broken fixture is refused here */
	if ((rc = policy_fixture_load_all(dir, &cases, &n, err)) < 0)
		return rc;
	policy_fixture_free_all(cases, n);
	for (int pass = 0; pass < 2; pass++) {
		DIR *d = opendir(dir);
		struct dirent *de;

		if (!d)
			return error_set(err, ERR_IO, "%s: %s", dir, error_errno_text(errno));
		while ((de = readdir(d))) {
			char path[4096], key[512];
			struct buf text;

			if (de->d_name[0] == '.')
				continue;
			for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
				if (pass == 0) {
					if (i > 0 || strcmp(de->d_name, "ctx.yaml") != 0)
						continue;
					snprintf(path, sizeof(path), "%s/ctx.yaml", dir);
					snprintf(key, sizeof(key), "fixtures.ctx.yaml");
				} else {
					snprintf(path, sizeof(path), "%s/%s/%s", dir, de->d_name, files[i]);
					snprintf(key, sizeof(key), "fixture.%s.%s", de->d_name, files[i]);
				}
				if (file_read_bounded(path, POLICY_FIXTURE_FILE_MAX_BYTES, 0, &text, NULL) < 0)
					continue;
				json_object_set_take(data, key, json_new_stringn(buf_str(&text), text.len));
				buf_cleanup(&text);
			}
		}
		closedir(d);
	}
	return 0;
}

int backend_policy_push(const struct global_opts *g, const struct policy_bundle *bundle,
			const char *fixtures_dir, struct json **out, struct error *err)
{
	const char *ns = backend_env("DEVSERVER_OPERATOR_NAMESPACE", BACKEND_POLICY_NAMESPACE);
	const char *name = backend_env("DEVSERVER_POLICY_CONFIGMAP", BACKEND_POLICY_CONFIGMAP);
	struct json *cm, *meta, *data;
	int rc = backend_connect(g, err);

	if (rc < 0)
		return rc;
	cm = json_new_object();
	meta = json_new_object();
	data = json_new_object();
	json_object_set_take(cm, "apiVersion", json_new_string("v1"));
	json_object_set_take(cm, "kind", json_new_string("ConfigMap"));
	json_object_set_take(meta, "name", json_new_string(name));
	json_object_set_take(meta, "namespace", json_new_string(ns));
	json_object_set_take(cm, "metadata", meta);
	for (size_t i = 0; i < bundle->n; i++) {
		/* bundle paths back to ConfigMap keys: policies/x.lua -> x.lua,
		 * lib/a/b.lua -> lib.a.b.lua */
		const char *path = bundle->files[i].path;
		char key[256];

		if (strncmp(path, "policies/", 9) == 0) {
			snprintf(key, sizeof(key), "%s", path + 9);
		} else {
			snprintf(key, sizeof(key), "%s", path);
			for (char *p = key; *p; p++)
				if (*p == '/')
					*p = '.';
		}
		json_object_set_take(data, key, json_new_stringn(bundle->files[i].text, bundle->files[i].len));
	}
	if (fixtures_dir && (rc = backend_add_fixtures(data, fixtures_dir, err)) < 0) {
		json_free(data);
		json_free(cm);
		return rc;
	}
	json_object_set_take(cm, "data", data);
	rc = kube_apply(&conn.client, kube_resource_find("v1", "ConfigMap"), ns, name, cm, "devctl", true,
			out, err);
	json_free(cm);
	return rc;
}

int backend_policy_status(const struct global_opts *g, struct json **out, struct error *err)
{
	const char *ns = backend_env("DEVSERVER_OPERATOR_NAMESPACE", BACKEND_POLICY_NAMESPACE);
	const char *name = backend_env("DEVSERVER_POLICY_CONFIGMAP", BACKEND_POLICY_CONFIGMAP);
	struct json *cm = NULL, *st;
	const char *ann;
	struct api_policy_status ps;
	struct error perr;
	int rc = backend_connect(g, err);

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = kube_get(&conn.client, kube_resource_find("v1", "ConfigMap"), ns, name, &cm, err);
	st = json_new_object();
	if (rc == ERR_NOT_FOUND) {
		json_object_set_take(st, "source", json_new_string("built-in (no ConfigMap)"));
		*out = st;
		return 0;
	}
	if (rc < 0) {
		json_free(st);
		return rc;
	}
	ann = json_get_string(json_path(cm, "metadata", "annotations", NULL), API_ANNOTATION_POLICY_STATUS);
	if (!ann) {
		json_object_set_take(st, "source", json_new_string("ConfigMap (not processed by an operator yet)"));
	} else if (api_policy_status_parse(ann, &ps, &perr) < 0) {
		json_object_set_take(st, "source", json_new_string("ConfigMap"));
		json_object_set_take(st, "unreadable", json_new_string(perr.msg));
	} else if (ps.state == API_POLICY_ACTIVE) {
		json_object_set_take(st, "revision", json_new_string(ps.revision));
		json_object_set_take(st, "source", json_new_string("ConfigMap"));
	} else {
		struct json *rej = json_new_object();

		if (ps.active[0])
			json_object_set_take(st, "revision", json_new_string(ps.active));
		json_object_set_take(st, "source", json_new_string("ConfigMap"));
		json_object_set_take(rej, "revision", json_new_string(ps.revision));
		json_object_set_take(rej, "reason", json_new_string(ps.reason));
		json_object_set_take(st, "lastRejection", rej);
	}
	json_free(cm);
	*out = st;
	return 0;
}
