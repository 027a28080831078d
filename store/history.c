// SPDX-License-Identifier: MIT
/* The history: a window folder of zstd profiles, with retention and range queries. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/store_internal.h"

#define SUFFIX ".pb.zst"
#define NAME_LEN 64

struct store_history {
	struct store_folder folder;
	struct store_history_opts opts;
	struct store_history_stats st; /* files and bytes come from the folder */
	uint64_t failing; /* windows failed in a row: said once, when the streak starts and ends */
};

static bool is_window(const struct store_window *w, int64_t start_ns, int64_t end_ns)
{
	return w->start_ns == start_ns && w->end_ns == end_ns;
}

/* Removes window i; returns false if its file stays (logged): the caller moves on. */
static bool remove_window(struct store_history *h, size_t i)
{
	int err = store_folder__remove(&h->folder, i);

	if (err) {
		pr_warn("store %s: cannot remove a window: %s", h->opts.dir, strerror(-err));
		return false;
	}
	h->st.removed++;
	return true;
}

/* Oldest first: what is past the age, then while above the size. The window keep_* stays. */
static void apply_retention(struct store_history *h, int64_t keep_start, int64_t keep_end)
{
	const struct store_history_opts *o = &h->opts;
	int64_t cutoff = o->max_age_ns ? profd_wall_ns() - o->max_age_ns : INT64_MIN;
	struct store_folder *f = &h->folder;
	size_t i;

	for (i = 0; i < store_folder__count(f);) {
		const struct store_window *w = store_folder__at(f, i);

		if (w->end_ns >= cutoff || is_window(w, keep_start, keep_end) ||
		    !remove_window(h, i))
			i++;
	}
	for (i = 0; o->max_bytes && f->bytes > o->max_bytes && i < store_folder__count(f);) {
		if (is_window(store_folder__at(f, i), keep_start, keep_end) || !remove_window(h, i))
			i++;
	}
}

struct store_history *store_history__open(const struct store_history_opts *o)
{
	struct store_folder_opts fo = {.dir = o->dir, .suffix = SUFFIX, .writable = o->writable};
	struct store_history *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return NULL;
	h->opts = *o;
	err = store_folder__open(&h->folder, &fo) ?: store_folder__scan(&h->folder);
	if (err) {
		pr_warn("store %s: %s", o->dir, strerror(-err));
		store_history__free(h);
		errno = -err;
		return NULL;
	}
	h->opts.dir = h->folder.dir;
	if (o->writable)
		apply_retention(h, -1, -1);
	return h;
}

void store_history__free(struct store_history *h)
{
	if (!h)
		return;
	store_folder__release(&h->folder);
	free(h);
}

int store_history__write(struct store_history *h, const struct fmt_profile *w, int64_t start_ns,
			 int64_t end_ns)
{
	void *buf = NULL;
	size_t len = 0;
	int err;

	err = fmt_store_encode(w, NULL, &buf, &len);
	if (!err)
		err = store_folder__add(&h->folder, start_ns, end_ns, buf, len);
	free(buf);
	if (err) {
		char name[NAME_LEN];

		store_folder__name(&h->folder, start_ns, end_ns, name, sizeof(name));
		h->st.write_failures++;
		if (!h->failing++)
			pr_warn("store %s: cannot write %s: %s (windows are dropped until a write "
				"works again; profd_window_write_failures_total counts them)",
				h->opts.dir, name, strerror(-err));
		return err;
	}
	if (h->failing)
		pr_info("store %s: writing again, after %llu windows that could not be written",
			h->opts.dir, (unsigned long long)h->failing);
	h->failing = 0;
	h->st.windows_written++;
	apply_retention(h, start_ns, end_ns);
	return 0;
}

static void report_damaged(struct store_history *h, struct store_window *w, const char *why)
{
	char name[NAME_LEN];

	if (w->damaged)
		return;
	w->damaged = true;
	h->st.damaged++;
	store_folder__name(&h->folder, w->start_ns, w->end_ns, name, sizeof(name));
	pr_warn("store %s: %s: damaged window skipped: %s", h->opts.dir, name, why);
}

/* Merges window i into dst. Returns 1 if it did, 0 for a window skipped, or -errno. */
static int merge_window(struct store_history *h, size_t i, const struct fmt_filter *f,
			struct fmt_profile *dst)
{
	struct store_window *w = store_folder__at(&h->folder, i);
	struct fmt_error ferr = {{0}};
	struct fmt_profile *p;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (w->damaged)
		return 0;
	err = store_folder__read(&h->folder, i, &buf, &len);
	if (err == -ENOENT)
		return 0; /* removed by the agent's retention since the scan */
	if (err == -EFBIG || err == -EIO) {
		report_damaged(h, w, strerror(-err));
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
		report_damaged(h, w, ferr.msg);
		fmt_profile__free(p);
		return 0;
	}
	if (!err)
		err = fmt_profile__merge(dst, p, f);
	fmt_profile__free(p);
	return err ? err : 1;
}

int store_history__query(struct store_history *h, int64_t from_ns, int64_t to_ns,
			 const struct fmt_filter *f, struct fmt_profile *dst)
{
	int merged = 0;

	for (size_t i = 0; i < store_folder__count(&h->folder); i++) {
		const struct store_window *w = store_folder__at(&h->folder, i);
		int ret;

		/* Both spans half-open: a window that ends where the range starts is not in it. */
		if (w->start_ns >= to_ns)
			break;
		if (w->end_ns <= from_ns)
			continue;
		ret = merge_window(h, i, f, dst);
		if (ret < 0)
			return ret;
		merged += ret;
	}
	return merged;
}

void store_history__stats(const struct store_history *h, struct store_history_stats *out)
{
	*out = h->st;
	out->files = store_folder__count(&h->folder);
	out->bytes = h->folder.bytes;
}

void store_history__span(const struct store_history *h, struct store_history_span *out)
{
	const struct store_folder *f = &h->folder;
	size_t n = store_folder__count(f);

	memset(out, 0, sizeof(*out));
	out->windows = n;
	if (!n)
		return;
	out->first_ns = store_folder__at(f, 0)->start_ns;
	for (size_t i = 0; i < n; i++) {
		const struct store_window *w = store_folder__at(f, i);

		if (w->end_ns > out->last_ns)
			out->last_ns = w->end_ns;
		out->covered_ns += w->end_ns - w->start_ns;
	}
}
