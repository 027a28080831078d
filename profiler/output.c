// SPDX-License-Identifier: MIT
/* Writing a profile where the user asked: the format from -o's extension or --format. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"
#include "profiler/commands_internal.h"

/*
 * Where -o really goes: a symlink is followed to its target (so the link stays a link), and a
 * FIFO or device is written in place (so it stays what it is). Sets o->path (malloc'd) and
 * o->direct. Returns 0 or -errno with one line logged.
 */
static int resolve_target(struct prof_output *o, const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno != ENOENT) {
			int err = -errno;

			pr_warn("cannot write %s: %s", path, strerror(-err));
			return err;
		}
		o->path = strdup(path); /* a new file */
		return o->path ? 0 : -ENOMEM;
	}
	if (S_ISLNK(st.st_mode)) {
		o->path = realpath(path, NULL);
		if (!o->path || stat(o->path, &st)) {
			int err = errno == ENOENT ? -ENOENT : -errno;

			pr_warn("cannot write %s: a symlink to %s", path,
				err == -ENOENT ? "nothing (dangling)" : strerror(-err));
			free(o->path);
			o->path = NULL;
			return err;
		}
	} else {
		o->path = strdup(path);
		if (!o->path)
			return -ENOMEM;
	}
	if (S_ISDIR(st.st_mode)) {
		pr_warn("cannot write %s: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	o->direct = !S_ISREG(st.st_mode);
	if (o->direct && access(o->path, W_OK)) {
		int err = -errno;

		pr_warn("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

#define LEGACY_STALE_S (24 * 3600)

/*
 * Whether a temporary file of another run is left over: its profd is gone (the pid in its name
 * names no process), or, for names of versions without a pid, it is a day old.
 */
static bool is_stale_temp(int dirfd, const char *name)
{
	const char *rest = name + strlen(PROF_OUTPUT_TMP_PREFIX);
	struct stat st;
	char *end;
	long pid;

	if (strncmp(name, PROF_OUTPUT_TMP_PREFIX, strlen(PROF_OUTPUT_TMP_PREFIX)) ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid())
		return false;
	errno = 0;
	pid = strtol(rest, &end, 10);
	if (end != rest && *end == '.' && strlen(end + 1) == 6 && !errno && pid > 0 &&
	    pid <= INT_MAX)
		return pid != getpid() && kill((pid_t)pid, 0) && errno == ESRCH;
	return strlen(rest) == 6 && !strchr(rest, '.') && time(NULL) - st.st_mtime > LEGACY_STALE_S;
}

/* Removes what a crash or kill -9 of an earlier run left beside the output. */
static void remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int removed = 0;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (is_stale_temp(dirfd(d), de->d_name) && !unlinkat(dirfd(d), de->d_name, 0))
			removed++;
	closedir(d);
	if (removed)
		pr_debug("removed %d temporary file%s left in %s by runs that ended early", removed,
			 removed == 1 ? "" : "s", dir);
}

/* Write beside the target and rename at the end: no half-written file is ever visible. */
static int open_temp(struct prof_output *o, const char *path)
{
	char *dir_copy = strdup(o->path), *dir;
	int fd;

	if (!dir_copy)
		return -ENOMEM;
	dir = dirname(dir_copy);
	remove_stale_temps(dir);
	if (asprintf(&o->tmp_path, "%s/" PROF_OUTPUT_TMP_PREFIX "%d.XXXXXX", dir, (int)getpid()) <
	    0) {
		free(dir_copy);
		o->tmp_path = NULL;
		return -ENOMEM;
	}
	free(dir_copy);
	fd = mkostemp(o->tmp_path, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		pr_warn("cannot write %s: %s", path, strerror(-err));
		free(o->tmp_path);
		o->tmp_path = NULL;
		return err;
	}
	fchmod(fd, 0644);
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

int prof_output__open(struct prof_output *o, const char *path, const char *format)
{
	enum fmt_kind by_name = format ? fmt_kind_from_name(format) : FMT_UNKNOWN;
	int err;

	memset(o, 0, sizeof(*o));
	if (format && by_name == FMT_UNKNOWN) {
		pr_warn("unknown format \"%s\" (expected folded, svg or pprof)", format);
		return -EINVAL;
	}
	o->kind = path ? fmt_kind_from_path(path) : FMT_UNKNOWN;
	if (path && o->kind == FMT_UNKNOWN && !by_name) {
		pr_warn("%s: unknown extension (use .folded, .txt, .svg, .pb.gz, .pprof or .pb, or --format)",
			path);
		return -EINVAL;
	}
	if (o->kind == FMT_UNKNOWN)
		o->kind = by_name ? by_name : FMT_FOLDED;
	if (!path) {
		o->fp = stdout;
		return 0;
	}
	o->name = path;
	err = resolve_target(o, path);
	/* A FIFO is opened when there is something to write: opening waits for its reader. */
	if (!err && !o->direct)
		err = open_temp(o, path);
	if (err)
		prof_output__abort(o);
	return err;
}

void prof_output__abort(struct prof_output *o)
{
	if (o->fp && o->fp != stdout)
		fclose(o->fp);
	o->fp = NULL;
	if (o->tmp_path)
		unlink(o->tmp_path);
	free(o->tmp_path);
	o->tmp_path = NULL;
	free(o->path);
	o->path = NULL;
}

static int write_kind(struct prof_output *o, const struct fmt_profile *p)
{
	switch (o->kind) {
	case FMT_SVG: {
		struct fmt_svg_opts opts = {.title = o->title,
					    .lines = o->names.lines,
					    .full_names = o->names.full_names};

		return fmt_svg_write(p, o->fp, &opts);
	}
	case FMT_FOLDED: {
		struct fmt_folded_opts opts = {.lines = o->names.lines,
					       .full_names = o->names.full_names};

		return fmt_folded_write(p, o->fp, &opts);
	}
	case FMT_PPROF: {
		struct fmt_pprof_opts opts = {.full_names = o->names.full_names};

		return fmt_pprof_write(p, o->fp, &opts);
	}
	default:
		pr_warn("this build of profd cannot write that format yet");
		return -ENOTSUP;
	}
}

/* A FIFO or device: opened now, written in place, no rename. */
static int write_direct(struct prof_output *o, const struct fmt_profile *p)
{
	int fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY), err;

	if (fd < 0)
		return -errno;
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		close(fd);
		return -ENOMEM;
	}
	err = write_kind(o, p);
	if (!err && fflush(o->fp))
		err = -errno;
	if (fclose(o->fp) && !err)
		err = -errno;
	o->fp = NULL;
	return err;
}

/* A regular file: the temporary one is synced and renamed onto the target. */
static int write_renamed(struct prof_output *o, const struct fmt_profile *p)
{
	int err = write_kind(o, p);

	if (!err && fflush(o->fp))
		err = -errno;
	if (!err && fsync(fileno(o->fp)))
		err = -errno;
	if (fclose(o->fp) && !err)
		err = -errno;
	o->fp = NULL;
	if (!err && rename(o->tmp_path, o->path))
		err = -errno;
	if (err)
		unlink(o->tmp_path);
	return err;
}

int prof_output__write(struct prof_output *o, const struct fmt_profile *p)
{
	int err;

	if (o->fp == stdout) {
		err = write_kind(o, p);
		if (fflush(stdout) && !err)
			err = -errno;
		o->fp = NULL;
		return err;
	}
	err = o->direct ? write_direct(o, p) : write_renamed(o, p);
	if (err)
		pr_warn("cannot write %s: %s", o->name, strerror(-err));
	prof_output__abort(o); /* frees what is left; the temporary file is gone by now */
	return err;
}
