// SPDX-License-Identifier: MIT
/* Unit tests of -C's CPU lists (profiler/perf_events.c): the syntax perf -C and /sys take, and
 * the CPUs chosen from them, each once and online. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "profiler/sampling_internal.h"
#include "helpers.h"

static void test_lists_parse(void **state)
{
	static const struct {
		const char *s;
		int n, first, last;
	} ok[] = {
		{"0", 1, 0, 0}, {"0-3", 4, 0, 3}, {"0-3,6,8-9", 7, 0, 9}, {"2,1", 2, 2, 1},
		{"0-1\n", 2, 0, 1}, /* as /sys writes it */
	};
	static const char *const bad[] = {"", "x", "-1", "1-0", "0-", "0,,1", "0;1", "1-x", "0-70000"};
	int *cpus;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cpus = NULL;
		assert_int_equal(prof_parse_cpu_list(ok[i].s, &cpus), ok[i].n);
		assert_int_equal(cpus[0], ok[i].first);
		assert_int_equal(cpus[ok[i].n - 1], ok[i].last);
		free(cpus);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cpus = NULL;
		assert_int_equal(prof_parse_cpu_list(bad[i], &cpus), -EINVAL);
		assert_null(cpus);
	}
}

static void test_sampled_cpus_are_online_and_once(void **state)
{
	int *online = NULL, *cpus = NULL, offline = -1;
	int n = prof_online_cpus(&online);

	assert_true(n >= 1);
	/* No list: every online CPU. */
	assert_int_equal(prof_sampled_cpus(NULL, &cpus, &offline), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(cpus[i], online[i]);
	free(cpus);
	/* A CPU listed twice is sampled once. */
	cpus = NULL;
	assert_int_equal(prof_sampled_cpus("0,0-0,0", &cpus, &offline), 1);
	assert_int_equal(cpus[0], 0);
	free(cpus);
	/* No machine here has CPU 65535 online. */
	cpus = NULL;
	assert_int_equal(prof_sampled_cpus("0,65535", &cpus, &offline), -ENODEV);
	assert_int_equal(offline, 65535);
	assert_null(cpus);
	assert_int_equal(prof_sampled_cpus("0-", &cpus, &offline), -EINVAL);
	free(online);
}

TEST_MAIN(cmocka_unit_test(test_lists_parse),
	  cmocka_unit_test(test_sampled_cpus_are_online_and_once))
