// SPDX-License-Identifier: MIT
/* Unit tests of the end-of-run hint about code without symbols (profiler/unnamed.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "profiler/sampling_internal.h"
#include "helpers.h"

static void count(struct prof_unnamed *u, const char *path, enum sym_reason reason, uint64_t n)
{
	struct sym_location leaf = {.module = {.path = path}, .reason = reason};

	assert_int_equal(prof_unnamed__count(u, &leaf, n), 0);
}

/* 100 user samples: 60 + 25 in files without symbols, the rest named or in JIT code. */
static struct prof_unnamed *sample_run(void)
{
	struct prof_unnamed *u = prof_unnamed__new();

	assert_non_null(u);
	count(u, "/usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1", SYM_NO_SYMBOLS, 40);
	count(u, "/usr/bin/app", SYM_NO_SYMBOLS, 25);
	count(u, "/usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1", SYM_NO_SYMBOLS, 20);
	count(u, "/usr/lib/x86_64-linux-gnu/libc.so.6", SYM_OK, 10);
	count(u, "[anon:jit]", SYM_NO_SYMBOLS, 5);
	count(u, NULL, SYM_PROCESS_GONE, 0);
	return u;
}

static void test_hint_names_files(void **state)
{
	struct prof_unnamed *u = sample_run();
	struct profd_strbuf sb = {0};

	unsetenv("DEBUGINFOD_URLS");
	assert_true(prof_unnamed__hint(u, &sb));
	/* Shares of the user-space samples, most first, by base name; JIT code is not a file. */
	assert_has_all(sb.buf, (const char *const[]){
				   "85% of user-space samples are in code without symbols: "
				   "liblzma.so.5.4.1 (60%), app (25%);",
				   "`dpkg -S liblzma.so.5.4.1`",
				   "or set DEBUGINFOD_URLS",
				   NULL,
			       });
	assert_null(strchr(sb.buf, '\n'));
	profd_strbuf_reset(&sb);
	setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1", 1);
	assert_true(prof_unnamed__hint(u, &sb));
	assert_non_null(strstr(sb.buf, "DEBUGINFOD_URLS had none"));
	unsetenv("DEBUGINFOD_URLS");
	profd_strbuf_release(&sb);
	prof_unnamed__free(u);
}

static void test_no_hint_below_a_tenth(void **state)
{
	struct prof_unnamed *u = prof_unnamed__new();
	struct profd_strbuf sb = {0};

	assert_non_null(u);
	assert_false(prof_unnamed__hint(u, &sb)); /* no samples at all */
	count(u, "/usr/bin/app", SYM_OK, 91);
	count(u, "/usr/lib/libfoo.so", SYM_NO_SYMBOLS, 9);
	assert_false(prof_unnamed__hint(u, &sb));
	assert_null(sb.buf);
	count(u, "/usr/lib/libfoo.so", SYM_NO_SYMBOLS, 2);
	assert_true(prof_unnamed__hint(u, &sb));
	profd_strbuf_release(&sb);
	prof_unnamed__free(u);
}

/* Many files: the table grows, and only the three with the most are named. */
static void test_many_files(void **state)
{
	struct prof_unnamed *u = prof_unnamed__new();
	struct profd_strbuf sb = {0};
	char path[64];

	assert_non_null(u);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/lib/lib%04d.so", i);
		count(u, path, SYM_NO_SYMBOLS, (uint64_t)(i == 7 ? 5000 : 1 + i % 3));
	}
	assert_true(prof_unnamed__hint(u, &sb));
	assert_non_null(strstr(sb.buf, ": lib0007.so ("));
	assert_non_null(strstr(sb.buf, " ...;"));
	profd_strbuf_release(&sb);
	prof_unnamed__free(u);
}

TEST_MAIN(cmocka_unit_test(test_hint_names_files),
	  cmocka_unit_test(test_no_hint_below_a_tenth),
	  cmocka_unit_test(test_many_files))
