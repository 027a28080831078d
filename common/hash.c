// SPDX-License-Identifier: MIT
#include "hash.h"

#include <string.h>

uint64_t profd_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = profd_hash_combine(h, w);
		p += 8;
		len -= 8;
	}
	w = 0;
	if (len) /* data may be NULL when len is 0, and memcpy must not see NULL */
		memcpy(&w, p, len);
	return profd_hash_combine(h, w);
}
