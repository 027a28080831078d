// SPDX-License-Identifier: MIT
/* Option parsing shared by the commands, and their usage errors. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/commands_internal.h"

int prof_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "profd: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see profd %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
	return PROFD_EXIT_USAGE;
}

bool prof_name_option(struct fmt_name_opts *o, int opt)
{
	if (opt == PROF_OPT_LINES)
		o->lines = true;
	else if (opt == PROF_OPT_FULL_NAMES)
		o->full_names = true;
	else
		return false;
	return true;
}

int prof_print_version(void)
{
	printf("profd %s\n", PROFD_VERSION);
	return PROFD_EXIT_OK;
}

bool prof_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int prof_parse_pid_list(const char *arg, pid_t **pids, int *npids)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long pid;
		pid_t *p;

		if (!prof_parse_long(tok, 1, INT_MAX, &pid)) {
			err = -EINVAL;
			break;
		}
		p = realloc(*pids, (*npids + 1) * sizeof(*p));
		if (!p) {
			err = -ENOMEM;
			break;
		}
		*pids = p;
		(*pids)[(*npids)++] = (pid_t)pid;
	}
	free(copy);
	if (!err && !*npids)
		err = -EINVAL;
	return err;
}
