/* backoff.c - retry decisions (see backoff.h).
 *
 * HTTP-date parsing is written here (not curl_getdate) so the module stays
 * pure and testable without libcurl: the three formats of RFC 9110 §5.6.7,
 * always GMT. Days are counted with the civil-from-days arithmetic rather
 * than timegm so the TZ environment cannot matter.
 */
#include "kube/backoff.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"

void backoff_policy_default(struct backoff_policy *p)
{
	p->base_ms = BACKOFF_BASE_MS;
	p->cap_ms = BACKOFF_CAP_MS;
	p->max_attempts = BACKOFF_MAX_ATTEMPTS;
}

int64_t backoff_ceiling_ms(int64_t base_ms, int64_t cap_ms, int n)
{
	int64_t ceiling = base_ms;

	for (int i = 0; i < n && ceiling < cap_ms; i++)
		ceiling *= 2;
	return ceiling > cap_ms ? cap_ms : ceiling;
}

int64_t backoff_half_jitter_ms(int64_t ceiling_ms, double r)
{
	int64_t delay = (int64_t)((double)ceiling_ms * (0.5 + 0.5 * r));

	return delay < 1 ? 1 : delay;
}

int64_t backoff_delay_ms(const struct backoff_policy *p, int retry, backoff_rand_fn rnd, void *ud)
{
	int64_t ceiling = backoff_ceiling_ms(p->base_ms, p->cap_ms, retry);

	if (ceiling <= 0)
		return 0;
	return (int64_t)(rnd(ud) % (uint64_t)(ceiling + 1));
}

bool backoff_retryable(int code)
{
	return error_retry_class(code) == ERROR_RETRY_RESEND;
}

int64_t backoff_next(const struct backoff_policy *p, int code, int attempts, int64_t retry_after_ms,
		     backoff_rand_fn rnd, void *ud)
{
	if (!backoff_retryable(code) || attempts >= p->max_attempts)
		return -1;
	if (retry_after_ms >= 0)
		return retry_after_ms > BACKOFF_RETRY_AFTER_MAX_MS ? BACKOFF_RETRY_AFTER_MAX_MS
								  : retry_after_ms;
	return backoff_delay_ms(p, attempts - 1, rnd, ud);
}

static int backoff_month(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (strncmp(s, months + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

/* HTTP-date to unix seconds; 0 or ERR_INVALID. */
static int backoff_parse_http_date(const char *s, int64_t *out)
{
	char wk[16], mon[4], tz[4];
	int d, y, hh, mm, ss, m, n = 0;

	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wk, &d, mon, &y, &hh, &mm, &ss, tz, &n) == 8 &&
	    strcmp(tz, "GMT") == 0) {
		;
	/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
	} else if (sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wk, &d, mon, &y, &hh, &mm, &ss,
			  tz, &n) == 8 && strcmp(tz, "GMT") == 0) {
		y += y < 70 ? 2000 : 1900;
	/* asctime: Sun Nov  6 08:49:37 1994 */
	} else if (sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wk, mon, &d, &hh, &mm, &ss, &y, &n) == 7) {
		;
	} else {
		return ERR_INVALID;
	}
	while (s[n] == ' ')
		n++;
	m = backoff_month(mon);
	if (s[n] || !m || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || hh < 0 || mm < 0 || ss < 0)
		return ERR_INVALID;
	*out = clock_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

int backoff_parse_retry_after(const char *value, int64_t now_unix, int64_t *delay_ms)
{
	const char *p = value;
	int64_t secs = 0, when;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		const char *q = p;

		while (isdigit((unsigned char)*q)) {
			if (secs > INT64_MAX / 10000)
				return ERR_INVALID;
			secs = secs * 10 + (*q++ - '0');
		}
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			q++;
		if (*q)
			return ERR_INVALID;
		*delay_ms = secs * 1000;
		return 0;
	}
	{
		char tmp[64];
		size_t n = strlen(p);

		while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
			n--;
		if (n == 0 || n >= sizeof(tmp))
			return ERR_INVALID;
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		if (backoff_parse_http_date(tmp, &when) < 0)
			return ERR_INVALID;
	}
	*delay_ms = when > now_unix ? (when - now_unix) * 1000 : 0;
	return 0;
}

uint64_t backoff_rand_default(void *ud)
{
	uint64_t *s = ud;
	uint64_t x = *s;

	if (x == 0)
		x = (uint64_t)clock_mono_ns() | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}
