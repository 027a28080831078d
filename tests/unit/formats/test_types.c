// SPDX-License-Identifier: MIT
/*
 * Unit tests of profile types: off-CPU time through pprof and back, the wall view made of CPU
 * samples and off-CPU time, and what does not mix.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "folded_text.h"
#include "formats/formats.h"
#include "helpers.h"

/* Adds one sample: frames root to leaf, separated by ';'. */
static void add(struct fmt_profile *p, const char *stack, uint32_t tid, const char *comm,
		int64_t count)
{
	char *copy = strdup(stack), *save = NULL;
	uint32_t locs[16], n = 0;

	assert_non_null(copy);
	for (char *f = strtok_r(copy, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
		struct fmt_frame_desc d = {.name = f};

		assert_true(n < 16);
		assert_int_equal(fmt_profile__add_location(p, 0, 0, &d, 1, &locs[n]), 0);
		n++;
	}
	/* Leaf first. */
	for (uint32_t i = 0; i < n / 2; i++) {
		uint32_t t = locs[i];

		locs[i] = locs[n - 1 - i];
		locs[n - 1 - i] = t;
	}
	assert_int_equal(fmt_profile__add_sample(p, locs, n,
						 &(struct fmt_sample_desc){.pid = 1, .tid = tid,
									   .comm = comm},
						 count),
			 0);
	free(copy);
}

static char *write_to_memory(const struct fmt_profile *p, bool svg, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	assert_non_null(out);
	if (svg)
		assert_int_equal(fmt_svg_write(p, out, NULL), 0);
	else
		assert_int_equal(fmt_pprof_write(p, out, &(struct fmt_pprof_opts){.raw = true}), 0);
	fclose(out);
	return buf;
}

static int read_pprof(struct fmt_profile *p, const char *data, size_t len, struct fmt_error *err)
{
	FILE *in = fmemopen((void *)data, len, "r");
	int ret;

	assert_non_null(in);
	ret = fmt_pprof_read(p, in, err);
	fclose(in);
	return ret;
}

static bool has_bytes(const char *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle)) != NULL;
}

static struct fmt_profile *off_cpu(void)
{
	struct fmt_profile *p = fmt_profile__new_type(FMT_TYPE_OFF_CPU, 12345);

	assert_non_null(p);
	assert_int_equal(p->period_ns, FMT_US_NS);
	add(p, "main;wait;schedule_[k]", 7, "app", 2500000);
	add(p, "main;io;schedule_[k]", 8, "app", 1500);
	return p;
}

static void test_names(void **state)
{
	enum fmt_type t;

	for (int i = 0; i < FMT_NTYPES; i++) {
		assert_true(fmt_type_parse(fmt_type_name((enum fmt_type)i), &t));
		assert_int_equal(t, i);
	}
	assert_string_equal(fmt_type_name(FMT_TYPE_OFF_CPU), "off-cpu");
	assert_false(fmt_type_parse("offcpu", &t));
	assert_false(fmt_type_parse("", &t));
}

/* off_cpu/nanoseconds out, microseconds back in, the type with them. */
static void test_off_cpu_pprof(void **state)
{
	struct fmt_profile *p = off_cpu(), *q = fmt_profile__new(0);
	struct fmt_error err;
	char *a, *b, *pb;
	size_t len;

	assert_non_null(q);
	pb = write_to_memory(p, false, &len);
	assert_true(has_bytes(pb, len, "off_cpu"));
	assert_true(has_bytes(pb, len, "nanoseconds"));
	assert_int_equal(read_pprof(q, pb, len, &err), 0);
	assert_int_equal(q->type, FMT_TYPE_OFF_CPU);
	assert_int_equal(q->period_ns, FMT_US_NS);
	assert_int_equal(q->total, 2501500);
	a = folded_text(p, NULL);
	b = folded_text(q, NULL);
	assert_string_equal(a, b);
	/* A CPU profile with samples takes no off-CPU time: one line says why. */
	fmt_profile__free(q);
	q = fmt_profile__new(10000000);
	add(q, "main;work", 1, "app", 3);
	assert_int_equal(read_pprof(q, pb, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "off-cpu"));
	assert_null(strchr(err.msg, '\n'));
	free(a);
	free(b);
	free(pb);
	fmt_profile__free(p);
	fmt_profile__free(q);
}

/* CPU samples become their time, off-CPU time its own leaf, each thread a frame at the root. */
static void test_wall(void **state)
{
	struct fmt_profile *cpu = fmt_profile__new(10000000), *off = off_cpu();
	struct fmt_profile *wall = fmt_profile__new_type(FMT_TYPE_WALL, 0);
	char *text;

	assert_non_null(cpu);
	assert_non_null(wall);
	add(cpu, "main;work", 7, "app", 3);
	add(cpu, "main;io;copy", 8, "app", 1);
	assert_int_equal(fmt_profile__merge(wall, cpu, NULL), 0);
	assert_int_equal(fmt_profile__merge(wall, off, NULL), 0);
	text = folded_text(wall, NULL);
	assert_string_equal(text, "app;[tid 7];main;wait;schedule_[k];[off-cpu] 2500000\n"
				  "app;[tid 7];main;work 30000\n"
				  "app;[tid 8];main;io;copy 10000\n"
				  "app;[tid 8];main;io;schedule_[k];[off-cpu] 1500\n");
	assert_int_equal(wall->total, 2541500);
	free(text);
	fmt_profile__free(cpu);
	fmt_profile__free(off);
	fmt_profile__free(wall);
}

static void test_mixing(void **state)
{
	struct fmt_profile *cpu = fmt_profile__new(10000000), *off = off_cpu();
	struct fmt_profile *fresh = fmt_profile__new(0), *wall = fmt_profile__new_type(FMT_TYPE_WALL, 0);

	assert_non_null(cpu);
	assert_non_null(fresh);
	assert_non_null(wall);
	add(cpu, "main;work", 7, "app", 3);
	assert_int_equal(fmt_profile__merge(cpu, off, NULL), -EINVAL);
	assert_int_equal(fmt_profile__merge(off, cpu, NULL), -EINVAL);
	/* A wall profile joins no other type but its own. */
	assert_int_equal(fmt_profile__merge(cpu, wall, NULL), -EINVAL);
	/* A fresh profile takes the type of what comes first. */
	assert_int_equal(fmt_profile__merge(fresh, off, NULL), 0);
	assert_int_equal(fresh->type, FMT_TYPE_OFF_CPU);
	assert_int_equal(fresh->period_ns, FMT_US_NS);
	assert_int_equal(fresh->total, off->total);
	/* CPU samples of no known period have no time to give to a wall view. */
	cpu->period_ns = 0;
	assert_int_equal(fmt_profile__merge(wall, cpu, NULL), -EINVAL);
	fmt_profile__free(cpu);
	fmt_profile__free(off);
	fmt_profile__free(fresh);
	fmt_profile__free(wall);
}

static void test_svg_counts_time(void **state)
{
	struct fmt_profile *p = off_cpu();
	size_t len;
	char *svg = write_to_memory(p, true, &len);

	assert_true(has_bytes(svg, len, "Off-CPU Time Flame Graph"));
	assert_true(has_bytes(svg, len, "(2501500 us, 100.00%"));
	assert_false(has_bytes(svg, len, " samples, "));
	free(svg);
	fmt_profile__free(p);
}

TEST_MAIN(cmocka_unit_test(test_names),
	  cmocka_unit_test(test_off_cpu_pprof),
	  cmocka_unit_test(test_wall),
	  cmocka_unit_test(test_mixing),
	  cmocka_unit_test(test_svg_counts_time))
