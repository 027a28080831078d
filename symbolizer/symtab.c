// SPDX-License-Identifier: MIT
/*
 * The sorted symbol table that ELF files, kallsyms and perf maps all become: one symbol per
 * address, sorted, names in one block, demangled on first use. A builder collects candidates
 * from a parser, sorts them, and keeps the best per address (the highest rank, then the name
 * first in byte order, so the choice does not depend on input order); the parser fixes sizes
 * before the table is made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define BACK_SCAN 8 /* nested symbols looked at behind the nearest one */

void sym_symtab_builder__borrow_names(struct sym_symtab_builder *b, const char *names)
{
	b->borrowed = names;
}

int sym_symtab_builder__add(struct sym_symtab_builder *b, uint64_t addr, uint64_t size,
			    const char *name, size_t len, uint32_t rank, uint32_t aux)
{
	uint64_t off = b->borrowed ? (uint64_t)(name - b->borrowed) : b->names.len;

	if (PROFD_ARRAY_RESERVE(b->v, b->cap, b->n + 1, 1024))
		return -ENOMEM;
	if (off > UINT32_MAX - len - 1)
		return -ENOMEM;
	b->v[b->n] = (struct sym_symtab_cand){
		.addr = addr,
		.size = size,
		.name = (uint32_t)off,
		.rank = rank,
		.aux = aux,
	};
	if (!b->borrowed &&
	    (profd_strbuf_append(&b->names, name, len) || profd_strbuf_append(&b->names, "", 1)))
		return -ENOMEM;
	b->n++;
	return 0;
}

static const char *names_of(const struct sym_symtab_builder *b)
{
	return b->borrowed ? b->borrowed : b->names.buf;
}

/* Borrowed names are whole: they are cut to SYM_NAME_MAX when copied. */
static size_t name_len(const struct sym_symtab_builder *b, size_t i)
{
	return strnlen(names_of(b) + b->v[i].name, SYM_NAME_MAX);
}

static int cmp_cand(const void *a, const void *b, void *names)
{
	const struct sym_symtab_cand *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return strcmp((const char *)names + x->name, (const char *)names + y->name);
}

void sym_symtab_builder__sort(struct sym_symtab_builder *b)
{
	size_t kept = 0;

	qsort_r(b->v, b->n, sizeof(*b->v), cmp_cand, (void *)names_of(b));
	for (size_t i = 0; i < b->n; i++)
		if (!kept || b->v[kept - 1].addr != b->v[i].addr)
			b->v[kept++] = b->v[i];
	b->n = kept;
}

uint32_t sym_symtab_rank_underscores(const char *name)
{
	size_t n = strspn(name, "_");

	/* Fewer leading underscores name an address better: __libc_foo loses to foo. */
	return 255 - (uint32_t)(n < 255 ? n : 255);
}

/*
 * The kept candidates become the table's symbols in place (a symbol is half a candidate, so
 * writing symbol i never reaches candidate i + 1): building kallsyms' 120,000 symbols then
 * peaks at the builder's memory, not that plus a second table.
 */
static struct sym_symbol *syms_in_place(struct sym_symtab_builder *b)
{
	struct sym_symbol *syms = (struct sym_symbol *)b->v, *shrunk;

	_Static_assert(sizeof(struct sym_symbol) <= sizeof(struct sym_symtab_cand),
		       "symbols are written over candidates");
	for (size_t i = 0; i < b->n; i++) {
		struct sym_symtab_cand c = b->v[i];

		syms[i] = (struct sym_symbol){
			.addr = c.addr,
			.size = c.size > UINT32_MAX ? UINT32_MAX : (uint32_t)c.size,
			.name = c.name,
		};
	}
	b->v = NULL;
	b->cap = 0;
	shrunk = realloc(syms, (b->n ? b->n : 1) * sizeof(*syms));
	return shrunk ? shrunk : syms;
}

/*
 * The names of the kept symbols, at their offsets in *offs (updated). The builder's buffer is
 * taken as it is when the losers' names are a small part of it; else (many aliases of one
 * address, or names borrowed from an ELF string table) only the kept names are copied.
 */
static char *kept_names(struct sym_symtab_builder *b, size_t names_len, size_t *len_out)
{
	char *names, *shrunk;
	size_t off = 0;

	if (!b->borrowed && names_len >= b->names.len - b->names.len / 8) {
		names = b->names.buf;
		*len_out = b->names.len;
		memset(&b->names, 0, sizeof(b->names));
		shrunk = realloc(names, *len_out ? *len_out : 1);
		return shrunk ? shrunk : names;
	}
	names = malloc(names_len ? names_len : 1);
	if (!names)
		return NULL;
	for (size_t i = 0; i < b->n; i++) {
		size_t len = name_len(b, i);

		memcpy(names + off, names_of(b) + b->v[i].name, len);
		names[off + len] = '\0';
		b->v[i].name = (uint32_t)off;
		off += len + 1;
	}
	*len_out = names_len;
	return names;
}

int sym_symtab_builder__finish(struct sym_symtab_builder *b, size_t max_bytes,
			       struct sym_symtab **out)
{
	struct sym_symtab *t;
	size_t names_len = 0;

	*out = NULL;
	for (size_t i = 0; i < b->n; i++)
		names_len += name_len(b, i) + 1;
	if (names_len > UINT32_MAX || b->n * sizeof(struct sym_symbol) + names_len > max_bytes) {
		pr_warn_once("sym: a symbol table needs more than the cache's %zu bytes; skipped",
			     max_bytes);
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->names = kept_names(b, names_len, &t->names_len);
	if (!t->names) {
		free(t);
		return -ENOMEM;
	}
	t->n = b->n;
	t->syms = syms_in_place(b);
	*out = t;
	return 0;
}

void sym_symtab_builder__release(struct sym_symtab_builder *b)
{
	free(b->v);
	profd_strbuf_release(&b->names);
	memset(b, 0, sizeof(*b));
}

_Static_assert(offsetof(struct sym_symbol, addr) == 0, "profd_array_upper() keys on addr");

const struct sym_symbol *sym_symtab__find(const struct sym_symtab *t, uint64_t addr)
{
	size_t lo = profd_array_upper(t->syms, t->n, sizeof(*t->syms), addr);

	/* The nearest symbol below, or a sized one a little further back that encloses it. */
	for (size_t i = lo, k = 0; i > 0 && k < BACK_SCAN; i--, k++) {
		const struct sym_symbol *sym = &t->syms[i - 1];

		if (addr - sym->addr < sym->size)
			return sym;
	}
	return NULL;
}

const char *sym_symtab__name(struct sym_symtab *t, const struct sym_symbol *sym, size_t *grew)
{
	size_t before = sym_dcache__bytes(&t->demangled);
	const char *name =
		sym_dcache__get(&t->demangled, (uint32_t)(sym - t->syms), t->names + sym->name);

	*grew = sym_dcache__bytes(&t->demangled) - before;
	return name;
}

size_t sym_symtab__bytes(const struct sym_symtab *t)
{
	return sizeof(*t) + t->n * sizeof(*t->syms) + t->names_len +
	       sym_dcache__bytes(&t->demangled);
}

void sym_symtab__free(struct sym_symtab *t)
{
	if (!t)
		return;
	free(t->syms);
	free(t->names);
	sym_dcache__release(&t->demangled);
	free(t);
}
