// SPDX-License-Identifier: MIT
/* Unit tests of the mapping history's sweep: tables of processes gone without an exit event. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/sampling_internal.h"
#include "helpers.h"

#define SWEEP_NS (10ull * 1000000000) /* map_history.c's period */

/* A pid no process has: a child that has exited and been reaped. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void add_table(struct prof_history *h, pid_t pid)
{
	static struct profd_proc_maps pm;

	pm.pid = (uint32_t)pid;
	pm.n = 1;
	pm.m[0] = (struct profd_umap){.start = 0x400000, .file = 42, .len = 4096};
	prof_history__on_maps(h, &pm);
}

static size_t tables_held(const struct prof_history *h)
{
	struct prof_history_counts c;

	prof_history__counts(h, &c);
	return c.bytes;
}

static void test_sweep_forgets_gone_processes_at_the_second_sweep(void **state)
{
	struct prof_history *h = prof_history__new(1 << 20);
	pid_t gone = gone_pid();
	struct prof_history_counts c;
	size_t one;

	assert_non_null(h);
	add_table(h, getpid());
	one = tables_held(h);
	add_table(h, gone);
	assert_int_equal(tables_held(h), 2 * one);

	prof_history__sweep(h, SWEEP_NS); /* marks it gone */
	assert_int_equal(tables_held(h), 2 * one);
	prof_history__sweep(h, SWEEP_NS + SWEEP_NS / 2); /* too soon: no sweep */
	assert_int_equal(tables_held(h), 2 * one);
	prof_history__sweep(h, 2 * SWEEP_NS); /* gone twice in a row: forgotten */
	assert_int_equal(tables_held(h), one);
	assert_int_equal(prof_history__give(h, NULL, gone), -ENOENT);

	prof_history__counts(h, &c);
	assert_int_equal(c.tables_swept, 1);
	prof_history__sweep(h, 10 * SWEEP_NS); /* the live one stays */
	assert_int_equal(tables_held(h), one);
	prof_history__free(h);
}

static void test_new_table_starts_the_count_again(void **state)
{
	struct prof_history *h = prof_history__new(1 << 20);
	pid_t gone = gone_pid();

	assert_non_null(h);
	add_table(h, gone);
	prof_history__sweep(h, SWEEP_NS);
	add_table(h, gone); /* a new table since: seen gone once, not twice */
	prof_history__sweep(h, 2 * SWEEP_NS);
	assert_true(tables_held(h) > 0);
	prof_history__sweep(h, 3 * SWEEP_NS);
	assert_int_equal(tables_held(h), 0);
	prof_history__free(h);
}

TEST_MAIN(cmocka_unit_test(test_sweep_forgets_gone_processes_at_the_second_sweep),
	  cmocka_unit_test(test_new_table_starts_the_count_again))
