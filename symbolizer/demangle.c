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

static bool looks_mangled(const char *name)
{
	return name[0] == '_' && (name[1] == 'Z' || name[1] == 'R');
}

char *sym_demangle(const char *name)
{
	if (!name || !looks_mangled(name) || strnlen(name, SYM_NAME_MAX + 1) > SYM_NAME_MAX)
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

const char *sym_dcache__get(struct sym_dcache *c, uint32_t key, const char *raw)
{
	const char *name = NULL;
	char *d;
	size_t i;

	if (!looks_mangled(raw) || key == UINT32_MAX)
		return raw;
	if (c->cap) {
		for (i = profd_hash_u64(key + 1) & (c->cap - 1); c->keys[i]; i = (i + 1) & (c->cap - 1))
			if (c->keys[i] == key + 1)
				return c->names[i] ? c->names[i] : raw;
	}
	if ((c->n + 1) * 2 > c->cap && dcache_grow(c))
		return raw;
	d = sym_demangle(raw);
	if (d && strlen(d) <= SYM_DEMANGLED_MAX)
		name = sym_arena__strndup(&c->strings, d, strlen(d));
	if (d && !name && strlen(d) <= SYM_DEMANGLED_MAX) {
		/* Out of memory: answer without remembering, so a later call can try again. */
		free(d);
		return raw;
	}
	free(d);
	for (i = profd_hash_u64(key + 1) & (c->cap - 1); c->keys[i]; i = (i + 1) & (c->cap - 1))
		;
	c->keys[i] = key + 1;
	c->names[i] = name;
	c->n++;
	return name ? name : raw;
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
