/* SPDX-License-Identifier: MIT */
/* Arrays: growing one, and searching one sorted by a 64-bit key in its first field. */
#ifndef PROFD_ARRAY_H
#define PROFD_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Makes room in *arr, which has room for *cap elements of elem bytes, for need elements: the room
 * doubles, from min. *arr and *cap change only on success. Returns 0 or -ENOMEM.
 */
int profd_array_reserve(void **arr, size_t *cap, size_t need, size_t elem, size_t min);

/* profd_array_reserve() for a typed array arr and its size_t capacity cap. */
#define PROFD_ARRAY_RESERVE(arr, cap, need, min)                                                   \
	profd_array_reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)), (min))

/*
 * In base[0..n), elements stride bytes apart sorted by the uint64_t each starts with: how many
 * have a key at most key. The element before that index is the last at or below key.
 */
static inline size_t profd_array_upper(const void *base, size_t n, size_t stride, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, (const char *)base + mid * stride, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
