// SPDX-License-Identifier: MIT
/* Unit tests of common/log: what a message looks like on stderr, read back from a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "helpers.h"

/* Runs fn with stderr sent to a temporary file; returns what it wrote (free it). */
static char *stderr_of(void (*fn)(void))
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out;
	long len;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	len = lseek(fileno(f), 0, SEEK_END);
	assert_true(len >= 0);
	out = calloc(1, (size_t)len + 1);
	assert_non_null(out);
	assert_int_equal(pread(fileno(f), out, (size_t)len, 0), len);
	fclose(f);
	return out;
}

static void short_lines(void)
{
	profd_log_set_level(PROFD_LOG_INFO);
	profd_log(PROFD_LOG_INFO, "no newline %d", 1);
	profd_log(PROFD_LOG_WARN, "with newline %s\n", "two");
	profd_log(PROFD_LOG_DEBUG, "dropped below the level");
	profd_log(PROFD_LOG_INFO, "%s", "");
}

static void test_short_lines(void **state)
{
	char *out = stderr_of(short_lines);

	assert_string_equal(out, "profd: no newline 1\nprofd: with newline two\nprofd: \n");
	free(out);
}

#define LONG_LEN 100000

static char long_text[LONG_LEN + 1];

static void long_line(void)
{
	profd_log_set_level(PROFD_LOG_DEBUG);
	profd_log(PROFD_LOG_DEBUG, "log:\n%s", long_text);
	profd_log_set_level(PROFD_LOG_INFO);
}

/* A verifier log is far longer than the line buffer: printed whole, once. */
static void test_long_line(void **state)
{
	char *out;

	for (size_t i = 0; i < LONG_LEN; i++)
		long_text[i] = i % 80 == 79 ? '\n' : 'a' + i % 26;
	long_text[LONG_LEN - 1] = 'z'; /* no newline at the end: the log adds one */
	out = stderr_of(long_line);
	assert_int_equal(strlen(out), strlen("profd: log:\n") + LONG_LEN + 1);
	assert_memory_equal(out, "profd: log:\n", 12);
	assert_memory_equal(out + 12, long_text, LONG_LEN);
	assert_int_equal(out[12 + LONG_LEN], '\n');
	free(out);
}

static void trace_line(void)
{
	profd_log(PROFD_LOG_DEBUG, "debug");
	profd_log(PROFD_LOG_TRACE, "trace");
}

/* Each -v one level more: debug at -v, trace (libbpf's chatter) at -vv, no further. */
static void test_more(void **state)
{
	char *out;

	profd_log_set_level(PROFD_LOG_INFO);
	profd_log_more();
	assert_int_equal(profd_log_get_level(), PROFD_LOG_DEBUG);
	out = stderr_of(trace_line);
	assert_string_equal(out, "profd: debug\n");
	free(out);
	profd_log_more();
	profd_log_more();
	assert_int_equal(profd_log_get_level(), PROFD_LOG_TRACE);
	out = stderr_of(trace_line);
	assert_string_equal(out, "profd: debug\nprofd: trace\n");
	free(out);
	profd_log_set_level(PROFD_LOG_INFO);
}

TEST_MAIN(cmocka_unit_test(test_short_lines), cmocka_unit_test(test_long_line),
	  cmocka_unit_test(test_more))
