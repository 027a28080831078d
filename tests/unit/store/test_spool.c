// SPDX-License-Identifier: MIT
/* Unit tests of the push spool: its bound, oldest-first eviction and draining, restarts. */
#include <dirent.h>
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

#include "store/store_internal.h"
#include "helpers.h"

#define S 1000000000LL
#define T0 1795640000000000000LL

/* A stand-in gzip body of len bytes, tagged with i so windows can be told apart. */
static void body(uint8_t *buf, size_t len, int i)
{
	memset(buf, i, len);
	buf[0] = 0x1f;
	buf[1] = 0x8b;
}

static size_t files_on_disk(void)
{
	DIR *d = opendir(test_dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A spool of the given bound over the test's folder, which holds no windows yet. */
static struct store_spool *open_empty(uint64_t bound)
{
	struct store_spool *s = store_spool__open(test_dir, bound);

	assert_non_null(s);
	assert_int_equal(store_spool__scan(s), 0);
	return s;
}

static void add(struct store_spool *s, int i, size_t len, int dropped)
{
	uint8_t buf[1024];

	body(buf, len, i);
	assert_int_equal(store_spool__add(s, T0 + i * S, T0 + (i + 1) * S, buf, len), dropped);
}

/* Reads the oldest and checks it is window i; pops it when asked. */
static void expect_oldest(struct store_spool *s, int i, size_t len, bool pop)
{
	int64_t start, end;
	uint8_t *buf;
	size_t n;

	assert_int_equal(store_spool__oldest(s, &start, &end, (void **)&buf, &n), 0);
	assert_int_equal(start, T0 + i * S);
	assert_int_equal(end, T0 + (i + 1) * S);
	assert_int_equal(n, len);
	assert_int_equal(buf[len - 1], i);
	free(buf);
	if (pop)
		store_spool__pop(s);
}

static void expect_stats(struct store_spool *s, size_t files, uint64_t bytes, uint64_t damaged)
{
	size_t f;
	uint64_t b, dmg;

	store_spool__stats(s, &f, &b, &dmg);
	assert_int_equal(f, files);
	assert_int_equal(b, bytes);
	assert_int_equal(dmg, damaged);
	assert_int_equal(files_on_disk(), files);
}

static void test_bound_drops_oldest(void **state)
{
	struct store_spool *s = open_empty(1000);

	(void)state;
	add(s, 1, 300, 0);
	add(s, 2, 300, 0);
	add(s, 3, 300, 0);
	expect_stats(s, 3, 900, 0);
	add(s, 4, 300, 1); /* 1200 > 1000: window 1 goes */
	expect_stats(s, 3, 900, 0);
	expect_oldest(s, 2, 300, false);
	add(s, 5, 700, 2); /* 900 + 700: windows 2 and 3 go */
	expect_stats(s, 2, 1000, 0);
	add(s, 6, 1000, 2); /* 1000 bytes alone: everything else goes */
	expect_stats(s, 1, 1000, 0);
	store_spool__free(s);
}

static void test_too_big_alone(void **state)
{
	struct store_spool *s = open_empty(500);

	(void)state;
	add(s, 1, 100, 0);
	add(s, 2, 501, 1); /* dropped itself; what is there stays */
	expect_stats(s, 1, 100, 0);
	expect_oldest(s, 1, 100, false);
	store_spool__free(s);
}

/* Drained oldest first, whatever order the windows came in; empty at the end. */
static void test_drain_in_order(void **state)
{
	struct store_spool *s = open_empty(1 << 20);
	int64_t start, end;
	void *buf;
	size_t n;

	(void)state;
	add(s, 3, 50, 0);
	add(s, 4, 60, 0);
	add(s, 1, 70, 0); /* the clock stepped back */
	add(s, 2, 80, 0);
	expect_oldest(s, 1, 70, true);
	expect_oldest(s, 2, 80, true);
	expect_oldest(s, 3, 50, true);
	expect_oldest(s, 4, 60, true);
	assert_int_equal(store_spool__oldest(s, &start, &end, &buf, &n), -ENOENT);
	expect_stats(s, 0, 0, 0);
	store_spool__free(s);
}

/* A restart finds the windows in order, clears unfinished files and applies a smaller bound. */
static void test_restart(void **state)
{
	struct store_spool *s = open_empty(1 << 20);
	char tmp[PATH_MAX];
	int fd;

	(void)state;
	for (int i = 1; i <= 5; i++)
		add(s, i, 100, 0);
	store_spool__free(s);
	pathf(tmp, "%s/" STORE_TMP_PREFIX "1.x", test_dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);

	s = store_spool__open(test_dir, 300);
	assert_non_null(s);
	assert_int_equal(store_spool__scan(s), 2); /* 500 bytes over 300: windows 1 and 2 go */
	assert_int_equal(access(tmp, F_OK), -1);
	expect_stats(s, 3, 300, 0);
	expect_oldest(s, 3, 100, true);
	expect_oldest(s, 4, 100, true);
	expect_oldest(s, 5, 100, true);
	store_spool__free(s);
}

/* A damaged file is removed and counted; the next one is read. */
static void test_damaged(void **state)
{
	struct store_spool *s = open_empty(1 << 20);
	uint8_t buf[64];
	int64_t start, end;
	void *got;
	size_t n;

	(void)state;
	memset(buf, 'x', sizeof(buf)); /* not gzip */
	assert_int_equal(store_spool__add(s, T0, T0 + S, buf, sizeof(buf)), 0);
	add(s, 1, 40, 0);
	assert_int_equal(store_spool__oldest(s, &start, &end, &got, &n), -EBADMSG);
	expect_stats(s, 1, 40, 1);
	expect_oldest(s, 1, 40, true);
	expect_stats(s, 0, 0, 1);
	store_spool__free(s);
}

TEST_MAIN(TEST_IN_DIR(test_bound_drops_oldest),
	  TEST_IN_DIR(test_too_big_alone),
	  TEST_IN_DIR(test_drain_in_order),
	  TEST_IN_DIR(test_restart),
	  TEST_IN_DIR(test_damaged))
