/* SPDX-License-Identifier: MIT */
/*
 * One hash table for every in-memory index of profd: open addressing with linear probing from
 * 64-bit keys to non-zero 64-bit values. A key is either the thing itself (a pid, a stack id) or
 * a hash of it; values are what the caller needs (an index + 1, a pointer). Where keys are
 * hashes, several entries may share one: profd_htab_next() walks them and the caller compares.
 * Zero-initialized is empty; at most three quarters full.
 */
#ifndef PROFD_HTAB_H
#define PROFD_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct profd_htab {
	uint64_t *keys;
	uint64_t *vals; /* 0: an empty slot */
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

#define PROFD_HTAB_START SIZE_MAX

/*
 * Walks the entries stored under key: start with *pos = PROFD_HTAB_START, call until it returns
 * 0. Returns each entry's value in turn. No entry may be added or removed during the walk.
 */
uint64_t profd_htab_next(const struct profd_htab *t, uint64_t key, size_t *pos);
/* The value of the first entry under key, or 0. */
uint64_t profd_htab_get(const struct profd_htab *t, uint64_t key);
/* Adds an entry (val != 0), whatever else is stored under key. Returns 0 or -ENOMEM. */
int profd_htab_add(struct profd_htab *t, uint64_t key, uint64_t val);
/* Replaces the value of the first entry under key, or adds one. Returns 0 or -ENOMEM. */
int profd_htab_set(struct profd_htab *t, uint64_t key, uint64_t val);
/* Removes the entry (key, val). Returns whether there was one. */
bool profd_htab_del(struct profd_htab *t, uint64_t key, uint64_t val);
/* Makes room for n entries in all now, so that adding them cannot fail. Returns 0 or -ENOMEM. */
int profd_htab_reserve(struct profd_htab *t, size_t n);
/* Removes every entry and keeps the memory. */
void profd_htab_clear(struct profd_htab *t);
void profd_htab_release(struct profd_htab *t);
/* Bytes of memory the table holds. */
size_t profd_htab_bytes(const struct profd_htab *t);

#endif
