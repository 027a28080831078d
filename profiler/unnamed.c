// SPDX-License-Identifier: MIT
/*
 * Where samples land in code without symbols. Debian strips its binaries; their functions are
 * then named "libfoo.so+0x1a2b" until their debug symbols are installed. When that is a large
 * share of the profile, one line at the end names the files that matter most and how to get
 * their symbols.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/strbuf.h"
#include "profiler/profiler.h"

#define FILES_MAX 4096 /* files counted by name; the rest only in the total */
#define HINT_PCT 10    /* share of user-space samples that earns the hint */
#define HINT_FILES 3

struct unnamed_file {
	char *path;
	uint64_t samples;
};

struct prof_unnamed {
	struct unnamed_file *v; /* open addressing, nslots a power of two */
	size_t nslots, n;
	uint64_t user, unnamed; /* samples with a user stack; of those, leaf without a symbol */
};

struct prof_unnamed *prof_unnamed__new(void)
{
	return calloc(1, sizeof(struct prof_unnamed));
}

void prof_unnamed__free(struct prof_unnamed *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nslots; i++)
		free(u->v[i].path);
	free(u->v);
	free(u);
}

static struct unnamed_file *slot_of(struct unnamed_file *v, size_t nslots, const char *path)
{
	size_t i = profd_hash_bytes(path, strlen(path), 0) & (nslots - 1);

	while (v[i].path && strcmp(v[i].path, path))
		i = (i + 1) & (nslots - 1);
	return &v[i];
}

static int grow(struct prof_unnamed *u)
{
	size_t nslots = u->nslots ? u->nslots * 2 : 64;
	struct unnamed_file *v = calloc(nslots, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < u->nslots; i++)
		if (u->v[i].path)
			*slot_of(v, nslots, u->v[i].path) = u->v[i];
	free(u->v);
	u->v = v;
	u->nslots = nslots;
	return 0;
}

int prof_unnamed__count(struct prof_unnamed *u, const struct sym_location *leaf, uint64_t count)
{
	struct unnamed_file *f;

	u->user += count;
	/* A file without a symbol for the address: JIT code and [vdso] are other stories. */
	if (leaf->reason != SYM_NO_SYMBOLS || !leaf->module.path || leaf->module.path[0] != '/')
		return 0;
	u->unnamed += count;
	if (u->n >= FILES_MAX)
		return 0;
	if (2 * (u->n + 1) > u->nslots && grow(u))
		return -ENOMEM;
	f = slot_of(u->v, u->nslots, leaf->module.path);
	if (!f->path) {
		f->path = strdup(leaf->module.path);
		if (!f->path)
			return -ENOMEM;
		u->n++;
	}
	f->samples += count;
	return 0;
}

static int by_samples(const void *a, const void *b)
{
	const struct unnamed_file *x = *(const struct unnamed_file *const *)a;
	const struct unnamed_file *y = *(const struct unnamed_file *const *)b;

	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return strcmp(x->path, y->path);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

bool prof_unnamed__hint(const struct prof_unnamed *u, struct profd_strbuf *sb)
{
	struct unnamed_file **top;
	size_t n = 0;

	if (!u->user || pct(u->unnamed, u->user) < HINT_PCT)
		return false;
	top = calloc(u->n ? u->n : 1, sizeof(*top));
	if (!top)
		return false;
	for (size_t i = 0; i < u->nslots; i++)
		if (u->v[i].path)
			top[n++] = &u->v[i];
	if (!n) {
		free(top);
		return false;
	}
	qsort(top, n, sizeof(*top), by_samples);
	profd_strbuf_printf(sb, "%.0f%% of user-space samples are in code without symbols:",
			    pct(u->unnamed, u->user));
	for (size_t i = 0; i < n && i < HINT_FILES; i++)
		profd_strbuf_printf(sb, "%s %s (%.0f%%)", i ? "," : "", base_name(top[i]->path),
				    pct(top[i]->samples, u->user));
	if (n > HINT_FILES)
		profd_strbuf_puts(sb, " ...");
	/* By base name: dpkg knows /lib/... where the maps of a merged /usr say /usr/lib/... */
	profd_strbuf_printf(sb, "; install their debug symbols (Debian: the -dbgsym of the "
				"package `dpkg -S %s` names, from the debug archive)",
			    base_name(top[0]->path));
	profd_strbuf_puts(sb, getenv("DEBUGINFOD_URLS") && *getenv("DEBUGINFOD_URLS")
				      ? "; the servers in DEBUGINFOD_URLS had none for them (yet)"
				      : " or set DEBUGINFOD_URLS to fetch them");
	free(top);
	return true;
}
