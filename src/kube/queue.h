/* queue.h - the reconcile work queue: deduplicated keys, timers, per-key
 * exponential backoff and a cap on keys in flight.
 *
 * Semantics follow the controller pattern: a key is in the queue at most once;
 * a key being processed is never handed out again until queue_done, and an add
 * that arrives meanwhile marks it dirty so it is processed once more after.
 * Delayed adds (requeue-after, TTL expiry, backoff) sit in a timer heap; when
 * a key has several, the earliest wins. Time is passed in by the caller
 * (monotonic milliseconds), so the queue has no clock of its own and tests
 * drive it deterministically. Not thread-safe: the operator is one event loop.
 */
#ifndef DEVSERVER_KUBE_QUEUE_H
#define DEVSERVER_KUBE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_KEY_MAX_BYTES 512
#define QUEUE_DEFAULT_BACKOFF_BASE_MS 250
#define QUEUE_DEFAULT_BACKOFF_MAX_MS (5 * 60 * 1000)

struct queue_config {
	int max_in_flight;          /* keys handed out and not yet done; >= 1 */
	/* Of those, slots only the first lane may take: with every other one
	 * busy with re-renders, a new key still starts at once. Clamped to
	 * max_in_flight - 1, so the other lane always has a slot. */
	int first_lane_reserved;
	/* While a first-lane key is in flight, the other lane starts a key only
	 * while fewer than this many of its own are in flight (0: no limit), so
	 * that the API server's time goes to the waiting user rather than to
	 * more re-renders beside it. */
	int normal_while_first;
	int64_t backoff_base_ms;    /* first retry delay */
	int64_t backoff_max_ms;     /* ceiling of the exponential */
	/* Source of jitter in [0, 1); NULL means a fixed factor of 1 (no jitter). */
	double (*random)(void *arg);
	void *random_arg;
};

struct queue;

struct queue *queue_new(const struct queue_config *cfg);
void queue_free(struct queue *q);

/* Makes key ready now (no-op if already ready; marks dirty if in flight).
 * Keys longer than QUEUE_KEY_MAX_BYTES are a programmer error (asserted). */
void queue_add(struct queue *q, const char *key);
/* As queue_add, but in the first lane: every key added this way is handed
 * out before any key of the other lane (timers, backoff and queue_add), so
 * work nobody has waited on yet - a DevServer never reconciled, a spec a
 * user just changed - does not queue behind a rollout's re-renders. A key
 * already ready in the other lane moves up. */
void queue_add_first(struct queue *q, const char *key);
/* Makes key ready at now_ms + delay_ms, unless it will be ready sooner anyway. */
void queue_add_after(struct queue *q, const char *key, int64_t delay_ms, int64_t now_ms);
/* Counts a failure of key and schedules it after base * 2^(failures-1),
 * capped, scaled by jitter into [0.5, 1.0) of that (backoff_ceiling_ms and
 * backoff_half_jitter_ms, kube/backoff.h); returns the delay. */
int64_t queue_add_backoff(struct queue *q, const char *key, int64_t now_ms);
/* Resets key's failure count (call after a successful reconcile). */
void queue_forget(struct queue *q, const char *key);
int queue_failures(const struct queue *q, const char *key);

/* Moves due timers to the ready list and returns the next ready key that is
 * not in flight, or NULL (nothing ready, max_in_flight reached, or only the
 * reserved slots free and nothing in the first lane). The string belongs to
 * the queue and stays valid until queue_done(q, key). */
const char *queue_get(struct queue *q, int64_t now_ms);
/* True when queue_get would hand out a key now, leaving timers aside: the
 * event loop's "is there work I may start" (not const: it drops stale links). */
bool queue_may_get(struct queue *q);
/* Ends processing of key; if it was re-added meanwhile it becomes ready again. */
void queue_done(struct queue *q, const char *key);

/* True when key is in flight and was added again meanwhile: its next round
 * runs right after this one, with newer observations, so work whose result
 * that round will redo (a status write) can be left to it. At most
 * QUEUE_RERUN_DEFER_MAX answers in a row are true for one key, so a key
 * whose events never stop still gets its work done. */
#define QUEUE_RERUN_DEFER_MAX 8
bool queue_rerun_pending(struct queue *q, const char *key);

/* Monotonic ms of the earliest timer, or -1 when there is none; the event loop
 * sleeps until then at most. */
int64_t queue_next_due_ms(const struct queue *q);
size_t queue_ready_len(const struct queue *q);
size_t queue_in_flight(const struct queue *q);
/* Keys known to the queue at all (ready, in flight, waiting, or with failures). */
size_t queue_size(const struct queue *q);

#endif
