// SPDX-License-Identifier: MIT
/* The store folder: atomic window files, an index rebuilt by a scan, retention, range queries. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/log.h"
#include "profiler/store_internal.h"

#define SUFFIX ".pb.zst"
#define TMP_PREFIX PROF_TMP_PREFIX
#define NAME_MAX_LEN 64

struct window {
	int64_t start_ns, end_ns;
	uint64_t bytes;
	bool damaged; /* reported already: skipped without another line */
};

struct prof_store {
	char *dir;
	int dirfd;
	struct prof_store_opts opts;
	struct window *w; /* sorted by start, then end */
	size_t n, cap;
	struct prof_store_stats st;
};

static void window_name(char *buf, size_t len, int64_t start_ns, int64_t end_ns)
{
	snprintf(buf, len, "%" PRId64 "-%" PRId64 SUFFIX, start_ns, end_ns);
}

static bool parse_digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "<start>-<end>.pb.zst" with start <= end; anything else in the folder is not ours. */
static bool parse_name(const char *name, int64_t *start, int64_t *end)
{
	size_t len = strlen(name), slen = strlen(SUFFIX);
	const char *dash = strchr(name, '-');

	if (len <= slen || strcmp(name + len - slen, SUFFIX) || !dash)
		return false;
	return parse_digits(name, (size_t)(dash - name), start) &&
	       parse_digits(dash + 1, len - slen - (size_t)(dash + 1 - name), end) &&
	       *start <= *end;
}

static int cmp_window(const void *a, const void *b)
{
	const struct window *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns < y->end_ns ? -1 : 1;
	return 0;
}

static int add_window(struct prof_store *s, int64_t start, int64_t end, uint64_t bytes)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct window *w = realloc(s->w, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		s->w = w;
		s->cap = cap;
	}
	s->w[s->n++] = (struct window){.start_ns = start, .end_ns = end, .bytes = bytes};
	s->st.bytes += bytes;
	s->st.files = s->n;
	return 0;
}

/* Rebuilds the index from the folder; with writable, removes what a crash left half-written. */
static int scan(struct prof_store *s)
{
	int fd = dup(s->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int err = 0;

	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (!err && (de = readdir(d))) {
		int64_t start, end;
		struct stat sb;

		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
			if (s->opts.writable && unlinkat(s->dirfd, de->d_name, 0) == 0)
				pr_debug("store %s: removed unfinished %s", s->dir, de->d_name);
			continue;
		}
		if (!parse_name(de->d_name, &start, &end))
			continue;
		if (fstatat(s->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISREG(sb.st_mode))
			continue;
		err = add_window(s, start, end, (uint64_t)sb.st_size);
	}
	closedir(d);
	if (s->n > 1)
		qsort(s->w, s->n, sizeof(*s->w), cmp_window);
	return err;
}

/* Returns false if the file stays (logged): the caller moves on to the next window. */
static bool remove_window(struct prof_store *s, size_t i)
{
	char name[NAME_MAX_LEN];

	window_name(name, sizeof(name), s->w[i].start_ns, s->w[i].end_ns);
	if (unlinkat(s->dirfd, name, 0) && errno != ENOENT) {
		pr_warn("store %s: cannot remove %s: %s", s->dir, name, strerror(errno));
		return false;
	}
	s->st.bytes -= s->w[i].bytes;
	memmove(&s->w[i], &s->w[i + 1], (s->n - i - 1) * sizeof(*s->w));
	s->n--;
	s->st.files = s->n;
	s->st.removed++;
	return true;
}

static bool is_window(const struct window *w, int64_t start_ns, int64_t end_ns)
{
	return w->start_ns == start_ns && w->end_ns == end_ns;
}

/* Oldest first: what is past the age, then while above the size. The window keep_* stays. */
static void apply_retention(struct prof_store *s, int64_t keep_start, int64_t keep_end)
{
	const struct prof_store_opts *o = &s->opts;
	int64_t cutoff = o->max_age_ns ? profd_wall_ns() - o->max_age_ns : INT64_MIN;
	size_t i;

	for (i = 0; i < s->n;) {
		if (s->w[i].end_ns >= cutoff || is_window(&s->w[i], keep_start, keep_end) ||
		    !remove_window(s, i))
			i++;
	}
	for (i = 0; o->max_bytes && s->st.bytes > o->max_bytes && i < s->n;) {
		if (is_window(&s->w[i], keep_start, keep_end) || !remove_window(s, i))
			i++;
	}
}

struct prof_store *prof_store__open(const struct prof_store_opts *o)
{
	struct prof_store *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->opts = *o;
	s->dirfd = -1;
	s->dir = strdup(o->dir);
	if (!s->dir)
		goto fail_errno;
	if (o->writable && mkdir(o->dir, 0750) && errno != EEXIST) {
		pr_warn("store %s: cannot create: %s", o->dir, strerror(errno));
		goto fail_errno;
	}
	s->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		pr_warn("store %s: %s", o->dir, strerror(errno));
		goto fail_errno;
	}
	err = scan(s);
	if (err) {
		pr_warn("store %s: cannot read: %s", o->dir, strerror(-err));
		errno = -err;
		goto fail_errno;
	}
	if (o->writable)
		apply_retention(s, -1, -1);
	return s;

fail_errno:
	err = errno;
	prof_store__free(s);
	errno = err;
	return NULL;
}

void prof_store__free(struct prof_store *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->w);
	free(s->dir);
	free(s);
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
int prof_write_atomic(int dirfd, const char *name, const void *buf, size_t len)
{
	char tmp[NAME_MAX_LEN + 32];
	int fd, err;

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%d.%s", (int)getpid(), name);
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
	if (fsync(dirfd))
		return -errno;
	return 0;
}

int prof_store__write(struct prof_store *s, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns)
{
	char name[NAME_MAX_LEN];
	void *buf = NULL;
	size_t len = 0;
	int err;

	window_name(name, sizeof(name), start_ns, end_ns);
	err = fmt_store_encode(w, NULL, &buf, &len);
	if (!err)
		err = prof_write_atomic(s->dirfd, name, buf, len);
	free(buf);
	if (!err)
		err = add_window(s, start_ns, end_ns, len);
	if (err) {
		s->st.write_failures++;
		pr_warn("store %s: cannot write %s: %s", s->dir, name, strerror(-err));
		return err;
	}
	s->st.windows_written++;
	/* Windows arrive in time order, so the index stays sorted unless the clock stepped back. */
	if (s->n > 1 && cmp_window(&s->w[s->n - 2], &s->w[s->n - 1]) > 0)
		qsort(s->w, s->n, sizeof(*s->w), cmp_window);
	apply_retention(s, start_ns, end_ns);
	return 0;
}

/* Reads one file whole, refusing more than the decoder would accept. */
int prof_read_file(int dirfd, const char *name, uint8_t **out, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		err = -errno;
		goto out;
	}
	if (sb.st_size > (off_t)FMT_PPROF_MAX_BYTES) {
		err = -EFBIG;
		goto out;
	}
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			free(buf);
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
out:
	close(fd);
	return err;
}

static void report_damaged(struct prof_store *s, struct window *w, const char *name,
			   const char *why)
{
	if (w->damaged)
		return;
	w->damaged = true;
	s->st.damaged++;
	pr_warn("store %s: %s: damaged window skipped: %s", s->dir, name, why);
}

static int merge_window(struct prof_store *s, struct window *w, const struct fmt_filter *f,
			struct fmt_profile *dst)
{
	struct fmt_error ferr = {{0}};
	struct fmt_profile *p;
	char name[NAME_MAX_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (w->damaged)
		return 0;
	window_name(name, sizeof(name), w->start_ns, w->end_ns);
	err = prof_read_file(s->dirfd, name, &buf, &len);
	if (err == -ENOENT)
		return 0; /* removed by the agent's retention since the scan */
	if (err == -EFBIG || err == -EIO) {
		report_damaged(s, w, name, strerror(-err));
		return 0;
	}
	if (err)
		return err;
	p = fmt_profile__new(0);
	if (!p) {
		free(buf);
		return -ENOMEM;
	}
	err = fmt_store_decode(p, buf, len, &ferr);
	free(buf);
	if (err == -EINVAL) {
		report_damaged(s, w, name, ferr.msg);
		fmt_profile__free(p);
		return 0;
	}
	if (!err)
		err = fmt_profile__merge(dst, p, f);
	fmt_profile__free(p);
	return err ? err : 1;
}

int prof_store__query(struct prof_store *s, int64_t from_ns, int64_t to_ns,
		      const struct fmt_filter *f, struct fmt_profile *dst)
{
	int merged = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct window *w = &s->w[i];
		int ret;

		/* Both spans half-open: a window that ends where the range starts is not in it. */
		if (w->start_ns >= to_ns)
			break;
		if (w->end_ns <= from_ns)
			continue;
		ret = merge_window(s, w, f, dst);
		if (ret < 0)
			return ret;
		merged += ret;
	}
	return merged;
}

void prof_store__stats(const struct prof_store *s, struct prof_store_stats *out)
{
	*out = s->st;
}

void prof_store__span(const struct prof_store *s, struct prof_store_span *out)
{
	memset(out, 0, sizeof(*out));
	out->windows = s->n;
	if (!s->n)
		return;
	out->first_ns = s->w[0].start_ns;
	for (size_t i = 0; i < s->n; i++) {
		if (s->w[i].end_ns > out->last_ns)
			out->last_ns = s->w[i].end_ns;
		out->covered_ns += s->w[i].end_ns - s->w[i].start_ns;
	}
}
