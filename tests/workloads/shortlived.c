// SPDX-License-Identifier: MIT
/*
 * A storm of short-lived processes: starts COUNT copies of itself one after another (two at a
 * time), each exec'd anew and living 20 to 50 ms of CPU time in storm_burn, called from
 * storm_child, called from main. Most of them are gone before a profiler's user space gets to
 * read their /proc/PID/maps.
 *
 * Usage: shortlived [COUNT]   (default 2000)
 *        shortlived child MS  (one member of the storm)
 *
 * Prints "truth children N" once every child has exited with status 0.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define RUNNING_MAX 2

extern char **environ;

NOINLINE long long storm_burn(long long ns) { BURN_BODY(ns, 7); }

NOINLINE int storm_child(int ms)
{
	storm_burn(ms * 1000000LL);
	return 0;
}

/* Waits for one child; returns 0 if it exited with status 0. */
static int reap(void)
{
	int status;

	if (wait(&status) < 0) {
		perror("wait");
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 2000, running = 0, failed = 0;
	char self[4096], ms[16];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (argc > 2 && !strcmp(argv[1], "child"))
		return storm_child(atoi(argv[2]));
	if (len <= 0) {
		perror("/proc/self/exe");
		return 1;
	}
	self[len] = 0; /* exec'd by its path, each child's comm is "shortlived" */
	if (count <= 0) {
		fprintf(stderr, "usage: shortlived [COUNT] | shortlived child MS\n");
		return 2;
	}
	for (int i = 0; i < count; i++) {
		char *args[] = {argv[0], "child", ms, NULL};
		pid_t pid;

		snprintf(ms, sizeof(ms), "%d", 20 + (i * 7) % 31);
		if (running == RUNNING_MAX) {
			failed += reap() != 0;
			running--;
		}
		if (posix_spawn(&pid, self, NULL, NULL, args, environ)) {
			perror("posix_spawn");
			return 1;
		}
		running++;
	}
	while (running--)
		failed += reap() != 0;
	if (failed) {
		fprintf(stderr, "shortlived: %d children failed\n", failed);
		return 1;
	}
	printf("truth children %d\n", count);
	return 0;
}
