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

int sym_symtab_builder__add_unnamed(struct sym_symtab_builder *b, uint64_t addr, uint64_t size,
				    uint32_t ref, uint32_t rank, uint32_t aux)
{
	if (PROFD_ARRAY_RESERVE(b->v, b->cap, b->n + 1, 1024))
		return -ENOMEM;
	b->v[b->n++] = (struct sym_symtab_cand){
		.addr = addr,
		.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
		.name = ref,
		.rank = rank,
		.aux = aux,
	};
	return 0;
}

int sym_symtab_builder__add(struct sym_symtab_builder *b, uint64_t addr, uint64_t size,
			    const char *name, size_t len, uint32_t rank, uint32_t aux)
{
	uint64_t off = b->names.len;

	if (off > UINT32_MAX - len - 1 || profd_strbuf_append(&b->names, name, len) ||
	    profd_strbuf_append(&b->names, "", 1))
		return -ENOMEM;
	return sym_symtab_builder__add_unnamed(b, addr, size, (uint32_t)off, rank, aux);
}

static int cmp_name_offset(const void *a, const void *b, void *builder)
{
	const struct sym_symtab_cand *v = ((const struct sym_symtab_builder *)builder)->v;
	uint32_t x = v[*(const uint32_t *)a].name, y = v[*(const uint32_t *)b].name;

	return x < y ? -1 : x > y;
}

/* The indexes of v[0..n), sorted by cmp (given two indexes and b); NULL if out of memory. */
static uint32_t *sorted_index(struct sym_symtab_builder *b,
			      int (*cmp)(const void *, const void *, void *))
{
	uint32_t *order = b->n <= UINT32_MAX ? malloc((b->n ? b->n : 1) * sizeof(*order)) : NULL;

	if (!order)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, b->n, sizeof(*order), cmp, b);
	return order;
}

int sym_symtab_builder__name(struct sym_symtab_builder *b, sym_name_reader *read, void *ctx)
{
	uint32_t *order = sorted_index(b, cmp_name_offset);
	size_t kept = 0;
	int err = 0;

	if (!order)
		return -ENOMEM;
	for (size_t k = 0; k < b->n && !err; k++) {
		struct sym_symtab_cand *c = &b->v[order[k]];
		const char *name;
		size_t len;

		name = read(ctx, c->name, &len, &err);
		if (!name || err) {
			c->rank = UINT32_MAX; /* dropped below */
			continue;
		}
		c->rank |= sym_symtab_rank_underscores(name);
		c->name = (uint32_t)b->names.len;
		if (b->names.len > UINT32_MAX - len - 1 ||
		    profd_strbuf_append(&b->names, name, len) ||
		    profd_strbuf_append(&b->names, "", 1))
			err = -ENOMEM;
	}
	free(order);
	/* After an error, the candidates not reached have no name: none is kept. */
	for (size_t i = 0; i < b->n && !err; i++)
		if (b->v[i].rank != UINT32_MAX)
			b->v[kept++] = b->v[i];
	b->n = kept;
	return err;
}

static size_t name_len(const struct sym_symtab_builder *b, size_t i)
{
	return strnlen(b->names.buf + b->v[i].name, SYM_NAME_MAX);
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

static int cmp_index(const void *a, const void *b, void *builder)
{
	const struct sym_symtab_builder *bd = builder;

	return cmp_cand(&bd->v[*(const uint32_t *)a], &bd->v[*(const uint32_t *)b],
			bd->names.buf);
}

/*
 * glibc's qsort() merges through a copy of what it sorts (kallsyms' candidates: 2.9 MiB). An
 * index of the candidates is sorted instead, and the candidates are then moved into that order
 * in place, one cycle of the permutation at a time.
 */
static void sort_candidates(struct sym_symtab_builder *b)
{
	uint32_t *order = sorted_index(b, cmp_index);

	if (!order) {
		qsort_r(b->v, b->n, sizeof(*b->v), cmp_cand, b->names.buf);
		return;
	}
	/* Slot j takes candidate order[j]; order[j] = j marks the slot done. */
	for (size_t i = 0; i < b->n; i++) {
		struct sym_symtab_cand first = b->v[i];
		size_t j = i;

		if (order[i] == i)
			continue;
		while (order[j] != i) {
			size_t from = order[j];

			b->v[j] = b->v[from];
			order[j] = (uint32_t)j;
			j = from;
		}
		b->v[j] = first;
		order[j] = (uint32_t)j;
	}
	free(order);
}

void sym_symtab_builder__sort(struct sym_symtab_builder *b)
{
	size_t kept = 0;

	sort_candidates(b);
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
 * The kept candidates become the table's symbols in place (a symbol is smaller than a
 * candidate, so writing symbol i never reaches candidate i + 1): building kallsyms' 120,000
 * symbols then peaks at the builder's memory, not that plus a second table.
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
			.size = c.size,
			.name = c.name,
		};
	}
	b->v = NULL;
	b->cap = 0;
	shrunk = realloc(syms, (b->n ? b->n : 1) * sizeof(*syms));
	return shrunk ? shrunk : syms;
}

/*
 * The builder's names with only the kept ones left, moved down in place in the order they were
 * added (a name only ever moves to a lower offset), so the losers' names are not kept and no
 * second block is needed. If the order cannot be allocated, the block is kept as it is.
 */
static char *kept_names(struct sym_symtab_builder *b, size_t *len_out)
{
	uint32_t *order = sorted_index(b, cmp_name_offset);
	char *names = b->names.buf, *shrunk;
	size_t off = 0;

	*len_out = b->names.len;
	memset(&b->names, 0, sizeof(b->names));
	if (order) {
		for (size_t k = 0; k < b->n; k++) {
			struct sym_symtab_cand *c = &b->v[order[k]];
			size_t len = strnlen(names + c->name, SYM_NAME_MAX);

			memmove(names + off, names + c->name, len);
			names[off + len] = '\0';
			c->name = (uint32_t)off;
			off += len + 1;
		}
		*len_out = off;
		free(order);
	}
	shrunk = realloc(names, *len_out ? *len_out : 1);
	return shrunk ? shrunk : names;
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
	t->names = kept_names(b, &t->names_len);
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
