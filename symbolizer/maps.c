// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps: "start-end perms offset major:minor inode   path". Parsed field by field with
 * explicit lengths: a path may hold spaces, and ends in " (deleted)" once its file is unlinked.
 * Only executable mappings and the other mappings of their files are kept: a process with 65,000
 * anonymous data mappings costs a few entries, not 65,000.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define DELETED_SUFFIX " (deleted)"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d;

	while (s < end && (d = hexval(*s)) >= 0) {
		if (s - *p >= 16)
			return false;
		x = x << 4 | (uint64_t)d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*v = x;
	return true;
}

static bool parse_dec(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*v = x;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static bool equals(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(s, word, len);
}

static enum sym_map_kind classify(const char *path, size_t len)
{
	if (!len || has_prefix(path, len, "[anon:") || has_prefix(path, len, "[anon_shmem:"))
		return SYM_MAP_ANON;
	if (equals(path, len, "[heap]"))
		return SYM_MAP_HEAP;
	if (has_prefix(path, len, "[stack"))
		return SYM_MAP_STACK;
	if (equals(path, len, "[vdso]"))
		return SYM_MAP_VDSO;
	if (equals(path, len, "[vsyscall]"))
		return SYM_MAP_VSYSCALL;
	if (has_prefix(path, len, "/memfd:"))
		return SYM_MAP_MEMFD;
	/* Shared anonymous memory shows up under the name of its backing object. */
	if (equals(path, len, "/dev/zero") || has_prefix(path, len, "/SYSV"))
		return SYM_MAP_ANON;
	/* Opening a device node can have side effects; none holds code we could name. */
	if (path[0] != '/' || has_prefix(path, len, "/dev/"))
		return SYM_MAP_OTHER;
	return SYM_MAP_FILE;
}

int sym_maps__parse_line(const char *line, size_t len, struct sym_map *m, const char **path,
			 size_t *path_len)
{
	const char *p = line, *end = line + len;
	uint64_t major, minor;
	static const char perm_chars[] = "rwx";

	memset(m, 0, sizeof(*m));
	if (memchr(line, '\0', len))
		return -EINVAL;
	if (!parse_hex(&p, end, &m->start) || !expect(&p, end, '-') ||
	    !parse_hex(&p, end, &m->end) || !expect(&p, end, ' ') || m->end <= m->start)
		return -EINVAL;
	if (end - p < 5)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		if (p[i] == perm_chars[i])
			m->perms |= 1 << i;
		else if (p[i] != '-')
			return -EINVAL;
	}
	if (p[3] == 's')
		m->perms |= SYM_PERM_SHARED;
	else if (p[3] != 'p')
		return -EINVAL;
	p += 4;
	if (!expect(&p, end, ' ') || !parse_hex(&p, end, &m->pgoff) || !expect(&p, end, ' ') ||
	    !parse_hex(&p, end, &major) || !expect(&p, end, ':') || !parse_hex(&p, end, &minor) ||
	    !expect(&p, end, ' ') || !parse_dec(&p, end, &m->inode) || major > UINT32_MAX ||
	    minor > UINT32_MAX)
		return -EINVAL;
	m->dev_major = (uint32_t)major;
	m->dev_minor = (uint32_t)minor;
	if (p < end && *p != ' ')
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	*path = p;
	*path_len = end - p;
	if (*path_len > strlen(DELETED_SUFFIX) &&
	    !memcmp(end - strlen(DELETED_SUFFIX), DELETED_SUFFIX, strlen(DELETED_SUFFIX))) {
		m->deleted = true;
		*path_len -= strlen(DELETED_SUFFIX);
	}
	m->kind = classify(*path, *path_len);
	return 0;
}

static bool is_file(const struct sym_map *m)
{
	return m->kind == SYM_MAP_FILE || m->kind == SYM_MAP_MEMFD;
}

static int cmp_file(const void *a, const void *b)
{
	const struct sym_map *x = *(const struct sym_map *const *)a;
	const struct sym_map *y = *(const struct sym_map *const *)b;

	if (x->dev_major != y->dev_major)
		return x->dev_major < y->dev_major ? -1 : 1;
	if (x->dev_minor != y->dev_minor)
		return x->dev_minor < y->dev_minor ? -1 : 1;
	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_start(const void *a, const void *b)
{
	const struct sym_map *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* Drops data mappings of files that have no executable mapping: nothing will ever sample them. */
static int keep_code_files(struct sym_maps *maps)
{
	struct sym_map **exec = malloc((maps->n ? maps->n : 1) * sizeof(*exec));
	size_t nexec = 0, n = 0;

	if (!exec)
		return -ENOMEM;
	for (size_t i = 0; i < maps->n; i++)
		if (is_file(&maps->v[i]) && (maps->v[i].perms & SYM_PERM_EXEC))
			exec[nexec++] = &maps->v[i];
	qsort(exec, nexec, sizeof(*exec), cmp_file);
	for (size_t i = 0; i < maps->n; i++) {
		struct sym_map *m = &maps->v[i];

		if (!(m->perms & SYM_PERM_EXEC) &&
		    !bsearch(&m, exec, nexec, sizeof(*exec), cmp_file))
			continue;
		maps->v[n++] = *m;
	}
	free(exec);
	maps->n = n;
	return 0;
}

static void sort_and_check(struct sym_maps *maps)
{
	size_t n = 0;

	for (size_t i = 1; i < maps->n; i++) {
		if (maps->v[i].start < maps->v[i - 1].start) {
			qsort(maps->v, maps->n, sizeof(*maps->v), cmp_start);
			break;
		}
	}
	/* The kernel never reports overlaps; a hand-made file might. The first one wins. */
	for (size_t i = 0; i < maps->n; i++) {
		if (n && maps->v[i].start < maps->v[n - 1].end) {
			maps->bad_lines++;
			continue;
		}
		maps->v[n++] = maps->v[i];
	}
	maps->n = n;
}

static int add(struct sym_maps *maps, const struct sym_map *m, const char *path, size_t path_len)
{
	struct sym_map *e;

	if (maps->n == SYM_MAPS_MAX) {
		maps->dropped++;
		return 0;
	}
	if (PROFD_ARRAY_RESERVE(maps->v, maps->cap, maps->n + 1, 64))
		return -ENOMEM;
	e = &maps->v[maps->n];
	*e = *m;
	/* Mappings of one file come in a row: share one copy of the path. */
	if (maps->n && !strncmp(maps->v[maps->n - 1].path, path, path_len) &&
	    maps->v[maps->n - 1].path[path_len] == '\0') {
		e->path = maps->v[maps->n - 1].path;
	} else {
		e->path = sym_arena__strndup(&maps->strings, path, path_len);
		if (!e->path)
			return -ENOMEM;
	}
	maps->n++;
	return 0;
}

int sym_maps__read(int fd, struct sym_maps *maps)
{
	struct sym_linereader lr;
	const char *path;
	size_t len, path_len;
	char *line;
	int err;

	memset(maps, 0, sizeof(*maps));
	err = sym_linereader__init(&lr, fd, SYM_MAPS_LINE_MAX, UINT64_MAX);
	if (err)
		return err;
	while ((err = sym_linereader__next(&lr, &line, &len)) > 0) {
		struct sym_map m;

		if (sym_maps__parse_line(line, len, &m, &path, &path_len)) {
			maps->bad_lines++;
			continue;
		}
		if (!(m.perms & SYM_PERM_EXEC) && !is_file(&m))
			continue;
		err = add(maps, &m, path, path_len);
		if (err)
			break;
	}
	maps->bad_lines += lr.long_lines;
	sym_linereader__release(&lr);
	if (!err)
		err = keep_code_files(maps);
	if (err) {
		sym_maps__release(maps);
		return err;
	}
	sort_and_check(maps);
	if (maps->dropped)
		pr_warn_once("sym: a process has more than %u code mappings; the rest are ignored",
			     SYM_MAPS_MAX);
	return 0;
}

void sym_maps__release(struct sym_maps *maps)
{
	free(maps->v);
	sym_arena__release(&maps->strings);
	memset(maps, 0, sizeof(*maps));
}

_Static_assert(offsetof(struct sym_map, start) == 0, "profd_array_upper() keys on start");

struct sym_map *sym_maps__find(const struct sym_maps *maps, uint64_t addr)
{
	/* The last mapping that starts at or below addr is the only candidate. */
	size_t lo = profd_array_upper(maps->v, maps->n, sizeof(*maps->v), addr);

	if (!lo || addr >= maps->v[lo - 1].end)
		return NULL;
	return &maps->v[lo - 1];
}

const char *sym_map__label(const struct sym_map *m)
{
	if (m->kind == SYM_MAP_ANON && (!m->path[0] || m->path[0] == '/'))
		return "[anon]";
	return m->path;
}

/* Whether [m->start, m->end) overlaps a mapping of v[0..n), sorted. */
static bool overlaps(const struct sym_map *v, size_t n, const struct sym_map *m)
{
	size_t i = profd_array_upper(v, n, sizeof(*v), m->start);

	return (i && v[i - 1].end > m->start) || (i < n && v[i].start < m->end);
}

int sym_maps__merge(struct sym_maps *maps, const struct sym_map *v, size_t n)
{
	size_t old = maps->n;
	int err;

	for (size_t i = 0; i < n; i++) {
		if (overlaps(maps->v, old, &v[i]))
			continue;
		err = add(maps, &v[i], v[i].path, strlen(v[i].path));
		if (err)
			return err;
	}
	if (maps->n > old)
		qsort(maps->v, maps->n, sizeof(*maps->v), cmp_start);
	return 0;
}
