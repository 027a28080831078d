// SPDX-License-Identifier: MIT
/*
 * JIT perf maps (/tmp/perf-PID.map): one "START SIZE name" line per compiled function, in hex,
 * with or without "0x" (JDK 25 writes it); a name runs to the end of the line and may hold
 * spaces. The file is written by the profiled process, so it is opened like perf does (no
 * symlink, a regular file owned by root or by the process's user), read with a byte budget, and
 * bad lines are counted and skipped. JITs append as they compile: a later line for the same
 * start wins.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define ENTRIES_MAX (1u << 22)

int sym_perfmap__open(int rootfd, const char *path, uid_t uid, struct stat *st)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	int fd;

	fd = sym_open_beneath(rootfd, path, flags);
	if (fd < 0)
		return fd;
	if (fstat(fd, st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		pr_warn_once("sym: %s: not a regular file; perf map ignored", path);
		close(fd);
		return -EINVAL;
	}
	if (st->st_uid != 0 && st->st_uid != uid) {
		pr_warn_once("sym: %s: owned by uid %u, not by root or the process (uid %u); "
			     "perf map ignored", path, (unsigned int)st->st_uid, (unsigned int)uid);
		close(fd);
		return -EPERM;
	}
	return fd;
}

static bool parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	if (end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end; s++, digits++) {
		int d = *s >= '0' && *s <= '9'	 ? *s - '0'
			: *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
			: *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
						 : -1;

		if (d < 0)
			break;
		if (digits == 16)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	if (!digits)
		return false;
	*p = s;
	*v = x;
	return true;
}

/* Returns 0 with the fields of a valid line, or -EINVAL. */
static int parse_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
		      const char **name, size_t *name_len)
{
	const char *p = line, *end = line + len;

	if (memchr(line, '\0', len))
		return -EINVAL;
	if (len && end[-1] == '\r')
		end--;
	if (!parse_hex(&p, end, start) || p == end || *p++ != ' ' || !parse_hex(&p, end, size) ||
	    p == end || *p++ != ' ' || p == end)
		return -EINVAL;
	if (!*size || *start + *size < *start)
		return -EINVAL;
	*name = p;
	*name_len = end - p;
	return 0;
}

int sym_perfmap__read(int fd, const struct stat *st, struct sym_perfmap **out)
{
	struct sym_perfmap *pm = calloc(1, sizeof(*pm));
	struct sym_symtab_builder b = {0};
	struct sym_linereader lr;
	size_t len;
	char *line;
	int err;

	if (!pm)
		return -ENOMEM;
	err = sym_linereader__init(&lr, fd, SYM_PERFMAP_LINE_MAX, SYM_PERFMAP_BYTES_MAX);
	while (!err && b.n < ENTRIES_MAX && (err = sym_linereader__next(&lr, &line, &len)) > 0) {
		uint64_t start, size;
		const char *name;
		size_t name_len;

		err = 0;
		if (parse_line(line, len, &start, &size, &name, &name_len)) {
			pm->bad_lines++;
			continue;
		}
		/* The rank is the line number: for code compiled again, the last line wins. */
		err = sym_symtab_builder__add(&b, start, size > UINT32_MAX ? UINT32_MAX : size, name,
					      name_len, (uint32_t)b.n, 0);
	}
	pm->bad_lines += lr.long_lines;
	if (lr.read >= SYM_PERFMAP_BYTES_MAX || b.n == ENTRIES_MAX)
		pr_warn_once("sym: a perf map is larger than %llu MiB or %u entries; read in part",
			     SYM_PERFMAP_BYTES_MAX >> 20, ENTRIES_MAX);
	sym_linereader__release(&lr);
	if (!err) {
		sym_symtab_builder__sort(&b);
		err = sym_symtab_builder__finish(&b, SIZE_MAX, &pm->syms);
	}
	sym_symtab_builder__release(&b);
	if (err) {
		sym_perfmap__free(pm);
		return err;
	}
	sym_file_id__from_stat(&pm->id, st);
	if (pm->bad_lines)
		pr_debug("sym: perf map: %zu bad lines skipped", pm->bad_lines);
	*out = pm;
	return 0;
}

size_t sym_perfmap__bytes(const struct sym_perfmap *pm)
{
	return sizeof(*pm) + sym_symtab__bytes(pm->syms);
}

void sym_perfmap__free(struct sym_perfmap *pm)
{
	if (!pm)
		return;
	sym_symtab__free(pm->syms);
	free(pm);
}
