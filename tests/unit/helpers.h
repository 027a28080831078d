/* SPDX-License-Identifier: MIT */
/* Helpers the unit tests share: paths, shell commands, files, ELF notes of test fixtures. */
#ifndef PROFD_TEST_HELPERS_H
#define PROFD_TEST_HELPERS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ASan's allocator stands in for glibc's: tests of heap or RSS behaviour say so. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

/* snprintf into a PATH_MAX buffer; fails the test when the path does not fit. */
void pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* dir/name in one of eight buffers used in turn, so that one call can take several. */
const char *path_in(const char *dir, const char *name);
/* Runs a shell command; returns its status, and says on stderr what failed. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void write_file(const char *path, const char *data, size_t len);
void write_str(const char *path, const char *s);
void mkdirs(const char *path);
/* Removes a folder and everything below it (symlinks are not followed). */
void rm_tree(const char *path);
/* A shell command's output to read; pclose() it. Fails the test when it cannot start. */
FILE *command_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Link-time value and size of a symbol defined in file, from nm; fails the test without one. */
void nm_symbol(const char *file, const char *name, uint64_t *value, uint64_t *size);
/* The GNU build ID of file in hex (readelf -n), or "" when it has none. */
void build_id_of(const char *file, char *hex, size_t len);

/*
 * A fresh folder for each test, /tmp/profd-PROGRAM-XXXXXX, in test_dir: test_dir_setup() makes it,
 * test_dir_teardown() removes it and all in it. TEST_IN_DIR(f) runs test f with them.
 */
extern char test_dir[PATH_MAX];
int test_dir_setup(void **state);
int test_dir_teardown(void **state);
#define TEST_IN_DIR(f) cmocka_unit_test_setup_teardown(f, test_dir_setup, test_dir_teardown)
/*
 * Group set-up of tests that compile their fixtures: test_dir_setup(), and source written there as
 * fx.c. Returns 1; 0 where a command that tools names ("cc readelf") is missing, for the group's
 * tests to skip; or -1. test_dir_teardown() is the group's teardown.
 */
int fixture_source(const char *tools, const char *source);

/* Fails the test, naming the part, unless text holds each of parts (a NULL-terminated list). */
void assert_has_all(const char *text, const char *const *parts);

/* True under CI=true: a clean machine where `make deps` has installed every test tool. */
bool in_ci(void);
/* Prints "# skip: WHY" on stdout, the line tests/run.sh reports with cmocka's SKIP after it. */
void say_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Skips the running test and says why. */
#define skip_because(...)                                                                          \
	do {                                                                                       \
		say_skip(__VA_ARGS__);                                                             \
		skip();                                                                            \
	} while (0)

/*
 * Skips the running test for want of something `make deps` installs (a compiler, binutils,
 * xmllint, libc6-dbg...); under CI=true that is a failure, so a skip never hides a broken install.
 */
#define skip_missing(...)                                                                          \
	do {                                                                                       \
		if (in_ci())                                                                       \
			fail_msg(__VA_ARGS__);                                                     \
		skip_because(__VA_ARGS__);                                                         \
	} while (0)

/* main() of a test file: runs the cmocka tests given (cmocka_unit_test(...), ...) as one group. */
#define TEST_MAIN(...)                                                                             \
	int main(void)                                                                             \
	{                                                                                          \
		const struct CMUnitTest tests[] = {__VA_ARGS__};                                   \
                                                                                                   \
		return cmocka_run_group_tests(tests, NULL, NULL);                                  \
	}

#endif
