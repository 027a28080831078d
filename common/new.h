/* SPDX-License-Identifier: MIT */
/* How a __new() constructor fails, as STYLE.md has it: NULL with errno set. */
#ifndef PROFD_NEW_H
#define PROFD_NEW_H

#include <errno.h>
#include <stddef.h>

/*
 * Frees the half-built obj with its own destructor free_fn, sets errno from err (a -errno) and
 * yields NULL: `return err ? PROFD_NEW_FAILED(x__free, x, err) : x;`.
 */
#define PROFD_NEW_FAILED(free_fn, obj, err)                                                        \
	({                                                                                         \
		int err_ = (err);                                                                  \
		free_fn(obj);                                                                      \
		errno = -err_;                                                                     \
		NULL;                                                                              \
	})

#endif
