/* object.h - decoding one Kubernetes object within limits, and what is left
 * of an object that does not fit: a stub.
 *
 * Anyone allowed to create an object the operator watches (a DevServer, a
 * ConfigMap carrying its label) decides how deep and how large it is, up to
 * what the API server stores. The reflector therefore decodes lists and
 * watch events object by object, each within the limits below, and an
 * object that fails becomes a stub - its identity, and its status when that
 * is small - marked with KUBE_OBJECT_SKIPPED_KEY, so that the cache can keep
 * it out of reconcile and the operator can say so on the object, while
 * every other object of the page or stream goes on.
 *
 * metadata.managedFields is skipped while decoding, unread: nothing the
 * operator does reads it, it is often half an object, and it mirrors the
 * object's shape (a DevServer that nested 130 levels under an old schema
 * keeps 130 levels of fieldsV1 after the API server pruned the object).
 */
#ifndef DEVSERVER_KUBE_OBJECT_H
#define DEVSERVER_KUBE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

/* An object is refused past any of these (managedFields not counted when
 * skipped). Real objects are far below: a DevServer's Pod is about 250 values
 * and 10 levels, and the API server takes request bodies up to 3 MiB. */
#define KUBE_OBJECT_MAX_BYTES (4u * 1024 * 1024)   /* JSON text of one object */
#define KUBE_OBJECT_MAX_DEPTH 64                   /* nesting levels, the object included */
#define KUBE_OBJECT_MAX_NODES 16384                /* values built: ~2 MiB of heap at most */
/* What a stub keeps of ownerReferences and status, at most. */
#define KUBE_OBJECT_STUB_MAX_NODES 1024
#define KUBE_OBJECT_STUB_FIELD_BYTES 1024          /* name, uid, timestamps, ... */

/* The member of a stub that says why its object was skipped. No Kubernetes
 * kind has a top-level field of this name. */
#define KUBE_OBJECT_SKIPPED_KEY "devserver.io/skipped"

struct kube_object_limits {
	size_t max_bytes;          /* 0: KUBE_OBJECT_MAX_BYTES */
	int max_depth;             /* 0: KUBE_OBJECT_MAX_DEPTH */
	size_t max_nodes;          /* 0: KUBE_OBJECT_MAX_NODES */
	bool keep_managed_fields;  /* false (default): skip them unread and uncounted */
};

/* Called on each object a list decodes (not on stubs): the cache's
 * projection, so that a page holds projected objects, not whole ones. */
typedef void (*kube_object_fn)(void *ud, struct json *obj);

/* Decodes the JSON text of one object within lim (NULL: the defaults).
 * 0 and *out (owned by the caller), or ERR_LIMIT (too large, deep or many
 * values) or ERR_INVALID (not an object, malformed, invalid UTF-8, ...) with
 * err naming the field ("spec: JSON at byte 12: nesting deeper than ...")
 * and *out NULL. */
int kube_object_decode(const char *text, size_t len, const struct kube_object_limits *lim,
		       struct json **out, struct error *err) DS_MUST_USE;

/* What can be read of an object whose text failed to decode: apiVersion,
 * kind, metadata's name, namespace, uid, resourceVersion, generation,
 * creationTimestamp and deletionTimestamp, its ownerReferences and status
 * when each fits in KUBE_OBJECT_STUB_MAX_NODES, and KUBE_OBJECT_SKIPPED_KEY:
 * why (copied). A new tree, or NULL when not even a name can be read. */
struct json *kube_object_stub(const char *text, size_t len, const char *why);

/* Why obj was skipped, when it is a stub; NULL for a real object. */
const char *kube_object_skipped(const struct json *obj);

/* The limits of kube_object_decode on a tree built elsewhere (the response
 * to a write). 0 or ERR_LIMIT with err. */
int kube_object_check(const struct json *obj, const struct kube_object_limits *lim, struct error *err) DS_MUST_USE;

/* Decodes a List response: its envelope (kind, apiVersion, metadata) whole,
 * each of its items with kube_object_decode. An item that fails becomes its
 * stub; one without a readable name is left out and counted in *dropped
 * (may be NULL). prepare (may be NULL) runs on each decoded item. "items":
 * null reads as []. 0 and *out, or ERR_INVALID when the envelope itself is
 * not a List (or not JSON), with err. */
int kube_list_decode(const char *text, size_t len, const struct kube_object_limits *lim,
		     kube_object_fn prepare, void *ud, struct json **out, size_t *dropped,
		     struct error *err) DS_MUST_USE;

#endif
