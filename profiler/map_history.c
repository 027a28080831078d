// SPDX-License-Identifier: MIT
/*
 * The processes' mapping history, from the kernel (--unwind cfi): every new mapping table of a
 * process (bpf/mappings.bpf.h sends one at exec, at every library change and at fork) replaces
 * the one kept for it, and every file opened for its unwind table (cfi_tables.c) gives a path
 * that opened it and its identity. A process that exits before its /proc/PID/maps is read is
 * named from its last table, not left [process unknown]; a live one's snapshot learns its new
 * code (dlopen) before its samples are named. A process's table goes when its last samples are
 * drained. Only the last table is kept: samples do not say which exec generation took them.
 *
 * The kernel sends a table for every process, but an exit only for those it sampled: most of a
 * churn's short processes are never sampled. A sweep every SWEEP_NS forgets the tables of
 * processes found gone at two sweeps in a row; by the second, any exit event of theirs has been
 * read and their history given to the symbolizer, so nothing still needs it.
 *
 * Memory is bounded: a table that does not fit in the bound is not kept (counted), nor a file
 * past FILES_MAX; their processes fall back to what /proc gave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/htab.h"
#include "profiler/commands_internal.h"
#include "profiler/sampling_internal.h"

#define FILES_MAX 65536
#define SWEEP_NS (10ull * 1000000000)

struct hist_file {
	uint64_t dev, ino;
	char path[]; /* as cfi_tables.c opened it */
};

struct hist_proc {
	uint32_t n;
	bool changed; /* not yet given to the symbolizer by prof_history__update() */
	bool gone;    /* the process was gone at the last sweep */
	struct profd_umap m[];
};

struct prof_history {
	struct profd_htab procs; /* pid -> struct hist_proc * */
	struct profd_htab files; /* profd_cfi_file_key() -> struct hist_file * */
	size_t bytes, max_bytes;
	struct prof_history_counts counts;
	pid_t *changed; /* processes with a new table since the last prof_history__update() */
	size_t nchanged, cap_changed;
	uint64_t last_sweep_ns;
	pid_t *gone; /* scratch of prof_history__sweep() */
	size_t cap_gone;
};

struct prof_history *prof_history__new(size_t max_bytes)
{
	struct prof_history *h = calloc(1, sizeof(*h));

	if (h)
		h->max_bytes = max_bytes;
	return h;
}

static void free_values(struct profd_htab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->vals[i])
			free((void *)(uintptr_t)t->vals[i]);
	profd_htab_release(t);
}

void prof_history__free(struct prof_history *h)
{
	if (!h)
		return;
	free_values(&h->procs);
	free_values(&h->files);
	free(h->changed);
	free(h->gone);
	free(h);
}

static size_t proc_bytes(uint32_t n)
{
	return sizeof(struct hist_proc) + n * sizeof(struct profd_umap);
}

void prof_history__drop(struct prof_history *h, pid_t pid)
{
	struct hist_proc *p = (void *)(uintptr_t)profd_htab_get(&h->procs, (uint32_t)pid);

	if (!p)
		return;
	profd_htab_del(&h->procs, (uint32_t)pid, (uintptr_t)p);
	h->bytes -= proc_bytes(p->n);
	free(p);
}

void prof_history__on_maps(struct prof_history *h, const struct profd_proc_maps *pm)
{
	size_t bytes = proc_bytes(pm->n);
	struct hist_proc *p;

	prof_history__drop(h, (pid_t)pm->pid); /* a new exec generation or library set */
	if (h->bytes + bytes > h->max_bytes || !(p = malloc(bytes))) {
		h->counts.tables_dropped++;
		return;
	}
	p->n = pm->n;
	p->gone = false;
	p->changed = !PROFD_ARRAY_RESERVE(h->changed, h->cap_changed, h->nchanged + 1, 256);
	if (p->changed)
		h->changed[h->nchanged++] = (pid_t)pm->pid;
	memcpy(p->m, pm->m, pm->n * sizeof(p->m[0]));
	if (profd_htab_set(&h->procs, pm->pid, (uintptr_t)p)) {
		free(p);
		h->counts.tables_dropped++;
		return;
	}
	h->bytes += bytes;
	h->counts.tables++;
}

void prof_history__add_file(struct prof_history *h, uint64_t key, uint64_t dev, uint64_t ino,
			    const char *path)
{
	size_t len = strlen(path) + 1;
	struct hist_file *f;

	if (profd_htab_get(&h->files, key))
		return;
	if (h->files.n >= FILES_MAX || !(f = malloc(sizeof(*f) + len))) {
		h->counts.files_dropped++;
		return;
	}
	f->dev = dev;
	f->ino = ino;
	memcpy(f->path, path, len);
	if (profd_htab_add(&h->files, key, (uintptr_t)f)) {
		free(f);
		h->counts.files_dropped++;
	}
}

/* p's table for the symbolizer, in v; returns the number of mappings. */
static size_t kernel_maps(struct prof_history *h, const struct hist_proc *p,
			  struct sym_kernel_map *v)
{
	const struct hist_file *f;
	size_t n = 0;

	for (uint32_t i = 0; i < p->n && i < PROFD_PROC_MAPS_MAX; i++) {
		const struct profd_umap *m = &p->m[i];

		f = (void *)(uintptr_t)profd_htab_get(&h->files, m->file);
		if (m->file != PROFD_CFI_VDSO_KEY && !f) {
			h->counts.maps_unnamed++; /* its file was never announced with a path */
			continue;
		}
		v[n++] = (struct sym_kernel_map){
			.start = m->start,
			.end = m->start + m->len,
			.offset = (uint64_t)m->pgoff << PROFD_CFI_PAGE_SHIFT,
			.dev = f ? f->dev : 0,
			.ino = f ? f->ino : 0,
			.path = f ? f->path : NULL,
		};
	}
	return n;
}

static struct hist_proc *find_proc(const struct prof_history *h, pid_t pid)
{
	return (void *)(uintptr_t)profd_htab_get(&h->procs, (uint32_t)pid);
}

int prof_history__give(struct prof_history *h, struct sym_resolver *r, pid_t pid)
{
	const struct hist_proc *p = find_proc(h, pid);
	struct sym_kernel_map v[PROFD_PROC_MAPS_MAX];

	if (!p)
		return -ENOENT;
	return sym_resolver__add_history(r, pid, v, kernel_maps(h, p, v));
}

int prof_history__update(struct prof_history *h, struct sym_resolver *r)
{
	struct sym_kernel_map v[PROFD_PROC_MAPS_MAX];
	int err = 0;

	for (size_t i = 0; i < h->nchanged && err != -ENOMEM; i++) {
		struct hist_proc *p = find_proc(h, h->changed[i]);

		if (!p || !p->changed)
			continue;
		p->changed = false;
		err = sym_resolver__update_maps(r, h->changed[i], v, kernel_maps(h, p, v));
	}
	h->nchanged = 0;
	return err == -ENOMEM ? err : 0;
}

void prof_history__sweep(struct prof_history *h, uint64_t now_ns)
{
	size_t ngone = 0;

	if (now_ns - h->last_sweep_ns < SWEEP_NS)
		return;
	h->last_sweep_ns = now_ns;
	/* Dropped after the walk: a delete moves the table's entries. */
	if (PROFD_ARRAY_RESERVE(h->gone, h->cap_gone, h->procs.n, 256))
		return;
	for (size_t i = 0; i < h->procs.cap; i++) {
		struct hist_proc *p = (void *)(uintptr_t)h->procs.vals[i];

		if (!p)
			continue;
		if (prof_process_alive((pid_t)h->procs.keys[i]))
			p->gone = false;
		else if (p->gone)
			h->gone[ngone++] = (pid_t)h->procs.keys[i];
		else
			p->gone = true;
	}
	for (size_t i = 0; i < ngone; i++)
		prof_history__drop(h, h->gone[i]);
	h->counts.tables_swept += ngone;
}

void prof_history__counts(const struct prof_history *h, struct prof_history_counts *out)
{
	*out = h->counts;
	out->bytes = h->bytes;
}
