/* lifecycle.c - TTL arithmetic (see lifecycle.h). */
#include "operator/lifecycle.h"

#include "core/clock.h"
#include "core/duration.h"

static int lifecycle_duration(const struct json *obj, const char *field, const char *where,
			      int64_t *secs, bool *present, struct error *err)
{
	const char *text = json_get_string(json_get(json_get(obj, "spec"), "lifecycle"), field);

	*present = false;
	if (!text)
		return 0;
	if (duration_parse(text, secs) < 0)
		return error_set(err, ERR_INVALID, "%s.spec.lifecycle.%s: invalid duration \"%s\"",
				 where, field, text);
	*present = true;
	return 0;
}

int lifecycle_compute(const struct json *ds, const struct json *flavor, struct lifecycle *out,
		      struct error *err)
{
	int64_t ttl = 0, max = 0, created;
	bool have_ttl, have_max;
	const char *ts;
	int rc;

	out->expires = false;
	out->expires_at = 0;
	out->capped = false;
	rc = lifecycle_duration(ds, "timeToLive", "DevServer", &ttl, &have_ttl, err);
	if (rc < 0)
		return rc;
	if (!have_ttl && flavor) {
		rc = lifecycle_duration(flavor, "defaultTimeToLive", "DevServerFlavor", &ttl,
					&have_ttl, err);
		if (rc < 0)
			return rc;
	}
	if (flavor) {
		rc = lifecycle_duration(flavor, "maxTimeToLive", "DevServerFlavor", &max, &have_max, err);
		if (rc < 0)
			return rc;
		if (have_max && (!have_ttl || ttl > max)) {
			ttl = max;
			have_ttl = true;
			out->capped = true;
		}
	}
	if (!have_ttl)
		return 0;
	ts = json_get_string(json_get(ds, "metadata"), "creationTimestamp");
	if (!ts || clock_parse_rfc3339(ts, &created) < 0)
		return error_set(err, ERR_INVALID, "metadata.creationTimestamp missing or invalid");
	out->expires = true;
	out->expires_at = created + ttl;
	return 0;
}
