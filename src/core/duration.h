/* duration.h - the DevServer duration syntax: "4h", "1h30m", "90s", "2d".
 *
 * A sequence of <digits><unit> with units d, h, m, s in that order, each at
 * most once; no sign, no fractions, no spaces. Kubernetes' CRD pattern and
 * this parser accept the same language (the CRD tests keep them in step).
 */
#ifndef DEVSERVER_CORE_DURATION_H
#define DEVSERVER_CORE_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"

#define DURATION_MAX_SECONDS (366LL * 24 * 3600 * 100) /* a century: beyond is a typo */
#define DURATION_TEXT_BYTES 32

/* 0 and *seconds, or ERR_INVALID (syntax, empty, zero units) / ERR_LIMIT. */
int duration_parse(const char *s, int64_t *seconds) DS_MUST_USE;
/* Formats seconds canonically ("1d2h", "90s" -> "1m30s", 0 -> "0s") into out
 * (DURATION_TEXT_BYTES). */
void duration_format(int64_t seconds, char *out);

#endif
