/* hash.h - FNV-1a (64 bit): the non-cryptographic hash for hash tables.
 *
 * Fast, tiny and good enough to spread keys over buckets; never for anything
 * an attacker must not collide (that is what sha256.h is for).
 */
#ifndef DEVSERVER_CORE_HASH_H
#define DEVSERVER_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A64_OFFSET 14695981039346656037ull
#define HASH_FNV1A64_PRIME 1099511628211ull
/* The offset basis with its last digit dropped, as the cache, the work queue
 * and the Event de-duplicator first wrote it. Any seed spreads keys equally
 * well; these callers keep it because the cache is walked in bucket order,
 * so a new seed would reorder resyncs and listings. */
#define HASH_FNV1A64_SEED_COMPAT 1469598103934665603ull

/* Continues hash h over p[0..n); start with HASH_FNV1A64_OFFSET. */
uint64_t hash_fnv1a64_update(uint64_t h, const void *p, size_t n);
/* One NUL-terminated string. */
uint64_t hash_fnv1a64_str(const char *s);

#endif
