/* lifecycle.h - when a DevServer expires.
 *
 * The time-to-live is spec.lifecycle.timeToLive, else the flavor's
 * spec.lifecycle.defaultTimeToLive, else none; it counts from
 * metadata.creationTimestamp and is capped by the flavor's maxTimeToLive.
 * The operator turns the result into a queue timer and status.expiresAt.
 */
#ifndef DEVSERVER_OPERATOR_LIFECYCLE_H
#define DEVSERVER_OPERATOR_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "json/json.h"

struct lifecycle {
	bool expires;          /* false: no TTL anywhere */
	int64_t expires_at;    /* unix seconds, when expires */
	bool capped;           /* the flavor's maxTimeToLive shortened it */
};

/* flavor may be NULL. Returns 0, or ERR_INVALID for an unparsable duration or
 * creationTimestamp (the message names the field). */
int lifecycle_compute(const struct json *ds, const struct json *flavor, struct lifecycle *out,
		      struct error *err);

#endif
