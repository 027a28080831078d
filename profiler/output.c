// SPDX-License-Identifier: MIT
/* Writing a profile where the user asked: the format from -o's extension or --format. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"
#include "profiler/profiler.h"

int prof_output__open(struct prof_output *o, const char *path, const char *format)
{
	enum fmt_kind by_name = format ? fmt_kind_from_name(format) : FMT_UNKNOWN;
	char *dir_copy, *dir;
	int fd;

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

	/* Write beside the target and rename at the end: no half-written file is ever visible. */
	dir_copy = strdup(path);
	if (!dir_copy)
		return -ENOMEM;
	dir = dirname(dir_copy);
	if (asprintf(&o->tmp_path, "%s/.profd-out.XXXXXX", dir) < 0) {
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
		prof_output__abort(o);
		return -ENOMEM;
	}
	o->path = path;
	return 0;
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
}

static int write_kind(struct prof_output *o, const struct fmt_profile *p)
{
	switch (o->kind) {
	case FMT_SVG: {
		struct fmt_svg_opts opts = {
			.title = o->title, .lines = o->lines, .full_names = o->full_names};

		return fmt_svg_write(p, o->fp, &opts);
	}
	case FMT_FOLDED: {
		struct fmt_folded_opts opts = {.lines = o->lines, .full_names = o->full_names};

		return fmt_folded_write(p, o->fp, &opts);
	}
	case FMT_PPROF: {
		struct fmt_pprof_opts opts = {.full_names = o->full_names};

		return fmt_pprof_write(p, o->fp, &opts);
	}
	default:
		pr_warn("this build of profd cannot write that format yet");
		return -ENOTSUP;
	}
}

int prof_output__write(struct prof_output *o, const struct fmt_profile *p)
{
	int err = write_kind(o, p);

	if (o->fp == stdout) {
		if (fflush(stdout) && !err)
			err = -errno;
		o->fp = NULL;
		return err;
	}
	if (!err && fflush(o->fp))
		err = -errno;
	if (!err && fsync(fileno(o->fp)))
		err = -errno;
	if (fclose(o->fp) && !err)
		err = -errno;
	o->fp = NULL;
	if (!err && rename(o->tmp_path, o->path))
		err = -errno;
	if (err) {
		pr_warn("cannot write %s: %s", o->path, strerror(-err));
		unlink(o->tmp_path);
	}
	free(o->tmp_path);
	o->tmp_path = NULL;
	return err;
}
