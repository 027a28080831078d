// SPDX-License-Identifier: MIT
/*
 * C++ and Rust demangling through libiberty, as binutils does it. DMGL_AUTO tries Rust first
 * (legacy "_ZN...17h<hash>E", whose hash it drops unless DMGL_VERBOSE, and v0 "_R..."), then
 * the Itanium C++ ABI.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "common/hash.h"
#include "symbolizer/symbolizer_internal.h"

bool sym_is_mangled(const char *name)
{
	return name[0] == '_' && (name[1] == 'Z' || name[1] == 'R');
}

char *sym_demangle(const char *name)
{
	if (!name || !sym_is_mangled(name) || strnlen(name, SYM_NAME_MAX + 1) > SYM_NAME_MAX)
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}

static int dcache_grow(struct sym_dcache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 64;
	uint32_t *keys = calloc(cap, sizeof(*keys));
	const char **names = calloc(cap, sizeof(*names));

	if (!keys || !names) {
		free(keys);
		free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->cap; i++) {
		size_t j;

		if (!c->keys[i])
			continue;
		j = profd_hash_u64(c->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = c->keys[i];
		names[j] = c->names[i];
	}
	free(c->keys);
	free(c->names);
	c->keys = keys;
	c->names = names;
	c->cap = cap;
	return 0;
}

/* The slot of key, or of the empty slot where it goes; c->cap must be non-zero. */
static size_t dcache_slot(const struct sym_dcache *c, uint32_t key)
{
	size_t i = profd_hash_u64(key + 1) & (c->cap - 1);

	while (c->keys[i] && c->keys[i] != key + 1)
		i = (i + 1) & (c->cap - 1);
	return i;
}

bool sym_dcache__find(const struct sym_dcache *c, uint32_t key, const char **name)
{
	size_t i;

	if (!c->cap || key == UINT32_MAX)
		return false;
	i = dcache_slot(c, key);
	*name = c->names[i];
	return c->keys[i] != 0;
}

/* Remembers name (copied; NULL: "no better name") for key. Returns the copy, or NULL. */
static const char *dcache_put(struct sym_dcache *c, uint32_t key, const char *name)
{
	const char *copy = NULL;
	size_t i;

	if ((c->n + 1) * 2 > c->cap && dcache_grow(c))
		return NULL;
	if (name && !(copy = sym_arena__strndup(&c->strings, name, strlen(name))))
		return NULL; /* out of memory: not remembered, a later call tries again */
	i = dcache_slot(c, key);
	if (!c->keys[i])
		c->n++;
	c->keys[i] = key + 1;
	c->names[i] = copy;
	return copy;
}

const char *sym_dcache__put(struct sym_dcache *c, uint32_t key, const char *name)
{
	if (key == UINT32_MAX || (name && strlen(name) > SYM_DEMANGLED_MAX))
		return NULL;
	return dcache_put(c, key, name);
}

const char *sym_dcache__get(struct sym_dcache *c, uint32_t key, const char *raw)
{
	const char *name;
	char *d;

	if (!sym_is_mangled(raw) || key == UINT32_MAX)
		return raw;
	if (sym_dcache__find(c, key, &name))
		return name ? name : raw;
	d = sym_demangle(raw);
	if (d && strlen(d) <= SYM_DEMANGLED_MAX) {
		name = dcache_put(c, key, d);
		free(d);
		return name ? name : raw;
	}
	free(d);
	/* Not demangled (or too long): remember that, so it is not tried again. */
	dcache_put(c, key, NULL);
	return raw;
}

size_t sym_dcache__bytes(const struct sym_dcache *c)
{
	return c->cap * (sizeof(*c->keys) + sizeof(*c->names)) + c->strings.bytes;
}

void sym_dcache__release(struct sym_dcache *c)
{
	free(c->keys);
	free(c->names);
	sym_arena__release(&c->strings);
	memset(c, 0, sizeof(*c));
}
