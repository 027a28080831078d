// SPDX-License-Identifier: MIT
/*
 * The history: zstd profiles of windows in one folder, with retention and range queries. CPU
 * windows are "<start>-<end>.pb.zst"; with --off-cpu each window has an off-CPU twin,
 * "<start>-<end>.off-cpu.pb.zst": two window folders over one directory, whose retention
 * counts them together.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/new.h"
#include "store/store_internal.h"

#define NAME_LEN 64
#define NKINDS 2 /* the types stored: CPU and off CPU (a wall view is made of both) */

static const char *const suffixes[NKINDS] = {
	[FMT_TYPE_CPU] = ".pb.zst",
	[FMT_TYPE_OFF_CPU] = ".off-cpu.pb.zst",
};

struct store_history {
	struct store_folder folders[NKINDS]; /* by enum fmt_type */
	struct store_history_opts opts;
	struct store_history_stats st; /* files and bytes come from the folder */
	uint64_t failing; /* windows failed in a row: said once, when the streak starts and ends */
};

static bool is_window(const struct store_window *w, int64_t start_ns, int64_t end_ns)
{
	return w->start_ns == start_ns && w->end_ns == end_ns;
}

static uint64_t bytes(const struct store_history *h)
{
	return h->folders[0].bytes + h->folders[1].bytes;
}

/* Removes window i of folder k; returns false if its file stays (logged): the caller moves on. */
static bool remove_window(struct store_history *h, int k, size_t i)
{
	int err = store_folder__remove(&h->folders[k], i);

	if (err) {
		pr_warn("store %s: cannot remove a window: %s", h->opts.dir, strerror(-err));
		return false;
	}
	h->st.removed++;
	return true;
}

/* Past the age: every window that ended before the cutoff, but the one kept. */
static void remove_old(struct store_history *h, int k, int64_t cutoff, int64_t keep_start,
		       int64_t keep_end)
{
	struct store_folder *f = &h->folders[k];

	for (size_t i = 0; i < store_folder__count(f);) {
		const struct store_window *w = store_folder__at(f, i);

		if (w->end_ns >= cutoff || is_window(w, keep_start, keep_end) ||
		    !remove_window(h, k, i))
			i++;
	}
}

/*
 * Oldest first: what is past the age, then while both kinds together are above the size, the
 * oldest window of either. The windows keep_* stay.
 */
static void apply_retention(struct store_history *h, int64_t keep_start, int64_t keep_end)
{
	const struct store_history_opts *o = &h->opts;
	int64_t cutoff = o->max_age_ns ? profd_wall_ns() - o->max_age_ns : INT64_MIN;
	size_t at[NKINDS] = {0};

	for (int k = 0; k < NKINDS; k++)
		remove_old(h, k, cutoff, keep_start, keep_end);
	while (o->max_bytes && bytes(h) > o->max_bytes) {
		const struct store_window *w[NKINDS];
		int k;

		for (k = 0; k < NKINDS; k++)
			w[k] = at[k] < store_folder__count(&h->folders[k])
				       ? store_folder__at(&h->folders[k], at[k])
				       : NULL;
		if (!w[0] && !w[1])
			break;
		k = !w[0] || (w[1] && w[1]->start_ns < w[0]->start_ns);
		if (is_window(w[k], keep_start, keep_end) || !remove_window(h, k, at[k]))
			at[k]++;
	}
}

struct store_history *store_history__open(const struct store_history_opts *o)
{
	struct store_history *h = calloc(1, sizeof(*h));
	int err = 0;

	if (!h)
		return NULL;
	h->opts = *o;
	for (int k = 0; k < NKINDS; k++)
		h->folders[k].dirfd = -1;
	for (int k = 0; k < NKINDS && !err; k++) {
		struct store_folder_opts fo = {
			.dir = o->dir, .suffix = suffixes[k], .writable = o->writable};

		err = store_folder__open(&h->folders[k], &fo) ?: store_folder__scan(&h->folders[k]);
	}
	if (err) {
		pr_warn("store %s: %s", o->dir, strerror(-err));
		return PROFD_NEW_FAILED(store_history__free, h, err);
	}
	h->opts.dir = h->folders[0].dir;
	if (o->writable)
		apply_retention(h, -1, -1);
	return h;
}

void store_history__free(struct store_history *h)
{
	if (!h)
		return;
	for (int k = 0; k < NKINDS; k++)
		store_folder__release(&h->folders[k]);
	free(h);
}

int store_history__write(struct store_history *h, const struct fmt_profile *w, int64_t start_ns,
			 int64_t end_ns)
{
	struct store_folder *f = &h->folders[w->type == FMT_TYPE_OFF_CPU];
	void *buf = NULL;
	size_t len = 0;
	int err = w->type == FMT_TYPE_WALL ? -EINVAL : 0;

	err = err ?: fmt_store_encode(w, NULL, &buf, &len);
	if (!err)
		err = store_folder__add(f, start_ns, end_ns, buf, len);
	free(buf);
	if (err) {
		char name[NAME_LEN];

		store_folder__name(f, start_ns, end_ns, name, sizeof(name));
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

static void report_damaged(struct store_history *h, int k, struct store_window *w, const char *why)
{
	char name[NAME_LEN];

	if (w->damaged)
		return;
	w->damaged = true;
	h->st.damaged++;
	store_folder__name(&h->folders[k], w->start_ns, w->end_ns, name, sizeof(name));
	pr_warn("store %s: %s: damaged window skipped: %s", h->opts.dir, name, why);
}

/* Merges window i of folder k into dst. Returns 1 if it did, 0 for one skipped, or -errno. */
static int merge_window(struct store_history *h, int k, size_t i, const struct fmt_filter *f,
			struct fmt_profile *dst)
{
	struct store_window *w = store_folder__at(&h->folders[k], i);
	struct fmt_error ferr = {{0}};
	struct fmt_profile *p;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (w->damaged)
		return 0;
	err = store_folder__read(&h->folders[k], i, &buf, &len);
	if (err == -ENOENT)
		return 0; /* removed by the agent's retention since the scan */
	if (err == -EFBIG || err == -EIO) {
		report_damaged(h, k, w, strerror(-err));
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
	/* A window of the other kind under this name is damage too. */
	if (!err && p->type != (enum fmt_type)k) {
		snprintf(ferr.msg, sizeof(ferr.msg), "a %s profile", fmt_type_name(p->type));
		err = -EINVAL;
	}
	if (err == -EINVAL) {
		report_damaged(h, k, w, ferr.msg);
		fmt_profile__free(p);
		return 0;
	}
	if (!err)
		err = fmt_profile__merge(dst, p, f);
	fmt_profile__free(p);
	return err ? err : 1;
}

/* The windows of folder k that overlap the range, into dst. Returns how many or -errno. */
static int query_kind(struct store_history *h, int k, int64_t from_ns, int64_t to_ns,
		      const struct fmt_filter *f, struct fmt_profile *dst)
{
	int merged = 0;

	for (size_t i = 0; i < store_folder__count(&h->folders[k]); i++) {
		const struct store_window *w = store_folder__at(&h->folders[k], i);
		int ret;

		/* Both spans half-open: a window that ends where the range starts is not in it. */
		if (w->start_ns >= to_ns)
			break;
		if (w->end_ns <= from_ns)
			continue;
		ret = merge_window(h, k, i, f, dst);
		if (ret < 0)
			return ret;
		merged += ret;
	}
	return merged;
}

int store_history__query(struct store_history *h, int64_t from_ns, int64_t to_ns,
			 const struct fmt_filter *f, struct fmt_profile *dst)
{
	int merged = 0, ret;

	for (int k = 0; k < NKINDS; k++) {
		if (dst->type != (enum fmt_type)k && dst->type != FMT_TYPE_WALL)
			continue;
		ret = query_kind(h, k, from_ns, to_ns, f, dst);
		if (ret < 0)
			return ret;
		merged += ret;
	}
	return merged;
}

void store_history__stats(const struct store_history *h, struct store_history_stats *out)
{
	*out = h->st;
	out->files = store_folder__count(&h->folders[0]) + store_folder__count(&h->folders[1]);
	out->bytes = bytes(h);
}

/* The span of the CPU windows: each off-CPU window has a CPU twin of the same times. */
void store_history__span(const struct store_history *h, struct store_history_span *out)
{
	const struct store_folder *f = &h->folders[FMT_TYPE_CPU];
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
