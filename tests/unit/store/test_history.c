// SPDX-License-Identifier: MIT
/*
 * Unit tests of the history: atomic windows, the index a scan rebuilds, retention, range queries,
 * failed writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "folded_text.h"
#include "helpers.h"
#include "store/store_internal.h"

#define S 1000000000LL

/* test_dir/name; the buffer is PATH_MAX bytes. */
static const char *in_dir(char *buf, const char *name)
{
	pathf(buf, "%s/%s", test_dir, name);
	return buf;
}

/* A window of n samples of one stack, "app;work_<tag> n". */
static struct fmt_profile *window(int tag, int64_t n)
{
	struct fmt_profile *p = fmt_profile__new(10000000);
	char text[64];

	snprintf(text, sizeof(text), "app;work_%d %lld\n", tag, (long long)n);
	folded_read_into(p, text);
	return p;
}

static struct store_history *open_history(int64_t max_age_ns, uint64_t max_bytes)
{
	struct store_history_opts o = {
		.dir = test_dir, .writable = true, .max_age_ns = max_age_ns, .max_bytes = max_bytes};
	struct store_history *h = store_history__open(&o);

	assert_non_null(h);
	return h;
}

static void write_window(struct store_history *h, int i, int64_t t0)
{
	struct fmt_profile *p = window(i, 10 + i);

	assert_int_equal(store_history__write(h, p, t0 + i * S, t0 + (i + 1) * S), 0);
	fmt_profile__free(p);
}

/* Samples of one type (CPU, off CPU, or both as wall time) in [from, to) merged, and how many
 * windows. */
static int64_t query_type(struct store_history *h, enum fmt_type type, int64_t from, int64_t to,
			  int *windows)
{
	struct fmt_profile *p = fmt_profile__new_type(type, 0);
	int64_t total;

	assert_non_null(p);
	*windows = store_history__query(h, from, to, NULL, p);
	assert_true(*windows >= 0);
	total = p->total;
	fmt_profile__free(p);
	return total;
}

/* CPU samples of [from, to) merged, and how many windows. */
static int64_t query(struct store_history *h, int64_t from, int64_t to, int *windows)
{
	return query_type(h, FMT_TYPE_CPU, from, to, windows);
}

static void test_write_query_reopen(void **state)
{
	int64_t t0 = profd_wall_ns() - 100 * S;
	struct store_history *h = open_history(0, 0);
	struct store_history_stats st;
	struct store_history_span span;
	char path[PATH_MAX];
	int n;

	for (int i = 4; i >= 0; i--) /* out of order: the index sorts */
		write_window(h, i, t0);
	store_history__free(h);
	write_str(in_dir(path, STORE_TMP_PREFIX "1.half"), "unfinished");
	write_str(in_dir(path, "notes.txt"), "not a window");
	write_str(in_dir(path, "01-02.pb.zst"), "not a name we write");

	h = open_history(0, 0);
	assert_int_equal(access(in_dir(path, STORE_TMP_PREFIX "1.half"), F_OK), -1);
	assert_int_equal(access(in_dir(path, "notes.txt"), F_OK), 0);
	store_history__stats(h, &st);
	assert_int_equal(st.files, 5);
	store_history__span(h, &span);
	assert_int_equal(span.windows, 5);
	assert_true(span.first_ns == t0 && span.last_ns == t0 + 5 * S && span.covered_ns == 5 * S);
	/* Half-open: [t0 + 1 s, t0 + 3 s) is windows 1 and 2, not the ones that touch it. */
	assert_int_equal(query(h, t0 + S, t0 + 3 * S, &n), 11 + 12);
	assert_int_equal(n, 2);
	assert_int_equal(query(h, INT64_MIN, INT64_MAX, &n), 10 + 11 + 12 + 13 + 14);
	assert_int_equal(n, 5);
	assert_int_equal(query(h, t0 + 10 * S, t0 + 11 * S, &n), 0);
	assert_int_equal(n, 0);
	store_history__free(h);
}

static void test_retention_by_size(void **state)
{
	int64_t t0 = profd_wall_ns() - 100 * S;
	struct store_history *h = open_history(0, 1);
	struct store_history_stats st;
	int n;

	/* A bound below one window: each write keeps only the window just written. */
	for (int i = 0; i < 3; i++)
		write_window(h, i, t0);
	store_history__stats(h, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.removed, 2);
	assert_int_equal(st.windows_written, 3);
	assert_int_equal(query(h, INT64_MIN, INT64_MAX, &n), 12);
	store_history__free(h);
}

static void test_retention_by_age(void **state)
{
	int64_t now = profd_wall_ns();
	struct store_history *h = open_history(0, 0);
	struct store_history_stats st;

	write_window(h, 0, now - 3 * 86400 * S); /* ended three days ago */
	write_window(h, 0, now - 10 * S);
	store_history__free(h);
	h = open_history(86400 * S, 0);
	store_history__stats(h, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.removed, 1);
	store_history__free(h);
}

/* An off-CPU window of n microseconds of one stack. */
static struct fmt_profile *off_cpu_window(int64_t n)
{
	struct fmt_profile *p = fmt_profile__new_type(FMT_TYPE_OFF_CPU, 0);

	folded_read_into(p, "app;wait 1\n");
	p->samples[0].count = n;
	p->total = n;
	return p;
}

/* Off-CPU windows beside the CPU ones: read by type, kept by one size for both kinds. */
static void test_off_cpu_windows(void **state)
{
	int64_t t0 = profd_wall_ns() - 100 * S;
	struct store_history *h = open_history(0, 0);
	struct store_history_stats st;
	char path[PATH_MAX];
	int64_t total;
	uint64_t two;
	int n;

	for (int i = 0; i < 3; i++) {
		struct fmt_profile *p = off_cpu_window(1000000 * (i + 1));

		write_window(h, i, t0);
		assert_int_equal(store_history__write(h, p, t0 + i * S, t0 + (i + 1) * S), 0);
		fmt_profile__free(p);
	}
	pathf(path, "%s/%lld-%lld.off-cpu.pb.zst", test_dir, (long long)t0, (long long)(t0 + S));
	assert_int_equal(access(path, F_OK), 0);
	store_history__stats(h, &st);
	assert_int_equal(st.files, 6);
	assert_int_equal(query_type(h, FMT_TYPE_CPU, INT64_MIN, INT64_MAX, &n), 10 + 11 + 12);
	assert_int_equal(n, 3);
	assert_int_equal(query_type(h, FMT_TYPE_OFF_CPU, INT64_MIN, INT64_MAX, &n), 6000000);
	assert_int_equal(n, 3);
	/* Wall: CPU samples of 10 ms, 33 of them, and the time off CPU. */
	assert_int_equal(query_type(h, FMT_TYPE_WALL, INT64_MIN, INT64_MAX, &n), 330000 + 6000000);
	assert_int_equal(n, 6);
	two = st.bytes * 2 / 6 + 1; /* about two windows' worth */
	store_history__free(h);

	/* The size bound counts both kinds: the oldest go first, whichever kind they are. */
	h = open_history(0, two);
	store_history__stats(h, &st);
	assert_true(st.bytes <= two);
	total = query_type(h, FMT_TYPE_OFF_CPU, INT64_MIN, INT64_MAX, &n);
	assert_true(n >= 1 && n <= 2);
	assert_int_equal(total, n == 1 ? 3000000 : 5000000);
	store_history__free(h);
}

/* A damaged window is skipped, reported and counted once; the others are merged. */
static void test_damaged(void **state)
{
	int64_t t0 = 1795640000LL * S;
	struct store_history *h = open_history(0, 0);
	struct store_history_stats st;
	char name[64], path[PATH_MAX];
	int n;

	write_window(h, 0, t0);
	write_window(h, 1, t0);
	snprintf(name, sizeof(name), "%lld-%lld.pb.zst", (long long)(t0 + S),
		 (long long)(t0 + 2 * S));
	write_str(in_dir(path, name), "not zstd");
	assert_int_equal(query(h, INT64_MIN, INT64_MAX, &n), 10);
	assert_int_equal(n, 1);
	assert_int_equal(query(h, INT64_MIN, INT64_MAX, &n), 10);
	store_history__stats(h, &st);
	assert_int_equal(st.damaged, 1);
	store_history__free(h);
}

/* The same times again (the clock stepped back to them): one window, the newer bytes. */
static void test_same_times_replace(void **state)
{
	int64_t t0 = 1795640000LL * S;
	struct store_history *h = open_history(0, 0);
	struct fmt_profile *p = window(7, 70);
	struct store_history_stats st;
	int n;

	write_window(h, 0, t0);
	assert_int_equal(store_history__write(h, p, t0, t0 + S), 0);
	store_history__stats(h, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(query(h, INT64_MIN, INT64_MAX, &n), 70);
	fmt_profile__free(p);
	store_history__free(h);
}

/* A folder where window i's file would go: renaming the window onto it fails, as on a full disk. */
static void block_window(int i, int64_t t0)
{
	char path[PATH_MAX];

	pathf(path, "%s/%lld-%lld.pb.zst", test_dir, (long long)(t0 + i * S),
	      (long long)(t0 + (i + 1) * S));
	mkdirs(path);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A disk that stays full: one line when failing starts, one when writing works again. */
static void test_failure_streak_said_once(void **state)
{
	int64_t t0 = 1795640000LL * S;
	struct store_history *h = open_history(0, 0);
	struct fmt_profile *p = window(0, 3);
	struct store_history_stats st;
	char log[PATH_MAX], text[4096] = "";
	int saved = dup(STDERR_FILENO), fd;
	ssize_t n;

	for (int i = 1; i <= 40; i++)
		block_window(i, t0);
	pathf(log, "%s.log", test_dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	assert_int_equal(store_history__write(h, p, t0, t0 + S), 0);
	for (int i = 1; i <= 40; i++)
		assert_true(store_history__write(h, p, t0 + i * S, t0 + (i + 1) * S) < 0);
	assert_int_equal(store_history__write(h, p, t0 + 41 * S, t0 + 42 * S), 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	fd = open(log, O_RDONLY);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(log);
	text[n > 0 ? n : 0] = '\0';
	assert_int_equal(count(text, "\n"), 2);
	assert_int_equal(count(text, "cannot write"), 1);
	assert_non_null(strstr(text, "writing again, after 40 windows"));
	store_history__stats(h, &st);
	assert_int_equal(st.write_failures, 40);
	assert_int_equal(st.windows_written, 2);
	fmt_profile__free(p);
	store_history__free(h);
}

TEST_MAIN(TEST_IN_DIR(test_write_query_reopen),
	  TEST_IN_DIR(test_retention_by_size),
	  TEST_IN_DIR(test_retention_by_age),
	  TEST_IN_DIR(test_off_cpu_windows),
	  TEST_IN_DIR(test_damaged),
	  TEST_IN_DIR(test_same_times_replace),
	  TEST_IN_DIR(test_failure_streak_said_once))
