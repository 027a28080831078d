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

#include "common/htab.h"
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

/* What a key maps to when its name demangles to nothing better. */
static const char no_better[] = "";

bool sym_dcache__find(const struct sym_dcache *c, uint32_t key, const char **name)
{
	const char *v = (const char *)(uintptr_t)profd_htab_get(&c->names, key);

	if (!v)
		return false;
	*name = v == no_better ? NULL : v;
	return true;
}

/* Remembers name (copied; NULL: "no better name") for key. Returns the copy, or NULL. */
static const char *dcache_put(struct sym_dcache *c, uint32_t key, const char *name)
{
	const char *copy = NULL;

	if (name && !(copy = sym_arena__strndup(&c->strings, name, strlen(name))))
		return NULL; /* out of memory: not remembered, a later call tries again */
	if (profd_htab_set(&c->names, key, (uintptr_t)(copy ? copy : no_better)))
		return NULL;
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
	return profd_htab_bytes(&c->names) + c->strings.bytes;
}

void sym_dcache__release(struct sym_dcache *c)
{
	profd_htab_release(&c->names);
	sym_arena__release(&c->strings);
}
