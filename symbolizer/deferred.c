// SPDX-License-Identifier: MIT
/*
 * Files held for naming at the end of a run: a run that writes its profile only when it ends
 * (perf record's way) leaves symbol tables and DWARF unread while the profiled job runs, and
 * names each file's addresses in one go afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "symbolizer/symbolizer_internal.h"

uint32_t sym_held__hold(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m)
{
	struct sym_held_files *h = &r->held;
	uint32_t id = (uint32_t)profd_htab_get(&h->by_serial, m->file->serial);
	struct sym_held *e;
	char *path;

	if (id)
		return id;
	if (PROFD_ARRAY_RESERVE(h->v, h->cap, h->n + 1, 64))
		return 0;
	path = strdup(m->path);
	if (!path || profd_htab_add(&h->by_serial, m->file->serial, h->n + 1)) {
		free(path);
		return 0;
	}
	e = &h->v[h->n++];
	*e = (struct sym_held){
		.proc = {
			.pid = p->pid,
			.start_time = p->start_time,
			.nspid = p->nspid,
			.uid = p->uid,
			.root = p->root,
			.gone = true, /* its pid may be another process's by the time it is read */
			.exited = true,
		},
		.map = *m,
	};
	e->map.path = path;
	m->file->refs++;
	return (uint32_t)h->n;
}

struct sym_held *sym_held__get(struct sym_resolver *r, uint32_t id)
{
	return id && id <= r->held.n ? &r->held.v[id - 1] : NULL;
}

void sym_held__release(struct sym_resolver *r)
{
	struct sym_held_files *h = &r->held;

	for (size_t i = 0; i < h->n; i++) {
		sym_filecache__put(&r->files, h->v[i].map.file);
		free((char *)h->v[i].map.path);
	}
	free(h->v);
	profd_htab_release(&h->by_serial);
	memset(h, 0, sizeof(*h));
}
