// SPDX-License-Identifier: MIT
/*
 * A fixed amount of CPU work: the same instructions every run, so wall time measures slowdown.
 * One worker process per online CPU keeps every CPU busy, so any CPU a profiler takes is taken
 * from the workload and shows up in its wall time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) static unsigned long mix(unsigned long x)
{
	/* xorshift-multiply: no closed form, so the compiler cannot fold the loop away. */
	for (int i = 0; i < 64; i++)
		x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9UL;
	return x;
}

__attribute__((noinline)) static void work(long rounds)
{
	unsigned long x = 1;

	for (long i = 0; i < rounds; i++)
		x ^= mix(x + i);
	sink = x;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000000;
	long workers = argc > 2 ? atol(argv[2]) : sysconf(_SC_NPROCESSORS_ONLN);
	int status, failed = 0;

	for (long i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			work(rounds);
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	return failed;
}
