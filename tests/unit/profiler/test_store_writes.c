// SPDX-License-Identifier: MIT
/* Unit tests of the agent's store writes: a streak of failed windows is said once, and counted. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "profiler/store_internal.h"

#define S 1000000000LL
#define T0 1795640000000000000LL

static char dir[] = "/tmp/profd-store-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	rm_tree(dir);
	strcpy(dir, "/tmp/profd-store-XXXXXX");
	return 0;
}

static struct fmt_profile *small_profile(void)
{
	static const char text[] = "app;main 3\n";
	struct fmt_profile *p = fmt_profile__new(1);
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct fmt_error err;

	assert_non_null(in);
	assert_int_equal(fmt_folded_read(p, in, &err), 0);
	fclose(in);
	return p;
}

/* A folder where window i's file would go: renaming the window onto it fails, as on a full disk. */
static void block_window(int i)
{
	char path[PATH_MAX];

	pathf(path, "%s/%lld-%lld.pb.zst", dir, T0 + i * S, T0 + (i + 1) * S);
	mkdirs(path);
}

static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_failure_streak_said_once(void **state)
{
	struct prof_store_opts o = {.dir = dir, .writable = true};
	struct fmt_profile *p = small_profile();
	struct prof_store_stats st;
	struct prof_store *s;
	char log[PATH_MAX], text[4096] = "";
	int saved = dup(STDERR_FILENO), fd;
	ssize_t n;

	s = prof_store__open(&o);
	assert_non_null(s);
	for (int i = 1; i <= 40; i++)
		block_window(i);
	pathf(log, "%s.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	assert_int_equal(prof_store__write(s, p, T0, T0 + S), 0);
	for (int i = 1; i <= 40; i++)
		assert_true(prof_store__write(s, p, T0 + i * S, T0 + (i + 1) * S) < 0);
	assert_int_equal(prof_store__write(s, p, T0 + 41 * S, T0 + 42 * S), 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);

	fd = open(log, O_RDONLY);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	unlink(log);
	text[n > 0 ? n : 0] = '\0';
	assert_int_equal(count_lines(text, "\n"), 2);
	assert_int_equal(count_lines(text, "cannot write"), 1);
	assert_non_null(strstr(text, "writing again, after 40 windows"));
	prof_store__stats(s, &st);
	assert_int_equal(st.write_failures, 40);
	assert_int_equal(st.windows_written, 2);
	prof_store__free(s);
	fmt_profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failure_streak_said_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
