// SPDX-License-Identifier: MIT
/*
 * A fault injector for the store's write path, loaded with LD_PRELOAD into profd: it kills the
 * process (SIGKILL, as a power cut would stop it) at one chosen moment of writing files into
 * one folder, so a test can look at what the folder holds afterwards.
 *
 *   KILLSHIM_DIR   the folder (absolute path) whose files are watched
 *   KILLSHIM_MODE  write:  the Nth write() into a file there writes half its bytes, then dies
 *                  rename: the Nth rename into the folder dies before it happens
 *   KILLSHIM_AT    N (from 1)
 *   KILLSHIM_LOG   a file that gets one line before the kill:
 *                  "write NAME HALF LEN" or "rename OLDNAME NEWNAME"
 *
 * Only libc's exported functions are replaced, so this sees what profd asks of libc (write,
 * rename, renameat, renameat2), whatever the store's code looks like.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hits;

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

/* The folder of path "DIR/NAME" if it is the watched one: returns NAME, else NULL. */
static const char *watched(const char *path)
{
	const char *dir = env("KILLSHIM_DIR"), *slash = strrchr(path, '/');
	size_t n = strlen(dir);

	if (!n || !slash || (size_t)(slash - path) != n || strncmp(path, dir, n))
		return NULL;
	return slash + 1;
}

/* Where fd (or, with name, name relative to the folder fd) points; "" if unknown. */
static void resolve(int fd, const char *name, char *out, size_t len)
{
	char link[64], dir[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	if (name && name[0] == '/') {
		snprintf(out, len, "%s", name);
		return;
	}
	if (fd == AT_FDCWD) {
		if (!getcwd(dir, sizeof(dir)))
			return;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, dir, sizeof(dir) - 1);
		if (n < 0)
			return;
		dir[n] = '\0';
	}
	if (name)
		snprintf(out, len, "%s/%s", dir, name);
	else
		snprintf(out, len, "%s", dir);
}

/* Counts one event of mode; true when it is the one to die at. */
static int is_the_one(const char *mode)
{
	return !strcmp(env("KILLSHIM_MODE"), mode) &&
	       __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) == atoi(env("KILLSHIM_AT"));
}

static void log_and_die(const char *line)
{
	FILE *f = fopen(env("KILLSHIM_LOG"), "a");

	if (f) {
		fputs(line, f);
		fclose(f);
	}
	kill(getpid(), SIGKILL);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);
	char path[PATH_MAX], line[PATH_MAX + 64];
	const char *name;

	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (fd > 2 && len > 1) {
		resolve(fd, NULL, path, sizeof(path));
		name = watched(path);
		if (name && is_the_one("write")) {
			ssize_t n = real(fd, buf, len / 2);

			snprintf(line, sizeof(line), "write %s %zd %zu\n", name, n, len);
			log_and_die(line);
		}
	}
	return real(fd, buf, len);
}

static void before_rename(int oldfd, const char *oldname, int newfd, const char *newname)
{
	char from[PATH_MAX], to[PATH_MAX], line[2 * PATH_MAX + 16];
	const char *name;

	resolve(newfd, newname, to, sizeof(to));
	name = watched(to);
	if (name && is_the_one("rename")) {
		const char *base;

		resolve(oldfd, oldname, from, sizeof(from));
		base = strrchr(from, '/');
		snprintf(line, sizeof(line), "rename %s %s\n", base ? base + 1 : from, name);
		log_and_die(line);
	}
}

int rename(const char *oldpath, const char *newpath)
{
	static int (*real)(const char *, const char *);

	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	before_rename(AT_FDCWD, oldpath, AT_FDCWD, newpath);
	return real(oldpath, newpath);
}

int renameat(int oldfd, const char *oldpath, int newfd, const char *newpath)
{
	static int (*real)(int, const char *, int, const char *);

	if (!real)
		real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
	before_rename(oldfd, oldpath, newfd, newpath);
	return real(oldfd, oldpath, newfd, newpath);
}

int renameat2(int oldfd, const char *oldpath, int newfd, const char *newpath, unsigned int flags)
{
	static int (*real)(int, const char *, int, const char *, unsigned int);

	if (!real)
		real = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(
		    RTLD_NEXT, "renameat2");
	before_rename(oldfd, oldpath, newfd, newpath);
	return real(oldfd, oldpath, newfd, newpath, flags);
}
