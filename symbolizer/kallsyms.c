// SPDX-License-Identifier: MIT
/*
 * Kernel symbols from /proc/kallsyms: "address type name [module]". Only code is kept (t, T, w,
 * W). kallsyms has no sizes, so a symbol extends to the next one of its module; the last one of a
 * module stops after KSYM_TAIL bytes, so addresses in the holes between modules stay unknown,
 * and end markers such as _etext close the kernel text. With kptr_restrict every address reads
 * as zero: then nothing is named at all, because any name would be a guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "symbolizer/symbolizer_internal.h"

#define KSYM_TAIL 65536
#define KERNEL_PATH "[kernel.kallsyms]"

/* Ranks: globals name an address better than local aliases; end markers never do. */
#define RANK_END 0
#define RANK_LOCAL 1
#define RANK_GLOBAL 2

struct loader {
	struct sym_symtab_builder syms; /* aux: index in mods */
	size_t zero;			/* symbols read at address 0 */
	struct sym_kmod *mods;
	size_t nmods, last_mod;
};

static bool is_end_marker(const char *name, size_t len)
{
	return (len == 6 && !memcmp(name, "_etext", 6)) ||
	       (len == 10 && !memcmp(name, "_einittext", 10));
}

static int find_mod(struct loader *l, const char *name, size_t len)
{
	char path[SYM_KALLSYMS_LINE_MAX + 3];
	struct sym_kmod *mods;

	snprintf(path, sizeof(path), "[%.*s]", (int)len, name);
	/* A module's symbols come in a row. */
	if (!strcmp(l->mods[l->last_mod].path, path))
		return 0;
	for (size_t i = 0; i < l->nmods; i++) {
		if (!strcmp(l->mods[i].path, path)) {
			l->last_mod = i;
			return 0;
		}
	}
	mods = realloc(l->mods, (l->nmods + 1) * sizeof(*mods));
	if (!mods)
		return -ENOMEM;
	l->mods = mods;
	mods[l->nmods] = (struct sym_kmod){.path = strdup(path)};
	if (!mods[l->nmods].path)
		return -ENOMEM;
	l->last_mod = l->nmods++;
	return 0;
}

/* Returns 1 if the line was a code symbol and was kept, 0 if skipped, -EINVAL or -ENOMEM. */
static int parse_line(struct loader *l, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *name, *mod = NULL;
	size_t name_len, mod_len = 0;
	uint64_t addr = 0;
	uint32_t rank;
	char type;
	int digits = 0, err;

	if (memchr(line, '\0', len))
		return -EINVAL;
	for (; p < end && *p != ' '; p++, digits++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0 || digits == 16)
			return -EINVAL;
		addr = addr << 4 | (uint64_t)d;
	}
	if (!digits || end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	type = p[1];
	name = p + 3;
	name_len = strcspn(name, " \t");
	if (!name_len)
		return -EINVAL;
	p = name + name_len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end) {
		if (*p != '[' || end[-1] != ']' || end - p < 3)
			return -EINVAL;
		mod = p + 1;
		mod_len = end - p - 2;
	}
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	if (mod) {
		err = find_mod(l, mod, mod_len);
		if (err)
			return err;
	}
	rank = is_end_marker(name, name_len) ? RANK_END
	       : type == 'T' || type == 'W' ? RANK_GLOBAL
					     : RANK_LOCAL;
	err = sym_symtab_builder__add(&l->syms, addr, 0, name, name_len,
				      rank << 8 | sym_symtab_rank_underscores(name),
				      mod ? (uint32_t)l->last_mod : 0);
	if (err)
		return err;
	if (!mod)
		l->last_mod = 0;
	l->zero += !addr;
	return 1;
}

/*
 * kallsyms has no sizes: a symbol extends to the next one of its module, the last one of a module
 * KSYM_TAIL bytes; end markers keep size 0. Also spans each module over its symbols.
 */
static void fix_sizes(struct loader *l)
{
	struct sym_symtab_cand *c = l->syms.v;
	size_t n = 0;

	for (size_t i = 0; i < l->syms.n; i++)
		if (c[i].addr) /* 0: hidden */
			c[n++] = c[i];
	l->syms.n = n;
	for (size_t i = 0; i < n; i++) {
		struct sym_kmod *m = &l->mods[c[i].aux];
		uint64_t size = KSYM_TAIL;

		if (i + 1 < n && (c[i + 1].aux == c[i].aux || c[i + 1].addr - c[i].addr < size))
			size = c[i + 1].addr - c[i].addr;
		c[i].size = size > UINT32_MAX ? UINT32_MAX : size;
		if (c[i].rank >> 8 == RANK_END) {
			c[i].size = 0;
			continue;
		}
		if (!m->limit || c[i].addr < m->start)
			m->start = c[i].addr;
		if (c[i].addr + c[i].size > m->limit)
			m->limit = c[i].addr + c[i].size;
	}
}

/* Which module each symbol is in, by its index in the table. */
static int keep_modules(const struct loader *l, struct sym_kallsyms *k)
{
	k->sym_mods = malloc((l->syms.n ? l->syms.n : 1) * sizeof(*k->sym_mods));
	if (!k->sym_mods)
		return -ENOMEM;
	for (size_t i = 0; i < l->syms.n; i++)
		k->sym_mods[i] = l->syms.v[i].aux;
	return 0;
}

static void read_build_id(const char *path, char *hex, size_t hexlen)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0)
		sym_build_id_from_notes(buf, (size_t)n, 4, hex, hexlen);
}

static void loader_release(struct loader *l)
{
	sym_symtab_builder__release(&l->syms);
	for (size_t i = 0; i < l->nmods; i++)
		free(l->mods[i].path);
	free(l->mods);
}

int sym_kallsyms__load(const char *path, const char *notes_path, struct sym_kallsyms **out)
{
	struct loader l = {0};
	struct sym_linereader lr;
	struct sym_kallsyms *k;
	size_t len;
	char *line;
	int fd, err;

	k = calloc(1, sizeof(*k));
	l.mods = calloc(1, sizeof(*l.mods));
	if (!k || !l.mods || !(l.mods[0].path = strdup(KERNEL_PATH))) {
		free(k);
		free(l.mods);
		return -ENOMEM;
	}
	l.nmods = 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	err = sym_linereader__init(&lr, fd, SYM_KALLSYMS_LINE_MAX, UINT64_MAX);
	while (!err && (err = sym_linereader__next(&lr, &line, &len)) > 0) {
		err = parse_line(&l, line, len);
		if (err == -EINVAL)
			k->bad_lines++;
		err = err == -ENOMEM ? err : 0;
	}
	k->bad_lines += lr.long_lines;
	sym_linereader__release(&lr);
	close(fd);
	if (err)
		goto fail;
	k->hidden = l.syms.n && l.zero == l.syms.n;
	sym_symtab_builder__sort(&l.syms);
	fix_sizes(&l);
	err = keep_modules(&l, k);
	err = err ?: sym_symtab_builder__finish(&l.syms, SIZE_MAX, &k->syms);
	if (!err && !k->syms)
		err = -ENOMEM;
	if (err)
		goto fail;
	k->mods = l.mods;
	k->nmods = l.nmods;
	l.mods = NULL;
	l.nmods = 0;
	if (notes_path)
		read_build_id(notes_path, k->build_id, sizeof(k->build_id));
	k->bytes = sizeof(*k) + sym_symtab__bytes(k->syms) + k->syms->n * sizeof(*k->sym_mods) +
		   k->nmods * (sizeof(*k->mods) + 32);
	loader_release(&l);
	*out = k;
	return 0;
fail:
	loader_release(&l);
	sym_kallsyms__free(k);
	return err;
}

void sym_kallsyms__free(struct sym_kallsyms *k)
{
	if (!k)
		return;
	sym_symtab__free(k->syms);
	free(k->sym_mods);
	for (size_t i = 0; i < k->nmods; i++)
		free(k->mods[i].path);
	free(k->mods);
	free(k);
}
