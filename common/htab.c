// SPDX-License-Identifier: MIT
#include "common/htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

#define CAP_MIN 64

static size_t home(const struct profd_htab *t, uint64_t key)
{
	/* Keys may be small integers or hashes: mixing spreads both. */
	return profd_hash_u64(key) & (t->cap - 1);
}

static size_t step(const struct profd_htab *t, size_t i)
{
	return (i + 1) & (t->cap - 1);
}

static size_t free_slot(const struct profd_htab *t, uint64_t key)
{
	size_t i = home(t, key);

	while (t->vals[i])
		i = step(t, i);
	return i;
}

static int resize(struct profd_htab *t, size_t cap)
{
	struct profd_htab grown = {.cap = cap, .n = t->n};

	grown.keys = malloc(cap * sizeof(*grown.keys));
	grown.vals = calloc(cap, sizeof(*grown.vals));
	if (!grown.keys || !grown.vals) {
		free(grown.keys);
		free(grown.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->vals[i])
			continue;
		j = free_slot(&grown, t->keys[i]);
		grown.keys[j] = t->keys[i];
		grown.vals[j] = t->vals[i];
	}
	free(t->keys);
	free(t->vals);
	*t = grown;
	return 0;
}

int profd_htab_reserve(struct profd_htab *t, size_t n)
{
	size_t cap = t->cap ? t->cap : CAP_MIN;

	while (n * 4 > cap * 3)
		cap *= 2;
	return cap == t->cap ? 0 : resize(t, cap);
}

uint64_t profd_htab_next(const struct profd_htab *t, uint64_t key, size_t *pos)
{
	size_t i;

	if (!t->n)
		return 0;
	for (i = *pos == PROFD_HTAB_START ? home(t, key) : step(t, *pos); t->vals[i];
	     i = step(t, i)) {
		if (t->keys[i] == key) {
			*pos = i;
			return t->vals[i];
		}
	}
	*pos = i;
	return 0;
}

uint64_t profd_htab_get(const struct profd_htab *t, uint64_t key)
{
	size_t pos = PROFD_HTAB_START;

	return profd_htab_next(t, key, &pos);
}

int profd_htab_add(struct profd_htab *t, uint64_t key, uint64_t val)
{
	size_t i;
	int err = profd_htab_reserve(t, t->n + 1);

	if (err)
		return err;
	i = free_slot(t, key);
	t->keys[i] = key;
	t->vals[i] = val;
	t->n++;
	return 0;
}

int profd_htab_set(struct profd_htab *t, uint64_t key, uint64_t val)
{
	size_t pos = PROFD_HTAB_START;

	if (!profd_htab_next(t, key, &pos))
		return profd_htab_add(t, key, val);
	t->vals[pos] = val;
	return 0;
}

/* Whether slot i lies on the probe path from h to j (cyclically): h <= i < j. */
static bool on_path(size_t h, size_t i, size_t j)
{
	return h <= j ? h <= i && i < j : h <= i || i < j;
}

bool profd_htab_del(struct profd_htab *t, uint64_t key, uint64_t val)
{
	size_t i = PROFD_HTAB_START, j;
	uint64_t v;

	while ((v = profd_htab_next(t, key, &i)) && v != val)
		;
	if (!v)
		return false;
	/* Backward shift: later entries of the run move up so no probe path is cut. */
	for (j = step(t, i); t->vals[j]; j = step(t, j)) {
		if (!on_path(home(t, t->keys[j]), i, j))
			continue;
		t->keys[i] = t->keys[j];
		t->vals[i] = t->vals[j];
		i = j;
	}
	t->vals[i] = 0;
	t->n--;
	return true;
}

void profd_htab_clear(struct profd_htab *t)
{
	if (t->cap)
		memset(t->vals, 0, t->cap * sizeof(*t->vals));
	t->n = 0;
}

void profd_htab_release(struct profd_htab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

size_t profd_htab_bytes(const struct profd_htab *t)
{
	return t->cap * (sizeof(*t->keys) + sizeof(*t->vals));
}
