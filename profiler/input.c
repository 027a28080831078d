// SPDX-License-Identifier: MIT
/* Reading saved profiles: pprof by its content or name, anything else as folded stacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "profiler/commands_internal.h"

/* pprof by its content (gzip magic, as pprof files are on disk) or by its name; else folded. */
static bool is_pprof(const char *path, FILE *in)
{
	int c;

	if (fmt_kind_from_path(path) == FMT_PPROF)
		return true;
	c = getc(in);
	if (c == EOF)
		return false;
	ungetc(c, in);
	return c == 0x1f;
}

int prof_read_profile(const char *path, struct fmt_profile *p)
{
	struct fmt_error ferr = {{0}};
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	bool pprof;
	int err;

	if (!in) {
		err = -errno;
		pr_warn("%s: %s", path, strerror(-err));
		return err;
	}
	pprof = is_pprof(path, in);
	err = pprof ? fmt_pprof_read(p, in, &ferr) : fmt_folded_read(p, in, &ferr);
	if (err == -EINVAL)
		pr_warn("%s: %s", path,
			ferr.msg[0] ? ferr.msg : pprof ? "not a pprof profile" : "not a folded profile");
	else if (err)
		pr_warn("%s: %s", path, strerror(-err));
	if (in != stdin)
		fclose(in);
	return err;
}
