/* client.c - resource table, discovery, URL building and the API verbs
 * (see client.h).
 *
 * Every verb is one kube_call_spec run through kube_call_submit; the
 * blocking forms only add a loop that runs until the completion flag flips,
 * so both shapes share every line that builds URLs and decodes bodies.
 * Apply sends JSON with the apply-patch+yaml content type: JSON is YAML, and
 * our encoder is canonical, so equal objects produce identical requests.
 *
 * List pages are not parsed whole: kube_list_decode (object.c) reads each
 * item on its own within per-object limits, so one hostile object becomes a
 * stub instead of failing every page, and a page whose body outgrows
 * KUBE_LIST_PAGE_MAX_BYTES is asked for again with half the items, so a few
 * huge objects cost one page's memory, not a failed list.
 *
 * Not here: watch (watch.c), caching (cache.c), protobuf, PUT/update (we
 * never replace whole objects; apply and merge patch cover our writes).
 */
#include "kube/client.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

static const struct kube_resource kube_builtin[] = {
	{API_GROUP, API_VERSION, API_KIND_DEVSERVER, API_RESOURCE_DEVSERVERS, true},
	{API_GROUP, API_VERSION, API_KIND_FLAVOR, API_RESOURCE_FLAVORS, false},
	{API_GROUP, API_VERSION, API_KIND_USER, API_RESOURCE_USERS, false},
	{"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true},
	{"authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false},
	{"authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false},
	{"apps", "v1", "Deployment", "deployments", true},
	{"apps", "v1", "StatefulSet", "statefulsets", true},
	{"", "v1", "Service", "services", true},
	{"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true},
	{"", "v1", "ConfigMap", "configmaps", true},
	{"", "v1", "Secret", "secrets", true},
	{"", "v1", "Pod", "pods", true},
	{"", "v1", "ServiceAccount", "serviceaccounts", true},
	{"", "v1", "Event", "events", true},
	{"events.k8s.io", "v1", "Event", "events", true},
	{"coordination.k8s.io", "v1", "Lease", "leases", true},
	{"", "v1", "Node", "nodes", false},
	{"", "v1", "Namespace", "namespaces", false},
	{"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false},
};
#define KUBE_BUILTIN_COUNT (sizeof(kube_builtin) / sizeof(kube_builtin[0]))

struct kube_discovered {
	char *group_version;
	struct kube_resource *res;  /* strings owned */
	size_t n;
	struct kube_discovered *next;
};

/* Splits "g/v" (or "v") into group and version views. */
static void kc_split_gv(const char *api_version, const char **group, size_t *glen, const char **version)
{
	const char *slash = strchr(api_version, '/');

	if (slash) {
		*group = api_version;
		*glen = (size_t)(slash - api_version);
		*version = slash + 1;
	} else {
		*group = "";
		*glen = 0;
		*version = api_version;
	}
}

static bool kc_res_matches(const struct kube_resource *r, const char *api_version, const char *kind)
{
	const char *g, *v;
	size_t glen;

	kc_split_gv(api_version, &g, &glen, &v);
	return strlen(r->group) == glen && strncmp(r->group, g, glen) == 0 && strcmp(r->version, v) == 0 &&
	       strcmp(r->kind, kind) == 0;
}

const struct kube_resource *kube_resource_find(const char *api_version, const char *kind)
{
	if (!api_version || !kind)
		return NULL;
	for (size_t i = 0; i < KUBE_BUILTIN_COUNT; i++)
		if (kc_res_matches(&kube_builtin[i], api_version, kind))
			return &kube_builtin[i];
	return NULL;
}

const struct kube_resource *kube_resource_find_name(const char *name)
{
	/* first match wins, so core v1 Event shadows events.k8s.io for "events" */
	for (size_t i = 0; i < KUBE_BUILTIN_COUNT; i++)
		if (strcasecmp(kube_builtin[i].plural, name) == 0 || strcasecmp(kube_builtin[i].kind, name) == 0)
			return &kube_builtin[i];
	return NULL;
}

int kube_client_init(struct kube_client *c, struct kube_config *cfg, struct error *err)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->http = kube_http_new(cfg, err);
	return c->http ? 0 : (err ? err->code : ERR_IO);
}

void kube_client_cleanup(struct kube_client *c)
{
	if (!c)
		return;
	kube_http_free(c->http);
	c->http = NULL;
	while (c->disc) {
		struct kube_discovered *d = c->disc;

		c->disc = d->next;
		for (size_t i = 0; i < d->n; i++) {
			free((char *)d->res[i].group);
			free((char *)d->res[i].version);
			free((char *)d->res[i].kind);
			free((char *)d->res[i].plural);
		}
		free(d->res);
		free(d->group_version);
		free(d);
	}
}

int kube_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			if (buf_append_char(out, (char)*p) < 0)
				return ERR_LIMIT;
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			if (buf_append(out, e, 3) < 0)
				return ERR_LIMIT;
		}
	}
	return 0;
}

int kube_selector_query(struct buf *out, const char *label_selector, const char *field_selector)
{
	if (label_selector && *label_selector) {
		buf_append_str(out, "&labelSelector=");
		kube_escape(out, label_selector);
	}
	if (field_selector && *field_selector) {
		buf_append_str(out, "&fieldSelector=");
		kube_escape(out, field_selector);
	}
	return buf_error(out);
}

int kube_path(struct buf *out, const struct kube_resource *r, const char *ns, const char *name,
	      const char *subresource)
{
	int rc = r->group[0] ? buf_appendf(out, "/apis/%s/%s", r->group, r->version)
			     : buf_appendf(out, "/api/%s", r->version);

	if (rc == 0 && r->namespaced && ns && *ns) {
		rc = buf_append_str(out, "/namespaces/");
		if (rc == 0)
			rc = kube_escape(out, ns);
	}
	if (rc == 0)
		rc = buf_appendf(out, "/%s", r->plural);
	if (rc == 0 && name) {
		rc = buf_append_char(out, '/');
		if (rc == 0)
			rc = kube_escape(out, name);
	}
	if (rc == 0 && subresource)
		rc = buf_appendf(out, "/%s", subresource);
	return rc < 0 ? ERR_LIMIT : 0;
}

/* ---- calls --------------------------------------------------------------- */

/* Turns a 2xx body into the object the done callback gets. */
typedef int (*kc_decode_fn)(void *ud, const char *text, size_t len, struct json **out, struct error *err);

/* At debug level every call is logged when it completes (method, path,
 * status, attempts, time): the path is kept that far, cut to this. */
#define KC_TRACE_PATH_BYTES 160

struct kc_async {
	kube_call_done_fn done;
	void (*cancel)(void *ud);  /* internal users that own state in ud */
	kc_decode_fn decode;       /* NULL: json_parse */
	bool discard;              /* no decoding at all: obj NULL */
	void *ud;
	/* debug level only (log_get_level): what kc_http_done logs */
	int64_t start_ms;
	const char *method;        /* a string constant of the caller's spec */
	char path[KC_TRACE_PATH_BYTES];
};

static void kc_http_cancelled(void *ud)
{
	struct kc_async *a = ud;

	if (a->cancel)
		a->cancel(a->ud);
	free(a);
}

/* After json_parse refused a response for its depth or size: the object
 * again, without metadata.managedFields, which mirror the object's shape -
 * a DevServer stored under an old free-form schema answers every write with
 * fieldsV1 deeper than JSON_MAX_DEPTH although the object itself is fine.
 * Everything else keeps json_parse's limits. 0 and *out, or the first code. */
static int kc_decode_lenient(const struct buf *body, struct json **out, struct error *err)
{
	struct kube_object_limits lim = {
		.max_bytes = body->len, .max_depth = JSON_MAX_DEPTH, .max_nodes = SIZE_MAX,
	};
	struct error e2;
	int rc = err->code;

	if (rc != ERR_LIMIT)
		return rc;
	if (kube_object_decode(buf_str(body), body->len, &lim, out, &e2) < 0)
		return rc;
	return 0;
}

static void kc_http_done(void *ud, int rc, struct kube_response *resp, const struct error *err)
{
	struct kc_async *a = ud;
	struct json *obj = NULL;
	struct error perr;

	if (rc == 0 && resp->body.len > 0 && !a->discard) {
		if (a->decode)
			rc = a->decode(a->ud, buf_str(&resp->body), resp->body.len, &obj, &perr);
		else if (!(obj = json_parse(buf_str(&resp->body), resp->body.len, &perr)))
			rc = kc_decode_lenient(&resp->body, &obj, &perr);
		if (rc < 0) {
			error_prefix(&perr, "decoding the response");
			err = &perr;
		}
	}
	if (a->start_ms)
		log_kv(LOG_DEBUG, "api call", LOG_STR("method", a->method), LOG_STR("path", a->path),
		       LOG_INT("status", resp ? resp->status : 0), LOG_INT("attempts", resp ? resp->attempts : 0),
		       LOG_MS("took", clock_mono_ms() - a->start_ms));
	if (a->done)
		a->done(a->ud, rc, obj, err);
	else
		json_free(obj);
	free(a);
}

static uint64_t kc_submit(struct kube_client *c, const struct kube_call_spec *s, kube_call_done_fn done,
			  void (*cancel)(void *ud), kc_decode_fn decode, size_t max_body_bytes, void *ud,
			  struct error *err)
{
	struct buf path;
	char *body = NULL;
	const char *ns = s->ns;
	struct kube_http_request r = {0};
	struct kc_async *a;
	uint64_t id;

	if (!s->res || !s->method) {
		error_set(err, ERR_INVALID, "API call needs a method and a resource");
		return 0;
	}
	if (s->res->namespaced && !ns && (s->name || strcmp(s->method, "POST") == 0)) {
		const char *ons = s->body ? json_get_string(json_get(s->body, "metadata"), "namespace") : NULL;

		ns = ons && *ons ? ons : c->cfg->namespace;
	}
	buf_init(&path, KUBE_URL_PART_MAX_BYTES);
	if (kube_path(&path, s->res, ns, s->name, s->subresource) < 0 ||
	    (s->query && *s->query && buf_appendf(&path, "?%s", s->query) < 0)) {
		buf_cleanup(&path);
		error_set(err, ERR_LIMIT, "request path too long");
		return 0;
	}
	if (s->body) {
		body = json_encode_str(s->body, HTTP_MAX_REQUEST_BYTES, 0);
		if (!body) {
			buf_cleanup(&path);
			error_set(err, ERR_LIMIT, "request body larger than %u bytes", HTTP_MAX_REQUEST_BYTES);
			return 0;
		}
	}
	a = mem_calloc(1, sizeof(*a));
	a->done = done;
	a->cancel = cancel;
	a->decode = decode;
	a->discard = s->discard_body;
	a->ud = ud;
	if (log_get_level() <= LOG_DEBUG) {
		a->start_ms = clock_mono_ms();
		a->method = s->method;
		snprintf(a->path, sizeof(a->path), "%s", buf_str(&path));
	}
	r.method = s->method;
	r.path = buf_str(&path);
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	r.content_type = s->content_type;
	r.timeout_ms = s->timeout_ms;
	r.max_body_bytes = max_body_bytes;
	r.done = kc_http_done;
	r.on_cancel = kc_http_cancelled;
	r.ud = a;
	id = kube_http_submit(c->http, &r, err);
	if (id == 0)
		free(a);
	buf_cleanup(&path);
	free(body);
	return id;
}

uint64_t kube_call_submit(struct kube_client *c, const struct kube_call_spec *s, kube_call_done_fn done,
			  void *ud, struct error *err)
{
	return kc_submit(c, s, done, NULL, NULL, 0, ud, err);
}


struct kc_sync {
	bool done;
	int rc;
	struct json *obj;
	struct error *err;
};

static void kc_sync_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct kc_sync *s = ud;

	s->done = true;
	s->rc = rc;
	s->obj = obj;
	if (rc < 0 && s->err && err)
		*s->err = *err;
}

static int kc_wait(struct kube_client *c, struct kc_sync *s, struct json **out, struct error *err)
{
	while (!s->done) {
		if (kube_http_run_once(c->http, 1000) < 0) {
			/* the request is still registered and points at s: drop it */
			return error_set(err, ERR_IO, "HTTP loop failed");
		}
	}
	if (out)
		*out = s->obj;
	else
		json_free(s->obj);
	return s->rc;
}

int kube_call(struct kube_client *c, const struct kube_call_spec *spec, struct json **out, struct error *err)
{
	struct kc_sync s = {false, 0, NULL, err};

	if (out)
		*out = NULL;
	if (kube_call_submit(c, spec, kc_sync_done, &s, err) == 0)
		return err ? err->code : ERR_INVALID;
	return kc_wait(c, &s, out, err);
}

int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
	     struct json **out, struct error *err)
{
	struct kube_call_spec s = {.method = "GET", .res = r, .ns = ns, .name = name};

	return kube_call(c, &s, out, err);
}

int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
		const struct json *obj, struct json **out, struct error *err)
{
	struct kube_call_spec s = {.method = "POST", .res = r, .ns = ns, .body = obj};

	return kube_call(c, &s, out, err);
}

int kube_apply(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
	       const struct json *obj, const char *field_manager, bool force, struct json **out,
	       struct error *err)
{
	struct kube_call_spec s = {.method = "PATCH", .res = r, .ns = ns, .name = name, .body = obj,
				   .content_type = "application/apply-patch+yaml"};
	struct buf q;
	int rc;

	if (!s.name)
		s.name = json_get_string(json_get(obj, "metadata"), "name");
	if (!s.name || !*s.name)
		return error_set(err, ERR_INVALID, "apply: the object has no metadata.name");
	buf_init(&q, KUBE_URL_PART_MAX_BYTES);
	buf_append_str(&q, "fieldManager=");
	kube_escape(&q, field_manager ? field_manager : KUBE_FIELD_MANAGER);
	if (force)
		buf_append_str(&q, "&force=true");
	s.query = buf_str(&q);
	rc = kube_call(c, &s, out, err);
	buf_cleanup(&q);
	return rc;
}

int kube_patch_merge(struct kube_client *c, const struct kube_resource *r, const char *ns,
		     const char *name, const struct json *patch, struct json **out, struct error *err)
{
	struct kube_call_spec s = {.method = "PATCH", .res = r, .ns = ns, .name = name, .body = patch,
				   .content_type = "application/merge-patch+json"};

	return kube_call(c, &s, out, err);
}

int kube_patch_status(struct kube_client *c, const struct kube_resource *r, const char *ns,
		      const char *name, const struct json *patch, struct json **out, struct error *err)
{
	struct kube_call_spec s = {.method = "PATCH", .res = r, .ns = ns, .name = name, .body = patch,
				   .subresource = "status", .content_type = "application/merge-patch+json"};

	return kube_call(c, &s, out, err);
}

struct json *kube_status_patch_take(struct json *status, const struct json *old)
{
	struct json *patch = json_new_object();

	for (size_t i = 0; old && old->type == JSON_OBJECT && i < old->u.obj.len; i++)
		if (!json_get(status, old->u.obj.items[i].key))
			json_object_set_take(status, old->u.obj.items[i].key, json_new_null());
	json_object_set_take(patch, "status", status);
	return patch;
}

struct json *kube_json_patch_op(const char *op, const char *path, const char *value)
{
	struct json *o = json_new_object();

	json_object_set_take(o, "op", json_new_string(op));
	json_object_set_take(o, "path", json_new_string(path));
	if (value)
		json_object_set_take(o, "value", json_new_string(value));
	return o;
}

struct json *kube_delete_options(const char *uid, const char *propagation)
{
	struct json *opts = json_new_object();

	json_object_set_take(opts, "apiVersion", json_new_string("v1"));
	json_object_set_take(opts, "kind", json_new_string("DeleteOptions"));
	if (uid) {
		struct json *pre = json_new_object();

		json_object_set_take(pre, "uid", json_new_string(uid));
		json_object_set_take(opts, "preconditions", pre);
	}
	if (propagation)
		json_object_set_take(opts, "propagationPolicy", json_new_string(propagation));
	return opts;
}

int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
		const char *propagation, struct error *err)
{
	struct json *opts = kube_delete_options(NULL, propagation);
	struct kube_call_spec s = {.method = "DELETE", .res = r, .ns = ns, .name = name, .body = opts};
	int rc;

	rc = kube_call(c, &s, NULL, err);
	json_free(opts);
	return rc;
}

/* ---- paginated list ------------------------------------------------------ */

struct kube_list_op {
	uint64_t id;        /* what kube_list_submit returned (the first page's id) */
	uint64_t cur;       /* the page request in flight */
	struct kube_list_op *next;
	struct kube_client *c;
	const struct kube_resource *res;
	char *ns;
	char *base_query;   /* labelSelector/fieldSelector, escaped (may be "") */
	int limit;          /* items per page; halved when a page outgrows max_page_bytes */
	size_t max_page_bytes;
	char *cont;         /* the continue token of the page in flight, or NULL */
	struct kube_object_limits limits;
	bool has_limits;
	kube_object_fn prepare;
	void *prepare_ud;
	struct json *merged;
	kube_call_done_fn done;
	void *ud;
};

static void kc_list_free(struct kube_list_op *l)
{
	for (struct kube_list_op **pp = &l->c->lists; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	free(l->ns);
	free(l->base_query);
	free(l->cont);
	json_free(l->merged);
	free(l);
}

static void kc_list_page_done(void *ud, int rc, struct json *page, const struct error *err);

static void kc_list_cancelled(void *ud)
{
	kc_list_free(ud);
}

/* A page's body, item by item (see kube_list_decode). */
static int kc_list_decode(void *ud, const char *text, size_t len, struct json **out, struct error *err)
{
	struct kube_list_op *l = ud;

	/* an item without a readable name cannot be keyed or reported: it is
	 * left out, as if the page had not carried it (the API server never
	 * sends one) */
	return kube_list_decode(text, len, l->has_limits ? &l->limits : NULL, l->prepare, l->prepare_ud,
				out, NULL, err);
}

/* Requests the page at l->cont (NULL: the first) with l->limit items. */
static uint64_t kc_list_next(struct kube_list_op *l, struct error *err)
{
	struct buf q;
	struct kube_call_spec s = {.method = "GET", .res = l->res, .ns = l->ns};
	uint64_t id;

	buf_init(&q, KUBE_URL_PART_MAX_BYTES);
	buf_appendf(&q, "limit=%d", l->limit);
	buf_append_str(&q, l->base_query);
	if (l->cont) {
		buf_append_str(&q, "&continue=");
		kube_escape(&q, l->cont);
	}
	s.query = buf_str(&q);
	id = kc_submit(l->c, &s, kc_list_page_done, kc_list_cancelled, kc_list_decode, l->max_page_bytes,
		       l, err);
	buf_cleanup(&q);
	if (id)
		l->cur = id;
	return id;
}

static void kc_list_finish(struct kube_list_op *l, int rc, const struct error *err)
{
	struct json *out = NULL;

	if (rc == 0) {
		struct json *meta = json_get(l->merged, "metadata");

		if (meta)
			json_object_remove(meta, "continue");
		out = l->merged;
		l->merged = NULL;
	}
	if (l->done)
		l->done(l->ud, rc, out, err);
	else
		json_free(out);
	kc_list_free(l);
}

/* Items in a list response carry no kind/apiVersion; fill them in from the
 * list ("ConfigMapList" -> "ConfigMap") so cached objects look like watched ones. */
static void kc_list_stamp(const struct json *list, struct json *items)
{
	const char *kind = json_get_string(list, "kind");
	const char *apiv = json_get_string(list, "apiVersion");
	size_t kl = kind ? strlen(kind) : 0;
	char *ikind;

	if (!kind || kl <= 4 || strcmp(kind + kl - 4, "List") != 0 || !apiv)
		return;
	ikind = mem_strndup(kind, kl - 4);
	for (size_t i = 0; i < items->u.arr.len; i++) {
		struct json *it = items->u.arr.items[i];

		if (it->type != JSON_OBJECT)
			continue;
		if (!json_get(it, "kind"))
			json_object_set_take(it, "kind", json_new_string(ikind));
		if (!json_get(it, "apiVersion"))
			json_object_set_take(it, "apiVersion", json_new_string(apiv));
	}
	free(ikind);
}

static void kc_list_page_done(void *ud, int rc, struct json *page, const struct error *err)
{
	struct kube_list_op *l = ud;
	struct json *items, *mitems;
	struct error e2;
	const char *cont;

	if (rc == ERR_LIMIT && l->limit > 1 && !page) {
		/* the page's body outgrew max_page_bytes: the same page, half as
		 * many items (a few huge objects must not fail the list) */
		uint64_t id;

		l->limit /= 2;
		id = kc_list_next(l, &e2);
		if (id == 0)
			kc_list_finish(l, e2.code, &e2);
		return;
	}
	if (rc < 0) {
		json_free(page);
		kc_list_finish(l, rc, err);
		return;
	}
	items = json_get(page, "items");
	if (!page || !items || items->type != JSON_ARRAY) {
		/* "items": null is how an empty list comes back from some servers */
		if (page && (!items || items->type == JSON_NULL)) {
			json_object_set_take(page, "items", json_new_array());
			items = json_get(page, "items");
		} else {
			json_free(page);
			error_set(&e2, ERR_INVALID, "list response has no items array");
			kc_list_finish(l, ERR_INVALID, &e2);
			return;
		}
	}
	kc_list_stamp(page, items);
	if (!l->merged) {
		l->merged = page;
	} else {
		mitems = json_get(l->merged, "items");
		if (mitems->u.arr.len + items->u.arr.len > KUBE_LIST_MAX_ITEMS) {
			json_free(page);
			error_set(&e2, ERR_LIMIT, "list has more than %d items", KUBE_LIST_MAX_ITEMS);
			kc_list_finish(l, ERR_LIMIT, &e2);
			return;
		}
		for (size_t i = 0; i < items->u.arr.len; i++)
			json_array_push_take(mitems, items->u.arr.items[i]);
		items->u.arr.len = 0; /* moved */
	}
	cont = json_get_string(json_get(page, "metadata"), "continue");
	if (cont && *cont) {
		uint64_t id;

		free(l->cont);
		l->cont = mem_strdup(cont);
		if (page != l->merged)
			json_free(page);
		id = kc_list_next(l, &e2);
		if (id == 0)
			kc_list_finish(l, e2.code, &e2);
		return;
	}
	if (page != l->merged)
		json_free(page);
	kc_list_finish(l, 0, NULL);
}

uint64_t kube_list_submit(struct kube_client *c, const struct kube_resource *r, const char *ns,
			  const struct kube_list_options *o, kube_call_done_fn done, void *ud,
			  struct error *err)
{
	struct kube_list_op *l = mem_calloc(1, sizeof(*l));
	struct buf q;
	uint64_t id;

	l->c = c;
	l->res = r;
	l->ns = ns ? mem_strdup(ns) : NULL;
	l->done = done;
	l->ud = ud;
	l->limit = o && o->limit > 0 ? o->limit : KUBE_LIST_PAGE_SIZE;
	l->max_page_bytes = o && o->max_page_bytes ? o->max_page_bytes : KUBE_LIST_PAGE_MAX_BYTES;
	if (o && o->object_limits) {
		l->limits = *o->object_limits;
		l->has_limits = true;
	}
	if (o) {
		l->prepare = o->prepare;
		l->prepare_ud = o->prepare_ud;
	}
	buf_init(&q, KUBE_URL_PART_MAX_BYTES);
	if (o)
		kube_selector_query(&q, o->label_selector, o->field_selector);
	l->base_query = buf_take(&q);
	l->next = c->lists;
	c->lists = l;
	id = kc_list_next(l, err);
	if (id == 0)
		kc_list_free(l);
	else
		l->id = id;
	return id;
}

int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
	      const struct kube_list_options *o, struct json **out, struct error *err)
{
	struct kc_sync s = {false, 0, NULL, err};

	if (out)
		*out = NULL;
	if (kube_list_submit(c, r, ns, o, kc_sync_done, &s, err) == 0)
		return err ? err->code : ERR_INVALID;
	return kc_wait(c, &s, out, err);
}

void kube_client_cancel(struct kube_client *c, uint64_t id)
{
	for (struct kube_list_op *l = c->lists; l; l = l->next) {
		if (l->id == id) {
			/* cancelling the page in flight frees the list (kc_list_cancelled) */
			kube_http_cancel(c->http, l->cur);
			return;
		}
	}
	kube_http_cancel(c->http, id);
}

/* ---- discovery ----------------------------------------------------------- */

static const struct kube_resource *kc_disc_find(const struct kube_client *c, const char *api_version,
						const char *kind, bool *known_gv)
{
	*known_gv = false;
	for (const struct kube_discovered *d = c->disc; d; d = d->next) {
		if (strcmp(d->group_version, api_version) != 0)
			continue;
		*known_gv = true;
		for (size_t i = 0; i < d->n; i++)
			if (strcmp(d->res[i].kind, kind) == 0)
				return &d->res[i];
	}
	return NULL;
}

int kube_client_resource(struct kube_client *c, const char *api_version, const char *kind,
			 const struct kube_resource **out, struct error *err)
{
	const struct kube_resource *r = kube_resource_find(api_version, kind);
	struct kube_discovered *d;
	struct json *doc = NULL;
	const struct json *arr;
	struct buf path;
	bool known;
	size_t count = 0;
	int rc;

	if (r || (r = kc_disc_find(c, api_version, kind, &known))) {
		*out = r;
		return 0;
	}
	if (known)
		return error_set(err, ERR_NOT_FOUND, "%s does not serve kind %s", api_version, kind);
	for (d = c->disc; d; d = d->next)
		count++;
	if (count >= KUBE_DISCOVERY_MAX_GROUPS)
		return error_set(err, ERR_LIMIT, "more than %d group versions discovered", KUBE_DISCOVERY_MAX_GROUPS);
	buf_init(&path, KUBE_URL_PART_MAX_BYTES);
	buf_appendf(&path, strchr(api_version, '/') ? "/apis/%s" : "/api/%s", api_version);
	{
		struct kube_response resp;
		struct kube_http_request req = {.method = "GET", .path = buf_str(&path)};

		rc = kube_http_do(c->http, &req, &resp, err);
		if (rc == 0 && !(doc = json_parse(buf_str(&resp.body), resp.body.len, err)))
			rc = err ? err->code : ERR_INVALID;
		kube_response_cleanup(&resp);
	}
	buf_cleanup(&path);
	if (rc < 0)
		return error_prefix(err, "discovery of %s", api_version);
	arr = json_get(doc, "resources");
	d = mem_calloc(1, sizeof(*d));
	d->group_version = mem_strdup(api_version);
	if (arr && arr->type == JSON_ARRAY) {
		const char *g, *v;
		size_t glen;

		kc_split_gv(api_version, &g, &glen, &v);
		d->res = mem_calloc(arr->u.arr.len + 1, sizeof(*d->res));
		for (size_t i = 0; i < arr->u.arr.len; i++) {
			const struct json *e = arr->u.arr.items[i];
			const char *name = json_get_string(e, "name");
			const char *k = json_get_string(e, "kind");

			if (!name || !k || strchr(name, '/'))
				continue; /* subresources */
			d->res[d->n].group = mem_strndup(g, glen);
			d->res[d->n].version = mem_strdup(v);
			d->res[d->n].kind = mem_strdup(k);
			d->res[d->n].plural = mem_strdup(name);
			d->res[d->n].namespaced = json_get_bool(e, "namespaced", true);
			d->n++;
		}
	}
	d->next = c->disc;
	c->disc = d;
	json_free(doc);
	r = kc_disc_find(c, api_version, kind, &known);
	if (!r)
		return error_set(err, ERR_NOT_FOUND, "%s does not serve kind %s", api_version, kind);
	*out = r;
	return 0;
}
