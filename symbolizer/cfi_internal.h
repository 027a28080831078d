/* SPDX-License-Identifier: MIT */
/*
 * The table compiler of cfi.c on parsed sections, for its unit tests and fuzz target; nothing
 * outside symbolizer/ includes it.
 */
#ifndef PROFD_CFI_INTERNAL_H
#define PROFD_CFI_INTERNAL_H

#include <stddef.h>

#include "symbolizer/symbolizer.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

/*
 * Compiles the FDEs of eh, and of debug where eh has none (either may be NULL), from link-time
 * addresses into a table of file offsets, through the executable segments among segs. Returns
 * 0 with *out (an empty table when nothing is covered), or -ENOMEM.
 */
int sym_cfi__compile(const struct sym_uw_section *eh, const struct sym_uw_section *debug,
		     const struct sym_segment *segs, size_t nsegs, struct sym_cfi_table **out);

#endif
