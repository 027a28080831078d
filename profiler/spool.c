// SPDX-License-Identifier: MIT
/*
 * The push spool: windows the backend could not take yet, one gzip pprof file each, named by
 * their times so the folder lists them oldest first, written atomically like the store's
 * windows, bounded in bytes and files (the oldest go first, counted). Used by the push thread
 * only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"
#include "profiler/push_internal.h"
#include "profiler/store_internal.h"

#define SPOOL_SUFFIX ".pb.gz"
#define SPOOL_DIGITS 19 /* zero-padded, so that names sort by start time */
#define SPOOL_NAME_LEN (2 * SPOOL_DIGITS + 1 + sizeof(SPOOL_SUFFIX) - 1)
#define SPOOL_FILES_MAX 65536 /* bounds the index too: 18 hours of 1 s windows */
#define GZIP_MIN 18	      /* header and trailer */

struct spooled {
	int64_t start_ns, end_ns;
	uint64_t bytes;
};

struct prof_spool {
	char *dir;
	int dirfd;
	uint64_t max_bytes, bytes;
	struct spooled *e; /* the windows are e[head..n), sorted by start, then end */
	size_t head, n, cap;
	uint64_t damaged;
	bool warned; /* about a damaged file: the next ones are only counted */
};

static void spool_name(char *buf, size_t len, int64_t start_ns, int64_t end_ns)
{
	snprintf(buf, len, "%0*" PRId64 "-%0*" PRId64 SPOOL_SUFFIX, SPOOL_DIGITS,
		 start_ns < 0 ? 0 : start_ns, SPOOL_DIGITS, end_ns < 0 ? 0 : end_ns);
}

/* Our names only: two runs of SPOOL_DIGITS digits, the suffix, start <= end. */
static bool spool_parse(const char *name, int64_t *start_ns, int64_t *end_ns)
{
	const char *end = name + SPOOL_DIGITS + 1;

	if (strlen(name) != SPOOL_NAME_LEN || name[SPOOL_DIGITS] != '-' ||
	    strspn(name, "0123456789") != SPOOL_DIGITS ||
	    strspn(end, "0123456789") != SPOOL_DIGITS || strcmp(end + SPOOL_DIGITS, SPOOL_SUFFIX))
		return false;
	*start_ns = strtoll(name, NULL, 10);
	*end_ns = strtoll(end, NULL, 10);
	return *start_ns <= *end_ns;
}

static int cmp_spooled(const void *a, const void *b)
{
	const struct spooled *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns < y->end_ns ? -1 : 1;
	return 0;
}

static size_t spool_files(const struct prof_spool *s)
{
	return s->n - s->head;
}

/* Appends to the index, unsorted; room comes from the removed head before growing. */
static int spool_index(struct prof_spool *s, int64_t start_ns, int64_t end_ns, uint64_t bytes)
{
	if (s->n == s->cap && s->head && s->head >= s->cap / 2) {
		memmove(s->e, s->e + s->head, spool_files(s) * sizeof(*s->e));
		s->n -= s->head;
		s->head = 0;
	} else if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct spooled *e = realloc(s->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	s->e[s->n++] = (struct spooled){.start_ns = start_ns, .end_ns = end_ns, .bytes = bytes};
	s->bytes += bytes;
	return 0;
}

static void spool_remove_oldest(struct prof_spool *s)
{
	struct spooled *w = &s->e[s->head];
	char name[SPOOL_NAME_LEN + 1];

	spool_name(name, sizeof(name), w->start_ns, w->end_ns);
	if (unlinkat(s->dirfd, name, 0) && errno != ENOENT)
		pr_warn_once("push: spool %s: cannot remove %s: %s", s->dir, name, strerror(errno));
	s->bytes -= w->bytes;
	if (++s->head == s->n)
		s->head = s->n = 0;
}

/* Removes the oldest windows until bytes and files more fit the bounds; returns how many. */
static int spool_make_room(struct prof_spool *s, uint64_t bytes, size_t files)
{
	int removed = 0;

	while (spool_files(s) &&
	       (s->bytes + bytes > s->max_bytes || spool_files(s) + files > SPOOL_FILES_MAX)) {
		spool_remove_oldest(s);
		removed++;
	}
	return removed;
}

struct prof_spool *prof_spool__open(const char *dir, uint64_t max_bytes)
{
	struct prof_spool *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->max_bytes = max_bytes ? max_bytes : PROF_PUSH_SPOOL_BYTES;
	s->dir = strdup(dir);
	s->dirfd = -1;
	if (!s->dir)
		goto fail;
	if (mkdir(dir, 0750) && errno != EEXIST)
		goto fail;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		goto fail;
	return s;
fail:
	err = errno;
	prof_spool__free(s);
	errno = err;
	return NULL;
}

void prof_spool__free(struct prof_spool *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->e);
	free(s->dir);
	free(s);
}

int prof_spool__scan(struct prof_spool *s)
{
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int err = 0;

	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	s->head = s->n = 0;
	s->bytes = 0;
	while (!err && (de = readdir(d))) {
		int64_t start, end;
		struct stat sb;

		if (!strncmp(de->d_name, PROF_TMP_PREFIX, strlen(PROF_TMP_PREFIX))) {
			unlinkat(s->dirfd, de->d_name, 0); /* a crash during a write */
			continue;
		}
		if (!spool_parse(de->d_name, &start, &end) ||
		    fstatat(s->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
			continue;
		err = spool_index(s, start, end, (uint64_t)sb.st_size);
	}
	closedir(d);
	if (spool_files(s) > 1)
		qsort(s->e, s->n, sizeof(*s->e), cmp_spooled);
	return err ? err : spool_make_room(s, 0, 0);
}

int prof_spool__add(struct prof_spool *s, int64_t start_ns, int64_t end_ns, const void *buf,
		    size_t len)
{
	char name[SPOOL_NAME_LEN + 1];
	int dropped, err;

	if (len > s->max_bytes)
		return 1;
	dropped = spool_make_room(s, len, 1);
	spool_name(name, sizeof(name), start_ns, end_ns);
	err = prof_write_atomic(s->dirfd, name, buf, len);
	if (!err) {
		err = spool_index(s, start_ns, end_ns, len);
		if (err)
			unlinkat(s->dirfd, name, 0);
	}
	if (err) {
		pr_warn_once("push: spool %s: cannot write %s: %s (window dropped)", s->dir, name,
			     strerror(-err));
		return dropped + 1;
	}
	/* Windows come in time order unless the wall clock stepped back. */
	if (spool_files(s) > 1 && cmp_spooled(&s->e[s->n - 2], &s->e[s->n - 1]) >= 0) {
		if (!cmp_spooled(&s->e[s->n - 2], &s->e[s->n - 1])) {
			s->bytes -= s->e[s->n - 2].bytes; /* the same name: replaced */
			s->e[s->n - 2] = s->e[s->n - 1];
			s->n--;
		} else {
			qsort(s->e + s->head, spool_files(s), sizeof(*s->e), cmp_spooled);
		}
	}
	return dropped;
}

static int spool_read(struct prof_spool *s, const char *name, void **buf, size_t *len)
{
	uint8_t *b;
	int err = prof_read_file(s->dirfd, name, &b, len);

	if (err)
		return err;
	if (*len < GZIP_MIN || b[0] != 0x1f || b[1] != 0x8b) {
		free(b);
		return -EBADMSG;
	}
	*buf = b;
	return 0;
}

int prof_spool__oldest(struct prof_spool *s, int64_t *start_ns, int64_t *end_ns, void **buf,
		       size_t *len)
{
	struct spooled *w;
	char name[SPOOL_NAME_LEN + 1];
	int err;

	if (!spool_files(s))
		return -ENOENT;
	w = &s->e[s->head];
	spool_name(name, sizeof(name), w->start_ns, w->end_ns);
	err = spool_read(s, name, buf, len);
	if (!err) {
		*start_ns = w->start_ns;
		*end_ns = w->end_ns;
		return 0;
	}
	if (err == -ENOMEM)
		return err;
	if (err != -ENOENT) { /* ENOENT: removed by hand, nothing to report */
		s->damaged++;
		if (!s->warned)
			pr_warn("push: spool %s: %s: %s (removed; more are only counted)", s->dir,
				name, strerror(-err));
		s->warned = true;
	}
	spool_remove_oldest(s);
	return -EBADMSG;
}

void prof_spool__pop(struct prof_spool *s)
{
	if (spool_files(s))
		spool_remove_oldest(s);
}

void prof_spool__stats(const struct prof_spool *s, size_t *files, uint64_t *bytes,
		       uint64_t *damaged)
{
	*files = spool_files(s);
	*bytes = s->bytes;
	*damaged = s->damaged;
}

/* ---- the push thread ---- */

const char *prof_spool__dir(const struct prof_spool *s)
{
	return s->dir;
}
