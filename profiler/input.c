// SPDX-License-Identifier: MIT
/* Reading saved profiles: pprof by its content or name, anything else as folded stacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* A file larger than its reader takes is refused before a byte is read. */
static int check_size(const char *path, FILE *in, bool pprof)
{
	uint64_t max = pprof ? FMT_PPROF_MAX_BYTES : FMT_FOLDED_MAX_BYTES;
	struct stat st;

	if (fstat(fileno(in), &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size <= max)
		return 0;
	pr_warn("%s: %llu MiB, above the %llu MiB a %s profile may have", path,
		(unsigned long long)st.st_size >> 20, (unsigned long long)max >> 20,
		pprof ? "pprof" : "folded");
	return -EFBIG;
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
	err = check_size(path, in, pprof);
	if (err) {
		if (in != stdin)
			fclose(in);
		return err;
	}
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
