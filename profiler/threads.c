// SPDX-License-Identifier: MIT
/* Threads and the processes they belong to: -p takes a process, -t a thread (as perf does). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/commands_internal.h"

pid_t prof_thread_group(pid_t tid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	pid_t tgid = -ENOENT;
	FILE *f;

	/* /proc/TID exists for every thread, though a listing of /proc shows processes only. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "Tgid:", 5) == 0) {
			long v = strtol(line + 5, NULL, 10);

			tgid = v > 0 ? (pid_t)v : -EINVAL;
			break;
		}
	}
	free(line);
	fclose(f);
	return tgid;
}

bool prof_process_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}
