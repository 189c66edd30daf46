/* test_queue.c - src/kube/queue: dedupe, in-flight exclusion, dirty re-adds,
 * timers (earliest wins), backoff growth and cap, concurrency cap, memory
 * released when keys go idle, and the first lane (queue_add_first) served
 * before re-adds, timers and backoff, with slots of its own. Time is
 * simulated. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kube/queue.h"

static struct queue *new_queue(int max_in_flight)
{
	struct queue_config cfg = {
		.max_in_flight = max_in_flight,
		.backoff_base_ms = 100,
		.backoff_max_ms = 1000,
	};
	return queue_new(&cfg);
}

static void test_queue_dedupes(void **state)
{
	struct queue *q = new_queue(4);
	const char *k;

	queue_add(q, "ns/a");
	queue_add(q, "ns/b");
	queue_add(q, "ns/a");
	assert_int_equal(queue_ready_len(q), 2);
	k = queue_get(q, 0);
	assert_string_equal(k, "ns/a");
	queue_done(q, k);
	k = queue_get(q, 0);
	assert_string_equal(k, "ns/b");
	queue_done(q, k);
	assert_null(queue_get(q, 0));
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

static void test_queue_in_flight_key_is_not_handed_out_twice(void **state)
{
	struct queue *q = new_queue(4);
	const char *k;

	queue_add(q, "ns/a");
	k = queue_get(q, 0);
	assert_non_null(k);
	queue_add(q, "ns/a"); /* changed while being reconciled */
	assert_null(queue_get(q, 0));
	queue_done(q, "ns/a");
	k = queue_get(q, 0); /* processed once more, after */
	assert_non_null(k);
	assert_string_equal(k, "ns/a");
	queue_done(q, k);
	assert_null(queue_get(q, 0));
	queue_free(q);
}

static void test_queue_timers_earliest_wins(void **state)
{
	struct queue *q = new_queue(4);
	const char *k;

	queue_add_after(q, "ns/ttl", 5000, 0);
	queue_add_after(q, "ns/ttl", 2000, 0);  /* earlier: replaces */
	queue_add_after(q, "ns/ttl", 9000, 0);  /* later: ignored */
	queue_add_after(q, "ns/other", 3000, 0);
	assert_int_equal(queue_next_due_ms(q), 2000);
	assert_null(queue_get(q, 1999));
	k = queue_get(q, 2000);
	assert_string_equal(k, "ns/ttl");
	queue_done(q, k);
	assert_int_equal(queue_next_due_ms(q), 3000);
	assert_null(queue_get(q, 2500));
	k = queue_get(q, 3500);
	assert_string_equal(k, "ns/other");
	queue_done(q, k);
	assert_int_equal(queue_next_due_ms(q), -1);
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

static void test_queue_add_cancels_pending_timer(void **state)
{
	struct queue *q = new_queue(4);
	const char *k;

	queue_add_after(q, "ns/a", 5000, 0);
	queue_add(q, "ns/a");
	assert_int_equal(queue_next_due_ms(q), -1);
	k = queue_get(q, 0);
	assert_string_equal(k, "ns/a");
	queue_done(q, k);
	assert_null(queue_get(q, 10000));
	queue_free(q);
}

static void test_queue_backoff_grows_and_caps(void **state)
{
	struct queue *q = new_queue(1);
	int64_t expect[] = { 100, 200, 400, 800, 1000, 1000 };
	int64_t now = 0;

	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const char *k;

		assert_int_equal(queue_add_backoff(q, "ns/a", now), expect[i]);
		assert_null(queue_get(q, now + expect[i] - 1));
		now += expect[i];
		k = queue_get(q, now);
		assert_non_null(k);
		queue_done(q, k);
	}
	assert_int_equal(queue_failures(q, "ns/a"), 6);
	queue_forget(q, "ns/a");
	assert_int_equal(queue_failures(q, "ns/a"), 0);
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

static double fixed_random(void *arg)
{
	return *(double *)arg;
}

static void test_queue_backoff_jitter_stays_in_range(void **state)
{
	double r = 0.0;
	struct queue_config cfg = {
		.max_in_flight = 1, .backoff_base_ms = 1000, .backoff_max_ms = 60000,
		.random = fixed_random, .random_arg = &r,
	};
	struct queue *q = queue_new(&cfg);

	assert_int_equal(queue_add_backoff(q, "a", 0), 500);   /* factor 0.5 */
	r = 0.999999;
	assert_in_range(queue_add_backoff(q, "b", 0), 999, 1000);
	queue_free(q);
}

static void test_queue_concurrency_cap(void **state)
{
	struct queue *q = new_queue(2);
	const char *a, *b;

	queue_add(q, "1");
	queue_add(q, "2");
	queue_add(q, "3");
	a = queue_get(q, 0);
	b = queue_get(q, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(queue_get(q, 0));
	assert_int_equal(queue_in_flight(q), 2);
	queue_done(q, a);
	assert_string_equal(queue_get(q, 0), "3");
	queue_free(q);
}

static void test_queue_many_keys(void **state)
{
	struct queue *q = new_queue(1);
	char key[32];
	size_t n = 0;
	const char *k;

	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "ns/ds-%d", i);
		queue_add_after(q, key, (5000 - i) % 97, 0);
	}
	assert_int_equal(queue_size(q), 5000);
	while ((k = queue_get(q, 1000))) {
		queue_done(q, k);
		n++;
	}
	assert_int_equal(n, 5000);
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

/* Take the next key and finish it at once; its name, or "" when none. */
static const char *take(struct queue *q, int64_t now, char *out)
{
	const char *k = queue_get(q, now);

	out[0] = '\0';
	if (k) {
		snprintf(out, QUEUE_KEY_MAX_BYTES, "%s", k);
		queue_done(q, k);
	}
	return out;
}

/* A rollout re-adds a thousand keys; a new one still goes next. */
static void test_queue_first_lane_goes_ahead(void **state)
{
	struct queue *q = new_queue(4);
	char key[QUEUE_KEY_MAX_BYTES], k[QUEUE_KEY_MAX_BYTES];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "ns/old-%d", i);
		queue_add(q, key);
	}
	queue_add_first(q, "ns/new");
	assert_int_equal(queue_ready_len(q), 1001);
	assert_string_equal(take(q, 0, k), "ns/new");
	assert_string_equal(take(q, 0, k), "ns/old-0");
	/* due timers and backoff land in the other lane */
	queue_add_after(q, "ns/timer", 5, 0);
	queue_add_first(q, "ns/new2");
	assert_string_equal(take(q, 10, k), "ns/new2");
	assert_string_equal(take(q, 10, k), "ns/old-1");
	for (int i = 2; i < 1000; i++)
		take(q, 10, k);
	assert_string_equal(take(q, 10, k), "ns/timer");
	assert_string_equal(take(q, 10, k), "");
	assert_int_equal(queue_ready_len(q), 0);
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

/* A key waiting in the normal lane moves up, once, and is handed out once. */
static void test_queue_first_lane_promotes(void **state)
{
	struct queue *q = new_queue(4);
	char k[QUEUE_KEY_MAX_BYTES];

	(void)state;
	queue_add(q, "ns/a");
	queue_add(q, "ns/b");
	queue_add(q, "ns/c");
	queue_add_first(q, "ns/c");
	queue_add_first(q, "ns/c");
	assert_int_equal(queue_ready_len(q), 3);
	assert_string_equal(take(q, 0, k), "ns/c");
	assert_string_equal(take(q, 0, k), "ns/a");
	assert_string_equal(take(q, 0, k), "ns/b");
	assert_string_equal(take(q, 0, k), ""); /* c's stale link is skipped */
	assert_int_equal(queue_size(q), 0);
	/* re-added while its stale link is still queued: handed out once */
	queue_add(q, "ns/x");
	queue_add(q, "ns/y");
	queue_add_first(q, "ns/y");
	assert_string_equal(take(q, 0, k), "ns/y");
	queue_add(q, "ns/y");
	assert_string_equal(take(q, 0, k), "ns/x");
	assert_string_equal(take(q, 0, k), "ns/y");
	assert_string_equal(take(q, 0, k), "");
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

/* An add_first while the key is in flight brings it back in the first lane. */
static void test_queue_first_lane_dirty(void **state)
{
	struct queue *q = new_queue(4);
	const char *k;
	char out[QUEUE_KEY_MAX_BYTES];

	(void)state;
	queue_add(q, "ns/a");
	k = queue_get(q, 0);
	assert_string_equal(k, "ns/a");
	queue_add_first(q, "ns/a"); /* in flight: marked dirty, for the first lane */
	queue_add(q, "ns/b");
	queue_done(q, k);
	assert_int_equal(queue_ready_len(q), 2);
	assert_string_equal(take(q, 0, out), "ns/a");
	assert_string_equal(take(q, 0, out), "ns/b");
	assert_string_equal(take(q, 0, out), "");
	assert_int_equal(queue_size(q), 0);
	queue_free(q);
}

/* Slots kept for the first lane: with the normal lane's keys filling every
 * other slot, a new key is still handed out at once; the normal lane never
 * takes the reserved slots, and the first lane may take them all. */
static void test_queue_first_lane_reserved_slots(void **state)
{
	struct queue_config cfg = { .max_in_flight = 4, .first_lane_reserved = 1 };
	struct queue *q = queue_new(&cfg);
	char key[QUEUE_KEY_MAX_BYTES];
	const char *k;

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "ns/old-%d", i);
		queue_add(q, key);
	}
	assert_true(queue_may_get(q));
	assert_string_equal(queue_get(q, 0), "ns/old-0");
	assert_string_equal(queue_get(q, 0), "ns/old-1");
	assert_string_equal(queue_get(q, 0), "ns/old-2");
	assert_false(queue_may_get(q));          /* the last slot is the first lane's */
	assert_null(queue_get(q, 0));
	assert_int_equal(queue_in_flight(q), 3);
	queue_add_first(q, "ns/new");
	assert_true(queue_may_get(q));
	assert_string_equal(queue_get(q, 0), "ns/new");
	assert_false(queue_may_get(q));
	assert_null(queue_get(q, 0));            /* every slot taken */
	queue_done(q, "ns/old-0");
	assert_false(queue_may_get(q));          /* 3 in flight: still the reserve */
	queue_done(q, "ns/new");
	assert_true(queue_may_get(q));
	assert_string_equal(queue_get(q, 0), "ns/old-3");
	/* the first lane alone may use every slot */
	queue_done(q, "ns/old-1");
	queue_done(q, "ns/old-2");
	queue_done(q, "ns/old-3");
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "ns/new-%d", i);
		queue_add_first(q, key);
	}
	for (int i = 0; i < 4; i++)
		assert_non_null(k = queue_get(q, 0));
	assert_false(queue_may_get(q));
	assert_null(queue_get(q, 0));
	queue_free(q);
}

/* A reserve as large as the cap leaves the normal lane one slot. */
static void test_queue_reserve_leaves_one_slot(void **state)
{
	struct queue_config cfg = { .max_in_flight = 2, .first_lane_reserved = 5 };
	struct queue *q = queue_new(&cfg);

	(void)state;
	queue_add(q, "ns/a");
	queue_add(q, "ns/b");
	assert_string_equal(queue_get(q, 0), "ns/a");
	assert_null(queue_get(q, 0));
	queue_done(q, "ns/a");
	assert_string_equal(queue_get(q, 0), "ns/b");
	queue_done(q, "ns/b");
	assert_false(queue_may_get(q));          /* nothing ready */
	queue_free(q);
}

/* While a first-lane key is in flight, the normal lane starts nothing new
 * beyond normal_while_first keys of its own: the API server's time goes to
 * the new DevServer, not to more re-renders beside it. */
static void test_queue_normal_lane_yields(void **state)
{
	struct queue_config cfg = { .max_in_flight = 8, .first_lane_reserved = 1, .normal_while_first = 2 };
	struct queue *q = queue_new(&cfg);
	char key[QUEUE_KEY_MAX_BYTES];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "ns/old-%d", i);
		queue_add(q, key);
	}
	for (int i = 0; i < 5; i++)
		assert_non_null(queue_get(q, 0));
	queue_add_first(q, "ns/new");
	assert_string_equal(queue_get(q, 0), "ns/new");
	assert_false(queue_may_get(q));          /* 5 re-renders in flight > 2 */
	assert_null(queue_get(q, 0));
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "ns/old-%d", i);
		queue_done(q, key);
	}
	assert_false(queue_may_get(q));          /* 2 in flight: not below 2 */
	queue_done(q, "ns/old-3");
	assert_true(queue_may_get(q));           /* 1 < 2 */
	assert_string_equal(queue_get(q, 0), "ns/old-5");
	assert_null(queue_get(q, 0));
	/* the first lane is not held back */
	queue_add_first(q, "ns/new2");
	assert_string_equal(queue_get(q, 0), "ns/new2");
	/* once no first-lane key is in flight, the normal lane fills up again */
	queue_done(q, "ns/new");
	queue_done(q, "ns/new2");
	for (int i = 0; i < 5; i++)
		assert_non_null(queue_get(q, 0));
	assert_int_equal(queue_in_flight(q), 7); /* the 8th slot is the first lane's */
	assert_null(queue_get(q, 0));
	queue_free(q);
}

static void test_queue_rerun_pending(void **state)
{
	struct queue *q = new_queue(4);

	(void)state;
	assert_false(queue_rerun_pending(q, "ns/unknown"));
	queue_add(q, "ns/a");
	assert_false(queue_rerun_pending(q, "ns/a")); /* ready, not in flight */
	assert_string_equal(queue_get(q, 0), "ns/a");
	assert_false(queue_rerun_pending(q, "ns/a")); /* in flight, nothing new */
	queue_add_after(q, "ns/a", 5000, 0);
	assert_false(queue_rerun_pending(q, "ns/a")); /* a timer is not a rerun */
	queue_add(q, "ns/a");
	assert_true(queue_rerun_pending(q, "ns/a"));  /* added meanwhile: runs right after */
	queue_done(q, "ns/a");
	assert_string_equal(queue_get(q, 0), "ns/a");
	queue_done(q, "ns/a");
	/* a key whose events never stop is deferred at most QUEUE_RERUN_DEFER_MAX times in a row */
	queue_add(q, "ns/a");
	for (int i = 0; i < QUEUE_RERUN_DEFER_MAX; i++) {
		assert_string_equal(queue_get(q, 0), "ns/a");
		queue_add(q, "ns/a");
		assert_true(queue_rerun_pending(q, "ns/a"));
		queue_done(q, "ns/a");
	}
	assert_string_equal(queue_get(q, 0), "ns/a");
	queue_add(q, "ns/a");
	assert_false(queue_rerun_pending(q, "ns/a")); /* the 9th: do the work now */
	assert_true(queue_rerun_pending(q, "ns/a"));  /* and the count starts again */
	queue_done(q, "ns/a");
	queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_dedupes),
		cmocka_unit_test(test_queue_in_flight_key_is_not_handed_out_twice),
		cmocka_unit_test(test_queue_timers_earliest_wins),
		cmocka_unit_test(test_queue_add_cancels_pending_timer),
		cmocka_unit_test(test_queue_backoff_grows_and_caps),
		cmocka_unit_test(test_queue_backoff_jitter_stays_in_range),
		cmocka_unit_test(test_queue_concurrency_cap),
		cmocka_unit_test(test_queue_many_keys),
		cmocka_unit_test(test_queue_first_lane_goes_ahead),
		cmocka_unit_test(test_queue_first_lane_promotes),
		cmocka_unit_test(test_queue_first_lane_dirty),
		cmocka_unit_test(test_queue_first_lane_reserved_slots),
		cmocka_unit_test(test_queue_reserve_leaves_one_slot),
		cmocka_unit_test(test_queue_normal_lane_yields),
		cmocka_unit_test(test_queue_rerun_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
