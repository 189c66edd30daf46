/* sha256.h - SHA-256 (FIPS 180-4), for content revisions.
 *
 * Used to name a policy bundle by its content (a stable revision string that
 * DevServers record) and anywhere else a collision-resistant digest of bytes
 * is needed. Incremental: init, update any number of times, final. Not for
 * secrets handling (no constant-time guarantees are needed here).
 */
#ifndef DEVSERVER_CORE_SHA256_H
#define DEVSERVER_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_BYTES 32
#define SHA256_HEX_BYTES (2 * SHA256_DIGEST_BYTES + 1) /* with the NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t total;     /* bytes hashed so far */
	unsigned char block[64];
	size_t fill;        /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Writes the digest; s must be re-initialised before reuse. */
void sha256_final(struct sha256 *s, unsigned char out[SHA256_DIGEST_BYTES]);

/* One-shot helpers. hex receives SHA256_HEX_BYTES (lowercase, NUL-terminated). */
void sha256_digest(const void *p, size_t n, unsigned char out[SHA256_DIGEST_BYTES]);
void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX_BYTES]);
void sha256_to_hex(const unsigned char digest[SHA256_DIGEST_BYTES], char hex[SHA256_HEX_BYTES]);

#endif
