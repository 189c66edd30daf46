/* test_base64.c - src/core/base64: RFC 4648 vectors, whitespace, bad input, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/base64.h"

static void decode_ok(const char *in, const char *want)
{
	struct buf b;
	struct error err;

	buf_init(&b, 1024);
	assert_int_equal(base64_decode(in, strlen(in), &b, &err), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(buf_str(&b), want, b.len);
	buf_cleanup(&b);
}

static void decode_bad(const char *in)
{
	struct buf b;
	struct error err;

	buf_init(&b, 1024);
	assert_int_equal(base64_decode(in, strlen(in), &b, &err), ERR_INVALID);
	assert_int_equal(err.code, ERR_INVALID);
	buf_cleanup(&b);
}

static void test_rfc4648_vectors(void **state)
{
	static const char *pairs[][2] = {
		{"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"},
		{"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct buf b;

		decode_ok(pairs[i][0], pairs[i][1]);
		buf_init(&b, 64);
		assert_int_equal(base64_encode(pairs[i][1], strlen(pairs[i][1]), &b), 0);
		assert_string_equal(buf_str(&b), pairs[i][0]);
		buf_cleanup(&b);
	}
}

static void test_unpadded_and_whitespace(void **state)
{
	decode_ok("Zg", "f");
	decode_ok("Zm8", "fo");
	decode_ok("Zm9v\nYmFy\n", "foobar");
	decode_ok("  Zm9v\r\n\tYmE=  \n", "fooba");
}

static void test_invalid_input(void **state)
{
	decode_bad("Z");          /* one sextet cannot make a byte */
	decode_bad("Zm9vY");      /* ditto at the end */
	decode_bad("Zm9v!");      /* not in the alphabet */
	decode_bad("Zm-v");       /* URL-safe alphabet is not accepted */
	decode_bad("=Zm9");       /* padding first */
	decode_bad("Zg=");        /* incomplete padding */
	decode_bad("Zg===");      /* too much padding */
	decode_bad("Zg==Zm9v");   /* data after padding */
}

static void test_binary_round_trip(void **state)
{
	unsigned char raw[256];
	struct buf enc, dec;
	struct error err;

	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char)(255 - i);
	for (size_t n = 0; n <= sizeof(raw); n += 7) {
		buf_init(&enc, 1024);
		buf_init(&dec, BASE64_DECODED_MAX_BYTES(1024));
		assert_int_equal(base64_encode(raw, n, &enc), 0);
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_int_equal(base64_decode(enc.data ? enc.data : "", enc.len, &dec, &err), 0);
		assert_int_equal(dec.len, n);
		if (n)
			assert_memory_equal(dec.data, raw, n);
		buf_cleanup(&enc);
		buf_cleanup(&dec);
	}
}

static void test_output_ceiling(void **state)
{
	struct buf b;
	struct error err;

	buf_init(&b, 4);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, &b, &err), ERR_LIMIT);
	buf_reset(&b);
	assert_int_equal(base64_encode("foobar", 6, &b), ERR_LIMIT);
	buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_unpadded_and_whitespace),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_binary_round_trip),
		cmocka_unit_test(test_output_ceiling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
