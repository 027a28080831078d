/* SPDX-License-Identifier: MIT */
/*
 * One compilation unit's line table, copied out of libdw (dwarf_lines.c), for dwarf.c only.
 *
 * libdw keeps every line table it has read until dwarf_end(), at about 50 bytes a row; a
 * whole-machine drain reads hundreds of units. The copy is 16 bytes a row, with the unit's file
 * names in the owner's string arena, so dwarf.c can end libdw's state and begin it again.
 */
#ifndef PROFD_DWARF_LINES_INTERNAL_H
#define PROFD_DWARF_LINES_INTERNAL_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolizer/symbolizer_internal.h"

#define SYM_LINE_END UINT32_MAX		  /* file of a row that ends a sequence: no line there */
#define SYM_LINE_NO_FILE (UINT32_MAX - 1) /* a row whose file libdw cannot name */

struct sym_line_row {
	uint64_t addr;
	uint32_t line;
	uint32_t file; /* index in sym_lines.files, or SYM_LINE_END */
};

struct sym_lines {
	struct sym_line_row *rows; /* libdw's order: by address, a sequence's end first */
	size_t n;
	const char **files; /* by the unit's file index; NULL until a row or a call names it */
	size_t nfiles;
	Dwarf_Files *src; /* libdw's, valid only until its state ends (while the unit is read) */
};

/*
 * Copies the line table of the unit cu into *out (a unit without one gets none and 0); file
 * names go into names, unless *out still has them from an earlier read of cu (then empty, or
 * left by sym_lines__drop_rows()). Returns 0 or -ENOMEM (then *out holds nothing).
 */
int sym_lines__read(Dwarf_Die *cu, struct sym_arena *names, struct sym_lines *out);

/* The name of the unit's file idx (a DW_AT_call_file), copied into names on first use; NULL if
 * out of range. Only while l->src is valid; afterwards, only names already copied. */
const char *sym_lines__file(struct sym_lines *l, struct sym_arena *names, size_t idx);

/* The row of addr (as dwarf_getsrc_die() finds it), or NULL. */
const struct sym_line_row *sym_lines__find(const struct sym_lines *l, uint64_t addr);

/* Heap the copy holds (its names are the arena's). */
size_t sym_lines__bytes(const struct sym_lines *l);

/* Frees the rows and keeps the names copied so far, for the next sym_lines__read() of the unit. */
void sym_lines__drop_rows(struct sym_lines *l);
void sym_lines__release(struct sym_lines *l);

#endif
