// SPDX-License-Identifier: MIT
#include "common/array.h"

#include <errno.h>
#include <stdlib.h>

int profd_array_reserve(void **arr, size_t *cap, size_t need, size_t elem, size_t min)
{
	size_t room = *cap ? *cap : min ? min : 1;
	void *grown;

	if (need <= *cap)
		return 0;
	while (room < need) {
		if (room > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		room *= 2;
	}
	grown = realloc(*arr, room * elem);
	if (!grown)
		return -ENOMEM;
	*arr = grown;
	*cap = room;
	return 0;
}
