// SPDX-License-Identifier: MIT
/*
 * Unit tests of the flame graph's tree (fmt_tree): counts along each path, children in name
 * order, frame kinds and inline flags merged the same whatever the sample order, names cleaned,
 * filters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "formats/formats.h"
#include "helpers.h"

struct fx {
	struct fmt_profile *p;
	uint32_t user, kernel, jit;
};

static void fx_init(struct fx *f)
{
	struct fmt_mapping_desc u = {.filename = "/usr/bin/app", .start = 0x1000, .limit = 0x9000};
	struct fmt_mapping_desc k = {.filename = "[kernel.kallsyms]", .kernel = true};
	struct fmt_mapping_desc j = {.filename = "/tmp/perf-42.map"};

	f->p = fmt_profile__new(10000000);
	assert_non_null(f->p);
	assert_int_equal(fmt_profile__add_mapping(f->p, &u, &f->user), 0);
	assert_int_equal(fmt_profile__add_mapping(f->p, &k, &f->kernel), 0);
	assert_int_equal(fmt_profile__add_mapping(f->p, &j, &f->jit), 0);
}

static uint32_t fx_loc(struct fx *f, uint32_t mapping, uint64_t addr, const char *name)
{
	struct fmt_frame_desc d = {.name = name};
	uint32_t id;

	assert_int_equal(fmt_profile__add_location(f->p, mapping, addr, &d, 1, &id), 0);
	return id;
}

/* One location whose outer frame is `outer` with `inner` inlined into it. */
static uint32_t fx_inlined(struct fx *f, uint64_t addr, const char *inner, const char *outer)
{
	struct fmt_frame_desc d[2] = {{.name = inner}, {.name = outer}};
	uint32_t id;

	assert_int_equal(fmt_profile__add_location(f->p, f->user, addr, d, 2, &id), 0);
	return id;
}

/* comm;frames... (root first) with count, for pid. */
static void fx_sample(struct fx *f, uint32_t pid, const char *comm, int64_t count, size_t n, ...)
{
	struct fmt_sample_desc labels = {.pid = pid, .tid = pid, .comm = comm};
	uint32_t locs[16];
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		locs[n - 1 - i] = va_arg(ap, uint32_t);
	va_end(ap);
	assert_int_equal(fmt_profile__add_sample(f->p, locs, n, &labels, count), 0);
}

/* The node at the end of path (names from the root's child on, NULL-terminated). */
static uint32_t walk(const struct fmt_tree *t, const char *const *path)
{
	uint32_t at = 0;

	for (; *path; path++) {
		at = fmt_tree__find_kid(t, at, *path);
		if (at == FMT_TREE_NONE)
			return at;
	}
	return at;
}

#define NODE(t, ...) walk(t, (const char *const[]){__VA_ARGS__, NULL})

static void test_counts_and_order(void **state)
{
	struct fx f;
	struct fmt_tree *t;
	uint32_t m, hot, cold, sys, n;

	fx_init(&f);
	m = fx_loc(&f, f.user, 0x1100, "main");
	hot = fx_loc(&f, f.user, 0x1200, "hot");
	cold = fx_loc(&f, f.user, 0x1300, "cold");
	sys = fx_loc(&f, f.kernel, 0, "sys_read");
	fx_sample(&f, 1, "app", 3, 2, m, hot);
	fx_sample(&f, 1, "app", 1, 2, m, cold);
	fx_sample(&f, 2, "app", 2, 3, m, hot, sys);
	fx_sample(&f, 3, "zsh", 4, 1, m);
	t = fmt_tree__new(f.p, NULL);
	assert_non_null(t);
	assert_string_equal(fmt_tree__name(t, 0), "all");
	assert_int_equal(t->nodes[0].count, 10);
	assert_int_equal(t->nodes[0].parent, FMT_TREE_NONE);
	/* Two comms under the root, in name order; pids merge into their comm. */
	assert_int_equal(t->nodes[0].nkids, 2);
	assert_string_equal(fmt_tree__name(t, t->kids[t->nodes[0].first_kid]), "app");
	assert_string_equal(fmt_tree__name(t, t->kids[t->nodes[0].first_kid + 1]), "zsh");
	assert_int_equal(t->nodes[NODE(t, "app")].count, 6);
	assert_int_equal(t->nodes[NODE(t, "app", "main", "hot")].count, 5);
	assert_int_equal(t->nodes[NODE(t, "app", "main", "cold")].count, 1);
	n = NODE(t, "app", "main", "hot", "sys_read_[k]");
	assert_int_not_equal(n, FMT_TREE_NONE);
	assert_int_equal(t->nodes[n].count, 2);
	assert_int_equal(t->nodes[n].kind, FMT_FRAME_KERNEL);
	assert_int_equal(t->nodes[n].nkids, 0);
	/* cold before hot: children sorted by name. */
	n = NODE(t, "app", "main");
	assert_string_equal(fmt_tree__name(t, t->kids[t->nodes[n].first_kid]), "cold");
	assert_int_equal(NODE(t, "app", "nope"), FMT_TREE_NONE);
	/* Parents come before their children. */
	for (uint32_t i = 1; i < t->nnodes; i++)
		assert_true(t->nodes[i].parent < i);
	fmt_tree__free(t);
	fmt_profile__free(f.p);
}

static void test_kinds_inline_and_names(void **state)
{
	struct fx f;
	struct fmt_tree *t;
	uint32_t m, in1, out1;

	fx_init(&f);
	m = fx_loc(&f, f.user, 0x1100, "main");
	in1 = fx_inlined(&f, 0x1600, "inner", "outer");
	/* the same name as a frame of its own elsewhere: not inlined there */
	out1 = fx_loc(&f, f.user, 0x1700, "inner");
	fx_sample(&f, 1, "", 1, 2, m, fx_loc(&f, f.jit, 0x2000, "LazyCompile:*run"));
	fx_sample(&f, 1, "bad\xff\x01", 1, 2, m, fx_loc(&f, f.user, 0x1500, "app+0x500"));
	fx_sample(&f, 1, "app", 2, 2, m, in1);
	fx_sample(&f, 1, "app", 1, 3, m, in1, out1);
	t = fmt_tree__new(f.p, NULL);
	assert_non_null(t);
	/* An empty comm is "[unknown]"; bytes XML refuses become '?'. */
	assert_int_equal(t->nodes[NODE(t, "[unknown]", "main", "LazyCompile:*run")].kind,
			 FMT_FRAME_JIT);
	assert_int_equal(t->nodes[NODE(t, "bad??", "main", "app+0x500")].kind, FMT_FRAME_UNKNOWN);
	assert_true(t->nodes[NODE(t, "app", "main", "outer", "inner")].inlined);
	assert_false(t->nodes[NODE(t, "app", "main", "outer")].inlined);
	assert_false(t->nodes[NODE(t, "app", "main", "outer", "inner", "inner")].inlined);
	assert_int_equal(t->nodes[NODE(t, "app", "main", "outer")].count, 3);
	fmt_tree__free(t);
	fmt_profile__free(f.p);
}

static void test_filter_and_empty(void **state)
{
	struct fx f;
	struct fmt_filter by_pid = {.pid = 2}, by_comm = {.comm = "zsh"}, none = {.pid = 99};
	struct fmt_tree *t;
	uint32_t m;

	fx_init(&f);
	m = fx_loc(&f, f.user, 0x1100, "main");
	fx_sample(&f, 1, "app", 3, 1, m);
	fx_sample(&f, 2, "app", 2, 1, m);
	fx_sample(&f, 3, "zsh", 4, 1, m);
	t = fmt_tree__new(f.p, &(struct fmt_tree_opts){.filter = &by_pid});
	assert_non_null(t);
	assert_int_equal(t->nodes[0].count, 2);
	assert_int_equal(t->nodes[0].nkids, 1);
	fmt_tree__free(t);
	t = fmt_tree__new(f.p, &(struct fmt_tree_opts){.filter = &by_comm});
	assert_int_equal(t->nodes[0].count, 4);
	assert_int_not_equal(NODE(t, "zsh", "main"), FMT_TREE_NONE);
	fmt_tree__free(t);
	/* Nothing matches: a lone root. */
	t = fmt_tree__new(f.p, &(struct fmt_tree_opts){.filter = &none});
	assert_non_null(t);
	assert_int_equal(t->nnodes, 1);
	assert_int_equal(t->nodes[0].count, 0);
	fmt_tree__free(t);
	fmt_tree__free(NULL);
	fmt_profile__free(f.p);
}

TEST_MAIN(cmocka_unit_test(test_counts_and_order),
	  cmocka_unit_test(test_kinds_inline_and_names),
	  cmocka_unit_test(test_filter_and_empty))
