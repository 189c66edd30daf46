/* hash.c - FNV-1a (see hash.h). */
#include "core/hash.h"

#include <string.h>

uint64_t hash_fnv1a64_update(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= HASH_FNV1A64_PRIME;
	}
	return h;
}

uint64_t hash_fnv1a64_str(const char *s)
{
	return hash_fnv1a64_update(HASH_FNV1A64_OFFSET, s, strlen(s));
}
