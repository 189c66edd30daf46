/* utf8.c - cutting and cleaning text on character boundaries (see utf8.h).
 *
 * A sequence is checked against the RFC 3629 table: the lead byte decides the
 * length and the range of the second byte (which is what excludes overlong
 * forms, surrogates and code points past U+10FFFF); later bytes are plain
 * continuation bytes. Everything works on bytes already in memory; nothing
 * allocates. It is the one UTF-8 decoder: the JSON parser and encoder, the
 * Lua bridge, the YAML reader and devctl's flags all call utf8_seq_len and
 * utf8_valid. It lives in src/core because core depends on nothing.
 */
#include "core/utf8.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* For a lead byte: the sequence length and the range of its second byte;
 * 0 for a byte that cannot start a multi-byte sequence. */
static size_t utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;     /* below: overlong */
		else if (c == 0xed)
			*hi = 0x9f;     /* above: UTF-16 surrogates */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;     /* below: overlong */
		else if (c == 0xf4)
			*hi = 0x8f;     /* above: past U+10FFFF */
		return 4;
	}
	return 0;
}

/* How many bytes of s[0..n) match the sequence s[0] starts (at most its
 * length); *need gets that length (0: s[0] is not a lead byte). */
static size_t utf8_match(const unsigned char *s, size_t n, size_t *need)
{
	unsigned char lo, hi;
	size_t k;

	*need = utf8_lead(s[0], &lo, &hi);
	if (*need == 0)
		return 0;
	for (k = 1; k < *need && k < n; k++) {
		if (k == 1 ? (s[1] < lo || s[1] > hi) : (s[k] & 0xc0) != 0x80)
			return k;
	}
	return k;
}

size_t utf8_seq_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need, got;

	if (p[0] < 0x80)
		return 1;
	got = utf8_match(p, n, &need);
	return need && got == need ? need : 0;
}

bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		/* Most text the host checks (every string and key a policy
		 * renders) is ASCII: skip it eight bytes at a time. */
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		if (i == n)
			break;
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq_len(s + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

size_t utf8_cut(const char *s, size_t n, size_t max_bytes)
{
	size_t i;

	if (n <= max_bytes)
		return n;
	/* s[i] begins the first character that does not fit; back up over
	 * continuation bytes to the start of the one it belongs to */
	i = max_bytes;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

size_t utf8_copy(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t left = strlen(src), out = 0, room;

	assert(size >= 1);
	room = size - 1;
	while (left > 0) {
		size_t k = utf8_seq_len((const char *)p, left), need;
		const void *piece = p;
		size_t plen = k;

		if (k == 0) {
			/* cut short by the end of the input: drop the fragment */
			if (utf8_match(p, left, &need) == left && left < need)
				break;
			piece = UTF8_REPLACEMENT;
			plen = sizeof(UTF8_REPLACEMENT) - 1;
			k = 1;
		}
		if (plen > room - out)
			break;
		memcpy(dst + out, piece, plen);
		out += plen;
		p += k;
		left -= k;
	}
	dst[out] = '\0';
	return out;
}

size_t utf8_format(char *dst, size_t size, const char *fmt, ...)
{
	char text[UTF8_FORMAT_MAX_BYTES];
	va_list ap;

	assert(size >= 1 && size <= sizeof(text));
	/* formatted aside first: an argument may point into dst. A cut by
	 * vsnprintf inside a character leaves a fragment at the end, which
	 * utf8_copy drops. */
	va_start(ap, fmt);
	vsnprintf(text, size, fmt, ap);
	va_end(ap);
	return utf8_copy(dst, size, text);
}
