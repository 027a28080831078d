// SPDX-License-Identifier: MIT
/* Unit tests of symbolizer/name_memo.c: names kept across drains, by file serial and address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "symbolizer/symbolizer_internal.h"

/* Two frames (an inlined call in its caller), their strings in buffers the caller may reuse. */
struct two_frames {
	char inner[64], outer[64], mangled[64], file[64];
	struct sym_frame frames[2];
	struct sym_memo_names names;
};

static void two_frames(struct two_frames *t, const char *tag)
{
	snprintf(t->inner, sizeof(t->inner), "inner_%s", tag);
	snprintf(t->outer, sizeof(t->outer), "outer_%s", tag);
	snprintf(t->mangled, sizeof(t->mangled), "_Z5outer%s", tag);
	snprintf(t->file, sizeof(t->file), "%s.c", tag);
	t->frames[0] = (struct sym_frame){.name = t->inner, .system_name = t->inner,
					  .file = t->file, .line = 7, .inlined = true};
	t->frames[1] = (struct sym_frame){.name = t->outer, .system_name = t->mangled,
					  .file = NULL, .line = 0, .start_line = 3};
	t->names = (struct sym_memo_names){.frames = t->frames, .nframes = 2, .reason = SYM_OK,
					   .has_functions = true, .has_line_numbers = true};
}

/* Kept names come back whole, as copies: the buffers they came from may change. */
static void test_keeps_copies(void **state)
{
	struct sym_name_memo m;
	const struct sym_memo_names *got;
	struct two_frames t;

	sym_name_memo__init(&m, 1 << 20);
	two_frames(&t, "a");
	sym_name_memo__keep(&m, 5, 0x1234, 0, &t.names);
	memset(&t, 'x', sizeof(t)); /* the file's symbols evicted, its scratch reused */
	got = sym_name_memo__find(&m, 5, 0x1234, 1);
	assert_non_null(got);
	assert_int_equal(got->nframes, 2);
	assert_int_equal(got->reason, SYM_OK);
	assert_true(got->has_functions && got->has_line_numbers && !got->has_filenames);
	assert_string_equal(got->frames[0].name, "inner_a");
	assert_ptr_equal(got->frames[0].system_name, got->frames[0].name); /* shared, as given */
	assert_string_equal(got->frames[0].file, "a.c");
	assert_int_equal(got->frames[0].line, 7);
	assert_true(got->frames[0].inlined);
	assert_string_equal(got->frames[1].name, "outer_a");
	assert_string_equal(got->frames[1].system_name, "_Z5outera");
	assert_null(got->frames[1].file);
	assert_int_equal(got->frames[1].start_line, 3);
	/* Another address, or the same address of another file, is not it. */
	assert_null(sym_name_memo__find(&m, 5, 0x1235, 1));
	assert_null(sym_name_memo__find(&m, 6, 0x1234, 1));
	sym_name_memo__release(&m);
}

/* Names of a file whose debug info may still come stop being given when that time is up. */
static void test_expires(void **state)
{
	struct sym_name_memo m;
	struct two_frames t;

	sym_name_memo__init(&m, 1 << 20);
	two_frames(&t, "b");
	sym_name_memo__keep(&m, 1, 0x10, 1000, &t.names);
	assert_non_null(sym_name_memo__find(&m, 1, 0x10, 999));
	assert_null(sym_name_memo__find(&m, 1, 0x10, 1000));
	sym_name_memo__release(&m);
}

/*
 * Names kept again once their time is up replace the old ones: found from then on, and one entry
 * however often they are renewed (an agent renews those of every file without debug info each
 * minute, and a stale entry ahead of the new one would miss every lookup and pile up copies).
 */
static void test_renewed(void **state)
{
	struct sym_name_memo m;
	struct two_frames t;
	size_t bytes;

	sym_name_memo__init(&m, 1 << 20);
	two_frames(&t, "r");
	sym_name_memo__keep(&m, 1, 0x10, 1000, &t.names);
	bytes = m.bytes;
	for (uint64_t until = 2000; until <= 100000; until += 1000) {
		assert_null(sym_name_memo__find(&m, 1, 0x10, until - 1000));
		sym_name_memo__keep(&m, 1, 0x10, until, &t.names);
		assert_non_null(sym_name_memo__find(&m, 1, 0x10, until - 1000));
		assert_non_null(sym_name_memo__find(&m, 1, 0x10, until - 1));
	}
	assert_int_equal(m.index.n, 1);
	assert_int_equal(m.bytes, bytes);
	assert_int_equal(m.restarts, 0);
	sym_name_memo__release(&m);
}

/* Full, it begins again empty and keeps the newest; it never holds more than its bound. */
static void test_bounded(void **state)
{
	struct sym_name_memo m;
	struct two_frames t;
	char tag[16];
	int kept = 0;

	sym_name_memo__init(&m, 16 << 10);
	for (uint64_t a = 1; a <= 1000; a++) {
		snprintf(tag, sizeof(tag), "%llu", (unsigned long long)a);
		two_frames(&t, tag);
		sym_name_memo__keep(&m, 9, a, 0, &t.names);
		assert_true(m.bytes + profd_htab_bytes(&m.index) <= 16 << 10);
		assert_non_null(sym_name_memo__find(&m, 9, a, 0));
	}
	assert_true(m.restarts > 0);
	for (uint64_t a = 1; a <= 1000; a++)
		kept += sym_name_memo__find(&m, 9, a, 0) != NULL;
	assert_true(kept > 0 && kept < 1000);
	sym_name_memo__clear(&m);
	assert_null(sym_name_memo__find(&m, 9, 1000, 0));
	assert_int_equal(m.bytes, 0);
	sym_name_memo__release(&m);
}

/* A memo with no room keeps nothing (a resolver whose cache is too small for one file). */
static void test_no_room(void **state)
{
	struct sym_name_memo m;
	struct two_frames t;

	sym_name_memo__init(&m, 0);
	two_frames(&t, "c");
	sym_name_memo__keep(&m, 1, 0x10, 0, &t.names);
	assert_null(sym_name_memo__find(&m, 1, 0x10, 0));
	sym_name_memo__release(&m);
}

TEST_MAIN(cmocka_unit_test(test_keeps_copies),
	  cmocka_unit_test(test_expires),
	  cmocka_unit_test(test_renewed),
	  cmocka_unit_test(test_bounded),
	  cmocka_unit_test(test_no_room))
