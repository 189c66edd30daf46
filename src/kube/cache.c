/* cache.c - the object store behind informers (see cache.h).
 *
 * Two chained hash tables with FNV-1a: entries by key, and index links by
 * controller UID - or by namespace and a label's value, for caches set up
 * with cache_index_by_label - (one link per (key, entry) pair, so lookups
 * scan one bucket and removal unlinks one node). Tables double when the load passes
 * one. A relist marks every entry it sees with a new generation and then
 * deletes the unmarked ones, so replace costs one pass over each side.
 *
 * A stub (an object the reflector skipped) lives in the same table, flagged
 * `skipped` and linked in no index, so that a relist's marks and a DELETED
 * event find it like any entry, while every lookup steps over it. Each
 * entry remembers its encoded size so that cache_bytes moves with inserts
 * and removals and is never recomputed.
 */
#include "kube/cache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"

#define CACHE_INITIAL_BUCKETS 64

struct cache_entry {
	char *key;
	char *owner_uid;            /* controller ownerReference UID, or NULL */
	struct json *obj;
	size_t bytes;               /* json_encoded_size(obj) */
	bool skipped;               /* obj is a stub: invisible to lookups */
	unsigned mark;
	struct cache_entry *next;
};

struct cache_owner_ref {
	struct cache_entry *entry;  /* entry->owner_uid is the link's uid */
	struct cache_owner_ref *next;
};

static uint64_t cache_hash(const char *s)
{
	return hash_fnv1a64_update(HASH_FNV1A64_SEED_COMPAT, s, strlen(s));
}

void cache_init(struct cache *c, const struct cache_handlers *h)
{
	memset(c, 0, sizeof(*c));
	if (h)
		c->h = *h;
	c->nbuckets = CACHE_INITIAL_BUCKETS;
	c->buckets = mem_calloc(c->nbuckets, sizeof(*c->buckets));
	c->owners = mem_calloc(c->nbuckets, sizeof(*c->owners));
}

static void cache_entry_free(struct cache_entry *e)
{
	free(e->key);
	free(e->owner_uid);
	json_free(e->obj);
	free(e);
}

void cache_cleanup(struct cache *c)
{
	if (!c || !c->buckets)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		while (c->buckets[i]) {
			struct cache_entry *e = c->buckets[i];

			c->buckets[i] = e->next;
			cache_entry_free(e);
		}
		while (c->owners[i]) {
			struct cache_owner_ref *o = c->owners[i];

			c->owners[i] = o->next;
			free(o);
		}
	}
	free(c->buckets);
	free(c->owners);
	c->buckets = NULL;
	c->owners = NULL;
	c->count = 0;
}

bool cache_key(const struct json *obj, char *out)
{
	const struct json *meta = json_get(obj, "metadata");
	const char *ns = json_get_string(meta, "namespace");
	const char *name = json_get_string(meta, "name");

	return cache_key_format(out, ns, name);
}

bool cache_key_format(char *out, const char *ns, const char *name)
{
	int n;

	out[0] = '\0';
	if (!name || !*name)
		return false;
	n = ns && *ns ? snprintf(out, CACHE_MAX_KEY_BYTES, "%s/%s", ns, name)
		      : snprintf(out, CACHE_MAX_KEY_BYTES, "%s", name);
	if (n <= 0 || n >= CACHE_MAX_KEY_BYTES) {
		out[0] = '\0';
		return false;
	}
	return true;
}

bool cache_key_split(const char *key, char *ns, size_t nscap, char *name, size_t namecap)
{
	const char *slash = strchr(key, '/');
	size_t nslen, namelen;

	if (!slash)
		return false;
	nslen = (size_t)(slash - key);
	namelen = strlen(slash + 1);
	if (nslen >= nscap || (name && namelen >= namecap))
		return false;
	memcpy(ns, key, nslen);
	ns[nslen] = '\0';
	if (name) {
		memcpy(name, slash + 1, namelen);
		name[namelen] = '\0';
	}
	return true;
}

const char *cache_controller_uid(const struct json *obj)
{
	const struct json *refs = json_path(obj, "metadata", "ownerReferences", NULL);

	if (!refs || refs->type != JSON_ARRAY)
		return NULL;
	for (size_t i = 0; i < refs->u.arr.len; i++)
		if (json_get_bool(refs->u.arr.items[i], "controller", false))
			return json_get_string(refs->u.arr.items[i], "uid");
	return NULL;
}

bool cache_controlled_by(const struct json *obj, const char *uid)
{
	const char *owner = cache_controller_uid(obj);

	return owner && uid && strcmp(owner, uid) == 0;
}

static void cache_owner_link(struct cache *c, struct cache_entry *e)
{
	struct cache_owner_ref *o;
	size_t b;

	if (!e->owner_uid)
		return;
	b = cache_hash(e->owner_uid) % c->nbuckets;
	o = mem_calloc(1, sizeof(*o));
	o->entry = e;
	o->next = c->owners[b];
	c->owners[b] = o;
}

static void cache_owner_unlink(struct cache *c, struct cache_entry *e)
{
	size_t b;

	if (!e->owner_uid)
		return;
	b = cache_hash(e->owner_uid) % c->nbuckets;
	for (struct cache_owner_ref **pp = &c->owners[b]; *pp; pp = &(*pp)->next) {
		if ((*pp)->entry == e) {
			struct cache_owner_ref *o = *pp;

			*pp = o->next;
			free(o);
			return;
		}
	}
}

static void cache_grow(struct cache *c)
{
	size_t nb = c->nbuckets * 2;
	struct cache_entry **buckets = mem_calloc(nb, sizeof(*buckets));
	struct cache_owner_ref **owners = mem_calloc(nb, sizeof(*owners));

	for (size_t i = 0; i < c->nbuckets; i++) {
		while (c->buckets[i]) {
			struct cache_entry *e = c->buckets[i];
			size_t b = cache_hash(e->key) % nb;

			c->buckets[i] = e->next;
			e->next = buckets[b];
			buckets[b] = e;
		}
		while (c->owners[i]) {
			struct cache_owner_ref *o = c->owners[i];
			size_t b = cache_hash(o->entry->owner_uid) % nb;

			c->owners[i] = o->next;
			o->next = owners[b];
			owners[b] = o;
		}
	}
	free(c->buckets);
	free(c->owners);
	c->buckets = buckets;
	c->owners = owners;
	c->nbuckets = nb;
}

static struct cache_entry *cache_find(const struct cache *c, const char *key)
{
	for (struct cache_entry *e = c->buckets[cache_hash(key) % c->nbuckets]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void cache_index_by_label(struct cache *c, const char *label)
{
	c->index_label = label;
}

void cache_set_transform(struct cache *c, void (*transform)(struct json *obj))
{
	c->transform = transform;
}

void cache_on_skip(struct cache *c, cache_skip_fn fn)
{
	c->on_skip = fn;
}

/* The index key of obj into buf: its controller UID, or "<ns>/<label
 * value>" when indexing by a label; NULL when it has none. */
static const char *cache_index_key(const struct cache *c, const struct json *obj, char *buf, size_t size)
{
	const struct json *meta;
	const char *ns, *value;

	if (!c->index_label)
		return cache_controller_uid(obj);
	meta = json_get(obj, "metadata");
	ns = json_get_string(meta, "namespace");
	value = json_get_string(json_get(meta, "labels"), c->index_label);
	if (!value)
		return NULL;
	snprintf(buf, size, "%s/%s", ns ? ns : "", value);
	return buf;
}

static void cache_strip(const struct cache *c, struct json *obj)
{
	struct json *meta = json_get(obj, "metadata");

	if (kube_object_skipped(obj))
		return; /* a stub is small already, and its marker must stay */
	if (meta)
		json_object_remove(meta, "managedFields");
	if (c->transform)
		c->transform(obj);
}

static size_t cache_obj_bytes(const struct json *obj)
{
	size_t n = json_encoded_size(obj);

	return n == SIZE_MAX ? 0 : n;
}

/* Replaces e's object (ownership passes), keeping the byte count. */
static void cache_entry_set(struct cache *c, struct cache_entry *e, struct json *obj)
{
	c->bytes -= e->bytes;
	e->obj = obj;
	e->bytes = cache_obj_bytes(obj);
	c->bytes += e->bytes;
}

static void cache_upsert_notify(struct cache *c, struct json *obj, bool notify);

/* Inserts or updates obj (ownership passes); calls on_add / on_update. */
static void cache_upsert(struct cache *c, struct json *obj)
{
	cache_upsert_notify(c, obj, true);
}

static bool cache_rv(const struct json *obj, unsigned long long *out)
{
	const char *rv = json_get_string(json_get(obj, "metadata"), "resourceVersion");
	char *end;

	if (!rv || !*rv)
		return false;
	errno = 0;
	*out = strtoull(rv, &end, 10);
	return !*end && errno == 0;
}

bool cache_store_newer(struct cache *c, struct json *obj)
{
	char key[CACHE_MAX_KEY_BYTES];
	const struct json *cur;
	struct cache_entry *e;
	unsigned long long have, got;
	struct error err;

	if (!obj || obj->type != JSON_OBJECT || !cache_key(obj, key) || !cache_rv(obj, &got) ||
	    kube_object_skipped(obj) || kube_object_check(obj, NULL, &err) < 0) {
		json_free(obj);
		return false;
	}
	e = cache_find(c, key);
	if (e && e->skipped) { /* the watch said it does not fit; it decides */
		json_free(obj);
		return false;
	}
	cur = cache_get_key(c, key);
	if (cur && (!cache_rv(cur, &have) || have >= got)) {
		json_free(obj);
		return false;
	}
	cache_upsert_notify(c, obj, false);
	return true;
}

static struct cache_entry *cache_insert(struct cache *c, const char *key, struct json *obj)
{
	struct cache_entry *e;
	size_t b;

	if (c->count >= c->nbuckets)
		cache_grow(c);
	e = mem_calloc(1, sizeof(*e));
	e->key = mem_strdup(key);
	e->mark = c->mark;
	cache_entry_set(c, e, obj);
	b = cache_hash(key) % c->nbuckets;
	e->next = c->buckets[b];
	c->buckets[b] = e;
	c->count++;
	return e;
}

/* A stub for key: replaces whatever the entry held (a real object leaves
 * reconcile's view through on_delete) and reports the skip. */
static void cache_skip(struct cache *c, const char *key, struct json *stub)
{
	struct cache_entry *e = cache_find(c, key);
	struct json *previous = NULL;

	c->skips_total++;
	if (!e) {
		e = cache_insert(c, key, stub);
		e->skipped = true;
		c->skipped++;
	} else if (!e->skipped) {
		struct json *old = e->obj;

		cache_owner_unlink(c, e);
		mem_free_ptr(&e->owner_uid);
		e->skipped = true;
		c->skipped++;
		cache_entry_set(c, e, stub);
		e->mark = c->mark;
		if (c->h.on_delete)
			c->h.on_delete(c->h.ud, old);
		json_free(old);
	} else {
		previous = e->obj;
		cache_entry_set(c, e, stub);
		e->mark = c->mark;
	}
	if (c->on_skip)
		c->on_skip(c->h.ud, previous, stub);
	json_free(previous);
}

static void cache_upsert_notify(struct cache *c, struct json *obj, bool notify)
{
	char key[CACHE_MAX_KEY_BYTES], index[CACHE_MAX_KEY_BYTES];
	struct cache_entry *e;
	const char *uid;

	if (!obj || obj->type != JSON_OBJECT || !cache_key(obj, key)) {
		json_free(obj);
		return;
	}
	if (kube_object_skipped(obj)) {
		cache_skip(c, key, obj);
		return;
	}
	cache_strip(c, obj);
	obj = json_freeze_take(obj); /* kept read-only: one block, no per-node overhead */
	uid = cache_index_key(c, obj, index, sizeof(index));
	e = cache_find(c, key);
	if (e && e->skipped) {
		/* fixed by its owner: an ordinary object from now on, new to
		 * everyone who reads the cache */
		json_free(e->obj);
		e->obj = NULL;
		e->skipped = false;
		c->skipped--;
		cache_entry_set(c, e, obj);
		e->owner_uid = uid ? mem_strdup(uid) : NULL;
		cache_owner_link(c, e);
		e->mark = c->mark;
		if (notify && c->h.on_add)
			c->h.on_add(c->h.ud, obj);
		return;
	}
	if (e) {
		struct json *old = e->obj;

		if (!e->owner_uid || !uid || strcmp(e->owner_uid, uid) != 0) {
			cache_owner_unlink(c, e);
			free(e->owner_uid);
			e->owner_uid = uid ? mem_strdup(uid) : NULL;
			cache_owner_link(c, e);
		}
		cache_entry_set(c, e, obj);
		e->mark = c->mark;
		if (notify && c->h.on_update)
			c->h.on_update(c->h.ud, old, obj);
		json_free(old);
		return;
	}
	e = cache_insert(c, key, obj);
	e->owner_uid = uid ? mem_strdup(uid) : NULL;
	cache_owner_link(c, e);
	if (notify && c->h.on_add)
		c->h.on_add(c->h.ud, obj);
}

static void cache_remove_entry(struct cache *c, struct cache_entry *e, const struct json *final)
{
	size_t b = cache_hash(e->key) % c->nbuckets;

	for (struct cache_entry **pp = &c->buckets[b]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	cache_owner_unlink(c, e);
	c->count--;
	c->bytes -= e->bytes;
	if (e->skipped)
		c->skipped--; /* reconcile never saw it: nothing to tell */
	else if (c->h.on_delete) /* a stub as the final state says less than the last one */
		c->h.on_delete(c->h.ud, final && !kube_object_skipped(final) ? final : e->obj);
	cache_entry_free(e);
}

void cache_apply(struct cache *c, enum watch_event_type type, struct json *obj)
{
	char key[CACHE_MAX_KEY_BYTES];

	if (type == WATCH_ADDED || type == WATCH_MODIFIED) {
		cache_upsert(c, obj);
		return;
	}
	if (type == WATCH_DELETED && obj && cache_key(obj, key)) {
		struct cache_entry *e = cache_find(c, key);

		if (e) {
			cache_strip(c, obj);
			cache_remove_entry(c, e, obj);
		}
	}
	json_free(obj);
}

void cache_replace(struct cache *c, struct json *items)
{
	c->mark++;
	if (items && items->type == JSON_ARRAY) {
		for (size_t i = 0; i < items->u.arr.len; i++) {
			cache_upsert(c, items->u.arr.items[i]);
			items->u.arr.items[i] = NULL;
		}
		items->u.arr.len = 0; /* the items moved into the cache */
	}
	json_free(items);
	/* whatever the list did not mention is gone */
	for (size_t b = 0; b < c->nbuckets; b++) {
		struct cache_entry *e = c->buckets[b], *next;

		for (; e; e = next) {
			next = e->next;
			if (e->mark != c->mark)
				cache_remove_entry(c, e, NULL);
		}
	}
	c->synced = true;
}

static void cache_sink_replace(void *ud, struct json *items)
{
	cache_replace(ud, items);
}

static void cache_sink_event(void *ud, enum watch_event_type type, struct json *obj)
{
	cache_apply(ud, type, obj);
}

static void cache_sink_prepare(void *ud, struct json *obj)
{
	cache_strip(ud, obj);
}

void cache_sink(struct cache *c, struct watch_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->replace = cache_sink_replace;
	sink->event = cache_sink_event;
	sink->prepare = cache_sink_prepare;
	sink->ud = c;
}

const struct json *cache_get_key(const struct cache *c, const char *key)
{
	struct cache_entry *e = cache_find(c, key);

	return e && !e->skipped ? e->obj : NULL;
}

const struct json *cache_get(const struct cache *c, const char *ns, const char *name)
{
	char key[CACHE_MAX_KEY_BYTES];

	if (!cache_key_format(key, ns, name))
		return NULL;
	return cache_get_key(c, key);
}

size_t cache_count(const struct cache *c)
{
	return c->count - c->skipped;
}

size_t cache_skipped_count(const struct cache *c)
{
	return c->skipped;
}

size_t cache_bytes(const struct cache *c)
{
	return c->bytes;
}

const struct json *cache_skipped_get(const struct cache *c, const char *ns, const char *name)
{
	char key[CACHE_MAX_KEY_BYTES];
	struct cache_entry *e;

	if (!cache_key_format(key, ns, name))
		return NULL;
	e = cache_find(c, key);
	return e && e->skipped ? e->obj : NULL;
}

size_t cache_skipped_list(const struct cache *c, const struct json ***out)
{
	const struct json **arr = mem_calloc(c->skipped + 1, sizeof(*arr));
	size_t n = 0;

	for (size_t b = 0; b < c->nbuckets; b++)
		for (struct cache_entry *e = c->buckets[b]; e; e = e->next)
			if (e->skipped)
				arr[n++] = e->obj;
	*out = arr;
	return n;
}

size_t cache_list(const struct cache *c, const char *ns, const struct selector *sel,
		  const struct json ***out)
{
	const struct json **arr = mem_calloc(c->count + 1, sizeof(*arr));
	size_t n = 0;

	for (size_t b = 0; b < c->nbuckets; b++) {
		for (struct cache_entry *e = c->buckets[b]; e; e = e->next) {
			if (e->skipped)
				continue;
			if (ns) {
				const char *ons = json_get_string(json_get(e->obj, "metadata"), "namespace");

				if (!ons || strcmp(ons, ns) != 0)
					continue;
			}
			if (sel && !selector_matches(sel, e->obj))
				continue;
			arr[n++] = e->obj;
		}
	}
	*out = arr;
	return n;
}

size_t cache_by_label(const struct cache *c, const char *ns, const char *value,
		      const struct json ***out)
{
	char key[CACHE_MAX_KEY_BYTES];

	snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", value);
	return cache_by_owner(c, key, out);
}

size_t cache_by_owner(const struct cache *c, const char *uid, const struct json ***out)
{
	size_t b = cache_hash(uid) % c->nbuckets, n = 0, cap = 8;
	const struct json **arr = mem_calloc(cap, sizeof(*arr));

	for (struct cache_owner_ref *o = c->owners[b]; o; o = o->next) {
		if (strcmp(o->entry->owner_uid, uid) != 0)
			continue;
		if (n == cap) {
			cap *= 2;
			arr = mem_realloc(arr, cap * sizeof(*arr));
		}
		arr[n++] = o->entry->obj;
	}
	*out = arr;
	return n;
}
