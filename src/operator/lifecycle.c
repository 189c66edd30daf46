/* lifecycle.c - TTL arithmetic (see lifecycle.h). Pure: the DevServer, its
 * flavor and the operator's cap in, an expiry time and the deciding cap out;
 * the timers and the deletion are reconcile.c's. */
#include "operator/lifecycle.h"

#include <stdio.h>

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

int lifecycle_compute(const struct json *ds, const struct json *flavor, int64_t operator_max_s,
		      struct lifecycle *out, struct error *err)
{
	int64_t ttl = 0, max = 0, created;
	bool have_ttl, have_max = false;
	enum lifecycle_cap which = LIFECYCLE_CAP_NONE;
	const char *ts;
	int rc;

	out->expires = false;
	out->expires_at = 0;
	out->capped_by = LIFECYCLE_CAP_NONE;
	out->cap_s = 0;
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
		if (have_max)
			which = LIFECYCLE_CAP_FLAVOR;
		else if (operator_max_s > 0) {
			max = operator_max_s;
			have_max = true;
			which = LIFECYCLE_CAP_OPERATOR;
		}
	}
	/* --max-ttl shortens a TTL; unlike a flavor's maximum it gives none to a
	 * DevServer that has none: an upgrade must never start deleting
	 * DevServers (and their homes) that were made to last */
	if (which == LIFECYCLE_CAP_OPERATOR && !have_ttl)
		have_max = false;
	if (have_max && (!have_ttl || ttl > max)) {
		ttl = max;
		have_ttl = true;
		out->capped_by = which;
		out->cap_s = max;
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

void lifecycle_cap_text(const struct lifecycle *lc, char out[LIFECYCLE_CAP_TEXT_BYTES])
{
	char d[DURATION_TEXT_BYTES];

	out[0] = '\0';
	if (lc->capped_by == LIFECYCLE_CAP_NONE)
		return;
	duration_format(lc->cap_s, d);
	snprintf(out, LIFECYCLE_CAP_TEXT_BYTES, "capped at %s by %s", d,
		 lc->capped_by == LIFECYCLE_CAP_FLAVOR ? "the flavor's maxTimeToLive"
						       : "the operator's --max-ttl");
}
