// SPDX-License-Identifier: MIT
/*
 * Where functions start, from the unwind info alone. Distributions strip their binaries: .dynsym
 * names the exported functions and nothing else, so every return address in a static function
 * would be a name of its own. Every function the compiler emitted still has an FDE in .eh_frame
 * (the unwinder needs it), and an FDE covers exactly one function (or one cold part of one), so
 * its start names the function: all addresses inside it share one name, as with a symbol.
 *
 * The FDEs come from unwind_table.c's index of the file; they become a symbol table of nameless
 * symbols (symtab.c's layout), one per FDE, which the resolver names "file+0xSTART". A big
 * stripped binary has 100,000 FDEs: the table is built in one array, without a symbol builder.
 */
#include <errno.h>
#include <libelf.h>
#include <stdlib.h>

#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

/*
 * The FDEs' code ranges become the symbols in place (a range and a symbol are both 16 bytes),
 * in table order, which is address order: no candidates to sort, no second array. Every symbol
 * shares the one empty name. Returns the number of symbols.
 */
static size_t ranges_to_syms(struct sym_uw_range *r, size_t n)
{
	struct sym_symbol *syms = (struct sym_symbol *)r;
	size_t kept = 0;

	_Static_assert(sizeof(struct sym_symbol) == sizeof(struct sym_uw_range),
		       "symbols are written over ranges");
	for (size_t i = 0; i < n; i++) {
		struct sym_uw_range x = r[i];
		uint64_t size = x.end - x.start;

		if (x.end <= x.start || (kept && syms[kept - 1].addr == x.start))
			continue; /* one symbol per address, as the table has one FDE per address */
		syms[kept++] = (struct sym_symbol){
			.addr = x.start,
			.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
			.name = 0,
		};
	}
	return kept;
}

int sym_cfi_funcs__from_table(const struct sym_uw_table *t, size_t max_bytes,
			      struct sym_symtab **out)
{
	/* .eh_frame is what stripped files keep; .debug_frame where a build has only that. */
	const struct sym_uw_section *s = t->eh.n ? &t->eh : &t->debug;
	struct sym_uw_range *r;
	struct sym_symtab *tab;
	size_t n;

	*out = NULL;
	if (!s->n)
		return 0;
	if (s->n * sizeof(struct sym_symbol) > max_bytes) {
		pr_warn_once("sym: a symbol table needs more than the cache's %zu bytes; skipped",
			     max_bytes);
		return 0;
	}
	r = malloc(s->n * sizeof(*r));
	tab = calloc(1, sizeof(*tab));
	if (tab)
		tab->names = calloc(1, 1);
	if (!r || !tab || !tab->names)
		goto nomem;
	sym_uw_section__ranges(s, r);
	n = ranges_to_syms(r, s->n);
	if (!n) {
		free(r);
		sym_symtab__free(tab);
		return 0;
	}
	tab->syms = realloc(r, n * sizeof(*tab->syms));
	if (!tab->syms)
		tab->syms = (struct sym_symbol *)r;
	tab->n = n;
	tab->names_len = 1;
	*out = tab;
	return 0;
nomem:
	free(r);
	sym_symtab__free(tab);
	return -ENOMEM;
}

int sym_cfi_funcs__read_fd(int fd, size_t max_bytes, struct sym_symtab **out)
{
	struct sym_uw_table t;
	Elf *e;
	int err;

	*out = NULL;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return 0; /* not an ELF file libelf opens: no function starts */
	/* A view: the FDEs are read once, from the file's mapping, never copied. */
	err = sym_uw_table__view_elf(e, &t);
	if (!err)
		err = sym_cfi_funcs__from_table(&t, max_bytes, out);
	sym_uw_table__release(&t);
	elf_end(e);
	return err;
}
