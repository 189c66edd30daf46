/* test_operator_hostkey.c - src/operator/hostkey: the Secret the operator
 * creates for a DevServer's SSH host key (shape, ownership, a private key
 * sshd can read, the public half and fingerprint read back), the cache
 * projection that keeps only the public half, malformed Secrets, and the
 * Secret made from the predecessor's host keys (the same bytes, or a refusal
 * the caller answers by generating a new key). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/base64.h"
#include "core/buf.h"
#include "json/json.h"
#include "kube/cache.h"
#include "operator/hostkey.h"
#include "support/testutil.h"

static char *decode(const char *b64)
{
	struct buf b;
	struct error err;

	buf_init(&b, 4096);
	assert_int_equal(base64_decode(b64, strlen(b64), &b, &err), 0);
	return buf_take(&b);
}

static const char ds_text[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
	"\"metadata\":{\"name\":\"box\",\"namespace\":\"team-a\",\"uid\":\"u-1\"},\"spec\":{}}";

static void test_hostkey_secret_shape(void **state)
{
	struct json *ds = tu_json(ds_text), *secret = NULL;
	const struct json *meta, *refs, *data;
	char line[SSHKEY_PUBLIC_LINE_MAX_BYTES], fp[SSHKEY_FINGERPRINT_BYTES];
	struct error err;
	char *priv, *pub;

	assert_int_equal(hostkey_secret_new(ds, &secret, &err), 0);
	meta = json_get(secret, "metadata");
	assert_string_equal(json_get_string(secret, "kind"), "Secret");
	assert_string_equal(json_get_string(meta, "name"), "box-hostkey");
	assert_string_equal(json_get_string(meta, "namespace"), "team-a");
	assert_true(json_get_bool(secret, "immutable", false));
	assert_string_equal(json_get_string(json_get(meta, "labels"), API_LABEL_ROLE), HOSTKEY_ROLE_VALUE);
	assert_string_equal(json_get_string(json_get(meta, "labels"), "devserver.io/name"), "box");
	refs = json_get(meta, "ownerReferences");
	assert_int_equal(refs->u.arr.len, 1);
	assert_true(cache_controlled_by(secret, "u-1"));
	assert_false(cache_controlled_by(secret, "u-2"));
	assert_true(hostkey_is_secret(secret));

	data = json_get(secret, "data");
	priv = decode(json_get_string(data, HOSTKEY_PRIVATE_FILE));
	pub = decode(json_get_string(data, HOSTKEY_PUBLIC_FILE));
	assert_non_null(strstr(priv, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
	assert_non_null(strstr(pub, "ssh-ed25519 "));
	assert_non_null(strstr(pub, " devserver team-a/box\n"));
	assert_int_equal(hostkey_public(secret, line, fp, &err), 0);
	assert_int_equal(strncmp(line, "ssh-ed25519 AAAA", 16), 0);
	assert_null(strchr(line + 12, ' ')); /* no comment */
	assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
	free(priv);
	free(pub);

	/* two DevServers never share a key */
	{
		struct json *other = NULL;

		assert_int_equal(hostkey_secret_new(ds, &other, &err), 0);
		assert_string_not_equal(json_get_string(json_get(other, "data"), HOSTKEY_PUBLIC_FILE),
					json_get_string(data, HOSTKEY_PUBLIC_FILE));
		hostkey_secret_free(other);
	}
	hostkey_secret_free(secret);
	json_free(ds);
}

static void test_hostkey_projection_drops_the_private_key(void **state)
{
	struct json *ds = tu_json(ds_text), *secret = NULL, *plain;
	char line[SSHKEY_PUBLIC_LINE_MAX_BYTES], fp[SSHKEY_FINGERPRINT_BYTES];
	char line2[SSHKEY_PUBLIC_LINE_MAX_BYTES], fp2[SSHKEY_FINGERPRINT_BYTES];
	struct error err;

	assert_int_equal(hostkey_secret_new(ds, &secret, &err), 0);
	assert_int_equal(hostkey_public(secret, line, fp, &err), 0);
	hostkey_secret_projection(secret);
	assert_null(json_path(secret, "data", HOSTKEY_PRIVATE_FILE, NULL));
	assert_int_equal(hostkey_public(secret, line2, fp2, &err), 0);
	assert_string_equal(line, line2);
	assert_string_equal(fp, fp2);
	hostkey_secret_free(secret);

	/* a Secret a policy rendered keeps its data: drift checks compare it */
	plain = tu_json("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"},\"data\":{\"ssh_host_ed25519_key\":\"AAAA\"}}");
	hostkey_secret_projection(plain);
	assert_non_null(json_path(plain, "data", HOSTKEY_PRIVATE_FILE, NULL));
	assert_false(hostkey_is_secret(plain));
	json_free(plain);
	json_free(ds);
}

static void test_hostkey_bad_secrets(void **state)
{
	char line[SSHKEY_PUBLIC_LINE_MAX_BYTES], fp[SSHKEY_FINGERPRINT_BYTES];
	struct error err;
	struct json *nodata = tu_json("{\"kind\":\"Secret\",\"data\":{}}");
	struct json *notb64 = tu_json("{\"kind\":\"Secret\",\"data\":{\"ssh_host_ed25519_key.pub\":\"!!!\"}}");
	/* base64 of "hello world" */
	struct json *notkey = tu_json("{\"kind\":\"Secret\",\"data\":{\"ssh_host_ed25519_key.pub\":\"aGVsbG8gd29ybGQ=\"}}");
	/* base64 of "a\0b" */
	struct json *nul = tu_json("{\"kind\":\"Secret\",\"data\":{\"ssh_host_ed25519_key.pub\":\"YQBi\"}}");
	struct json *noname = tu_json("{\"metadata\":{\"uid\":\"u\"}}"), *out = NULL;

	assert_int_equal(hostkey_public(nodata, line, fp, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, HOSTKEY_PUBLIC_FILE));
	assert_int_equal(hostkey_public(notb64, line, fp, &err), ERR_INVALID);
	assert_int_equal(hostkey_public(notkey, line, fp, &err), ERR_INVALID);
	assert_int_equal(hostkey_public(nul, line, fp, &err), ERR_INVALID);
	assert_int_equal(hostkey_secret_new(noname, &out, &err), ERR_INVALID);
	assert_null(out);
	assert_false(cache_controlled_by(nodata, "u"));
	json_free(nodata);
	json_free(notb64);
	json_free(notkey);
	json_free(nul);
	json_free(noname);
	hostkey_secret_free(NULL);
}

/* A predecessor-shaped Secret <name>-host-keys holding data values. */
static struct json *predecessor_secret(const char *priv_b64, const char *pub_b64)
{
	struct json *old = tu_json("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"box-host-keys\","
			     "\"ownerReferences\":[{\"uid\":\"u-1\",\"controller\":true}]},\"data\":{}}");
	struct json *data = json_get(old, "data");

	if (priv_b64)
		json_object_set_take(data, HOSTKEY_PRIVATE_FILE, json_new_string(priv_b64));
	if (pub_b64)
		json_object_set_take(data, HOSTKEY_PUBLIC_FILE, json_new_string(pub_b64));
	json_object_set_take(data, "ssh_host_rsa_key", json_new_string("aWdub3JlZA=="));
	return old;
}

static void test_hostkey_from_predecessor(void **state)
{
	struct json *ds = tu_json(ds_text), *donor = NULL, *old, *secret = NULL;
	const char *priv, *pub;
	struct error err;

	(void)state;
	assert_int_equal(hostkey_secret_new(ds, &donor, &err), 0); /* any valid ed25519 pair */
	priv = json_get_string(json_get(donor, "data"), HOSTKEY_PRIVATE_FILE);
	pub = json_get_string(json_get(donor, "data"), HOSTKEY_PUBLIC_FILE);
	old = predecessor_secret(priv, pub);
	assert_int_equal(hostkey_secret_from_predecessor(ds, old, &secret, &err), 0);
	assert_string_equal(json_get_string(json_get(secret, "metadata"), "name"), "box-hostkey");
	assert_true(hostkey_is_secret(secret));
	assert_true(cache_controlled_by(secret, "u-1"));
	assert_true(json_get_bool(secret, "immutable", false));
	/* the same bytes, and only the ed25519 pair */
	assert_string_equal(json_get_string(json_get(secret, "data"), HOSTKEY_PRIVATE_FILE), priv);
	assert_string_equal(json_get_string(json_get(secret, "data"), HOSTKEY_PUBLIC_FILE), pub);
	assert_int_equal(json_get(secret, "data")->u.obj.len, 2);
	hostkey_secret_free(secret);
	json_free(old);

	/* unusable pairs: the caller generates a new key */
	{
		const char *bad[][2] = {
			{ NULL, NULL },                     /* no keys at all (an rsa-only Secret) */
			{ priv, NULL },                     /* no public half */
			{ NULL, pub },                      /* no private half */
			{ priv, "c3NoLXJzYSBBQUFBQjNOemFDMXljMkUgbWVAaG9zdAo=" }, /* ssh-rsa ... */
			{ "bm90IGEga2V5Cg==", pub },        /* "not a key" */
			{ "!!!not base64!!!", pub },
			{ priv, "" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			old = predecessor_secret(bad[i][0], bad[i][1]);
			secret = (struct json *)1;
			assert_true(hostkey_secret_from_predecessor(ds, old, &secret, &err) < 0);
			assert_null(secret);
			assert_non_null(strstr(err.msg, "predecessor's host key"));
			json_free(old);
		}
	}
	hostkey_secret_free(donor);
	json_free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostkey_secret_shape),
		cmocka_unit_test(test_hostkey_projection_drops_the_private_key),
		cmocka_unit_test(test_hostkey_bad_secrets),
		cmocka_unit_test(test_hostkey_from_predecessor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
