// SPDX-License-Identifier: MIT
/* Unit tests of common/: the hash table (against a plain array as the truth) and the clocks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/htab.h"
#include "helpers.h"

#define N 5000

/* Every value stored under key, in any order, as a bit set of values 1..64. */
static uint64_t values_under(const struct profd_htab *t, uint64_t key)
{
	size_t pos = PROFD_HTAB_START;
	uint64_t v, seen = 0;

	while ((v = profd_htab_next(t, key, &pos)))
		seen |= 1ull << (v - 1);
	return seen;
}

static void test_unique_keys(void **state)
{
	struct profd_htab t = {0};

	assert_int_equal(profd_htab_get(&t, 7), 0);
	for (uint64_t k = 0; k < N; k++)
		assert_int_equal(profd_htab_set(&t, k * 4096, k + 1), 0);
	assert_int_equal(t.n, N);
	assert_true(t.n * 4 <= t.cap * 3);
	for (uint64_t k = 0; k < N; k++)
		assert_int_equal(profd_htab_get(&t, k * 4096), k + 1);
	assert_int_equal(profd_htab_get(&t, 4095), 0);
	assert_int_equal(profd_htab_set(&t, 4096, 99), 0);
	assert_int_equal(profd_htab_get(&t, 4096), 99);
	assert_int_equal(t.n, N);
	profd_htab_clear(&t);
	assert_int_equal(profd_htab_get(&t, 4096), 0);
	profd_htab_release(&t);
	assert_null(t.vals);
}

static void test_shared_keys(void **state)
{
	struct profd_htab t = {0};

	for (uint64_t v = 1; v <= 40; v++)
		assert_int_equal(profd_htab_add(&t, v % 3, v), 0);
	assert_true(values_under(&t, 0) == 0x4924924924ull); /* 3, 6, ..., 39 */
	assert_true(profd_htab_del(&t, 0, 6));
	assert_false(profd_htab_del(&t, 0, 6));
	assert_false(profd_htab_del(&t, 1, 6));
	assert_true(values_under(&t, 0) == (0x4924924924ull & ~(1ull << 5)));
	assert_int_equal(t.n, 39);
	profd_htab_release(&t);
}

/* Random adds and deletes against an array: deletion must never cut another key's probe path. */
static void test_delete_keeps_runs(void **state)
{
	static uint64_t keys[N];
	static bool live[N];
	struct profd_htab t = {0};
	uint64_t x = 88172645463325252ull;

	for (size_t i = 0; i < N; i++)
		keys[i] = i < N / 2 ? i : (i * 64) + 1; /* small keys crowd few runs */
	for (int round = 0; round < 20 * N; round++) {
		size_t i;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		i = x % N;
		if (live[i]) {
			assert_true(profd_htab_del(&t, keys[i], i + 1));
			live[i] = false;
		} else {
			assert_int_equal(profd_htab_add(&t, keys[i], i + 1), 0);
			live[i] = true;
		}
		if (round % 997 == 0)
			for (size_t k = 0; k < N; k++)
				assert_int_equal(profd_htab_get(&t, keys[k]), live[k] ? k + 1 : 0);
	}
	profd_htab_release(&t);
}

static void test_clocks(void **state)
{
	int64_t a = profd_mono_ns(), b = profd_mono_ns();

	assert_true(a > 0 && b >= a);
	assert_true(profd_coarse_ns() > 0);
	/* After 2020-01-01, before 2262. */
	assert_true(profd_wall_ns() > 1577836800LL * PROFD_NS_PER_S);
}

TEST_MAIN(cmocka_unit_test(test_unique_keys),
	  cmocka_unit_test(test_shared_keys),
	  cmocka_unit_test(test_delete_keeps_runs),
	  cmocka_unit_test(test_clocks))
