// SPDX-License-Identifier: MIT
/* A process's libunwind address space, freed with its snapshot. */
#include <stdlib.h>

#include <libunwind.h>

#include "symbolizer/symbolizer_internal.h"

void sym_uw_space__free(struct sym_resolver *r, struct sym_uw_space *s)
{
	if (!s)
		return;
	unw_destroy_addr_space(s->as);
	r->unwind_spaces--;
	free(s);
}
