// SPDX-License-Identifier: MIT
/* Unit tests of the profile model and the folded reader and writer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "folded_text.h"
#include "formats/formats.h"
#include "helpers.h"

/* Reads folded text into a new profile; returns it (or NULL with err filled). */
static struct fmt_profile *read_text(const char *text, struct fmt_error *err, int *ret)
{
	return read_profile(fmt_folded_read, 10000000, text, strlen(text), err, ret);
}

static void test_round_trip(void **state)
{
	/* perf's stackcollapse output, unsorted, with a kernel frame, lines and a duplicate. */
	const char *in = "app;main;work;memcpy_[k] 3\n"
			 "app;main;idle 1\n"
			 "# a comment\n"
			 "\n"
			 "other;main;f (f.c:12) 5\n"
			 "app;main;idle 2\n";
	const char *want = "app;main;idle 3\n"
			   "app;main;work;memcpy_[k] 3\n"
			   "other;main;f (f.c:12) 5\n";
	struct fmt_folded_opts lines = {.lines = true};
	struct fmt_error err;
	struct fmt_profile *p;
	char *out, *again;
	int ret;

	p = read_text(in, &err, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(p->total, 11);
	out = folded_text(p, &lines);
	assert_string_equal(out, want);
	/* Kernel frames went to a kernel mapping, not into the name. */
	for (uint32_t i = 1; i <= p->nlocations; i++) {
		const struct fmt_location *l = fmt_profile__location(p, i);
		const struct fmt_line *line = &p->lines[l->first_line];
		const char *name = fmt_profile__str(p, fmt_profile__function(p, line->function)->name);

		if (!strcmp(name, "memcpy"))
			assert_true(fmt_profile__mapping(p, l->mapping)->kernel);
		if (!strcmp(name, "f"))
			assert_int_equal(line->line, 12);
	}
	fmt_profile__free(p);
	/* Reading our own output gives the same bytes again. */
	p = read_text(out, &err, &ret);
	assert_int_equal(ret, 0);
	again = folded_text(p, &lines);
	assert_string_equal(again, want);
	free(again);
	/* Without lines, the source position is left out. */
	again = folded_text(p, NULL);
	assert_non_null(strstr(again, "other;main;f 5\n"));
	free(again);
	free(out);
	fmt_profile__free(p);
	/* Blank lines first, a comm without frames, no newline at the end. */
	p = read_text("\n\r\napp 2\napp;main 1", &err, &ret);
	assert_int_equal(ret, 0);
	again = folded_text(p, NULL);
	assert_string_equal(again, "app 2\napp;main 1\n");
	free(again);
	fmt_profile__free(p);
}

static void test_bad_input(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"app;main\n", "line 1: missing count"},
		{"ok;a 1\napp;main x\n", "line 2: bad count 'x'"},
		{"app;main -4\n", "line 1: bad count '-4'"},
		{"app;main 99999999999999999999999\n", "line 1: bad count"},
		{"app;;main 1\n", "line 1: empty frame"},
		{"app;m\0ain 1\n", "line 1: not text"},
		{"c;f 9223372036854775807\nc;f 1\n", "line 2: count 1 takes the total past"},
		{"c;f 9223372036854775000\nc;g 1000\n", "line 2: count 1000 takes the total past"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fmt_profile *p = fmt_profile__new(1);
		size_t len = strlen(cases[i].text);
		struct fmt_error err;
		FILE *in;

		/* The NUL case: take the length up to the newline that follows it. */
		if (strstr(cases[i].msg, "not text"))
			len = 12;
		in = fmemopen((void *)cases[i].text, len, "r");
		assert_int_equal(fmt_folded_read(p, in, &err), -EINVAL);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].msg);
		fclose(in);
		fmt_profile__free(p);
	}
}

static void test_dedup_and_merge(void **state)
{
	struct fmt_mapping_desc m = {.filename = "/bin/app", .build_id = "abcd", .start = 0x1000,
				     .limit = 0x2000, .has_functions = true};
	struct fmt_frame_desc inl[2] = {{.name = "inner", .filename = "a.h", .line = 3},
					{.name = "outer", .filename = "a.c", .line = 9}};
	struct fmt_sample_desc a = {.pid = 1, .tid = 1, .comm = "app"};
	struct fmt_sample_desc b = {.pid = 2, .tid = 2, .comm = "app"};
	struct fmt_filter only2 = {.pid = 2};
	struct fmt_profile *p = fmt_profile__new(1000), *q = fmt_profile__new(1000);
	uint32_t map, map2, loc, loc2, stack[2];
	char *out;

	assert_int_equal(fmt_profile__add_mapping(p, &m, &map), 0);
	assert_int_equal(fmt_profile__add_mapping(p, &m, &map2), 0);
	assert_int_equal(map, map2);
	/* (mapping, address) is a location's identity. */
	assert_int_equal(fmt_profile__add_location(p, map, 0x1234, inl, 2, &loc), 0);
	assert_int_equal(fmt_profile__add_location(p, map, 0x1234, inl, 2, &loc2), 0);
	assert_int_equal(loc, loc2);
	assert_int_equal(p->nlines, 2);
	assert_int_equal(fmt_profile__add_location(p, map, 0x1240, inl + 1, 1, &loc2), 0);
	assert_int_not_equal(loc, loc2);
	stack[0] = loc;
	stack[1] = loc2;
	assert_int_equal(fmt_profile__add_sample(p, stack, 2, &a, 2), 0);
	assert_int_equal(fmt_profile__add_sample(p, stack, 2, &a, 3), 0);
	assert_int_equal(fmt_profile__add_sample(p, stack, 2, &b, 4), 0);
	assert_int_equal(p->nsamples, 2);
	assert_int_equal(p->samples[0].count, 5);
	assert_int_equal(p->total, 9);
	/* A bad location id is refused, not stored. */
	stack[0] = 99;
	assert_int_equal(fmt_profile__add_sample(p, stack, 1, &a, 1), -EINVAL);
	/* Inline frames are frames of their own, innermost last; samples of both pids add up. */
	out = folded_text(p, NULL);
	assert_string_equal(out, "app;outer;outer;inner 9\n");
	free(out);
	p->loss.stacks_map_full = 7;
	assert_int_equal(fmt_profile__merge(q, p, &only2), 0);
	assert_int_equal(fmt_profile__merge(q, p, &only2), 0);
	assert_int_equal(q->total, 8);
	assert_int_equal(q->nsamples, 1);
	assert_int_equal(q->samples[0].pid, 2);
	assert_int_equal(q->nlocations, 2);
	assert_int_equal(q->loss.stacks_map_full, 14);
	assert_string_equal(fmt_profile__str(q, fmt_profile__mapping(q, 1)->build_id), "abcd");
	fmt_profile__free(p);
	fmt_profile__free(q);
}

static void test_many_strings(void **state)
{
	struct fmt_profile *p = fmt_profile__new(1);
	char name[32];
	uint32_t id, again;

	/* Enough to grow every table several times; ids stay stable. */
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "fn%d", i);
		assert_int_equal(fmt_profile__intern(p, name, &id), 0);
		assert_int_equal(id, (uint32_t)i + 1);
	}
	assert_int_equal(fmt_profile__intern(p, "fn123", &again), 0);
	assert_int_equal(again, 124);
	assert_int_equal(fmt_profile__intern(p, "", &again), 0);
	assert_int_equal(again, 0);
	assert_string_equal(fmt_profile__str(p, 20000), "fn19999");
	fmt_profile__free(p);
}

static void test_separators_in_names(void **state)
{
	struct fmt_profile *p = fmt_profile__new(1);
	struct fmt_frame_desc f = {.name = "operator;weird\nname"};
	struct fmt_sample_desc l = {.comm = "a;b"};
	uint32_t loc;
	char *out;

	assert_int_equal(fmt_profile__add_location(p, 0, 0, &f, 1, &loc), 0);
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &l, 1), 0);
	out = folded_text(p, NULL);
	assert_string_equal(out, "a:b;operator:weird name 1\n");
	free(out);
	fmt_profile__free(p);
}

/*
 * A name whose short form would end in one of the format's own suffixes is written whole, so
 * that it reads back as the same frame (found by fuzz_folded: "y()_[k](x)" became a kernel
 * frame).
 */
static void test_short_name_keeps_suffixes_apart(void **state)
{
	const char *in = "c;y55()_[k](x:11) 5\nc;h(int)_[k] 1\nc;g(int) 2\n";
	const char *want = "c;g 2\nc;h_[k] 1\nc;y55()_[k](x:11) 5\n";
	struct fmt_folded_opts lines = {.lines = true};
	struct fmt_error err;
	struct fmt_profile *p, *q;
	char *out, *again;
	int ret;

	p = read_text(in, &err, &ret);
	assert_non_null(p);
	out = folded_text(p, &lines);
	assert_string_equal(out, want);
	q = read_text(out, &err, &ret);
	assert_non_null(q);
	again = folded_text(q, &lines);
	assert_string_equal(again, out);
	free(again);
	free(out);
	fmt_profile__free(q);
	fmt_profile__free(p);
}

static void test_kind(void **state)
{
	assert_int_equal(fmt_kind_from_path("x.svg"), FMT_SVG);
	assert_int_equal(fmt_kind_from_path("dir.v2/x.folded"), FMT_FOLDED);
	assert_int_equal(fmt_kind_from_path("x.txt"), FMT_FOLDED);
	assert_int_equal(fmt_kind_from_path("cpu.pb.gz"), FMT_PPROF);
	assert_int_equal(fmt_kind_from_path("x.png"), FMT_UNKNOWN);
	assert_int_equal(fmt_kind_from_path(".svg"), FMT_UNKNOWN);
	assert_int_equal(fmt_kind_from_name("svg"), FMT_SVG);
	assert_int_equal(fmt_kind_from_name("SVG"), FMT_UNKNOWN);
}

/* An endless stream: the same line over and over, or NUL bytes (/dev/zero) when line is "". */
struct endless {
	const char *line;
	size_t pos;
	size_t served;
};

static ssize_t endless_read(void *cookie, char *buf, size_t size)
{
	struct endless *e = cookie;
	size_t len = strlen(e->line);

	for (size_t i = 0; i < size; i++)
		buf[i] = len ? e->line[e->pos++ % len] : '\0';
	e->served += size;
	return (ssize_t)size;
}

static int read_endless(struct endless *e, struct fmt_error *err)
{
	cookie_io_functions_t io = {.read = endless_read};
	struct fmt_profile *p = fmt_profile__new(1);
	FILE *in = fopencookie(e, "r", io);
	int ret;

	assert_non_null(in);
	ret = fmt_folded_read(p, in, err);
	fclose(in);
	fmt_profile__free(p);
	return ret;
}

/* Merging never wraps a count: the merge refuses and the destination keeps its total. */
static void test_count_overflow(void **state)
{
	struct fmt_error err;
	struct fmt_profile *a, *b;
	int ret;

	a = read_text("c;f 9223372036854775000\n", &err, &ret);
	b = read_text("c;f 1000\n", &err, &ret);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(fmt_profile__merge(a, b, NULL), -EOVERFLOW);
	assert_int_equal(a->total, 9223372036854775000LL);
	assert_int_equal(a->samples[0].count, 9223372036854775000LL);
	fmt_profile__free(a);
	fmt_profile__free(b);
}

/* Endless or huge input ends in one error, having read no more than the limits. */
static void test_bounded_input(void **state)
{
	size_t big = FMT_FOLDED_MAX_LINE + 2;
	char *line = malloc(big + 8);
	struct endless zeros = {.line = ""}, lines;
	struct fmt_error err;

	assert_non_null(line);
	assert_int_equal(read_endless(&zeros, &err), -EINVAL);
	assert_string_equal(err.msg, "line 1: not text (NUL byte)");
	assert_true(zeros.served < 1 << 20);

	/* One line longer than the limit, never ending. */
	memset(line, 'x', big);
	memcpy(line, "app;", 4);
	line[big] = '\0';
	lines = (struct endless){.line = line};
	assert_int_equal(read_endless(&lines, &err), -EINVAL);
	assert_string_equal(err.msg, "line 1: longer than 16 MiB");
	assert_true(lines.served < FMT_FOLDED_MAX_LINE + (1 << 20));

	/* Good lines of 1 MiB without end: refused at the total. */
	snprintf(line, big, "app;");
	memset(line + 4, 'y', 1 << 20);
	snprintf(line + 4 + (1 << 20), 8, " 1\n");
	lines = (struct endless){.line = line};
	assert_int_equal(read_endless(&lines, &err), -EINVAL);
	assert_non_null(strstr(err.msg, ": input above 256 MiB"));
	assert_true(lines.served < FMT_FOLDED_MAX_BYTES + (1 << 20));
	free(line);
}

TEST_MAIN(cmocka_unit_test(test_round_trip),
	  cmocka_unit_test(test_bad_input),
	  cmocka_unit_test(test_bounded_input),
	  cmocka_unit_test(test_count_overflow),
	  cmocka_unit_test(test_dedup_and_merge),
	  cmocka_unit_test(test_many_strings),
	  cmocka_unit_test(test_separators_in_names),
	  cmocka_unit_test(test_short_name_keeps_suffixes_apart),
	  cmocka_unit_test(test_kind))
