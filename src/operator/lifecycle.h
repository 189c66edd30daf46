/* lifecycle.h - when a DevServer expires.
 *
 * The time-to-live is spec.lifecycle.timeToLive, else the flavor's
 * spec.lifecycle.defaultTimeToLive, else none; it counts from
 * metadata.creationTimestamp. It is capped by the flavor's maxTimeToLive
 * or, when the flavor sets none, by the operator's --max-ttl. The flavor's
 * maximum also gives a DevServer that has no time-to-live one; --max-ttl
 * does not (an upgrade must never start deleting DevServers, and their
 * homes, that were made to last). The flavor's own
 * maximum wins whether it is larger or smaller than --max-ttl: a flavor is
 * the narrower, deliberate choice. The operator turns the result into a
 * queue timer, status.expiresAt and the wording that says which cap applied.
 */
#ifndef DEVSERVER_OPERATOR_LIFECYCLE_H
#define DEVSERVER_OPERATOR_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

/* "capped at <duration> by the operator's --max-ttl" fits */
#define LIFECYCLE_CAP_TEXT_BYTES 96

enum lifecycle_cap {
	LIFECYCLE_CAP_NONE = 0,   /* the TTL is the DevServer's or the flavor's default */
	LIFECYCLE_CAP_FLAVOR,     /* the flavor's maxTimeToLive shortened or set it */
	LIFECYCLE_CAP_OPERATOR,   /* the operator's --max-ttl shortened or set it */
};

struct lifecycle {
	bool expires;                 /* false: no TTL anywhere */
	int64_t expires_at;           /* unix seconds, when expires */
	enum lifecycle_cap capped_by; /* which maximum decided the TTL, if one did */
	int64_t cap_s;                /* that maximum, when capped_by is not NONE */
};

/* flavor is the resolved flavor, or NULL when it did not resolve: then
 * neither its values nor operator_max_s apply (a flavor that is missing for
 * a while may allow more than --max-ttl, and an expiry deletes the DevServer
 * for good). operator_max_s is --max-ttl in seconds, 0 for none. Returns 0,
 * or ERR_INVALID for an unparsable duration or creationTimestamp (the
 * message names the field). */
int lifecycle_compute(const struct json *ds, const struct json *flavor, int64_t operator_max_s,
		      struct lifecycle *out, struct error *err) DS_MUST_USE;

/* Which cap applied, for a condition or an Event: "capped at 2h by the
 * flavor's maxTimeToLive", "capped at 7d by the operator's --max-ttl", or ""
 * when none did. */
void lifecycle_cap_text(const struct lifecycle *lc, char out[LIFECYCLE_CAP_TEXT_BYTES]);

#endif
