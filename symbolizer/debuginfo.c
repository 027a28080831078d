// SPDX-License-Identifier: MIT
/*
 * Where a file's DWARF is. Looked for when an address in the file is first resolved (most mapped
 * files never get a sample), in the order gdb and elfutils use:
 *
 *   1. the file itself, if it has a .debug_info section;
 *   2. ROOT/.build-id/xx/rest.debug for each debug root (Debian's -dbg and -dbgsym packages);
 *   3. its .gnu_debuglink name in the file's folder, in .debug/ below it, and in ROOT/folder/,
 *      accepted only if the CRC-32 stored beside the name matches the whole candidate;
 *   4. debuginfod, by build-id, in the background (debuginfod.c).
 *
 * A separate file must carry the build-id of the file it describes, when that has one: a
 * mismatch is refused, never silently used. A candidate that is refused (mismatch, bad CRC,
 * damaged, zstd-compressed, too large) is said once per file, then the search goes on; the file
 * is named from its symbol table if nothing is found. Not finding anything is normal (most system
 * libraries have no debug files installed) and said only under -v.
 *
 * Where the DWARF came from is remembered (path and identity), so after an eviction it is read
 * again from the same file without a new search, and only if that file did not change. A search
 * that found nothing is repeated after SYM_DEBUG_RETRY_NS: debug packages may be installed while
 * profd runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define CRC_CHUNK 65536

struct search {
	struct sym_resolver *r;
	const struct sym_proc *p;
	const struct sym_map *m;
	struct sym_file *f;
	int first_err; /* why the first refused candidate was refused */
	char first_bad[PATH_MAX];
};

int sym_debuglink_crc(int fd, uint32_t *crc)
{
	unsigned char *buf = malloc(CRC_CHUNK);
	uLong c = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = pread(fd, buf, CRC_CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	free(buf);
	if (n < 0)
		return -errno;
	*crc = (uint32_t)c;
	return 0;
}

static const char *why(int err)
{
	switch (err) {
	case -ESTALE:
		return "its build-id is not the file's";
	case -EILSEQ:
		return "its CRC does not match the .gnu_debuglink";
	case -EOPNOTSUPP:
		return "its debug sections are zstd-compressed, which this libdw cannot read";
	case -EBADMSG:
		return "damaged DWARF";
	case -EFBIG:
		return "it needs more memory than the cache may hold";
	case -ENODATA:
		return "no DWARF in it";
	default:
		return strerror(-err);
	}
}

static void refuse(struct search *s, const char *path, int err)
{
	pr_debug("sym: %s: debug info %s not used: %s", s->f->path, path, why(err));
	if (!s->first_err) {
		s->first_err = err;
		snprintf(s->first_bad, sizeof(s->first_bad), "%s", path);
	}
}

/* Reads DWARF from fd (which the caller closes). Returns 0 once f has it, or -errno. */
static int load(struct search *s, int fd, const char *path, bool self, bool check_crc)
{
	struct sym_file *f = s->f;
	struct sym_dwarf_opts o = {
		.max_bytes = sym_filecache__file_limit(&s->r->files),
		.build_id = !self && f->build_id[0] ? f->build_id : NULL,
	};
	struct sym_dwarf *d;
	struct stat st;
	uint32_t crc;
	char *where;
	int err;

	if (fstat(fd, &st))
		return -errno;
	if (!self && st.st_dev == f->id.dev && st.st_ino == f->id.ino)
		return -ENOENT; /* the debuglink names the file itself */
	if (check_crc) {
		err = sym_debuglink_crc(fd, &crc);
		if (!err && crc != f->debuglink_crc)
			err = -EILSEQ;
		if (err) {
			refuse(s, path, err);
			return err;
		}
	}
	err = sym_dwarf__open(fd, &o, &d);
	if (err) {
		refuse(s, self ? f->path : path, err);
		return err;
	}
	where = strdup(self ? "" : path);
	if (!where) {
		sym_dwarf__free(d);
		return -ENOMEM;
	}
	/* path may be the debug_path freed here (from_known: the file loaded again). */
	free(f->debug_path);
	f->debug_path = where;
	sym_file_id__from_stat(&f->debug_id, &st);
	sym_filecache__set_dwarf(&s->r->files, f, d);
	f->dwarf_state = SYM_DW_LOADED;
	pr_debug("sym: %s: DWARF from %s", f->path, self ? "the file itself" : where);
	return 0;
}

static int try_path(struct search *s, const char *path, bool in_proc, bool check_crc)
{
	struct stat st;
	int fd, err;

	fd = in_proc ? sym_proc__open_path(s->r, s->p, path) : sym_open_regular(-1, path, &st);
	if (fd < 0)
		return fd;
	err = load(s, fd, path, false, check_crc);
	close(fd);
	return err;
}

static int from_self(struct search *s)
{
	int fd = sym_proc__open_file(s->r, s->p, s->m, s->f), err;

	if (fd < 0)
		return fd;
	err = load(s, fd, s->f->path, true, false);
	close(fd);
	return err;
}

/* Where it was found before an eviction, if that file is unchanged. */
static int from_known(struct search *s)
{
	struct sym_file *f = s->f;
	struct sym_file_id id;
	struct stat st;
	int fd, err;

	if (!f->debug_path[0])
		return from_self(s);
	fd = sym_open_regular(-1, f->debug_path, &st);
	if (fd < 0)
		return fd;
	sym_file_id__from_stat(&id, &st);
	err = sym_file_id__equal(&id, &f->debug_id) ? load(s, fd, f->debug_path, false, false)
						    : -ESTALE;
	close(fd);
	return err;
}

static int from_build_id(struct search *s)
{
	const char *b = s->f->build_id;
	char path[PATH_MAX];
	int n;

	if (strlen(b) < 4)
		return -ENOENT;
	for (char **root = s->r->debug_dirs; *root; root++) {
		n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", *root, b, b + 2);
		if (n > 0 && (size_t)n < sizeof(path) && !try_path(s, path, false, false))
			return 0;
	}
	return -ENOENT;
}

static int from_debuglink(struct search *s)
{
	const char *link = s->f->debuglink, *path = s->m->path, *slash = strrchr(path, '/');
	char cand[PATH_MAX];
	int dirlen, n;

	if (s->m->kind != SYM_MAP_FILE || path[0] != '/' || !slash)
		return -ENOENT;
	dirlen = (int)(slash - path);
	n = snprintf(cand, sizeof(cand), "%.*s/%s", dirlen, path, link);
	if (n > 0 && (size_t)n < sizeof(cand) && !try_path(s, cand, true, true))
		return 0;
	n = snprintf(cand, sizeof(cand), "%.*s/.debug/%s", dirlen, path, link);
	if (n > 0 && (size_t)n < sizeof(cand) && !try_path(s, cand, true, true))
		return 0;
	for (char **root = s->r->debug_dirs; *root; root++) {
		n = snprintf(cand, sizeof(cand), "%s%.*s/%s", *root, dirlen, path, link);
		if (n > 0 && (size_t)n < sizeof(cand) && !try_path(s, cand, false, true))
			return 0;
	}
	return -ENOENT;
}

/* Says once per file (once in all for zstd) why a debug file it has was not used. */
static void warn_refused(struct search *s)
{
	struct sym_file *f = s->f;

	if (!s->first_err || f->dwarf_warned)
		return;
	f->dwarf_warned = true;
	if (s->first_err == -EOPNOTSUPP) {
		if (s->r->zstd_warned)
			return;
		s->r->zstd_warned = true;
	}
	pr_warn("sym: %s: debug info %s not used: %s; naming its frames from symbols", f->path,
		s->first_bad, why(s->first_err));
}

static void give_up(struct sym_file *f)
{
	f->dwarf_state = SYM_DW_NONE;
	f->dwarf_tried_ns = profd_coarse_ns();
	if (!f->dwarf_tried_ns)
		f->dwarf_tried_ns = 1;
}

static struct sym_dwarf *from_debuginfod(struct search *s)
{
	struct sym_resolver *r = s->r;
	struct sym_file *f = s->f;
	unsigned int gen = sym_debuginfod__generation(r->debuginfod);
	char *path;
	int ret;

	if (f->dwarf_state == SYM_DW_PENDING && gen == f->dwarf_gen)
		return NULL; /* nothing finished since we last asked */
	f->dwarf_gen = gen;
	ret = sym_debuginfod__get(r->debuginfod, f->build_id, &path);
	if (!ret) {
		f->dwarf_state = SYM_DW_PENDING;
		return NULL;
	}
	r->did_io = true;
	if (ret > 0) {
		ret = try_path(s, path, false, false);
		if (ret)
			warn_refused(s);
		free(path);
		if (!ret)
			return f->dwarf;
	} else if (ret == -ENOENT) {
		pr_debug("sym: %s: debuginfod has no debug info for build-id %s", f->path,
			 f->build_id);
	} else if (!r->debuginfod_warned) {
		r->debuginfod_warned = true;
		pr_warn("sym: %s: debuginfod: %s; naming frames from symbols", f->path,
			ret == -ETIMEDOUT ? "timed out" : strerror(-ret));
	}
	give_up(f);
	return NULL;
}

static struct sym_dwarf *search(struct search *s)
{
	struct sym_file *f = s->f;

	s->r->did_io = true;
	if (f->debug_path && !from_known(s))
		return f->dwarf;
	if (f->has_debug_info && !from_self(s))
		return f->dwarf;
	if (f->build_id[0] && !from_build_id(s))
		return f->dwarf;
	if (f->debuglink && !from_debuglink(s))
		return f->dwarf;
	warn_refused(s);
	if (!f->has_debug_info && !f->debuglink && !f->build_id[0]) {
		f->dwarf_state = SYM_DW_NEVER;
		return NULL;
	}
	if (s->r->debuginfod && f->build_id[0]) {
		f->dwarf_state = SYM_DW_UNKNOWN;
		return from_debuginfod(s);
	}
	pr_debug("sym: %s: no debug info found", f->path);
	give_up(f);
	return NULL;
}

struct sym_dwarf *sym_debuginfo__get(struct sym_resolver *r, const struct sym_proc *p,
				     const struct sym_map *m, struct sym_file *f)
{
	struct search s = {.r = r, .p = p, .m = m, .f = f};

	switch (f->dwarf_state) {
	case SYM_DW_LOADED:
		return f->dwarf;
	case SYM_DW_NEVER:
		return NULL;
	case SYM_DW_PENDING:
		return from_debuginfod(&s);
	case SYM_DW_NONE:
		if (profd_coarse_ns() - f->dwarf_tried_ns < SYM_DEBUG_RETRY_NS)
			return NULL;
		break;
	default:
		break;
	}
	if (!f->cached)
		return NULL;
	return search(&s);
}
