/* clock.h - monotonic and wall-clock time in milliseconds.
 *
 * Deadlines, backoff and timers use the monotonic clock; only timestamps that
 * leave the process (status, events, expiresAt) use the wall clock.
 */
#ifndef DEVSERVER_CORE_CLOCK_H
#define DEVSERVER_CORE_CLOCK_H

#include <stdint.h>
#include <stddef.h>

#include "core/attr.h"

int64_t clock_mono_ms(void);
int64_t clock_mono_ns(void);
int64_t clock_wall_ms(void);
/* Formats wall-clock seconds as RFC 3339 UTC ("2026-11-26T10:00:00Z") into
 * out (at least CLOCK_RFC3339_BYTES). */
#define CLOCK_RFC3339_BYTES 21
void clock_format_rfc3339(int64_t unix_seconds, char *out);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
int64_t clock_days_from_civil(int64_t year, int month, int day);
/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)"; 0 or ERR_INVALID. */
int clock_parse_rfc3339(const char *s, int64_t *unix_seconds) DS_MUST_USE;

#endif
