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

#include "common/array.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/strbuf.h"
#include "profiler/sampling_internal.h"

#define FILES_MAX 4096 /* files counted by name; the rest only in the total */
#define HINT_PCT 10    /* share of user-space samples that earns the hint */
#define HINT_FILES 3

struct unnamed_file {
	char *path;
	uint64_t samples;
};

struct prof_unnamed {
	struct unnamed_file *files;
	size_t n, cap;
	struct profd_htab by_path; /* hash of the path -> index in files + 1 */
	uint64_t user, unnamed;	   /* samples with a user stack; of those, leaf without a symbol */
};

struct prof_unnamed *prof_unnamed__new(void)
{
	return calloc(1, sizeof(struct prof_unnamed));
}

void prof_unnamed__free(struct prof_unnamed *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		free(u->files[i].path);
	free(u->files);
	profd_htab_release(&u->by_path);
	free(u);
}

static struct unnamed_file *find(const struct prof_unnamed *u, const char *path, uint64_t key)
{
	size_t pos = PROFD_HTAB_START;
	uint64_t v;

	while ((v = profd_htab_next(&u->by_path, key, &pos)))
		if (!strcmp(u->files[v - 1].path, path))
			return &u->files[v - 1];
	return NULL;
}

static int add(struct prof_unnamed *u, const char *path, uint64_t key, uint64_t count)
{
	char *copy;

	if (PROFD_ARRAY_RESERVE(u->files, u->cap, u->n + 1, 64) ||
	    profd_htab_reserve(&u->by_path, u->n + 1) || !(copy = strdup(path)))
		return -ENOMEM;
	u->files[u->n] = (struct unnamed_file){.path = copy, .samples = count};
	profd_htab_add(&u->by_path, key, ++u->n); /* reserved: cannot fail */
	return 0;
}

int prof_unnamed__count(struct prof_unnamed *u, const struct sym_location *leaf, uint64_t count)
{
	const char *path = leaf->module.path;
	struct unnamed_file *f;
	uint64_t key;

	u->user += count;
	/* A file without a symbol for the address: JIT code and [vdso] are other stories. */
	if (leaf->reason != SYM_NO_SYMBOLS || !path || path[0] != '/')
		return 0;
	u->unnamed += count;
	key = profd_hash_bytes(path, strlen(path), 0);
	f = find(u, path, key);
	if (f) {
		f->samples += count;
		return 0;
	}
	return u->n < FILES_MAX ? add(u, path, key, count) : 0;
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
	const struct unnamed_file **top;
	const char *urls = getenv("DEBUGINFOD_URLS");

	if (!u->n || pct(u->unnamed, u->user) < HINT_PCT)
		return false;
	top = malloc(u->n * sizeof(*top));
	if (!top)
		return false;
	for (size_t i = 0; i < u->n; i++)
		top[i] = &u->files[i];
	qsort(top, u->n, sizeof(*top), by_samples);
	profd_strbuf_printf(sb, "%.0f%% of user-space samples are in code without symbols:",
			    pct(u->unnamed, u->user));
	for (size_t i = 0; i < u->n && i < HINT_FILES; i++)
		profd_strbuf_printf(sb, "%s %s (%.0f%%)", i ? "," : "", base_name(top[i]->path),
				    pct(top[i]->samples, u->user));
	if (u->n > HINT_FILES)
		profd_strbuf_puts(sb, " ...");
	/* By base name: dpkg knows /lib/... where the maps of a merged /usr say /usr/lib/... */
	profd_strbuf_printf(sb, "; install their debug symbols (Debian: the -dbgsym of the "
				"package `dpkg -S %s` names, from the debug archive)",
			    base_name(top[0]->path));
	profd_strbuf_puts(sb, urls && *urls
				  ? "; the servers in DEBUGINFOD_URLS had none for them (yet)"
				  : " or set DEBUGINFOD_URLS to fetch them");
	free(top);
	return true;
}
