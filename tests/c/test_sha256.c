/* test_sha256.c - src/core/sha256: FIPS 180-2 / NIST example vectors and
 * incremental hashing across block boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

static void test_sha256_vectors(void **state)
{
	char hex[SHA256_HEX_BYTES];

	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a_incremental(void **state)
{
	struct sha256 s;
	unsigned char d[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_BYTES];
	char chunk[1000];
	int i;

	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sha256_update(&s, chunk, sizeof(chunk));
	sha256_final(&s, d);
	sha256_to_hex(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Feeding the same bytes in odd-sized pieces must not change the digest. */
static void test_sha256_split_updates(void **state)
{
	char msg[300];
	unsigned char whole[SHA256_DIGEST_BYTES], parts[SHA256_DIGEST_BYTES];
	struct sha256 s;
	size_t len, off, step;

	for (len = 0; len < sizeof(msg); len++)
		msg[len] = (char)(len * 7 + 3);
	for (len = 0; len <= sizeof(msg); len += 37) {
		sha256_digest(msg, len, whole);
		for (step = 1; step < 70; step += 13) {
			sha256_init(&s);
			for (off = 0; off < len; off += step)
				sha256_update(&s, msg + off, off + step > len ? len - off : step);
			sha256_final(&s, parts);
			assert_memory_equal(whole, parts, SHA256_DIGEST_BYTES);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_million_a_incremental),
		cmocka_unit_test(test_sha256_split_updates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
