// SPDX-License-Identifier: MIT
/*
 * Where functions start, from the unwind info alone. Distributions strip their binaries: .dynsym
 * names the exported functions and nothing else, so every return address in a static function
 * would be a name of its own. Every function the compiler emitted still has an FDE in .eh_frame
 * (the unwinder needs it), and an FDE covers exactly one function (or one cold part of one), so
 * its start names the function: all addresses inside it share one name, as with a symbol.
 *
 * The FDEs come from unwind_table.c's index of the file; only their ranges are kept, as offsets
 * from the lowest start (8 bytes per function).
 */
#include <errno.h>
#include <stdlib.h>

#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_internal.h"

struct cfi_func {
	uint32_t start; /* link-time address - base */
	uint32_t len;
};

struct sym_cfi_funcs {
	uint64_t base;
	struct cfi_func *v; /* sorted by start */
	size_t n;
};

/* Keeps the ranges of s's FDEs that fit the compact form. Returns 0 or -ENOMEM. */
static int from_section(const struct sym_uw_section *s, struct sym_cfi_funcs *cf)
{
	struct sym_uw_range *r = malloc(s->n * sizeof(*r));

	cf->v = malloc(s->n * sizeof(*cf->v));
	if (!r || !cf->v) {
		free(r);
		return -ENOMEM;
	}
	sym_uw_section__ranges(s, r);
	cf->base = s->anchor; /* the lowest start: the table is sorted */
	for (size_t i = 0; i < s->n; i++) {
		uint64_t len = r[i].end - r[i].start;

		if (!len || r[i].start - cf->base > UINT32_MAX || len > UINT32_MAX)
			continue;
		cf->v[cf->n].start = (uint32_t)(r[i].start - cf->base);
		cf->v[cf->n++].len = (uint32_t)len;
	}
	free(r);
	if (cf->n && cf->n < s->n) {
		struct cfi_func *v = realloc(cf->v, cf->n * sizeof(*v));

		if (v)
			cf->v = v;
	}
	return 0;
}

int sym_cfi_funcs__read_fd(int fd, struct sym_cfi_funcs **out)
{
	struct sym_uw_table t;
	const struct sym_uw_section *s;
	struct sym_cfi_funcs *cf;
	int err;

	*out = NULL;
	err = sym_uw_table__read_fd(fd, &t);
	if (err)
		return err;
	/* .eh_frame is what stripped files keep; .debug_frame where a build has only that. */
	s = t.eh.n ? &t.eh : &t.debug;
	if (!s->n) {
		sym_uw_table__release(&t);
		return 0;
	}
	cf = calloc(1, sizeof(*cf));
	err = cf ? from_section(s, cf) : -ENOMEM;
	sym_uw_table__release(&t);
	if (err || !cf->n) {
		sym_cfi_funcs__free(cf);
		return err;
	}
	*out = cf;
	return 0;
}

bool sym_cfi_funcs__find(const struct sym_cfi_funcs *cf, uint64_t addr, uint64_t *start)
{
	size_t lo = 0, hi = cf->n;
	uint64_t rel;

	if (addr < cf->base || addr - cf->base > UINT32_MAX)
		return false;
	rel = addr - cf->base;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rel < cf->v[mid].start)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* Past the end of the function before it: code without CFI, no function to name. */
	if (!lo || rel - cf->v[lo - 1].start >= cf->v[lo - 1].len)
		return false;
	*start = cf->base + cf->v[lo - 1].start;
	return true;
}

size_t sym_cfi_funcs__bytes(const struct sym_cfi_funcs *cf)
{
	return cf ? sizeof(*cf) + cf->n * sizeof(*cf->v) : 0;
}

void sym_cfi_funcs__free(struct sym_cfi_funcs *cf)
{
	if (!cf)
		return;
	free(cf->v);
	free(cf);
}
