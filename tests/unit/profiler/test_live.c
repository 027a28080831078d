// SPDX-License-Identifier: MIT
/* Unit tests of the live ring's bounds: by count and by the estimated bytes of its windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "formats/formats.h"
#include "profiler/commands_internal.h"
#include "web/web.h"

#define PERIOD_NS 10000000

/* A window of one stack, main;work_N, counted N times: each window's samples tell it apart. */
static struct fmt_profile *window(int n)
{
	char text[64];
	struct fmt_error err;
	struct fmt_profile *p = fmt_profile__new(PERIOD_NS);
	FILE *in;

	assert_non_null(p);
	snprintf(text, sizeof(text), "main;work_%d %d\n", n, n);
	in = fmemopen(text, strlen(text), "r");
	assert_non_null(in);
	assert_int_equal(fmt_folded_read(p, in, &err), 0);
	fclose(in);
	return p;
}

/* The samples the page would get for the whole run: what the ring still holds. */
static int64_t samples_kept(struct prof_live *l, double to)
{
	struct web_range all = {.from = 0, .to = to};
	struct fmt_profile *dst = fmt_profile__new(0);
	struct web_source src;
	int64_t sum = 0;

	assert_non_null(dst);
	prof_live__source(l, NULL, &src);
	assert_true(src.collect(src.ctx, &all, NULL, dst) >= 0);
	for (size_t i = 0; i < dst->nsamples; i++)
		sum += dst->samples[i].count;
	fmt_profile__free(dst);
	return sum;
}

static void publish_three(struct prof_live *l)
{
	for (int n = 1; n <= 3; n++)
		assert_int_equal(prof_live__publish(l, window(n), n - 1, n, NULL, true), 0);
}

static void test_unbounded_keeps_every_window(void **state)
{
	struct prof_live *l = prof_live__new(PERIOD_NS, 10, 1, SIZE_MAX);

	(void)state;
	assert_non_null(l);
	publish_three(l);
	assert_int_equal(samples_kept(l, 3), 1 + 2 + 3);
	prof_live__free(l);
}

/* A budget smaller than one window: only the newest stays, the others go oldest first. */
static void test_budget_drops_oldest(void **state)
{
	struct prof_live *l = prof_live__new(PERIOD_NS, 10, 1, 1);

	(void)state;
	assert_non_null(l);
	publish_three(l);
	assert_int_equal(samples_kept(l, 3), 3);
	prof_live__free(l);
}

static void test_count_bound(void **state)
{
	struct prof_live *l = prof_live__new(PERIOD_NS, 2, 1, SIZE_MAX);

	(void)state;
	assert_non_null(l);
	publish_three(l);
	assert_int_equal(samples_kept(l, 3), 2 + 3);
	prof_live__free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unbounded_keeps_every_window),
		cmocka_unit_test(test_budget_drops_oldest),
		cmocka_unit_test(test_count_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
