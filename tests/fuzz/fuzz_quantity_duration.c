/* fuzz_quantity_duration.c - quantity_parse and duration_parse/format.
 *
 * The input (up to its first NUL) is given to both parsers. Properties:
 *  - neither crashes nor trips UBSan (signed overflow in the 128-bit and
 *    64-bit arithmetic is the thing to look for);
 *  - a parsed quantity is reproduced exactly by its value written in
 *    nano-units ("<n>n"), and quantity_equal(x, x) holds;
 *  - a parsed duration is in [0, DURATION_MAX_SECONDS], and
 *    duration_parse(duration_format(v)) gives v back; formatting is
 *    canonical (formatting twice gives the same text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "core/error.h"
#include "core/quantity.h"
#include "fuzz_common.h"

/* Writes v as "<digits>n" (decimal nano-units). */
static void nanos_text(quantity_nanos v, char *out, size_t size)
{
	char tmp[64];
	size_t n = 0, o = 0;
	unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;

	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		out[o++] = '-';
	while (n)
		out[o++] = tmp[--n];
	out[o++] = 'n';
	out[o] = '\0';
	FUZZ_CHECK(o < size, "nanos text too long");
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);
	quantity_nanos q, q2;
	int64_t secs, secs2;
	char text[DURATION_TEXT_BYTES], text2[DURATION_TEXT_BYTES], ntext[64];
	int rc;

	memcpy(s, data, size);
	s[size] = '\0';

	rc = quantity_parse(s, &q);
	FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_LIMIT, "quantity rc %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(quantity_equal(s, s), "quantity_equal(x, x) false");
		nanos_text(q, ntext, sizeof(ntext));
		rc = quantity_parse(ntext, &q2);
		FUZZ_CHECK(rc == 0 && q2 == q, "\"%s\" parsed but its nanos \"%s\" do not (rc %d)", s,
			   ntext, rc);
	}

	rc = duration_parse(s, &secs);
	FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_LIMIT, "duration rc %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(secs >= 0 && secs <= DURATION_MAX_SECONDS, "duration %lld out of range",
			   (long long)secs);
		duration_format(secs, text);
		FUZZ_CHECK(strlen(text) < DURATION_TEXT_BYTES, "format overflow");
		rc = duration_parse(text, &secs2);
		FUZZ_CHECK(rc == 0 && secs2 == secs, "\"%s\" -> %lld -> \"%s\" -> rc %d %lld", s,
			   (long long)secs, text, rc, (long long)secs2);
		duration_format(secs2, text2);
		FUZZ_CHECK(strcmp(text, text2) == 0, "format not canonical: %s vs %s", text, text2);
	}
	free(s);
	return 0;
}
