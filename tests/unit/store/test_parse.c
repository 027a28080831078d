// SPDX-License-Identifier: MIT
/* Unit tests of the time, duration and size options: RFC 3339 with range checks, relative times. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "helpers.h"

#define S 1000000000LL
#define NOW (1795615200LL * S) /* 2026-11-25T14:00:00Z */

static int64_t parse_ok(const char *s)
{
	int64_t ns = -1;

	assert_int_equal(store_parse_time(s, NOW, &ns), 0);
	return ns;
}

static void test_rfc3339(void **state)
{
	assert_true(parse_ok("2026-11-25T14:00:00Z") == NOW);
	assert_true(parse_ok("2026-11-25t14:00:00z") == NOW);
	assert_true(parse_ok("2026-11-25 14:00:00Z") == NOW);
	assert_true(parse_ok("2026-11-25T15:00:00+01:00") == NOW);
	assert_true(parse_ok("2026-11-25T13:30:00-00:30") == NOW);
	assert_true(parse_ok("2026-11-25T14:00:00.5Z") == NOW + S / 2);
	assert_true(parse_ok("2026-11-25T14:00:00.000000001Z") == NOW + 1);
	assert_true(parse_ok("2024-02-29T23:59:59Z") == 1709251199LL * S);
	assert_true(parse_ok("1970-01-01T00:00:00Z") == 0);
	assert_true(parse_ok("2261-12-31T23:59:59Z") == 9214646399LL * S);
}

static void test_relative(void **state)
{
	assert_true(parse_ok("now") == NOW);
	assert_true(parse_ok("-15m") == NOW - 900 * S);
	assert_true(parse_ok("-2h") == NOW - 7200 * S);
	assert_true(parse_ok("-7d") == NOW - 7 * 86400 * S);
}

/* Issue 10, defect 7: days that do not exist, and years whose nanoseconds overflow, are refused. */
static void test_out_of_range(void **state)
{
	static const char *const bad[] = {
		"2026-02-31T00:00:00Z",	     /* no such day */
		"2026-02-29T00:00:00Z",	     /* not a leap year */
		"2100-02-29T00:00:00Z",	     /* nor is 2100 */
		"2026-04-31T00:00:00Z",
		"9999-01-01T00:00:00Z",	     /* past 2262: int64 nanoseconds overflow */
		"2263-01-01T00:00:00Z",
		"1969-12-31T23:59:59Z",	     /* before the epoch */
		"1970-01-01T00:30:00+01:00", /* the same, by its zone */
		"2026-11-25T24:00:00Z",
		"2026-11-25T14:60:00Z",
		"2026-11-25T14:00:60Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-11-00T00:00:00Z",
		"2026-11-25T14:00:00+24:00",
		"2026-11-25T14:00:00.1234567890Z", /* finer than a nanosecond */
		"2026-11-25T14:00:00.Z",
		"2026-11-25T14:00:00",		   /* no zone */
		"2026-11-25T14:00Z",
		"2026-11-25",
		"2026-11-25T14:00:00Zjunk",
		"+2026-11-25T14:00:00Z",
		"yesterday",
		"-",
		"-15x",
		"",
	};
	int64_t ns;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ns = 42;
		if (store_parse_time(bad[i], NOW, &ns) != -EINVAL)
			fail_msg("\"%s\" was taken as %lld", bad[i], (long long)ns);
	}
}

static void test_duration_and_size(void **state)
{
	int64_t ns;
	uint64_t bytes;

	assert_int_equal(store_parse_duration("90", &ns), 0);
	assert_true(ns == 90 * S);
	assert_int_equal(store_parse_duration("1.5h", &ns), 0);
	assert_true(ns == 5400 * S);
	assert_int_equal(store_parse_duration("2w", &ns), 0);
	assert_true(ns == 14 * 86400 * S);
	assert_int_equal(store_parse_duration("300y", &ns), -EINVAL);
	assert_int_equal(store_parse_duration("9999999999", &ns), -EINVAL);
	assert_int_equal(store_parse_duration("-1s", &ns), -EINVAL);
	assert_int_equal(store_parse_size("512M", &bytes), 0);
	assert_true(bytes == 512ull << 20);
	assert_int_equal(store_parse_size("2GiB", &bytes), 0);
	assert_true(bytes == 2ull << 30);
	assert_int_equal(store_parse_size("100000", &bytes), 0);
	assert_true(bytes == 100000);
	assert_int_equal(store_parse_size("16E", &bytes), -EINVAL);
	assert_int_equal(store_parse_size("1PB", &bytes), -EINVAL);
}

TEST_MAIN(cmocka_unit_test(test_rfc3339),
	  cmocka_unit_test(test_relative),
	  cmocka_unit_test(test_out_of_range),
	  cmocka_unit_test(test_duration_and_size))
