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

struct ksym_tmp {
	uint64_t addr;
	uint32_t name, mod;
	uint8_t rank;
	uint8_t underscores;
};

struct loader {
	struct ksym_tmp *v;
	size_t n, cap;
	struct profd_strbuf names;
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
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		struct ksym_tmp *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (l->names.len > UINT32_MAX - SYM_KALLSYMS_LINE_MAX)
		return -ENOMEM;
	l->v[l->n] = (struct ksym_tmp){
		.addr = addr,
		.name = (uint32_t)l->names.len,
		.mod = mod ? (uint32_t)l->last_mod : 0,
		/* Globals name an address better than local aliases; end markers never do. */
		.rank = is_end_marker(name, name_len) ? 0 : (type == 'T' || type == 'W') ? 2 : 1,
		.underscores = (uint8_t)(strspn(name, "_") < 255 ? strspn(name, "_") : 255),
	};
	if (profd_strbuf_append(&l->names, name, name_len) ||
	    profd_strbuf_append(&l->names, "", 1))
		return -ENOMEM;
	if (!mod)
		l->last_mod = 0;
	l->n++;
	return 1;
}

static int cmp_ksym(const void *a, const void *b, void *names)
{
	const struct ksym_tmp *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (x->underscores != y->underscores)
		return x->underscores < y->underscores ? -1 : 1;
	return strcmp((const char *)names + x->name, (const char *)names + y->name);
}

static int build(struct loader *l, struct sym_kallsyms *k)
{
	size_t n = 0;

	qsort_r(l->v, l->n, sizeof(*l->v), cmp_ksym, l->names.buf);
	k->syms = malloc((l->n ? l->n : 1) * sizeof(*k->syms));
	if (!k->syms)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].addr || (n && k->syms[n - 1].addr == l->v[i].addr))
			continue; /* hidden, or a worse alias */
		k->syms[n++] = (struct sym_ksym){
			.addr = l->v[i].addr,
			.name = l->v[i].rank ? l->v[i].name : SYM_KSYM_END,
			.mod = l->v[i].mod,
		};
	}
	k->n = n;
	for (size_t i = 0; i < n; i++) {
		struct sym_ksym *s = &k->syms[i];
		uint64_t size = KSYM_TAIL;
		struct sym_kmod *m = &l->mods[s->mod];

		if (i + 1 < n && (s[1].mod == s->mod || s[1].addr - s->addr < size))
			size = s[1].addr - s->addr;
		s->size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
		if (s->name == SYM_KSYM_END)
			continue;
		if (!m->limit || s->addr < m->start)
			m->start = s->addr;
		if (s->addr + s->size > m->limit)
			m->limit = s->addr + s->size;
	}
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
	free(l->v);
	profd_strbuf_release(&l->names);
	for (size_t i = 0; i < l->nmods; i++)
		free(l->mods[i].path);
	free(l->mods);
}

int sym_kallsyms__load(const char *path, const char *notes_path, struct sym_kallsyms **out)
{
	struct loader l = {0};
	struct sym_linereader lr;
	struct sym_kallsyms *k;
	size_t len, zero = 0;
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
		else if (err == 1 && !l.v[l.n - 1].addr)
			zero++;
		err = err == -ENOMEM ? err : 0;
	}
	k->bad_lines += lr.long_lines;
	sym_linereader__release(&lr);
	close(fd);
	if (err)
		goto fail;
	k->hidden = l.n && zero == l.n;
	err = build(&l, k);
	if (err)
		goto fail;
	k->names = profd_strbuf_detach(&l.names, &k->names_len);
	k->mods = l.mods;
	k->nmods = l.nmods;
	l.mods = NULL;
	l.nmods = 0;
	if (notes_path)
		read_build_id(notes_path, k->build_id, sizeof(k->build_id));
	k->bytes = sizeof(*k) + k->n * sizeof(*k->syms) + k->names_len +
		   k->nmods * (sizeof(*k->mods) + 32);
	loader_release(&l);
	*out = k;
	return 0;
fail:
	loader_release(&l);
	sym_kallsyms__free(k);
	return err;
}

const struct sym_ksym *sym_kallsyms__find(const struct sym_kallsyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;
	const struct sym_ksym *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &k->syms[lo - 1];
	if (addr - s->addr >= s->size || s->name == SYM_KSYM_END)
		return NULL;
	return s;
}

void sym_kallsyms__free(struct sym_kallsyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->names);
	for (size_t i = 0; i < k->nmods; i++)
		free(k->mods[i].path);
	free(k->mods);
	sym_dcache__release(&k->demangled);
	free(k);
}
