/* sshkey.h - SSH host keys: ed25519 generation and the OpenSSH text formats.
 *
 * The operator gives every DevServer its own host key, so that clients can
 * pin it before the first connection instead of trusting whatever answers
 * (trust on first use). This module makes the key (from OpenSSL's CSPRNG and
 * its ed25519 implementation: no home-grown curve code) and writes the two
 * files sshd and ssh read: the unencrypted "openssh-key-v1" private key and
 * the one-line public key, plus the SHA256 fingerprint ssh-keygen -l prints.
 *
 * Secret material lives only in caller-provided fixed buffers, never in a
 * growable buffer that could leave copies behind a realloc; sshkey_wipe and
 * the callers' own wiping clear it. Nothing here logs. Not supported on
 * purpose: other key types for generation, encrypted private keys.
 */
#ifndef DEVSERVER_CORE_SSHKEY_H
#define DEVSERVER_CORE_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"

#define SSHKEY_ED25519_SEED_BYTES 32
#define SSHKEY_ED25519_PUBLIC_BYTES 32
/* "ssh-ed25519 " + 68 base64 characters + " " + comment + NUL */
#define SSHKEY_COMMENT_MAX_BYTES 128
#define SSHKEY_PUBLIC_LINE_MAX_BYTES (12 + 68 + 1 + SSHKEY_COMMENT_MAX_BYTES + 1)
/* the PEM-armoured openssh-key-v1 file of one ed25519 key with a comment */
#define SSHKEY_PRIVATE_FILE_MAX_BYTES 1024
/* "SHA256:" + 43 base64 characters + NUL */
#define SSHKEY_FINGERPRINT_BYTES (7 + 43 + 1)
/* the wire-format public key blob of any type a public line may carry */
#define SSHKEY_BLOB_MAX_BYTES 2048

struct sshkey_ed25519 {
	unsigned char seed[SSHKEY_ED25519_SEED_BYTES];     /* the private key */
	unsigned char pub[SSHKEY_ED25519_PUBLIC_BYTES];
};

/* Makes a new key pair. 0, or ERR_IO when the CSPRNG or OpenSSL fails. */
int sshkey_ed25519_generate(struct sshkey_ed25519 *key, struct error *err) DS_MUST_USE;

/* Clears the key's memory so the compiler cannot skip it. */
void sshkey_wipe(void *p, size_t n);

/* Writes "ssh-ed25519 <base64>[ <comment>]" (no newline) into
 * out[SSHKEY_PUBLIC_LINE_MAX_BYTES]. The comment (NULL or "" for none) may not
 * hold control characters (ERR_INVALID) nor be longer than
 * SSHKEY_COMMENT_MAX_BYTES - 1 bytes (ERR_LIMIT). */
int sshkey_ed25519_public_line(const struct sshkey_ed25519 *key, const char *comment,
			       char *out, struct error *err) DS_MUST_USE;

/* Writes the OpenSSH private key file (with a trailing newline) into
 * out[SSHKEY_PRIVATE_FILE_MAX_BYTES]; check is the format's random "checkint"
 * (sshkey_ed25519_generate's caller draws it with sshkey_random_u32). Same
 * comment rules as above. */
int sshkey_ed25519_private_file(const struct sshkey_ed25519 *key, const char *comment,
				uint32_t check, char *out, struct error *err) DS_MUST_USE;

/* A random 32-bit value from the CSPRNG; 0 or ERR_IO. */
int sshkey_random_u32(uint32_t *out, struct error *err) DS_MUST_USE;

/* Parses a public key line "<type> <base64 blob>[ comment]" of any key type:
 * the blob must decode and start with the same type name. Writes the
 * fingerprint ("SHA256:" + unpadded base64 of the blob's SHA-256, as
 * ssh-keygen -l prints it) into fp[SSHKEY_FINGERPRINT_BYTES] when fp is not
 * NULL. 0 or ERR_INVALID naming what is wrong. */
int sshkey_public_fingerprint(const char *line, char *fp, struct error *err) DS_MUST_USE;

/* Copies "<type> <base64>" of a public line - without its comment - into
 * out[cap]: the form known_hosts files and comparisons use. 0, ERR_INVALID
 * (not a public key line) or ERR_LIMIT. */
int sshkey_public_strip_comment(const char *line, char *out, size_t cap, struct error *err) DS_MUST_USE;

#endif
