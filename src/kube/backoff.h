/* backoff.h - when to retry a failed API call, and after how long.
 *
 * Pure functions: the random source and the current time are parameters,
 * so every decision is unit-testable. The delay is "full jitter" exponential
 * backoff (uniform in [0, min(cap, base * 2^attempt)]), which spreads a herd
 * of clients retrying after the same API server hiccup. A Retry-After the
 * server sent (429, 503) replaces the computed delay, capped at
 * BACKOFF_RETRY_AFTER_MAX_MS so a hostile or confused server cannot park us.
 */
#ifndef DEVSERVER_KUBE_BACKOFF_H
#define DEVSERVER_KUBE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"

#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 30000
#define BACKOFF_MAX_ATTEMPTS 5           /* tries in all, the first included */
#define BACKOFF_RETRY_AFTER_MAX_MS 60000

struct backoff_policy {
	int64_t base_ms;
	int64_t cap_ms;
	int max_attempts;
};

/* Returns a uniformly distributed 64-bit value; ud is the caller's state. */
typedef uint64_t (*backoff_rand_fn)(void *ud);

/* The exponential every retry loop here shares (this client, the watch
 * reconnects, the work queue's per-key backoff): base * 2^n, capped at cap,
 * where n counts the failures before this one (0: the first retry). n < 0
 * counts as 0; the doubling stops at the cap, so it cannot overflow. */
int64_t backoff_ceiling_ms(int64_t base_ms, int64_t cap_ms, int n);

/* The work queue's jitter: ceiling scaled by 0.5 + 0.5 * r, r in [0, 1)
 * (r = 1 gives the ceiling itself: no jitter), so into [ceiling / 2,
 * ceiling); never below 1 ms. Unlike backoff_delay_ms it never retries at
 * once: a key that keeps failing is not hammered. */
int64_t backoff_half_jitter_ms(int64_t ceiling_ms, double r);

/* The default policy (the named constants above). */
void backoff_policy_default(struct backoff_policy *p);

/* Full-jitter delay before retry number `retry` (0 for the first retry):
 * uniform in [0, backoff_ceiling_ms(base, cap, retry)]. */
int64_t backoff_delay_ms(const struct backoff_policy *p, int retry, backoff_rand_fn rnd, void *ud);

/* Whether an error code is worth retrying as is: only ERR_RETRY (network,
 * 429, 5xx). A conflict needs a re-read first; gone needs a relist. */
bool backoff_retryable(int code);

/* The retry decision after `attempts` tries (>= 1) ended with `code`.
 * retry_after_ms is the server's Retry-After (-1 when absent). Returns the
 * delay before the next try, or -1 to give up. */
int64_t backoff_next(const struct backoff_policy *p, int code, int attempts, int64_t retry_after_ms,
		     backoff_rand_fn rnd, void *ud);

/* Parses a Retry-After header value: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", also RFC 850 and asctime forms) relative
 * to now_unix. Dates in the past give 0. Returns 0 or ERR_INVALID. */
int backoff_parse_retry_after(const char *value, int64_t now_unix, int64_t *delay_ms) DS_MUST_USE;

/* A default random source (xorshift seeded from the clock), for callers that
 * do not need a reproducible one. ud must point to a uint64_t state (0 seeds). */
uint64_t backoff_rand_default(void *ud);

#endif
