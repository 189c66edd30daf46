/* test_sshkey.c - src/core/sshkey: the OpenSSH formats byte for byte against
 * a key ssh-keygen made (a throw-away test vector, never used anywhere),
 * generated keys that are consistent (the public half derives from the
 * seed), fingerprints as ssh-keygen -l prints them, and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>

#include "core/sshkey.h"

/* ssh-keygen -t ed25519 -N '' -C kat@devserver, decoded */
static const unsigned char kat_seed[32] = {
	0x1e, 0xaf, 0x63, 0x57, 0xc2, 0x9a, 0x88, 0xde, 0xc5, 0xfd, 0xdf, 0xb8, 0x2a, 0x2a, 0x6a, 0x68,
	0xd2, 0x6b, 0xd1, 0xda, 0x7a, 0x67, 0xf2, 0xf1, 0x78, 0xf9, 0x92, 0xa4, 0x27, 0x87, 0x3c, 0x28,
};
static const unsigned char kat_pub[32] = {
	0x92, 0x45, 0xb6, 0x17, 0x8b, 0x1c, 0xc5, 0x2c, 0xa6, 0x38, 0xc1, 0xf3, 0x7a, 0x03, 0xe3, 0x0c,
	0x40, 0x9a, 0x7c, 0x84, 0x30, 0x83, 0x1e, 0xec, 0xd3, 0xb2, 0x66, 0x22, 0xb4, 0x47, 0x2c, 0x24,
};
static const uint32_t kat_check = 0xe5807dd4;
static const char kat_private[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACCSRbYXixzFLKY4wfN6A+MMQJp8hDCDHuzTsmYitEcsJAAAAJDlgH3U5YB9\n"
	"1AAAAAtzc2gtZWQyNTUxOQAAACCSRbYXixzFLKY4wfN6A+MMQJp8hDCDHuzTsmYitEcsJA\n"
	"AAAEAer2NXwpqI3sX937gqKmpo0mvR2npn8vF4+ZKkJ4c8KJJFtheLHMUspjjB83oD4wxA\n"
	"mnyEMIMe7NOyZiK0RywkAAAADWthdEBkZXZzZXJ2ZXI=\n"
	"-----END OPENSSH PRIVATE KEY-----\n";
static const char kat_public[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk kat@devserver";
static const char kat_fingerprint[] = "SHA256:t/36O1zGd/Rqk2SBdCZxwunLhXgllPTfCFiKO7GdTHo";

static struct sshkey_ed25519 kat_key(void)
{
	struct sshkey_ed25519 k;

	memcpy(k.seed, kat_seed, sizeof(k.seed));
	memcpy(k.pub, kat_pub, sizeof(k.pub));
	return k;
}

static void test_sshkey_formats_match_ssh_keygen(void **state)
{
	struct sshkey_ed25519 k = kat_key();
	char priv[SSHKEY_PRIVATE_FILE_MAX_BYTES], pub[SSHKEY_PUBLIC_LINE_MAX_BYTES];
	char fp[SSHKEY_FINGERPRINT_BYTES];
	struct error err;

	assert_int_equal(sshkey_ed25519_private_file(&k, "kat@devserver", kat_check, priv, &err), 0);
	assert_string_equal(priv, kat_private);
	assert_int_equal(sshkey_ed25519_public_line(&k, "kat@devserver", pub, &err), 0);
	assert_string_equal(pub, kat_public);
	assert_int_equal(sshkey_public_fingerprint(pub, fp, &err), 0);
	assert_string_equal(fp, kat_fingerprint);
	/* no comment: just type and blob */
	assert_int_equal(sshkey_ed25519_public_line(&k, NULL, pub, &err), 0);
	assert_string_equal(pub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk");
}

static void test_sshkey_generate_is_consistent_and_fresh(void **state)
{
	struct sshkey_ed25519 a, b;
	unsigned char derived[32];
	size_t len = sizeof(derived);
	EVP_PKEY *pkey;
	struct error err;
	char line[SSHKEY_PUBLIC_LINE_MAX_BYTES], fp[SSHKEY_FINGERPRINT_BYTES];
	char priv[SSHKEY_PRIVATE_FILE_MAX_BYTES];

	assert_int_equal(sshkey_ed25519_generate(&a, &err), 0);
	assert_int_equal(sshkey_ed25519_generate(&b, &err), 0);
	assert_memory_not_equal(a.seed, b.seed, sizeof(a.seed));
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, a.seed, sizeof(a.seed));
	assert_non_null(pkey);
	assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, derived, &len), 1);
	EVP_PKEY_free(pkey);
	assert_memory_equal(derived, a.pub, sizeof(derived));
	assert_int_equal(sshkey_ed25519_public_line(&a, "host", line, &err), 0);
	assert_int_equal(sshkey_public_fingerprint(line, fp, &err), 0);
	assert_int_equal(strlen(fp), SSHKEY_FINGERPRINT_BYTES - 1);
	assert_int_equal(sshkey_ed25519_private_file(&a, "host", 7, priv, &err), 0);
	assert_non_null(strstr(priv, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	sshkey_wipe(&a, sizeof(a));
	for (size_t i = 0; i < sizeof(a.seed); i++)
		assert_int_equal(a.seed[i], 0);
}

static void test_sshkey_fingerprint_other_types_and_comments(void **state)
{
	char fp[SSHKEY_FINGERPRINT_BYTES], out[256];
	struct error err;

	/* the key and its fingerprint from the KAT, with tabs and a comment with spaces */
	assert_int_equal(sshkey_public_fingerprint(
		"  ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk a b c\n", fp, &err), 0);
	assert_string_equal(fp, kat_fingerprint);
	assert_int_equal(sshkey_public_strip_comment(kat_public, out, sizeof(out), &err), 0);
	assert_string_equal(out, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk");
	assert_int_equal(sshkey_public_strip_comment(kat_public, out, 20, &err), ERR_LIMIT);
}

static void test_sshkey_bad_input(void **state)
{
	char fp[SSHKEY_FINGERPRINT_BYTES], pub[SSHKEY_PUBLIC_LINE_MAX_BYTES];
	char priv[SSHKEY_PRIVATE_FILE_MAX_BYTES], long_comment[300];
	struct sshkey_ed25519 k = kat_key();
	struct error err;

	assert_int_equal(sshkey_public_fingerprint(NULL, fp, &err), ERR_INVALID);
	assert_int_equal(sshkey_public_fingerprint("", fp, &err), ERR_INVALID);
	assert_int_equal(sshkey_public_fingerprint("ssh-ed25519", fp, &err), ERR_INVALID);
	assert_int_equal(sshkey_public_fingerprint("ssh-ed25519 !!!!", fp, &err), ERR_INVALID);
	assert_int_equal(sshkey_public_fingerprint("ssh-ed25519 AAA", fp, &err), ERR_INVALID);
	/* the blob names ssh-ed25519, the line claims ssh-rsa */
	assert_int_equal(sshkey_public_fingerprint(
		"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIJJFtheLHMUspjjB83oD4wxAmnyEMIMe7NOyZiK0Rywk", fp, &err), ERR_INVALID);
	/* a blob whose length field runs past its end */
	assert_int_equal(sshkey_public_fingerprint("ssh-ed25519 /////w==", fp, &err), ERR_INVALID);
	assert_int_equal(sshkey_ed25519_public_line(&k, "a\nb", pub, &err), ERR_INVALID);
	memset(long_comment, 'x', sizeof(long_comment) - 1);
	long_comment[sizeof(long_comment) - 1] = '\0';
	assert_int_equal(sshkey_ed25519_public_line(&k, long_comment, pub, &err), ERR_LIMIT);
	assert_int_equal(sshkey_ed25519_private_file(&k, long_comment, 1, priv, &err), ERR_LIMIT);
	/* the longest comment allowed still fits both buffers */
	long_comment[SSHKEY_COMMENT_MAX_BYTES - 1] = '\0';
	assert_int_equal(sshkey_ed25519_public_line(&k, long_comment, pub, &err), 0);
	assert_int_equal(sshkey_ed25519_private_file(&k, long_comment, 1, priv, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sshkey_formats_match_ssh_keygen),
		cmocka_unit_test(test_sshkey_generate_is_consistent_and_fresh),
		cmocka_unit_test(test_sshkey_fingerprint_other_types_and_comments),
		cmocka_unit_test(test_sshkey_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
