/* json_frozen.c - frozen trees: read-only JSON whose equal subtrees are
 * stored once per process (json_freeze_take, see json.h).
 *
 * Why this way: the caches hold every object the operator watches for the
 * life of the process, and a thousand DevServers' objects are mostly the
 * same subtrees - the same containers, probes, security contexts, volume
 * mounts, condition types and reasons - around a few names, UIDs and
 * timestamps. Freezing hash-conses a tree bottom-up: a node equal to one
 * already frozen (the same scalar, or the same keys in the same order over
 * the same - already shared - children) is that node with one more
 * reference. An object's keys are frozen strings too, shared like values.
 * So equality of a container is a comparison of its child and key
 * pointers, never a deep walk. Each distinct node is one block: a header
 * (the store's chain, the hash, the reference count), the node, and its
 * items or members, or its string's bytes. json_free of
 * a frozen node drops one reference; the last one frees the block and drops
 * its children's.
 *
 * Limits: a bucket chain longer than JSON_FROZEN_MAX_CHAIN is not searched
 * past that (crafted collisions in FNV-1a cannot make freezing quadratic):
 * a node that finds no equal within it gets a block of its own, outside the
 * table, and is simply not shared. One store per process under a mutex, so
 * any thread may freeze or free; the operator freezes on its event loop.
 *
 * What it does not do: shrink the bucket array.
 */
#include "json/json.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"
#include "json/json_internal.h"

#define JSON_FROZEN_MIN_BUCKETS 1024
#define JSON_FROZEN_MAX_CHAIN 16          /* nodes searched per bucket */
#define JSON_FROZEN_STACK_CHILDREN 32     /* children interned without a heap array */

/* 16 bytes before every distinct node: most of a DevServer's distinct
 * nodes are small strings (names, UIDs, timestamps), so the header is
 * kept to a pointer and two 32-bit words. */
struct frozen_hdr {
	struct frozen_hdr *next;  /* bucket chain */
	uint32_t hash;            /* the low half of the 64-bit hash: picks buckets, rejects most */
	uint32_t refs;            /* references, and FROZEN_UNLISTED */
};

/* refs' high bit: not in the table (its chain was full); the references
 * are the low 31 bits (each is a pointer in some block: never 2^31) */
#define FROZEN_UNLISTED 0x80000000u
#define FROZEN_REFS_MASK 0x7fffffffu

/* the node follows the header, aligned for its int64s and pointers */
_Static_assert(sizeof(struct frozen_hdr) % alignof(struct json) == 0, "node alignment");

static struct {
	pthread_mutex_t lock;
	struct frozen_hdr **buckets;
	size_t nbuckets, count;   /* count: listed nodes */
	size_t nodes, bytes;      /* every live block */
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct frozen_hdr *hdr_of(const struct json *v)
{
	return (struct frozen_hdr *)(void *)((char *)(uintptr_t)v - sizeof(struct frozen_hdr));
}

static struct json *node_of(struct frozen_hdr *h)
{
	return (struct json *)(void *)(h + 1);
}

/* The bytes of f's block: the header, the node and its payload. */
static size_t block_bytes(const struct json *f)
{
	size_t n = sizeof(struct frozen_hdr) + sizeof(struct json);

	if (f->type == JSON_STRING)
		return n + f->u.str.len + 1;
	if (f->type == JSON_ARRAY)
		return n + f->u.arr.len * sizeof(struct json *);
	if (f->type == JSON_OBJECT)
		n += f->u.obj.len * sizeof(struct json_member);
	return n;
}

/* ---- hashing and equality -------------------------------------------- */

static uint64_t scalar_hash(const struct json *v)
{
	uint64_t h = hash_fnv1a64_update(HASH_FNV1A64_OFFSET, &v->type, sizeof(v->type));

	switch (v->type) {
	case JSON_BOOL:
		return hash_fnv1a64_update(h, &v->u.b, sizeof(v->u.b));
	case JSON_INT:
		return hash_fnv1a64_update(h, &v->u.i, sizeof(v->u.i));
	case JSON_FLOAT:
		return hash_fnv1a64_update(h, &v->u.f, sizeof(v->u.f));
	case JSON_STRING:
		return hash_fnv1a64_update(h, v->u.str.ptr, v->u.str.len);
	default:
		return h;
	}
}

/* A frozen object's member keys are the text of frozen string nodes (the
 * keys are shared like any value): the node a key belongs to. */
static struct json *key_node(const char *key)
{
	return (struct json *)(void *)(uintptr_t)key - 1;
}

/* A container's hash: its type, and its children's and (objects) its keys'
 * addresses, which are their identities once they are frozen. */
static uint64_t container_hash(const struct json *v, struct json *const *kids, struct json *const *keys,
			       size_t n)
{
	uint64_t h = hash_fnv1a64_update(HASH_FNV1A64_OFFSET, &v->type, sizeof(v->type));

	h = hash_fnv1a64_update(h, &n, sizeof(n));
	for (size_t i = 0; i < n; i++) {
		if (keys)
			h = hash_fnv1a64_update(h, &keys[i], sizeof(keys[i]));
		h = hash_fnv1a64_update(h, &kids[i], sizeof(kids[i]));
	}
	return h;
}

static bool scalar_equal(const struct json *a, const struct json *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_BOOL:
		return a->u.b == b->u.b;
	case JSON_INT:
		return a->u.i == b->u.i;
	case JSON_FLOAT:
		return memcmp(&a->u.f, &b->u.f, sizeof(a->u.f)) == 0;
	case JSON_STRING:
		return a->u.str.len == b->u.str.len && memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
	default:
		return true;
	}
}

/* f (frozen) against a container of type with children kids and (objects)
 * keys, all frozen: a comparison of addresses. */
static bool container_equal(const struct json *f, enum json_type type, struct json *const *kids,
			    struct json *const *keys, size_t n)
{
	if (f->type != type || f->u.arr.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (type == JSON_ARRAY) {
			if (f->u.arr.items[i] != kids[i])
				return false;
		} else if (f->u.obj.items[i].value != kids[i] || key_node(f->u.obj.items[i].key) != keys[i]) {
			return false;
		}
	}
	return true;
}

/* ---- the table ------------------------------------------------------- */

static void store_grow(void)
{
	size_t n = store.nbuckets ? store.nbuckets * 2 : JSON_FROZEN_MIN_BUCKETS;
	struct frozen_hdr **b = mem_calloc(n, sizeof(*b));

	for (size_t i = 0; i < store.nbuckets; i++) {
		struct frozen_hdr *h = store.buckets[i], *next;

		for (; h; h = next) {
			next = h->next;
			h->next = b[h->hash & (n - 1)];
			b[h->hash & (n - 1)] = h;
		}
	}
	free(store.buckets);
	store.buckets = b;
	store.nbuckets = n;
}

/* The equal frozen node, with a reference taken, or NULL; *full is set
 * when the chain was searched to its limit without finding one. */
static struct json *store_find(uint32_t hash, const struct json *v, struct json *const *kids,
			       struct json *const *keys, size_t n, bool *full)
{
	size_t seen = 0;

	*full = false;
	if (!store.nbuckets)
		return NULL;
	for (struct frozen_hdr *h = store.buckets[hash & (store.nbuckets - 1)]; h; h = h->next) {
		struct json *f = node_of(h);

		if (++seen > JSON_FROZEN_MAX_CHAIN) {
			*full = true;
			return NULL;
		}
		if (h->hash != hash)
			continue;
		if (kids ? container_equal(f, v->type, kids, keys, n) : scalar_equal(f, v)) {
			h->refs++;
			return f;
		}
	}
	return NULL;
}

/* A new block for a node of type with payload bytes after it, in the
 * table unless its chain is full. */
static struct json *store_add(enum json_type type, size_t payload, uint32_t hash, bool full)
{
	size_t bytes = sizeof(struct frozen_hdr) + sizeof(struct json) + payload;
	struct frozen_hdr *h = mem_alloc(bytes);
	struct json *f = node_of(h);

	memset(h, 0, sizeof(*h) + sizeof(*f));
	h->hash = hash;
	h->refs = 1;
	f->type = type;
	f->inline_bytes = JSON__FROZEN;
	if (full) {
		h->refs |= FROZEN_UNLISTED;
	} else {
		if (store.count >= store.nbuckets)
			store_grow();
		h->next = store.buckets[hash & (store.nbuckets - 1)];
		store.buckets[hash & (store.nbuckets - 1)] = h;
		store.count++;
	}
	store.nodes++;
	store.bytes += bytes;
	return f;
}

static void store_unlink(struct frozen_hdr *h)
{
	struct frozen_hdr **p = &store.buckets[h->hash & (store.nbuckets - 1)];

	while (*p != h)
		p = &(*p)->next;
	*p = h->next;
	store.count--;
}

static void release_locked(struct json *f)
{
	struct frozen_hdr *h = hdr_of(f);

	if (--h->refs & FROZEN_REFS_MASK)
		return;
	if (!(h->refs & FROZEN_UNLISTED))
		store_unlink(h);
	if (f->type == JSON_ARRAY)
		for (size_t i = 0; i < f->u.arr.len; i++)
			release_locked(f->u.arr.items[i]);
	else if (f->type == JSON_OBJECT)
		for (size_t i = 0; i < f->u.obj.len; i++) {
			release_locked(f->u.obj.items[i].value);
			release_locked(key_node(f->u.obj.items[i].key));
		}
	store.nodes--;
	store.bytes -= block_bytes(f);
	free(h);
}

/* ---- freezing -------------------------------------------------------- */

static struct json *intern(const struct json *v);

static struct json *intern_scalar(const struct json *v)
{
	uint32_t hash = (uint32_t)scalar_hash(v);
	struct json *f;
	bool full;

	if ((f = store_find(hash, v, NULL, NULL, 0, &full)))
		return f;
	f = store_add(v->type, v->type == JSON_STRING ? v->u.str.len + 1 : 0, hash, full);
	if (v->type == JSON_STRING) {
		f->u.str.ptr = (char *)(f + 1);
		memcpy(f->u.str.ptr, v->u.str.ptr, v->u.str.len);
		f->u.str.ptr[v->u.str.len] = '\0';
		f->u.str.len = v->u.str.len;
	} else {
		f->u = v->u;
	}
	return f;
}

/* A key as a frozen string node (a reference taken). */
static struct json *intern_key(const char *key)
{
	struct json k = { .type = JSON_STRING };

	k.u.str.ptr = (char *)(uintptr_t)key;
	k.u.str.len = strlen(key);
	return intern_scalar(&k);
}

static struct json *intern_container(const struct json *v)
{
	size_t n = v->u.arr.len;
	bool object = v->type == JSON_OBJECT;
	struct json *stack_kids[2 * JSON_FROZEN_STACK_CHILDREN];
	struct json **kids = n <= JSON_FROZEN_STACK_CHILDREN ? stack_kids : mem_alloc(2 * n * sizeof(*kids));
	struct json **keys = object ? kids + n : NULL;
	struct json *f;
	uint32_t hash;
	bool full;

	for (size_t i = 0; i < n; i++) {
		kids[i] = intern(object ? v->u.obj.items[i].value : v->u.arr.items[i]);
		if (object)
			keys[i] = intern_key(v->u.obj.items[i].key);
	}
	hash = (uint32_t)container_hash(v, kids, keys, n);
	if ((f = store_find(hash, v, kids, keys, n, &full))) {
		/* the equal node holds references to these very children */
		for (size_t i = 0; i < n; i++) {
			release_locked(kids[i]);
			if (object)
				release_locked(keys[i]);
		}
	} else if (!object) {
		f = store_add(JSON_ARRAY, n * sizeof(struct json *), hash, full);
		f->u.arr.items = (struct json **)(void *)(f + 1);
		memcpy(f->u.arr.items, kids, n * sizeof(*kids));
		f->u.arr.len = f->u.arr.cap = n;
	} else {
		f = store_add(JSON_OBJECT, n * sizeof(struct json_member), hash, full);
		f->u.obj.items = (struct json_member *)(void *)(f + 1);
		f->u.obj.len = f->u.obj.cap = n;
		for (size_t i = 0; i < n; i++) {
			f->u.obj.items[i].key = keys[i]->u.str.ptr;
			f->u.obj.items[i].value = kids[i];
		}
	}
	if (kids != stack_kids)
		free(kids);
	return f;
}

static struct json *intern(const struct json *v)
{
	if (v->inline_bytes & JSON__FROZEN) {
		hdr_of(v)->refs++;
		return (struct json *)(uintptr_t)v;
	}
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT)
		return intern_container(v);
	return intern_scalar(v);
}

struct json *json_freeze_take(struct json *v)
{
	struct json *f;

	if (!v || (v->inline_bytes & JSON__FROZEN))
		return v;
	pthread_mutex_lock(&store.lock);
	f = intern(v);
	pthread_mutex_unlock(&store.lock);
	json_free(v);
	return f;
}

bool json_is_frozen(const struct json *v)
{
	return v && (v->inline_bytes & JSON__FROZEN);
}

void json__frozen_release(struct json *v)
{
	pthread_mutex_lock(&store.lock);
	release_locked(v);
	pthread_mutex_unlock(&store.lock);
}

void json_frozen_stats(struct json_frozen_stats *out)
{
	pthread_mutex_lock(&store.lock);
	out->nodes = store.nodes;
	out->bytes = store.bytes;
	pthread_mutex_unlock(&store.lock);
}
