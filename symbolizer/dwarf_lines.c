// SPDX-License-Identifier: MIT
/*
 * A unit's line table, copied out of libdw in 16-byte rows (see dwarf_lines_internal.h). The
 * lookup is dwarf_getsrc_die()'s: the last row at or below the address, unless that row ends a
 * sequence. File names are copied only for the files a row or an inlined call names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "symbolizer/dwarf_lines_internal.h"

const char *sym_lines__file(struct sym_lines *l, struct sym_arena *names, size_t idx)
{
	const char *name;

	if (idx >= l->nfiles)
		return NULL;
	if (l->files[idx] || !l->src)
		return l->files[idx];
	name = dwarf_filesrc(l->src, idx, NULL, NULL);
	if (name)
		l->files[idx] = sym_arena__strndup(names, name, strlen(name));
	return l->files[idx];
}

/* Row i of lines into *out. Returns false for a row libdw cannot describe. */
static bool copy_row(struct sym_lines *l, struct sym_arena *names, Dwarf_Lines *lines, size_t i,
		     struct sym_line_row *out)
{
	Dwarf_Line *row = dwarf_onesrcline(lines, i);
	Dwarf_Files *files;
	Dwarf_Addr addr;
	size_t file;
	bool end;
	int line;

	if (!row || dwarf_lineaddr(row, &addr) || dwarf_lineendsequence(row, &end))
		return false;
	*out = (struct sym_line_row){.addr = addr, .file = SYM_LINE_END};
	if (end)
		return true;
	if (!dwarf_lineno(row, &line) && line > 0)
		out->line = (uint32_t)line;
	/* A row's files are the unit's (dwarf_getsrcfiles()); a name that cannot be copied is
	 * left out, as libdw leaves out one it cannot read. */
	if (!dwarf_line_file(row, &files, &file) && files == l->src &&
	    sym_lines__file(l, names, file))
		out->file = (uint32_t)file;
	else
		out->file = SYM_LINE_NO_FILE;
	return true;
}

int sym_lines__read(Dwarf_Die *cu, struct sym_arena *names, struct sym_lines *out)
{
	const char **files = out->files;
	size_t nfiles = out->nfiles, nlines = 0, n = 0;
	Dwarf_Lines *lines;

	memset(out, 0, sizeof(*out));
	if (dwarf_getsrcfiles(cu, &out->src, &out->nfiles))
		out->src = NULL, out->nfiles = 0;
	/* Names copied by an earlier read of the unit are used again, not copied once more. */
	if (files && nfiles == out->nfiles)
		out->files = files;
	else
		free(files);
	if (out->nfiles && !out->files && !(out->files = calloc(out->nfiles, sizeof(*out->files))))
		goto nomem;
	if (dwarf_getsrclines(cu, &lines, &nlines) || !nlines)
		return 0;
	out->rows = malloc(nlines * sizeof(*out->rows));
	if (!out->rows)
		goto nomem;
	for (size_t i = 0; i < nlines; i++)
		n += copy_row(out, names, lines, i, &out->rows[n]);
	out->n = n;
	return 0;
nomem:
	sym_lines__release(out);
	return -ENOMEM;
}

_Static_assert(offsetof(struct sym_line_row, addr) == 0, "profd_array_upper() keys on addr");

const struct sym_line_row *sym_lines__find(const struct sym_lines *l, uint64_t addr)
{
	size_t i = profd_array_upper(l->rows, l->n, sizeof(*l->rows), addr);

	if (!i || l->rows[i - 1].file == SYM_LINE_END)
		return NULL;
	return &l->rows[i - 1];
}

size_t sym_lines__bytes(const struct sym_lines *l)
{
	return l->n * sizeof(*l->rows) + l->nfiles * sizeof(*l->files);
}

void sym_lines__drop_rows(struct sym_lines *l)
{
	free(l->rows);
	l->rows = NULL;
	l->n = 0;
}

void sym_lines__release(struct sym_lines *l)
{
	free(l->rows);
	free(l->files);
	memset(l, 0, sizeof(*l));
}
