// SPDX-License-Identifier: MIT
/*
 * Where functions start, from the unwind info alone. Distributions strip their binaries: .dynsym
 * names the exported functions and nothing else, so every return address in a static function
 * would be a name of its own. Every function the compiler emitted still has an FDE in .eh_frame
 * (the unwinder needs it), and an FDE covers exactly one function (or one cold part of one), so
 * its start names the function: all addresses inside it share one name, as with a symbol.
 *
 * The FDEs come from unwind_table.c's index of the file; they become a symbol table of nameless
 * symbols (symtab.c), one per FDE, which the resolver names "file+0xSTART".
 */
#include <errno.h>
#include <stdlib.h>

#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

/* Adds the code ranges of s's FDEs to b. Returns 0 or -ENOMEM. */
static int add_section(const struct sym_uw_section *s, struct sym_symtab_builder *b)
{
	struct sym_uw_range *r = malloc((s->n ? s->n : 1) * sizeof(*r));
	int err = r ? 0 : -ENOMEM;

	if (r)
		sym_uw_section__ranges(s, r);
	for (size_t i = 0; !err && i < s->n; i++)
		if (r[i].end > r[i].start)
			err = sym_symtab_builder__add(b, r[i].start, r[i].end - r[i].start, "", 0,
						      0, 0);
	free(r);
	return err;
}

int sym_cfi_funcs__from_table(const struct sym_uw_table *t, size_t max_bytes,
			      struct sym_symtab **out)
{
	/* .eh_frame is what stripped files keep; .debug_frame where a build has only that. */
	const struct sym_uw_section *s = t->eh.n ? &t->eh : &t->debug;
	struct sym_symtab_builder b = {0};
	int err;

	*out = NULL;
	if (!s->n)
		return 0;
	err = add_section(s, &b);
	if (!err && b.n) {
		sym_symtab_builder__sort(&b);
		err = sym_symtab_builder__finish(&b, max_bytes, out);
	}
	sym_symtab_builder__release(&b);
	return err;
}

int sym_cfi_funcs__read_fd(int fd, size_t max_bytes, struct sym_symtab **out)
{
	struct sym_uw_table t;
	int err;

	*out = NULL;
	err = sym_uw_table__read_fd(fd, &t);
	if (err)
		return err;
	err = sym_cfi_funcs__from_table(&t, max_bytes, out);
	sym_uw_table__release(&t);
	return err;
}
