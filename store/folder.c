// SPDX-License-Identifier: MIT
/* The window folder: atomic window files named by their times, and their sorted index. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/array.h"
#include "store/store_internal.h"

#define NAME_LEN 64
#define DIGITS_MAX 19 /* an int64 */

void store_folder__name(const struct store_folder *f, int64_t start_ns, int64_t end_ns, char *buf,
			size_t len)
{
	int width = f->opts.padded ? DIGITS_MAX : 0;

	snprintf(buf, len, "%0*" PRId64 "-%0*" PRId64 "%s", width, start_ns < 0 ? 0 : start_ns,
		 width, end_ns < 0 ? 0 : end_ns, f->opts.suffix);
}

static bool parse_digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > DIGITS_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Our names only, spelled exactly as store_folder__name() spells them; start <= end. */
static bool parse_name(const struct store_folder *f, const char *name, int64_t *start,
		       int64_t *end)
{
	size_t len = strlen(name), slen = strlen(f->opts.suffix);
	const char *dash = strchr(name, '-');
	char again[NAME_LEN];

	if (len <= slen || len >= NAME_LEN || strcmp(name + len - slen, f->opts.suffix) || !dash)
		return false;
	if (!parse_digits(name, (size_t)(dash - name), start) ||
	    !parse_digits(dash + 1, len - slen - (size_t)(dash + 1 - name), end) || *start > *end)
		return false;
	store_folder__name(f, *start, *end, again, sizeof(again));
	return !strcmp(again, name);
}

static int cmp_window(const struct store_window *x, int64_t start_ns, int64_t end_ns)
{
	if (x->start_ns != start_ns)
		return x->start_ns < start_ns ? -1 : 1;
	if (x->end_ns != end_ns)
		return x->end_ns < end_ns ? -1 : 1;
	return 0;
}

static int qsort_window(const void *a, const void *b)
{
	const struct store_window *y = b;

	return cmp_window(a, y->start_ns, y->end_ns);
}

size_t store_folder__count(const struct store_folder *f)
{
	return f->n - f->head;
}

struct store_window *store_folder__at(const struct store_folder *f, size_t i)
{
	return &f->w[f->head + i];
}

/* Room for one more entry at the end: the removed head is reused before the array grows. */
static int make_room(struct store_folder *f)
{
	if (f->n < f->cap)
		return 0;
	if (f->head) {
		memmove(f->w, f->w + f->head, store_folder__count(f) * sizeof(*f->w));
		f->n -= f->head;
		f->head = 0;
		return 0;
	}
	return PROFD_ARRAY_RESERVE(f->w, f->cap, f->n + 1, 64);
}

/* Adds an entry in time order; the same times replace the entry there. */
static int index_window(struct store_folder *f, int64_t start_ns, int64_t end_ns, uint64_t bytes)
{
	size_t lo = f->head, hi = f->n;
	int err;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_window(&f->w[mid], start_ns, end_ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->n && !cmp_window(&f->w[lo], start_ns, end_ns)) {
		f->bytes = f->bytes - f->w[lo].bytes + bytes;
		f->w[lo].bytes = bytes;
		f->w[lo].damaged = false;
		return 0;
	}
	lo -= f->head;
	err = make_room(f);
	if (err)
		return err;
	lo += f->head;
	memmove(&f->w[lo + 1], &f->w[lo], (f->n - lo) * sizeof(*f->w));
	f->w[lo] = (struct store_window){.start_ns = start_ns, .end_ns = end_ns, .bytes = bytes};
	f->n++;
	f->bytes += bytes;
	return 0;
}

int store_folder__scan(struct store_folder *f)
{
	int fd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int err = 0;

	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	f->head = f->n = 0;
	f->bytes = 0;
	while (!err && (de = readdir(d))) {
		int64_t start, end;
		struct stat sb;

		if (!strncmp(de->d_name, STORE_TMP_PREFIX, strlen(STORE_TMP_PREFIX))) {
			if (f->opts.writable)
				unlinkat(f->dirfd, de->d_name, 0);
			continue;
		}
		if (!parse_name(f, de->d_name, &start, &end) ||
		    fstatat(f->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
			continue;
		err = make_room(f);
		if (err)
			break;
		f->w[f->n++] = (struct store_window){
			.start_ns = start, .end_ns = end, .bytes = (uint64_t)sb.st_size};
		f->bytes += (uint64_t)sb.st_size;
	}
	closedir(d);
	if (store_folder__count(f) > 1)
		qsort(f->w + f->head, store_folder__count(f), sizeof(*f->w), qsort_window);
	return err;
}

int store_folder__open(struct store_folder *f, const struct store_folder_opts *o)
{
	memset(f, 0, sizeof(*f));
	f->opts = *o;
	f->dirfd = -1;
	f->dir = strdup(o->dir);
	if (!f->dir)
		return -ENOMEM;
	if (o->writable && mkdir(o->dir, 0750) && errno != EEXIST)
		return -errno;
	f->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return -errno;
	f->opts.dir = f->dir;
	return 0;
}

void store_folder__release(struct store_folder *f)
{
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->w);
	free(f->dir);
	memset(f, 0, sizeof(*f));
	f->dirfd = -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Temporary name, fsync, rename, fsync of the folder: the name appears only with all its bytes. */
static int write_atomic(int dirfd, const char *name, const void *buf, size_t len)
{
	char tmp[NAME_LEN + 32];
	int fd, err;

	snprintf(tmp, sizeof(tmp), STORE_TMP_PREFIX "%d.%s", (int)getpid(), name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err) {
		unlinkat(dirfd, tmp, 0);
		return err;
	}
	return fsync(dirfd) ? -errno : 0;
}

int store_folder__add(struct store_folder *f, int64_t start_ns, int64_t end_ns, const void *buf,
		      size_t len)
{
	char name[NAME_LEN];
	int err;

	store_folder__name(f, start_ns, end_ns, name, sizeof(name));
	err = write_atomic(f->dirfd, name, buf, len);
	if (!err) {
		err = index_window(f, start_ns, end_ns, len);
		if (err)
			unlinkat(f->dirfd, name, 0);
	}
	return err;
}

/* Reads the whole file, refusing more than the decoder would accept. */
static int read_whole(int fd, uint8_t **out, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;

	if (fstat(fd, &sb))
		return -errno;
	if (sb.st_size > (off_t)FMT_PPROF_MAX_BYTES)
		return -EFBIG;
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

int store_folder__read(struct store_folder *f, size_t i, uint8_t **buf, size_t *len)
{
	const struct store_window *w = store_folder__at(f, i);
	char name[NAME_LEN];
	int fd, err;

	store_folder__name(f, w->start_ns, w->end_ns, name, sizeof(name));
	fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_whole(fd, buf, len);
	close(fd);
	return err;
}

void store_folder__forget(struct store_folder *f, size_t i)
{
	f->bytes -= store_folder__at(f, i)->bytes;
	if (i == 0) {
		f->head++;
	} else {
		memmove(store_folder__at(f, i), store_folder__at(f, i + 1),
			(store_folder__count(f) - i - 1) * sizeof(*f->w));
		f->n--;
	}
	if (f->head == f->n)
		f->head = f->n = 0;
}

int store_folder__remove(struct store_folder *f, size_t i)
{
	const struct store_window *w = store_folder__at(f, i);
	char name[NAME_LEN];

	store_folder__name(f, w->start_ns, w->end_ns, name, sizeof(name));
	if (unlinkat(f->dirfd, name, 0) && errno != ENOENT)
		return -errno;
	store_folder__forget(f, i);
	return 0;
}
