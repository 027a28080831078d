// SPDX-License-Identifier: MIT
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && n < PATH_MAX);
}

const char *path_in(const char *dir, const char *name)
{
	static char paths[8][PATH_MAX];
	static int next;
	char *p = paths[next++ % 8];

	pathf(p, "%s/%s", dir, name);
	return p;
}

char test_dir[PATH_MAX];

int test_dir_setup(void **state)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/profd-%s-XXXXXX", program_invocation_short_name);
	return mkdtemp(test_dir) ? 0 : -1;
}

int fixture_source(const char *tools, const char *source)
{
	if (test_dir_setup(NULL))
		return -1;
	if (run("for t in %s; do command -v \"$t\" >/dev/null || exit 1; done", tools))
		return 0;
	write_str(path_in(test_dir, "fx.c"), source);
	return 1;
}

int test_dir_teardown(void **state)
{
	rm_tree(test_dir);
	test_dir[0] = '\0';
	return 0;
}

int run(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s));
}

void mkdirs(const char *path)
{
	assert_int_equal(run("mkdir -p '%s'", path), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

FILE *command_output(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	return p;
}

void nm_symbol(const char *file, const char *name, uint64_t *value, uint64_t *size)
{
	FILE *p = command_output("nm -S --defined-only '%s'", file);
	char line[1024];
	bool found = false;

	while (fgets(line, sizeof(line), p)) {
		unsigned long long v, s;
		char type, sym[512];

		if (sscanf(line, "%llx %llx %c %511s", &v, &s, &type, sym) == 4 &&
		    !strcmp(sym, name)) {
			*value = v;
			*size = s;
			found = true;
		}
	}
	pclose(p);
	assert_true(found);
}

void build_id_of(const char *file, char *hex, size_t len)
{
	FILE *p = command_output("readelf -n '%s' 2>/dev/null", file);
	char line[512];

	hex[0] = '\0';
	while (fgets(line, sizeof(line), p)) {
		char *b = strstr(line, "Build ID: ");

		if (b)
			snprintf(hex, len, "%.*s", (int)strcspn(b + 10, "\n"), b + 10);
	}
	pclose(p);
}

bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

void say_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("# skip: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
}

void assert_has_all(const char *text, const char *const *parts)
{
	for (; *parts; parts++)
		if (!strstr(text, *parts))
			fail_msg("no \"%s\" in: %.300s", *parts, text);
}
