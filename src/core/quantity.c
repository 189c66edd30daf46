/* quantity.c - exact quantity parsing (see quantity.h). Sub-nano precision
 * ("1.0000000001") is ERR_LIMIT rather than silently rounded: the API server
 * rounds such values up, and we would rather not claim two values equal. */
#include "core/quantity.h"

#include <string.h>

#include "core/error.h"

#define QUANTITY_LIMIT ((quantity_nanos)1 << 120)

static int quantity_mul(quantity_nanos *v, quantity_nanos by)
{
	if (*v != 0 && (by > QUANTITY_LIMIT / (*v < 0 ? -*v : *v)))
		return ERR_LIMIT;
	*v *= by;
	return 0;
}

int quantity_parse(const char *s, quantity_nanos *out)
{
	static const struct { const char *suffix; int base2; int exp; } suffixes[] = {
		{ "Ki", 10, 0 }, { "Mi", 20, 0 }, { "Gi", 30, 0 }, { "Ti", 40, 0 },
		{ "Pi", 50, 0 }, { "Ei", 60, 0 },
		{ "n", 0, -9 }, { "u", 0, -6 }, { "m", 0, -3 }, { "", 0, 0 }, { "k", 0, 3 },
		{ "M", 0, 6 }, { "G", 0, 9 }, { "T", 0, 12 }, { "P", 0, 15 }, { "E", 0, 18 },
	};
	quantity_nanos mant = 0;
	int neg = 0, frac_digits = 0, exp10 = 0, base2 = 0, digits = 0;
	const char *p = s;
	size_t i;

	if (!s || !*s || strlen(s) > QUANTITY_MAX_BYTES)
		return ERR_INVALID;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (quantity_mul(&mant, 10) < 0 || (mant += *p - '0') > QUANTITY_LIMIT)
			return ERR_LIMIT;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac_digits++)
			if (quantity_mul(&mant, 10) < 0 || (mant += *p - '0') > QUANTITY_LIMIT)
				return ERR_LIMIT;
	}
	if (digits == 0)
		return ERR_INVALID;
	if ((*p == 'e' || *p == 'E') && p[1] != '\0' && (p[1] == '+' || p[1] == '-' || (p[1] >= '0' && p[1] <= '9'))) {
		int eneg = 0, e = 0, edigits = 0;

		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		for (; *p >= '0' && *p <= '9'; p++, edigits++) {
			e = e * 10 + (*p - '0');
			if (e > 60)
				return ERR_LIMIT;
		}
		if (edigits == 0 || *p)
			return ERR_INVALID;
		exp10 = eneg ? -e : e;
	} else {
		for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (strcmp(p, suffixes[i].suffix) == 0)
				break;
		if (i == sizeof(suffixes) / sizeof(suffixes[0]))
			return ERR_INVALID;
		exp10 = suffixes[i].exp;
		base2 = suffixes[i].base2;
	}
	/* value = mant * 10^(exp10 - frac_digits) * 2^base2, in nanos: * 10^9 */
	exp10 += 9 - frac_digits;
	if (quantity_mul(&mant, (quantity_nanos)1 << base2) < 0)
		return ERR_LIMIT;
	for (; exp10 > 0; exp10--)
		if (quantity_mul(&mant, 10) < 0)
			return ERR_LIMIT;
	for (; exp10 < 0; exp10++) {
		if (mant % 10 != 0)
			return ERR_LIMIT;
		mant /= 10;
	}
	*out = neg ? -mant : mant;
	return 0;
}

bool quantity_equal(const char *a, const char *b)
{
	quantity_nanos x, y;

	return quantity_parse(a, &x) == 0 && quantity_parse(b, &y) == 0 && x == y;
}
