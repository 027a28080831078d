// SPDX-License-Identifier: MIT
/* Argument parsing shared by the subcommands (record, agent, query, serve). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/profiler.h"
#include "profiler/store_internal.h"

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

bool prof_parse_unwind(const char *s, enum profd_unwind *out)
{
	static const struct {
		const char *name;
		enum profd_unwind mode;
	} names[] = {
		{"cfi", PROFD_UNWIND_CFI},
		{"fp", PROFD_UNWIND_FP},
		{"copy", PROFD_UNWIND_COPY},
		/* What 0.x called its modes: "auto" picked the best per process, "dwarf" copied. */
		{"auto", PROFD_UNWIND_CFI},
		{"dwarf", PROFD_UNWIND_COPY},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].mode;
			return true;
		}
	}
	return false;
}

bool prof_parse_unwind_memory(const char *s, size_t *out)
{
	uint64_t v;

	if (prof_parse_size(s, &v) || v < PROF_CFI_MEMORY_MIN || v > PROF_CFI_MEMORY_MAX)
		return false;
	*out = (size_t)v;
	return true;
}
