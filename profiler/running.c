// SPDX-License-Identifier: MIT
/* Which processes are on a CPU now, from /proc: the first samples of a whole machine are theirs. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/sampling_internal.h"

#define STAT_THREADS_FIELD 17 /* num_threads, counted in fields after the state */

/* The state letter in a stat file (and, if threads, its thread count); 0 if unreadable. */
static char stat_state(const char *path, long *threads)
{
	char buf[512];
	const char *p;
	ssize_t n;
	char state;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold anything, ')' too: the state follows the last one. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	state = p[2];
	p += 2;
	for (int i = 0; threads && p && i < STAT_THREADS_FIELD; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (threads && p)
		*threads = strtol(p, NULL, 10);
	return state;
}

bool prof_process_running(pid_t pid)
{
	char path[64];
	struct dirent *de;
	bool running = false;
	long threads = 1;
	char state;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	state = stat_state(path, &threads);
	if (state == 'R' || threads <= 1)
		return state == 'R';
	/* The process's line is its first thread's: another thread may be the one running. */
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && !running && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", (int)pid, de->d_name);
		running = stat_state(path, NULL) == 'R';
	}
	if (d)
		closedir(d);
	return running;
}
