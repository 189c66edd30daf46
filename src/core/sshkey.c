/* sshkey.c - ed25519 host keys in OpenSSH's formats (see sshkey.h).
 *
 * Formats, from OpenSSH's PROTOCOL.key and RFC 8709:
 *   public blob   string "ssh-ed25519", string pub[32]
 *   private file  "openssh-key-v1\0", string cipher "none", string kdf "none",
 *                 string kdfoptions "", uint32 1 (keys), string public blob,
 *                 string { uint32 check, uint32 check, string "ssh-ed25519",
 *                 string pub, string seed||pub (64), string comment,
 *                 padding 1, 2, 3... to a multiple of 8 }
 * then base64 in 70-column lines between the OPENSSH PRIVATE KEY armour.
 * All encoding goes through fixed arrays on the stack that are wiped before
 * return; OpenSSL's EVP_EncodeBlock/DecodeBlock do the base64 without
 * allocating.
 */
#include "core/sshkey.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/sha256.h"

#define SSHKEY_ED25519_NAME "ssh-ed25519"
#define SSHKEY_PRIVATE_BLOB_MAX_BYTES 512
#define SSHKEY_PEM_LINE_CHARS 70
#define SSHKEY_PEM_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define SSHKEY_PEM_END "-----END OPENSSH PRIVATE KEY-----\n"

void sshkey_wipe(void *p, size_t n)
{
	if (p)
		OPENSSL_cleanse(p, n);
}

int sshkey_random_u32(uint32_t *out, struct error *err)
{
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return error_set(err, ERR_IO, "the random number generator failed");
	*out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int sshkey_ed25519_generate(struct sshkey_ed25519 *key, struct error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *pkey = NULL;
	size_t seed_len = sizeof(key->seed), pub_len = sizeof(key->pub);
	int rc = 0;

	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1 ||
	    EVP_PKEY_get_raw_private_key(pkey, key->seed, &seed_len) != 1 ||
	    EVP_PKEY_get_raw_public_key(pkey, key->pub, &pub_len) != 1 ||
	    seed_len != sizeof(key->seed) || pub_len != sizeof(key->pub)) {
		sshkey_wipe(key, sizeof(*key));
		rc = error_set(err, ERR_IO, "OpenSSL could not generate an ed25519 key");
	}
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* --- the wire format: a bounded writer over a fixed array ------------------ */

struct sshkey_writer {
	unsigned char *p;
	size_t len, cap;
	bool overflow;
};

static void sshkey_put(struct sshkey_writer *w, const void *p, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void sshkey_put_u32(struct sshkey_writer *w, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	sshkey_put(w, b, sizeof(b));
}

static void sshkey_put_string(struct sshkey_writer *w, const void *p, size_t n)
{
	sshkey_put_u32(w, (uint32_t)n);
	sshkey_put(w, p, n);
}

static void sshkey_put_cstring(struct sshkey_writer *w, const char *s)
{
	sshkey_put_string(w, s, strlen(s));
}

/* The 51-byte public blob of an ed25519 key. */
static size_t sshkey_ed25519_blob(const struct sshkey_ed25519 *key, unsigned char *out, size_t cap)
{
	struct sshkey_writer w = { out, 0, cap, false };

	sshkey_put_cstring(&w, SSHKEY_ED25519_NAME);
	sshkey_put_string(&w, key->pub, sizeof(key->pub));
	return w.overflow ? 0 : w.len;
}

static int sshkey_check_comment(const char *comment, struct error *err)
{
	if (!comment)
		return 0;
	if (strlen(comment) >= SSHKEY_COMMENT_MAX_BYTES)
		return error_set(err, ERR_LIMIT, "the key comment is longer than %d bytes",
				 SSHKEY_COMMENT_MAX_BYTES - 1);
	for (const unsigned char *s = (const unsigned char *)comment; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return error_set(err, ERR_INVALID, "the key comment contains a control character");
	return 0;
}

int sshkey_ed25519_public_line(const struct sshkey_ed25519 *key, const char *comment,
			       char *out, struct error *err)
{
	unsigned char blob[64];
	size_t n = sshkey_ed25519_blob(key, blob, sizeof(blob)), len;
	int rc = sshkey_check_comment(comment, err);

	if (rc < 0)
		return rc;
	memcpy(out, SSHKEY_ED25519_NAME " ", 12);
	len = 12 + (size_t)EVP_EncodeBlock((unsigned char *)out + 12, blob, (int)n);
	if (comment && *comment) {
		out[len++] = ' ';
		memcpy(out + len, comment, strlen(comment));
		len += strlen(comment);
	}
	out[len] = '\0';
	return 0;
}

int sshkey_ed25519_private_file(const struct sshkey_ed25519 *key, const char *comment,
				uint32_t check, char *out, struct error *err)
{
	unsigned char priv[SSHKEY_PRIVATE_BLOB_MAX_BYTES], whole[SSHKEY_PRIVATE_BLOB_MAX_BYTES + 128];
	unsigned char blob[64], sk[64], b64[(sizeof(whole) / 3 + 1) * 4 + 1];
	struct sshkey_writer pw = { priv, 0, sizeof(priv), false };
	struct sshkey_writer ww = { whole, 0, sizeof(whole), false };
	size_t nblob = sshkey_ed25519_blob(key, blob, sizeof(blob)), nb64, off = 0, len = 0;
	int rc = sshkey_check_comment(comment, err);

	if (rc < 0)
		return rc;
	memcpy(sk, key->seed, 32);
	memcpy(sk + 32, key->pub, 32);
	sshkey_put_u32(&pw, check);
	sshkey_put_u32(&pw, check);
	sshkey_put_cstring(&pw, SSHKEY_ED25519_NAME);
	sshkey_put_string(&pw, key->pub, sizeof(key->pub));
	sshkey_put_string(&pw, sk, sizeof(sk));
	sshkey_put_cstring(&pw, comment ? comment : "");
	for (unsigned char pad = 1; pw.len % 8 != 0; pad++)
		sshkey_put(&pw, &pad, 1);

	sshkey_put(&ww, "openssh-key-v1", 15); /* with its NUL */
	sshkey_put_cstring(&ww, "none");
	sshkey_put_cstring(&ww, "none");
	sshkey_put_string(&ww, "", 0);
	sshkey_put_u32(&ww, 1);
	sshkey_put_string(&ww, blob, nblob);
	sshkey_put_string(&ww, priv, pw.len);
	if (pw.overflow || ww.overflow) {
		rc = error_set(err, ERR_LIMIT, "the private key does not fit its buffer");
		goto out;
	}
	nb64 = (size_t)EVP_EncodeBlock(b64, whole, (int)ww.len);
	if (strlen(SSHKEY_PEM_BEGIN) + nb64 + nb64 / SSHKEY_PEM_LINE_CHARS + 1 + strlen(SSHKEY_PEM_END) + 1 >
	    SSHKEY_PRIVATE_FILE_MAX_BYTES) {
		rc = error_set(err, ERR_LIMIT, "the private key file is larger than %d bytes",
			       SSHKEY_PRIVATE_FILE_MAX_BYTES);
		goto out;
	}
	memcpy(out, SSHKEY_PEM_BEGIN, strlen(SSHKEY_PEM_BEGIN));
	len = strlen(SSHKEY_PEM_BEGIN);
	while (off < nb64) {
		size_t n = nb64 - off < SSHKEY_PEM_LINE_CHARS ? nb64 - off : SSHKEY_PEM_LINE_CHARS;

		memcpy(out + len, b64 + off, n);
		len += n;
		out[len++] = '\n';
		off += n;
	}
	memcpy(out + len, SSHKEY_PEM_END, strlen(SSHKEY_PEM_END) + 1);
out:
	sshkey_wipe(priv, sizeof(priv));
	sshkey_wipe(whole, sizeof(whole));
	sshkey_wipe(sk, sizeof(sk));
	sshkey_wipe(b64, sizeof(b64));
	return rc;
}

/* --- public lines of any type ---------------------------------------------- */

/* Splits a public line into type [t, t+tlen) and base64 [b, b+blen). */
static int sshkey_split(const char *line, const char **t, size_t *tlen, const char **b,
			size_t *blen, struct error *err)
{
	const char *s = line;

	while (*s == ' ' || *s == '\t')
		s++;
	*t = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	*tlen = (size_t)(s - *t);
	while (*s == ' ' || *s == '\t')
		s++;
	*b = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
		s++;
	*blen = (size_t)(s - *b);
	if (*tlen == 0 || *blen == 0)
		return error_set(err, ERR_INVALID, "not an SSH public key (want \"<type> <base64>\")");
	return 0;
}

int sshkey_public_fingerprint(const char *line, char *fp, struct error *err)
{
	unsigned char blob[SSHKEY_BLOB_MAX_BYTES], digest[SHA256_DIGEST_BYTES], enc[48];
	const char *t, *b;
	size_t tlen, blen, len, name_len;
	int n;

	if (!line || sshkey_split(line, &t, &tlen, &b, &blen, err) < 0)
		return error_set(err, ERR_INVALID, "not an SSH public key (want \"<type> <base64>\")");
	if (blen % 4 != 0 || blen / 4 * 3 > sizeof(blob))
		return error_set(err, ERR_INVALID, "the public key's base64 is malformed or too long");
	n = EVP_DecodeBlock(blob, (const unsigned char *)b, (int)blen);
	if (n < 0)
		return error_set(err, ERR_INVALID, "the public key's base64 is malformed");
	len = (size_t)n;
	/* EVP_DecodeBlock counts '=' padding as zero bytes */
	if (blen >= 1 && b[blen - 1] == '=')
		len--;
	if (blen >= 2 && b[blen - 2] == '=')
		len--;
	name_len = len >= 4 ? (size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3] : 0;
	if (len < 4 || name_len != tlen || name_len > len - 4 || memcmp(blob + 4, t, tlen) != 0)
		return error_set(err, ERR_INVALID, "the public key's blob does not match its type %.*s",
				 (int)(tlen > 64 ? 64 : tlen), t);
	if (fp) {
		sha256_digest(blob, len, digest);
		n = EVP_EncodeBlock(enc, digest, sizeof(digest));
		while (n > 0 && enc[n - 1] == '=')
			n--;
		memcpy(fp, "SHA256:", 7);
		memcpy(fp + 7, enc, (size_t)n);
		fp[7 + n] = '\0';
	}
	return 0;
}

int sshkey_public_strip_comment(const char *line, char *out, size_t cap, struct error *err)
{
	const char *t, *b;
	size_t tlen, blen;
	int rc = sshkey_public_fingerprint(line, NULL, err);

	if (rc < 0)
		return rc;
	sshkey_split(line, &t, &tlen, &b, &blen, err);
	if (tlen + 1 + blen + 1 > cap)
		return error_set(err, ERR_LIMIT, "the public key is longer than %zu bytes", cap - 1);
	memcpy(out, t, tlen);
	out[tlen] = ' ';
	memcpy(out + tlen + 1, b, blen);
	out[tlen + 1 + blen] = '\0';
	return 0;
}
