/* duration.c - parse and format DevServer durations (see duration.h).
 * Units must appear in decreasing order so "30m1h" is rejected rather than
 * silently meaning the same as "1h30m": a typo is more likely than intent. */
#include "core/duration.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

int duration_parse(const char *s, int64_t *seconds)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	size_t next_unit = 0;
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return ERR_INVALID;
	while (*p) {
		int64_t n = 0;
		const char *digits = p;
		size_t u;

		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p - '0');
			if (n > DURATION_MAX_SECONDS)
				return ERR_LIMIT;
			p++;
		}
		if (p == digits)
			return ERR_INVALID;
		for (u = next_unit; u < sizeof(units) / sizeof(units[0]); u++)
			if (units[u].unit == *p)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return ERR_INVALID;
		total += n * units[u].secs;
		if (total > DURATION_MAX_SECONDS)
			return ERR_LIMIT;
		next_unit = u + 1;
		p++;
	}
	*seconds = total;
	return 0;
}

void duration_format(int64_t seconds, char *out)
{
	int64_t d = seconds / 86400, h = seconds % 86400 / 3600;
	int64_t m = seconds % 3600 / 60, s = seconds % 60;
	size_t n = 0;

	out[0] = '\0';
	if (seconds <= 0) {
		snprintf(out, DURATION_TEXT_BYTES, "0s");
		return;
	}
	if (d)
		n += (size_t)snprintf(out + n, DURATION_TEXT_BYTES - n, "%lldd", (long long)d);
	if (h)
		n += (size_t)snprintf(out + n, DURATION_TEXT_BYTES - n, "%lldh", (long long)h);
	if (m)
		n += (size_t)snprintf(out + n, DURATION_TEXT_BYTES - n, "%lldm", (long long)m);
	if (s)
		snprintf(out + n, DURATION_TEXT_BYTES - n, "%llds", (long long)s);
}
