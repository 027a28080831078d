// SPDX-License-Identifier: MIT
/*
 * A process that execs while it is sampled: it burns CPU in before_exec_work (called from main
 * through before_exec) for SECONDS, then execs PROGRAM: same pid, a new image with other code at
 * other addresses. Built -O2 without frame pointers by tests/e2e/test_unwind.sh.
 *
 * Usage: execer SECONDS PROGRAM [ARGS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, disable_tail_calls))

static long long wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

volatile unsigned long sink;

NOINLINE void before_exec_work(long long deadline)
{
	unsigned long x = sink;

	while (wall_ns() < deadline) {
		for (int i = 0; i < 100000; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			__asm__ volatile("" : "+r"(x) : : "memory");
		}
	}
	sink = x;
}

NOINLINE void before_exec(double s)
{
	before_exec_work(wall_ns() + (long long)(s * 1e9));
	__asm__ volatile("" : : : "memory");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: execer SECONDS PROGRAM [ARGS...]\n");
		return 2;
	}
	before_exec(atof(argv[1]));
	fflush(stdout);
	execv(argv[2], argv + 2);
	perror("execv");
	return 1;
}
