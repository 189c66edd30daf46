/* test_utf8.c - core/utf8: validation against the RFC 3629 table, cuts on
 * character boundaries, cleaning that matches what the API server stores. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/utf8.h"

#define EURO "\xe2\x82\xac"          /* U+20AC, 3 bytes */
#define CJK "\xe4\xb8\xad"           /* U+4E2D, 3 bytes */
#define EMOJI "\xf0\x9f\x98\x80"     /* U+1F600, 4 bytes */
#define UMLAUT "\xc3\xa4"            /* U+00E4, 2 bytes */

static void test_utf8_seq_len(void **state)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
		{ "a", 1 }, { "\x7f", 1 }, { UMLAUT, 2 }, { EURO, 3 }, { EMOJI, 4 },
		{ "\xdf\xbf", 2 },             /* U+07FF */
		{ "\xef\xbf\xbf", 3 },         /* U+FFFF */
		{ "\xf4\x8f\xbf\xbf", 4 },     /* U+10FFFF, the last */
		{ "\xed\x9f\xbf", 3 },         /* U+D7FF, just below the surrogates */
		{ "\x80", 0 },                 /* a continuation byte alone */
		{ "\xc0\x80", 0 },             /* overlong NUL */
		{ "\xc1\xbf", 0 },             /* overlong */
		{ "\xe0\x9f\xbf", 0 },         /* overlong 3-byte */
		{ "\xf0\x8f\xbf\xbf", 0 },     /* overlong 4-byte */
		{ "\xed\xa0\x80", 0 },         /* U+D800, a surrogate */
		{ "\xf4\x90\x80\x80", 0 },     /* U+110000 */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 },
		{ "\xe2\x82", 0 },             /* cut short */
		{ "\xe2\x28\xa1", 0 },         /* bad second byte */
		{ "\xe2\x82\x28", 0 },         /* bad third byte */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = utf8_seq_len(cases[i].s, strlen(cases[i].s));

		if (got != cases[i].len)
			fail_msg("case %zu: %zu, want %zu", i, got, cases[i].len);
	}
	/* n bounds the look-ahead: a valid sequence past n is not seen */
	assert_int_equal(utf8_seq_len(EURO, 2), 0);
	assert_true(utf8_valid("plain " UMLAUT EURO EMOJI CJK, strlen("plain " UMLAUT EURO EMOJI CJK)));
	assert_true(utf8_valid("", 0));
	assert_false(utf8_valid("ok\xe2\x82", 5));
	assert_false(utf8_valid("ok\xed\xa0\x80", 5));
}

/* A second opinion written the other way round: decode by bit pattern, then
 * reject by code point. */
static size_t reference_seq_len(const unsigned char *s, size_t n)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4;
	else
		return 0;
	cp = s[0] & (0x7f >> len);
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min_cp[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void test_utf8_seq_len_matches_reference(void **state)
{
	/* every first and second byte; the later bytes from the edges of
	 * their classes */
	static const unsigned char later[] = { 0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff };
	const size_t nl = sizeof(later);
	unsigned char s[4];

	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++)
			for (size_t c = 0; c < nl; c++)
				for (size_t d = 0; d < nl; d++) {
					s[0] = (unsigned char)a;
					s[1] = (unsigned char)b;
					s[2] = later[c];
					s[3] = later[d];
					for (size_t n = 1; n <= 4; n++) {
						size_t got = utf8_seq_len((const char *)s, n);

						if (got != reference_seq_len(s, n))
							fail_msg("%02x %02x %02x %02x (n=%zu): %zu", a, b, s[2], s[3],
								 n, got);
					}
				}
}

static void test_utf8_cut(void **state)
{
	const char *s = "ab" EURO "c" EMOJI;   /* 2 + 3 + 1 + 4 = 10 bytes */

	assert_int_equal(utf8_cut(s, 10, 100), 10);
	assert_int_equal(utf8_cut(s, 10, 10), 10);
	assert_int_equal(utf8_cut(s, 10, 9), 6);   /* not inside the emoji */
	assert_int_equal(utf8_cut(s, 10, 7), 6);
	assert_int_equal(utf8_cut(s, 10, 6), 6);
	assert_int_equal(utf8_cut(s, 10, 5), 5);
	assert_int_equal(utf8_cut(s, 10, 4), 2);   /* not inside the euro sign */
	assert_int_equal(utf8_cut(s, 10, 3), 2);
	assert_int_equal(utf8_cut(s, 10, 2), 2);
	assert_int_equal(utf8_cut(s, 10, 0), 0);
	assert_int_equal(utf8_cut(EMOJI, 4, 3), 0);
}

static void test_utf8_copy_cuts_on_boundaries(void **state)
{
	const char *s = "ab" EURO "c" EMOJI;
	char out[16];

	/* every buffer size: valid output, a prefix of the input, the longest
	 * one that fits */
	for (size_t size = 1; size <= 12; size++) {
		size_t n = utf8_copy(out, size, s);

		assert_true(n < size);
		assert_int_equal(n, strlen(out));
		assert_true(utf8_valid(out, n));
		assert_memory_equal(out, s, n);
		assert_int_equal(n, utf8_cut(s, strlen(s), size - 1));
	}
	assert_int_equal(utf8_copy(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

static void test_utf8_copy_cleans(void **state)
{
	char out[64];

	/* stray bytes become U+FFFD, one per byte, like the API server's decoder */
	utf8_copy(out, sizeof(out), "a\x80" "b");
	assert_string_equal(out, "a" UTF8_REPLACEMENT "b");
	utf8_copy(out, sizeof(out), "a\xe2\x82" "b");   /* a broken sequence inside */
	assert_string_equal(out, "a" UTF8_REPLACEMENT UTF8_REPLACEMENT "b");
	utf8_copy(out, sizeof(out), "x\xed\xa0\x80y");  /* a surrogate */
	assert_string_equal(out, "x" UTF8_REPLACEMENT UTF8_REPLACEMENT UTF8_REPLACEMENT "y");
	utf8_copy(out, sizeof(out), "\xc0\xaf");        /* overlong '/' */
	assert_string_equal(out, UTF8_REPLACEMENT UTF8_REPLACEMENT);
	/* a character cut short by the end of the text: dropped */
	utf8_copy(out, sizeof(out), "ok " "\xe2\x82");
	assert_string_equal(out, "ok ");
	utf8_copy(out, sizeof(out), "ok " "\xf0\x9f\x98");
	assert_string_equal(out, "ok ");
	/* ...but a byte that cannot begin a character is replaced there too */
	utf8_copy(out, sizeof(out), "ok\x80");
	assert_string_equal(out, "ok" UTF8_REPLACEMENT);
	utf8_copy(out, sizeof(out), "ok\xff");
	assert_string_equal(out, "ok" UTF8_REPLACEMENT);
	/* a replacement that does not fit is left out whole */
	assert_int_equal(utf8_copy(out, 4, "ab\x80"), 2);
	assert_string_equal(out, "ab");
	/* cleaning is idempotent: what comes out goes through unchanged */
	{
		char again[64];

		utf8_copy(out, sizeof(out), "\x80q\xe2\x82q" EURO "\xf4\x90\x80\x80");
		assert_true(utf8_valid(out, strlen(out)));
		utf8_copy(again, sizeof(again), out);
		assert_string_equal(again, out);
	}
}

static void test_utf8_format(void **state)
{
	char out[8];
	char msg[ERROR_MSG_MAX_BYTES];

	assert_int_equal(utf8_format(out, sizeof(out), "%s-%d", "ab", 7), 4);
	assert_string_equal(out, "ab-7");
	/* "x: " + euro + euro = 9 bytes; 7 fit, the second euro would be cut */
	assert_int_equal(utf8_format(out, sizeof(out), "x: %s", EURO EURO), 6);
	assert_string_equal(out, "x: " EURO);
	/* an argument inside dst */
	snprintf(out, sizeof(out), "ab");
	utf8_format(out, sizeof(out), "%s%s", out, out);
	assert_string_equal(out, "abab");
	/* the case that matters: error_set cut a message inside a character,
	 * then a prefix was formatted in front of it */
	{
		struct error err;
		char text[ERROR_MSG_MAX_BYTES + 64];
		size_t n = 0;

		while (n + 3 < sizeof(text) - 1) {
			memcpy(text + n, CJK, 3);
			n += 3;
		}
		text[n] = '\0';
		error_set(&err, ERR_POLICY, "xy%s", text);  /* 2 + 3k bytes, cut at 511 */
		assert_false(utf8_valid(err.msg, strlen(err.msg)));
		utf8_format(msg, sizeof(msg), "policy: %s", err.msg);
		assert_true(utf8_valid(msg, strlen(msg)));
		assert_memory_equal(msg, "policy: xy" CJK, strlen("policy: xy" CJK));
		assert_true(strlen(msg) >= sizeof(msg) - 1 - 3);
	}
}

/* utf8_valid skips ASCII a word at a time: a bad or multi-byte sequence
 * at every offset around a word boundary is still seen. */
static void test_utf8_valid_word_scan(void **state)
{
	char buf[40];

	(void)state;
	for (size_t len = 0; len <= 24; len++) {
		for (size_t at = 0; at < len; at++) {
			memset(buf, 'a', len);
			buf[at] = '\x80'; /* a lone continuation byte */
			assert_false(utf8_valid(buf, len));
			buf[at] = '\0';   /* NUL is ASCII */
			assert_true(utf8_valid(buf, len));
			if (at + 2 <= len) {
				memcpy(buf + at, "\xc3\xa4", 2);
				assert_true(utf8_valid(buf, len));
				assert_false(utf8_valid(buf, at + 1)); /* cut in the middle */
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_seq_len),
		cmocka_unit_test(test_utf8_seq_len_matches_reference),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_utf8_copy_cuts_on_boundaries),
		cmocka_unit_test(test_utf8_copy_cleans),
		cmocka_unit_test(test_utf8_format),
		cmocka_unit_test(test_utf8_valid_word_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
