// SPDX-License-Identifier: MIT
/* Unit tests of -o: what kind of file the target is decides how it is written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "helpers.h"
#include "profiler/commands_internal.h"

#define WANT "app;main 3\n"

static struct fmt_profile *small_profile(void)
{
	struct fmt_profile *p = fmt_profile__new(1);
	FILE *in = fmemopen((void *)WANT, strlen(WANT), "r");
	struct fmt_error err;

	assert_non_null(in);
	assert_int_equal(fmt_folded_read(p, in, &err), 0);
	fclose(in);
	return p;
}

/* prof_output__open() and __write() of the small profile to path; returns the write's result. */
static int write_to(const char *path)
{
	struct fmt_profile *p = small_profile();
	struct prof_output o;
	int err = prof_output__open(&o, path, NULL);

	if (!err)
		err = prof_output__write(&o, p);
	fmt_profile__free(p);
	return err;
}

static void assert_content(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, want);
}

/* Files in test_dir whose name starts with prefix. */
static int count_prefixed(const char *prefix)
{
	char cmd[PATH_MAX];
	FILE *f;
	int n = -1;

	pathf(cmd, "ls -A %s | grep -c '^%s' || true", test_dir, prefix);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

static void test_regular_and_symlink(void **state)
{
	char file[PATH_MAX], link[PATH_MAX], dangling[PATH_MAX];
	struct stat st;

	pathf(file, "%s/out.folded", test_dir);
	assert_int_equal(write_to(file), 0);
	assert_content(file, WANT);
	assert_int_equal(count_prefixed(PROF_OUTPUT_TMP_PREFIX), 0);

	/* Through a symlink: the target gets the bytes, the link stays a link. */
	write_str(file, "old\n");
	pathf(link, "%s/link.folded", test_dir);
	assert_int_equal(symlink("out.folded", link), 0);
	assert_int_equal(write_to(link), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(file, WANT);

	/* A symlink to nothing is refused, and nothing is created. */
	pathf(dangling, "%s/dangling.folded", test_dir);
	assert_int_equal(symlink("nowhere.folded", dangling), 0);
	assert_int_equal(write_to(dangling), -ENOENT);
	pathf(file, "%s/nowhere.folded", test_dir);
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(count_prefixed(PROF_OUTPUT_TMP_PREFIX), 0);

	/* A folder is refused. */
	pathf(file, "%s/sub.folded", test_dir);
	mkdirs(file);
	assert_int_equal(write_to(file), -EISDIR);
}

/* The read end is open first (non-blocking), so writing needs no second thread and never hangs. */
static void test_fifo(void **state)
{
	char fifo[PATH_MAX], buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	pathf(fifo, "%s/fifo.folded", test_dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(write_to(fifo), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, WANT);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(count_prefixed(PROF_OUTPUT_TMP_PREFIX), 0);
}

/* A character device like /dev/null (made here: never risk the real one) stays a device. */
static void test_char_device(void **state)
{
	char null[PATH_MAX];
	struct stat st;

	pathf(null, "%s/null.folded", test_dir);
	if (mknod(null, S_IFCHR | 0666, makedev(1, 3)))
		skip_because("mknod needs CAP_MKNOD: %s", strerror(errno));
	assert_int_equal(write_to(null), 0);
	assert_int_equal(lstat(null, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(count_prefixed(PROF_OUTPUT_TMP_PREFIX), 0);
}

/* A pid that names no process: a child that has been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void make_file(const char *name, time_t age_s, uid_t owner)
{
	struct timespec times[2] = {{.tv_sec = time(NULL) - age_s}, {.tv_sec = time(NULL) - age_s}};
	char path[PATH_MAX];

	pathf(path, "%s/%s", test_dir, name);
	write_str(path, "partial");
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	if (owner != geteuid())
		assert_int_equal(chown(path, owner, -1), 0);
}

static bool exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	pathf(path, "%s/%s", test_dir, name);
	return lstat(path, &st) == 0;
}

/* Leftovers of runs that died are removed at the start; nothing else is. */
static void test_stale_temps(void **state)
{
	char dead[64], alive[64], theirs[64], link[PATH_MAX], out[PATH_MAX];
	bool root = geteuid() == 0;

	snprintf(dead, sizeof(dead), PROF_OUTPUT_TMP_PREFIX "%d.aB3xYz", (int)dead_pid());
	snprintf(alive, sizeof(alive), PROF_OUTPUT_TMP_PREFIX "%d.aB3xYz", (int)getppid());
	snprintf(theirs, sizeof(theirs), PROF_OUTPUT_TMP_PREFIX "%d.qQ3xYz", (int)dead_pid());
	make_file(dead, 0, geteuid());
	make_file(alive, 0, geteuid());
	make_file(PROF_OUTPUT_TMP_PREFIX "Old123", 2 * 24 * 3600, geteuid());
	make_file(PROF_OUTPUT_TMP_PREFIX "New123", 60, geteuid());
	make_file(".profd-other.1.abcdef", 2 * 24 * 3600, geteuid());
	if (root)
		make_file(theirs, 0, 65534);
	pathf(link, "%s/" PROF_OUTPUT_TMP_PREFIX "%d.lnk123", test_dir, (int)dead_pid());
	assert_int_equal(symlink("/etc/hostname", link), 0);

	pathf(out, "%s/out.folded", test_dir);
	assert_int_equal(write_to(out), 0);
	assert_false(exists(dead));
	assert_false(exists(PROF_OUTPUT_TMP_PREFIX "Old123"));
	assert_true(exists(alive));			       /* its profd may still be writing */
	assert_true(exists(PROF_OUTPUT_TMP_PREFIX "New123"));  /* the same for an older version */
	assert_true(exists(".profd-other.1.abcdef"));	       /* not ours */
	assert_true(exists(strrchr(link, '/') + 1));	       /* not a regular file */
	if (root)
		assert_true(exists(theirs)); /* another user's */
}

TEST_MAIN(TEST_IN_DIR(test_regular_and_symlink),
	  TEST_IN_DIR(test_fifo),
	  TEST_IN_DIR(test_char_device),
	  TEST_IN_DIR(test_stale_temps))
