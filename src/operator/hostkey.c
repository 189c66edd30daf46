/* hostkey.c - the host-key Secret of a DevServer (see hostkey.h).
 *
 * The Secret is built here as JSON and created by reconcile.c with a plain
 * POST (create, never apply: an existing object of that name that is not
 * ours must make the create fail, not be taken over). Its data values are
 * base64 made with OpenSSL's EVP_EncodeBlock into stack buffers that are
 * wiped; the one heap copy (the JSON string) is wiped by hostkey_secret_free.
 */
#include "operator/hostkey.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/base64.h"
#include "core/buf.h"
#include "policy/validate.h"

#define HOSTKEY_B64_MAX_BYTES ((SSHKEY_PRIVATE_FILE_MAX_BYTES / 3 + 1) * 4 + 1)

void hostkey_secret_name(const char *ds_name, char *out)
{
	snprintf(out, HOSTKEY_SECRET_NAME_MAX_BYTES, "%s" HOSTKEY_SECRET_SUFFIX, ds_name);
}

static struct json *hostkey_b64_string(const char *text)
{
	unsigned char b64[HOSTKEY_B64_MAX_BYTES];
	int n = EVP_EncodeBlock(b64, (const unsigned char *)text, (int)strlen(text));
	struct json *s = json_new_stringn((const char *)b64, (size_t)n);

	sshkey_wipe(b64, sizeof(b64));
	return s;
}

/* The Secret around two base64 data values (taken; wiped on failure). NULL
 * with err set when it cannot be stamped. */
static struct json *hostkey_secret_build(const struct json *ds, const char *name, struct json *priv_b64,
					 struct json *pub_b64, struct error *err)
{
	char secret_name[HOSTKEY_SECRET_NAME_MAX_BYTES];
	struct json *secret = json_new_object(), *m, *labels, *data;

	json_object_set_take(secret, "apiVersion", json_new_string("v1"));
	json_object_set_take(secret, "kind", json_new_string("Secret"));
	m = json_new_object();
	hostkey_secret_name(name, secret_name);
	json_object_set_take(m, "name", json_new_string(secret_name));
	labels = json_new_object();
	json_object_set_take(labels, API_LABEL_ROLE, json_new_string(HOSTKEY_ROLE_VALUE));
	json_object_set_take(m, "labels", labels);
	json_object_set_take(secret, "metadata", m);
	json_object_set_take(secret, "type", json_new_string("Opaque"));
	/* a host key is never edited in place: rotation is delete + recreate */
	json_object_set_take(secret, "immutable", json_new_bool(true));
	data = json_new_object();
	json_object_set_take(data, HOSTKEY_PRIVATE_FILE, priv_b64);
	json_object_set_take(data, HOSTKEY_PUBLIC_FILE, pub_b64);
	json_object_set_take(secret, "data", data);
	/* namespace, controller ownerReference and managed labels, as on every child */
	if (policy_stamp(secret, ds, err) < 0) {
		hostkey_secret_free(secret);
		return NULL;
	}
	return secret;
}

int hostkey_secret_new(const struct json *ds, struct json **out, struct error *err)
{
	const struct json *meta = json_get(ds, "metadata");
	const char *name = json_get_string(meta, "name"), *ns = json_get_string(meta, "namespace");
	char comment[SSHKEY_COMMENT_MAX_BYTES];
	char priv[SSHKEY_PRIVATE_FILE_MAX_BYTES], pub[SSHKEY_PUBLIC_LINE_MAX_BYTES + 1];
	struct sshkey_ed25519 key;
	struct json *secret;
	uint32_t check;
	int rc;

	*out = NULL;
	if (!name || !*name)
		return error_set(err, ERR_INVALID, "host key: the DevServer has no name");
	snprintf(comment, sizeof(comment), "devserver %s/%s", ns ? ns : "default", name);
	rc = sshkey_ed25519_generate(&key, err);
	if (rc == 0)
		rc = sshkey_random_u32(&check, err);
	if (rc == 0)
		rc = sshkey_ed25519_private_file(&key, comment, check, priv, err);
	if (rc == 0)
		rc = sshkey_ed25519_public_line(&key, comment, pub, err);
	sshkey_wipe(&key, sizeof(key));
	if (rc < 0) {
		sshkey_wipe(priv, sizeof(priv));
		return error_prefix(err, "host key");
	}
	{
		size_t n = strlen(pub);

		pub[n] = '\n'; /* the buffer has room for it */
		pub[n + 1] = '\0';
	}

	secret = hostkey_secret_build(ds, name, hostkey_b64_string(priv), hostkey_b64_string(pub), err);
	sshkey_wipe(priv, sizeof(priv));
	if (!secret)
		return error_prefix(err, "host key");
	*out = secret;
	return 0;
}

/* Decodes one base64 data value into out (initialised by the caller with
 * its ceiling, wiped by it), as a C string without NUL bytes. */
static int hostkey_decode(const struct json *data, const char *key, struct buf *out, struct error *err)
{
	const char *b64 = json_get_string(data, key);

	if (!b64)
		return error_set(err, ERR_INVALID, "no %s", key);
	if (base64_decode(b64, strlen(b64), out, err) < 0)
		return error_prefix(err, "%s", key);
	if (!out->data || memchr(out->data, '\0', out->len))
		return error_set(err, ERR_INVALID, "%s is empty or holds a NUL byte", key);
	return 0;
}

int hostkey_secret_from_predecessor(const struct json *ds, const struct json *old, struct json **out,
				    struct error *err)
{
	const char *name = json_get_string(json_get(ds, "metadata"), "name");
	const struct json *data = json_get(old, "data");
	char line[SSHKEY_PUBLIC_LINE_MAX_BYTES];
	struct buf priv, pub;
	int rc;

	*out = NULL;
	if (!name || !*name)
		return error_set(err, ERR_INVALID, "host key: the DevServer has no name");
	buf_init(&priv, SSHKEY_PRIVATE_FILE_MAX_BYTES);
	buf_init(&pub, SSHKEY_PUBLIC_LINE_MAX_BYTES);
	rc = hostkey_decode(data, HOSTKEY_PRIVATE_FILE, &priv, err);
	if (rc == 0 && strncmp(buf_str(&priv), HOSTKEY_OPENSSH_PRIVATE_BEGIN,
			      strlen(HOSTKEY_OPENSSH_PRIVATE_BEGIN)) != 0)
		rc = error_set(err, ERR_INVALID, "%s is not an OpenSSH private key", HOSTKEY_PRIVATE_FILE);
	if (rc == 0)
		rc = hostkey_decode(data, HOSTKEY_PUBLIC_FILE, &pub, err);
	if (rc == 0)
		rc = sshkey_public_strip_comment(buf_str(&pub), line, sizeof(line), err);
	if (rc == 0 && strncmp(line, "ssh-ed25519 ", 12) != 0)
		rc = error_set(err, ERR_INVALID, "%s is not an ed25519 key", HOSTKEY_PUBLIC_FILE);
	if (rc == 0) {
		/* the values as they were: the same bytes sshd read before */
		*out = hostkey_secret_build(ds, name, json_new_string(json_get_string(data, HOSTKEY_PRIVATE_FILE)),
					     json_new_string(json_get_string(data, HOSTKEY_PUBLIC_FILE)), err);
		if (!*out)
			rc = err->code;
	}
	if (priv.data)
		sshkey_wipe(priv.data, priv.len);
	buf_cleanup(&priv);
	buf_cleanup(&pub);
	return rc < 0 ? error_prefix(err, "the predecessor's host key") : 0;
}

void hostkey_secret_free(struct json *secret)
{
	struct json *priv = json_path(secret, "data", HOSTKEY_PRIVATE_FILE, NULL);

	if (priv && priv->type == JSON_STRING)
		sshkey_wipe(priv->u.str.ptr, priv->u.str.len);
	json_free(secret);
}

bool hostkey_is_secret(const struct json *obj)
{
	const char *role = json_get_string(json_path(obj, "metadata", "labels", NULL), API_LABEL_ROLE);

	return role && strcmp(role, HOSTKEY_ROLE_VALUE) == 0 &&
	       json_get_string(obj, "kind") && strcmp(json_get_string(obj, "kind"), "Secret") == 0;
}

int hostkey_public(const struct json *secret, char line[SSHKEY_PUBLIC_LINE_MAX_BYTES],
		   char fp[SSHKEY_FINGERPRINT_BYTES], struct error *err)
{
	const char *b64 = json_get_string(json_get(secret, "data"), HOSTKEY_PUBLIC_FILE);
	struct buf text;
	int rc;

	if (!b64)
		return error_set(err, ERR_INVALID, "the host-key Secret has no %s", HOSTKEY_PUBLIC_FILE);
	buf_init(&text, SSHKEY_PUBLIC_LINE_MAX_BYTES);
	rc = base64_decode(b64, strlen(b64), &text, err);
	if (rc == 0 && memchr(text.data ? text.data : "", '\0', text.len))
		rc = error_set(err, ERR_INVALID, "the host public key contains a NUL byte");
	if (rc == 0)
		rc = sshkey_public_strip_comment(text.data ? text.data : "", line,
						 SSHKEY_PUBLIC_LINE_MAX_BYTES, err);
	if (rc == 0)
		rc = sshkey_public_fingerprint(line, fp, err);
	buf_cleanup(&text);
	return rc < 0 ? error_prefix(err, "host key") : 0;
}

void hostkey_secret_projection(struct json *obj)
{
	struct json *data = json_get(obj, "data");

	if (!hostkey_is_secret(obj) || !data)
		return;
	{
		struct json *priv = json_get(data, HOSTKEY_PRIVATE_FILE);

		if (priv && priv->type == JSON_STRING)
			sshkey_wipe(priv->u.str.ptr, priv->u.str.len);
	}
	json_object_remove(data, HOSTKEY_PRIVATE_FILE);
}
