/* client.h - Kubernetes API calls for any group/version/resource.
 *
 * A struct kube_client pairs a configuration with the HTTP loop and knows
 * how to turn (resource, namespace, name, subresource) into a URL. Resources
 * come from a small built-in table of the kinds the operator uses, and
 * otherwise from discovery (GET /apis/<group>/<version>, cached).
 *
 * Every call exists in two shapes: kube_call_submit (async, completion
 * callback on the loop: what the operator uses) and the blocking helpers
 * kube_get / kube_list / kube_create / kube_apply / kube_patch_merge /
 * kube_patch_status / kube_delete (devctl, tests), which run the loop until
 * their call completes.
 *
 * Namespaces: for a namespaced resource, a NULL ns means "all namespaces"
 * for a list, and for single-object calls the object's metadata.namespace,
 * else the configuration's namespace.
 *
 * Ownership: objects passed in are borrowed (encoded before the call
 * returns); objects handed out (*out, the done callback's obj) belong to the
 * receiver, who frees them with json_free.
 */
#ifndef DEVSERVER_KUBE_CLIENT_H
#define DEVSERVER_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/object.h"

#define KUBE_LIST_PAGE_SIZE 500              /* items per list page */
#define KUBE_LIST_PAGE_MAX_BYTES (16u * 1024 * 1024) /* one page's body; past it, half the items */
#define KUBE_LIST_MAX_ITEMS 1000000          /* one merged list */
#define KUBE_DISCOVERY_MAX_GROUPS 64         /* cached group/versions */
#define KUBE_FIELD_MANAGER "devserver-operator"

struct kube_resource {
	const char *group;      /* "" for the core group */
	const char *version;
	const char *kind;
	const char *plural;
	bool namespaced;
};

struct kube_discovered;
struct kube_list_op;

struct kube_client {
	struct kube_config *cfg;     /* borrowed */
	struct kube_http *http;      /* owned */
	struct kube_discovered *disc;
	struct kube_list_op *lists;  /* paginated lists in flight */
};

/* Built-in table lookups (no network). api_version is "v1" or "group/v1".
 * kube_resource_find_name accepts a plural, a kind, or a lower-case kind
 * ("devservers", "DevServer", "devserver") for devctl's arguments. */
const struct kube_resource *kube_resource_find(const char *api_version, const char *kind);
const struct kube_resource *kube_resource_find_name(const char *name);

/* cfg is borrowed and must outlive the client. */
int kube_client_init(struct kube_client *c, struct kube_config *cfg, struct error *err) DS_MUST_USE;
void kube_client_cleanup(struct kube_client *c);

/* The resource for apiVersion + kind: the table first, then discovery
 * (blocking; results cached for the client's life). *out stays valid until
 * kube_client_cleanup. ERR_NOT_FOUND when the server does not serve it. */
int kube_client_resource(struct kube_client *c, const char *api_version, const char *kind,
			 const struct kube_resource **out, struct error *err) DS_MUST_USE;

/* Appends a percent-encoded s (everything but A-Z a-z 0-9 - . _ ~). */
int kube_escape(struct buf *out, const char *s);
/* Appends "&labelSelector=..." and "&fieldSelector=..." (escaped) for each
 * selector that is neither NULL nor "" - the one place list and watch
 * requests build their selector query. 0 or ERR_LIMIT. */
int kube_selector_query(struct buf *out, const char *label_selector, const char *field_selector);
/* A request path or its query string (names are at most 253 bytes,
 * selectors at most a few KiB): a ceiling, not an expected size. */
#define KUBE_URL_PART_MAX_BYTES (64u * 1024)
/* Appends /api/v1/... or /apis/g/v/...; ns is ignored for cluster-scoped
 * resources, and a NULL ns on a namespaced one means all namespaces.
 * name and subresource may be NULL. 0 or ERR_LIMIT. */
int kube_path(struct buf *out, const struct kube_resource *r, const char *ns, const char *name,
	      const char *subresource);

/* One API call. */
struct kube_call_spec {
	const char *method;
	const struct kube_resource *res;
	const char *ns;
	const char *name;
	const char *subresource;
	const char *query;          /* escaped, without '?' */
	const struct json *body;    /* encoded as JSON */
	const char *content_type;   /* default application/json */
	long timeout_ms;            /* 0: HTTP_TIMEOUT_MS */
	bool discard_body;          /* the caller does not want the response: obj is NULL */
};

/* Completion: obj is the decoded response body, now owned by the callback
 * (free it with json_free); NULL on error or an empty body. */
typedef void (*kube_call_done_fn)(void *ud, int rc, struct json *obj, const struct error *err);

uint64_t kube_call_submit(struct kube_client *c, const struct kube_call_spec *s, kube_call_done_fn done,
			  void *ud, struct error *err) DS_MUST_USE;
/* Cancels a call or a whole paginated list (by the id its submit returned);
 * its done callback will not run. Unknown or finished ids are ignored. */
void kube_client_cancel(struct kube_client *c, uint64_t id);
/* Blocking; *out (may be NULL) receives the decoded body. */
int kube_call(struct kube_client *c, const struct kube_call_spec *s, struct json **out, struct error *err) DS_MUST_USE;

int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
	     struct json **out, struct error *err) DS_MUST_USE;

struct kube_list_options {
	const char *label_selector;
	const char *field_selector;
	int limit;                   /* page size; 0: KUBE_LIST_PAGE_SIZE */
	/* Each item is decoded on its own within these (NULL: the defaults,
	 * managedFields skipped): see kube_list_decode. */
	const struct kube_object_limits *object_limits;
	kube_object_fn prepare;      /* run on each decoded item; may be NULL */
	void *prepare_ud;
	size_t max_page_bytes;       /* 0: KUBE_LIST_PAGE_MAX_BYTES */
};
/* Lists every page (limit/continue) into one List object whose "items" hold
 * all pages and whose metadata.resourceVersion is the snapshot's. ERR_GONE
 * when a continue token expired (list again). Items are decoded one by one:
 * an item that is too large, too deep or unreadable becomes a stub
 * (kube_object_skipped says why) instead of failing the list, and a page
 * whose body outgrows max_page_bytes is fetched again with half as many
 * items (ERR_LIMIT only when a single item does not fit). */
uint64_t kube_list_submit(struct kube_client *c, const struct kube_resource *r, const char *ns,
			  const struct kube_list_options *o, kube_call_done_fn done, void *ud,
			  struct error *err) DS_MUST_USE;
int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
	      const struct kube_list_options *o, struct json **out, struct error *err) DS_MUST_USE;

/* POST to the collection; ns NULL takes metadata.namespace. */
int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
		const struct json *obj, struct json **out, struct error *err) DS_MUST_USE;
/* Server-side apply: PATCH application/apply-patch+yaml with fieldManager
 * (NULL: KUBE_FIELD_MANAGER) and force. name NULL takes metadata.name. */
int kube_apply(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
	       const struct json *obj, const char *field_manager, bool force, struct json **out,
	       struct error *err) DS_MUST_USE;
/* JSON merge patch (RFC 7386) of the object, or of its /status subresource. */
int kube_patch_merge(struct kube_client *c, const struct kube_resource *r, const char *ns,
		     const char *name, const struct json *patch, struct json **out, struct error *err) DS_MUST_USE;
int kube_patch_status(struct kube_client *c, const struct kube_resource *r, const char *ns,
		      const char *name, const struct json *patch, struct json **out, struct error *err) DS_MUST_USE;
/* The merge-patch body {"status": status} for the status subresource; takes
 * status (an object) and returns the patch (caller frees). A merge patch
 * keeps what it does not name, so every top-level field of old (the status
 * as stored, may be NULL) that status no longer has is named null in it -
 * that is how a field such as pendingRestart goes away. */
struct json *kube_status_patch_take(struct json *status, const struct json *old);
/* One JSON Patch (RFC 6902) operation {"op", "path"[, "value"]} with a
 * string value, or none when value is NULL (caller frees). For the patches
 * that test before they remove (a finalizer, an annotation). */
struct json *kube_json_patch_op(const char *op, const char *path, const char *value);
/* A DeleteOptions body (caller frees): preconditions.uid when uid is not
 * NULL (never delete a namesake created since), propagationPolicy when
 * propagation is not NULL ("Background", "Foreground", "Orphan"). */
struct json *kube_delete_options(const char *uid, const char *propagation);
int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
		const char *propagation, struct error *err) DS_MUST_USE;

#endif
