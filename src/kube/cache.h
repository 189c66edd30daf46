/* cache.h - an informer-style store of one resource's objects.
 *
 * Objects are keyed "namespace/name" ("name" when cluster-scoped), indexed
 * by the UID of their controller ownerReference, and stripped of
 * metadata.managedFields (the largest part of most objects, and nothing the
 * operator reads). The cache is a struct watch_sink: a reflector feeds it
 * lists and events, and it calls on_add / on_update / on_delete, which the
 * operator uses only to enqueue keys (reconcile reads the cache, never the
 * event payload).
 *
 * Pointers returned by lookups borrow from the cache and stay valid until
 * the cache next changes (the next event delivered on the HTTP loop).
 *
 * Objects the reflector could not decode within its limits arrive as stubs
 * (kube/object.h). The cache keeps them apart: lookups, lists, counts and
 * the owner index never see them, so reconcile treats a skipped object as
 * absent, and on_skip tells the owner of the cache once per skip (again,
 * with the previous stub, when a skipped object changes). A cached object
 * that turns into a stub is deleted from reconcile's view (on_delete); a
 * stub that turns back into a real object is added (on_add).
 *
 * cache_bytes is the JSON-encoded size of what is stored (objects after
 * projection, stubs included), kept at insert and removal: a cheap gauge of
 * the cache's memory (the heap holds a few times that).
 */
#ifndef DEVSERVER_KUBE_CACHE_H
#define DEVSERVER_KUBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "json/json.h"
#include "kube/object.h"
#include "kube/selector.h"
#include "kube/watch.h"

#define CACHE_MAX_KEY_BYTES 512   /* "namespace/name" (253 + 1 + 253) */
#define CACHE_KEY_NS_MAX_BYTES 64 /* a namespace: a DNS label (63) and NUL */

struct cache_handlers {
	void (*on_add)(void *ud, const struct json *obj);
	void (*on_update)(void *ud, const struct json *old_obj, const struct json *obj);
	void (*on_delete)(void *ud, const struct json *obj);
	void *ud;
};

/* stub stands for an object that could not be cached (kube_object_skipped
 * says why); previous is the stub it replaces when the object was already
 * skipped, else NULL. Called with the handlers' ud. */
typedef void (*cache_skip_fn)(void *ud, const struct json *previous, const struct json *stub);

struct cache_entry;
struct cache_owner_ref;

struct cache {
	struct cache_entry **buckets;
	size_t nbuckets, count;
	struct cache_owner_ref **owners;  /* chained by owner UID hash, nbuckets long */
	struct cache_handlers h;
	size_t skipped;          /* entries that are stubs (not in count's view) */
	size_t bytes;            /* JSON-encoded size of every entry */
	uint64_t skips_total;    /* objects that arrived as stubs */
	unsigned mark;           /* replace() generation */
	bool synced;             /* a full list has been applied */
	const char *index_label; /* see cache_index_by_label; NULL: controller UID */
	cache_skip_fn on_skip;   /* see cache_on_skip */
	void (*transform)(struct json *obj); /* see cache_set_transform */
};

/* h may be NULL (no callbacks). */
void cache_init(struct cache *c, const struct cache_handlers *h);
void cache_cleanup(struct cache *c);

/* Index objects by "<namespace>/<value of label>" instead of their
 * controller UID (label is borrowed; call before the first object arrives);
 * cache_by_label then finds them. For objects whose owner is not the one
 * the caller cares about (pods belong to a ReplicaSet, not a DevServer). */
void cache_index_by_label(struct cache *c, const char *label);

/* transform(obj) runs on every object before it is stored (after
 * managedFields are dropped): a projection that keeps only what the reader
 * needs saves most of a cache's memory. */
void cache_set_transform(struct cache *c, void (*transform)(struct json *obj));

/* Calls fn for each skipped object (see cache_skip_fn); NULL: nobody. */
void cache_on_skip(struct cache *c, cache_skip_fn fn);

/* A full list (JSON array, ownership passes): adds, updates and deletes to
 * match it, calling the handlers for each difference. */
void cache_replace(struct cache *c, struct json *items);
/* One watch event (ownership of obj passes). */
void cache_apply(struct cache *c, enum watch_event_type type, struct json *obj);

/* Fills *sink so a struct watch feeds this cache. */
void cache_sink(struct cache *c, struct watch_sink *sink);

/* Write-through of the caller's own write: stores obj (ownership passes) -
 * the API server's response to a write - without calling the handlers (its
 * watch event will, once), but only when it is newer than the cached object
 * (resourceVersions compared as integers, as etcd issues them; when either
 * is not an integer nothing is stored and the watch brings the change), and
 * only when it is within the reflector's object limits and not a skipped
 * object (the watch decides those). Keeps a controller from judging its next
 * step by a cache that trails its own writes. Returns true when stored. */
bool cache_store_newer(struct cache *c, struct json *obj);

/* The uid of obj's controller ownerReference (borrowed), or NULL. */
const char *cache_controller_uid(const struct json *obj);
/* True when obj's controller ownerReference has this uid. */
bool cache_controlled_by(const struct json *obj, const char *uid);

/* Writes the key of obj into out (CACHE_MAX_KEY_BYTES); false without a name. */
bool cache_key(const struct json *obj, char *out);
/* The one spelling of an object key: "ns/name", or "name" when ns is NULL
 * or "" (cluster-scoped), into out (CACHE_MAX_KEY_BYTES). False, with out
 * "", when name is NULL or "" or the key does not fit. */
bool cache_key_format(char *out, const char *ns, const char *name);
/* Its inverse: splits key at its first '/' into ns (nscap bytes, e.g.
 * CACHE_KEY_NS_MAX_BYTES) and name (namecap bytes; name may be NULL when
 * only the namespace is wanted). False, writing nothing, when key has no
 * '/' or a part does not fit. */
bool cache_key_split(const char *key, char *ns, size_t nscap, char *name, size_t namecap) DS_MUST_USE;

const struct json *cache_get(const struct cache *c, const char *ns, const char *name);
const struct json *cache_get_key(const struct cache *c, const char *key);
size_t cache_count(const struct cache *c);
/* Skipped objects: how many, one by key, all (heap array of borrowed stubs,
 * as cache_list). */
size_t cache_skipped_count(const struct cache *c);
const struct json *cache_skipped_get(const struct cache *c, const char *ns, const char *name);
size_t cache_skipped_list(const struct cache *c, const struct json ***out);
/* JSON-encoded bytes of everything stored. */
size_t cache_bytes(const struct cache *c);

/* Objects in ns (NULL: all) matching sel (NULL: all), as a heap array of
 * borrowed pointers in *out (free the array, not the objects). Returns the
 * count. */
size_t cache_list(const struct cache *c, const char *ns, const struct selector *sel,
		  const struct json ***out);
/* Objects whose controller ownerReference has uid. Same conventions. */
size_t cache_by_owner(const struct cache *c, const char *uid, const struct json ***out);
/* With cache_index_by_label: objects in ns whose label has value. */
size_t cache_by_label(const struct cache *c, const char *ns, const char *value,
		      const struct json ***out);

#endif
