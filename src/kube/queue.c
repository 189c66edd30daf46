/* queue.c - work queue (see queue.h for the semantics).
 *
 * One entry per known key in a chained hash table; an entry is freed as soon
 * as it is neither ready, in flight, waiting on a timer, nor carrying
 * failures, so the table tracks live work only.
 *
 * Ready keys form two FIFOs linked through the entries - the first lane
 * (queue_add_first: work nobody has waited on yet) is always served before
 * the other - and an entry promoted to the first lane while linked in the
 * other keeps that stale link, which queue_get skips. The last
 * first_lane_reserved slots go to the first lane only, and while a
 * first-lane key is in flight the other lane starts no more than
 * normal_while_first keys of its own.
 *
 * Timers are a binary min-heap of entries (each entry at most once, its heap
 * position stored in it so an earlier add can move it up).
 */
#include "kube/queue.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"
#include "kube/backoff.h"

struct queue_entry {
	char *key;
	struct queue_entry *hash_next;
	struct queue_entry *lane_next[2];   /* links in each ready lane */
	bool linked[2];      /* linked in lane i (maybe stale: see ready) */
	bool ready;          /* waiting to be handed out */
	bool dirty_first;    /* the add while in flight asked for the first lane */
	bool in_flight;
	bool from_first;     /* in flight, handed out from the first lane */
	bool dirty;          /* added while in flight */
	int deferred;        /* queue_rerun_pending answers true in a row */
	int failures;
	int64_t due_ms;      /* valid when heap_index >= 0 */
	ptrdiff_t heap_index; /* -1 when not in the timer heap */
};

enum { QUEUE_LANE_FIRST, QUEUE_LANE_NORMAL };

struct queue {
	struct queue_config cfg;
	struct queue_entry **buckets;
	size_t nbuckets;
	size_t size;
	struct queue_entry *lane_head[2], *lane_tail[2];   /* QUEUE_LANE_FIRST, QUEUE_LANE_NORMAL */
	size_t ready_len;
	size_t in_flight;
	size_t in_flight_first;  /* of those, handed out from the first lane */
	struct queue_entry **heap;
	size_t heap_len, heap_cap;
};

static uint64_t queue_hash(const char *s)
{
	return hash_fnv1a64_update(HASH_FNV1A64_SEED_COMPAT, s, strlen(s));
}

struct queue *queue_new(const struct queue_config *cfg)
{
	struct queue *q = mem_calloc(1, sizeof(*q));

	q->cfg = *cfg;
	if (q->cfg.max_in_flight < 1)
		q->cfg.max_in_flight = 1;
	if (q->cfg.first_lane_reserved < 0)
		q->cfg.first_lane_reserved = 0;
	if (q->cfg.first_lane_reserved > q->cfg.max_in_flight - 1)
		q->cfg.first_lane_reserved = q->cfg.max_in_flight - 1;
	if (q->cfg.backoff_base_ms <= 0)
		q->cfg.backoff_base_ms = QUEUE_DEFAULT_BACKOFF_BASE_MS;
	if (q->cfg.backoff_max_ms < q->cfg.backoff_base_ms)
		q->cfg.backoff_max_ms = QUEUE_DEFAULT_BACKOFF_MAX_MS;
	q->nbuckets = 64;
	q->buckets = mem_calloc(q->nbuckets, sizeof(*q->buckets));
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nbuckets; i++) {
		struct queue_entry *e = q->buckets[i], *next;

		for (; e; e = next) {
			next = e->hash_next;
			free(e->key);
			free(e);
		}
	}
	free(q->buckets);
	free(q->heap);
	free(q);
}

static struct queue_entry *queue_find(const struct queue *q, const char *key)
{
	struct queue_entry *e = q->buckets[queue_hash(key) & (q->nbuckets - 1)];

	while (e && strcmp(e->key, key) != 0)
		e = e->hash_next;
	return e;
}

static void queue_rehash(struct queue *q)
{
	size_t n = q->nbuckets * 2;
	struct queue_entry **b = mem_calloc(n, sizeof(*b));

	for (size_t i = 0; i < q->nbuckets; i++) {
		struct queue_entry *e = q->buckets[i], *next;

		for (; e; e = next) {
			size_t at = queue_hash(e->key) & (n - 1);

			next = e->hash_next;
			e->hash_next = b[at];
			b[at] = e;
		}
	}
	free(q->buckets);
	q->buckets = b;
	q->nbuckets = n;
}

static struct queue_entry *queue_intern(struct queue *q, const char *key)
{
	struct queue_entry *e = queue_find(q, key);
	size_t at;

	if (e)
		return e;
	assert(strlen(key) < QUEUE_KEY_MAX_BYTES);
	if (q->size + 1 > q->nbuckets)
		queue_rehash(q);
	e = mem_calloc(1, sizeof(*e));
	e->key = mem_strdup(key);
	e->heap_index = -1;
	at = queue_hash(key) & (q->nbuckets - 1);
	e->hash_next = q->buckets[at];
	q->buckets[at] = e;
	q->size++;
	return e;
}

/* Frees e if nothing refers to it any more. */
static void queue_release_if_idle(struct queue *q, struct queue_entry *e)
{
	struct queue_entry **pp;

	if (e->ready || e->in_flight || e->heap_index >= 0 || e->failures > 0 || e->linked[0] ||
	    e->linked[1])
		return;
	pp = &q->buckets[queue_hash(e->key) & (q->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hash_next;
	*pp = e->hash_next;
	q->size--;
	free(e->key);
	free(e);
}

/* --- timer heap --- */

static void queue_heap_swap(struct queue *q, size_t a, size_t b)
{
	struct queue_entry *t = q->heap[a];

	q->heap[a] = q->heap[b];
	q->heap[b] = t;
	q->heap[a]->heap_index = (ptrdiff_t)a;
	q->heap[b]->heap_index = (ptrdiff_t)b;
}

static void queue_heap_up(struct queue *q, size_t i)
{
	while (i > 0 && q->heap[(i - 1) / 2]->due_ms > q->heap[i]->due_ms) {
		queue_heap_swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void queue_heap_down(struct queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->heap_len && q->heap[l]->due_ms < q->heap[m]->due_ms)
			m = l;
		if (r < q->heap_len && q->heap[r]->due_ms < q->heap[m]->due_ms)
			m = r;
		if (m == i)
			return;
		queue_heap_swap(q, i, m);
		i = m;
	}
}

static void queue_heap_remove(struct queue *q, struct queue_entry *e)
{
	size_t i = (size_t)e->heap_index, last = q->heap_len - 1;

	if (i != last) {
		queue_heap_swap(q, i, last);
		q->heap_len--;
		queue_heap_down(q, i);
		queue_heap_up(q, i);
	} else {
		q->heap_len--;
	}
	e->heap_index = -1;
}

static void queue_schedule(struct queue *q, struct queue_entry *e, int64_t due_ms)
{
	if (e->heap_index >= 0) {
		if (due_ms >= e->due_ms)
			return; /* the earlier timer wins */
		e->due_ms = due_ms;
		queue_heap_up(q, (size_t)e->heap_index);
		return;
	}
	if (q->heap_len == q->heap_cap) {
		q->heap_cap = q->heap_cap ? q->heap_cap * 2 : 64;
		q->heap = mem_realloc(q->heap, q->heap_cap * sizeof(*q->heap));
	}
	e->due_ms = due_ms;
	e->heap_index = (ptrdiff_t)q->heap_len;
	q->heap[q->heap_len++] = e;
	queue_heap_up(q, (size_t)e->heap_index);
}

/* --- ready list --- */

static void queue_link(struct queue *q, struct queue_entry *e, int lane)
{
	e->linked[lane] = true;
	e->lane_next[lane] = NULL;
	if (q->lane_tail[lane])
		q->lane_tail[lane]->lane_next[lane] = e;
	else
		q->lane_head[lane] = e;
	q->lane_tail[lane] = e;
}

static void queue_make_ready(struct queue *q, struct queue_entry *e, int lane)
{
	if (e->heap_index >= 0)
		queue_heap_remove(q, e);
	if (e->in_flight) {
		e->dirty = true;
		e->dirty_first = e->dirty_first || lane == QUEUE_LANE_FIRST;
		return;
	}
	if (e->ready) {
		if (lane == QUEUE_LANE_FIRST && !e->linked[QUEUE_LANE_FIRST])
			queue_link(q, e, lane); /* promoted; its other link goes stale */
		return;
	}
	e->ready = true;
	q->ready_len++;
	if (!e->linked[lane])
		queue_link(q, e, lane);
}

void queue_add(struct queue *q, const char *key)
{
	queue_make_ready(q, queue_intern(q, key), QUEUE_LANE_NORMAL);
}

void queue_add_first(struct queue *q, const char *key)
{
	queue_make_ready(q, queue_intern(q, key), QUEUE_LANE_FIRST);
}

void queue_add_after(struct queue *q, const char *key, int64_t delay_ms, int64_t now_ms)
{
	struct queue_entry *e;

	if (delay_ms <= 0) {
		queue_add(q, key);
		return;
	}
	e = queue_intern(q, key);
	if (e->ready || e->dirty)
		return; /* it runs sooner anyway */
	queue_schedule(q, e, now_ms + delay_ms);
}

int64_t queue_add_backoff(struct queue *q, const char *key, int64_t now_ms)
{
	struct queue_entry *e = queue_intern(q, key);
	int64_t delay;

	if (e->failures < 62)
		e->failures++;
	delay = backoff_ceiling_ms(q->cfg.backoff_base_ms, q->cfg.backoff_max_ms, e->failures - 1);
	delay = backoff_half_jitter_ms(delay, q->cfg.random ? q->cfg.random(q->cfg.random_arg) : 1.0);
	queue_add_after(q, key, delay, now_ms);
	return delay;
}

void queue_forget(struct queue *q, const char *key)
{
	struct queue_entry *e = queue_find(q, key);

	if (!e)
		return;
	e->failures = 0;
	queue_release_if_idle(q, e);
}

int queue_failures(const struct queue *q, const char *key)
{
	const struct queue_entry *e = queue_find(q, key);

	return e ? e->failures : 0;
}

/* Takes the lane's head entry off the lane (it must have one). */
static struct queue_entry *queue_unlink_head(struct queue *q, int lane)
{
	struct queue_entry *e = q->lane_head[lane];

	q->lane_head[lane] = e->lane_next[lane];
	if (!q->lane_head[lane])
		q->lane_tail[lane] = NULL;
	e->linked[lane] = false;
	return e;
}

/* The lane's first live entry, after dropping the stale links before it
 * (entries handed out from the other lane meanwhile). */
static struct queue_entry *queue_lane_head(struct queue *q, int lane)
{
	struct queue_entry *e;

	while ((e = q->lane_head[lane]) && !e->ready)
		queue_release_if_idle(q, queue_unlink_head(q, lane));
	return e;
}

/* The lane queue_get serves next, or -1. */
static int queue_next_lane(struct queue *q)
{
	size_t normal_slots = (size_t)(q->cfg.max_in_flight - q->cfg.first_lane_reserved);

	if (q->in_flight >= (size_t)q->cfg.max_in_flight)
		return -1;
	if (queue_lane_head(q, QUEUE_LANE_FIRST))
		return QUEUE_LANE_FIRST;
	if (q->in_flight_first > 0 && q->cfg.normal_while_first > 0 &&
	    q->in_flight - q->in_flight_first >= (size_t)q->cfg.normal_while_first)
		return -1; /* the first lane is at work: no more re-renders beside it */
	if (q->in_flight < normal_slots && queue_lane_head(q, QUEUE_LANE_NORMAL))
		return QUEUE_LANE_NORMAL;
	return -1;
}

const char *queue_get(struct queue *q, int64_t now_ms)
{
	struct queue_entry *e;
	int lane;

	while (q->heap_len > 0 && q->heap[0]->due_ms <= now_ms)
		queue_make_ready(q, q->heap[0], QUEUE_LANE_NORMAL);
	if ((lane = queue_next_lane(q)) < 0)
		return NULL;
	e = queue_unlink_head(q, lane);
	q->ready_len--;
	e->ready = false;
	e->in_flight = true;
	e->from_first = lane == QUEUE_LANE_FIRST;
	q->in_flight++;
	q->in_flight_first += e->from_first;
	return e->key;
}

bool queue_may_get(struct queue *q)
{
	return queue_next_lane(q) >= 0;
}

void queue_done(struct queue *q, const char *key)
{
	struct queue_entry *e = queue_find(q, key);

	if (!e || !e->in_flight)
		return;
	e->in_flight = false;
	q->in_flight--;
	q->in_flight_first -= e->from_first;
	e->from_first = false;
	if (e->dirty) {
		int lane = e->dirty_first ? QUEUE_LANE_FIRST : QUEUE_LANE_NORMAL;

		e->dirty = e->dirty_first = false;
		queue_make_ready(q, e, lane);
		return;
	}
	queue_release_if_idle(q, e);
}

bool queue_rerun_pending(struct queue *q, const char *key)
{
	struct queue_entry *e = queue_find(q, key);

	if (!e || !e->in_flight || !e->dirty || e->deferred >= QUEUE_RERUN_DEFER_MAX) {
		if (e)
			e->deferred = 0;
		return false;
	}
	e->deferred++;
	return true;
}

int64_t queue_next_due_ms(const struct queue *q)
{
	return q->heap_len ? q->heap[0]->due_ms : -1;
}

size_t queue_ready_len(const struct queue *q) { return q->ready_len; }
size_t queue_in_flight(const struct queue *q) { return q->in_flight; }
size_t queue_size(const struct queue *q) { return q->size; }
