/* SPDX-License-Identifier: MIT */
/* Small, fast, non-cryptographic hashing for in-memory tables. */
#ifndef PROFD_HASH_H
#define PROFD_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t profd_hash_bytes(const void *data, size_t len, uint64_t seed);

static inline uint64_t profd_hash_u64(uint64_t x)
{
	/* splitmix64 finalizer: good avalanche for integer keys. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t profd_hash_combine(uint64_t h, uint64_t v)
{
	return profd_hash_u64(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

#endif
