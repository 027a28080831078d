// SPDX-License-Identifier: MIT
/*
 * A process's code mappings, from the resolver's snapshot, for unwind tables kept outside this
 * library (the in-kernel walker's): which file each executable mapping shows, identified the
 * way the kernel sees the mapped inode, and a checked way to open that file again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbolizer/symbolizer_internal.h"

static void describe(const struct sym_map *m, struct sym_code_map *out)
{
	*out = (struct sym_code_map){
		.start = m->start,
		.end = m->end,
		.offset = m->pgoff,
		.dev_major = m->dev_major,
		.dev_minor = m->dev_minor,
		.ino = m->inode,
		.path = m->path,
	};
	if (m->kind == SYM_MAP_VDSO) {
		out->kind = SYM_CODE_VDSO;
		out->path = sym_map__label(m);
	} else if (m->kind != SYM_MAP_FILE && m->kind != SYM_MAP_MEMFD) {
		out->kind = SYM_CODE_ANON;
		out->path = sym_map__label(m);
	} else if (!m->file) {
		out->kind = SYM_CODE_UNREADABLE;
	} else {
		out->kind = SYM_CODE_FILE;
		out->size = m->file->id.size;
		out->mtime_sec = m->file->id.mtime_sec;
		out->mtime_nsec = m->file->id.mtime_nsec;
	}
}

int sym_resolver__code_maps(struct sym_resolver *r, pid_t pid, struct sym_code_map **out)
{
	struct sym_proc *p = sym_procs__find(&r->procs, pid);
	size_t n = 0;

	*out = NULL;
	if (!p)
		return -ESRCH;
	for (size_t i = 0; i < p->maps.n; i++)
		n += (p->maps.v[i].perms & SYM_PERM_EXEC) != 0;
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < p->maps.n; i++)
		if (p->maps.v[i].perms & SYM_PERM_EXEC)
			describe(&p->maps.v[i], &(*out)[n++]);
	return (int)n;
}

int sym_resolver__open_code(struct sym_resolver *r, pid_t pid, const struct sym_code_map *cm)
{
	struct sym_proc *p = sym_procs__find(&r->procs, pid);
	const struct sym_map *m;

	if (!p)
		return -ESRCH;
	m = sym_maps__find(&p->maps, cm->start);
	if (!m || m->start != cm->start || !m->file)
		return -ENOENT;
	return sym_proc__open_file(r, p, m, m->file);
}
