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
#include <unistd.h>

#include "spin.h"

NOINLINE void before_exec_work(long long deadline)
{
	sink = spin_until(deadline, 100000);
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
